/**
 * The model-based half of the runner: fast-check commands, each one SMTP
 * step (or one pipelined group), run against a live server while a model
 * tracks where the conversation is.
 *
 * The model is `@smtpkit/session`'s transition table, the one table the
 * `ServerSession` itself obeys: after each reply the model moves along the
 * row for (state, command) by the reply's class, so a policy refusal by the
 * real server (550 to RCPT) is mirrored as a refusal and never reported.
 * Only replies the protocol forbids are: see `rules.ts`.
 *
 * Safety: recipients are only ever at the domain the run was given, built
 * from a plain alphabet (no `%`, `!`, quotes or source routes that could
 * route elsewhere), and DATA is sent only when every accepted recipient is
 * at that domain.
 *
 * @module
 */
import fc from "fast-check";
import { encodeData, CapabilitySet, serializeCommand, type MailParameters, type RcptParameters } from "@smtpkit/grammar";
import { mailParameters, rcptParameters } from "../arbitraries/commands.js";
import { findTransition, nextState, type SessionFlags, type SessionInput, type SessionState } from "@smtpkit/session";
import { ConformanceError } from "./conformance-error.js";
import { raise, ViolationError, type ProbeContext } from "./probe-context.js";
import { checkCodeAllowed, checkEhloKeywords, checkEnhanced, type Violation } from "./reply-checks.js";
import { bytesOf, latin1, type WireReply, type Wire } from "./wire.js";

/** Where the model thinks the conversation is. Internal. */
export interface SessionModel {
  state: SessionState;
  flags: SessionFlags;
  /** What the last EHLO advertised (empty after HELO). */
  capabilities: CapabilitySet;
  /** Whether the last greeting was EHLO (so ESMTP extensions apply). */
  ehlo: boolean;
  /** Recipients accepted in the current transaction. */
  recipients: string[];
  /** Transactions begun, to keep sessions short. */
  transactions: number;
  /** The session ended (QUIT, 421, or a breach that leaves the state unknown). */
  over: boolean;
  /** The largest advertised SIZE for which a message over it is sent (the run's `maxSizeProbe`). */
  maxSizeProbe: number;
}

/** The live side. Internal. */
export interface SessionReal {
  readonly wire: Wire;
  readonly context: ProbeContext;
}

/** The states in which the client's lines are commands. */
const commandStates: ReadonlySet<SessionState> = new Set(["awaiting-hello", "ready", "mail", "recipients"]);

/** A fresh model for a connection whose greeting was 220. */
export function initialModel(tls: boolean): SessionModel {
  return {
    state: "awaiting-hello",
    flags: { tls, authenticated: false, lmtp: false },
    capabilities: CapabilitySet.empty,
    ehlo: false,
    recipients: [],
    transactions: 0,
    over: false,
    maxSizeProbe: 0,
  };
}

function parseCapabilities(lines: readonly string[]): CapabilitySet {
  try {
    return CapabilitySet.parse(lines.slice(1));
  } catch {
    return CapabilitySet.empty;
  }
}

/**
 * Reads the reply to `verb`, runs every check on it, and moves the model.
 *
 * @param specific - the rules particular to this step, checked first so a finding names the most precise rule
 * @returns the reply, or `undefined` when the session cannot go on
 */
