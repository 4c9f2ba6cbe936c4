import { isIPv4, isIPv6 } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  crc32c,
  createProxyProtocolParser,
  decodeProxySslTlv,
  encodeProxyHeader,
  parseProxyHeader,
  PROXY_V1_MAX_LENGTH,
  ProxySslSubtype,
  ProxyTlvType,
  ServerUsageError,
  type ProxyHeader,
  type ProxyParseResult,
  type ProxyProtocolOptions,
} from "@smtpkit/server";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

// Feeds the chunks until the parser decides, as a socket layer would.
function feed(chunks: readonly Uint8Array[], options?: ProxyProtocolOptions): ProxyParseResult {
  const parser = createProxyProtocolParser(options);
  let result: ProxyParseResult = { type: "need-more" };
  for (const [index, chunk] of chunks.entries()) {
    result = parser.push(chunk);
    if (result.type === "header") {
      // The rest of this chunk plus every later chunk is the proxied stream.
      const later = chunks.slice(index + 1);
      const rest = new Uint8Array(result.rest.length + later.reduce((sum, part) => sum + part.length, 0));
      rest.set(result.rest);
      let offset = result.rest.length;
      for (const part of later) {
        rest.set(part, offset);
        offset += part.length;
      }
      return { ...result, rest };
    }
    if (result.type === "error") return result;
  }
  return result;
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const byteByByte = (bytes: Uint8Array): Uint8Array[] => Array.from(bytes, (byte) => Uint8Array.of(byte));

describe("PROXY v1 (spec §2.1)", () => {
  it("parses TCP4 and hands back the bytes after the line", () => {
    const result = parseProxyHeader(ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nEHLO x\r\n"));
    expect(result).toEqual({
      type: "header",
      length: 47,
      rest: ascii("EHLO x\r\n"),
      header: {
        version: 1,
        command: "proxy",
        transport: "TCP4",
        source: { type: "inet", address: "192.168.0.1", port: 56324 },
        destination: { type: "inet", address: "192.168.0.11", port: 443 },
        tlvs: [],
      },
    });
  });

  it("parses TCP6 and gives the addresses in RFC 5952 form", () => {
    const result = parseProxyHeader(ascii("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 1 65535\r\n"));
    expect(result.type === "header" && result.header.source).toEqual({ type: "inet", address: "2001:db8::1", port: 1 });
    expect(result.type === "header" && result.header.destination).toEqual({ type: "inet", address: "::ffff:192.0.2.1", port: 65535 });
  });

  it("accepts the longest line of the spec, 107 bytes, and ignores whatever follows UNKNOWN", () => {
    const longest = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    expect(longest.length).toBe(PROXY_V1_MAX_LENGTH);
    const result = parseProxyHeader(ascii(longest));
    expect(result.type === "header" && result.header).toMatchObject({ transport: "UNKNOWN", source: undefined });
    expect(parseProxyHeader(ascii("PROXY UNKNOWN\r\n")).type).toBe("header");
  });

  it("ignores any bytes after UNKNOWN, but not a longer keyword", () => {
    const lenient = parseProxyHeader(Uint8Array.of(...ascii("PROXY UNKNOWN "), 0xff, 0x00, 0x7f, ...ascii("\r\nQUIT")));
    expect(lenient.type === "header" && [lenient.header.transport, Array.from(lenient.rest)]).toEqual(["UNKNOWN", Array.from(ascii("QUIT"))]);
    const longer = parseProxyHeader(ascii("PROXY UNKNOWNX\r\n"));
    expect(longer.type === "error" && longer.error.reason).toBe("invalid-line");
  });

  it.each([
    ["PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n", "bare-line-ending"],
    ["PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\rX", "bare-line-ending"],
    ["PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n", "invalid-line"],
    ["PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n", "invalid-line"],
    ["PROXY TCP5 192.168.0.1 192.168.0.11 56324 443\r\n", "invalid-line"],
    ["PROXY tcp4 192.168.0.1 192.168.0.11 56324 443\r\n", "invalid-line"],
    ["PROXY TCP4 192.168.0.01 192.168.0.11 56324 443\r\n", "invalid-address"],
    ["PROXY TCP4 192.168.0.256 192.168.0.11 56324 443\r\n", "invalid-address"],
    ["PROXY TCP4 ::1 192.168.0.11 56324 443\r\n", "invalid-address"],
    ["PROXY TCP6 192.168.0.1 ::1 56324 443\r\n", "invalid-address"],
    ["PROXY TCP6 1::2::3 ::1 56324 443\r\n", "invalid-address"],
    ["PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n", "invalid-port"],
    ["PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n", "invalid-port"],
    ["PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n", "invalid-port"],
    [`PROXY UNKNOWN ${"x".repeat(100)}\r\n`, "line-too-long"],
    ["EHLO client.example\r\n", "not-proxy-protocol"],
    ["proxy TCP4 1.2.3.4 1.2.3.4 1 1\r\n", "not-proxy-protocol"],
  ])("refuses %j (%s)", (text, reason) => {
    const result = parseProxyHeader(ascii(text));
    expect(result.type === "error" && result.error.reason).toBe(reason);
  });

  it("refuses at the first wrong byte instead of waiting for more", () => {
    expect(createProxyProtocolParser().push(ascii("E")).type).toBe("error");
    expect(createProxyProtocolParser().push(ascii("PROX")).type).toBe("need-more");
  });

  it("refuses a line that has no CRLF within 107 bytes without waiting for more", () => {
    const result = createProxyProtocolParser().push(ascii(`PROXY UNKNOWN ${"a".repeat(93)}`));
    expect(result.type === "error" && result.error.reason).toBe("line-too-long");
  });

  it("honours the versions option", () => {
    const v1 = parseProxyHeader(ascii("PROXY UNKNOWN\r\n"), { versions: [2] });
    expect(v1.type === "error" && v1.error).toEqual({ type: "proxy-protocol-error", reason: "version-not-allowed", version: 1 });
  });
});

describe("PROXY v2 (spec §2.2)", () => {
  it("parses the header HAProxy sends for TCP over IPv4", () => {
    // Captured in seriousben/experiment-proxy-protocol's README (HAProxy send-proxy-v2, 172.19.0.1:42578 → 172.19.0.3:80).
    const bytes = Uint8Array.of(...signature, 0x21, 0x11, 0x00, 0x0c, 0xac, 0x13, 0x00, 0x01, 0xac, 0x13, 0x00, 0x03, 0xa6, 0x52, 0x00, 0x50, 0x47);
    const result = parseProxyHeader(bytes);
    expect(result).toEqual({
      type: "header",
      length: 28,
      rest: ascii("G"),
      header: {
        version: 2,
        command: "proxy",
        transport: "TCP4",
        source: { type: "inet", address: "172.19.0.1", port: 42578 },
        destination: { type: "inet", address: "172.19.0.3", port: 80 },
        tlvs: [],
      },
    });
  });

  it("accepts LOCAL and skips whatever block it carries", () => {
    const bytes = Uint8Array.of(...signature, 0x20, 0x11, 0x00, 0x03, 1, 2, 3, 0x45);
    const result = parseProxyHeader(bytes);
    expect(result.type === "header" && result.header).toMatchObject({ command: "local", transport: "UNKNOWN", source: undefined });
    expect(result.type === "header" && result.rest).toEqual(Uint8Array.of(0x45));
  });

  it("falls back to UNKNOWN for an unspecified family or transport", () => {
    const bytes = Uint8Array.of(...signature, 0x21, 0x10, 0x00, 0x0c, ...new Array<number>(12).fill(1));
    const result = parseProxyHeader(bytes);
    expect(result.type === "header" && result.header.transport).toBe("UNKNOWN");
  });

  it("keeps TLVs and checks a CRC32C TLV", () => {
    const header: ProxyHeader = {
      version: 2,
      command: "proxy",
      transport: "TCP6",
      source: { type: "inet", address: "2001:db8::1", port: 1025 },
      destination: { type: "inet", address: "2001:db8::25", port: 25 },
      tlvs: [
        { type: ProxyTlvType.AUTHORITY, value: ascii("mx.example.org") },
        { type: ProxyTlvType.UNIQUE_ID, value: Uint8Array.of(1, 2, 3) },
      ],
    };
    const bytes = encodeProxyHeader(header, { checksum: true });
    const result = parseProxyHeader(bytes);
    expect(result.type === "header" && result.header.tlvs.map((tlv) => tlv.type)).toEqual([0x02, 0x05, 0x03]);
    const corrupted = bytes.slice();
    corrupted[20] = (corrupted[20] ?? 0) ^ 0x01;
    const bad = parseProxyHeader(corrupted);
    expect(bad.type === "error" && bad.error.reason).toBe("checksum-mismatch");
  });

  it("decodes the SSL TLV (spec §2.2.6)", () => {
    const sub = (type: number, text: string): number[] => [type, 0, text.length, ...ascii(text)];
    const value = Uint8Array.of(0x07, 0, 0, 0, 0, ...sub(ProxySslSubtype.VERSION, "TLSv1.3"), ...sub(ProxySslSubtype.CIPHER, "TLS_AES_128_GCM_SHA256"), ...sub(ProxySslSubtype.CN, "client.example"));
    const header: ProxyHeader = {
      version: 2,
      command: "proxy",
      transport: "TCP4",
      source: { type: "inet", address: "192.0.2.1", port: 1 },
      destination: { type: "inet", address: "192.0.2.2", port: 25 },
      tlvs: [{ type: ProxyTlvType.SSL, value }],
    };
    const result = parseProxyHeader(encodeProxyHeader(header));
    const tlv = result.type === "header" ? result.header.tlvs[0] : undefined;
    expect(decodeProxySslTlv(tlv?.value ?? new Uint8Array(0))).toMatchObject({
      tls: true,
      certificateOnConnection: true,
      certificateInSession: true,
      certificateVerified: true,
      version: "TLSv1.3",
      cipher: "TLS_AES_128_GCM_SHA256",
      commonName: "client.example",
    });
    expect(decodeProxySslTlv(Uint8Array.of(0x01, 0, 0, 0, 1))).toMatchObject({ tls: true, certificateVerified: false, version: undefined });
    expect(decodeProxySslTlv(Uint8Array.of(0x01, 0, 0))).toBeUndefined();
    expect(decodeProxySslTlv(Uint8Array.of(0x01, 0, 0, 0, 0, 0x21, 0, 9))).toBeUndefined();
  });

  it("computes CRC32C (Castagnoli) check value", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
  });

  it.each([
    ["version 1 nibble", [0x11, 0x11, 0x00, 0x00], "invalid-version"],
    ["command 2", [0x22, 0x11, 0x00, 0x0c], "invalid-command"],
    ["family 4", [0x21, 0x41, 0x00, 0x0c], "invalid-family"],
    ["transport 3", [0x21, 0x13, 0x00, 0x0c], "invalid-family"],
    ["INET with 11 bytes", [0x21, 0x11, 0x00, 0x0b, ...new Array<number>(11).fill(0)], "address-block-too-short"],
    ["a TLV cut short", [0x21, 0x11, 0x00, 0x0e, ...new Array<number>(12).fill(0), 0x04, 0x00], "invalid-tlv"],
    ["a TLV longer than the header", [0x21, 0x11, 0x00, 0x0f, ...new Array<number>(12).fill(0), 0x04, 0x00, 0x09], "invalid-tlv"],
    ["a 3-byte CRC32C", [0x21, 0x11, 0x00, 0x12, ...new Array<number>(12).fill(0), 0x03, 0x00, 0x03, 0, 0, 0], "invalid-tlv"],
    ["a length over the bound", [0x21, 0x11, 0xff, 0xff], "header-too-long"],
  ])("refuses %s", (_, tail, reason) => {
    const result = parseProxyHeader(Uint8Array.of(...signature, ...tail));
    expect(result.type === "error" && result.error.reason).toBe(reason);
  });

  it("refuses an over-long header as soon as its length is read", () => {
    const parser = createProxyProtocolParser({ maxV2Length: 64 });
    expect(parser.push(Uint8Array.of(...signature, 0x21, 0x11, 0x00, 0x31)).type).toBe("error");
  });

  it("throws a usage error for invalid options and for pushing after the end", () => {
    expect(() => createProxyProtocolParser({ maxV2Length: 15 })).toThrow(ServerUsageError);
    expect(() => createProxyProtocolParser({ maxV2Length: 70_000 })).toThrow(ServerUsageError);
    expect(() => createProxyProtocolParser({ versions: [] })).toThrow(ServerUsageError);
    const parser = createProxyProtocolParser();
    parser.push(ascii("PROXY UNKNOWN\r\n"));
    expect(() => parser.push(ascii("x"))).toThrow(ServerUsageError);
  });
});

// --- Properties ---------------------------------------------------------------

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join("."));
const ipv6 = fc.ipV6();
const port = fc.nat(65535);
const tlv = fc.record({
  type: fc.integer({ min: 0, max: 255 }).filter((type) => type !== ProxyTlvType.CRC32C),
  value: fc.uint8Array({ maxLength: 40 }),
});

