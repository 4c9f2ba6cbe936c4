// The runner reads hostile bytes: how a server's bytes are split must not
// change its verdict, and random bytes give a report or a ConformanceError,
// never another exception, never a hang.
import fc from "fast-check";
import { ConformanceError, formatReport, formatTranscript, runConformance, type ConformanceConnection, type ConformanceTransport, type TransportRead } from "@smtpkit/testkit";
import { describe, expect, it } from "vitest";

/**
 * A server that answers the first write (EHLO) with `ehlo`, after sending
 * `greeting`; every answer is cut at the given offsets, one piece per read.
 */
function scriptedTransport(greeting: Uint8Array, ehlo: Uint8Array, cuts: readonly number[]): ConformanceTransport {
  const pieces = (bytes: Uint8Array): Uint8Array[] => {
    const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
    const out: Uint8Array[] = [];
    let start = 0;
    for (const offset of [...offsets, bytes.length]) {
      if (offset > start) out.push(bytes.subarray(start, offset));
      start = Math.max(start, offset);
    }
    return out;
  };
  return {
    label: "scripted",
    async connect(): Promise<ConformanceConnection> {
      const queue: Uint8Array[] = pieces(greeting);
      let writes = 0;
      return {
        async write() {
          writes += 1;
          if (writes === 1) queue.push(...pieces(ehlo));
        },
        async read(): Promise<TransportRead> {
          const next = queue.shift();
          return next === undefined ? { type: "timeout" } : { type: "data", bytes: next };
        },
        async startTls() {},
        close() {},
      };
    },
  };
}

const encoder = new TextEncoder();
const skipAll = { skip: ["sessions", "smuggling", "starttls-injection", "pipelining"] as const, ratePerSecond: 10_000, timeouts: { reply: 2000, quiet: 1, close: 1 } };
// (The scripted transport answers "timeout" at once when it has nothing, so a long reply timeout costs nothing:
// it only has to outlast a reply read one byte per call.)

async function verdict(greeting: Uint8Array, ehlo: Uint8Array, cuts: readonly number[]): Promise<unknown> {
  try {
    const report = await runConformance({ transport: scriptedTransport(greeting, ehlo, cuts), seed: 1, ...skipAll });
    return { server: report.server, findings: report.findings.map((finding) => [finding.rule, finding.summary]) };
  } catch (error) {
    if (ConformanceError.isInstance(error)) return { error: error.reason };
    throw error;
  }
}

const replyText = fc.stringMatching(/^[ -~]{0,30}$/);
const ehloLines = fc.array(fc.oneof(fc.constantFrom("PIPELINING", "SIZE 1000", "8BITMIME", "_BAD", "", "X  Y"), replyText), { maxLength: 6 });
const lineEnd = fc.constantFrom("\r\n", "\n");

describe("reading replies", () => {
  it("the verdict on a greeting and an EHLO reply does not depend on how their bytes are split", async () => {
    await fc.assert(
      fc.asyncProperty(ehloLines, lineEnd, fc.array(fc.nat(), { maxLength: 12 }), async (lines, end, cuts) => {
        const greeting = encoder.encode(`220 mx.example.test ESMTP${end}`);
        const all = ["mx.example.test", ...lines];
        const ehlo = encoder.encode(all.map((line, index) => `250${index === all.length - 1 ? " " : "-"}${line}${end}`).join(""));
        const whole = await verdict(greeting, ehlo, []);
        const byteByByte = await verdict(greeting, ehlo, Array.from({ length: Math.max(greeting.length, ehlo.length) }, (_, index) => index));
        const split = await verdict(greeting, ehlo, cuts);
        expect(byteByByte).toEqual(whole);
        expect(split).toEqual(whole);
      }),
      { numRuns: 60, seed: 11 },
    );
  });

  it("a bad EHLO keyword and bare LF line ends are found whatever the split", async () => {
    const greeting = encoder.encode("220 mx.example.test\n");
    const ehlo = encoder.encode("250-mx.example.test\r\n250 _BAD\r\n");
    const result = (await verdict(greeting, ehlo, [3, 7])) as { findings: [string, string][] };
    expect(result.findings.map(([rule]) => rule)).toContain("ehlo-keyword");
  });

  it("random bytes give a report or a ConformanceError, never another exception, never a hang", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), async (greeting, ehlo, cuts) => {
        const result = await verdict(greeting, ehlo, cuts);
        expect(result).toBeTypeOf("object");
      }),
      { numRuns: 150, seed: 12 },
    );
  });

  it("SMTP-ish bytes (reply codes, separators, line ends) get past the code, and still never throw", async () => {
    const piece = fc.constantFrom("250", "220", "-", " ", "\r\n", "\n", "\r", "5.0.0", "2.1.0", "x", "\t", "\u0000", "999", "25");
    const smtpish = fc.array(piece, { maxLength: 40 }).map((parts) => encoder.encode(parts.join("")));
    await fc.assert(
      fc.asyncProperty(smtpish, smtpish, async (greeting, ehlo) => {
        expect(await verdict(greeting, ehlo, [])).toBeTypeOf("object");
      }),
      { numRuns: 150, seed: 13 },
    );
  });

  it("a 220 greeting with a control character is a reply-syntax finding, and the run goes on", async () => {
    const greeting = encoder.encode("220 evil\x1b[2J ESMTP\r\n");
    const ehlo = encoder.encode("250-mx.example.test\r\n250 PIPELINING\r\n");
    const report = await runConformance({ transport: scriptedTransport(greeting, ehlo, []), seed: 1, ...skipAll });
    expect(report.findings.map((finding) => finding.rule)).toEqual(["reply-syntax"]);
    expect(report.server.ehlo).toEqual(["250-mx.example.test", "250 PIPELINING"]);
    // Printed, the escape stays visible text: it cannot clear a terminal.
    const text = formatReport(report, "text");
    expect(text).not.toContain("\x1b");
    expect(text).toContain("\\x1b[2J");
  });

  it("a refused greeting's text in the error is escaped and bounded", async () => {
    const greeting = encoder.encode(`554 \x1b[31mred\x07${"x".repeat(5000)}\r\n`);
    const error = await runConformance({ transport: scriptedTransport(greeting, new Uint8Array(), []), seed: 1, ...skipAll }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(ConformanceError.isInstance(error) && error.reason).toBe("no-session");
    const message = (error as Error).message;
    expect(message).toMatch(/^the server greeted with 554: /);
    expect(message).not.toMatch(/[\x00-\x1f]/);
    expect(message).toContain("\\x1b[31mred\\x07");
    expect(message.length).toBeLessThan(400);
  });

  it("a transcript written one octet at a time reads as whole lines", () => {
    const bytewise = [..."250 2.0.0 Ok\r\n"].map((char) => ({ direction: "server" as const, data: char }));
    expect(formatTranscript([{ direction: "client", data: "NOOP\r\n" }, ...bytewise])).toBe("C: NOOP\\r\\n\nS: 250 2.0.0 Ok\\r\\n");
  });
});
