// Laws of the connection driver: splitting the client's bytes differently
// never changes what is stored or answered (with a tiny content queue, so
// pausing and resuming the socket is exercised on every message), and
// random bytes from a client never throw out of the server: the connection
// ends and the server keeps serving.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createServer, type ServerOptions } from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

const base: ServerOptions = { hostname: "mx.example.org", localDomains: ["example.org"] };

/** Cuts bytes at the given fractions. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((left, right) => left - right);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    if (point > start && point < bytes.length) {
      pieces.push(bytes.subarray(start, point));
      start = point;
    }
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

async function deliver(content: Buffer, pieces: Buffer[]): Promise<{ reply: string; stored: Buffer | undefined }> {
  let stored: Buffer | undefined;
  const server = createServer({
    ...base,
    contentHighWaterMark: 64,
    hooks: {
      async onMessage(_envelope, body) {
        const chunks: Buffer[] = [];
        for await (const chunk of body) {
          chunks.push(Buffer.from(chunk));
          await new Promise((resolve) => setImmediate(resolve)); // a slow store
        }
        stored = Buffer.concat(chunks);
        return undefined;
      },
    },
  });
  const pair = duplexPair();
  const closed = server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
  const client = new ReplyReader(pair.client);
  await client.code();
  await client.send("EHLO client.example\r\n");
  await client.send("MAIL FROM:<a@example.net>\r\n");
  await client.send("RCPT TO:<b@example.org>\r\n");
  expect(await client.send("DATA\r\n")).toBe(354);
  for (const piece of pieces) pair.client.write(piece);
  const reply = await client.reply();
  await client.send("QUIT\r\n");
  await closed;
  void content;
  return { reply: reply.slice(0, 9), stored };
}

const contentPart = fc.constantFrom("Subject: x\r\n", "\r\n", "line\r\n", ".dot\r\n", "..\r\n", "a", ".", "\r", "\n", " \t", "ü");

describe("properties of the connection driver", () => {
  it("how the client's bytes are split never changes the reply or the stored message", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(contentPart, { maxLength: 40 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), async (parts, cuts) => {
        const content = Buffer.from(`${parts.join("")}\r\n.\r\n`);
        const whole = await deliver(content, [content]);
        const pieces = await deliver(content, split(content, cuts));
        const bytes = await deliver(content, [...content].map((byte) => Buffer.from([byte])));
        expect(pieces).toEqual(whole);
        expect(bytes).toEqual(whole);
        // Without a bare CR or LF the message is accepted and stored (so the law is not about two failures).
        if (!/\r(?!\n)|(?<!\r)\n/.test(content.toString("latin1"))) {
          expect(whole.reply.startsWith("250")).toBe(true);
          expect(whole.stored).toBeDefined();
        }
      }),
      { numRuns: 40 },
    );
  });

  it("random bytes from a client never throw out of the server; the connection ends and the next one is served", async () => {
    const server = createServer({ ...base, hooks: { async onMessage(_envelope, body) { for await (const chunk of body) void chunk; return undefined; } } });
    const smtpish = fc
      .array(fc.constantFrom("EHLO a.example\r\n", "HELO a\r\n", "MAIL FROM:<a@b.example>\r\n", "RCPT TO:<c@example.org>\r\n", "DATA\r\n", "BDAT 5\r\n", "BDAT 3 LAST\r\n", "STARTTLS\r\n", "AUTH PLAIN\r\n", "RSET\r\n", ".\r\n", "\r\n", "\n", "\u0000", "x".repeat(600)), { maxLength: 20 })
      .map((parts) => Buffer.from(parts.join("")));
    await fc.assert(
      fc.asyncProperty(fc.oneof(smtpish, fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes))), async (bytes) => {
        const pair = duplexPair();
        const closed = server.handleConnection(pair.server, { remoteAddress: "192.0.2.9" });
        const client = new ReplyReader(pair.client);
        await client.code();
        pair.client.write(bytes);
        pair.client.end();
        await closed;
        expect(server.connectionCount).toBe(0);
      }),
      { numRuns: 100 },
    );
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.9" });
    const client = new ReplyReader(pair.client);
    expect(await client.code()).toBe(220);
    expect(await client.send("QUIT\r\n")).toBe(221);
  });
});
