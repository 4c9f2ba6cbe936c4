/**
 * Parsing one command line (RFC 5321 §4.1.1, §4.1.2 and the extensions'
 * grammars) into a {@link Command}.
 *
 * Leniencies. Real clients deviate from RFC 5321 in a few well-known ways.
 * Each deviation accepted here is named, documented, reported in the result's
 * `leniencies`, on by default, and off under `strict: true` or its own switch:
 *
 * | leniency | example | RFC 5321 | Postfix (default) | smtpkit default |
 * | --- | --- | --- | --- | --- |
 * | `spaceAfterColon` | `MAIL FROM: <a@b>` | §3.3 forbids spaces either side of the colon | accepted (`strict_rfc821_envelopes = no`) | accepted |
 * | `extraWhitespace` | `RCPT TO:<a@b> ` , `MAIL FROM:<a@b>  SIZE=1` | §4.1.1: servers SHOULD tolerate trailing white space | accepted (splits arguments on white space) | accepted |
 * | `missingAngleBrackets` | `MAIL FROM:a@b` | §4.1.2 requires `<>` | accepted (`strict_rfc821_envelopes = no`) | accepted |
 * | `looseLocalPart` | `RCPT TO:<john..doe@x>` | §4.1.2 Dot-string has no empty atoms | accepted (real addresses at Japanese carriers have them) | accepted |
 * | `uncheckedHello` | `EHLO my_host` | §4.1.1.1 Domain / address-literal | accepted (`reject_invalid_helo_hostname` is opt-in) | accepted, `form: "unchecked"` |
 * | `bareLineFeed` (the reader) | `NOOP<LF>` | §2.3.8: lines end in CRLF | accepted unless `smtpd_forbid_bare_newline = reject` | follows the reader's bare line ending policy: refused under `reject` (the default), accepted under `normalize`/`accept`; never in DATA, where only `<CRLF>.<CRLF>` ends |
 *
 * Not leniencies, since the RFCs require them: verbs, `FROM:`/`TO:` and
 * parameter keywords in any case (§2.4); source routes in paths, accepted
 * and dropped (§4.1.2, Appendix C); an address literal in HELO (§4.1.1.1
 * prose). Never accepted: a space before the colon (`MAIL FROM :<a>`), which
 * Postfix refuses too; control characters; malformed UTF-8.
 *
 * @module
 */
import { type SituationName } from "@smtpkit/codes";
import { readPath, parseAddressLiteral, isValidDomain, type Mailbox } from "./address.js";
import { asciiUpper, controlCharacter, decodeLine, ESMTP_VALUE, esmtpKeyword, esmtpValue, is, LDH, LET_DIG } from "./ascii.js";
import { decodeBase64 } from "./base64.js";
import type { CapabilitySet } from "./capabilities.js";
import type {
  AuthCommand,
  BodyType,
  Command,
  DeliverBy,
  DsnNotify,
  EsmtpParameter,
  HelloCommand,
  MailParameters,
  RcptParameters,
  Verb,
  XAttribute,
  XclientAttributeName,
  XforwardAttributeName,
} from "./command.js";
import { commandError, GrammarError, type CommandError } from "./errors.js";
import { limit, Limits } from "./limits.js";
import { decodeUtf8Addr, decodeXtext } from "./xtext.js";

/** The names of the leniencies (see the module documentation). */
export type Leniency =
  | "spaceAfterColon"
  | "extraWhitespace"
  | "missingAngleBrackets"
  | "looseLocalPart"
  | "uncheckedHello"
  | "bareLineFeed";

/** How {@link parseCommand} reads a line. Every field is optional. */
export interface CommandSyntaxOptions {
  /** Turn every leniency off (individual switches below still win). */
  readonly strict?: boolean;
  /** Accept spaces after the colon of `MAIL FROM:` / `RCPT TO:`. */
  readonly spaceAfterColon?: boolean;
  /** Accept trailing white space, runs of spaces and tabs between arguments. */
  readonly extraWhitespace?: boolean;
  /** Accept a MAIL/RCPT address without `<>`. */
  readonly missingAngleBrackets?: boolean;
  /** Accept empty atoms (`a..b`, `a.`) in a local part. */
  readonly looseLocalPart?: boolean;
  /** Accept an EHLO/HELO/LHLO argument that is neither a domain nor an address literal. */
  readonly uncheckedHello?: boolean;
  /**
   * Accept command lines ended by a bare LF, as Postfix does by default. Used
   * by {@link CommandReader}, where it defaults to the reader's bare line
   * ending policy (off under `reject`, the default; on under `normalize` and
   * `accept`); `parseCommand` is given lines without their ending. When off
   * (or under `strict`), a line ends at CRLF only and a line holding a bare LF
   * is refused whole with `BareLineEnding`, so text a client pasted after an
   * LF can never become a command of its own.
   */
  readonly bareLineFeed?: boolean;
  /**
   * The server's EHLO capabilities. When given, MAIL/RCPT parameters of
   * extensions not in the set are refused with `ParametersNotRecognized`
   * (RFC 5321 §4.1.1.11), and non-ASCII addresses without SMTPUTF8 with
   * `SmtpUtf8Required`. Without it every well-formed parameter is returned
   * and the session decides.
   */
  readonly extensions?: CapabilitySet;
  /**
   * The longest reverse- or forward-path accepted, in octets with the angle
   * brackets and any source route. RFC 5321 §4.5.3.1.3: 256, the default.
   * Longer ones are refused as RFC 5321 §4.5.3.1.10 says ("501 Path too
   * long"), with `InvalidSenderSyntax` or `InvalidRecipientSyntax`.
   */
  readonly maxPathLength?: number;
  /**
   * The longest local part accepted, in octets. RFC 5321 §4.5.3.1.1: 64, the
   * default; longer ones get `MailboxNameNotAllowed` (553 5.1.3). Postfix and
   * most peers set no such limit (long SRS and VERP addresses exist): raise
   * it if you relay such mail.
   */
  readonly maxLocalPartLength?: number;
  /**
   * Whether the current transaction's MAIL carried SMTPUTF8. When `false`, a
   * non-ASCII RCPT address gets `SmtpUtf8Required` (RFC 6531 §3.4). Default
   * unset: not checked here (MAIL is always checked against its own parameters).
   */
  readonly smtputf8?: boolean;
}

