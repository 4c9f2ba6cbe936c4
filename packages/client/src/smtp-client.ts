/**
 * `connect(options)` and {@link SmtpClient}: one SMTP or LMTP connection on
 * `node:net`/`node:tls`, driven by the pure `ClientSession` of
 * `@smtpkit/session`. This module only moves bytes, runs the TLS handshake,
 * keeps the timer at the session's deadline and reads message content when
 * the session asks for it (as fast as the socket drains). Every protocol
 * decision (what to send, what a reply means, STARTTLS policy, which SASL
 * mechanism, PIPELINING, CHUNKING, SIZE, 8BITMIME, SMTPUTF8, DSN) is the
 * session's.
 *
 * RFC 3207 §5 / CVE-2011-0411: at the STARTTLS upgrade the plain socket stops
 * being read first; bytes already read are given to the session (which
 * refuses them), never replayed into TLS.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import type { CapabilitySet, DsnNotify, DsnReturn, BodyType, Reply } from "@smtpkit/grammar";
import {
  ClientSessionError,
  createClientSession,
  type ClientEvent,
  type ClientRecipient,
  type ClientSession,
  type ClientSessionFailure,
  type ClientTransaction,
  type RecipientResult,
  type SaslMechanismName,
  type TransactionResult,
} from "@smtpkit/session";
import { ClientUsageError } from "./client-usage-error.js";
import {
  defaultHostname,
  normalizeFingerprint,
  resolveConnectOptions,
  sessionOptionsFor,
  type ConnectOptions,
  type ResolvedConnectOptions,
} from "./connect-options.js";
import { prepareMessage, toMailbox, type AddressInput, type MessageContent, type PreparedMessage } from "./message-source.js";
import { SmtpClientError } from "./smtp-client-error.js";
import { channelBindingOf } from "./tls-channel-binding.js";

/** One recipient of {@link SendOptions.to}: an address, or an address with DSN options. */
export type RecipientInput =
  | AddressInput
  | {
      /** The recipient. */
      readonly address: AddressInput;
      /** DSN `NOTIFY=` (RFC 3461 §4.1), sent only when the server offers DSN. */
      readonly notify?: readonly DsnNotify[];
      /** DSN `ORCPT=` (RFC 3461 §4.2). */
      readonly orcpt?: ClientRecipient["orcpt"];
    };

/**
 * One message for {@link SmtpClient.send}.
 *
 * @example
 * ```ts
 * const mail: SendOptions = {
 *   from: "alice@example.com",
 *   to: ["bob@example.org", { address: "carol@example.org", notify: ["FAILURE"] }],
 *   message: new TextEncoder().encode("Subject: hi\r\n\r\nHello.\r\n"),
 * };
 * ```
 */
export interface SendOptions {
  /**
   * The reverse-path; `null` for the null sender `<>` (bounces). Required
   * unless `message` is a `@smtpkit/mime` spec (then its From, or Sender).
   */
  readonly from?: AddressInput | null;
  /** The recipients. Required unless `message` is a spec (then its To, Cc and Bcc). */
  readonly to?: readonly RecipientInput[];
  /** The content. */
  readonly message: MessageContent;
  /**
   * The size in octets (RFC 1870), sent as `SIZE=` when offered. Default:
   * the length of in-memory content; unknown for streams.
   */
  readonly size?: number;
  /**
   * The body type (RFC 6152). Default: `8BITMIME` for in-memory content with
   * an 8-bit octet, else unset (7-bit). A stream with 8-bit octets must say
   * so, or the session aborts it before its end to a server without 8BITMIME.
   */
  readonly body?: BodyType;
  /** Ask for SMTPUTF8 (RFC 6531); implied by a non-ASCII address. */
  readonly smtputf8?: boolean;
  /** REQUIRETLS (RFC 8689). */
  readonly requireTls?: boolean;
  /** DSN `RET=` (RFC 3461 §4.3). */
  readonly ret?: DsnReturn;
  /** DSN `ENVID=` (RFC 3461 §4.4). */
  readonly envid?: string;
}

/** What happened to one recipient. */
export interface RecipientReport {
  /** The recipient, as sent (`local@domain`). */
  readonly address: string;
  /** `accepted`, `rejected`, or `not-attempted` (the transaction ended before RCPT was answered). */
  readonly status: RecipientResult["status"];
  /** Whether a rejection was temporary (4yz). */
  readonly temporary: boolean;
  /** The deciding reply's code: LMTP's per-recipient reply after the data, else the RCPT reply. */
  readonly code: number | undefined;
  /** Its enhanced status code (RFC 3463), when the server sent one. */
  readonly enhanced: string | undefined;
  /** Its text, lines joined with a newline. */
  readonly text: string | undefined;
}

