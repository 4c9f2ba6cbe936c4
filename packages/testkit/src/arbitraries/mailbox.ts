/**
 * Local parts, mailboxes and paths (RFC 5321 §4.1.2), with the UTF-8 forms
 * of RFC 6531 §3.3 for SMTPUTF8: dot-atom local parts, quoted strings with
 * quoted pairs, reverse-paths (including the null path `<>`) and
 * forward-paths (including `<Postmaster>`), all within the length limits of
 * RFC 5321 §4.5.3.1 (local part 64 octets, path 256 octets with brackets).
 *
 * Mailboxes are the `Mailbox` values of `@smtpkit/grammar`: both parts as
 * they are written on the wire (a quoted local part keeps its quotes).
 *
 * @module
 */
import fc from "fast-check";
import { record } from "../internal/record.js";
import type { Mailbox } from "@smtpkit/grammar";
import { checkInteger } from "../testkit-error.js";
import { atext, hasNonAscii, nonAscii, qtext, unit, utf8Length } from "../internal/characters.js";
import { addressLiteral, domain, uLabelDomain } from "./domain.js";

/** RFC 5321 §4.5.3.1.1: a local part is at most 64 octets. */
const maxLocalPart = 64;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets, angle brackets included. */
const maxPath = 256;

/** Options of the local-part arbitraries. */
export interface LocalPartOptions {
  /** Allow UTF-8 characters (RFC 6531 §3.3, only with SMTPUTF8). Default false. */
  readonly utf8?: boolean;
  /** Longest local part in octets, quotes included: 1–64 (default 64, RFC 5321 §4.5.3.1.1). */
  readonly maxLength?: number;
}

function asString(value: unknown): string {
  if (typeof value !== "string") throw new Error("not a string");
  return value;
}

/**
 * A dot-string local part (RFC 5321 `Dot-string`): atoms of atext joined by
 * single dots, never starting or ending with a dot, with UTF-8 atoms when
 * `utf8` is set.
 *
 * @param options - UTF-8 and the length limit
 * @returns an arbitrary of local parts such as `"john.doe"`, `"a+tag"`
 * @throws {@link TestkitError} (`invalid-argument`) for a limit outside 1–64
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { dotAtomLocalPart } from "@smtpkit/testkit";
 * fc.assert(fc.property(dotAtomLocalPart(), (local) => !local.includes("..")));
 * ```
 */
export function dotAtomLocalPart(options: LocalPartOptions = {}): fc.Arbitrary<string> {
  const maxLength = checkInteger("maxLength", options.maxLength ?? maxLocalPart, 1, maxLocalPart);
  const chars = options.utf8 === true ? [...atext, ...nonAscii] : atext;
  const atom = fc.string({ unit: unit(chars), minLength: 1, maxLength: Math.min(16, maxLength) });
  const fits = (atoms: readonly string[]): boolean => utf8Length(atoms.join(".")) <= maxLength;
  const join = (atoms: readonly string[]): string => atoms.join(".");
  const split = (value: unknown): string[] => asString(value).split(".");
  const short = fc.array(atom, { minLength: 1, maxLength: 4 }).filter(fits).map(join, split);
  if (maxLength < 40) return short;
  // Near the 64-octet limit (RFC 5321 §4.5.3.1.1), where length checks go wrong.
  const longAtom = fc.string({ unit: unit(chars), minLength: 12, maxLength: 16 });
  const long = fc.array(longAtom, { minLength: 3, maxLength: 4 }).filter(fits).map(join, split);
  return fc.oneof({ arbitrary: short, weight: 6 }, { arbitrary: long, weight: 1 });
}

/** Splits the inside of a quoted string into its characters and quoted pairs. */
function quotedSegments(value: unknown): string[] {
  const text = asString(value);
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) throw new Error("not a quoted string");
  const inner = Array.from(text.slice(1, -1));
  const segments: string[] = [];
  for (let i = 0; i < inner.length; i += 1) {
    const c = inner[i] as string;
    if (c === "\\") {
      const next = inner[i + 1];
      if (next === undefined) throw new Error("dangling backslash");
      segments.push(`\\${next}`);
      i += 1;
    } else {
      segments.push(c);
    }
  }
  return segments;
}

/**
 * A quoted-string local part (RFC 5321 `Quoted-string`): `"` then qtextSMTP
 * characters and quoted pairs (`\` and any character from %d32–126), then
 * `"`; UTF-8 characters inside when `utf8` is set (RFC 6531 §3.3).
 *
 * @param options - UTF-8 and the length limit (quotes included)
 * @returns an arbitrary of local parts such as `"\"john doe\""`, `"\"a\\\"b\""`
 * @throws {@link TestkitError} (`invalid-argument`) for a limit outside 3–64
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { unquoteLocalPart, quoteLocalPart } from "@smtpkit/grammar";
 * import { quotedLocalPart } from "@smtpkit/testkit";
 * fc.assert(fc.property(quotedLocalPart(), (local) => unquoteLocalPart(local).length <= local.length));
 * ```
 */
