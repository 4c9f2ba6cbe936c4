/**
 * Header values with parameters: `Content-Type` and `Content-Disposition`
 * (RFC 2045 §5.1, RFC 2183), with RFC 2231 parameter continuations, charset
 * and language, and percent-encoding; and the encoder for RFC 2231.
 *
 * Lenient where mail is: spaces around `/`, `=` and `;`, unquoted values with
 * spaces, a missing closing quote, and RFC 2047 encoded words inside quoted
 * values (`filename="=?UTF-8?B?...?="`, written by many mailers although RFC
 * 2047 §5 forbids it) are all accepted. The scanner is hand-written and
 * linear; there is no regular expression over the input.
 *
 * @module
 */
import { expectText } from "./argument-checks.js";
import { utf8 } from "./bytes.js";
import { decodeCharset } from "./charset.js";
import { decodeEncodedWords } from "./encoded-words.js";
import { MimeError } from "./mime-error.js";

/** The most parameters read from one header value; the rest are ignored. */
const maxParameters = 128;
/**
 * The most RFC 2231 continuation segments read from one header value. Counted
 * apart from {@link maxParameters}: a long non-ASCII file name legitimately
 * takes a few hundred segments (each percent-encoded byte is three
 * characters, and our own encoder writes about 50 per segment), and cutting it
 * short would cut a UTF-8 sequence in half. The header block limit bounds the
 * work in any case.
 */
const maxSegments = 4096;

/** A value with its parameters, as in `text/plain; charset=utf-8`. */
export interface ParameterizedValue {
  /** The value before the first `;`, trimmed and lower-cased (`"text/plain"`, `"attachment"`). */
  readonly value: string;
  /**
   * The parameters by lower-case name, decoded (continuations joined, charsets
   * applied, encoded words decoded). An object without prototype.
   */
  readonly parameters: Readonly<Record<string, string>>;
}

interface Segment {
  readonly index: number;
  readonly extended: boolean;
  readonly text: string;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

/** Reads a quoted string starting after the opening quote; returns text and end. */
function readQuoted(text: string, start: number): { text: string; end: number } {
  let out = "";
  let index = start;
  let runStart = index;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      out += text.slice(runStart, index);
      return { text: out, end: index + 1 };
    }
    if (code === 0x5c && index + 1 < text.length) {
      out += text.slice(runStart, index);
      runStart = index + 1;
      index += 2;
      continue;
    }
    index++;
  }
  // A missing closing quote: the value runs to the end.
  return { text: out + text.slice(runStart), end: text.length };
}

function percentDecode(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let written = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x25 && index + 2 < text.length) {
      const pair = Number.parseInt(text.slice(index + 1, index + 3), 16);
      if (!Number.isNaN(pair) && /^[0-9a-fA-F]{2}$/.test(text.slice(index + 1, index + 3))) {
        out[written++] = pair;
        index += 2;
        continue;
      }
    }
    if (code < 0x80) {
      out[written++] = code;
    } else {
      const bytes = utf8(text[index] as string);
      out.set(bytes, written);
      written += bytes.length;
    }
  }
  return out.subarray(0, written);
}

/**
 * Parses a header value with parameters (`Content-Type`, `Content-Disposition`),
 * including RFC 2231 continuations, charsets and percent-encoding. Never throws.
 *
 * @param header - the unfolded header value
 * @returns the lower-cased main value and the decoded parameters
 * @example
 * ```ts
 * import { parseParameters } from "@smtpkit/mime";
 * parseParameters("attachment; filename*0*=UTF-8''%E2%82%AC; filename*1=\" rates.txt\"").parameters.filename;
 * // "€ rates.txt"
 * ```
 */
