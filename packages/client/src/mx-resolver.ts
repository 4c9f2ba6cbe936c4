/**
 * Where to deliver mail for a domain: the MX look-up of RFC 5321 §5.1 with
 * null MX (RFC 7505), through an injectable resolver so that tests never
 * touch real DNS.
 *
 * - MX records sorted by preference, records of equal preference shuffled by
 *   an injected random source (RFC 5321 §5.1: spread the load);
 * - no MX records: the domain itself, preference 0 (the implicit MX);
 * - a single `.` MX: the domain accepts no mail, a permanent failure
 *   (`RecipientDomainNullMx`, 556 5.1.10);
 * - address literals (`[192.0.2.1]`, `[IPv6:2001:db8::1]`): the address, no DNS;
 * - CNAMEs: followed by the resolver, and the addresses it returns are used;
 * - loop detection: an MX that is one of our own names or addresses is
 *   dropped with every MX of equal or worse preference (RFC 5321 §5.1, after
 *   RFC 974); if nothing is left, `RoutingLoop` (554 5.4.6);
 * - NXDOMAIN is permanent (`BadDestinationSystem`, 550 5.1.2); SERVFAIL,
 *   timeouts and other resolver failures are transient (451 4.4.3), and the
 *   message must be queued and retried (RFC 5321 §5.1);
 * - bounded: at most `maxHosts` MX hosts and `maxAddresses` addresses.
 *
 * Does not: connect, cache, or check DANE/MTA-STS policies.
 *
 * @module
 */
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { Situations, type Situation } from "@smtpkit/codes";
import { isValidDomain } from "@smtpkit/grammar";
import { ClientUsageError } from "./client-usage-error.js";

/** The DNS queries the MX look-up makes; `node:dns/promises` has this shape. */
export interface DnsResolver {
  /**
   * MX records of a name.
   *
   * @param hostname - the name to query
   * @returns the records (`exchange` `""` or `"."` is the root, the null MX target)
   */
  resolveMx(hostname: string): Promise<readonly { readonly exchange: string; readonly priority: number }[]>;
  /**
   * IPv4 addresses of a name (CNAMEs followed).
   *
   * @param hostname - the name to query
   */
  resolve4(hostname: string): Promise<readonly string[]>;
  /**
   * IPv6 addresses of a name (CNAMEs followed).
   *
   * @param hostname - the name to query
   */
  resolve6(hostname: string): Promise<readonly string[]>;
}


/** The most MX hosts considered, by default (Postfix tries 5 addresses; a few more hosts cost little). */
export const DEFAULT_MAX_MX_HOSTS = 10;
/** The most addresses returned, by default (RFC 5321 §5.1: "SHOULD try at least two"). */
export const DEFAULT_MAX_MX_ADDRESSES = 20;

/** Options of {@link createMxResolver}. */
export interface MxResolverOptions {
  /** The resolver; default a `node:dns/promises` `Resolver` with a 5 s timeout and 2 tries. */
  readonly resolver?: DnsResolver;
  /** A random number in [0, 1) for shuffling equal preferences; default `Math.random`. */
  readonly random?: () => number;
  /** This host's own names (case-insensitive, U- or A-labels), for loop detection. */
  readonly localNames?: readonly string[];
  /** This host's own addresses, for loop detection. */
  readonly localAddresses?: readonly string[];
  /** The most MX hosts considered; default {@link DEFAULT_MAX_MX_HOSTS}. */
  readonly maxHosts?: number;
  /** The most addresses returned; default {@link DEFAULT_MAX_MX_ADDRESSES}. */
  readonly maxAddresses?: number;
  /**
   * Address families and their order within a host; default `"ipv4-first"`
   * (IPv6 mail paths still fail more often on reverse DNS and reputation).
   */
  readonly addressOrder?: "ipv4-first" | "ipv6-first" | "ipv4-only" | "ipv6-only";
}

/** One address to connect to. */
export interface MxTarget {
  /** The MX host name (lower case, A-labels, no trailing dot), or the address literal. */
  readonly host: string;
  /** The MX preference (0 for the implicit MX and address literals). */
  readonly preference: number;
  /** The IP address. */
  readonly address: string;
  /** Its family. */
  readonly family: 4 | 6;
}

