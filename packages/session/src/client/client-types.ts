/**
 * The data a {@link ClientSession} takes and gives: options, transactions,
 * outputs, events, results and failures. All plain `readonly` objects with a
 * string `type` where they form a union; none holds a credential, so every
 * event and snapshot can be logged with `JSON.stringify`.
 *
 * @module
 */
import type { BodyType, CapabilitySet, DsnNotify, DsnReturn, Mailbox, OriginalRecipient, Reply } from "@smtpkit/grammar";
import type { SaslChannelBinding } from "../sasl/channel-binding.js";
import type { SaslClientCredentials } from "../sasl/client-types.js";
import type { SaslMechanismName } from "../sasl/mechanism-names.js";
import type { SaslCrypto } from "../sasl/sasl-crypto.js";
import type { SessionState } from "../transition-table.js";
import type { ClientTimeouts } from "./client-limits.js";

/**
 * When to use STARTTLS (RFC 3207).
 * - `required`: TLS or nothing. The session fails before any AUTH or MAIL
 *   when STARTTLS is not offered, is refused, or is answered with anything
 *   but 220 (no downgrade by stripping STARTTLS from the EHLO reply).
 * - `opportunistic`: upgrade when offered; go on in clear text otherwise.
 * - `never`: never upgrade.
 */
export type StartTlsPolicy = "required" | "opportunistic" | "never";

/** How the client authenticates (RFC 4954), when it does. */
export interface ClientAuthOptions {
  /** Who authenticates, and with what (never shown in events or snapshots). */
  readonly credentials: SaslClientCredentials;
  /**
   * The mechanisms the embedder allows. Default: every implemented one that
   * the credentials can serve (SCRAM only when `scramNonce` is given).
   * {@link chooseMechanism} picks the strongest of them the server offers.
   */
  readonly mechanisms?: readonly SaslMechanismName[];
  /**
   * Send PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER without TLS. Default `false`:
   * a reusable credential never goes over a clear-text connection
   * (RFC 4954 §4, RFC 4616 §4).
   */
  readonly allowPlaintextAuth?: boolean;
  /** Consider CRAM-MD5 (weak, MD5-based). Default `false`. */
  readonly allowCramMd5?: boolean;
  /**
   * A fresh random client nonce for SCRAM (RFC 5802 §5.1): the session has no
   * randomness of its own. 8 to 256 printable ASCII characters without ",".
   */
  readonly scramNonce?: string;
  /** OAUTHBEARER: the server's host name (RFC 7628 §3.1 `host=`). */
  readonly host?: string;
  /** OAUTHBEARER: the server's port (RFC 7628 §3.1 `port=`). */
  readonly port?: number;
  /** The hash functions for CRAM-MD5 and SCRAM; default the pure ones. */
  readonly crypto?: SaslCrypto;
}

/**
 * Options of {@link createClientSession}.
 *
 * @example
 * ```ts
 * const options: ClientSessionOptions = {
 *   hostname: "client.example.com",
 *   startTls: "required",
 *   pipelining: true,
 *   timeouts: { dataTermination: 600_000 },
 * };
 * ```
 */
