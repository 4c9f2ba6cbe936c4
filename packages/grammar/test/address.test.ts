// Addresses: RFC 5321 §4.1.2 domains and §4.1.3 address literals, RFC 6531 U-labels.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMailbox, isAsciiMailbox, isValidDomain, parseAddressLiteral } from "@smtpkit/grammar";

describe("address literals (RFC 5321 §4.1.3)", () => {
  it("reads every IPv6 form", () => {
    const valid = [
      "2001:db8:0:0:0:0:0:1", // IPv6-full
      "2001:db8::1", // IPv6-comp
      "::", // all zeros
      "::1",
      "1::",
      "1:2:3:4:5:6::", // six groups and "::"
      "::ffff:192.0.2.1", // IPv6v4-comp
      "1:2:3:4:5:6:192.0.2.1", // IPv6v4-full
      "1:2:3:4::192.0.2.1", // four groups, "::" and IPv4
      "FFFF:abcd::",
    ];
    for (const address of valid) expect(parseAddressLiteral(`[IPv6:${address}]`), address).toEqual({ kind: "ipv6", address });
    expect(parseAddressLiteral("[ipv6:::1]")).toEqual({ kind: "ipv6", address: "::1" });
  });

  it("refuses malformed IPv6, including forms RFC 4291 allows but RFC 5321 does not", () => {
    const invalid = [
      "1:2:3:4:5:6:7", // seven groups, no "::"
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::", // "::" standing for one group (RFC 5321 §4.1.3: at least two)
      "1::2::3",
      ":::",
      "12345::",
      "g::",
      "1:2:3:4:5::192.0.2.1", // five groups with "::" and IPv4
      "::256.0.0.1",
      "1:2:3:4:5:6:7:192.0.2.1",
      "",
    ];
    for (const address of invalid) expect(parseAddressLiteral(`[IPv6:${address}]`), address).toBeUndefined();
  });

  it("reads IPv4 and general literals", () => {
    expect(parseAddressLiteral("[192.0.2.255]")).toEqual({ kind: "ipv4", address: "192.0.2.255" });
    expect(parseAddressLiteral("[x-tag:a\\b]")).toBeUndefined();
    expect(parseAddressLiteral("[x-tag:content]")).toEqual({ kind: "general", tag: "x-tag", content: "content" });
    for (const text of ["[256.0.0.1]", "[1.2.3]", "[1.2.3.4.5]", "[1..2.3]", "1.2.3.4", "[-tag:x]", "[tag:]", "[]"]) {
      expect(parseAddressLiteral(text), text).toBeUndefined();
    }
  });

  it("reads every IPv4 address, and nothing with a part over 255", () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)), (parts) => {
        const literal = parseAddressLiteral(`[${parts.join(".")}]`);
        expect(literal !== undefined).toBe(parts.every((part) => part <= 255));
      }),
    );
  });
});

describe("domains (RFC 5321 §4.1.2, RFC 6531)", () => {
  it("checks labels", () => {
    for (const domain of ["example.com", "a", "x-1.example", "1.example", `${"a".repeat(63)}.example`, "例え.jp", "xn--r8jz45g.jp"]) {
      expect(isValidDomain(domain), domain).toBe(true);
    }
    for (const domain of ["", ".", "a.", ".a", "a..b", "-a.example", "a-.example", "a_b.example", `${"a".repeat(64)}.example`, "a b", "例え。jp"]) {
      expect(isValidDomain(domain), domain).toBe(false);
    }
    expect(isValidDomain("例え.jp", false)).toBe(false);
    expect(isValidDomain(`${"a".repeat(60)}.`.repeat(4) + "abc")).toBe(true);
    expect(isValidDomain(`${"a".repeat(62)}.`.repeat(4) + "abcd")).toBe(false);
  });

  it("formats mailboxes", () => {
    expect(formatMailbox({ localPart: "Postmaster", domain: "" })).toBe("Postmaster");
    expect(formatMailbox({ localPart: '"a b"', domain: "[192.0.2.1]" })).toBe('"a b"@[192.0.2.1]');
    expect(isAsciiMailbox({ localPart: "a", domain: "例え.jp" })).toBe(false);
    expect(isAsciiMailbox({ localPart: "a", domain: "b.example" })).toBe(true);
  });
});
