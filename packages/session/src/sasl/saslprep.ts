/**
 * SASLprep (RFC 4013): the stringprep profile (RFC 3454) that SCRAM applies
 * to user names and passwords (RFC 5802 §2.2, §5.1), so that "ﬁ" and "fi",
 * or a no-break space and a space, give the same credential.
 *
 * What is exact and what is approximated, since the module ships no
 * Unicode 3.2 database:
 *
 * - Mapping (RFC 4013 §2.1): exact. Table C.1.2 (non-ASCII spaces) maps to
 *   U+0020, table B.1 ("commonly mapped to nothing") is removed. U+200B
 *   ZERO WIDTH SPACE is in both tables; C.1.2 wins here (it becomes a
 *   space), as in PostgreSQL's SASLprep; some implementations remove it.
 * - Normalization (§2.2): NFKC from `String.prototype.normalize`, which uses
 *   the platform's current Unicode version rather than Unicode 3.2. They
 *   differ only for a handful of code points corrected since 3.2.
 * - Prohibited output (§2.3): exact for tables C.1.2, C.2.1, C.2.2, C.3,
 *   C.4, C.5, C.6, C.7, C.8 and C.9.
 * - Bidirectional rules (§2.4, RFC 3454 §6): table D.1 (RandALCat) is
 *   exact; table D.2 (LCat) is approximated as letters and spacing marks
 *   (`\p{L}`, `\p{Mc}`) outside the right-to-left scripts.
 * - Unassigned code points (§2.5, table A.1): for stored strings, code points
 *   unassigned in the platform's Unicode (`\p{Cn}`) are refused. Code points
 *   assigned after Unicode 3.2 are therefore accepted, where a strict
 *   Unicode 3.2 implementation would refuse them.
 *
 * @module
 */

type Ranges = readonly (readonly [number, number])[];

function inRanges(ranges: Ranges, codePoint: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [start, end] = ranges[middle]!;
    if (codePoint < start) high = middle - 1;
    else if (codePoint > end) low = middle + 1;
    else return true;
  }
  return false;
}

// RFC 3454 table B.1: commonly mapped to nothing.
const mappedToNothing: Ranges = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d],
  [0x2060, 0x2060], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
];

// RFC 3454 table C.1.2: non-ASCII space characters.
const nonAsciiSpaces: Ranges = [
  [0x00a0, 0x00a0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000],
];

// RFC 4013 §2.3: the prohibited output, tables C.1.2 through C.9, merged and sorted.
const prohibited: Ranges = mergeRanges([
  ...nonAsciiSpaces,
  // C.2.1 ASCII control characters
  [0x0000, 0x001f], [0x007f, 0x007f],
  // C.2.2 non-ASCII control characters
  [0x0080, 0x009f], [0x06dd, 0x06dd], [0x070f, 0x070f], [0x180e, 0x180e], [0x200c, 0x200d], [0x2028, 0x2029],
  [0x2060, 0x2063], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc], [0x1d173, 0x1d17a],
  // C.3 private use
  [0xe000, 0xf8ff], [0xf0000, 0xffffd], [0x100000, 0x10fffd],
  // C.4 non-character code points
  [0xfdd0, 0xfdef], ...Array.from({ length: 17 }, (_, plane) => [plane * 0x10000 + 0xfffe, plane * 0x10000 + 0xffff] as const),
  // C.5 surrogate codes
  [0xd800, 0xdfff],
  // C.6 inappropriate for plain text
  [0xfff9, 0xfffd],
  // C.7 inappropriate for canonical representation
  [0x2ff0, 0x2ffb],
  // C.8 change display properties or deprecated
  [0x0340, 0x0341], [0x200e, 0x200f], [0x202a, 0x202e], [0x206a, 0x206f],
  // C.9 tagging characters
  [0xe0001, 0xe0001], [0xe0020, 0xe007f],
]);

// RFC 3454 table D.1: characters with bidirectional property R or AL.
const randAlCat: Ranges = [
  [0x05be, 0x05be], [0x05c0, 0x05c0], [0x05c3, 0x05c3], [0x05d0, 0x05ea], [0x05f0, 0x05f4], [0x061b, 0x061b],
  [0x061f, 0x061f], [0x0621, 0x063a], [0x0640, 0x064a], [0x066d, 0x066f], [0x0671, 0x06d5], [0x06dd, 0x06dd],
  [0x06e5, 0x06e6], [0x06fa, 0x06fe], [0x0700, 0x070d], [0x0710, 0x0710], [0x0712, 0x072c], [0x0780, 0x07a5],
  [0x07b1, 0x07b1], [0x200f, 0x200f], [0xfb1d, 0xfb1d], [0xfb1f, 0xfb28], [0xfb2a, 0xfb36], [0xfb38, 0xfb3c],
  [0xfb3e, 0xfb3e], [0xfb40, 0xfb41], [0xfb43, 0xfb44], [0xfb46, 0xfbb1], [0xfbd3, 0xfd3d], [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7], [0xfdf0, 0xfdfc], [0xfe70, 0xfe74], [0xfe76, 0xfefc],
];