export interface ClientSessionOptions {
  /**
   * The client's name for itself in EHLO/HELO/LHLO (RFC 5321 §4.1.1.1): a
   * fully qualified domain name, or an address literal such as `[192.0.2.1]`.
   */
  readonly hostname: string;
  /** Speak LMTP (RFC 2033): LHLO, no HELO fallback, one reply per accepted recipient after the data. Default `false`. */
  readonly lmtp?: boolean;
  /** STARTTLS policy; default `opportunistic`. */
  readonly startTls?: StartTlsPolicy;
  /**
   * The connection is already protected by TLS (implicit TLS, RFC 8314,
   * port 465): no STARTTLS, and `channelBinding` applies from the start.
   * Default `false`.
   */
  readonly implicitTls?: boolean;
  /** For `implicitTls`: the TLS channel binding (enables SCRAM-SHA-256-PLUS). */
  readonly channelBinding?: SaslChannelBinding;
  /** Authenticate with these credentials (RFC 4954). Without it the client never sends AUTH. */
  readonly auth?: ClientAuthOptions;
  /** Pipeline MAIL and RCPTs (and BDAT chunks) when the server offers PIPELINING (RFC 2920). Default `true`. */
  readonly pipelining?: boolean;
  /**
   * With {@link ClientSessionOptions.pipelining}, send DATA as the last command
   * of the MAIL/RCPT group (RFC 2920 §3.1 allows it) instead of after their
   * replies: one round trip fewer per message. The content still waits for
   * DATA's 354; should a server answer 354 although it refused the sender or
   * every recipient, it gets an empty message (a lone ".") and RSET, never the
   * content. BDAT is never pipelined with the envelope. Default `false`.
   */
  readonly pipelineData?: boolean;
  /** Send the message with BDAT when the server offers CHUNKING (RFC 3030). Default `false` (DATA). */
  readonly chunking?: boolean;
  /** The largest BDAT chunk in octets; default {@link CLIENT_DEFAULT_CHUNK_SIZE}. */
  readonly chunkSize?: number;
  /** The most pipelined BDAT commands awaiting a reply; default {@link CLIENT_DEFAULT_MAX_OUTSTANDING_CHUNKS}. */
  readonly maxOutstandingChunks?: number;
  /** The most recipients one transaction may have; default {@link CLIENT_DEFAULT_MAX_RECIPIENTS}. */
  readonly maxRecipients?: number;
  /** Timeouts in milliseconds; each defaults to RFC 5321 §4.5.3.1's. */
  readonly timeouts?: Partial<ClientTimeouts>;
  /** Reply limits, forwarded to the grammar's `ReplyReader`. */
  readonly replyLimits?: {
    /** Longest reply line in octets; default {@link CLIENT_DEFAULT_MAX_REPLY_LINE_LENGTH}. */
    readonly maxLineLength?: number;
    /** Most lines in one reply; default {@link CLIENT_DEFAULT_MAX_REPLY_LINES}. */
    readonly maxLines?: number;
  };
}

/** One recipient of a {@link ClientTransaction}. */
export interface ClientRecipient {
  /** The forward-path. */
  readonly address: Mailbox;
  /** DSN `NOTIFY=` (RFC 3461 §4.1); sent only when the server offers DSN. */
  readonly notify?: readonly DsnNotify[];
  /** DSN `ORCPT=` (RFC 3461 §4.2); sent only when the server offers DSN. */
  readonly orcpt?: OriginalRecipient;
}

/**
 * One message to send: the envelope, and what the client must know about the content.
 *
 * @example
 * ```ts
 * const transaction: ClientTransaction = {
 *   from: null, // a bounce
 *   recipients: [{ address: { localPart: "bob", domain: "example.org" } }],
 *   body: "8BITMIME",
 *   size: 12_000,
 * };
 * ```
 */
export interface ClientTransaction {
  /** The reverse-path; `null` for the null sender `<>` (bounces, RFC 5321 §4.5.5). */
  readonly from: Mailbox | null;
  /** The recipients, in order: at least one. */
  readonly recipients: readonly ClientRecipient[];
  /**
   * The content's size in octets, when known (RFC 1870): sent as `SIZE=`
   * when the server offers SIZE; a size over the server's limit is refused
   * before MAIL.
   */
  readonly size?: number;
  /**
   * The content's body type (RFC 6152, RFC 3030). `8BITMIME` is refused
   * before MAIL when the server lacks 8BITMIME; `BINARYMIME` needs BINARYMIME,
   * CHUNKING and the `chunking` option. Unset: 7-bit is assumed, and when
   * the server lacks 8BITMIME each chunk is checked and an 8-bit octet
   * aborts the connection before the message can be delivered.
   */
  readonly body?: BodyType;
  /**
   * Ask for SMTPUTF8 (RFC 6531) even when every address is ASCII (the
   * headers hold UTF-8). Any non-ASCII address implies it. Refused before
   * MAIL when the server lacks SMTPUTF8.
   */
  readonly smtputf8?: boolean;
  /** REQUIRETLS (RFC 8689): refused before MAIL unless TLS is active and the server offers REQUIRETLS. */
  readonly requireTls?: boolean;
  /** DSN `RET=` (RFC 3461 §4.3); sent only when the server offers DSN. */
  readonly ret?: DsnReturn;
  /** DSN `ENVID=` (RFC 3461 §4.4); sent only when the server offers DSN. */
  readonly envid?: string;
}

