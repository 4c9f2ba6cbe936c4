/**
 * The one error type of the SASL module: thrown only when the embedder
 * misuses the API (a bad limit, a missing nonce, a decision that does not
 * answer the request, a call in the wrong state). Bytes from the peer never
 * throw; they give a `failure` step.
 *
 * Messages never contain a credential: where the offending value could be a
 * password or token, {@link SaslError.value} is left `undefined`.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/session/SaslError");

/** What the caller got wrong. */
export type SaslErrorReason =
  /** A limit is not a positive integer, or the bounds contradict each other. */
  | "invalid-limit"
  /** An option (nonce, hostname, channel binding, mechanism list) is malformed or missing. */
  | "invalid-option"
  /** A credential given to a client is unusable (empty, NUL, refused by SASLprep). */
  | "invalid-credential"
  /** A method was called in a state that does not accept it. */
  | "wrong-state"
  /** A decision does not answer the pending request (or is malformed). */
  | "decision-mismatch";

/**
 * Thrown when the embedding program misuses the SASL API.
 *
 * Use {@link SaslError.isInstance} rather than `instanceof`: it still works
 * when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { SaslError, createSaslServer } from "@smtpkit/session";
 * try {
 *   createSaslServer({ mechanisms: ["PLAIN"], limits: { maxMessageBytes: 0 } });
 * } catch (error) {
 *   if (SaslError.isInstance(error)) console.log(error.reason); // "invalid-limit"
 * }
 * ```
 */
export class SaslError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "SaslError" as const;
  /** What was wrong. */
  readonly reason: SaslErrorReason;
  /** The offending value when it is safe to log, else `undefined`. */
  readonly value: unknown;
  private readonly [marker] = true;

  /**
   * @param reason - what was wrong
   * @param message - a sentence for humans (never containing a credential)
   * @param value - the offending value, only when it is not a secret
   */
  constructor(reason: SaslErrorReason, message: string, value?: unknown) {
    super(message);
    this.name = "SaslError";
    this.reason = reason;
    this.value = value;
  }

  /**
   * True for any `SaslError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `SaslError`
   * @example
   * ```ts
   * SaslError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is SaslError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
