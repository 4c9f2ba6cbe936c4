/**
 * The client side of an SMTP (or LMTP) session as a pure state machine:
 * bytes and decisions in, bytes and events out. It reads the greeting, says
 * EHLO (HELO when EHLO is not understood), upgrades with STARTTLS as the
 * policy says, authenticates with the strongest mechanism both sides allow,
 * then runs the queued transactions (MAIL, RCPT, DATA or BDAT, RSET between
 * them when needed) and QUIT.
 *
 * What it does not do: sockets, TLS, DNS, timers, randomness, MIME. The
 * embedder writes the `write` outputs, performs `start-tls`, feeds what it
 * reads to {@link ClientSession.receive}, and calls
 * {@link ClientSession.tick} with the time so that deadlines can pass.
 *
 * RFCs: 5321 (SMTP), 2920 (PIPELINING), 3207 (STARTTLS), 4954 (AUTH),
 * 1870 (SIZE), 6152 (8BITMIME), 3030 (CHUNKING, BINARYMIME), 6531 (SMTPUTF8),
 * 3461 (DSN), 8689 (REQUIRETLS), 2033 (LMTP).
 *
 * @module
 */
import {
  CapabilitySet,
  DataEncoder,
  decodeBase64,
  encodeBase64,
  encodeCommand,
  GrammarError,
  parseEhloReply,
  ReplyReader,
  type Command,
  type Reply,
  type ReplyReaderEvent,
} from "@smtpkit/grammar";
import { checkChannelBinding, type SaslChannelBinding } from "../sasl/channel-binding.js";
import type { SaslClientMechanism } from "../sasl/client-types.js";
import type { SaslMechanismName } from "../sasl/mechanism-names.js";
import { chooseMechanism, createSaslClient } from "../sasl/sasl-client.js";
import { SaslError } from "../sasl/sasl-error.js";
import type { ClientTimeouts } from "./client-limits.js";
import { resolveClientOptions, type AuthSettings } from "./client-options.js";
import { ClientSessionError } from "./client-session-error.js";
import type {
  ClientEvent,
  ClientFailureReason,
  ClientOutput,
  ClientSessionFailure,
  ClientSessionOptions,
  ClientSessionSnapshot,
  ClientState,
  ClientTransaction,
  Fault,
  RecipientResult,
  StartTlsPolicy,
  TlsInfo,
  TransactionResult,
} from "./client-types.js";
import { hasEightBitOctet, hasNulOctet, LineEndingRepair } from "./line-endings.js";
import { checkTransaction, planTransaction, type TransactionPlan } from "./transaction-plan.js";
import { findTransition, nextState, type SessionInput, type SessionState } from "../transition-table.js";

/**
 * A reply the session waits for, oldest first. `input` is the transition
 * table's input the reply answers (absent for the second and later LMTP
 * replies to one end of data).
 */
type Expectation = { readonly input?: SessionInput } & (
  | { readonly kind: "greeting" }
  | { readonly kind: "hello"; readonly verb: "EHLO" | "LHLO" | "HELO" }
  | { readonly kind: "starttls" }
  | { readonly kind: "auth" }
  | { readonly kind: "mail"; readonly id: number }
  | { readonly kind: "rcpt"; readonly id: number; readonly index: number }
  | { readonly kind: "data"; readonly id: number }
  | { readonly kind: "bdat"; readonly id: number }
  | { readonly kind: "data-end"; readonly id: number }
  | { readonly kind: "lmtp-recipient"; readonly id: number; readonly index: number }
  | { readonly kind: "rset" }
  | { readonly kind: "quit" }
);

/** The transaction in progress. */
interface Active {
  readonly id: number;
  readonly transaction: ClientTransaction;
  readonly plan: TransactionPlan;
  readonly pipelined: boolean;
  /** DATA went out with MAIL and the RCPTs, as the last command of their group (RFC 2920 §3.1). */
  readonly dataPipelined: boolean;
  phase: "envelope" | "data" | "content" | "data-end" | "draining";
  mailReply: Reply | undefined;
  readonly rcptReplies: (Reply | undefined)[];
  /** Non-pipelined: the next RCPT to send. */
  nextRcpt: number;
  /** Indexes of the recipients accepted at RCPT. */
  readonly accepted: number[];
  dataReply: Reply | undefined;
  messageReply: Reply | undefined;
  readonly deliveryReplies: (Reply | undefined)[];
  bytesTaken: number;
  encoder: DataEncoder | undefined;
  repair: LineEndingRepair | undefined;
  /** BDAT: pieces waiting for the window to open. */
  readonly pieces: Uint8Array[];
  outstanding: number;
  contentEnded: boolean;
  lastSent: boolean;
  dataSent: boolean;
  chunkAsked: boolean;
  finished: boolean;
}

/** A transaction waiting to start. */
interface Queued {
  readonly id: number;
  readonly transaction: ClientTransaction;
}

const noBytes = new Uint8Array(0);
const ascii = new TextEncoder();
/** An empty message's end of data: what follows a 354 that should not have come (RFC 2920 §3.1). */
const emptyMessageEnd = ascii.encode(".\r\n");

function isPositive(reply: Reply): boolean {
  return reply.code >= 200 && reply.code < 300;
}

function isIntermediate(reply: Reply): boolean {
  return reply.code >= 300 && reply.code < 400;
}

function isTemporary(reply: Reply): boolean {
  return reply.code >= 400 && reply.code < 500;
}

function checkTime(now: number): number {
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new ClientSessionError("invalid-argument", `The time must be a finite number, got ${String(now)}.`);
  }
  return now;
}

/**
 * A client SMTP/LMTP session. Create one with {@link createClientSession}.
 *
 * Inputs: {@link ClientSession.connected}, {@link ClientSession.receive},
 * {@link ClientSession.tlsEstablished}, {@link ClientSession.peerClosed},
 * {@link ClientSession.tick}, and the embedder's requests
 * {@link ClientSession.send}, {@link ClientSession.provideMessage},
 * {@link ClientSession.endMessage}, {@link ClientSession.quit}.
 * Outputs: {@link ClientSession.nextOutput} / {@link ClientSession.takeOutputs}.
 *
 * Times are numbers in milliseconds on any clock the embedder likes
 * (`performance.now()`, `Date.now()`), as long as it does not go back.
 *
 * @example
 * ```ts
 * import { createClientSession } from "@smtpkit/session";
 * const session = createClientSession({ hostname: "client.example.com" });
 * session.connected(0);
 * session.send({ from: { localPart: "a", domain: "example.com" }, recipients: [{ address: { localPart: "b", domain: "example.org" } }] });
 * session.receive(new TextEncoder().encode("220 mx.example.org ESMTP\r\n"), 10);
 * session.takeOutputs(); // [{ type: "event", event: { type: "greeting-received", ... } }, { type: "write", bytes: "EHLO client.example.com\r\n" }]
 * ```
 */
export class ClientSession {
  readonly #hostname: string;
  readonly #lmtp: boolean;
  readonly #policy: StartTlsPolicy;
  readonly #auth: AuthSettings | undefined;
  readonly #usePipelining: boolean;
  readonly #pipelineData: boolean;
  readonly #useChunking: boolean;
  readonly #chunkSize: number;
  readonly #maxOutstanding: number;
  readonly #maxRecipients: number;
  readonly #timeouts: ClientTimeouts;
  readonly #readerOptions: { readonly maxLineLength: number; readonly maxLines: number };

