/**
 * "Nearly valid" command lines for negative tests: a valid command with
 * exactly one defect, labelled with the defect and with the situation of
 * `@smtpkit/codes` a server should answer it with (for example
 * `DuplicateParameter`, 501 5.5.4, or `ParametersNotRecognized`, 555 5.5.4).
 *
 * Each value comes with the capability set the answer assumes: every
 * extension is offered except, for `parameter-not-advertised`, the one the
 * defective parameter needs. The answer is what RFC 5321 and the
 * extensions prescribe; `@smtpkit/grammar`'s parser gives exactly that
 * situation, in strict and in default (lenient) mode alike: no defect here
 * is one of the leniencies real servers accept.
 *
 * These values are derived from generated commands and have no unmapper:
 * they shrink with their generation context, not from a user's own line.
 *
 * @module
 */
import fc from "fast-check";
import type { SituationName } from "@smtpkit/codes";
import { CapabilitySet, encodeBase64, serializeCommand, type Command, type Mailbox } from "@smtpkit/grammar";
import { letters, unit, visible } from "../internal/characters.js";
import { dateTime } from "../internal/date-time.js";
import { command, mailCommand, rcptCommand } from "./commands.js";
import { domain, ldhLabel } from "./domain.js";
import { dotAtomLocalPart, forwardPath, mailbox, reversePath, utf8Mailbox } from "./mailbox.js";

/** The defects {@link nearlyValidCommand} can put in a line. */
export type CommandDefect =
  | "missing-open-bracket"
  | "missing-close-bracket"
  | "duplicate-parameter"
  | "line-too-long"
  | "bad-xtext"
  | "parameter-not-advertised"
  | "cr-in-argument"
  | "nul-in-argument"
  | "space-before-colon"
  | "null-recipient"
  | "unknown-verb"
  | "argument-not-allowed"
  | "bad-parameter-value"
  | "utf8-without-smtputf8"
  | "path-too-long"
  | "bad-bdat-size"
  | "bad-base64"
  | "missing-address"
  | "invalid-domain"
  | "missing-hello-argument";

/** Every {@link CommandDefect}. */
export const commandDefects: readonly CommandDefect[] = [
  "missing-open-bracket",
  "missing-close-bracket",
  "duplicate-parameter",
  "line-too-long",
  "bad-xtext",
  "parameter-not-advertised",
  "cr-in-argument",
  "nul-in-argument",
  "space-before-colon",
  "null-recipient",
  "unknown-verb",
  "argument-not-allowed",
  "bad-parameter-value",
  "utf8-without-smtputf8",
  "path-too-long",
  "bad-bdat-size",
  "bad-base64",
  "missing-address",
  "invalid-domain",
  "missing-hello-argument",
];

/** A command line with one defect, and what a server should answer. */
export interface NearlyValidCommand {
  /** The defect. */
  readonly defect: CommandDefect;
  /** The line, without its CRLF. */
  readonly line: string;
  /** The line with CRLF, in UTF-8: what goes on the wire. */
  readonly bytes: Uint8Array;
  /** The situation of `@smtpkit/codes` a server answers with (its code, enhanced code and text). */
  readonly situation: SituationName;
  /** The server's capabilities this answer assumes. */
  readonly capabilities: CapabilitySet;
}

/**
 * The line length `line-too-long` lines exceed: 4096 octets. RFC 5321
 * §4.5.3.1.4 sets 512 octets as the floor and lets servers accept more;
 * Postfix reads 2048 and many servers 4096, so lines above 4096 are too long
 * for every common configuration.
 */
export const tooLongLine = 4096;

