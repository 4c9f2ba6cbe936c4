/**
 * Differential testing: the same generated input given to two
 * implementations, every difference reported.
 *
 * - {@link runDifferential}: the same generated SMTP sessions against two
 *   servers (say yours and Postfix); a divergence is a step where the reply
 *   classes differ (2yz against 5yz), or a message both accepted but stored
 *   differently. Each is shrunk to the smallest session that shows it.
 * - {@link diffMimeParsers}: two MIME parsers on the same generated messages.
 *
 * A divergence is not a deviation from an RFC: one of the two may be right,
 * and both may be within their rights (policy). It is a place to look.
 *
 * @module
 */
import fc from "fast-check";
import { encodeData } from "@smtpkit/grammar";
import { mimeMessage, serializeMimeMessage } from "../arbitraries/mime.js";
import { deepEqual } from "../internal/equality.js";
import { ConformanceError } from "./conformance-error.js";
import { DEFAULT_CONFORMANCE_TIMEOUTS, type ConformanceTimeouts, type ReadStored, type TlsMode } from "./probe-context.js";
import { socketTransport } from "./socket-transport.js";
import type { ConformanceTransport } from "./transport.js";
import { ConnectionGate } from "./connection-gate.js";
import { bytesOf, latin1, type Exchange } from "./wire.js";

/** One server of a differential run. */
export interface DifferentialTarget {
  /** Host (with `port`), unless `transport` is given. */
  readonly host?: string;
  /** Port. */
  readonly port?: number;
  /** `none` (default) or `implicit`. */
  readonly tls?: Exclude<TlsMode, "starttls">;
  /** Options for `tls.connect`. */
  readonly tlsOptions?: Readonly<Record<string, unknown>>;
  /** Your own transport instead of host and port. */
  readonly transport?: ConformanceTransport;
  /** Reads what this server stored (compares stored bodies when both have one). */
  readonly readStored?: ReadStored;
}

/** Options of {@link runDifferential}. */
export interface DifferentialOptions {
  /** The first server. */
  readonly a: DifferentialTarget;
  /** The second server. */
  readonly b: DifferentialTarget;
  /** The only domain recipients are at. Default `example.test`. */
  readonly domain?: string;
  /** The envelope sender. Default `conformance@` + `domain`. */
  readonly sender?: string;
  /** The seed. Default: random (in the report). */
  readonly seed?: number;
  /** Sessions per search. Default 100. */
  readonly numRuns?: number;
  /** Divergences at most (each found kind is set aside and the search runs again). Default 10. */
  readonly maxDivergences?: number;
  /** Timeouts in milliseconds (connect, reply). */
  readonly timeouts?: ConformanceTimeouts;
  /** Time one search may take, in milliseconds. Default 120 000. */
  readonly timeLimit?: number;
  /** New connections a second at most, per server. Default 20. */
  readonly ratePerSecond?: number;
}

/** One difference between the two servers. */
export interface Divergence {
  /** `reply-class`: a step got replies of different classes; `stored-content`: a message accepted by both was stored differently. */
  readonly kind: "reply-class" | "stored-content";
  /** The step, for example `"RCPT TO:<x@example.test>"` or `"end of DATA"`. */
  readonly step: string;
  /** What server A answered (code, or `-1` for no reply). */
  readonly a: number;
  /** What server B answered. */
  readonly b: number;
  /** One sentence. */
  readonly summary: string;
  /** Server A's transcript of the shrunk session. */
  readonly transcriptA: readonly Exchange[];
  /** Server B's transcript. */
  readonly transcriptB: readonly Exchange[];
}

/** What {@link runDifferential} returns. */
export interface DifferentialReport {
  /** The two servers. */
  readonly targets: { readonly a: string; readonly b: string };
  /** The seed. */
  readonly seed: number;
  /** Sessions run against each. */
  readonly runs: number;
  /** The differences, one per (step verb, class A, class B) at most. */
  readonly divergences: readonly Divergence[];
}

/** One step of a scripted session: a command line, or DATA with its body. */
interface ScriptStep {
  readonly label: string;
  readonly line: (domain: string, sender: string) => string;
  readonly body?: readonly string[];
}

const localPart = fc.stringMatching(/^[a-z][a-z0-9+_-]{0,9}$/);
const bodyLine = fc.oneof(fc.constantFrom(".", "..", ".x", "", " ", "From me"), fc.stringMatching(/^[ -~]{0,40}$/));

