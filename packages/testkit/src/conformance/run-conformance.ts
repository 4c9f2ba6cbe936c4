/**
 * `runConformance`: points fast-check at a live SMTP server and returns the
 * RFC deviations it found, each shrunk to a minimal transcript.
 *
 * The run, in order: one connection reads the greeting and the EHLO reply
 * (what the server offers steers the rest); then random sessions built from
 * the steps of `session-model.ts` (fast-check's `fc.commands` and
 * `fc.asyncModelRun`, shrinking on a breach), repeated with each rule found
 * set aside so that other rules can still be found; then the SMTP-smuggling,
 * STARTTLS-injection and pipelining probes.
 *
 * Safety on real servers: recipients only at `domain` (the reserved
 * `example.test` by default), DATA only to them, at most `maxConnections`
 * connections at once and `ratePerSecond` new ones a second, and `dryRun`
 * to see the plan without connecting.
 *
 * @module
 */
import fc from "fast-check";
import { isValidDomain } from "@smtpkit/grammar";
import { ConformanceError } from "./conformance-error.js";
import { probePipelining, probeSmuggling, probeStartTlsInjection, type ProbeOutcome } from "./probes.js";
import {
  DEFAULT_CONFORMANCE_TIMEOUTS,
  noCapabilities,
  ViolationError,
  type ConformanceTimeouts,
  type ProbeContext,
  type ReadStored,
  type ResolvedTimeouts,
  type TlsMode,
} from "./probe-context.js";
import { conformanceRules, ruleByName, type RuleName } from "./rules.js";
import { fixedSessions, initialModel, receive, runSession, sessionSteps, type SessionModel, type SessionReal } from "./session-model.js";
import { socketTransport } from "./socket-transport.js";
import type { ConformanceTransport } from "./transport.js";
import { ConnectionGate } from "./connection-gate.js";
import { printableText, type Exchange } from "./wire.js";

/** The default number of random sessions. */
export const DEFAULT_CONFORMANCE_RUNS = 100;
/** The default bound on commands in one random session (each session is one connection). */
export const DEFAULT_MAX_COMMANDS = 12;
/** The default bound on connections open at once. */
export const DEFAULT_MAX_CONNECTIONS = 2;
/** The default bound on new connections a second. */
export const DEFAULT_RATE_PER_SECOND = 20;
/** The default time a search for one finding may take before it is cut short (shrinking included), in milliseconds. */
export const DEFAULT_TIME_LIMIT = 120_000;
/**
 * The default largest advertised SIZE for which the runner sends a message over it (1 MiB): a server
 * advertising more is only checked at MAIL (a declared SIZE over the maximum), so that a run never pushes
 * tens of megabytes per session.
 */
export const DEFAULT_MAX_SIZE_PROBE = 1_048_576;
/** The default bound on findings (each found rule is set aside and the sessions run again). */
export const DEFAULT_MAX_FINDINGS = 10;

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** The server's host (with `port`), unless `transport` is given. */
  readonly host?: string;
  /** The server's port. */
  readonly port?: number;
  /** `none` (default), `starttls` (every session negotiates TLS first) or `implicit` (RFC 8314). */
  readonly tls?: TlsMode;
  /** Options for Node's `tls.connect` (certificates are not verified unless you say `rejectUnauthorized: true`). */
  readonly tlsOptions?: Readonly<Record<string, unknown>>;
  /** Instead of host and port: your own transport (an in-memory server, a proxy). */
  readonly transport?: ConformanceTransport;
  /** The only domain recipients (and the sender, by default) are at. Default `example.test` (RFC 6761, reserved). */
  readonly domain?: string;
  /** The envelope sender. Default `conformance@` + `domain`. */
  readonly sender?: string;
  /** The fast-check seed: the same seed gives the same sessions. Default: drawn at random, and in the report. */
  readonly seed?: number;
  /** Random sessions per search. Default {@link DEFAULT_CONFORMANCE_RUNS}. */
  readonly numRuns?: number;
  /** Commands per session at most. Default {@link DEFAULT_MAX_COMMANDS}. */
  readonly maxCommands?: number;
  /** Connections open at once at most. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections?: number;
  /** New connections a second at most. Default {@link DEFAULT_RATE_PER_SECOND}. */
  readonly ratePerSecond?: number;
  /** Timeouts in milliseconds. */
  readonly timeouts?: ConformanceTimeouts;
  /** Time one search (with its shrinking) may take, in milliseconds. Default {@link DEFAULT_TIME_LIMIT}. */
  readonly timeLimit?: number;
  /**
   * The largest advertised SIZE for which a message over it is sent (octets; 0: never). Default
   * {@link DEFAULT_MAX_SIZE_PROBE}.
   */
  readonly maxSizeProbe?: number;
  /**
   * Also report the two syntax leniencies Postfix (and `@smtpkit/grammar`) accept by default: `MAIL FROM:a@b`
   * without angle brackets and `MAIL FROM: <a@b>` with a space (RFC 5321 §4.1.2, §3.3). Default `false`: they
   * are a documented interoperability choice, not a protocol breach.
   */
  readonly strictSyntax?: boolean;
  /** Findings at most. Default {@link DEFAULT_MAX_FINDINGS}. */
  readonly maxFindings?: number;
  /** Only these rules are reported (default: all). */
  readonly rules?: readonly RuleName[];
  /** Probes to skip. */
  readonly skip?: readonly ("basics" | "sessions" | "smuggling" | "starttls-injection" | "pipelining")[];
  /**
   * Connect to nothing: return the plan (the sessions and probes the seed gives) in `report.plan`. The plan
   * is drawn without the server's EHLO, so the MAIL and RCPT parameters a live run adds for the extensions the
   * server advertises are not in it.
   */
  readonly dryRun?: boolean;
  /** Reads what the server stored, for the dot-transparency rule (see {@link ReadStored}). */
  readonly readStored?: ReadStored;
  /** Called as the run advances (for progress output). */
  readonly onProgress?: (message: string) => void;
}

