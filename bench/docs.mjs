#!/usr/bin/env node
// Writes docs/performance.md and docs/performance.svg from one or more results
// files (runs of different suites, e.g. `--only grammar` then `--only server`):
//   node bench/docs.mjs [bench/results/latest-full.json ...]
// The chart shows, for each case, smtpkit's median as a multiple of the best
// peer's median (left) and as a share of the ceiling (right), from the same run.
import { readFileSync, writeFileSync } from "node:fs";
import { formatRate } from "./lib/harness.mjs";

const files = process.argv.length > 2 ? process.argv.slice(2) : [new URL("./results/latest-full.json", import.meta.url).pathname];
const records = files.map((file) => JSON.parse(readFileSync(file, "utf8")));
// Each file is one run; ratios are only ever computed within a run, so merging
// keeps every case's own figures and lists the runs it came from.
const record = {
  ...records[0],
  date: records.map((one) => one.date).sort().at(-1),
  runs: records.map((one) => ({ date: one.date, profile: one.profile, groups: [...new Set(one.cases.map((benchCase) => benchCase.group))] })),
  cases: records.flatMap((one) => one.cases),
};
const docs = new URL("../docs/", import.meta.url);

const escape = (text) => String(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

function chart(cases) {
  const rows = cases.filter((benchCase) => benchCase.ratios.oursToBestPeer !== undefined || benchCase.ratios.oursToCeiling !== undefined);
  const labelWidth = 430;
  const barWidth = 260;
  const rowHeight = 22;
  const top = 48;
  const width = labelWidth + 2 * barWidth + 60;
  const height = top + rows.length * rowHeight + 30;
  const peerMax = Math.max(2.5, ...rows.map((row) => row.ratios.oursToBestPeer ?? 0)) * 1.05;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${labelWidth}" y="18" font-weight="bold">× best peer (1 = as fast)</text>`,
    `<text x="${labelWidth + barWidth + 30}" y="18" font-weight="bold">share of the ceiling</text>`,
    `<text x="8" y="18" font-weight="bold">smtpkit, ${escape(record.profile)} profile, ${escape(record.date.slice(0, 10))}</text>`,
  ];
  const peerX = (value) => labelWidth + (value / peerMax) * barWidth;
  const ceilingX = (value) => labelWidth + barWidth + 30 + Math.min(value, 1.2) / 1.2 * barWidth;
  parts.push(`<line x1="${peerX(1)}" y1="${top - 14}" x2="${peerX(1)}" y2="${height - 24}" stroke="#888" stroke-dasharray="3,3"/>`);
  parts.push(`<line x1="${ceilingX(1)}" y1="${top - 14}" x2="${ceilingX(1)}" y2="${height - 24}" stroke="#888" stroke-dasharray="3,3"/>`);
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    parts.push(`<text x="8" y="${y + 4}">${escape(`${row.group}: ${row.name}`.slice(0, 70))}</text>`);
    const peer = row.ratios.oursToBestPeer;
    if (peer !== undefined) {
      parts.push(`<rect x="${labelWidth}" y="${y - 8}" width="${Math.max(1, peerX(peer) - labelWidth)}" height="14" fill="${peer >= 1 ? "#2b8a3e" : "#c92a2a"}"/>`);
      parts.push(`<text x="${peerX(peer) + 4}" y="${y + 4}">${peer.toFixed(2)}× ${escape(row.ratios.bestPeer ?? "")}</text>`);
    }
    const ceiling = row.ratios.oursToCeiling;
    if (ceiling !== undefined) {
      const x0 = labelWidth + barWidth + 30;
      parts.push(`<rect x="${x0}" y="${y - 8}" width="${Math.max(1, ceilingX(ceiling) - x0)}" height="14" fill="#1c7ed6"/>`);
      parts.push(`<text x="${ceilingX(ceiling) + 4}" y="${y + 4}">${(ceiling * 100).toFixed(0)}%</text>`);
    }
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function table(cases) {
  const lines = [
    "| case | system | median | min–max | ours × best peer | ours × target peer | ours / ceiling | ours × reference | target | peak RSS |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const ratio = (value) => (value === undefined ? "" : `${value.toFixed(2)}×`);
  for (const benchCase of cases) {
    const { ratios } = benchCase;
    for (const result of benchCase.results) {
      const ours = result.role === "ours";
      const role = result.role === "ceiling" ? " (ceiling)" : result.role === "reference" ? " (reference)" : "";
      const cells = [
        `${benchCase.group}: ${benchCase.name}`,
        `${result.system}${role}`,
        result.skipped ? `skipped: ${result.skipped}` : formatRate(result.median, benchCase.unit),
        result.skipped ? "" : `${formatRate(result.min, benchCase.unit)} – ${formatRate(result.max, benchCase.unit)}`,
        ours ? `${ratio(ratios.oursToBestPeer)}${ratios.bestPeer ? ` ${ratios.bestPeer}` : ""}` : "",
        ours && ratios.targetPeer !== undefined ? `${ratio(ratios.oursToTargetPeer)} ${ratios.targetPeer}` : "",
        ours && ratios.oursToCeiling !== undefined ? `${(ratios.oursToCeiling * 100).toFixed(0)}%` : "",
        ours ? ratio(ratios.oursToReference) : "",
        ours ? (benchCase.target ?? "") : "",
        result.peakRss === undefined ? "" : `${(result.peakRss / 2 ** 20).toFixed(0)} MB`,
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

writeFileSync(new URL("performance.svg", docs), chart(record.cases));
const intro = readFileSync(new URL("./performance-intro.md", import.meta.url), "utf8");
writeFileSync(
  new URL("performance.md", docs),
  `${intro}\n## Latest ${record.profile} run\n\n${record.machine.cpus} (${record.machine.cores} cores, ${record.machine.memory}), Node ${record.machine.node}, ${record.machine.platform}. Runs: ${record.runs
    .map((run) => `${run.groups.join(", ")} (${run.profile}, ${run.date})`)
    .join("; ")}.\n\n![ratios](performance.svg)\n\n${table(record.cases)}\n`,
);
console.log("wrote docs/performance.md and docs/performance.svg");