/**
 * What {@link SmtpClient.send} resolves with: the server accepted the message
 * (for some recipients at least), rejected it, or the client refused to send
 * it. Only a lost connection rejects the promise.
 *
 * @example
 * ```ts
 * // { status: "accepted", code: 250, enhanced: "2.0.0", text: "Ok: queued as 4Zx...", accepted: ["bob@example.org"],
 * //   rejected: [], recipients: [...], transaction: {...} }
 * ```
 */
export interface SendResult {
  /**
   * `accepted` (for at least one recipient), `rejected` (by the server:
   * MAIL, every RCPT, DATA or the content), or `refused` by this client
   * before anything was sent (`refusal` says why: 8-bit content to a server
   * without 8BITMIME, a size over its SIZE...).
   */
  readonly status: "accepted" | "rejected" | "refused";
  /** Whether a rejection was temporary: try again later. */
  readonly temporary: boolean;
  /** The reply that decided the transaction: after the content, else MAIL's refusal, else DATA's. */
  readonly code: number | undefined;
  /** Its enhanced status code. */
  readonly enhanced: string | undefined;
  /** Its text. */
  readonly text: string | undefined;
  /** The recipients the server took the message for. */
  readonly accepted: readonly string[];
  /** The recipients it refused. */
  readonly rejected: readonly string[];
  /** Per recipient, in the order given. */
  readonly recipients: readonly RecipientReport[];
  /** For `refused`: why. */
  readonly refusal: TransactionResult["refusal"];
  /** The session's full result, with every reply. */
  readonly transaction: TransactionResult;
}

function replyText(reply: Reply | undefined): string | undefined {
  return reply === undefined ? undefined : reply.lines.join("\n");
}

function addressText(recipient: RecipientResult): string {
  return recipient.address.domain === "" ? recipient.address.localPart : `${recipient.address.localPart}@${recipient.address.domain}`;
}

/** Turns a session result into a {@link SendResult}. */
function toSendResult(result: TransactionResult): SendResult {
  // A refused MAIL decides before DATA's reply: pipelined DATA behind it only gets "503 need MAIL".
  const deciding =
    result.messageReply ??
    (result.mailReply !== undefined && result.mailReply.code >= 400 ? result.mailReply : undefined) ??
    (result.dataReply !== undefined && result.dataReply.code !== 354 ? result.dataReply : undefined);
  const recipients = result.recipients.map((recipient): RecipientReport => {
    const reply = recipient.deliveryReply ?? recipient.rcptReply;
    return {
      address: addressText(recipient),
      status: recipient.status,
      temporary: recipient.temporary,
      code: reply?.code,
      enhanced: reply?.enhanced,
      text: replyText(reply),
    };
  });
  return {
    status: result.status === "aborted" ? "rejected" : result.status,
    temporary: result.temporary,
    code: deciding?.code,
    enhanced: deciding?.enhanced,
    text: replyText(deciding),
    accepted: recipients.filter((recipient) => recipient.status === "accepted").map((recipient) => recipient.address),
    rejected: recipients.filter((recipient) => recipient.status === "rejected").map((recipient) => recipient.address),
    recipients,
    refusal: result.refusal,
    transaction: result,
  };
}

interface PendingSend {
  readonly message: PreparedMessage;
  readonly resolve: (result: SendResult) => void;
  readonly reject: (error: unknown) => void;
  /** Set when reading the content failed: the send rejects with it. */
  sourceError?: unknown;
  /** A synchronous source's next step, read one ahead (see {@link SmtpClient}'s `#pull`). */
  lookahead?: IteratorResult<Uint8Array> | undefined;
  /** The end of the content was given to the session: nothing more to read. */
  contentEnded?: boolean;
}

/** A SCRAM client nonce (RFC 5802 §5.1): 24 random octets, base64 (no ","). */
function scramNonce(): string {
  return randomBytes(24).toString("base64");
}