/** Why the client refused a transaction itself, before sending anything for it. */
export type TransactionRefusalReason =
  /** The body is 8BITMIME and the server lacks 8BITMIME (RFC 6152 §3): re-encode to 7 bit and send again. */
  | "8bit-not-supported"
  /** BODY=BINARYMIME needs BINARYMIME and CHUNKING offered and `chunking` enabled (RFC 3030 §3). */
  | "binarymime-not-supported"
  /** A non-ASCII address (or `smtputf8`) and the server lacks SMTPUTF8 (RFC 6531 §3.2). */
  | "smtputf8-not-supported"
  /** The declared size exceeds the server's SIZE limit (RFC 1870 §6). */
  | "size-exceeds-limit"
  /** REQUIRETLS was asked for and TLS is not active or REQUIRETLS is not offered (RFC 8689 §4.2). */
  | "requiretls-not-supported";

/** What happened to one recipient. */
export interface RecipientResult {
  /** The recipient, as given. */
  readonly address: Mailbox;
  /**
   * `accepted`: the server took responsibility for delivering to it;
   * `rejected`: refused at RCPT or (LMTP) after the data, or the message was
   * refused; `not-attempted`: the transaction ended before RCPT was answered.
   */
  readonly status: "accepted" | "rejected" | "not-attempted";
  /** Whether a rejection was temporary (4yz: try again later). */
  readonly temporary: boolean;
  /** The reply to RCPT. */
  readonly rcptReply?: Reply;
  /** LMTP: this recipient's own reply after the data (RFC 2033 §4.2). */
  readonly deliveryReply?: Reply;
}

/**
 * The outcome of one transaction.
 *
 * @example
 * ```ts
 * // { id: 1, status: "accepted", temporary: false, dataSent: true, dsnSent: false,
 * //   recipients: [{ address, status: "accepted", temporary: false, rcptReply: { code: 250, enhanced: "2.1.5", lines: ["OK"] } }],
 * //   mailReply: {...}, dataReply: { code: 354, ... }, messageReply: { code: 250, ... } }
 * ```
 */
export interface TransactionResult {
  /** The id {@link ClientSession.send} returned. */
  readonly id: number;
  /**
   * - `accepted`: the server took the message for at least one recipient
   *   (look at `recipients` for the others);
   * - `rejected`: the server refused it (MAIL, every RCPT, DATA, or the content);
   * - `refused`: the client refused it before sending anything (`refusal` says why);
   * - `aborted`: the session ended first. When the end of the data had
   *   already been sent (`dataSent`), the server may have taken the message
   *   (RFC 1047): treat as a temporary failure that may duplicate.
   */
  readonly status: "accepted" | "rejected" | "refused" | "aborted";
  /** Whether a rejection or abort was temporary (try again later). */
  readonly temporary: boolean;
  /** Per recipient, in the order given. */
  readonly recipients: readonly RecipientResult[];
  /** The reply to MAIL. */
  readonly mailReply?: Reply;
  /** The reply to DATA (354, or the refusal). */
  readonly dataReply?: Reply;
  /** The reply after the content (SMTP; for LMTP see each recipient's `deliveryReply`), or to the failed BDAT. */
  readonly messageReply?: Reply;
  /** For `refused`: why. */
  readonly refusal?: TransactionRefusalReason;
  /** Whether the end of the content was sent. */
  readonly dataSent: boolean;
  /** Whether the DSN parameters were sent (false when the server lacks DSN and they were left out). */
  readonly dsnSent: boolean;
}

/** Who is to blame for a failed session. */
export type Fault = "local" | "remote";

