/**
 * Domains and address literals, as RFC 5321 §4.1.2 and §4.1.3 write them:
 * LDH labels within the length limits of RFC 1035 §2.3.4 and RFC 5321
 * §4.5.3.1.2, U-label domains for SMTPUTF8 (RFC 6531 §3.3, RFC 5890), IPv4
 * literals, IPv6 literals in all four RFC 5321 forms, and general literals.
 *
 * Every arbitrary here maps plain parts (labels, groups, octets) to text with
 * an unmapper, so a domain or literal a user passes in (`fc.assert(...,
 * { examples })`) shrinks too.
 *
 * @module
 */
import fc from "fast-check";
import { checkInteger } from "../testkit-error.js";
import { dcontent, digits, hex, ldh, uLabelScripts, unit, utf8Length } from "../internal/characters.js";
import { toALabel } from "../internal/punycode.js";

/** RFC 1035 §2.3.4: a label is at most 63 octets. */
const maxLabel = 63;
/** RFC 5321 §4.5.3.1.2: a domain is at most 255 octets. */
const maxDomain = 255;

function isLetDig(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

/**
 * Whether a label is an LDH label SMTP may carry: RFC 5321 `sub-domain`
 * (let-dig first and last, LDH between), 1–63 octets, and not a reserved
 * LDH label (RFC 5890 §2.3.1: "--" in the third and fourth positions is
 * kept for A-labels, which must be valid Punycode).
 */
function isLdhLabel(label: string): boolean {
  return (
    label.length >= 1 &&
    label.length <= maxLabel &&
    isLetDig(label[0] as string) &&
    isLetDig(label[label.length - 1] as string) &&
    label.slice(2, 4) !== "--"
  );
}

/** Options of {@link ldhLabel}. */
export interface LabelOptions {
  /** Shortest label, 1–63 (default 1). */
  readonly minLength?: number;
  /** Longest label, `minLength`–63 (default 63). */
  readonly maxLength?: number;
}

/**
 * One LDH label (RFC 5321 `sub-domain`, RFC 1035 §2.3.1): letters, digits
 * and hyphens, starting and ending with a letter or digit, 1–63 octets, never
 * a reserved `??--` label.
 *
 * @param options - length bounds
 * @returns an arbitrary of labels such as `"mx1"`, `"a-b"`
 * @throws {@link TestkitError} (`invalid-argument`) for bounds outside 1–63
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { ldhLabel } from "@smtpkit/testkit";
 * fc.sample(ldhLabel({ minLength: 63 }), 1)[0]?.length; // 63
 * ```
 */
export function ldhLabel(options: LabelOptions = {}): fc.Arbitrary<string> {
  const minLength = checkInteger("minLength", options.minLength ?? 1, 1, maxLabel);
  const maxLength = checkInteger("maxLength", options.maxLength ?? maxLabel, minLength, maxLabel);
  return fc.string({ unit: unit(ldh), minLength, maxLength }).filter(isLdhLabel);
}

/** Options of {@link domain} and {@link uLabelDomain}. */
export interface DomainOptions {
  /** Longest domain in octets (UTF-8 for U-labels), 4–255 (default 255, RFC 5321 §4.5.3.1.2). */
  readonly maxLength?: number;
}

function splitLabels(value: unknown): string[] {
  if (typeof value !== "string") throw new Error("not a domain");
  return value.split(".");
}

/** RFC 3696 §2: a top-level label is never all-numeric. */
function hasAlphabeticTop(labels: readonly string[]): boolean {
  const top = labels[labels.length - 1] ?? "";
  return !/^[0-9-]*$/.test(top);
}

/**
 * A domain name of LDH labels (RFC 5321 `Domain`), at most `maxLength`
 * octets (255 by default), with a top-level label that is not all-numeric
 * (RFC 3696 §2; `R8` and `23abc` occur, `123` never). Mostly
 * short names, and now and then names built of 63-octet labels that reach
 * the length limit, where bugs live.
 *
 * @param options - the length limit
 * @returns an arbitrary of domains such as `"a.example"`
 * @throws {@link TestkitError} (`invalid-argument`) for a limit outside 4–255
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { isValidDomain } from "@smtpkit/grammar";
 * import { domain } from "@smtpkit/testkit";
 * fc.assert(fc.property(domain(), (name) => isValidDomain(name, false)));
 * ```
 */
export function domain(options: DomainOptions = {}): fc.Arbitrary<string> {
  const maxLength = checkInteger("maxLength", options.maxLength ?? maxDomain, 4, maxDomain);
  const join = (labels: readonly string[]): string => labels.join(".");
  const fits = (labels: readonly string[]): boolean => join(labels).length <= maxLength && hasAlphabeticTop(labels);
  const short = fc
    .array(ldhLabel({ maxLength: Math.min(maxLabel, maxLength - 2) }), { minLength: 1, maxLength: 6 })
    .filter(fits)
    .map(join, splitLabels);
  // Near the limit: up to three 63-octet labels then one more (3 × 64 + 63 = 255).
  const longCount = Math.min(3, Math.floor((maxLength - 2) / 64));
  if (longCount === 0) return short;
  const long = fc
    .tuple(
      fc.array(ldhLabel({ minLength: maxLabel }), { minLength: longCount, maxLength: longCount }),
      ldhLabel({ maxLength: Math.min(maxLabel, maxLength - longCount * 64) }),
    )
    .filter(([labels, last]) => fits([...labels, last]))
    .map(
      ([labels, last]) => join([...labels, last]),
      (value) => {
        const labels = splitLabels(value);
        if (labels.length !== longCount + 1) throw new Error("not a long domain");
        return [labels.slice(0, longCount), labels[longCount] as string] as [string[], string];
      },
    );
  return fc.oneof({ arbitrary: short, weight: 9 }, { arbitrary: long, weight: 1 });
}

/** One U-label of a single script (plus digits), whose A-label fits 63 octets. */
function uLabel(): fc.Arbitrary<string> {
  return fc.oneof(
    ...uLabelScripts.map((script) =>
      fc
        .string({ unit: unit([...script, ...digits]), minLength: 1, maxLength: 20 })
        .filter((label) => /[^\x00-\x7f]/.test(label) && toALabel(label).length <= maxLabel),
    ),
  );
}

/**
 * A domain with at least one U-label (RFC 5890 §2.3.2.1), for SMTPUTF8
 * sessions (RFC 6531 §3.3): each U-label is lower case, in one script, in
 * NFC, and its A-label fits 63 octets; the domain fits `maxLength` octets
 * in UTF-8 and 255 octets in A-label form.
 *
 * @param options - the length limit
 * @returns an arbitrary of domains such as `"例え.example"`
 * @throws {@link TestkitError} (`invalid-argument`) for a limit outside 4–255
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { uLabelDomain } from "@smtpkit/testkit";
 * fc.sample(uLabelDomain(), 1)[0]; // for example "αβ.a"
 * ```
 */
export function uLabelDomain(options: DomainOptions = {}): fc.Arbitrary<string> {
  const maxLength = checkInteger("maxLength", options.maxLength ?? maxDomain, 4, maxDomain);
  const label = fc.oneof(uLabel(), ldhLabel({ maxLength: 20 }));
  return fc
    .array(label, { minLength: 1, maxLength: 4 })
    .filter(
      (labels) =>
        labels.some((l) => /[^\x00-\x7f]/.test(l)) &&
        hasAlphabeticTop(labels) &&
        utf8Length(labels.join(".")) <= maxLength &&
        labels.map(toALabel).join(".").length <= maxDomain,
    )
    .map((labels) => labels.join("."), splitLabels);
}

function stripBrackets(value: unknown, prefix: string): string {
  if (typeof value !== "string" || !value.startsWith(`[${prefix}`) || !value.endsWith("]")) throw new Error("not this literal");
  return value.slice(prefix.length + 1, -1);
}

const octet = fc.integer({ min: 0, max: 255 });

function ipv4Text(parts: readonly number[]): string {
  return parts.join(".");
}

function parseIpv4(text: string): [number, number, number, number] {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) throw new Error("not IPv4");
  return parts.map(Number) as [number, number, number, number];
}

