import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Situations } from "@smtpkit/codes";
import { ClientUsageError, createMxResolver, type DnsResolver, type MxResolverOptions } from "@smtpkit/client";

type Answer<T> = T | { readonly error: string };
interface Zone {
  readonly mx?: Record<string, Answer<readonly { exchange: string; priority: number }[]>>;
  readonly a?: Record<string, Answer<readonly string[]>>;
  readonly aaaa?: Record<string, Answer<readonly string[]>>;
}

// A fake resolver over a zone table: a name in none of the tables is NXDOMAIN
// (ENOTFOUND); a name known elsewhere but absent from this table is NODATA
// (ENODATA), as node:dns reports them.
function fakeResolver(zone: Zone, log: string[] = []): DnsResolver {
  const known = new Set([...Object.keys(zone.mx ?? {}), ...Object.keys(zone.a ?? {}), ...Object.keys(zone.aaaa ?? {})]);
  const lookup = async <T>(type: string, table: Record<string, Answer<T>> | undefined, name: string): Promise<T> => {
    log.push(`${type} ${name}`);
    const answer = table?.[name];
    if (answer === undefined) throw Object.assign(new Error(type), { code: known.has(name) ? "ENODATA" : "ENOTFOUND" });
    if (typeof answer === "object" && answer !== null && "error" in answer) throw Object.assign(new Error(type), { code: answer.error });
    return answer as T;
  };
  return {
    resolveMx: (name) => lookup("MX", zone.mx, name),
    resolve4: (name) => lookup("A", zone.a, name),
    resolve6: (name) => lookup("AAAA", zone.aaaa, name),
  };
}

const noDns: DnsResolver = {
  resolveMx: () => Promise.reject(new Error("DNS must not be queried")),
  resolve4: () => Promise.reject(new Error("DNS must not be queried")),
  resolve6: () => Promise.reject(new Error("DNS must not be queried")),
};

function lookup(zone: Zone, options: Omit<MxResolverOptions, "resolver"> = {}, log?: string[]) {
  return createMxResolver({ random: () => 0, ...options, resolver: fakeResolver(zone, log) });
}

async function hostsOf(zone: Zone, domain: string, options: Omit<MxResolverOptions, "resolver"> = {}): Promise<string[] | string> {
  const result = await lookup(zone, options).resolve(domain);
  return result.ok ? result.targets.map((target) => `${target.preference} ${target.host} ${target.address}`) : `${result.kind} ${result.reason}`;
}

const basic: Zone = {
  mx: { "example.net": [{ exchange: "mx2.example.net", priority: 20 }, { exchange: "MX1.example.net.", priority: 10 }] },
  a: { "mx1.example.net": ["192.0.2.1"], "mx2.example.net": ["192.0.2.2"] },
  aaaa: { "mx1.example.net": ["2001:db8::1"] },
};

