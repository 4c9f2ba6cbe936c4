/**
 * `@smtpkit/client`: the Node edge of the smtpkit SMTP/LMTP client.
 *
 * This release holds direct delivery's first step, which does not need the
 * session machine: the MX look-up of RFC 5321 §5.1 with null MX (RFC 7505),
 * loop detection and typed transient/permanent failures, through an
 * injectable resolver: {@link createMxResolver}.
 *
 * @example
 * ```ts
 * import { createMxResolver } from "@smtpkit/client";
 * const result = await createMxResolver().resolve("example.net");
 * if (!result.ok && result.kind === "permanent") console.log(result.situation.enhanced); // for example "5.1.10" (null MX)
 * ```
 *
 * @packageDocumentation
 */
export { ClientUsageError, type ClientUsageErrorReason } from "./client-usage-error.js";
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
