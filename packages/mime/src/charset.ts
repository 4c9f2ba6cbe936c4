/**
 * Text decoding for any charset label found in mail: `TextDecoder` with the
 * WHATWG labels, a few mail-only aliases, and table-driven decoders for the
 * single-byte charsets.
 *
 * The single-byte charsets (windows-125x, ISO-8859-x, KOI8, IBM866,
 * macintosh) never go through the runtime: Node 20's
 * `TextDecoder("windows-1252")` returns C1 control characters for the smart
 * quotes and dashes (nodejs/node#60888), and a 128-entry table is as fast as
 * the runtime anyway. The tables come from the Unicode mapping tables with
 * the WHATWG Encoding Standard's adjustments (`scripts/generate-single-byte-tables.py`).
 *
 * Decoding never throws: an unknown label falls back to UTF-8 when the bytes
 * are valid UTF-8 and to windows-1252 otherwise; malformed sequences become
 * U+FFFD.
 *
 * @module
 */
import { expectBytes, expectText } from "./argument-checks.js";
import { isAscii } from "./bytes.js";
import { singleByteUpperHalves } from "./single-byte-tables.js";

const tables = new Map<string, Uint16Array>();

function singleByteTable(name: string): Uint16Array | undefined {
  let table = tables.get(name);
  if (table !== undefined) return table;
  // WHATWG's logical-order Hebrew decodes exactly like ISO-8859-8.
  const upper = singleByteUpperHalves[name === "iso-8859-8-i" ? "iso-8859-8" : name];
  if (upper === undefined) return undefined;
  table = new Uint16Array(256);
  for (let byte = 0; byte < 128; byte++) table[byte] = byte;
  for (let index = 0; index < 128; index++) table[128 + index] = upper.charCodeAt(index);
  tables.set(name, table);
  return table;
}

function decodeSingleByte(bytes: Uint8Array, table: Uint16Array): string {
  // ASCII decodes the same in every table; the runtime's UTF-8 decoder is the fastest way.
  if (bytes.length <= 64) {
    // Short text (an encoded word, a name): a plain loop beats any call setup.
    let text = "";
    for (let index = 0; index < bytes.length; index++) text += String.fromCharCode(table[bytes[index] as number] as number);
    return text;
  }
  if (isAscii(bytes)) return lenientUtf8.decode(bytes);
  const slice = 8192;
  const units = new Uint16Array(Math.min(bytes.length, slice));
  let text = "";
  for (let offset = 0; offset < bytes.length; offset += slice) {
    const end = Math.min(bytes.length, offset + slice);
    for (let index = offset; index < end; index++) units[index - offset] = table[bytes[index] as number] as number;
    text += String.fromCharCode.apply(null, units.subarray(0, end - offset) as unknown as number[]);
  }
  return text;
}

/** Labels seen in mail that the WHATWG list does not know, mapped to one it does. */
const mailAliases: Readonly<Record<string, string>> = {
  "utf8mb4": "utf-8",
  "ascii": "windows-1252",
  "ansi_x3.4-1968": "windows-1252",
  "cp-1252": "windows-1252",
  "win-1252": "windows-1252",
  "cp-1251": "windows-1251",
  "win-1251": "windows-1251",
  "cp-1250": "windows-1250",
  "iso8859-1": "windows-1252",
  "iso-8859-8i": "iso-8859-8-i",
  "ks_c_5601": "euc-kr",
  "ks_c_5601-1989": "euc-kr",
  "cp932": "shift_jis",
  "ms932": "shift_jis",
  "cp936": "gbk",
  "cp949": "euc-kr",
  "cp950": "big5",
  "big5-hkscs": "big5",
  "x-sjis": "shift_jis",
  "unicode-1-1-utf-8": "utf-8",
  "utf16": "utf-16le",
};

const decoders = new Map<string, TextDecoder | null>();

function runtimeDecoder(label: string): TextDecoder | null {
  let decoder = decoders.get(label);
  if (decoder !== undefined) return decoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = null;
  }
  // Bounded: labels come from the network.
  if (decoders.size < 256) decoders.set(label, decoder);
  return decoder;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/**
 * The canonical (WHATWG) name of a charset label, or undefined when neither
 * the runtime nor this package knows it (or the label is longer than 64
 * characters, which no real label is).
 *
 * @param label - a charset label as found in a header (`"ISO_8859-1"`, `"utf8"`, `"cp1252"`)
 * @returns the canonical name (`"windows-1252"`, `"utf-8"`), lower case
 * @example
 * ```ts
 * import { normalizeCharset } from "@smtpkit/mime";
 * normalizeCharset("Latin1"); // "windows-1252"
 * ```
 */
export function normalizeCharset(label: string): string | undefined {
  expectText(label, "a charset label");
  // Labels come from the network and the answers are cached: a label longer than any real
  // one (the longest WHATWG label has 19 characters) is unknown, and never cached, so that
  // hostile megabyte-long labels cannot pin memory in the caches.
  if (label.length > maxLabelLength) return undefined;
  const known = normalized.get(label);
  if (known !== undefined) return known === null ? undefined : known;
  const name = resolveLabel(label);
  // Bounded: labels come from the network.
  if (normalized.size < 256) normalized.set(label, name ?? null);
  return name;
}

const normalized = new Map<string, string | null>();

/** The longest charset label looked up (RFC 2978 allows 40 characters; real labels are shorter). */
const maxLabelLength = 64;

