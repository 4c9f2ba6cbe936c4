/**
 * Which replies each SMTP command may receive: RFC 5321 §4.3.2, extended with
 * the rows of the extensions that add commands (AUTH, STARTTLS, BDAT, ETRN,
 * LHLO). This table is the single source for "may command X get reply Y";
 * `describeReply` derives its command list from it.
 *
 * It does not decide what a server should answer in a situation (see
 * `situations.ts`), and it knows nothing of session state.
 *
 * @module
 */

/**
 * The commands and protocol moments the table covers. `CONNECT` is the
 * greeting (RFC 5321 §4.3.2 "CONNECTION ESTABLISHMENT").
 */
export type CommandName =
  | "CONNECT"
  | "HELO"
  | "EHLO"
  | "LHLO"
  | "MAIL"
  | "RCPT"
  | "DATA"
  | "BDAT"
  | "RSET"
  | "VRFY"
  | "EXPN"
  | "HELP"
  | "NOOP"
  | "QUIT"
  | "STARTTLS"
  | "AUTH"
  | "ETRN";

/** Every command in the table, in RFC 5321 §4.3.2 order, then the extensions. */
export const commandNames: readonly CommandName[] = [
  "CONNECT",
  "HELO",
  "EHLO",
  "LHLO",
  "MAIL",
  "RCPT",
  "DATA",
  "BDAT",
  "RSET",
  "VRFY",
  "EXPN",
  "HELP",
  "NOOP",
  "QUIT",
  "STARTTLS",
  "AUTH",
  "ETRN",
];

/** The replies one command may receive, sorted by when they come. */
export interface CommandReplies {
  /** The command (or `CONNECT` for the greeting). */
  readonly command: CommandName;
  /** Positive completion replies (2yz) to the command itself. */
  readonly success: readonly number[];
  /** Positive intermediate replies (3yz): more input is expected. */
  readonly intermediate: readonly number[];
  /** Negative replies (4yz, 5yz) specific to this command. */
  readonly failure: readonly number[];
  /**
   * For DATA and BDAT: the replies that may follow the content (after the final
   * `.` or the last chunk). In LMTP (RFC 2033 §4.2) one such reply comes per
   * accepted recipient.
   */
  readonly afterContent?: { readonly success: readonly number[]; readonly failure: readonly number[] };
  /**
   * Replies any command of this kind may receive whatever its own row says
   * (see {@link generalReplies}); already filtered for this command.
   */
  readonly general: readonly number[];
  /** Where the row comes from. */
  readonly references: readonly string[];
}

/** A reply any command may receive in some circumstance, and where that is written. */
export interface GeneralReply {
  /** The reply code. */
  readonly code: number;
  /** When it applies. */
  readonly when: string;
  /** Where it is written. */
  readonly reference: string;
  /** Commands this general rule does not cover. */
  readonly except: readonly CommandName[];
}

/**
 * Replies a command may receive beyond its own row of RFC 5321 §4.3.2. The
 * first three are the RFC's own list ("any SMTP command can return" 500, 501
 * and 421, §4.3.2); the others follow from §4.2.4 (502), §3.1 (503 after a 554
 * greeting), RFC 4954 §6 and RFC 3207 §4 (530). A code may appear twice, once
 * per rule; {@link CommandReplies.general} lists each code once.
 */
export const generalReplies: readonly GeneralReply[] = [
  {
    code: 421,
    when: "the service is shutting down or must close the channel",
    reference: "RFC 5321 §4.3.2, §3.8",
    except: [],
  },
  {
    code: 500,
    when: "the command is unrecognized or its line too long",
    reference: "RFC 5321 §4.3.2",
    except: ["CONNECT"],
  },
  {
    code: 501,
    when: "the command's arguments are not valid syntax (or it takes none and got some)",
    reference: "RFC 5321 §4.3.2",
    except: ["CONNECT"],
  },
  {
    // RFC 5321 §4.5.1: every server implements EHLO, HELO, MAIL, RCPT, DATA,
    // RSET, NOOP, QUIT and VRFY (VRFY's and EHLO/HELO's rows list 502 themselves);
    // RFC 2033 §4.1 makes LHLO the LMTP server's required greeting command.
    code: 502,
    when: "the command is recognized but not implemented (optional commands only)",
    reference: "RFC 5321 §4.2.4, §4.5.1",
    except: ["CONNECT", "EHLO", "HELO", "LHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"],
  },
  {
    // RFC 5321 §3.1: after a 554 greeting the server waits for QUIT and
    // SHOULD answer every other command, NOOP and RSET included, with 503.
    code: 503,
    when: "the command comes out of sequence, including every command but QUIT after a 554 greeting",
    reference: "RFC 5321 §3.1, §4.1.4",
    except: ["CONNECT", "QUIT"],
  },
  {
    // RFC 4954 §6 exempts AUTH, EHLO, HELO, NOOP, RSET and QUIT. STARTTLS is
    // exempt here too: requiring AUTH before TLS would defeat RFC 4954 §4's
    // advice to protect credentials with TLS.
    code: 530,
    when: "server policy requires authentication before this command",
    reference: "RFC 4954 §6",
    except: ["CONNECT", "AUTH", "EHLO", "HELO", "LHLO", "NOOP", "RSET", "QUIT", "STARTTLS"],
  },
  {
    code: 530,
    when: "server policy requires STARTTLS before this command",
    reference: "RFC 3207 §4",
    except: ["CONNECT", "EHLO", "LHLO", "NOOP", "QUIT", "STARTTLS"],
  },
];

