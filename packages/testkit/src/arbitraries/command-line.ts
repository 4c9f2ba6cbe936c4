/**
 * Command lines as real clients write them: RFC 5321 §2.4 makes verbs,
 * the `FROM:`/`TO:` keywords and parameter keywords case-insensitive (and
 * the extensions' RFCs do the same for BODY, RET, NOTIFY, the BY mode, the
 * ORCPT address type, BDAT's LAST and SASL mechanism names). A server must
 * read `mail from:<a@b> body=8bitmime` as it reads the upper-case form.
 *
 * @module
 */
import fc from "fast-check";
import { serializeCommand, type Command } from "@smtpkit/grammar";
import { command, type CommandOptions } from "./commands.js";

/** A command and one way of writing it. */
export interface CommandLine {
  /** The command. */
  readonly command: Command;
  /** The line, without CRLF, with case changed where the grammar allows it. */
  readonly line: string;
}

/** Parameter keywords whose value is case-insensitive too. */
const caseInsensitiveValues = new Set(["BODY", "RET", "NOTIFY"]);

function recase(text: string, bits: readonly boolean[], offset: number): string {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    out += bits[(offset + i) % bits.length] === true ? c.toLowerCase() : c.toUpperCase();
  }
  return out;
}

function rewrite(value: Command, bits: readonly boolean[]): string {
  const line = serializeCommand(value).slice(0, -2);
  if (bits.length === 0) return line;
  const space = line.indexOf(" ");
  const verb = space < 0 ? line : line.slice(0, space);
  let rest = space < 0 ? "" : line.slice(space);
  if (value.verb === "MAIL" || value.verb === "RCPT") {
    const keyword = value.verb === "MAIL" ? " FROM:" : " TO:";
    const mailbox = value.verb === "MAIL" ? value.from : value.to;
    // The path's length from the command itself: a quoted local part may hold ">".
    const pathLength = mailbox === null ? 2 : mailbox.localPart.length + (mailbox.domain === "" ? 0 : mailbox.domain.length + 1) + 2;
    const pathEnd = keyword.length + pathLength;
    const path = rest.slice(keyword.length, pathEnd);
    const parameters = rest
      .slice(pathEnd)
      .split(" ")
      .map((word, index) => {
        if (word === "") return word;
        const eq = word.indexOf("=");
        const name = eq < 0 ? word : word.slice(0, eq);
        let parameterValue = eq < 0 ? "" : word.slice(eq);
        if (caseInsensitiveValues.has(name)) parameterValue = recase(parameterValue, bits, index);
        if (name === "BY") parameterValue = parameterValue.slice(0, -2) + recase(parameterValue.slice(-2), bits, index);
        if (name === "ORCPT") parameterValue = recase(parameterValue.slice(0, parameterValue.indexOf(";")), bits, index) + parameterValue.slice(parameterValue.indexOf(";"));
        return recase(name, bits, index) + parameterValue;
      })
      .join(" ");
    rest = recase(keyword, bits, 3) + path + parameters;
  } else if (value.verb === "BDAT" && value.last) {
    rest = rest.slice(0, -4) + recase("LAST", bits, 5);
  } else if ((value.verb === "VRFY" || value.verb === "EXPN") && value.smtputf8 === true) {
    rest = rest.slice(0, -8) + recase("SMTPUTF8", bits, 7);
  } else if (value.verb === "AUTH") {
    const mechanismEnd = rest.indexOf(" ", 1);
    rest = mechanismEnd < 0 ? recase(rest, bits, 2) : recase(rest.slice(0, mechanismEnd), bits, 2) + rest.slice(mechanismEnd);
  }
  return recase(verb, bits, 0) + rest;
}

/**
 * A command with its line written in mixed case wherever RFC 5321 §2.4
 * and the extensions allow (verbs, `FROM:`/`TO:`, parameter keywords,
 * BODY/RET/NOTIFY values, the BY mode, the ORCPT address type, LAST,
 * SMTPUTF8, SASL mechanisms), never where case matters (addresses, xtext,
 * base64). A conforming parser reads `line` as `command`. Shrinks towards
 * the upper-case form.
 *
 * @param options - as for {@link command}
 * @returns an arbitrary of `{ command, line }` pairs
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseCommand } from "@smtpkit/grammar";
 * import { commandLine } from "@smtpkit/testkit";
 * fc.assert(fc.property(commandLine(), ({ command, line }) => {
 *   const parsed = parseCommand(line, { strict: true });
 *   return parsed.ok && parsed.command.verb === command.verb;
 * }));
 * ```
 */
export function commandLine(options: CommandOptions = {}): fc.Arbitrary<CommandLine> {
  return fc.tuple(command(options), fc.array(fc.boolean(), { maxLength: 16 })).map(([value, bits]) => ({ command: value, line: rewrite(value, bits) }));
}
