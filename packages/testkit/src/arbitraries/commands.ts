/**
 * Every SMTP command with every parameter, valid by construction, as the
 * `Command` values of `@smtpkit/grammar`: RFC 5321 §4.1.1 (HELO, EHLO, MAIL,
 * RCPT, DATA, RSET, VRFY, EXPN, HELP, NOOP, QUIT), LHLO (RFC 2033),
 * STARTTLS (RFC 3207), AUTH (RFC 4954), BDAT (RFC 3030), ETRN (RFC 1985),
 * and the MAIL/RCPT parameters of SIZE (RFC 1870), BODY (RFC 6152, RFC
 * 3030), SMTPUTF8 (RFC 6531), DSN (RFC 3461, RFC 6533), AUTH= (RFC 4954 §5),
 * REQUIRETLS (RFC 8689), MT-PRIORITY (RFC 6710), DELIVERBY (RFC 2852),
 * FUTURERELEASE (RFC 4865) and RRVS (RFC 7293).
 *
 * "Valid" means: `serializeCommand(value)` succeeds and `parseCommand` reads
 * the line back, in strict mode and with the capability set given, as a
 * command equal to `value`. Commands are built from `fc.record`, so values a
 * user passes in shrink too.
 *
 * @module
 */
import fc from "fast-check";
import { record } from "../internal/record.js";
import type {
  AuthCommand,
  BdatCommand,
  CapabilitySet,
  Command,
  DataCommand,
  EsmtpParameter,
  EtrnCommand,
  HelloCommand,
  HelpCommand,
  Mailbox,
  MailCommand,
  MailParameters,
  NoopCommand,
  QuitCommand,
  RcptCommand,
  RcptParameters,
  RsetCommand,
  StartTlsCommand,
  VrfyCommand,
} from "@smtpkit/grammar";
import { atext, ldh, nonAscii, unit, visible } from "../internal/characters.js";
import { dateTime } from "../internal/date-time.js";
import { saslMechanisms } from "./capabilities.js";
import { addressLiteral, domain } from "./domain.js";
import { forwardPath, mailbox, reversePath, utf8Mailbox } from "./mailbox.js";

/** Options of the command arbitraries. */
export interface CommandOptions {
  /**
   * The server's EHLO capabilities: only parameters of extensions in this
   * set are generated (a `SIZE=` at most the advertised maximum, `BODY=` as
   * RFC 6152 and RFC 3030 allow), STARTTLS, AUTH (with an offered
   * mechanism), BDAT and ETRN only when offered, UTF-8 addresses only with
   * SMTPUTF8. Absent: every extension, as if everything were offered, plus
   * unknown `X-` parameters.
   */
  readonly capabilities?: CapabilitySet;
  /** Allow UTF-8 addresses (RFC 6531). Default: true, or whether `capabilities` has SMTPUTF8. */
  readonly utf8?: boolean;
}

interface Resolved {
  readonly capabilities: CapabilitySet | undefined;
  readonly utf8: boolean;
}

function resolve(options: CommandOptions): Resolved {
  const capabilities = options.capabilities;
  const offered = capabilities === undefined || capabilities.has("SMTPUTF8");
  return { capabilities, utf8: offered && options.utf8 !== false };
}

function allows(r: Resolved, keyword: string, value?: string): boolean {
  return r.capabilities === undefined || r.capabilities.allowsParameter(keyword, value);
}

function offers(r: Resolved, keyword: string): boolean {
  return r.capabilities === undefined || r.capabilities.has(keyword);
}

/** `local@domain` as text, unmapped by splitting at the last "@". */
function mailboxText(utf8: boolean): fc.Arbitrary<string> {
  const source = utf8 ? utf8Mailbox() : mailbox();
  return source.map(
    (m) => `${m.localPart}@${m.domain}`,
    (value) => {
      if (typeof value !== "string") throw new Error("not an address");
      const at = value.lastIndexOf("@");
      if (at < 0) throw new Error("not an address");
      return { localPart: value.slice(0, at), domain: value.slice(at + 1) } satisfies Mailbox;
    },
  );
}

