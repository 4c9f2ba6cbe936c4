/**
 * What a server session gives out (bytes to write, events, "start TLS now",
 * "close now") and what it takes back (decisions). All plain `readonly`
 * objects tagged by `type`. Events never hold a credential: AUTH lines are
 * shown without their response, and SASL decision requests carry passwords and
 * tokens only inside `Redacted`, so `JSON.stringify` of any event is safe to log.
 *
 * @module
 */
import type { Situation, SituationName } from "@smtpkit/codes";
import type { BodyType, Mailbox, MailParameters, RcptParameters } from "@smtpkit/grammar";
import type { SaslMechanismName } from "../sasl/mechanism-names.js";
import type { SaslDecision, SaslDecisionRequest } from "../sasl/server-types.js";
import type { SessionState } from "../transition-table.js";

/** Identifies a question the session asked; answer it with `decide(requestId, decision)`. */
export type RequestId = number;

/** Facts about the connection, given to `connect`. Only `remoteAddress` is required. */
export interface ConnectionInfo {
  /** The client's IP address as text. */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort?: number;
  /** The local address the client connected to. */
  readonly localAddress?: string;
  /** The local port. */
  readonly localPort?: number;
}

/**
 * What a trusted front end said about its client with XCLIENT (Postfix
 * XCLIENT_README), beyond the addresses (those are in the event's
 * `connection`). Attributes the command left out keep the values of an
 * earlier XCLIENT, except HELO, PROTO and LOGIN, which Postfix resets.
 */
export interface XclientAttributes {
  /** The connection the XCLIENT came over (what `connect` was told): the front end itself. */
  readonly frontEnd: ConnectionInfo;
  /** NAME: the client's host name as the front end resolved it; `undefined` when not known. */
  readonly name: string | undefined;
  /** Whether the name is known: NAME=[UNAVAILABLE] is `unavailable`, NAME=[TEMPUNAVAIL] `temporarily-unavailable`, no NAME yet `not-given`. */
  readonly nameStatus: "known" | "unavailable" | "temporarily-unavailable" | "not-given";
  /** HELO: the name the client gave in its own HELO/EHLO; `undefined` when not given or [UNAVAILABLE]. */
  readonly helo: string | undefined;
  /** PROTO: `SMTP` or `ESMTP`, how the client introduced itself; `undefined` when not given. */
  readonly protocol: "SMTP" | "ESMTP" | undefined;
  /** LOGIN: the SASL login name the front end verified; the session counts it as authenticated. */
  readonly login: string | undefined;
}

/**
 * What an upstream MTA forwarded with XFORWARD (Postfix XFORWARD_README):
 * logging attributes of the client it received the message from. They apply
 * to the next mail transaction only and never to access decisions. An
 * attribute the front end did not send, or sent as [UNAVAILABLE], is `undefined`
 * (the README: never mixed with this session's own client).
 */
export interface ForwardedClient {
  /** NAME: the upstream client's host name (not necessarily in the DNS). */
  readonly name: string | undefined;
  /** ADDR: its address (IPv4 dotted quad, or IPv6 text without the `IPV6:` prefix). */
  readonly address: string | undefined;
  /** PORT: its TCP port. */
  readonly port: number | undefined;
  /** PROTO: the protocol it used (SMTP, ESMTP, or another name of up to 64 characters). */
  readonly protocol: string | undefined;
  /** HELO: the name it introduced itself with. */
  readonly helo: string | undefined;
  /** IDENT: the message's queue id at the upstream MTA. */
  readonly ident: string | undefined;
  /** SOURCE: `LOCAL` when the message originated at the upstream host, `REMOTE` otherwise. */
  readonly source: "LOCAL" | "REMOTE" | undefined;
}

/** One recipient of the envelope. */
export interface EnvelopeRecipient {
  /** The forward-path. */
  readonly to: Mailbox;
  /** Its parameters (DSN `NOTIFY`, `ORCPT`...). */
  readonly parameters: RcptParameters;
}

/** A mail transaction as accepted so far. */
export interface Envelope {
  /** The reverse-path; `null` for `<>`. */
  readonly from: Mailbox | null;
  /** MAIL's parameters (SIZE, BODY, SMTPUTF8, DSN RET/ENVID, REQUIRETLS, AUTH=...). */
  readonly parameters: MailParameters;
  /** The body type (`7BIT` when MAIL named none). */
  readonly body: BodyType;
  /** Whether the transaction is SMTPUTF8 (RFC 6531). */
  readonly smtputf8: boolean;
  /** Whether the message must travel over TLS only (RFC 8689). */
  readonly requireTls: boolean;
  /** The accepted recipients, in order. */
  readonly recipients: readonly EnvelopeRecipient[];
  /** What a trusted front end forwarded with XFORWARD for this transaction, when it did. */
  readonly forwarded?: ForwardedClient;
}

