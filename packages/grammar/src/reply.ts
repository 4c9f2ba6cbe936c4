/**
 * SMTP replies (RFC 5321 §4.2): one or more lines sharing a three-digit
 * code, with the enhanced status code of RFC 2034 / RFC 3463 at the start of
 * each line's text.
 *
 * @module
 */
import { parseEnhancedStatusPrefix, type Situation } from "@smtpkit/codes";
import { decodeLine, encodeUtf8 } from "./ascii.js";
import { GrammarError, type ReplyError } from "./errors.js";
import { Limits } from "./limits.js";

/** A complete reply. */
export interface Reply {
  /** The three-digit code (RFC 5321 §4.2: 2–5, 0–5, 0–9). */
  readonly code: number;
  /**
   * The enhanced status code (RFC 2034) from the first line, for example
   * `"5.7.1"`; absent when the reply has none. On the wire it starts every line.
   */
  readonly enhanced?: string;
  /** The text of each line, without code, separator or enhanced code. May be `[""]`. */
  readonly lines: readonly string[];
}

/** One reply line, as {@link parseReplyLine} reads it. */
export interface ReplyLine {
  /** The three-digit code. */
  readonly code: number;
  /** Whether this is the last line (`250 ` rather than `250-`). */
  readonly last: boolean;
  /** The text after the separator, as sent (enhanced code included). */
  readonly text: string;
}

/** The outcome of {@link parseReplyLine}. */
export type ReplyLineResult = { readonly ok: true; readonly line: ReplyLine } | { readonly ok: false; readonly error: ReplyError };

/** The outcome of {@link parseReply}. */
export type ReplyParseResult = { readonly ok: true; readonly reply: Reply } | { readonly ok: false; readonly error: ReplyError };

function replyError(reason: ReplyError["reason"], message: string): { ok: false; error: ReplyError } {
  return { ok: false, error: { reason, message } };
}

/**
 * Parses one reply line (without its line ending): `Reply-code [ ("-" / SP) textstring ]`.
 * The text may hold HT, printable US-ASCII and UTF-8 (RFC 6531 §3.7.3 lets
 * servers use it); other control characters are refused, since a client
 * logs and shows this text.
 *
 * @param line - for example `"250-PIPELINING"`
 * @returns the line, or why it is not one
 * @example
 * ```ts
 * parseReplyLine("250-SIZE 1000"); // { ok: true, line: { code: 250, last: false, text: "SIZE 1000" } }
 * parseReplyLine("25O ok").ok;     // false
 * ```
 */
export function parseReplyLine(line: string): ReplyLineResult {
  const a = line.charCodeAt(0) - 0x30;
  const b = line.charCodeAt(1) - 0x30;
  const c = line.charCodeAt(2) - 0x30;
  if (!(a >= 2 && a <= 5 && b >= 0 && b <= 5 && c >= 0 && c <= 9)) {
    return replyError("bad-code", `Not a reply code: ${JSON.stringify(line.slice(0, 3))}`);
  }
  const code = a * 100 + b * 10 + c;
  if (line.length === 3) return { ok: true, line: { code, last: true, text: "" } };
  const separator = line.charCodeAt(3);
  if (separator !== 0x20 && separator !== 0x2d) return replyError("bad-separator", "A reply code is followed by SP or \"-\"");
  for (let i = 4; i < line.length; i += 1) {
    const d = line.charCodeAt(i);
    if ((d < 0x20 && d !== 0x09) || d === 0x7f) return replyError("bad-text", "Control character in reply text");
  }
  return { ok: true, line: { code, last: separator === 0x20, text: line.slice(4) } };
}

/** The enhanced code at the start of `text` when its class matches `code` (RFC 3463 §2). */
function enhancedOf(code: number, text: string): string | undefined {
  if (code < 200 || code >= 600 || (code >= 300 && code < 400)) return undefined;
  const parsed = parseEnhancedStatusPrefix(text);
  if (parsed === undefined || parsed.status.class !== Math.floor(code / 100)) return undefined;
  const next = text.charCodeAt(parsed.length);
  if (parsed.length < text.length && next !== 0x20 && next !== 0x09) return undefined;
  return text.slice(0, parsed.length);
}

