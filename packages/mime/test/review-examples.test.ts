// Every TypeScript example in the README, the guide (docs/mime.md) and the typedoc `@example`
// blocks of the sources is run against the built package, and every `expression; // value`
// comment whose value is a JavaScript literal is checked: the docs cannot drift from the code.
// Free names the prose leaves to the reader (`bytes`, `chunk`, `pdfBytes`, `fetch`...) get small
// real values from a prelude; an example's own declarations shadow them.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as mime from "@smtpkit/mime";

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
    const line = markdown.slice(0, match.index).split("\n").length;
    out.push({ where: `${where}:${line}`, code: match[1] as string });
  }
  return out;
}

function typedocExamples(): Example[] {
  const out: Example[] = [];
  const sources = fileURLToPath(new URL("../src/", import.meta.url));
  for (const file of readdirSync(sources).filter((name) => name.endsWith(".ts"))) {
    const text = readFileSync(`${sources}${file}`, "utf8");
    const pattern = /@example\n((?:\s*\*.*\n)+?)\s*\*\s*```\n/g;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const block = (match[1] as string)
        .split("\n")
        .map((line) => line.replace(/^\s*\* ?/, ""))
        .join("\n");
      const code = block.slice(block.indexOf("```ts") + 5);
      const line = text.slice(0, match.index).split("\n").length;
      out.push({ where: `src/${file}:${line}`, code });
    }
  }
  return out;
}

/** `expression; // value` (value possibly continued on `//` lines) → a checked call, when the value is a literal. */
function withChecks(code: string): { code: string; checks: number } {
  const lines = code.split("\n");
  const out: string[] = [];
  let checks = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const match = /^(\s*)(.+?);\s*\/\/ (.+)$/.exec(line);
    if (match === null || /^\s*(const|let|var|for|if|import|try|\}|\/\/)/.test(line)) {
      out.push(line);
      continue;
    }
    let value = match[3] as string;
    let next = index + 1;
    while (next < lines.length && /^\s*\/\/\s/.test(lines[next] as string)) {
      value += ` ${(lines[next] as string).replace(/^\s*\/\/\s/, "")}`;
      next++;
    }
    let literal = true;
    try {
      new Function(`return (${value});`)();
    } catch {
      literal = false; // prose ("bytes of "Hello"", "encoded words decoded"): nothing to check
    }
    if (!literal) {
      out.push(line);
      continue;
    }
    out.push(`${match[1] as string}__check(${match[2] as string}, (${value}), ${JSON.stringify((match[2] as string).trim())});`);
    checks++;
    index = next - 1;
  }
  return { code: out.join("\n"), checks };
}

function transpile(code: string): string {
  const result = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    reportDiagnostics: false,
  });
  return result.outputText;
}

const encoder = new TextEncoder();
const sample = encoder.encode(
  "From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: =?UTF-8?Q?Caf=C3=A9?=\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n" +
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b\r\nContent-Type: application/pdf\r\n' +
    'Content-Disposition: attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n',
);

const prelude = `
const { ${Object.keys(mime).join(", ")} } = __mime;
const console = { log() {} };
const bytes = __sample, input = __sample, chunk = __sample;
const source = [__sample.subarray(0, 50), __sample.subarray(50)];
const response = new Response(__sample);
const fetch = async () => new Response(__sample);
const pdfBytes = new Uint8Array([37, 80, 68, 70]), pngBytes = new Uint8Array([137, 80, 78, 71]), pdf = pdfBytes;
const newPartBytes = new TextEncoder().encode("Content-Type: text/plain\\r\\n\\r\\nreplaced");
const from = "ann@example.com", to = ["bob@example.com"], text = "see attached";
const fileStream = new ReadableStream({ start(controller) { controller.enqueue(new Uint8Array(3000)); controller.close(); } });
`;

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...parameters: string[]) => (...values: unknown[]) => Promise<void>;

/** Names an example imports that the package does not export (types aside). */
function missingImports(code: string): string[] {
  const missing: string[] = [];
  for (const match of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@smtpkit\/mime"/g)) {
    for (const raw of (match[1] as string).split(",")) {
      const name = raw.trim();
      if (name.length === 0 || name.startsWith("type ")) continue;
      if (!(name in mime)) missing.push(name);
    }
  }
  return missing;
}

async function run(example: Example): Promise<number> {
  expect(missingImports(example.code), `${example.where} imports names the package does not export`).toEqual([]);
  const { code, checks } = withChecks(example.code);
  const body = `${prelude}\n{\n${transpile(code)}\n}`;
  const failures: string[] = [];
  const check = (actual: unknown, expected: unknown, expression: string): void => {
    const normalized = actual instanceof Date ? actual : JSON.parse(JSON.stringify(actual ?? null)) as unknown;
    try {
      expect(normalized).toEqual(expected);
    } catch {
      failures.push(`${expression} is ${JSON.stringify(actual)}, the comment says ${JSON.stringify(expected)}`);
    }
  };
  const require = (name: string): unknown => {
    if (name !== "@smtpkit/mime") throw new Error(`the example imports ${name}`);
    return mime;
  };
  await new AsyncFunction("require", "exports", "__mime", "__sample", "__check", body)(require, {}, mime, sample, check);
  expect(failures, example.where).toEqual([]);
  return checks;
}

const examples = [
  ...fenced(readFileSync(`${packageRoot}README.md`, "utf8"), "README.md"),
  ...fenced(readFileSync(`${repositoryRoot}docs/mime.md`, "utf8"), "docs/mime.md"),
  ...typedocExamples(),
];

describe("documentation examples run as written (review)", () => {
  it("finds the examples (README, guide, every exported function's typedoc)", () => {
    expect(examples.filter((example) => example.where.startsWith("README")).length).toBeGreaterThanOrEqual(5);
    // Every `@example` tag in the sources is found (a block the extractor misses would go unchecked).
    const sources = fileURLToPath(new URL("../src/", import.meta.url));
    let tags = 0;
    for (const file of readdirSync(sources).filter((name) => name.endsWith(".ts"))) tags += readFileSync(`${sources}${file}`, "utf8").split("@example\n").length - 1;
    expect(examples.filter((example) => example.where.startsWith("src/")).length).toBe(tags);
  });

  it.each(examples.map((example) => [example.where, example] as const))("%s", async (_where, example) => {
    await run(example);
  });

  it("checks a value comment in most examples", async () => {
    let checked = 0;
    for (const example of examples) checked += withChecks(example.code).checks;
    expect(checked).toBeGreaterThanOrEqual(25);
  });
});
