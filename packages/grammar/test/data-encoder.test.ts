// The client side of DATA: dot-stuffing, CRLF canonicalisation, the
// terminator, across any split; and the smuggling law: what the encoder sends
// holds exactly one end of data under a strict reading and under every
// lenient reading a receiver has been known to use.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommandReader, DataEncoder, createDataEncoder, encodeData } from "@smtpkit/grammar";
import { bytes, concat, latin1, referenceData, splitAt } from "./helpers.js";

const encodeChunks = (chunks: readonly Uint8Array[]): Uint8Array => {
  const encoder = new DataEncoder();
  return concat([...chunks.map((chunk) => encoder.push(chunk)), encoder.end()]);
};

/** Ends of data a lenient or broken receiver would see (the SEC Consult list). */
const lenientEnds = ["\r\n.\r\n", "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\n", "\n.\r", "\r.\r\n", "\r\n.\r"];

/** Where the first end of data is under any of those readings (the start counts as a line start), or -1. */
function firstEnd(wire: string): number {
  const text = `\r\n${wire}`;
  for (let i = 0; i < text.length; i += 1) if (lenientEnds.some((end) => text.startsWith(end, i))) return i - 2;
  return -1;
}

describe("DataEncoder", () => {
  it("stuffs dots, repairs bare line endings and terminates", () => {
    expect(latin1(encodeData(bytes("a\n.\nb\r.c\r\n.")))).toBe("a\r\n..\r\nb\r\n..c\r\n..\r\n.\r\n");
    expect(latin1(encodeData(bytes("")))).toBe(".\r\n");
    expect(latin1(encodeData(bytes(".")))).toBe("..\r\n.\r\n");
    expect(latin1(encodeData(bytes("x\r\n")))).toBe("x\r\n.\r\n");
    expect(latin1(encodeData(bytes("x\r")))).toBe("x\r\n.\r\n");
  });

  it("returns an unchanged chunk itself (no copy)", () => {
    const chunk = bytes("Subject: hi\r\n\r\nplain text\r\n");
    expect(new DataEncoder().push(chunk)).toBe(chunk);
  });

  it("handles a CRLF split across chunks, and a dot after it", () => {
    expect(latin1(encodeChunks([bytes("a\r"), bytes("\n.b")]))).toBe("a\r\n..b\r\n.\r\n");
    expect(latin1(encodeChunks([bytes("a\r"), bytes(".b")]))).toBe("a\r\n..b\r\n.\r\n");
    expect(latin1(encodeChunks([bytes("a\r\n"), bytes(".")]))).toBe("a\r\n..\r\n.\r\n");
  });

  it("flags NUL (refused by RFC 5322 §2.3) without altering it", () => {
    const encoder = createDataEncoder();
    expect(latin1(encoder.push(bytes("a\x00b\r\n")))).toBe("a\x00b\r\n");
    expect(encoder.containsNul).toBe(true);
    encoder.end();
    expect(encoder.containsNul).toBe(true);
    encoder.push(bytes("clean\r\n"));
    expect(encoder.containsNul).toBe(false);
  });

  it("gives the same bytes whole, byte by byte and in any split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", ".", "\r", "\n", "\r\n", "..", "\x00"), { maxLength: 40 }).chain((parts) => {
          const data = bytes(parts.join(""));
          return fc.tuple(fc.constant(data), fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, data.length - 1) }), { maxLength: 8 }));
        }),
        ([data, cuts]) => {
          const whole = latin1(encodeChunks([data]));
          expect(latin1(encodeChunks([...data].map((byte) => Uint8Array.of(byte))))).toBe(whole);
          expect(latin1(encodeChunks(splitAt(data, cuts.filter((cut) => cut < data.length).sort((a, b) => a - b))))).toBe(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the smuggling law: exactly one end of data, at the end, under strict and lenient readings", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", ".", "\r", "\n", "\r\n", ".\r\n", "\n.\n", "\r.\r", "\x00"), { maxLength: 40 }), (parts) => {
        const wire = latin1(encodeData(bytes(parts.join(""))));
        expect(wire).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
        // No reading finds an end before the real terminator (the last five octets, or three for an empty body).
        expect(firstEnd(wire)).toBe(wire.length === 3 ? -2 : wire.length - 5);
        expect(`\r\n${wire}`.endsWith("\r\n.\r\n")).toBe(true);
        expect(referenceData(bytes(wire)).consumed).toBe(wire.length);
      }),
      { numRuns: 500 },
    );
  });

  it("the reader undoes the encoder: content with CRLF endings comes back unchanged", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", ".", "..", " ", "\r\n", ".\r\n"), { maxLength: 40 }), (parts) => {
        let body = parts.join("");
        if (body !== "" && !body.endsWith("\r\n")) body += "\r\n";
        const reader = new CommandReader();
        reader.expectData();
        let content = "";
        let ended = 0;
        for (const event of reader.push(encodeData(bytes(body)))) {
          if (event.type === "data-chunk") content += latin1(event.data);
          if (event.type === "data-end") {
            ended += 1;
            expect(event.violation).toBeUndefined();
          }
        }
        expect(ended).toBe(1);
        expect(content).toBe(body);
      }),
      { numRuns: 300 },
    );
  });
});
