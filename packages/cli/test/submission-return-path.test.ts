// The Return-Path filter of `serve --submission` (RFC 5321 §4.4: only final delivery adds Return-Path), over
// generated messages and arbitrary chunkings. It is internal to the command, so it is imported from the source.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RETURN_PATH_SCAN_BYTES, withoutReturnPath } from "../src/serve/submission.js";

const encoder = new TextEncoder();

async function run(chunks: readonly Uint8Array[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of withoutReturnPath((async function* () {
    yield* chunks;
  })())) parts.push(part);
  return Buffer.concat(parts);
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((left, right) => left - right);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const returnPathName = fc.constantFrom("Return-Path", "return-path", "RETURN-PATH", "Return-Path ", "Return-path\t");
const otherName = fc.constantFrom("From", "To", "Subject", "X-Return-Path", "Return-Pathology", "Received", "Return", "Path");
const value = fc.stringMatching(/^[ -~]{0,40}$/).map((text) => text.replace(/^[ \t]+/, ""));
const field = fc.record({
  returnPath: fc.boolean(),
  name: fc.tuple(returnPathName, otherName),
  value,
  folds: fc.array(value.map((text) => `\t${text}`), { maxLength: 2 }),
  lineEnd: fc.constantFrom("\r\n", "\n"),
});
const message = fc.record({
  fields: fc.array(field, { maxLength: 8 }),
  body: fc.option(fc.stringMatching(/^(Return-Path: [ -~]{0,10}\r\n|[ -~]{0,30}\r\n){0,4}$/), { nil: undefined }),
});

function fieldText(item: { returnPath: boolean; name: [string, string]; value: string; folds: string[]; lineEnd: string }): string {
  const name = item.returnPath ? item.name[0] : item.name[1];
  return `${name}: ${item.value}${item.lineEnd}${item.folds.map((fold) => `${fold}${item.lineEnd}`).join("")}`;
}

describe("withoutReturnPath", () => {
  it("drops exactly the Return-Path fields of the header section, keeps the rest byte for byte, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(message, fc.array(fc.nat(), { maxLength: 12 }), async ({ fields, body }, cuts) => {
        const header = fields.map(fieldText).join("");
        const kept = fields.filter((item) => !item.returnPath).map(fieldText).join("");
        const input = encoder.encode(body === undefined ? header : `${header}\r\n${body}`);
        const expected = body === undefined ? kept : `${kept}\r\n${body}`;
        const whole = await run([input]);
        expect(Buffer.from(whole).toString("latin1")).toBe(expected);
        const byteByByte = await run([...input].map((byte) => Uint8Array.of(byte)));
        expect(Buffer.from(byteByByte).equals(Buffer.from(whole))).toBe(true);
        const split = await run(splitAt(input, cuts));
        expect(Buffer.from(split).equals(Buffer.from(whole))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes give the input or less, never an exception, the same for any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 }), async (input, cuts) => {
        const whole = await run([input]);
        expect(whole.length).toBeLessThanOrEqual(input.length);
        expect(Buffer.from(await run(splitAt(input, cuts))).equals(Buffer.from(whole))).toBe(true);
      }),
    );
  });

  it("a header section longer than RETURN_PATH_SCAN_BYTES is passed on unchanged rather than held", async () => {
    const long = encoder.encode(`X-Long: ${"a".repeat(RETURN_PATH_SCAN_BYTES)}\r\nReturn-Path: <x@y.example>\r\n\r\nbody\r\n`);
    // Once more than the limit is held without the header's end in it, the rest is not looked at.
    expect(Buffer.from(await run(splitAt(long, [1000, 200_000, RETURN_PATH_SCAN_BYTES + 1]))).equals(Buffer.from(long))).toBe(true);
    // Found within what is held, it is still filtered.
    const short = encoder.encode(`X-Long: ${"a".repeat(RETURN_PATH_SCAN_BYTES - 100)}\r\nReturn-Path: <x@y.example>\r\n\r\nbody\r\n`);
    expect(Buffer.from(await run([short])).toString("latin1")).not.toContain("Return-Path");
  });
});