/** The outcome of {@link parseCommand}. */
export type CommandParseResult =
  | {
      readonly ok: true;
      /** The command. */
      readonly command: Command;
      /** The leniencies the line needed (empty for a line RFC 5321 accepts as it is). */
      readonly leniencies: readonly Leniency[];
    }
  | {
      readonly ok: false;
      /** Why the line was refused. */
      readonly error: CommandError;
      /** The line as given (decoded), kept for logs and replies. */
      readonly line: string;
    };

interface Resolved {
  readonly spaceAfterColon: boolean;
  readonly extraWhitespace: boolean;
  readonly missingAngleBrackets: boolean;
  readonly looseLocalPart: boolean;
  readonly uncheckedHello: boolean;
  readonly bareLineFeed: boolean;
  readonly extensions: CapabilitySet | undefined;
  readonly maxPathLength: number;
  readonly maxLocalPartLength: number;
  readonly smtputf8: boolean | undefined;
}

const resolvedCache = new WeakMap<CommandSyntaxOptions, Resolved>();
const switches = [
  "strict",
  "spaceAfterColon",
  "extraWhitespace",
  "missingAngleBrackets",
  "looseLocalPart",
  "uncheckedHello",
  "bareLineFeed",
  "smtputf8",
] as const satisfies readonly (keyof CommandSyntaxOptions)[];
const defaults: Resolved = resolve({});

/** Resolves options to one flag per leniency, validating the limits. Internal. */
export function resolve(options: CommandSyntaxOptions): Resolved {
  const cached = resolvedCache.get(options);
  if (cached !== undefined) return cached;
  // A switch that is not a boolean ("no", 0) would silently mean its opposite: refuse it.
  for (const name of switches) {
    const value: unknown = options[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw new GrammarError("invalid-argument", `${name} must be a boolean, not ${JSON.stringify(value)}`);
    }
  }
  const base = options.strict !== true;
  const resolved: Resolved = {
    spaceAfterColon: options.spaceAfterColon ?? base,
    extraWhitespace: options.extraWhitespace ?? base,
    missingAngleBrackets: options.missingAngleBrackets ?? base,
    looseLocalPart: options.looseLocalPart ?? base,
    uncheckedHello: options.uncheckedHello ?? base,
    bareLineFeed: options.bareLineFeed ?? base,
    extensions: options.extensions,
    maxPathLength: limit("maxPathLength", options.maxPathLength, Limits.path, 3),
    maxLocalPartLength: limit("maxLocalPartLength", options.maxLocalPartLength, Limits.localPart),
    smtputf8: options.smtputf8,
  };
  resolvedCache.set(options, resolved);
  return resolved;
}

const noLeniencies: readonly Leniency[] = Object.freeze([]);