export async function receive(
  model: SessionModel,
  real: SessionReal,
  verb: string,
  input: SessionInput | undefined,
  specific: (reply: WireReply) => readonly Violation[] = () => [],
  pipelined = false,
): Promise<WireReply | undefined> {
  const { wire, context } = real;
  const read = await wire.readReply(context.timeouts.reply);
  if (read.type !== "reply") {
    const violation: Violation =
      read.type === "timeout"
        ? { rule: "reply-missing", detail: `${verb} got no reply within ${context.timeouts.reply} ms` }
        : { rule: "close-without-421", detail: `the server closed the connection instead of answering ${verb === "DATA-END" ? "the end of the message" : verb}` };
    raise(context, [violation]);
    model.over = true;
    return undefined;
  }
  const reply = read.reply;
  const violations: Violation[] = [...reply.problems];
  if (reply.code >= 0) {
    violations.push(...specific(reply));
    const allowed = checkCodeAllowed(verb, reply);
    if (allowed !== undefined) violations.push(allowed);
    violations.push(...checkEnhanced(verb, reply, model.ehlo && model.capabilities.has("ENHANCEDSTATUSCODES")));
    if (verb === "EHLO") violations.push(...checkEhloKeywords(reply));
  }
  // Sent one command and waited: anything more already here was not asked for.
  if (!pipelined && wire.pending > 0 && reply.code !== 421) {
    violations.push({ rule: "reply-count", detail: `more bytes arrived after the reply to ${verb === "DATA-END" ? "the end of the message" : verb}, before the next command` });
  }
  if (raise(context, violations) === "derailed" || reply.code < 0) {
    model.over = true;
    return reply;
  }
  if (reply.code === 421) {
    model.over = true;
    return reply;
  }
  if (input !== undefined) advance(model, input, reply);
  return reply;
}

function advance(model: SessionModel, input: SessionInput, reply: WireReply): void {
  const row = findTransition(model.state, input, model.flags);
  if (row === undefined) return;
  const before = model.state;
  model.state = nextState(row, reply.code);
  const positive = reply.code >= 200 && reply.code < 300;
  if (row.outcome.type === "evaluate" && row.outcome.resets !== undefined && positive) model.recipients = [];
  if (positive && (input === "EHLO" || input === "HELO")) {
    model.ehlo = input === "EHLO";
    model.capabilities = input === "EHLO" ? parseCapabilities(reply.lines) : CapabilitySet.empty;
  }
  if (input === "MAIL" && before === "ready" && positive) {
    model.recipients = [];
    model.transactions += 1;
  }
}

/** One step of a session, as fast-check runs it. Internal. */
export class Step implements fc.AsyncCommand<SessionModel, SessionReal> {
  constructor(
    private readonly label: string,
    private readonly applies: (model: SessionModel) => boolean,
    private readonly act: (model: SessionModel, real: SessionReal) => Promise<void>,
  ) {}

  check(model: Readonly<SessionModel>): boolean {
    return !model.over && this.applies(model as SessionModel);
  }

  async run(model: SessionModel, real: SessionReal): Promise<void> {
    await this.act(model, real);
  }

  toString(): string {
    return this.label;
  }
}

/** Sends one command line and checks its reply. */
async function command(
  model: SessionModel,
  real: SessionReal,
  line: string,
  verb: string,
  input: SessionInput | undefined,
  specific?: (reply: WireReply) => readonly Violation[],
): Promise<WireReply | undefined> {
  await real.wire.write(`${line}\r\n`);
  return receive(model, real, verb, input, specific);
}

const inCommandState = (model: SessionModel): boolean => commandStates.has(model.state);

/** Local parts from a plain alphabet only: nothing a server could route elsewhere. */
const localPart = fc.stringMatching(/^[a-z][a-z0-9+_-]{0,11}$/);

/** A helo name under the run's domain. */
const heloLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);

/** The lines of an awkward message body: dots at line starts, a lone dot, empty lines, long lines. */
const bodyLine = fc.oneof(
  fc.constantFrom(".", "..", "...", ". ", ".x", "x.", "", " ", "\t", "From here", "-- ", ".\t.", "a".repeat(998), ".".repeat(998)),
  fc.stringMatching(/^[ -~]{0,60}$/),
);

const positive = (reply: WireReply): boolean => reply.code >= 200 && reply.code < 400;

function sizeParameter(model: SessionModel): string {
  return model.capabilities.has("SIZE") ? " SIZE=1000" : "";
}

/** `local@domain` split at the last `@`. */
function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf("@");
  return [address.slice(0, at), address.slice(at + 1)];
}

