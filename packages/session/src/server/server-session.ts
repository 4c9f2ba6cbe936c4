/**
 * The server side of an SMTP (or LMTP) conversation as a pure state machine,
 * in the manner of h11: bytes and decisions in, bytes and events out.
 *
 * Inputs: `connect`, `receive(bytes)`, `decide(requestId, decision)`,
 * `tlsEstablished`, `peerClosed`, `tick` and `shutdown`, each with the current
 * time. Outputs, drained with `nextOutput()` / `takeOutputs()`: bytes to
 * write, events (questions that wait for a decision, and reports), "start TLS
 * now" and "close now". `deadline()` says when `tick` must be called next.
 *
 * What is legal in which state comes from the transition table
 * (`transition-table.ts`) and nowhere else; this module adds what the table
 * leaves to configuration (which extensions are offered, the policies, the
 * limits) and carries out each accepted command.
 *
 * Replies leave in command order whatever order decisions come back in
 * (RFC 2920 §3.1). While a decision is pending, later commands wait; only
 * further RCPTs of a pipelined group are taken up at once, so their decisions
 * can be answered concurrently and out of order.
 *
 * Not here: sockets, TLS itself, timers, the clock, randomness (nonces come
 * from the configured `auth.nonce`), storage, DNS, and any policy about who
 * may send what to whom: that is the embedder's, as decisions.
 *
 * RFC 5321 (§3.1, §3.3, §3.8, §4.1, §4.2, §4.5.3), RFC 2920 (PIPELINING),
 * RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 1870 (SIZE), RFC 6152
 * (8BITMIME), RFC 3030 (CHUNKING, BINARYMIME), RFC 6531 (SMTPUTF8), RFC 3461
 * (DSN), RFC 8689 (REQUIRETLS), RFC 2034 (ENHANCEDSTATUSCODES), RFC 2033 (LMTP),
 * and Postfix's XCLIENT and XFORWARD (XCLIENT_README, XFORWARD_README) for
 * front ends the embedder trusts.
 *
 * @module
 */
import { isReplyAllowed, Situations, type SituationName } from "@smtpkit/codes";
import {
  CapabilitySet,
  CommandReader,
  encodeBase64,
  GrammarError,
  isAsciiMailbox,
  type AuthCommand,
  type BdatCommand,
  type Command,
  type CommandEvent,
  type CommandInvalidEvent,
  type CommandReaderEvent,
  type DataEndEvent,
  type HelloCommand,
  type MailCommand,
  type MailParameters,
  type RcptCommand,
  type Reply,
  type XclientCommand,
  type XforwardCommand,
} from "@smtpkit/grammar";
import type { SaslChannelBinding } from "../sasl/channel-binding.js";
import { SaslError } from "../sasl/sasl-error.js";
import type { SaslDecision, SaslServerMechanism, SaslServerStep, SaslServerSuccess } from "../sasl/server-types.js";
import {
  commandInput,
  commandInputs,
  findTransition,
  nextState,
  transitionTable,
  type CommandInput,
  type SessionFlags,
  type SessionInput,
  type SessionState,
} from "../transition-table.js";
import { newCommandReader, resolvedConfigOf, type PreparedServerSessionConfig, type ResolvedServerConfig, type ServerSessionConfig } from "./server-config.js";
import type {
  AnyDecision,
  ConnectionInfo,
  Envelope,
  ForwardedClient,
  XclientAttributes,
  EnvelopeRecipient,
  MessageAbortedEvent,
  ProtocolViolationEvent,
  RequestId,
  ServerDecision,
  ServerEvent,
  ServerOutput,
  ServerSessionSnapshot,
  SessionClosedEvent,
} from "./server-events.js";
import { helloAnswer, unadvertisedParameter } from "./server-capabilities.js";
import { applyXclient, applyXforward, initialXclient, noForwardedClient } from "./server-front-end.js";
import { decisionReply, frontEndNotAuthorizedReply, replyBytes, replyStyleOf, replyTextBytes, situationReply, type ReplyStyle } from "./server-replies.js";
import { ServerSessionError } from "./server-session-error.js";

/** What `tlsEstablished` is told about the new TLS layer. */
export interface ServerTlsInfo {
  /** Channel-binding data (RFC 9266 `tls-exporter`, RFC 5929 `tls-server-end-point`); enables SCRAM-SHA-256-PLUS. */
  readonly channelBinding?: SaslChannelBinding;
}

/** One reply owed to the client, in command order. */
interface Slot {
  /** What it answers (a verb, `CONNECT`, `unknown`, or `none` when unsolicited). */
  readonly to: string;
  /** The reply once known; a pre-serialized 334 line is kept as bytes. */
  reply: Reply | Uint8Array | undefined;
  /** What follows the reply on the wire. */
  after: "start-tls" | "close" | undefined;
  closeReason: SessionClosedEvent["reason"] | undefined;
}

/** A mail transaction under way (internal, mutable). */
interface Transaction {
  readonly from: MailCommand["from"];
  readonly parameters: MailParameters;
  readonly recipients: EnvelopeRecipient[];
  /** The RCPT sequence number of each accepted recipient: decisions may come out of order, the envelope keeps RCPT order. */
  readonly order: number[];
  transport: "DATA" | "BDAT" | undefined;
  size: number;
  tooBig: boolean;
}

/** A question waiting for `decide`. */
type Pending =
  | { readonly kind: "connection"; readonly slot: Slot }
  | { readonly kind: "mail"; readonly slot: Slot; readonly command: MailCommand }
  | { readonly kind: "recipient"; readonly slot: Slot; readonly command: RcptCommand; readonly sequence: number }
  | { readonly kind: "message-end"; readonly slot: Slot; readonly verb: "DATA" | "BDAT" }
  | { readonly kind: "auth"; readonly slot: Slot }
  | { readonly kind: "xclient"; readonly slot: Slot; readonly connection: ConnectionInfo; readonly attributes: XclientAttributes };

/** States in which the client's lines are commands: those where the table has a row for some command. */
const commandStates: ReadonlySet<SessionState> = new Set(
  transitionTable.filter((row) => (commandInputs as readonly SessionInput[]).includes(row.input)).map((row) => row.state),
);

/**
 * RFC 2920 §3.1: "EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP ... can only
 * appear as the last command in a group". HELO and LHLO count as EHLO.
 * QUIT is left out: whatever follows it is never read.
 */
const groupEnders: ReadonlySet<string> = new Set(["EHLO", "HELO", "LHLO", "DATA", "VRFY", "EXPN", "NOOP"]);


/** The longest command line shown in a `command-received` event, in characters. */
const maxLoggedLine = 512;

/**
 * A peer's line made safe for logs: control characters (C0, DEL, C1) and the
 * Unicode line and paragraph separators shown as `\xHH` / `\uHHHH`, so a
 * hostile client cannot forge log lines or terminal escapes; cut at
 * {@link maxLoggedLine} characters.
 */
function loggable(line: string): string {
  let out = "";
  for (let i = 0; i < line.length && i < maxLoggedLine; i += 1) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else out += line[i];
  }
  return line.length > maxLoggedLine ? `${out}…` : out;
}

function checkTime(now: unknown): number {
  if (typeof now !== "number" || !Number.isFinite(now)) throw new ServerSessionError("invalid-time", "Time inputs must be finite numbers (milliseconds).", now);
  return now;
}

/**
 * A pure, sans-IO SMTP/LMTP server session. Create it with
 * {@link createServerSession}.
 *
 * @example
 * ```ts
 * import { createServerSession } from "@smtpkit/session";
 * const session = createServerSession({ hostname: "mx.example.com" });
 * session.connect({ remoteAddress: "192.0.2.1" }, Date.now());
 * for (const output of session.takeOutputs()) {
 *   if (output.type === "event" && output.event.type === "connection-requested") {
 *     session.decide(output.event.requestId, { type: "accept" });
 *   }
 * }
 * session.takeOutputs(); // [{ type: "write", bytes: "220 mx.example.com ESMTP Service ready\r\n" }, ...]
 * ```
 */