/** Verbs of RFC 821 that RFC 5321 dropped; answered 502, not 500. */
const obsoleteVerbs = new Set(["SEND", "SOML", "SAML", "TURN"]);
/** Verbs that show an HTTP client talking to an SMTP port (Postfix: `smtpd_forbidden_commands`). */
const httpVerbs = new Set(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"]);

type Outcome = Command | CommandError;

/** The syntax of each verb (RFC 5321 §4.1.1 and the extensions), for `CommandError.expected`. */
const syntaxOf: Readonly<Record<Verb, string>> = {
  HELO: "HELO SP ( Domain / address-literal )",
  EHLO: "EHLO SP ( Domain / address-literal )",
  LHLO: "LHLO SP ( Domain / address-literal )",
  MAIL: "MAIL FROM:<reverse-path> [SP Mail-parameters]",
  RCPT: "RCPT TO:<forward-path> [SP Rcpt-parameters] (or TO:<Postmaster>)",
  DATA: "DATA",
  BDAT: "BDAT SP chunk-size [SP LAST]",
  RSET: "RSET",
  VRFY: "VRFY SP String [SP SMTPUTF8]",
  EXPN: "EXPN SP String [SP SMTPUTF8]",
  HELP: "HELP [SP String]",
  NOOP: "NOOP [SP String]",
  QUIT: "QUIT",
  STARTTLS: "STARTTLS",
  AUTH: "AUTH SP sasl-mech [SP ( base64 / \"=\" )]",
  ETRN: "ETRN SP [ \"@\" / \"#\" ] node",
  XCLIENT: "XCLIENT 1*( SP attribute-name \"=\" xtext ), names NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT",
  XFORWARD: "XFORWARD 1*( SP attribute-name \"=\" xtext ), names NAME ADDR PORT PROTO HELO IDENT SOURCE",
};

const anyVerb = "a verb: HELO, EHLO, MAIL, RCPT, DATA, BDAT, RSET, VRFY, EXPN, HELP, NOOP, QUIT, STARTTLS, AUTH, ETRN, XCLIENT, XFORWARD";

/** Parser state for one line. */
class Line {
  leniencies: Leniency[] | undefined;
  /** Index of the argument in the line, for error positions. */
  argumentStart = 0;
  constructor(
    readonly text: string,
    readonly options: Resolved,
    readonly verb: string,
  ) {}

  lenient(which: Leniency): void {
    if (this.leniencies === undefined) this.leniencies = [which];
    else if (!this.leniencies.includes(which)) this.leniencies.push(which);
  }

  /** An error at `offset` within the argument, expecting `expected` (default: the verb's syntax). */
  error(situation: SituationName, message: string, offset = 0, expected?: string): CommandError {
    return commandError(situation, message, this.verb, {
      position: this.argumentStart + offset,
      expected: expected ?? syntaxOf[this.verb as Verb] ?? anyVerb,
    });
  }

  /** Skips one SP (or, leniently, a run of SP/HT) at `i`; returns the new index or -1. */
  separator(i: number): number {
    if (this.text.charCodeAt(i) !== 0x20) return -1;
    let j = i + 1;
    while (this.text.charCodeAt(j) === 0x20) j += 1;
    if (j > i + 1) {
      if (!this.options.extraWhitespace) return -1;
      this.lenient("extraWhitespace");
    }
    return j;
  }
}

/**
 * Parses one command line (without its CRLF; a trailing CRLF or LF is
 * removed). Never throws on the line: a line that is not a valid command
 * gives a {@link CommandError} naming the situation to answer with.
 *
 * @param line - the line as text, or as bytes (US-ASCII, or UTF-8 under SMTPUTF8)
 * @param options - leniencies and the server's capabilities
 * @returns the command, or why it was refused
 * @throws {@link GrammarError} (`invalid-argument`) for invalid options (a
 *   limit that is not a positive integer, a switch that is not a boolean)
 * @example
 * ```ts
 * const result = parseCommand("MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME");
 * if (result.ok && result.command.verb === "MAIL") {
 *   result.command.from;                 // { localPart: "a", domain: "example.com" }
 *   result.command.parameters?.size;     // 1000
 * }
 * parseCommand("MAIL FROM:<a@example.com> SIZE=1 SIZE=2");
 * // { ok: false, error: { situation: "DuplicateParameter", ... } }
 * ```
 */
export function parseCommand(line: string | Uint8Array, options?: CommandSyntaxOptions): CommandParseResult {
  let text: string;
  if (typeof line === "string") {
    text = line;
  } else {
    const decoded = decodeLine(line, 0, line.length);
    if (decoded === undefined) {
      return {
        ok: false,
        error: commandError("SyntaxError", "Command line is not valid UTF-8", undefined, { expected: "UTF-8 text (RFC 6531 §3.3)" }),
        line: new TextDecoder().decode(line),
      };
    }
    text = decoded;
  }
  if (text.endsWith("\n")) text = text.slice(0, text.endsWith("\r\n") ? -2 : -1);
  const resolved = options === undefined ? defaults : resolve(options);
  return parseText(text, resolved);
}

/** Parses a decoded line with resolved options. Internal (used by the reader). */
export function parseText(text: string, options: Resolved): CommandParseResult {
  // The verb: letters up to SP or the end.
  let end = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) break;
    end += 1;
  }
  const first = text.charCodeAt(0);
  if (end === 0 || (end < text.length && text.charCodeAt(end) !== 0x20 && text.charCodeAt(end) !== 0x09)) {
    // Binary bytes (a TLS ClientHello on a plain port) or garbage.
    const binary = text.length > 0 && (first < 0x20 || first > 0x7e);
    return {
      ok: false,
      error: commandError("CommandUnrecognized", "Command unrecognized", undefined, { forbidden: binary, position: end, expected: anyVerb }),
      line: text,
    };
  }
  const verb = asciiUpper(text.slice(0, end));
  // Control characters anywhere (HT only as leniently accepted white space).
  let extraWhitespace = false;
  const control = text.search(controlCharacter);
  const tab = text.indexOf("\t");
  if (control >= 0 || (tab >= 0 && !options.extraWhitespace)) {
    return {
      ok: false,
      error: commandError("SyntaxError", "Control character in command line", knownVerb(verb), {
        position: control >= 0 && (tab < 0 || options.extraWhitespace || control < tab) ? control : tab,
        expected: "printable text without control characters",
      }),
      line: text,
    };
  }
  if (tab >= 0) {
    // HT stands for a space only between arguments; inside a quoted string
    // (RFC 5321 qtextSMTP and quoted-pair exclude it) it would change the
    // address the client wrote, so it is refused there.
    const quoted = tabInQuotedString(text);
    if (quoted >= 0) {
      return {
        ok: false,
        error: commandError("SyntaxError", "Control character in a quoted string", knownVerb(verb), {
          position: quoted,
          expected: "qtextSMTP or quoted-pair (RFC 5321 §4.1.2)",
        }),
        line: text,
      };
    }
    extraWhitespace = true;
  }
  let body = extraWhitespace ? text.replace(/\t/g, " ") : text;
  // Trailing white space (RFC 5321 §4.1.1: receivers SHOULD tolerate it).
  let trimmed = body.length;
  while (trimmed > end && body.charCodeAt(trimmed - 1) === 0x20) trimmed -= 1;
  if (trimmed < body.length) {
    if (!options.extraWhitespace) {
      return {
        ok: false,
        error: commandError("SyntaxError", "Trailing white space", knownVerb(verb), { position: trimmed, expected: "CRLF after the last argument" }),
        line: text,
      };
    }
    extraWhitespace = true;
    body = body.slice(0, trimmed);
  }
  const line = new Line(body, options, verb);
  if (extraWhitespace) line.lenient("extraWhitespace");
  const outcome = parseVerb(line, end);
  if ("situation" in outcome) return { ok: false, error: outcome, line: text };
  return { ok: true, command: outcome, leniencies: line.leniencies ?? noLeniencies };
}