export function parseParameters(header: string): ParameterizedValue {
  expectText(header, "the header value");
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  const valueEnd = mainValueEnd(header, 0);
  const value = stripSpaces(stripComments(header.slice(0, valueEnd))).toLowerCase();
  const plain = new Map<string, string>();
  const segments = new Map<string, Segment[]>();
  let index = valueEnd;
  let count = 0;
  let segmentCount = 0;
  while (index < header.length && count < maxParameters && segmentCount < maxSegments) {
    while (index < header.length && (isSpace(header.charCodeAt(index)) || header.charCodeAt(index) === 0x3b)) index++;
    if (index >= header.length) break;
    const nameStart = index;
    while (index < header.length && header.charCodeAt(index) !== 0x3d && header.charCodeAt(index) !== 0x3b) index++;
    const rawName = header.slice(nameStart, index).trim().toLowerCase();
    if (index >= header.length || header.charCodeAt(index) === 0x3b) continue; // no "=": not a parameter
    index++; // "="
    while (index < header.length && isSpace(header.charCodeAt(index))) index++;
    let text: string;
    if (header.charCodeAt(index) === 0x22) {
      const quoted = readQuoted(header, index + 1);
      text = quoted.text;
      index = quoted.end;
    } else {
      // An unquoted value runs to the next ";", or to whitespace before another
      // "name=" when a mailer forgot the ";" (RFC 2045 requires it; many omit it).
      const valueStart = index;
      index = mainValueEnd(header, index);
      text = stripComments(header.slice(valueStart, index)).trim();
      if (text.length === 0) continue;
    }
    if (rawName.length === 0) continue;
    // RFC 2231 §3-§4: name*N, name*N*, name*.
    const star = rawName.indexOf("*");
    if (star === -1) {
      count++;
      if (!plain.has(rawName)) plain.set(rawName, text);
      continue;
    }
    segmentCount++;
    const base = rawName.slice(0, star).trim();
    const rest = rawName.slice(star + 1).trim();
    let segment: Segment | undefined;
    if (rest === "") segment = { index: 0, extended: true, text };
    else if (/^\d{1,4}\*?$/.test(rest)) {
      const extended = rest.endsWith("*");
      segment = { index: Number.parseInt(extended ? rest.slice(0, -1) : rest, 10), extended, text };
    }
    if (segment === undefined || base.length === 0) continue;
    let list = segments.get(base);
    if (list === undefined) {
      if (segments.size + plain.size >= maxParameters) continue;
      segments.set(base, (list = []));
      count++;
    }
    if (!list.some((existing) => existing.index === segment.index)) list.push(segment);
  }
  for (const [name, text] of plain) {
    if (segments.has(name)) continue; // RFC 2231 values win over the plain ones
    parameters[name] = text.includes("=?") ? decodeEncodedWords(text) : text;
  }
  for (const [name, list] of segments) parameters[name] = joinSegments(list);
  return { value, parameters };
}

/**
 * Where an unquoted value starting at `start` ends: at ";", or at the
 * whitespace before a `name=` that a missing ";" left behind.
 */
function mainValueEnd(header: string, start: number): number {
  let index = start;
  let lastSpace = -1;
  let depth = 0;
  while (index < header.length) {
    const code = header.charCodeAt(index);
    if (code === 0x28) depth++;
    else if (code === 0x29 && depth > 0) depth--;
    else if (depth === 0) {
      if (code === 0x3b) return index;
      if (code === 0x22) return lastSpace !== -1 ? lastSpace : index;
      if (isSpace(code)) lastSpace = index;
      else if (code === 0x3d && lastSpace !== -1 && lastSpace > start) {
        // "a=b c=d": the value ends at the space before "c".
        let nameStart = lastSpace;
        while (nameStart < index && isSpace(header.charCodeAt(nameStart))) nameStart++;
        if (nameStart < index && isParameterName(header.slice(nameStart, index).trimEnd())) return lastSpace;
      }
    }
    index++;
  }
  return index;
}

function isParameterName(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index) | 0x20;
    const letterOrDigit = (code >= 0x61 && code <= 0x7a) || (text.charCodeAt(index) >= 0x30 && text.charCodeAt(index) <= 0x39);
    if (!letterOrDigit && !"-_.*".includes(text[index] as string)) return false;
  }
  return true;
}

/** Removes RFC 5322 §3.2.2 comments ("(hello) text/plain"), nested or not. */
function stripComments(text: string): string {
  if (!text.includes("(")) return text;
  let out = "";
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (char === "\\" && depth > 0) index++;
    else if (char === "(") depth++;
    else if (char === ")" && depth > 0) depth--;
    else if (depth === 0) out += char;
  }
  return out;
}

function stripSpaces(text: string): string {
  // "image/ jpeg" and "text / plain" occur; media types hold no spaces.
  if (!/[ \t\r\n]/.test(text)) return text;
  let out = "";
  for (let index = 0; index < text.length; index++) if (!isSpace(text.charCodeAt(index))) out += text[index];
  return out;
}