/** Every extension, so that only the defect makes a line wrong. */
export const allCapabilities: CapabilitySet = CapabilitySet.of({
  PIPELINING: true,
  SIZE: true,
  "8BITMIME": true,
  SMTPUTF8: true,
  CHUNKING: true,
  BINARYMIME: true,
  DSN: true,
  ENHANCEDSTATUSCODES: true,
  STARTTLS: true,
  AUTH: ["PLAIN", "LOGIN"],
  REQUIRETLS: true,
  "MT-PRIORITY": true,
  DELIVERBY: true,
  FUTURERELEASE: ["604800", "2030-01-01T00:00:00Z"],
  RRVS: true,
  ETRN: true,
});

const encoder = new TextEncoder();

function make(defect: CommandDefect, line: string, situation: SituationName, capabilities = allCapabilities): NearlyValidCommand {
  return { defect, line, bytes: encoder.encode(`${line}\r\n`), situation, capabilities };
}

function lineOf(value: Command): string {
  return serializeCommand(value).slice(0, -2);
}

function pathText(m: Mailbox | null): string {
  if (m === null) return "<>";
  return m.domain === "" ? `<${m.localPart}>` : `<${m.localPart}@${m.domain}>`;
}

/** Splits a MAIL/RCPT line into its head (`MAIL FROM:<...>`) and parameter words. */
function envelopeParts(value: Command): { head: string; path: string; parameters: string[] } {
  const line = lineOf(value);
  const keyword = value.verb === "MAIL" ? "MAIL FROM:" : "RCPT TO:";
  const path = pathText(value.verb === "MAIL" ? value.from : value.verb === "RCPT" ? value.to : null);
  const rest = line.slice(keyword.length + path.length).trim();
  return { head: keyword, path, parameters: rest === "" ? [] : rest.split(" ") };
}

const envelopeCommand = fc.oneof(mailCommand({ capabilities: allCapabilities }), rcptCommand({ capabilities: allCapabilities }));
const badPath = (value: Command): SituationName => (value.verb === "MAIL" ? "InvalidSenderSyntax" : "InvalidRecipientSyntax");

const missingOpenBracket = envelopeCommand.map((value) => {
  const { head, path, parameters } = envelopeParts(value);
  return make("missing-open-bracket", [head + path.slice(1), ...parameters].join(" "), badPath(value));
});

const missingCloseBracket = envelopeCommand.map((value) => {
  const { head, path, parameters } = envelopeParts(value);
  return make("missing-close-bracket", [head + path.slice(0, -1), ...parameters].join(" "), badPath(value));
});

const duplicateParameter = fc
  .tuple(envelopeCommand, fc.nat())
  .filter(([value]) => envelopeParts(value).parameters.length > 0)
  .map(([value, which]) => {
    const { head, path, parameters } = envelopeParts(value);
    const repeated = parameters[which % parameters.length] as string;
    return make("duplicate-parameter", [head + path, ...parameters, repeated].join(" "), "DuplicateParameter");
  });

const lineTooLong = fc.tuple(fc.integer({ min: tooLongLine + 1, max: 2 * tooLongLine }), unit(letters)).map(([length, filler]) =>
  make("line-too-long", `NOOP ${filler.repeat(length - 5)}`, "LineTooLong"),
);

const xchars = visible.filter((c) => c !== "+" && c !== "=");
const badXtextValue = fc
  .tuple(
    fc.string({ unit: unit(xchars), maxLength: 8 }),
    fc.constantFrom("+", "+4", "+G0", "+0Z", "+/1", "+ZZ"),
    fc.string({ unit: unit(xchars.filter((c) => !/[0-9A-Fa-f]/.test(c))), maxLength: 4 }),
  )
  .map(([before, bad, after]) => `${before}${bad}${after}`);
const badXtext = fc
  .tuple(mailbox(), fc.constantFrom("ENVID=", "AUTH=", "ORCPT=rfc822;"), badXtextValue)
  .map(([m, keyword, value]) => {
    const verb = keyword.startsWith("ORCPT") ? "RCPT TO:" : "MAIL FROM:";
    return make("bad-xtext", `${verb}${pathText(m)} ${keyword}${value}`, "SyntaxError");
  });