function resolveLabel(label: string): string | undefined {
  let name = label.trim().toLowerCase();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).trim();
  // RFC 2231 §5 and RFC 2184: a charset may carry a language ("utf-8*en").
  const star = name.indexOf("*");
  if (star > 0) name = name.slice(0, star);
  name = mailAliases[name] ?? name;
  if (singleByteUpperHalves[name] !== undefined) return name;
  const decoder = runtimeDecoder(name);
  if (decoder === null) {
    const match = /^(?:x-)?(?:cp|windows)-?(125\d|874|866)$/.exec(name);
    if (match !== null) return match[1] === "866" ? "ibm866" : `windows-${match[1] as string}`;
    return undefined;
  }
  return decoder.encoding;
}

/**
 * Decodes bytes in the named charset, never throwing: unknown labels fall
 * back to UTF-8 when the bytes are valid UTF-8, else to windows-1252.
 *
 * @param bytes - the encoded text
 * @param charset - a charset label (any case, WHATWG labels and common mail aliases); default UTF-8
 * @returns the text
 * @example
 * ```ts
 * import { decodeCharset } from "@smtpkit/mime";
 * decodeCharset(new Uint8Array([0x93, 0x68, 0x69, 0x94]), "windows-1252"); // "\u201chi\u201d"
 * ```
 */
export function decodeCharset(bytes: Uint8Array, charset = "utf-8"): string {
  expectBytes(bytes, "the bytes to decode");
  expectText(charset, "a charset label");
  if (bytes.length === 0) return "";
  const name = normalizeCharset(charset);
  if (name === undefined) return decodeUnknown(bytes);
  if (name === "utf-8") return (bytes.length <= 64 ? shortUtf8(bytes) : undefined) ?? lenientUtf8.decode(bytes);
  const table = singleByteTable(name);
  if (table !== undefined) return decodeSingleByte(bytes, table);
  const decoder = runtimeDecoder(name);
  return decoder === null ? decodeUnknown(bytes) : decoder.decode(bytes);
}

/**
 * Decodes short, valid UTF-8 without the cost of a runtime call (encoded
 * words and names are a few dozen bytes). Returns undefined for anything
 * not well-formed (RFC 3629 §4), which then goes to TextDecoder for its
 * standard replacement behaviour.
 */
function shortUtf8(bytes: Uint8Array): string | undefined {
  let text = "";
  let index = 0;
  while (index < bytes.length) {
    const first = bytes[index] as number;
    if (first < 0x80) {
      text += String.fromCharCode(first);
      index++;
      continue;
    }
    let needed: number;
    let codePoint: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (first >= 0xc2 && first <= 0xdf) {
      needed = 1;
      codePoint = first & 0x1f;
    } else if (first >= 0xe0 && first <= 0xef) {
      needed = 2;
      codePoint = first & 0x0f;
      if (first === 0xe0) lower = 0xa0;
      if (first === 0xed) upper = 0x9f;
    } else if (first >= 0xf0 && first <= 0xf4) {
      needed = 3;
      codePoint = first & 0x07;
      if (first === 0xf0) lower = 0x90;
      if (first === 0xf4) upper = 0x8f;
    } else {
      return undefined;
    }
    for (let offset = 1; offset <= needed; offset++) {
      const next = bytes[index + offset];
      if (next === undefined || next < lower || next > upper) return undefined;
      codePoint = (codePoint << 6) | (next & 0x3f);
      lower = 0x80;
      upper = 0xbf;
    }
    text += String.fromCodePoint(codePoint);
    index += needed + 1;
  }
  return text;
}

/**
 * Whether `bytes` are well-formed UTF-8 (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing past U+10FFFF), exactly what a fatal TextDecoder accepts.
 * @internal
 */
export function isWellFormedUtf8(bytes: Uint8Array): boolean {
  const length = bytes.length;
  let index = 0;
  while (index < length) {
    const first = bytes[index] as number;
    if (first < 0x80) {
      index++;
      continue;
    }
    let needed: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (first >= 0xc2 && first <= 0xdf) {
      needed = 1;
    } else if (first >= 0xe0 && first <= 0xef) {
      needed = 2;
      if (first === 0xe0) lower = 0xa0;
      if (first === 0xed) upper = 0x9f;
    } else if (first >= 0xf0 && first <= 0xf4) {
      needed = 3;
      if (first === 0xf0) lower = 0x90;
      if (first === 0xf4) upper = 0x8f;
    } else {
      return false;
    }
    if (index + needed >= length) return false;
    for (let offset = 1; offset <= needed; offset++) {
      const next = bytes[index + offset] as number;
      if (next < lower || next > upper) return false;
      lower = 0x80;
      upper = 0xbf;
    }
    index += needed + 1;
  }
  return true;
}

/**
 * Up to this many bytes, {@link decodeUnknown} checks UTF-8 well-formedness
 * itself instead of letting a fatal TextDecoder throw: an exception costs
 * microseconds, as much as decoding a header field many times over, and
 * 8-bit header fields from old mailers are common. Longer input (bodies)
 * takes one exception at most, which its size amortizes.
 */
const checkedDecodeLimit = 4096;

/** UTF-8 if the bytes are valid UTF-8, else windows-1252 (what mail clients guess). @internal */
export function decodeUnknown(bytes: Uint8Array): string {
  if (bytes.length <= checkedDecodeLimit) {
    // Both decoders drop a leading byte order mark alike, so valid input reads the same.
    return isWellFormedUtf8(bytes) ? lenientUtf8.decode(bytes) : decodeSingleByte(bytes, singleByteTable("windows-1252") as Uint16Array);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeSingleByte(bytes, singleByteTable("windows-1252") as Uint16Array);
  }
}
