import { describe, expect, it } from "vitest";
import { decodeCharset, normalizeCharset } from "@smtpkit/mime";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const codePoints = (text: string): number[] => Array.from(text, (char) => char.codePointAt(0) as number);

// Spot checks from the published tables: unicode.org MAPPINGS/VENDORS/MICSFT/WINDOWS/CP125x.TXT,
// MAPPINGS/ISO8859/8859-x.TXT, RFC 1489 (KOI8-R), RFC 2319 (KOI8-U) and the WHATWG Encoding
// Standard indexes (index-windows-1252.txt ...), checked by hand against those documents.
const published: [string, number, number][] = [
  ["windows-1252", 0x80, 0x20ac],
  ["windows-1252", 0x85, 0x2026],
  ["windows-1252", 0x93, 0x201c],
  ["windows-1252", 0x94, 0x201d],
  ["windows-1252", 0x96, 0x2013],
  ["windows-1252", 0x97, 0x2014],
  ["windows-1252", 0x9f, 0x0178],
  ["windows-1252", 0x81, 0x0081], // undefined in CP1252.TXT; WHATWG maps it to U+0081
  ["windows-1252", 0xe9, 0x00e9],
  ["windows-1250", 0x8a, 0x0160],
  ["windows-1250", 0xb9, 0x0105],
  ["windows-1251", 0x80, 0x0402],
  ["windows-1251", 0xc0, 0x0410],
  ["windows-1251", 0xff, 0x044f],
  ["windows-1253", 0xc1, 0x0391],
  ["windows-1254", 0xd0, 0x011e],
  ["windows-1255", 0xe0, 0x05d0],
  ["windows-1256", 0xc7, 0x0627],
  ["windows-1257", 0xc0, 0x0104],
  ["windows-1258", 0xd2, 0x0309],
  ["windows-874", 0xa1, 0x0e01],
  ["iso-8859-2", 0xa1, 0x0104],
  ["iso-8859-2", 0xb5, 0x013e],
  ["iso-8859-3", 0xa5, 0xfffd], // unassigned
  ["iso-8859-4", 0xa2, 0x0138],
  ["iso-8859-5", 0xb0, 0x0410],
  ["iso-8859-6", 0xc7, 0x0627],
  ["iso-8859-7", 0xc1, 0x0391],
  ["iso-8859-8", 0xe0, 0x05d0],
  ["iso-8859-10", 0xa1, 0x0104],
  ["iso-8859-13", 0xa1, 0x201d],
  ["iso-8859-14", 0xa1, 0x1e02],
  ["iso-8859-15", 0xa4, 0x20ac],
  ["iso-8859-15", 0xbd, 0x0153],
  ["iso-8859-16", 0xa4, 0x20ac],
  ["koi8-r", 0xc1, 0x0430],
  ["koi8-r", 0xe1, 0x0410],
  ["koi8-r", 0x80, 0x2500],
  ["koi8-u", 0xa4, 0x0454],
  ["koi8-u", 0xae, 0x045e], // WHATWG KOI8-U is KOI8-RU here
  ["ibm866", 0x80, 0x0410],
  ["macintosh", 0x80, 0x00c4],
];