/** Printable US-ASCII with SP, 1–max characters, not starting or ending with SP. */
function phrase(maxLength: number, chars: readonly string[] = visible): fc.Arbitrary<string> {
  const word = fc.string({ unit: unit(chars), minLength: 1, maxLength: 12 });
  return fc
    .array(word, { minLength: 1, maxLength: 4 })
    .filter((words) => words.join(" ").length <= maxLength)
    .map(
      (words) => words.join(" "),
      (value) => {
        if (typeof value !== "string") throw new Error("not a phrase");
        return value.split(" ");
      },
    );
}

/** Unknown parameters (`X-...`), which servers must refuse unless they know them (RFC 5321 §4.1.1.11). */
function otherParameters(): fc.Arbitrary<EsmtpParameter[]> {
  const keyword = fc
    .string({ unit: unit(ldh.map((c) => c.toUpperCase())), minLength: 1, maxLength: 10 })
    .filter((k) => /^[A-Z0-9]/.test(k))
    .map(
      (k) => `X-${k}`,
      (value) => {
        if (typeof value !== "string" || !value.startsWith("X-")) throw new Error("not an X- keyword");
        return value.slice(2);
      },
    );
  // RFC 5321 esmtp-value: 1*(%d33-60 / %d62-126).
  const value = fc.option(fc.string({ unit: unit(visible.filter((c) => c !== "=")), minLength: 1, maxLength: 16 }), { nil: undefined });
  return fc.uniqueArray(record({ keyword, value }), { minLength: 1, maxLength: 2, selector: (p) => p.keyword });
}

/**
 * MAIL FROM parameters, each only when its extension is offered.
 *
 * @param options - the capability set
 * @param requireSmtpUtf8 - always include SMTPUTF8 (for a non-ASCII reverse-path)
 */
function mailParametersWith(r: Resolved, requireSmtpUtf8: boolean): fc.Arbitrary<MailParameters> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  if (allows(r, "SIZE")) {
    const max = r.capabilities?.maxSize;
    model["size"] = fc.integer({ min: 0, max: max !== undefined && max > 0 ? max : 2 ** 40 });
  }
  const bodies = (["7BIT", "8BITMIME", "BINARYMIME"] as const).filter((b) => allows(r, "BODY", b));
  if (bodies.length > 0) model["body"] = fc.constantFrom(...bodies);
  if (allows(r, "SMTPUTF8") && r.utf8) model["smtputf8"] = fc.constant(true);
  if (allows(r, "AUTH")) model["auth"] = fc.oneof(fc.constant(null), mailboxText(false));
  if (allows(r, "RET")) model["ret"] = fc.constantFrom("FULL", "HDRS");
  // RFC 3461 §4.4: ENVID is printable US-ASCII, at most 100 characters, sent as xtext.
  if (allows(r, "ENVID")) model["envid"] = phrase(100, [...visible]);
  if (allows(r, "REQUIRETLS")) model["requireTls"] = fc.constant(true);
  if (allows(r, "MT-PRIORITY")) model["mtPriority"] = fc.integer({ min: -9, max: 9 });
  if (allows(r, "BY")) {
    // RFC 2852 §4: by-time is signed, but with mode R it must be positive (zero or less only with N).
    model["by"] = fc.oneof(
      record({ seconds: fc.integer({ min: 1, max: 999_999_999 }), mode: fc.constant("R" as const), trace: fc.boolean() }),
      record({ seconds: fc.integer({ min: -999_999_999, max: 999_999_999 }), mode: fc.constant("N" as const), trace: fc.boolean() }),
    );
  }
  if (allows(r, "HOLDFOR")) {
    model["holdFor"] = fc.integer({ min: 0, max: 999_999_999 });
    model["holdUntil"] = dateTime();
  }
  if (r.capabilities === undefined) model["other"] = otherParameters();
  const required = requireSmtpUtf8 ? ["smtputf8"] : [];
  return record(model, { requiredKeys: required as never[] })
    .filter((p) => !("holdFor" in p && "holdUntil" in p)) as fc.Arbitrary<MailParameters>;
}

