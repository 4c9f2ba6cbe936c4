// One vitest run for the whole monorepo: every package is a project named after
// its npm name, and every `@smtpkit/*` import resolves to that package's built
// `dist/` (what is published), never to another package's sources.
import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const packageNames = readdirSync(`${root}packages`).filter((name) =>
  existsSync(`${root}packages/${name}/package.json`),
);

const alias = Object.fromEntries(
  packageNames
    .filter((name) => existsSync(`${root}packages/${name}/src/index.ts`))
    .map((name) => [`@smtpkit/${name}`, `${root}packages/${name}/dist/index.js`]),
);

const projectDirectories = [
  ...packageNames.map((name) => ({ name: `@smtpkit/${name}`, directory: `${root}packages/${name}` })),
  // The benchmark harness has one smoke test, so that `pnpm bench` cannot rot unnoticed.
  { name: "@smtpkit/bench", directory: `${root}bench` },
];

export default defineConfig({
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    projects: projectDirectories.map(({ name, directory }) => ({
      resolve: { alias },
      test: {
        name,
        root: directory,
        include: ["test/**/*.test.ts"],
        testTimeout: 60_000,
        // Integration tests start real servers in beforeAll; on a loaded 2-core CI machine that can take well over
        // vitest's default 10 s.
        hookTimeout: 60_000,
      },
    })),
  },
});
