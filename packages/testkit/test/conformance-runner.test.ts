// The runner against this project's own server and the in-memory session:
// zero findings (with dot-transparency checked through the Maildir); the same
// seed gives the same sessions; options are validated; reports format.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "@smtpkit/server";
import {
  ConformanceError,
  conformanceRules,
  formatReport,
  formatTranscript,
  maildirReader,
  runConformance,
  serverSessionTransport,
  type ConformanceReport,
} from "@smtpkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startToyServer } from "./conformance/toy-server.js";

const fast = { ratePerSecond: 1000, timeouts: { quiet: 150, reply: 3000, close: 1000 } } as const;

function describeFindings(report: ConformanceReport): string[] {
  return report.findings.map((finding) => `${finding.rule}: ${finding.summary}\n${formatTranscript(finding.transcript)}`);
}

describe("against @smtpkit/server on loopback", () => {
  let directory: string;
  let server: ReturnType<typeof createServer>;
  let port: number;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "smtpkit-conformance-"));
    server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir: join(directory, "maildir") });
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  afterAll(async () => {
    await server.close({ graceMs: 100 });
    rmSync(directory, { recursive: true, force: true });
  });

  it("finds no deviation, dot-transparency included", async () => {
    const report = await runConformance({ host: "127.0.0.1", port, seed: 20261129, numRuns: 60, readStored: maildirReader(join(directory, "maildir")), ...fast });
    expect(describeFindings(report)).toEqual([]);
    expect(report.rulesChecked).toContain("dot-transparency");
    expect(report.server.greeting[0]).toMatch(/^220 mx\.example\.test/);
    const compared = report.notes.find((note) => note.startsWith("dot-transparency:"));
    expect(compared).toMatch(/^dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/);
  });

  it("reports a dot-transparency breach when the stored body differs", async () => {
    // A reader that returns the message with its first body dot doubled: what a server that forgot to unstuff would store.
    const reader = maildirReader(join(directory, "maildir"));
    const report = await runConformance({
      host: "127.0.0.1",
      port,
      seed: 5,
      numRuns: 60,
      skip: ["smuggling", "pipelining", "starttls-injection"],
      readStored: async (query) => {
        const stored = await reader(query);
        if (stored === undefined) return undefined;
        return new TextEncoder().encode(new TextDecoder("latin1").decode(stored).replace(/\n\./, "\n.."));
      },
      ...fast,
    });
    const finding = report.findings.find((entry) => entry.rule === "dot-transparency");
    expect(finding, describeFindings(report).join("\n")).toBeDefined();
    expect(finding?.replay?.seed).toBe(5);
  });
});

describe("against the in-memory ServerSession", () => {
  it("finds no deviation", async () => {
    const transport = serverSessionTransport({ config: { hostname: "mx.example.test", extensions: { pipelining: true, enhancedStatusCodes: true } } });
    const report = await runConformance({ transport, seed: 11, numRuns: 80, ...fast, timeouts: { quiet: 20, reply: 50 } });
    expect(describeFindings(report)).toEqual([]);
    expect(report.runs).toBeGreaterThan(80);
  });

  it("sees a session whose policy refuses every recipient as conforming (policy is not a finding)", async () => {
    const transport = serverSessionTransport({
      config: { hostname: "mx.example.test" },
      decide: (event) => (event.type === "recipient-requested" ? { type: "reject", situation: "MailboxUnavailable" } : { type: "accept" }),
    });
    const report = await runConformance({ transport, seed: 12, numRuns: 40, ...fast, timeouts: { quiet: 20, reply: 50 } });
    expect(describeFindings(report)).toEqual([]);
    expect(report.notes.some((note) => note.startsWith("smtp-smuggling: not checked"))).toBe(true);
  });
});

describe("strictSyntax", () => {
  it("reports the bracket-less MAIL the session accepts by default, and nothing once its syntax is strict", async () => {
    const options = { seed: 13, numRuns: 5, strictSyntax: true, skip: ["sessions", "smuggling", "pipelining", "starttls-injection"] as const, ...fast, timeouts: { quiet: 20, reply: 50 } };
    const lenient = await runConformance({ transport: serverSessionTransport({ config: { hostname: "mx.example.test" } }), ...options });
    expect(lenient.findings.map((finding) => [finding.rule, finding.probe, finding.summary])).toEqual([["broken-mail-accepted", "basics", '"MAIL FROM:conformance@example.test" was answered 250 (RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">")']]);
    const strict = await runConformance({ transport: serverSessionTransport({ config: { hostname: "mx.example.test", syntax: { strict: true } } }), ...options });
    expect(describeFindings(strict)).toEqual([]);
    const byDefault = await runConformance({ transport: serverSessionTransport({ config: { hostname: "mx.example.test" } }), ...options, strictSyntax: false });
    expect(describeFindings(byDefault)).toEqual([]);
  });
});