type Row = Omit<CommandReplies, "general">;

// RFC 5321 §4.3.2, row by row; extensions from their own RFCs.
const rows: readonly Row[] = [
  { command: "CONNECT", success: [220], intermediate: [], failure: [554], references: ["RFC 5321 §4.3.2", "RFC 5321 §3.1"] },
  { command: "HELO", success: [250], intermediate: [], failure: [504, 550, 502], references: ["RFC 5321 §4.3.2"] },
  { command: "EHLO", success: [250], intermediate: [], failure: [504, 550, 502], references: ["RFC 5321 §4.3.2"] },
  // RFC 2033 §4.1: LHLO is EHLO under another name.
  { command: "LHLO", success: [250], intermediate: [], failure: [504, 550, 502], references: ["RFC 2033 §4.1"] },
  {
    command: "MAIL",
    success: [250],
    intermediate: [],
    // RFC 1870 §6.1 (552/452 for SIZE), RFC 4954 §5 (AUTH=), RFC 6531 §3.5 (553 for SMTPUTF8).
    failure: [552, 451, 452, 550, 553, 503, 455, 555],
    references: ["RFC 5321 §4.3.2", "RFC 1870 §6", "RFC 6531 §3.5"],
  },
  {
    command: "RCPT",
    success: [250, 251],
    intermediate: [],
    // RFC 7504 §3: 556 when the recipient's domain does not accept mail.
    failure: [550, 551, 552, 553, 450, 451, 452, 503, 455, 555, 556],
    references: ["RFC 5321 §4.3.2", "RFC 7504 §3"],
  },
  {
    command: "DATA",
    success: [],
    intermediate: [354],
    failure: [503, 554],
    afterContent: { success: [250], failure: [552, 554, 451, 452, 450, 550] },
    references: ["RFC 5321 §4.3.2", "RFC 2033 §4.2"],
  },
  {
    // RFC 3030 §2, §4: each chunk gets a reply; the LAST chunk's reply is the
    // message's. 503 for BDAT after DATA-mixing or without a transaction.
    command: "BDAT",
    success: [250],
    intermediate: [],
    failure: [503, 504, 554],
    afterContent: { success: [250], failure: [552, 554, 451, 452, 450, 550] },
    references: ["RFC 3030 §2", "RFC 3030 §4"],
  },
  { command: "RSET", success: [250], intermediate: [], failure: [], references: ["RFC 5321 §4.3.2"] },
  { command: "VRFY", success: [250, 251, 252], intermediate: [], failure: [550, 551, 553, 502, 504], references: ["RFC 5321 §4.3.2"] },
  { command: "EXPN", success: [250, 252], intermediate: [], failure: [550, 500, 502, 504], references: ["RFC 5321 §4.3.2"] },
  { command: "HELP", success: [211, 214], intermediate: [], failure: [502, 504], references: ["RFC 5321 §4.3.2"] },
  { command: "NOOP", success: [250], intermediate: [], failure: [], references: ["RFC 5321 §4.3.2"] },
  { command: "QUIT", success: [221], intermediate: [], failure: [], references: ["RFC 5321 §4.3.2"] },
  { command: "STARTTLS", success: [220], intermediate: [], failure: [501, 454], references: ["RFC 3207 §4"] },
  {
    command: "AUTH",
    success: [235],
    intermediate: [334],
    // RFC 4954 §4 (501 on cancel or undecodable response, 503 when already
    // authenticated or inside a transaction, 504 unknown mechanism) and §6.
    failure: [432, 454, 500, 501, 503, 504, 534, 535, 538],
    references: ["RFC 4954 §4", "RFC 4954 §6"],
  },
  { command: "ETRN", success: [250, 251, 252, 253], intermediate: [], failure: [458, 459, 500, 501], references: ["RFC 1985 §5"] },
];