/** A short label for generated parameters, for the dry-run plan. */
function describeParameters(parameters: object): string {
  const names = Object.keys(parameters);
  return names.length === 0 ? "" : ` (${names.join(", ")})`;
}

/** Safety: never send content to a recipient outside the domain the user named (a guard against bugs). */
function guardRecipients(model: SessionModel, domain: string): void {
  const suffix = `@${domain.toLowerCase()}`;
  for (const recipient of model.recipients) {
    if (!recipient.toLowerCase().endsWith(suffix)) throw new ConformanceError("invalid-argument", `refusing to send content: recipient ${recipient} is not at ${domain}`);
  }
}

/** A positive reply that ought to have been a refusal. */
function mustRefuse(rule: Violation["rule"], what: string) {
  return (reply: WireReply): readonly Violation[] => (positive(reply) ? [{ rule, detail: `${what} was answered ${reply.code}` }] : []);
}

function bodiesEqual(sent: Uint8Array, stored: Uint8Array): { equal: boolean; detail: string } {
  const normalize = (bytes: Uint8Array): string => {
    const text = latin1(bytes).replace(/\r\n/g, "\n");
    const split = text.indexOf("\n\n");
    return split < 0 ? "" : text.slice(split + 2);
  };
  const a = normalize(sent);
  const b = normalize(stored);
  if (a === b) return { equal: true, detail: "" };
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index += 1;
  return {
    equal: false,
    detail: `the stored body differs from the one sent at body octet ${index}: sent ${JSON.stringify(a.slice(Math.max(0, index - 20), index + 20))}, stored ${JSON.stringify(b.slice(Math.max(0, index - 20), index + 20))}`,
  };
}

/** Builds and sends a message after a 354, with every check on the reply to its end. */
async function sendContent(model: SessionModel, real: SessionReal, bodyLines: readonly string[]): Promise<void> {
  const { context } = real;
  guardRecipients(model, context.domain);
  const messageId = context.nextMessageId();
  const header = [`From: <${context.sender}>`, `To: <${model.recipients[0] ?? ""}>`, `Subject: smtpkit conformance probe`, `Message-ID: <${messageId}>`, `MIME-Version: 1.0`, `Content-Type: text/plain; charset=us-ascii`];
  const message = bytesOf(`${header.join("\r\n")}\r\n\r\n${bodyLines.map((line) => `${line}\r\n`).join("")}`);
  const recipients = [...model.recipients];
  await real.wire.write(encodeData(message));
  const reply = await receive(model, real, "DATA-END", "data-end");
  if (reply?.code !== 250 || context.readStored === undefined) return;
  const stored = await context.readStored({ messageId, recipients });
  if (stored === undefined) {
    context.stored.missing += 1;
    real.wire.note(`readStored found no message with Message-ID <${messageId}>`);
    return;
  }
  context.stored.compared += 1;
  const compared = bodiesEqual(message, stored);
  if (!compared.equal) raise(context, [{ rule: "dot-transparency", detail: compared.detail }]);
}

/** The broken MAIL lines: each is refused by every conforming server. */
export const brokenMailLines: readonly ((sender: string) => string)[] = [
  (sender) => `MAIL FROM:<${sender}`,
  (sender) => `MAIL TO:<${sender}>`,
  () => "MAIL",
  (sender) => `MAIL FROM:<${sender}> XSMTPKIT-NO-SUCH-PARAMETER=1`,
  (sender) => `MAIL FROM:<${sender}> SIZE=x`,
];

/**
 * MAIL lines that break RFC 5321's syntax in the two ways Postfix accepts by
 * default (`strict_rfc821_envelopes = no`), as `@smtpkit/grammar` does by
 * design: a path without angle brackets (§4.1.2: `Path = "<" [ A-d-l ":" ]
 * Mailbox ">"`) and a space after the colon (§3.3, §4.1.1.2). Accepting them
 * is a documented interoperability choice rather than a breach, so they are
 * checked only under the runner's `strictSyntax` option.
 */
