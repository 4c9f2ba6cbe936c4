// The DATA encoder's fast path (one WebAssembly pass for bare CR/LF and
// "<CRLF>.") against a byte-at-a-time reference written here: same octets,
// same NUL flag, under any chunking. Correctness only.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lineEndScanner } from "../src/byte-search.js";
import { createDataEncoder, DataEncoder, encodeData, type DataEncoderOptions } from "../src/data-encoder.js";
import { GrammarError } from "../src/errors.js";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** CRLF only (a bare CR or LF becomes CRLF), a dot at a line start doubled, then the terminator. */
function reference(content: Uint8Array): Uint8Array {
  const out: number[] = [];
  let lineStart = true;
  for (let p = 0; p < content.length; p += 1) {
    const byte = content[p] as number;
    if (lineStart && byte === DOT) out.push(DOT);
    lineStart = false;
    if (byte === CR) {
      out.push(CR, LF);
      if (content[p + 1] === LF) p += 1;
      lineStart = true;
    } else if (byte === LF) {
      out.push(CR, LF);
      lineStart = true;
    } else {
      out.push(byte);
    }
  }
  out.push(...(lineStart ? [DOT, CR, LF] : [CR, LF, DOT, CR, LF]));
  return Uint8Array.from(out);
}

function encode(chunks: readonly Uint8Array[], encoder = new DataEncoder()): { out: Uint8Array; nul: boolean } {
  const out: number[] = [];
  for (const chunk of chunks) for (const byte of encoder.push(chunk)) out.push(byte);
  const nul = encoder.containsNul;
  for (const byte of encoder.end()) out.push(byte);
  return { out: Uint8Array.from(out), nul };
}

function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, data.length]) {
    parts.push(data.subarray(previous, point));
    previous = point;
  }
  return parts;
}

const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

const body = fc.oneof(
  // Noisy: biased towards CR, LF, dots and NUL.
  fc.array(fc.constantFrom("\r", "\n", ".", "\0", "\r\n", "\r\n.", "\r\n..", "a", "bc"), { maxLength: 60 }).map((parts) => parts.join("")),
  // Mostly clean CRLF lines (the fast path), with rare flaws.
  fc
    .array(
      fc.oneof(
        { weight: 20, arbitrary: fc.tuple(fc.constantFrom("", ".", ".."), fc.string({ maxLength: 80 })).map(([dot, text]) => `${dot}${text.replace(/[\r\n]/g, "")}\r\n`) },
        { weight: 1, arbitrary: fc.constantFrom("\r", "\n", "\0", ".", "a\rb", "a\nb", "\r\r\n", "\n\r") },
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join("")),
);

describe("DATA encoder fast path against a byte-at-a-time reference", () => {
  it("the WebAssembly scanner runs here (so the fast path is what these tests exercise)", () => {
    expect(lineEndScanner()).toBeDefined();
  });

  it("same octets and NUL flag, whole, split anywhere and byte by byte", () => {
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const content = bytesOf(text);
        const expected = reference(content);
        const nul = content.includes(0);
        for (const chunks of [[content], split(content, cuts), [...content].map((byte) => Uint8Array.of(byte))]) {
          const { out, nul: flagged } = encode(chunks);
          expect(out).toEqual(expected);
          expect(flagged).toBe(nul);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("an encoder reused for a second message starts clean", () => {
    const encoder = new DataEncoder();
    encode([bytesOf("a\r\nb\r")], encoder);
    const second = bytesOf(".x\r\n.y\r\nz");
    expect(encode([second], encoder).out).toEqual(reference(second));
  });

  it("a clean chunk comes back as it is, and one larger than the scanner's memory encodes the same", () => {
    const clean = bytesOf("line one\r\nline two\r\n");
    expect(new DataEncoder().push(clean)).toBe(clean);
    const big = bytesOf(`${"some text\r\n.dot\r\n".repeat(20_000)}x\ny`);
    expect(encode([big]).out).toEqual(reference(big));
    expect(encode(split(big, [65_536, 131_072, 262_144, 300_001])).out).toEqual(reference(big));
  });
});

describe('DATA encoder nul: "reject"', () => {
  it("throws a typed error for a NUL before emitting any of that chunk, and keeps encoding after it", () => {
    const encoder = new DataEncoder({ nul: "reject" });
    expect(encoder.push(bytesOf("a\r\n"))).toEqual(bytesOf("a\r\n"));
    expect(() => encoder.push(bytesOf("b\r\n\0.\r\nMAIL FROM:<x@y>\r\n"))).toThrow(GrammarError);
    try {
      encoder.push(bytesOf("\0"));
    } catch (error) {
      expect(GrammarError.isInstance(error) && error.reason).toBe("invalid-argument");
    }
    expect(encoder.containsNul).toBe(false);
    const rest = encode([bytesOf(".c")], encoder).out;
    expect(rest).toEqual(bytesOf("..c\r\n.\r\n"));
    expect(() => encodeData(bytesOf("x\0"), { nul: "reject" })).toThrow(GrammarError);
  });

  it("refuses an unknown value; the default flags", () => {
    for (const nul of ["strip", "", "REJECT"]) {
      expect(() => new DataEncoder({ nul } as unknown as DataEncoderOptions)).toThrow(GrammarError);
      expect(() => createDataEncoder({ nul } as unknown as DataEncoderOptions)).toThrow(GrammarError);
    }
    fc.assert(
      fc.property(body, (text) => {
        const content = bytesOf(text);
        expect(encode([content], new DataEncoder({ nul: "flag" })).out).toEqual(reference(content));
        expect(encodeData(content)).toEqual(reference(content));
      }),
    );
  });

  it("dense insertions (every byte a bare CR or LF) encode like the reference", () => {
    for (const byte of [CR, LF]) {
      const content = new Uint8Array(100_000).fill(byte);
      expect(encodeData(content)).toEqual(reference(content));
    }
  });
});