function mergeRanges(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((left, right) => left[0] - right[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

// The approximation of table D.2 (see the module header). The patterns test
// one code point each, so they cannot backtrack.
const letterLike = /^[\p{L}\p{Mc}]$/u;
const rightToLeftScript =
  /^[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Mende_Kikakui}\p{Script=Imperial_Aramaic}\p{Script=Phoenician}\p{Script=Kharoshthi}\p{Script=Old_South_Arabian}\p{Script=Avestan}\p{Script=Inscriptional_Parthian}\p{Script=Inscriptional_Pahlavi}\p{Script=Old_Turkic}]$/u;
const unassigned = /^\p{Cn}$/u;

function isLeftToRight(character: string, codePoint: number): boolean {
  return !inRanges(randAlCat, codePoint) && letterLike.test(character) && !rightToLeftScript.test(character);
}

/** Why SASLprep refused a string. */
export type SaslPrepFailure =
  /** A character from RFC 4013 §2.3's prohibited tables remains after mapping. */
  | "prohibited-character"
  /** The string breaks the bidirectional rules of RFC 3454 §6. */
  | "bidirectional-violation"
  /** A stored string contains a code point unassigned in Unicode (RFC 3454 §7). */
  | "unassigned-code-point";

/** The outcome of {@link saslPrep}. */
export type SaslPrepResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly failure: SaslPrepFailure };

/** How {@link saslPrep} treats unassigned code points. */
export interface SaslPrepOptions {
  /**
   * `"query"` allows unassigned code points (RFC 3454 §7), as RFC 5802 §5.1
   * asks for user names; `"stored"` refuses them, as RFC 5802 §2.2 asks for
   * passwords. Default `"stored"`.
   */
  readonly kind?: "query" | "stored";
}

/**
 * Prepares a user name or password with SASLprep (RFC 4013). See the module
 * header of `saslprep.ts` for the parts that follow the platform's Unicode
 * version instead of Unicode 3.2.
 *
 * @param input - the string to prepare
 * @param options - query or stored string
 * @returns the prepared string, or why it is refused
 * @example
 * ```ts
 * import { saslPrep } from "@smtpkit/session";
 * saslPrep("I\u00ADX");  // { ok: true, value: "IX" }   (soft hyphen removed)
 * saslPrep("\u2168");    // { ok: true, value: "IX" }   (NFKC of ROMAN NUMERAL NINE)
 * saslPrep("\u0007");    // { ok: false, failure: "prohibited-character" }
 * ```
 */
export function saslPrep(input: string, options: SaslPrepOptions = {}): SaslPrepResult {
  // RFC 4013 §2.1: map, then §2.2: normalize with NFKC.
  let mapped = "";
  for (const character of input) {
    const codePoint = character.codePointAt(0)!;
    if (inRanges(nonAsciiSpaces, codePoint)) mapped += " ";
    else if (!inRanges(mappedToNothing, codePoint)) mapped += character;
  }
  // A lone surrogate cannot be normalized meaningfully; refuse it first (C.5).
  for (const character of mapped) {
    const codePoint = character.codePointAt(0)!;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) return { ok: false, failure: "prohibited-character" };
  }
  const normalized = mapped.normalize("NFKC");
  let hasRandAl = false;
  let hasLeftToRight = false;
  let first = true;
  let firstIsRandAl = false;
  let lastIsRandAl = false;
  for (const character of normalized) {
    const codePoint = character.codePointAt(0)!;
    // §2.3 prohibited output.
    if (inRanges(prohibited, codePoint)) return { ok: false, failure: "prohibited-character" };
    // §2.5 unassigned code points, for stored strings only.
    if (options.kind !== "query" && unassigned.test(character)) return { ok: false, failure: "unassigned-code-point" };
    const isRandAl = inRanges(randAlCat, codePoint);
    if (isRandAl) hasRandAl = true;
    else if (isLeftToRight(character, codePoint)) hasLeftToRight = true;
    if (first) firstIsRandAl = isRandAl;
    first = false;
    lastIsRandAl = isRandAl;
  }
  // §2.4 / RFC 3454 §6: no mixing of right-to-left and left-to-right text,
  // and right-to-left text starts and ends with a right-to-left character.
  if (hasRandAl && (hasLeftToRight || !firstIsRandAl || !lastIsRandAl)) {
    return { ok: false, failure: "bidirectional-violation" };
  }
  return { ok: true, value: normalized };
}