const ipv4Parts = fc.tuple(octet, octet, octet, octet);

/**
 * An IPv4 address literal (RFC 5321 §4.1.3 `IPv4-address-literal`), such
 * as `"[192.0.2.1]"`, with octets 0–255 written without leading zeros.
 *
 * @returns an arbitrary of literals, brackets included
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseAddressLiteral } from "@smtpkit/grammar";
 * import { ipv4AddressLiteral } from "@smtpkit/testkit";
 * fc.assert(fc.property(ipv4AddressLiteral(), (text) => parseAddressLiteral(text)?.kind === "ipv4"));
 * ```
 */
export function ipv4AddressLiteral(): fc.Arbitrary<string> {
  return ipv4Parts.map(
    (parts) => `[${ipv4Text(parts)}]`,
    (value) => parseIpv4(stripBrackets(value, "")),
  );
}

const group = fc.string({ unit: unit(hex), minLength: 1, maxLength: 4 });

function groups(text: string): string[] {
  if (text === "") return [];
  const list = text.split(":");
  if (!list.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) throw new Error("not IPv6 groups");
  return list;
}

/** Splits `a:b::c` (with an optional IPv4 tail) back into its parts, for the unmappers. */
function parseIpv6(value: unknown): { left: string[]; right: string[] | undefined; v4: [number, number, number, number] | undefined } {
  const text = stripBrackets(value, "IPv6:");
  let hexPart = text;
  let v4: [number, number, number, number] | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) > 0) {
    v4 = parseIpv4(text.slice(lastColon + 1));
    hexPart = text.slice(0, lastColon + 1);
    hexPart = hexPart.endsWith("::") ? hexPart : hexPart.slice(0, -1);
  }
  const double = hexPart.indexOf("::");
  if (double < 0) return { left: groups(hexPart), right: undefined, v4 };
  return { left: groups(hexPart.slice(0, double)), right: groups(hexPart.slice(double + 2)), v4 };
}

