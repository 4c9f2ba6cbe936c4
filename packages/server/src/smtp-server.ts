/**
 * `createServer(options)`: the reference SMTP/LMTP server on `node:net` and
 * `node:tls`, driving one pure `ServerSession` per connection.
 *
 * What it adds around the session: listening, STARTTLS (RFC 3207) and
 * implicit TLS (RFC 8314 §3.3), connection limits in total and per client
 * address (421, RFC 5321 §3.8), graceful close, the hooks, the relay policy
 * (never an open relay) and, without an `onMessage` hook, delivery to the
 * Maildir store with `Return-Path:` and `Received:` (RFC 5321 §4.4), where the
 * 250 goes out only after the file and its directory are fsynced
 * (RFC 5321 §6.1).
 *
 * Trusted front ends: the PROXY protocol (HAProxy) before the SMTP stream, and
 * Postfix's XCLIENT and XFORWARD inside it, each only from configured networks.
 *
 * Does not: relay onward (there is no queue: with the default store, mail for
 * non-local domains is refused even from authenticated clients), DSN
 * generation.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { Mailbox } from "@smtpkit/grammar";
import {
  createServerSession,
  prepareServerSessionConfig,
  type PreparedServerSessionConfig,
  type SaslMechanismName,
  type ServerDecision,
  type ServerExtensions,
  type ServerFrontEndOptions,
  type ServerLimits,
  type ServerPolicy,
  type ServerSessionConfig,
  type ServerTimeouts,
} from "@smtpkit/session";
import { Connection, type ConnectionAddresses, type ConnectionEnvironment, type MessageOutcome } from "./connection.js";
import { blockContains, parseIpAddress, parseIpBlock, type IpBlock } from "./ip-address.js";
import { mailboxAddress } from "./mailbox-address.js";
import { createProxyProtocolParser, DEFAULT_PROXY_V2_MAX_LENGTH } from "./proxy-protocol.js";
import { DEFAULT_CONTENT_HIGH_WATER_MARK } from "./message-content.js";
import { openMaildirStore, type MaildirStore, type MaildirStoreOptions } from "./maildir-store.js";
import { createRelayPolicy } from "./relay-policy.js";
import type { HookAnswer, ServerHooks, ServerLogEvent, ServerLogger } from "./server-hooks.js";
import { ServerUsageError, checkLimit } from "./server-usage-error.js";
import { formatReceived, receivedProtocol } from "./trace-headers.js";

/** Connections served at once, in total: 100, as Postfix's `default_process_limit`. */
export const DEFAULT_MAX_CONNECTIONS = 100;

/** Connections served at once from one client address: 20 (Postfix's `smtpd_client_connection_count_limit` is 50; a test server needs fewer). */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 20;

/**
 * How long a hook may take to answer: 2 minutes. The session sets no deadline
 * while it waits for a decision, and clients wait 5 minutes for MAIL and RCPT
 * replies and 10 for the end of data (RFC 5321 §4.5.3.2), so a hook past this
 * is answered 451 4.3.0 (421 for `onConnect`) before the client gives up.
 */
export const DEFAULT_HOOK_TIMEOUT_MILLISECONDS = 120_000;

/** How long `close()` lets sessions finish before cutting them: 30 seconds. */
export const DEFAULT_CLOSE_GRACE_MILLISECONDS = 30_000;

/** TLS settings: a key and certificate enable STARTTLS, or implicit TLS with `implicit`. */
export interface ServerTlsSettings {
  /** The private key (PEM). */
  readonly key: string | Buffer;
  /** The certificate chain (PEM). */
  readonly cert: string | Buffer;
  /**
   * Implicit TLS (RFC 8314 §3.3, the port 465 style): the handshake comes
   * first and STARTTLS is not offered. Unset: `false` (STARTTLS, RFC 3207).
   */
  readonly implicit?: boolean;
  /** More `tls.createSecureContext` options (ciphers, `minVersion`…). Unset: Node's defaults with `minVersion: "TLSv1.2"`. */
  readonly secureContextOptions?: tls.SecureContextOptions;
}

/** AUTH settings (RFC 4954). AUTH is offered only when the `onAuth` hook exists. */
export interface ServerAuthSettings {
  /** The mechanisms offered. Unset: `["PLAIN", "LOGIN"]`. SCRAM and CRAM-MD5 get fresh random nonces. */
  readonly mechanisms?: readonly SaslMechanismName[];
  /**
   * Offer PLAIN and LOGIN without TLS (for tests only: RFC 4954 §4 forbids
   * sending passwords in the clear). Unset: `false`: AUTH is offered only
   * after STARTTLS or under implicit TLS, and an attempt in the clear gets 538.
   */
  readonly allowInsecureAuth?: boolean;
  /** Refuse MAIL before AUTH with 530 (RFC 4954 §6). Unset: `false`. */
  readonly required?: boolean;
}

