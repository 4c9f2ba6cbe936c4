// Laws of the streaming `parse`: how standard input arrives in pieces cannot
// change the report, and any bytes give a report (exit 0) or a finding (exit 1),
// never an unexpected exception. Run in this process, with standard input as
// an async iterable, so that hundreds of cases stay fast.
import { run, type CliIo } from "@smtpkit/cli";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forwardingMessage, summaryMessage } from "./messages.js";

async function parseStdin(chunks: readonly Uint8Array[], args: readonly string[] = []): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: (async function* () {
      for (const chunk of chunks) yield chunk;
    })(),
    color: false,
    errorColor: false,
  };
  const exitCode = await run(["parse", "--json", "--headers", "--excerpt", "50", ...args, "-"], io);
  return { exitCode, stdout, stderr };
}

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

// Pieces of MIME, so that generated input gets past the header into multiparts,
// encodings, embedded messages and boundaries in odd places.
const fragment = fc.constantFrom(
  "Content-Type: multipart/mixed; boundary=b\r\n",
  "Content-Type: multipart/alternative; boundary=\"c\"\r\n",
  "Content-Type: message/rfc822\r\n",
  "Content-Type: text/plain; charset=utf-8; format=flowed\r\n",
  "Content-Type: text/html; charset=iso-8859-1\r\n",
  "Content-Transfer-Encoding: base64\r\n",
  "Content-Transfer-Encoding: quoted-printable\r\n",
  "Content-Disposition: attachment; filename=\"../x.pdf\"\r\n",
  "Subject: =?UTF-8?B?w6k=?=\r\n",
  "From: Ann <ann@example.com>\r\n",
  "\r\n",
  "\n",
  "--b\r\n",
  "--b--\r\n",
  "--c\r\n",
  "--c--\n",
  "SGVsbG8gd29ybGQ=\r\n",
  "Caf=C3=A9 =\r\n",
  "caf\u00e9 \u20ac text\r\n",
  "\u0000\u001b[2J",
);
const mimeish = fc.array(fragment, { maxLength: 40 }).map((pieces) => new TextEncoder().encode(pieces.join("")));
const input = fc.oneof(mimeish, fc.uint8Array({ maxLength: 2000 }));

describe("parse laws", () => {
  it("gives the same report however standard input is cut (whole, byte by byte, arbitrary)", async () => {
    for (const message of [summaryMessage, forwardingMessage]) {
      const bytes = new TextEncoder().encode(message);
      const whole = await parseStdin([bytes]);
      expect(whole.exitCode).toBe(0);
      const byteByByte = await parseStdin(Array.from(bytes, (byte) => new Uint8Array([byte])));
      expect(byteByByte.stdout).toBe(whole.stdout);
    }
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 12 }), async (bytes, cuts) => {
        const whole = await parseStdin([bytes]);
        const pieces = await parseStdin(split(bytes, cuts));
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it("gives a report or a finding for any bytes, never an unexpected failure", async () => {
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const result = await parseStdin([bytes], ["--max-parts", "20", "--max-depth", "4"]);
        expect([0, 1]).toContain(result.exitCode);
        expect(result.stderr).not.toContain("unexpected failure");
        const report = JSON.parse(result.stdout);
        expect(report.size).toBe(bytes.length);
        expect(result.exitCode).toBe(report.limitsExceeded.length > 0 ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });
});