describe("single-byte charsets", () => {
  it("match the published tables", () => {
    for (const [charset, byte, codePoint] of published) {
      expect([charset, byte, codePoints(decodeCharset(bytes(byte), charset))]).toEqual([charset, byte, [codePoint]]);
    }
  });

  it("decode windows-1252 smart quotes correctly, unlike Node 20's TextDecoder (nodejs/node#60888)", () => {
    const input = bytes(0x93, 0x68, 0x69, 0x94, 0x20, 0x96, 0x20, 0x80);
    expect(decodeCharset(input, "windows-1252")).toBe("\u201chi\u201d \u2013 \u20ac");
    // ISO-8859-1 and US-ASCII labels mean windows-1252 (WHATWG), as mail readers treat them.
    expect(decodeCharset(input, "ISO-8859-1")).toBe("\u201chi\u201d \u2013 \u20ac");
    expect(decodeCharset(input, "us-ascii")).toBe("\u201chi\u201d \u2013 \u20ac");
  });

  it("agree with the runtime's TextDecoder on every byte except where the published tables say otherwise", () => {
    const all = Uint8Array.from({ length: 256 }, (_, index) => index);
    const names = ["windows-1250", "windows-1251", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257", "windows-1258", "windows-874", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15", "koi8-r", "koi8-u", "ibm866", "macintosh"];
    const differing: string[] = [];
    for (const name of names) {
      const ours = decodeCharset(all, name);
      const runtime = new TextDecoder(name).decode(all);
      for (let byte = 0; byte < 256; byte++) {
        if (ours[byte] !== runtime[byte]) differing.push(`${name} ${byte.toString(16)}`);
      }
    }
    // Where Node 20 differs, the published tables are on our side:
    // - windows-1253 0xAA is undefined in CP1253.TXT (Node's ICU table gives U+00AA);
    // - windows-874 0xDB-0xDE and 0xFC-0xFF are undefined in CP874.TXT and in WHATWG's
    //   index-windows-874 (Node gives private-use code points U+F8C1-U+F8C8);
    // - koi8-u 0xAE/0xBE: WHATWG's KOI8-U carries the KOI8-RU letters U+045E/U+040E where
    //   Node has RFC 2319's box-drawing characters; we follow the Encoding Standard;
    // - ibm866 0x1A, 0x1C, 0x7F: Node's ICU table remaps these ASCII bytes to graphic symbols;
    //   WHATWG (and every mail reader) keeps ASCII as ASCII.
    expect(differing).toEqual([
      "windows-1253 aa",
      "windows-874 db",
      "windows-874 dc",
      "windows-874 dd",
      "windows-874 de",
      "windows-874 fc",
      "windows-874 fd",
      "windows-874 fe",
      "windows-874 ff",
      "koi8-u ae",
      "koi8-u be",
      "ibm866 1a",
      "ibm866 1c",
      "ibm866 7f",
    ]);
  });

  it("decode ISO-8859-16, which Node 20's TextDecoder does not support at all", () => {
    expect(() => new TextDecoder("iso-8859-16")).toThrow();
    expect(decodeCharset(bytes(0xa4, 0xaa, 0xba), "iso-8859-16")).toBe("\u20ac\u0218\u0219");
  });

  it("is the identity on ASCII for every table", () => {
    const ascii = Uint8Array.from({ length: 128 }, (_, index) => index);
    for (const name of ["windows-1252", "iso-8859-2", "koi8-r", "macintosh"]) {
      expect(decodeCharset(ascii, name)).toBe(String.fromCharCode(...ascii));
    }
  });
});

describe("charset labels", () => {
  it("normalizes WHATWG labels and mail aliases", () => {
    expect(normalizeCharset("UTF8")).toBe("utf-8");
    expect(normalizeCharset('"utf-8"')).toBe("utf-8");
    expect(normalizeCharset("latin1")).toBe("windows-1252");
    expect(normalizeCharset("cp1251")).toBe("windows-1251");
    expect(normalizeCharset("win-1252")).toBe("windows-1252");
    expect(normalizeCharset("ks_c_5601-1987")).toBe("euc-kr");
    expect(normalizeCharset("utf-8*en")).toBe("utf-8");
    expect(normalizeCharset("x-no-such-charset")).toBeUndefined();
  });

  it("falls back to UTF-8, then windows-1252, for unknown labels, and never throws", () => {
    expect(decodeCharset(new TextEncoder().encode("Café"), "x-unknown")).toBe("Café");
    expect(decodeCharset(bytes(0x43, 0x61, 0x66, 0xe9), "x-unknown")).toBe("Café");
    expect(decodeCharset(bytes(0xff, 0xfe), "utf-8")).toBe("\ufffd\ufffd");
  });

  it("decodes multi-byte charsets through the runtime", () => {
    expect(decodeCharset(bytes(0x82, 0xa0), "shift_jis")).toBe("あ");
    expect(decodeCharset(bytes(0xb0, 0xa1), "gb2312")).toBe("啊");
    expect(decodeCharset(bytes(0x1b, 0x24, 0x42, 0x24, 0x22, 0x1b, 0x28, 0x42), "iso-2022-jp")).toBe("あ");
  });
});