/**
 * Asks whether to greet the client (220) or refuse the connection (554).
 *
 * Also asked again after a trusted front end's XCLIENT (Postfix
 * XCLIENT_README: the server "resets state to the initial SMTP greeting
 * protocol stage" and re-applies its connection-level access decisions), then
 * with the client the front end describes in `connection` and the rest in
 * `xclient`. Accept: the new identity applies, the session starts over and the
 * reply to XCLIENT is the 220 greeting. Reject: the reply to XCLIENT is the
 * rejection (for example 554, or 421 to close) and nothing changes.
 */
export interface ConnectionRequestedEvent {
  /** The event type. */
  readonly type: "connection-requested";
  /** Answer with `accept` or `reject`. */
  readonly requestId: RequestId;
  /** What `connect` was told, or the client an XCLIENT describes. */
  readonly connection: ConnectionInfo;
  /** Set when the question comes from an XCLIENT: the other attributes. */
  readonly xclient?: XclientAttributes;
}

/** Asks whether to accept a sender (MAIL FROM). */
export interface MailRequestedEvent {
  /** The event type. */
  readonly type: "mail-requested";
  /** Answer with `accept` or `reject`. */
  readonly requestId: RequestId;
  /** The reverse-path; `null` for `<>`. */
  readonly from: Mailbox | null;
  /** MAIL's parameters, already checked against what was advertised. */
  readonly parameters: MailParameters;
  /** The EHLO/HELO name the client gave. */
  readonly helloDomain: string | undefined;
  /** The authorization identity, when AUTH succeeded. */
  readonly authenticatedAs: string | undefined;
  /** Whether TLS is active. */
  readonly tls: boolean;
  /** What a trusted front end forwarded with XFORWARD for this transaction, when it did. */
  readonly forwarded: ForwardedClient | undefined;
}

/** Asks whether to accept a recipient (RCPT TO). */
export interface RecipientRequestedEvent {
  /** The event type. */
  readonly type: "recipient-requested";
  /** Answer with `accept` or `reject`. */
  readonly requestId: RequestId;
  /** The forward-path. */
  readonly to: Mailbox;
  /** RCPT's parameters, already checked against what was advertised. */
  readonly parameters: RcptParameters;
  /** The transaction's reverse-path. */
  readonly from: Mailbox | null;
  /** The authorization identity, when AUTH succeeded. */
  readonly authenticatedAs: string | undefined;
}

/** A message begins (after 354, or with the first BDAT chunk). Content follows as `message-chunk`. */
export interface MessageStartEvent {
  /** The event type. */
  readonly type: "message-start";
  /** The envelope. */
  readonly envelope: Envelope;
  /** How the content comes. */
  readonly transport: "DATA" | "BDAT";
}

/**
 * Message content, as received (DATA unstuffed; BDAT as sent). The bytes
 * are a view of the input buffer: copy them to keep them past the next input.
 */
export interface MessageChunkEvent {
  /** The event type. */
  readonly type: "message-chunk";
  /** The octets. */
  readonly data: Uint8Array;
}

/**
 * The message is complete: store it, then answer `accept` (the 250 goes out:
 * from here the server is responsible for the message, RFC 5321 §6.1) or
 * `reject`. In LMTP one such request comes per accepted recipient (RFC 2033 §4.2).
 */
export interface MessageEndEvent {
  /** The event type. */
  readonly type: "message-end";
  /** Answer with `accept` or `reject`. */
  readonly requestId: RequestId;
  /** Octets of content. */
  readonly size: number;
  /** The envelope. */
  readonly envelope: Envelope;
  /** LMTP: the recipient this answer is for. */
  readonly recipient?: EnvelopeRecipient;
}

/** A message that began will not end with `message-end`: discard what was received. */
export interface MessageAbortedEvent {
  /** The event type. */
  readonly type: "message-aborted";
  /** Why. */
  readonly reason: "too-big" | "bare-line-ending" | "nul" | "chunk-refused" | "reset" | "closed";
}

