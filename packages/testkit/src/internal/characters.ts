/**
 * Character sets of the SMTP grammars as fast-check units, and small text
 * helpers the arbitraries share. Internal: not exported from the package.
 *
 * Each unit is a `constantFrom` whose first member is the simplest character,
 * so that shrinking goes towards plain, readable values.
 *
 * @module
 */
import fc from "fast-check";

const encoder = new TextEncoder();

/** Octets of `text` in UTF-8. */
export function utf8Length(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? text.length : encoder.encode(text).length;
}

/** Whether `text` holds a character above US-ASCII. */
export function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** Text as UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let c = from; c <= to; c += 1) out.push(String.fromCharCode(c));
  return out;
}

/** Lower-case letters first, then digits and upper case: what shrinking aims at. */
export const letters: readonly string[] = [...range(0x61, 0x7a), ...range(0x41, 0x5a)];
/** ASCII digits. */
export const digits: readonly string[] = range(0x30, 0x39);
/** RFC 5321 Let-dig. */
export const letDig: readonly string[] = [...range(0x61, 0x7a), ...digits, ...range(0x41, 0x5a)];
/** RFC 5321 Ldh-str characters. */
export const ldh: readonly string[] = [...letDig, "-"];
/** RFC 5322 atext. */
export const atext: readonly string[] = [...letDig, ..."!#$%&'*+-/=?^_`{|}~"];
/** RFC 5321 qtextSMTP: %d32-33 / %d35-91 / %d93-126. */
export const qtext: readonly string[] = [...letDig, ...range(0x20, 0x7e).filter((c) => c !== '"' && c !== "\\" && !letDig.includes(c))];
/** Printable US-ASCII, %d33-126. */
export const visible: readonly string[] = [...letDig, ...range(0x21, 0x7e).filter((c) => !letDig.includes(c))];
/** RFC 5321 dcontent: %d33-90 / %d94-126. */
export const dcontent: readonly string[] = visible.filter((c) => c !== "[" && c !== "\\" && c !== "]");
/** Hexadecimal digits, both cases. */
export const hex: readonly string[] = [...digits, ..."abcdefABCDEF"];

/**
 * Non-ASCII characters of several scripts (Latin supplement, Greek,
 * Cyrillic, Hiragana, CJK, Devanagari), with astral characters (an emoji,
 * a CJK extension B ideograph) so that UTF-16 surrogate pairs are covered.
 * All are letters that IDNA2008 allows, except the emoji (used only in
 * local parts and text, never in U-labels).
 */
export const nonAsciiLetters: readonly string[] = [
  ..."éüñçøåß",
  ..."αβγδεζηθλμπσω",
  ..."абвгджзклмнпрст",
  ..."あいうえおかきくけこ",
  ..."日本語中文字例",
  ..."अआइकखग",
];

/** Non-ASCII characters for local parts and free text: the letters plus astral characters. */
export const nonAscii: readonly string[] = [...nonAsciiLetters, "😀", "𠀋"];

/** Lower-case Unicode letters for U-labels, by script (IDNA2008 PVALID, no mixing inside a label). */
export const uLabelScripts: readonly (readonly string[])[] = [
  [..."éüñçøåß"],
  [..."αβγδεζηθλμπσω"],
  [..."абвгджзклмнпрст"],
  [..."あいうえおかきくけこ"],
  [..."日本語中文字例"],
];

/** A fast-check unit drawing from `chars` (shrinks towards the first). */
export function unit(chars: readonly string[]): fc.Arbitrary<string> {
  return fc.constantFrom(...chars);
}

/** Whether every character of `text` is in `chars`. */
export function onlyFrom(text: string, chars: ReadonlySet<string>): boolean {
  for (const c of text) if (!chars.has(c)) return false;
  return true;
}
