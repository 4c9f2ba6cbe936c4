/**
 * What a server session advertises in its EHLO (or LHLO) reply, and the
 * check of MAIL/RCPT parameters against it: a parameter whose extension was
 * not offered to this client, in this TLS epoch, is refused with 555
 * (RFC 5321 §4.1.1.11). Pure functions; no session state.
 *
 * @module
 */
import { Situations } from "@smtpkit/codes";
import { CapabilitySet, ehloReply, type MailParameters, type Reply, type RcptParameters, type XclientAttributeName, type XforwardAttributeName } from "@smtpkit/grammar";
import type { SaslChannelBinding } from "../sasl/channel-binding.js";
import type { ResolvedServerConfig } from "./server-config.js";
import { sharedReply } from "./server-replies.js";

/** The XCLIENT attributes this session applies, in the order the EHLO reply names them. Internal. */
export const xclientAttributeNames: readonly XclientAttributeName[] = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN", "DESTADDR", "DESTPORT"];

/** The XFORWARD attributes this session applies. Internal. */
export const xforwardAttributeNames: readonly XforwardAttributeName[] = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"];

/**
 * The capabilities to advertise now. Internal.
 *
 * @param config - the resolved configuration
 * @param tls - whether TLS is active
 * @param channelBinding - the TLS channel binding, when known (enables SCRAM-SHA-256-PLUS)
 * @returns the set, in the order of the EHLO reply
 */
export function advertisedCapabilities(config: ResolvedServerConfig, tls: boolean, channelBinding: SaslChannelBinding | undefined): CapabilitySet {
  const { extensions, limits, starttls, sasl, policy } = config;
  const entries: [string, string[]][] = [];
  if (extensions.pipelining) entries.push(["PIPELINING", []]);
  if (extensions.size) entries.push(["SIZE", [String(limits.maxMessageSize)]]);
  if (extensions.eightBitMime) entries.push(["8BITMIME", []]);
  if (extensions.smtpUtf8) entries.push(["SMTPUTF8", []]);
  if (extensions.chunking) entries.push(["CHUNKING", []]);
  if (extensions.binaryMime) entries.push(["BINARYMIME", []]);
  if (extensions.dsn) entries.push(["DSN", []]);
  if (extensions.enhancedStatusCodes) entries.push(["ENHANCEDSTATUSCODES", []]);
  // RFC 3207 §4.2: not offered again once TLS is active.
  if (starttls && !tls) entries.push(["STARTTLS", []]);
  // RFC 4954 §4: AUTH in the clear only when the embedder allows it, and never when TLS is required
  // (RFC 3207 §4: AUTH before STARTTLS is answered 530 then).
  if (sasl !== undefined && (tls || (policy.allowAuthWithoutTls && !policy.requireTls))) {
    const mechanisms = sasl.offered(channelBinding === undefined ? { tls } : { tls, channelBinding });
    if (mechanisms.length > 0) entries.push(["AUTH", [...mechanisms]]);
  }
  // RFC 8689 §4: REQUIRETLS is offered only over TLS.
  if (extensions.requireTls && tls) entries.push(["REQUIRETLS", []]);
  // Postfix XCLIENT_README / XFORWARD_README: the keyword is followed by the attribute names supported;
  // Postfix announces them only to authorized clients.
  if (config.xclient === "trusted") entries.push(["XCLIENT", [...xclientAttributeNames]]);
  if (config.xforward === "trusted") entries.push(["XFORWARD", [...xforwardAttributeNames]]);
  return CapabilitySet.of(entries);
}

/** What an EHLO (or LHLO) gets: the capabilities and the reply naming them. Internal. */
export interface HelloAnswer {
  /** The capabilities advertised. */
  readonly capabilities: CapabilitySet;
  /** The 250 reply (shared and frozen when cached). */
  readonly reply: Reply;
}

/** The EHLO answers of each resolved configuration, without and with TLS (no channel binding): made once, shared by its sessions. */
const helloAnswers = new WeakMap<ResolvedServerConfig, [HelloAnswer | undefined, HelloAnswer | undefined]>();

/**
 * The answer to EHLO or LHLO now: made once per configuration and TLS state
 * when no channel binding is known (the usual case), and afresh otherwise
 * (the binding decides whether SCRAM-SHA-256-PLUS is offered). Internal.
 *
 * @param config - the resolved configuration
 * @param tls - whether TLS is active
 * @param channelBinding - the TLS channel binding, when known
 * @returns the capabilities and the reply
 */
export function helloAnswer(config: ResolvedServerConfig, tls: boolean, channelBinding: SaslChannelBinding | undefined): HelloAnswer {
  const make = (): HelloAnswer => {
    const capabilities = advertisedCapabilities(config, tls, channelBinding);
    return { capabilities, reply: ehloReply(config.hostname, capabilities, Situations.HelloOk.text) };
  };
  if (channelBinding !== undefined) return make();
  let made = helloAnswers.get(config);
  if (made === undefined) {
    made = [undefined, undefined];
    helloAnswers.set(config, made);
  }
  const index = tls ? 1 : 0;
  const known = made[index];
  if (known !== undefined) return known;
  const fresh = make();
  const answer: HelloAnswer = Object.freeze({ capabilities: fresh.capabilities, reply: sharedReply(fresh.reply) });
  made[index] = answer;
  return answer;
}

/**
 * The first MAIL or RCPT parameter whose extension is not in `advertised`.
 * Internal.
 *
 * @param advertised - what this client was offered (empty after HELO)
 * @param parameters - the command's typed parameters
 * @returns the parameter's keyword, or `undefined` when all were offered
 */
export function unadvertisedParameter(advertised: CapabilitySet, parameters: MailParameters | RcptParameters): string | undefined {
  const check = (keyword: string, value?: string): string | undefined => (advertised.allowsParameter(keyword, value) ? undefined : keyword);
  const p = parameters as MailParameters & RcptParameters;
  return (
    (p.size !== undefined ? check("SIZE") : undefined) ??
    (p.body !== undefined ? check("BODY", p.body) : undefined) ??
    (p.smtputf8 === true ? check("SMTPUTF8") : undefined) ??
    (p.auth !== undefined ? check("AUTH") : undefined) ??
    (p.ret !== undefined ? check("RET") : undefined) ??
    (p.envid !== undefined ? check("ENVID") : undefined) ??
    (p.requireTls === true ? check("REQUIRETLS") : undefined) ??
    (p.mtPriority !== undefined ? check("MT-PRIORITY") : undefined) ??
    (p.by !== undefined ? check("BY") : undefined) ??
    (p.holdFor !== undefined ? check("HOLDFOR") : undefined) ??
    (p.holdUntil !== undefined ? check("HOLDUNTIL") : undefined) ??
    (p.notify !== undefined ? check("NOTIFY") : undefined) ??
    (p.orcpt !== undefined ? check("ORCPT") : undefined) ??
    (p.rrvs !== undefined ? check("RRVS") : undefined) ??
    p.other?.[0]?.keyword
  );
}