export class ServerSession {
  readonly #config: ResolvedServerConfig;
  readonly #replyStyle: ReplyStyle;
  readonly #reader: CommandReader;
  readonly #outputs: ServerOutput[] = [];
  #outputHead = 0;

  #state: SessionState = "greeting";
  #connected = false;
  #tls: boolean;
  #channelBinding: SaslChannelBinding | undefined;
  #authenticated: { readonly mechanism: string; readonly authorizationIdentity: string } | undefined;
  #hello: { readonly verb: string; readonly domain: string } | undefined;
  #advertised: CapabilitySet = CapabilitySet.empty;
  #transaction: Transaction | undefined;
  /** The client: what `connect` was told, or what the last accepted XCLIENT said. */
  #connection: ConnectionInfo = { remoteAddress: "" };
  /** The XCLIENT attributes in force (`nameStatus: "not-given"` before any XCLIENT). */
  #xclient: XclientAttributes | undefined;
  /** Whether an XCLIENT was accepted in this session. */
  #overridden = false;
  /** What XFORWARD forwarded for the next transaction. */
  #forwarded: ForwardedClient | undefined;

  /** Reader events not yet handled, oldest first. */
  #inbox: CommandReaderEvent[] = [];
  #inboxHead = 0;
  /** Received bytes not yet given to the reader (while the session waits). */
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  #slots: Slot[] = [];
  readonly #pending = new Map<RequestId, Pending>();
  #nextRequestId = 1;

  /** The AUTH exchange under way. */
  #sasl: { mechanism: SaslServerMechanism | undefined; name: string; final: SaslServerSuccess | undefined } | undefined;
  /** The BDAT chunk being read belongs to a refused command: drop it, its reply is out already. */
  #discardingChunk = false;
  /** The accepted BDAT whose chunk is being read. */
  #chunk: { readonly slot: Slot; readonly command: BdatCommand } | undefined;

  #errors = 0;
  /** RCPT commands past `maxRecipients` in this transaction (Postfix's recipient overshoot). */
  #overshoot = 0;
  /** NOOP, RSET, VRFY, EXPN, HELP and ETRN since the last accepted message. */
  #junkCommands = 0;
  #authFailures = 0;
  #talkedEarly = false;
  #shutdownRequested = false;
  /** A closing reply is queued: nothing more is read. */
  #ending = false;
  /** The close output went out. */
  #finished = false;

  #now = 0;
  #clockStarted = false;
  #waitingSince: number | undefined;
  #dataStart: number | undefined;
  #dataBytes = 0;
  /** When the current BDAT message's first chunk was announced, and its octets since: one data clock per message. */
  #bdatStart: number | undefined;
  #bdatBytes = 0;

  /**
   * @param config - see {@link ServerSessionConfig}
   * @throws {@link ServerSessionError} (`invalid-option`) for an invalid option
   */
  constructor(config: ServerSessionConfig | PreparedServerSessionConfig) {
    this.#config = resolvedConfigOf(config);
    this.#replyStyle = replyStyleOf(this.#config);
    this.#reader = newCommandReader(this.#config);
    this.#tls = this.#config.implicitTls;
  }

  // --- Inputs ------------------------------------------------------------------

