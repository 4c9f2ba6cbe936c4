/**
 * The one error type of `@smtpkit/codes`: thrown only when the calling
 * program misuses the API (for example `formatEnhancedStatus` given a class
 * of 3). Look-ups of codes that arrive from the network never throw.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/codes/CodesError");

/** What the caller got wrong. */
export type CodesErrorReason = "invalid-reply-code" | "invalid-enhanced-status" | "invalid-situation";

/**
 * Thrown when a program passes a value that is not a reply code or enhanced
 * status code where one is required.
 *
 * Use {@link CodesError.isInstance} rather than `instanceof`: it still works
 * when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { CodesError, formatEnhancedStatus } from "@smtpkit/codes";
 * try {
 *   formatEnhancedStatus({ class: 3, subject: 0, detail: 0 } as never);
 * } catch (error) {
 *   if (CodesError.isInstance(error)) console.log(error.reason); // "invalid-enhanced-status"
 * }
 * ```
 */
export class CodesError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "CodesError" as const;
  /** What was wrong with the value. */
  readonly reason: CodesErrorReason;
  /** The offending value, as given. */
  readonly value: unknown;
  private readonly [marker] = true;

  /**
   * @param reason - what was wrong
   * @param value - the offending value
   * @param message - a sentence for humans
   */
  constructor(reason: CodesErrorReason, value: unknown, message: string) {
    super(message);
    this.name = "CodesError";
    this.reason = reason;
    this.value = value;
  }

  /**
   * True for any `CodesError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `CodesError`
   * @example
   * ```ts
   * CodesError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is CodesError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
