/**
 * The probes that are not random sessions: SMTP smuggling (every end-of-data
 * look-alike), STARTTLS command injection, and the pipelining equivalence
 * check, which compares a group sent at once with the same commands sent one
 * by one on a second connection.
 *
 * Each probe reports at most one finding per rule, with the transcript of
 * the smallest case that shows it.
 *
 * @module
 */
import fc from "fast-check";
import { smugglingSequences } from "../arbitraries/injection.js";
import { ConformanceError } from "./conformance-error.js";
import { raise, ViolationError, type ProbeContext } from "./probe-context.js";
import { openSession, receive, type SessionModel, type SessionReal } from "./session-model.js";
import { latin1, type Exchange, type Wire, type WireReply } from "./wire.js";

/** A step through which a probe walks to the state it needs. */
async function say(model: SessionModel, real: SessionReal, line: string, verb: string, input: Parameters<typeof receive>[3]): Promise<WireReply | undefined> {
  await real.wire.write(`${line}\r\n`);
  return receive(model, real, verb, input);
}

/** Opens a session up to an accepted RCPT, for the probes that need DATA. */
async function toRecipient(context: ProbeContext, wire: Wire, local: string): Promise<{ model: SessionModel; real: SessionReal } | undefined> {
  const real: SessionReal = { wire, context };
  const model = await openSession(real);
  if (model === undefined) return undefined;
  const ehlo = await say(model, real, `EHLO conformance.${context.domain}`, "EHLO", "EHLO");
  if (ehlo?.code !== 250 || model.over) return undefined;
  const mail = await say(model, real, `MAIL FROM:<${context.sender}>`, "MAIL", "MAIL");
  if (mail?.code !== 250 || model.over) return undefined;
  const rcpt = await say(model, real, `RCPT TO:<${local}@${context.domain}>`, "RCPT", "RCPT");
  if (rcpt === undefined || rcpt.code < 200 || rcpt.code >= 300 || model.over) return undefined;
  model.recipients.push(`${local}@${context.domain}`);
  return { model, real };
}

/** The outcome of a probe that may be impossible to run against this server. */
export interface ProbeOutcome {
  /** Notes for the report (why a probe could not run). */
  readonly notes: readonly string[];
  /** The violation found, with its transcript. */
  readonly violation?: ViolationError;
}

/**
 * SMTP smuggling: for each look-alike of `<CRLF>.<CRLF>`, the content goes up
 * to it and one harmless smuggled `NOOP`; a server that answers before the
 * real end of data took the look-alike for the end. The real end follows
 * only after a quiet period, so the two cases cannot be confused.
 */