/**
 * One connection to an SMTP or LMTP server, ready for messages: the greeting,
 * EHLO, STARTTLS and AUTH are done. Made by {@link connect}.
 *
 * Messages are sent in the order `send` was called, several over one
 * connection; with PIPELINING the next envelope follows without waiting.
 *
 * @example
 * ```ts
 * import { connect } from "@smtpkit/client";
 * const client = await connect({ host: "smtp.example.com", port: 587, auth: { username: "alice", password } });
 * const result = await client.send({ from: "alice@example.com", to: ["bob@example.org"], message });
 * console.log(result.status, result.code, result.accepted);
 * await client.close();
 * ```
 */
export class SmtpClient {
  readonly #session: ClientSession;
  readonly #options: ResolvedConnectOptions;
  #socket: net.Socket;
  readonly #pending = new Map<number, PendingSend>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt: number | undefined;
  #ended = false;
  #closeRequested = false;
  #failure: ClientSessionFailure | undefined;
  #socketError: Error | undefined;
  #capabilities: CapabilitySet | undefined;
  #serverName = "";
  #greeting: Reply | undefined;
  #tls: boolean;
  #authenticated: SaslMechanismName | undefined;
  readonly #ready: Promise<void>;
  #readyResolve: (() => void) | undefined;
  #readyReject: ((error: unknown) => void) | undefined;
  readonly #closed: Promise<void>;
  #closedResolve!: () => void;
  #socketClosed = false;
  #pinMismatch = false;
  readonly #onAbort: () => void;

