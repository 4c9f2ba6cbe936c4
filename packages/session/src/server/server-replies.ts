/**
 * The replies a server session sends: the canonical reply of a situation of
 * `@smtpkit/codes` (with the server's name where RFC 5321 §4.2 puts it, and
 * the enhanced code when ENHANCEDSTATUSCODES is on), and the checked reply an
 * embedder's decision stands for. Pure functions; no session state.
 *
 * @module
 */
import { isReplyAllowed, Situations, type SituationName } from "@smtpkit/codes";
import { GrammarError, serializeReply, type Reply } from "@smtpkit/grammar";
import type { ResolvedServerConfig } from "./server-config.js";
import type { ServerDecision } from "./server-events.js";
import { ServerSessionError } from "./server-session-error.js";

/** Situations whose text starts with the server's name (RFC 5321 §4.2: greeting, 221, and every 421). */
const domainFirst: ReadonlySet<SituationName> = new Set(["Greeting", "Closing", "ConnectionRefused"]);

/** How replies are dressed. Internal. */
export interface ReplyStyle {
  /** The server's name. */
  readonly hostname: string;
  /** Whether to send enhanced status codes (RFC 2034). */
  readonly enhancedStatusCodes: boolean;
}

/** The reply style of each resolved configuration: shared by its sessions, so that their canonical replies are made once. */
const styles = new WeakMap<ResolvedServerConfig, ReplyStyle>();

/**
 * The reply style of a resolved configuration, the same object for every
 * session of it. Internal.
 *
 * @param config - the resolved configuration
 * @returns the style
 */
export function replyStyleOf(config: ResolvedServerConfig): ReplyStyle {
  let style = styles.get(config);
  if (style === undefined) {
    style = Object.freeze({ hostname: config.hostname, enhancedStatusCodes: config.extensions.enhancedStatusCodes });
    styles.set(config, style);
  }
  return style;
}

const utf8 = new TextEncoder();

/**
 * The wire bytes of serialized reply text: ASCII (every canonical reply, and
 * nearly every other) copied code unit by code unit, which for a line or two
 * is cheaper than a `TextEncoder` call; anything else as UTF-8. Internal.
 *
 * @param text - the output of `serializeReply`
 * @returns the bytes
 */
export function replyTextBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return utf8.encode(text);
    bytes[i] = c;
  }
  return bytes;
}

/** The canonical replies made so far, per reply style (a style is shared by every session of one resolved configuration). */
const canonicalReplies = new WeakMap<ReplyStyle, Map<SituationName, Reply>>();
/** The wire bytes of each canonical reply, serialized once. */
const canonicalBytes = new WeakMap<Reply, Uint8Array>();

/**
 * The canonical reply of a situation, made once per reply style (frozen:
 * sessions share it). Internal.
 *
 * @param name - a situation of `@smtpkit/codes`
 * @param style - the server's name and whether enhanced codes are on
 * @returns the reply
 */
export function situationReply(name: SituationName, style: ReplyStyle): Reply {
  let made = canonicalReplies.get(style);
  if (made === undefined) {
    made = new Map();
    canonicalReplies.set(style, made);
  }
  const known = made.get(name);
  if (known !== undefined) return known;
  const situation = Situations[name];
  const text = domainFirst.has(name) || situation.code === 421 ? `${style.hostname} ${situation.text}` : situation.text;
  const lines = Object.freeze([text]);
  const reply: Reply = Object.freeze(
    situation.enhanced !== undefined && style.enhancedStatusCodes ? { code: situation.code, enhanced: situation.enhanced, lines } : { code: situation.code, lines },
  );
  // At most one entry per situation: the map is bounded by the catalogue.
  made.set(name, reply);
  canonicalBytes.set(reply, replyTextBytes(serializeReply(reply)));
  return reply;
}

/**
 * Freezes a reply that sessions will share and serializes it once, so that
 * {@link replyBytes} copies its bytes instead. Internal.
 *
 * @param reply - the reply (its lines are frozen too)
 * @returns the same reply, frozen
 * @throws `GrammarError` (`invalid-reply`) for a reply `serializeReply` refuses
 */
