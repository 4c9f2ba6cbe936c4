// `import "@smtpkit/testkit"` must work where there is no Node (browsers, Deno):
// the arbitraries, assertions and the runner's logic name no Node API, and the
// built module graph has no static `node:` import. Only the two Node-backed
// files of the runner load `node:*`, lazily, inside the functions that need them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const packagesRoot = resolve(packageRoot, "..");

/** The files that may load Node modules, and only with a dynamic import(). */
const nodeBacked = new Set(["src/conformance/socket-transport.ts", "src/conformance/maildir-reader.ts"]);

function filesUnder(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder)) {
    const full = join(folder, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else if (full.endsWith(".ts")) out.push(full);
  }
  return out;
}

/** Source without comments, so that prose may say "process". */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

describe("runtime-agnostic sources", () => {
  const folders = ["src/arbitraries", "src/assertions", "src/conformance"];
  const files = folders.flatMap((folder) => filesUnder(join(packageRoot, folder))).map((file) => file.slice(packageRoot.length + 1));

  it("the scan sees the runner's files", () => {
    expect(files).toContain("src/conformance/run-conformance.ts");
    expect(files).toContain("src/conformance/socket-transport.ts");
  });

  it.each(files.filter((file) => !nodeBacked.has(file)))("%s names no node: module, Buffer or process", (file) => {
    const text = code(readFileSync(join(packageRoot, file), "utf8"));
    expect(text).not.toMatch(/["']node:/);
    expect(text).not.toMatch(/\bBuffer\b/);
    expect(text).not.toMatch(/\bprocess\b/);
  });

  it.each([...nodeBacked])("%s loads node: modules only with a dynamic import()", (file) => {
    const text = code(readFileSync(join(packageRoot, file), "utf8"));
    expect(text).not.toMatch(/^\s*import[^(]*["']node:/m);
    expect(text).toMatch(/await import\("node:/);
    expect(text).not.toMatch(/\bBuffer\b|\bprocess\b/);
  });
});

/** Static import and re-export specifiers of an ES module (dynamic `import()` excluded). */
function staticSpecifiers(source: string): string[] {
  const out: string[] = [];
  const pattern = /^\s*(?:import|export)\s(?:[^;"'()]*?\sfrom\s)?["']([^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) out.push(match[1] as string);
  return out;
}

describe("the built module graph", () => {
  it("reaches no node: module statically from dist/index.js, through every @smtpkit dependency", () => {
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of staticSpecifiers(readFileSync(file, "utf8"))) {
        if (specifier.startsWith("node:")) nodeImports.push(`${file.slice(packagesRoot.length + 1)} -> ${specifier}`);
        else if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
        else if (specifier.startsWith("@smtpkit/")) visit(join(packagesRoot, specifier.slice("@smtpkit/".length), "dist/index.js"));
      }
    };
    visit(join(packageRoot, "dist/index.js"));
    expect(seen.size).toBeGreaterThan(20);
    expect([...seen].some((file) => file.endsWith("conformance/socket-transport.js"))).toBe(true);
    expect(nodeImports).toEqual([]);
  });

  it("the scanner does find a static node: import (so the check above can fail)", () => {
    expect(staticSpecifiers('import { connect } from "node:net";\nexport * from "./a.js";\nconst x = await import("node:tls");')).toEqual(["node:net", "./a.js"]);
  });
});
