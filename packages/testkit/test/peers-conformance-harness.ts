// The conformance runner against real SMTP servers: how each peer is started,
// the runner options each run uses, the expected findings (read from the
// report, docs/conformance/README.md, so that the report and the test cannot
// disagree), and the page writer that turns a run into docs/conformance/<peer>.md.
//
// The peer test files (peers-conformance-<peer>.integration.test.ts) call
// `checkPeer`; with SMTPKIT_CONFORMANCE_REPORTS=write (set by
// packages/testkit/scripts/conformance-reports.sh) they also rewrite the
// pages from the run they just made.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createSelfSignedCertificate,
  RawSmtpClient,
  startAiosmtpd,
  startExim,
  startPostfix,
  startSmtpServer,
  type PeerName,
  type StoredMessage,
} from "@smtpkit/interop";
import { createServer } from "@smtpkit/server";
import {
  conformanceRules,
  formatReport,
  formatTranscript,
  maildirReader,
  runConformance,
  type ConformanceOptions,
  type ConformanceReport,
  type Finding,
  type ReadStored,
  type RuleName,
} from "@smtpkit/testkit";
import { expect } from "vitest";
import { commentary, type Commentary } from "./peers-conformance-commentary.js";

export const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const conformanceFolder = join(repositoryRoot, "docs/conformance");

/** The peers of the reports, in the order of the README's table. */
export type PeerId = "smtpkit-server" | "postfix-default" | "postfix-strict" | "aiosmtpd" | "smtp-server" | "exim";

/** A peer started for one run. */
interface StartedPeer {
  readonly host: string;
  readonly port: number;
  readonly readStored: ReadStored;
  /** The Maildir, for a run through the command line (`--maildir`). */
  readonly maildir?: string;
  stop(): Promise<void>;
}

/** How one peer is started and run. */
export interface PeerRun {
  readonly id: PeerId;
  /** The column title of the README's table. */
  readonly title: string;
  /** What `requirePeer` must find. */
  readonly needs: readonly PeerName[];
  /** The settings, in one paragraph of Markdown (goes into the page). */
  readonly settings: string;
  /** The seed of the run (fixed: the pages are generated from it). */
  readonly seed: number;
  /**
   * `cli`: run through `smtpkit conform --json` (the built binary of packages/cli) instead of calling
   * `runConformance`, with the same options, so the command line is proved on a real server too.
   */
  readonly via?: "cli";
  start(): Promise<StartedPeer>;
}

/**
 * Runner options shared by every peer. Bounded so that the six runs together
 * stay near a minute and a half on a loaded two-core machine: 40 sessions per
 * search (the search runs again after each finding); quiet waits of 300 ms
 * (the smuggling probe waits twice per look-alike, 22 times in all: the
 * largest cost of a run; shorter waits would miss a slow answer under load);
 * up to 50 new loopback connections a second. Everything else is the
 * runner's default, so `CLI_ARGUMENTS` says the same on the command line.
 */
export const RUN_OPTIONS = {
  numRuns: 40,
  maxCommands: 12,
  maxConnections: 2,
  ratePerSecond: 50,
  timeouts: { connect: 10_000, reply: 10_000, quiet: 300, close: 3_000, tls: 10_000 },
} as const satisfies Partial<ConformanceOptions>;

/** RUN_OPTIONS as `smtpkit conform` options (its other defaults are the runner's). */
export const CLI_ARGUMENTS: readonly string[] = [
  "--runs",
  String(RUN_OPTIONS.numRuns),
  "--quiet",
  String(RUN_OPTIONS.timeouts.quiet),
  "--rate",
  String(RUN_OPTIONS.ratePerSecond),
  "--connections",
  String(RUN_OPTIONS.maxConnections),
  "--timeout",
  String(RUN_OPTIONS.timeouts.reply),
];

/** How long a stored message may take to appear (Postfix and Exim deliver asynchronously). */
const STORE_TIMEOUT_MS = 10_000;

