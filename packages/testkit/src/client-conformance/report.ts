/**
 * The client conformance report and its three renderings: text for people,
 * JSON for programs, JUnit XML for CI (one test case per conformance case;
 * `fail` is a failure, `not-applicable` is skipped). Pure: no I/O.
 *
 * @module
 */
import { TestkitError } from "../testkit-error.js";
import type { ClientCaseId } from "./cases.js";
import type { ClientRunOutcome, ClientVerdict, ClientViolation, ConnectionEnd } from "./judge.js";
import type { TranscriptEntry } from "./scripted-server.js";

/** One case's result. */
export interface ClientCaseReport {
  /** The case. */
  readonly id: ClientCaseId;
  /** What the scripted server did. */
  readonly misbehaviour: string;
  /** What a conforming client does. */
  readonly expected: string;
  /** The verdict. */
  readonly verdict: ClientVerdict;
  /** Every rule broken, with its RFC section (empty unless `fail`). */
  readonly violations: readonly ClientViolation[];
  /** Why the case did not apply (`not-applicable`). */
  readonly reason?: string;
  /** How the connection ended. */
  readonly end: ConnectionEnd;
  /** Milliseconds from the connection to its end. */
  readonly durationMs: number;
  /** What the client reported, when the runner ran it. */
  readonly client?: ClientRunOutcome;
  /** The exchange as the server saw it (credentials hidden). */
  readonly transcript: readonly TranscriptEntry[];
}

/** What {@link runClientConformance} returns. */
export interface ClientConformanceReport {
  /** A stable tag. */
  readonly type: "client-conformance";
  /** Where the scripted server listened. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Whether the client was judged as one that requires TLS. */
  readonly requiresTls: boolean;
  /** The cases, in play order. */
  readonly cases: readonly ClientCaseReport[];
  /** How many cases got each verdict. */
  readonly summary: { readonly pass: number; readonly fail: number; readonly notApplicable: number };
}

/** The renderings of {@link formatClientConformanceReport}. */
export type ClientReportFormat = "text" | "json" | "junit";

function xml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;")).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

function transcriptText(transcript: readonly TranscriptEntry[]): string {
  return transcript.map((entry) => `${entry.from === "client" ? "C:" : entry.from === "server" ? "S:" : "--"}${entry.tls ? " [tls]" : ""} ${entry.text}`).join("\n");
}

/**
 * Renders a report as text (a line per case, and for each failure the rules
 * and the transcript), JSON (the report itself) or JUnit XML.
 *
 * @param report - the report
 * @param format - `text`, `json` or `junit`
 * @returns the rendering
 * @throws {@link TestkitError} (`invalid-argument`) for another format
 * @example
 * ```ts
 * import { formatClientConformanceReport, runClientConformance } from "@smtpkit/testkit";
 * const report = await runClientConformance({ runClient: async ({ host, port }) => ({ reportedSuccess: await mySend(host, port) }) });
 * console.log(formatClientConformanceReport(report, "text"));
 * ```
 */
export function formatClientConformanceReport(report: ClientConformanceReport, format: ClientReportFormat): string {
  if (format === "json") return `${JSON.stringify(report, null, 2)}\n`;
  if (format === "junit") {
    const cases = report.cases.map((c) => {
      const head = `    <testcase classname="client-conformance" name="${xml(c.id)}" time="${(c.durationMs / 1000).toFixed(3)}">`;
      if (c.verdict === "pass") return `${head}</testcase>`;
      if (c.verdict === "not-applicable") return `${head}\n      <skipped message="${xml(c.reason ?? "not applicable")}"/>\n    </testcase>`;
      const message = c.violations.map((v) => `${v.rule} (${v.rfc}): ${v.summary}`).join("; ");
      return `${head}\n      <failure message="${xml(message)}">${xml(`${message}\n\n${transcriptText(c.transcript)}`)}</failure>\n    </testcase>`;
    });
    const { pass, fail, notApplicable } = report.summary;
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites tests="${pass + fail + notApplicable}" failures="${fail}" skipped="${notApplicable}">`,
      `  <testsuite name="smtpkit client conformance" tests="${pass + fail + notApplicable}" failures="${fail}" skipped="${notApplicable}">`,
      ...cases,
      "  </testsuite>",
      "</testsuites>",
      "",
    ].join("\n");
  }
  if (format !== "text") throw new TestkitError("invalid-argument", `format must be "text", "json" or "junit", not ${JSON.stringify(format)}`);
  const lines: string[] = [];
  for (const c of report.cases) {
    const mark = c.verdict === "pass" ? "pass" : c.verdict === "fail" ? "FAIL" : "n/a ";
    lines.push(`${mark}  ${c.id}${c.reason === undefined ? "" : `: ${c.reason}`}`);
    if (c.verdict !== "fail") continue;
    lines.push(`      server: ${c.misbehaviour}`, `      expected: ${c.expected}`);
    for (const v of c.violations) lines.push(`      broke ${v.rule} (${v.rfc}): ${v.summary}`);
    if (c.client !== undefined) lines.push(`      the client reported: ${c.client.reportedSuccess ? "sent" : "not sent"}${c.client.detail === undefined ? "" : ` (${c.client.detail})`}`);
    lines.push(`      connection end: ${c.end}, after ${c.durationMs} ms`);
    for (const line of transcriptText(c.transcript).split("\n")) lines.push(`      ${line}`);
  }
  const { pass, fail, notApplicable } = report.summary;
  lines.push("", `${pass} passed, ${fail} failed, ${notApplicable} not applicable (client judged as ${report.requiresTls ? "requiring" : "not requiring"} TLS)`);
  return `${lines.join("\n")}\n`;
}
