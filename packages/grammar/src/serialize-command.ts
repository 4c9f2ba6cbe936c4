/**
 * Serializing commands for the wire, in the one form RFC 5321 prescribes
 * (upper-case verbs, no space after the colon, single spaces, CRLF), after
 * checking that every value is one the grammar can carry. A value that could
 * end the line early or forge a second command is refused with a thrown
 * {@link GrammarError}, never sent.
 *
 * @module
 */
import { readPath, type Mailbox } from "./address.js";
import { encodeUtf8, ESMTP_VALUE, is, LDH, LET_DIG } from "./ascii.js";
import { encodeBase64 } from "./base64.js";
import type { Command, EsmtpParameter, MailParameters, RcptParameters } from "./command.js";
import { GrammarError } from "./errors.js";
import { parseCommand } from "./parse-command.js";
import { encodeUtf8AddrXtext, encodeXtext } from "./xtext.js";

function invalid(message: string): GrammarError {
  return new GrammarError("invalid-command", message);
}

function checkText(value: string, what: string): string {
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw invalid(`${what} cannot hold control characters: ${JSON.stringify(value)}`);
  }
  return value;
}

function formatPath(mailbox: Mailbox | null, what: string): string {
  if (mailbox === null) return "<>";
  checkText(mailbox.localPart, what);
  checkText(mailbox.domain, what);
  const path = mailbox.domain === "" ? `<${mailbox.localPart}>` : `<${mailbox.localPart}@${mailbox.domain}>`;
  if (mailbox.domain === "" && mailbox.localPart.toUpperCase() === "POSTMASTER") return path;
  const read = readPath(path, 0, { missingAngleBrackets: false, looseLocalPart: true });
  if (!read.ok || read.end !== path.length) {
    throw invalid(`${what} is not a valid RFC 5321 path: ${path}${read.ok ? "" : ` (${read.message})`}`);
  }
  return path;
}

function parameter(keyword: string, value?: string): string {
  if (value === undefined) return keyword;
  if (value.length === 0) throw invalid(`Parameter ${keyword} needs a non-empty value`);
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (!(is(c, ESMTP_VALUE) || c > 0x7f)) throw invalid(`Parameter ${keyword} value ${JSON.stringify(value)} is not an esmtp-value`);
  }
  return `${keyword}=${value}`;
}

function otherParameters(list: readonly EsmtpParameter[] | undefined): string[] {
  const out: string[] = [];
  for (const p of list ?? []) {
    const keyword = p.keyword;
    if (keyword.length === 0 || !is(keyword.charCodeAt(0), LET_DIG) || ![...keyword].every((ch) => is(ch.charCodeAt(0), LDH))) {
      throw invalid(`Not an esmtp-keyword: ${JSON.stringify(keyword)}`);
    }
    out.push(parameter(keyword.toUpperCase(), p.value));
  }
  return out;
}

function integer(value: number, min: number, max: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(`${what} must be an integer from ${min} to ${max}`);
  return String(value);
}

function mailParameters(p: MailParameters | undefined): string[] {
  if (p === undefined) return [];
  const out: string[] = [];
  if (p.size !== undefined) out.push(parameter("SIZE", integer(p.size, 0, Number.MAX_SAFE_INTEGER, "SIZE")));
  if (p.body !== undefined) out.push(parameter("BODY", p.body));
  if (p.smtputf8 === true) out.push("SMTPUTF8");
  if (p.requireTls === true) out.push("REQUIRETLS");
  if (p.ret !== undefined) out.push(parameter("RET", p.ret));
  if (p.envid !== undefined) out.push(parameter("ENVID", encodeXtext(checkText(p.envid, "ENVID"))));
  if (p.auth !== undefined) out.push(parameter("AUTH", p.auth === null ? "<>" : encodeXtext(checkText(p.auth, "AUTH="))));
  if (p.mtPriority !== undefined) out.push(parameter("MT-PRIORITY", integer(p.mtPriority, -9, 9, "MT-PRIORITY")));
  if (p.by !== undefined) {
    out.push(parameter("BY", `${integer(p.by.seconds, -999_999_999, 999_999_999, "BY")};${p.by.mode}${p.by.trace ? "T" : ""}`));
  }
  if (p.holdFor !== undefined) out.push(parameter("HOLDFOR", integer(p.holdFor, 0, 999_999_999, "HOLDFOR")));
  if (p.holdUntil !== undefined) out.push(parameter("HOLDUNTIL", p.holdUntil));
  return [...out, ...otherParameters(p.other)];
}

function rcptParameters(p: RcptParameters | undefined): string[] {
  if (p === undefined) return [];
  const out: string[] = [];
  if (p.notify !== undefined) {
    if (p.notify.length === 0) throw invalid("NOTIFY needs at least one condition");
    out.push(parameter("NOTIFY", p.notify.join(",")));
  }
  if (p.orcpt !== undefined) {
    const type = p.orcpt.addressType.toUpperCase();
    checkText(p.orcpt.address, "ORCPT");
    // RFC 6533 §3: the 7-bit utf-8-addr-xtext is safe whether or not SMTPUTF8 is in use.
    const encoded = type === "UTF-8" ? encodeUtf8AddrXtext(p.orcpt.address) : encodeXtext(p.orcpt.address);
    out.push(parameter("ORCPT", `${type === "UTF-8" ? "utf-8" : type === "RFC822" ? "rfc822" : p.orcpt.addressType};${encoded}`));
  }
  if (p.rrvs !== undefined) out.push(parameter("RRVS", p.rrvs.action === undefined ? p.rrvs.dateTime : `${p.rrvs.dateTime};${p.rrvs.action}`));
  return [...out, ...otherParameters(p.other)];
}

