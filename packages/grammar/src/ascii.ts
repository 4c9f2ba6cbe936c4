/**
 * Character classes of the SMTP grammars (RFC 5321 §4.1.2, RFC 5322 §3.2.3,
 * RFC 1869, RFC 3461) as one lookup table, and the byte/string helpers every
 * other module uses. Internal: not exported from the package.
 *
 * @module
 */

/** RFC 5322 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~". */
export const ATEXT = 1;
/** Letter or digit. */
export const LET_DIG = 2;
/** Letter, digit or hyphen (Ldh-str, esmtp-keyword, ehlo-keyword). */
export const LDH = 4;
/** RFC 5321 qtextSMTP: %d32-33 / %d35-91 / %d93-126. */
export const QTEXT = 8;
/** RFC 1869 esmtp-value: %d33-60 / %d62-126. */
export const ESMTP_VALUE = 16;
/** RFC 3461 xchar: %d33-126 except "+" and "=". */
export const XCHAR = 32;
/** RFC 5321 dcontent: %d33-90 / %d94-126. */
export const DCONTENT = 64;

/** Class bits for every code point below 128 (higher ones have none). */
export const charClass: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 32; c <= 126; c += 1) {
    let bits = 0;
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    const digit = c >= 0x30 && c <= 0x39;
    if (letter || digit) bits |= LET_DIG | LDH | ATEXT;
    if (c === 0x2d) bits |= LDH | ATEXT;
    if ("!#$%&'*+/=?^_`{|}~".includes(String.fromCharCode(c))) bits |= ATEXT;
    if (c !== 34 && c !== 92) bits |= QTEXT;
    if (c !== 32 && c !== 61) bits |= ESMTP_VALUE;
    if (c !== 32 && c !== 43 && c !== 61) bits |= XCHAR;
    if (c !== 32 && (c <= 90 || c >= 94)) bits |= DCONTENT;
    table[c] = bits;
  }
  return table;
})();

/*
 * Whole-string checks as single-class regular expressions. Each is one
 * character class under a quantifier, anchored: it cannot backtrack, runs in
 * one native pass, and beats a JavaScript loop over the characters several
 * times on the short strings of a command line. The loops stay for finding
 * the position of a fault, which is the rare path.
 */

/** A control character other than HT (for command lines). */
export const controlCharacter = /[\x00-\x08\x0a-\x1f\x7f]/;
/** RFC 5321 esmtp-keyword: (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
export const esmtpKeyword = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
/** RFC 5321 esmtp-value (%d33-60 / %d62-126), with RFC 6531's UTF-8. */
export const esmtpValue = /^[\x21-\x3c\x3e-\x7e\u0080-\uffff]+$/;
/** Letters, digits, hyphens and dots only: the ASCII domain alphabet. */
export const asciiDomainAlphabet = /^[A-Za-z0-9.-]+$/;

/** Whether the UTF-16 code unit `c` is in every class of `bits`. */
export function is(c: number, bits: number): boolean {
  return c < 128 && ((charClass[c] as number) & bits) === bits;
}

/**
 * Whether the non-ASCII character at `i` of `text` may stand in an address
 * (RFC 6531 §3.3 lets UTF-8 in; RFC 5198 §2 keeps out of interchange text
 * what is not text). Refused: C1 controls (U+0080–U+009F), the line and
 * paragraph separators (U+2028, U+2029), noncharacters (U+FDD0–U+FDEF and
 * U+xxFFFE/U+xxFFFF) and lone surrogates, which UTF-8 cannot carry and an
 * encoder would silently turn into U+FFFD. Returns the code units the
 * character takes (1 or 2), or 0 when it is refused.
 */
export function addressCharacterLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xa0) return 0;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return 0;
    const codePoint = ((c - 0xd800) << 10) + (next - 0xdc00) + 0x10000;
    return (codePoint & 0xfffe) === 0xfffe ? 0 : 2;
  }
  if (c >= 0xdc00 && c <= 0xdfff) return 0;
  if (c === 0x2028 || c === 0x2029 || (c >= 0xfdd0 && c <= 0xfdef) || c >= 0xfffe) return 0;
  return 1;
}

/** A US-ASCII lower-case letter. */
const lowerCaseLetter = /[a-z]/;
/** A character outside US-ASCII. */
const nonAsciiCharacter = /[^\x00-\x7f]/;

/** Whether `text` holds a character outside US-ASCII. */
export function hasNonAscii(text: string): boolean {
  return nonAsciiCharacter.test(text);
}

/**
 * Upper-cases US-ASCII letters only: SMTP keywords are ASCII, and
 * `toUpperCase` alone would also map "ß" to "SS" and "ı" to "I".
 */
export function asciiUpper(text: string): string {
  if (!lowerCaseLetter.test(text)) return text; // the common case: already upper case, no new string
  if (!nonAsciiCharacter.test(text)) return text.toUpperCase();
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    out += c >= 0x61 && c <= 0x7a ? String.fromCharCode(c - 0x20) : text[i];
  }
  return out;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes a command or reply line. It must be valid UTF-8 (US-ASCII is a
 * subset; RFC 6531 §3.3 allows the rest), or the result is `undefined`: a
 * malformed sequence is never replaced by U+FFFD, which would let two
 * different byte strings stand for the same address. The platform's
 * TextDecoder validates and decodes in one native pass, faster than any
 * JavaScript loop even for short ASCII lines.
 */
export function decodeLine(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return utf8Decoder.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Encodes text as UTF-8 (US-ASCII text maps byte for byte). */
export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8 strictly; `undefined` for malformed input. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