/** A `readStored` over a peer that keeps one file per message (aiosmtpd, smtp-server): found by the runner's Message-ID. */
function messageFolderReader(messages: () => StoredMessage[]): ReadStored {
  return async ({ messageId }) => {
    const needle = `<${messageId}>`;
    const deadline = Date.now() + STORE_TIMEOUT_MS;
    for (;;) {
      for (const message of messages()) {
        if (message.data.toString("latin1").includes(needle)) return new Uint8Array(message.data);
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
}

async function withCertificate<T>(use: (certificate: { key: string; cert: string }, directory: string) => Promise<T>): Promise<T> {
  const directory = mkdtempSync(join(tmpdir(), "smtpkit-conformance-peer-"));
  const certificate = await createSelfSignedCertificate({ directory, commonName: "mx.example.test" });
  return use({ key: certificate.key, cert: certificate.certificate }, directory);
}

export const PEER_RUNS: readonly PeerRun[] = [
  {
    id: "smtpkit-server",
    title: "@smtpkit/server",
    needs: ["openssl"],
    settings:
      "`createServer({ hostname: \"mx.example.test\", localDomains: [\"example.test\"], maildir, tls: { key, cert } })`: " +
      "the defaults of `@smtpkit/server` (PIPELINING, SIZE 10485760, 8BITMIME, SMTPUTF8, CHUNKING, ENHANCEDSTATUSCODES), " +
      "STARTTLS with a fresh self-signed certificate, delivery into a Maildir that the runner reads back.",
    seed: 1,
    start: () =>
      withCertificate(async (tls, directory) => {
        const maildir = join(directory, "maildir");
        const server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir, tls });
        const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
        return {
          host: "127.0.0.1",
          port,
          readStored: maildirReader(maildir, { timeoutMs: STORE_TIMEOUT_MS }),
          async stop() {
            await server.close({ graceMs: 100 });
            rmSync(directory, { recursive: true, force: true });
          },
        };
      }),
  },
  {
    id: "postfix-default",
    title: "Postfix 3.7 (default)",
    needs: ["postfix", "openssl"],
    settings:
      "`startPostfix({ tls: true })` of `@smtpkit/interop`: a private Postfix 3.7 smtpd on 127.0.0.1 with Debian's " +
      "defaults except what a test instance needs (`mydestination = example.test localhost`, any local part accepted, " +
      "delivery by `virtual(8)` into one Maildir, `smtpd_tls_security_level = may`, no relaying, no DNS). " +
      "`smtpd_forbid_bare_newline` stays at its 3.7 default (`no`), and 127.0.0.1 is in `mynetworks`.",
    seed: 1,
    via: "cli",
    start: async () => {
      const peer = await startPostfix({ tls: true });
      return { host: peer.host, port: peer.port, maildir: peer.maildir, readStored: maildirReader(peer.maildir, { timeoutMs: STORE_TIMEOUT_MS }), stop: () => peer.stop() };
    },
  },
  {
    id: "postfix-strict",
    title: "Postfix 3.7 (strict)",
    needs: ["postfix", "openssl"],
    settings:
      "`startPostfix({ tls: true, strict: true, mainCf: POSTFIX_STRICT })`: the default instance plus " +
      "`smtpd_forbid_bare_newline = reject` with no exclusions and `smtpd_forbid_unauth_pipelining = yes` " +
      "(the SMTP-smuggling defences Postfix 3.7 leaves off), `strict_rfc821_envelopes = yes` (MAIL and RCPT " +
      "addresses must be in `<>`, RFC 5321 §4.1.2), `smtpd_helo_required = yes` (MAIL before HELO/EHLO gets 503), " +
      "`strict_mime_encoding_domain = yes` and `strict_8bitmime_body = yes` (MIME encodings checked; refusals are " +
      "policy, not findings), `disable_vrfy_command = yes`.",
    seed: 1,
    start: async () => {
      const peer = await startPostfix({ tls: true, strict: true, mainCf: POSTFIX_STRICT });
      return { host: peer.host, port: peer.port, readStored: maildirReader(peer.maildir, { timeoutMs: STORE_TIMEOUT_MS }), stop: () => peer.stop() };
    },
  },
  {
    id: "aiosmtpd",
    title: "aiosmtpd 1.4.3",
    needs: ["aiosmtpd", "openssl"],
    settings:
      "`startAiosmtpd({ tls: true })`: Debian's aiosmtpd 1.4.3 with a handler that stores each message as received " +
      "(DATA exactly), STARTTLS offered (not required). It offers SIZE, 8BITMIME, STARTTLS and HELP; it does not " +
      "announce PIPELINING, so the pipelining probe does not run.",
    seed: 1,
    start: async () => {
      const peer = await startAiosmtpd({ tls: true });
      return { host: peer.host, port: peer.port, readStored: messageFolderReader(() => peer.messages()), stop: () => peer.stop() };
    },
  },
  {
    id: "smtp-server",
    title: "smtp-server 3.21.6",
    needs: ["smtp-server"],
    settings:
      "`startSmtpServer()`: nodemailer's `smtp-server` 3.21.6 in the test process with `onData` writing each " +
      "message to a folder; STARTTLS with a fresh self-signed certificate, AUTH PLAIN/LOGIN offered (not required), " +
      "its default features (PIPELINING, 8BITMIME, SMTPUTF8, SIZE; no ENHANCEDSTATUSCODES).",
    seed: 1,
    start: async () => {
      const peer = await startSmtpServer();
      return { host: peer.host, port: peer.port, readStored: messageFolderReader(() => peer.messages()), stop: () => peer.stop() };
    },
  },
  {
    id: "exim",
    title: "Exim 4.96",
    needs: ["exim", "openssl"],
    settings:
      "`startExim({ tls: true })`: Debian's `exim4-daemon-light` 4.96 unpacked and run with a private configuration " +
      "(accepts only `example.test`, delivers into a Maildir, no relaying, no DNS), STARTTLS offered. Everything " +
      "else is Exim's default, including `smtp_max_unknown_commands = 3`, `smtp_max_synprot_errors = 3` and " +
      "`smtp_enforce_sync = true`.",
    seed: 1,
    start: async () => {
      const peer = await startExim({ tls: true });
      return { host: peer.host, port: peer.port, readStored: maildirReader(peer.maildir, { timeoutMs: STORE_TIMEOUT_MS }), stop: () => peer.stop() };
    },
  },
];

/** The settings of the strict Postfix profile beyond `strict: true` (see the page). */
export const POSTFIX_STRICT: Readonly<Record<string, string>> = {
  strict_rfc821_envelopes: "yes",
  smtpd_helo_required: "yes",
  strict_mime_encoding_domain: "yes",
  strict_8bitmime_body: "yes",
  disable_vrfy_command: "yes",
};

export function peerRun(id: PeerId): PeerRun {
  const run = PEER_RUNS.find((candidate) => candidate.id === id);
  if (run === undefined) throw new Error(`no peer ${id}`);
  return run;
}

/** What the README's table says for one peer: the rules with a deviation, and the rules not checked. */
export interface ExpectedResult {
  readonly deviations: readonly RuleName[];
  readonly notChecked: readonly RuleName[];
}

/** Cell marks of the README's table. */
export const MARKS = { deviation: "**deviation**", clean: "✓", notChecked: "n/c" } as const;

/**
 * Reads the README's peer × rule table: one row per rule (first cell the rule
 * name in backquotes), one column per peer (titles as in PEER_RUNS).
 */
export function readExpectedTable(markdown = readFileSync(join(conformanceFolder, "README.md"), "utf8")): Map<PeerId, ExpectedResult> {
  const lines = markdown.split("\n");
  const headerIndex = lines.findIndex((line) => line.startsWith("| rule |"));
  if (headerIndex < 0) throw new Error("docs/conformance/README.md has no `| rule |` table");
  const titles = cells(lines[headerIndex] ?? "").slice(1);
  const ids = titles.map((title) => {
    const run = PEER_RUNS.find((candidate) => candidate.title === title);
    if (run === undefined) throw new Error(`README table column ${JSON.stringify(title)} is no known peer`);
    return run.id;
  });
  const result = new Map<PeerId, { deviations: RuleName[]; notChecked: RuleName[] }>(ids.map((id) => [id, { deviations: [], notChecked: [] }]));
  const known = new Set<string>(conformanceRules.map((rule) => rule.name));
  for (const line of lines.slice(headerIndex + 2)) {
    if (!line.startsWith("|")) break;
    const [ruleCell, ...marks] = cells(line);
    const rule = /^`([a-z0-9-]+)`/.exec(ruleCell ?? "")?.[1];
    if (rule === undefined || !known.has(rule)) throw new Error(`README table row ${JSON.stringify(line)} names no rule`);
    marks.forEach((mark, index) => {
      const entry = result.get(ids[index] as PeerId);
      if (entry === undefined) throw new Error(`README table row ${JSON.stringify(line)} has too many cells`);
      if (mark.startsWith(MARKS.deviation)) entry.deviations.push(rule as RuleName);
      else if (mark.startsWith(MARKS.notChecked)) entry.notChecked.push(rule as RuleName);
      else if (mark !== MARKS.clean) throw new Error(`README table cell ${JSON.stringify(mark)} (${rule}) is none of ${Object.values(MARKS).join(", ")}`);
    });
  }
  return result;
}

function cells(line: string): string[] {
  return line
    .split("|")
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The rules a report says it could not check ("<rule>: not checked, ..."). */
export function notCheckedRules(report: ConformanceReport): RuleName[] {
  const names = new Set<string>(conformanceRules.map((rule) => rule.name));
  return report.notes
    .map((note) => /^([a-z0-9-]+): not checked/.exec(note)?.[1])
    .filter((name): name is RuleName => name !== undefined && names.has(name))
    .sort();
}

/** Runs the runner against a started peer with the shared options. */
export async function runAgainst(run: PeerRun): Promise<{ report: ConformanceReport; lenientMail: readonly number[] }> {
  const peer = await run.start();
  try {
    const report = run.via === "cli" ? await runThroughCli(run, peer) : await runConformance({ host: peer.host, port: peer.port, seed: run.seed, readStored: peer.readStored, ...RUN_OPTIONS });
    return { report, lenientMail: await lenientMailCodes(peer.host, peer.port) };
  } finally {
    await peer.stop();
  }
}

/**
 * The two MAIL forms RFC 5321 forbids that Postfix's defaults (and @smtpkit/server's) accept on purpose, for
 * old clients: a path without `<>` (§4.1.2: Path = "<" ... ">") and a space after the colon (§3.3: "spaces are
 * not permitted on either side of the colon"). The runner sends them only with `strictSyntax`; the report
 * records each peer's answer so the leniency is documented, not hidden.
 */
export const LENIENT_MAIL_LINES: readonly string[] = ["MAIL FROM:conformance@example.test", "MAIL FROM: <conformance@example.test>"];

/** What a server answers to each of LENIENT_MAIL_LINES (one fresh connection each, after EHLO). */
async function lenientMailCodes(host: string, port: number): Promise<number[]> {
  const codes: number[] = [];
  for (const line of LENIENT_MAIL_LINES) {
    const client = await RawSmtpClient.connect({ host, port, timeout: 10_000 });
    try {
      await client.expect(220);
      await client.command("EHLO conformance.example.test", 250);
      codes.push((await client.command(line)).code);
      await client.quit();
    } finally {
      client.close();
    }
  }
  return codes;
}

/** The README's "MAIL syntax" table: per peer title, the codes of LENIENT_MAIL_LINES. */
export function readLenientTable(markdown = readFileSync(join(conformanceFolder, "README.md"), "utf8")): Map<PeerId, number[]> {
  const lines = markdown.split("\n");
  const header = lines.findIndex((line) => line.startsWith("| server | `MAIL FROM:"));
  if (header < 0) throw new Error("docs/conformance/README.md has no `| server | MAIL FROM:` table");
  const result = new Map<PeerId, number[]>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const [title, ...answers] = cells(line);
    const run = PEER_RUNS.find((candidate) => candidate.title === title);
    if (run === undefined) throw new Error(`README MAIL syntax row ${JSON.stringify(title)} is no known peer`);
    result.set(run.id, answers.map((answer) => Number.parseInt(answer, 10)));
  }
  return result;
}

/** `smtpkit conform smtp://host:port --seed S --maildir M --json ...`: exit 1 with findings, 0 without; the JSON is the report. */
async function runThroughCli(run: PeerRun, peer: StartedPeer): Promise<ConformanceReport> {
  if (peer.maildir === undefined) throw new Error(`${run.id}: a run through the command line needs a Maildir`);
  const binary = join(repositoryRoot, "packages/cli/dist/main.js");
  // The root `pnpm test` builds every package first; a testkit-only run needs the CLI built by hand.
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build the CLI first (npx tsc -b packages/cli)`);
  const argumentsOfRun = ["conform", `smtp://${peer.host}:${peer.port}`, "--seed", String(run.seed), "--maildir", peer.maildir, "--json", ...CLI_ARGUMENTS];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, [binary, ...argumentsOfRun], { timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      if (error !== null && typeof error.code !== "number") reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), stdout: out, stderr: err });
    });
  });
  const report = JSON.parse(stdout) as ConformanceReport;
  // Exit status (issue #7): 0 without a deviation, 1 with one.
  expect(code, stderr).toBe(report.findings.length === 0 ? 0 : 1);
  return report;
}

