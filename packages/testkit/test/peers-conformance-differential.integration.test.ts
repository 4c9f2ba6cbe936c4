// Differential mode on real servers: the same generated sessions against
// @smtpkit/server and default Postfix 3.7, stored bodies compared through both
// Maildirs. The divergences must be exactly the ones docs/conformance/README.md
// lists under "Differential run" (a divergence is a place to look, not a
// verdict: the page says which side is right).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePeer, startPostfix } from "@smtpkit/interop";
import { createServer } from "@smtpkit/server";
import { formatTranscript, maildirReader, runDifferential } from "@smtpkit/testkit";
import { describe, expect, it } from "vitest";
import { conformanceFolder } from "./peers-conformance-harness.js";

/** The rows of the README's differential table: kind, step, code from ours, code from Postfix. */
function expectedDivergences(): string[] {
  const readme = readFileSync(join(conformanceFolder, "README.md"), "utf8");
  const start = readme.indexOf("## Differential run");
  if (start < 0) throw new Error("docs/conformance/README.md has no Differential run section");
  const lines = readme.slice(start).split("\n");
  const header = lines.findIndex((line) => line.startsWith("| kind |"));
  const rows: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const [kind, step, ours, postfix] = line.split("|").slice(1, 5).map((cell) => cell.trim().replace(/`/g, ""));
    rows.push(`${kind} ${step}: ${ours} / ${postfix}`);
  }
  return rows.sort();
}

describe.skipIf(!requirePeer("postfix"))("differential: @smtpkit/server against default Postfix", () => {
  it("diverges exactly where the report says, with both transcripts", async () => {
    const directory = mkdtempSync(join(tmpdir(), "smtpkit-differential-"));
    const server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir: join(directory, "maildir") });
    const postfix = await startPostfix();
    try {
      const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
      const report = await runDifferential({
        a: { host: "127.0.0.1", port, readStored: maildirReader(join(directory, "maildir"), { timeoutMs: 10_000 }) },
        b: { host: postfix.host, port: postfix.port, readStored: maildirReader(postfix.maildir, { timeoutMs: 10_000 }) },
        seed: 1,
        numRuns: 100,
      });
      const shown = report.divergences.map((divergence) => `${divergence.kind} ${divergence.step}: ${divergence.a} / ${divergence.b}`);
      const detail = report.divergences.map((divergence) => `${divergence.summary}\n${formatTranscript(divergence.transcriptA)}\n${formatTranscript(divergence.transcriptB)}`).join("\n");
      expect(shown.sort(), detail).toEqual(expectedDivergences());
      for (const divergence of report.divergences) {
        expect(divergence.transcriptA.some((exchange) => exchange.direction === "server")).toBe(true);
        expect(divergence.transcriptB.some((exchange) => exchange.direction === "server")).toBe(true);
      }
    } finally {
      await server.close({ graceMs: 100 });
      await postfix.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