  /**
   * The client connected. Emits `connection-requested`: answer `accept` to
   * greet (220) or `reject` to refuse (554, then only QUIT, RFC 5321 §3.1; or
   * a 421 reply of your own to close at once).
   *
   * Under implicit TLS (`tls.implicit`) the TLS layer is up before the
   * session starts: pass its channel binding as `tls` so that
   * SCRAM-SHA-256-PLUS is offered (RFC 5802 §6, RFC 9266), as
   * `tlsEstablished` does after STARTTLS.
   *
   * @param connection - the addresses
   * @param now - the current time in milliseconds
   * @param tls - under implicit TLS: the channel binding of the TLS layer
   * @throws {@link ServerSessionError} (`wrong-state`) when called twice,
   *   (`invalid-argument`) for `tls` on a session without implicit TLS
   */
  connect(connection: ConnectionInfo, now: number, tls?: ServerTlsInfo): void {
    this.#tick(now);
    if (this.#connected) throw new ServerSessionError("wrong-state", "connect was already called.");
    if (typeof connection !== "object" || connection === null || typeof connection.remoteAddress !== "string") {
      throw new ServerSessionError("invalid-option", "connect needs { remoteAddress }.");
    }
    if (tls !== undefined) {
      if (!this.#config.implicitTls) throw new ServerSessionError("invalid-argument", "connect takes TLS facts only under implicit TLS (tls.implicit); after STARTTLS use tlsEstablished.");
      this.#channelBinding = tls.channelBinding;
    }
    this.#connected = true;
    this.#connection = { ...connection };
    this.#xclient = initialXclient(this.#connection);
    const slot = this.#slot("CONNECT");
    const requestId = this.#request({ kind: "connection", slot });
    this.#emit({ type: "connection-requested", requestId, connection: { ...connection } });
  }

  /**
   * Bytes from the client. Any split is fine: the result does not depend on
   * how the stream was cut. Do not reuse the buffer afterwards (message
   * chunks are views of it).
   *
   * @param bytes - what was read from the socket
   * @param now - the current time in milliseconds
   * @throws {@link ServerSessionError} (`wrong-state`) before `connect`,
   *   (`invalid-argument`) for anything but a `Uint8Array`
   */
  receive(bytes: Uint8Array, now: number): void {
    this.#tick(now);
    if (!(bytes instanceof Uint8Array)) throw new ServerSessionError("invalid-argument", "receive takes a Uint8Array.");
    if (!this.#connected) throw new ServerSessionError("wrong-state", "receive before connect.");
    if (this.#state === "closed" || this.#ending || bytes.length === 0) return;
    if (this.#state === "tls-handshake") {
      // RFC 3207 §5: nothing sent in the clear after STARTTLS may be read as if it came over TLS.
      this.#emit({ type: "pipelined-bytes-discarded", count: bytes.length });
      return;
    }
    if (this.#state === "greeting") {
      if (!this.#talkedEarly) {
        this.#talkedEarly = true;
        this.#violation("talked-before-greeting", "The client sent data before the greeting.");
      }
      if (this.#config.policy.forbidUnauthorizedPipelining) return;
    }
    if (this.#canFeed()) {
      this.#enqueue(this.#reader.push(bytes));
    } else {
      this.#held.push(bytes);
      this.#heldBytes += bytes.length;
      if (this.#heldBytes > this.#config.limits.maxHeldBytes) {
        this.#violation("input-overflow", `More than ${this.#config.limits.maxHeldBytes} octets arrived while the session waited.`);
        this.#terminate("ServiceClosing", "input-overflow");
      }
    }
    this.#pump();
  }

  /**
   * Answers a question the session asked (an event with a `requestId`).
   * Answers may come in any order; replies still leave in command order.
   *
   * - `connection-requested` (also after XCLIENT), `mail-requested`,
   *   `recipient-requested`, `message-end`: a {@link ServerDecision}.
   * - `auth-requested`: the SASL decision for its request.
   *
   * An answer to a request of a session that has closed meanwhile is ignored.
   *
   * @param requestId - from the event
   * @param decision - the answer
   * @throws {@link ServerSessionError} (`invalid-decision`) for an unknown or
   *   already answered request, or an answer that does not fit (a reply code
   *   the command may not receive, a `reject` with a positive code...)
   */
  decide(requestId: RequestId, decision: AnyDecision): void {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) {
      if (Number.isInteger(requestId) && requestId > 0 && requestId < this.#nextRequestId && this.#finished) return;
      throw new ServerSessionError("invalid-decision", "No pending request has this id (unknown, or already answered).", requestId);
    }
    if (typeof decision !== "object" || decision === null) throw new ServerSessionError("invalid-decision", "A decision must be an object.");
    switch (pending.kind) {
      case "connection":
        this.#decideConnection(pending, this.#serverDecision(decision));
        break;
      case "mail":
        this.#decideMail(pending, this.#serverDecision(decision));
        break;
      case "recipient":
        this.#decideRecipient(pending, this.#serverDecision(decision));
        break;
      case "message-end":
        this.#decideMessage(pending, this.#serverDecision(decision));
        break;
      case "auth":
        this.#decideAuth(pending, decision as SaslDecision);
        break;
      case "xclient":
        this.#decideXclient(pending, this.#serverDecision(decision));
        break;
    }
    this.#pending.delete(requestId);
    // The answered reply goes out before anything the next command reports, however the input was cut.
    this.#flush();
    this.#pump();
  }

  /**
   * The TLS handshake that `start-tls` asked for has completed. Everything
   * is forgotten (RFC 3207 §4.2): the client must say EHLO again.
   *
   * @param info - channel-binding data, when available
   * @param now - the current time in milliseconds
   * @throws {@link ServerSessionError} (`wrong-state`) unless a handshake was asked for
   */
  tlsEstablished(info: ServerTlsInfo, now: number): void {
    this.#tick(now);
    if (this.#state !== "tls-handshake") throw new ServerSessionError("wrong-state", "tlsEstablished without a STARTTLS handshake under way.", this.#state);
    this.#tls = true;
    this.#channelBinding = info.channelBinding;
    this.#apply("tls-established", 220); // resets the session (RFC 3207 §4.2)
    this.#waitingSince = this.#now;
    this.#enqueue(this.#reader.expectCommands());
    this.#pump();
  }

  /**
   * The client closed the connection (or it broke). Pending questions are
   * dropped (their answers will be ignored) and a message under way is aborted.
   *
   * @param now - the current time in milliseconds
   */
  peerClosed(now: number): void {
    this.#tick(now);
    if (this.#finished) return;
    for (const event of this.#reader.end()) {
      if (event.type === "input-truncated") this.#violation("input-truncated", `The connection closed in the middle of ${event.mode === "command" ? "a command line" : event.mode}.`);
    }
    this.#close("peer-closed");
  }

  /**
   * The clock moved: when the deadline has passed, 421 and close
   * (RFC 5321 §4.5.3.2).
   *
   * @param now - the current time in milliseconds
   */
  tick(now: number): void {
    this.#tick(now);
    const deadline = this.deadline();
    if (deadline !== undefined && this.#now >= deadline) {
      this.#terminate("Timeout", "timeout");
      this.#flush();
    }
  }

  /**
   * The server is going down: 421 at the next opportunity (RFC 5321 §3.8):
   * at once when the session is idle between commands, otherwise as the
   * answer to the next command once the replies owed have gone out.
   *
   * @param now - the current time in milliseconds
   */
  shutdown(now: number): void {
    this.#tick(now);
    if (this.#finished) return;
    this.#shutdownRequested = true;
    this.#pump();
  }

  // --- Outputs -----------------------------------------------------------------

  /**
   * Takes the next output.
   *
   * @returns the output, or `undefined` when there is none
   */
  nextOutput(): ServerOutput | undefined {
    if (this.#outputHead >= this.#outputs.length) return undefined;
    const output = this.#outputs[this.#outputHead] as ServerOutput;
    this.#outputHead += 1;
    if (this.#outputHead === this.#outputs.length) {
      this.#outputs.length = 0;
      this.#outputHead = 0;
    }
    return output;
  }

  /**
   * Takes every output waiting, in order.
   *
   * @returns the outputs (possibly none)
   */
  takeOutputs(): ServerOutput[] {
    const taken = this.#outputs.slice(this.#outputHead);
    this.#outputs.length = 0;
    this.#outputHead = 0;
    return taken;
  }

  /**
   * When `tick` must be called next: the command deadline while waiting for
   * the client, the data deadline (extended by the minimum data rate) while
   * message content arrives, nothing while the session waits for the embedder.
   *
   * @returns a time in milliseconds, or `undefined`
   */
  deadline(): number | undefined {
    if (this.#ending || this.#pending.size > 0 || this.#state === "greeting") return undefined;
    const { timeouts } = this.#config;
    let deadline: number | undefined;
    if (this.#dataStart !== undefined) deadline = this.#dataStart + timeouts.data + Math.floor((this.#dataBytes * 1000) / timeouts.minDataRate);
    else if (this.#waitingSince !== undefined) deadline = this.#waitingSince + timeouts.command;
    // A BDAT message is one DATA block cut into chunks: the minimum data rate applies to the whole message,
    // or a client could hold the connection forever with a tiny (or empty) chunk every few minutes.
    if (deadline !== undefined && this.#bdatStart !== undefined && this.#transaction?.transport === "BDAT") {
      deadline = Math.min(deadline, this.#bdatStart + timeouts.data + Math.floor((this.#bdatBytes * 1000) / timeouts.minDataRate));
    }
    return deadline;
  }

  /** The state of the transition table. */
  get state(): SessionState {
    return this.#state;
  }

  /**
   * A plain view of the session for logs and tests: `JSON.stringify` works
   * on it and it holds no credential.
   *
   * @returns the snapshot
   */
  snapshot(): ServerSessionSnapshot {
    const transaction = this.#transaction;
    return {
      state: this.#state,
      tls: this.#tls,
      authenticated: this.#authenticated !== undefined,
      authenticatedAs: this.#authenticated?.authorizationIdentity,
      lmtp: this.#config.lmtp,
      hello: this.#hello === undefined ? undefined : { ...this.#hello },
      advertised: this.#advertised.keywords,
      envelope: transaction === undefined ? undefined : this.#envelope(transaction),
      messageSize: transaction?.size ?? 0,
      pendingRequests: [...this.#pending.keys()],
      pendingReplies: this.#slots.length,
      errors: this.#errors,
      authFailures: this.#authFailures,
      authExchange:
        this.#sasl === undefined ? undefined : { mechanism: this.#sasl.name, state: this.#sasl.mechanism?.state ?? (this.#sasl.final ? "succeeded" : "starting") },
      xclient: this.#overridden && this.#xclient !== undefined ? { connection: { ...this.#connection }, attributes: this.#xclient } : undefined,
      forwarded: this.#forwarded,
      shuttingDown: this.#shutdownRequested,
      deadline: this.deadline(),
      now: this.#now,
    };
  }

  // --- The loop --------------------------------------------------------------------

  #tick(now: number): void {
    // Any origin will do (Date.now(), performance.now()); a clock that steps back does not move deadlines back.
    const time = checkTime(now);
    this.#now = this.#clockStarted ? Math.max(this.#now, time) : time;
    this.#clockStarted = true;
  }

  #flags(): SessionFlags {
    return { tls: this.#tls, authenticated: this.#authenticated !== undefined, lmtp: this.#config.lmtp };
  }

  #enqueue(events: readonly CommandReaderEvent[]): void {
    for (const event of events) this.#inbox.push(event);
  }

  #inboxEmpty(): boolean {
    return this.#inboxHead >= this.#inbox.length;
  }

  /** Whether only RCPT decisions are pending (further RCPTs may be taken up). */
  #onlyRecipientsPending(): boolean {
    for (const pending of this.#pending.values()) if (pending.kind !== "recipient") return false;
    return true;
  }

  #canFeed(): boolean {
    if (this.#state === "greeting" || this.#ending || !this.#inboxEmpty()) return false;
    return this.#pending.size === 0 || this.#onlyRecipientsPending();
  }

  /** Whether handling `event` must wait for pending decisions. */
  #blocked(event: CommandReaderEvent): boolean {
    if (this.#state === "greeting") return true;
    if (this.#pending.size === 0) return false;
    if (event.type !== "command" || event.command.verb !== "RCPT" || this.#shutdownRequested) return true;
    if (!this.#onlyRecipientsPending() || (this.#state !== "mail" && this.#state !== "recipients")) return true;
    const accepted = this.#transaction?.recipients.length ?? 0;
    return accepted + this.#pending.size >= this.#config.limits.maxRecipients;
  }

  #pump(): void {
    while (!this.#ending) {
      if (this.#inboxEmpty()) {
        if (this.#inbox.length > 0) {
          this.#inbox = [];
          this.#inboxHead = 0;
        }
        if (this.#held.length === 0 || !this.#canFeed()) break;
        const bytes = this.#held.shift() as Uint8Array;
        this.#heldBytes -= bytes.length;
        this.#enqueue(this.#reader.push(bytes));
        continue;
      }
      const event = this.#inbox[this.#inboxHead] as CommandReaderEvent;
      if (this.#blocked(event)) break;
      this.#inboxHead += 1;
      this.#handle(event);
      // Write what is due at once, so each reply precedes the events of what follows it.
      this.#flush();
    }
    this.#flush();
    this.#idle();
  }

  /** When nothing is owed and nothing waits: start the command clock, or close for a shutdown. */
  #idle(): void {
    if (this.#ending || this.#slots.length > 0 || this.#pending.size > 0 || !this.#inboxEmpty()) return;
    if (this.#shutdownRequested && commandStates.has(this.#state)) {
      this.#terminate("ShuttingDown", "shutdown");
      this.#flush();
      return;
    }
    if (this.#dataStart === undefined && this.#waitingSince === undefined) this.#waitingSince = this.#now;
  }

  #handle(event: CommandReaderEvent): void {
    switch (event.type) {
      case "command":
        this.#waitingSince = undefined;
        this.#command(event);
        return;
      case "command-invalid":
        this.#waitingSince = undefined;
        this.#invalid(event);
        return;
      case "line-too-long":
        this.#waitingSince = undefined;
        if (this.#state === "auth") {
          this.#authFailure(this.#slot("AUTH"), "AuthLineTooLong", this.#sasl?.name);
        } else {
          this.#emit({ type: "command-received", verb: undefined, line: `[${event.length} octets: too long]`, pipelined: false });
          this.#violation("line-too-long", `A command line of ${event.length} octets exceeded the limit.`);
          this.#reply(this.#slot("unknown"), this.#situation("LineTooLong"));
        }
        return;
      case "data-chunk":
        this.#content(event.data);
        return;
      case "data-end":
        this.#dataEnd(event);
        return;
      case "bdat-end":
        this.#bdatEnd(event.last);
        return;
      case "sasl-response":
      case "sasl-cancel":
      case "sasl-invalid":
        this.#waitingSince = undefined;
        this.#saslLine(event);
        return;
      case "input-overflow":
        this.#violation("input-overflow", `More than ${event.held} octets arrived while reading was paused.`);
        this.#terminate("ServiceClosing", "input-overflow");
        return;
      case "input-truncated":
        return;
    }
  }

  // --- Replies ------------------------------------------------------------------------

  #slot(to: string): Slot {
    const slot: Slot = { to, reply: undefined, after: undefined, closeReason: undefined };
    this.#slots.push(slot);
    return slot;
  }

  #request(pending: Pending): RequestId {
    const id = this.#nextRequestId;
    this.#nextRequestId += 1;
    this.#pending.set(id, pending);
    return id;
  }

  #emit(event: ServerEvent): void {
    this.#outputs.push({ type: "event", event });
  }

  #violation(violation: ProtocolViolationEvent["violation"], detail: string): void {
    this.#emit({ type: "protocol-violation", violation, detail });
  }

  /** The canonical reply of a situation. */
  #situation(name: SituationName): Reply {
    return situationReply(name, this.#replyStyle);
  }

  /** Resolves a slot; counts errors and closes after too many (Postfix's hard error limit). */
  #reply(slot: Slot, reply: Reply | Uint8Array, counted = true): void {
    slot.reply = reply;
    if (reply instanceof Uint8Array) return;
    // RFC 5321 §3.8, §4.2.3: 421 is "closing transmission channel", so an embedder's 421 (to MAIL, RCPT or
    // the message) ends the session once it is written; nothing after it is read or answered.
    if (reply.code === 421 && !this.#ending) this.#endWith(slot, "refused");
    if (counted && reply.code >= 400 && reply.code !== 421 && slot.to !== "none") this.#countError();
  }

  #countError(): void {
    this.#errors += 1;
    if (this.#errors >= this.#config.limits.maxErrors && !this.#ending) this.#terminate("TooManyErrors", "too-many-errors");
  }

  /** Queues a closing reply (421, or 554 for a protocol violation) after everything owed, and stops reading. */
  #terminate(name: SituationName, reason: SessionClosedEvent["reason"]): void {
    if (this.#ending) return;
    const slot = this.#slot("none");
    slot.reply = this.#situation(name);
    this.#endWith(slot, reason);
  }

  #endWith(slot: Slot, reason: SessionClosedEvent["reason"]): void {
    slot.after = "close";
    slot.closeReason = reason;
    this.#ending = true;
    this.#inbox = [];
    this.#inboxHead = 0;
    this.#held = [];
    this.#heldBytes = 0;
  }

  /** Writes every reply whose turn has come. */
  #flush(): void {
    while (this.#slots.length > 0) {
      const slot = this.#slots[0] as Slot;
      if (slot.reply === undefined) return;
      this.#slots.shift();
      if (slot.reply instanceof Uint8Array) {
        this.#outputs.push({ type: "write", bytes: slot.reply });
        this.#emit({ type: "reply-sent", to: slot.to, code: 334, enhanced: undefined, text: "[challenge]" });
      } else {
        const reply = slot.reply;
        this.#outputs.push({ type: "write", bytes: replyBytes(reply) });
        this.#emit({ type: "reply-sent", to: slot.to, code: reply.code, enhanced: reply.enhanced, text: reply.lines[0] ?? "" });
      }
      if (slot.after === "start-tls") this.#outputs.push({ type: "start-tls" });
      if (slot.after === "close") this.#close(slot.closeReason ?? "quit");
    }
  }

  #close(reason: SessionClosedEvent["reason"]): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#abortMessage("closed");
    // QUIT and the refusals while shutting down have moved to closed already; otherwise the table's close rows.
    if (this.#state !== "closed") this.#apply(reason === "peer-closed" ? "peer-closed" : "service-closing", 421);
    this.#state = "closed";
    this.#ending = true;
    this.#pending.clear();
    this.#slots = [];
    this.#inbox = [];
    this.#inboxHead = 0;
    this.#held = [];
    this.#heldBytes = 0;
    this.#sasl = undefined;
    this.#transaction = undefined;
    this.#dataStart = undefined;
    this.#emit({ type: "session-closed", reason });
    this.#outputs.push({ type: "close" });
  }

  /** Moves along the table's row for `input` in the current state, by the reply class. */
  #apply(input: SessionInput, code: number): void {
    const row = findTransition(this.#state, input, this.#flags());
    if (row === undefined) return;
    this.#state = nextState(row, code);
    const hadTransaction = this.#transaction !== undefined;
    // The table says what a success resets; leaving the transaction states always ends the transaction.
    if (row.outcome.type === "evaluate" && row.outcome.resets === "session" && code < 300) this.#resetSession();
    if (this.#state !== "mail" && this.#state !== "recipients" && this.#state !== "data" && this.#state !== "bdat") this.#transaction = undefined;
    // XFORWARD_README: the attributes hold for the next transaction and are reset at its end (the final dot,
    // RSET), and with every reset (EHLO, XCLIENT, STARTTLS), as Postfix's mail_reset does.
    if ((hadTransaction && this.#transaction === undefined) || (row.outcome.type === "evaluate" && row.outcome.resets !== undefined && code < 300)) {
      this.#forwarded = undefined;
    }
  }

  // --- Decisions --------------------------------------------------------------------------

  #serverDecision(decision: AnyDecision): ServerDecision {
    if (decision.type !== "accept" && decision.type !== "reject") {
      throw new ServerSessionError("invalid-decision", 'This request takes { type: "accept" } or { type: "reject" }.', decision.type);
    }
    return decision as ServerDecision;
  }

  #decideConnection(pending: Pending & { kind: "connection" }, decision: ServerDecision): void {
    const reply = decisionReply(decision, "CONNECT", "Greeting", "ConnectionRefused", this.#replyStyle);
    if (reply.code === 220 && this.#talkedEarly && this.#config.policy.forbidUnauthorizedPipelining) {
      // The client spoke before the greeting: no SMTP client does (Postfix's pregreet test).
      pending.slot.reply = this.#situation("UnauthorizedPipelining");
      this.#endWith(pending.slot, "protocol-violation");
      return;
    }
    pending.slot.reply = reply;
    if (reply.code === 421) {
      this.#endWith(pending.slot, "refused");
      this.#apply("service-closing", 421);
      return;
    }
    this.#apply("connect", reply.code);
  }

  #decideMail(pending: Pending & { kind: "mail" }, decision: ServerDecision): void {
    const reply = decisionReply(decision, "MAIL", "SenderOk", "SenderRejected", this.#replyStyle);
    this.#reply(pending.slot, reply);
    this.#apply("MAIL", reply.code);
    if (reply.code < 400) {
      const parameters = pending.command.parameters ?? {};
      this.#transaction = { from: pending.command.from, parameters, recipients: [], order: [], transport: undefined, size: 0, tooBig: false };
    }
  }

  #decideRecipient(pending: Pending & { kind: "recipient" }, decision: ServerDecision): void {
    const reply = decisionReply(decision, "RCPT", "RecipientOk", "MailboxUnavailable", this.#replyStyle);
    this.#reply(pending.slot, reply);
    const transaction = this.#transaction;
    if (reply.code < 400 && transaction !== undefined) {
      // RFC 2033 §4.2: LMTP answers per recipient in RCPT order, so the envelope is kept in RCPT order too.
      let at = transaction.order.length;
      while (at > 0 && (transaction.order[at - 1] as number) > pending.sequence) at -= 1;
      transaction.order.splice(at, 0, pending.sequence);
      transaction.recipients.splice(at, 0, { to: pending.command.to, parameters: pending.command.parameters ?? {} });
    }
    this.#apply("RCPT", reply.code);
  }

  #decideMessage(pending: Pending & { kind: "message-end" }, decision: ServerDecision): void {
    const reply = decisionReply(decision, pending.verb, "MessageAccepted", "TransactionFailed", this.#replyStyle);
    this.#reply(pending.slot, reply);
    if (reply.code < 400) this.#junkCommands = 0;
  }

  // --- Commands ---------------------------------------------------------------------------

  #command(event: CommandEvent): void {
    const command = event.command;
    const verb = command.verb;
    this.#emit({ type: "command-received", verb, line: verb === "AUTH" ? `AUTH ${loggable(command.mechanism)}${command.initialResponse === undefined ? "" : " [redacted]"}` : loggable(event.line), pipelined: event.pipelined });
    if (this.#shutdownRequested && commandStates.has(this.#state)) this.#state = "closing";
    const input = commandInput(verb, verb === "BDAT" && command.last);
    const row = findTransition(this.#state, input, this.#flags());
    const unauthorized = this.#unauthorizedPipelining(verb, event.pipelined);
    if (unauthorized) this.#violation("unauthorized-pipelining", `The client pipelined after ${verb}${this.#advertised.has("PIPELINING") ? "" : " without PIPELINING"}.`);
    if (row === undefined || row.outcome.type === "refuse") {
      const name = row?.outcome.type === "refuse" ? row.outcome.situation : "BadSequence";
      const slot = this.#slot(verb);
      // A BDAT refused for sequence is most often one of a pipelined series behind a failed MAIL, RCPT or
      // chunk (RFC 3030 §2: the client stops only once it sees the failure): not counted as an error.
      this.#reply(slot, this.#situation(name), verb !== "BDAT");
      if (row?.outcome.type === "refuse" && row.outcome.next === "closed") {
        this.#endWith(slot, "shutdown");
        this.#state = "closed";
        return;
      }
      this.#resumeAfterRefusal(command);
      if (unauthorized) this.#terminate("UnauthorizedPipelining", "protocol-violation");
      return;
    }
    if (unauthorized && verb === "DATA") {
      // Content sent before the 354: never read it as a message.
      const slot = this.#slot(verb);
      slot.reply = this.#situation("UnauthorizedPipelining");
      this.#endWith(slot, "protocol-violation");
      return;
    }
    switch (verb) {
      case "HELO":
      case "EHLO":
      case "LHLO":
        this.#helloCommand(command);
        break;
      case "MAIL":
        this.#mailCommand(command);
        break;
      case "RCPT":
        this.#rcptCommand(command);
        break;
      case "DATA":
        this.#dataCommand();
        break;
      case "BDAT":
        this.#bdatCommand(command);
        break;
      case "RSET":
        this.#abortMessage("reset");
        this.#simple("RSET", "ResetOk");
        break;
      case "NOOP":
        this.#simple("NOOP", "NoopOk");
        break;
      case "HELP":
        this.#simple("HELP", "HelpMessage");
        break;
      case "VRFY":
        // RFC 5321 §3.5.3: 252 says "cannot verify, but will try to deliver" without confirming addresses.
        this.#simple("VRFY", this.#config.policy.vrfy === "disabled" ? "VrfyDisabled" : "CannotVerify");
        break;
      case "EXPN":
        // RFC 5321 §3.5.2: EXPN discloses list members; off, as at most sites.
        this.#simple("EXPN", "ExpnDisabled");
        break;
      case "ETRN":
        this.#simple("ETRN", "CommandNotImplemented");
        break;
      case "QUIT": {
        const slot = this.#slot("QUIT");
        slot.reply = this.#situation("Closing");
        this.#endWith(slot, "quit");
        this.#apply("QUIT", 221);
        break;
      }
      case "STARTTLS":
        this.#startTlsCommand();
        break;
      case "AUTH":
        this.#authCommand(command);
        break;
      case "XCLIENT":
        this.#xclientCommand(command);
        break;
      case "XFORWARD":
        this.#xforwardCommand(command);
        break;
    }
    if (unauthorized) this.#terminate("UnauthorizedPipelining", "protocol-violation");
  }

  /**
   * RFC 2920 §3.1: without PIPELINING every command waits for its reply; with
   * it, the group enders still do. A BDAT's chunk follows it by design
   * (RFC 3030 §2), and what follows STARTTLS is discarded instead.
   */
  #unauthorizedPipelining(verb: Command["verb"], pipelined: boolean): boolean {
    if (!pipelined || !this.#config.policy.forbidUnauthorizedPipelining) return false;
    if (verb === "BDAT" || verb === "QUIT" || verb === "STARTTLS" || verb === "AUTH") return false;
    return !this.#advertised.has("PIPELINING") || groupEnders.has(verb);
  }

  /** After a refused command that paused the reader, read on (and past any BDAT chunk). */
  #resumeAfterRefusal(command: Command): void {
    switch (command.verb) {
      case "BDAT":
        // RFC 3030 §2: the chunk follows whether or not the command is accepted (go-smtp#315).
        // Reading it runs on the data clock, so a large refused chunk sent at a fair rate is not cut off.
        this.#discardingChunk = true;
        this.#dataStart = this.#now;
        this.#dataBytes = 0;
        this.#enqueue(this.#reader.expectBdat(command.size, command.last));
        return;
      case "DATA":
      case "AUTH":
      case "STARTTLS":
        this.#enqueue(this.#reader.expectCommands());
        return;
      default:
        return;
    }
  }

  #simple(verb: Command["verb"], name: SituationName): void {
    const reply = this.#situation(name);
    this.#reply(this.#slot(verb), reply);
    this.#apply(verb as SessionInput, reply.code);
    this.#junk();
  }

  /**
   * Postfix's smtpd_junk_command_limit: past the limit, each NOOP, RSET, VRFY, EXPN, HELP or ETRN
   * (and, as Exim's smtp_accept_max_nonmail counts them, each repeated EHLO/HELO/LHLO) counts as an
   * error, so a client cannot hold the connection by resetting the command clock forever.
   */
  #junk(): void {
    this.#junkCommands += 1;
    if (this.#junkCommands > this.#config.limits.maxJunkCommands) this.#countError();
  }

  #refuse(command: Command, name: SituationName): void {
    this.#reply(this.#slot(command.verb), this.#situation(name));
    this.#resumeAfterRefusal(command);
  }

  #helloCommand(command: HelloCommand): void {
    this.#abortMessage("reset");
    const verb = command.verb;
    const repeated = this.#hello !== undefined;
    this.#hello = { verb, domain: command.domain };
    let reply: Reply;
    if (verb === "HELO") {
      this.#advertised = CapabilitySet.empty;
      reply = { code: 250, lines: [`${this.#config.hostname} ${Situations.HelloOk.text}`] };
    } else {
      const answer = helloAnswer(this.#config, this.#tls, this.#channelBinding);
      this.#advertised = answer.capabilities;
      reply = answer.reply;
    }
    this.#reply(this.#slot(verb), reply);
    this.#apply(verb, 250);
    if (repeated) this.#junk();
  }

  #mailCommand(command: MailCommand): void {
    const { policy, limits } = this.#config;
    this.#overshoot = 0;
    const parameters = command.parameters ?? {};
    if (policy.requireTls && !this.#tls) return this.#refuse(command, "StartTlsFirst");
    if (policy.authRequired && this.#authenticated === undefined) return this.#refuse(command, "AuthRequired");
    // RFC 5321 §4.1.1.11: parameters of extensions not offered (to this client, in this session).
    if (unadvertisedParameter(this.#advertised, parameters) !== undefined) return this.#refuse(command, "ParametersNotRecognized");
    // RFC 1870 §6.1: a declared size over the limit is refused up front.
    if (parameters.size !== undefined && parameters.size > limits.maxMessageSize) return this.#refuse(command, "MessageTooBig");
    // RFC 8689 §4.1: REQUIRETLS over a connection without TLS.
    if (parameters.requireTls === true && !this.#tls) return this.#refuse(command, "RequireTlsWithoutTls");
    const slot = this.#slot("MAIL");
    const requestId = this.#request({ kind: "mail", slot, command });
    this.#emit({
      type: "mail-requested",
      requestId,
      from: command.from,
      parameters,
      helloDomain: this.#hello?.domain,
      authenticatedAs: this.#authenticated?.authorizationIdentity,
      tls: this.#tls,
      forwarded: this.#forwarded,
    });
  }

  #rcptCommand(command: RcptCommand): void {
    const transaction = this.#transaction;
    const parameters = command.parameters ?? {};
    let pendingRecipients = 0;
    for (const pending of this.#pending.values()) if (pending.kind === "recipient") pendingRecipients += 1;
    // RFC 5321 §4.5.3.1.10: 452 for recipients past the limit; the client sends them in another transaction.
    if ((transaction?.recipients.length ?? 0) + pendingRecipients >= this.#config.limits.maxRecipients) {
      // Up to maxRecipientOvershoot of these are not errors: a client with many recipients sends them all and
      // must not lose the accepted ones to the error limit's 421 (Postfix's smtpd_recipient_overshoot_limit).
      this.#overshoot += 1;
      this.#reply(this.#slot(command.verb), this.#situation("TooManyRecipients"), this.#overshoot > this.#config.limits.maxRecipientOvershoot);
      this.#resumeAfterRefusal(command);
      return;
    }
    // RFC 6531 §3.4: a non-ASCII forward-path needs SMTPUTF8 on MAIL.
    if (!isAsciiMailbox(command.to) && transaction?.parameters.smtputf8 !== true) return this.#refuse(command, "SmtpUtf8Required");
    if (unadvertisedParameter(this.#advertised, parameters) !== undefined) return this.#refuse(command, "ParametersNotRecognized");
    const slot = this.#slot("RCPT");
    const requestId = this.#request({ kind: "recipient", slot, command, sequence: this.#nextRequestId });
    this.#emit({
      type: "recipient-requested",
      requestId,
      to: command.to,
      parameters,
      from: transaction?.from ?? null,
      authenticatedAs: this.#authenticated?.authorizationIdentity,
    });
  }

  #envelope(transaction: Transaction): Envelope {
    const parameters = transaction.parameters;
    return {
      from: transaction.from,
      parameters,
      body: parameters.body ?? "7BIT",
      smtputf8: parameters.smtputf8 === true,
      requireTls: parameters.requireTls === true,
      recipients: [...transaction.recipients],
      ...(this.#forwarded === undefined ? {} : { forwarded: this.#forwarded }),
    };
  }

  #dataCommand(): void {
    const transaction = this.#transaction as Transaction;
    // RFC 3030 §3: BINARYMIME content cannot be sent with DATA.
    if (transaction.parameters.body === "BINARYMIME") return this.#refuse({ verb: "DATA" }, "BinaryMimeNeedsBdat");
    this.#reply(this.#slot("DATA"), this.#situation("StartMailInput"));
    this.#flush(); // the 354 goes out before the message's events
    this.#apply("DATA", 354);
    transaction.transport = "DATA";
    this.#emit({ type: "message-start", envelope: this.#envelope(transaction), transport: "DATA" });
    this.#dataStart = this.#now;
    this.#dataBytes = 0;
    this.#enqueue(this.#reader.expectData());
  }

  #bdatCommand(command: BdatCommand): void {
    const transaction = this.#transaction as Transaction;
    // RFC 3030 §2: BDAT only when CHUNKING was offered to this client.
    if (!this.#advertised.has("CHUNKING")) return this.#refuse(command, "CommandNotImplemented");
    if (transaction.transport === undefined) {
      transaction.transport = "BDAT";
      this.#bdatStart = this.#now;
      this.#bdatBytes = 0;
      this.#emit({ type: "message-start", envelope: this.#envelope(transaction), transport: "BDAT" });
    }
    if (transaction.size + command.size > this.#config.limits.maxMessageSize) {
      // RFC 1870 §6.1 / RFC 3030 §2: refuse now, read the chunk anyway to stay in step.
      this.#abortMessage("too-big");
      const slots = command.last ? this.#contentSlots("BDAT", transaction, undefined) : [this.#slot("BDAT")];
      for (const slot of slots) this.#reply(slot, this.#situation("MessageTooBig"));
      this.#resumeAfterRefusal(command);
      this.#apply(commandInput("BDAT", command.last), 552);
      return;
    }
    this.#chunk = { slot: this.#slot("BDAT"), command };
    this.#dataStart = this.#now;
    this.#dataBytes = 0;
    this.#enqueue(this.#reader.expectBdat(command.size, command.last));
  }

  #content(data: Uint8Array): void {
    this.#dataBytes += data.length;
    this.#bdatBytes += data.length;
    if (this.#discardingChunk) return;
    const transaction = this.#transaction;
    if (transaction === undefined || transaction.tooBig) return;
    transaction.size += data.length;
    if (transaction.size > this.#config.limits.maxMessageSize) {
      this.#abortMessage("too-big");
      return;
    }
    this.#emit({ type: "message-chunk", data });
  }

  /** A message that began will not end normally. */
  #abortMessage(reason: MessageAbortedEvent["reason"]): void {
    const transaction = this.#transaction;
    if (transaction === undefined || transaction.transport === undefined || transaction.tooBig) return;
    transaction.tooBig = true; // no more content is passed on, and no second abort
    this.#emit({ type: "message-aborted", reason });
  }

  /** One reply slot per recipient in LMTP (RFC 2033 §4.2), one otherwise. */
  #contentSlots(verb: "DATA" | "BDAT", transaction: Transaction, first: Slot | undefined): Slot[] {
    const count = this.#config.lmtp ? Math.max(1, transaction.recipients.length) : 1;
    const slots: Slot[] = [];
    for (let i = 0; i < count; i += 1) slots.push(i === 0 && first !== undefined ? first : this.#slot(verb));
    return slots;
  }

  #dataEnd(event: DataEndEvent): void {
    this.#dataStart = undefined;
    const transaction = this.#transaction as Transaction;
    const slots = this.#contentSlots("DATA", transaction, undefined);
    this.#finishMessage("DATA", transaction, slots, event.size, event.violation);
    this.#apply("data-end", 250);
  }

  #bdatEnd(last: boolean): void {
    this.#dataStart = undefined;
    if (this.#discardingChunk) {
      this.#discardingChunk = false;
      return;
    }
    const chunk = this.#chunk;
    const transaction = this.#transaction;
    this.#chunk = undefined;
    if (chunk === undefined || transaction === undefined) return;
    const input = commandInput("BDAT", last);
    if (transaction.tooBig) {
      const slots = last ? this.#contentSlots("BDAT", transaction, chunk.slot) : [chunk.slot];
      for (const slot of slots) this.#reply(slot, this.#situation("MessageTooBig"));
      this.#apply(input, 552);
      return;
    }
    if (!last) {
      this.#reply(chunk.slot, this.#situation("ChunkAccepted"));
      this.#apply(input, 250);
      return;
    }
    this.#finishMessage("BDAT", transaction, this.#contentSlots("BDAT", transaction, chunk.slot), transaction.size, undefined);
    this.#apply(input, 250);
  }

  /** The end of a message: a violation or the size decides, else the embedder (once per LMTP recipient). */
  #finishMessage(verb: "DATA" | "BDAT", transaction: Transaction, slots: Slot[], size: number, violation: DataEndEvent["violation"]): void {
    let refusal: SituationName | undefined;
    if (violation !== undefined) {
      // The smuggling defence: bare CR/LF (or NUL) content was read to the real end and is refused now.
      this.#violation(violation === "BareLineEnding" ? "bare-line-ending" : "nul-in-data", violation === "BareLineEnding" ? "Bare CR or LF in message content." : "NUL in message content.");
      this.#abortMessage(violation === "BareLineEnding" ? "bare-line-ending" : "nul");
      refusal = violation;
    } else if (transaction.tooBig) {
      refusal = "MessageTooBig";
    }
    if (refusal !== undefined) {
      for (const slot of slots) this.#reply(slot, this.#situation(refusal));
      return;
    }
    const envelope = this.#envelope(transaction);
    slots.forEach((slot, index) => {
      const requestId = this.#request({ kind: "message-end", slot, verb });
      const recipient = this.#config.lmtp ? transaction.recipients[index] : undefined;
      this.#emit(recipient === undefined ? { type: "message-end", requestId, size, envelope } : { type: "message-end", requestId, size, envelope, recipient });
    });
  }

  #startTlsCommand(): void {
    if (!this.#config.starttls) return this.#refuse({ verb: "STARTTLS" }, "CommandNotImplemented");
    const slot = this.#slot("STARTTLS");
    this.#reply(slot, this.#situation("StartTlsReady"));
    slot.after = "start-tls";
    this.#apply("STARTTLS", 220);
    // RFC 3207 §5 (and CVE-2011-0411): what the client sent after STARTTLS, in the clear, is dropped.
    // The reader paused at STARTTLS, so no later event exists; only bytes.
    const discarded = this.#reader.takeBuffered().length + this.#heldBytes;
    this.#held = [];
    this.#heldBytes = 0;
    if (discarded > 0) this.#emit({ type: "pipelined-bytes-discarded", count: discarded });
  }

  #resetSession(): void {
    this.#abortMessage("reset");
    this.#transaction = undefined;
    this.#hello = undefined;
    this.#advertised = CapabilitySet.empty;
    this.#authenticated = undefined;
    this.#sasl = undefined;
  }

  // --- XCLIENT and XFORWARD (Postfix) -------------------------------------------------------

  /**
   * Whether this client may use a front-end command: 502 when the embedder did
   * not configure it (not offered), Postfix's 550 5.7.0 when it did but does
   * not trust this client.
   */
  #frontEndAllowed(command: XclientCommand | XforwardCommand): boolean {
    const trust = command.verb === "XCLIENT" ? this.#config.xclient : this.#config.xforward;
    if (trust === "trusted") return true;
    if (trust === undefined) this.#refuse(command, "CommandNotImplemented");
    else this.#reply(this.#slot(command.verb), frontEndNotAuthorizedReply(this.#replyStyle));
    return false;
  }

  #xclientCommand(command: XclientCommand): void {
    if (!this.#frontEndAllowed(command)) return;
    const current = this.#xclient ?? initialXclient(this.#connection);
    const applied = applyXclient(this.#connection, current, command.attributes);
    const slot = this.#slot("XCLIENT");
    if (!applied.ok) {
      this.#reply(slot, this.#situation("SyntaxError"));
      this.#apply("XCLIENT", 501);
      return;
    }
    // XCLIENT_README: the server goes back to the greeting stage and its connection-level access
    // decisions apply to the new client; the embedder answers as it answers a new connection.
    const { connection, attributes } = applied.value;
    const requestId = this.#request({ kind: "xclient", slot, connection, attributes });
    this.#emit({ type: "connection-requested", requestId, connection: { ...connection }, xclient: attributes });
  }

  #decideXclient(pending: Pending & { kind: "xclient" }, decision: ServerDecision): void {
    // The reply is a greeting, so it takes the greeting's codes (220, 554, 421).
    const reply = decisionReply(decision, "CONNECT", "Greeting", "ConnectionRefused", this.#replyStyle);
    this.#reply(pending.slot, reply);
    if (reply.code >= 300) {
      // Refused: the front end keeps the identity it had (a 421 closes).
      this.#apply("XCLIENT", reply.code);
      return;
    }
    this.#apply("XCLIENT", reply.code); // resets the session (EHLO again), keeps TLS
    this.#connection = pending.connection;
    this.#xclient = pending.attributes;
    this.#overridden = true;
    // Postfix's smtpd_sasl_auth_extern: LOGIN counts as authenticated, as if by AUTH.
    const login = pending.attributes.login;
    if (login !== undefined) this.#authenticated = { mechanism: "XCLIENT", authorizationIdentity: login };
    this.#emit({ type: "client-overridden", connection: { ...pending.connection }, xclient: pending.attributes });
  }

  #xforwardCommand(command: XforwardCommand): void {
    if (!this.#frontEndAllowed(command)) return;
    const applied = applyXforward(this.#forwarded ?? noForwardedClient, command.attributes);
    const slot = this.#slot("XFORWARD");
    if (!applied.ok) {
      this.#reply(slot, this.#situation("SyntaxError"));
      this.#apply("XFORWARD", 501);
      return;
    }
    this.#forwarded = applied.value;
    this.#reply(slot, this.#situation("Ok"));
    this.#apply("XFORWARD", 250);
    this.#emit({ type: "client-forwarded", forwarded: applied.value });
  }

  // --- AUTH --------------------------------------------------------------------------------

  #authCommand(command: AuthCommand): void {
    const { sasl, policy, nonce } = this.#config;
    if (sasl === undefined) return this.#refuse(command, "CommandNotImplemented");
    // RFC 3207 §4: when the server requires STARTTLS, it "SHOULD reply to every command other than
    // NOOP, EHLO, STARTTLS, or QUIT with the reply code 530" (5.7.0, "Must issue a STARTTLS command
    // first"). That is the reply here, even with allowAuthWithoutTls: the connection as a whole needs
    // TLS, not this mechanism, and the client's remedy is STARTTLS. 538 5.7.11 (RFC 4954 §6) is kept
    // for the case it was made for: TLS is optional, but authenticating is not allowed without it.
    if (policy.requireTls && !this.#tls) return this.#refuse(command, "StartTlsFirst");
    // RFC 4954 §4: 538 when the mechanism (here: any, by policy) needs an encrypted connection.
    if (!this.#tls && !policy.allowAuthWithoutTls) return this.#refuse(command, "AuthNeedsEncryption");
    const name = command.mechanism;
    const needsNonce = name === "CRAM-MD5" || name.startsWith("SCRAM-SHA-256");
    const attempt = {
      tls: this.#tls,
      ...(this.#channelBinding === undefined ? {} : { channelBinding: this.#channelBinding }),
      ...(needsNonce && nonce !== undefined ? { nonce: nonce() } : {}),
      ...(command.initialResponse === undefined ? {} : { initialResponse: command.initialResponse }),
    };
    let start: ReturnType<typeof sasl.start>;
    try {
      start = sasl.start(name, attempt);
    } catch (error) {
      // Only the embedder's nonce source can make this throw (a malformed nonce).
      if (SaslError.isInstance(error)) throw new ServerSessionError("invalid-option", `auth.nonce: ${error.message}`);
      throw error;
    }
    this.#sasl = { mechanism: start.mechanism, name, final: undefined };
    this.#authStep(this.#slot("AUTH"), start.step, "AUTH");
  }

  /** Carries out one SASL step: a 334, a question for the embedder, 235, or a failure. */
  #authStep(slot: Slot, step: SaslServerStep, input: "AUTH" | "sasl-response"): void {
    const exchange = this.#sasl;
    switch (step.type) {
      case "challenge":
        this.#reply(slot, replyTextBytes(`334 ${encodeBase64(step.challenge)}\r\n`));
        this.#apply(input, 334);
        this.#enqueue(this.#reader.expectSaslResponse());
        return;
      case "decision": {
        const requestId = this.#request({ kind: "auth", slot });
        this.#emit({ type: "auth-requested", requestId, mechanism: step.mechanism, request: step.request });
        return;
      }
      case "success":
        if (step.additionalData !== undefined && exchange !== undefined) {
          // RFC 4954 §4: SMTP has no "additional data with success": send it as a challenge, expect an empty line.
          exchange.final = step;
          exchange.mechanism = undefined;
          this.#reply(slot, replyTextBytes(`334 ${encodeBase64(step.additionalData)}\r\n`));
          this.#apply(input, 334);
          this.#enqueue(this.#reader.expectSaslResponse());
          return;
        }
        this.#authSuccess(slot, step, input);
        return;
      case "failure":
        this.#authFailure(slot, step.situation, step.mechanism ?? exchange?.name, input);
        return;
    }
  }

  #authSuccess(slot: Slot, step: SaslServerSuccess, input: "AUTH" | "sasl-response"): void {
    this.#reply(slot, this.#situation("AuthSucceeded"));
    this.#apply(input, 235);
    this.#authenticated = { mechanism: step.mechanism, authorizationIdentity: step.authorizationIdentity };
    this.#sasl = undefined;
    this.#emit({
      type: "authenticated",
      mechanism: step.mechanism,
      authenticationIdentity: step.authenticationIdentity,
      authorizationIdentity: step.authorizationIdentity,
    });
    this.#enqueue(this.#reader.expectCommands());
  }

  #authFailure(slot: Slot, situation: SituationName, mechanism: string | undefined, input: "AUTH" | "sasl-response" = "sasl-response"): void {
    this.#authFailures += 1;
    this.#sasl = undefined;
    this.#emit({ type: "auth-failed", mechanism, situation, failures: this.#authFailures });
    if (this.#authFailures >= this.#config.limits.maxAuthFailures) {
      slot.reply = this.#situation("AuthTooManyFailures");
      this.#endWith(slot, "auth-failures");
      return;
    }
    this.#reply(slot, this.#situation(situation));
    this.#apply(input, Situations[situation].code);
    this.#enqueue(this.#reader.expectCommands());
  }

  #saslLine(event: CommandReaderEvent & { type: "sasl-response" | "sasl-cancel" | "sasl-invalid" }): void {
    const slot = this.#slot("AUTH");
    const exchange = this.#sasl;
    if (exchange === undefined) {
      this.#authFailure(slot, "AuthResponseInvalid", undefined);
      return;
    }
    if (event.type === "sasl-cancel") return this.#authFailure(slot, "AuthCancelled", exchange.name);
    // Not base64, or a bare-LF line in strict mode: either way 501 (RFC 4954 §4).
    if (event.type === "sasl-invalid") return this.#authFailure(slot, "AuthResponseInvalid", exchange.name);
    if (exchange.final !== undefined) {
      // The client's answer to SCRAM's server signature must be empty.
      if (event.data.length === 0) this.#authSuccess(slot, exchange.final, "sasl-response");
      else this.#authFailure(slot, "AuthResponseInvalid", exchange.name);
      return;
    }
    const mechanism = exchange.mechanism;
    if (mechanism === undefined || mechanism.state !== "awaiting-response") return this.#authFailure(slot, "AuthResponseInvalid", exchange.name);
    this.#authStep(slot, mechanism.respond(event.data), "sasl-response");
  }

  #decideAuth(pending: Pending & { kind: "auth" }, decision: SaslDecision): void {
    const exchange = this.#sasl;
    const mechanism = exchange?.mechanism;
    if (mechanism === undefined) throw new ServerSessionError("invalid-decision", "No AUTH exchange waits for this decision.");
    let step: SaslServerStep;
    try {
      step = mechanism.decide(decision);
    } catch (error) {
      if (SaslError.isInstance(error)) throw new ServerSessionError("invalid-decision", error.message);
      throw error;
    }
    // Which row applies: the AUTH command's, or a response line's.
    this.#authStep(pending.slot, step, this.#state === "auth" ? "sasl-response" : "AUTH");
  }