/** Limits on connections; the session's own limits (message size, recipients, errors, line lengths) are `ServerLimits` of `@smtpkit/session`. */
export interface ServerConnectionLimits {
  /** Connections at once; the next gets 421 4.7.0 `TooManyConnections`. Unset: {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections?: number;
  /** Connections at once from one client address; the next gets 421. Unset: {@link DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}. */
  readonly maxConnectionsPerAddress?: number;
}

/** How long a PROXY header may take to arrive before the connection is dropped: 5 seconds (the spec suggests a few). */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MILLISECONDS = 5_000;

/**
 * PROXY protocol settings (HAProxy's specification, versions 1 and 2): the
 * real client address arrives in a header before the SMTP stream. The spec
 * forbids guessing whether a header is present, so with this option every
 * connection must start with one, and only connections from `trustedProxies`
 * are served at all.
 */
export interface ServerProxyProtocolSettings {
  /** The load balancers' addresses or networks (CIDR); connections from anywhere else are dropped unanswered. Required, not empty. */
  readonly trustedProxies: readonly string[];
  /** The versions accepted. Unset: 1 and 2. */
  readonly versions?: readonly (1 | 2)[];
  /** The longest v2 header accepted. Unset: {@link DEFAULT_PROXY_V2_MAX_LENGTH}. */
  readonly maxV2Length?: number;
  /** Time for the header to arrive. Unset: {@link DEFAULT_PROXY_HEADER_TIMEOUT_MILLISECONDS}. */
  readonly headerTimeoutMs?: number;
}

/**
 * Postfix's XCLIENT or XFORWARD for trusted front ends (a proxy such as
 * nginx's mail module, a content filter, Postfix's own `smtp` client with
 * `smtp_send_xforward_command`). With this option the command is spoken; it
 * is advertised and applied only for clients connecting from
 * `trustedNetworks`, and every other client gets 550 5.7.0, as from Postfix.
 */
export interface ServerFrontEndSettings {
  /** The front ends' addresses or networks (CIDR, IPv4 or IPv6). Required; an empty list trusts no one. */
  readonly trustedNetworks: readonly string[];
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** This server's host name: the greeting, EHLO, and the `Received:` header's `by` clause. */
  readonly hostname: string;
  /** The extension point. Unset: accept every sender; recipients as the relay policy allows; deliver to Maildir. */
  readonly hooks?: ServerHooks;
  /** Receives structured log events. Unset: nothing is logged. */
  readonly logger?: ServerLogger;
  /** Key and certificate. Unset: no STARTTLS, no implicit TLS. */
  readonly tls?: ServerTlsSettings;
  /** Refuse MAIL until STARTTLS with 530 (RFC 3207 §4). Unset: `false`. Needs `tls`. */
  readonly requireTls?: boolean;
  /** AUTH settings. Unset: PLAIN and LOGIN, under TLS only, when the `onAuth` hook exists. */
  readonly auth?: ServerAuthSettings;
  /** Speak LMTP (RFC 2033): LHLO, one reply per recipient after the content. Unset: `false`. */
  readonly lmtp?: boolean;
  /** ESMTP extensions (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING on by default; BINARYMIME, DSN, REQUIRETLS off). */
  readonly extensions?: ServerExtensions;
  /**
   * Limits: the connection limits of {@link ServerConnectionLimits} and the
   * session's `ServerLimits` (`maxMessageSize` unset: 10 MiB, advertised as
   * SIZE and enforced on the bytes; `maxRecipients` 100; `maxErrors` 20;
   * `maxLineLength` 2048…).
   */
  readonly limits?: ServerLimits & ServerConnectionLimits;
  /** RFC 5321 §4.5.3.2 timeouts. Unset: 5 minutes per command, 3 minutes plus 500 octets/s for content. */
  readonly timeouts?: ServerTimeouts;
  /** Session policies (bare line endings, pipelining before the greeting, VRFY). Unset: the session's strict defaults. */
  readonly policy?: Pick<ServerPolicy, "forbidUnauthorizedPipelining" | "bareLineEnding" | "rejectNul" | "vrfy">;
  /** Domains delivered here. Unset: `["localhost"]`. Everything else needs AUTH or a trusted address, or gets 550 5.7.1. */
  readonly localDomains?: readonly string[];
  /** Client networks (CIDR) allowed to relay without AUTH. Unset: none. */
  readonly trustedNetworks?: readonly string[];
  /** The default store's root (or its options), used when there is no `onMessage` hook. Unset: `./maildir`. */
  readonly maildir?: string | MaildirStoreOptions;
  /** Read a PROXY protocol header first (behind HAProxy). Unset: off; the socket's peer is the client. Not with implicit TLS. */
  readonly proxyProtocol?: ServerProxyProtocolSettings;
  /**
   * XCLIENT from trusted front ends (Postfix XCLIENT_README). Unset: XCLIENT
   * is answered 502. The client a front end describes replaces the front end
   * for everything after: the `onConnect` hook is asked again (its answer is
   * the reply to XCLIENT), the per-address limit counts the described address
   * (trusted front ends themselves are not limited per address, as in
   * Postfix), the relay policy judges it (`trustedNetworks` apply to the
   * described client, not to the front end), and hooks, logs and the
   * `Received:` header show it. `LOGIN=` counts as authenticated for relaying,
   * as in Postfix: trust a front end only if it authenticates its users.
   */
  readonly xclient?: ServerFrontEndSettings;
  /**
   * XFORWARD from trusted front ends (Postfix XFORWARD_README). Unset:
   * XFORWARD is answered 502. The forwarded upstream client is for logs and
   * the `Received:` header of the next message only (and `forwarded` in the
   * MAIL and RCPT hooks); it never changes access decisions.
   */
  readonly xforward?: ServerFrontEndSettings;
  /** Message bytes held for a slow `onMessage` before the socket is paused. Unset: 256 KiB. */
  readonly contentHighWaterMark?: number;
  /** How long each hook may take (for `onMessage`: counted from the end of the content). Unset: {@link DEFAULT_HOOK_TIMEOUT_MILLISECONDS}. */
  readonly hookTimeoutMs?: number;
}