/** The index of the first HT inside a double-quoted string of `text`, or -1. */
function tabInQuotedString(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (quoted && c === 0x5c) i += 1;
    if (quoted && text.charCodeAt(i) === 0x09) return i;
  }
  return -1;
}

const knownVerbs = new Set<string>([
  "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN",
  "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "ETRN", "XCLIENT", "XFORWARD",
]);

function knownVerb(verb: string): string | undefined {
  return knownVerbs.has(verb) ? verb : undefined;
}

/** The argument after the verb: "" when none; `undefined` when the separator is malformed. */
function argumentOf(line: Line, verbEnd: number): string | undefined {
  if (verbEnd === line.text.length) return "";
  const start = line.separator(verbEnd);
  return start < 0 ? undefined : line.text.slice(start);
}

function parseVerb(line: Line, verbEnd: number): Outcome {
  const { verb } = line;
  if (!knownVerbs.has(verb)) {
    if (obsoleteVerbs.has(verb)) {
      return commandError("CommandNotImplemented", `${verb} is not implemented`, undefined, { expected: anyVerb });
    }
    return commandError("CommandUnrecognized", "Command unrecognized", undefined, { forbidden: httpVerbs.has(verb), expected: anyVerb });
  }
  const argument = argumentOf(line, verbEnd);
  line.argumentStart = line.text.length - (argument?.length ?? 0);
  if (argument === undefined) return line.error("SyntaxError", "Extra white space after the command");
  switch (verb as Verb) {
    case "HELO":
    case "EHLO":
    case "LHLO":
      return parseHello(line, verb as HelloCommand["verb"], argument);
    case "MAIL":
      return parseMail(line, argument);
    case "RCPT":
      return parseRcpt(line, argument);
    case "DATA":
    case "RSET":
    case "QUIT":
      return argument === "" ? ({ verb } as Command) : line.error("SyntaxError", `${verb} takes no argument`);
    case "STARTTLS":
      return argument === "" ? { verb: "STARTTLS" } : line.error("StartTlsSyntax", "STARTTLS takes no parameters");
    case "BDAT":
      return parseBdat(line, argument);
    case "VRFY":
    case "EXPN":
      return parseVrfy(line, verb as "VRFY" | "EXPN", argument);
    case "HELP":
      return argument === "" ? { verb: "HELP" } : { verb: "HELP", topic: argument };
    case "NOOP":
      return argument === "" ? { verb: "NOOP" } : { verb: "NOOP", argument };
    case "AUTH":
      return parseAuth(line, argument);
    case "ETRN":
      return parseEtrn(line, argument);
    case "XCLIENT":
      return parseXAttributes(line, "XCLIENT", argument, xclientNames);
    case "XFORWARD":
      return parseXAttributes(line, "XFORWARD", argument, xforwardNames);
  }
}

function parseHello(line: Line, verb: HelloCommand["verb"], argument: string): Outcome {
  if (argument === "") return line.error("SyntaxError", `${verb} requires a domain or address literal`);
  if (argument.includes(" ")) return line.error("InvalidDomainSyntax", `${verb} takes one argument`);
  if (argument.charCodeAt(0) === 0x5b) {
    if (parseAddressLiteral(argument) !== undefined) return { verb, domain: argument, form: "address-literal" };
  } else if (isValidDomain(argument)) {
    return { verb, domain: argument, form: "domain" };
  }
  if (!line.options.uncheckedHello) return line.error("InvalidDomainSyntax", "Invalid domain name");
  line.lenient("uncheckedHello");
  return { verb, domain: argument, form: "unchecked" };
}

/** Reads `FROM:` / `TO:` and the path after it. */
function readEnvelope(
  line: Line,
  argument: string,
  keyword: "FROM:" | "TO:",
  badPath: SituationName,
): { mailbox: Mailbox | null; rest: string; nonAscii: boolean } | CommandError {
  if (asciiUpper(argument.slice(0, keyword.length)) !== keyword) {
    return line.error("SyntaxError", `Syntax: ${line.verb} ${keyword}<address>`);
  }
  let i = keyword.length;
  if (argument.charCodeAt(i) === 0x20) {
    if (!line.options.spaceAfterColon) return line.error(badPath, `No space is allowed after ${keyword}`, i, "\"<\" right after the colon (RFC 5321 §3.3)");
    line.lenient("spaceAfterColon");
    while (argument.charCodeAt(i) === 0x20) i += 1;
  }
  if (line.verb === "RCPT" && argument.charCodeAt(i) === 0x3c) {
    // <Postmaster> without a domain (RFC 5321 §4.1.1.3), any case.
    const close = i + 11;
    if (argument.charCodeAt(close) === 0x3e && asciiUpper(argument.slice(i + 1, close)) === "POSTMASTER") {
      return { mailbox: { localPart: argument.slice(i + 1, close), domain: "" }, rest: argument.slice(close + 1), nonAscii: false };
    }
  }
  if (i === argument.length) return line.error(badPath, "Missing address", i);
  const path = readPath(argument, i, line.options);
  if (!path.ok) return line.error(badPath, path.message, path.at);
  if (!path.bracketed) line.lenient("missingAngleBrackets");
  if (path.looseDots) line.lenient("looseLocalPart");
  if (path.mailbox === null && line.verb === "RCPT") return line.error(badPath, "The null path is not a recipient", i);
  // RFC 5321 §4.5.3.1.10: "501 Path too long".
  if (path.octets > line.options.maxPathLength) {
    return line.error(badPath, `Path too long (more than ${line.options.maxPathLength} octets)`, i, `a path of at most ${line.options.maxPathLength} octets`);
  }
  if (path.localOctets > line.options.maxLocalPartLength) {
    return line.error(
      "MailboxNameNotAllowed",
      `Local part longer than ${line.options.maxLocalPartLength} octets`,
      i,
      `a local part of at most ${line.options.maxLocalPartLength} octets`,
    );
  }
  return { mailbox: path.mailbox, rest: argument.slice(path.end), nonAscii: path.nonAscii };
}