export async function probeSmuggling(context: ProbeContext): Promise<ProbeOutcome> {
  const failing: { name: string; transcript: readonly Exchange[]; detail: string }[] = [];
  const notes: string[] = [];
  for (const sequence of smugglingSequences) {
    const wire = await context.open();
    try {
      const session = await toRecipient(context, wire, "smuggling-probe");
      if (session === undefined) {
        notes.push(`smtp-smuggling: not checked, the server would not accept a recipient at ${context.domain}`);
        break;
      }
      const { model, real } = session;
      const data = await say(model, real, "DATA", "DATA", "DATA");
      if (data?.code !== 354 || model.over) {
        notes.push(`smtp-smuggling: not checked, DATA was answered ${data?.code ?? "with nothing"}`);
        break;
      }
      const header = `From: <${context.sender}>\r\nSubject: smtpkit smuggling probe ${sequence.name}\r\nMessage-ID: <${context.nextMessageId()}>\r\n\r\nbefore`;
      await wire.write(`${header}${latin1(sequence.bytes)}NOOP\r\n`);
      if (await wire.somethingArrives(context.timeouts.quiet)) {
        const early = await wire.readReply(context.timeouts.reply);
        const code = early.type === "reply" ? early.reply.code : -1;
        // A refusal followed by the close is a defence; a success, or a reply to the smuggled NOOP, is a desync.
        let desync = code >= 200 && code < 400;
        if (!desync && (await wire.somethingArrives(context.timeouts.quiet))) desync = true;
        if (desync) {
          failing.push({
            name: sequence.name,
            transcript: [...wire.transcript],
            detail: `the server answered ${code} after the look-alike end of data ${sequence.name}, before the real <CRLF>.<CRLF>: it ended the message there and read the smuggled NOOP as a command`,
          });
        }
        continue;
      }
      await wire.write("\r\n.\r\n");
      await receive(model, real, "DATA-END", "data-end");
      if (await wire.somethingArrives(context.timeouts.quiet)) {
        failing.push({
          name: sequence.name,
          transcript: [...wire.transcript],
          detail: `after the message with the look-alike ${sequence.name}, the server sent more than one reply: it answered the smuggled NOOP`,
        });
      }
    } catch (error) {
      if (error instanceof ViolationError) {
        // Another rule broken on the way: the session probes report it; this probe goes on.
        notes.push(`smtp-smuggling (${sequence.name}): ${error.message}`);
        continue;
      }
      throw error;
    } finally {
      wire.close();
    }
  }
  if (failing.length === 0) return { notes };
  const smallest = failing.reduce((best, entry) => (entry.transcript.length < best.transcript.length ? entry : best));
  const violation = new ViolationError({
    rule: "smtp-smuggling",
    detail: `${smallest.detail}. Look-alikes taken for the end of data: ${failing.map((entry) => entry.name).join(", ")}`,
  });
  violation.transcript = smallest.transcript;
  return { notes, violation };
}

/**
 * STARTTLS injection (CVE-2011-0411 class): `STARTTLS\r\nNOOP\r\n` in one
 * write; the NOOP must never be answered, neither in the clear after the 220
 * nor inside TLS.
 */
export async function probeStartTlsInjection(context: ProbeContext): Promise<ProbeOutcome> {
  if (context.tls !== "none") return { notes: ["starttls-injection: not checked, the run already uses TLS"] };
  if (!context.capabilities.has("STARTTLS")) return { notes: ["starttls-injection: not checked, the server does not offer STARTTLS"] };
  const wire = await context.open();
  try {
    const real: SessionReal = { wire, context };
    const model = await openSession(real);
    if (model === undefined) return { notes: ["starttls-injection: not checked, no session"] };
    const ehlo = await say(model, real, `EHLO conformance.${context.domain}`, "EHLO", "EHLO");
    if (ehlo?.code !== 250 || model.over) return { notes: ["starttls-injection: not checked, EHLO was refused"] };
    await wire.write("STARTTLS\r\nNOOP\r\n");
    const read = await wire.readReply(context.timeouts.reply);
    if (read.type !== "reply" || read.reply.code !== 220) {
      return { notes: [`starttls-injection: not checked, STARTTLS was answered ${read.type === "reply" ? read.reply.code : read.type}`] };
    }
    if (await wire.somethingArrives(Math.min(context.timeouts.quiet, 200))) {
      raise(context, [{ rule: "starttls-injection", detail: "the server answered the NOOP sent after STARTTLS in the clear, after its 220, instead of starting TLS" }]);
      return { notes: [] };
    }
    try {
      await wire.startTls(context.timeouts.tls);
    } catch (error) {
      if (ConformanceError.isInstance(error)) return { notes: [`starttls-injection: not checked, ${error.message}`] };
      throw error;
    }
    if (await wire.somethingArrives(context.timeouts.quiet)) {
      const reply = await wire.readReply(context.timeouts.reply);
      const code = reply.type === "reply" ? String(reply.reply.code) : reply.type;
      raise(context, [{ rule: "starttls-injection", detail: `inside TLS, before the client said anything, the server answered ${code}: it executed the NOOP sent in the clear after STARTTLS` }]);
      return { notes: [] };
    }
    return { notes: [] };
  } catch (error) {
    if (error instanceof ViolationError) {
      error.transcript = [...wire.transcript];
      return { notes: [], violation: error };
    }
    throw error;
  } finally {
    wire.close();
  }
}