/** One deviation from the RFCs. */
export interface Finding {
  /** The rule broken. */
  readonly rule: RuleName;
  /** Where the rule is written, for example `"RFC 5321 §3.3"`. */
  readonly rfc: string;
  /** What the rule asks, in one sentence. */
  readonly requirement: string;
  /** The RFC's words. */
  readonly quote: string;
  /** What the server did. */
  readonly summary: string;
  /** The minimal transcript that shows it: the exact bytes both ways. */
  readonly transcript: readonly Exchange[];
  /** Which probe found it: `basics` (the fixed one-rule sessions), `sessions` (random, shrunk), or a probe. */
  readonly probe: "basics" | "sessions" | "smuggling" | "starttls-injection" | "pipelining";
  /** For random sessions: the fast-check replay (seed and path) of the shrunk case. */
  readonly replay?: { readonly seed: number; readonly path: string };
}

/** What {@link runConformance} returns. */
export interface ConformanceReport {
  /** The server, as `host:port` (or the transport's label). */
  readonly target: string;
  /** The seed: pass it back to replay the run. */
  readonly seed: number;
  /** Random sessions run (searches included), plus probe connections. */
  readonly runs: number;
  /** Connections opened. */
  readonly connections: number;
  /** How long the run took, in milliseconds. */
  readonly durationMs: number;
  /** What the server said first. */
  readonly server: { readonly greeting: readonly string[]; readonly ehlo: readonly string[] };
  /** The deviations, one per rule at most. */
  readonly findings: readonly Finding[];
  /** The rules checked in this run. */
  readonly rulesChecked: readonly RuleName[];
  /** Probes that could not run here and why, and other remarks. */
  readonly notes: readonly string[];
  /** For `dryRun`: what would be sent. */
  readonly plan?: readonly string[];
}

