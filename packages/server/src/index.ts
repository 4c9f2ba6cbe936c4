/**
 * `@smtpkit/server`: the Node edge of the smtpkit SMTP/LMTP server.
 *
 * - the server: {@link createServer}, driving one `ServerSession` per
 *   connection over `node:net`/`node:tls`, with async {@link ServerHooks};
 * - a Maildir store that Dovecot can serve, durable before it reports success:
 *   {@link openMaildirStore};
 * - the `Received:` and `Return-Path:` trace headers (RFC 5321 §4.4, RFC 3848):
 *   {@link formatReceived}, {@link formatReturnPath}, {@link receivedProtocol};
 * - a PROXY protocol v1/v2 parser for running behind HAProxy:
 *   {@link createProxyProtocolParser};
 * - a relay policy that is never an open relay: {@link createRelayPolicy},
 *   with {@link mailboxAddress} and {@link normalizeDomain}.
 *
 * @example
 * ```ts
 * import { createRelayPolicy, mailboxAddress } from "@smtpkit/server";
 * const policy = createRelayPolicy({ localDomains: ["example.org"] });
 * const recipient = mailboxAddress({ localPart: "bob", domain: "example.org" }); // as the grammar parsed RCPT TO
 * policy.check({ recipient, clientAddress: "203.0.113.9", authenticated: false }).type; // "accept"
 * ```
 *
 * @packageDocumentation
 */
export {
  createServer,
  DEFAULT_CLOSE_GRACE_MILLISECONDS,
  DEFAULT_HOOK_TIMEOUT_MILLISECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_PROXY_HEADER_TIMEOUT_MILLISECONDS,
  type CloseOptions,
  type ConnectionOrigin,
  type ListenOptions,
  type ServerAuthSettings,
  type ServerConnectionLimits,
  type ServerOptions,
  type ServerFrontEndSettings,
  type ServerProxyProtocolSettings,
  type ServerTlsSettings,
  type SmtpServer,
} from "./smtp-server.js";
export type {
  ConnectionContext,
  HookAnswer,
  MailFromRequest,
  MessageInfo,
  PerRecipientAnswers,
  RcptToRequest,
  ServerHooks,
  ServerLogEvent,
  ServerLogger,
} from "./server-hooks.js";
export { DEFAULT_CONTENT_HIGH_WATER_MARK, MessageAbortedError } from "./message-content.js";
export { ServerUsageError, type ServerUsageErrorReason } from "./server-usage-error.js";
export {
  formatDateTime,
  formatReceived,
  formatReturnPath,
  MAX_HEADER_LINE_LENGTH,
  PREFERRED_HEADER_LINE_LENGTH,
  ReceivedProtocols,
  receivedProtocol,
  type ReceivedOptions,
  type ReceivedProtocol,
  type ReceivedProtocolFacts,
  type ReceivedTls,
  type TraceHeaderError,
  type TraceHeaderErrorReason,
  type TraceHeaderResult,
} from "./trace-headers.js";
export {
  crc32c,
  createProxyProtocolParser,
  decodeProxySslTlv,
  DEFAULT_PROXY_V2_MAX_LENGTH,
  encodeProxyHeader,
  parseProxyHeader,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_ABSOLUTE_MAX_LENGTH,
  PROXY_V2_HEADER_LENGTH,
  ProxySslSubtype,
  ProxyTlvType,
  type ProxyEndpoint,
  type ProxySslInfo,
  type ProxyHeader,
  type ProxyParseResult,
  type ProxyProtocolError,
  type ProxyProtocolErrorReason,
  type ProxyProtocolOptions,
  type ProxyProtocolParser,
  type ProxyTlv,
  type ProxyTransport,
} from "./proxy-protocol.js";
export {
  MAX_DOMAIN_LENGTH,
  MAX_LOCAL_PART_LENGTH,
  MAX_PATH_LENGTH,
  mailboxAddress,
  normalizeDomain,
  type MailboxAddress,
} from "./mailbox-address.js";
export {
  createRelayPolicy,
  hasRoutingCharacters,
  type RelayAcceptReason,
  type RelayDecision,
  type RelayPolicy,
  type RelayPolicyOptions,
  type RelayRefuseReason,
  type RelayRequest,
} from "./relay-policy.js";
export {
  nodeMaildirFileSystem,
  type MaildirDirectoryEntry,
  type MaildirFile,
  type MaildirFileSystem,
} from "./maildir-file-system.js";
export {
  checkPathSegment,
  defaultMailboxPath,
  escapeMaildirHostname,
  MAX_PATH_SEGMENT_LENGTH,
  uniqueMaildirName,
  type LocalPartCase,
  type MailboxNameProblem,
  type MailboxPathResult,
  type UniqueNameParts,
} from "./maildir-names.js";
export {
  DEFAULT_CLEAN_DEPTH,
  DEFAULT_STALE_TMP_AGE_MILLISECONDS,
  MAILDIR_WRITE_BLOCK_SIZE,
  openMaildirStore,
  type MaildirCleanReport,
  type MaildirDelivery,
  type MaildirDeliveryResult,
  type MaildirFailureReason,
  type MaildirStore,
  type MaildirStoreOptions,
} from "./maildir-store.js";
