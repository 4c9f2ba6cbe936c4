/**
 * The one error type of `@smtpkit/mime`. It is thrown for caller misuse (a CR
 * or LF inside a header value given to the encoder, an invalid limit value)
 * and, only when the caller asked for it with `onLimit: "error"`, when a
 * parser limit is hit. Malformed input never throws: the parser and the
 * decoders repair what they can and flag what they could not.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/mime/MimeError");

/** What went wrong, as a stable tag. */
export type MimeErrorReason =
  /** A header name or value given to the encoder holds CR, LF, NUL or is otherwise unusable. */
  | "invalid-header"
  /** An address given to the encoder cannot be written safely. */
  | "invalid-address"
  /** A limit option is not a positive safe integer (or not one of the accepted values). */
  | "invalid-limit"
  /** Some other argument is of the wrong shape (a boundary, a charset, a body). */
  | "invalid-argument"
  /** A parser limit was hit while `onLimit` is `"error"`. */
  | "limit-exceeded"
  /** The parser was used after `end()`. */
  | "parser-closed";

/**
 * The typed error of `@smtpkit/mime`.
 *
 * Use {@link MimeError.isInstance} rather than `instanceof`: it still works
 * when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { MimeError, buildMessage } from "@smtpkit/mime";
 * try {
 *   buildMessage({ from: "a@example.com", subject: "Hi\r\nBcc: victim@example.com", text: "" });
 * } catch (error) {
 *   if (MimeError.isInstance(error)) console.log(error.reason); // "invalid-header"
 * }
 * ```
 */
export class MimeError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "MimeError" as const;
  /** What went wrong. */
  readonly reason: MimeErrorReason;
  /** The offending value or limit name, as given. */
  readonly value: unknown;
  private readonly [marker] = true;

  /**
   * @param reason - what went wrong
   * @param value - the offending value
   * @param message - a sentence for humans
   */
  constructor(reason: MimeErrorReason, value: unknown, message: string) {
    super(message);
    this.name = "MimeError";
    this.reason = reason;
    this.value = value;
  }

  /**
   * True for any `MimeError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `MimeError`
   * @example
   * ```ts
   * MimeError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is MimeError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