  #reader: ReplyReader;
  #state: ClientState = "not-connected";
  #now = 0;
  #tls: boolean;
  #channelBinding: SaslChannelBinding | undefined;
  #capabilities: CapabilitySet = CapabilitySet.empty;
  #extended = false;
  #starttlsDeclined = false;
  #negotiated = false;
  #authenticated: SaslMechanismName | undefined;
  #sasl: SaslClientMechanism | undefined;
  #saslCancelled: string | undefined;
  #expectations: Expectation[] = [];
  /** Where the transition table says the conversation is, after the replies received. */
  #tableState: SessionState = "greeting";
  /** Where it will be once every command sent has succeeded. */
  #predictedState: SessionState = "greeting";
  #headSince = 0;
  #handshakeSince = 0;
  #chunkAskedAt = 0;
  #queue: Queued[] = [];
  #active: Active | undefined;
  #serverTransactionOpen = false;
  #nextId = 1;
  #quitRequested = false;
  #failure: ClientSessionFailure | undefined;
  #lastContentId: number | undefined;
  #outputs: ClientOutput[] = [];
  #outputHead = 0;
  #lastWriteIsCommands = false;
  /** While a reply is handled: whether more input had already arrived after it. */
  #moreInput = false;

  /**
   * @param options - see {@link ClientSessionOptions}
   * @throws {@link ClientSessionError} (`invalid-option`) for a bad option
   */
  constructor(options: ClientSessionOptions) {
    const resolved = resolveClientOptions(options);
    this.#hostname = resolved.hostname;
    this.#lmtp = resolved.lmtp;
    this.#policy = resolved.startTls;
    this.#tls = resolved.implicitTls;
    this.#channelBinding = resolved.channelBinding;
    this.#auth = resolved.auth;
    this.#usePipelining = resolved.pipelining;
    this.#pipelineData = resolved.pipelineData;
    this.#useChunking = resolved.chunking;
    this.#chunkSize = resolved.chunkSize;
    this.#maxOutstanding = resolved.maxOutstandingChunks;
    this.#maxRecipients = resolved.maxRecipients;
    this.#timeouts = resolved.timeouts;
    this.#readerOptions = resolved.replyLimits;
    this.#reader = new ReplyReader(this.#readerOptions);
  }

  /**
   * Where the session is.
   *
   * @example
   * ```ts
   * if (session.state === "closed") socket.destroy();
   * ```
   */
  get state(): ClientState {
    return this.#state;
  }

  /**
   * Why the session ended early, if it did.
   *
   * @example
   * ```ts
   * session.failure; // { reason: "starttls-not-offered", fault: "remote", message: "..." }
   * ```
   */
  get failure(): ClientSessionFailure | undefined {
    return this.#failure;
  }

  // --- Inputs ------------------------------------------------------------------