export function sharedReply(reply: Reply): Reply {
  Object.freeze(reply.lines);
  const frozen = Object.freeze(reply);
  canonicalBytes.set(frozen, replyTextBytes(serializeReply(frozen)));
  return frozen;
}

/**
 * The wire bytes of a reply: a canonical reply's are serialized once and
 * copied (the copy is the caller's to keep or change); any other reply is
 * serialized now. Internal.
 *
 * @param reply - the reply
 * @returns fresh bytes
 * @throws `GrammarError` (`invalid-reply`) for a reply `serializeReply` refuses
 */
export function replyBytes(reply: Reply): Uint8Array {
  const known = canonicalBytes.get(reply);
  return known === undefined ? replyTextBytes(serializeReply(reply)) : known.slice();
}

/**
 * Postfix's answer to XCLIENT or XFORWARD from a client it does not trust
 * ("550 5.7.0 Error: insufficient authorization", XCLIENT_README's table).
 * `@smtpkit/codes` has no situation for it (its command table does not know
 * the Postfix commands), so the reply is built here. Internal.
 *
 * @param style - whether enhanced codes are on
 * @returns the reply
 */
export function frontEndNotAuthorizedReply(style: ReplyStyle): Reply {
  const text = "Insufficient authorization";
  return style.enhancedStatusCodes ? { code: 550, enhanced: "5.7.0", lines: [text] } : { code: 550, lines: [text] };
}

/**
 * The reply a decision stands for, checked: the class must fit the decision
 * (2yz for `accept`, 4yz/5yz for `reject`), the code must be one RFC 5321
 * §4.3.2 (or the extension's RFC) lets the command receive, and the text must
 * be sendable (no CR, LF or NUL that could forge further replies). Internal.
 *
 * @param decision - the embedder's answer
 * @param command - the command it answers (`CONNECT` for the greeting)
 * @param accepted - the situation of a plain `accept`
 * @param rejected - the situation of a `reject` that names none
 * @param style - the server's name and whether enhanced codes are on
 * @returns the reply
 * @throws {@link ServerSessionError} (`invalid-decision`) when the reply does not fit
 */
export function decisionReply(decision: ServerDecision, command: string, accepted: SituationName, rejected: SituationName, style: ReplyStyle): Reply {
  let reply: Reply;
  const situation = decision.type === "reject" ? decision.situation : undefined;
  if (typeof situation === "object" && situation !== null && decision.reply === undefined) {
    // A Situation object (from `Situations`, or shaped like one): its fields make the reply.
    return decisionReply({ type: "reject", reply: { code: situation.code, ...(situation.enhanced === undefined ? {} : { enhanced: situation.enhanced }), text: situation.text } }, command, accepted, rejected, style);
  }
  if (decision.reply !== undefined) {
    const custom = decision.reply;
    const lines = typeof custom.text === "string" ? [custom.text] : [...custom.text];
    reply = custom.enhanced === undefined ? { code: custom.code, lines } : { code: custom.code, enhanced: custom.enhanced, lines };
    try {
      serializeReply(reply);
    } catch (error) {
      if (GrammarError.isInstance(error)) throw new ServerSessionError("invalid-decision", error.message, custom.code);
      throw error;
    }
  } else if (decision.type === "accept") {
    // The session's own replies for the command (`accepted`, and `rejected` below): correct by construction
    // (the session's table test checks each pair against RFC 5321 §4.3.2), so they skip the checks below.
    return situationReply(accepted, style);
  } else if (decision.type === "reject" && (situation === undefined || situation === null)) {
    return situationReply(rejected, style);
  } else {
    const name = decision.type === "reject" ? (situation as SituationName) : accepted;
    if (!Object.hasOwn(Situations, name)) throw new ServerSessionError("invalid-decision", "Unknown situation.", name);
    reply = situationReply(name, style);
  }
  if (reply.code < 400 !== (decision.type === "accept")) {
    throw new ServerSessionError("invalid-decision", `A${decision.type === "accept" ? "n accept" : " reject"} decision cannot reply ${reply.code}.`, reply.code);
  }
  if (!isReplyAllowed(command, reply.code)) {
    throw new ServerSessionError("invalid-decision", `RFC 5321 §4.3.2 does not allow ${reply.code} as a reply to ${command}.`, reply.code);
  }
  return reply;
}