/**
 * The parameters of MAIL FROM (RFC 5321 §4.1.1.2 and the extensions), as
 * `MailParameters` of `@smtpkit/grammar`. HOLDFOR and HOLDUNTIL never
 * together (RFC 4865 §3); BY with mode R only with a positive time.
 *
 * @param options - the capability set the parameters must fit
 * @returns an arbitrary of parameter sets (possibly empty)
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { CapabilitySet } from "@smtpkit/grammar";
 * import { mailParameters } from "@smtpkit/testkit";
 * fc.sample(mailParameters({ capabilities: CapabilitySet.of({ SIZE: ["1000"] }) }), 3); // e.g. [{}, { size: 17 }, {}]
 * ```
 */
export function mailParameters(options: CommandOptions = {}): fc.Arbitrary<MailParameters> {
  return mailParametersWith(resolve(options), false);
}

/**
 * The parameters of RCPT TO: NOTIFY and ORCPT (RFC 3461, with the utf-8
 * address type of RFC 6533), RRVS (RFC 7293), and unknown `X-` parameters
 * when no capability set is given.
 *
 * @param options - the capability set the parameters must fit
 * @returns an arbitrary of parameter sets (possibly empty)
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { rcptParameters } from "@smtpkit/testkit";
 * fc.sample(rcptParameters(), 3);
 * ```
 */
export function rcptParameters(options: CommandOptions = {}): fc.Arbitrary<RcptParameters> {
  const r = resolve(options);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  if (allows(r, "NOTIFY")) {
    // RFC 3461 §4.1: "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
    model["notify"] = fc.oneof(
      // A tuple, not a constant: every value gets its own array, so a test that mutates one cannot affect the next.
      fc.tuple(fc.constant("NEVER" as const)),
      fc.uniqueArray(fc.constantFrom("SUCCESS", "FAILURE", "DELAY"), { minLength: 1, maxLength: 3 }),
    );
  }
  if (allows(r, "ORCPT")) {
    const types: fc.Arbitrary<{ addressType: string; address: string }>[] = [record({ addressType: fc.constant("RFC822"), address: mailboxText(false) })];
    // RFC 6533 §3: the utf-8 address type, sent as 7-bit utf-8-addr-xtext.
    if (r.utf8) types.push(record({ addressType: fc.constant("UTF-8"), address: mailboxText(true) }));
    model["orcpt"] = fc.oneof(...types);
  }
  if (allows(r, "RRVS")) model["rrvs"] = record({ dateTime: dateTime(), action: fc.constantFrom(undefined, "C" as const, "R" as const) });
  if (r.capabilities === undefined) model["other"] = otherParameters();
  return record(model, { requiredKeys: [] }) as fc.Arbitrary<RcptParameters>;
}

/**
 * HELO, EHLO or LHLO with a domain or an address literal (RFC 5321
 * §4.1.1.1, RFC 2033 §4.1), with the `form` the parser reports.
 *
 * @param verbs - which verbs to generate (default all three)
 * @returns an arbitrary of hello commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { helloCommand } from "@smtpkit/testkit";
 * fc.sample(helloCommand(["EHLO"]), 1); // [{ verb: "EHLO", domain: "a.bc", form: "domain" }]
 * ```
 */
export function helloCommand(verbs: readonly HelloCommand["verb"][] = ["EHLO", "HELO", "LHLO"]): fc.Arbitrary<HelloCommand> {
  const verb = fc.constantFrom(...verbs);
  return fc.oneof(
    { arbitrary: record({ verb, domain: domain(), form: fc.constant("domain" as const) }), weight: 4 },
    { arbitrary: record({ verb, domain: addressLiteral(), form: fc.constant("address-literal" as const) }), weight: 1 },
  );
}

/**
 * MAIL FROM with a reverse-path and parameters fitting the capabilities; a
 * non-ASCII path always comes with SMTPUTF8 (RFC 6531 §3.4).
 *
 * @param options - the capability set
 * @returns an arbitrary of MAIL commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseCommand, serializeCommand } from "@smtpkit/grammar";
 * import { mailCommand } from "@smtpkit/testkit";
 * fc.assert(fc.property(mailCommand(), (mail) => parseCommand(serializeCommand(mail)).ok));
 * ```
 */