/**
 * The whole check of one peer: run, compare with the README's table, check
 * each finding's evidence, and (when asked) rewrite the peer's page.
 */
export async function checkPeer(id: PeerId): Promise<ConformanceReport> {
  const run = peerRun(id);
  const { report, lenientMail } = await runAgainst(run);
  const expected = readExpectedTable().get(id);
  expect(lenientMail, `${run.title}'s answers to ${LENIENT_MAIL_LINES.join(" / ")} (README's MAIL syntax table)`).toEqual(readLenientTable().get(id));
  const text = formatReport(report, "text");
  if (process.env["SMTPKIT_CONFORMANCE_REPORTS"] === "write") writeFileSync(join(conformanceFolder, `${id}.md`), renderPeerPage(run, report));
  expect(expected, `docs/conformance/README.md has a column for ${run.title}`).toBeDefined();
  expect(report.findings.map((finding) => finding.rule).sort(), text).toEqual([...(expected?.deviations ?? [])].sort());
  expect(notCheckedRules(report), text).toEqual([...(expected?.notChecked ?? [])].sort());
  for (const finding of report.findings) {
    // Every finding carries the evidence a reader needs: the RFC, its words, and a transcript with both sides.
    expect(finding.rfc).toMatch(/^RFC \d+/);
    expect(finding.quote.length).toBeGreaterThan(20);
    expect(finding.transcript.some((exchange) => exchange.direction === "client")).toBe(true);
    expect(finding.transcript.some((exchange) => exchange.direction === "server" || exchange.direction === "event")).toBe(true);
    const note = commentary[id]?.[finding.rule];
    expect(note, `docs commentary for ${id} / ${finding.rule}`).toBeDefined();
    // The commentary explains this evidence, not some other breach of the same rule.
    expect(note?.shows, `commentary of ${id} / ${finding.rule} says what evidence it explains`).toBeTruthy();
    expect(`${finding.summary}\n${formatTranscript(finding.transcript)}`, `commentary of ${id} / ${finding.rule}`).toContain(note?.shows ?? "");
  }
  // Stored bodies were compared, and every message the server accepted was found.
  expect(report.notes.find((note) => note.startsWith("dot-transparency: ")), text).toMatch(/^dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/);
  return report;
}