const localPart = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

/** A RCPT of a group: mostly well-formed, sometimes broken (the replies then mix 250 and 501). */
const groupRecipient: fc.Arbitrary<(context: ProbeContext) => string> = fc.oneof(
  { weight: 4, arbitrary: localPart.map((local) => (context: ProbeContext) => `RCPT TO:<${local}@${context.domain}>`) },
  { weight: 1, arbitrary: fc.constant((context: ProbeContext) => `RCPT TO:<${context.sender}`) },
);

/**
 * A group as RFC 2920 §3.1 allows it: RSET, MAIL and RCPTs in any number,
 * NOOP only last. Shrinks towards MAIL and one RCPT.
 */
const pipelinedGroup = fc
  .record({ rsetFirst: fc.boolean(), withoutMail: fc.boolean(), recipients: fc.array(groupRecipient, { minLength: 1, maxLength: 4 }), noopLast: fc.boolean() })
  .map(({ rsetFirst, withoutMail, recipients, noopLast }) => (context: ProbeContext): string[] => [
    ...(rsetFirst ? ["RSET"] : []),
    ...(withoutMail ? [] : [`MAIL FROM:<${context.sender}>`]),
    ...recipients.map((recipient) => recipient(context)),
    ...(noopLast ? ["NOOP"] : []),
  ]);

/** Sends `lines` on a fresh session, at once or one by one; the reply codes, or undefined when no session. */
async function groupCodes(context: ProbeContext, lines: readonly string[], together: boolean, transcript: Exchange[]): Promise<number[] | undefined> {
  const wire = await context.open();
  try {
    const real: SessionReal = { wire, context };
    const model = await openSession(real);
    if (model === undefined) return undefined;
    const ehlo = await say(model, real, `EHLO conformance.${context.domain}`, "EHLO", "EHLO");
    if (ehlo?.code !== 250 || model.over || !model.capabilities.has("PIPELINING")) return undefined;
    const codes: number[] = [];
    if (together) await wire.write(lines.map((line) => `${line}\r\n`).join(""));
    for (const line of lines) {
      if (!together) await wire.write(`${line}\r\n`);
      const read = await wire.readReply(context.timeouts.reply);
      codes.push(read.type === "reply" ? read.reply.code : -1);
      if (read.type !== "reply") break;
    }
    return codes;
  } finally {
    transcript.push({ direction: "event", data: together ? "connection B: the group in one write" : "connection A: one command at a time" }, ...wire.transcript);
    wire.close();
  }
}

/** RFC 2920: a group sent at once gets the replies the same commands get one by one. */
export async function probePipelining(context: ProbeContext, seed: number, numRuns: number, timeLimit: number): Promise<ProbeOutcome> {
  if (!context.capabilities.has("PIPELINING")) return { notes: ["pipelining-equivalence: not checked, the server does not offer PIPELINING"] };
  const property = fc.asyncProperty(pipelinedGroup, async (group) => {
    const lines = group(context);
    const transcript: Exchange[] = [];
    const one = await groupCodes(context, lines, false, transcript);
    const all = await groupCodes(context, lines, true, transcript);
    if (one === undefined || all === undefined) return;
    if (one.join() !== all.join()) {
      const error = new ViolationError({
        rule: "pipelining-equivalence",
        detail: `the commands ${lines.map((line) => JSON.stringify(line)).join(", ")} got ${one.join(", ")} one by one but ${all.join(", ")} pipelined`,
      });
      error.transcript = transcript;
      throw error;
    }
  });
  const details = await fc.check(property, { seed, numRuns, interruptAfterTimeLimit: timeLimit });
  if (!details.failed) return { notes: [] };
  if (details.errorInstance instanceof ViolationError) return { notes: [], violation: details.errorInstance };
  throw details.errorInstance;
}
