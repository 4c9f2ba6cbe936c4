/**
 * Envelopes and whole client sessions: command sequences a well-behaved
 * client sends to a server that advertised a given capability set (RFC 5321
 * §3.3, §4.1.4), with the message content each DATA or BDAT carries.
 *
 * Sessions are built by mapping generated parts (no unmapper): they shrink
 * with their generation context (fewer transactions, fewer recipients,
 * shorter content), not from a sequence a user wrote.
 *
 * @module
 */
import fc from "fast-check";
import {
  CapabilitySet,
  encodeData,
  serializeCommand,
  type BdatCommand,
  type Command,
  type MailCommand,
  type Mailbox,
  type RcptCommand,
} from "@smtpkit/grammar";
import { checkInteger } from "../testkit-error.js";
import { letters, nonAscii, unit, visible } from "../internal/characters.js";
import { record } from "../internal/record.js";
import { helloCommand, mailCommand, noopCommand, rcptCommand } from "./commands.js";
import { forwardPath, reversePath } from "./mailbox.js";

/** An envelope: the reverse-path and the forward-paths of one transaction. */
export interface Envelope {
  /** The reverse-path; `null` for `<>`. */
  readonly from: Mailbox | null;
  /** The forward-paths, distinct (domains compared without case). */
  readonly recipients: readonly Mailbox[];
}

/** Options of {@link envelope}. */
export interface EnvelopeOptions {
  /** Allow UTF-8 addresses (RFC 6531). Default false. */
  readonly utf8?: boolean;
  /** The most recipients, 1–1000 (default 5; RFC 5321 §4.5.3.1.8 asks servers to take at least 100). */
  readonly maxRecipients?: number;
}

const addressKey = (m: Mailbox): string => `${m.localPart}@${m.domain.toLowerCase()}`;

/**
 * An envelope: a reverse-path (sometimes `<>`) and 1–`maxRecipients`
 * distinct forward-paths (sometimes `<Postmaster>`).
 *
 * @param options - UTF-8 and the recipient count
 * @returns an arbitrary of envelopes (a record: user values shrink too)
 * @throws {@link TestkitError} (`invalid-argument`) for a recipient count outside 1–1000
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { envelope } from "@smtpkit/testkit";
 * fc.sample(envelope({ maxRecipients: 2 }), 1)[0]?.recipients.length; // 1 or 2
 * ```
 */
export function envelope(options: EnvelopeOptions = {}): fc.Arbitrary<Envelope> {
  const maxRecipients = checkInteger("maxRecipients", options.maxRecipients ?? 5, 1, 1000);
  const utf8 = options.utf8 === true;
  return record({
    from: reversePath({ utf8 }),
    recipients: fc.uniqueArray(forwardPath({ utf8 }), { minLength: 1, maxLength: maxRecipients, selector: addressKey }),
  });
}

/** One step of a client session: a command, and for DATA or BDAT the content it carries. */
export interface SessionStep {
  /** The command. */
  readonly command: Command;
  /**
   * For DATA: the message, before dot-stuffing (CRLF line ends, ending with
   * CRLF). For BDAT: the chunk's octets (its `size` long).
   */
  readonly content?: Uint8Array;
}

/** Options of {@link clientSession}. */
export interface ClientSessionOptions {
  /** What the server advertised in its EHLO reply (default: nothing, plain RFC 5321). */
  readonly capabilities?: CapabilitySet;
  /** The most mail transactions, 0–20 (default 3). */
  readonly maxTransactions?: number;
  /** The most recipients per transaction, 1–100 (default 3). */
  readonly maxRecipients?: number;
}

const encoder = new TextEncoder();

