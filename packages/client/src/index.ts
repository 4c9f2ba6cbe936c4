/**
 * `@smtpkit/client`: the Node edge of the smtpkit SMTP/LMTP client.
 *
 * {@link connect} opens one connection ({@link SmtpClient}) on `node:net` /
 * `node:tls` and drives the pure `ClientSession` of `@smtpkit/session` over
 * it: plain, implicit TLS (RFC 8314) or STARTTLS (RFC 3207) with a
 * `required` / `opportunistic` / `never` policy, certificates verified by
 * default, every SASL mechanism of the session (RFC 4954), PIPELINING,
 * CHUNKING, SIZE, 8BITMIME, SMTPUTF8 and DSN as negotiated, LMTP
 * (RFC 2033). {@link createPool} shares a few connections for bulk sending;
 * {@link createMxResolver} finds where a domain's mail goes (RFC 5321 §5.1,
 * RFC 7505) through an injectable resolver.
 *
 * @example
 * ```ts
 * import { connect } from "@smtpkit/client";
 * const client = await connect({ host: "smtp.example.com", port: 587, auth: { username: "alice", password } });
 * const result = await client.send({ from: "alice@example.com", to: ["bob@example.org"], message: bytes });
 * console.log(result.status, result.code, result.enhanced); // "accepted" 250 "2.0.0"
 * await client.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  deliverDirect,
  type DeliveryAttempt,
  type DirectDeliveryOptions,
  type DirectDeliveryResult,
} from "./direct-delivery.js";
export { ClientUsageError, type ClientUsageErrorReason } from "./client-usage-error.js";
export {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_MESSAGE_CHUNK_SIZE,
  MAX_MESSAGE_CHUNK_SIZE,
  type ClientAuth,
  type ClientTlsOptions,
  type ConnectOptions,
} from "./connect-options.js";
export { toMailbox, type AddressInput, type MessageContent } from "./message-source.js";
export {
  createMxResolver,
  DEFAULT_MAX_MX_ADDRESSES,
  DEFAULT_MAX_MX_HOSTS,
  type DnsResolver,
  type MxFailureReason,
  type MxLookup,
  type MxResolution,
  type MxResolverOptions,
  type MxTarget,
} from "./mx-resolver.js";
export {
  connect,
  SmtpClient,
  type RecipientInput,
  type RecipientReport,
  type SendOptions,
  type SendResult,
} from "./smtp-client.js";
export { nodeSaslCrypto } from "./node-sasl-crypto.js";
export { createPool, DEFAULT_POOL_MAX, DEFAULT_POOL_MAX_MESSAGES, type PoolOptions, type SmtpPool } from "./pool.js";
export { SmtpClientError, type SmtpClientErrorReason } from "./smtp-client-error.js";
export { channelBindingOf, endPointHash, type ChannelBindingChoice } from "./tls-channel-binding.js";
