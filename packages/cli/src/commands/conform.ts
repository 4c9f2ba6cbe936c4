/**
 * `smtpkit conform`: the conformance runner of `@smtpkit/testkit` at the
 * terminal. Points random, shrinking SMTP sessions (and the smuggling,
 * STARTTLS-injection and pipelining probes) at a live server and prints each
 * RFC deviation with its rule, RFC section and minimal transcript; or, with
 * `--against`, runs the same sessions against a second server and prints
 * where the two differ.
 *
 * Exit codes: 0 no deviation (no divergence), 1 at least one, 2 the run
 * could not be made (bad arguments, connection refused, no 220 greeting).
 *
 * Safe on real servers: recipients only at `--domain` (the reserved
 * `example.test` by default), bounded connections and rate, `--dry-run`
 * prints the plan without connecting.
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import {
  ConformanceError,
  formatReport,
  formatTranscript,
  maildirReader,
  runConformance,
  runDifferential,
  type ConformanceReport,
  type DifferentialReport,
  type TlsMode,
} from "@smtpkit/testkit";
import { InvalidArgumentError, Option, type Command } from "commander";
import { CliError } from "../cli-error.js";
import { raiseExitCode, runCommand, writeJson, type CommandContext, type CommandModule } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { printable } from "../text.js";

/**
 * How much of a failed run's reason is printed, in characters. The reason may
 * quote the server (a greeting that was not 220): a hostile one can send a
 * 64 KiB line, and the reason should still fit a terminal.
 */
const REASON_MAX_CHARACTERS = 300;

/**
 * The reason a run could not be made, safe to print: it may hold the server's
 * own bytes (its greeting), so control characters (ESC, BEL: a greeting could
 * otherwise clear the screen or set the window title) become visible escapes,
 * and the text is cut at {@link REASON_MAX_CHARACTERS}.
 */
function printableReason(reason: string): string {
  if (reason.length <= REASON_MAX_CHARACTERS) return printable(reason);
  return `${printable(reason.slice(0, REASON_MAX_CHARACTERS))}… (${reason.length - REASON_MAX_CHARACTERS} more characters)`;
}

/** A server named on the command line. */
interface ServerUrl {
  readonly host: string;
  readonly port: number;
  readonly implicitTls: boolean;
}

interface ConformOptions {
  readonly tls?: "none" | "starttls" | "implicit";
  readonly domain?: string;
  readonly sender?: string;
  readonly seed?: number;
  readonly runs?: number;
  readonly json?: boolean;
  readonly junit?: string;
  readonly dryRun?: boolean;
  readonly maildir?: string;
  readonly against?: ServerUrl;
  readonly rate?: number;
  readonly connections?: number;
  readonly timeout?: number;
  readonly quiet?: number;
  readonly strictSyntax?: boolean;
}

const examples = `
Examples:
  $ smtpkit conform smtp://127.0.0.1:2525                     every probe, a random seed (printed)
  $ smtpkit conform smtp://127.0.0.1:2525 --seed 42 --runs 300 replay and search longer
  $ smtpkit conform smtp://mx.test:25 --tls starttls --domain test.example.org
  $ smtpkit conform smtp://127.0.0.1:2525 --maildir ./maildir  also check stored bodies (dot-transparency)
  $ smtpkit conform smtp://127.0.0.1:2525 --junit report.xml   JUnit XML for CI
  $ smtpkit conform smtp://127.0.0.1:2525 --against smtp://127.0.0.1:2526   where two servers differ
  $ smtpkit conform smtp://127.0.0.1:2525 --dry-run            what would be sent, without connecting

Recipients are only ever at --domain (default example.test, reserved by RFC 6761); policy refusals
(550 unknown user, 554 relay denied) are the server's right and never reported.
Exit codes: 0 no deviation, 1 at least one deviation (or divergence), 2 the run could not be made.`;

