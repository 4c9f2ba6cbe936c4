// The pure hash functions against published vectors, and against node:crypto
// on arbitrary inputs.
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pureSaslCrypto } from "@smtpkit/session";

const ascii = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const repeat = (byte: number, length: number) => new Uint8Array(length).fill(byte);
const counting = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe("MD5 (RFC 1321 §A.5 test suite)", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
  ];
  it.each(suite)("MD5(%j)", (input, digest) => {
    expect(hex(pureSaslCrypto.md5(ascii(input)))).toBe(digest);
  });
});

describe("SHA-256 (FIPS 180-2 appendix B examples)", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
  ])("SHA-256(%j)", (input, digest) => {
    expect(hex(pureSaslCrypto.sha256(ascii(input)))).toBe(digest);
  });
  it("hashes one million 'a'", () => {
    expect(hex(pureSaslCrypto.sha256(repeat(0x61, 1_000_000)))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });
});

describe("HMAC-MD5 (RFC 2202 §2)", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [repeat(0x0b, 16), ascii("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"],
    [ascii("Jefe"), ascii("what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738"],
    [repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"],
    [counting(1, 25), repeat(0xcd, 50), "697eaf0aca3a3aea3a75164746ffaa79"],
    [repeat(0x0c, 16), ascii("Test With Truncation"), "56461ef2342edc00f9bab995690efd4c"],
    [repeat(0xaa, 80), ascii("Test Using Larger Than Block-Size Key - Hash Key First"), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"],
    [repeat(0xaa, 80), ascii("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"), "6f630fad67cda0ee1fb1f562db3aa53e"],
  ];
  it.each(cases.map((entry, index) => [index + 1, ...entry] as const))("test case %i", (_, key, data, digest) => {
    expect(hex(pureSaslCrypto.hmacMd5(key, data))).toBe(digest);
  });
});

describe("HMAC-SHA-256 (RFC 4231 §4)", () => {
  const cases: [number, Uint8Array, Uint8Array, string][] = [
    [1, repeat(0x0b, 20), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [2, ascii("Jefe"), ascii("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [3, repeat(0xaa, 20), repeat(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    [4, counting(1, 25), repeat(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    [6, repeat(0xaa, 131), ascii("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
    [
      7,
      repeat(0xaa, 131),
      ascii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  it.each(cases)("test case %i", (_, key, data, digest) => {
    expect(hex(pureSaslCrypto.hmacSha256(key, data))).toBe(digest);
  });
});

describe("PBKDF2-HMAC-SHA-256", () => {
  it("derives RFC 7677's SaltedPassword (via the SCRAM example, see sasl-rfc-examples) and RFC 7914 §11's first vector", () => {
    // RFC 7914 §11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1, dkLen=64).
    expect(hex(pureSaslCrypto.pbkdf2Sha256(ascii("passwd"), ascii("salt"), 1, 64))).toBe(
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    );
  });

  it("matches node:crypto for arbitrary passwords, salts, counts and lengths", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        (password, salt, iterations, length) => {
          const expected = pbkdf2Sync(password, salt, iterations, length, "sha256");
          expect(hex(pureSaslCrypto.pbkdf2Sha256(password, salt, iterations, length))).toBe(expected.toString("hex"));
        },
      ),
    );
  });
});

describe("the pure functions agree with node:crypto on arbitrary input", () => {
  // Lengths around the 55/56/64-byte padding boundaries matter most.
  const data = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 50, max: 130 }).map((length) => repeat(0x5a, length)));

  it("MD5 and SHA-256", () => {
    fc.assert(
      fc.property(data, (input) => {
        expect(hex(pureSaslCrypto.md5(input))).toBe(createHash("md5").update(input).digest("hex"));
        expect(hex(pureSaslCrypto.sha256(input))).toBe(createHash("sha256").update(input).digest("hex"));
      }),
      { numRuns: 300 },
    );
  });

  it("HMAC-MD5 and HMAC-SHA-256, with keys shorter and longer than a block", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), data, (key, input) => {
        expect(hex(pureSaslCrypto.hmacMd5(key, input))).toBe(createHmac("md5", key).update(input).digest("hex"));
        expect(hex(pureSaslCrypto.hmacSha256(key, input))).toBe(createHmac("sha256", key).update(input).digest("hex"));
      }),
      { numRuns: 300 },
    );
  });
});