/** Parameter → the EHLO keyword it needs, and a sample of its token. */
const parameterNeeds: readonly (readonly [string, "MAIL" | "RCPT", fc.Arbitrary<string>])[] = [
  ["SIZE", "MAIL", fc.nat().map((n) => `SIZE=${n}`)],
  ["8BITMIME", "MAIL", fc.constant("BODY=8BITMIME")],
  ["SMTPUTF8", "MAIL", fc.constant("SMTPUTF8")],
  ["DSN", "MAIL", fc.constantFrom("RET=FULL", "RET=HDRS", "ENVID=abc")],
  ["REQUIRETLS", "MAIL", fc.constant("REQUIRETLS")],
  ["MT-PRIORITY", "MAIL", fc.integer({ min: -9, max: 9 }).map((n) => `MT-PRIORITY=${n}`)],
  ["DELIVERBY", "MAIL", fc.integer({ min: 1, max: 86_400 }).map((n) => `BY=${n};R`)],
  ["FUTURERELEASE", "MAIL", fc.integer({ min: 1, max: 86_400 }).map((n) => `HOLDFOR=${n}`)],
  ["AUTH", "MAIL", fc.constant("AUTH=<>")],
  ["DSN", "RCPT", fc.constantFrom("NOTIFY=NEVER", "NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;a@example.com")],
  ["RRVS", "RCPT", dateTime().map((t) => `RRVS=${t}`)],
  ["", "MAIL", fc.constantFrom("X-UNKNOWN=1", "XYZZY", "X-FOO=bar")],
];

const parameterNotAdvertised = fc
  .tuple(fc.constantFrom(...parameterNeeds), mailbox())
  .chain(([[keyword, verb, token], m]) =>
    token.map((text) => {
      const head = verb === "MAIL" ? `MAIL FROM:${pathText(m)}` : `RCPT TO:${pathText(m)}`;
      const capabilities = keyword === "" ? allCapabilities : allCapabilities.without(keyword);
      return make("parameter-not-advertised", `${head} ${text}`, "ParametersNotRecognized", capabilities);
    }),
  );

function controlIn(defect: "cr-in-argument" | "nul-in-argument", control: string): fc.Arbitrary<NearlyValidCommand> {
  return fc
    .tuple(command({ capabilities: allCapabilities }), fc.nat())
    .map(([value, at]) => [lineOf(value), at] as const)
    .filter(([line]) => line.includes(" "))
    .map(([line, at]) => {
      const start = line.indexOf(" ") + 1;
      const position = start + (at % (line.length - start + 1));
      return make(defect, line.slice(0, position) + control + line.slice(position), "SyntaxError");
    });
}

const spaceBeforeColon = fc.oneof(
  reversePath().map((p) => make("space-before-colon", `MAIL FROM :${pathText(p)}`, "SyntaxError")),
  forwardPath().map((p) => make("space-before-colon", `RCPT TO :${pathText(p)}`, "SyntaxError")),
);

const nullRecipient = fc
  .constantFrom("", " NOTIFY=NEVER", " ORCPT=rfc822;a@example.com")
  .map((rest) => make("null-recipient", `RCPT TO:<>${rest}`, "InvalidRecipientSyntax"));

/** Verbs that are known, obsolete (502) or HTTP (forbidden): never "unknown". */
const notUnknown = new Set([
  "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "ETRN",
  "SEND", "SOML", "SAML", "TURN", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE",
]);
const unknownVerb = fc
  .tuple(fc.string({ unit: unit(letters), minLength: 3, maxLength: 10 }), fc.option(fc.string({ unit: unit(letters), minLength: 1, maxLength: 10 }), { nil: undefined }))
  .filter(([verb]) => !notUnknown.has(verb.toUpperCase()))
  .map(([verb, argument]) => make("unknown-verb", argument === undefined ? verb : `${verb} ${argument}`, "CommandUnrecognized"));