/**
 * Assembles parsed lines into a reply: the enhanced code of the first line is
 * lifted out, and removed from every line that starts with it. Internal.
 */
export function assembleReply(lines: readonly ReplyLine[]): Reply {
  const first = lines[0] as ReplyLine;
  const enhanced = enhancedOf(first.code, first.text);
  if (enhanced === undefined) return { code: first.code, lines: lines.map((line) => line.text) };
  const texts = lines.map((line) =>
    line.text.startsWith(enhanced) && (line.text.length === enhanced.length || line.text.charCodeAt(enhanced.length) === 0x20)
      ? line.text.slice(enhanced.length + 1)
      : line.text,
  );
  return { code: first.code, enhanced, lines: texts };
}

/**
 * Parses a complete reply from text or bytes: one or more lines, each ended by
 * CRLF (a bare LF is accepted, a final line ending may be missing). For
 * streams use {@link ReplyReader}.
 *
 * @param input - the reply as received
 * @returns the reply, or why it is not one
 * @example
 * ```ts
 * const result = parseReply("250-mx.example.com\r\n250 SIZE 1000\r\n");
 * if (result.ok) result.reply.lines; // ["mx.example.com", "SIZE 1000"]
 * parseReply("550 5.1.1 No such user"); // { ok: true, reply: { code: 550, enhanced: "5.1.1", lines: ["No such user"] } }
 * ```
 */
export function parseReply(input: string | Uint8Array): ReplyParseResult {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    const decoded = decodeLine(input, 0, input.length);
    if (decoded === undefined) return replyError("not-utf8", "Reply is not valid UTF-8");
    text = decoded;
  }
  const rawLines = text.split("\n");
  if (rawLines[rawLines.length - 1] === "") rawLines.pop();
  const lines: ReplyLine[] = [];
  for (let i = 0; i < rawLines.length; i += 1) {
    let raw = rawLines[i] as string;
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    const parsed = parseReplyLine(raw);
    if (!parsed.ok) return parsed;
    if (lines.length > 0 && parsed.line.code !== (lines[0] as ReplyLine).code) {
      return replyError("code-mismatch", "Every line of a reply has the same code (RFC 5321 §4.2.1)");
    }
    lines.push(parsed.line);
    if (parsed.line.last !== (i === rawLines.length - 1)) {
      return replyError("bad-separator", parsed.line.last ? "Text after the last line of the reply" : "The reply has no last line");
    }
  }
  if (lines.length === 0) return replyError("bad-code", "Empty reply");
  return { ok: true, reply: assembleReply(lines) };
}

/**
 * Serializes a reply: `code-text` lines and a final `code text` line, each
 * ended by CRLF, the enhanced code (when given) at the start of every line
 * (RFC 2034 §3). A line longer than 512 octets with CRLF (RFC 5321
 * §4.5.3.1.5) is split into several, at spaces where possible. A 334
 * keeps the space before an empty challenge (RFC 4954 §8).
 *
 * @param reply - the reply
 * @returns the wire text
 * @throws {@link GrammarError} (`invalid-reply`) for a code outside 200–559, a
 *   malformed enhanced code or one whose class differs from the code's, or a
 *   line holding CR, LF or NUL (which would let text forge further replies),
 *   another control character but HT, or a lone surrogate (which
 *   {@link parseReplyLine} would refuse or read as U+FFFD)
 * @example
 * ```ts
 * serializeReply({ code: 250, lines: ["mx.example.com", "PIPELINING"] });
 * // "250-mx.example.com\r\n250 PIPELINING\r\n"
 * serializeReply({ code: 550, enhanced: "5.1.1", lines: ["No such user"] });
 * // "550 5.1.1 No such user\r\n"
 * ```
 */
