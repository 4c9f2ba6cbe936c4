// Keeps `pnpm bench` from rotting: the smoke profile (tiny inputs, one round)
// must run every suite, measure every smtpkit system (none skipped), and write
// its results file. Figures are not checked: benchmarks inform, tests decide.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const benchDir = new URL("..", import.meta.url);

interface Result {
  readonly system: string;
  readonly role: string;
  readonly skipped?: string;
  readonly median?: number;
}
interface Case {
  readonly group: string;
  readonly name: string;
  readonly results: readonly Result[];
}

describe("pnpm bench --smoke", () => {
  it("runs every suite and measures every smtpkit system", async () => {
    const { stdout } = await run(process.execPath, ["run.mjs", "--smoke"], { cwd: benchDir, timeout: 120_000 });
    expect(stdout).toMatch(/smtpkit bench, smoke profile/);
    const record = JSON.parse(readFileSync(new URL("results/latest-smoke.json", benchDir), "utf8")) as { cases: Case[] };
    const groups = new Set(record.cases.map((benchCase) => benchCase.group));
    expect([...groups].sort()).toEqual(["client", "codecs", "grammar", "mime", "server"]);
    for (const benchCase of record.cases) {
      const ours = benchCase.results.find((result) => result.role === "ours");
      // The SMTP suites need Postfix's smtp-source/smtp-sink to drive or receive anything: without them the
      // whole case is skipped with that reason (never silently dropped).
      if (ours?.skipped !== undefined && /smtp-(source|sink) not found/.test(ours.skipped)) continue;
      expect(ours?.skipped, `${benchCase.group}: ${benchCase.name}`).toBeUndefined();
      expect(ours?.median, `${benchCase.group}: ${benchCase.name}`).toBeGreaterThan(0);
    }
  }, 180_000);
});
