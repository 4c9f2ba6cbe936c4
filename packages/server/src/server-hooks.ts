/**
 * The extension point of `@smtpkit/server`, in the style of go-smtp's
 * backend: a small object of hooks. Every hook is optional; each may
 * answer with a decision naming any situation of `@smtpkit/codes` or a
 * custom reply, and the session checks the reply is one RFC 5321 §4.3.2
 * allows for the command. The question hooks (`onConnect`, `onAuth`,
 * `onMailFrom`, `onRcptTo`) may answer with a value or a promise: a value is
 * used at once, so the replies to a pipelined group leave together.
 *
 * Also the structured log events the server emits through the embedder's
 * logger. No event carries a credential: AUTH lines are logged without their
 * response and SASL continuation lines are never logged.
 *
 * @module
 */
import type { Mailbox, MailParameters, RcptParameters } from "@smtpkit/grammar";
import type { Envelope, ForwardedClient, SaslDecision, SaslDecisionRequest, ServerDecision } from "@smtpkit/session";

/**
 * A hook's answer: `undefined` (or nothing) accepts with the default reply;
 * `{ type: "accept", reply? }` accepts with a reply of your own;
 * `{ type: "reject", situation }` refuses with a situation of
 * `@smtpkit/codes` (`"Greylisted"`, `Situations.MailboxUnavailable`…), or
 * `{ type: "reject", reply: { code, enhanced, text } }` with a reply of your own.
 *
 * @example
 * ```ts
 * import type { HookAnswer } from "@smtpkit/server";
 * const greylist: HookAnswer = { type: "reject", situation: "Greylisted" };
 * ```
 */
export type HookAnswer = ServerDecision | undefined | void;

/**
 * LMTP only (RFC 2033 §4.2): one answer per recipient, in RCPT order, for an
 * `onMessage` that delivered to some mailboxes and not others. A missing
 * entry accepts.
 *
 * @example
 * ```ts
 * import type { PerRecipientAnswers } from "@smtpkit/server";
 * const answers: PerRecipientAnswers = { type: "per-recipient", answers: [undefined, { type: "reject", situation: "MailboxFull" }] };
 * ```
 */
export interface PerRecipientAnswers {
  /** The discriminant. */
  readonly type: "per-recipient";
  /** One answer per accepted recipient, in RCPT order. */
  readonly answers: readonly HookAnswer[];
}

/**
 * What the hooks know about one connection. Fields change as the session goes
 * on (TLS, AUTH, and after a trusted front end's XCLIENT, the client it describes).
 */
export interface ConnectionContext {
  /** A unique id for logs. */
  readonly id: string;
  /** The client's address (from the socket, or from a trusted PROXY header or XCLIENT). */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The local address the client connected to. */
  readonly localAddress: string;
  /** The local port. */
  readonly localPort: number;
  /** Whether the connection is under TLS now. */
  readonly tls: boolean;
  /** The negotiated TLS protocol and cipher, under TLS. */
  readonly tlsInfo: { readonly protocol: string; readonly cipher: string } | undefined;
  /** The EHLO/HELO/LHLO domain, once given. */
  readonly helo: string | undefined;
  /** The authenticated identity, after a successful AUTH (or a trusted XCLIENT's LOGIN, as Postfix counts it). */
  readonly authenticatedAs: string | undefined;
  /** The client's host name when a trusted front end's XCLIENT gave one (NAME); this server does no reverse DNS itself. */
  readonly remoteName: string | undefined;
  /**
   * After a trusted front end's XCLIENT: the front end's own address and port
   * (the peer that vouched for the client); `remoteAddress` is then the client
   * it described. `undefined` otherwise.
   */
  readonly frontEnd: { readonly address: string; readonly port: number } | undefined;
}

