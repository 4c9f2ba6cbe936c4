/**
 * The one error type of `@smtpkit/interop`. Every failure the harness itself
 * detects (a peer that will not start, a client that times out, a reply that
 * was not the expected one, a missing peer in CI, misuse of an option) is an
 * `InteropError` with a `reason` tag and, where there is one, the peer's log
 * or the SMTP transcript, so a failing integration test explains itself.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/interop/InteropError");

/** What went wrong, as a stable tag for assertions and logs. */
export type InteropErrorReason =
  /** A peer's program is not installed (or cannot run as this user). */
  | "peer-missing"
  /** A peer did not start listening within its start timeout, or exited. */
  | "startup-failed"
  /** A peer did not stop within its stop timeout (it was then killed). */
  | "stop-failed"
  /** A command, read or predicate did not finish in time. */
  | "timeout"
  /** A helper program (openssl, a client) failed. */
  | "command-failed"
  /** The SMTP peer answered something other than what the test expected. */
  | "unexpected-reply"
  /** The connection closed, or a line exceeded the client's bound. */
  | "connection-failed"
  /** The calling program passed an invalid option (for example port 25). */
  | "invalid-option";

/**
 * Thrown by the interop harness; carries the peer's log or the transcript.
 *
 * Use {@link InteropError.isInstance} rather than `instanceof`: it still works
 * when two copies of the package are loaded.
 *
 * @example
 * ```ts
 * import { InteropError, startPostfix } from "@smtpkit/interop";
 * try {
 *   await startPostfix();
 * } catch (error) {
 *   if (InteropError.isInstance(error)) console.log(error.reason, error.log);
 * }
 * ```
 */
export class InteropError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "InteropError" as const;
  /** What went wrong. */
  readonly reason: InteropErrorReason;
  /** The tail of the peer's log or the SMTP transcript, when there is one. */
  readonly log: string | undefined;
  private readonly [marker] = true;

  /**
   * @param reason - what went wrong
   * @param message - a sentence for humans
   * @param log - the peer's log or transcript (appended to the message)
   */
  constructor(reason: InteropErrorReason, message: string, log?: string) {
    super(log === undefined || log === "" ? message : `${message}\n--- log ---\n${log}`);
    this.name = "InteropError";
    this.reason = reason;
    this.log = log;
  }

  /**
   * True for any `InteropError`, even one from another loaded copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is an `InteropError`
   * @example
   * ```ts
   * InteropError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is InteropError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