describe("determinism", () => {
  it("the same seed gives the same sessions and the same findings, byte for byte", async () => {
    const server = await startToyServer({ fault: "rcpt-without-mail" });
    try {
      const run = () => runConformance({ host: "127.0.0.1", port: server.port, seed: 99, numRuns: 30, skip: ["smuggling"], ...fast });
      const [first, second] = [await run(), await run()];
      const clientSide = (report: ConformanceReport) => report.findings.map((finding) => [finding.rule, finding.transcript.filter((exchange) => exchange.direction === "client")]);
      expect(first.findings.length).toBeGreaterThan(0);
      expect(clientSide(second)).toEqual(clientSide(first));
    } finally {
      await server.close();
    }
  });

  it("a dry run lists the same plan for the same seed, and another for another seed, without connecting", async () => {
    const plan = async (seed: number) => (await runConformance({ host: "127.0.0.1", port: 1, seed, numRuns: 5, dryRun: true })).plan;
    expect(await plan(3)).toEqual(await plan(3));
    expect(await plan(3)).not.toEqual(await plan(4));
    expect((await plan(3))?.length).toBe(5 + 5);
  });
});

describe("a finding is shrunk", () => {
  it("RCPT before MAIL comes down to greeting, EHLO and the RCPT", async () => {
    const server = await startToyServer({ fault: "rcpt-without-mail" });
    try {
      const report = await runConformance({ host: "127.0.0.1", port: server.port, seed: 1, numRuns: 50, skip: ["smuggling", "pipelining", "starttls-injection"], ...fast });
      const finding = report.findings.find((entry) => entry.rule === "rcpt-before-mail");
      const sent = finding?.transcript.filter((exchange) => exchange.direction === "client").map((exchange) => exchange.data);
      expect(sent?.[0]).toMatch(/^EHLO /);
      expect(sent?.at(-1)).toMatch(/^RCPT TO:<[a-z][a-z0-9+_-]*@example\.test>\r\n$/);
      expect(sent?.length).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe("options and failures", () => {
  it.each([
    [{ host: "127.0.0.1", port: 25, domain: "not a domain" }],
    [{ host: "127.0.0.1", port: 25, domain: "例え.jp" }],
    [{ host: "127.0.0.1", port: 25, domain: "[192.0.2.1]" }],
    [{ host: "127.0.0.1", port: 25, numRuns: 0 }],
    [{ host: "127.0.0.1", port: 25, ratePerSecond: -1 }],
    [{ host: "127.0.0.1", port: 25, tls: "sometimes" }],
    [{ host: "127.0.0.1", port: 70000 }],
    [{ host: "127.0.0.1", port: 25, timeouts: { reply: 0 } }],
    [{ host: "127.0.0.1", port: 25, sender: "a b@example.test" }],
    [{ port: 25 }],
  ])("refuses %j with invalid-argument", async (options) => {
    await expect(runConformance(options as never)).rejects.toSatisfy((error) => ConformanceError.isInstance(error) && error.reason === "invalid-argument");
  });

  it("a refused connection is connection-failed", async () => {
    const server = await startToyServer();
    const port = server.port;
    await server.close();
    await expect(runConformance({ host: "127.0.0.1", port, ...fast })).rejects.toSatisfy((error) => ConformanceError.isInstance(error) && error.reason === "connection-failed");
  });
});

describe("formatReport", () => {
  let report: ConformanceReport;
  beforeAll(async () => {
    const server = await startToyServer({ fault: "noop-refused" });
    try {
      report = await runConformance({ host: "127.0.0.1", port: server.port, seed: 3, numRuns: 30, skip: ["smuggling", "pipelining"], ...fast });
    } finally {
      await server.close();
    }
  });

  it("text names each finding's rule, RFC section and transcript", () => {
    const text = formatReport(report, "text");
    expect(text).toContain("noop-reply (RFC 5321 §4.1.1.9)");
    expect(text).toMatch(/C: NOOP\\r\\n/);
    expect(text).toMatch(/S: 502 5\.5\.2/);
  });

  it("JSON is the report itself", () => {
    expect(JSON.parse(formatReport(report, "json"))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it("JUnit XML has one test case per rule checked and a failure per finding", () => {
    const xml = formatReport(report, "junit");
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml.match(/<testcase /g)?.length).toBe(conformanceRules.length);
    expect(xml.match(/<skipped /g)?.length ?? 0).toBe(conformanceRules.length - report.rulesChecked.length);
    // This run had no readStored: dot-transparency is skipped, with the note's reason.
    expect(xml).toContain('<skipped message="dot-transparency: not checked');
    expect(xml.match(/<failure /g)?.length).toBe(report.findings.length);
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    expect(report.rulesChecked.every((name) => conformanceRules.some((rule) => rule.name === name))).toBe(true);
  });
});

describe("maildirReader", () => {
  it("finds the message by its own Message-ID, not a delivery report that quotes it", async () => {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const root = mkdtempSync(join(tmpdir(), "smtpkit-maildir-"));
    try {
      mkdirSync(join(root, "example.test", "a", "new"), { recursive: true });
      mkdirSync(join(root, "example.test", "b", "cur"), { recursive: true });
      writeFileSync(join(root, "example.test", "a", "new", "1.report"), "Subject: Delivery report\n\nThis is a MIME-encapsulated message.\n\nMessage-ID: <x.1@example.test>\n");
      writeFileSync(join(root, "example.test", "b", "cur", "2.message"), "Subject: probe\nMessage-ID:\n <x.1@example.test>\n\n.body\n");
      const read = maildirReader(root, { timeoutMs: 0 });
      const found = await read({ messageId: "x.1@example.test", recipients: [] });
      expect(new TextDecoder().decode(found)).toContain(".body");
      expect(await read({ messageId: "x.2@example.test", recipients: [] })).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each([[""], [{ timeoutMs: -1 }], [{ pollMs: 0 }]])("refuses %j", (argument) => {
    const call = () => (typeof argument === "string" ? maildirReader(argument) : maildirReader("/tmp", argument));
    expect(call).toThrow(expect.objectContaining({ reason: "invalid-argument" }));
  });
});

describe("TLS", () => {
  it("implicit TLS against @smtpkit/server: no deviation", async () => {
    const { createSelfSignedCertificate } = await import("@smtpkit/interop");
    const directory = mkdtempSync(join(tmpdir(), "smtpkit-conformance-tls-"));
    const certificate = await createSelfSignedCertificate({ directory, commonName: "mx.example.test" });
    const server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir: join(directory, "maildir"), tls: { key: certificate.key, cert: certificate.certificate, implicit: true } });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const report = await runConformance({ host: "127.0.0.1", port, tls: "implicit", seed: 8, numRuns: 30, ...fast });
      expect(describeFindings(report)).toEqual([]);
      expect(report.server.greeting[0]).toMatch(/^220 /);
    } finally {
      await server.close({ graceMs: 100 });
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("STARTTLS offered by @smtpkit/server: the injection probe runs and finds nothing; sessions inside STARTTLS find nothing", async () => {
    const { createSelfSignedCertificate } = await import("@smtpkit/interop");
    const directory = mkdtempSync(join(tmpdir(), "smtpkit-conformance-tls-"));
    const certificate = await createSelfSignedCertificate({ directory, commonName: "mx.example.test" });
    const server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir: join(directory, "maildir"), tls: { key: certificate.key, cert: certificate.certificate } });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const plain = await runConformance({ host: "127.0.0.1", port, seed: 9, numRuns: 20, skip: ["smuggling", "pipelining"], ...fast });
      expect(describeFindings(plain)).toEqual([]);
      expect(plain.notes.filter((note) => note.startsWith("starttls-injection"))).toEqual([]);
      const inside = await runConformance({ host: "127.0.0.1", port, tls: "starttls", seed: 10, numRuns: 20, skip: ["smuggling"], ...fast });
      expect(describeFindings(inside)).toEqual([]);
    } finally {
      await server.close({ graceMs: 100 });
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