  /**
   * Internal: use {@link connect}.
   *
   * @hidden
   */
  constructor(socket: net.Socket, session: ClientSession, options: ResolvedConnectOptions) {
    this.#socket = socket;
    this.#session = session;
    this.#options = options;
    this.#tls = options.implicitTls;
    this.#ready = new Promise((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.#closed = new Promise((resolve) => {
      this.#closedResolve = resolve;
    });
    this.#onAbort = () => this.#abort(`the signal was aborted: ${String(options.signal?.reason)}`);
    socket.on("data", this.#onData);
    socket.on("close", this.#onClose);
    socket.on("error", this.#onError);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    session.connected(performance.now());
    this.#flush();
    if (options.signal?.aborted === true) this.#onAbort();
  }

  /**
   * Resolves once the session is ready for messages (internal, for {@link connect}).
   *
   * @hidden
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * What the server offered in its last EHLO/LHLO reply (after STARTTLS, the
   * one over TLS).
   *
   * @example
   * ```ts
   * client.capabilities?.has("CHUNKING"); // true against Postfix
   * ```
   */
  get capabilities(): CapabilitySet | undefined {
    return this.#capabilities;
  }

  /**
   * The server's name for itself, from its EHLO reply.
   *
   * @example
   * ```ts
   * client.serverName; // "mx.example.org"
   * ```
   */
  get serverName(): string {
    return this.#serverName;
  }

  /**
   * The server's 220 greeting.
   *
   * @example
   * ```ts
   * client.greeting?.lines[0]; // "mx.example.org ESMTP Postfix"
   * ```
   */
  get greeting(): Reply | undefined {
    return this.#greeting;
  }

  /**
   * Whether the connection is protected by TLS (implicit, or after STARTTLS).
   *
   * @example
   * ```ts
   * if (!client.secure) console.warn("sending in clear text");
   * ```
   */
  get secure(): boolean {
    return this.#tls;
  }

  /**
   * The SASL mechanism that authenticated, if any.
   *
   * @example
   * ```ts
   * client.authenticatedWith; // "SCRAM-SHA-256-PLUS"
   * ```
   */
  get authenticatedWith(): SaslMechanismName | undefined {
    return this.#authenticated;
  }

  /**
   * Why the connection failed, once it has.
   *
   * @example
   * ```ts
   * client.failure?.reason; // "connection-closed"
   * ```
   */
  get failure(): ClientSessionFailure | undefined {
    return this.#failure;
  }

  /**
   * Whether the connection is over (closed, failed or aborted).
   *
   * @example
   * ```ts
   * if (client.ended) client = await connect(options);
   * ```
   */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Sends one message. Messages go out in call order; several may be
   * queued at once.
   *
   * @param mail - the envelope and the content
   * @returns the outcome: accepted, rejected by the server, or refused by the client
   * @throws {@link ClientUsageError} (synchronously as a rejected promise) for an envelope or
   *   message that cannot be sent, or after {@link SmtpClient.close}
   * @throws {@link SmtpClientError} when the connection fails before the outcome is known
   *   (its `result.dataSent` says whether the server may have the message anyway)
   * @example
   * ```ts
   * const result = await client.send({ from: "a@example.com", to: ["b@example.org"], message: bytes });
   * if (result.status !== "accepted") console.log(result.code, result.text);
   * ```
   */
  send(mail: SendOptions): Promise<SendResult> {
    let prepared: PreparedMessage | undefined;
    try {
      if (this.#closeRequested) throw new ClientUsageError("wrong-state", "send", undefined, "send() after close().");
      if (typeof mail !== "object" || mail === null) throw new ClientUsageError("invalid-message", "mail", mail, "send() takes { from, to, message }.");
      const message = prepareMessage(mail.message, this.#options.messageChunkSize);
      prepared = message;
      const from = mail.from !== undefined ? mail.from : message.envelope?.from;
      if (from === undefined) throw new ClientUsageError("invalid-message", "from", undefined, "from is required (null for the null sender).");
      const to = mail.to ?? message.envelope?.to;
      if (to === undefined || to.length === 0) throw new ClientUsageError("invalid-message", "to", to, "to needs at least one recipient.");
      const recipients = to.map((recipient): ClientRecipient => {
        if (typeof recipient === "object" && recipient !== null && "address" in recipient) {
          return {
            address: toMailbox(recipient.address, "to"),
            ...(recipient.notify === undefined ? {} : { notify: recipient.notify }),
            ...(recipient.orcpt === undefined ? {} : { orcpt: recipient.orcpt }),
          };
        }
        return { address: toMailbox(recipient, "to") };
      });
      const size = mail.size ?? message.size;
      const body = mail.body ?? (message.eightBit ? "8BITMIME" : undefined);
      const transaction: ClientTransaction = {
        from: from === null ? null : toMailbox(from, "from"),
        recipients,
        ...(size === undefined ? {} : { size }),
        ...(body === undefined ? {} : { body }),
        ...(mail.smtputf8 === undefined ? {} : { smtputf8: mail.smtputf8 }),
        ...(mail.requireTls === undefined ? {} : { requireTls: mail.requireTls }),
        ...(mail.ret === undefined ? {} : { ret: mail.ret }),
        ...(mail.envid === undefined ? {} : { envid: mail.envid }),
      };
      return new Promise<SendResult>((resolve, reject) => {
        let id: number;
        const pending: PendingSend = { message, resolve, reject };
        try {
          // On a failed session the result comes at once, as an output: the flush below reads it, once registered.
          id = this.#session.send(transaction, performance.now());
        } catch (error) {
          void closeIterator(message);
          reject(
            ClientSessionError.isInstance(error)
              ? new ClientUsageError("invalid-message", "mail", undefined, error.message)
              : error,
          );
          return;
        }
        this.#pending.set(id, pending);
        this.#flush();
      });
    } catch (error) {
      if (prepared !== undefined) void closeIterator(prepared);
      return Promise.reject(error);
    }
  }

  /**
   * Ends the connection politely: QUIT once the messages already queued are
   * done, then waits for the socket to close. Calling it again gives the same promise.
   *
   * @returns when the connection is closed
   * @example
   * ```ts
   * await client.close();
   * ```
   */
  close(): Promise<void> {
    if (!this.#closeRequested) {
      this.#closeRequested = true;
      if (!this.#ended) {
        this.#session.quit(performance.now());
        this.#flush();
      }
    }
    return this.#closed;
  }

  /**
   * Ends the connection at once, without QUIT (shutting down). Messages in
   * flight fail with an {@link SmtpClientError} (`aborted`, local).
   *
   * @param reason - why, for logs
   * @returns when the socket is closed
   * @example
   * ```ts
   * process.once("SIGTERM", () => client.destroy("shutting down"));
   * ```
   */
  destroy(reason = "destroyed by the program"): Promise<void> {
    this.#closeRequested = true;
    this.#abort(reason);
    return this.#closed;
  }

  // --- Driving the session ------------------------------------------------------

  readonly #onData = (chunk: Buffer): void => {
    this.#session.receive(chunk, performance.now());
    this.#flush();
  };

  readonly #onClose = (): void => {
    this.#socketClosed = true;
    this.#session.peerClosed(performance.now());
    this.#flush();
    this.#finish();
    this.#closedResolve();
  };

  readonly #onError = (error: Error): void => {
    // 'close' follows; the session hears about it then.
    this.#socketError ??= error;
  };

  #abort(reason: string): void {
    if (this.#ended) return;
    this.#session.abort(reason, performance.now());
    this.#flush();
  }

  #flush(): void {
    const session = this.#session;
    // Writes of one flush (a pipelined envelope, a content chunk and its BDAT header) leave in one syscall.
    let corked: net.Socket | undefined;
    for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
      switch (output.type) {
        case "write":
          if (this.#socket.destroyed) break;
          if (corked !== this.#socket) {
            corked?.uncork();
            corked = this.#socket;
            corked.cork();
          }
          this.#socket.write(output.bytes);
          break;
        case "start-tls":
          corked?.uncork();
          corked = undefined;
          this.#startTls();
          break;
        case "close":
          corked?.uncork();
          corked = undefined;
          this.#finish();
          this.#socket.destroy();
          break;
        case "event":
          this.#onEvent(output.event);
          break;
      }
    }
    corked?.uncork();
    this.#schedule();
  }

  /** Keeps one timer at the session's deadline (RFC 5321 §4.5.3.2). */
  #schedule(): void {
    const deadline = this.#ended ? undefined : this.#session.deadline();
    if (deadline === this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = deadline;
    if (deadline === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.#session.tick(performance.now());
      this.#flush();
    }, Math.max(0, Math.ceil(deadline - performance.now())) + 1);
    this.#timer.unref();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    // Anything still waiting (a session closed without a failure before it was ready).
    if (this.#readyReject !== undefined) {
      const failure = this.#failure ?? { reason: "connection-closed", fault: "remote", message: "The connection closed before the session was ready." };
      this.#readyReject(SmtpClientError.fromFailure(failure, { cause: this.#socketError }));
      this.#readyResolve = undefined;
      this.#readyReject = undefined;
    }
    if (this.#socketClosed) this.#closedResolve();
  }

  #onEvent(event: ClientEvent): void {
    if (this.#options.onEvent !== undefined) {
      try {
        this.#options.onEvent(event);
      } catch {
        // A logger's failure must not break the connection.
      }
    }
    switch (event.type) {
      case "greeting-received":
        this.#greeting = event.reply;
        break;
      case "capabilities-received":
        this.#capabilities = event.capabilities;
        this.#serverName = event.domain;
        this.#tls = event.tls;
        break;
      case "auth-succeeded":
        this.#authenticated = event.mechanism;
        break;
      case "session-ready":
        this.#tls = event.tls;
        this.#readyResolve?.();
        this.#readyResolve = undefined;
        this.#readyReject = undefined;
        break;
      case "session-failed": {
        const failure = this.#socketError !== undefined && event.failure.reason === "connection-closed"
          ? { ...event.failure, message: `${event.failure.message} (${this.#socketError.message})` }
          : event.failure;
        this.#failure = failure;
        const error = SmtpClientError.fromFailure(failure, { cause: this.#socketError });
        this.#readyReject?.(
          this.#pinMismatch && failure.reason === "tls-handshake-failed"
            ? new SmtpClientError("certificate-pin-mismatch", "remote", failure.message)
            : error,
        );
        this.#readyResolve = undefined;
        this.#readyReject = undefined;
        break;
      }
      case "message-chunk-needed":
        void this.#pull(event.id);
        break;
      case "transaction-result": {
        const pending = this.#pending.get(event.result.id);
        if (pending === undefined) break;
        this.#pending.delete(event.result.id);
        const result = event.result;
        if (result.status !== "aborted") {
          pending.resolve(toSendResult(result));
          break;
        }
        void closeIterator(pending.message);
        if (pending.sourceError !== undefined) {
          pending.reject(pending.sourceError);
          break;
        }
        const failure = this.#failure ?? { reason: "aborted", fault: "local", message: "The connection ended." };
        pending.reject(SmtpClientError.fromFailure(failure, { result, cause: this.#socketError }));
        break;
      }
    }
  }

  /** Reads the next piece of a message once the socket has room, and hands it to the session. */
  async #pull(id: number): Promise<void> {
    const pending = this.#pending.get(id);
    if (pending === undefined || pending.contentEnded === true) return;
    if (this.#socket.writableNeedDrain) await drained(this.#socket);
    if (this.#ended) return;
    let next: IteratorResult<Uint8Array>;
    let last = false;
    try {
      // Always awaited (even a step read ahead), so that a long message is read in turns, not by recursion.
      const ahead = pending.lookahead;
      pending.lookahead = undefined;
      next = await (ahead ?? pending.message.chunks.next());
      // A synchronous source is read one step ahead: its last chunk and the end of
      // data then go to the session together and leave in one write (one syscall,
      // one TCP segment for a small message) instead of two.
      if (pending.message.synchronous && next.done !== true) {
        const after = (pending.message.chunks as Iterator<Uint8Array>).next();
        if (after.done === true) last = true;
        else pending.lookahead = after;
      }
    } catch (error) {
      pending.sourceError = error;
      this.#abort(`reading the message failed: ${(error as Error)?.message ?? String(error)}`);
      return;
    }
    if (this.#ended) return;
    const now = performance.now();
    if (next.done === true) {
      pending.contentEnded = true;
      this.#session.endMessage(now);
    } else if (!(next.value instanceof Uint8Array)) {
      pending.sourceError = new ClientUsageError("invalid-message", "message", next.value, "A message iterable must yield Uint8Array chunks.");
      this.#abort("the message yielded something that is not a Uint8Array");
      return;
    } else if (!this.#session.provideMessage(next.value, now)) {
      void closeIterator(pending.message);
    } else if (last) {
      pending.contentEnded = true;
      this.#session.endMessage(now);
    }
    this.#flush();
  }

  #startTls(): void {
    const plain = this.#socket;
    // RFC 3207 §5: stop reading clear text first. Anything already read goes
    // to the session, which refuses it (starttls-injection); none of it
    // reaches the TLS layer.
    plain.off("data", this.#onData);
    plain.off("close", this.#onClose);
    plain.pause();
    const leftover: Buffer | null = plain.read();
    if (leftover !== null && leftover.length > 0) {
      plain.on("close", this.#onClose);
      this.#session.receive(leftover, performance.now());
      return; // the flush loop picks up the close
    }
    const options = this.#options;
    const secure = tls.connect(tlsConnectOptions(options, { socket: plain }));
    let established = false;
    secure.once("secureConnect", () => {
      const pinProblem = checkPin(secure, options);
      if (pinProblem !== undefined) {
        this.#pinMismatch = true;
        this.#session.tlsFailed(pinProblem, performance.now());
        this.#flush();
        return;
      }
      established = true;
      const channelBinding = channelBindingOf(secure, options.tls.channelBinding ?? "auto");
      this.#session.tlsEstablished(channelBinding === undefined ? {} : { channelBinding }, performance.now());
      this.#flush();
    });
    secure.on("error", (error) => {
      if (!established && !this.#ended) {
        this.#session.tlsFailed(error.message, performance.now());
        this.#flush();
      } else this.#onError(error);
    });
    secure.on("data", this.#onData);
    secure.on("close", this.#onClose);
    this.#socket = secure;
  }
}

/** Closes a message iterator that will not be read to its end (an open file, a stream). */
async function closeIterator(message: PreparedMessage): Promise<void> {
  try {
    await message.chunks.return?.();
  } catch {
    // The source's own clean-up failed; the send already has its outcome.
  }
}

/** Resolves when the socket drains or closes. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

/** The `tls.connect` options for the resolved client options. */
function tlsConnectOptions(options: ResolvedConnectOptions, extra: tls.ConnectionOptions): tls.ConnectionOptions {
  const name = options.tls.servername ?? options.host;
  const pinned = options.pins !== undefined;
  return {
    ...extra,
    // RFC 6066 §3: no IP address in SNI.
    ...(net.isIP(name) === 0 ? { servername: name } : {}),
    // RFC 6125: the certificate must name the server (host, or tls.servername).
    checkServerIdentity: (_host: string, certificate: tls.PeerCertificate) => tls.checkServerIdentity(name, certificate),
    ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca as tls.ConnectionOptions["ca"] }),
    // A pin replaces the chain and name checks; it is checked after the handshake.
    rejectUnauthorized: pinned ? false : options.tls.rejectUnauthorized !== false,
    minVersion: options.tls.minVersion ?? "TLSv1.2",
  };
}

/** Checks the certificate pin; returns the problem, if any. */
function checkPin(secure: tls.TLSSocket, options: ResolvedConnectOptions): string | undefined {
  if (options.pins === undefined) return undefined;
  const certificate = secure.getPeerX509Certificate();
  if (certificate === undefined) return "The server sent no certificate to check against the pin.";
  const fingerprint = normalizeFingerprint(certificate.fingerprint256);
  return options.pins.has(fingerprint) ? undefined : `The server's certificate (SHA-256 ${fingerprint}) is not pinned.`;
}

/**
 * Opens a connection and gets it ready for messages: the greeting, EHLO,
 * STARTTLS (by policy) and AUTH. With `startTls: "required"` (the default)
 * or `implicitTls`, nothing but EHLO and STARTTLS is ever sent in clear text,
 * and a certificate that does not verify ends the connection first.
 *
 * @param options - see {@link ConnectOptions}
 * @returns the ready client
 * @throws {@link ClientUsageError} for options that cannot be right (before connecting)
 * @throws {@link SmtpClientError} when the connection cannot be made ready: refused, timed out,
 *   greeting or EHLO refused, STARTTLS missing or failed under `required`, a bad certificate,
 *   authentication refused...
 * @example
 * ```ts
 * import { connect } from "@smtpkit/client";
 * const client = await connect({
 *   host: "smtp.example.com",
 *   port: 587,
 *   startTls: "required",
 *   auth: { username: "alice", password: process.env.SMTP_PASSWORD ?? "" },
 * });
 * ```
 */
export async function connect(options: ConnectOptions): Promise<SmtpClient> {
  const resolved = resolveConnectOptions(options);
  const nonce = options.auth === undefined ? "" : scramNonce();
  // Checks the session's own options now, before any connection is made.
  try {
    createClientSession(sessionOptionsFor(options, options.hostname ?? "localhost.localdomain", nonce || "unused-nonce", resolved));
  } catch (error) {
    if (ClientSessionError.isInstance(error)) throw new ClientUsageError("invalid-option", "options", undefined, error.message);
    throw error;
  }
  const socket = await openSocket(resolved);
  let session: ClientSession;
  try {
    const hostname = options.hostname ?? defaultHostname(socket.localAddress);
    const sessionOptions = sessionOptionsFor(options, hostname, nonce, resolved);
    const binding = socket instanceof tls.TLSSocket ? channelBindingOf(socket, resolved.tls.channelBinding ?? "auto") : undefined;
    session = createClientSession(binding === undefined ? sessionOptions : { ...sessionOptions, channelBinding: binding });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  const client = new SmtpClient(socket, session, resolved);
  await client.ready;
  return client;
}

/** Opens the TCP (or implicit-TLS) connection, within `connectTimeout` and the signal. */
function openSocket(options: ResolvedConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted === true) {
      reject(new SmtpClientError("aborted", "local", "The signal was aborted before connecting.", { cause: signal.reason }));
      return;
    }
    const socket: net.Socket = options.implicitTls
      ? tls.connect(tlsConnectOptions(options, { port: options.port, host: options.host }))
      : net.connect({ port: options.port, host: options.host });
    let tcpConnected = false;
    socket.once("connect", () => {
      tcpConnected = true;
    });
    const settle = (error: SmtpClientError | undefined): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      socket.off(options.implicitTls ? "secureConnect" : "connect", onConnect);
      if (error === undefined) resolve(socket);
      else {
        socket.destroy();
        reject(error);
      }
    };
    const onConnect = (): void => {
      if (options.implicitTls) {
        const problem = checkPin(socket as tls.TLSSocket, options);
        if (problem !== undefined) {
          settle(new SmtpClientError("certificate-pin-mismatch", "remote", problem));
          return;
        }
      }
      socket.setNoDelay(true);
      settle(undefined);
    };
    const onError = (error: Error): void => {
      // With implicit TLS, an error once TCP is up is the handshake's (a certificate that does not verify).
      const tlsProblem = options.implicitTls && tcpConnected;
      settle(
        new SmtpClientError(
          tlsProblem ? "tls-handshake-failed" : "connection-failed",
          "remote",
          `Connecting to ${options.host}:${options.port} failed: ${error.message}`,
          { cause: error },
        ),
      );
    };
    const onAbort = (): void => settle(new SmtpClientError("aborted", "local", "The signal was aborted while connecting.", { cause: signal?.reason }));
    const timer = setTimeout(
      () => settle(new SmtpClientError("connection-timeout", "remote", `No connection to ${options.host}:${options.port} within ${options.connectTimeout} ms.`)),
      options.connectTimeout,
    );
    socket.once(options.implicitTls ? "secureConnect" : "connect", onConnect);
    socket.on("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
