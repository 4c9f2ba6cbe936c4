import { domainToASCII } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMailbox, isAsciiMailbox, isValidDomain, parseAddressLiteral, parseCommand, type Mailbox } from "@smtpkit/grammar";
import {
  addressLiteral,
  domain,
  dotAtomLocalPart,
  forwardPath,
  generalAddressLiteral,
  ipv4AddressLiteral,
  ipv6AddressLiteral,
  ldhLabel,
  localPart,
  mailbox,
  quotedLocalPart,
  reversePath,
  TestkitError,
  uLabelDomain,
  utf8Mailbox,
} from "@smtpkit/testkit";
import { describeLaws } from "./laws.js";

const encoder = new TextEncoder();
const octets = (text: string): number => encoder.encode(text).length;

/** A path is valid when the strict parser reads it back in a RCPT (or MAIL with SMTPUTF8). */
function expectPath(m: Mailbox): void {
  const path = m.domain === "" ? `<${m.localPart}>` : `<${formatMailbox(m)}>`;
  expect(octets(path)).toBeLessThanOrEqual(256);
  const parsed = parseCommand(`RCPT TO:${path}`, { strict: true });
  expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
  if (parsed.ok && parsed.command.verb === "RCPT") expect(parsed.command.to).toEqual(m);
}

describeLaws("ldhLabel", () => ldhLabel(), (label) => {
  expect(label.length).toBeGreaterThanOrEqual(1);
  expect(label.length).toBeLessThanOrEqual(63);
  expect(label).toMatch(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/);
  expect(label.slice(2, 4)).not.toBe("--");
});

describeLaws("domain", () => domain(), (name) => {
  expect(isValidDomain(name, false)).toBe(true);
  expect(name.length).toBeLessThanOrEqual(255);
  expect(name.split(".").at(-1)).toMatch(/[A-Za-z]/);
});

describeLaws("domain({ maxLength: 20 })", () => domain({ maxLength: 20 }), (name) => {
  expect(isValidDomain(name, false)).toBe(true);
  expect(name.length).toBeLessThanOrEqual(20);
});

describeLaws("uLabelDomain", () => uLabelDomain(), (name) => {
  expect(isValidDomain(name, true)).toBe(true);
  expect(isValidDomain(name, false)).toBe(false);
  expect(octets(name)).toBeLessThanOrEqual(255);
  expect(name.normalize("NFC")).toBe(name);
  // Node's own IDNA conversion (an independent Punycode) agrees that every A-label fits (RFC 1035 §2.3.4).
  const ascii = domainToASCII(name);
  expect(ascii).not.toBe("");
  for (const label of ascii.split(".")) expect(label.length).toBeLessThanOrEqual(63);
  expect(ascii.length).toBeLessThanOrEqual(255);
});

describeLaws("ipv4AddressLiteral", () => ipv4AddressLiteral(), (text) => {
  expect(parseAddressLiteral(text)?.kind).toBe("ipv4");
});

describeLaws("ipv6AddressLiteral", () => ipv6AddressLiteral(), (text) => {
  expect(parseAddressLiteral(text)?.kind).toBe("ipv6");
});

describeLaws("generalAddressLiteral", () => generalAddressLiteral(), (text) => {
  expect(parseAddressLiteral(text)?.kind).toBe("general");
});

describeLaws("addressLiteral", () => addressLiteral(), (text) => {
  expect(parseAddressLiteral(text)).toBeDefined();
});

describeLaws("dotAtomLocalPart", () => dotAtomLocalPart(), (local) => {
  expect(octets(local)).toBeLessThanOrEqual(64);
  expectPath({ localPart: local, domain: "example.com" });
});

describeLaws("dotAtomLocalPart({ utf8 })", () => dotAtomLocalPart({ utf8: true }), (local) => {
  expect(octets(local)).toBeLessThanOrEqual(64);
  expectPath({ localPart: local, domain: "example.com" });
});

