#!/usr/bin/env node
// Lays out a new package with the one shape every smtpkit package has:
//   node scripts/new-package.mjs <name> "<description>" [dependency ...]
// Dependencies are other @smtpkit package names (without the scope).
import { copyFileSync, mkdirSync, writeFileSync, existsSync, readFileSync } from "node:fs";

const [name, description, ...dependencies] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>" [dependency ...]');
  process.exit(2);
}
const dir = `packages/${name}`;
if (existsSync(`${dir}/package.json`)) {
  console.error(`${dir} exists already`);
  process.exit(1);
}
mkdirSync(`${dir}/src`, { recursive: true });
mkdirSync(`${dir}/test`, { recursive: true });
const pkg = {
  name: `@smtpkit/${name}`,
  version: "0.0.0",
  description,
  license: "MIT",
  type: "module",
  sideEffects: false,
  engines: { node: ">=20" },
  exports: {
    "./package.json": "./package.json",
    ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
  },
  main: "./dist/index.js",
  types: "./dist/index.d.ts",
  files: ["dist", "!dist/.tsbuildinfo", "src"],
  repository: { type: "git", url: "git+https://github.com/smtpkit/smtpkit.git", directory: dir },
  scripts: {
    build: "tsc -b",
    typecheck: "tsc -p tsconfig.test.json",
    test: `vitest run --root ../.. --project @smtpkit/${name}`,
  },
  ...(dependencies.length > 0
    ? { dependencies: Object.fromEntries(dependencies.map((dependency) => [`@smtpkit/${dependency}`, "workspace:*"])) }
    : {}),
};
copyFileSync("LICENSE", `${dir}/LICENSE`);
writeFileSync(`${dir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
const references = dependencies.map((dependency) => `    { "path": "../${dependency}" }`).join(",\n");
writeFileSync(
  `${dir}/tsconfig.json`,
  `{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "rootDir": "src",
    "outDir": "dist",
    "tsBuildInfoFile": "dist/.tsbuildinfo"
  },
  "include": ["src"]${dependencies.length > 0 ? `,\n  "references": [\n${references}\n  ]` : ""}
}
`,
);
writeFileSync(
  `${dir}/tsconfig.test.json`,
  `{
  // Type-checks the tests (which may use Node's APIs) without emitting.
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "composite": false,
    "incremental": false,
    "noEmit": true,
    "types": ["node"]
  },
  "include": ["src", "test"]
}
`,
);
writeFileSync(
  `${dir}/typedoc.json`,
  `${JSON.stringify({ $schema: "https://typedoc.org/schema.json", entryPoints: ["src/index.ts"], tsconfig: "tsconfig.json", readme: "README.md" }, null, 2)}\n`,
);
// Register the package in the solution tsconfig.
const solution = readFileSync("tsconfig.json", "utf8");
if (!solution.includes(`./packages/${name}"`)) {
  writeFileSync(
    "tsconfig.json",
    solution.replace(/("references": \[\n)/, `$1    { "path": "./packages/${name}" },\n`),
  );
}
console.log(`created ${dir}`);