/** Message text: header, blank line, body lines (some starting with a dot, to exercise stuffing). */
function messageContent(eightBit: boolean): fc.Arbitrary<Uint8Array> {
  const chars = eightBit ? [...visible, " ", ...nonAscii] : [...visible, " "];
  const line = fc.string({ unit: unit(chars), maxLength: 60 });
  const bodyLine = fc.oneof({ arbitrary: line, weight: 4 }, { arbitrary: line.map((l) => `.${l}`), weight: 1 });
  return record({
    subject: fc.string({ unit: unit(letters), minLength: 1, maxLength: 20 }),
    body: fc.array(bodyLine, { maxLength: 8 }),
  }).map(({ subject, body }) => encoder.encode(`Subject: ${subject}\r\n\r\n${body.map((l) => `${l}\r\n`).join("")}`));
}

/** Any octets for BINARYMIME (RFC 3030 §3): sent only with BDAT. */
const binaryContent = fc.uint8Array({ minLength: 1, maxLength: 300 });

function splitContent(content: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (content.length + 1)))].filter((c) => c > 0 && c < content.length).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(content.subarray(start, point));
    start = point;
  }
  chunks.push(content.subarray(start));
  return chunks;
}

function transaction(capabilities: CapabilitySet, maxRecipients: number): fc.Arbitrary<SessionStep[]> {
  const options = { capabilities };
  const chunking = capabilities.has("CHUNKING");
  const maxSize = capabilities.maxSize;
  // Built once, chosen per MAIL inside the chain (building arbitraries is not free).
  const rcptAscii = fc.array(rcptCommand({ capabilities, utf8: false }), { minLength: 1, maxLength: maxRecipients });
  const rcptInternational = fc.array(rcptCommand({ capabilities }), { minLength: 1, maxLength: maxRecipients });
  const text7 = messageContent(false);
  const text8 = messageContent(true);
  const endings = chunking ? fc.constantFrom("data" as const, "bdat" as const, "rset" as const) : fc.constantFrom("data" as const, "rset" as const);
  const bdatOnly = fc.constant("bdat" as const);
  return mailCommand(options).chain((mail) => {
    const international = mail.parameters?.smtputf8 === true;
    const binary = mail.parameters?.body === "BINARYMIME";
    const eightBit = mail.parameters?.body === "8BITMIME" || international;
    const rcpt = international ? rcptInternational : rcptAscii;
    const content = binary ? binaryContent : eightBit ? text8 : text7;
    const ending = binary ? bdatOnly : endings;
    return fc
      .tuple(rcpt, fc.boolean(), content, ending, fc.array(fc.nat(), { maxLength: 3 }))
      .map(([recipients, noop, body, ending, cuts]) => {
        let end = ending;
        const message = body;
        // RFC 1870 §6: a client does not send a message larger than the advertised maximum; it gives up with RSET.
        if (maxSize !== undefined && maxSize > 0 && message.length > maxSize) end = "rset";
        // A declared SIZE is the message's size.
        let first: MailCommand = mail;
        if (mail.parameters?.size !== undefined) first = { ...mail, parameters: { ...mail.parameters, size: message.length } };
        const steps: SessionStep[] = [{ command: first }, ...recipients.map((r): SessionStep => ({ command: r as RcptCommand }))];
        if (noop) steps.push({ command: { verb: "NOOP" } });
        if (end === "rset") {
          steps.push({ command: { verb: "RSET" } });
        } else if (end === "data") {
          steps.push({ command: { verb: "DATA" }, content: message });
        } else {
          const chunks = splitContent(message, cuts);
          chunks.forEach((chunk, index) => {
            const bdat: BdatCommand = { verb: "BDAT", size: chunk.length, last: index === chunks.length - 1 };
            steps.push({ command: bdat, content: chunk });
          });
        }
        return steps;
      });
  });
}