describeLaws("quotedLocalPart", () => quotedLocalPart(), (local) => {
  expect(local.startsWith('"') && local.endsWith('"')).toBe(true);
  expect(octets(local)).toBeLessThanOrEqual(64);
  expectPath({ localPart: local, domain: "example.com" });
});

describeLaws("localPart({ utf8 })", () => localPart({ utf8: true }), (local) => {
  expect(octets(local)).toBeLessThanOrEqual(64);
  expectPath({ localPart: local, domain: "example.com" });
});

describeLaws("mailbox", () => mailbox(), (m) => {
  expect(isAsciiMailbox(m)).toBe(true);
  expectPath(m);
});

describeLaws("mailbox({ utf8 })", () => mailbox({ utf8: true }), expectPath);

describeLaws("utf8Mailbox", () => utf8Mailbox(), (m) => {
  expect(isAsciiMailbox(m)).toBe(false);
  expectPath(m);
});

describeLaws("reversePath", () => reversePath(), (path) => {
  const line = path === null ? "MAIL FROM:<>" : `MAIL FROM:<${formatMailbox(path)}>`;
  const parsed = parseCommand(line, { strict: true });
  expect(parsed.ok).toBe(true);
  if (parsed.ok && parsed.command.verb === "MAIL") expect(parsed.command.from).toEqual(path);
});

describeLaws("forwardPath", () => forwardPath(), expectPath);

describe("address arbitraries cover the forms the RFCs name", () => {
  it("produces every IPv6 form: full, compressed, IPv4-embedded full and compressed", () => {
    const samples = fc.sample(ipv6AddressLiteral(), { seed: 5, numRuns: 400 });
    const inner = samples.map((s) => s.slice(6, -1));
    expect(inner.some((s) => !s.includes("::") && !s.includes("."))).toBe(true);
    expect(inner.some((s) => s.includes("::") && !s.includes("."))).toBe(true);
    expect(inner.some((s) => !s.includes("::") && s.includes("."))).toBe(true);
    expect(inner.some((s) => s.includes("::") && s.includes("."))).toBe(true);
  });

  it("reaches the 255-octet domain limit, the null path and <Postmaster>", () => {
    expect(fc.sample(domain(), { seed: 1, numRuns: 500 }).some((d) => d.length > 200)).toBe(true);
    expect(fc.sample(reversePath(), { seed: 1, numRuns: 100 }).some((p) => p === null)).toBe(true);
    expect(fc.sample(forwardPath(), { seed: 1, numRuns: 200 }).some((p) => p.domain === "")).toBe(true);
    expect(fc.sample(quotedLocalPart(), { seed: 1, numRuns: 200 }).some((p) => p.includes("\\"))).toBe(true);
    expect(fc.sample(dotAtomLocalPart(), { seed: 1, numRuns: 300 }).some((p) => p.length >= 50)).toBe(true);
    expect(fc.sample(mailbox(), { seed: 1, numRuns: 1000 }).some((m) => octets(`<${formatMailbox(m)}>`) >= 230)).toBe(true);
  });

  it("shrinks a user's own domain and IPv6 literal (unmappers)", () => {
    const d = domain();
    expect(d.canShrinkWithoutContext("mail.example.com")).toBe(true);
    expect([...d.shrink("mail.example.com", undefined)].length).toBeGreaterThan(0);
    const v6 = ipv6AddressLiteral();
    for (const text of ["[IPv6:2001:db8::1]", "[IPv6:::]", "[IPv6:1:2:3:4:5:6:7:8]", "[IPv6:::ffff:192.0.2.1]", "[IPv6:1:2:3:4:5:6:1.2.3.4]"]) {
      expect(v6.canShrinkWithoutContext(text), text).toBe(true);
    }
    expect(v6.canShrinkWithoutContext("[IPv6:1::2::3]")).toBe(false);
  });

  it("refuses impossible limits with a typed error", () => {
    expect(() => domain({ maxLength: 300 })).toThrow(TestkitError);
    expect(() => ldhLabel({ minLength: 0 })).toThrow(TestkitError);
    expect(() => dotAtomLocalPart({ maxLength: 65 })).toThrow(TestkitError);
  });
});