const esmtpParam = "esmtp-keyword [\"=\" esmtp-value] (RFC 5321 §4.1.2)";

/** The syntax of each known parameter's value, for `CommandError.expected`. */
const parameterSyntax: Readonly<Record<string, string>> = {
  SIZE: "SIZE=1*20DIGIT (RFC 1870 §5)",
  BODY: "BODY=7BIT / 8BITMIME / BINARYMIME (RFC 6152, RFC 3030)",
  SMTPUTF8: "SMTPUTF8 without a value (RFC 6531 §3.4)",
  REQUIRETLS: "REQUIRETLS without a value (RFC 8689 §3)",
  AUTH: "AUTH=xtext-mailbox / <> (RFC 4954 §5)",
  RET: "RET=FULL / HDRS (RFC 3461 §4.3)",
  ENVID: "ENVID=xtext (RFC 3461 §4.4)",
  "MT-PRIORITY": "MT-PRIORITY=-9..9 (RFC 6710 §3)",
  BY: "BY=[-]seconds;R/N[T] (RFC 2852 §4)",
  HOLDFOR: "HOLDFOR=1*9DIGIT (RFC 4865 §3)",
  HOLDUNTIL: "HOLDUNTIL=date-time (RFC 4865 §3)",
  NOTIFY: "NOTIFY=NEVER / 1#(SUCCESS / FAILURE / DELAY) (RFC 3461 §4.1)",
  ORCPT: "ORCPT=addr-type;xtext (RFC 3461 §4.2, RFC 6533)",
  RRVS: "RRVS=date-time[;C/R] (RFC 7293 §3.1)",
};

/** Where each parameter began in the argument (by index in the list), for error positions. */
type Offsets = number[];

/** Splits `SP esmtp-param *(SP esmtp-param)` (RFC 5321 §4.1.2), checking syntax and duplicates. */
function readParameters(line: Line, rest: string, restOffset: number, offsets: Offsets): EsmtpParameter[] | CommandError {
  const list: EsmtpParameter[] = [];
  if (rest === "") return list;
  if (rest.charCodeAt(0) !== 0x20) return line.error("SyntaxError", "Parameters must follow the address after a space", restOffset, esmtpParam);
  const seen = new Set<string>();
  let empty = 0;
  for (let position = 1; position <= rest.length; ) {
    let next = rest.indexOf(" ", position);
    if (next < 0) next = rest.length;
    const word = rest.slice(position, next);
    const start = restOffset + position;
    position = next + 1;
    if (word === "") {
      empty += 1;
      continue;
    }
    const eq = word.indexOf("=");
    const keywordText = eq < 0 ? word : word.slice(0, eq);
    const valueText = eq < 0 ? undefined : word.slice(eq + 1);
    if (esmtpKeyword.test(keywordText) && (valueText === undefined || esmtpValue.test(valueText))) {
      // The common case, checked in one native pass each; the loops below only locate a fault.
    } else if (keywordText.length === 0 || !is(keywordText.charCodeAt(0), LET_DIG)) {
      return line.error("SyntaxError", `Bad parameter ${JSON.stringify(word)}`, start, esmtpParam);
    }
    else {
      for (let k = 1; k < keywordText.length; k += 1) {
        if (!is(keywordText.charCodeAt(k), LDH)) return line.error("SyntaxError", `Bad parameter keyword ${JSON.stringify(keywordText)}`, start + k, esmtpParam);
      }
      const value = valueText as string;
      if (value.length === 0) return line.error("SyntaxError", `Empty value for ${keywordText}`, start + eq + 1, esmtpParam);
      for (let k = 0; k < value.length; k += 1) {
        const c = value.charCodeAt(k);
        if (!(is(c, ESMTP_VALUE) || c > 0x7f)) return line.error("SyntaxError", `Bad value for ${keywordText}`, start + eq + 1 + k, esmtpParam);
      }
    }
    const value = valueText;
    const keyword = asciiUpper(keywordText);
    // A Set, not a scan of the list: a long line of distinct keywords would
    // otherwise cost time quadratic in its length.
    if (seen.has(keyword)) return line.error("DuplicateParameter", `Duplicate parameter ${keyword}`, start, "each parameter at most once (RFC 5321 §4.1.2)");
    seen.add(keyword);
    const parameter = { keyword, value };
    offsets.push(start);
    list.push(parameter);
  }
  if (empty > 0) {
    if (!line.options.extraWhitespace) return line.error("SyntaxError", "Extra white space between parameters", restOffset, esmtpParam);
    line.lenient("extraWhitespace");
  }
  return list;
}

function checkExtensions(line: Line, parameters: readonly EsmtpParameter[], offsets: Offsets): CommandError | undefined {
  const extensions = line.options.extensions;
  if (extensions === undefined) return undefined;
  for (const parameter of parameters) {
    if (!extensions.allowsParameter(parameter.keyword, parameter.value)) {
      return line.error(
        "ParametersNotRecognized",
        `Parameter ${parameter.keyword} not recognized`,
        offsets[parameters.indexOf(parameter)],
        `a parameter of an extension the server offered: ${extensions.keywords.join(" ")}`,
      );
    }
  }
  return undefined;
}

