/**
 * The conformance runner's error type. Deviations of the server under test are
 * never thrown: they are findings in the report. This error is for a run that
 * cannot be made (the server cannot be reached) and for misuse (an option out
 * of range, a recipient domain that is not the one named).
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/testkit/ConformanceError");

/** Why a {@link ConformanceError} was thrown. */
export type ConformanceErrorReason =
  /** An option is missing, of the wrong type or out of range. */
  | "invalid-argument"
  /** The server could not be reached, or TLS could not be set up. */
  | "connection-failed"
  /** The server's greeting or EHLO could not be read, so no session can be run. */
  | "no-session";

/**
 * Thrown when a conformance run cannot be made or is misconfigured. Use
 * {@link ConformanceError.isInstance} rather than `instanceof`.
 *
 * @example
 * ```ts
 * import { runConformance, ConformanceError } from "@smtpkit/testkit";
 * try {
 *   await runConformance({ host: "127.0.0.1", port: 1 });
 * } catch (error) {
 *   if (ConformanceError.isInstance(error)) console.log(error.reason); // "connection-failed"
 * }
 * ```
 */
export class ConformanceError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "ConformanceError" as const;
  /** What went wrong. */
  readonly reason: ConformanceErrorReason;
  private readonly [marker] = true;

  /**
   * @param reason - what went wrong
   * @param message - a sentence for humans
   * @param options - the underlying error, if any
   */
  constructor(reason: ConformanceErrorReason, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ConformanceError";
    this.reason = reason;
  }

  /**
   * Whether `value` is a ConformanceError, from any installed copy of the package.
   *
   * @param value - anything
   * @returns whether it carries this class's marker
   * @example
   * ```ts
   * ConformanceError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is ConformanceError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
