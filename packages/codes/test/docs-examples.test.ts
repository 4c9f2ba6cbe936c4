// Runs the examples of README.md, docs/codes.md and every typedoc @example in
// src/ as written: each line `expression; // expected` is evaluated and compared
// with the value its comment names, so the documentation cannot drift from the code.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "@smtpkit/codes";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

interface Block {
  readonly where: string;
  readonly lines: readonly string[];
}

function fencedBlocks(file: string, text: string, strip: (line: string) => string): Block[] {
  const blocks: Block[] = [];
  let current: string[] | undefined;
  let start = 0;
  text.split("\n").forEach((raw, index) => {
    const line = strip(raw);
    if (current === undefined && /^```ts\s*$/.test(line.trim())) {
      current = [];
      start = index + 1;
    } else if (current !== undefined && line.trim() === "```") {
      blocks.push({ where: `${file}:${start + 1}`, lines: current });
      current = undefined;
    } else if (current !== undefined) {
      current.push(line);
    }
  });
  return blocks;
}

/** The longest prefix of `comment` that is a JavaScript value: `550 (510 is not standard)` gives 550. */
function expectedValue(comment: string): { found: boolean; value?: unknown } {
  for (let end = comment.length; end > 0; end -= 1) {
    const candidate = comment.slice(0, end).trim();
    if (candidate === "" || candidate.includes("...") || candidate.includes("…")) continue;
    try {
      return { found: true, value: new Function(`"use strict"; return (${candidate});`)() };
    } catch {
      // not a value yet: shorten
    }
  }
  return { found: false };
}

function run(block: Block): number {
  const checks: { line: string; comment: string }[] = [];
  const body: string[] = [];
  let inImport = false;
  for (const raw of block.lines) {
    const line = raw.replace(/ as never\b/g, "");
    if (inImport || /^\s*import\b/.test(line)) {
      inImport = !/\bfrom\s+"/.test(line);
      continue;
    }
    const match = /^(\s*)([^/].*?);\s*\/\/\s*(.+)$/.exec(line);
    const comment = match?.[3];
    if (match === null || comment === undefined || !expectedValue(comment).found || /^\s*(const|let|if|for|while|return|try|catch|\})/.test(match[2] ?? "")) {
      body.push(line);
      continue;
    }
    body.push(`${match[1]}__check(${checks.length}, () => (${match[2]}));`);
    checks.push({ line: line.trim(), comment });
  }
  const results: unknown[] = [];
  const names = Object.keys(api);
  const values = Object.values(api);
  new Function("__check", ...names, body.join("\n"))((index: number, thunk: () => unknown) => {
    results[index] = thunk();
  }, ...values);
  checks.forEach((check, index) => {
    expect(results[index], `${block.where}: ${check.line}`).toEqual(expectedValue(check.comment).value);
  });
  return checks.length;
}

const markdown = [`${packageRoot}README.md`, `${repoRoot}docs/codes.md`].flatMap((path) =>
  fencedBlocks(path.slice(repoRoot.length), readFileSync(path, "utf8"), (line) => line),
);
const sources = readdirSync(`${packageRoot}src`)
  .filter((name) => name.endsWith(".ts"))
  .flatMap((name) =>
    fencedBlocks(`packages/codes/src/${name}`, readFileSync(`${packageRoot}src/${name}`, "utf8"), (line) => line.replace(/^\s*\* ?/, "")),
  );

describe("documentation examples run as written", () => {
  it.each(markdown.map((block) => [block.where, block] as const))("%s", (_where, block) => {
    run(block);
  });

  it.each(sources.map((block) => [block.where, block] as const))("%s", (_where, block) => {
    run(block);
  });

  it("checks a real number of example lines", () => {
    const total = [...markdown, ...sources].reduce((sum, block) => sum + run(block), 0);
    expect(markdown.length).toBeGreaterThanOrEqual(5);
    expect(sources.length).toBeGreaterThanOrEqual(20);
    expect(total).toBeGreaterThanOrEqual(50);
  });

  it("fails on an example whose comment is wrong", () => {
    expect(() => run({ where: "self-test", lines: ["describeReply(421).text; // \"Service ready\""] })).toThrow();
    expect(() => run({ where: "self-test", lines: ["replyClass(354); // \"positive-completion\""] })).toThrow();
    expect(run({ where: "self-test", lines: ["replyClass(354); // \"positive-intermediate\" (3yz)"] })).toBe(1);
  });
});
