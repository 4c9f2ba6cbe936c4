// Differential property for the "unknown charset" decoding used by header
// fields and undeclared bodies: it checks UTF-8 well-formedness itself for
// short input (instead of catching a fatal TextDecoder's exception), and must
// give exactly what the runtime's fatal decoder decides.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCharset, normalizeCharset } from "@smtpkit/mime";

const fatal = new TextDecoder("utf-8", { fatal: true });

/** Reference: the runtime's fatal UTF-8 decoder, windows-1252 when it refuses the bytes. */
function reference(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    return decodeCharset(bytes, "windows-1252");
  }
}

/** Bytes that are often almost UTF-8: valid sequences, truncated ones, overlongs, surrogates, BOMs, Latin-1. */
const mostlyUtf8 = fc
  .array(
    fc.oneof(
      fc.constantFrom([0x61], [0x20], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x8e, 0x89], [0xef, 0xbb, 0xbf], [0xe9], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0x80], [0xff]),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((pieces) => Uint8Array.from(pieces.flat()));

describe("decoding text of unknown charset", () => {
  it("uses a label no table or runtime decoder knows", () => {
    expect(normalizeCharset("x-smtpkit-unknown")).toBeUndefined();
  });

  it("is UTF-8 exactly when a fatal TextDecoder accepts the bytes, else windows-1252 (short and long input)", () => {
    fc.assert(
      fc.property(mostlyUtf8, fc.nat({ max: 5000 }), (bytes, padding) => {
        expect(decodeCharset(bytes, "x-smtpkit-unknown")).toBe(reference(bytes));
        // The same bytes after an ASCII run, across the length where the implementation changes method.
        const long = new Uint8Array(padding + bytes.length).fill(0x41);
        long.set(bytes, padding);
        expect(decodeCharset(long, "x-smtpkit-unknown")).toBe(reference(long));
      }),
      { numRuns: 300 },
    );
  });
});