describe("MX records (RFC 5321 §5.1)", () => {
  it("sorts by preference and lists each host's addresses, IPv4 first by default", async () => {
    expect(await hostsOf(basic, "example.net")).toEqual(["10 mx1.example.net 192.0.2.1", "10 mx1.example.net 2001:db8::1", "20 mx2.example.net 192.0.2.2"]);
    expect(await hostsOf(basic, "EXAMPLE.NET.")).toHaveLength(3);
  });

  it("honours the address order", async () => {
    expect(await hostsOf(basic, "example.net", { addressOrder: "ipv6-first" })).toEqual(["10 mx1.example.net 2001:db8::1", "10 mx1.example.net 192.0.2.1", "20 mx2.example.net 192.0.2.2"]);
    expect(await hostsOf(basic, "example.net", { addressOrder: "ipv6-only" })).toEqual(["10 mx1.example.net 2001:db8::1"]);
    expect(await hostsOf(basic, "example.net", { addressOrder: "ipv4-only" })).toEqual(["10 mx1.example.net 192.0.2.1", "20 mx2.example.net 192.0.2.2"]);
  });

  it("shuffles equal preferences with the injected random source", async () => {
    const zone: Zone = {
      mx: { "example.net": ["a", "b", "c"].map((name) => ({ exchange: `${name}.example.net`, priority: 10 })) },
      a: { "a.example.net": ["192.0.2.1"], "b.example.net": ["192.0.2.2"], "c.example.net": ["192.0.2.3"] },
    };
    const low = await hostsOf(zone, "example.net", { random: () => 0 });
    const high = await hostsOf(zone, "example.net", { random: () => 0.999 });
    expect(low).not.toEqual(high);
    expect([...(low as string[])].sort()).toEqual([...(high as string[])].sort());
  });

  it("uses the implicit MX when there are no MX records (NODATA or an empty answer)", async () => {
    const nodata: Zone = { a: { "example.net": ["192.0.2.9"] }, aaaa: { "example.net": ["2001:db8::9"] } };
    const result = await lookup(nodata).resolve("example.net");
    expect(result).toEqual({
      ok: true,
      domain: "example.net",
      implicit: true,
      temporaryErrors: 0,
      targets: [
        { host: "example.net", preference: 0, address: "192.0.2.9", family: 4 },
        { host: "example.net", preference: 0, address: "2001:db8::9", family: 6 },
      ],
    });
    expect(await hostsOf({ mx: { "example.net": [] }, a: { "example.net": ["192.0.2.9"] } }, "example.net")).toEqual(["0 example.net 192.0.2.9"]);
  });

  it("never uses the domain's own addresses when MX records exist", async () => {
    const zone: Zone = { mx: { "example.net": [{ exchange: "mx.example.net", priority: 10 }] }, a: { "example.net": ["192.0.2.99"] } };
    expect(await hostsOf(zone, "example.net")).toBe("permanent no-addresses");
  });

  it("uses whatever addresses the resolver returns for a CNAME", async () => {
    // node:dns follows CNAMEs: resolve4("alias") answers with the target's addresses.
    const zone: Zone = { mx: { "example.net": [{ exchange: "alias.example.net", priority: 5 }] }, a: { "alias.example.net": ["192.0.2.77"] } };
    expect(await hostsOf(zone, "example.net")).toEqual(["5 alias.example.net 192.0.2.77"]);
  });

  it("queries U-label domains as A-labels", async () => {
    const log: string[] = [];
    await lookup({ a: { "xn--bcher-kva.example": ["192.0.2.5"] } }, {}, log).resolve("Bücher.example");
    expect(log[0]).toBe("MX xn--bcher-kva.example");
  });
});

describe("null MX (RFC 7505)", () => {
  it.each([[""], ["."]])("a single %j MX is a permanent 556 5.1.10", async (exchange) => {
    const result = await lookup({ mx: { "example.net": [{ exchange, priority: 0 }] }, a: { "example.net": ["192.0.2.1"] } }).resolve("example.net");
    expect(result).toEqual({ ok: false, kind: "permanent", reason: "null-mx", situation: Situations.RecipientDomainNullMx, domain: "example.net" });
    expect(Situations.RecipientDomainNullMx.code).toBe(556);
    expect(Situations.RecipientDomainNullMx.enhanced).toBe("5.1.10");
  });

  it("reads repeats of the one root MX as a null MX too", async () => {
    const zone: Zone = { mx: { "example.net": [{ exchange: "", priority: 0 }, { exchange: ".", priority: 0 }] } };
    expect(await hostsOf(zone, "example.net")).toBe("permanent null-mx");
  });

  it("drops a root MX listed beside real ones", async () => {
    const zone: Zone = { mx: { "example.net": [{ exchange: "", priority: 0 }, { exchange: "mx.example.net", priority: 10 }] }, a: { "mx.example.net": ["192.0.2.1"] } };
    expect(await hostsOf(zone, "example.net")).toEqual(["10 mx.example.net 192.0.2.1"]);
  });
});

describe("address literals", () => {
  it("deliver to the address without DNS", async () => {
    const resolver = createMxResolver({ resolver: noDns });
    expect(await resolver.resolve("[192.0.2.1]")).toMatchObject({ ok: true, targets: [{ host: "[192.0.2.1]", address: "192.0.2.1", family: 4 }] });
    expect(await resolver.resolve("[IPv6:2001:db8::1]")).toMatchObject({ ok: true, targets: [{ address: "2001:db8::1", family: 6 }] });
    expect(await resolver.resolve("[ipv6:2001:db8::1]")).toMatchObject({ ok: true });
  });

  it.each([["[IPv6:192.0.2.1]"], ["[2001:db8::1]"], ["[x-tag:abc]"], ["[300.1.1.1]"]])("refuse %s permanently", async (literal) => {
    expect(await createMxResolver({ resolver: noDns }).resolve(literal)).toMatchObject({ ok: false, kind: "permanent", reason: "unsupported-address-literal" });
  });

  it("detect a literal naming ourselves as a loop", async () => {
    const resolver = createMxResolver({ resolver: noDns, localAddresses: ["192.0.2.1"] });
    expect(await resolver.resolve("[192.0.2.1]")).toMatchObject({ ok: false, reason: "routing-loop", situation: Situations.RoutingLoop });
  });
});