const scriptStep: fc.Arbitrary<ScriptStep> = fc.oneof(
  { weight: 3, arbitrary: fc.boolean().map<ScriptStep>((nullPath) => ({ label: nullPath ? "MAIL FROM:<>" : "MAIL", line: (_domain, sender) => `MAIL FROM:<${nullPath ? "" : sender}>` })) },
  { weight: 3, arbitrary: localPart.map<ScriptStep>((local) => ({ label: `RCPT ${local}`, line: (domain) => `RCPT TO:<${local}@${domain}>` })) },
  { weight: 2, arbitrary: fc.array(bodyLine, { maxLength: 5 }).map<ScriptStep>((body) => ({ label: "DATA", line: () => "DATA", body })) },
  { weight: 1, arbitrary: fc.constantFrom<ScriptStep>({ label: "RSET", line: () => "RSET" }, { label: "NOOP", line: () => "NOOP" }, { label: "HELP", line: () => "HELP" }, { label: "XSMTPKIT", line: () => "XSMTPKIT" }) },
  { weight: 1, arbitrary: fc.constantFrom<ScriptStep>({ label: "MAIL (broken)", line: (_domain, sender) => `MAIL FROM:<${sender}` }, { label: "RCPT (broken)", line: (domain) => `RCPT TO:<x@${domain}` }) },
);

interface StepResult {
  readonly step: string;
  readonly code: number;
}

/** Runs a script on one server: the code of each step (and of each end of DATA), and what was stored. */
async function runScript(
  gate: ConnectionGate,
  steps: readonly ScriptStep[],
  domain: string,
  sender: string,
  timeouts: Required<ConformanceTimeouts>,
  messageId: (index: number) => string,
): Promise<{ results: StepResult[]; transcript: Exchange[]; accepted: Map<string, Uint8Array> }> {
  const wire = await gate.open();
  const results: StepResult[] = [];
  const accepted = new Map<string, Uint8Array>();
  try {
    const read = async (): Promise<number> => {
      const reply = await wire.readReply(timeouts.reply);
      return reply.type === "reply" ? reply.reply.code : -1;
    };
    results.push({ step: "greeting", code: await read() });
    const script: ScriptStep[] = [{ label: "EHLO", line: () => `EHLO conformance.${domain}` }, ...steps];
    for (const [index, step] of script.entries()) {
      const line = step.line(domain, sender);
      await wire.write(`${line}\r\n`);
      const code = await read();
      results.push({ step: line, code });
      if (code === -1 || code === 421) break;
      if (step.body !== undefined && code === 354) {
        const id = messageId(index);
        const message = bytesOf(`From: <${sender}>\r\nSubject: smtpkit differential probe\r\nMessage-ID: <${id}>\r\n\r\n${step.body.map((body) => `${body}\r\n`).join("")}`);
        await wire.write(encodeData(message));
        const end = await read();
        results.push({ step: "end of DATA", code: end });
        if (end >= 200 && end < 300) accepted.set(id, message);
        if (end === -1) break;
      }
    }
    return { results, transcript: [...wire.transcript], accepted };
  } finally {
    wire.close();
  }
}

function bodyOf(bytes: Uint8Array): string {
  const text = latin1(bytes).replace(/\r\n/g, "\n");
  const split = text.indexOf("\n\n");
  return split < 0 ? "" : text.slice(split + 2);
}

class DivergenceError extends Error {
  constructor(readonly divergence: Divergence) {
    super(divergence.summary);
  }
}

function transportOf(target: DifferentialTarget, name: string): ConformanceTransport {
  if (target.transport !== undefined) return target.transport;
  if (target.host === undefined || target.port === undefined) throw new ConformanceError("invalid-argument", `target ${name} needs host and port, or a transport`);
  return socketTransport({ host: target.host, port: target.port, implicitTls: target.tls === "implicit", ...(target.tlsOptions === undefined ? {} : { tlsOptions: target.tlsOptions }) });
}

/**
 * Runs the same generated sessions against two servers and reports where
 * they differ: in reply class at some step, or in what they stored for a
 * message both accepted. Each divergence is shrunk to the smallest session.
 *
 * @param options - the two servers and the run's bounds
 * @returns the divergences found
 * @throws {@link ConformanceError} `invalid-argument` for bad options, `connection-failed` when a server cannot be reached
 * @example
 * ```ts
 * import { runDifferential } from "@smtpkit/testkit";
 * const report = await runDifferential({ a: { host: "127.0.0.1", port: 2525 }, b: { host: "127.0.0.1", port: 2526 }, seed: 1 });
 * for (const divergence of report.divergences) console.log(divergence.summary);
 * ```
 */