export function mailCommand(options: CommandOptions = {}): fc.Arbitrary<MailCommand> {
  const r = resolve(options);
  const verb = fc.constant("MAIL" as const);
  const ascii = record({ verb, from: reversePath(), parameters: mailParametersWith(r, false) });
  if (!r.utf8 || !allows(r, "SMTPUTF8")) return ascii;
  const international = record({ verb, from: utf8Mailbox(), parameters: mailParametersWith(r, true) });
  return fc.oneof({ arbitrary: ascii, weight: 3 }, { arbitrary: international, weight: 1 });
}

/**
 * RCPT TO with a forward-path (including `<Postmaster>`) and parameters
 * fitting the capabilities; UTF-8 addresses only when SMTPUTF8 is allowed.
 *
 * @param options - the capability set
 * @returns an arbitrary of RCPT commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { rcptCommand } from "@smtpkit/testkit";
 * fc.sample(rcptCommand(), 1);
 * ```
 */
export function rcptCommand(options: CommandOptions = {}): fc.Arbitrary<RcptCommand> {
  const r = resolve(options);
  const verb = fc.constant("RCPT" as const);
  const parameters = rcptParameters(options);
  const ascii = record({ verb, to: forwardPath(), parameters });
  if (!r.utf8) return ascii;
  return fc.oneof({ arbitrary: ascii, weight: 3 }, { arbitrary: record({ verb, to: utf8Mailbox(), parameters }), weight: 1 });
}

function bare<V extends "DATA" | "RSET" | "QUIT" | "STARTTLS">(verb: V): fc.Arbitrary<{ verb: V }> {
  return record({ verb: fc.constant(verb) });
}

/**
 * BDAT with a chunk size and the LAST flag (RFC 3030 §2).
 *
 * @param maxSize - the largest chunk size (default 10 000 000)
 * @returns an arbitrary of BDAT commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { bdatCommand } from "@smtpkit/testkit";
 * fc.sample(bdatCommand(100), 1); // [{ verb: "BDAT", size: 42, last: false }]
 * ```
 */
export function bdatCommand(maxSize = 10_000_000): fc.Arbitrary<BdatCommand> {
  return record({ verb: fc.constant("BDAT" as const), size: fc.integer({ min: 0, max: maxSize }), last: fc.boolean() });
}

/** VRFY/EXPN arguments never end with a word the parser would take for the SMTPUTF8 parameter. */
function vrfyArgument(utf8: boolean): fc.Arbitrary<string> {
  const chars = utf8 ? [...visible, ...nonAscii] : visible;
  return phrase(64, chars).filter((text) => text.slice(text.lastIndexOf(" ") + 1).toUpperCase() !== "SMTPUTF8");
}

/**
 * VRFY or EXPN with a string argument (RFC 5321 §4.1.1.6–7), and with the
 * SMTPUTF8 parameter and a UTF-8 argument when allowed (RFC 6531 §3.7.4.2).
 *
 * @param options - the capability set
 * @returns an arbitrary of VRFY/EXPN commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { vrfyCommand } from "@smtpkit/testkit";
 * fc.sample(vrfyCommand(), 1);
 * ```
 */
export function vrfyCommand(options: CommandOptions = {}): fc.Arbitrary<VrfyCommand> {
  const r = resolve(options);
  const verb = fc.constantFrom("VRFY" as const, "EXPN" as const);
  const ascii = record({ verb, argument: vrfyArgument(false) });
  if (!r.utf8) return ascii;
  return fc.oneof(ascii, record({ verb, argument: vrfyArgument(true), smtputf8: fc.constant(true) }));
}

/**
 * AUTH with a mechanism and, sometimes, an initial response (RFC 4954 §4),
 * including the empty response `=`.
 *
 * @param mechanisms - the mechanisms to choose from (default: common SASL mechanisms)
 * @returns an arbitrary of AUTH commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { authCommand } from "@smtpkit/testkit";
 * fc.sample(authCommand(["PLAIN"]), 1);
 * ```
 */
export function authCommand(mechanisms: readonly string[] = saslMechanisms): fc.Arbitrary<AuthCommand> {
  const valid = mechanisms.map((m) => m.toUpperCase()).filter((m) => /^[A-Z0-9_-]{1,20}$/.test(m));
  return record(
    { verb: fc.constant("AUTH" as const), mechanism: fc.constantFrom(...(valid.length > 0 ? valid : ["PLAIN"])), initialResponse: fc.uint8Array({ maxLength: 96 }) },
    { requiredKeys: ["verb", "mechanism"] },
  );
}