const byCommand = new Map<CommandName, CommandReplies>(
  rows.map((row) => [
    row.command,
    {
      ...row,
      general: [
        ...new Set(generalReplies.filter((general) => !general.except.includes(row.command)).map((general) => general.code)),
      ],
    },
  ]),
);

/** The longest name in the table, so that hostile input is never upper-cased whole. */
const longestName = Math.max(...commandNames.map((name) => name.length));

/**
 * Every code each command may receive, ascending, computed once: a server checks
 * replies on its hot path, so {@link isReplyAllowed} must not rebuild the union per call.
 */
const allowedByCommand: ReadonlyMap<CommandName, readonly number[]> = new Map(
  [...byCommand].map(([name, row]) => [
    name,
    Object.freeze(
      [
        ...new Set<number>([
          ...row.success,
          ...row.intermediate,
          ...row.failure,
          ...(row.afterContent?.success ?? []),
          ...(row.afterContent?.failure ?? []),
          ...row.general,
        ]),
      ].sort((a, b) => a - b),
    ),
  ]),
);

/**
 * Normalises a command name: SMTP verbs are case-insensitive in ASCII only
 * (RFC 5321 §2.4). Non-ASCII letters that upper-case to ASCII (`"ı"`, `"ſ"`)
 * do not make a verb.
 *
 * @param command - a verb in any case
 * @returns the upper-case `CommandName`, or `undefined` if the table has no such command
 * @example
 * ```ts
 * toCommandName("rcpt"); // "RCPT"
 * toCommandName("XYZZY"); // undefined
 * toCommandName("quıt"); // undefined (dotless i)
 * ```
 */
export function toCommandName(command: string): CommandName | undefined {
  // Already a table name (the usual case: callers pass upper-case verbs): no string building.
  if (byCommand.has(command as CommandName)) return command as CommandName;
  if (command.length > longestName) return undefined;
  let upper = "";
  for (let index = 0; index < command.length; index += 1) {
    const char = command.charCodeAt(index);
    if (char > 0x7f) return undefined;
    upper += String.fromCharCode(char >= 0x61 && char <= 0x7a ? char - 0x20 : char);
  }
  return byCommand.has(upper as CommandName) ? (upper as CommandName) : undefined;
}

/**
 * The replies a command may receive, per RFC 5321 §4.3.2 and the extension
 * that defines it. Unknown commands give `undefined`.
 *
 * @param command - the verb (any case), or `"CONNECT"` for the greeting
 * @returns the command's row, or `undefined` for a command not in the table
 * @example
 * ```ts
 * const data = repliesFor("DATA");
 * data?.intermediate;            // [354]
 * data?.afterContent?.success;   // [250]
 * repliesFor("RCPT")?.success;   // [250, 251]
 * ```
 */
export function repliesFor(command: string): CommandReplies | undefined {
  const name = toCommandName(command);
  return name === undefined ? undefined : byCommand.get(name);
}

/**
 * Every reply code the command may receive at any point: its own row, its
 * content replies, and the general replies that apply to it.
 *
 * @param command - the verb (any case), or `"CONNECT"`
 * @returns the codes, ascending; empty for an unknown command
 * @example
 * ```ts
 * allowedReplies("QUIT"); // [221, 421, 500, 501]
 * ```
 */
export function allowedReplies(command: string): readonly number[] {
  const name = toCommandName(command);
  // A copy: the caller may treat its array as its own, as before the table was precomputed.
  return name === undefined ? [] : [...(allowedByCommand.get(name) ?? [])];
}

/**
 * Whether RFC 5321 §4.3.2 (or the extension's RFC) allows `code` as a reply
 * to `command`.
 *
 * @param command - the verb (any case), or `"CONNECT"`
 * @param code - the reply code received
 * @returns whether the reply is one the command may receive
 * @example
 * ```ts
 * isReplyAllowed("RSET", 250); // true
 * isReplyAllowed("RSET", 550); // false
 * ```
 */
export function isReplyAllowed(command: string, code: number): boolean {
  const name = toCommandName(command);
  return name !== undefined && (allowedByCommand.get(name)?.includes(code) ?? false);
}

/**
 * The commands whose rows name `code` (without the general replies, which
 * {@link generalReplies} lists).
 *
 * @param code - a reply code
 * @returns the commands, in table order
 * @example
 * ```ts
 * commandsAnsweredBy(354); // ["DATA"]
 * ```
 */
export function commandsAnsweredBy(code: number): readonly CommandName[] {
  const result: CommandName[] = [];
  for (const row of byCommand.values()) {
    if (
      row.success.includes(code) ||
      row.intermediate.includes(code) ||
      row.failure.includes(code) ||
      row.afterContent?.success.includes(code) === true ||
      row.afterContent?.failure.includes(code) === true
    ) {
      result.push(row.command);
    }
  }
  return result;
}
