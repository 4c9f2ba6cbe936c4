import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Situations } from "@smtpkit/codes";
import { parseCommand } from "@smtpkit/grammar";
import {
  createRelayPolicy,
  hasRoutingCharacters,
  mailboxAddress,
  normalizeDomain,
  ServerUsageError,
  type MailboxAddress,
  type RelayDecision,
} from "@smtpkit/server";

const policy = createRelayPolicy({
  localDomains: ["local.example", "xn--bcher-kva.example", "Ünïcode.example"],
  ownAddresses: ["192.0.2.25", "2001:db8::25"],
  trustedNetworks: ["127.0.0.0/8", "::1", "10.1.0.0/16", "2001:db8:aaaa::/48"],
});

const stranger = "203.0.113.9";

// The server judges what the session's grammar parsed from RCPT TO, dequoted by mailboxAddress.
function parseForwardPath(path: string): { ok: true; mailbox: MailboxAddress } | { ok: false; reason: string } {
  const parsed = parseCommand(`RCPT TO:${path}`);
  if (!parsed.ok || parsed.command.verb !== "RCPT") return { ok: false, reason: "grammar" };
  return { ok: true, mailbox: mailboxAddress(parsed.command.to) };
}

function judge(path: string, clientAddress = stranger, authenticated = false): RelayDecision | string {
  const parsed = parseForwardPath(path);
  if (!parsed.ok) return `syntax:${parsed.reason}`;
  return policy.check({ recipient: parsed.mailbox, clientAddress, authenticated });
}

function verdict(decision: RelayDecision | string): string {
  if (typeof decision === "string") return decision;
  return decision.type === "accept" ? `accept:${decision.destination}` : `refuse:${decision.reason}`;
}

describe("the classic relay tricks, from an untrusted unauthenticated client", () => {
  // After Postfix's documentation of reject_unauth_destination, allow_percent_hack,
  // swap_bangpath and resolve_dequoted_address, and the usual open-relay test lists.
  it.each([
    ["<user@local.example>", "accept:local"],
    ["<USER@LOCAL.EXAMPLE>", "accept:local"],
    ["<Postmaster>", "accept:local"],
    ["<postmaster>", "accept:local"],
    ["<user@remote.example>", "refuse:relay-denied"],
    ["<postmaster@remote.example>", "refuse:relay-denied"],
    // The percent hack: user%remote@local would be rewritten to user@remote.
    ["<user%remote.example@local.example>", "refuse:sender-specified-routing"],
    ['<"user%remote.example"@local.example>', "refuse:sender-specified-routing"],
    // UUCP bang paths: remote!user@local.
    ["<remote.example!user@local.example>", "refuse:sender-specified-routing"],
    ['<"remote.example!user"@local.example>', "refuse:sender-specified-routing"],
    // A second @: unquoted it is a syntax error, quoted it is routing.
    ["<user@remote.example@local.example>", "syntax:grammar"],
    ['<"user@remote.example"@local.example>', "refuse:sender-specified-routing"],
    ['<"user@remote.example"@[192.0.2.25]>', "refuse:sender-specified-routing"],
    // Source routes are dropped; the final mailbox decides.
    ["<@local.example:user@remote.example>", "refuse:relay-denied"],
    ["<@local.example,@other.example:user@remote.example>", "refuse:relay-denied"],
    ["<@remote.example:user@local.example>", "accept:local"],
    ["<@[192.0.2.25]:user@remote.example>", "refuse:relay-denied"],
    // Address literals: ours are local, every other one would leave.
    ["<user@[192.0.2.25]>", "accept:local"],
    ["<user@[IPv6:2001:db8::25]>", "accept:local"],
    ["<user@[IPv6:2001:DB8:0:0:0:0:0:25]>", "accept:local"],
    ["<user@[192.0.2.99]>", "refuse:foreign-address-literal"],
    // An IPv4 address under the IPv6 tag: the grammar refuses the literal outright.
    ["<user@[IPv6:192.0.2.25]>", "syntax:grammar"],
    ["<user@[2001:db8::25]>", "refuse:foreign-address-literal"],
    ["<user@[x-tag:whatever]>", "refuse:foreign-address-literal"],
    ["<user@[127.0.0.1]>", "refuse:foreign-address-literal"],
    // Look-alike domains are not local.
    ["<user@local.example.remote.example>", "refuse:relay-denied"],
    ["<user@sub.local.example>", "refuse:relay-denied"],
    ["<user@xlocal.example>", "refuse:relay-denied"],
    ["<user@local.example.>", "syntax:grammar"],
    ["<user@0x7f.1>", "refuse:relay-denied"],
    // IDNA: U-labels and A-labels are the same domain.
    ["<user@bücher.example>", "accept:local"],
    ["<user@BÜCHER.example>", "accept:local"],
    ["<user@xn--ncode-cta3g.example>", "accept:local"],
    // Syntax that never reaches the policy.
    // Missing angle brackets: the grammar accepts them as a leniency (as Postfix does); the mailbox is local.
    ["user@local.example", "accept:local"],
    ["user@remote.example", "refuse:relay-denied"],
    ["<@local.example user@remote.example>", "syntax:grammar"],
    ["<>", "syntax:grammar"],
  ])("%s → %s", (path, expected) => {
    expect(verdict(judge(path))).toBe(expected);
  });

  it("answers every refusal with RelayDenied (550 5.7.1)", () => {
    const decision = judge("<user@remote.example>");
    expect(typeof decision !== "string" && decision.type === "refuse" && decision.situation).toBe(Situations.RelayDenied);
    expect(Situations.RelayDenied.enhanced).toBe("5.7.1");
  });
});

