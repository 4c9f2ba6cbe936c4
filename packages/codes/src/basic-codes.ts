/**
 * The registry of basic (three-digit) reply codes: every code of RFC 5321
 * §4.2.2–4.2.3 and of the extensions that add codes, plus codes that circulate
 * in tutorials and vendor software without being standard, each with the
 * standard code a server should send instead.
 *
 * @module
 */
import { commandsAnsweredBy, type CommandName } from "./command-replies.js";
import {
  isThreeDigitCode,
  replyCategory,
  replyClass,
  type ReplyCategory,
  type ReplyClass,
} from "./reply-class.js";
import { CodesError } from "./codes-error.js";

/** One entry of the basic reply-code registry, as data. */
export interface ReplyCodeEntry {
  /** The three-digit code. */
  readonly code: number;
  /** The standard text (RFC 5321 §4.2.2 wording, or the defining RFC's). */
  readonly text: string;
  /** Whether an RFC defines the code for SMTP. */
  readonly standard: boolean;
  /** Where the code is defined or described. */
  readonly references: readonly string[];
  /** What else a reader should know: usage, or for non-standard codes, their origin. */
  readonly note?: string;
  /** For a non-standard code: the standard code a server should send instead. */
  readonly standardAlternative?: number;
  /** For a non-standard code: the enhanced status code to pair with the alternative. */
  readonly enhancedAlternative?: string;
}

/** What {@link describeReply} tells of any three-digit code. */
export interface ReplyDescription {
  /** The code looked up. */
  readonly code: number;
  /** Its class from the first digit, or `undefined` when the digit is above 5. */
  readonly class: ReplyClass | undefined;
  /** Its category from the second digit, or `undefined` when the digit is above 5. */
  readonly category: ReplyCategory | undefined;
  /** Whether the registry has an entry for the code. */
  readonly registered: boolean;
  /** Whether an RFC defines the code for SMTP (false for unregistered codes). */
  readonly standard: boolean;
  /** The registry's text, or a description built from the digits. */
  readonly text: string;
  /** References of the registry entry (empty when unregistered). */
  readonly references: readonly string[];
  /** The commands RFC 5321 §4.3.2 and the extensions allow this code for. */
  readonly commands: readonly CommandName[];
  /** A remark, where there is one. */
  readonly note?: string;
  /** For non-standard codes: what to send instead. */
  readonly standardAlternative?: number;
  /** For non-standard codes: the enhanced code to pair with the alternative. */
  readonly enhancedAlternative?: string;
}

const rfc5321 = "RFC 5321 §4.2.3";

