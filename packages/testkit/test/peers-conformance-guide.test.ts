// docs/property-test-your-server.md's ten-line program, run as written (as a
// user would: an ES module file run by node, importing the published
// packages) against this project's own server; and the conformance reports
// kept consistent: every peer page agrees with the README's table, and the
// guide is linked from where the task says.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { conformanceRules } from "@smtpkit/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { conformanceFolder, PEER_RUNS, readExpectedTable, repositoryRoot } from "./peers-conformance-harness.js";

const guidePath = join(repositoryRoot, "docs/property-test-your-server.md");
const guide = readFileSync(guidePath, "utf8");

/** The fenced block right after the `<!-- ten-line-example` marker. */
function tenLineExample(markdown: string): string {
  const marker = markdown.indexOf("<!-- ten-line-example");
  if (marker < 0) throw new Error("the guide has no ten-line-example marker");
  const open = markdown.indexOf("```ts\n", marker);
  const close = markdown.indexOf("\n```", open + 6);
  if (open < 0 || close < 0) throw new Error("no ```ts block after the marker");
  return markdown.slice(open + 6, close + 1);
}

const codeLines = (code: string): string[] => code.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("//"));

describe("docs/property-test-your-server.md", () => {
  const directory = mkdtempSync(join(tmpdir(), "smtpkit-guide-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("the example is a program of at most ten lines of code", () => {
    const lines = codeLines(tenLineExample(guide));
    expect(lines.length, lines.join("\n")).toBeLessThanOrEqual(10);
    expect(lines.join("\n")).toContain("runConformance(");
    expect(lines.join("\n")).toContain("formatReport(");
  });

  it("runs as written against @smtpkit/server and reports no deviation", async () => {
    // A user's project: the program as conform.mjs, the packages in node_modules (here: links to the built ones).
    writeFileSync(join(directory, "conform.mjs"), tenLineExample(guide));
    mkdirSync(join(directory, "node_modules/@smtpkit"), { recursive: true });
    for (const name of ["server", "testkit"]) symlinkSync(join(repositoryRoot, "packages", name), join(directory, "node_modules/@smtpkit", name), "dir");
    const { stdout } = await promisify(execFile)(process.execPath, ["conform.mjs"], { cwd: directory, timeout: 90_000 });
    expect(stdout).toMatch(/^Conformance of 127\.0\.0\.1:\d+ \(seed 42, /);
    expect(stdout).toContain("No deviation found");
    expect(stdout).toMatch(/dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/);
    // It prints what the guide shows, up to the port, the counts and the time.
    const printed = guide.slice(guide.indexOf("```text\n", guide.indexOf("`node conform.mjs` prints")) + 8);
    const shown = printed.slice(0, printed.indexOf("```"));
    const mask = (text: string): string => text.replace(/127\.0\.0\.1:\d+/g, "PORT").replace(/\d+(\.\d+)?/g, "N");
    expect(mask(stdout).trimEnd()).toBe(mask(shown).trimEnd());
    // It stored the messages where it says.
    const stored = readdirSync(join(directory, "maildir"), { recursive: true, encoding: "utf8" }).filter((path) => /(^|\/)new\/[^/]+$/.test(path));
    expect(stored.length).toBeGreaterThan(0);
  }, 90_000);

  it("its command-line and differential examples name real options", () => {
    const cli = readFileSync(join(repositoryRoot, "packages/cli/README.md"), "utf8");
    for (const option of guide.matchAll(/smtpkit conform [^\n`]*/g)) {
      for (const flag of option[0].matchAll(/--[a-z-]+/g)) if (flag[0] !== "--help") expect(cli, `${flag[0]} in the cli README`).toContain(`\`${flag[0]}`);
    }
  });

  it("its finding walk-through is the real Postfix finding of docs/conformance/postfix-default.md", () => {
    const page = readFileSync(join(conformanceFolder, "postfix-default.md"), "utf8");
    const walkThrough = guide.slice(guide.indexOf("## Reading a finding"), guide.indexOf("Read it from the top"));
    const exchanges = walkThrough.split("\n").map((line) => line.trim()).filter((line) => /^[CS]: /.test(line));
    expect(exchanges.length).toBeGreaterThan(10);
    for (const line of exchanges) expect(page, line).toContain(`\n${line}\n`);
  });

  it("is linked from docs/README.md and from the testkit README", () => {
    expect(readFileSync(join(repositoryRoot, "docs/README.md"), "utf8")).toContain("(property-test-your-server.md)");
    expect(readFileSync(join(repositoryRoot, "packages/testkit/README.md"), "utf8")).toContain("docs/property-test-your-server.md");
  });
});

describe("docs/conformance", () => {
  const table = readExpectedTable();

  it("the README's table has one column per peer run, and each has its page", () => {
    expect([...table.keys()]).toEqual(PEER_RUNS.map((run) => run.id));
    const pages = readdirSync(conformanceFolder).filter((name) => name.endsWith(".md") && name !== "README.md" && name !== "clients.md");
    expect(pages.sort()).toEqual(PEER_RUNS.map((run) => `${run.id}.md`).sort());
  });

  it("the testkit README's summary (one row per peer run, in order) names the same deviations", () => {
    const readme = readFileSync(join(repositoryRoot, "packages/testkit/README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Proved on real servers"), readme.indexOf("\n## ", readme.indexOf("## Proved on real servers") + 5));
    const rows = section.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| server") && !line.startsWith("| ---"));
    const known = new Set<string>(conformanceRules.map((rule) => rule.name));
    const named = rows.map((row) => [...row.matchAll(/`([a-z0-9-]+)`/g)].map((match) => match[1] as string).filter((name) => known.has(name)).sort());
    expect(named).toEqual(PEER_RUNS.map((run) => [...(table.get(run.id)?.deviations ?? [])].sort()));
  });

  it.each(PEER_RUNS.map((run) => [run.id] as const))("%s.md shows the deviations of the table, each with RFC text and transcript", (id) => {
    const page = readFileSync(join(conformanceFolder, `${id}.md`), "utf8");
    const onPage = [...page.matchAll(/^## \d+\. `([a-z0-9-]+)`/gm)].map((match) => match[1]).sort();
    expect(onPage).toEqual([...(table.get(id)?.deviations ?? [])].sort());
    const sections = page.split(/^## \d+\. /m).slice(1);
    for (const section of sections) {
      expect(section).toContain("**The RFC's text.**");
      expect(section).toMatch(/```text\nS: 220 /);
      expect(section).toContain("**What it means in practice.**");
    }
    if (onPage.length === 0) expect(page).toContain("No deviation found");
  });
});
