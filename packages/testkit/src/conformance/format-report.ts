/**
 * A conformance report as text for a terminal, as JSON, or as JUnit XML for
 * CI (one test case per rule: a failure per finding, skipped when the rule
 * could not be checked).
 *
 * @module
 */
import { conformanceRules } from "./rules.js";
import type { ConformanceReport, Finding } from "./run-conformance.js";
import { printableText, type Exchange } from "./wire.js";

/** The most octets of one write shown in a text transcript (the JSON report keeps them all). */
const MAX_SHOWN_OCTETS = 4096;

/** The formats {@link formatReport} writes. */
export type ReportFormat = "text" | "json" | "junit";

/** Bytes shown readably: CR, LF, TAB and other controls escaped, one transcript line per wire line. */
function visible(data: string): string {
  let out = "";
  for (let index = 0; index < data.length; index += 1) {
    const code = data.charCodeAt(index);
    if (code === 0x0d) out += "\\r";
    else if (code === 0x0a) out += index === data.length - 1 ? "\\n" : "\\n\n";
    else if (code === 0x09) out += "\\t";
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += data[index];
  }
  return out;
}

/**
 * A transcript as lines: `C: ` for what the runner sent, `S: ` for what the
 * server sent, `-- ` for moments; CR and LF shown as `\r` and `\n`.
 *
 * @param transcript - the exchanges of a finding
 * @returns one string, lines separated by LF
 * @example
 * ```ts
 * formatTranscript([{ direction: "client", data: "NOOP\r\n" }, { direction: "server", data: "250 OK\r\n" }]);
 * // "C: NOOP\\r\\n\nS: 250 OK\\r\\n"
 * ```
 */
export function formatTranscript(transcript: readonly Exchange[]): string {
  const lines: string[] = [];
  // Consecutive chunks from one side read as one stream (a server writing one octet at a time stays readable).
  const merged: Exchange[] = [];
  for (const exchange of transcript) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.direction === exchange.direction && exchange.direction !== "event") merged[merged.length - 1] = { direction: last.direction, data: last.data + exchange.data };
    else merged.push(exchange);
  }
  for (const exchange of merged) {
    if (exchange.direction === "event") {
      lines.push(`-- ${exchange.data}`);
      continue;
    }
    const prefix = exchange.direction === "client" ? "C: " : "S: ";
    // A message over SIZE is a megabyte: show its start; the JSON report keeps every byte.
    const shown = exchange.data.length > MAX_SHOWN_OCTETS ? exchange.data.slice(0, MAX_SHOWN_OCTETS) : exchange.data;
    for (const line of visible(shown).split("\n")) if (line !== "") lines.push(`${prefix}${line}`);
    if (shown.length < exchange.data.length) lines.push(`-- (${exchange.data.length - shown.length} more octets not shown)`);
  }
  return lines.join("\n");
}

function escapeXml(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === "&") out += "&amp;";
    else if (char === "<") out += "&lt;";
    else if (char === ">") out += "&gt;";
    else if (char === '"') out += "&quot;";
    // XML 1.0 cannot carry most control characters, even escaped.
    else if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += char;
  }
  return out;
}

/** Lines from the server for the report's head: escaped, at most 40 lines and 2000 characters. */
function headline(lines: readonly string[], separator: string): string {
  const shown = lines.slice(0, 40).join(separator);
  const more = lines.length > 40 ? ` … (${lines.length - 40} more lines)` : "";
  return `${printableText(shown, 2000)}${more}`;
}

function findingText(finding: Finding, index: number): string {
  const lines = [
    `${index + 1}. ${finding.rule} (${finding.rfc})`,
    `   ${printableText(finding.summary, 4000)}`,
    `   Rule: ${finding.requirement}`,
    `   RFC: "${finding.quote}"`,
    ...(finding.replay === undefined ? [] : [`   Replay: seed ${finding.replay.seed}, path "${finding.replay.path}"`]),
    "   Transcript:",
    ...formatTranscript(finding.transcript)
      .split("\n")
      .map((line) => `     ${line}`),
  ];
  return lines.join("\n");
}

/**
 * Writes a report.
 *
 * @param report - what {@link runConformance} returned
 * @param format - `text` (for people), `json` (the report itself) or `junit` (JUnit XML: one test case per rule)
 * @returns the document
 * @example
 * ```ts
 * import { runConformance, formatReport } from "@smtpkit/testkit";
 * const report = await runConformance({ host: "127.0.0.1", port: 2525 });
 * await writeFile("conformance.xml", formatReport(report, "junit"));
 * ```
 */
export function formatReport(report: ConformanceReport, format: ReportFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  if (format === "junit") return junit(report);
  if (format !== "text") throw new TypeError(`unknown report format ${String(format)}`);
  const lines = [
    `Conformance of ${report.target} (seed ${report.seed}, ${report.runs} runs, ${report.connections} connections, ${(report.durationMs / 1000).toFixed(1)} s)`,
    ...(report.server.greeting.length > 0 ? [`Greeting: ${headline(report.server.greeting, " / ")}`] : []),
    ...(report.server.ehlo.length > 0 ? [`EHLO: ${headline(report.server.ehlo.map((line) => line.slice(4)), ", ")}`] : []),
    "",
  ];
  if (report.plan !== undefined) {
    lines.push("Dry run: what would be sent", ...report.plan.map((step) => `  ${step}`), "");
  }
  if (report.plan !== undefined) {
    // A dry run found nothing because it sent nothing.
  } else if (report.findings.length === 0) lines.push(`No deviation found (${report.rulesChecked.length} rules checked).`, "");
  else {
    lines.push(`${report.findings.length} deviation(s) found:`, "");
    report.findings.forEach((finding, index) => lines.push(findingText(finding, index), ""));
  }
  if (report.notes.length > 0) lines.push("Notes:", ...report.notes.map((note) => `  - ${note}`));
  return `${lines.join("\n").trimEnd()}\n`;
}

function junit(report: ConformanceReport): string {
  const byRule = new Map(report.findings.map((finding) => [finding.rule, finding]));
  const cases = conformanceRules.map((rule) => {
      const finding = byRule.get(rule.name);
      const name = escapeXml(`${rule.name} (${rule.rfc})`);
      if (!report.rulesChecked.includes(rule.name)) {
        const why = report.notes.find((note) => note.startsWith(`${rule.name}: `)) ?? "not checked in this run";
        return `    <testcase classname="smtpkit.conformance" name="${name}"><skipped message="${escapeXml(why)}"/></testcase>`;
      }
      if (finding === undefined) return `    <testcase classname="smtpkit.conformance" name="${name}"/>`;
      return [
        `    <testcase classname="smtpkit.conformance" name="${name}">`,
        `      <failure message="${escapeXml(finding.summary)}" type="${rule.name}">${escapeXml(`${finding.requirement}\nRFC: "${finding.quote}"\n\n${formatTranscript(finding.transcript)}`)}</failure>`,
        "    </testcase>",
      ].join("\n");
    });
  const skipped = conformanceRules.length - report.rulesChecked.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smtpkit conform" tests="${cases.length}" failures="${report.findings.length}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${escapeXml(report.target)}" tests="${cases.length}" failures="${report.findings.length}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `    <properties><property name="seed" value="${report.seed}"/></properties>`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
