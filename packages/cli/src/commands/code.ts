/**
 * `smtpkit code`: the reply-code registry of `@smtpkit/codes` at the
 * terminal. Looks up a basic code (RFC 5321 §4.2), an enhanced status code
 * (RFC 3463), or both together with a check that they agree (also read from
 * a reply line pasted from a log); the replies a
 * command may get (RFC 5321 §4.3.2); and the canonical reply for a situation.
 *
 * Exit code 1 reports a finding: an unregistered, non-standard or deprecated
 * code, a pair that disagrees, an unknown command or situation. A malformed
 * argument is a usage error (2).
 *
 * @module
 */
import {
  describeEnhancedStatus,
  describeReply,
  commandNames,
  parseEnhancedStatus,
  parseEnhancedStatusPrefix,
  repliesFor,
  situationByName,
  situationList,
  formatSituation,
  type EnhancedStatusDescription,
  type ReplyDescription,
  type Situation,
} from "@smtpkit/codes";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { raiseExitCode, runCommand, writeJson, type CommandContext, type CommandModule } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { printable } from "../text.js";

interface CodeOptions {
  readonly command?: string;
  readonly situation?: string;
  readonly listSituations?: boolean;
  readonly json?: boolean;
}

/** What was asked for, once the arguments are read. */
type Query =
  | { readonly type: "codes"; readonly basic?: number; readonly enhanced?: string }
  | { readonly type: "command"; readonly command: string }
  | { readonly type: "situation"; readonly name: string }
  | { readonly type: "list-situations" };

const classDigitNames: Readonly<Record<string, string>> = {
  "positive-preliminary": "positive preliminary (1yz, never sent in SMTP)",
  "positive-completion": "positive completion (2yz)",
  "positive-intermediate": "positive intermediate (3yz)",
  "transient-negative": "transient negative (4yz): try again later",
  "permanent-negative": "permanent negative (5yz): do not retry as is",
};

function isBasicCode(text: string): boolean {
  if (text.length !== 3) return false;
  for (let index = 0; index < 3; index++) {
    const digit = text.charCodeAt(index);
    if (digit < 0x30 || digit > 0x39) return false;
  }
  return text[0] !== "0";
}

/**
 * Reads the codes at the start of a reply line pasted from a log or a bounce:
 * `550 5.7.1 Relay access denied`, `550-5.7.1 ...`, `421 Service closing`.
 * RFC 5321 §4.2: the code, then SP (last line) or "-" (other lines), then
 * text; RFC 2034 §4: the enhanced code, when there is one, starts the text.
 */
function readReplyLine(text: string): { basic: number; enhanced?: string } | undefined {
  const trimmed = text.trim();
  if (trimmed.length < 4 || !isBasicCode(trimmed.slice(0, 3))) return undefined;
  const separator = trimmed[3];
  if (separator !== " " && separator !== "-") return undefined;
  const basic = Number(trimmed.slice(0, 3));
  const rest = trimmed.slice(4).trimStart();
  const prefix = parseEnhancedStatusPrefix(rest);
  // The enhanced code must end at a space or the end of the line ("5.7.1x" is text).
  if (prefix === undefined || (rest.length > prefix.length && rest[prefix.length] !== " ")) return { basic };
  return { basic, enhanced: rest.slice(0, prefix.length) };
}

function readQuery(codes: readonly string[], options: CodeOptions): Query {
  const modes = [codes.length > 0, options.command !== undefined, options.situation !== undefined, options.listSituations === true];
  const chosen = modes.filter(Boolean).length;
  if (chosen === 0) {
    throw new CliError("give a code (550, 5.7.1 or both), --command, --situation or --list-situations", ExitCode.Usage);
  }
  if (chosen > 1) {
    throw new CliError("codes, --command, --situation and --list-situations are separate look-ups: give one", ExitCode.Usage);
  }
  if (options.command !== undefined) return { type: "command", command: options.command };
  if (options.situation !== undefined) return { type: "situation", name: options.situation };
  if (options.listSituations === true) return { type: "list-situations" };
  const line = codes.length === 1 ? readReplyLine(codes[0] as string) : undefined;
  if (line !== undefined) return { type: "codes", ...line };
  let basic: number | undefined;
  let enhanced: string | undefined;
  for (const text of codes) {
    if (isBasicCode(text)) {
      if (basic !== undefined) throw new CliError(`two basic codes (${basic} and ${text}): give at most one, and one enhanced code`, ExitCode.Usage);
      basic = Number(text);
    } else if (parseEnhancedStatus(text) !== undefined) {
      if (enhanced !== undefined) throw new CliError(`two enhanced codes (${enhanced} and ${text}): give at most one, and one basic code`, ExitCode.Usage);
      enhanced = text;
    } else {
      throw new CliError(
        `"${printable(text)}" is neither a reply code (three digits, like 550), an enhanced status code (class.subject.detail with class 2, 4 or 5, like 5.7.1) nor a reply line ("550 5.7.1 text")`,
        ExitCode.Usage,
      );
    }
  }
  return { type: "codes", ...(basic !== undefined ? { basic } : {}), ...(enhanced !== undefined ? { enhanced } : {}) };
}