describe("loop detection", () => {
  const zone: Zone = {
    mx: {
      "example.net": [
        { exchange: "backup.example.net", priority: 20 },
        { exchange: "us.example.org", priority: 10 },
        { exchange: "peer.example.net", priority: 10 },
        { exchange: "primary.example.net", priority: 5 },
      ],
      "loop.example": [{ exchange: "us.example.org", priority: 10 }, { exchange: "backup.example.net", priority: 20 }],
    },
    a: { "backup.example.net": ["192.0.2.20"], "us.example.org": ["198.51.100.1"], "peer.example.net": ["192.0.2.10"], "primary.example.net": ["192.0.2.5"] },
  };

  it("drops our own MX and every MX of equal or worse preference (by name)", async () => {
    expect(await hostsOf(zone, "example.net", { localNames: ["US.example.org."] })).toEqual(["5 primary.example.net 192.0.2.5"]);
  });

  it("drops them by address too", async () => {
    expect(await hostsOf(zone, "example.net", { localAddresses: ["::ffff:198.51.100.1"] })).toEqual(["5 primary.example.net 192.0.2.5"]);
  });

  it("reports a routing loop when we are the best MX", async () => {
    const result = await lookup(zone, { localNames: ["us.example.org"] }).resolve("loop.example");
    expect(result).toMatchObject({ ok: false, kind: "permanent", reason: "routing-loop", situation: Situations.RoutingLoop });
    expect(await hostsOf(zone, "loop.example", { localAddresses: ["198.51.100.1"] })).toBe("permanent routing-loop");
  });

  it("reports a loop when the implicit MX is us", async () => {
    expect(await hostsOf({ a: { "example.net": ["192.0.2.1"] } }, "example.net", { localAddresses: ["192.0.2.1"] })).toBe("permanent routing-loop");
  });
});

describe("DNS failures", () => {
  it.each([["ESERVFAIL"], ["ETIMEOUT"], ["EREFUSED"], ["ECONNREFUSED"], ["EBADRESP"]])("%s on MX is transient (451 4.4.3)", async (code) => {
    const result = await lookup({ mx: { "example.net": { error: code } } }).resolve("example.net");
    expect(result).toEqual({ ok: false, kind: "transient", reason: "dns-temporary", situation: Situations.DnsTemporaryFailure, domain: "example.net" });
  });

  it("NXDOMAIN is permanent (550 5.1.2)", async () => {
    const result = await lookup({}).resolve("nowhere.example");
    expect(result).toMatchObject({ ok: false, kind: "permanent", reason: "nxdomain", situation: Situations.BadDestinationSystem });
  });

  it("MX hosts without addresses: permanent, unless a look-up failed temporarily", async () => {
    const none: Zone = { mx: { "example.net": [{ exchange: "gone.example.net", priority: 10 }] } };
    expect(await lookup(none).resolve("example.net")).toMatchObject({ kind: "permanent", reason: "no-addresses", situation: Situations.UnableToRoute });
    const flaky: Zone = { mx: { "example.net": [{ exchange: "mx.example.net", priority: 10 }] }, a: { "mx.example.net": { error: "ETIMEOUT" } } };
    expect(await hostsOf(flaky, "example.net")).toBe("transient dns-temporary");
  });

  it("keeps the hosts that resolved when another failed temporarily", async () => {
    const zone: Zone = {
      mx: { "example.net": [{ exchange: "a.example.net", priority: 10 }, { exchange: "b.example.net", priority: 20 }] },
      a: { "a.example.net": { error: "ESERVFAIL" }, "b.example.net": ["192.0.2.2"] },
    };
    expect(await lookup(zone).resolve("example.net")).toMatchObject({ ok: true, temporaryErrors: 1, targets: [{ host: "b.example.net" }] });
  });

  it("treats a resolver that throws something else as transient, never permanent", async () => {
    const broken: DnsResolver = { ...noDns, resolveMx: () => Promise.reject(new TypeError("bug")) };
    expect(await createMxResolver({ resolver: broken }).resolve("example.net")).toMatchObject({ kind: "transient" });
  });

  it("refuses a domain that is not a domain", async () => {
    // RFC 5321 §4.1.2 Domain (grammar's isValidDomain): no underscore, 253 characters at most.
    for (const domain of ["", "a..b", "-x.example", "exa mple.net", "a".repeat(64) + ".example", "under_score.example", `${"a.".repeat(126)}ab`]) {
      expect(await createMxResolver({ resolver: noDns }).resolve(domain)).toMatchObject({ kind: "permanent", reason: "invalid-domain" });
    }
  });
});