describe("authenticated and trusted clients", () => {
  it.each([
    ["127.0.0.1", "accept:remote"],
    ["::ffff:127.0.0.1", "accept:remote"],
    ["::1", "accept:remote"],
    ["10.1.200.3", "accept:remote"],
    ["10.2.0.1", "refuse:relay-denied"],
    ["2001:db8:aaaa:1::5", "accept:remote"],
    ["2001:db8:aaab::5", "refuse:relay-denied"],
    ["fe80::1%eth0", "refuse:relay-denied"],
    ["not an address", "refuse:relay-denied"],
    ["", "refuse:relay-denied"],
  ])("client %s relaying to remote.example → %s", (client, expected) => {
    expect(verdict(judge("<user@remote.example>", client))).toBe(expected);
  });

  it("lets authenticated clients relay, routing characters included", () => {
    expect(verdict(judge("<user@remote.example>", stranger, true))).toBe("accept:remote");
    expect(verdict(judge("<user%x@local.example>", stranger, true))).toBe("accept:local");
  });

  it("can allow routing characters for local recipients when configured", () => {
    const lenient = createRelayPolicy({ localDomains: ["local.example"], allowRoutingCharactersInLocalParts: true });
    const recipient = { localPart: "a%b", domain: "local.example" };
    expect(lenient.check({ recipient, clientAddress: stranger, authenticated: false }).type).toBe("accept");
  });
});

describe("configuration", () => {
  it.each([["10.0.0.0/33"], ["10.0.0.1/8"], ["::1/129"], ["10.0.0.0/08"], ["banana"], ["10.0.0.0/"], ["2001:db8::1/32"]])(
    "refuses the trusted network %s",
    (network) => {
      expect(() => createRelayPolicy({ localDomains: [], trustedNetworks: [network] })).toThrow(ServerUsageError);
    },
  );

  it("refuses a local domain that is not a domain, and an own address that is not an address", () => {
    expect(() => createRelayPolicy({ localDomains: ["bad domain"] })).toThrow(ServerUsageError);
    expect(() => createRelayPolicy({ localDomains: ["a..b"] })).toThrow(ServerUsageError);
    expect(() => createRelayPolicy({ localDomains: [], ownAddresses: ["192.0.2.300"] })).toThrow(ServerUsageError);
  });

  it("normalizes domains to lower-case A-labels", () => {
    expect(normalizeDomain("Bücher.Example.")).toBe("xn--bcher-kva.example");
    expect(normalizeDomain("-bad.example")).toBeUndefined();
    expect(normalizeDomain(`${"a".repeat(64)}.example`)).toBeUndefined();
  });
});

// --- Properties ---------------------------------------------------------------

// An SMTP-ish alphabet, so generation reaches the interesting branches.
const pathText = fc
  .array(fc.constantFrom("<", ">", "@", "%", "!", '"', "\\", ":", ",", ".", "[", "]", "a", "b", "local", "example", "remote", "IPv6:", "192.0.2.25", "ü", " "), { maxLength: 16 })
  .map((parts) => parts.join(""));