const argumentNotAllowed = fc
  .tuple(fc.constantFrom("DATA", "RSET", "QUIT", "STARTTLS"), fc.string({ unit: unit(letters), minLength: 1, maxLength: 10 }))
  .map(([verb, argument]) => make("argument-not-allowed", `${verb} ${argument}`, verb === "STARTTLS" ? "StartTlsSyntax" : "SyntaxError"));

const badValues: readonly (readonly ["MAIL" | "RCPT", string])[] = [
  ["MAIL", "SIZE=abc"],
  ["MAIL", "SIZE=-1"],
  ["MAIL", "SIZE"],
  ["MAIL", "SIZE=123456789012345678901"],
  ["MAIL", "BODY=9BIT"],
  ["MAIL", "RET=ALL"],
  ["MAIL", "SMTPUTF8=yes"],
  ["MAIL", "REQUIRETLS=1"],
  ["MAIL", "MT-PRIORITY=10"],
  ["MAIL", "MT-PRIORITY=-10"],
  ["MAIL", "BY=soon"],
  ["MAIL", "HOLDFOR=1234567890"],
  ["RCPT", "NOTIFY=NEVER,DELAY"],
  ["RCPT", "NOTIFY=SUCCESS,SUCCESS"],
  ["RCPT", "NOTIFY=SOMETIMES"],
  ["RCPT", "ORCPT=rfc822"],
  ["RCPT", "RRVS=yesterday"],
];
const badParameterValue = fc.tuple(fc.constantFrom(...badValues), mailbox()).map(([[verb, token], m]) =>
  make("bad-parameter-value", `${verb === "MAIL" ? "MAIL FROM:" : "RCPT TO:"}${pathText(m)} ${token}`, "SyntaxError"),
);

const utf8WithoutSmtpUtf8 = fc.oneof(
  // RFC 6531 §3.4: a non-ASCII reverse-path needs the SMTPUTF8 parameter.
  utf8Mailbox().map((m) => make("utf8-without-smtputf8", `MAIL FROM:${pathText(m)}`, "SmtpUtf8Required")),
  // And a non-ASCII forward-path needs a server that offered SMTPUTF8.
  utf8Mailbox().map((m) => make("utf8-without-smtputf8", `RCPT TO:${pathText(m)}`, "SmtpUtf8Required", allCapabilities.without("SMTPUTF8"))),
);

const pathTooLong = fc
  .tuple(
    fc.constantFrom("MAIL FROM:", "RCPT TO:"),
    dotAtomLocalPart(),
    fc.array(ldhLabel({ minLength: 63 }), { minLength: 3, maxLength: 3 }),
    ldhLabel({ minLength: 61, maxLength: 61 }).filter((l) => /[a-zA-Z]/.test(l)),
  )
  .map(([head, local, labels, last]) =>
    // 3 × 63 + 61 + 3 dots = 253 octets of domain: a valid domain, but with
    // any local part the path passes 256 octets (RFC 5321 §4.5.3.1.3). Answered
    // as a syntax error of the path (501 5.1.7 / 5.1.3), as @smtpkit/grammar does;
    // 553 5.1.3 (MailboxNameNotAllowed) is the other reading of RFC 5321 §4.2.3.
    make("path-too-long", `${head}<${local}@${[...labels, last].join(".")}>`, head === "MAIL FROM:" ? "InvalidSenderSyntax" : "InvalidRecipientSyntax"),
  );

const badBdatSize = fc
  .constantFrom("BDAT", "BDAT x", "BDAT -1", "BDAT 1.5", "BDAT 1234567890123456", "BDAT LAST", "BDAT 0x10 LAST")
  .map((line) => make("bad-bdat-size", line, "BdatSizeMismatch"));