/**
 * Masks what changes from run to run although the server behaves the same
 * (ports, dates, queue ids, durations), so a regenerated page differs from the
 * committed one only when a server or the runner changed.
 */
export function maskVolatile(text: string): string {
  return text
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\b/g, "DATE")
    .replace(/queued as [0-9A-Za-z]+/g, "queued as QUEUE-ID")
    .replace(/\bid=[0-9A-Za-z-]+/g, "id=QUEUE-ID")
    .replace(/\[127\.0\.0\.1\]:\d+/g, "[127.0.0.1]:PORT");
}

function fence(text: string, language = "text"): string {
  return `\`\`\`${language}\n${text.replace(/\n+$/, "")}\n\`\`\``;
}

/** One peer's page: settings, what it offers, each finding with the RFC text, transcript and meaning. */
export function renderPeerPage(run: PeerRun, report: ConformanceReport): string {
  const notes = commentary[run.id] ?? {};
  const out: string[] = [];
  out.push(`# Conformance of ${run.title}`);
  out.push("");
  out.push(
    "Generated by `packages/testkit/scripts/conformance-reports.sh` from a real run of `runConformance` " +
      "(`packages/testkit/test/peers-conformance-harness.ts`); the integration test fails when a run no longer " +
      "finds exactly the deviations of [the summary table](README.md). Ports, dates and queue ids are masked.",
  );
  out.push("");
  out.push("## How it was run");
  out.push("");
  out.push(run.settings);
  out.push("");
  if (run.via === "cli") {
    out.push(`Run through the command line: \`smtpkit conform smtp://127.0.0.1:PORT --seed ${run.seed} --maildir MAILDIR --json ${CLI_ARGUMENTS.join(" ")}\` (exit status ${report.findings.length === 0 ? 0 : 1}).`);
    out.push("");
  }
  out.push(
    `Runner: seed ${report.seed}, ${RUN_OPTIONS.numRuns} sessions per search, at most ${RUN_OPTIONS.maxCommands} steps each, ` +
      `quiet wait ${RUN_OPTIONS.timeouts.quiet} ms, stored bodies read back; ${report.runs} sessions and probes over ${report.connections} connections.`,
  );
  out.push("");
  out.push("What the server says first:");
  out.push("");
  out.push(fence(maskVolatile([...report.server.greeting, ...report.server.ehlo].join("\n"))));
  out.push("");
  const intro = notes["intro"];
  if (intro !== undefined) {
    out.push(intro.practice);
    out.push("");
  }
  out.push("## Result");
  out.push("");
  if (report.findings.length === 0) {
    out.push(`No deviation found (${report.rulesChecked.length - notCheckedRules(report).length} rules checked).`);
  } else {
    out.push(`${report.findings.length} deviation(s):`);
    out.push("");
    out.push("| rule | RFC | verdict |");
    out.push("| --- | --- | --- |");
    for (const finding of report.findings) out.push(`| [\`${finding.rule}\`](#${finding.rule}) | ${finding.rfc} | ${notes[finding.rule]?.verdict ?? "true deviation"} |`);
  }
  out.push("");
  report.findings.forEach((finding, index) => out.push(...renderFinding(finding, index, notes[finding.rule])));
  out.push("## Notes of the run");
  out.push("");
  for (const note of report.notes) out.push(`- ${maskVolatile(note)}`);
  out.push("");
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

function renderFinding(finding: Finding, index: number, note: Commentary | undefined): string[] {
  const out: string[] = [];
  out.push(`<a id="${finding.rule}"></a>`);
  out.push("");
  out.push(`## ${index + 1}. \`${finding.rule}\` (${finding.rfc})`);
  out.push("");
  out.push(`**The rule.** ${finding.requirement}`);
  out.push("");
  out.push("**The RFC's text.**");
  out.push("");
  // One quoted paragraph per line of the text (Markdown would run consecutive `>` lines together).
  out.push((note?.rfcText ?? finding.quote).split("\n").map((line) => `> ${line}`).join("\n>\n"));
  out.push("");
  out.push(`**What the server did** (the runner's words). ${maskVolatile(finding.summary)}`);
  out.push("");
  out.push("**Minimal transcript** (`C:` sent by the runner, `S:` by the server, byte for byte):");
  out.push("");
  out.push(fence(maskVolatile(formatTranscript(finding.transcript))));
  out.push("");
  if (finding.replay !== undefined) {
    out.push(`**Reproduce.** Found by the random sessions: \`runConformance({ ..., seed: ${finding.replay.seed} })\` with the options above; fast-check's replay path of the shrunk session is \`${finding.replay.path}\`.`);
  } else if (finding.probe === "basics") {
    out.push("**Reproduce.** Found by the fixed one-rule sessions (`basics`), which every run sends, whatever the seed.");
  } else {
    out.push(`**Reproduce.** Found by the \`${finding.probe}\` probe, which every run makes, whatever the seed.`);
  }
  out.push("");
  if (note !== undefined) {
    out.push(`**What it means in practice.** ${note.practice}`);
    out.push("");
  }
  return out;
}
