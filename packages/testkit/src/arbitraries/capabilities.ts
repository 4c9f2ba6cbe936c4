/**
 * EHLO capability sets (RFC 5321 §4.1.1.1): what a server may advertise,
 * each keyword with the parameters its RFC defines, as the `CapabilitySet`
 * of `@smtpkit/grammar`.
 *
 * @module
 */
import fc from "fast-check";
import { record } from "../internal/record.js";
import { CapabilitySet } from "@smtpkit/grammar";
import { dateTime } from "../internal/date-time.js";
import { ldh, unit, visible } from "../internal/characters.js";

/** SASL mechanisms servers commonly offer (RFC 4422 names, IANA registry). */
export const saslMechanisms: readonly string[] = [
  "PLAIN",
  "LOGIN",
  "CRAM-MD5",
  "SCRAM-SHA-1",
  "SCRAM-SHA-256",
  "SCRAM-SHA-256-PLUS",
  "XOAUTH2",
  "OAUTHBEARER",
  "EXTERNAL",
  "ANONYMOUS",
];

const none = fc.constant(true as const);
const flag = (): fc.Arbitrary<true> => none;

/** The EHLO keywords {@link capabilitySet} knows and generates with their parameters. */
export type CapabilityKeyword =
  | "PIPELINING"
  | "SIZE"
  | "8BITMIME"
  | "SMTPUTF8"
  | "CHUNKING"
  | "BINARYMIME"
  | "DSN"
  | "ENHANCEDSTATUSCODES"
  | "STARTTLS"
  | "AUTH"
  | "REQUIRETLS"
  | "MT-PRIORITY"
  | "DELIVERBY"
  | "FUTURERELEASE"
  | "RRVS"
  | "LIMITS"
  | "HELP"
  | "ETRN"
  | "VRFY"
  | "XCLIENT"
  | "XFORWARD";

/** Keyword → arbitrary of its parameters (`true` for none). */
const known: Readonly<Record<CapabilityKeyword, fc.Arbitrary<unknown>>> = {
  PIPELINING: flag(), // RFC 2920
  // RFC 1870 §4: "SIZE" [SP number]; 0 means no fixed maximum.
  SIZE: fc.oneof(none, fc.integer({ min: 0, max: 200_000_000 })),
  "8BITMIME": flag(), // RFC 6152
  SMTPUTF8: flag(), // RFC 6531
  CHUNKING: flag(), // RFC 3030
  BINARYMIME: flag(), // RFC 3030 (needs CHUNKING)
  DSN: flag(), // RFC 3461
  ENHANCEDSTATUSCODES: flag(), // RFC 2034
  STARTTLS: flag(), // RFC 3207
  // RFC 4954 §3: "AUTH" SP mechanism *(SP mechanism)
  AUTH: fc.uniqueArray(fc.constantFrom(...saslMechanisms), { minLength: 1, maxLength: 4 }),
  REQUIRETLS: flag(), // RFC 8689
  // RFC 6710 §3: "MT-PRIORITY" [SP priority-profile]
  "MT-PRIORITY": fc.oneof(none, fc.constantFrom("MIXER", "STANAG4406", "NSEP")),
  // RFC 2852 §3: "DELIVERBY" [SP min-by-time]
  DELIVERBY: fc.oneof(none, fc.integer({ min: 1, max: 999_999_999 })),
  // RFC 4865 §3: max-future-release-interval SP max-future-release-date-time
  FUTURERELEASE: fc.tuple(fc.integer({ min: 1, max: 999_999_999 }), dateTime()),
  RRVS: flag(), // RFC 7293
  // RFC 9422 §3: "LIMITS" SP limit *(SP limit)
  LIMITS: record(
      { RCPTMAX: fc.integer({ min: 1, max: 10_000 }), MAILMAX: fc.integer({ min: 1, max: 10_000 }), RCPTDOMAINMAX: fc.integer({ min: 1, max: 10_000 }) },
      { requiredKeys: [] },
    )
    .filter((limits) => Object.keys(limits).length > 0),
  HELP: flag(),
  ETRN: flag(), // RFC 1985
  VRFY: flag(),
  // Postfix's XCLIENT and XFORWARD attribute lists.
  XCLIENT: fc.uniqueArray(fc.constantFrom("NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN", "DESTADDR", "DESTPORT"), { minLength: 1 }),
  XFORWARD: fc.uniqueArray(fc.constantFrom("NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"), { minLength: 1 }),
};

type Known = typeof known;
type Entries = { -readonly [K in keyof Known]?: Known[K] extends fc.Arbitrary<infer T> ? T : never } & {
  experimental?: (readonly [string, readonly string[]])[];
};

