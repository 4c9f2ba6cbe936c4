import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MimeError,
  createQuotedPrintableDecoder,
  createQuotedPrintableEncoder,
  quotedPrintableDecode,
  quotedPrintableEncode,
} from "@smtpkit/mime";
import { byteByByte, bytesOf, concat, cutPoints, latin1Of, splitAt } from "./helpers.js";

const text = (bytes: Uint8Array): string => latin1Of(bytes);

function decodeChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const decoder = createQuotedPrintableDecoder();
  const out = chunks.map((chunk) => decoder.update(chunk));
  out.push(decoder.finish());
  return concat(out);
}

/** Quoted-printable-ish input: escapes, soft breaks, whitespace, line ends and junk. */
const qpish = fc
  .array(fc.constantFrom("a", "=", "=3D", "=3d", "=C3=A9", "=\r\n", "=\n", "= \r\n", " ", "\t", "\r\n", "\n", "\r", "=G1", "Z", "=\r"), {
    maxLength: 80,
  })
  .map((parts) => bytesOf(parts.join("")));

describe("quoted-printable decoding (RFC 2045 §6.7)", () => {
  it("decodes escapes in either case, soft breaks, and keeps invalid escapes", () => {
    expect(new TextDecoder().decode(quotedPrintableDecode("Caf=C3=A9 au=\r\n lait"))).toBe("Café au lait");
    expect(text(quotedPrintableDecode("a=3db=3Dc"))).toBe("a=b=c");
    expect(text(quotedPrintableDecode("=G1 and =4"))).toBe("=G1 and =4");
    expect(text(quotedPrintableDecode("soft=  \r\nbreak"))).toBe("softbreak");
  });

  it("makes hard line breaks CRLF and removes trailing whitespace (rule 3)", () => {
    expect(text(quotedPrintableDecode("one  \ntwo\t\r\nthree"))).toBe("one\r\ntwo\r\nthree");
    expect(text(quotedPrintableDecode("keep=20\r\n"))).toBe("keep \r\n");
  });

  it("LF and CRLF input decode to the same bytes", () => {
    fc.assert(
      fc.property(qpish, (input) => {
        const lf = bytesOf(text(input).replace(/\r/g, ""));
        const crlf = bytesOf(text(lf).replace(/\n/g, "\r\n"));
        expect(quotedPrintableDecode(lf)).toEqual(quotedPrintableDecode(crlf));
      }),
    );
  });

  it("the incremental decoder gives the one-shot result for any chunking", () => {
    fc.assert(
      fc.property(fc.oneof(qpish, fc.uint8Array({ maxLength: 120 })), cutPoints, (input, cuts) => {
        const expected = quotedPrintableDecode(input);
        expect(decodeChunks([input])).toEqual(expected);
        expect(decodeChunks(splitAt(input, cuts))).toEqual(expected);
        expect(decodeChunks(byteByByte(input))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps an over-long whitespace run (bounded memory) the same way whole and chunked", () => {
    const input = bytesOf(`a${" ".repeat(1500)}\r\nb`);
    const expected = quotedPrintableDecode(input);
    expect(expected.length).toBe(1 + 1500 + 3);
    expect(decodeChunks(splitAt(input, [700, 1300]))).toEqual(expected);
  });
});

describe("quoted-printable encoding", () => {
  it("encodes → decodes to the same bytes for any input (binary mode) and keeps lines within 76", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const encoded = quotedPrintableEncode(bytes, { mode: "binary" });
        for (const line of encoded.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
        expect(encoded).toMatch(/^[\t\x20-\x7e\r\n]*$/);
        expect(quotedPrintableDecode(encoded)).toEqual(bytes);
      }),
    );
  });

  it("text mode: CRLF is a hard break, everything round-trips", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", " ", "\t", "\r\n", "\r", "\n", "é", "=", ".", "x".repeat(90)), { maxLength: 40 }), (parts) => {
        const bytes = bytesOf(parts.join(""));
        const encoded = quotedPrintableEncode(bytes);
        for (const line of encoded.split("\r\n")) {
          expect(line.length).toBeLessThanOrEqual(76);
          expect(line.endsWith(" ") || line.endsWith("\t")).toBe(false);
        }
        expect(quotedPrintableDecode(encoded)).toEqual(bytes);
      }),
    );
  });

  it("the incremental encoder's pieces join to the one-shot encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutPoints, fc.constantFrom("text" as const, "binary" as const), (bytes, cuts, mode) => {
        const encoder = createQuotedPrintableEncoder({ mode });
        const pieces = splitAt(bytes, cuts).map((chunk) => encoder.update(chunk)).join("") + encoder.finish();
        expect(pieces).toBe(quotedPrintableEncode(bytes, { mode }));
      }),
    );
  });

  it("writes readable text", () => {
    expect(quotedPrintableEncode(bytesOf("Café"))).toBe("Caf=C3=A9");
    expect(quotedPrintableEncode(bytesOf("a \r\nb"))).toBe("a=20\r\nb");
    expect(quotedPrintableEncode(bytesOf(".\r\n"))).toBe("=2E\r\n");
  });

  it("rejects an invalid line length with a typed error", () => {
    expect(() => quotedPrintableEncode(new Uint8Array(1), { lineLength: 77 })).toThrow(MimeError);
    expect(() => createQuotedPrintableEncoder({ lineLength: 2 })).toThrow(MimeError);
  });
});