const headers: fc.Arbitrary<ProxyHeader> = fc.oneof(
  fc.record({ family: fc.constantFrom("TCP4" as const), source: ipv4, destination: ipv4, sourcePort: port, destinationPort: port, version: fc.constantFrom(1 as const, 2 as const), tlvs: fc.array(tlv, { maxLength: 4 }) }),
  fc.record({ family: fc.constantFrom("TCP6" as const, "UDP6" as const), source: ipv6, destination: ipv6, sourcePort: port, destinationPort: port, version: fc.constant(2 as const), tlvs: fc.array(tlv, { maxLength: 4 }) }),
  fc.record({ family: fc.constantFrom("TCP6" as const), source: ipv6, destination: ipv6, sourcePort: port, destinationPort: port, version: fc.constant(1 as const), tlvs: fc.constant([]) }),
).map(({ family, source, destination, sourcePort, destinationPort, version, tlvs }) => {
  // Canonical text is what the parser gives back; round-trip through it.
  const canonical = (address: string): string => {
    const parsed = parseProxyHeader(ascii(`PROXY ${family.endsWith("4") ? "TCP4" : "TCP6"} ${address} ${address} 1 1\r\n`));
    return parsed.type === "header" && parsed.header.source?.type === "inet" ? parsed.header.source.address : address;
  };
  return {
    version,
    command: "proxy",
    transport: family,
    source: { type: "inet", address: canonical(source), port: sourcePort },
    destination: { type: "inet", address: canonical(destination), port: destinationPort },
    tlvs: version === 1 ? [] : tlvs,
  } satisfies ProxyHeader;
});