const badBase64 = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.nat(), fc.constantFrom("drop", "bang", "pad"))
  .map(([bytes, at, how]) => {
    const text = encodeBase64(bytes);
    const position = at % text.length;
    // Three ways to break canonical base64 (RFC 4648 §3): a length that is not
    // a multiple of 4, a character outside the alphabet, padding in the middle.
    const broken =
      how === "drop" ? text.slice(0, position) + text.slice(position + 1) : how === "bang" ? `${text.slice(0, position)}!${text.slice(position + 1)}` : `=${text}`;
    return make("bad-base64", `AUTH PLAIN ${broken}`, "AuthResponseInvalid");
  });

const missingAddress = fc
  .constantFrom(["MAIL FROM:", "InvalidSenderSyntax"] as const, ["RCPT TO:", "InvalidRecipientSyntax"] as const)
  .map(([line, situation]) => make("missing-address", line, situation));

const badDomain = fc.oneof(
  domain({ maxLength: 60 }).map((d) => `-${d}`),
  domain({ maxLength: 60 }).map((d) => `${d}.`),
  domain({ maxLength: 60 }).map((d) => `${d}..example`),
  domain({ maxLength: 60 }).map((d) => `a_b.${d}`),
  domain({ maxLength: 60 }).map((d) => `${"a".repeat(64)}.${d}`),
  fc.constant("[300.1.1.1]"),
  fc.constant("[IPv6:1::2::3]"),
);
const invalidDomain = fc
  .tuple(fc.constantFrom("MAIL FROM:", "RCPT TO:"), dotAtomLocalPart({ maxLength: 20 }), badDomain)
  .map(([head, local, d]) =>
    make("invalid-domain", `${head}<${local}@${d}>`, head === "MAIL FROM:" ? "InvalidSenderSyntax" : "InvalidRecipientSyntax"),
  );

const missingHelloArgument = fc.constantFrom("EHLO", "HELO").map((verb) => make("missing-hello-argument", verb, "SyntaxError"));

const byDefect: Readonly<Record<CommandDefect, fc.Arbitrary<NearlyValidCommand>>> = {
  "missing-open-bracket": missingOpenBracket,
  "missing-close-bracket": missingCloseBracket,
  "duplicate-parameter": duplicateParameter,
  "line-too-long": lineTooLong,
  "bad-xtext": badXtext,
  "parameter-not-advertised": parameterNotAdvertised,
  "cr-in-argument": controlIn("cr-in-argument", "\r"),
  "nul-in-argument": controlIn("nul-in-argument", "\0"),
  "space-before-colon": spaceBeforeColon,
  "null-recipient": nullRecipient,
  "unknown-verb": unknownVerb,
  "argument-not-allowed": argumentNotAllowed,
  "bad-parameter-value": badParameterValue,
  "utf8-without-smtputf8": utf8WithoutSmtpUtf8,
  "path-too-long": pathTooLong,
  "bad-bdat-size": badBdatSize,
  "bad-base64": badBase64,
  "missing-address": missingAddress,
  "invalid-domain": invalidDomain,
  "missing-hello-argument": missingHelloArgument,
};

/**
 * A command line with exactly one defect, labelled with the defect and the
 * situation a server should answer (see the module documentation for the
 * list). Use it to check that a server refuses each defect with the right
 * code, and that it stays in step afterwards.
 *
 * @param defects - which defects to generate (default: all of {@link commandDefects})
 * @returns an arbitrary of {@link NearlyValidCommand} values
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseCommand } from "@smtpkit/grammar";
 * import { nearlyValidCommand } from "@smtpkit/testkit";
 * fc.assert(
 *   fc.property(nearlyValidCommand(["duplicate-parameter"]), (bad) => {
 *     const result = parseCommand(bad.line, { extensions: bad.capabilities });
 *     return !result.ok && result.error.situation === bad.situation;
 *   }),
 * );
 * ```
 */
export function nearlyValidCommand(defects: readonly CommandDefect[] = commandDefects): fc.Arbitrary<NearlyValidCommand> {
  return fc.oneof(...defects.map((defect) => byDefect[defect]));
}
