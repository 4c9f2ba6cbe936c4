/**
 * Envelope addresses: RFC 5321 §4.1.2 (Path, Mailbox, Local-part, Domain),
 * §4.1.3 (address literals), extended by RFC 6531 §3.3 to UTF-8.
 *
 * Scanned by hand, one pass, no regular expressions on network text.
 *
 * @module
 */
import { addressCharacterLength, asciiDomainAlphabet, ATEXT, DCONTENT, encodeUtf8, hasNonAscii, is, LDH, LET_DIG, QTEXT } from "./ascii.js";
import { GrammarError } from "./errors.js";

/**
 * A mailbox as it appeared in a path. Both parts are kept exactly as written,
 * so that a relay sends on what it received: a quoted local part keeps its
 * quotes and backslashes, an address literal its brackets.
 */
export interface Mailbox {
  /** The local part as written: `john.doe`, or `"john doe"` with its quotes. */
  readonly localPart: string;
  /**
   * The domain as written (`example.com`, `例え.jp`), or an address literal
   * with its brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`). Empty only for
   * the special recipient `<Postmaster>` (RFC 5321 §4.1.1.3).
   */
  readonly domain: string;
}

/** An address literal (RFC 5321 §4.1.3), as {@link parseAddressLiteral} reads it. */
export type AddressLiteral =
  | { readonly kind: "ipv4"; readonly address: string }
  | { readonly kind: "ipv6"; readonly address: string }
  | { readonly kind: "general"; readonly tag: string; readonly content: string };

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** RFC 5321 IPv4-address-literal: Snum 3("." Snum), Snum 0–255 in 1–3 digits. */
function isIpv4(text: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false;
      parts += 1;
      digits = 0;
      value = 0;
    } else if (isDigit(c) && digits < 3) {
      value = value * 10 + (c - 0x30);
      digits += 1;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** Counts the 1–4 digit hex groups of `a:b:c`, or -1 if one is malformed. */
function countHexGroups(text: string): number {
  let groups = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 0x3a;
    if (c === 0x3a) {
      if (digits === 0) return -1;
      groups += 1;
      digits = 0;
    } else if (isHex(c) && digits < 4) {
      digits += 1;
    } else {
      return -1;
    }
  }
  return groups;
}

/**
 * RFC 5321 IPv6-addr: IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp.
 * Stricter than RFC 4291 in one point, as §4.1.3 writes: "::" stands for at
 * least two groups (at most 6 groups besides it, 4 with an IPv4 tail).
 */
function isIpv6(text: string): boolean {
  let hexPart = text;
  let groups = 8;
  const lastColon = text.lastIndexOf(":");
  if (lastColon < 0) return false;
  if (text.indexOf(".", lastColon) > 0) {
    if (!isIpv4(text.slice(lastColon + 1))) return false;
    groups = 6;
    hexPart = text.slice(0, lastColon + 1);
    if (!hexPart.endsWith("::")) hexPart = hexPart.slice(0, -1);
  }
  const double = hexPart.indexOf("::");
  if (double < 0) return countHexGroups(hexPart) === groups;
  if (hexPart.indexOf("::", double + 1) >= 0) return false;
  const left = double === 0 ? 0 : countHexGroups(hexPart.slice(0, double));
  const right = double + 2 === hexPart.length ? 0 : countHexGroups(hexPart.slice(double + 2));
  return left >= 0 && right >= 0 && left + right <= groups - 2;
}

/** RFC 5321 Ldh-str after a first Let-dig: letters, digits, hyphens, not ending in a hyphen. */
function isLdhString(text: string): boolean {
  if (text.length === 0 || !is(text.charCodeAt(0), LET_DIG) || !is(text.charCodeAt(text.length - 1), LET_DIG)) {
    return false;
  }
  for (let i = 1; i < text.length - 1; i += 1) if (!is(text.charCodeAt(i), LDH)) return false;
  return true;
}

/**
 * Parses an address literal (RFC 5321 §4.1.3), brackets included.
 *
 * @param text - for example `"[192.0.2.1]"` or `"[IPv6:2001:db8::1]"`
 * @returns the literal, or `undefined` when `text` is not one
 * @example
 * ```ts
 * parseAddressLiteral("[IPv6:2001:db8::1]"); // { kind: "ipv6", address: "2001:db8::1" }
 * parseAddressLiteral("[300.1.1.1]");        // undefined
 * ```
 */