function withParameters(head: string, parameters: readonly string[]): string {
  return parameters.length === 0 ? head : `${head} ${parameters.join(" ")}`;
}

function word(value: string, what: string): string {
  checkText(value, what);
  if (value.length === 0 || value.includes(" ")) throw invalid(`${what} must be one non-empty word: ${JSON.stringify(value)}`);
  return value;
}

function line(command: Command): string {
  switch (command.verb) {
    case "HELO":
    case "EHLO":
    case "LHLO":
      return `${command.verb} ${word(command.domain, command.verb)}`;
    case "MAIL":
      return withParameters(`MAIL FROM:${formatPath(command.from, "MAIL FROM")}`, mailParameters(command.parameters));
    case "RCPT":
      return withParameters(`RCPT TO:${formatPath(command.to, "RCPT TO")}`, rcptParameters(command.parameters));
    case "DATA":
    case "RSET":
    case "QUIT":
    case "STARTTLS":
      return command.verb;
    case "BDAT":
      return `BDAT ${integer(command.size, 0, Number.MAX_SAFE_INTEGER, "BDAT size")}${command.last ? " LAST" : ""}`;
    case "VRFY":
    case "EXPN": {
      const head = `${command.verb} ${checkText(command.argument, command.verb)}`;
      if (command.argument.length === 0) throw invalid(`${command.verb} needs an argument`);
      // RFC 6531 §3.7.4.2: a last word "SMTPUTF8" is read as the parameter, so an argument ending in it cannot be sent as text.
      const space = command.argument.lastIndexOf(" ");
      if (command.smtputf8 !== true && space >= 0 && command.argument.slice(space + 1).toUpperCase() === "SMTPUTF8") {
        throw invalid(`${command.verb} argument ${JSON.stringify(command.argument)} would be read as carrying the SMTPUTF8 parameter`);
      }
      return command.smtputf8 === true ? `${head} SMTPUTF8` : head;
    }
    case "HELP":
      return command.topic === undefined ? "HELP" : `HELP ${checkText(command.topic, "HELP")}`;
    case "NOOP":
      return command.argument === undefined ? "NOOP" : `NOOP ${checkText(command.argument, "NOOP")}`;
    case "AUTH": {
      const mechanism = word(command.mechanism, "AUTH mechanism").toUpperCase();
      if (command.initialResponse === undefined) return `AUTH ${mechanism}`;
      return `AUTH ${mechanism} ${command.initialResponse.length === 0 ? "=" : encodeBase64(command.initialResponse)}`;
    }
    case "ETRN":
      return `ETRN ${word(command.node, "ETRN node")}`;
    case "XCLIENT":
    case "XFORWARD": {
      // Postfix XCLIENT_README / XFORWARD_README: values are xtext; the parse-back check refuses unknown names and controls.
      if (command.attributes.length === 0) throw invalid(`${command.verb} needs at least one attribute`);
      const parts = command.attributes.map((a) => `${word(a.name, `${command.verb} attribute name`)}=${encodeXtext(checkText(a.value, `${command.verb} ${a.name}`))}`);
      return `${command.verb} ${parts.join(" ")}`;
    }
    default:
      throw invalid(`Unknown verb ${JSON.stringify((command as { verb: unknown }).verb)}`);
  }
}

/**
 * Serializes a command as its wire line, CRLF included.
 *
 * The result is checked by parsing it back in strict mode, so no program
 * value can produce a line a strict server would read differently (a CR in
 * a NOOP argument, a space in a HELO name, an address that is not RFC 5321).
 *
 * @param command - the command
 * @returns the line, for example `"MAIL FROM:<a@example.com> SIZE=1000\r\n"`
 * @throws {@link GrammarError} (`invalid-command`) when a value cannot be carried
 * @example
 * ```ts
 * serializeCommand({ verb: "RCPT", to: { localPart: "b", domain: "example.org" }, parameters: { notify: ["FAILURE", "DELAY"] } });
 * // "RCPT TO:<b@example.org> NOTIFY=FAILURE,DELAY\r\n"
 * ```
 */
export function serializeCommand(command: Command): string {
  const text = line(command);
  if (text.length > 12_288) throw invalid("Command line longer than 12288 octets (RFC 4954 §4)");
  // Non-ASCII is allowed only where SMTPUTF8 allows it; the session checks that it was offered.
  const check = parseCommand(text, strictCheck);
  if (!check.ok) throw invalid(`${command.verb} would not parse back: ${check.error.message}`);
  return `${text}\r\n`;
}

const strictCheck = { strict: true, looseLocalPart: true, uncheckedHello: true, maxPathLength: Number.MAX_SAFE_INTEGER } as const;

/**
 * Serializes a command to bytes (UTF-8), CRLF included.
 *
 * @param command - the command
 * @returns the line's octets
 * @throws {@link GrammarError} (`invalid-command`) when a value cannot be carried
 * @example
 * ```ts
 * encodeCommand({ verb: "QUIT" }); // Uint8Array of "QUIT\r\n"
 * ```
 */
export function encodeCommand(command: Command): Uint8Array {
  return encodeUtf8(serializeCommand(command));
}