export function serializeReply(reply: Reply): string {
  const { code, enhanced, lines } = reply;
  if (!Number.isInteger(code) || code < 200 || code > 559 || Math.floor(code / 10) % 10 > 5) {
    throw new GrammarError("invalid-reply", `Not a reply code: ${code}`);
  }
  if (enhanced !== undefined) {
    const parsed = parseEnhancedStatusPrefix(enhanced);
    if (parsed === undefined || parsed.length !== enhanced.length || parsed.status.class !== Math.floor(code / 100)) {
      throw new GrammarError("invalid-reply", `Enhanced code ${JSON.stringify(enhanced)} does not fit reply code ${code}`);
    }
  }
  // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with CRLF; longer text is split.
  const budget = Limits.replyLineOut - 6 - (enhanced === undefined ? 0 : enhanced.length + 1);
  const texts: string[] = [];
  for (const line of lines.length === 0 ? [""] : lines) {
    // Checked before wrapping: what the parser would refuse or read otherwise is refused here.
    if (typeof line !== "string") throw new GrammarError("invalid-reply", "Reply lines are strings");
    const bad = line.search(unsendableInReply);
    if (bad >= 0) {
      const c = line.charCodeAt(bad);
      throw new GrammarError(
        "invalid-reply",
        c === 0x0d || c === 0x0a || c === 0
          ? "Reply text cannot hold CR, LF or NUL"
          : c >= 0xd800 && c <= 0xdfff
            ? "Reply text cannot hold a lone surrogate"
            : `Reply text cannot hold the control character U+${c.toString(16).toUpperCase().padStart(4, "0")}`,
      );
    }
    for (const piece of wrap(line, budget)) texts.push(piece);
  }
  let out = "";
  for (let i = 0; i < texts.length; i += 1) {
    const line = texts[i] as string;
    const body = enhanced === undefined ? line : line === "" ? enhanced : `${enhanced} ${line}`;
    const separator = i === texts.length - 1 ? " " : "-";
    // RFC 4954 §8: continue-req = "334" SP [base64] CRLF, so a 334 keeps its space even when empty.
    out += body === "" && separator === " " && code !== 334 ? `${code}\r\n` : `${code}${separator}${body}\r\n`;
  }
  return out;
}

/**
 * What {@link parseReplyLine} refuses or would read differently: C0 controls
 * but HT, DEL, and lone surrogates (UTF-8 cannot carry them; an encoder
 * writes U+FFFD instead). A single class and alternatives of single
 * characters, so it cannot backtrack.
 */
const unsendableInReply = /[\x00-\x08\x0a-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** UTF-8 octets of the UTF-16 code unit at `i` of `text` (a surrogate pair counts 4 on its first unit, 0 on its second). */
function octetsAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) return 4;
  if (c >= 0xdc00 && c <= 0xdfff) return 0;
  return 3;
}

/**
 * Splits text into pieces of at most `budget` UTF-8 octets, at spaces where
 * it can. One pass over the text: each piece is measured once.
 */
function wrap(text: string, budget: number): string[] {
  if (text.length <= budget / 4 || encodeUtf8(text).length <= budget) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    // The longest run of whole code points from `start` within the budget.
    let octets = 0;
    let end = start;
    while (end < text.length) {
      const size = octetsAt(text, end);
      if (octets + size > budget) break;
      octets += size;
      end += size === 4 ? 2 : 1;
    }
    if (end === text.length) {
      pieces.push(text.slice(start));
      break;
    }
    // Cut at the last space within the piece (or right after it), else at the budget.
    const space = text.lastIndexOf(" ", end);
    if (space > start) {
      pieces.push(text.slice(start, space));
      start = space + 1;
    } else {
      pieces.push(text.slice(start, end));
      start = end;
    }
  }
  return pieces;
}

/**
 * The reply for a situation of `@smtpkit/codes`, optionally with other text
 * or with the server's domain first (for 220, 221 and 421, RFC 5321 §4.2).
 *
 * @param situation - for example `Situations.BadSequence`
 * @param options - `text` replaces the canonical text; `domain` is put before it
 * @returns the reply
 * @example
 * ```ts
 * import { Situations } from "@smtpkit/codes";
 * serializeReply(replyFor(Situations.Greeting, { domain: "mx.example.com" }));
 * // "220 mx.example.com ESMTP Service ready\r\n"
 * ```
 */
export function replyFor(situation: Situation, options: { readonly text?: string; readonly domain?: string } = {}): Reply {
  const text = options.text ?? situation.text;
  const line = options.domain === undefined ? text : text === "" ? options.domain : `${options.domain} ${text}`;
  return situation.enhanced === undefined
    ? { code: situation.code, lines: [line] }
    : { code: situation.code, enhanced: situation.enhanced, lines: [line] };
}