export async function runDifferential(options: DifferentialOptions): Promise<DifferentialReport> {
  const a = transportOf(options.a, "a");
  const b = transportOf(options.b, "b");
  const domain = options.domain ?? "example.test";
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(domain)) throw new ConformanceError("invalid-argument", `domain must be a domain name, got ${JSON.stringify(domain)}`);
  const sender = options.sender ?? `conformance@${domain}`;
  if (!/^[A-Za-z0-9.+_-]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(sender)) throw new ConformanceError("invalid-argument", `sender must be a plain address, got ${JSON.stringify(sender)}`);
  const seed = options.seed ?? (Math.random() * 0x7fffffff) | 0;
  const numRuns = options.numRuns ?? 100;
  const maxDivergences = options.maxDivergences ?? 10;
  const timeLimit = options.timeLimit ?? 120_000;
  for (const [name, value, max] of [["numRuns", numRuns, 100_000], ["maxDivergences", maxDivergences, 1000], ["timeLimit", timeLimit, 86_400_000]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) throw new ConformanceError("invalid-argument", `${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  const timeouts = { ...DEFAULT_CONFORMANCE_TIMEOUTS, ...options.timeouts };
  const ratePerSecond = options.ratePerSecond ?? 20;
  if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1 || ratePerSecond > 10_000) throw new ConformanceError("invalid-argument", `ratePerSecond must be an integer from 1 to 10000, got ${String(ratePerSecond)}`);
  // One connection at a time to each server, at most ratePerSecond new ones a second.
  const gateA = new ConnectionGate(a, 1, ratePerSecond, timeouts.connect);
  const gateB = new ConnectionGate(b, 1, ratePerSecond, timeouts.connect);
  const seen = new Set<string>();
  const divergences: Divergence[] = [];
  let runs = 0;
  let messages = 0;

  for (let round = 0; round < maxDivergences; round += 1) {
    const property = fc.asyncProperty(fc.array(scriptStep, { maxLength: 10 }), async (steps) => {
      runs += 1;
      const base = (messages += 1);
      const id = (side: string) => (index: number) => `differential.${seed}.${base}.${index}.${side}@${domain}`;
      const left = await runScript(gateA, steps, domain, sender, timeouts, id("a"));
      const right = await runScript(gateB, steps, domain, sender, timeouts, id("b"));
      const length = Math.min(left.results.length, right.results.length);
      for (let index = 0; index < length; index += 1) {
        const x = left.results[index] as StepResult;
        const y = right.results[index] as StepResult;
        const classX = Math.floor(x.code / 100);
        const classY = Math.floor(y.code / 100);
        if (classX === classY) continue;
        const verb = x.step.split(/[ :]/)[0] ?? x.step;
        const key = `${verb} ${classX} ${classY}`;
        // A divergence already reported: the rest of this session says nothing new.
        if (seen.has(key)) return;
        throw new DivergenceError({
          kind: "reply-class",
          step: x.step,
          a: x.code,
          b: y.code,
          summary: `${x.step === "end of DATA" ? "the end of DATA" : JSON.stringify(x.step)} got ${x.code} from ${a.label} but ${y.code} from ${b.label}`,
          transcriptA: left.transcript,
          transcriptB: right.transcript,
        });
      }
      if (options.a.readStored === undefined || options.b.readStored === undefined || seen.has("stored")) return;
      for (const [idA, sent] of left.accepted) {
        const idB = idA.replace(/\.a@/, ".b@");
        if (!right.accepted.has(idB)) continue;
        const [storedA, storedB] = [await options.a.readStored({ messageId: idA, recipients: [] }), await options.b.readStored({ messageId: idB, recipients: [] })];
        if (storedA === undefined || storedB === undefined) continue;
        if (bodyOf(storedA) !== bodyOf(storedB)) {
          throw new DivergenceError({
            kind: "stored-content",
            step: "end of DATA",
            a: 250,
            b: 250,
            summary: `both accepted the message, but stored different bodies (sent ${JSON.stringify(bodyOf(sent).slice(0, 80))})`,
            transcriptA: left.transcript,
            transcriptB: right.transcript,
          });
        }
      }
    });
    const details = await fc.check(property, { seed, numRuns, interruptAfterTimeLimit: timeLimit, markInterruptAsFailure: false });
    if (!details.failed) break;
    const error = details.errorInstance;
    if (!(error instanceof DivergenceError)) {
      if (ConformanceError.isInstance(error)) throw error;
      throw new ConformanceError("no-session", `a differential session failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const divergence = error.divergence;
    const key = divergence.kind === "stored-content" ? "stored" : `${divergence.step.split(/[ :]/)[0] ?? divergence.step} ${Math.floor(divergence.a / 100)} ${Math.floor(divergence.b / 100)}`;
    if (seen.has(key)) break;
    seen.add(key);
    divergences.push(divergence);
  }
  return { targets: { a: a.label, b: b.label }, seed, runs, divergences };
}

