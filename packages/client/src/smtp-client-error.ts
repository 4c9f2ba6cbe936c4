/**
 * Why a connection, or a message on it, failed: the session machine's
 * failure (who is to blame, and the reply that caused it) plus the few
 * failures only the socket layer sees (the TCP connection, the implicit-TLS
 * handshake, an `AbortSignal`). A server that refuses a message is not an
 * error: that is a result (`SendResult`).
 *
 * @module
 */
import type { Reply } from "@smtpkit/grammar";
import type { ClientFailureReason, ClientSessionFailure, Fault, TransactionResult } from "@smtpkit/session";

const marker = Symbol.for("@smtpkit/client/SmtpClientError");

/**
 * Why a connection failed: every `ClientFailureReason` of the session
 * machine, plus:
 * - `connection-failed`: the TCP connection could not be made or broke
 *   before the session began (refused, unreachable, reset);
 * - `connection-timeout`: the TCP connection (and, for implicit TLS, the
 *   handshake) took longer than `connectTimeout`;
 * - `certificate-pin-mismatch`: the server's certificate is not one of
 *   `tls.pinnedCertificates`.
 */
export type SmtpClientErrorReason = ClientFailureReason | "connection-failed" | "connection-timeout" | "certificate-pin-mismatch";

/**
 * A failed connection, or a message lost with it. Check with
 * {@link SmtpClientError.isInstance}; `fault` says who is to blame
 * (`remote`: the server or the network; `local`: this side's policy, the
 * program or an `AbortSignal`), `reply` holds the reply that caused it.
 *
 * @example
 * ```ts
 * import { connect, SmtpClientError } from "@smtpkit/client";
 * try {
 *   await connect({ host: "mail.example.com", port: 587, startTls: "required" });
 * } catch (error) {
 *   if (SmtpClientError.isInstance(error)) console.log(error.reason, error.fault, error.reply?.code);
 *   // "starttls-not-offered" "remote" undefined
 * }
 * ```
 */
export class SmtpClientError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "SmtpClientError" as const;
  /** Why. */
  readonly reason: SmtpClientErrorReason;
  /** Who is to blame. */
  readonly fault: Fault;
  /** The server's reply that caused it, when one did. */
  readonly reply: Reply | undefined;
  /**
   * For a message lost with its connection: the session's result for it.
   * When `result.dataSent` is true the server may have taken the message
   * (RFC 1047): retry as a temporary failure that may duplicate.
   */
  readonly result: TransactionResult | undefined;
  private readonly [marker] = true;

  /**
   * @param reason - why
   * @param fault - who is to blame
   * @param message - a sentence for logs (never holds a credential)
   * @param details - the reply, the transaction result and the underlying error, when known
   */
  constructor(
    reason: SmtpClientErrorReason,
    fault: Fault,
    message: string,
    details: { readonly reply?: Reply | undefined; readonly result?: TransactionResult | undefined; readonly cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "SmtpClientError";
    this.reason = reason;
    this.fault = fault;
    this.reply = details.reply;
    this.result = details.result;
  }

  /**
   * Makes the error for a session failure.
   *
   * @param failure - the session machine's failure
   * @param details - the transaction result and the underlying socket or TLS error, when known
   * @returns the error
   * @example
   * ```ts
   * SmtpClientError.fromFailure({ reason: "timeout", fault: "remote", message: "No reply in time." }).reason; // "timeout"
   * ```
   */
  static fromFailure(
    failure: ClientSessionFailure,
    details: { readonly result?: TransactionResult | undefined; readonly cause?: unknown } = {},
  ): SmtpClientError {
    return new SmtpClientError(failure.reason, failure.fault, failure.message, { reply: failure.reply, ...details });
  }

  /**
   * True for any `SmtpClientError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is an `SmtpClientError`
   * @example
   * ```ts
   * SmtpClientError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is SmtpClientError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