const experimentalKeyword = fc
  .string({ unit: unit(ldh.map((c) => c.toUpperCase())), minLength: 1, maxLength: 10 })
  .filter((k) => /^[A-Z0-9]/.test(k))
  .map(
    (k) => `X-${k}`,
    (value) => {
      if (typeof value !== "string" || !value.startsWith("X-")) throw new Error("not an X- keyword");
      return value.slice(2);
    },
  );
const ehloParameter = fc.string({ unit: unit(visible), minLength: 1, maxLength: 12 });

function params(keyword: string, value: unknown): readonly string[] {
  if (value === true) return [];
  if (typeof value === "number") return [String(value)];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    if (keyword === "FUTURERELEASE") return value.map(String);
    return value as string[];
  }
  return Object.entries(value as Record<string, number>).map(([k, v]) => `${k}=${v}`);
}

function toSet(entries: Entries): CapabilitySet {
  const list: [string, readonly string[]][] = [];
  for (const [keyword, value] of Object.entries(entries)) {
    if (keyword === "experimental") continue;
    list.push([keyword, params(keyword, value)]);
  }
  for (const [keyword, values] of entries.experimental ?? []) list.push([keyword, values]);
  return CapabilitySet.of(list);
}

function fromSet(value: unknown): Entries {
  if (!(value instanceof CapabilitySet)) throw new Error("not a CapabilitySet");
  const entries: Record<string, unknown> = {};
  const experimental: [string, readonly string[]][] = [];
  for (const keyword of value.keywords) {
    const list = value.get(keyword) ?? [];
    switch (keyword) {
      case "SIZE":
      case "DELIVERBY":
        entries[keyword] = list.length === 0 ? true : Number(list[0]);
        break;
      case "MT-PRIORITY":
        entries[keyword] = list.length === 0 ? true : list[0];
        break;
      case "AUTH":
      case "XCLIENT":
      case "XFORWARD":
        entries[keyword] = [...list];
        break;
      case "FUTURERELEASE":
        entries[keyword] = [Number(list[0]), list[1]];
        break;
      case "LIMITS":
        entries[keyword] = Object.fromEntries(list.map((item) => [item.slice(0, item.indexOf("=")), Number(item.slice(item.indexOf("=") + 1))]));
        break;
      default:
        if (keyword in known) entries[keyword] = true;
        else experimental.push([keyword, [...list]]);
    }
  }
  if (experimental.length > 0) entries["experimental"] = experimental;
  return entries as Entries;
}

/** Options of {@link capabilitySet}. */
export interface CapabilitySetOptions {
  /** Keywords that must be in every generated set (for example `["PIPELINING"]`). */
  readonly include?: readonly CapabilityKeyword[];
  /** Keywords that must never be (for example `["STARTTLS"]` once TLS is active, RFC 3207 §4.2). */
  readonly exclude?: readonly CapabilityKeyword[];
  /** Add unknown `X-` keywords, which clients must ignore (RFC 5321 §4.1.1.1). Default true. */
  readonly experimental?: boolean;
}

/**
 * An EHLO capability set: any subset of the extensions smtpkit knows, each
 * with parameters as its RFC writes them (`SIZE 10485760`, `AUTH PLAIN
 * LOGIN`, `LIMITS RCPTMAX=100`, `FUTURERELEASE 604800 2030-01-01T00:00:00Z`),
 * BINARYMIME only with CHUNKING (RFC 3030 §3), and sometimes unknown `X-`
 * keywords. Shrinks towards the empty set.
 *
 * @param options - keywords to force in or out
 * @returns an arbitrary of `CapabilitySet` values
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { CapabilitySet } from "@smtpkit/grammar";
 * import { capabilitySet } from "@smtpkit/testkit";
 * fc.assert(fc.property(capabilitySet(), (set) => CapabilitySet.parse(set.toLines()).size === set.size));
 * ```
 */
export function capabilitySet(options: CapabilitySetOptions = {}): fc.Arbitrary<CapabilitySet> {
  const include = new Set<string>(options.include ?? []);
  const exclude = new Set<string>(options.exclude ?? []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [keyword, arbitrary] of Object.entries(known)) if (!exclude.has(keyword)) model[keyword] = arbitrary;
  if (options.experimental !== false) {
    model["experimental"] = fc.uniqueArray(fc.tuple(experimentalKeyword, fc.array(ehloParameter, { maxLength: 3 })), {
      minLength: 1,
      maxLength: 2,
      selector: ([keyword]) => keyword,
    });
  }
  const requiredKeys = [...include].filter((k) => k in model);
  return record(model, { requiredKeys: requiredKeys as never[] })
    .filter((entries) => !("BINARYMIME" in entries) || "CHUNKING" in entries)
    .map((entries) => toSet(entries as Entries), fromSet as (value: unknown) => Record<string, unknown>);
}