/** What {@link SmtpServer.listen} takes. */
export interface ListenOptions {
  /** The address to bind. Unset: `127.0.0.1` (never all interfaces by accident). */
  readonly host?: string;
  /** The port; `0` picks a free one. */
  readonly port: number;
}

/** What {@link SmtpServer.close} takes. */
export interface CloseOptions {
  /** How long sessions may finish their work before they are cut. Unset: {@link DEFAULT_CLOSE_GRACE_MILLISECONDS}. */
  readonly graceMs?: number;
}

/** Where a stream handed to {@link SmtpServer.handleConnection} comes from. */
export interface ConnectionOrigin {
  /** The client's address. */
  readonly remoteAddress: string;
  /** The client's port. Unset: 0. */
  readonly remotePort?: number;
  /** The local address. Unset: `""`. */
  readonly localAddress?: string;
  /** The local port. Unset: 0. */
  readonly localPort?: number;
}

/** A server made by {@link createServer}. */
export interface SmtpServer {
  /**
   * Starts listening.
   *
   * @param options - host and port (0 for any free port)
   * @returns the bound address
   * @throws the listen error (`EADDRINUSE`…), or the store's when the Maildir root cannot be created
   */
  listen(options: ListenOptions): Promise<net.AddressInfo>;
  /**
   * Stops accepting, asks every session to end (421 4.3.2 at its next
   * command, RFC 5321 §3.8; a message under way finishes first). After
   * `graceMs`, questions still waiting for a hook get a temporary failure and
   * then the 421; a message still streaming in is cut. Resolves when every
   * connection is closed.
   *
   * @param options - the grace period
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Serves a connection that did not come from `listen` (an in-memory stream,
   * a socket accepted elsewhere). Limits and hooks apply as for any other.
   *
   * @param stream - the duplex byte stream
   * @param origin - where it comes from
   * @returns resolves once the connection is closed
   */
  handleConnection(stream: Duplex, origin: ConnectionOrigin): Promise<void>;
  /** Connections open now. */
  readonly connectionCount: number;
}

const accept: ServerDecision = { type: "accept" };

// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; logs, hooks and headers want a.b.c.d.
function plainAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function mailboxText(mailbox: Mailbox): string {
  return mailbox.domain === "" ? mailbox.localPart : `${mailbox.localPart}@${mailbox.domain}`;
}

/**
 * Creates the reference SMTP (or LMTP) server.
 *
 * @param options - host name, hooks, TLS, limits, relay policy, store
 * @returns the server, not yet listening
 * @throws {@link ServerUsageError} for invalid server options; the session's `ServerSessionError` for invalid session options
 * @example
 * ```ts
 * import { createServer } from "@smtpkit/server";
 * const server = createServer({ hostname: "mx.example.org", localDomains: ["example.org"], maildir: "/srv/mail" });
 * const address = await server.listen({ host: "127.0.0.1", port: 2525 });
 * // swaks --server 127.0.0.1:2525 --to bob@example.org
 * await server.close({ graceMs: 5000 });
 * ```
 */