export const lenientMailLines: readonly ((sender: string) => string)[] = [(sender) => `MAIL FROM:${sender}`, (sender) => `MAIL FROM: <${sender}>`];

/** Why each of {@link lenientMailLines} is broken, for the finding. */
const lenientMailReasons: readonly string[] = [
  'RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"',
  'RFC 5321 §3.3: "spaces are not permitted on either side of the colon following FROM in the MAIL command"',
];

/** RCPT with no transaction: RFC 5321 §3.3 "the server MUST return a 503". */
function rcptBeforeMailStep(local: string): Step {
  return new Step("RCPT before MAIL", (model) => model.state === "ready", async (model, real) => {
    await command(model, real, `RCPT TO:<${local}@${real.context.domain}>`, "RCPT", "RCPT", (reply) =>
      reply.code === 503 || reply.code === 421 ? [] : [{ rule: "rcpt-before-mail", detail: `RCPT without MAIL was answered ${reply.code}, not 503` }],
    );
  });
}

const dataWithoutRecipientsStep = new Step("DATA without recipients", (model) => model.state === "ready" || model.state === "mail", async (model, real) => {
  const reply = await command(model, real, "DATA", "DATA", "DATA", mustRefuse("data-without-recipients", "DATA with no accepted recipient"));
  if (reply?.code === 354) model.over = true;
});

const plainMailStep = new Step("MAIL FROM:<sender>", (model) => model.state === "ready", async (model, real) => {
  await command(model, real, `MAIL FROM:<${real.context.sender}>`, "MAIL", "MAIL");
});

function plainRcptStep(local: string): Step {
  return new Step(`RCPT TO:<${local}@domain>`, (model) => model.state === "mail" || model.state === "recipients", async (model, real) => {
    const address = `${local}@${real.context.domain}`;
    const reply = await command(model, real, `RCPT TO:<${address}>`, "RCPT", "RCPT");
    if (reply !== undefined && reply.code >= 200 && reply.code < 300 && !model.over) model.recipients.push(address);
  });
}

const nestedMailStep = new Step("nested MAIL", (model) => model.state === "mail" || model.state === "recipients", async (model, real) => {
  await command(model, real, `MAIL FROM:<${real.context.sender}>`, "MAIL", "MAIL", mustRefuse("nested-mail", "MAIL inside a transaction"));
});

/** One of {@link brokenMailLines} (or of {@link lenientMailLines}): never answered 250. */
function brokenMailStep(index: number, lines: readonly ((sender: string) => string)[] = brokenMailLines): Step {
  return new Step(`${lines === brokenMailLines ? "broken" : "lenient"} MAIL #${index}`, (model) => model.state === "ready", async (model, real) => {
    const line = (lines[index] as (sender: string) => string)(real.context.sender);
    const reply = await command(model, real, line, "MAIL", undefined, (reply) =>
      reply.code >= 200 && reply.code < 300
        ? [{ rule: "broken-mail-accepted", detail: `${JSON.stringify(line)} was answered ${reply.code}${lines === brokenMailLines ? "" : ` (${lenientMailReasons[index] ?? ""})`}` }]
        : [],
    );
    if (reply !== undefined && reply.code >= 200 && reply.code < 300) model.over = true;
  });
}

const rsetStep = new Step("RSET", inCommandState, async (model, real) => {
  await command(model, real, "RSET", "RSET", "RSET", (reply) =>
    reply.code === 250 || reply.code === 421 ? [] : [{ rule: "rset-reply", detail: `RSET was answered ${reply.code}, not 250` }],
  );
});

const noopStep = new Step("NOOP", inCommandState, async (model, real) => {
  await command(model, real, "NOOP", "NOOP", "NOOP", (reply) =>
    reply.code === 250 || reply.code === 421 ? [] : [{ rule: "noop-reply", detail: `NOOP was answered ${reply.code}, not 250` }],
  );
});