/** Why the look-up failed. */
export type MxFailureReason =
  /** The domain has a null MX (RFC 7505). */
  | "null-mx"
  /** The domain does not exist (NXDOMAIN). */
  | "nxdomain"
  /** A temporary resolver failure (SERVFAIL, timeout, refused…). */
  | "dns-temporary"
  /** Our own host is the best MX (or the only address). */
  | "routing-loop"
  /** MX hosts or the implicit MX have no address. */
  | "no-addresses"
  /** The domain is not a domain name. */
  | "invalid-domain"
  /** An address literal that is not IPv4 or IPv6. */
  | "unsupported-address-literal";

/** The result of {@link MxLookup.resolve}. */
export type MxResolution =
  | {
      readonly ok: true;
      /** The domain as queried (A-labels, lower case). */
      readonly domain: string;
      /** Whether the implicit MX was used (no MX records). */
      readonly implicit: boolean;
      /** Addresses to try, in order, at most `maxAddresses`. */
      readonly targets: readonly MxTarget[];
      /** Address look-ups that failed temporarily (their hosts are missing from `targets`). */
      readonly temporaryErrors: number;
    }
  | {
      readonly ok: false;
      /** `"transient"`: queue and retry; `"permanent"`: bounce. */
      readonly kind: "transient" | "permanent";
      /** Why. */
      readonly reason: MxFailureReason;
      /** The status to report (in a DSN or to the submitting client). */
      readonly situation: Situation;
      /** The domain as given. */
      readonly domain: string;
    };

/** An MX look-up with its configuration. */
export interface MxLookup {
  /**
   * Finds the addresses to deliver to for a domain or address literal.
   *
   * @param domain - the part after `@` of a recipient: a domain (U- or A-labels) or an address literal
   * @returns the ordered targets, or a transient or permanent failure; never rejects
   */
  resolve(domain: string): Promise<MxResolution>;
}

function checkLimit(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ClientUsageError("invalid-limit", option, value, `${option} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

// RFC 5321 §2.3.5 / §4.1.2 Domain syntax (grammar's), within DNS's 253-character
// presentation limit; checked before IDNA so that URL host quirks never rewrite a name.
function isDomainSyntax(text: string): boolean {
  return text.length <= 253 && isValidDomain(text);
}

/**
 * A domain as compared and queried: ASCII lower case, U-labels as A-labels,
 * one trailing dot removed; `undefined` for anything that is not a domain.
 */
function normalizeName(name: string): string | undefined {
  const text = name.endsWith(".") ? name.slice(0, -1) : name;
  if (!isDomainSyntax(text)) return undefined;
  const lowered = text.toLowerCase();
  if (!/[^\x00-\x7f]/.test(lowered)) return lowered;
  const converted = domainToASCII(lowered);
  return converted.length > 0 && isDomainSyntax(converted) && !/[^\x00-\x7f]/.test(converted) ? converted : undefined;
}

// One text per address, so that 2001:DB8::1, 2001:db8:0::1 and (for IPv4)
// ::ffff:192.0.2.1 compare equal: the WHATWG URL serializer canonicalizes IPv6.
function addressKey(address: string): string | undefined {
  const percent = address.indexOf("%");
  const bare = percent < 0 ? address : address.slice(0, percent);
  const family = isIP(bare);
  if (family === 0) return undefined;
  return new URL(`http://[${family === 4 ? `::ffff:${bare}` : bare}]/`).hostname;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : undefined;
}

type Lookup<T> = { type: "answer"; value: T } | { type: "nxdomain" } | { type: "no-data" } | { type: "temporary" };

// c-ares codes as node:dns reports them: ENOTFOUND is NXDOMAIN, ENODATA is
// an empty answer; every other failure (ESERVFAIL, ETIMEOUT, EREFUSED,
// ECONNREFUSED, a bug in an injected resolver…) is treated as temporary, so
// that a resolver problem never bounces mail.
async function query<T>(run: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { type: "answer", value: await run() };
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOTFOUND") return { type: "nxdomain" };
    if (code === "ENODATA") return { type: "no-data" };
    return { type: "temporary" };
  }
}

function failure(kind: "transient" | "permanent", reason: MxFailureReason, situation: Situation, domain: string): MxResolution {
  return { ok: false, kind, reason, situation, domain };
}

function defaultResolver(): DnsResolver {
  const resolver = new Resolver({ timeout: 5000, tries: 2 });
  return {
    resolveMx: (hostname) => resolver.resolveMx(hostname),
    resolve4: (hostname) => resolver.resolve4(hostname),
    resolve6: (hostname) => resolver.resolve6(hostname),
  };
}