  /**
   * The connection is open; the greeting is now awaited.
   *
   * @param now - the current time
   * @throws {@link ClientSessionError} (`wrong-state`) when called twice
   * @example
   * ```ts
   * session.connected(performance.now()); // the 220 is awaited now
   * ```
   */
  connected(now: number): void {
    this.#advance(now);
    if (this.#state !== "not-connected") throw new ClientSessionError("wrong-state", "connected() was already called.");
    this.#state = "greeting";
    this.#expect({ kind: "greeting", input: "connect" });
  }

  /**
   * Bytes from the server, in any split.
   *
   * @param bytes - what was read
   * @param now - the current time
   * @throws {@link ClientSessionError} (`wrong-state`) before {@link ClientSession.connected}
   * @example
   * ```ts
   * socket.on("data", (chunk) => { session.receive(chunk, performance.now()); flush(); });
   * ```
   */
  receive(bytes: Uint8Array, now: number): void {
    this.#advance(now);
    if (!(bytes instanceof Uint8Array)) throw new ClientSessionError("invalid-argument", "receive() takes a Uint8Array.");
    if (this.#state === "not-connected") throw new ClientSessionError("wrong-state", "receive() before connected().");
    if (this.#state === "closed" || bytes.length === 0) return;
    if (this.#state === "tls-handshake") {
      // RFC 3207 §5: nothing the server sends in clear text after its 220 may be trusted.
      this.#fail("starttls-injection", "remote", "The server sent bytes after its 220 to STARTTLS, before the TLS handshake.", "close");
      return;
    }
    const events = this.#reader.push(bytes);
    for (let i = 0; i < events.length; i += 1) {
      this.#moreInput = i + 1 < events.length || this.#reader.buffered > 0;
      this.#onReaderEvent(events[i] as ReplyReaderEvent);
      // The handlers move the state on: read it afresh.
      if (this.state === "closed" || this.state === "tls-handshake") return;
    }
  }

  /**
   * The TLS handshake that a `start-tls` output asked for completed. The
   * session forgets everything learned in clear text and says EHLO again
   * (RFC 3207 §4.2).
   *
   * @param info - the channel binding of the new connection, if available
   * @param now - the current time
   * @throws {@link ClientSessionError} (`wrong-state`) unless a `start-tls` output is pending
   * @example
   * ```ts
   * const data = tlsSocket.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
   * session.tlsEstablished({ channelBinding: { type: "tls-exporter", data } }, performance.now());
   * ```
   */
  tlsEstablished(info: TlsInfo, now: number): void {
    this.#advance(now);
    // The session may have failed (bytes injected) while the handshake ran.
    if (this.#state === "closed") return;
    if (this.#state !== "tls-handshake") throw new ClientSessionError("wrong-state", "tlsEstablished() without a start-tls output.");
    let binding: SaslChannelBinding | undefined;
    try {
      binding = checkChannelBinding(info?.channelBinding);
    } catch (error) {
      throw new ClientSessionError("invalid-argument", "The channel binding is malformed.", { cause: error });
    }
    const row = findTransition(this.#tableState, "tls-established", this.#flags());
    this.#tableState = row === undefined ? this.#tableState : nextState(row, 220);
    this.#predictedState = this.#tableState;
    this.#tls = true;
    this.#channelBinding = binding;
    // Nothing read before the handshake is kept (the reader was empty, or the session failed).
    this.#reader = new ReplyReader(this.#readerOptions);
    this.#capabilities = CapabilitySet.empty;
    this.#extended = false;
    this.#sendHello(this.#lmtp ? "LHLO" : "EHLO");
  }

  /**
   * The TLS handshake that a `start-tls` output asked for failed (the
   * certificate did not verify, no common cipher...). The session fails
   * (`tls-handshake-failed`) and closes: it never goes on in clear text.
   *
   * @param message - what the TLS stack said, for logs
   * @param now - the current time
   * @throws {@link ClientSessionError} (`wrong-state`) unless a `start-tls` output is pending
   * @example
   * ```ts
   * secure.on("error", (error) => { session.tlsFailed(error.message, performance.now()); flush(); });
   * ```
   */
  tlsFailed(message: string, now: number): void {
    this.#advance(now);
    if (this.#state === "closed") return;
    if (this.#state !== "tls-handshake") throw new ClientSessionError("wrong-state", "tlsFailed() without a start-tls output.");
    this.#fail("tls-handshake-failed", "remote", `The TLS handshake failed: ${String(message)}`, "close");
  }

  /**
   * Ends the session at once, without QUIT: for a program shutting down or
   * giving up. Unfinished transactions are reported `aborted`; the failure
   * (`aborted`) is local. Does nothing on a closed session.
   *
   * @param message - why, for logs
   * @param now - the current time (default: the last time given)
   * @example
   * ```ts
   * process.on("SIGTERM", () => { session.abort("shutting down"); flush(); });
   * ```
   */
  abort(message: string, now?: number): void {
    if (now !== undefined) this.#advance(now);
    if (this.#state === "closed") return;
    this.#fail("aborted", "local", `Aborted by the program: ${String(message)}`, "close");
  }

  /**
   * The server closed the connection (or it broke).
   *
   * @param now - the current time
   * @example
   * ```ts
   * socket.on("close", () => { session.peerClosed(performance.now()); flush(); });
   * ```
   */
  peerClosed(now: number): void {
    this.#advance(now);
    if (this.#state === "closed") return;
    if (this.#state === "not-connected") {
      this.#close();
      return;
    }
    if (this.#state === "quit" && this.#failure === undefined && this.#active === undefined && this.#queue.length === 0) {
      // The server may close without its 221; the session was over anyway.
      this.#close();
      return;
    }
    const truncated = this.#reader.end().length > 0;
    this.#fail(
      "connection-closed",
      "remote",
      truncated ? "The server closed the connection in the middle of a reply." : "The server closed the connection.",
      "close",
    );
  }

  /**
   * The time passed; a deadline may have expired (RFC 5321 §4.5.3.1).
   *
   * @param now - the current time
   * @example
   * ```ts
   * setInterval(() => { session.tick(performance.now()); flush(); }, 1000);
   * ```
   */
  tick(now: number): void {
    this.#advance(now);
    const deadline = this.deadline();
    if (deadline === undefined || now < deadline) return;
    const waitingFor = this.#expectations[0]?.kind ?? (this.#state === "tls-handshake" ? "the TLS handshake" : "message content");
    this.#fail("timeout", "remote", `No progress in time while waiting for ${waitingFor} (RFC 5321 §4.5.3.1).`, "close");
  }

  /**
   * Queues a transaction. It starts when the session is ready and the
   * transactions before it are done; its outcome comes as a
   * `transaction-result` event with the returned id. On a session that has
   * already failed, the result (`aborted`) comes at once.
   *
   * @param transaction - the envelope and what is known about the content
   * @param now - the current time (default: the last time given)
   * @returns the transaction's id
   * @throws {@link ClientSessionError} `invalid-transaction` when it cannot be sent as given;
   *   `wrong-state` after {@link ClientSession.quit}
   * @example
   * ```ts
   * const id = session.send({
   *   from: { localPart: "alice", domain: "example.com" },
   *   recipients: [{ address: { localPart: "bob", domain: "example.org" }, notify: ["FAILURE"] }],
   *   size: 2048,
   * });
   * ```
   */
  send(transaction: ClientTransaction, now?: number): number {
    if (now !== undefined) this.#advance(now);
    const over = this.#state === "closed" || this.#failure !== undefined;
    if (this.#quitRequested && !over) throw new ClientSessionError("wrong-state", "send() after quit().");
    checkTransaction(transaction, this.#maxRecipients);
    const id = this.#nextId++;
    if (over) {
      this.#emit({ type: "transaction-result", result: this.#abortedResult(id, transaction) });
      return id;
    }
    this.#queue.push({ id, transaction });
    if (this.#state === "ready") this.#proceed();
    return id;
  }

  /**
   * Gives the next chunk of the current transaction's content, after a
   * `message-chunk-needed` event. Any split is fine; line endings are made
   * CRLF and lines starting with "." are stuffed here. The chunk must not be
   * changed afterwards: it may be written as it is, without a copy.
   * Chunks for a transaction that has already ended (refused by the server
   * while its content was being read, or aborted) are ignored.
   *
   * @param chunk - content octets
   * @param now - the current time (default: the last time given)
   * @returns `true` when the chunk was taken; `false` when the transaction no
   *   longer wants content (stop reading the message)
   * @throws {@link ClientSessionError} `wrong-state` when no transaction asked for content
   * @example
   * ```ts
   * // on { type: "message-chunk-needed", id }:
   * session.provideMessage(file.subarray(offset, offset + 65536));
   * ```
   */
  provideMessage(chunk: Uint8Array, now?: number): boolean {
    if (now !== undefined) this.#advance(now);
    if (!(chunk instanceof Uint8Array)) throw new ClientSessionError("invalid-argument", "provideMessage() takes a Uint8Array.");
    const active = this.#contentTarget("provideMessage");
    if (active === undefined) return false;
    active.chunkAsked = false;
    active.bytesTaken += chunk.length;
    if (active.plan.sevenBitOnly && hasEightBitOctet(chunk)) {
      // RFC 6152 §3: a server without 8BITMIME must not get 8-bit octets; the
      // end of data is never sent, so the server cannot deliver it.
      this.#fail(
        "8bit-content-undeclared",
        "local",
        "The content has 8-bit octets but was not declared 8BITMIME, and the server lacks 8BITMIME.",
        "close",
      );
      return false;
    }
    if (active.transaction.body !== "BINARYMIME" && hasNulOctet(chunk)) {
      // RFC 5321 §4.5.2 / RFC 6152: no NUL outside BINARYMIME. A relay that passed it on would let a
      // NUL-dropping receiver see "<CRLF>NUL.<CRLF>" as the end of data (SMTP smuggling); the end of
      // data is never sent, so the server cannot deliver it.
      this.#fail("nul-content", "local", "The content has a NUL octet, which only BINARYMIME content may carry.", "close");
      return false;
    }
    if (active.encoder !== undefined) {
      if (chunk.length > 0) this.#writeContent(active.encoder.push(chunk));
      this.#askChunk(active);
      return true;
    }
    const octets = active.repair === undefined ? chunk : active.repair.push(chunk);
    this.#queuePieces(active, octets);
    this.#pumpBdat(active);
    return true;
  }

  /**
   * Ends the current transaction's content: DATA's `<CRLF>.<CRLF>` or the
   * `BDAT ... LAST`. Ignored, like {@link ClientSession.provideMessage}, for a
   * transaction that has already ended.
   *
   * @param now - the current time (default: the last time given)
   * @returns `true` when the end was taken; `false` when the transaction had already ended
   * @throws {@link ClientSessionError} `wrong-state` when no transaction asked for content
   * @example
   * ```ts
   * // on { type: "message-chunk-needed" } once the content is all given:
   * session.endMessage();
   * ```
   */
  endMessage(now?: number): boolean {
    if (now !== undefined) this.#advance(now);
    const active = this.#contentTarget("endMessage");
    if (active === undefined) return false;
    active.chunkAsked = false;
    active.contentEnded = true;
    if (active.encoder !== undefined) {
      if (!this.#inSequence("data-end")) return false;
      this.#writeContent(active.encoder.end());
      active.dataSent = true;
      active.phase = "data-end";
      this.#state = "data-end";
      this.#expectDeliveryReplies(active, "data-end");
      return true;
    }
    if (active.repair !== undefined) this.#queuePieces(active, active.repair.end());
    this.#pumpBdat(active);
    return true;
  }

  /**
   * Ends the session politely: QUIT once the greeting, EHLO and the queued
   * transactions are done, then `close` after the server's 221. May be
   * called at any time, even before {@link ClientSession.connected} (send
   * everything, then quit). Calling it again does nothing.
   *
   * @param now - the current time (default: the last time given)
   * @example
   * ```ts
   * session.send(transaction);
   * session.quit(); // QUIT after the transaction
   * ```
   */
  quit(now?: number): void {
    if (now !== undefined) this.#advance(now);
    if (this.#quitRequested || this.#state === "closed") return;
    this.#quitRequested = true;
    // Before the connection is up, QUIT simply waits its turn like everything else.
    if (this.#state === "ready") this.#proceed();
  }

  // --- Outputs -----------------------------------------------------------------

  /**
   * The next output, oldest first.
   *
   * @returns an output, or `undefined` when there is none
   * @example
   * ```ts
   * for (let output = session.nextOutput(); output; output = session.nextOutput()) {
   *   if (output.type === "write") socket.write(output.bytes);
   * }
   * ```
   */
  nextOutput(): ClientOutput | undefined {
    if (this.#outputHead >= this.#outputs.length) return undefined;
    const output = this.#outputs[this.#outputHead] as ClientOutput;
    this.#outputHead += 1;
    if (this.#outputHead === this.#outputs.length) {
      this.#outputs = [];
      this.#outputHead = 0;
      this.#lastWriteIsCommands = false;
    }
    return output;
  }

  /**
   * Every output so far, oldest first, leaving none.
   *
   * @returns the outputs
   * @example
   * ```ts
   * for (const output of session.takeOutputs()) console.log(output.type);
   * ```
   */
  takeOutputs(): ClientOutput[] {
    const outputs = this.#outputs.slice(this.#outputHead);
    this.#outputs = [];
    this.#outputHead = 0;
    this.#lastWriteIsCommands = false;
    return outputs;
  }

  /**
   * When the session gives up unless something happens first: a reply, a
   * chunk, the TLS handshake. Call {@link ClientSession.tick} then.
   *
   * @returns the time, or `undefined` when nothing is awaited
   * @example
   * ```ts
   * const at = session.deadline();
   * if (at !== undefined) setTimeout(() => session.tick(performance.now()), at - performance.now());
   * ```
   */
  deadline(): number | undefined {
    if (this.#state === "closed") return undefined;
    const head = this.#expectations[0];
    if (head !== undefined) return this.#headSince + this.#timeoutFor(head);
    if (this.#state === "tls-handshake") return this.#handshakeSince + this.#timeouts.command;
    const active = this.#active;
    if (active !== undefined && active.chunkAsked) return this.#chunkAskedAt + this.#timeouts.dataBlock;
    return undefined;
  }

  /**
   * A log-safe picture of the session: no credentials, no content.
   *
   * @returns the snapshot
   * @example
   * ```ts
   * logger.info(session.snapshot()); // { state: "ready", tls: true, capabilities: [...], ... }
   * ```
   */
  snapshot(): ClientSessionSnapshot {
    return {
      state: this.#state,
      protocolState: this.#tableState,
      tls: this.#tls,
      lmtp: this.#lmtp,
      capabilities: this.#capabilities.keywords,
      authenticated: this.#authenticated,
      awaiting: this.#expectations.map((expectation) => expectation.kind),
      transaction: this.#active?.id,
      queued: this.#queue.map((queued) => queued.id),
      quitRequested: this.#quitRequested,
      deadline: this.deadline(),
      failure: this.#failure,
    };
  }

  /**
   * The same as {@link ClientSession.snapshot}, for `JSON.stringify`.
   *
   * @returns the snapshot
   * @example
   * ```ts
   * JSON.stringify(session); // the snapshot, without credentials
   * ```
   */
  toJSON(): ClientSessionSnapshot {
    return this.snapshot();
  }

  // --- Replies -----------------------------------------------------------------

  #onReaderEvent(event: ReplyReaderEvent): void {
    switch (event.type) {
      case "reply":
        this.#onReply(event.reply);
        return;
      case "reply-invalid":
        // The line-count limit is a size limit like the line length: `reply-too-long`, as its documentation says.
        this.#fail(event.error.reason === "too-many-lines" ? "reply-too-long" : "reply-invalid", "remote", `The server sent an invalid reply: ${event.error.message}.`, "close");
        return;
      case "line-too-long":
        this.#fail("reply-too-long", "remote", `The server sent a reply line of ${event.length} octets.`, "close");
        return;
      case "input-truncated":
        return;
    }
  }

  #onReply(reply: Reply): void {
    const expectation = this.#expectations.shift();
    this.#headSince = this.#now;
    if (expectation === undefined) {
      if (reply.code === 421) {
        this.#fail("service-closing", "remote", "The server is closing the connection (421).", "close", reply);
      } else {
        this.#fail("unexpected-reply", "remote", `The server sent a reply (${reply.code}) no command asked for.`, "close", reply);
      }
      return;
    }
    this.#resolve(expectation.input, reply.code);
    if (expectation.kind === "quit") {
      // RFC 5321 §4.1.1.10: whatever the answer, the session is over.
      this.#close();
      return;
    }
    if (expectation.kind === "greeting") {
      this.#onGreeting(reply);
      return;
    }
    if (reply.code === 421) {
      // RFC 5321 §3.8: the server is going away; the transaction (if any) may be retried.
      this.#fail("service-closing", "remote", "The server is closing the connection (421).", "close", reply);
      return;
    }
    switch (expectation.kind) {
      case "hello":
        this.#onHello(reply, expectation.verb);
        return;
      case "starttls":
        this.#onStartTls(reply);
        return;
      case "auth":
        this.#onAuth(reply);
        return;
      case "rset":
        if (!isPositive(reply)) {
          this.#fail("reset-refused", "remote", `The server refused RSET (${reply.code}).`, "close", reply);
          return;
        }
        this.#serverTransactionOpen = false;
        this.#proceed();
        return;
      default:
        this.#onTransactionReply(expectation, reply);
    }
  }

  #onGreeting(reply: Reply): void {
    if (reply.code !== 220) {
      // RFC 5321 §3.1: after a 554 (or a 421) greeting the client sends QUIT.
      this.#fail("greeting-refused", "remote", `The server refused the session (${reply.code}).`, "quit", reply);
      return;
    }
    this.#emit({ type: "greeting-received", reply });
    this.#sendHello(this.#lmtp ? "LHLO" : "EHLO");
  }

  #onHello(reply: Reply, verb: "EHLO" | "LHLO" | "HELO"): void {
    if (reply.code === 250) {
      const ehlo = parseEhloReply(reply);
      const extended = verb !== "HELO";
      this.#extended = extended;
      this.#capabilities = extended && ehlo !== undefined ? ehlo.capabilities : CapabilitySet.empty;
      this.#emit({
        type: "capabilities-received",
        domain: ehlo?.domain ?? "",
        capabilities: this.#capabilities,
        extended,
        tls: this.#tls,
      });
      this.#negotiate();
      return;
    }
    // RFC 5321 §4.1.4: a server that does not know EHLO answers 500 or 502; try HELO.
    // Never after TLS (a downgrade), never in LMTP (RFC 2033 has no HELO).
    if (verb === "EHLO" && (reply.code === 500 || reply.code === 502) && !this.#tls) {
      this.#sendHello("HELO");
      return;
    }
    if (isIntermediate(reply)) {
      this.#fail("unexpected-reply", "remote", `${verb} was answered with ${reply.code}.`, "close", reply);
      return;
    }
    this.#fail("hello-refused", "remote", `The server refused ${verb} (${reply.code}).`, "quit", reply);
  }

  #onStartTls(reply: Reply): void {
    if (reply.code === 220 && this.#moreInput) {
      // RFC 3207 §5 (and CVE-2011-0411 mirrored): replies sent before the
      // handshake would be read as if they came through TLS.
      this.#fail("starttls-injection", "remote", "The server sent more after its 220 to STARTTLS, before the TLS handshake.", "close", reply);
      return;
    }
    if (reply.code === 220) {
      this.#state = "tls-handshake";
      this.#handshakeSince = this.#now;
      this.#push({ type: "start-tls" });
      return;
    }
    if (isIntermediate(reply) || isPositive(reply)) {
      this.#fail("unexpected-reply", "remote", `STARTTLS was answered with ${reply.code}.`, "close", reply);
      return;
    }
    if (this.#policy === "required") {
      this.#fail("starttls-refused", "remote", `STARTTLS is required and the server refused it (${reply.code}).`, "quit", reply);
      return;
    }
    this.#starttlsDeclined = true;
    this.#negotiate();
  }

  /** After EHLO: STARTTLS, then AUTH, then ready. */
  #negotiate(): void {
    const capabilities = this.#capabilities;
    if (!this.#tls && this.#policy !== "never" && !this.#starttlsDeclined) {
      if (capabilities.has("STARTTLS")) {
        this.#state = "starttls";
        this.#sendCommand({ verb: "STARTTLS" }, { kind: "starttls", input: "STARTTLS" });
        return;
      }
      if (this.#policy === "required") {
        this.#fail("starttls-not-offered", "remote", "STARTTLS is required and the server does not offer it.", "quit");
        return;
      }
    }
    if (this.#auth !== undefined && this.#authenticated === undefined) {
      this.#startAuth(this.#auth);
      return;
    }
    this.#negotiated = true;
    this.#state = "ready";
    this.#emit({ type: "session-ready", tls: this.#tls, authenticated: this.#authenticated !== undefined });
    this.#proceed();
  }

  // --- AUTH (RFC 4954) -----------------------------------------------------------

  #startAuth(auth: AuthSettings): void {
    const offered = this.#capabilities.authMechanisms;
    if (offered.length === 0) {
      this.#fail("auth-not-offered", "remote", "Credentials were given and the server offers no AUTH.", "quit");
      return;
    }
    const { options } = auth;
    const choice = chooseMechanism(offered, {
      credentials: options.credentials,
      tls: this.#tls,
      ...(this.#channelBinding === undefined ? {} : { channelBinding: this.#channelBinding }),
      allowPlaintextWithoutTls: options.allowPlaintextAuth === true,
      allowCramMd5: options.allowCramMd5 === true,
      mechanisms: auth.mechanisms,
    });
    if (choice.type === "none") {
      if (choice.reason === "needs-tls") {
        this.#fail("auth-needs-tls", "local", "The server offers only mechanisms that would send the credential in clear text.", "quit");
      } else {
        this.#fail("auth-no-common-mechanism", "remote", `No offered mechanism (${offered.join(" ")}) is allowed and usable.`, "quit");
      }
      return;
    }
    const name = choice.mechanism;
    // RFC 5802 §6: give SCRAM-SHA-256 the binding (its "y" flag) only when -PLUS was not offered.
    const bind =
      name === "SCRAM-SHA-256-PLUS" || (name === "SCRAM-SHA-256" && !offered.includes("SCRAM-SHA-256-PLUS"))
        ? this.#channelBinding
        : undefined;
    const create = (): SaslClientMechanism =>
      createSaslClient(name, {
        credentials: options.credentials,
        ...(options.scramNonce === undefined ? {} : { nonce: options.scramNonce }),
        ...(bind === undefined ? {} : { channelBinding: bind }),
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.crypto === undefined ? {} : { crypto: options.crypto }),
      });
    let line: Uint8Array;
    try {
      let mechanism = create();
      const first = mechanism.start({ initialResponse: true });
      try {
        line =
          first.type === "response"
            ? encodeCommand({ verb: "AUTH", mechanism: name, initialResponse: first.response.reveal() })
            : encodeCommand({ verb: "AUTH", mechanism: name });
      } catch (error) {
        if (!GrammarError.isInstance(error)) throw error;
        // RFC 4954 §4: an initial response that would make the line too long is not sent.
        mechanism = create();
        mechanism.start({ initialResponse: false });
        line = encodeCommand({ verb: "AUTH", mechanism: name });
      }
      this.#sasl = mechanism;
    } catch (error) {
      if (!SaslError.isInstance(error)) throw error;
      this.#fail("auth-misconfigured", "local", `The ${name} mechanism could not start: ${error.reason}.`, "quit");
      return;
    }
    this.#saslCancelled = undefined;
    this.#state = "auth";
    this.#writeCommandBytes(line, { kind: "auth", input: "AUTH" });
  }

  #onAuth(reply: Reply): void {
    const mechanism = this.#sasl;
    if (mechanism === undefined) return;
    if (this.#saslCancelled !== undefined) {
      // RFC 4954 §4: the server answers the "*" with 501; anything else is as bad.
      this.#fail("auth-protocol-error", "remote", `Authentication cancelled: ${this.#saslCancelled}`, isPositive(reply) ? "close" : "quit", reply);
      return;
    }
    if (reply.code === 334) {
      const text = reply.lines.length === 1 ? (reply.lines[0] as string) : undefined;
      const challenge = text === undefined ? undefined : decodeBase64(text.trim());
      if (challenge === undefined || mechanism.state !== "in-progress") {
        this.#cancelAuth("the server's challenge is not one base64 line the mechanism expects");
        return;
      }
      const step = mechanism.respond(challenge);
      if (step.type === "failure") {
        this.#cancelAuth(step.message);
        return;
      }
      this.#writeAuthLine(encodeBase64(step.response.reveal()));
      return;
    }
    if (reply.code === 235) {
      if (mechanism.state !== "in-progress") {
        this.#fail("auth-protocol-error", "remote", "The server claimed success at the wrong time.", "close", reply);
        return;
      }
      const step = mechanism.succeeded();
      if (step.type === "failure") {
        this.#fail("auth-protocol-error", "remote", `The server's success cannot be trusted: ${step.message}`, "quit", reply);
        return;
      }
      this.#authenticated = step.mechanism;
      this.#sasl = undefined;
      this.#emit({ type: "auth-succeeded", mechanism: step.mechanism });
      this.#negotiate();
      return;
    }
    if (isPositive(reply) || isIntermediate(reply)) {
      this.#fail("unexpected-reply", "remote", `AUTH was answered with ${reply.code}.`, "close", reply);
      return;
    }
    this.#fail("auth-refused", "remote", `The server refused authentication (${reply.code}).`, "quit", reply);
  }

  /** RFC 4954 §4: a client that cannot go on answers the challenge with "*". */
  #cancelAuth(why: string): void {
    this.#saslCancelled = why;
    this.#writeAuthLine("*");
  }

  #writeAuthLine(text: string): void {
    this.#writeCommandBytes(ascii.encode(`${text}\r\n`), { kind: "auth", input: "sasl-response" });
  }

  // --- Transactions --------------------------------------------------------------

  /** Nothing in flight: start what is next (RSET, a transaction, QUIT). */
  #proceed(): void {
    if (this.#state === "closed" || this.#expectations.length > 0 || this.#active !== undefined || !this.#negotiated) return;
    if (this.#serverTransactionOpen) {
      this.#state = "reset";
      this.#sendCommand({ verb: "RSET" }, { kind: "rset", input: "RSET" });
      // RFC 2920 §3.1: RSET need not end a pipelined group; what follows goes with it.
      if (!this.#pipelining()) return;
    }
    while (this.#queue.length > 0) {
      const queued = this.#queue.shift() as Queued;
      const plan = planTransaction(queued.transaction, {
        capabilities: this.#capabilities,
        tls: this.#tls,
        chunking: this.#useChunking,
      });
      if (typeof plan === "string") {
        this.#emit({
          type: "transaction-result",
          result: {
            id: queued.id,
            status: "refused",
            temporary: false,
            recipients: queued.transaction.recipients.map((recipient) => ({ address: recipient.address, status: "not-attempted", temporary: false })),
            refusal: plan,
            dataSent: false,
            dsnSent: false,
          },
        });
        continue;
      }
      this.#begin(queued, plan);
      return;
    }
    if (this.#quitRequested) {
      this.#state = "quit";
      this.#sendCommand({ verb: "QUIT" }, { kind: "quit", input: "QUIT" });
      return;
    }
    if (this.#expectations.length === 0) this.#state = "ready";
  }

  /** Whether commands may be pipelined (RFC 2920): offered, and not switched off. */
  #pipelining(): boolean {
    return this.#usePipelining && this.#capabilities.has("PIPELINING");
  }

  #begin(queued: Queued, plan: TransactionPlan): void {
    const count = queued.transaction.recipients.length;
    const pipelined = this.#pipelining();
    const active: Active = {
      id: queued.id,
      transaction: queued.transaction,
      plan,
      pipelined,
      dataPipelined: pipelined && this.#pipelineData && !plan.chunking,
      phase: "envelope",
      mailReply: undefined,
      rcptReplies: new Array<Reply | undefined>(count).fill(undefined),
      nextRcpt: 0,
      accepted: [],
      dataReply: undefined,
      messageReply: undefined,
      deliveryReplies: new Array<Reply | undefined>(count).fill(undefined),
      bytesTaken: 0,
      encoder: undefined,
      repair: undefined,
      pieces: [],
      outstanding: 0,
      contentEnded: false,
      lastSent: false,
      dataSent: false,
      chunkAsked: false,
      finished: false,
    };
    this.#active = active;
    this.#state = "envelope";
    this.#sendCommand(plan.mail, { kind: "mail", id: active.id, input: "MAIL" });
    if (pipelined) {
      // RFC 2920 §3.1: MAIL and every RCPT in one group; with pipelineData,
      // DATA too, as the group's last command. The content waits for DATA's
      // 354. BDAT carries content, so it waits for the envelope's replies.
      for (let index = 0; index < count; index += 1) {
        this.#sendCommand(plan.rcpts[index] as Command, { kind: "rcpt", id: active.id, index, input: "RCPT" });
      }
      active.nextRcpt = count;
      if (active.dataPipelined) this.#sendCommand({ verb: "DATA" }, { kind: "data", id: active.id, input: "DATA" });
    }
  }

  #onTransactionReply(expectation: Expectation, reply: Reply): void {
    const active = this.#active;
    if (active === undefined || !("id" in expectation) || expectation.id !== active.id) return;
    if (active.finished) {
      // The result is out; these are the replies to commands already pipelined.
      if (expectation.kind === "bdat") active.outstanding -= 1;
      if (!this.#expectations.some((e) => "id" in e && e.id === active.id)) this.#afterFinish(active);
      return;
    }
    if (isIntermediate(reply) && !(expectation.kind === "data" && reply.code === 354)) {
      this.#fail("unexpected-reply", "remote", `${expectation.kind.toUpperCase()} was answered with ${reply.code}.`, "close", reply);
      return;
    }
    switch (expectation.kind) {
      case "mail":
        active.mailReply = reply;
        if (isPositive(reply)) {
          this.#serverTransactionOpen = true;
          if (!active.pipelined) this.#sendNextRcpt(active);
        } else if (!active.pipelined) {
          this.#finish(active, "rejected", isTemporary(reply));
        }
        return;
      case "rcpt": {
        active.rcptReplies[expectation.index] = reply;
        if (isPositive(reply)) active.accepted.push(expectation.index);
        if (active.nextRcpt < active.rcptReplies.length) {
          this.#sendNextRcpt(active);
          return;
        }
        if (expectation.index === active.rcptReplies.length - 1) this.#afterEnvelope(active);
        return;
      }
      case "data":
        active.dataReply = reply;
        if (!this.#envelopeAccepted(active)) {
          // Pipelined DATA behind a refused sender or refused recipients. RFC 2920 §3.1:
          // "the client cannot assume that the DATA command will be rejected just because
          // none of the RCPT TO commands worked"; a server that answers 354 anyway gets a
          // lone dot (an empty message it has no recipient for), never the content.
          if (reply.code === 354) {
            this.#serverTransactionOpen = true;
            this.#writeCommandBytes(emptyMessageEnd, { kind: "data-end", id: active.id });
          }
          this.#rejectEnvelope(active);
          return;
        }
        if (reply.code !== 354) {
          if (isPositive(reply)) {
            // A 250 to DATA would make the content be read as commands.
            this.#fail("unexpected-reply", "remote", `DATA was answered with ${reply.code}.`, "close", reply);
            return;
          }
          this.#finish(active, "rejected", isTemporary(reply));
          return;
        }
        active.encoder = new DataEncoder();
        this.#startContent(active);
        return;
      case "bdat":
        active.outstanding -= 1;
        if (!isPositive(reply)) {
          // RFC 3030 §2: after a refused chunk no further BDAT is sent; RSET follows.
          active.messageReply = reply;
          this.#finish(active, "rejected", isTemporary(reply));
          return;
        }
        if (active.lastSent && active.outstanding === 0 && !this.#lmtp) {
          active.messageReply = reply;
          this.#serverTransactionOpen = false;
          this.#finish(active, "accepted", false);
          return;
        }
        this.#pumpBdat(active);
        return;
      case "data-end":
        active.messageReply = reply;
        // RFC 5321 §4.1.1.4: the end of data ends the transaction, whatever the reply.
        this.#serverTransactionOpen = false;
        this.#finish(active, isPositive(reply) ? "accepted" : "rejected", isTemporary(reply));
        return;
      case "lmtp-recipient": {
        const index = active.accepted[expectation.index] as number;
        active.deliveryReplies[index] = reply;
        if (expectation.index === active.accepted.length - 1) {
          this.#serverTransactionOpen = false;
          const delivered = active.accepted.some((i) => isPositive(active.deliveryReplies[i] as Reply));
          const temporary = active.accepted.some((i) => isTemporary(active.deliveryReplies[i] as Reply));
          this.#finish(active, delivered ? "accepted" : "rejected", !delivered && temporary);
        }
        return;
      }
    }
  }

  #sendNextRcpt(active: Active): void {
    const index = active.nextRcpt;
    active.nextRcpt += 1;
    this.#sendCommand(active.plan.rcpts[index] as Command, { kind: "rcpt", id: active.id, index, input: "RCPT" });
  }

  #afterEnvelope(active: Active): void {
    active.accepted.sort((a, b) => a - b);
    if (!this.#envelopeAccepted(active)) {
      // With DATA pipelined, its reply comes next and the result waits for it.
      if (!active.dataPipelined) this.#rejectEnvelope(active);
      return;
    }
    if (active.plan.chunking) {
      if (!active.plan.binary) active.repair = new LineEndingRepair();
      this.#startContent(active);
      return;
    }
    active.phase = "data";
    this.#state = "data";
    if (!active.dataPipelined) this.#sendCommand({ verb: "DATA" }, { kind: "data", id: active.id, input: "DATA" });
  }

  /** Whether the server took the sender and at least one recipient. */
  #envelopeAccepted(active: Active): boolean {
    return active.mailReply !== undefined && isPositive(active.mailReply) && active.accepted.length > 0;
  }