/** Every registered basic reply code, ascending. */
export const replyCodes: readonly ReplyCodeEntry[] = [
  // Codes that circulate but no RFC defines for SMTP.
  {
    code: 101,
    text: "Cannot open connection",
    standard: false,
    references: [],
    note: "Printed by some clients and tutorials when a TCP connection fails; no server sends it, since no SMTP reply exists before a connection does.",
  },
  {
    code: 111,
    text: "Connection refused",
    standard: false,
    references: [],
    note: "A client-side report of ECONNREFUSED (qmail's and others' logs); no server sends it.",
  },
  { code: 211, text: "System status, or system help reply", standard: true, references: [rfc5321] },
  {
    code: 214,
    text: "Help message",
    standard: true,
    references: [rfc5321],
    note: "Information on how to use the receiver or the meaning of a particular non-standard command; useful only to the human user.",
  },
  { code: 220, text: "Service ready", standard: true, references: [rfc5321, "RFC 3207 §4"], note: "Sent as `220 <domain> ...` for the greeting, and as the reply to STARTTLS (RFC 3207: \"Ready to start TLS\")." },
  { code: 221, text: "Service closing transmission channel", standard: true, references: [rfc5321] },
  { code: 235, text: "Authentication succeeded", standard: true, references: ["RFC 4954 §6"] },
  { code: 250, text: "Requested mail action okay, completed", standard: true, references: [rfc5321, "RFC 1985 §5"] },
  { code: 251, text: "User not local; will forward to <forward-path>", standard: true, references: [rfc5321, "RFC 1985 §5"], note: "RFC 5321 §3.4 discourages it; ETRN (RFC 1985) uses it for \"no messages waiting\"." },
  { code: 252, text: "Cannot VRFY user, but will accept message and attempt delivery", standard: true, references: [rfc5321, "RFC 5321 §3.5.3", "RFC 1985 §5"] },
  { code: 253, text: "OK, <n> pending messages for node <x> started", standard: true, references: ["RFC 1985 §5"], note: "ETRN only: the count of queued messages and the node are filled in." },
  { code: 334, text: "Server challenge", standard: true, references: ["RFC 4954 §4"], note: "The text is a base64 challenge, possibly empty." },
  { code: 354, text: "Start mail input; end with <CRLF>.<CRLF>", standard: true, references: [rfc5321] },
  {
    code: 420,
    text: "Timeout connection problem",
    standard: false,
    references: [],
    note: "Used by some appliances (and Novell GroupWise) for a timeout.",
    standardAlternative: 421,
    enhancedAlternative: "4.4.2",
  },
  { code: 421, text: "Service not available, closing transmission channel", standard: true, references: [rfc5321, "RFC 5321 §3.8"] },
  {
    code: 422,
    text: "A password transition is needed",
    standard: false,
    references: ["IANA enhanced status code registry (X.7.12)"],
    note: "Named only as a sample code of enhanced status X.7.12 in the IANA registry; RFC 4954 defines 432 for this.",
    standardAlternative: 432,
    enhancedAlternative: "4.7.12",
  },
  {
    code: 430,
    text: "Invalid command",
    standard: false,
    references: ["IANA enhanced status code registry (X.5.1)"],
    note: "Named only as a sample code of enhanced status X.5.1 in the IANA registry; no RFC defines it.",
    standardAlternative: 503,
    enhancedAlternative: "5.5.1",
  },
  {
    code: 431,
    text: "Not enough space on the disk",
    standard: false,
    references: [],
    note: "Microsoft Exchange's \"out of memory/disk\" reply.",
    standardAlternative: 452,
    enhancedAlternative: "4.3.1",
  },
  { code: 432, text: "A password transition is needed", standard: true, references: ["RFC 4954 §6"] },
  {
    code: 441,
    text: "Recipient server is not responding",
    standard: false,
    references: [],
    note: "Seen in vendor relays' logs.",
    standardAlternative: 451,
    enhancedAlternative: "4.4.1",
  },
  {
    code: 442,
    text: "Connection dropped",
    standard: false,
    references: [],
    note: "Seen in vendor relays' logs.",
    standardAlternative: 451,
    enhancedAlternative: "4.4.2",
  },
  {
    code: 446,
    text: "Maximum hop count exceeded",
    standard: false,
    references: [],
    note: "A routing loop (RFC 5321 §6.3 asks servers to detect loops but names no code); sendmail answers \"554 5.4.6 Too many hops\".",
    standardAlternative: 554,
    enhancedAlternative: "5.4.6",
  },
  {
    code: 447,
    text: "Outgoing message timed out",
    standard: false,
    references: [],
    note: "Seen in vendor relays' logs.",
    standardAlternative: 451,
    enhancedAlternative: "4.4.7",
  },
  {
    code: 449,
    text: "Routing error",
    standard: false,
    references: [],
    note: "Microsoft Exchange.",
    standardAlternative: 451,
    enhancedAlternative: "4.4.0",
  },
  { code: 450, text: "Requested mail action not taken: mailbox unavailable", standard: true, references: [rfc5321], note: "For example the mailbox is busy or temporarily blocked for policy reasons." },
  { code: 451, text: "Requested action aborted: local error in processing", standard: true, references: [rfc5321] },
  { code: 452, text: "Requested action not taken: insufficient system storage", standard: true, references: [rfc5321, "RFC 1870 §6.1"], note: "Also the reply to a RCPT over the server's recipient limit (RFC 5321 §4.5.3.1.10)." },
  {
    code: 453,
    text: "System not accepting network messages",
    standard: false,
    references: ["IANA enhanced status code registry (X.3.2)"],
    note: "Named only as a sample code of enhanced status X.3.2 in the IANA registry; no RFC defines it.",
    standardAlternative: 421,
    enhancedAlternative: "4.3.2",
  },
  { code: 454, text: "Temporary authentication failure", standard: true, references: ["RFC 4954 §6", "RFC 3207 §4"], note: "Also STARTTLS's \"TLS not available due to temporary reason\"." },
  { code: 455, text: "Server unable to accommodate parameters", standard: true, references: [rfc5321] },
  { code: 458, text: "Unable to queue messages for node", standard: true, references: ["RFC 1985 §5"], note: "ETRN only." },
  { code: 459, text: "Node not allowed", standard: true, references: ["RFC 1985 §5"], note: "ETRN only." },
  {
    code: 471,
    text: "Local mail filter error",
    standard: false,
    references: [],
    note: "Some anti-spam gateways' temporary rejection.",
    standardAlternative: 451,
    enhancedAlternative: "4.7.1",
  },
  { code: 500, text: "Syntax error, command unrecognized", standard: true, references: [rfc5321, "RFC 4954 §4"], note: "This may include errors such as command line too long (RFC 5321 §4.2.2)." },
  { code: 501, text: "Syntax error in parameters or arguments", standard: true, references: [rfc5321] },
  { code: 502, text: "Command not implemented", standard: true, references: [rfc5321] },
  { code: 503, text: "Bad sequence of commands", standard: true, references: [rfc5321] },
  { code: 504, text: "Command parameter not implemented", standard: true, references: [rfc5321, "RFC 4954 §4"] },
  {
    code: 510,
    text: "Bad email address",
    standard: false,
    references: [],
    note: "Listed in popular tutorials as \"bad address\"; no RFC defines it.",
    standardAlternative: 550,
    enhancedAlternative: "5.1.1",
  },
  {
    code: 511,
    text: "Bad email address",
    standard: false,
    references: [],
    note: "Listed in popular tutorials as \"bad address\"; no RFC defines it.",
    standardAlternative: 550,
    enhancedAlternative: "5.1.1",
  },
  {
    code: 512,
    text: "Host server for the recipient's domain name cannot be found",
    standard: false,
    references: [],
    note: "A DNS failure, listed in tutorials.",
    standardAlternative: 550,
    enhancedAlternative: "5.1.2",
  },
  {
    code: 513,
    text: "Address type is incorrect",
    standard: false,
    references: [],
    note: "Listed in tutorials for a malformed address.",
    standardAlternative: 553,
    enhancedAlternative: "5.1.3",
  },
  { code: 521, text: "Host does not accept mail", standard: true, references: ["RFC 7504 §3"], note: "Sent instead of 220 by a host that never accepts mail (RFC 7504 §3)." },
  {
    code: 523,
    text: "Encryption needed",
    standard: false,
    references: ["RFC 5248", "IANA enhanced status code registry (X.7.10)"],
    note: "Named only as a sample code of enhanced status X.7.10 in the IANA registry; no RFC defines it as a reply.",
    standardAlternative: 530,
    enhancedAlternative: "5.7.10",
  },
  {
    code: 524,
    text: "Encryption required for requested authentication mechanism",
    standard: false,
    references: ["IANA enhanced status code registry (X.7.11)"],
    note: "Named only as a sample code of enhanced status X.7.11 in the IANA registry; RFC 4954 defines 538 for this.",
    standardAlternative: 538,
    enhancedAlternative: "5.7.11",
  },
  {
    code: 525,
    text: "User account disabled",
    standard: false,
    references: ["RFC 5248", "IANA enhanced status code registry (X.7.13)"],
    note: "Named only as a sample code of enhanced status X.7.13 in the IANA registry; no RFC defines it as a reply.",
    standardAlternative: 535,
    enhancedAlternative: "5.7.13",
  },
  { code: 530, text: "Authentication required", standard: true, references: ["RFC 4954 §6", "RFC 3207 §4"], note: "Also RFC 3207's \"Must issue a STARTTLS command first\"." },
  {
    code: 533,
    text: "Delivery not authorized, message refused",
    standard: false,
    references: ["IANA enhanced status code registry (X.7.1)"],
    note: "Named only as a sample code of enhanced status X.7.1 in the IANA registry; no RFC defines it.",
    standardAlternative: 550,
    enhancedAlternative: "5.7.1",
  },
  { code: 534, text: "Authentication mechanism is too weak", standard: true, references: ["RFC 4954 §6"] },
  { code: 535, text: "Authentication credentials invalid", standard: true, references: ["RFC 4954 §6"] },
  { code: 538, text: "Encryption required for requested authentication mechanism", standard: true, references: ["RFC 4954 §6"] },
  {
    code: 541,
    text: "Message rejected by the recipient's spam filter",
    standard: false,
    references: [],
    note: "Seen from anti-spam appliances.",
    standardAlternative: 550,
    enhancedAlternative: "5.7.1",
  },
  { code: 550, text: "Requested action not taken: mailbox unavailable", standard: true, references: [rfc5321], note: "For example mailbox not found, no access, or command rejected for policy reasons." },
  { code: 551, text: "User not local; please try <forward-path>", standard: true, references: [rfc5321] },
  { code: 552, text: "Requested mail action aborted: exceeded storage allocation", standard: true, references: [rfc5321, "RFC 1870 §6.1"], note: "Also the reply to a message over the SIZE limit (RFC 1870)." },
  { code: 553, text: "Requested action not taken: mailbox name not allowed", standard: true, references: [rfc5321, "RFC 6531 §3.5"], note: "For example the mailbox syntax is incorrect; RFC 6531 uses it (with X.6.7) for a non-ASCII address the server cannot take." },
  { code: 554, text: "Transaction failed", standard: true, references: [rfc5321], note: "As a greeting: \"No SMTP service here\" (RFC 5321 §3.1)." },
  { code: 555, text: "MAIL FROM/RCPT TO parameters not recognized or not implemented", standard: true, references: [rfc5321] },
  { code: 556, text: "Domain does not accept mail", standard: true, references: ["RFC 7504 §3"] },
  {
    code: 571,
    text: "Delivery not authorized, message refused",
    standard: false,
    references: [],
    note: "Microsoft Exchange's relay/policy denial.",
    standardAlternative: 550,
    enhancedAlternative: "5.7.1",
  },
];