const helpStep = new Step("HELP", inCommandState, async (model, real) => {
  await command(model, real, "HELP", "HELP", "HELP");
});

function unknownStep(verb: string): Step {
  return new Step(`unknown ${verb}`, inCommandState, async (model, real) => {
    await command(model, real, verb, verb, undefined);
  });
}

/** RFC 1870 §6: a declared SIZE over the advertised maximum is not accepted. */
const sizeOverStep = new Step("MAIL with SIZE over the maximum", (model) => model.state === "ready" && (model.capabilities.maxSize ?? 0) > 0, async (model, real) => {
  const declared = (model.capabilities.maxSize ?? 0) + 1;
  const reply = await command(model, real, `MAIL FROM:<${real.context.sender}> SIZE=${declared}`, "MAIL", "MAIL", (reply) =>
    reply.code >= 200 && reply.code < 300 ? [{ rule: "size-enforced", detail: `MAIL declaring SIZE=${declared} (the advertised maximum is ${declared - 1}) was answered ${reply.code}` }] : [],
  );
  if (reply !== undefined && reply.code >= 200 && reply.code < 300) model.over = true;
});

/** RFC 5321 §4.5.3.1.4 allows 512 octets; a longer line may be refused (500), but gets exactly one reply. */
function longLineStep(length: number): Step {
  return new Step(`NOOP line of ${length} octets`, inCommandState, async (model, real) => {
    await command(model, real, `NOOP ${"x".repeat(length - 7)}`, "NOOP", "NOOP");
  });
}

const quitStep = new Step("QUIT", inCommandState, async (model, real) => {
  const reply = await command(model, real, "QUIT", "QUIT", "QUIT", (reply) =>
    reply.code === 221 || reply.code === 421 ? [] : [{ rule: "quit-reply", detail: `QUIT was answered ${reply.code}, not 221` }],
  );
  model.over = true;
  if (reply?.code === 221 && !(await real.wire.waitForClose(real.context.timeouts.close))) {
    raise(real.context, [{ rule: "quit-reply", detail: `the server did not close the connection within ${real.context.timeouts.close} ms of its 221` }]);
  }
});

/**
 * Short sessions run once in every run, whatever the seed: each checks one
 * rule with fixed commands (every broken MAIL line, HELP, NOOP, RSET, RCPT
 * before MAIL, DATA without recipients, nested MAIL, SIZE over the maximum,
 * an over-long line, four unknown commands in a row, QUIT; with
 * `strictSyntax`, the {@link lenientMailLines} too), so a server's
 * findings on these do not depend on what the random sessions happen to
 * draw. Each runs on its own connection, after an EHLO.
 *
 * @returns the sessions, each a list of steps
 */
export function fixedSessions(strictSyntax = false): readonly (readonly Step[])[] {
  return [
    ...(strictSyntax ? lenientMailLines.map((_, index) => [brokenMailStep(index, lenientMailLines)]) : []),
    [helpStep],
    [noopStep],
    [rsetStep],
    [rcptBeforeMailStep("probe")],
    [dataWithoutRecipientsStep],
    [unknownStep("XSMTPKIT")],
    ...brokenMailLines.map((_, index) => [brokenMailStep(index)]),
    [plainMailStep, nestedMailStep],
    // RSET and NOOP inside a transaction, where a server keeps more state (RFC 5321 §4.1.1.5, §4.1.1.9).
    [plainMailStep, rsetStep],
    [plainMailStep, plainRcptStep("probe"), rsetStep],
    [plainMailStep, plainRcptStep("probe"), noopStep],
    [sizeOverStep],
    [longLineStep(1000)],
    [unknownStep("XSMTPKIT"), unknownStep("MAILX"), unknownStep("RCPT-TO"), unknownStep("XSMTPKIT"), noopStep],
    [quitStep],
  ];
}