function positiveInteger(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConformanceError("invalid-argument", `${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

function resolveTimeouts(timeouts: ConformanceTimeouts | undefined): ResolvedTimeouts {
  const resolved: Record<string, number> = { ...DEFAULT_CONFORMANCE_TIMEOUTS };
  for (const [name, value] of Object.entries(timeouts ?? {})) {
    if (!(name in DEFAULT_CONFORMANCE_TIMEOUTS)) throw new ConformanceError("invalid-argument", `unknown timeout ${name}`);
    if (value === undefined) continue;
    resolved[name] = positiveInteger(`timeouts.${name}`, value, 0, 3_600_000);
  }
  return resolved as unknown as ResolvedTimeouts;
}

function findingOf(error: ViolationError, probe: Finding["probe"], replay?: Finding["replay"]): Finding {
  const rule = ruleByName(error.rule);
  return {
    rule: rule.name,
    rfc: rule.rfc,
    requirement: rule.requirement,
    quote: rule.quote,
    summary: error.detail,
    transcript: error.transcript,
    probe,
    ...(replay === undefined ? {} : { replay }),
  };
}

/** The plan of a dry run: the random sessions' steps for this seed, and the probes. */
function dryRunPlan(seed: number, numRuns: number, maxCommands: number, domain: string, sender: string): string[] {
  const plan: string[] = [`connect; read the greeting; EHLO conformance.${domain}; QUIT (what the server offers)`];
  plan.push(`fixed sessions (each on its own connection, after EHLO): ${fixedSessions().map((steps) => steps.map(String).join(", ")).join("; ")}`);
  const samples = fc.sample(fc.commands(sessionSteps(), { maxCommands }), { seed, numRuns });
  samples.forEach((steps, index) => {
    plan.push(`session ${index + 1}: ${[...steps].map(String).join("; ") || "(greeting only)"} [steps apply only in the state they fit; recipients at ${domain}, sender ${sender}]`);
  });
  plan.push("smtp-smuggling: for each end-of-data look-alike (LF.LF, LF.CRLF, CRLF.LF, CR.CR, ...): EHLO, MAIL, RCPT smuggling-probe@" + domain + ", DATA, content up to the look-alike and a smuggled NOOP, wait, the real CRLF.CRLF");
  plan.push("starttls-injection: EHLO, then STARTTLS\\r\\nNOOP\\r\\n in one write, TLS, wait (when STARTTLS is offered)");
  plan.push("pipelining: groups of MAIL/RCPT/RSET (and NOOP last) one by one on one connection, at once on another (when PIPELINING is offered)");
  return plan;
}

function randomSeed(): number {
  return (Math.random() * 0x7fffffff) | 0;
}

/**
 * Property-tests a live SMTP server and returns the RFC deviations found,
 * each with a minimal transcript.
 *
 * Policy refusals (550 to an unknown user, 554 to a sender) are the server's
 * right and are never findings; only breaches of the protocol are.
 *
 * @param options - the server, the domain to use, the run's bounds (see {@link ConformanceOptions})
 * @returns the report; `findings` is empty for a conforming server
 * @throws {@link ConformanceError} `invalid-argument` for bad options, `connection-failed` when the server cannot be reached, `no-session` when it greets with anything but 220
 * @example
 * ```ts
 * import { runConformance, formatReport } from "@smtpkit/testkit";
 * const report = await runConformance({ host: "127.0.0.1", port: 2525, seed: 42 });
 * console.log(formatReport(report, "text"));
 * process.exitCode = report.findings.length === 0 ? 0 : 1;
 * ```
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const started = Date.now();
  if (typeof options !== "object" || options === null) throw new ConformanceError("invalid-argument", "runConformance needs an options object");
  const tls: TlsMode = options.tls ?? "none";
  if (tls !== "none" && tls !== "starttls" && tls !== "implicit") throw new ConformanceError("invalid-argument", `tls must be none, starttls or implicit, got ${String(tls)}`);
  const domain = options.domain ?? "example.test";
  // ASCII only: recipients at a U-label domain would need SMTPUTF8, which the runner does not negotiate.
  if (typeof domain !== "string" || !/^[A-Za-z0-9.-]{1,253}$/.test(domain) || !isValidDomain(domain)) throw new ConformanceError("invalid-argument", `domain must be an ASCII domain name, got ${JSON.stringify(domain)}`);
  const sender = options.sender ?? `conformance@${domain}`;
  if (typeof sender !== "string" || !/^[A-Za-z0-9.+_-]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(sender)) {
    throw new ConformanceError("invalid-argument", `sender must be a plain address (letters, digits, . + _ -), got ${JSON.stringify(sender)}`);
  }
  const seed = options.seed ?? randomSeed();
  if (!Number.isInteger(seed)) throw new ConformanceError("invalid-argument", `seed must be an integer, got ${String(seed)}`);
  const numRuns = positiveInteger("numRuns", options.numRuns, DEFAULT_CONFORMANCE_RUNS, 100_000);
  const maxCommands = positiveInteger("maxCommands", options.maxCommands, DEFAULT_MAX_COMMANDS, 200);
  const maxConnections = positiveInteger("maxConnections", options.maxConnections, DEFAULT_MAX_CONNECTIONS, 100);
  const ratePerSecond = positiveInteger("ratePerSecond", options.ratePerSecond, DEFAULT_RATE_PER_SECOND, 10_000);
  const timeLimit = positiveInteger("timeLimit", options.timeLimit, DEFAULT_TIME_LIMIT, 86_400_000);
  const maxFindings = positiveInteger("maxFindings", options.maxFindings, DEFAULT_MAX_FINDINGS, conformanceRules.length);
  const timeouts = resolveTimeouts(options.timeouts);
  const maxSizeProbe = options.maxSizeProbe === 0 ? 0 : positiveInteger("maxSizeProbe", options.maxSizeProbe, DEFAULT_MAX_SIZE_PROBE, 1 << 30);
  const only = options.rules === undefined ? undefined : new Set(options.rules);
  for (const name of only ?? []) if (!conformanceRules.some((entry) => entry.name === name)) throw new ConformanceError("invalid-argument", `unknown rule ${String(name)}`);
  const skip = new Set(options.skip ?? []);
  const progress = options.onProgress ?? (() => undefined);

  let transport = options.transport;
  if (transport === undefined) {
    if (options.host === undefined || options.port === undefined) throw new ConformanceError("invalid-argument", "give host and port, or a transport");
    transport = socketTransport({ host: options.host, port: options.port, implicitTls: tls === "implicit", ...(options.tlsOptions === undefined ? {} : { tlsOptions: options.tlsOptions }) });
  }

  const emptyReport = { target: transport.label, seed, server: { greeting: [], ehlo: [] }, findings: [], rulesChecked: [] };
  if (options.dryRun === true) {
    return { ...emptyReport, runs: 0, connections: 0, durationMs: Date.now() - started, notes: ["dry run: nothing was sent"], plan: dryRunPlan(seed, numRuns, maxCommands, domain, sender) };
  }

  const gate = new ConnectionGate(transport, maxConnections, ratePerSecond, timeouts.connect);
  let messages = 0;
  const ignore = new Set<RuleName>(conformanceRules.map((entry) => entry.name).filter((name) => only !== undefined && !only.has(name)));
  const context: ProbeContext = {
    domain,
    sender,
    tls,
    timeouts,
    ignore,
    capabilities: noCapabilities,
    readStored: options.readStored,
    stored: { compared: 0, missing: 0 },
    maxSizeProbe,
    nextMessageId: () => `conformance.${seed}.${(messages += 1)}@${domain}`,
    open: () => gate.open(),
  };

  const findings: Finding[] = [];
  const notes: string[] = [];
  const add = (finding: Finding): void => {
    if (findings.length >= maxFindings || findings.some((entry) => entry.rule === finding.rule)) return;
    findings.push(finding);
    ignore.add(finding.rule);
  };

  // What the server offers.
  progress(`connecting to ${transport.label}`);
  const server = await serverProbe(context);
  notes.push(...server.notes);
  for (const finding of server.findings) add(finding);
  let runs = 1;

  // Fixed one-rule sessions, the same in every run: their findings do not depend on the seed.
  if (!skip.has("basics")) {
    progress("fixed sessions");
    for (const steps of fixedSessions(options.strictSyntax === true)) {
      if (findings.length >= maxFindings) break;
      runs += 1;
      try {
        await runSession(context, steps);
      } catch (error) {
        if (!(error instanceof ViolationError)) throw error;
        add(findingOf(error, "basics"));
      }
    }
  }

  // Random sessions, shrunk on a breach; each found rule is set aside and the search runs again.
  if (!skip.has("sessions")) {
    for (let round = 0; round < maxFindings && findings.length < maxFindings; round += 1) {
      progress(`random sessions, search ${round + 1} (${numRuns} sessions)`);
      let sessions = 0;
      const property = fc.asyncProperty(fc.commands(sessionSteps(context.capabilities), { maxCommands }), async (steps) => {
        sessions += 1;
        await runSession(context, steps);
      });
      const details = await fc.check(property, { seed, numRuns, interruptAfterTimeLimit: timeLimit, markInterruptAsFailure: false });
      runs += sessions;
      if (details.interrupted) notes.push(`random sessions: search ${round + 1} was cut short after ${timeLimit} ms (timeLimit)`);
      if (!details.failed) break;
      const error = details.errorInstance;
      if (error instanceof ViolationError) {
        if (ignore.has(error.rule)) break;
        add(findingOf(error, "sessions", { seed, path: details.counterexamplePath ?? "" }));
        continue;
      }
      if (ConformanceError.isInstance(error)) throw error;
      throw new ConformanceError("no-session", `a session failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  const outcomes: [Finding["probe"], () => Promise<ProbeOutcome>][] = [
    ["smuggling", () => probeSmuggling(context)],
    ["starttls-injection", () => probeStartTlsInjection(context)],
    ["pipelining", () => probePipelining(context, seed, Math.max(1, Math.floor(numRuns / 4)), timeLimit)],
  ];
  for (const [probe, run] of outcomes) {
    const rule: RuleName = probe === "smuggling" ? "smtp-smuggling" : probe === "pipelining" ? "pipelining-equivalence" : "starttls-injection";
    if (skip.has(probe) || ignore.has(rule) || findings.length >= maxFindings) continue;
    progress(`probe: ${probe}`);
    const outcome = await run();
    runs += 1;
    notes.push(...outcome.notes);
    if (outcome.violation !== undefined) add(findingOf(outcome.violation, probe));
  }

  // A probe that could not run says "<rule>: not checked, why" in the notes: that rule was not checked.
  const notChecked = new Set(notes.map((note) => /^([a-z0-9-]+): not checked/.exec(note)?.[1]).filter((name) => name !== undefined));
  if (context.readStored === undefined) notChecked.add("dot-transparency");
  const rulesChecked = conformanceRules.map((entry) => entry.name).filter((name) => (only === undefined || only.has(name)) && !notChecked.has(name));
  return {
    target: transport.label,
    seed,
    runs,
    connections: gate.opened,
    durationMs: Date.now() - started,
    server: server.info,
    findings,
    rulesChecked,
    notes: [
      ...notes,
      context.readStored === undefined
        ? "dot-transparency: not checked, no readStored (or --maildir) given"
        : `dot-transparency: ${context.stored.compared} stored message(s) compared, ${context.stored.missing} not found by readStored`,
    ],
  };
}

/** The first connection: greeting and EHLO, which steer the rest. */
async function serverProbe(context: ProbeContext): Promise<{ info: ConformanceReport["server"]; notes: string[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const wire = await context.open();
  const real: SessionReal = { wire, context };
  const info: { greeting: string[]; ehlo: string[] } = { greeting: [], ehlo: [] };
  try {
    const greeting = await wire.readReply(context.timeouts.reply);
    if (greeting.type !== "reply") throw new ConformanceError("no-session", greeting.type === "closed" ? "the server closed the connection without a greeting" : `no greeting within ${context.timeouts.reply} ms`);
    info.greeting = greeting.reply.lines.map((line) => `${greeting.reply.code} ${line}`);
    // The greeting's own syntax (a control character in its text, a bare LF): a finding, and the run goes on.
    const problem = greeting.reply.problems[0];
    if (problem !== undefined && !context.ignore.has(problem.rule)) {
      const violation = new ViolationError(problem);
      violation.transcript = [...wire.transcript];
      findings.push(findingOf(violation, "basics"));
    }
    if (greeting.reply.code !== 220) {
      const code = greeting.reply.code < 0 ? "a line that is not a reply" : String(greeting.reply.code);
      throw new ConformanceError("no-session", `the server greeted with ${code}: ${printableText(greeting.reply.lines.join(" / "))}`);
    }
    // The greeting's syntax is checked by every session; the EHLO reply goes through the model's checks here.
    const model = await openSessionAfterGreeting(real);
    if (model === undefined) return { info, notes: ["the server did not complete the TLS setup"], findings };
    await wire.write(`EHLO conformance.${context.domain}\r\n`);
    const ehlo = await receive(model, real, "EHLO", "EHLO");
    if (ehlo !== undefined) info.ehlo = ehlo.lines.map((line, index) => `${ehlo.code}${index === ehlo.lines.length - 1 ? " " : "-"}${line}`);
    if (ehlo?.code !== 250) throw new ConformanceError("no-session", `the server answered EHLO with ${ehlo === undefined ? "nothing" : `${ehlo.code}: ${printableText(ehlo.lines.join(" / "))}`}`);
    context.capabilities = model.capabilities;
    await wire.write("QUIT\r\n");
    return { info, notes: [], findings };
  } catch (error) {
    if (error instanceof ViolationError) {
      error.transcript = [...wire.transcript];
      const finding = findingOf(error, "sessions");
      return { info, notes: [], findings: [...findings, finding] };
    }
    throw error;
  } finally {
    wire.close();
  }
}

/** After a 220 already read: STARTTLS first in `starttls` mode; the model to go on from. */
async function openSessionAfterGreeting(real: SessionReal): Promise<SessionModel | undefined> {
  const model = initialModel(real.context.tls === "implicit");
  if (real.context.tls !== "starttls") return model;
  await real.wire.write(`EHLO conformance.${real.context.domain}\r\n`);
  const ehlo = await receive(model, real, "EHLO", "EHLO");
  if (ehlo?.code !== 250) return undefined;
  await real.wire.write("STARTTLS\r\n");
  const started = await receive(model, real, "STARTTLS", "STARTTLS");
  if (started?.code !== 220) throw new ConformanceError("no-session", `the server answered STARTTLS with ${started?.code ?? "nothing"}`);
  await real.wire.startTls(real.context.timeouts.tls);
  return initialModel(true);
}