const mailbox: fc.Arbitrary<MailboxAddress> = fc.record({
  localPart: fc.string({ maxLength: 10 }),
  domain: fc.oneof(fc.constantFrom("local.example", "LOCAL.example", "remote.example", "[192.0.2.25]", "[10.0.0.1]", ""), fc.domain()),
});

describe("properties", () => {
  it("never accepts mail that would leave from an untrusted, unauthenticated client (the open-relay law)", () => {
    fc.assert(
      fc.property(fc.oneof(pathText, pathText.map((text) => `<${text}>`)), fc.oneof(fc.ipV4(), fc.ipV6()), (text, client) => {
        const parsed = parseForwardPath(text);
        if (!parsed.ok) return;
        const decision = createRelayPolicy({ localDomains: ["local.example"], ownAddresses: ["192.0.2.25"] }).check({
          recipient: parsed.mailbox,
          clientAddress: client,
          authenticated: false,
        });
        if (decision.type === "accept") {
          expect(decision.destination).toBe("local");
          expect(hasRoutingCharacters(parsed.mailbox.localPart)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("accepts everything from authenticated clients, keeping local and remote apart", () => {
    fc.assert(
      fc.property(mailbox, (recipient) => {
        const decision = policy.check({ recipient, clientAddress: stranger, authenticated: true });
        expect(decision).toEqual({ type: "accept", reason: "authenticated", destination: policy.isLocal(recipient) ? "local" : "remote" });
      }),
    );
  });

  it("judges domains without regard to ASCII case", () => {
    fc.assert(
      fc.property(mailbox, fc.boolean(), (recipient, upper) => {
        const recased = { ...recipient, domain: upper ? recipient.domain.toUpperCase() : recipient.domain.toLowerCase() };
        expect(policy.isLocal(recased)).toBe(policy.isLocal(recipient));
      }),
    );
  });

  it("a trusted IPv4 block matches exactly its addresses, mapped or not", () => {
    fc.assert(
      fc.property(fc.ipV4(), (client) => {
        const inside = client.startsWith("10.1.");
        const decision = policy.check({ recipient: { localPart: "a", domain: "remote.example" }, clientAddress: client, authenticated: false });
        const mapped = policy.check({ recipient: { localPart: "a", domain: "remote.example" }, clientAddress: `::ffff:${client}`, authenticated: false });
        const isLoopback = client.startsWith("127.");
        expect(decision.type === "accept").toBe(inside || isLoopback);
        expect(mapped.type).toBe(decision.type);
      }),
    );
  });

  it("an IPv6 block contains exactly the addresses a BigInt mask says it does", () => {
    const toBigInt = (groups: readonly number[]): bigint => groups.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
    const toText = (value: bigint): string =>
      Array.from({ length: 8 }, (_, index) => ((value >> BigInt((7 - index) * 16)) & 0xffffn).toString(16)).join(":");
    const address = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(address, address, fc.integer({ min: 0, max: 128 }), fc.integer({ min: 0, max: 128 }), (network, client, prefix, sharedBits) => {
        const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
        const base = toBigInt(network) & mask;
        // Half the clients share the block's first bits, so both outcomes occur.
        const shareMask = sharedBits === 0 ? 0n : ((1n << BigInt(sharedBits)) - 1n) << BigInt(128 - sharedBits);
        const clientValue = (base & shareMask) | (toBigInt(client) & ~shareMask & ((1n << 128n) - 1n));
        const relay = createRelayPolicy({ localDomains: [], trustedNetworks: [`${toText(base)}/${prefix}`] });
        const decision = relay.check({ recipient: { localPart: "a", domain: "remote.example" }, clientAddress: toText(clientValue), authenticated: false });
        expect(decision.type === "accept").toBe((clientValue & mask) === base);
      }),
      { numRuns: 500 },
    );
  });

  it("what the grammar accepts as a forward-path keeps the limits of RFC 5321 §4.5.3.1 and has no control characters", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), pathText.map((text) => `<${text}>`)), (text) => {
        const parsed = parseForwardPath(text);
        if (parsed.ok) {
          expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(256);
          expect(parsed.mailbox.localPart).not.toMatch(/[\u0000-\u001f\u007f]/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