/**
 * RFC 3339 §5.6 date-time, for RRVS and HOLDUNTIL. Anchored, and every
 * quantifier is bounded over a fixed class, so it cannot backtrack.
 */
const rfc3339DateTime = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$/;

/** Whether decoded text holds a C0 control character or DEL. */
function hasControl(text: string): boolean {
  return /[\x00-\x1f\x7f]/.test(text);
}

function isDigits(text: string, min: number, max: number): boolean {
  if (text.length < min || text.length > max) return false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * The ESMTP parameters after a MAIL or RCPT path (RFC 5321 §4.1.2 Mail-parameters),
 * refused when they name an extension the server did not offer.
 */
function envelopeParameters(line: Line, argument: string, rest: string): ParameterReader | CommandError {
  const offsets: Offsets = [];
  const list = readParameters(line, rest, argument.length - rest.length, offsets);
  if (!Array.isArray(list)) return list;
  return checkExtensions(line, list, offsets) ?? new ParameterReader(line, list, offsets);
}

/** Parameter checks bound to one line: values, and errors positioned at the parameter. */
class ParameterReader {
  constructor(
    readonly line: Line,
    readonly list: readonly EsmtpParameter[],
    readonly offsets: Offsets,
  ) {}

  bad(p: EsmtpParameter, message: string): CommandError {
    const offset = this.offsets[this.list.indexOf(p)];
    return this.line.error("SyntaxError", message, offset, parameterSyntax[p.keyword] ?? esmtpParam);
  }

  value(p: EsmtpParameter): string | CommandError {
    return p.value === undefined ? this.bad(p, `${p.keyword} requires a value`) : p.value;
  }

  none(p: EsmtpParameter): CommandError | undefined {
    return p.value === undefined ? undefined : this.bad(p, `${p.keyword} takes no value`);
  }
}

function parseMail(line: Line, argument: string): Outcome {
  const envelope = readEnvelope(line, argument, "FROM:", "InvalidSenderSyntax");
  if ("situation" in envelope) return envelope;
  const params = envelopeParameters(line, argument, envelope.rest);
  if (!(params instanceof ParameterReader)) return params;
  const list = params.list;
  const parameters: { -readonly [K in keyof MailParameters]: MailParameters[K] } = {};
  let other: EsmtpParameter[] | undefined;
  for (const p of list) {
    switch (p.keyword) {
      case "SIZE": {
        // RFC 1870 §5: size-value ::= 1*20DIGIT
        const value = params.value(p);
        if (typeof value !== "string") return value;
        if (!isDigits(value, 1, 20)) return params.bad(p, "SIZE must be a number");
        const size = Number(value);
        // Beyond 2^53 a number loses its exact value; no server's maximum is that large (RFC 1870 §6.1: 552).
        if (!Number.isSafeInteger(size)) {
          return line.error("MessageTooBig", "SIZE exceeds any fixed maximum", params.offsets[list.indexOf(p)], "SIZE=1*20DIGIT of at most 2^53 - 1 (RFC 1870 §5)");
        }
        parameters.size = size;
        break;
      }
      case "BODY": {
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const body = asciiUpper(value);
        if (body !== "7BIT" && body !== "8BITMIME" && body !== "BINARYMIME") return params.bad(p, "BODY must be 7BIT, 8BITMIME or BINARYMIME");
        parameters.body = body as BodyType;
        break;
      }
      case "SMTPUTF8": {
        const bad = params.none(p);
        if (bad !== undefined) return bad;
        parameters.smtputf8 = true;
        break;
      }
      case "REQUIRETLS": {
        const bad = params.none(p);
        if (bad !== undefined) return bad;
        parameters.requireTls = true;
        break;
      }
      case "AUTH": {
        // RFC 4954 §5: "AUTH=" (mailbox / "<>"), as xtext.
        const value = params.value(p);
        if (typeof value !== "string") return value;
        if (value === "<>") {
          parameters.auth = null;
        } else {
          const decoded = decodeXtext(value);
          if (decoded === undefined || hasControl(decoded)) return params.bad(p, "AUTH= must be xtext of printable text");
          parameters.auth = decoded;
        }
        break;
      }
      case "RET": {
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const ret = asciiUpper(value);
        if (ret !== "FULL" && ret !== "HDRS") return params.bad(p, "RET must be FULL or HDRS");
        parameters.ret = ret;
        break;
      }
      case "ENVID": {
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const decoded = decodeXtext(value);
        // RFC 3461 §4.4: the identifier is printable US-ASCII (a decoded CR or NUL would reach logs and DSNs).
        if (decoded === undefined || hasControl(decoded)) return params.bad(p, "ENVID must be xtext of printable text");
        parameters.envid = decoded;
        break;
      }
      case "MT-PRIORITY": {
        // RFC 6710 §3: priority-value = ( ["-"] %x31-39 ) / "0"; a "+" is accepted too.
        const value = params.value(p);
        if (typeof value !== "string") return value;
        if (!/^(?:[+-]?[1-9]|0)$/.test(value)) return params.bad(p, "MT-PRIORITY must be from -9 to 9");
        parameters.mtPriority = Number(value);
        break;
      }
      case "BY": {
        // RFC 2852 §4: by-value = by-time ";" by-mode [ by-trace ]
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const match = /^([+-]?)([0-9]{1,9});([NnRr])([Tt]?)$/.exec(value);
        if (match === null) return params.bad(p, "BY must be <seconds>;<R|N>[T]");
        const by: DeliverBy = {
          seconds: Number(`${match[1] ?? ""}${match[2] ?? ""}`),
          mode: asciiUpper(match[3] ?? "") as "R" | "N",
          trace: (match[4] ?? "") !== "",
        };
        parameters.by = by;
        break;
      }
      case "HOLDFOR": {
        // RFC 4865 §3: holdfor-value = 1*9DIGIT
        const value = params.value(p);
        if (typeof value !== "string") return value;
        if (!isDigits(value, 1, 9)) return params.bad(p, "HOLDFOR must be a number of seconds");
        if (parameters.holdUntil !== undefined) return params.bad(p, "HOLDFOR and HOLDUNTIL exclude each other");
        parameters.holdFor = Number(value);
        break;
      }
      case "HOLDUNTIL": {
        const value = params.value(p);
        if (typeof value !== "string") return value;
        if (parameters.holdFor !== undefined) return params.bad(p, "HOLDFOR and HOLDUNTIL exclude each other");
        // RFC 4865 §3: holduntil-value = date-time (RFC 3339 §5.6).
        if (!rfc3339DateTime.test(value)) return params.bad(p, "HOLDUNTIL must be an RFC 3339 date-time");
        parameters.holdUntil = value;
        break;
      }
      default:
        (other ??= []).push(p);
    }
  }
  if (other !== undefined) parameters.other = other;
  if (envelope.nonAscii && parameters.smtputf8 !== true) {
    // RFC 6531 §3.4: a non-ASCII address needs the SMTPUTF8 parameter (553 5.6.7).
    return line.error("SmtpUtf8Required", "Non-ASCII address requires SMTPUTF8", 5, "an ASCII address, or the SMTPUTF8 parameter (RFC 6531 §3.4)");
  }
  return { verb: "MAIL", from: envelope.mailbox, parameters };
}

function parseRcpt(line: Line, argument: string): Outcome {
  const envelope = readEnvelope(line, argument, "TO:", "InvalidRecipientSyntax");
  if ("situation" in envelope) return envelope;
  if (
    envelope.nonAscii &&
    (line.options.smtputf8 === false || (line.options.extensions !== undefined && !line.options.extensions.has("SMTPUTF8")))
  ) {
    return line.error("SmtpUtf8Required", "Non-ASCII address requires SMTPUTF8", 3, "an ASCII address, or SMTPUTF8 on MAIL (RFC 6531 §3.4)");
  }
  const params = envelopeParameters(line, argument, envelope.rest);
  if (!(params instanceof ParameterReader)) return params;
  const list = params.list;
  const parameters: { -readonly [K in keyof RcptParameters]: RcptParameters[K] } = {};
  let other: EsmtpParameter[] | undefined;
  for (const p of list) {
    switch (p.keyword) {
      case "NOTIFY": {
        // RFC 3461 §4.1: "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const items: DsnNotify[] = [];
        for (let start = 0; start <= value.length; ) {
          let comma = value.indexOf(",", start);
          if (comma < 0) comma = value.length;
          const item = asciiUpper(value.slice(start, comma));
          start = comma + 1;
          if (item !== "NEVER" && item !== "SUCCESS" && item !== "FAILURE" && item !== "DELAY") {
            return params.bad(p, "NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY");
          }
          if (items.includes(item)) return params.bad(p, `NOTIFY lists ${item} twice`);
          items.push(item);
        }
        if (items.length > 1 && items.includes("NEVER")) return params.bad(p, "NOTIFY=NEVER stands alone");
        parameters.notify = items;
        break;
      }
      case "ORCPT": {
        // RFC 3461 §4.2: addr-type ";" xtext; RFC 6533 §3 for addr-type utf-8.
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const semicolon = value.indexOf(";");
        if (semicolon <= 0) return params.bad(p, "ORCPT must be <type>;<address>");
        const addressType = asciiUpper(value.slice(0, semicolon));
        const encoded = value.slice(semicolon + 1);
        const address = addressType === "UTF-8" ? decodeUtf8Addr(encoded) : decodeXtext(encoded);
        // RFC 3461 §4.2: the address is printable text; a decoded control character is refused.
        if (address === undefined || address === "" || hasControl(address)) return params.bad(p, "ORCPT address is not correctly encoded");
        parameters.orcpt = { addressType, address };
        break;
      }
      case "RRVS": {
        // RFC 7293 §3.1: rrvs-param = "RRVS=" date-time [ ";" ( "C" / "R" ) ]
        const value = params.value(p);
        if (typeof value !== "string") return value;
        const semicolon = value.indexOf(";");
        const dateTime = semicolon < 0 ? value : value.slice(0, semicolon);
        const action = semicolon < 0 ? undefined : asciiUpper(value.slice(semicolon + 1));
        if (!rfc3339DateTime.test(dateTime)) {
          return params.bad(p, "RRVS must be an RFC 3339 date-time");
        }
        if (action !== undefined && action !== "C" && action !== "R") return params.bad(p, "RRVS action must be C or R");
        parameters.rrvs = { dateTime, action };
        break;
      }
      default:
        (other ??= []).push(p);
    }
  }
  if (other !== undefined) parameters.other = other;
  return { verb: "RCPT", to: envelope.mailbox as Mailbox, parameters };
}

function parseBdat(line: Line, argument: string): Outcome {
  // RFC 3030 §2: bdat-cmd ::= "BDAT" SP chunk-size [ SP end-marker ] CR LF
  const parts = argument.split(" ");
  const sizeText = parts[0] ?? "";
  // More than 15 digits would pass Number.MAX_SAFE_INTEGER; no chunk is that big.
  if (!isDigits(sizeText, 1, 15)) return line.error("BdatSizeMismatch", "BDAT needs a chunk size of at most 15 digits");
  const words = parts.slice(1).filter((part) => part !== "");
  if (words.length !== parts.length - 1) {
    if (!line.options.extraWhitespace) return line.error("SyntaxError", "Extra white space in BDAT");
    line.lenient("extraWhitespace");
  }
  if (words.length > 1 || (words.length === 1 && asciiUpper(words[0] as string) !== "LAST")) {
    return line.error("SyntaxError", "BDAT takes a size and optionally LAST");
  }
  return { verb: "BDAT", size: Number(sizeText), last: words.length === 1 };
}

function parseVrfy(line: Line, verb: "VRFY" | "EXPN", argument: string): Outcome {
  if (argument === "") return line.error("SyntaxError", `${verb} requires an argument`);
  // RFC 6531 §3.7.4.2: VRFY/EXPN may end with the SMTPUTF8 parameter.
  const space = argument.lastIndexOf(" ");
  if (space > 0 && asciiUpper(argument.slice(space + 1)) === "SMTPUTF8") {
    return { verb, argument: argument.slice(0, space).trimEnd(), smtputf8: true };
  }
  return { verb, argument };
}

/** RFC 4422 §3.1: sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_". Any case accepted. */
function isMechanism(text: string): boolean {
  if (text.length === 0 || text.length > 20) return false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (!(is(c, LDH) || c === 0x5f)) return false;
  }
  return true;
}

