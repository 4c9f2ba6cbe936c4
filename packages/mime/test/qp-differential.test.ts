// Differential properties for the quoted-printable codecs: the optimised
// implementations (run scanning, look-back for trailing whitespace, a
// precomputed escape table) against plain byte-at-a-time references written
// here from RFC 2045 §6.7 and the lenient rules in the module notes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createQuotedPrintableDecoder, createQuotedPrintableEncoder, quotedPrintableDecode, quotedPrintableEncode } from "@smtpkit/mime";
import { bytesOf, concat, splitAt } from "./helpers.js";

const maxTrailing = 998;
const isBlank = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09;
const hex = (byte: number | undefined): number => {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
};

/** Reference decoder: one byte at a time, whole input. */
function referenceDecode(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  let blanks = 0; // literal spaces and tabs ending the output
  let index = 0;
  while (index < input.length) {
    const byte = input[index] as number;
    if (byte === 0x3d) {
      let next = index + 1;
      while (next < input.length && next - index <= maxTrailing && isBlank(input[next])) next++;
      if (next === input.length || input[next] === 0x0a || (input[next] === 0x0d && input[next + 1] === 0x0a)) {
        index = next === input.length ? next : input[next] === 0x0a ? next + 1 : next + 2; // soft line break
      } else if (hex(input[index + 1]) >= 0 && hex(input[index + 2]) >= 0) {
        out.push(hex(input[index + 1]) * 16 + hex(input[index + 2]));
        index += 3;
      } else {
        out.push(byte);
        index++;
      }
      blanks = 0;
    } else if (byte === 0x0a || (byte === 0x0d && input[index + 1] === 0x0a)) {
      if (blanks <= maxTrailing) out.length -= blanks;
      out.push(0x0d, 0x0a);
      index += byte === 0x0a ? 1 : 2;
      blanks = 0;
    } else {
      blanks = isBlank(byte) ? blanks + 1 : 0;
      out.push(byte);
      index++;
    }
  }
  if (blanks <= maxTrailing) out.length -= blanks;
  return Uint8Array.from(out);
}

/** Reference encoder, text mode: one byte at a time. */
function referenceEncode(input: Uint8Array, lineLength = 76, binary = false): string {
  let out = "";
  let column = 0;
  const put = (token: string): void => {
    if (column + token.length > lineLength - 1) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.length;
  };
  const escape = (byte: number): void => put(`=${byte.toString(16).toUpperCase().padStart(2, "0")}`);
  for (let index = 0; index < input.length; index++) {
    const byte = input[index] as number;
    const next = input[index + 1];
    if (!binary && byte === 0x0d && next === 0x0a) {
      out += "\r\n";
      column = 0;
      index++;
    } else if (isBlank(byte)) {
      if (next === undefined || next === 0x0d || next === 0x0a) escape(byte);
      else put(String.fromCharCode(byte));
    } else if (byte >= 33 && byte <= 126 && byte !== 0x3d && !(byte === 0x2e && column === 0)) {
      put(String.fromCharCode(byte));
    } else {
      escape(byte);
    }
  }
  return out;
}

const qpish = fc
  .array(fc.constantFrom("a", "word ", "=", "=3D", "=c3=A9", "=\r\n", "=\n", "= \t\r\n", " ", "\t", "  \r\n", "\r\n", "\n", "\r", "=G1", "\xe9", "=\r", " ".repeat(999)), {
    maxLength: 60,
  })
  .map((parts) => bytesOf(parts.join("")));

/** Input without any "=": often needs no decoding at all (the decoder copies it whole), sometimes does (bare LF, trailing blanks). */
const plainish = fc
  .array(fc.constantFrom("a", "word ", "Zz", " ", "\t", "  \r\n", "\r\n", "\r\n", "\r\n", "\n", "\r", "\xe9"), { maxLength: 40 })
  .map((parts) => bytesOf(parts.join("")));

const textish = fc
  .array(fc.constantFrom("a", "Some words, ", ".", "=", " ", "\t", "\r\n", "\r", "\n", "\xe9", "\x00", "x".repeat(90)), { maxLength: 60 })
  .map((parts) => bytesOf(parts.join("")));

describe("quoted-printable codecs against byte-at-a-time references", () => {
  it("decoding, whole and in arbitrary chunks, equals the reference", () => {
    fc.assert(
      fc.property(qpish, fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        const want = referenceDecode(input);
        expect(quotedPrintableDecode(input)).toEqual(want);
        const decoder = createQuotedPrintableDecoder();
        const pieces = splitAt(input, cuts.map((cut) => cut % (input.length + 1))).map((chunk) => decoder.update(chunk));
        pieces.push(decoder.finish());
        expect(concat(pieces)).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it("decoding text without escapes, whole and in arbitrary chunks, equals the reference", () => {
    fc.assert(
      fc.property(plainish, fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        const want = referenceDecode(input);
        const whole = quotedPrintableDecode(input);
        expect(whole).toEqual(want);
        // Never a view of the caller's bytes.
        if (whole.length > 0) expect(whole.buffer).not.toBe(input.buffer);
        const decoder = createQuotedPrintableDecoder();
        const pieces = splitAt(input, cuts.map((cut) => cut % (input.length + 1))).map((chunk) => decoder.update(chunk));
        pieces.push(decoder.finish());
        expect(concat(pieces)).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it("encoding, whole and in arbitrary chunks, equals the reference (text and binary modes, any line length)", () => {
    fc.assert(
      fc.property(textish, fc.integer({ min: 4, max: 76 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (input, lineLength, binary, cuts) => {
        const mode = binary ? "binary" : "text";
        const want = referenceEncode(input, lineLength, binary);
        expect(quotedPrintableEncode(input, { lineLength, mode })).toBe(want);
        const encoder = createQuotedPrintableEncoder({ lineLength, mode });
        const pieces = splitAt(input, cuts.map((cut) => cut % (input.length + 1))).map((chunk) => encoder.update(chunk));
        expect(pieces.join("") + encoder.finish()).toBe(want);
      }),
      { numRuns: 400 },
    );
  });
});