/**
 * Creates an MX look-up. The default resolver is created lazily, on the
 * first look-up, so a look-up with an injected resolver never touches
 * `node:dns`.
 *
 * @param options - resolver, random source, own names and addresses, bounds
 * @returns the look-up
 * @throws {@link ClientUsageError} for a bound that is not a positive integer, or an own name or address that does not parse
 * @example
 * ```ts
 * import { createMxResolver } from "@smtpkit/client";
 * const lookup = createMxResolver({ localNames: ["mx.example.org"] });
 * const result = await lookup.resolve("example.net");
 * if (result.ok) for (const target of result.targets) console.log(target.host, target.address);
 * else console.log(result.kind, result.situation.code, result.situation.enhanced);
 * ```
 */
export function createMxResolver(options: MxResolverOptions = {}): MxLookup {
  const maxHosts = checkLimit("maxHosts", options.maxHosts ?? DEFAULT_MAX_MX_HOSTS);
  const maxAddresses = checkLimit("maxAddresses", options.maxAddresses ?? DEFAULT_MAX_MX_ADDRESSES);
  const random = options.random ?? Math.random;
  const order = options.addressOrder ?? "ipv4-first";
  if (!["ipv4-first", "ipv6-first", "ipv4-only", "ipv6-only"].includes(order)) {
    throw new ClientUsageError("invalid-option", "addressOrder", order, "addressOrder must be ipv4-first, ipv6-first, ipv4-only or ipv6-only");
  }
  const localNames = new Set<string>();
  for (const name of options.localNames ?? []) {
    const normalized = normalizeName(name);
    if (normalized === undefined) throw new ClientUsageError("invalid-option", "localNames", name, `not a host name: ${JSON.stringify(name)}`);
    localNames.add(normalized);
  }
  const localAddresses = new Set<string>();
  for (const address of options.localAddresses ?? []) {
    const key = addressKey(address);
    if (key === undefined) throw new ClientUsageError("invalid-option", "localAddresses", address, `not an IP address: ${JSON.stringify(address)}`);
    localAddresses.add(key);
  }
  let resolver = options.resolver;
  const getResolver = (): DnsResolver => (resolver ??= defaultResolver());

  const isLocalAddress = (address: string): boolean => {
    const key = addressKey(address);
    return key !== undefined && localAddresses.has(key);
  };

  // Fisher–Yates over a run of equal preferences, with the injected source.
  function shuffle<T>(items: T[]): T[] {
    for (let index = items.length - 1; index > 0; index -= 1) {
      const pick = Math.min(index, Math.floor(random() * (index + 1)));
      const held = items[index] as T;
      items[index] = items[pick] as T;
      items[pick] = held;
    }
    return items;
  }

  async function addressesOf(host: string): Promise<{ addresses: { address: string; family: 4 | 6 }[]; temporary: boolean }> {
    const want4 = order !== "ipv6-only";
    const want6 = order !== "ipv4-only";
    const [four, six] = await Promise.all([
      want4 ? query(() => getResolver().resolve4(host)) : Promise.resolve<Lookup<readonly string[]>>({ type: "no-data" }),
      want6 ? query(() => getResolver().resolve6(host)) : Promise.resolve<Lookup<readonly string[]>>({ type: "no-data" }),
    ]);
    const v4 = four.type === "answer" ? four.value.filter((address) => isIP(address) === 4).map((address) => ({ address, family: 4 as const })) : [];
    const v6 = six.type === "answer" ? six.value.filter((address) => isIP(address) === 6).map((address) => ({ address, family: 6 as const })) : [];
    const addresses = order === "ipv6-first" || order === "ipv6-only" ? [...v6, ...v4] : [...v4, ...v6];
    return { addresses, temporary: four.type === "temporary" || six.type === "temporary" };
  }

  async function resolveLiteral(literal: string): Promise<MxResolution> {
    const inner = literal.slice(1, -1);
    const isV6 = inner.slice(0, 5).toLowerCase() === "ipv6:";
    const address = isV6 ? inner.slice(5) : inner;
    const family = isIP(address);
    // RFC 5321 §4.1.3: "[" IPv4 "]" or "[IPv6:" IPv6 "]"; general literals name no address we can reach.
    if (family === 0 || (family === 6) !== isV6) {
      return failure("permanent", "unsupported-address-literal", Situations.BadDestinationSystem, literal);
    }
    if (isLocalAddress(address)) return failure("permanent", "routing-loop", Situations.RoutingLoop, literal);
    return { ok: true, domain: literal, implicit: false, targets: [{ host: literal, preference: 0, address, family: family as 4 | 6 }], temporaryErrors: 0 };
  }

  async function resolve(input: string): Promise<MxResolution> {
    if (input.startsWith("[") && input.endsWith("]")) return resolveLiteral(input);
    const domain = normalizeName(input);
    if (domain === undefined) return failure("permanent", "invalid-domain", Situations.BadDestinationSystem, input);

    // RFC 5321 §5.1: "The lookup first attempts to locate an MX record".
    const mx = await query(() => getResolver().resolveMx(domain));
    if (mx.type === "nxdomain") return failure("permanent", "nxdomain", Situations.BadDestinationSystem, input);
    if (mx.type === "temporary") return failure("transient", "dns-temporary", Situations.DnsTemporaryFailure, input);

    let hosts: { name: string; preference: number }[];
    let implicit = false;
    const records = mx.type === "answer" ? mx.value : [];
    const isRoot = (exchange: string): boolean => exchange === "" || exchange === ".";
    if (records.length > 0 && records.every((record) => isRoot(record.exchange))) {
      // RFC 7505 §3: a single MX RR with an empty label ("."): no mail service.
      // Repeats of that one record (a sloppy zone) mean the same.
      return failure("permanent", "null-mx", Situations.RecipientDomainNullMx, input);
    }
    if (records.length === 0) {
      // "If an empty list of MXs is returned, the address is treated as if it
      // was associated with an implicit MX RR, with a preference of 0".
      implicit = true;
      hosts = [{ name: domain, preference: 0 }];
    } else {
      // Best preference per distinct exchange; "." beside other records (which
      // RFC 7505 §3 forbids) and unparseable names are unusable and dropped.
      const best = new Map<string, number>();
      for (const record of records) {
        if (isRoot(record.exchange)) continue;
        const name = normalizeName(record.exchange);
        const preference = Number.isSafeInteger(record.priority) && record.priority >= 0 ? record.priority : 65535;
        if (name === undefined) continue;
        best.set(name, Math.min(best.get(name) ?? Infinity, preference));
      }
      hosts = [...best].map(([name, preference]) => ({ name, preference }));
      if (hosts.length === 0) return failure("permanent", "no-addresses", Situations.UnableToRoute, input);
      // "MUST be used in sorting": ascending preference, equal preferences shuffled.
      const groups = new Map<number, { name: string; preference: number }[]>();
      for (const host of hosts) groups.set(host.preference, [...(groups.get(host.preference) ?? []), host]);
      hosts = [...groups.keys()].sort((left, right) => left - right).flatMap((preference) => shuffle(groups.get(preference) ?? []));
    }

    // Loop detection by name, before any address look-up.
    const byName = hosts.find((host) => localNames.has(host.name));
    if (byName !== undefined) hosts = hosts.filter((host) => host.preference < byName.preference);
    if (hosts.length === 0) return failure("permanent", "routing-loop", Situations.RoutingLoop, input);
    hosts = hosts.slice(0, maxHosts);

    const resolved = await Promise.all(hosts.map(async (host) => ({ ...host, ...(await addressesOf(host.name)) })));
    // Loop detection by address: a host with one of our addresses is us.
    const byAddress = resolved.find((host) => host.addresses.some((entry) => isLocalAddress(entry.address)));
    const usable = byAddress === undefined ? resolved : resolved.filter((host) => host.preference < byAddress.preference);
    if (usable.length === 0) return failure("permanent", "routing-loop", Situations.RoutingLoop, input);

    const targets: MxTarget[] = [];
    let temporaryErrors = 0;
    for (const host of usable) {
      if (host.temporary) temporaryErrors += 1;
      for (const entry of host.addresses) {
        if (targets.length >= maxAddresses) break;
        targets.push({ host: host.name, preference: host.preference, address: entry.address, family: entry.family });
      }
    }
    if (targets.length === 0) {
      // Nothing usable: retry later if any look-up failed temporarily, else report it.
      return temporaryErrors > 0
        ? failure("transient", "dns-temporary", Situations.DnsTemporaryFailure, input)
        : failure("permanent", "no-addresses", Situations.UnableToRoute, input);
    }
    return { ok: true, domain, implicit, targets, temporaryErrors };
  }

  return {
    async resolve(domain) {
      try {
        return await resolve(domain);
      } catch {
        // Only an injected resolver's bug gets here; never bounce for it.
        return failure("transient", "dns-temporary", Situations.DnsTemporaryFailure, domain);
      }
    },
  };
}