/** Why a session ended early. */
export type ClientFailureReason =
  /** The server's greeting was not 220 (421, 554: RFC 5321 §3.1). */
  | "greeting-refused"
  /** EHLO/LHLO (and HELO, where tried) was refused. */
  | "hello-refused"
  /** STARTTLS is required and the server does not offer it. */
  | "starttls-not-offered"
  /** STARTTLS is required and the server refused it. */
  | "starttls-refused"
  /** Bytes arrived between the 220 to STARTTLS and the TLS handshake (RFC 3207 §5). */
  | "starttls-injection"
  /** The embedder's TLS handshake failed ({@link ClientSession.tlsFailed}). */
  | "tls-handshake-failed"
  /** Credentials were given and the server offers no AUTH. */
  | "auth-not-offered"
  /** The only mechanisms left would send the credential in clear text. */
  | "auth-needs-tls"
  /** No offered mechanism is allowed and usable with the credentials. */
  | "auth-no-common-mechanism"
  /** The server refused the credentials (535 and friends). */
  | "auth-refused"
  /** The server's SASL challenges broke the mechanism, or its success could not be verified. */
  | "auth-protocol-error"
  /** The auth options could not make a mechanism (the SASL layer refused the credentials or nonce). */
  | "auth-misconfigured"
  /** A reply line that is not a reply, or a reply that breaks RFC 5321 §4.2. */
  | "reply-invalid"
  /** A reply exceeded the line or line-count limit. */
  | "reply-too-long"
  /** A reply that no command asked for, or a code no rule expects (a 3yz where none fits). */
  | "unexpected-reply"
  /** The server sent 421: it is closing the connection (RFC 5321 §3.8). */
  | "service-closing"
  /** RSET was refused: the connection is out of sync. */
  | "reset-refused"
  /** A reply did not come in time (RFC 5321 §4.5.3.1). */
  | "timeout"
  /** The server closed the connection before the session ended. */
  | "connection-closed"
  /** The program ended the session ({@link ClientSession.abort}). */
  | "aborted"
  /** The session was about to send something the transition table does not allow (a bug; nothing was sent). */
  | "out-of-sequence"
  /** An 8-bit octet in content declared 7-bit for a server without 8BITMIME; aborted so it cannot be delivered corrupt. */
  | "8bit-content-undeclared"
  /**
   * A NUL octet in content that is not BINARYMIME (RFC 5321 §4.5.2 allows no NUL in SMTP text, RFC 6152
   * none in 8BITMIME): aborted before the end of data, since a receiver that drops NULs would read
   * `<CRLF>NUL.<CRLF>` as the end and what follows as commands (SMTP smuggling).
   */
  | "nul-content";

/**
 * Why a session ended early, and who is to blame.
 *
 * @example
 * ```ts
 * // { reason: "auth-refused", fault: "remote", message: "The server refused authentication (535).",
 * //   reply: { code: 535, enhanced: "5.7.8", lines: ["Authentication credentials invalid"] } }
 * ```
 */
export interface ClientSessionFailure {
  /** A stable tag. */
  readonly reason: ClientFailureReason;
  /** `remote`: the server refused or broke the protocol; `local`: this side's policy or the embedder. */
  readonly fault: Fault;
  /** A sentence for logs (never holds a credential). */
  readonly message: string;
  /** The reply that caused it, when one did. */
  readonly reply?: Reply;
}

/** The server's 220 greeting arrived (RFC 5321 §4.2). */
export interface GreetingReceivedEvent {
  readonly type: "greeting-received";
  /** The greeting. */
  readonly reply: Reply;
}

/** The reply to EHLO/LHLO (or HELO) arrived. */
export interface CapabilitiesReceivedEvent {
  readonly type: "capabilities-received";
  /** The server's name for itself (first word of the reply). */
  readonly domain: string;
  /** What it offers; empty after HELO. */
  readonly capabilities: CapabilitySet;
  /** Whether the server answered EHLO/LHLO (`false`: fell back to HELO). */
  readonly extended: boolean;
  /** Whether TLS is active. */
  readonly tls: boolean;
}

/** Authentication succeeded (RFC 4954 §6; for SCRAM the server proved it knows the password). */
export interface AuthSucceededEvent {
  readonly type: "auth-succeeded";
  /** The mechanism used. */
  readonly mechanism: SaslMechanismName;
}

/** The session is ready for transactions: greeting, EHLO, STARTTLS and AUTH are done. */
export interface SessionReadyEvent {
  readonly type: "session-ready";
  /** Whether TLS is active. */
  readonly tls: boolean;
  /** Whether the session authenticated. */
  readonly authenticated: boolean;
}

/**
 * Give the next chunk of the transaction's content with
 * {@link ClientSession.provideMessage}, or end it with
 * {@link ClientSession.endMessage}.
 */
export interface MessageChunkNeededEvent {
  readonly type: "message-chunk-needed";
  /** The transaction whose content is wanted. */
  readonly id: number;
  /** Content octets taken so far for this transaction. */
  readonly bytesTaken: number;
}