/**
 * The fast-check commands of a session.
 *
 * @returns one arbitrary per kind of step
 */
export function sessionSteps(capabilities: CapabilitySet = CapabilitySet.empty): fc.Arbitrary<fc.AsyncCommand<SessionModel, SessionReal>>[] {
  // Parameters of the extensions the server advertised (RFC 5321 §4.1.1.11: only those), or none.
  const mailExtras: fc.Arbitrary<MailParameters> = fc.oneof(fc.constant<MailParameters>({}), mailParameters({ capabilities, utf8: false }));
  const rcptExtras: fc.Arbitrary<RcptParameters> = fc.oneof(fc.constant<RcptParameters>({}), rcptParameters({ capabilities, utf8: false }));
  const ehlo = heloLabel.map(
    (label) =>
      new Step(`EHLO ${label}`, inCommandState, async (model, real) => {
        await command(model, real, `EHLO ${label}.${real.context.domain}`, "EHLO", "EHLO");
      }),
  );
  const helo = heloLabel.map(
    (label) =>
      new Step(`HELO ${label}`, inCommandState, async (model, real) => {
        await command(model, real, `HELO ${label}.${real.context.domain}`, "HELO", "HELO");
      }),
  );
  const mail = fc.tuple(fc.boolean(), mailExtras).map(
    ([nullPath, parameters]) =>
      new Step(`MAIL FROM:<${nullPath ? "" : "sender"}>${describeParameters(parameters)}`, (model) => model.state === "ready" && model.transactions < 3, async (model, real) => {
        const [localPartOfSender, domainOfSender] = splitAddress(real.context.sender);
        const line = serializeCommand({ verb: "MAIL", from: nullPath ? null : { localPart: localPartOfSender, domain: domainOfSender }, parameters });
        await command(model, real, line.replace(/\r\n$/, ""), "MAIL", "MAIL");
      }),
  );
  const rcpt = fc.tuple(localPart, rcptExtras).map(
    ([local, parameters]) =>
      new Step(`RCPT TO:<${local}@domain>${describeParameters(parameters)}`, (model) => (model.state === "mail" || model.state === "recipients") && model.recipients.length < 5, async (model, real) => {
        const address = `${local}@${real.context.domain}`;
        const line = serializeCommand({ verb: "RCPT", to: { localPart: local, domain: real.context.domain }, parameters });
        const reply = await command(model, real, line.replace(/\r\n$/, ""), "RCPT", "RCPT");
        if (reply !== undefined && reply.code >= 200 && reply.code < 300 && !model.over) model.recipients.push(address);
      }),
  );
  const data = fc.array(bodyLine, { maxLength: 8 }).map(
    (lines) =>
      new Step(`DATA (${lines.length} body lines)`, (model) => model.state === "recipients" && model.recipients.length > 0, async (model, real) => {
        const reply = await command(model, real, "DATA", "DATA", "DATA");
        if (reply?.code === 354 && !model.over) await sendContent(model, real, lines);
      }),
  );
  const rcptBeforeMail = localPart.map(rcptBeforeMailStep);
  const dataWithoutRecipients = fc.constant(dataWithoutRecipientsStep);
  const nestedMail = fc.constant(nestedMailStep);
  const brokenMail = fc.integer({ min: 0, max: brokenMailLines.length - 1 }).map((index) => brokenMailStep(index));
  const rset = fc.constant(rsetStep);
  const noop = fc.constant(noopStep);
  const help = fc.constant(helpStep);
  const unknown = fc.constantFrom("XSMTPKIT", "MAILX", "RCPT-TO").map(unknownStep);
  const sizeOver = fc.constant(sizeOverStep);
  const pipelined = fc.array(localPart, { minLength: 1, maxLength: 3 }).map(
    (locals) =>
      new Step(`pipelined MAIL + ${locals.length} RCPT`, (model) => model.state === "ready" && model.capabilities.has("PIPELINING") && model.transactions < 3, async (model, real) => {
        const addresses = locals.map((local) => `${local}@${real.context.domain}`);
        // RFC 2920 §3.1: MAIL and RCPT may be grouped; one write.
        await real.wire.write(`MAIL FROM:<${real.context.sender}>\r\n${addresses.map((address) => `RCPT TO:<${address}>\r\n`).join("")}`);
        await receive(model, real, "MAIL", "MAIL", undefined, true);
        for (const [index, address] of addresses.entries()) {
          if (model.over) return;
          const reply = await receive(model, real, "RCPT", "RCPT", undefined, index < addresses.length - 1);
          if (reply !== undefined && reply.code >= 200 && reply.code < 300 && !model.over) model.recipients.push(address);
        }
      }),
  );
  const transaction = fc.tuple(fc.array(localPart, { minLength: 1, maxLength: 2 }), fc.array(bodyLine, { maxLength: 8 })).map(
    ([locals, lines]) =>
      new Step(`transaction: MAIL, ${locals.length} RCPT, DATA (${lines.length} body lines)`, (model) => model.state === "ready" && model.transactions < 3, async (model, real) => {
        await command(model, real, `MAIL FROM:<${real.context.sender}>${sizeParameter(model)}`, "MAIL", "MAIL");
        for (const local of locals) {
          if (model.over || (model.state !== "mail" && model.state !== "recipients")) return;
          const address = `${local}@${real.context.domain}`;
          const reply = await command(model, real, `RCPT TO:<${address}>`, "RCPT", "RCPT");
          if (reply !== undefined && reply.code >= 200 && reply.code < 300 && !model.over) model.recipients.push(address);
        }
        if (model.over || model.state !== "recipients" || model.recipients.length === 0) return;
        const reply = await command(model, real, "DATA", "DATA", "DATA");
        if (reply?.code === 354 && !model.over) await sendContent(model, real, lines);
      }),
  );
  const longLine = fc.integer({ min: 513, max: 1000 }).map(longLineStep);
  const bdat = fc.tuple(localPart, fc.array(bodyLine, { maxLength: 6 }), fc.integer({ min: 1, max: 3 })).map(
    ([local, lines, chunks]) =>
      new Step(`BDAT transaction: ${chunks} chunk(s), ${lines.length} body lines`, (model) => model.state === "ready" && model.capabilities.has("CHUNKING") && model.transactions < 3, async (model, real) => {
        const { context } = real;
        await command(model, real, `MAIL FROM:<${context.sender}>`, "MAIL", "MAIL");
        if (model.over || model.state !== "mail") return;
        const address = `${local}@${context.domain}`;
        const reply = await command(model, real, `RCPT TO:<${address}>`, "RCPT", "RCPT");
        if (model.over || reply === undefined || reply.code < 200 || reply.code >= 300) return;
        model.recipients.push(address);
        guardRecipients(model, context.domain);
        // RFC 3030 §2: chunks are sent as they are, no dot-stuffing; the last one says LAST.
        const message = bytesOf(`From: <${context.sender}>\r\nSubject: smtpkit conformance probe (BDAT)\r\nMessage-ID: <${context.nextMessageId()}>\r\n\r\n${lines.map((line) => `${line}\r\n`).join("")}`);
        const size = Math.ceil(message.length / chunks);
        for (let start = 0; start < message.length && !model.over; start += size) {
          const chunk = message.subarray(start, Math.min(message.length, start + size));
          const last = start + size >= message.length;
          await real.wire.write(`BDAT ${chunk.length}${last ? " LAST" : ""}\r\n${latin1(chunk)}`);
          const answer = await receive(model, real, "BDAT", last ? "BDAT LAST" : "BDAT");
          if (answer === undefined || answer.code < 200 || answer.code >= 300) return;
        }
      }),
  );
  const overSize = fc.constant(
    new Step("message over the advertised SIZE", (model) => model.state === "ready" && (model.capabilities.maxSize ?? 0) > 0 && (model.capabilities.maxSize ?? 0) <= model.maxSizeProbe, async (model, real) => {
      const { context } = real;
      const maxSize = model.capabilities.maxSize ?? 0;
      await command(model, real, `MAIL FROM:<${context.sender}>`, "MAIL", "MAIL");
      if (model.over || model.state !== "mail") return;
      const address = `oversize@${context.domain}`;
      const rcptReply = await command(model, real, `RCPT TO:<${address}>`, "RCPT", "RCPT");
      if (model.over || rcptReply === undefined || rcptReply.code < 200 || rcptReply.code >= 300) return;
      model.recipients.push(address);
      const data = await command(model, real, "DATA", "DATA", "DATA");
      if (data?.code !== 354 || model.over) return;
      guardRecipients(model, context.domain);
      const line = "a".repeat(998);
      const lines = Array.from({ length: Math.ceil((maxSize + 1024) / 1000) }, () => line);
      const message = bytesOf(`From: <${context.sender}>\r\nSubject: smtpkit conformance probe (over SIZE)\r\nMessage-ID: <${context.nextMessageId()}>\r\n\r\n${lines.join("\r\n")}\r\n`);
      await real.wire.write(encodeData(message));
      await receive(model, real, "DATA-END", "data-end", (reply) =>
        reply.code >= 200 && reply.code < 300 ? [{ rule: "size-enforced", detail: `a message of ${message.length} octets (the advertised SIZE is ${maxSize}) was answered ${reply.code}` }] : [],
      );
    }),
  );
  const quit = fc.constant(quitStep);
  return [ehlo, helo, mail, mail, rcpt, rcpt, data, transaction, transaction, bdat, longLine, overSize, rcptBeforeMail, dataWithoutRecipients, nestedMail, brokenMail, rset, noop, help, unknown, sizeOver, pipelined, quit];
}

