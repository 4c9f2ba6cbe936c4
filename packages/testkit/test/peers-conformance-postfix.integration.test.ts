// The conformance runner against Postfix 3.7 smtpd, default and strict settings.
// Default: the one deviation is SMTP smuggling (a bare LF ends the data;
// CVE-2023-51764; RFC 5321 §2.3.8, §4.1.1.4), found through the command line
// (`smtpkit conform --json`, exit status 1). Strict: none.
// Asserts that the run finds exactly the deviations docs/conformance/README.md
// records for it (see peers-conformance-harness.ts); skipped outside CI when
// the peer is missing, a failure in CI.
import { requirePeer } from "@smtpkit/interop";
import { describe, expect, it } from "vitest";
import { checkPeer, peerRun } from "./peers-conformance-harness.js";

describe.skipIf(!requirePeer(...peerRun("postfix-default").needs))("conformance of Postfix 3.7", () => {
  it("default settings: only smtp-smuggling, and the smuggled NOOP was answered", async () => {
    const report = await checkPeer("postfix-default");
    const smuggling = report.findings.find((finding) => finding.rule === "smtp-smuggling");
    const serverSaid = smuggling?.transcript.filter((exchange) => exchange.direction === "server").map((exchange) => exchange.data).join("");
    // 250 for the message cut at the look-alike, then 250 for the NOOP that was meant to be message content.
    expect(serverSaid).toMatch(/queued as [0-9A-Z]+\r\n250 2\.0\.0 Ok\r\n/);
  });

  it("strict settings: no deviation", async () => {
    await checkPeer("postfix-strict");
  });
});