/** A transaction ended. */
export interface TransactionResultEvent {
  readonly type: "transaction-result";
  /** The outcome. */
  readonly result: TransactionResult;
}

/** The session ended early; every queued transaction is reported `aborted` after this. */
export interface SessionFailedEvent {
  readonly type: "session-failed";
  /** Why, and who is to blame. */
  readonly failure: ClientSessionFailure;
}

/**
 * Everything a {@link ClientSession} reports.
 *
 * @example
 * ```ts
 * if (output.type === "event" && output.event.type === "transaction-result") console.log(output.event.result.status);
 * ```
 */
export type ClientEvent =
  | GreetingReceivedEvent
  | CapabilitiesReceivedEvent
  | AuthSucceededEvent
  | SessionReadyEvent
  | MessageChunkNeededEvent
  | TransactionResultEvent
  | SessionFailedEvent;

/** Write these bytes to the connection, in order. */
export interface WriteOutput {
  readonly type: "write";
  /** The bytes. */
  readonly bytes: Uint8Array;
}

/** Something happened; see {@link ClientEvent}. */
export interface EventOutput {
  readonly type: "event";
  /** The event. */
  readonly event: ClientEvent;
}

/**
 * Start the TLS handshake now (RFC 3207), then call
 * {@link ClientSession.tlsEstablished}. Nothing read before this may be kept.
 */
export interface StartTlsOutput {
  readonly type: "start-tls";
}

/** Close the connection. Nothing follows. */
export interface CloseOutput {
  readonly type: "close";
}

/**
 * What a {@link ClientSession} gives the embedder.
 *
 * @example
 * ```ts
 * for (const output of session.takeOutputs()) {
 *   if (output.type === "write") socket.write(output.bytes);
 *   else if (output.type === "close") socket.end();
 * }
 * ```
 */
export type ClientOutput = WriteOutput | EventOutput | StartTlsOutput | CloseOutput;

/** What {@link ClientSession.tlsEstablished} takes. */
export interface TlsInfo {
  /** The channel binding of the new TLS connection (enables SCRAM-SHA-256-PLUS). */
  readonly channelBinding?: SaslChannelBinding;
}

/** Where a client session is. */
export type ClientState =
  /** Created; waiting for {@link ClientSession.connected}. */
  | "not-connected"
  /** Waiting for the 220 greeting. */
  | "greeting"
  /** EHLO, LHLO or HELO sent. */
  | "hello"
  /** STARTTLS sent. */
  | "starttls"
  /** The 220 to STARTTLS arrived; waiting for {@link ClientSession.tlsEstablished}. */
  | "tls-handshake"
  /** An AUTH exchange runs. */
  | "auth"
  /** Nothing in flight; transactions may start. */
  | "ready"
  /** MAIL and RCPT sent, replies awaited. */
  | "envelope"
  /** DATA sent, 354 awaited. */
  | "data"
  /** Sending the content. */
  | "content"
  /** The end of the content sent; the final reply (or LMTP replies) awaited. */
  | "data-end"
  /** RSET sent. */
  | "reset"
  /** QUIT sent. */
  | "quit"
  /** Closed; nothing more happens. */
  | "closed";

/** A log-safe picture of a client session (no credentials, no content). */
export interface ClientSessionSnapshot {
  /** Where the session is. */
  readonly state: ClientState;
  /** Where the shared transition table says the conversation is (after the replies received). */
  readonly protocolState: SessionState;
  /** Whether TLS is active. */
  readonly tls: boolean;
  /** Whether the session speaks LMTP. */
  readonly lmtp: boolean;
  /** The capability keywords the server offered (empty before EHLO). */
  readonly capabilities: readonly string[];
  /** The mechanism that authenticated, if any. */
  readonly authenticated: SaslMechanismName | undefined;
  /** The verbs whose replies are awaited, oldest first. */
  readonly awaiting: readonly string[];
  /** The transaction in progress. */
  readonly transaction: number | undefined;
  /** Transactions waiting to start. */
  readonly queued: readonly number[];
  /** Whether QUIT was asked for. */
  readonly quitRequested: boolean;
  /** The deadline (in the embedder's clock), if a reply or chunk is awaited. */
  readonly deadline: number | undefined;
  /** Why the session ended early, if it did. */
  readonly failure: ClientSessionFailure | undefined;
}