export function quotedLocalPart(options: LocalPartOptions = {}): fc.Arbitrary<string> {
  const maxLength = checkInteger("maxLength", options.maxLength ?? maxLocalPart, 3, maxLocalPart);
  const chars = options.utf8 === true ? [...qtext, ...nonAscii] : qtext;
  const pair = fc.integer({ min: 0x20, max: 0x7e }).map(
    (c) => `\\${String.fromCharCode(c)}`,
    (value) => {
      const text = asString(value);
      if (text.length !== 2 || text[0] !== "\\") throw new Error("not a quoted pair");
      return text.charCodeAt(1);
    },
  );
  const segment = fc.oneof({ arbitrary: unit(chars), weight: 4 }, { arbitrary: pair, weight: 1 });
  return fc
    .array(segment, { minLength: 1, maxLength: 20 })
    .filter((segments) => utf8Length(segments.join("")) + 2 <= maxLength)
    .map((segments) => `"${segments.join("")}"`, quotedSegments);
}

/**
 * A local part: mostly dot-strings, sometimes quoted strings.
 *
 * @param options - UTF-8 and the length limit
 * @returns an arbitrary of local parts as written on the wire
 * @throws {@link TestkitError} (`invalid-argument`) for a limit outside 3–64
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { localPart } from "@smtpkit/testkit";
 * fc.sample(localPart({ utf8: true }), 3);
 * ```
 */
export function localPart(options: LocalPartOptions = {}): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: dotAtomLocalPart(options), weight: 4 }, { arbitrary: quotedLocalPart(options), weight: 1 });
}

/** Options of {@link mailbox} and the path arbitraries. */
export interface MailboxOptions {
  /**
   * Allow UTF-8 local parts and U-label domains (RFC 6531, only in a MAIL
   * with the SMTPUTF8 parameter). Default false.
   */
  readonly utf8?: boolean;
  /** Allow address literals as the domain (RFC 5321 §4.1.3). Default true. */
  readonly addressLiterals?: boolean;
}

/** Octets of `<local@domain>`. */
function pathOctets(mailbox: Mailbox): number {
  return utf8Length(mailbox.localPart) + utf8Length(mailbox.domain) + 3;
}

/**
 * A mailbox (RFC 5321 `Mailbox`): a local part and a domain or address
 * literal, whose path `<local@domain>` fits 256 octets (RFC 5321 §4.5.3.1.3).
 *
 * @param options - UTF-8 and address literals
 * @returns an arbitrary of `Mailbox` values of `@smtpkit/grammar`
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { formatMailbox } from "@smtpkit/grammar";
 * import { mailbox } from "@smtpkit/testkit";
 * fc.assert(fc.property(mailbox(), (m) => formatMailbox(m).includes("@")));
 * ```
 */
export function mailbox(options: MailboxOptions = {}): fc.Arbitrary<Mailbox> {
  const utf8 = options.utf8 === true;
  const domains: fc.Arbitrary<string>[] = [domain({ maxLength: 252 })];
  if (options.addressLiterals !== false) domains.push(addressLiteral());
  if (utf8) domains.push(uLabelDomain({ maxLength: 252 }));
  return record({ localPart: localPart({ utf8 }), domain: fc.oneof(...domains) })
    .filter((m) => pathOctets(m) <= maxPath);
}

/**
 * A mailbox with at least one character above US-ASCII (in its local part,
 * its domain or both): one that needs SMTPUTF8 (RFC 6531 §3.4).
 *
 * @returns an arbitrary of internationalized mailboxes
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { isAsciiMailbox } from "@smtpkit/grammar";
 * import { utf8Mailbox } from "@smtpkit/testkit";
 * fc.assert(fc.property(utf8Mailbox(), (m) => !isAsciiMailbox(m)));
 * ```
 */
export function utf8Mailbox(): fc.Arbitrary<Mailbox> {
  const local = fc.oneof(
    localPart({ utf8: true }).filter(hasNonAscii),
    localPart(),
  );
  const withLocal = record({ localPart: localPart({ utf8: true }).filter(hasNonAscii), domain: fc.oneof(domain({ maxLength: 200 }), uLabelDomain({ maxLength: 200 })) });
  const withDomain = record({ localPart: local, domain: uLabelDomain({ maxLength: 200 }) });
  return fc.oneof(withLocal, withDomain).filter((m) => pathOctets(m) <= maxPath);
}

/**
 * A reverse-path (RFC 5321 `Reverse-path`): a mailbox, or `null` for the
 * null path `<>` used by bounces (RFC 5321 §4.5.5).
 *
 * @param options - as for {@link mailbox}
 * @returns an arbitrary of `MAIL FROM` paths
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { reversePath } from "@smtpkit/testkit";
 * fc.sample(reversePath(), 10).some((path) => path === null);
 * ```
 */
export function reversePath(options: MailboxOptions = {}): fc.Arbitrary<Mailbox | null> {
  return fc.option(mailbox(options), { nil: null, freq: 6 });
}

/**
 * A forward-path (RFC 5321 `Forward-path`): a mailbox, or the special
 * `<Postmaster>` without a domain (RFC 5321 §4.1.1.3), in any case, which
 * `@smtpkit/grammar` writes as `{ localPart: "Postmaster", domain: "" }`.
 *
 * @param options - as for {@link mailbox}
 * @returns an arbitrary of `RCPT TO` paths
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { forwardPath } from "@smtpkit/testkit";
 * fc.sample(forwardPath(), 20).some((path) => path.domain === "");
 * ```
 */
export function forwardPath(options: MailboxOptions = {}): fc.Arbitrary<Mailbox> {
  const postmaster = record({ localPart: fc.constantFrom("Postmaster", "postmaster", "POSTMASTER"), domain: fc.constant("") });
  return fc.oneof({ arbitrary: mailbox(options), weight: 9 }, { arbitrary: postmaster, weight: 1 });
}
