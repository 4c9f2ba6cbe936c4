/**
 * SMTP replies (RFC 5321 §4.2) with consistent codes: a registered basic
 * code of `@smtpkit/codes`, and, when present, an enhanced status code
 * (RFC 3463, RFC 2034) that is registered for that class, whose class agrees
 * with the basic code's first digit, and that the registry names as the
 * basic code's companion where it names one. Multi-line replies, text as
 * RFC 5321 `textstring` (and UTF-8 under SMTPUTF8, RFC 6531 §3.7.3), lines
 * within the 512-octet limit of RFC 5321 §4.5.3.1.5. Also the 250 reply to
 * EHLO, built from a capability set.
 *
 * @module
 */
import fc from "fast-check";
import { enhancedStatusCodes, replyCodes } from "@smtpkit/codes";
import { ehloReply, parseEhloReply, serializeReply, type CapabilitySet, type Reply } from "@smtpkit/grammar";
import { checkInteger, TestkitError } from "../testkit-error.js";
import { nonAscii, unit } from "../internal/characters.js";
import { record } from "../internal/record.js";
import { capabilitySet } from "./capabilities.js";
import { domain } from "./domain.js";

/** Basic codes that an SMTP server may send: registered, standard, 2yz–5yz with a second digit of 0–5. */
export const standardReplyCodes: readonly number[] = replyCodes
  .filter((entry) => entry.standard && entry.code >= 200 && entry.code <= 559 && Math.floor(entry.code / 10) % 10 <= 5)
  .map((entry) => entry.code)
  // 250 first, so that replies shrink towards the plainest one.
  .sort((a, b) => (a === 250 ? -1 : b === 250 ? 1 : a - b));

/**
 * The enhanced codes that fit a basic code: registered (RFC 5248 registry),
 * not deprecated, allowed with the code's class, the registry's companions
 * of the basic code first. Empty for 3yz replies, which RFC 3463 has no class for.
 */
function enhancedFor(code: number): string[] {
  const cls = Math.floor(code / 100) as 2 | 3 | 4 | 5;
  if (cls === 3) return [];
  const fitting = enhancedStatusCodes.filter((e) => e.deprecated === undefined && e.classes.includes(cls));
  const companions = fitting.filter((e) => e.basicCodes.includes(code));
  const ordered = [...companions, ...fitting.filter((e) => !e.basicCodes.includes(code))];
  return ordered.map((e) => `${cls}.${e.subject}.${e.detail}`);
}

/** Options of {@link reply}. */
export interface ReplyOptions {
  /** Whether replies carry an enhanced status code: `"always"` (where the class allows), `"never"`, or `"sometimes"` (default). */
  readonly enhanced?: "always" | "never" | "sometimes";
  /** The most lines a reply has, 1–50 (default 4). */
  readonly maxLines?: number;
  /** Allow UTF-8 in the text (RFC 6531 §3.7.3). Default false. */
  readonly utf8?: boolean;
  /** Basic codes to choose from (default {@link standardReplyCodes}). */
  readonly codes?: readonly number[];
}

/** Characters of a reply's text (RFC 5321 textstring: HT, SP, printable ASCII). */
const textChars: readonly string[] = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).sort((a, b) =>
  /[a-z]/.test(a) === /[a-z]/.test(b) ? 0 : /[a-z]/.test(a) ? -1 : 1,
);

function replyText(utf8: boolean): fc.Arbitrary<string> {
  // A line never starts with a digit, so that it cannot be read as an enhanced code.
  return fc.string({ unit: unit(utf8 ? [...textChars, ...nonAscii] : textChars), maxLength: 80 }).filter((t) => !/^[0-9]/.test(t));
}

/**
 * A reply: a registered code, sometimes an enhanced code that fits it, and
 * 1–`maxLines` lines of text. `serializeReply` writes it and `parseReply`
 * reads it back as an equal value.
 *
 * @param options - enhanced codes, line count, UTF-8, codes
 * @returns an arbitrary of `Reply` values of `@smtpkit/grammar`
 * @throws {@link TestkitError} (`invalid-argument`) for an unusable code or line count
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseReply, serializeReply } from "@smtpkit/grammar";
 * import { reply } from "@smtpkit/testkit";
 * fc.assert(fc.property(reply(), (r) => parseReply(serializeReply(r)).ok));
 * ```
 */