export function createServer(options: ServerOptions): SmtpServer {
  if (typeof options !== "object" || options === null) throw new ServerUsageError("invalid-option", "options", options, "createServer needs an options object");
  const hooks = options.hooks ?? {};
  const limits = options.limits ?? {};
  const maxConnections = checkLimit("limits.maxConnections", limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  const maxConnectionsPerAddress = checkLimit("limits.maxConnectionsPerAddress", limits.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
  const contentHighWaterMark = checkLimit("contentHighWaterMark", options.contentHighWaterMark ?? DEFAULT_CONTENT_HIGH_WATER_MARK);
  const hookTimeout = checkLimit("hookTimeoutMs", options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MILLISECONDS, 1, 0x7fffffff);
  const logger = options.logger;
  const log = (event: ServerLogEvent): void => {
    if (logger === undefined) return;
    try {
      logger(event);
    } catch {
      // A logger must not take the server down.
    }
  };

  const tlsSettings = options.tls;
  let secureContext: tls.SecureContext | undefined;
  let secureOptions: tls.SecureContextOptions = {};
  if (tlsSettings !== undefined) {
    if (tlsSettings.key === undefined || tlsSettings.cert === undefined) throw new ServerUsageError("invalid-option", "tls", tlsSettings, "tls needs key and cert");
    secureOptions = { minVersion: "TLSv1.2", ...tlsSettings.secureContextOptions, key: tlsSettings.key, cert: tlsSettings.cert };
    secureContext = tls.createSecureContext(secureOptions);
  }
  const implicitTls = tlsSettings?.implicit === true;

  const proxy = options.proxyProtocol;
  let trustedProxies: IpBlock[] = [];
  let proxyTimeout = DEFAULT_PROXY_HEADER_TIMEOUT_MILLISECONDS;
  if (proxy !== undefined) {
    if (implicitTls) throw new ServerUsageError("invalid-option", "proxyProtocol", proxy, "proxyProtocol cannot be combined with implicit TLS yet");
    if (!Array.isArray(proxy.trustedProxies) || proxy.trustedProxies.length === 0) {
      throw new ServerUsageError("invalid-option", "proxyProtocol.trustedProxies", proxy.trustedProxies, "proxyProtocol needs at least one trusted proxy address or network");
    }
    trustedProxies = proxy.trustedProxies.map((text) => {
      const block = parseIpBlock(text);
      if (block === undefined) throw new ServerUsageError("invalid-cidr", "proxyProtocol.trustedProxies", text, `not an address or CIDR block: ${String(text)}`);
      return block;
    });
    proxyTimeout = checkLimit("proxyProtocol.headerTimeoutMs", proxy.headerTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MILLISECONDS);
    // Validate the parser options now.
    createProxyProtocolParser({ ...(proxy.versions === undefined ? {} : { versions: proxy.versions }), maxV2Length: proxy.maxV2Length ?? DEFAULT_PROXY_V2_MAX_LENGTH });
  }

  const frontEndBlocks = (name: "xclient" | "xforward"): IpBlock[] | undefined => {
    const settings = options[name];
    if (settings === undefined) return undefined;
    if (typeof settings !== "object" || settings === null || !Array.isArray(settings.trustedNetworks)) {
      throw new ServerUsageError("invalid-option", `${name}.trustedNetworks`, settings, `${name} needs trustedNetworks, a list of addresses or CIDR blocks`);
    }
    return settings.trustedNetworks.map((text) => {
      const block = parseIpBlock(text);
      if (block === undefined) throw new ServerUsageError("invalid-cidr", `${name}.trustedNetworks`, text, `not an address or CIDR block: ${String(text)}`);
      return block;
    });
  };
  const xclientBlocks = frontEndBlocks("xclient");
  const xforwardBlocks = frontEndBlocks("xforward");
  const inBlocks = (blocks: readonly IpBlock[], address: string): boolean => {
    const parsed = parseIpAddress(address);
    return parsed !== undefined && blocks.some((block) => blockContains(block, parsed.bytes));
  };
  // Per connection, from the peer as this server sees it (or as a trusted PROXY header names it).
  const frontEndFor = (remoteAddress: string): ServerFrontEndOptions | undefined => {
    if (xclientBlocks === undefined && xforwardBlocks === undefined) return undefined;
    const trust = (blocks: readonly IpBlock[] | undefined): "trusted" | "untrusted" | undefined =>
      blocks === undefined ? undefined : inBlocks(blocks, remoteAddress) ? "trusted" : "untrusted";
    const xclient = trust(xclientBlocks);
    const xforward = trust(xforwardBlocks);
    return { ...(xclient === undefined ? {} : { xclient }), ...(xforward === undefined ? {} : { xforward }) };
  };

  const { maxConnections: _total, maxConnectionsPerAddress: _perAddress, ...sessionLimits } = limits;
  void _total;
  void _perAddress;
  const authSettings = options.auth ?? {};
  const mechanisms = authSettings.mechanisms ?? ["PLAIN", "LOGIN"];
  const sessionConfig: ServerSessionConfig = {
    hostname: options.hostname,
    lmtp: options.lmtp ?? false,
    ...(options.extensions === undefined ? {} : { extensions: options.extensions }),
    tls: { starttls: secureContext !== undefined && !implicitTls, implicit: implicitTls },
    ...(hooks.onAuth === undefined
      ? {}
      : { auth: { sasl: { mechanisms }, nonce: () => randomBytes(18).toString("base64") } }),
    policy: {
      ...options.policy,
      requireTls: options.requireTls ?? false,
      authRequired: authSettings.required ?? false,
      allowAuthWithoutTls: authSettings.allowInsecureAuth ?? false,
    },
    limits: sessionLimits,
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
  };
  // Validate once, now: a bad option throws here rather than on the first connection. Each connection's
  // session then starts from a prepared configuration (checked once), one per front-end trust: at most
  // nine (xclient and xforward each trusted, untrusted or off), made when first needed.
  const plainConfig = prepareServerSessionConfig(sessionConfig);
  const frontEndConfigs = new Map<string, PreparedServerSessionConfig>();
  const preparedFor = (frontEnd: ServerFrontEndOptions | undefined): PreparedServerSessionConfig => {
    if (frontEnd === undefined) return plainConfig;
    const key = `${frontEnd.xclient ?? "off"}/${frontEnd.xforward ?? "off"}`;
    let prepared = frontEndConfigs.get(key);
    if (prepared === undefined) {
      prepared = prepareServerSessionConfig({ ...sessionConfig, frontEnd });
      frontEndConfigs.set(key, prepared);
    }
    return prepared;
  };

  const localDomains = options.localDomains ?? ["localhost"];
  const relay = createRelayPolicy({ localDomains, ...(options.trustedNetworks === undefined ? {} : { trustedNetworks: options.trustedNetworks }) });

  const useDefaultStore = hooks.onMessage === undefined;
  let storePromise: Promise<MaildirStore> | undefined;
  // The store once open, so that RCPT checks need not wait for a promise.
  let openedStore: MaildirStore | undefined;
  const getStore = (): Promise<MaildirStore> => {
    if (storePromise === undefined) {
      const maildir = options.maildir ?? "maildir";
      // RFC 5321 §4.1.1.3: the bare <Postmaster> must be accepted; it goes to postmaster@ the first local domain.
      const postmasterDomain = localDomains[0];
      const storeOptions: MaildirStoreOptions =
        typeof maildir === "string"
          ? { root: resolve(maildir), hostname: options.hostname, ...(postmasterDomain === undefined ? {} : { postmasterDomain }) }
          : { ...(postmasterDomain === undefined ? {} : { postmasterDomain }), ...maildir };
      storePromise = openMaildirStore(storeOptions);
      // A failed open is retried by the next delivery, not cached forever.
      storePromise.then(
        (store) => {
          openedStore = store;
        },
        () => {
          storePromise = undefined;
        },
      );
    }
    return storePromise;
  };

  const connections = new Set<Connection>();
  const perAddress = new Map<string, number>();
  // The address each connection counts against (none for a trusted XCLIENT front end, until it names a client).
  const countedAddress = new Map<Connection, string>();
  const uncount = (connection: Connection): void => {
    const address = countedAddress.get(connection);
    if (address === undefined) return;
    countedAddress.delete(connection);
    const count = (perAddress.get(address) ?? 1) - 1;
    if (count <= 0) perAddress.delete(address);
    else perAddress.set(address, count);
  };
  const count = (connection: Connection, address: string): void => {
    countedAddress.set(connection, address);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
  };

  const environment: ConnectionEnvironment = {
    createSession: (remoteAddress) => {
      return createServerSession(preparedFor(frontEndFor(remoteAddress)));
    },
    admitClient: (connection, remoteAddress) => {
      const already = countedAddress.get(connection) === remoteAddress ? 1 : 0;
      return (perAddress.get(remoteAddress) ?? 0) - already >= maxConnectionsPerAddress ? { type: "reject", situation: "TooManyConnections" } : undefined;
    },
    clientChanged: (connection, remoteAddress) => {
      uncount(connection);
      count(connection, remoteAddress);
    },
    secureContext,
    contentHighWaterMark,
    hookTimeout,
    log,
    logging: logger !== undefined,
    // Without a user hook (or with the store already open) these answer with a value, not a promise:
    // the connection then answers at once, and a pipelined group's replies leave together.
    onConnect: (connection) => (hooks.onConnect === undefined ? undefined : hooks.onConnect(connection)),
    onAuth: hooks.onAuth === undefined ? undefined : hooks.onAuth.bind(hooks),
    onMailFrom: (event, connection) =>
      hooks.onMailFrom === undefined ? undefined : hooks.onMailFrom({ from: event.from, parameters: event.parameters, forwarded: event.forwarded }, connection),
    // RFC 5321 §3.6.2 and §7.1: judged on the final forward-path, before any hook, so no hook can open a relay by accident.
    onRcptTo: (event, connection, forwarded): HookAnswer | Promise<HookAnswer> => {
      // The grammar parsed the path and dropped any source route; only the quoting remains.
      const recipient = mailboxAddress(event.to);
      const verdict = relay.check({ recipient, clientAddress: connection.remoteAddress, authenticated: connection.authenticatedAs !== undefined });
      if (verdict.type === "refuse") return { type: "reject", situation: verdict.situation };
      const askHook = (): HookAnswer | Promise<HookAnswer> =>
        hooks.onRcptTo === undefined
          ? undefined
          : hooks.onRcptTo({ to: event.to, parameters: event.parameters, from: event.from, destination: verdict.destination, forwarded }, connection);
      if (!useDefaultStore) return askHook();
      // No queue: the default store delivers locally only.
      if (verdict.destination === "remote") return { type: "reject", situation: "RelayDenied" };
      const checkMailbox = (store: MaildirStore): HookAnswer | Promise<HookAnswer> =>
        store.mailboxDirectory(recipient).ok ? askHook() : { type: "reject", situation: "MailboxNameNotAllowed" };
      return openedStore !== undefined ? checkMailbox(openedStore) : getStore().then(checkMailbox);
    },
    onMessage: async (envelope, content, info, connection): Promise<MessageOutcome> => {
      if (hooks.onMessage !== undefined) {
        const answer = await hooks.onMessage(envelope, content, info, connection);
        if (answer !== undefined && answer.type === "per-recipient") {
          return { decision: accept, perRecipient: answer.answers.map((entry) => entry ?? accept) };
        }
        return { decision: answer ?? accept };
      }
      const store = await getStore();
      const recipients = envelope.recipients.map((recipient) => mailboxAddress(recipient.to));
      const result = await store.deliver({
        recipients,
        reversePath: envelope.from === null ? "" : mailboxText(envelope.from),
        traceHeaders: info.receivedHeader,
        content,
      });
      if (result.ok) return { decision: accept, id: result.id };
      // RFC 5321 §4.3.2 lists 451, 452, 552 and 554 after DATA: map anything else to a local error.
      const situation = result.reason === "insufficient-storage" ? "InsufficientStorage" : result.reason === "invalid-reverse-path" ? "TransactionFailed" : "StorageFailed";
      if (result.reason !== "content-failed") {
        log({ type: "hook-error", connectionId: connection.id, hook: "maildir", error: `${result.reason}: ${result.cause instanceof Error ? result.cause.message : ""}` });
      }
      return { decision: { type: "reject", situation } };
    },
    receivedHeader: (envelope, id, connection, extended, time) => {
      // RFC 5321 §7.6: name the recipient only for a single one; the bare <Postmaster> has no mailbox to name.
      const single = envelope.recipients.length === 1 && envelope.recipients[0]?.to.domain !== "" ? envelope.recipients[0] : undefined;
      // RFC 5321 §4.4: the from clause names the client the message came from: the upstream client an
      // XFORWARD described (Postfix does the same, never mixing it with this session's client), else the
      // connection's client (a PROXY header's or an XCLIENT's). An address a front end said was
      // [UNAVAILABLE] ("unknown", as Postfix keeps it) is left out; any other is written or refused.
      const forwarded = envelope.forwarded;
      const knownAddress = (address: string | undefined): { address?: string } => (address === undefined || address === "unknown" ? {} : { address });
      const from =
        forwarded !== undefined
          ? { helo: forwarded.helo ?? "unknown", ...knownAddress(forwarded.address), ...(forwarded.name === undefined ? {} : { reverseName: forwarded.name }) }
          : { helo: connection.helo ?? "unknown", ...knownAddress(connection.remoteAddress), ...(connection.remoteName === undefined ? {} : { reverseName: connection.remoteName }) };
      const fields = {
        from,
        by: options.hostname,
        via: "TCP",
        protocol: receivedProtocol({
          lmtp: options.lmtp ?? false,
          extended,
          tls: connection.tls,
          authenticated: connection.authenticatedAs !== undefined,
          utf8: envelope.smtputf8,
        }),
        id,
        ...(single === undefined ? {} : { for: mailboxText(single.to) }),
        ...(connection.tlsInfo === undefined ? {} : { tls: connection.tlsInfo }),
        time,
      };
      let received = formatReceived(fields);
      // A field the header cannot carry (a HELO name under lenient syntax, a recipient it cannot name, a client
      // address it cannot write) costs that clause only, not the rest of the trace (RFC 5321 §4.4: the from, by
      // and for clauses each help a reader); a dropped address and a header that cannot be written at all are logged.
      let attempt: Parameters<typeof formatReceived>[0] = fields;
      for (let dropped = 0; !received.ok && dropped < 4; dropped++) {
        const field = received.error.field;
        const { for: recipient, tls, ...rest } = attempt;
        const { reverseName, address, ...fromRest } = attempt.from;
        if (field === "from.helo") attempt = { ...attempt, from: { ...attempt.from, helo: "unknown" } };
        else if (field === "from.reverseName" && reverseName !== undefined) attempt = { ...attempt, from: { ...fromRest, ...(address === undefined ? {} : { address }) } };
        else if (field === "from.address" && address !== undefined) {
          // Only an embedder's handleConnection can give an address that is not one: say so, as the trace lacks it.
          log({ type: "hook-error", connectionId: connection.id, hook: "received-header", error: `${field}: ${received.error.reason}` });
          attempt = { ...attempt, from: { ...fromRest, ...(reverseName === undefined ? {} : { reverseName }) } };
        }
        else if (field === "for" && recipient !== undefined) attempt = { ...rest, ...(tls === undefined ? {} : { tls }) };
        else if (field.startsWith("tls") && tls !== undefined) attempt = { ...rest, ...(recipient === undefined ? {} : { for: recipient }) };
        else break;
        received = formatReceived(attempt);
      }
      if (!received.ok) {
        log({ type: "hook-error", connectionId: connection.id, hook: "received-header", error: `${received.error.field}: ${received.error.reason}` });
        return "";
      }
      return received.header;
    },
  };

  let closing = false;

  const handleConnection = (stream: Duplex, origin: ConnectionOrigin, tlsInfo?: ConnectionAddresses["tlsInfo"], initial?: Uint8Array): Promise<void> => {
    const remoteAddress = plainAddress(origin.remoteAddress);
    // A flood of refused connections must not pile up either.
    if (connections.size >= maxConnections * 2) {
      stream.destroy();
      return Promise.resolve();
    }
    // Postfix leaves hosts allowed to send XCLIENT out of its per-client counts: a front end speaks for many.
    const limited = xclientBlocks === undefined || !inBlocks(xclientBlocks, remoteAddress);
    const fromAddress = limited ? (perAddress.get(remoteAddress) ?? 0) : 0;
    let refusal: ServerDecision | undefined;
    let limit: "maxConnections" | "maxConnectionsPerAddress" | "closing" | undefined;
    if (closing) [refusal, limit] = [{ type: "reject", situation: "ShuttingDown" }, "closing"];
    else if (connections.size >= maxConnections) [refusal, limit] = [{ type: "reject", situation: "TooManyConnections" }, "maxConnections"];
    else if (fromAddress >= maxConnectionsPerAddress) [refusal, limit] = [{ type: "reject", situation: "TooManyConnections" }, "maxConnectionsPerAddress"];
    const connection = new Connection(
      stream,
      { remoteAddress, remotePort: origin.remotePort ?? 0, localAddress: plainAddress(origin.localAddress), localPort: origin.localPort ?? 0, tlsInfo },
      environment,
      refusal,
    );
    if (limit !== undefined) log({ type: "connection-refused", connectionId: connection.context.id, remoteAddress, limit });
    connections.add(connection);
    if (limited) count(connection, remoteAddress);
    void connection.closed.then(() => {
      connections.delete(connection);
      uncount(connection);
    });
    connection.start(initial);
    return connection.closed;
  };

  // HAProxy's PROXY protocol: the header first, then SMTP; anything else is dropped without a reply (spec §2).
  let awaitingProxyHeader = 0;
  const readProxyHeader = (socket: net.Socket): void => {
    // Sockets still waiting for their header count too, so a proxy's flood cannot pile them up.
    if (connections.size + awaitingProxyHeader >= maxConnections * 2) {
      socket.destroy();
      return;
    }
    const peer = parseIpAddress(plainAddress(socket.remoteAddress));
    if (peer === undefined || !trustedProxies.some((block) => blockContains(block, peer.bytes))) {
      log({ type: "connection-refused", connectionId: "-", remoteAddress: plainAddress(socket.remoteAddress), limit: "untrusted-proxy" });
      socket.destroy();
      return;
    }
    const parser = createProxyProtocolParser({
      ...(proxy?.versions === undefined ? {} : { versions: proxy.versions }),
      maxV2Length: proxy?.maxV2Length ?? DEFAULT_PROXY_V2_MAX_LENGTH,
    });
    const timer = setTimeout(() => socket.destroy(), proxyTimeout);
    awaitingProxyHeader += 1;
    let finished = false;
    const done = (): void => {
      if (!finished) awaitingProxyHeader -= 1;
      finished = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onError);
    };
    const onError = (): void => {
      done();
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      const result = parser.push(chunk);
      if (result.type === "need-more") return;
      socket.pause();
      done();
      if (result.type === "error") {
        log({ type: "protocol-violation", connectionId: "-", violation: "proxy-header", detail: result.error.reason });
        socket.destroy();
        return;
      }
      const { source, destination } = result.header;
      // LOCAL (health checks) and UNKNOWN carry no addresses: the real endpoints stand (spec §2.1, §2.2).
      const proxied = result.header.command === "proxy" && source?.type === "inet";
      const origin: ConnectionOrigin = proxied
        ? {
            remoteAddress: source.address,
            remotePort: source.port,
            localAddress: destination?.type === "inet" ? destination.address : (socket.localAddress ?? ""),
            localPort: destination?.type === "inet" ? destination.port : (socket.localPort ?? 0),
          }
        : { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0, localAddress: socket.localAddress ?? "", localPort: socket.localPort ?? 0 };
      void handleConnection(socket, origin, undefined, result.rest);
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onError);
  };

  const onSocket = (socket: net.Socket, tlsInfo?: ConnectionAddresses["tlsInfo"]): void => {
    socket.setNoDelay(true);
    if (proxy !== undefined) {
      readProxyHeader(socket);
      return;
    }
    void handleConnection(
      socket,
      { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0, localAddress: socket.localAddress ?? "", localPort: socket.localPort ?? 0 },
      tlsInfo,
    );
  };

  let listener: net.Server | undefined;
  if (implicitTls) {
    // tls.createServer builds its context from the options (it ignores a `secureContext` option).
    listener = tls.createServer(secureOptions, (socket) => {
      const cipher = socket.getCipher();
      onSocket(socket, { protocol: socket.getProtocol() ?? "unknown", cipher: cipher.standardName ?? cipher.name });
    });
    // A failed handshake never reaches the session; the socket is closed by node:tls.
    listener.on("tlsClientError", () => undefined);
  } else {
    listener = net.createServer((socket) => onSocket(socket));
  }
  const netServer = listener;
  // After listen: accept failures (EMFILE…) are reported, never thrown into the process.
  const onListenerError = (error: Error): void => log({ type: "listener-error", error: `${error.name}: ${error.message}` });

  return {
    async listen(listenOptions: ListenOptions): Promise<net.AddressInfo> {
      const port = checkLimit("port", listenOptions.port, 0, 65_535);
      const host = listenOptions.host ?? "127.0.0.1";
      if (useDefaultStore) await getStore();
      await new Promise<void>((resolveListen, reject) => {
        const onError = (error: Error): void => reject(error);
        netServer.once("error", onError);
        netServer.listen({ host, port }, () => {
          netServer.off("error", onError);
          netServer.on("error", onListenerError);
          resolveListen();
        });
      });
      return netServer.address() as net.AddressInfo;
    },
    async close(closeOptions: CloseOptions = {}): Promise<void> {
      const graceMs = checkLimit("graceMs", closeOptions.graceMs ?? DEFAULT_CLOSE_GRACE_MILLISECONDS, 0);
      closing = true;
      const stopped = netServer.listening ? new Promise<void>((done) => netServer.close(() => done())) : Promise.resolve();
      for (const connection of connections) connection.shutdown();
      const allClosed = (): Promise<unknown> => Promise.all([...connections].map((connection) => connection.closed));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise<void>((done) => {
        timer = setTimeout(done, graceMs);
      });
      await Promise.race([allClosed(), graceOver]);
      clearTimeout(timer);
      for (const connection of connections) connection.destroy();
      await allClosed();
      await stopped;
    },
    handleConnection: (stream, origin) => handleConnection(stream, origin),
    get connectionCount() {
      return connections.size;
    },
  };
}
