/**
 * The two encodings DSN and AUTH parameters carry addresses and identifiers in:
 *
 * - xtext (RFC 3461 §4): printable US-ASCII except "+" and "=", other octets
 *   as "+" and two upper-case hex digits. Used by ENVID, ORCPT (rfc822 type)
 *   and MAIL's AUTH= (RFC 4954 §5).
 * - the utf-8-addr forms (RFC 6533 §3) for ORCPT=utf-8;...: `utf-8-addr-xtext`
 *   (7-bit: non-ASCII as `\x{HEX}`), `utf-8-addr-unitext` (UTF-8 kept as is,
 *   for when SMTPUTF8 is in use) and the bare `utf-8-address`.
 *
 * Decoders never throw; they return `undefined` for text that is not of the form.
 *
 * @module
 */
import { decodeUtf8, encodeUtf8, is, XCHAR } from "./ascii.js";
import { GrammarError } from "./errors.js";

const hexDigits = "0123456789ABCDEF";

/** xtext without a hexchar: xchar only (one native pass; a single class cannot backtrack). */
const plainXtext = /^[\x21-\x2a\x2c-\x3c\x3e-\x7e]*$/;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Encodes text as xtext (RFC 3461 §4): every octet of its UTF-8 form that is
 * not an `xchar` becomes "+XX".
 *
 * @param text - the value, for example an ENVID or an address
 * @returns the xtext form
 * @example
 * ```ts
 * encodeXtext("a+b=c d"); // "a+2Bb+3Dc+20d"
 * ```
 */
export function encodeXtext(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i += 1) {
    if (!is(text.charCodeAt(i), XCHAR)) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = "";
  for (const byte of encodeUtf8(text)) {
    out += is(byte, XCHAR) ? String.fromCharCode(byte) : `+${hexDigits[byte >>> 4]}${hexDigits[byte & 15]}`;
  }
  return out;
}

/**
 * Decodes xtext (RFC 3461 §4). RFC 3461 writes the hex digits in upper case;
 * lower case is accepted on input (Postfix and go-smtp accept it too). Octets
 * above US-ASCII must form UTF-8.
 *
 * @param text - xtext from a parameter value
 * @returns the decoded text, or `undefined` when `text` is not xtext
 * @example
 * ```ts
 * decodeXtext("a+2Bb"); // "a+b"
 * decodeXtext("a+2");   // undefined
 * ```
 */
export function decodeXtext(text: string): string | undefined {
  if (plainXtext.test(text)) return text;
  // Decoded bytes go into one array and through the fatal UTF-8 decoder:
  // no argument spreading, whose stack limit a long value would exceed.
  const bytes = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return undefined;
      bytes[length++] = high * 16 + low;
      i += 2;
    } else if (is(c, XCHAR)) {
      bytes[length++] = c;
    } else {
      return undefined;
    }
  }
  return decodeUtf8(bytes.subarray(0, length));
}

/** RFC 6533 QCHAR: %x21-2a / %x2c-3c / %x3e-5b / %x5d-7e. */
function isQchar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== 0x2b && c !== 0x3d && c !== 0x5c;
}

/** The ASCII code points RFC 6533's 2-digit HEXPOINT forms allow. */
function isEscapableAscii(cp: number): boolean {
  return (
    (cp >= 0x01 && cp <= 0x09) ||
    (cp >= 0x10 && cp <= 0x19) ||
    cp === 0x20 ||
    cp === 0x2b ||
    cp === 0x3d ||
    cp === 0x5c ||
    cp === 0x7f
  );
}

function encodeUtf8Addr(address: string, keepUnicode: boolean): string {
  let out = "";
  for (const char of address) {
    const cp = char.codePointAt(0) as number;
    if (cp < 0x80) {
      if (isQchar(cp)) out += char;
      else if (isEscapableAscii(cp)) out += `\\x{${cp.toString(16).toUpperCase().padStart(2, "0")}}`;
      else return "";
    } else if (keepUnicode) {
      out += char;
    } else {
      if (cp >= 0xd800 && cp <= 0xdfff) return ""; // lone surrogate
      out += `\\x{${cp.toString(16).toUpperCase()}}`;
    }
  }
  return out;
}