/**
 * Reads `smtp://host[:port]` (port 25), `smtps://host[:port]` (implicit TLS,
 * port 465) or `host:port`.
 *
 * @param value - the argument
 * @returns host, port and whether TLS is implicit
 * @throws InvalidArgumentError for anything else
 */
export function parseServerUrl(value: string): ServerUrl {
  const fail = (): never => {
    throw new InvalidArgumentError("expected smtp://host:port, smtps://host:port or host:port");
  };
  let rest = value;
  let implicitTls = false;
  let port = 25;
  const scheme = /^([a-z]+):\/\//i.exec(value);
  if (scheme !== null) {
    const name = (scheme[1] as string).toLowerCase();
    if (name === "smtps") {
      implicitTls = true;
      port = 465;
    } else if (name !== "smtp") fail();
    rest = value.slice(scheme[0].length).replace(/\/$/, "");
  } else if (!/:\d+$/.test(value)) fail();
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) fail();
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== "") {
      if (!after.startsWith(":")) fail();
      portText = after.slice(1);
    }
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon >= 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  if (host === "" || /[\s\0/@?#]/.test(host)) fail();
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535) fail();
    port = Number(portText);
  }
  return { host, port, implicitTls };
}

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return Number(value);
  };
}

function label(server: ServerUrl): string {
  return `${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}`;
}

function printReport(report: ConformanceReport, context: CommandContext): void {
  const { colors } = context;
  const text = formatReport(report, "text")
    .replace(/^(\d+\. )([a-z0-9-]+)( \(RFC [^)]*\))$/gm, (_match, number: string, rule: string, rfc: string) => `${number}${colors.red(colors.bold(rule))}${colors.dim(rfc)}`)
    .replace(/^No deviation found.*$/m, (line) => colors.green(line));
  context.io.stdout.write(text);
}

function printDifferential(report: DifferentialReport, context: CommandContext): void {
  const { colors } = context;
  const lines = [`Differential: A = ${report.targets.a}, B = ${report.targets.b} (seed ${report.seed}, ${report.runs} sessions each)`, ""];
  if (report.divergences.length === 0) lines.push(colors.green("No divergence found."));
  report.divergences.forEach((divergence, index) => {
    lines.push(
      `${index + 1}. ${colors.yellow(divergence.kind)}: ${divergence.summary}`,
      "   A:",
      ...formatTranscript(divergence.transcriptA).split("\n").map((line) => `     ${line}`),
      "   B:",
      ...formatTranscript(divergence.transcriptB).split("\n").map((line) => `     ${line}`),
      "",
    );
  });
  context.io.stdout.write(`${lines.join("\n").trimEnd()}\n`);
}

