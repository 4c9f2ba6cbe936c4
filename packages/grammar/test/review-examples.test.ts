// Review: every TypeScript example of the README, the guide (docs/grammar.md)
// and the typedoc `@example` blocks runs against the built package, and each
// `expression; // value` comment whose value is a JavaScript literal is
// checked (bytes compare as their text). Names the prose leaves free
// (`bytesFromSocket`, `messageBytes`...) get small real values from a prelude.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as codes from "@smtpkit/codes";
import * as grammar from "@smtpkit/grammar";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));

interface Example {
  readonly where: string;
  readonly code: string;
}

function fenced(markdown: string, where: string): Example[] {
  const out: Example[] = [];
  const pattern = /```ts\n([\s\S]*?)```/g;
  for (let match = pattern.exec(markdown); match !== null; match = pattern.exec(markdown)) {
    out.push({ where: `${where}:${markdown.slice(0, match.index).split("\n").length}`, code: match[1] as string });
  }
  return out;
}

function typedocExamples(): Example[] {
  const out: Example[] = [];
  const sources = `${packageRoot}src/`;
  for (const file of readdirSync(sources).filter((name) => name.endsWith(".ts"))) {
    const text = readFileSync(`${sources}${file}`, "utf8");
    const pattern = /@example\n((?:[ \t]*\*.*\n)+?)[ \t]*\*[ \t]*```\n/g;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const block = (match[1] as string)
        .split("\n")
        .map((line) => line.replace(/^\s*\* ?/, ""))
        .join("\n");
      out.push({ where: `src/${file}:${text.slice(0, match.index).split("\n").length}`, code: block.slice(block.indexOf("```ts") + 5) });
    }
  }
  return out;
}

/** Turns `expression; // literal` lines into checked calls; prose comments stay comments. */
function withChecks(code: string): { code: string; checks: number } {
  const out: string[] = [];
  let checks = 0;
  for (const line of code.split("\n")) {
    const match = /^(\s*)(.+?);\s*\/\/ (.+)$/.exec(line);
    if (match === null || /^\s*(const|let|var|for|if|import|try|\}|\/\/)/.test(line)) {
      out.push(line);
      continue;
    }
    const bytesComment = /^Uint8Array \[([0-9, ]*)\]$/.exec(match[3] as string);
    const value = bytesComment === null ? (match[3] as string) : `{ bytes: [${bytesComment[1] as string}] }`;
    // A literal: a string, number, array, object, true/false/null/undefined; not prose that happens to evaluate.
    let literal = /^(["'`[{0-9-]|true\b|false\b|null\b|undefined$)/.test(value);
    try {
      if (literal) new Function(`return (${value});`)();
    } catch {
      literal = false;
    }
    if (!literal) {
      out.push(line);
      continue;
    }
    out.push(`${match[1] as string}__check(${match[2] as string}, (${value}), ${JSON.stringify((match[2] as string).trim())});`);
    checks += 1;
  }
  return { code: out.join("\n"), checks };
}

function transpile(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    reportDiagnostics: false,
  }).outputText;
}

const prelude = `
const console = { log() {} };
const bytesFromSocket = new TextEncoder().encode("EHLO client.example\\r\\nDATA\\r\\nSubject: x\\r\\n\\r\\nhi\\r\\n.\\r\\n");
const bytesFromServer = new TextEncoder().encode("250-mx.example.com\\r\\n250 PIPELINING\\r\\n");
const messageBytes = new TextEncoder().encode("Subject: x\\r\\n\\r\\nhi\\n.\\n");
const bytes = bytesFromSocket, reader = new __grammar.CommandReader(), transactionReady = true;
const send = () => undefined, handle = () => undefined;
`;

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...parameters: string[]) => (...values: unknown[]) => Promise<void>;

function missingImports(code: string): string[] {
  const missing: string[] = [];
  for (const match of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@smtpkit\/[a-z]+)"/g)) {
    const module = match[2] === "@smtpkit/grammar" ? grammar : codes;
    for (const raw of (match[1] as string).split(",")) {
      const name = raw.trim();
      if (name.length > 0 && !name.startsWith("type ") && !(name in module)) missing.push(name);
    }
  }
  return missing;
}

function normalize(value: unknown, expected: unknown): unknown {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) {
    return typeof expected === "object" && expected !== null && "bytes" in expected ? { bytes: [...value] } : new TextDecoder().decode(value);
  }
  return JSON.parse(JSON.stringify(value)) as unknown;
}

async function run(example: Example): Promise<void> {
  expect(missingImports(example.code), `${example.where} imports names the packages do not export`).toEqual([]);
  const { code } = withChecks(example.code);
  // Free names used without an import in a fragment come from the package.
  const imported = new Set([...example.code.matchAll(/import\s*\{([^}]*)\}/g)].flatMap((match) => (match[1] as string).split(",").map((name) => name.trim())));
  const names = Object.keys(grammar).filter((name) => !imported.has(name) && !new RegExp(`(const|let|class|function) ${name}\\b`).test(example.code));
  const header = `const { ${names.join(", ")} } = __grammar;${imported.has("Situations") ? "" : " const { Situations } = __codes;"}`;
  const failures: string[] = [];
  const check = (actual: unknown, expected: unknown, expression: string): void => {
    try {
      expect(normalize(actual, expected)).toEqual(expected);
    } catch {
      failures.push(`${expression} is ${JSON.stringify(normalize(actual, expected))}, the comment says ${JSON.stringify(expected)}`);
    }
  };
  const require = (name: string): unknown => {
    if (name === "@smtpkit/grammar") return grammar;
    if (name === "@smtpkit/codes") return codes;
    throw new Error(`the example imports ${name}`);
  };
  const body = `${header}\n${prelude}\n{\n${transpile(code)}\n}`;
  await new AsyncFunction("require", "exports", "__grammar", "__codes", "__check", body)(require, {}, grammar, codes, check);
  expect(failures, example.where).toEqual([]);
}

const examples = [
  ...fenced(readFileSync(`${packageRoot}README.md`, "utf8"), "README.md"),
  ...fenced(readFileSync(`${repositoryRoot}docs/grammar.md`, "utf8"), "docs/grammar.md"),
  ...typedocExamples(),
];

describe("documentation examples run as written (review)", () => {
  it("finds every typedoc @example of the sources", () => {
    let tags = 0;
    for (const file of readdirSync(`${packageRoot}src/`).filter((name) => name.endsWith(".ts"))) {
      tags += readFileSync(`${packageRoot}src/${file}`, "utf8").split("@example\n").length - 1;
    }
    expect(examples.filter((example) => example.where.startsWith("src/")).length).toBe(tags);
    expect(examples.filter((example) => example.where.startsWith("README")).length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples.map((example) => [example.where, example] as const))("%s", async (_where, example) => {
    await run(example);
  });

  it("checks a value comment in many examples", () => {
    const checked = examples.reduce((sum, example) => sum + withChecks(example.code).checks, 0);
    expect(checked).toBeGreaterThanOrEqual(30);
  });
});