/**
 * A whole client session against a server with the given capabilities:
 * EHLO; STARTTLS then EHLO again when offered (sometimes); AUTH PLAIN with
 * an initial response when offered (sometimes); 0–`maxTransactions` mail
 * transactions (MAIL with parameters the server advertised, 1–`maxRecipients`
 * RCPT, then DATA with content, BDAT chunks when CHUNKING is offered, or
 * RSET), NOOP here and there; QUIT. BINARYMIME content goes by BDAT only
 * (RFC 3030 §3); UTF-8 recipients only after MAIL with SMTPUTF8; a declared
 * SIZE equals the content's size; content over the advertised maximum is
 * not sent (the transaction ends with RSET, RFC 1870 §6);
 * REQUIRETLS only after STARTTLS (RFC 8689 §4.1).
 *
 * @param options - the capabilities and the size of the session
 * @returns an arbitrary of step lists
 * @throws {@link TestkitError} (`invalid-argument`) for counts out of range
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { CapabilitySet } from "@smtpkit/grammar";
 * import { clientSession, sessionBytes } from "@smtpkit/testkit";
 * const capabilities = CapabilitySet.of({ PIPELINING: true, CHUNKING: true, SIZE: ["100000"] });
 * const [steps] = fc.sample(clientSession({ capabilities }), 1);
 * sessionBytes(steps ?? []); // the bytes the client sends, QUIT included
 * ```
 */
export function clientSession(options: ClientSessionOptions = {}): fc.Arbitrary<readonly SessionStep[]> {
  const capabilities = options.capabilities ?? CapabilitySet.empty;
  const maxTransactions = checkInteger("maxTransactions", options.maxTransactions ?? 3, 0, 20);
  const maxRecipients = checkInteger("maxRecipients", options.maxRecipients ?? 3, 1, 100);
  const ehlo = helloCommand(["EHLO"]);
  const startTls = capabilities.has("STARTTLS") ? fc.boolean() : fc.constant(false);
  const plain = capabilities.authMechanisms.includes("PLAIN");
  const credentials = record({
    user: fc.string({ unit: unit(letters), minLength: 1, maxLength: 12 }),
    password: fc.string({ unit: unit(visible), minLength: 1, maxLength: 16 }),
  });
  const auth = plain ? fc.option(credentials, { nil: undefined }) : fc.constant(undefined);
  return fc
    .tuple(
      ehlo,
      startTls,
      ehlo,
      auth,
      fc.array(transaction(capabilities, maxRecipients), { maxLength: maxTransactions }),
      fc.option(noopCommand(), { nil: undefined }),
    )
    .map(([hello, tls, helloAgain, login, transactions, noop]) => {
      const steps: SessionStep[] = [{ command: hello }];
      // RFC 3207 §4.2: after TLS the client must send EHLO again.
      if (tls) steps.push({ command: { verb: "STARTTLS" } }, { command: helloAgain });
      if (login !== undefined) {
        // RFC 4616 §2: authzid NUL authcid NUL passwd.
        const initialResponse = encoder.encode(`\0${login.user}\0${login.password}`);
        steps.push({ command: { verb: "AUTH", mechanism: "PLAIN", initialResponse } });
      }
      for (const list of transactions) {
        for (const step of list) {
          const c = step.command;
          // RFC 8689 §4.1: REQUIRETLS only on a TLS-protected session.
          if (!tls && c.verb === "MAIL" && c.parameters?.requireTls === true) {
            const { requireTls: _dropped, ...rest } = c.parameters;
            steps.push({ command: { ...c, parameters: rest } });
          } else {
            steps.push(step);
          }
        }
      }
      if (noop !== undefined) steps.push({ command: noop });
      steps.push({ command: { verb: "QUIT" } });
      return steps;
    });
}

/**
 * The bytes a client sends for a session: each command line, DATA content
 * dot-stuffed and terminated by `<CRLF>.<CRLF>` (with `@smtpkit/grammar`'s
 * `encodeData`), BDAT chunks as they are.
 *
 * @param steps - the session
 * @returns the octets, in order
 * @example
 * ```ts
 * import { sessionBytes } from "@smtpkit/testkit";
 * new TextDecoder().decode(sessionBytes([{ command: { verb: "NOOP" } }, { command: { verb: "QUIT" } }])); // "NOOP\r\nQUIT\r\n"
 * ```
 */