/**
 * Encodes an address as RFC 6533's `utf-8-addr-xtext`: 7-bit, safe in ORCPT
 * even when the server has not offered SMTPUTF8. Non-ASCII characters and the
 * ASCII characters outside QCHAR become `\x{HEX}`.
 *
 * @param address - a mailbox, for example "θσερ@example.com"
 * @returns the encoded form
 * @throws {@link GrammarError} (`invalid-argument`) for a character RFC 6533 cannot carry (CR, LF, NUL, a lone surrogate)
 * @example
 * ```ts
 * encodeUtf8AddrXtext("u+ser@例え.jp"); // "u\\x{2B}ser@\\x{4F8B}\\x{3048}.jp"
 * ```
 */
export function encodeUtf8AddrXtext(address: string): string {
  const out = encodeUtf8Addr(address, false);
  if (out === "" && address !== "") throw unencodable(address);
  return out;
}

/**
 * Encodes an address as RFC 6533's `utf-8-addr-unitext`: like
 * {@link encodeUtf8AddrXtext} but with non-ASCII characters kept as UTF-8;
 * for ORCPT when SMTPUTF8 is in use.
 *
 * @param address - a mailbox
 * @returns the encoded form
 * @throws {@link GrammarError} (`invalid-argument`) for a character RFC 6533 cannot carry
 * @example
 * ```ts
 * encodeUtf8AddrUnitext("a=b@例え.jp"); // "a\\x{3D}b@例え.jp"
 * ```
 */
export function encodeUtf8AddrUnitext(address: string): string {
  const out = encodeUtf8Addr(address, true);
  if (out === "" && address !== "") throw unencodable(address);
  return out;
}

function unencodable(address: string): GrammarError {
  return new GrammarError(
    "invalid-argument",
    `RFC 6533 cannot encode ${JSON.stringify(address)}: CR, LF, NUL and lone surrogates have no utf-8-addr form`,
  );
}

/**
 * Reads one `\x{HEXPOINT}` escape at `start`, validating HEXPOINT exactly as
 * RFC 6533 §3 writes it: the shortest form, no surrogates, nothing above
 * U+10FFFF, and for ASCII only the characters QCHAR leaves out (so neither
 * CR, LF nor NUL can be smuggled through an escape).
 */
function readEscape(text: string, start: number): { codePoint: number; end: number } | undefined {
  if (text.charCodeAt(start + 1) !== 0x78 || text.charCodeAt(start + 2) !== 0x7b) return undefined;
  const close = text.indexOf("}", start + 3);
  if (close < 0) return undefined;
  const digits = close - (start + 3);
  if (digits < 2 || digits > 6) return undefined;
  let value = 0;
  for (let i = start + 3; i < close; i += 1) {
    const v = hexValue(text.charCodeAt(i));
    if (v < 0) return undefined;
    value = value * 16 + v;
  }
  const first = hexValue(text.charCodeAt(start + 3));
  const ok =
    digits === 2
      ? isEscapableAscii(value) || value >= 0x80
      : digits === 3
        ? first !== 0
        : digits === 4
          ? first !== 0 && !(value >= 0xd800 && value <= 0xdfff)
          : digits === 5
            ? first !== 0
            : value >= 0x100000 && value <= 0x10ffff;
  return ok ? { codePoint: value, end: close + 1 } : undefined;
}

/**
 * Decodes RFC 6533's `utf-8-addr-xtext` and `utf-8-addr-unitext`, the two
 * forms an ORCPT parameter may carry (a bare address reads the same when it
 * has no "+", "=", "\\" or space, which must be escaped in ORCPT). Escapes
 * are validated strictly; characters other than QCHAR, UTF-8 and escapes are
 * refused.
 *
 * @param text - the part of an ORCPT value after "utf-8;"
 * @returns the address, or `undefined` when `text` is not of the form
 * @example
 * ```ts
 * decodeUtf8Addr("\\x{3B8}\\x{3C3}@example.com"); // "θσ@example.com"
 * decodeUtf8Addr("a\\x{0D}b@x");                     // undefined (CR may not be escaped)
 * ```
 */
export function decodeUtf8Addr(text: string): string | undefined {
  if (text.length === 0) return undefined;
  let out = "";
  let runStart = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const escape = readEscape(text, i);
      if (escape === undefined) return undefined;
      out += text.slice(runStart, i) + String.fromCodePoint(escape.codePoint);
      i = escape.end - 1;
      runStart = escape.end;
    } else if (c < 0x80) {
      if (!isQchar(c)) return undefined;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return undefined;
      i += 1;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return undefined;
    }
  }
  return out + text.slice(runStart);
}