export function parseAddressLiteral(text: string): AddressLiteral | undefined {
  if (text.length < 3 || text.charCodeAt(0) !== 0x5b || text.charCodeAt(text.length - 1) !== 0x5d) return undefined;
  const inner = text.slice(1, -1);
  if (isIpv4(inner)) return { kind: "ipv4", address: inner };
  const colon = inner.indexOf(":");
  if (colon < 0) return undefined;
  const tag = inner.slice(0, colon);
  const content = inner.slice(colon + 1);
  // "IPv6:" is an ABNF string, so case-insensitive (RFC 5234 §2.3).
  if (tag.length === 4 && tag.toLowerCase() === "ipv6") {
    return isIpv6(content) ? { kind: "ipv6", address: content } : undefined;
  }
  if (!isLdhString(tag) || content.length === 0) return undefined;
  for (let i = 0; i < content.length; i += 1) if (!is(content.charCodeAt(i), DCONTENT)) return undefined;
  return { kind: "general", tag, content };
}

/**
 * Checks a domain name against RFC 5321's `Domain` (letters, digits and
 * hyphens in dot-separated labels of 1–63 characters, no hyphen at either
 * end of a label, at most 255 octets), with RFC 6531's U-labels when
 * `utf8` is set (a label holding a non-ASCII character is taken as a
 * U-label; IDNA2008 validation of its code points is left to the caller).
 *
 * @param text - a domain, without brackets
 * @param utf8 - whether U-labels are allowed (default `true`)
 * @returns whether it is a syntactically valid domain
 * @example
 * ```ts
 * isValidDomain("mail.example.com"); // true
 * isValidDomain("-bad.example");     // false
 * isValidDomain("例え.jp", false);    // false
 * ```
 */
export function isValidDomain(text: string, utf8 = true): boolean {
  if (text.length === 0) return false;
  if (text.length <= 255 && asciiDomainAlphabet.test(text)) {
    // The common case: check each label's ends and length, jumping from dot to dot.
    for (let start = 0; start <= text.length; ) {
      let dot = text.indexOf(".", start);
      if (dot < 0) dot = text.length;
      const length = dot - start;
      if (length === 0 || length > 63) return false;
      if (text.charCodeAt(start) === 0x2d || text.charCodeAt(dot - 1) === 0x2d) return false;
      start = dot + 1;
    }
    return true;
  }
  let labelStart = 0;
  let nonAscii = false;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0) return false;
      const first = text.charCodeAt(labelStart);
      const last = text.charCodeAt(i - 1);
      if (!(is(first, LET_DIG) || first > 0x7f) || !(is(last, LET_DIG) || last > 0x7f)) return false;
      if (length > 63 && !nonAscii) return false;
      labelStart = i + 1;
      nonAscii = false;
    } else if (c > 0x7f) {
      if (!utf8 || c === 0x3002 || c === 0xff0e || c === 0xff61) return false; // ideographic full stops are not label separators in SMTP
      // No C1 controls, separators, noncharacters or lone surrogates (see addressCharacterLength).
      const size = addressCharacterLength(text, i);
      if (size === 0) return false;
      i += size - 1;
      nonAscii = true;
    } else if (!is(c, LDH)) {
      return false;
    }
  }
  return (hasNonAscii(text) ? encodeUtf8(text).length : text.length) <= 255;
}

/** What reading a path found. Internal. */
export type PathResult =
  | {
      readonly ok: true;
      /** `null` for the null path `<>`. */
      readonly mailbox: Mailbox | null;
      /** Index just past the path. */
      readonly end: number;
      /** Whether the path had its angle brackets. */
      readonly bracketed: boolean;
      /** Whether a character above US-ASCII occurs. */
      readonly nonAscii: boolean;
      /** Length of the path on the wire in octets, brackets included. */
      readonly octets: number;
      /** Whether a local part needed the loose-dots leniency. */
      readonly looseDots: boolean;
      /** Length of the local part in octets. */
      readonly localOctets: number;
    }
  | { readonly ok: false; readonly message: string; /** Where in the text the problem was found. */ readonly at: number };

/** How to read a path. Internal. */
export interface PathOptions {
  /** Accept a path without its angle brackets (up to the next space). */
  readonly missingAngleBrackets: boolean;
  /** Accept empty atoms in a dot-string local part (`a..b`, `a.`). */
  readonly looseLocalPart: boolean;
}

function fail(message: string, at: number): PathResult {
  return { ok: false, message, at };
}

/**
 * The longest run of atext, UTF-8 and dots at `lastIndex` (sticky: it only
 * looks there). The non-ASCII ranges leave out what `addressCharacterLength`
 * refuses: C1 controls, U+2028/U+2029, noncharacters, lone surrogates (the
 * `u` flag matches surrogates only in pairs). U+xFFFE/U+xFFFF above the BMP
 * are checked after the run.
 */