export function sessionBytes(steps: readonly SessionStep[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const step of steps) {
    parts.push(encoder.encode(serializeCommand(step.command)));
    if (step.command.verb === "DATA" && step.content !== undefined) parts.push(encodeData(step.content));
    if (step.command.verb === "BDAT" && step.content !== undefined) parts.push(step.content);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Verbs that end a pipelined group (RFC 2920 §3.1: EHLO, DATA, VRFY, EXPN,
 * TURN, QUIT and NOOP; RFC 3207 §4.2 for STARTTLS; RFC 4954 §4 for AUTH,
 * whose reply decides what follows; HELO and HELP by the same reasoning as
 * EHLO and NOOP).
 */
const groupEnders: ReadonlySet<Command["verb"]> = new Set(["EHLO", "HELO", "LHLO", "DATA", "VRFY", "EXPN", "QUIT", "NOOP", "HELP", "STARTTLS", "AUTH"]);

/**
 * Splits a session into the groups a client sends without waiting for
 * replies. Without PIPELINING every step is its own group; with it
 * (RFC 2920 §3.1), a group runs up to and including the next command that
 * must end one (EHLO, DATA, VRFY, EXPN, QUIT, NOOP, STARTTLS, AUTH...). A
 * DATA step's content is sent after the 354, so DATA always ends a group;
 * BDAT chunks may be pipelined (RFC 3030 §4.2).
 *
 * @param steps - a session, for example from {@link clientSession}
 * @param capabilities - what the server advertised
 * @returns the groups, in order; their concatenation is `steps`
 * @example
 * ```ts
 * import { CapabilitySet } from "@smtpkit/grammar";
 * import { pipelinedGroups } from "@smtpkit/testkit";
 * const steps = [{ command: { verb: "RSET" } }, { command: { verb: "NOOP" } }, { command: { verb: "QUIT" } }] as const;
 * pipelinedGroups(steps, CapabilitySet.of({ PIPELINING: true })).length; // 2: [RSET, NOOP], [QUIT]
 * ```
 */
export function pipelinedGroups(steps: readonly SessionStep[], capabilities: CapabilitySet): SessionStep[][] {
  if (!capabilities.has("PIPELINING")) return steps.map((step) => [step]);
  const groups: SessionStep[][] = [];
  let current: SessionStep[] = [];
  for (const step of steps) {
    current.push(step);
    if (groupEnders.has(step.command.verb)) {
      groups.push(current);
      current = [];
    }
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The sequence errors {@link misorderedSession} can put in a session. */
export type SequenceDefect = "mail-before-hello" | "rcpt-before-mail" | "nested-mail" | "data-before-rcpt";

/** Every {@link SequenceDefect}. */
export const sequenceDefects: readonly SequenceDefect[] = ["mail-before-hello", "rcpt-before-mail", "nested-mail", "data-before-rcpt"];

/** A session with one command out of sequence. */
export interface MisorderedSession {
  /** The defect. */
  readonly defect: SequenceDefect;
  /** The steps, the offending command included. */
  readonly steps: readonly SessionStep[];
  /** The index in `steps` of the command out of sequence. */
  readonly index: number;
  /**
   * The situation of `@smtpkit/codes` to answer it with: `NeedHello`,
   * `NeedMail`, `NestedMail` or `NeedRecipient` (all 503 5.5.1, RFC 5321
   * §4.1.4 and §4.3.2). The refused command changes nothing, so the rest of
   * the session stays valid.
   */
  readonly situation: "NeedHello" | "NeedMail" | "NestedMail" | "NeedRecipient";
}

/** Where a command may be inserted: after step `index - 1`, in the state the steps before left. */
function positions(steps: readonly SessionStep[]): { readonly index: number; readonly greeted: boolean; readonly inTransaction: boolean }[] {
  const out: { index: number; greeted: boolean; inTransaction: boolean }[] = [];
  let greeted = false;
  let inTransaction = false;
  for (let index = 0; index < steps.length; index += 1) {
    out.push({ index, greeted, inTransaction });
    const c = (steps[index] as SessionStep).command;
    if (c.verb === "EHLO" || c.verb === "HELO" || c.verb === "LHLO") {
      greeted = true;
      inTransaction = false;
    } else if (c.verb === "STARTTLS") {
      // RFC 3207 §4.2: the session starts over; EHLO comes first again.
      greeted = false;
      inTransaction = false;
    } else if (c.verb === "MAIL") {
      inTransaction = true;
    } else if (c.verb === "DATA" || c.verb === "RSET" || (c.verb === "BDAT" && c.last)) {
      inTransaction = false;
    }
  }
  return out;
}

/**
 * A client session with one command out of sequence (RFC 5321 §4.1.4):
 * MAIL before EHLO, RCPT outside a transaction, a second MAIL inside one,
 * or DATA after MAIL without any RCPT (followed by RSET, so the rest of the
 * session is valid again). Built from {@link clientSession}, labelled with
 * the index of the offending command and the situation to answer.
 *
 * @param options - as for {@link clientSession}
 * @param defects - which defects to generate (default all of {@link sequenceDefects})
 * @returns an arbitrary of {@link MisorderedSession} values (derived: they shrink with their context only)
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { misorderedSession } from "@smtpkit/testkit";
 * const [bad] = fc.sample(misorderedSession({}, ["rcpt-before-mail"]), 1);
 * bad?.steps[bad.index]?.command.verb; // "RCPT"
 * ```
 */
export function misorderedSession(options: ClientSessionOptions = {}, defects: readonly SequenceDefect[] = sequenceDefects): fc.Arbitrary<MisorderedSession> {
  const capabilities = options.capabilities ?? CapabilitySet.empty;
  const sessions = clientSession(options);
  const mail = mailCommand({ capabilities, utf8: false });
  const rcpt = rcptCommand({ capabilities, utf8: false });
  const insert = (steps: readonly SessionStep[], at: number, added: readonly SessionStep[]): SessionStep[] => [...steps.slice(0, at), ...added, ...steps.slice(at)];
  const choose = <T>(list: readonly T[], pick: number): T | undefined => list[pick % Math.max(list.length, 1)];
  const byDefect: Readonly<Record<SequenceDefect, fc.Arbitrary<MisorderedSession>>> = {
    "mail-before-hello": fc.tuple(sessions, mail).map(([steps, command]) => ({
      defect: "mail-before-hello" as const,
      steps: insert(steps, 0, [{ command }]),
      index: 0,
      situation: "NeedHello" as const,
    })),
    "rcpt-before-mail": fc.tuple(sessions, rcpt, fc.nat()).map(([steps, command, pick]) => {
      const at = choose(positions(steps).filter((p) => p.greeted && !p.inTransaction), pick)?.index ?? 1;
      return { defect: "rcpt-before-mail" as const, steps: insert(steps, at, [{ command }]), index: at, situation: "NeedMail" as const };
    }),
    "nested-mail": fc
      .tuple(sessions, mail, fc.nat())
      .filter(([steps]) => positions(steps).some((p) => p.inTransaction))
      .map(([steps, command, pick]) => {
        const at = (choose(positions(steps).filter((p) => p.inTransaction), pick) as { index: number }).index;
        return { defect: "nested-mail" as const, steps: insert(steps, at, [{ command }]), index: at, situation: "NestedMail" as const };
      }),
    "data-before-rcpt": fc.tuple(sessions, mail, fc.nat()).map(([steps, command, pick]) => {
      const at = choose(positions(steps).filter((p) => p.greeted && !p.inTransaction), pick)?.index ?? 1;
      const added: SessionStep[] = [{ command }, { command: { verb: "DATA" } }, { command: { verb: "RSET" } }];
      return { defect: "data-before-rcpt" as const, steps: insert(steps, at, added), index: at + 1, situation: "NeedRecipient" as const };
    }),
  };
  return fc.oneof(...defects.map((defect) => byDefect[defect]));
}