function parseAuth(line: Line, argument: string): Outcome {
  // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; initial-response = base64 / "="
  const parts = argument.split(" ");
  const mechanism = parts[0] ?? "";
  if (!isMechanism(mechanism)) return line.error("SyntaxError", "AUTH requires a mechanism name");
  if (parts.length === 1) return { verb: "AUTH", mechanism: asciiUpper(mechanism) };
  const words = parts.slice(1).filter((part) => part !== "");
  if (words.length !== parts.length - 1) {
    if (!line.options.extraWhitespace) return line.error("SyntaxError", "Extra white space in AUTH");
    line.lenient("extraWhitespace");
  }
  if (words.length === 0) return { verb: "AUTH", mechanism: asciiUpper(mechanism) };
  if (words.length > 1) return line.error("SyntaxError", "AUTH takes a mechanism and one initial response");
  const response = words[0] as string;
  const initialResponse = response === "=" ? new Uint8Array(0) : decodeBase64(response);
  if (initialResponse === undefined) return line.error("AuthResponseInvalid", "Initial response is not valid base64");
  const command: AuthCommand = { verb: "AUTH", mechanism: asciiUpper(mechanism), initialResponse };
  return command;
}

function parseEtrn(line: Line, argument: string): Outcome {
  // RFC 1985 §5: "ETRN" SP [ "@" / "#" ] node-name
  if (argument === "" || argument.includes(" ")) return line.error("SyntaxError", "ETRN takes one node name");
  const first = argument.charCodeAt(0);
  const name = first === 0x40 || first === 0x23 ? argument.slice(1) : argument;
  if (first !== 0x23 && !isValidDomain(name)) return line.error("SyntaxError", "ETRN needs a domain");
  if (name === "") return line.error("SyntaxError", "ETRN needs a node name");
  return { verb: "ETRN", node: argument };
}

