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
 * - Bidirectional rules (§2.4, RFC 3454 §6): exact, with tables D.1
 *   (RandALCat) and D.2 (LCat) as the RFC lists them. Characters assigned
 *   after Unicode 3.2 are in neither table, as in Unicode 3.2 itself.
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

// One code point at a time, so the pattern cannot backtrack.
const unassigned = /^\p{Cn}$/u;

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

// RFC 3454 table D.2: characters with bidirectional property L, as the RFC
// lists them (including its D800-FA2D entry, whose surrogates and private-use
// code points are prohibited before the bidirectional check anyway).
const leftToRightTable = `
  0041-005A 0061-007A 00AA 00B5 00BA 00C0-00D6 00D8-00F6 00F8-0220 0222-0233 0250-02AD 02B0-02B8 02BB-02C1 02D0-02D1
  02E0-02E4 02EE 037A 0386 0388-038A 038C 038E-03A1 03A3-03CE 03D0-03F5 0400-0482 048A-04CE 04D0-04F5 04F8-04F9
  0500-050F 0531-0556 0559-055F 0561-0587 0589 0903 0905-0939 093D-0940 0949-094C 0950 0958-0961 0964-0970 0982-0983
  0985-098C 098F-0990 0993-09A8 09AA-09B0 09B2 09B6-09B9 09BE-09C0 09C7-09C8 09CB-09CC 09D7 09DC-09DD 09DF-09E1
  09E6-09F1 09F4-09FA 0A05-0A0A 0A0F-0A10 0A13-0A28 0A2A-0A30 0A32-0A33 0A35-0A36 0A38-0A39 0A3E-0A40 0A59-0A5C 0A5E
  0A66-0A6F 0A72-0A74 0A83 0A85-0A8B 0A8D 0A8F-0A91 0A93-0AA8 0AAA-0AB0 0AB2-0AB3 0AB5-0AB9 0ABD-0AC0 0AC9 0ACB-0ACC
  0AD0 0AE0 0AE6-0AEF 0B02-0B03 0B05-0B0C 0B0F-0B10 0B13-0B28 0B2A-0B30 0B32-0B33 0B36-0B39 0B3D-0B3E 0B40 0B47-0B48
  0B4B-0B4C 0B57 0B5C-0B5D 0B5F-0B61 0B66-0B70 0B83 0B85-0B8A 0B8E-0B90 0B92-0B95 0B99-0B9A 0B9C 0B9E-0B9F 0BA3-0BA4
  0BA8-0BAA 0BAE-0BB5 0BB7-0BB9 0BBE-0BBF 0BC1-0BC2 0BC6-0BC8 0BCA-0BCC 0BD7 0BE7-0BF2 0C01-0C03 0C05-0C0C 0C0E-0C10
  0C12-0C28 0C2A-0C33 0C35-0C39 0C41-0C44 0C60-0C61 0C66-0C6F 0C82-0C83 0C85-0C8C 0C8E-0C90 0C92-0CA8 0CAA-0CB3
  0CB5-0CB9 0CBE 0CC0-0CC4 0CC7-0CC8 0CCA-0CCB 0CD5-0CD6 0CDE 0CE0-0CE1 0CE6-0CEF 0D02-0D03 0D05-0D0C 0D0E-0D10
  0D12-0D28 0D2A-0D39 0D3E-0D40 0D46-0D48 0D4A-0D4C 0D57 0D60-0D61 0D66-0D6F 0D82-0D83 0D85-0D96 0D9A-0DB1 0DB3-0DBB
  0DBD 0DC0-0DC6 0DCF-0DD1 0DD8-0DDF 0DF2-0DF4 0E01-0E30 0E32-0E33 0E40-0E46 0E4F-0E5B 0E81-0E82 0E84 0E87-0E88 0E8A
  0E8D 0E94-0E97 0E99-0E9F 0EA1-0EA3 0EA5 0EA7 0EAA-0EAB 0EAD-0EB0 0EB2-0EB3 0EBD 0EC0-0EC4 0EC6 0ED0-0ED9 0EDC-0EDD
  0F00-0F17 0F1A-0F34 0F36 0F38 0F3E-0F47 0F49-0F6A 0F7F 0F85 0F88-0F8B 0FBE-0FC5 0FC7-0FCC 0FCF 1000-1021 1023-1027
  1029-102A 102C 1031 1038 1040-1057 10A0-10C5 10D0-10F8 10FB 1100-1159 115F-11A2 11A8-11F9 1200-1206 1208-1246 1248
  124A-124D 1250-1256 1258 125A-125D 1260-1286 1288 128A-128D 1290-12AE 12B0 12B2-12B5 12B8-12BE 12C0 12C2-12C5
  12C8-12CE 12D0-12D6 12D8-12EE 12F0-130E 1310 1312-1315 1318-131E 1320-1346 1348-135A 1361-137C 13A0-13F4 1401-1676
  1681-169A 16A0-16F0 1700-170C 170E-1711 1720-1731 1735-1736 1740-1751 1760-176C 176E-1770 1780-17B6 17BE-17C5
  17C7-17C8 17D4-17DA 17DC 17E0-17E9 1810-1819 1820-1877 1880-18A8 1E00-1E9B 1EA0-1EF9 1F00-1F15 1F18-1F1D 1F20-1F45
  1F48-1F4D 1F50-1F57 1F59 1F5B 1F5D 1F5F-1F7D 1F80-1FB4 1FB6-1FBC 1FBE 1FC2-1FC4 1FC6-1FCC 1FD0-1FD3 1FD6-1FDB
  1FE0-1FEC 1FF2-1FF4 1FF6-1FFC 200E 2071 207F 2102 2107 210A-2113 2115 2119-211D 2124 2126 2128 212A-212D 212F-2131
  2133-2139 213D-213F 2145-2149 2160-2183 2336-237A 2395 249C-24E9 3005-3007 3021-3029 3031-3035 3038-303C 3041-3096
  309D-309F 30A1-30FA 30FC-30FF 3105-312C 3131-318E 3190-31B7 31F0-321C 3220-3243 3260-327B 327F-32B0 32C0-32CB
  32D0-32FE 3300-3376 337B-33DD 33E0-33FE 3400-4DB5 4E00-9FA5 A000-A48C AC00-D7A3 D800-FA2D FA30-FA6A FB00-FB06
  FB13-FB17 FF21-FF3A FF41-FF5A FF66-FFBE FFC2-FFC7 FFCA-FFCF FFD2-FFD7 FFDA-FFDC 10300-1031E 10320-10323 10330-1034A
  10400-10425 10428-1044D 1D000-1D0F5 1D100-1D126 1D12A-1D166 1D16A-1D172 1D183-1D184 1D18C-1D1A9 1D1AE-1D1DD
  1D400-1D454 1D456-1D49C 1D49E-1D49F 1D4A2 1D4A5-1D4A6 1D4A9-1D4AC 1D4AE-1D4B9 1D4BB 1D4BD-1D4C0 1D4C2-1D4C3
  1D4C5-1D505 1D507-1D50A 1D50D-1D514 1D516-1D51C 1D51E-1D539 1D53B-1D53E 1D540-1D544 1D546 1D54A-1D550 1D552-1D6A3
  1D6A8-1D7C9 20000-2A6D6 2F800-2FA1D F0000-FFFFD 100000-10FFFD
`;

function parseRanges(table: string): Ranges {
  return table
    .trim()
    .split(/\s+/)
    .map((entry) => {
      const [start, end] = entry.split("-");
      return [Number.parseInt(start!, 16), Number.parseInt(end ?? start!, 16)] as const;
    });
}

const lCat: Ranges = parseRanges(leftToRightTable);

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
    else if (inRanges(lCat, codePoint)) hasLeftToRight = true;
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