const dotStringRun = /[A-Za-z0-9!#$%&'*+\-\/=?^_`{|}~.\u00a0-\u2027\u202a-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd\u{10000}-\u{10ffff}]*/uy;

/** What ends a domain: ">" in a path, SP or HT without brackets, also "," and ":" in a source route. */
const enum Stop {
  Bracketed,
  Bare,
  Route,
}

function stops(c: number, stop: Stop): boolean {
  return stop === Stop.Bracketed ? c === 0x3e : stop === Stop.Bare ? c === 0x20 || c === 0x09 : c === 0x2c || c === 0x3a || c === 0x3e;
}

/** Reads a Domain or address literal at `start`; returns its end or -1. */
function readDomain(text: string, start: number, stop: Stop): number {
  if (text.charCodeAt(start) === 0x5b) {
    const close = text.indexOf("]", start);
    if (close < 0) return -1;
    return parseAddressLiteral(text.slice(start, close + 1)) === undefined ? -1 : close + 1;
  }
  let i = start;
  while (i < text.length && !stops(text.charCodeAt(i), stop)) i += 1;
  return isValidDomain(text.slice(start, i)) ? i : -1;
}

/**
 * Reads a path (`<local@domain>`, `<>`, with an optional source route that
 * is accepted and dropped as RFC 5321 §4.1.2 and Appendix C require) at
 * `start` in `text`. Internal.
 */
export function readPath(text: string, start: number, options: PathOptions): PathResult {
  const bracketed = text.charCodeAt(start) === 0x3c;
  if (!bracketed && !options.missingAngleBrackets) return fail("The address must be enclosed in <>", start);
  let i = bracketed ? start + 1 : start;
  if (bracketed && text.charCodeAt(i) === 0x3e) {
    return { ok: true, mailbox: null, end: i + 1, bracketed, nonAscii: false, octets: 2, looseDots: false, localOctets: 0 };
  }
  const stop = bracketed ? Stop.Bracketed : Stop.Bare;
  // A-d-l ":" — "@one,@two:" (RFC 5321 §4.1.2). Accepted, then ignored.
  if (bracketed && text.charCodeAt(i) === 0x40) {
    for (;;) {
      const end = readDomain(text, i + 1, Stop.Route);
      if (end < 0) return fail("Malformed source route", i + 1);
      const c = text.charCodeAt(end);
      if (c === 0x3a) {
        i = end + 1;
        break;
      }
      if (c !== 0x2c || text.charCodeAt(end + 1) !== 0x40) return fail("Malformed source route", end);
      i = end + 1;
    }
  }
  const localStart = i;
  let looseDots = false;
  if (text.charCodeAt(i) === 0x22) {
    // Quoted-string: DQUOTE *( qtextSMTP / "\" %d32-126 ) DQUOTE, UTF-8 allowed (RFC 6531).
    i += 1;
    for (;;) {
      if (i >= text.length) return fail("Unterminated quoted local part", i);
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const next = text.charCodeAt(i + 1);
        if (!(next >= 0x20 && next <= 0x7e)) return fail("Bad quoted-pair in local part", i);
        i += 2;
      } else if (is(c, QTEXT)) {
        i += 1;
      } else if (c > 0x7f && addressCharacterLength(text, i) > 0) {
        i += addressCharacterLength(text, i);
      } else {
        return fail("Bad character in quoted local part", i);
      }
    }
    i += 1;
  } else {
    // Dot-string: Atom *("." Atom), atext plus UTF-8 (RFC 6531). One native
    // pass finds the run of atext and dots; then only the dots are examined.
    dotStringRun.lastIndex = i;
    dotStringRun.test(text);
    const end = dotStringRun.lastIndex;
    const run = text.slice(i, end);
    for (let k = run.length - 1; k > 0; k -= 1) {
      // Supplementary noncharacters (U+1FFFE, U+10FFFF...) are in the run's class; refuse them here.
      const c = run.charCodeAt(k);
      if (c === 0xdffe || c === 0xdfff) {
        if (addressCharacterLength(run, k - 1) === 0) return fail("Character not allowed in a local part", i + k - 1);
      }
    }
    let dots = 0;
    while (dots < run.length && run.charCodeAt(dots) === 0x2e) dots += 1;
    if (dots === run.length) return fail("Empty local part", end);
    const doubled = run.indexOf("..");
    if (dots > 0 || doubled >= 0 || run.charCodeAt(run.length - 1) === 0x2e) {
      if (!options.looseLocalPart) {
        return dots > 0 || doubled >= 0
          ? fail("Empty atom in local part", i + (dots > 0 ? 0 : doubled + 1))
          : fail("Local part ends with a dot", end);
      }
      looseDots = true;
    }
    i = end;
  }
  const localPart = text.slice(localStart, i);
  let domain: string;
  if (text.charCodeAt(i) === 0x40) {
    const domainStart = i + 1;
    const end = readDomain(text, domainStart, stop);
    if (end < 0) return fail("Invalid domain", domainStart);
    domain = text.slice(domainStart, end);
    i = end;
  } else {
    return fail(text.charCodeAt(i) > 0x7f ? "Character not allowed in a local part" : "Missing @domain", i);
  }
  if (bracketed) {
    if (text.charCodeAt(i) !== 0x3e) return fail("Missing >", i);
    i += 1;
  } else if (i < text.length && !stops(text.charCodeAt(i), stop)) {
    return fail("Unexpected character after address", i);
  }
  const raw = text.slice(start, i);
  const nonAscii = hasNonAscii(raw);
  const octets = (nonAscii ? encodeUtf8(raw).length : raw.length) + (bracketed ? 0 : 2);
  const localOctets = nonAscii ? encodeUtf8(localPart).length : localPart.length;
  return { ok: true, mailbox: { localPart, domain }, end: i, bracketed, nonAscii, octets, looseDots, localOctets };
}