async function conform(server: ServerUrl, options: ConformOptions, context: CommandContext): Promise<void> {
  const tls: TlsMode = options.tls ?? (server.implicitTls ? "implicit" : "none");
  if (server.implicitTls && tls === "starttls") throw new CliError("smtps:// means implicit TLS; --tls starttls needs smtp://", ExitCode.Usage);
  const timeouts = {
    ...(options.timeout === undefined ? {} : { connect: options.timeout, reply: options.timeout }),
    ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
  };
  const common = {
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.sender === undefined ? {} : { sender: options.sender }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.runs === undefined ? {} : { numRuns: options.runs }),
    timeouts,
  };
  try {
    if (options.against !== undefined) {
      if (options.junit !== undefined || options.dryRun === true) throw new CliError("--against cannot be combined with --junit or --dry-run", ExitCode.Usage);
      if (tls === "starttls") throw new CliError("--against runs without STARTTLS (use smtp:// or smtps://)", ExitCode.Usage);
      if (options.maildir !== undefined) throw new CliError("--against compares replies only; --maildir cannot name both servers' stores", ExitCode.Usage);
      const target = (url: ServerUrl) => ({ host: url.host, port: url.port, tls: url.implicitTls ? ("implicit" as const) : ("none" as const) });
      const report = await runDifferential({ a: target(server), b: target(options.against), ...common, ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }) });
      if (options.json === true) writeJson(context, report);
      else printDifferential(report, context);
      if (report.divergences.length > 0) raiseExitCode(context, ExitCode.Finding);
      return;
    }
    const report = await runConformance({
      host: server.host,
      port: server.port,
      tls,
      ...common,
      ...(options.maildir === undefined ? {} : { readStored: maildirReader(options.maildir) }),
      ...(options.dryRun === true ? { dryRun: true } : {}),
      ...(options.strictSyntax === true ? { strictSyntax: true } : {}),
      ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
      ...(options.connections === undefined ? {} : { maxConnections: options.connections }),
      ...(options.json === true || !context.io.errorColor ? {} : { onProgress: (message: string) => context.io.stderr.write(`${context.errorColors.dim(message)}\n`) }),
    });
    if (options.junit !== undefined) {
      try {
        await writeFile(options.junit, formatReport(report, "junit"));
      } catch (error) {
        throw new CliError(`cannot write ${options.junit}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, ExitCode.Usage);
      }
    }
    if (options.json === true) context.io.stdout.write(formatReport(report, "json"));
    else printReport(report, context);
    if (report.findings.length > 0) raiseExitCode(context, ExitCode.Finding);
  } catch (error) {
    if (!ConformanceError.isInstance(error)) throw error;
    if (error.reason === "invalid-argument") throw new CliError(error.message, ExitCode.Usage);
    // The run could not be made (refused, no greeting): exit code 2, but this is no usage error, so no usage hint.
    const message = `the run could not be made against ${label(server)}: ${printableReason(error.message)}`;
    if (options.json === true) writeJson(context, { error: { message, reason: error.reason, exitCode: ExitCode.Usage } });
    context.io.stderr.write(`${context.errorColors.red("error:")} ${message}\n`);
    raiseExitCode(context, ExitCode.Usage);
  }
}

/** `smtpkit conform`. */
export const conformCommand: CommandModule = {
  name: "conform",
  register(program: Command, context: CommandContext): void {
    program
      .command("conform")
      .description("property-test a live SMTP server against the RFCs and print each deviation with a minimal transcript")
      .argument("<server>", "smtp://host:port, smtps://host:port (implicit TLS) or host:port", parseServerUrl)
      .addOption(new Option("--tls <mode>", "none, starttls (every session inside TLS) or implicit").choices(["none", "starttls", "implicit"]))
      .option("--domain <domain>", "the only domain recipients are at (default example.test)")
      .option("--sender <address>", "the envelope sender (default conformance@<domain>)")
      .option("--seed <n>", "the seed: the same seed gives the same sessions", integer("--seed", -2_147_483_648, 2_147_483_647))
      .option("--runs <n>", "random sessions per search (default 100)", integer("--runs", 1, 100_000))
      .option("--json", "print the report as JSON")
      .option("--junit <file>", "also write the report as JUnit XML")
      .option("--dry-run", "print what would be sent, without connecting")
      .option("--maildir <path>", "where the server stores mail (checks stored bodies: dot-transparency)")
      .option("--strict-syntax", "also report MAIL FROM:a@b without <> and with a space after the colon (leniencies Postfix accepts by default)")
      .option("--against <server>", "run the same sessions against a second server and print where they differ", parseServerUrl)
      .option("--rate <n>", "new connections a second at most (default 20)", integer("--rate", 1, 10_000))
      .option("--connections <n>", "connections at once at most (default 2)", integer("--connections", 1, 100))
      .option("--timeout <ms>", "connect and reply timeout in milliseconds (default 10000)", integer("--timeout", 1, 3_600_000))
      .option("--quiet <ms>", "silence that counts as 'waiting for more' in the smuggling and STARTTLS probes (default 500)", integer("--quiet", 1, 60_000))
      .addHelpText("after", examples)
      .action(async (server: ServerUrl, options: ConformOptions) => runCommand(context, options.json === true, () => conform(server, options, context)));
  },
};