function fullForm(count: number, tail: boolean): fc.Arbitrary<string> {
  const head = fc.array(group, { minLength: count, maxLength: count });
  if (!tail) {
    return head.map(
      (g) => `[IPv6:${g.join(":")}]`,
      (value) => {
        const parsed = parseIpv6(value);
        if (parsed.right !== undefined || parsed.v4 !== undefined || parsed.left.length !== count) throw new Error("not IPv6-full");
        return parsed.left;
      },
    );
  }
  return fc.tuple(head, ipv4Parts).map(
    ([g, v4]) => `[IPv6:${g.join(":")}:${ipv4Text(v4)}]`,
    (value) => {
      const parsed = parseIpv6(value);
      if (parsed.right !== undefined || parsed.v4 === undefined || parsed.left.length !== count) throw new Error("not IPv6v4-full");
      return [parsed.left, parsed.v4] as [string[], [number, number, number, number]];
    },
  );
}

function compressedForm(maxGroups: number, tail: boolean): fc.Arbitrary<string> {
  const sides = fc
    .tuple(fc.array(group, { maxLength: maxGroups }), fc.array(group, { maxLength: maxGroups }))
    .filter(([left, right]) => left.length + right.length <= maxGroups);
  const text = (left: readonly string[], right: readonly string[]): string => `${left.join(":")}::${right.join(":")}`;
  if (!tail) {
    return sides.map(
      ([left, right]) => `[IPv6:${text(left, right)}]`,
      (value) => {
        const parsed = parseIpv6(value);
        if (parsed.right === undefined || parsed.v4 !== undefined) throw new Error("not IPv6-comp");
        return [parsed.left, parsed.right] as [string[], string[]];
      },
    );
  }
  return fc.tuple(sides, ipv4Parts).map(
    ([[left, right], v4]) => `[IPv6:${text(left, right)}${right.length > 0 ? ":" : ""}${ipv4Text(v4)}]`,
    (value) => {
      const parsed = parseIpv6(value);
      if (parsed.right === undefined || parsed.v4 === undefined) throw new Error("not IPv6v4-comp");
      return [[parsed.left, parsed.right], parsed.v4] as [[string[], string[]], [number, number, number, number]];
    },
  );
}

/**
 * An IPv6 address literal (RFC 5321 §4.1.3 `IPv6-address-literal`) in any
 * of its four forms, hex digits in either case: `IPv6-full` (8 groups),
 * `IPv6-comp` (`::` standing for at least two groups, at most 6 written),
 * `IPv6v4-full` (6 groups and an IPv4 tail) and `IPv6v4-comp` (`::` and at
 * most 4 groups, then an IPv4 tail).
 *
 * @returns an arbitrary of literals such as `"[IPv6:2001:db8::1]"`
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseAddressLiteral } from "@smtpkit/grammar";
 * import { ipv6AddressLiteral } from "@smtpkit/testkit";
 * fc.assert(fc.property(ipv6AddressLiteral(), (text) => parseAddressLiteral(text)?.kind === "ipv6"));
 * ```
 */
export function ipv6AddressLiteral(): fc.Arbitrary<string> {
  // RFC 5321 §4.1.3: IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp.
  return fc.oneof(fullForm(8, false), compressedForm(6, false), fullForm(6, true), compressedForm(4, true));
}

/**
 * A general address literal (RFC 5321 §4.1.3 `General-address-literal`):
 * `[tag:content]` with an LDH tag other than `IPv6` and dcontent after the
 * colon. RFC 5321 wants the tag registered with IANA; none is yet, so these
 * are syntactically valid literals that a server may still refuse.
 *
 * @returns an arbitrary of literals such as `"[x-tag:content]"`
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { generalAddressLiteral } from "@smtpkit/testkit";
 * fc.sample(generalAddressLiteral(), 1)[0]?.startsWith("["); // true
 * ```
 */
export function generalAddressLiteral(): fc.Arbitrary<string> {
  const tag = fc
    .string({ unit: unit(ldh), minLength: 1, maxLength: 12 })
    .filter((t) => isLetDig(t[0] as string) && isLetDig(t[t.length - 1] as string) && t.toLowerCase() !== "ipv6");
  const content = fc.string({ unit: unit(dcontent), minLength: 1, maxLength: 24 });
  return fc.tuple(tag, content).map(
    ([t, c]) => `[${t}:${c}]`,
    (value) => {
      const inner = stripBrackets(value, "");
      const colon = inner.indexOf(":");
      if (colon < 0) throw new Error("not a general literal");
      return [inner.slice(0, colon), inner.slice(colon + 1)] as [string, string];
    },
  );
}

/**
 * Any address literal: IPv4, IPv6 in every form, or general.
 *
 * @returns an arbitrary of literals, brackets included
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseAddressLiteral } from "@smtpkit/grammar";
 * import { addressLiteral } from "@smtpkit/testkit";
 * fc.assert(fc.property(addressLiteral(), (text) => parseAddressLiteral(text) !== undefined));
 * ```
 */
export function addressLiteral(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: ipv4AddressLiteral(), weight: 3 },
    { arbitrary: ipv6AddressLiteral(), weight: 3 },
    { arbitrary: generalAddressLiteral(), weight: 1 },
  );
}