/**
 * Formats a mailbox as `local@domain` (or just the local part of
 * `<Postmaster>`), without angle brackets.
 *
 * @param mailbox - the mailbox
 * @returns the address text
 * @example
 * ```ts
 * formatMailbox({ localPart: "a", domain: "example.com" }); // "a@example.com"
 * ```
 */
export function formatMailbox(mailbox: Mailbox): string {
  return mailbox.domain === "" ? mailbox.localPart : `${mailbox.localPart}@${mailbox.domain}`;
}

/**
 * Whether a mailbox is pure US-ASCII, that is, can be sent without SMTPUTF8
 * (RFC 6531 §3.2).
 *
 * @param mailbox - the mailbox
 * @returns `false` when the local part or domain holds a non-ASCII character
 * @example
 * ```ts
 * isAsciiMailbox({ localPart: "θσ", domain: "example.com" }); // false
 * ```
 */
export function isAsciiMailbox(mailbox: Mailbox): boolean {
  return !hasNonAscii(mailbox.localPart) && !hasNonAscii(mailbox.domain);
}

/**
 * Quotes a local part when RFC 5321 requires it: a valid dot-string is
 * returned as it is, anything else as a quoted string with `"` and `\`
 * escaped (RFC 5321 §4.1.2 asks senders to quote only when needed).
 *
 * @param local - the local part, unquoted
 * @returns the local part as it goes on the wire
 * @throws {@link GrammarError} (`invalid-argument`) for a character no local part can carry (controls, CR, LF)
 * @example
 * ```ts
 * quoteLocalPart("john.doe"); // "john.doe"
 * quoteLocalPart("john doe"); // "\"john doe\""
 * ```
 */
export function quoteLocalPart(local: string): string {
  let dotString = local.length > 0 && local.charCodeAt(0) !== 0x2e && local.charCodeAt(local.length - 1) !== 0x2e;
  let out = '"';
  for (let i = 0; i < local.length; i += 1) {
    const c = local.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      throw new GrammarError("invalid-argument", `A local part cannot carry control characters: ${JSON.stringify(local)}`);
    }
    if (c === 0x2e ? local.charCodeAt(i + 1) === 0x2e : !(is(c, ATEXT) || c > 0x7f)) dotString = false;
    out += c === 0x22 || c === 0x5c ? `\\${local[i]}` : local[i];
  }
  return dotString ? local : `${out}"`;
}

/**
 * Removes the quoting of a local part, for comparing and looking up
 * mailboxes (`"john"@x` and `john@x` are the same mailbox, RFC 5321 §4.1.2).
 *
 * @param localPart - a local part as written
 * @returns the unquoted text
 * @example
 * ```ts
 * unquoteLocalPart('"john \\"j\\" doe"'); // 'john "j" doe'
 * ```
 */
export function unquoteLocalPart(localPart: string): string {
  if (localPart.length < 2 || localPart.charCodeAt(0) !== 0x22 || localPart.charCodeAt(localPart.length - 1) !== 0x22) {
    return localPart;
  }
  let out = "";
  for (let i = 1; i < localPart.length - 1; i += 1) {
    if (localPart.charCodeAt(i) === 0x5c) i += 1;
    out += localPart[i] ?? "";
  }
  return out;
}