describe("bounds and options", () => {
  it("considers at most maxHosts hosts and returns at most maxAddresses addresses", async () => {
    const names = Array.from({ length: 40 }, (_, index) => `mx${index}.example.net`);
    const zone: Zone = {
      mx: { "example.net": names.map((exchange, index) => ({ exchange, priority: index })) },
      a: Object.fromEntries(names.map((name, index) => [name, [`192.0.2.${index}`, `198.51.100.${index}`, `203.0.113.${index}`]])),
    };
    const log: string[] = [];
    const result = await lookup(zone, { maxHosts: 4, maxAddresses: 7 }, log).resolve("example.net");
    expect(result.ok && result.targets).toHaveLength(7);
    expect(log.filter((entry) => entry.startsWith("A ")).length).toBe(4);
  });

  it("throws a usage error for invalid options", () => {
    expect(() => createMxResolver({ maxHosts: 0 })).toThrow(ClientUsageError);
    expect(() => createMxResolver({ maxAddresses: 1.5 })).toThrow(ClientUsageError);
    expect(() => createMxResolver({ localAddresses: ["not-an-ip"] })).toThrow(ClientUsageError);
    expect(() => createMxResolver({ localNames: ["bad name"] })).toThrow(ClientUsageError);
    expect(() => createMxResolver({ addressOrder: "sideways" as never })).toThrow(ClientUsageError);
  });
});

// --- Properties ---------------------------------------------------------------

const hostNames = fc.constantFrom("a.example.net", "b.example.net", "c.example.net", "d.example.net", "us.example.org");
const answer = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<Answer<T>> =>
  fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom("ESERVFAIL", "ETIMEOUT", "ENOTFOUND").map((error) => ({ error })) });
const zones: fc.Arbitrary<Zone> = fc.record({
  mx: fc.dictionary(fc.constant("example.net"), answer(fc.array(fc.record({ exchange: fc.oneof(hostNames, fc.constant("")), priority: fc.nat(30) }), { maxLength: 6 }))),
  a: fc.dictionary(hostNames, answer(fc.array(fc.ipV4(), { maxLength: 3 }))),
  aaaa: fc.dictionary(hostNames, answer(fc.array(fc.ipV6(), { maxLength: 2 }))),
});

describe("properties", () => {
  it("any zone and random source: ordered, bounded targets that are never us, or a typed failure", async () => {
    await fc.assert(
      fc.asyncProperty(zones, fc.array(fc.double({ min: 0, max: 0.9999, noNaN: true }), { minLength: 1, maxLength: 8 }), async (zone, draws) => {
        let turn = 0;
        const random = (): number => draws[turn++ % draws.length] ?? 0;
        const result = await createMxResolver({ resolver: fakeResolver(zone), random, localNames: ["us.example.org"], maxAddresses: 5 }).resolve("example.net");
        if (!result.ok) {
          expect(["transient", "permanent"]).toContain(result.kind);
          expect([4, 5]).toContain(Math.floor(result.situation.code / 100));
          return;
        }
        expect(result.targets.length).toBeGreaterThan(0);
        expect(result.targets.length).toBeLessThanOrEqual(5);
        for (const [index, target] of result.targets.entries()) {
          expect(target.host).not.toBe("us.example.org");
          if (index > 0) expect(target.preference).toBeGreaterThanOrEqual(result.targets[index - 1]?.preference ?? 0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("shuffling only reorders hosts of equal preference", async () => {
    const zone: Zone = {
      mx: { "example.net": ["a", "b", "c", "d"].map((name, index) => ({ exchange: `${name}.example.net`, priority: index < 3 ? 10 : 20 })) },
      a: Object.fromEntries(["a", "b", "c", "d"].map((name, index) => [`${name}.example.net`, [`192.0.2.${index}`]])),
    };
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 0.9999, noNaN: true }), async (draw) => {
        const result = await createMxResolver({ resolver: fakeResolver(zone), random: () => draw }).resolve("example.net");
        if (!result.ok) throw new Error("unexpected failure");
        expect(result.targets.slice(0, 3).map((target) => target.host).sort()).toEqual(["a.example.net", "b.example.net", "c.example.net"]);
        expect(result.targets[3]?.host).toBe("d.example.net");
      }),
    );
  });
});
