#!/usr/bin/env node
// `pnpm bench`: smtpkit side by side with the peers users would pick instead.
//
//   pnpm bench                 quick profile (a few minutes)
//   pnpm bench --full          the whole matrix, full sizes
//   pnpm bench --smoke         tiny sizes, one round: keeps the harness from rotting
//   pnpm bench --only mime     only the suites whose name contains "mime"
//
// Prints a table and writes bench/results/<time>.json and bench/results/latest-<profile>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { runCase } from "./lib/harness.mjs";
import { formatTable } from "./lib/report.mjs";

const profiles = {
  smoke: { rounds: 1, minTimeMs: 10, warmupMs: 2 },
  quick: { rounds: 3, minTimeMs: 250, warmupMs: 50 },
  full: { rounds: 5, minTimeMs: 1000, warmupMs: 200 },
};

const args = process.argv.slice(2);
const profileName = args.includes("--full") ? "full" : args.includes("--smoke") ? "smoke" : "quick";
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const profile = profiles[profileName];

const suiteNames = ["grammar", "codecs", "mime", "server", "client"];
const cases = [];
const started = Date.now();
for (const suiteName of suiteNames) {
  if (only !== undefined && !suiteName.includes(only)) continue;
  const suite = await import(`./suites/${suiteName}.mjs`);
  for (const benchCase of await suite.cases(profileName)) {
    process.stderr.write(`running ${benchCase.group}: ${benchCase.name}\n`);
    cases.push(await runCase(benchCase, profile));
  }
}

const machine = {
  cpus: os.cpus()[0]?.model,
  cores: os.cpus().length,
  memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
};
console.log(`\nsmtpkit bench, ${profileName} profile (${profile.rounds} interleaved rounds; medians, min–max)`);
console.log(`${machine.cpus}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}\n`);
console.log(formatTable(cases));
console.log(`\n${cases.length} cases in ${((Date.now() - started) / 1000).toFixed(0)} s`);

const record = { date: new Date().toISOString(), profile: profileName, machine, cases };
const resultsDir = new URL("./results/", import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const stamp = record.date.replace(/[:.]/g, "-");
writeFileSync(new URL(`${stamp}-${profileName}.json`, resultsDir), `${JSON.stringify(record, null, 2)}\n`);
writeFileSync(new URL(`latest-${profileName}.json`, resultsDir), `${JSON.stringify(record, null, 2)}\n`);
