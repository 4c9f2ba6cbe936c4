/**
 * The error `@smtpkit/client` throws when the calling program
 * misuses the API (a limit that is not a positive integer, a local address
 * that is not an address, `send` after `close`). Answers from DNS never
 * throw, they give typed results; a server's refusals are results too, and
 * a failed connection is an `SmtpClientError`.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/client/ClientUsageError");

/** What the calling program got wrong. */
export type ClientUsageErrorReason =
  /** A limit that is not a positive integer. */
  | "invalid-limit"
  /** An option that cannot be right. */
  | "invalid-option"
  /** A message or envelope that cannot be sent as given. */
  | "invalid-message"
  /** A call at the wrong time: `send` after `close`. */
  | "wrong-state";

/**
 * Thrown when a program passes an option that cannot be right.
 *
 * Use {@link ClientUsageError.isInstance} rather than `instanceof`: it still
 * works when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { ClientUsageError, createMxResolver } from "@smtpkit/client";
 * try {
 *   createMxResolver({ maxHosts: 0 });
 * } catch (error) {
 *   if (ClientUsageError.isInstance(error)) console.log(error.option); // "maxHosts"
 * }
 * ```
 */
export class ClientUsageError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "ClientUsageError" as const;
  /** What was wrong. */
  readonly reason: ClientUsageErrorReason;
  /** The option at fault. */
  readonly option: string;
  /** The offending value, as given. */
  readonly value: unknown;
  private readonly [marker] = true;

  /**
   * @param reason - what was wrong
   * @param option - the option at fault
   * @param value - the offending value
   * @param message - a sentence for humans
   */
  constructor(reason: ClientUsageErrorReason, option: string, value: unknown, message: string) {
    super(message);
    this.name = "ClientUsageError";
    this.reason = reason;
    this.option = option;
    this.value = value;
  }

  /**
   * True for any `ClientUsageError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `ClientUsageError`
   * @example
   * ```ts
   * ClientUsageError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is ClientUsageError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