/**
 * Reads the greeting and, in STARTTLS mode, negotiates TLS first.
 *
 * @returns the model to start from, or `undefined` when no session is possible on this connection
 */
export async function openSession(real: SessionReal): Promise<SessionModel | undefined> {
  const { wire, context } = real;
  const model = initialModel(context.tls === "implicit");
  model.state = "greeting";
  const greeting = await receive(model, real, "CONNECT", "connect");
  if (greeting === undefined || greeting.code !== 220 || model.over) return undefined;
  if (context.tls !== "starttls") return model;
  const ehlo = await command(model, real, `EHLO conformance.${context.domain}`, "EHLO", "EHLO");
  if (ehlo?.code !== 250 || model.over) return undefined;
  const started = await command(model, real, "STARTTLS", "STARTTLS", "STARTTLS");
  if (started?.code !== 220 || model.over) throw new ConformanceError("no-session", `the server answered STARTTLS with ${started?.code ?? "nothing"}`);
  await wire.startTls(context.timeouts.tls);
  const fresh = initialModel(true);
  return fresh;
}

/** Runs a model-based session property; a violation carries the transcript out. */
export async function runSession(context: ProbeContext, steps: Iterable<fc.AsyncCommand<SessionModel, SessionReal>>): Promise<void> {
  const wire = await context.open();
  try {
    const real: SessionReal = { wire, context };
    const model = await openSession(real);
    if (model === undefined) return;
    model.maxSizeProbe = context.maxSizeProbe;
    // Every random session starts with EHLO: without it nearly every step would be out of sequence.
    await command(model, real, `EHLO conformance.${context.domain}`, "EHLO", "EHLO");
    if (model.over) return;
    await fc.asyncModelRun(() => ({ model, real }), steps);
  } catch (error) {
    if (error instanceof ViolationError) error.transcript = [...wire.transcript];
    throw error;
  } finally {
    wire.close();
  }
}