/** Options of {@link diffMimeParsers}. */
export interface DiffMimeParsersOptions<T> {
  /** The messages to parse. Default: {@link mimeMessage} serialized with {@link serializeMimeMessage}. */
  readonly arbitrary?: fc.Arbitrary<Uint8Array>;
  /** Runs. Default 100. */
  readonly numRuns?: number;
  /** The seed. */
  readonly seed?: number;
  /** Compares the two results (default: deep equality). */
  readonly equal?: (a: T, b: T) => boolean;
}

/** The outcome of {@link diffMimeParsers}. */
export interface MimeParserDivergence<T> {
  /** The (shrunk) message on which the parsers differ. */
  readonly input: Uint8Array;
  /** Parser A's result, or the error it threw. */
  readonly a: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };
  /** Parser B's result, or the error it threw. */
  readonly b: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };
  /** The seed and path that replay it. */
  readonly seed: number;
  /** The fast-check path of the shrunk case. */
  readonly path: string;
}

function attempt<T>(parse: (bytes: Uint8Array) => T, bytes: Uint8Array): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: parse(bytes) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Gives two MIME parsers the same generated messages and returns the first
 * (shrunk) message on which they disagree: different results, or one throws
 * and the other does not. Map both parsers' output to a common shape first
 * (for example the list of parts with their media types and decoded bodies).
 *
 * @param parseA - the first parser, on the message's octets
 * @param parseB - the second parser
 * @param options - the messages, runs, seed and comparison
 * @returns `undefined` when they agreed on every message, or the divergence
 * @example
 * ```ts
 * import { parseMessage } from "@smtpkit/mime";
 * import { diffMimeParsers } from "@smtpkit/testkit";
 * const summary = (bytes: Uint8Array) => parseMessage(bytes).parts.map((part) => part.mediaType);
 * const divergence = await diffMimeParsers(summary, (bytes) => otherParser(bytes).types, { numRuns: 200 });
 * ```
 */
export async function diffMimeParsers<T>(parseA: (bytes: Uint8Array) => T, parseB: (bytes: Uint8Array) => T, options: DiffMimeParsersOptions<T> = {}): Promise<MimeParserDivergence<T> | undefined> {
  if (typeof parseA !== "function" || typeof parseB !== "function") throw new ConformanceError("invalid-argument", "diffMimeParsers needs two parser functions");
  const numRuns = options.numRuns ?? 100;
  if (!Number.isInteger(numRuns) || numRuns < 1 || numRuns > 100_000) throw new ConformanceError("invalid-argument", `numRuns must be an integer from 1 to 100000, got ${String(numRuns)}`);
  const arbitrary = options.arbitrary ?? mimeMessage().map(serializeMimeMessage);
  const equal = options.equal ?? ((x: T, y: T) => deepEqual(x, y));
  const agree = (bytes: Uint8Array): boolean => {
    const a = attempt(parseA, bytes);
    const b = attempt(parseB, bytes);
    if (a.ok !== b.ok) return false;
    return a.ok && b.ok ? equal(a.value, b.value) : true;
  };
  const details = await fc.check(fc.property(arbitrary, agree), { numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  if (!details.failed || details.counterexample === null) {
    if (details.failed) throw details.errorInstance;
    return undefined;
  }
  const [input] = details.counterexample;
  return { input, a: attempt(parseA, input), b: attempt(parseB, input), seed: details.seed, path: details.counterexamplePath ?? "" };
}