/** Joins RFC 2231 segments in order: the first extended one names the charset. */
function joinSegments(list: Segment[]): string {
  list.sort((left, right) => left.index - right.index);
  let charset = "utf-8";
  const pieces: Uint8Array[] = [];
  let first = true;
  for (const segment of list) {
    let text = segment.text;
    const repeated = segment.extended && !first ? /^[\w.:-]+'(?:[\w-]*')?/.exec(text) : null;
    if (repeated !== null) {
      // Some mailers repeat charset'language' on every segment: drop the repeats.
      text = text.slice(repeated[0].length);
    } else if (segment.extended && first) {
      // RFC 2231 §4: charset'language'value
      const firstQuote = text.indexOf("'");
      const secondQuote = firstQuote === -1 ? -1 : text.indexOf("'", firstQuote + 1);
      if (secondQuote !== -1) {
        if (firstQuote > 0) charset = text.slice(0, firstQuote);
        text = text.slice(secondQuote + 1);
      }
    }
    first = false;
    pieces.push(segment.extended ? percentDecode(text) : utf8(text));
  }
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.length;
  }
  return decodeCharset(joined, charset);
}

const tokenSpecials = '()<>@,;:\\"/[]?= ';

function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code <= 0x20 || code >= 0x7f || tokenSpecials.includes(text[index] as string)) return false;
  }
  return true;
}

function attributeChar(byte: number): boolean {
  // RFC 2231 §7 attribute-char: token characters except "*", "'", "%".
  return byte > 0x20 && byte < 0x7f && !tokenSpecials.includes(String.fromCharCode(byte)) && byte !== 0x2a && byte !== 0x27 && byte !== 0x25;
}

const hexDigits = "0123456789ABCDEF";

/** Options of {@link encodeParameter}. */
export interface EncodeParameterOptions {
  /** The longest piece before a continuation starts (default 60, so lines stay under 78). */
  readonly maxLength?: number;
}

/**
 * Encodes one parameter for a `Content-Type` or `Content-Disposition` header:
 * a token or quoted string when the value is short ASCII, otherwise RFC 2231
 * (`name*=UTF-8''...`, split into `name*0*`, `name*1*`... continuations when
 * long). Returns the pieces; join them with `";"` and a folding space.
 *
 * @param name - the parameter name (a token)
 * @param value - any text
 * @param options - the longest piece
 * @returns one or more `name=value` pieces
 * @throws {@link MimeError} `invalid-header` if the name is not a token or the value holds CR, LF or NUL
 * @example
 * ```ts
 * import { encodeParameter } from "@smtpkit/mime";
 * encodeParameter("filename", "€ rates.txt"); // ["filename*=UTF-8''%E2%82%AC%20rates.txt"]
 * ```
 */
export function encodeParameter(name: string, value: string, options: EncodeParameterOptions = {}): string[] {
  expectText(name, "the parameter name");
  expectText(value, "the parameter value");
  if (!isToken(name) || name.includes("*")) {
    throw new MimeError("invalid-header", name, `parameter name ${JSON.stringify(name)} is not a token`);
  }
  if (/[\r\n\0]/.test(value)) {
    throw new MimeError("invalid-header", value, "a parameter value must not contain CR, LF or NUL");
  }
  const maxLength = options.maxLength ?? 60;
  if (!Number.isSafeInteger(maxLength) || maxLength < 8) {
    throw new MimeError("invalid-argument", maxLength, "maxLength must be an integer of at least 8");
  }
  const ascii = /^[\x20-\x7e]*$/.test(value);
  // A value holding "=?" goes the RFC 2231 way too: readers decode encoded words in quoted values.
  if (ascii && !value.includes("=?") && value.length + name.length + 3 <= 76) {
    return [`${name}=${isToken(value) ? value : `"${value.replace(/[\\"]/g, "\\$&")}"`}`];
  }
  // RFC 2231 §4: percent-encode every byte that is not an attribute-char.
  const bytes = utf8(value);
  const encoded: string[] = [];
  for (const byte of bytes) {
    encoded.push(attributeChar(byte) ? String.fromCharCode(byte) : `%${hexDigits[byte >> 4] as string}${hexDigits[byte & 15] as string}`);
  }
  const whole = `UTF-8''${encoded.join("")}`;
  if (whole.length + name.length + 2 <= maxLength) return [`${name}*=${whole}`];
  const pieces: string[] = [];
  let current = "UTF-8''";
  for (const token of encoded) {
    if (current.length + token.length > maxLength - name.length - 4 && current !== "UTF-8''") {
      pieces.push(current);
      current = "";
    }
    current += token;
  }
  pieces.push(current);
  return pieces.map((piece, index) => `${name}*${index}*=${piece}`);
}
