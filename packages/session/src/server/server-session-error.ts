/**
 * The one error type of the server session: thrown only when the embedding
 * program misuses the API (an invalid option, a decision for an unknown
 * request, an input in a state that cannot take it, a reply the protocol
 * does not allow). Bytes from the client never throw; they are answered.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/session/ServerSessionError");

/** What the embedder got wrong. */
export type ServerSessionErrorReason =
  /** An option is missing, of the wrong type, or out of range. */
  | "invalid-option"
  /** A decision names no pending request, answers one twice, or does not fit it. */
  | "invalid-decision"
  /** An input was given in a state that cannot take it (`tlsEstablished` without STARTTLS, `connect` twice...). */
  | "wrong-state"
  /** A time input is not a finite number. */
  | "invalid-time"
  /** An input of the wrong type (`receive` given something other than a `Uint8Array`). */
  | "invalid-argument";

/**
 * Thrown when the embedding program misuses a `ServerSession`.
 *
 * Use {@link ServerSessionError.isInstance} rather than `instanceof`: it
 * still works when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { createServerSession, ServerSessionError } from "@smtpkit/session";
 * try {
 *   createServerSession({ hostname: "mx.example.com", limits: { maxRecipients: 0 } });
 * } catch (error) {
 *   if (ServerSessionError.isInstance(error)) console.log(error.reason); // "invalid-option"
 * }
 * ```
 */
export class ServerSessionError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "ServerSessionError" as const;
  /** What was wrong. */
  readonly reason: ServerSessionErrorReason;
  /** The offending value, when it is safe to log (never a credential). */
  readonly value: unknown;
  private readonly [marker] = true;

  /**
   * @param reason - what was wrong
   * @param message - a sentence for humans
   * @param value - the offending value, when it is not a secret
   */
  constructor(reason: ServerSessionErrorReason, message: string, value?: unknown) {
    super(message);
    this.name = "ServerSessionError";
    this.reason = reason;
    this.value = value;
  }

  /**
   * True for any `ServerSessionError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `ServerSessionError`
   * @example
   * ```ts
   * ServerSessionError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is ServerSessionError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