  /** Ends a transaction whose sender, or every recipient, was refused: no content is sent. */
  #rejectEnvelope(active: Active): void {
    const mail = active.mailReply;
    if (mail === undefined || !isPositive(mail)) {
      // A server that accepted pipelined RCPTs behind a refused MAIL is confused: RSET before going on.
      if (active.accepted.length > 0) this.#serverTransactionOpen = true;
      this.#finish(active, "rejected", mail !== undefined && isTemporary(mail));
      return;
    }
    // RFC 2920 §3.1: no recipient, no content; RSET clears the sender.
    const temporary = active.rcptReplies.some((reply) => reply !== undefined && isTemporary(reply));
    this.#finish(active, "rejected", temporary);
  }

  #startContent(active: Active): void {
    active.phase = "content";
    this.#state = "content";
    this.#lastContentId = active.id;
    this.#askChunk(active);
  }

  #askChunk(active: Active): void {
    if (active.chunkAsked || active.contentEnded || active.finished) return;
    active.chunkAsked = true;
    this.#chunkAskedAt = this.#now;
    this.#emit({ type: "message-chunk-needed", id: active.id, bytesTaken: active.bytesTaken });
  }

  /** The transaction to give content to, `undefined` to ignore the call; throws on misuse. */
  #contentTarget(method: string): Active | undefined {
    const active = this.#active;
    if (active !== undefined && active.phase === "content" && !active.contentEnded && !active.finished) return active;
    if (this.#lastContentId !== undefined) return undefined;
    throw new ClientSessionError("wrong-state", `${method}() without a message-chunk-needed event.`);
  }

  #queuePieces(active: Active, octets: Uint8Array): void {
    for (let offset = 0; offset < octets.length; offset += this.#chunkSize) {
      active.pieces.push(octets.subarray(offset, Math.min(octets.length, offset + this.#chunkSize)));
    }
  }

  /** BDAT: send what the window allows, then the LAST, then ask for more. */
  #pumpBdat(active: Active): void {
    const window = active.pipelined ? this.#maxOutstanding : 1;
    while (active.pieces.length > 0 && active.outstanding < window) {
      const piece = active.pieces.shift() as Uint8Array;
      const last = active.contentEnded && active.pieces.length === 0;
      this.#sendBdat(active, piece, last);
      if (last) return;
    }
    if (active.pieces.length > 0 || active.outstanding >= window) return;
    if (active.contentEnded) {
      if (!active.lastSent) this.#sendBdat(active, noBytes, true);
      return;
    }
    this.#askChunk(active);
  }

  #sendBdat(active: Active, piece: Uint8Array, last: boolean): void {
    if (last) {
      active.lastSent = true;
      active.dataSent = true;
      active.phase = "data-end";
      this.#state = "data-end";
    }
    const input = last ? "BDAT LAST" : "BDAT";
    if (!this.#inSequence(input)) return;
    // Built directly, not through the serializer's parse-back check: one per chunk, and an integer cannot break the line.
    this.#writeCommandBytes(ascii.encode(last ? `BDAT ${piece.length} LAST\r\n` : `BDAT ${piece.length}\r\n`), undefined);
    if (piece.length > 0) this.#writeContent(piece);
    if (last && this.#lmtp) {
      // RFC 2033 §4.2: after the last chunk, one reply per accepted recipient.
      this.#expectDeliveryReplies(active, "BDAT LAST");
      return;
    }
    active.outstanding += 1;
    this.#expect({ kind: "bdat", id: active.id, input });
  }

  /** SMTP: one reply after the content; LMTP (RFC 2033 §4.2): one per accepted recipient. */
  #expectDeliveryReplies(active: Active, input: "data-end" | "BDAT LAST"): void {
    if (!this.#lmtp) {
      this.#expect({ kind: "data-end", id: active.id, input });
      return;
    }
    for (let index = 0; index < active.accepted.length; index += 1) {
      // The table moves once, on the first of the replies.
      this.#expect(index === 0 ? { kind: "lmtp-recipient", id: active.id, index, input } : { kind: "lmtp-recipient", id: active.id, index });
    }
  }

  #finish(active: Active, status: "accepted" | "rejected", temporary: boolean): void {
    if (active.finished) return;
    active.finished = true;
    active.chunkAsked = false;
    this.#emit({ type: "transaction-result", result: this.#result(active, status, temporary) });
    if (active.outstanding > 0 || this.#expectations.some((e) => "id" in e && e.id === active.id)) {
      // Pipelined replies of this transaction are still to come.
      active.phase = "draining";
      return;
    }
    this.#afterFinish(active);
  }

  #afterFinish(active: Active): void {
    if (this.#active === active) this.#active = undefined;
    this.#proceed();
  }

  #result(active: Active, status: TransactionResult["status"], temporary: boolean): TransactionResult {
    const recipients = active.transaction.recipients.map((recipient, index): RecipientResult => {
      const rcptReply = active.rcptReplies[index];
      const deliveryReply = active.deliveryReplies[index];
      const base = {
        address: recipient.address,
        ...(rcptReply === undefined ? {} : { rcptReply }),
        ...(deliveryReply === undefined ? {} : { deliveryReply }),
      };
      if (rcptReply === undefined) return { ...base, status: "not-attempted", temporary: true };
      if (!isPositive(rcptReply)) return { ...base, status: "rejected", temporary: isTemporary(rcptReply) };
      if (this.#lmtp && deliveryReply !== undefined) {
        return { ...base, status: isPositive(deliveryReply) ? "accepted" : "rejected", temporary: isTemporary(deliveryReply) };
      }
      if (status === "accepted") return { ...base, status: "accepted", temporary: false };
      if (status === "aborted") return { ...base, status: "not-attempted", temporary: true };
      return { ...base, status: "rejected", temporary };
    });
    return {
      id: active.id,
      status,
      temporary: status === "accepted" ? false : temporary,
      recipients,
      ...(active.mailReply === undefined ? {} : { mailReply: active.mailReply }),
      ...(active.dataReply === undefined ? {} : { dataReply: active.dataReply }),
      ...(active.messageReply === undefined ? {} : { messageReply: active.messageReply }),
      dataSent: active.dataSent,
      dsnSent: active.plan.dsnSent,
    };
  }

  #abortedResult(id: number, transaction: ClientTransaction): TransactionResult {
    return {
      id,
      status: "aborted",
      temporary: true,
      recipients: transaction.recipients.map((recipient) => ({ address: recipient.address, status: "not-attempted", temporary: true })),
      dataSent: false,
      dsnSent: false,
    };
  }

  // --- Failure and closing ---------------------------------------------------------

  #fail(reason: ClientFailureReason, fault: Fault, message: string, then: "quit" | "close", reply?: Reply): void {
    if (this.#state === "closed") return;
    if (this.#failure !== undefined) {
      // Already failing (waiting for the 221 to our QUIT): just close.
      this.#close();
      return;
    }
    const failure: ClientSessionFailure = reply === undefined ? { reason, fault, message } : { reason, fault, message, reply };
    this.#failure = failure;
    this.#emit({ type: "session-failed", failure });
    const active = this.#active;
    if (active !== undefined) {
      if (!active.finished) this.#emit({ type: "transaction-result", result: this.#result(active, "aborted", true) });
      active.finished = true;
      active.chunkAsked = false;
      this.#active = undefined;
    }
    for (const queued of this.#queue) {
      this.#emit({ type: "transaction-result", result: this.#abortedResult(queued.id, queued.transaction) });
    }
    this.#queue = [];
    this.#sasl = undefined;
    const quietLine = this.#expectations.length === 0 && this.#state !== "tls-handshake" && this.#state !== "content";
    this.#expectations = [];
    if (then === "quit" && quietLine) {
      this.#quitRequested = true;
      this.#state = "quit";
      this.#sendCommand({ verb: "QUIT" }, { kind: "quit", input: "QUIT" });
      return;
    }
    this.#close();
  }

  #close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#expectations = [];
    const active = this.#active;
    if (active !== undefined && !active.finished) {
      this.#emit({ type: "transaction-result", result: this.#result(active, "aborted", true) });
    }
    this.#active = undefined;
    for (const queued of this.#queue) {
      this.#emit({ type: "transaction-result", result: this.#abortedResult(queued.id, queued.transaction) });
    }
    this.#queue = [];
    this.#push({ type: "close" });
  }

  // --- Writing -----------------------------------------------------------------------

  #sendHello(verb: "EHLO" | "LHLO" | "HELO"): void {
    this.#state = "hello";
    this.#sendCommand({ verb, domain: this.#hostname }, { kind: "hello", verb, input: verb });
  }

  #sendCommand(command: Command, expectation: Expectation): void {
    this.#writeCommandBytes(encodeCommand(command), expectation);
  }

  /** Writes a command line; consecutive command lines share one write (a pipelined group). */
  #writeCommandBytes(bytes: Uint8Array, expectation: Expectation | undefined): void {
    if (this.#state === "closed") return;
    if (expectation?.input !== undefined && !this.#inSequence(expectation.input)) return;
    const last = this.#outputs[this.#outputs.length - 1];
    if (this.#lastWriteIsCommands && last !== undefined && last.type === "write" && this.#outputs.length > this.#outputHead) {
      const merged = new Uint8Array(last.bytes.length + bytes.length);
      merged.set(last.bytes, 0);
      merged.set(bytes, last.bytes.length);
      this.#outputs[this.#outputs.length - 1] = { type: "write", bytes: merged };
    } else {
      this.#outputs.push({ type: "write", bytes });
      this.#lastWriteIsCommands = true;
    }
    if (expectation !== undefined) this.#expect(expectation);
  }

  #writeContent(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#outputs.push({ type: "write", bytes });
    this.#lastWriteIsCommands = false;
  }

  /**
   * Asks the transition table whether `input` may be sent now, in the state
   * the conversation will be in once everything already sent has succeeded
   * (pipelined commands are checked against that state, RFC 2920 §3.1), and
   * moves that predicted state on. Out of sequence would be a bug here: the
   * session fails (local fault) rather than send it.
   */
  #inSequence(input: SessionInput): boolean {
    const row = findTransition(this.#predictedState, input, this.#flags());
    if (row === undefined || row.outcome.type !== "evaluate") {
      this.#fail("out-of-sequence", "local", `${input} may not be sent in state ${this.#predictedState}.`, "close");
      return false;
    }
    this.#predictedState = row.outcome.success ?? row.outcome.intermediate ?? row.outcome.failure;
    return true;
  }

  /** Moves the table state with a reply to `input`, from the state actually reached. */
  #resolve(input: SessionInput | undefined, code: number): void {
    if (input !== undefined) {
      const row = findTransition(this.#tableState, input, this.#flags());
      if (row !== undefined) this.#tableState = nextState(row, code);
    }
    if (this.#expectations.length === 0) this.#predictedState = this.#tableState;
  }

  #flags(): { readonly tls: boolean; readonly authenticated: boolean; readonly lmtp: boolean } {
    return { tls: this.#tls, authenticated: this.#authenticated !== undefined, lmtp: this.#lmtp };
  }

  #expect(expectation: Expectation): void {
    if (this.#state === "closed") return;
    if (this.#expectations.length === 0) this.#headSince = this.#now;
    this.#expectations.push(expectation);
  }

  #timeoutFor(expectation: Expectation): number {
    const timeouts = this.#timeouts;
    switch (expectation.kind) {
      case "greeting":
        return timeouts.greeting;
      case "mail":
        return timeouts.mail;
      case "rcpt":
        return timeouts.rcpt;
      case "data":
        return timeouts.dataInitiation;
      case "bdat":
        return this.#active?.lastSent === true && this.#active.outstanding <= 1 ? timeouts.dataTermination : timeouts.dataBlock;
      case "data-end":
      case "lmtp-recipient":
        return timeouts.dataTermination;
      default:
        return timeouts.command;
    }
  }

  #emit(event: ClientEvent): void {
    this.#push({ type: "event", event });
  }

  #push(output: ClientOutput): void {
    this.#outputs.push(output);
    this.#lastWriteIsCommands = false;
  }

  #advance(now: number): void {
    checkTime(now);
    if (now > this.#now) this.#now = now;
  }
}

/**
 * Creates a client session.
 *
 * @param options - see {@link ClientSessionOptions}
 * @returns a session in the `not-connected` state
 * @throws {@link ClientSessionError} (`invalid-option`) for a bad option
 * @example
 * ```ts
 * import { createClientSession } from "@smtpkit/session";
 * const session = createClientSession({
 *   hostname: "client.example.com",
 *   startTls: "required",
 *   auth: { credentials: { username: "alice", password: "secret" } },
 * });
 * session.connected(Date.now());
 * ```
 */
export function createClientSession(options: ClientSessionOptions): ClientSession {
  return new ClientSession(options);
}