/** The MAIL FROM a client asks for. */
export interface MailFromRequest {
  /** The reverse-path (`null` for `<>`). */
  readonly from: Mailbox | null;
  /** The ESMTP parameters, already checked against what was advertised. */
  readonly parameters: MailParameters;
  /** What a trusted front end forwarded with XFORWARD for this transaction (logging attributes only). */
  readonly forwarded: ForwardedClient | undefined;
}

/** One RCPT TO a client asks for. */
export interface RcptToRequest {
  /** The forward-path as the client wrote it. */
  readonly to: Mailbox;
  /** The ESMTP parameters, already checked against what was advertised. */
  readonly parameters: RcptParameters;
  /** The reverse-path of the transaction. */
  readonly from: Mailbox | null;
  /** How the relay policy judged the recipient (it already refused what it must). */
  readonly destination: "local" | "remote";
  /** What a trusted front end forwarded with XFORWARD for this transaction (logging attributes only). */
  readonly forwarded: ForwardedClient | undefined;
}

/** What the server tells `onMessage` besides the envelope and the bytes. */
export interface MessageInfo {
  /** The queue id, also written in the `Received:` header's `id` clause and logged with `message-accepted`. */
  readonly id: string;
  /** The `Received:` header the server would prepend (CRLF-terminated), or `""` when it could not be written. */
  readonly receivedHeader: string;
  /** How the content arrives. */
  readonly transport: "DATA" | "BDAT";
}

/**
 * The hooks an embedder implements. Each is optional; the question hooks may
 * return their answer or a promise of it, `onMessage` a promise.
 *
 * A hook that throws (or rejects) is logged as `hook-error` and answered with
 * a temporary failure (451 4.3.0 `LocalError`; 421 for `onConnect`; AUTH's
 * `AuthTemporaryFailure`), never with success.
 *
 * @example
 * ```ts
 * import { createServer, type ServerHooks } from "@smtpkit/server";
 * const hooks: ServerHooks = {
 *   async onMailFrom({ from }) {
 *     return from?.domain === "spam.example" ? { type: "reject", situation: "MailboxUnavailable" } : undefined;
 *   },
 *   async onMessage(envelope, content) {
 *     for await (const chunk of content) void chunk; // store it, then resolve
 *   },
 * };
 * createServer({ hostname: "mx.example.org", hooks });
 * ```
 */
export interface ServerHooks {
  /**
   * A client connected (after the connection limits passed). Reject with a
   * 554 to refuse service (RFC 5321 §3.1: the client may then only QUIT), or
   * with a 421 reply to close at once.
   *
   * Asked again after a trusted front end's XCLIENT, with the client it
   * describes (`connection.frontEnd` set): the answer is the reply to XCLIENT
   * (accept: a new 220 greeting; reject: 554 and the front end keeps the
   * identity it had, or 421 to close), as Postfix re-applies its connection
   * restrictions.
   *
   * @param connection - addresses and TLS state
   * @returns the answer to the greeting
   */
  onConnect?(connection: ConnectionContext): HookAnswer | Promise<HookAnswer>;
  /**
   * A credential decision of the SASL module: check a PLAIN/LOGIN password
   * (`verify-password`), give a SCRAM verifier (`lookup-scram-verifier`,
   * so no plaintext password needs to be stored), a CRAM-MD5 secret, check an
   * OAuth token. Required for AUTH to be offered.
   *
   * @param request - the question; passwords and tokens are `Redacted`
   * @param connection - the connection
   * @returns the SASL decision
   */
  onAuth?(request: SaslDecisionRequest, connection: ConnectionContext): SaslDecision | Promise<SaslDecision>;
  /**
   * MAIL FROM.
   *
   * @param request - the reverse-path and parameters
   * @param connection - the connection
   * @returns the answer (default 250 2.1.0)
   */
  onMailFrom?(request: MailFromRequest, connection: ConnectionContext): HookAnswer | Promise<HookAnswer>;
  /**
   * RCPT TO, after the relay policy accepted it.
   *
   * @param request - the forward-path, parameters and destination
   * @param connection - the connection
   * @returns the answer (default 250 2.1.5)
   */
  onRcptTo?(request: RcptToRequest, connection: ConnectionContext): HookAnswer | Promise<HookAnswer>;
  /**
   * The message, streamed: resolve only once it is safely stored, because
   * the client gets its 250 when this resolves (RFC 5321 §6.1). Without this
   * hook the server delivers to its Maildir store.
   *
   * When the message is aborted (too big, RSET, connection lost), iterating
   * `content` throws a {@link MessageAbortedError} and the answer is ignored.
   *
   * @param envelope - sender, recipients, parameters
   * @param content - the message bytes, dot-unstuffed, CRLF line ends, without trace headers
   * @param info - the queue id and the `Received:` header to prepend
   * @param connection - the connection
   * @returns the answer (default 250 2.0.0); in LMTP mode one answer for every recipient, or {@link PerRecipientAnswers}
   */
  onMessage?(envelope: Envelope, content: AsyncIterable<Uint8Array>, info: MessageInfo, connection: ConnectionContext): Promise<HookAnswer | PerRecipientAnswers>;
}