  // --- Invalid lines --------------------------------------------------------------------------

  #invalid(event: CommandInvalidEvent): void {
    const error = event.error;
    const verb = error.verb;
    const authLine = verb === "AUTH" || /^auth(\s|$)/i.test(event.line);
    this.#emit({ type: "command-received", verb, line: authLine ? "AUTH [redacted]" : loggable(event.line), pipelined: event.pipelined });
    if (this.#shutdownRequested && commandStates.has(this.#state)) {
      const slot = this.#slot(verb ?? "unknown");
      slot.reply = this.#situation("ShuttingDown");
      this.#endWith(slot, "shutdown");
      return;
    }
    // A reply the command may receive: RFC 5321 §4.3.2 has no 550 for a bare-LF command line, so that is a 501.
    // A line that names no command may get only the general replies (500, 501, 502).
    let name: SituationName = error.situation;
    const code = Situations[name].code;
    if (verb !== undefined ? !isReplyAllowed(verb, code) : code !== 500 && code !== 501 && code !== 502) name = "SyntaxError";
    const slot = this.#slot(verb ?? "unknown");
    this.#reply(slot, this.#situation(name));
    // A malformed line of a known command moves the conversation as that command's failure does in
    // the table, so both roles stay in the same state (a 501 to BDAT ends the transaction, RFC 3030 §2).
    if (verb !== undefined && (commandInputs as readonly string[]).includes(verb)) {
      const input = verb as CommandInput;
      if (findTransition(this.#state, input, this.#flags())?.outcome.type === "evaluate") {
        if (input === "BDAT") this.#abortMessage("chunk-refused");
        this.#apply(input, Situations[name].code);
      }
    }
    if (error.forbidden) {
      // An HTTP request or TLS handshake on a plain-text port: not an SMTP client (Postfix's smtpd_forbidden_commands).
      this.#violation("forbidden-command", "The client is not speaking SMTP.");
      if (!this.#ending) this.#endWith(slot, "protocol-violation");
    }
  }
}

/**
 * Creates a server session.
 *
 * @param config - the server's name, what to advertise, policies, limits and timeouts
 * @returns a session waiting for `connect`
 * @throws {@link ServerSessionError} (`invalid-option`) for an invalid option
 * @example
 * ```ts
 * import { createServerSession } from "@smtpkit/session";
 * const session = createServerSession({
 *   hostname: "mx.example.com",
 *   tls: { starttls: true },
 *   limits: { maxMessageSize: 25 * 1024 * 1024 },
 * });
 * session.state; // "greeting"
 * ```
 */
export function createServerSession(config: ServerSessionConfig | PreparedServerSessionConfig): ServerSession {
  return new ServerSession(config);
}
