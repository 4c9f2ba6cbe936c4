// The runner against a real Postfix 3.7 (STARTTLS offered): no false
// positive. Its findings are true deviations, each shown with the RFC text:
//
// - `smtp-smuggling` (default settings): Postfix takes a bare LF for a line end
//   inside DATA, so `<LF>.<LF>` ends the message. RFC 5321 §4.1.1.4: the data
//   end with "<CRLF>.<CRLF>"; §2.3.8: "CR and LF MUST only occur together as
//   CRLF" (CVE-2023-51764). `smtpd_forbid_bare_newline = reject` closes it.
// - `broken-mail-accepted`, only under `strictSyntax`: with its default
//   `strict_rfc821_envelopes = no`, Postfix accepts `MAIL FROM:a@b` without
//   angle brackets. RFC 5321 §4.1.2: `Path = "<" [ A-d-l ":" ] Mailbox ">"`.
//   `strict_rfc821_envelopes = yes` closes it. (A documented leniency, which
//   `@smtpkit/grammar` shares, so it is reported only when asked for.)
//
// With both settings, Postfix shows no deviation; under `strictSyntax` it
// still accepts `MAIL FROM: <a@b>` (a space after the colon, which RFC 5321
// §3.3 forbids in so many words), which no setting of Postfix refuses. Skipped outside CI when
// Postfix is missing; fails in CI.
import { requirePeer, startPostfix } from "@smtpkit/interop";
import { formatReport, maildirReader, runConformance } from "@smtpkit/testkit";
import { describe, expect, it } from "vitest";

const storedCompared = /^dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/;

describe.skipIf(!requirePeer("postfix"))("against Postfix", () => {
  it("default settings: only the bare-LF smuggling deviation, with RFC text and transcript; the bracket-less MAIL under strictSyntax", async () => {
    const peer = await startPostfix({ tls: true });
    try {
      const report = await runConformance({ host: peer.host, port: peer.port, seed: 1, numRuns: 40, readStored: maildirReader(peer.maildir, { timeoutMs: 10_000 }) });
      expect(report.findings.map((finding) => finding.rule), formatReport(report, "text")).toEqual(["smtp-smuggling"]);
      const smuggling = report.findings[0];
      expect(smuggling?.quote).toContain("<CRLF>.<CRLF>");
      expect(smuggling?.summary).toContain("LF.LF");
      // The smuggled NOOP was answered: Postfix read it as a command.
      const serverSaid = smuggling?.transcript.filter((exchange) => exchange.direction === "server").map((exchange) => exchange.data).join("");
      expect(serverSaid).toMatch(/queued as [0-9A-Z]+\r\n250 2\.0\.0 Ok\r\n/);
      expect(report.notes.find((note) => note.startsWith("dot-transparency: "))).toMatch(storedCompared);

      const strict = await runConformance({ host: peer.host, port: peer.port, seed: 1, numRuns: 5, strictSyntax: true, skip: ["sessions", "smuggling", "pipelining", "starttls-injection"] });
      expect(strict.findings.map((finding) => [finding.rule, finding.summary])).toEqual([
        ["broken-mail-accepted", '"MAIL FROM:conformance@example.test" was answered 250 (RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">")'],
      ]);
    } finally {
      await peer.stop();
    }
  });

  it("strict settings (bare LF refused, RFC 821 envelopes): no deviation, also inside STARTTLS; strictSyntax shows only the space after the colon", async () => {
    const peer = await startPostfix({ tls: true, strict: true, mainCf: { strict_rfc821_envelopes: "yes" } });
    try {
      const report = await runConformance({ host: peer.host, port: peer.port, seed: 2, numRuns: 40, readStored: maildirReader(peer.maildir, { timeoutMs: 10_000 }) });
      expect(report.findings, formatReport(report, "text")).toEqual([]);
      expect(report.notes.find((note) => note.startsWith("dot-transparency: "))).toMatch(storedCompared);
      expect(report.notes.filter((note) => note.includes("not checked"))).toEqual([]);
      expect(report.rulesChecked).toHaveLength(24);

      const strict = await runConformance({ host: peer.host, port: peer.port, seed: 2, numRuns: 5, strictSyntax: true, skip: ["sessions", "smuggling", "pipelining", "starttls-injection"] });
      expect(strict.findings.map((finding) => finding.summary)).toEqual([
        '"MAIL FROM: <conformance@example.test>" was answered 250 (RFC 5321 §3.3: "spaces are not permitted on either side of the colon following FROM in the MAIL command")',
      ]);

      // Every session inside STARTTLS (one Postfix start serves both runs: CI time).
      const inside = await runConformance({ host: peer.host, port: peer.port, tls: "starttls", seed: 3, numRuns: 20, skip: ["pipelining"] });
      expect(inside.findings, formatReport(inside, "text")).toEqual([]);
    } finally {
      await peer.stop();
    }
  });
});