const xclientNames: ReadonlySet<string> = new Set<XclientAttributeName>(["NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN", "DESTADDR", "DESTPORT"]);
const xforwardNames: ReadonlySet<string> = new Set<XforwardAttributeName>(["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"]);

// Postfix XCLIENT_README / XFORWARD_README: VERB 1*( SP attribute-name "=" attribute-value ),
// attribute-value = xtext; names are case-insensitive. Unknown names get 501 (Postfix does the same).
function parseXAttributes(line: Line, verb: "XCLIENT" | "XFORWARD", argument: string, names: ReadonlySet<string>): Outcome {
  if (argument === "") return line.error("SyntaxError", `${verb} requires at least one attribute`);
  const attributes: XAttribute<string>[] = [];
  let offset = 0;
  while (offset <= argument.length) {
    let end = argument.indexOf(" ", offset);
    if (end < 0) end = argument.length;
    if (end === offset) return line.error("SyntaxError", `Extra white space in ${verb}`, offset);
    if (attributes.length === Limits.xAttributes) return line.error("SyntaxError", `More than ${Limits.xAttributes} ${verb} attributes`, offset);
    const equals = argument.indexOf("=", offset);
    if (equals < 0 || equals >= end) return line.error("SyntaxError", `${verb} attribute needs name=value`, offset);
    const name = asciiUpper(argument.slice(offset, equals));
    if (!names.has(name)) return line.error("SyntaxError", `Unknown ${verb} attribute`, offset);
    if (attributes.some((a) => a.name === name)) return line.error("DuplicateParameter", `Duplicate ${verb} attribute ${name}`, offset);
    const encoded = argument.slice(equals + 1, end);
    if (encoded.length > Limits.xAttributeValue * 3) return line.error("SyntaxError", `${verb} ${name} value too long`, equals + 1);
    const value = decodeXtext(encoded);
    if (value === undefined) return line.error("SyntaxError", `${verb} ${name} value is not xtext`, equals + 1);
    // Hostile values: a CR, LF or NUL hidden behind +0D, +0A or +00 would reach logs and headers.
    if (hasControl(value)) return line.error("SyntaxError", `${verb} ${name} value holds a control character`, equals + 1);
    if (value.length > Limits.xAttributeValue) return line.error("SyntaxError", `${verb} ${name} value too long`, equals + 1);
    attributes.push({ name, value });
    offset = end + 1;
  }
  return verb === "XCLIENT"
    ? { verb, attributes: attributes as XAttribute<XclientAttributeName>[] }
    : { verb, attributes: attributes as XAttribute<XforwardAttributeName>[] };
}