/** Asks the embedder to check credentials (a SASL decision request). */
export interface AuthRequestedEvent {
  /** The event type. */
  readonly type: "auth-requested";
  /** Answer with the matching SASL decision (`accept`, `reject`, `secret`, `scram-verifier`). */
  readonly requestId: RequestId;
  /** The mechanism. */
  readonly mechanism: SaslMechanismName;
  /** The question; passwords and tokens inside are `Redacted`. */
  readonly request: SaslDecisionRequest;
}

/** AUTH succeeded. */
export interface AuthenticatedEvent {
  /** The event type. */
  readonly type: "authenticated";
  /** The mechanism. */
  readonly mechanism: SaslMechanismName;
  /** The identity whose credentials were checked. */
  readonly authenticationIdentity: string;
  /** The identity the client now acts as. */
  readonly authorizationIdentity: string;
}

/** AUTH failed (reported for logs and rate limiting; never with the credentials). */
export interface AuthFailedEvent {
  /** The event type. */
  readonly type: "auth-failed";
  /** The mechanism, when known. */
  readonly mechanism: string | undefined;
  /** The reply situation. */
  readonly situation: SituationName;
  /** Failed attempts in this session so far. */
  readonly failures: number;
}

/**
 * An XCLIENT was accepted: from now on the session's client is the one the
 * front end described (reported for hooks and logs; the question came before,
 * as `connection-requested` with `xclient`).
 */
export interface ClientOverriddenEvent {
  /** The event type. */
  readonly type: "client-overridden";
  /** The client's addresses as the front end gave them. */
  readonly connection: ConnectionInfo;
  /** The other attributes. */
  readonly xclient: XclientAttributes;
}

/** An XFORWARD was accepted (reported for hooks and logs): the attributes now in force for the next transaction. */
export interface ClientForwardedEvent {
  /** The event type. */
  readonly type: "client-forwarded";
  /** Every attribute forwarded so far for the next transaction. */
  readonly forwarded: ForwardedClient;
}

/** A command was taken up (reported for logs). */
export interface CommandReceivedEvent {
  /** The event type. */
  readonly type: "command-received";
  /** The verb, or `undefined` for an unrecognized line. */
  readonly verb: string | undefined;
  /** The line (an AUTH line shows only the mechanism, never its response). */
  readonly line: string;
  /** Whether more input had arrived behind it (pipelining). */
  readonly pipelined: boolean;
}

/** A reply was written (reported for logs). */
export interface ReplySentEvent {
  /** The event type. */
  readonly type: "reply-sent";
  /** What it answers: a verb, `CONNECT` for the greeting, or `none` for an unsolicited 421/554. */
  readonly to: string;
  /** The reply code. */
  readonly code: number;
  /** The enhanced status code, when sent. */
  readonly enhanced: string | undefined;
  /** The first line's text. */
  readonly text: string;
}

/** After STARTTLS, bytes the client had sent in the clear were dropped (RFC 3207 §5, CVE-2011-0411). */
export interface PipelinedBytesDiscardedEvent {
  /** The event type. */
  readonly type: "pipelined-bytes-discarded";
  /** How many octets. */
  readonly count: number;
}

/** The client broke a rule; the session answered it (reported for logs and blocking). */
export interface ProtocolViolationEvent {
  /** The event type. */
  readonly type: "protocol-violation";
  /** Which rule. */
  readonly violation:
    | "talked-before-greeting"
    | "unauthorized-pipelining"
    | "forbidden-command"
    | "line-too-long"
    | "input-overflow"
    | "input-truncated"
    | "bare-line-ending"
    | "nul-in-data";
  /** A sentence for logs (no peer bytes). */
  readonly detail: string;
}

/** The session is over: no more outputs follow. */
export interface SessionClosedEvent {
  /** The event type. */
  readonly type: "session-closed";
  /** Why. */
  readonly reason: "quit" | "refused" | "shutdown" | "timeout" | "too-many-errors" | "auth-failures" | "protocol-violation" | "input-overflow" | "peer-closed" | "tls-failed";
}

/** Every event a server session emits. Those with a `requestId` wait for `decide`. */
export type ServerEvent =
  | ConnectionRequestedEvent
  | MailRequestedEvent
  | RecipientRequestedEvent
  | MessageStartEvent
  | MessageChunkEvent
  | MessageEndEvent
  | MessageAbortedEvent
  | AuthRequestedEvent
  | AuthenticatedEvent
  | AuthFailedEvent
  | ClientOverriddenEvent
  | ClientForwardedEvent
  | CommandReceivedEvent
  | ReplySentEvent
  | PipelinedBytesDiscardedEvent
  | ProtocolViolationEvent
  | SessionClosedEvent;

