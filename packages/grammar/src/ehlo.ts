/**
 * The EHLO reply (RFC 5321 §4.1.1.1): `250-domain [greet]` then one line per
 * capability.
 *
 * @module
 */
import { CapabilitySet } from "./capabilities.js";
import { GrammarError } from "./errors.js";
import type { Reply } from "./reply.js";

/** What a client learns from a 250 reply to EHLO. */
export interface EhloGreeting {
  /** The server's name for itself (the first word of the first line). */
  readonly domain: string;
  /** The rest of the first line (`ehlo-greet`), possibly empty. */
  readonly greeting: string;
  /** The capabilities, from the other lines. */
  readonly capabilities: CapabilitySet;
}

/**
 * Reads a 250 reply to EHLO (or LHLO).
 *
 * @param reply - the reply
 * @returns the server's domain, greeting and capabilities, or `undefined` for a reply other than 250
 * @example
 * ```ts
 * const ehlo = parseEhloReply({ code: 250, lines: ["mx.example.com Hello", "PIPELINING", "SIZE 1000"] });
 * ehlo?.capabilities.has("PIPELINING"); // true
 * ```
 */
export function parseEhloReply(reply: Reply): EhloGreeting | undefined {
  if (reply.code !== 250) return undefined;
  const first = reply.lines[0] ?? "";
  const space = first.indexOf(" ");
  return {
    domain: space < 0 ? first : first.slice(0, space),
    greeting: space < 0 ? "" : first.slice(space + 1),
    capabilities: CapabilitySet.parse(reply.lines.slice(1)),
  };
}

/**
 * Builds the 250 reply to EHLO. RFC 2034 §3 puts no enhanced code on it.
 *
 * @param domain - the server's name
 * @param capabilities - what it offers
 * @param greeting - optional text after the domain
 * @returns the reply, for {@link serializeReply}
 * @throws {@link GrammarError} (`invalid-argument`) for a domain holding a space, line break or other control character
 * @example
 * ```ts
 * serializeReply(ehloReply("mx.example.com", CapabilitySet.of({ PIPELINING: true })));
 * // "250-mx.example.com\r\n250 PIPELINING\r\n"
 * ```
 */
export function ehloReply(domain: string, capabilities: CapabilitySet, greeting = ""): Reply {
  if (domain === "" || /[\s\x00-\x1f\x7f]/.test(domain)) throw new GrammarError("invalid-argument", `Not a domain: ${JSON.stringify(domain)}`);
  return { code: 250, lines: [greeting === "" ? domain : `${domain} ${greeting}`, ...capabilities.toLines()] };
}