const byCode = new Map<number, ReplyCodeEntry>(replyCodes.map((entry) => [entry.code, entry]));

const classText: Record<ReplyClass, string> = {
  "positive-preliminary": "Positive preliminary reply (not used in SMTP)",
  "positive-completion": "Positive completion reply",
  "positive-intermediate": "Positive intermediate reply",
  "transient-negative": "Transient negative completion reply",
  "permanent-negative": "Permanent negative completion reply",
};

const categoryText: Record<ReplyCategory, string> = {
  syntax: "syntax",
  information: "information",
  connections: "connections",
  authentication: "authentication",
  unspecified: "unspecified",
  "mail-system": "mail system",
};

/**
 * Describes any three-digit reply code. Registered codes get their entry; any
 * other code is described from its digits (RFC 5321 §4.2.1), so a reply from
 * a hostile or exotic server can always be logged.
 *
 * @param code - an integer from 100 to 999
 * @returns the code's description
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * describeReply(421).text;        // "Service not available, closing transmission channel"
 * describeReply(510).standard;    // false
 * describeReply(510).standardAlternative; // 550
 * describeReply(299).registered;  // false
 * describeReply(299).text;        // "Positive completion reply (no defined category)"
 * ```
 */
export function describeReply(code: number): ReplyDescription {
  if (!isThreeDigitCode(code)) {
    throw new CodesError("invalid-reply-code", code, `A reply code has three digits (100-999), got ${String(code)}`);
  }
  const klass = replyClass(code);
  const category = replyCategory(code);
  const commands = commandsAnsweredBy(code);
  const entry = byCode.get(code);
  if (entry !== undefined) {
    return { ...entry, class: klass, category, registered: true, commands };
  }
  const text =
    klass === undefined
      ? `Not an SMTP reply: no class has first digit ${Math.floor(code / 100)}`
      : `${classText[klass]} (${category === undefined ? "no defined category" : `${categoryText[category]} category`})`;
  return { code, class: klass, category, registered: false, standard: false, text, references: [], commands };
}
