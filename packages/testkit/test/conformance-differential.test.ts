// Differential mode: the same generated sessions against two servers, and
// two MIME parsers on the same generated messages.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMessage } from "@smtpkit/mime";
import { createServer } from "@smtpkit/server";
import { diffMimeParsers, maildirReader, runDifferential } from "@smtpkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startToyServer } from "./conformance/toy-server.js";

const timeouts = { reply: 3000 };
const ratePerSecond = 1000;

describe("runDifferential", () => {
  let directory: string;
  let server: ReturnType<typeof createServer>;
  let port: number;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "smtpkit-differential-"));
    server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir: join(directory, "maildir") });
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  afterAll(async () => {
    await server.close({ graceMs: 100 });
    rmSync(directory, { recursive: true, force: true });
  });

  it("a server against itself: no divergence, stored contents compared", async () => {
    const target = { host: "127.0.0.1", port, readStored: maildirReader(join(directory, "maildir")) };
    const report = await runDifferential({ a: target, b: target, seed: 4, numRuns: 25, timeouts, ratePerSecond });
    expect(report.divergences).toEqual([]);
    expect(report.runs).toBe(25);
  });

  it("finds the step where a broken server accepts RCPT before MAIL, shrunk to that RCPT", async () => {
    const toy = await startToyServer({ fault: "rcpt-without-mail" });
    try {
      const report = await runDifferential({ a: { host: "127.0.0.1", port }, b: { host: "127.0.0.1", port: toy.port }, seed: 9, numRuns: 60, timeouts, ratePerSecond });
      const divergence = report.divergences.find((entry) => entry.step.startsWith("RCPT") && entry.a === 503 && entry.b === 250);
      expect(divergence, JSON.stringify(report.divergences.map((entry) => entry.summary))).toBeDefined();
      const sentToB = divergence?.transcriptB.filter((exchange) => exchange.direction === "client").map((exchange) => exchange.data);
      expect(sentToB).toHaveLength(2);
      expect(sentToB?.[1]).toMatch(/^RCPT TO:</);
    } finally {
      await toy.close();
    }
  });

  it("finds a message stored differently", async () => {
    const target = { host: "127.0.0.1", port, readStored: maildirReader(join(directory, "maildir")) };
    const report = await runDifferential({
      a: target,
      b: { ...target, readStored: async (query) => new TextEncoder().encode(`${new TextDecoder("latin1").decode((await target.readStored(query)) ?? new Uint8Array())}extra\n`) },
      seed: 6,
      numRuns: 40,
      timeouts,
      ratePerSecond,
    });
    expect(report.divergences.map((entry) => entry.kind)).toContain("stored-content");
  });
});

describe("runDifferential's bounds", () => {
  it("opens at most ratePerSecond connections a second to each server", async () => {
    let opened = 0;
    const transport = {
      label: "counting",
      async connect() {
        opened += 1;
        return { async write() {}, async read() { return { type: "closed" as const }; }, async startTls() {}, close() {} };
      },
    };
    const started = Date.now();
    await runDifferential({ a: { transport }, b: { transport }, seed: 1, numRuns: 6, ratePerSecond: 10, timeouts: { reply: 10 } });
    // 12 connections in all, 6 to each "server" at 10 a second: at least 0.5 s.
    expect(opened).toBe(12);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it("refuses a bad ratePerSecond", async () => {
    await expect(runDifferential({ a: { host: "127.0.0.1", port: 1 }, b: { host: "127.0.0.1", port: 1 }, ratePerSecond: 0 })).rejects.toSatisfy((error) => (error as { reason?: string }).reason === "invalid-argument");
  });
});

describe("diffMimeParsers", () => {
  type Part = ReturnType<typeof parseMessage>["root"];
  const count = (part: Part): number => 1 + part.children.reduce((sum, child) => sum + count(child), 0);
  const shape = (bytes: Uint8Array) => {
    const message = parseMessage(bytes);
    return { subject: message.subject ?? null, parts: count(message.root) };
  };

  it("a parser against itself agrees on every generated message", async () => {
    // The shape must work, or the two would "agree" by both throwing.
    expect(shape(new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n"))).toEqual({ subject: "hi", parts: 1 });
    expect(await diffMimeParsers(shape, shape, { numRuns: 100, seed: 1 })).toBeUndefined();
  });

  it("a parser that loses a subject with a non-ASCII letter is caught, on a shrunk message", async () => {
    const lossy = (bytes: Uint8Array) => {
      const result = shape(bytes);
      return result.subject !== null && /[^\x00-\x7f]/.test(result.subject) ? { ...result, subject: null } : result;
    };
    const divergence = await diffMimeParsers(shape, lossy, { numRuns: 300, seed: 2 });
    expect(divergence).toBeDefined();
    expect(divergence?.a.ok && divergence.b.ok && divergence.a.value.subject !== divergence.b.value.subject).toBe(true);
  });

  it("a parser that throws where the other does not is a divergence", async () => {
    const divergence = await diffMimeParsers(shape, () => {
      throw new Error("unsupported");
    }, { numRuns: 10, seed: 3 });
    expect(divergence?.b.ok).toBe(false);
    expect(divergence?.a.ok).toBe(true);
  });
});
