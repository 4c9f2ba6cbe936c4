/**
 * RFC 2047 encoded words: `=?charset?B?...?=` and `=?charset?Q?...?=`.
 *
 * Decoding is tolerant, as real mail requires: any charset label (with an
 * RFC 2231 §5 `*language` suffix), lower-case `b`/`q`, words glued to
 * surrounding text, words longer than 75 characters, and malformed words
 * (kept literally). Whitespace between two adjacent encoded words is dropped
 * (RFC 2047 §6.2), and adjacent words in the same charset are joined before
 * the charset is decoded, so a multi-byte character split across two words
 * (which many mailers do) comes out whole.
 *
 * Encoding writes UTF-8 words of at most 75 characters (§2), never splitting
 * a character, choosing Q for mostly-ASCII text and B otherwise.
 *
 * @module
 */
import { expectText } from "./argument-checks.js";
import { base64Decode, base64Encode, decodeTable } from "./base64.js";
import { utf8 } from "./bytes.js";
import { decodeCharset } from "./charset.js";

/** The longest charset label accepted in a word (longer labels are not real). */
const maxCharsetLength = 64;

interface Word {
  readonly charset: string;
  readonly bytes: Uint8Array;
}

function hex(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Q decoding (RFC 2047 §4.2): "_" is a space, "=XX" a byte, other characters themselves. */
function decodeQ(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let written = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x5f) {
      out[written++] = 0x20;
    } else if (code === 0x3d && index + 2 < text.length) {
      const high = hex(text.charCodeAt(index + 1));
      const low = hex(text.charCodeAt(index + 2));
      if (high >= 0 && low >= 0) {
        out[written++] = (high << 4) | low;
        index += 2;
      } else {
        out[written++] = code;
      }
    } else {
      out[written++] = code > 0xff ? 0x3f : code;
    }
  }
  return out.subarray(0, written);
}

/** B decoding (RFC 2047 §4.1): short base64, straight from the string. */
function decodeB(text: string): Uint8Array {
  if (text.length > 256) return base64Decode(text);
  const out = new Uint8Array(((text.length + 3) >> 2) * 3);
  let written = 0;
  let bits = 0;
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const value = code < 256 ? (decodeTable[code] as number) : 0xff;
    if (value === 0xfe) break; // "=" ends the data
    if (value > 63) continue;
    bits = (bits << 6) | value;
    if (++count === 4) {
      out[written++] = bits >> 16;
      out[written++] = (bits >> 8) & 0xff;
      out[written++] = bits & 0xff;
      bits = 0;
      count = 0;
    }
  }
  if (count === 2) out[written++] = (bits >> 4) & 0xff;
  else if (count === 3) {
    out[written++] = (bits >> 10) & 0xff;
    out[written++] = (bits >> 2) & 0xff;
  }
  return out.subarray(0, written);
}

/**
 * Where the next "?=" is, remembered across the words of one value: the scan
 * only moves forward, so a value with many "=?" and no "?=" costs one pass,
 * not one pass per "=?".
 */
interface CloseCursor {
  /** Index of the first "?=" at or after `from`, or -1 when there is none. */
  at: number;
  from: number;
}

function nextClose(text: string, from: number, cursor: CloseCursor): number {
  if (cursor.at === -1 && cursor.from <= from) return -1;
  if (cursor.at >= from && cursor.from <= from) return cursor.at;
  cursor.from = from;
  cursor.at = text.indexOf("?=", from);
  return cursor.at;
}

/** Parses one encoded word starting at `start` ("=?"); returns it and its end, or undefined. */
function parseWord(text: string, start: number, cursor: CloseCursor): { word: Word; end: number } | undefined {
  const charsetEnd = text.indexOf("?", start + 2);
  if (charsetEnd === -1 || charsetEnd - start - 2 > maxCharsetLength || charsetEnd === start + 2) return undefined;
  const encoding = text.charCodeAt(charsetEnd + 1) | 0x20;
  if ((encoding !== 0x62 && encoding !== 0x71) || text.charCodeAt(charsetEnd + 2) !== 0x3f) return undefined;
  const payloadStart = charsetEnd + 3;
  // Tolerant of a stray "?" inside the payload: only "?=" closes the word.
  const end = nextClose(text, payloadStart, cursor);
  if (end === -1) return undefined;
  const charset = text.slice(start + 2, charsetEnd);
  for (let index = 0; index < charset.length; index++) {
    const code = charset.charCodeAt(index);
    if (code <= 0x20 || code >= 0x7f) return undefined;
  }
  const payload = end > payloadStart ? text.slice(payloadStart, end) : "";
  const bytes = encoding === 0x62 ? decodeB(payload) : decodeQ(payload);
  return { word: { charset: charset.toLowerCase(), bytes }, end: end + 2 };
}

function isLinearWhitespace(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) return false;
  }
  return true;
}