/** A structured log event. Never holds a credential. */
export type ServerLogEvent =
  | {
      readonly type: "connection";
      readonly connectionId: string;
      readonly phase: "open" | "close";
      readonly remoteAddress: string;
      readonly remotePort: number;
      /** For `close`: the session's reason (`quit`, `timeout`, `peer-closed`…). */
      readonly reason?: string;
    }
  | {
      readonly type: "connection-refused";
      readonly connectionId: string;
      readonly remoteAddress: string;
      readonly limit: "maxConnections" | "maxConnectionsPerAddress" | "closing" | "untrusted-proxy";
    }
  | {
      /** A trusted front end's XCLIENT was accepted: from here `remoteAddress` is the client it described. */
      readonly type: "client-overridden";
      readonly connectionId: string;
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly name: string | undefined;
      readonly login: string | undefined;
      /** The front end that sent it. */
      readonly frontEndAddress: string;
    }
  | {
      /** A trusted front end's XFORWARD was accepted: the upstream client of the next message. */
      readonly type: "client-forwarded";
      readonly connectionId: string;
      readonly forwarded: ForwardedClient;
    }
  | { readonly type: "tls"; readonly connectionId: string; readonly protocol: string; readonly cipher: string }
  | { readonly type: "tls-failed"; readonly connectionId: string; readonly error: string }
  | { readonly type: "command"; readonly connectionId: string; readonly verb: string | undefined; readonly line: string }
  | {
      readonly type: "reply";
      readonly connectionId: string;
      readonly code: number;
      readonly enhanced: string | undefined;
      readonly text: string;
    }
  | { readonly type: "authenticated"; readonly connectionId: string; readonly mechanism: string; readonly identity: string }
  | {
      readonly type: "message-accepted";
      readonly connectionId: string;
      readonly id: string;
      readonly size: number;
      readonly recipients: number;
      /** The upstream client a trusted front end forwarded with XFORWARD, when it did. */
      readonly forwarded?: ForwardedClient;
    }
  | { readonly type: "message-refused"; readonly connectionId: string; readonly id: string; readonly reason: string }
  | { readonly type: "protocol-violation"; readonly connectionId: string; readonly violation: string; readonly detail: string }
  | { readonly type: "hook-error"; readonly connectionId: string; readonly hook: string; readonly error: string }
  | { readonly type: "listener-error"; readonly error: string };

/**
 * Receives the server's log events; it must not throw (what it throws is swallowed).
 *
 * @example
 * ```ts
 * import type { ServerLogger } from "@smtpkit/server";
 * const logger: ServerLogger = (event) => console.log(JSON.stringify(event));
 * ```
 */
export type ServerLogger = (event: ServerLogEvent) => void;