/** Problems worth a non-zero exit: what a careful reader of the reply should know. */
function basicFindings(reply: ReplyDescription): string[] {
  const notes: string[] = [];
  if (reply.class === undefined) notes.push(`${reply.code} is not an SMTP reply code: no class has first digit ${String(reply.code)[0]}`);
  else if (!reply.registered) notes.push(`${reply.code} is not a registered reply code; clients act on its first digit only`);
  else if (!reply.standard) {
    const alternative = reply.standardAlternative === undefined ? "" : `; send ${reply.standardAlternative}${reply.enhancedAlternative === undefined ? "" : ` ${reply.enhancedAlternative}`} instead`;
    notes.push(`${reply.code} is not defined by any RFC for SMTP${alternative}`);
  }
  return notes;
}

function enhancedFindings(status: EnhancedStatusDescription): string[] {
  const notes: string[] = [];
  if (!status.registered) notes.push(`${status.code} is not in the IANA registry of enhanced status codes`);
  if (!status.classAllowed) notes.push(`the registry does not list X.${status.subject}.${status.detail} with class ${status.class}`);
  if (status.deprecated !== undefined) notes.push(`${status.code} is deprecated: ${status.deprecated}`);
  return notes;
}

// RFC 3463 §2: "the class sub-code MUST match the first digit" of the basic code
// (a 2yz reply carries 2.X.X, 4yz 4.X.X, 5yz 5.X.X).
function pairFindings(reply: ReplyDescription, status: EnhancedStatusDescription): string[] {
  const notes: string[] = [];
  const basicClass = Math.floor(reply.code / 100);
  if (basicClass !== status.class) {
    notes.push(`class mismatch: ${reply.code} is a ${basicClass}yz reply but ${status.code} has class ${status.class} (RFC 3463 §2: they must match)`);
  }
  if (status.registered && status.basicCodes.length > 0 && !status.basicCodes.includes(reply.code)) {
    notes.push(`the registry pairs X.${status.subject}.${status.detail} with ${status.basicCodes.join(", ")}, not ${reply.code}`);
  }
  return notes;
}

function situationsUsing(basic: number | undefined, enhanced: string | undefined): Situation[] {
  return situationList.filter(
    (situation) => (basic === undefined || situation.code === basic) && (enhanced === undefined || situation.enhanced === enhanced),
  );
}

function lookUpCodes(context: CommandContext, query: Extract<Query, { type: "codes" }>, json: boolean): void {
  const { colors } = context;
  const reply = query.basic === undefined ? undefined : describeReply(query.basic);
  // readQuery has checked the syntax: the description exists.
  const status = query.enhanced === undefined ? undefined : (describeEnhancedStatus(query.enhanced) as EnhancedStatusDescription);
  const notes = [
    ...(reply === undefined ? [] : basicFindings(reply)),
    ...(status === undefined ? [] : enhancedFindings(status)),
    ...(reply !== undefined && status !== undefined ? pairFindings(reply, status) : []),
  ];
  const situations = situationsUsing(query.basic, status?.code);
  if (notes.length > 0) raiseExitCode(context, ExitCode.Finding);
  if (json) {
    writeJson(context, {
      ...(reply !== undefined ? { reply } : {}),
      ...(status !== undefined ? { enhanced: status } : {}),
      notes,
      situations,
    });
    return;
  }
  const lines: string[] = [];
  const field = (label: string, value: string): void => {
    lines.push(`  ${colors.dim(label.padEnd(12))}${value}`);
  };
  if (reply !== undefined) {
    lines.push(`${colors.bold(String(reply.code))}  ${reply.text}`);
    field("class", reply.class === undefined ? "none" : (classDigitNames[reply.class] ?? reply.class));
    if (reply.category !== undefined) field("category", `${reply.category} (x${Math.floor(reply.code / 10) % 10}z)`);
    field("standard", reply.standard ? `yes${reply.references.length > 0 ? ` (${reply.references.join(", ")})` : ""}` : "no");
    if (reply.commands.length > 0) field("replies to", reply.commands.join(", "));
    if (reply.note !== undefined) field("note", reply.note);
    if (reply.standardAlternative !== undefined) {
      field("instead", `${reply.standardAlternative}${reply.enhancedAlternative === undefined ? "" : ` ${reply.enhancedAlternative}`}`);
    }
  }
  if (status !== undefined) {
    if (reply !== undefined) lines.push("");
    lines.push(`${colors.bold(status.code)}  ${status.title}`);
    field("meaning", status.description);
    field("class", `${status.class}: ${status.classTitle}`);
    field("subject", `${status.subject}: ${status.subjectTitle ?? "unregistered"}`);
    if (status.basicCodes.length > 0) field("usual codes", status.basicCodes.join(", "));
    if (status.reference !== "") field("defined in", status.reference);
    if (status.deprecated !== undefined) field("deprecated", status.deprecated);
  }
  if (situations.length > 0) {
    lines.push("", colors.bold("Canonical replies using it:"));
    for (const situation of situations) lines.push(`  ${situation.name.padEnd(32)}${formatSituation(situation)}`);
  }
  if (notes.length > 0) {
    lines.push("");
    for (const note of notes) lines.push(`${colors.yellow("note:")} ${note}`);
  }
  context.io.stdout.write(`${lines.join("\n")}\n`);
}

