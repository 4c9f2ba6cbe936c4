#!/usr/bin/env node
// Packs every publishable package with pnpm (exactly what `pnpm publish` would
// upload, with workspace:* rewritten) and lints each tarball with publint in
// strict mode. Run after `pnpm build`. Exits non-zero on any finding.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), "smtpkit-pack-"));
let failed = 0;
for (const name of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", name);
  if (!existsSync(join(dir, "package.json"))) continue;
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (pkg.private) continue;
  execFileSync("pnpm", ["pack", "--pack-destination", out], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  const tarball = readdirSync(out).find((file) => file.startsWith(`smtpkit-${name}-`) && file.endsWith(".tgz"));
  if (tarball === undefined) {
    console.error(`${pkg.name}: pnpm pack produced no tarball`);
    failed += 1;
    continue;
  }
  try {
    execFileSync("npx", ["publint", "run", join(out, tarball), "--strict"], { cwd: dir, stdio: "inherit" });
    console.log(`publint: ${pkg.name} ok`);
  } catch {
    console.error(`publint: ${pkg.name} has findings`);
    failed += 1;
  }
}
rmSync(out, { recursive: true, force: true });
process.exit(failed === 0 ? 0 : 1);
