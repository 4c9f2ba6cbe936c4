/**
 * The error a {@link ClientSession} throws: only when the embedding program
 * misuses it (an invalid option, a transaction that cannot be put on the
 * wire, a call in a state that does not take it). Whatever the server sends
 * never throws; it ends the session with a `session-failed` event instead,
 * whose {@link ClientSessionFailure} names the guilty party.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/session/ClientSessionError");

/** What the calling program got wrong. */
export type ClientSessionErrorReason =
  /** An option is missing, malformed, or out of range. */
  | "invalid-option"
  /** A transaction cannot be sent as given (a bad address, a CR in ENVID, no recipients). */
  | "invalid-transaction"
  /** An argument has the wrong type (content that is not a `Uint8Array`, a time that is not a number). */
  | "invalid-argument"
  /** A method was called in a state that does not accept it. */
  | "wrong-state";

/**
 * Thrown when the embedding program misuses a {@link ClientSession}. The
 * fault is always local: the caller's.
 *
 * Use {@link ClientSessionError.isInstance} rather than `instanceof`: it
 * still works when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { ClientSessionError, createClientSession } from "@smtpkit/session";
 * try {
 *   createClientSession({ hostname: "bad name" });
 * } catch (error) {
 *   if (ClientSessionError.isInstance(error)) console.log(error.reason); // "invalid-option"
 * }
 * ```
 */
export class ClientSessionError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "ClientSessionError" as const;
  /** Who is at fault: always the local caller. */
  readonly fault = "local" as const;
  /** What kind of mistake it was. */
  readonly reason: ClientSessionErrorReason;
  private readonly [marker] = true;

  /**
   * @param reason - what kind of mistake
   * @param message - a sentence for humans (never holds a credential)
   * @param options - the underlying error, when there is one
   */
  constructor(reason: ClientSessionErrorReason, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = "ClientSessionError";
    this.reason = reason;
  }

  /**
   * True for any `ClientSessionError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `ClientSessionError`
   * @example
   * ```ts
   * ClientSessionError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is ClientSessionError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