function lookUpCommand(context: CommandContext, command: string, json: boolean): void {
  const { colors } = context;
  const row = repliesFor(command);
  if (row === undefined) {
    throw new CliError(`no such SMTP command in the reply table: "${printable(command)}" (known: ${commandNames.join(", ")})`);
  }
  const describe = (code: number): { code: number; text: string } => ({ code, text: describeReply(code).text });
  const groups: [string, readonly number[]][] = [
    ["success", row.success],
    ["intermediate", row.intermediate],
    ["failure", row.failure],
    ["after content, success", row.afterContent?.success ?? []],
    ["after content, failure", row.afterContent?.failure ?? []],
    ["any command", row.general],
  ];
  if (json) {
    writeJson(context, {
      command: row.command,
      references: row.references,
      replies: Object.fromEntries(groups.filter(([, codes]) => codes.length > 0).map(([name, codes]) => [name, codes.map(describe)])),
    });
    return;
  }
  const lines = [`${colors.bold(row.command)}: the replies it may get (${row.references.join(", ")})`];
  for (const [name, codes] of groups) {
    [...codes].sort((a, b) => a - b).forEach((code, index) => {
      lines.push(`  ${colors.dim((index === 0 ? name : "").padEnd(24))}${colors.bold(String(code))} ${describeReply(code).text}`);
    });
  }
  context.io.stdout.write(`${lines.join("\n")}\n`);
}

function findSituation(name: string): Situation | undefined {
  const exact = situationByName(name);
  if (exact !== undefined) return exact;
  // Names are CamelCase; typing them in any case is fine.
  const lower = name.toLowerCase();
  return situationList.find((situation) => situation.name.toLowerCase() === lower);
}

function lookUpSituation(context: CommandContext, name: string, json: boolean): void {
  const { colors } = context;
  const situation = findSituation(name);
  if (situation === undefined) {
    const lower = name.toLowerCase();
    const similar = situationList.filter((entry) => entry.name.toLowerCase().includes(lower)).map((entry) => entry.name);
    const hint = similar.length > 0 ? `; did you mean ${similar.slice(0, 5).join(", ")}?` : "; --list-situations lists them";
    throw new CliError(`no such situation: "${printable(name)}"${hint}`);
  }
  if (json) {
    writeJson(context, { situation, line: formatSituation(situation) });
    return;
  }
  const lines = [`${colors.bold(situation.name)}: ${formatSituation(situation)}`, `  ${colors.dim("reference".padEnd(12))}${situation.reference}`];
  if (situation.note !== undefined) lines.push(`  ${colors.dim("note".padEnd(12))}${situation.note}`);
  context.io.stdout.write(`${lines.join("\n")}\n`);
}

function listSituations(context: CommandContext, json: boolean): void {
  if (json) {
    writeJson(context, { situations: situationList });
    return;
  }
  const width = Math.max(...situationList.map((situation) => situation.name.length)) + 2;
  const lines = situationList.map((situation) => `${situation.name.padEnd(width)}${formatSituation(situation)}`);
  context.io.stdout.write(`${lines.join("\n")}\n`);
}

const examples = `
Examples:
  $ smtpkit code 550                     a basic reply code
  $ smtpkit code 5.7.1                   an enhanced status code
  $ smtpkit code 550 5.7.1               both, checked against each other
  $ smtpkit code "550-5.7.1 Relay denied" a reply line pasted from a log
  $ smtpkit code --command RCPT          the replies RCPT may get
  $ smtpkit code --situation RelayDenied the canonical reply for a situation
  $ smtpkit code --list-situations       every situation
  $ smtpkit code 421 --json              as JSON

Exit code 1 when a code is unregistered, non-standard or deprecated, when the two
codes disagree, or when a command or situation is unknown.`;

/** `smtpkit code`. */
export const codeCommand: CommandModule = {
  name: "code",
  register(program: Command, context: CommandContext): void {
    program
      .command("code")
      .description("look up SMTP reply codes and enhanced status codes")
      .argument("[codes...]", 'a reply code (550), an enhanced status code (5.7.1), one of each, or a reply line ("550 5.7.1 Relay denied")')
      .option("-c, --command <verb>", "list the replies a command may get (RFC 5321 §4.3.2)")
      .option("-s, --situation <name>", "the canonical reply for a situation, e.g. RelayDenied")
      .option("-l, --list-situations", "list every situation and its reply")
      .option("--json", "print JSON instead of text")
      .addHelpText("after", examples)
      .action(async (codes: string[], options: CodeOptions) => {
        const json = options.json === true;
        await runCommand(context, json, () => {
          const query = readQuery(codes, options);
          switch (query.type) {
            case "codes":
              return lookUpCodes(context, query, json);
            case "command":
              return lookUpCommand(context, query.command, json);
            case "situation":
              return lookUpSituation(context, query.name, json);
            case "list-situations":
              return listSituations(context, json);
          }
        });
      });
  },
};
