// Review findings fixed in the DATA scanner and encoder: hostile runs of bare
// line endings under normalize and in the encoder cost bounded time and heap,
// and the encoder can refuse NUL (the scanners' <CRLF><NUL>.<CRLF> probe
// would otherwise reach a NUL-dropping receiver as an end of data).
import { describe, expect, it } from "vitest";
import { CommandReader, DataEncoder, encodeData, GrammarError, type DataEncoderOptions } from "@smtpkit/grammar";
import { bytes, latin1 } from "./helpers.js";

function heapAfter(action: () => unknown): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const keep = action();
  const after = process.memoryUsage().heapUsed;
  expect(keep).toBeDefined();
  return after - before;
}

describe("normalize: hostile runs of bare line endings cost bounded time and memory", () => {
  for (const byte of [0x0d, 0x0a]) {
    it(`4 MB of ${byte === 0x0d ? "bare CRs" : "bare LFs"} in 64 KiB pushes: under 3 s (it took 5–9 s) and under 64 MB of heap`, () => {
      const reader = new CommandReader({ bareLineEndings: "normalize" });
      reader.expectData();
      const chunk = new Uint8Array(65_536).fill(byte);
      const start = performance.now();
      let size = 0;
      const growth = heapAfter(() => {
        for (let i = 0; i < 64; i += 1) for (const event of reader.push(chunk)) if (event.type === "data-chunk") size += event.data.length;
        return size;
      });
      const end = reader.push(bytes("\r\n.\r\n"));
      expect(performance.now() - start).toBeLessThan(3000);
      expect(growth).toBeLessThan(64 * 1024 * 1024);
      expect(end.at(-1)?.type).toBe("data-end");
      expect(size).toBe(2 * 64 * 65_536 - (byte === 0x0d ? 1 : 0));
    });
  }
});

describe("DataEncoder: hostile content", () => {
  it("4 MB of bare CRs encodes in under 3 s and without a per-insertion array", () => {
    const content = new Uint8Array(4 * 1024 * 1024).fill(0x0d);
    const start = performance.now();
    let length = 0;
    const growth = heapAfter(() => {
      length = encodeData(content).length;
      return length;
    });
    expect(performance.now() - start).toBeLessThan(3000);
    expect(length).toBe(2 * content.length + 3);
    // The output itself is 8 MB (outside the JS heap); the rest must stay small.
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });

  it('nul: "reject" refuses a NUL before emitting anything of the chunk, so <CRLF><NUL>.<CRLF> is never sent', () => {
    const encoder = new DataEncoder({ nul: "reject" });
    expect(latin1(encoder.push(bytes("Subject: x\r\n\r\n")))).toBe("Subject: x\r\n\r\n");
    let error: unknown;
    try {
      encoder.push(bytes("a\r\n\x00.\r\nMAIL FROM:<evil@example.com>\r\n"));
    } catch (caught) {
      error = caught;
    }
    expect(GrammarError.isInstance(error) && error.reason).toBe("invalid-argument");
    expect(() => new DataEncoder({ nul: "strip" } as unknown as DataEncoderOptions)).toThrow();
    expect(() => encodeData(bytes("a\x00"), { nul: "reject" })).toThrow();
    // The default still flags, for API stability.
    const flagging = new DataEncoder();
    flagging.push(bytes("\x00"));
    expect(flagging.containsNul).toBe(true);
  });
});