/** Write these bytes to the client. */
export interface ServerWriteOutput {
  /** The output type. */
  readonly type: "write";
  /** One complete reply (or several lines of one reply). */
  readonly bytes: Uint8Array;
}

/** An event for the embedder. */
export interface ServerEventOutput {
  /** The output type. */
  readonly type: "event";
  /** The event. */
  readonly event: ServerEvent;
}

/** Start the TLS handshake now (after writing everything before it), then call `tlsEstablished`. */
export interface ServerStartTlsOutput {
  /** The output type. */
  readonly type: "start-tls";
}

/** Close the connection now (after writing everything before it). */
export interface ServerCloseOutput {
  /** The output type. */
  readonly type: "close";
}

/** What a server session gives out, in order. */
export type ServerOutput = ServerWriteOutput | ServerEventOutput | ServerStartTlsOutput | ServerCloseOutput;

/** A reply of the embedder's own instead of the canonical one. */
export interface CustomReply {
  /** The code; it must be one RFC 5321 §4.3.2 allows for the command, of the decision's class. */
  readonly code: number;
  /** The enhanced status code (RFC 3463), whose class must match the code's. */
  readonly enhanced?: string;
  /** The text: one line, or several. No CR, LF or NUL. */
  readonly text: string | readonly string[];
}

/** Accept: the canonical positive reply, or `reply` (for example 251 to a RCPT). */
export interface AcceptDecision {
  /** The decision type. */
  readonly type: "accept";
  /** A positive reply of the embedder's own. */
  readonly reply?: CustomReply;
}

/** Reject: with a situation of `@smtpkit/codes` (`RelayDenied`, `MailboxUnavailable`...) or a reply of one's own. */
export interface RejectDecision {
  /** The decision type. */
  readonly type: "reject";
  /**
   * The situation to answer with, by name or as the object from `Situations`
   * (its code must fit the command).
   */
  readonly situation?: SituationName | Situation;
  /** A negative reply of the embedder's own; wins over `situation`. */
  readonly reply?: CustomReply;
}

/** The answer to `connection-requested`, `mail-requested`, `recipient-requested` or `message-end`. */
export type ServerDecision = AcceptDecision | RejectDecision;

/** Any answer `decide` takes: a {@link ServerDecision}, or a `SaslDecision` for `auth-requested`. */
export type AnyDecision = ServerDecision | SaslDecision;

/** A plain, serializable view of a session, for logs and tests. Holds no credential. */
export interface ServerSessionSnapshot {
  /** The state of the transition table. */
  readonly state: SessionState;
  /** TLS active. */
  readonly tls: boolean;
  /** AUTH succeeded. */
  readonly authenticated: boolean;
  /** The authorization identity, when authenticated. */
  readonly authenticatedAs: string | undefined;
  /** LMTP. */
  readonly lmtp: boolean;
  /** The verb and name of the last successful HELO/EHLO/LHLO. */
  readonly hello: { readonly verb: string; readonly domain: string } | undefined;
  /** The keywords advertised in the last EHLO/LHLO reply. */
  readonly advertised: readonly string[];
  /** The transaction, when one is open. */
  readonly envelope: Envelope | undefined;
  /** Octets of message content received so far in this transaction. */
  readonly messageSize: number;
  /** Requests waiting for `decide`. */
  readonly pendingRequests: readonly RequestId[];
  /** Replies owed, in order (resolved or not). */
  readonly pendingReplies: number;
  /** Error replies so far. */
  readonly errors: number;
  /** Failed AUTH attempts so far. */
  readonly authFailures: number;
  /** The AUTH exchange in progress: mechanism and step (never its data). */
  readonly authExchange: { readonly mechanism: string; readonly state: string } | undefined;
  /** The client as the last accepted XCLIENT described it, when one was. */
  readonly xclient: { readonly connection: ConnectionInfo; readonly attributes: XclientAttributes } | undefined;
  /** What XFORWARD forwarded for the next transaction, when it did. */
  readonly forwarded: ForwardedClient | undefined;
  /** Whether `shutdown` was called. */
  readonly shuttingDown: boolean;
  /** The next time `tick` must be called, when there is one. */
  readonly deadline: number | undefined;
  /** The latest time given. */
  readonly now: number;
}
