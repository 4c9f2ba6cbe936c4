// The encodings: base64 for SASL (pure and native checked against each other),
// xtext (RFC 3461), utf-8-addr (RFC 6533), and the byte search behind the
// readers (pure and native checked against each other).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeBase64,
  decodeUtf8Addr,
  decodeXtext,
  encodeBase64,
  encodeUtf8AddrUnitext,
  encodeUtf8AddrXtext,
  encodeXtext,
  GrammarError,
} from "@smtpkit/grammar";
import { decodeBase64Pure, encodeBase64Pure, findNativeBase64 } from "../src/base64.js";
import { byteSearchImplementation, indexOfByte, indexOfBytePure, indexOfSequence, indexOfSequencePure } from "../src/byte-search.js";
import { utf8 } from "./helpers.js";

const native = findNativeBase64();

describe("base64", () => {
  it("matches the RFC 4648 §10 test vectors", () => {
    const vectors = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, encoded] of vectors as [string, string][]) {
      expect(encodeBase64(utf8(plain))).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(utf8(plain));
    }
  });

  it("refuses what is not canonical base64", () => {
    for (const text of ["Zg=", "Zg", "Zh==", "Zm9=", "Zm 9v", "Zm9v\r\n", "Z===", "====", "Zm9v=", "Zg==Zg==", "é===", "Zm9-"]) {
      expect(decodeBase64(text)).toBeUndefined();
      expect(decodeBase64Pure(text)).toBeUndefined();
    }
  });

  it("a native codec is found on Node, and it agrees with the pure one", () => {
    expect(native?.name).toBe("Buffer");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const encoded = encodeBase64Pure(data);
        expect(native?.encode(data)).toBe(encoded);
        expect(encodeBase64(data)).toBe(encoded);
        expect(decodeBase64Pure(encoded)).toEqual(data);
        expect(native?.decode(encoded)).toEqual(data);
      }),
      { numRuns: 500 },
    );
  });

  it("native and pure decoders accept and refuse the same strings", () => {
    const alphabet = fc.constantFrom(..."ABCDQgwxyz0189+/= \n-_".split(""));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }).map((chars) => chars.join("")), (text) => {
        expect(native?.decode(text)).toEqual(decodeBase64Pure(text));
      }),
      { numRuns: 1000 },
    );
    // Long enough for the native path through the public function.
    const long = "QUJD".repeat(40);
    expect(decodeBase64(long)).toEqual(decodeBase64Pure(long));
    expect(decodeBase64(`${long}Q===`)).toBeUndefined();
  });
});

describe("xtext (RFC 3461 §4)", () => {
  it("encodes + = and non-printables as +XX", () => {
    expect(encodeXtext("a+b=c d")).toBe("a+2Bb+3Dc+20d");
    expect(encodeXtext("plain")).toBe("plain");
    expect(encodeXtext("é")).toBe("+C3+A9");
    expect(decodeXtext("+C3+A9")).toBe("é");
  });

  it("refuses malformed xtext", () => {
    for (const text of ["a+2", "a+ZZ", "a=b", "a b", "+FF"]) expect(decodeXtext(text)).toBeUndefined();
    expect(decodeXtext("a+2b")).toBe("a+");
  });

  it("round-trips any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
        expect(decodeXtext(encodeXtext(text))).toBe(text);
      }),
    );
  });
});

describe("utf-8-addr (RFC 6533 §3)", () => {
  it("encodes non-ASCII and specials as \\x{HEX}", () => {
    expect(encodeUtf8AddrXtext("θσ@example.com")).toBe("\\x{3B8}\\x{3C3}@example.com");
    expect(encodeUtf8AddrXtext("a+b=c\\d@x")).toBe("a\\x{2B}b\\x{3D}c\\x{5C}d@x");
    expect(encodeUtf8AddrXtext("😀@x")).toBe("\\x{1F600}@x");
    expect(encodeUtf8AddrUnitext("θ+@x")).toBe("θ\\x{2B}@x");
    expect(() => encodeUtf8AddrXtext("a\r\nb@x")).toThrow(GrammarError);
  });

  it("validates escapes as the ABNF writes them", () => {
    expect(decodeUtf8Addr("\\x{E9}@x")).toBe("é@x");
    expect(decodeUtf8Addr("\\x{e9}@x")).toBe("é@x");
    for (const text of ["\\x{0D}@x", "\\x{0A}@x", "\\x{00}@x", "\\x{41}@x", "\\x{0E9}@x", "\\x{D800}@x", "\\x{110000}@x", "\\x{E9@x", "a+b@x", "a b@x", ""]) {
      expect(decodeUtf8Addr(text)).toBeUndefined();
    }
  });

  it("round-trips any address in both forms", () => {
    const address = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).filter((text) => !/[\0\r\n\x0b-\x0f\x1a-\x1f]/.test(text));
    fc.assert(
      fc.property(address, (text) => {
        expect(decodeUtf8Addr(encodeUtf8AddrXtext(text))).toBe(text);
        expect(decodeUtf8Addr(encodeUtf8AddrUnitext(text))).toBe(text);
        expect(encodeUtf8AddrXtext(text)).toMatch(/^[\x21-\x7e]*$/);
      }),
    );
  });
});

describe("byte search", () => {
  it("uses Node's native search here, and it agrees with the pure one", () => {
    expect(byteSearchImplementation).toBe("Buffer");
    const data = fc.uint8Array({ maxLength: 200 }).map((array) => array.map((byte) => byte % 4));
    fc.assert(
      fc.property(data, fc.nat(210), fc.uint8Array({ minLength: 1, maxLength: 3 }).map((n) => n.map((byte) => byte % 4)), (haystack, from, needle) => {
        expect(indexOfByte(haystack, needle[0] as number, from)).toBe(indexOfBytePure(haystack, needle[0] as number, from));
        expect(indexOfSequence(haystack, needle, from)).toBe(indexOfSequencePure(haystack, needle, from));
      }),
      { numRuns: 1000 },
    );
  });
});