/**
 * ETRN with a node name (RFC 1985 §5): a domain, `@domain` (the domain and
 * its subdomains) or `#queue`.
 *
 * @returns an arbitrary of ETRN commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { etrnCommand } from "@smtpkit/testkit";
 * fc.sample(etrnCommand(), 1);
 * ```
 */
export function etrnCommand(): fc.Arbitrary<EtrnCommand> {
  const prefixed = (prefix: string, inner: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    inner.map(
      (text) => `${prefix}${text}`,
      (value) => {
        if (typeof value !== "string" || !value.startsWith(prefix)) throw new Error("not this node form");
        return value.slice(prefix.length);
      },
    );
  const node = fc.oneof(domain(), prefixed("@", domain()), prefixed("#", fc.string({ unit: unit(atext), minLength: 1, maxLength: 16 })));
  return record({ verb: fc.constant("ETRN" as const), node });
}

/**
 * HELP with or without a topic (RFC 5321 §4.1.1.8).
 *
 * @returns an arbitrary of HELP commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { helpCommand } from "@smtpkit/testkit";
 * fc.sample(helpCommand(), 1);
 * ```
 */
export function helpCommand(): fc.Arbitrary<HelpCommand> {
  return record({ verb: fc.constant("HELP" as const), topic: phrase(40) }, { requiredKeys: ["verb"] });
}

/**
 * NOOP with or without its ignored argument (RFC 5321 §4.1.1.9).
 *
 * @returns an arbitrary of NOOP commands
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { noopCommand } from "@smtpkit/testkit";
 * fc.sample(noopCommand(), 1);
 * ```
 */
export function noopCommand(): fc.Arbitrary<NoopCommand> {
  return record({ verb: fc.constant("NOOP" as const), argument: phrase(60) }, { requiredKeys: ["verb"] });
}

/**
 * Any command, valid by construction, fitting the capability set when one
 * is given (see {@link CommandOptions}). Every verb of `@smtpkit/grammar`'s
 * `Command` union is generated; MAIL and RCPT, which carry the most
 * grammar, most often.
 *
 * @param options - the capability set and UTF-8
 * @returns an arbitrary of `Command` values
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseCommand, serializeCommand } from "@smtpkit/grammar";
 * import { command } from "@smtpkit/testkit";
 * fc.assert(
 *   fc.property(command(), (c) => {
 *     const parsed = parseCommand(serializeCommand(c), { strict: true });
 *     return parsed.ok && parsed.command.verb === c.verb;
 *   }),
 * );
 * ```
 */
export function command(options: CommandOptions = {}): fc.Arbitrary<Command> {
  const r = resolve(options);
  const list: fc.WeightedArbitrary<Command>[] = [
    { arbitrary: helloCommand(), weight: 2 },
    { arbitrary: mailCommand(options), weight: 4 },
    { arbitrary: rcptCommand(options), weight: 4 },
    { arbitrary: bare("DATA") as fc.Arbitrary<DataCommand>, weight: 1 },
    { arbitrary: bare("RSET") as fc.Arbitrary<RsetCommand>, weight: 1 },
    { arbitrary: bare("QUIT") as fc.Arbitrary<QuitCommand>, weight: 1 },
    { arbitrary: vrfyCommand(options), weight: 1 },
    { arbitrary: helpCommand(), weight: 1 },
    { arbitrary: noopCommand(), weight: 1 },
  ];
  if (offers(r, "STARTTLS")) list.push({ arbitrary: bare("STARTTLS") as fc.Arbitrary<StartTlsCommand>, weight: 1 });
  if (offers(r, "CHUNKING")) list.push({ arbitrary: bdatCommand(), weight: 1 });
  if (offers(r, "ETRN")) list.push({ arbitrary: etrnCommand(), weight: 1 });
  const mechanisms = r.capabilities === undefined ? saslMechanisms : r.capabilities.authMechanisms;
  if (offers(r, "AUTH") && mechanisms.length > 0) list.push({ arbitrary: authCommand(mechanisms), weight: 1 });
  return fc.oneof(...list);
}