describe("properties", () => {
  it("parse(encode(header)) gives the header back, whole, byte by byte and split anywhere", () => {
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (header, payload, cuts) => {
        const encoded = encodeProxyHeader(header);
        const bytes = new Uint8Array(encoded.length + payload.length);
        bytes.set(encoded);
        bytes.set(payload, encoded.length);
        const expected = { type: "header", header, rest: payload, length: encoded.length };
        const normalize = (result: ProxyParseResult): unknown =>
          result.type === "header"
            ? { ...result, rest: Array.from(result.rest), header: { ...result.header, tlvs: result.header.tlvs.map((t) => ({ type: t.type, value: Array.from(t.value) })) } }
            : result;
        const want = normalize(expected as ProxyParseResult);
        expect(normalize(feed([bytes]))).toEqual(want);
        expect(normalize(feed(byteByByte(bytes)))).toEqual(want);
        expect(normalize(feed(splitAt(bytes, cuts)))).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes give need-more, a header or a typed error, the same however they are split", () => {
    const prefixed = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((tail) => Uint8Array.of(...ascii("PROXY "), ...tail)),
      fc.uint8Array({ maxLength: 200 }).map((tail) => Uint8Array.of(...signature, ...tail)),
      fc.uint8Array({ maxLength: 120 }).map((tail) => Uint8Array.of(...signature, 0x21, 0x11, 0x00, tail.length, ...tail)),
    );
    fc.assert(
      fc.property(prefixed, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const whole = feed([bytes]);
        expect(["need-more", "header", "error"]).toContain(whole.type);
        if (whole.type === "error") expect(whole.error.type).toBe("proxy-protocol-error");
        const summary = (result: ProxyParseResult): unknown =>
          result.type === "header" ? [result.length, Array.from(result.rest)] : result.type === "error" ? result.error.reason : result.type;
        expect(summary(feed(splitAt(bytes, cuts)))).toEqual(summary(whole));
        expect(summary(feed(byteByByte(bytes)))).toEqual(summary(whole));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly the addresses Node's own parser accepts (differential, TCP4 and TCP6)", () => {
    const v4 = fc.array(fc.constantFrom("0", "1", "2", "5", "9", "25", "255", "256", "01", ".", "."), { maxLength: 9 }).map((parts) => parts.join(""));
    const v6 = fc.array(fc.constantFrom("0", "1", "a", "F", "ffff", "12345", ":", ":", "::", "1.2.3.4", "."), { maxLength: 12 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(v4, v6, (ipv4Text, ipv6Text) => {
        const four = parseProxyHeader(ascii(`PROXY TCP4 ${ipv4Text} 192.0.2.1 1 2\r\n`));
        expect(four.type === "header").toBe(isIPv4(ipv4Text));
        const six = parseProxyHeader(ascii(`PROXY TCP6 ${ipv6Text} ::1 1 2\r\n`));
        expect(six.type === "header").toBe(isIPv6(ipv6Text));
      }),
      { numRuns: 1000 },
    );
  });

  it("a v1 parser never holds more than 107 bytes undecided", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 102, maxLength: 300 }).filter((tail) => !tail.includes(0x0d) && !tail.includes(0x0a)), (tail) => {
        const result = parseProxyHeader(Uint8Array.of(...ascii("PROXY "), ...tail));
        expect(result.type).toBe("error");
      }),
    );
  });
});