export function reply(options: ReplyOptions = {}): fc.Arbitrary<Reply> {
  const maxLines = checkInteger("maxLines", options.maxLines ?? 4, 1, 50);
  const mode = options.enhanced ?? "sometimes";
  const codes = options.codes ?? standardReplyCodes;
  if (codes.length === 0) throw new TestkitError("invalid-argument", "codes must not be empty");
  const lines = fc.array(replyText(options.utf8 === true), { minLength: 1, maxLength: maxLines });
  const byCode = codes.map((code) => {
    if (!Number.isInteger(code) || code < 200 || code > 559 || Math.floor(code / 10) % 10 > 5) {
      throw new TestkitError("invalid-argument", `Not a reply code a server can send: ${code}`);
    }
    const enhanced = enhancedFor(code);
    const base = { code: fc.constant(code), lines };
    if (mode === "never" || enhanced.length === 0) return record(base);
    const withEnhanced = { ...base, enhanced: fc.constantFrom(...enhanced) };
    return mode === "always" ? record(withEnhanced) : record(withEnhanced, { requiredKeys: ["code", "lines"] });
  });
  return fc.oneof(...byCode) as fc.Arbitrary<Reply>;
}

/**
 * The 250 reply to EHLO (RFC 5321 §4.1.1.1): the server's domain, an
 * optional greeting, then one line per capability. The unmapper reads a
 * reply back with `parseEhloReply`, so a user's own EHLO reply shrinks too.
 *
 * @param capabilities - the capability sets to advertise (default {@link capabilitySet})
 * @returns an arbitrary of EHLO replies
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseEhloReply } from "@smtpkit/grammar";
 * import { ehloResponse } from "@smtpkit/testkit";
 * fc.assert(fc.property(ehloResponse(), (r) => parseEhloReply(r) !== undefined));
 * ```
 */
export function ehloResponse(capabilities: fc.Arbitrary<CapabilitySet> = capabilitySet()): fc.Arbitrary<Reply> {
  const greeting = fc.constantFrom<string>("", "Hello", "at your service", "ESMTP ready");
  return fc.tuple(domain({ maxLength: 100 }), greeting, capabilities).map(
    ([name, greet, set]) => ehloReply(name, set, greet),
    (value) => {
      const parsed = typeof value === "object" && value !== null ? parseEhloReply(value as Reply) : undefined;
      if (parsed === undefined) throw new Error("not an EHLO reply");
      return [parsed.domain, parsed.greeting, parsed.capabilities] as [string, string, CapabilitySet];
    },
  );
}

/** The defects {@link nearlyValidReply} can put in a reply. */
export type ReplyDefect = "mixed-codes" | "missing-last-line" | "bad-code" | "bad-separator" | "control-character";

/** Every {@link ReplyDefect}. */
export const replyDefects: readonly ReplyDefect[] = ["mixed-codes", "missing-last-line", "bad-code", "bad-separator", "control-character"];

/** A reply with one defect, and how `@smtpkit/grammar` classifies it. */
export interface NearlyValidReply {
  /** The defect. */
  readonly defect: ReplyDefect;
  /** The reply as sent, CRLF line ends included. */
  readonly text: string;
  /** The same in UTF-8. */
  readonly bytes: Uint8Array;
  /** The `reason` of the `ReplyError` a strict reader reports (`code-mismatch`, `bad-separator`, `bad-code`, `bad-text`). */
  readonly reason: "code-mismatch" | "bad-separator" | "bad-code" | "bad-text";
}

const encoder = new TextEncoder();

function broken(defect: ReplyDefect, lines: readonly string[], reason: NearlyValidReply["reason"]): NearlyValidReply {
  const text = lines.map((line) => `${line}\r\n`).join("");
  return { defect, text, bytes: encoder.encode(text), reason };
}

