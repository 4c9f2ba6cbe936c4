// The runner against a real Postfix (default and strict settings, STARTTLS
// offered): no false positive. The one finding on default Postfix 3.7 is a
// true deviation, shown with the RFC text: it takes a bare LF for a line end
// inside DATA, so `<LF>.<LF>` ends the message (RFC 5321 §4.1.1.4: only
// "<CRLF>.<CRLF>"; §2.3.8: "CR and LF MUST only occur together as CRLF";
// CVE-2023-51764). The strict profile (smtpd_forbid_bare_newline = reject)
// closes it. Skipped outside CI when Postfix is missing; fails in CI.
import { requirePeer, startPostfix } from "@smtpkit/interop";
import { formatReport, maildirReader, runConformance } from "@smtpkit/testkit";
import { describe, expect, it } from "vitest";

describe.skipIf(!requirePeer("postfix"))("against Postfix", () => {
  it("default settings: only the bare-LF smuggling deviation, with its RFC text and transcript", async () => {
    const peer = await startPostfix({ tls: true });
    try {
      const report = await runConformance({ host: peer.host, port: peer.port, seed: 1, numRuns: 60, readStored: maildirReader(peer.maildir, { timeoutMs: 10_000 }) });
      expect(report.findings.map((finding) => finding.rule), formatReport(report, "text")).toEqual(["smtp-smuggling"]);
      const finding = report.findings[0];
      expect(finding?.quote).toContain("<CRLF>.<CRLF>");
      expect(finding?.summary).toContain("LF.LF");
      // The smuggled NOOP was answered: Postfix read it as a command.
      const serverSaid = finding?.transcript.filter((exchange) => exchange.direction === "server").map((exchange) => exchange.data).join("");
      expect(serverSaid).toMatch(/queued as [0-9A-Z]+\r\n250 2\.0\.0 Ok\r\n/);
      expect(report.notes.find((note) => note.startsWith("dot-transparency: "))).toMatch(/^dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/);
    } finally {
      await peer.stop();
    }
  });

  it("strict settings: no deviation at all", async () => {
    const peer = await startPostfix({ tls: true, strict: true });
    try {
      const report = await runConformance({ host: peer.host, port: peer.port, seed: 2, numRuns: 60, readStored: maildirReader(peer.maildir, { timeoutMs: 10_000 }) });
      expect(report.findings, formatReport(report, "text")).toEqual([]);
      expect(report.notes.find((note) => note.startsWith("dot-transparency: "))).toMatch(/^dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/);
      expect(report.notes.filter((note) => note.includes("not checked"))).toEqual([]);
    } finally {
      await peer.stop();
    }
  });

  it("STARTTLS mode: every session inside TLS, no deviation on strict settings", async () => {
    const peer = await startPostfix({ tls: true, strict: true });
    try {
      const report = await runConformance({ host: peer.host, port: peer.port, tls: "starttls", seed: 3, numRuns: 30, skip: ["pipelining"] });
      expect(report.findings, formatReport(report, "text")).toEqual([]);
    } finally {
      await peer.stop();
    }
  });
});