/**
 * Decodes every RFC 2047 encoded word in a header value (an unstructured
 * field such as Subject, or a display name), leaving other text as it is.
 *
 * @param text - the (unfolded) header value
 * @returns the decoded text
 * @example
 * ```ts
 * import { decodeEncodedWords } from "@smtpkit/mime";
 * decodeEncodedWords("=?UTF-8?Q?Caf=C3=A9?= =?ISO-8859-1?B?6Q==?= ok"); // "Caféé ok"
 * ```
 */
export function decodeEncodedWords(text: string): string {
  expectText(text, "the header value");
  let start = text.indexOf("=?");
  if (start === -1) return text;
  let out = "";
  let position = 0;
  // Adjacent words in one charset are gathered and decoded together.
  let runCharset = "";
  let run: Uint8Array[] = [];
  const cursor: CloseCursor = { at: -2, from: Number.POSITIVE_INFINITY };
  while (start !== -1) {
    const parsed = parseWord(text, start, cursor);
    if (parsed === undefined) {
      start = text.indexOf("=?", start + 2);
      continue;
    }
    const word = parsed.word;
    // RFC 2047 §6.2: whitespace between adjacent encoded words is ignored.
    const adjacent = run.length > 0 && isLinearWhitespace(text, position, start);
    if (!adjacent || word.charset !== runCharset) {
      if (run.length > 0) out += decodeRun(run, runCharset);
      if (!adjacent) out += text.slice(position, start);
      run = [];
      runCharset = word.charset;
    }
    run.push(word.bytes);
    position = parsed.end;
    start = text.indexOf("=?", position);
  }
  if (run.length > 0) out += decodeRun(run, runCharset);
  return out + text.slice(position);
}

function decodeRun(run: readonly Uint8Array[], charset: string): string {
  if (run.length === 1) return decodeCharset(run[0] as Uint8Array, charset);
  let length = 0;
  for (const bytes of run) length += bytes.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const bytes of run) {
    joined.set(bytes, offset);
    offset += bytes.length;
  }
  return decodeCharset(joined, charset);
}

/** Options of {@link encodeEncodedWord}. */
export interface EncodedWordOptions {
  /** `"B"`, `"Q"`, or (the default) whichever is shorter for the text. */
  readonly encoding?: "B" | "Q" | "auto";
}

/** Characters Q may leave as they are in any header context (RFC 2047 §5 rule 3). */
function qSafe(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x21 ||
    byte === 0x2a ||
    byte === 0x2b ||
    byte === 0x2d ||
    byte === 0x2f
  );
}

const hexDigits = "0123456789ABCDEF";

function qLength(bytes: Uint8Array): number {
  let length = 0;
  for (const byte of bytes) length += qSafe(byte) || byte === 0x20 ? 1 : 3;
  return length;
}

function encodeQ(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x20) out += "_";
    else if (qSafe(byte)) out += String.fromCharCode(byte);
    else out += `=${hexDigits[byte >> 4] as string}${hexDigits[byte & 15] as string}`;
  }
  return out;
}

/** The longest encoded word (RFC 2047 §2). */
const maxWordLength = 75;

/**
 * Encodes text as one or more UTF-8 encoded words separated by a space, each
 * at most 75 characters long, never splitting a character between words.
 * The words decode back (with {@link decodeEncodedWords}) to exactly `text`.
 *
 * @param text - any text
 * @param options - `B`, `Q` or automatic choice
 * @returns the encoded words
 * @example
 * ```ts
 * import { encodeEncodedWord } from "@smtpkit/mime";
 * // The shorter of B and Q is chosen:
 * encodeEncodedWord("Café"); // "=?UTF-8?B?Q2Fmw6k=?="
 * encodeEncodedWord("Hello wörld"); // "=?UTF-8?Q?Hello_w=C3=B6rld?="
 * encodeEncodedWord("Café", { encoding: "Q" }); // "=?UTF-8?Q?Caf=C3=A9?="
 * ```
 */
export function encodeEncodedWord(text: string, options: EncodedWordOptions = {}): string {
  expectText(text, "the text to encode");
  const all = utf8(text);
  let encoding = options.encoding ?? "auto";
  if (encoding === "auto") encoding = qLength(all) <= Math.ceil(all.length / 3) * 4 ? "Q" : "B";
  const prefix = `=?UTF-8?${encoding}?`;
  const room = maxWordLength - prefix.length - 2;
  const words: string[] = [];
  let chunk = "";
  let chunkBytes: number[] = [];
  const encodedLength = (bytes: readonly number[]): number =>
    encoding === "B" ? Math.ceil(bytes.length / 3) * 4 : qLength(Uint8Array.from(bytes));
  const emit = (): void => {
    const bytes = Uint8Array.from(chunkBytes);
    words.push(`${prefix}${encoding === "B" ? base64Encode(bytes, { lineLength: 0 }) : encodeQ(bytes)}?=`);
    chunk = "";
    chunkBytes = [];
  };
  for (const character of text) {
    const bytes = Array.from(utf8(character));
    const candidate = chunkBytes.concat(bytes);
    if (chunk.length > 0 && encodedLength(candidate) > room) emit();
    chunk += character;
    chunkBytes = chunkBytes.concat(bytes);
  }
  if (chunk.length > 0 || words.length === 0) emit();
  return words.join(" ");
}