function wireLines(value: Reply): string[] {
  return serializeReply(value).split("\r\n").slice(0, -1);
}

/**
 * A reply with exactly one defect, for testing clients (RFC 5321 §4.2:
 * three digits, the same code on every line, `-` on every line but the
 * last, text without control characters):
 *
 * - `mixed-codes`: a continuation line with another code (§4.2.1);
 * - `missing-last-line`: every line marked as a continuation;
 * - `bad-code`: a code that is not three digits 2–5, 0–5, 0–9;
 * - `bad-separator`: something other than SP or `-` after the code;
 * - `control-character`: a NUL, ESC, DEL or other control in the text
 *   (terminal escape injection into a client's logs).
 *
 * A client must not act on such a reply as if it were well formed.
 *
 * @param defects - which defects to generate (default all of {@link replyDefects})
 * @returns an arbitrary of {@link NearlyValidReply} values (derived: they shrink with their context only)
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseReply } from "@smtpkit/grammar";
 * import { nearlyValidReply } from "@smtpkit/testkit";
 * fc.assert(fc.property(nearlyValidReply(), (bad) => !parseReply(bad.text).ok));
 * ```
 */
export function nearlyValidReply(defects: readonly ReplyDefect[] = replyDefects): fc.Arbitrary<NearlyValidReply> {
  const base = reply({ enhanced: "never" });
  const multi = reply({ enhanced: "never", maxLines: 4 }).filter((r) => r.lines.length >= 2);
  const byDefect: Readonly<Record<ReplyDefect, fc.Arbitrary<NearlyValidReply>>> = {
    "mixed-codes": fc.tuple(multi, fc.constantFrom(...standardReplyCodes), fc.nat()).map(([value, other, at]) => {
      const lines = wireLines(value);
      const code = other === value.code ? (other === 250 ? 550 : 250) : other;
      const index = 1 + (at % (lines.length - 1));
      lines[index] = `${code}${(lines[index] as string).slice(3)}`;
      return broken("mixed-codes", lines, "code-mismatch");
    }),
    "missing-last-line": base.map((value) => {
      const lines = wireLines(value);
      const last = lines[lines.length - 1] as string;
      lines[lines.length - 1] = last.length === 3 ? `${last}-` : `${last.slice(0, 3)}-${last.slice(4)}`;
      return broken("missing-last-line", lines, "bad-separator");
    }),
    "bad-code": fc.tuple(base, fc.constantFrom("1", "6", "9", "O", "x", " "), fc.integer({ min: 0, max: 2 })).map(([value, bad, position]) => {
      const lines = wireLines(value);
      const first = lines[0] as string;
      // A 6–9 in the second place is also outside RFC 5321's Reply-code.
      const replacement = position === 1 && bad === "1" ? "7" : position === 2 && /[0-9]/.test(bad) ? "x" : bad;
      lines[0] = first.slice(0, position) + replacement + first.slice(position + 1);
      return broken("bad-code", lines, "bad-code");
    }),
    "bad-separator": fc.tuple(base, fc.constantFrom("_", "\t", ":", ".", "=")).map(([value, separator]) => {
      const lines = wireLines(value);
      const first = lines[0] as string;
      lines[0] = `${first.slice(0, 3)}${separator}${first.slice(4) || "x"}`;
      return broken("bad-separator", lines, "bad-separator");
    }),
    "control-character": fc.tuple(base, fc.constantFrom("\0", "\x01", "\x1b[31m", "\x7f", "\x08", "\r"), fc.nat()).map(([value, control, at]) => {
      const lines = wireLines(value);
      const index = at % lines.length;
      const line = lines[index] as string;
      const text = line.length > 4 ? line.slice(4) : "";
      const position = at % (text.length + 1);
      lines[index] = `${line.slice(0, 3)}${index === lines.length - 1 ? " " : "-"}${text.slice(0, position)}${control}${text.slice(position)}x`;
      return broken("control-character", lines, "bad-text");
    }),
  };
  return fc.oneof(...defects.map((defect) => byDefect[defect]));
}
