// The runner against deliberately broken servers: each fault is found, shrunk
// and reported with its rule; the same server without the fault gives nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSelfSignedCertificate } from "@smtpkit/interop";
import { formatTranscript, runConformance, type ConformanceOptions, type RuleName } from "@smtpkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startToyServer, type Fault, type ToyServer } from "./conformance/toy-server.js";

const fast: Partial<ConformanceOptions> = { numRuns: 80, ratePerSecond: 1000, timeouts: { quiet: 150, reply: 2000, close: 500 }, seed: 7 };

async function conform(server: ToyServer, extra: Partial<ConformanceOptions> = {}) {
  return runConformance({ host: "127.0.0.1", port: server.port, ...fast, ...extra });
}

let tls: { key: string; cert: string };
let directory: string;
beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "smtpkit-conformance-"));
  const certificate = await createSelfSignedCertificate({ directory, commonName: "toy.example.test" });
  tls = { key: certificate.key, cert: certificate.certificate };
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("a correct toy server", () => {
  it("gives no finding, with STARTTLS offered", async () => {
    const server = await startToyServer({ tls });
    try {
      const report = await conform(server);
      expect(report.findings.map((finding) => `${finding.rule}: ${finding.summary}\n${formatTranscript(finding.transcript)}`)).toEqual([]);
      expect(report.server.ehlo.some((line) => line.includes("STARTTLS"))).toBe(true);
      expect(report.notes.some((note) => note.startsWith("starttls-injection: not checked"))).toBe(false);
    } finally {
      await server.close();
    }
  });
});

const cases: readonly [Fault, RuleName][] = [
  ["rcpt-without-mail", "rcpt-before-mail"],
  ["bare-lf-end", "smtp-smuggling"],
  ["starttls-injection", "starttls-injection"],
  ["mixed-multiline", "reply-multiline-code"],
  ["wrong-enhanced-class", "enhanced-code-class"],
  ["noop-refused", "noop-reply"],
  ["ehlo-bad-keyword", "ehlo-keyword"],
  ["quit-stays-open", "quit-reply"],
  ["broken-mail-accepted", "broken-mail-accepted"],
  ["pipelining-differs", "pipelining-equivalence"],
  ["long-reply-line", "reply-line-length"],
  ["bare-lf-replies", "reply-line-ending"],
  ["size-not-enforced", "size-enforced"],
  ["rset-in-transaction-refused", "rset-reply"],
];

describe("fixed sessions find a fault whatever the seed", () => {
  it.each([1, 2, 3])("RSET refused inside a transaction, seed %i, only 5 random sessions", async (seed) => {
    const server = await startToyServer({ fault: "rset-in-transaction-refused" });
    try {
      const report = await conform(server, { seed, numRuns: 5, skip: ["smuggling", "pipelining", "starttls-injection"] });
      expect(report.findings.map((finding) => [finding.rule, finding.probe])).toContainEqual(["rset-reply", "basics"]);
    } finally {
      await server.close();
    }
  });
});

describe("a toy server with one fault", () => {
  it.each(cases)("%s is reported as %s, with a transcript", async (fault, rule) => {
    const server = await startToyServer({ fault, tls });
    try {
      const report = await conform(server);
      const finding = report.findings.find((entry) => entry.rule === rule);
      expect(finding, `findings: ${report.findings.map((entry) => entry.rule).join(", ")}`).toBeDefined();
      expect(finding?.rfc).toMatch(/^RFC \d+ §/);
      expect(finding?.transcript.some((exchange) => exchange.direction === "client")).toBe(true);
      expect(finding?.transcript.some((exchange) => exchange.direction === "server")).toBe(true);
    } finally {
      await server.close();
    }
  });
});
