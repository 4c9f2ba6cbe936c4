/**
 * Delivery status notifications: the message an MTA sends back to the
 * reverse-path when a recipient fails, is delayed, or (when asked) was
 * delivered.
 *
 * - RFC 6522 / RFC 3464 §2: a `multipart/report; report-type=delivery-status`
 *   with a human-readable `text/plain` part, a `message/delivery-status` part
 *   (per-message fields, then one field group per recipient), and the
 *   original as `message/rfc822` or only its header as `text/rfc822-headers`.
 * - RFC 6533 §6: for an SMTPUTF8 message, `message/global-delivery-status`,
 *   `message/global` and `message/global-headers`, with UTF-8 addresses.
 * - RFC 3461 §4.3 (RET), §4.4 (ENVID → `Original-Envelope-Id`), §4.2
 *   (ORCPT → `Original-Recipient`).
 * - RFC 3834 §5: `Auto-Submitted: auto-replied`; RFC 5321 §4.5.5: it is sent
 *   with `MAIL FROM:<>` from `MAILER-DAEMON@<reporting MTA>` (the caller
 *   sends it; this module only builds the bytes).
 *
 * Pure: no clock (dates are inputs), no random source (the boundary and the
 * Message-ID come from a hash of the content and a seed), no I/O.
 *
 * What comes from the network (a remote server's reply text, its host name)
 * never throws: control characters become spaces, non-ASCII becomes `?`
 * outside SMTPUTF8, and the text is bounded. What the caller gives (addresses,
 * the reporting MTA, ENVID) is checked, and a CR, LF or NUL there throws a
 * {@link QueueUsageError}: a header cannot be injected through a DSN.
 *
 * @module
 */
import { encodeUtf8AddrXtext, formatMailbox, type DsnReturn, type Mailbox, type OriginalRecipient, type Reply } from "@smtpkit/grammar";
import type { DsnAction } from "./dsn-policy.js";
import { QueueUsageError } from "./queue-usage-error.js";

/**
 * The largest original returned whole, by default: 50 000 octets, Postfix's
 * `bounce_size_limit`. A bigger message is returned as its header only, so a
 * bounce never doubles a large message's load on the sender's mailbox.
 *
 * @example
 * ```ts
 * import { DEFAULT_DSN_MAX_RETURNED_SIZE } from "@smtpkit/queue";
 * DEFAULT_DSN_MAX_RETURNED_SIZE; // 50000
 * ```
 */
export const DEFAULT_DSN_MAX_RETURNED_SIZE = 50_000;

/**
 * The most characters of a remote server's reply kept in `Diagnostic-Code`
 * and in the human-readable text: 1000. A hostile server may answer with
 * many long lines; the report stays small.
 *
 * @example
 * ```ts
 * import { DSN_MAX_DIAGNOSTIC_LENGTH } from "@smtpkit/queue";
 * DSN_MAX_DIAGNOSTIC_LENGTH; // 1000
 * ```
 */
export const DSN_MAX_DIAGNOSTIC_LENGTH = 1000;

/**
 * The most recipient groups in one DSN: 1000, the queue's own recipient limit
 * per entry (`DEFAULT_MAX_RECIPIENTS_PER_ENTRY`).
 *
 * @example
 * ```ts
 * import { DSN_MAX_RECIPIENTS } from "@smtpkit/queue";
 * DSN_MAX_RECIPIENTS; // 1000
 * ```
 */
export const DSN_MAX_RECIPIENTS = 1000;

/** One recipient's report in a DSN (RFC 3464 §2.3). */
export interface DsnRecipientReport {
  /** The address delivery was attempted to (`Final-Recipient`, RFC 3464 §2.3.2). */
  readonly finalRecipient: Mailbox;
  /** The submitter's `ORCPT=` (`Original-Recipient`, RFC 3464 §2.3.1); omitted when none was given. */
  readonly originalRecipient?: OriginalRecipient;
  /** What happened (`Action`, RFC 3464 §2.3.3). */
  readonly action: DsnAction;
  /**
   * The enhanced status (`Status`, RFC 3464 §2.3.4), for example `"5.1.1"`.
   * Default: the reply's enhanced code, else `<reply class>.0.0`, else 5.0.0 /
   * 4.0.0 / 2.0.0 by action.
   */
  readonly status?: string;
  /** The host name of the server that answered (`Remote-MTA: dns; <it>`, RFC 3464 §2.3.5). */
  readonly remoteMta?: string;
  /** The server's reply (`Diagnostic-Code: smtp; <code> <text>`, RFC 3464 §2.3.6). */
  readonly reply?: Reply;
  /** When the last attempt was made (`Last-Attempt-Date`, RFC 3464 §2.3.7). */
  readonly lastAttemptDate?: Date;
  /** For `delayed`: when the queue gives up (`Will-Retry-Until`, RFC 3464 §2.3.8). */
  readonly willRetryUntil?: Date;
}

/** What {@link buildDeliveryStatusNotification} needs. */
export interface DeliveryStatusNotificationSpec {
  /** This MTA's host name: `Reporting-MTA: dns; <it>` and `From: MAILER-DAEMON@<it>`. */
  readonly reportingMta: string;
  /** Who gets the notification: the original message's reverse-path. */
  readonly to: Mailbox;
  /** The notification's `Date:` (the builder reads no clock). */
  readonly date: Date;
  /** When the original arrived (`Arrival-Date`, RFC 3464 §2.2.5). */
  readonly arrivalDate?: Date;
  /** The submitter's `ENVID=` (`Original-Envelope-Id`, RFC 3464 §2.2.1), decoded. */
  readonly envelopeId?: string;
  /** The submitter's `RET=` (RFC 3461 §4.3): `HDRS` returns only the header; unset or `FULL` the whole message when small enough. */
  readonly ret?: DsnReturn;
  /** Whether the original was an SMTPUTF8 transaction: the report is then a global one (RFC 6533). */
  readonly smtputf8?: boolean;
  /** The recipients to report on (at least one, at most {@link DSN_MAX_RECIPIENTS}). */
  readonly recipients: readonly DsnRecipientReport[];
  /** The original message as queued (its header alone is enough when only the header is to be returned). */
  readonly original: Uint8Array;
  /** The largest original returned whole; default {@link DEFAULT_DSN_MAX_RETURNED_SIZE}. */
  readonly maxReturnedSize?: number;
  /** Makes the boundary and Message-ID unique per notification (for example the queue entry's id and the event). */
  readonly seed?: string;
}

/** A built notification, ready to be queued with the null reverse-path `<>`. */
export interface DeliveryStatusNotification {
  /** The message bytes, CRLF line ends. */
  readonly content: Uint8Array;
  /** The `BODY=` to send it with: `8BITMIME` when a part holds 8-bit octets. */
  readonly body: "7BIT" | "8BITMIME";
  /** Whether it needs SMTPUTF8 (a global report with a UTF-8 address or header). */
  readonly smtputf8: boolean;
  /** What of the original it carries. */
  readonly returned: "full" | "headers";
}

const encoder = new TextEncoder();
const CRLF = "\r\n";

// A caller's text must not carry anything that could end a header line.
function checkCallerText(field: string, value: unknown, options: { readonly allowNonAscii: boolean; readonly allowSpace: boolean }): string {
  if (typeof value !== "string" || value.length === 0) throw new QueueUsageError("invalid-option", field, value, `${field} must be a non-empty string.`);
  if (value.length > 998) throw new QueueUsageError("invalid-option", field, value, `${field} must fit on one header line (998 octets).`);
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) throw new QueueUsageError("invalid-option", field, value, `${field} must not contain CR, LF, NUL or other control characters.`);
    if (code === 0x20 && !options.allowSpace) throw new QueueUsageError("invalid-option", field, value, `${field} must not contain spaces.`);
    if (code > 0x7e && !options.allowNonAscii) throw new QueueUsageError("invalid-option", field, value, `${field} must be ASCII (UTF-8 needs an SMTPUTF8 message).`);
  }
  return value;
}

function checkMailbox(field: string, mailbox: unknown, utf8: boolean): string {
  if (typeof mailbox !== "object" || mailbox === null) throw new QueueUsageError("invalid-option", field, mailbox, `${field} must be a mailbox.`);
  const { localPart, domain } = mailbox as { localPart?: unknown; domain?: unknown };
  if (typeof localPart !== "string" || typeof domain !== "string" || localPart.length === 0) {
    throw new QueueUsageError("invalid-option", field, mailbox, `${field} must have a local part and a domain.`);
  }
  // A quoted local part may hold a space; nothing may end the line.
  return checkCallerText(field, formatMailbox({ localPart, domain }), { allowNonAscii: utf8, allowSpace: true });
}

function checkDate(field: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new QueueUsageError("invalid-option", field, value, `${field} must be a valid Date.`);
  return value;
}

// RFC 3463 §2: class 2, 4 or 5; subject and detail 0–999 without leading zeros.
function isStatus(text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 3 || !["2", "4", "5"].includes(parts[0] ?? "")) return false;
  return parts.slice(1).every((part) => part.length >= 1 && part.length <= 3 && /^[0-9]+$/.test(part) && (part === "0" || !part.startsWith("0")));
}

function isNonAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0x7e) return true;
  return false;
}

/**
 * Text from the network, made safe for a header or a text line: controls
 * become spaces, runs of spaces collapse, non-ASCII becomes `?` unless UTF-8
 * is allowed, and at most `max` characters are kept.
 */
function sanitizeRemoteText(text: string, utf8: boolean, max: number): string {
  let out = "";
  let lastSpace = true;
  for (const character of text) {
    if (out.length >= max) break;
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) || code === 0x2028 || code === 0x2029) {
      if (!lastSpace) out += " ";
      lastSpace = true;
      continue;
    }
    if (code === 0x20) {
      if (!lastSpace) out += " ";
      lastSpace = true;
      continue;
    }
    // Lone surrogates (from a broken decoder) are not text.
    if (code >= 0xd800 && code <= 0xdfff) {
      out += "?";
    } else {
      out += code > 0x7e && !utf8 ? "?" : character;
    }
    lastSpace = false;
  }
  return out.trimEnd();
}

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (value: number): string => String(value).padStart(2, "0");

// RFC 5322 §3.3 date-time, in UTC ("+0000"), as RFC 3464 §2.2.5 asks for its date fields.
function formatDate(date: Date): string {
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * One header-style field, folded at spaces so lines stay within 78
 * characters where a space allows, and always within 998 (RFC 5322 §2.1.1).
 * A word longer than the hard limit (only remote text can hold one) is cut,
 * which adds a space to the unfolded value.
 */
function foldField(name: string, value: string): string {
  const words = value.split(" ");
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    let rest = word;
    while (rest.length > 900) {
      if (line.length > 0) lines.push(line);
      lines.push(` ${rest.slice(0, 900)}`);
      rest = rest.slice(900);
      line = "";
    }
    if (line === "") {
      line = ` ${rest}`;
    } else if (line.length + 1 + rest.length > 78 && line.trim().length > name.length + 1) {
      lines.push(line);
      line = ` ${rest}`;
    } else {
      line += ` ${rest}`;
    }
  }
  lines.push(line);
  return lines.join(CRLF) + CRLF;
}

// Human-readable text, wrapped at 76 characters at spaces.
function wrapText(text: string, indent: string): string {
  const words = text.split(" ");
  const lines: string[] = [];
  let line = indent;
  for (const word of words) {
    if (word === "") continue;
    let rest = word;
    while (indent.length + rest.length > 900) {
      if (line.trim() !== "") lines.push(line);
      lines.push(indent + rest.slice(0, 900));
      rest = rest.slice(900);
      line = indent;
    }
    if (line.trim() === "") line = indent + rest;
    else if (line.length + 1 + rest.length > 76) {
      lines.push(line);
      line = indent + rest;
    } else line += ` ${rest}`;
  }
  if (line.trim() !== "") lines.push(line);
  return lines.map((each) => each + CRLF).join("");
}

// FNV-1a, 32 bits: a cheap, deterministic mixer for boundaries and ids (not for security).
function fnv1a(hash: number, bytes: Uint8Array, step: number): number {
  let value = hash;
  for (let index = 0; index < bytes.length; index += step) {
    value ^= bytes[index] ?? 0;
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

function hashHex(parts: readonly Uint8Array[], salt: number): string {
  let first = (0x811c9dc5 ^ salt) >>> 0;
  let second = (0x12345678 ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  for (const part of parts) {
    // Long parts are sampled, so hashing stays cheap; the seed and the reports vary the rest.
    const step = part.length > 65_536 ? Math.ceil(part.length / 65_536) : 1;
    first = fnv1a(first, part, step);
    second = fnv1a(second ^ part.length, part, step);
  }
  return first.toString(16).padStart(8, "0") + second.toString(16).padStart(8, "0");
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  if (first === undefined) return true;
  let index = haystack.indexOf(first);
  while (index !== -1 && index + needle.length <= haystack.length) {
    let match = true;
    for (let offset = 1; offset < needle.length; offset += 1) {
      if (haystack[index + offset] !== needle[offset]) {
        match = false;
        break;
      }
    }
    if (match) return true;
    index = haystack.indexOf(first, index + 1);
  }
  return false;
}

/**
 * The header block of a message: up to and including the CRLF that ends its
 * last field. Without a blank line (a message cut short for reading), up to
 * its last complete line.
 */
function headerBlock(message: Uint8Array): Uint8Array {
  let index = 0;
  for (;;) {
    const lineFeed = message.indexOf(0x0a, index);
    if (lineFeed === -1) return message.subarray(0, message.lastIndexOf(0x0a) + 1);
    const next = lineFeed + 1;
    if (message[next] === 0x0a) return message.subarray(0, next);
    if (message[next] === 0x0d && message[next + 1] === 0x0a) return message.subarray(0, next);
    index = next;
  }
}

interface ContentShape {
  readonly eightBit: boolean;
  // Octets no 8BITMIME message may hold (NUL, a bare CR or LF, a line over 998).
  readonly binary: boolean;
}

function shapeOf(bytes: Uint8Array): ContentShape {
  let eightBit = false;
  let binary = false;
  let lineStart = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index] ?? 0;
    if (byte >= 0x80) eightBit = true;
    else if (byte === 0) binary = true;
    else if (byte === 0x0d) {
      if (bytes[index + 1] !== 0x0a) binary = true;
    } else if (byte === 0x0a) {
      if (index === 0 || bytes[index - 1] !== 0x0d) binary = true;
      if (index - 1 - lineStart > 998) binary = true;
      lineStart = index + 1;
    }
  }
  if (bytes.length - lineStart > 998) binary = true;
  return { eightBit, binary };
}

function diagnosticText(reply: Reply, utf8: boolean): string {
  const enhanced = reply.enhanced !== undefined && isStatus(reply.enhanced) ? `${reply.enhanced} ` : "";
  const code = Number.isInteger(reply.code) && reply.code >= 200 && reply.code <= 599 ? String(reply.code) : "500";
  const text = sanitizeRemoteText(reply.lines.join(" "), utf8, DSN_MAX_DIAGNOSTIC_LENGTH);
  return `${code} ${enhanced}${text}`.trimEnd();
}

function defaultStatus(report: DsnRecipientReport): string {
  const reply = report.reply;
  if (reply !== undefined) {
    if (reply.enhanced !== undefined && isStatus(reply.enhanced)) return reply.enhanced;
    const klass = Math.floor(reply.code / 100);
    if (klass === 2 || klass === 4 || klass === 5) return `${klass}.0.0`;
  }
  return report.action === "failed" ? "5.0.0" : report.action === "delayed" ? "4.0.0" : "2.0.0";
}

interface CheckedReport {
  readonly report: DsnRecipientReport;
  readonly finalRecipient: string;
  readonly originalRecipient: string | undefined;
  readonly status: string;
  readonly remoteMta: string | undefined;
  readonly diagnostic: string | undefined;
}

// RFC 3464 §2.3.1/§2.3.2 with RFC 6533 §3: "rfc822; addr" for ASCII, "utf-8; addr" otherwise.
function addressField(address: string, global: boolean): string {
  if (!isNonAscii(address)) return `rfc822; ${address}`;
  return global ? `utf-8; ${address}` : `utf-8; ${encodeUtf8AddrXtext(address)}`;
}

function originalRecipientField(orcpt: OriginalRecipient, index: number, global: boolean): string {
  const field = `recipients[${index}].originalRecipient`;
  if (typeof orcpt !== "object" || orcpt === null) throw new QueueUsageError("invalid-option", field, orcpt, `${field} must be { addressType, address }.`);
  const type = checkCallerText(`${field}.addressType`, orcpt.addressType, { allowNonAscii: false, allowSpace: false }).toLowerCase();
  // ORCPT comes from the submitter: it may be UTF-8 even in a message without SMTPUTF8; RFC 6533 §3 encodes it then.
  const address = checkCallerText(`${field}.address`, orcpt.address, { allowNonAscii: true, allowSpace: true });
  if (isNonAscii(address)) return global ? `utf-8; ${address}` : `utf-8; ${encodeUtf8AddrXtext(address)}`;
  return `${type}; ${address}`;
}

const actionNames: readonly string[] = ["failed", "delayed", "delivered", "relayed", "expanded"];

function checkReport(report: DsnRecipientReport, index: number, global: boolean): CheckedReport {
  const field = `recipients[${index}]`;
  if (typeof report !== "object" || report === null) throw new QueueUsageError("invalid-option", field, report, `${field} must be a recipient report.`);
  if (!actionNames.includes(report.action)) throw new QueueUsageError("invalid-option", `${field}.action`, report.action, "action must be failed, delayed, delivered, relayed or expanded.");
  const finalRecipient = checkMailbox(`${field}.finalRecipient`, report.finalRecipient, global);
  const status = report.status ?? defaultStatus(report);
  if (typeof status !== "string" || !isStatus(status)) throw new QueueUsageError("invalid-option", `${field}.status`, status, "status must be an enhanced status code such as 5.1.1 (RFC 3463).");
  if (report.lastAttemptDate !== undefined) checkDate(`${field}.lastAttemptDate`, report.lastAttemptDate);
  if (report.willRetryUntil !== undefined) checkDate(`${field}.willRetryUntil`, report.willRetryUntil);
  if (report.reply !== undefined && (typeof report.reply !== "object" || report.reply === null || !Array.isArray(report.reply.lines) || typeof report.reply.code !== "number")) {
    throw new QueueUsageError("invalid-option", `${field}.reply`, report.reply, "reply must be a parsed reply { code, enhanced?, lines }.");
  }
  // The remote host name comes from DNS: sanitized, not trusted.
  const remoteMta = report.remoteMta === undefined ? undefined : sanitizeRemoteText(String(report.remoteMta), false, 255).replaceAll(" ", "") || undefined;
  return {
    report,
    finalRecipient: addressField(finalRecipient, global),
    originalRecipient: report.originalRecipient === undefined ? undefined : originalRecipientField(report.originalRecipient, index, global),
    status,
    remoteMta,
    diagnostic: report.reply === undefined ? undefined : diagnosticText(report.reply, global),
  };
}

function subjectFor(reports: readonly CheckedReport[]): string {
  if (reports.some((each) => each.report.action === "failed")) return "Undelivered mail: your message could not be delivered";
  if (reports.some((each) => each.report.action === "delayed")) return "Delayed mail: your message is not delivered yet (still trying)";
  return "Delivery report: your message was delivered";
}

function humanText(reportingMta: string, reports: readonly CheckedReport[], returned: "full" | "headers", global: boolean): string {
  let text = `This is the mail system at ${reportingMta}.${CRLF}${CRLF}`;
  const groups: readonly (readonly [DsnAction[], string])[] = [
    [["failed"], "Your message could not be delivered to the recipients below. This is a permanent error; the mail system has given up."],
    [["delayed"], "Your message has not been delivered yet to the recipients below. The mail system keeps trying; you need not send it again."],
    [["delivered", "expanded"], "Your message was delivered to the recipients below."],
    [["relayed"], "Your message was passed on to a mail system that sends no delivery reports, for the recipients below."],
  ];
  for (const [actions, sentence] of groups) {
    const members = reports.filter((each) => actions.includes(each.report.action));
    if (members.length === 0) continue;
    text += wrapText(sentence, "") + CRLF;
    for (const member of members) {
      const address = formatMailbox(member.report.finalRecipient);
      text += wrapText(`<${global ? address : sanitizeRemoteText(address, false, 998)}>: ${member.report.action} (${member.status})`, "");
      // Without a Remote-MTA the reply is this system's own (a loop, a null MX, a message the next hop cannot take):
      // no server said it.
      if (member.diagnostic !== undefined) text += wrapText(member.remoteMta === undefined ? `reason: ${member.diagnostic}` : `${member.remoteMta} said: ${member.diagnostic}`, "    ");
      if (member.report.willRetryUntil !== undefined) text += wrapText(`Will retry until ${formatDate(member.report.willRetryUntil)}.`, "    ");
      text += CRLF;
    }
  }
  text += wrapText(
    returned === "full" ? "The delivery report and your original message are attached." : "The delivery report and the header of your original message are attached.",
    "",
  );
  return text;
}

function deliveryStatusBody(spec: DeliveryStatusNotificationSpec, reportingMta: string, envelopeId: string | undefined, reports: readonly CheckedReport[]): string {
  // RFC 3464 §2.2: the per-message fields, then a blank line before each recipient group.
  let body = foldField("Reporting-MTA", `dns; ${reportingMta}`);
  if (envelopeId !== undefined) body += foldField("Original-Envelope-Id", envelopeId);
  if (spec.arrivalDate !== undefined) body += foldField("Arrival-Date", formatDate(spec.arrivalDate));
  for (const each of reports) {
    body += CRLF;
    if (each.originalRecipient !== undefined) body += foldField("Original-Recipient", each.originalRecipient);
    body += foldField("Final-Recipient", each.finalRecipient);
    body += foldField("Action", each.report.action);
    body += foldField("Status", each.status);
    if (each.remoteMta !== undefined) body += foldField("Remote-MTA", `dns; ${each.remoteMta}`);
    if (each.diagnostic !== undefined) body += foldField("Diagnostic-Code", `smtp; ${each.diagnostic}`);
    if (each.report.lastAttemptDate !== undefined) body += foldField("Last-Attempt-Date", formatDate(each.report.lastAttemptDate));
    // RFC 3464 §2.3.8: only for delayed recipients.
    if (each.report.action === "delayed" && each.report.willRetryUntil !== undefined) body += foldField("Will-Retry-Until", formatDate(each.report.willRetryUntil));
  }
  return body;
}

/**
 * Builds a delivery status notification (RFC 3464, RFC 6522; RFC 6533 for
 * SMTPUTF8): the bytes to queue with the null reverse-path `<>` for
 * `spec.to`.
 *
 * The original is returned whole (`message/rfc822`, or `message/global`) when
 * a recipient failed, RET is not `HDRS`, it is at most `maxReturnedSize`
 * octets and it is 8BITMIME-clean; otherwise its header alone
 * (`text/rfc822-headers`, or `message/global-headers`). Delay and success
 * reports carry the header only, as RFC 3461 §4.3 applies RET to failures.
 *
 * @param spec - the reporting MTA, the recipient of the report, the recipient reports, the original
 * @returns the message bytes, the BODY and SMTPUTF8 it needs, and what was returned
 * @throws {@link QueueUsageError} (`invalid-option`) for a CR, LF, NUL or other control in a caller's field, a
 *   non-ASCII address without SMTPUTF8, a malformed status, an invalid date, no recipients; (`invalid-limit`) for a
 *   `maxReturnedSize` that is not a non-negative safe integer
 * @example
 * ```ts
 * import { buildDeliveryStatusNotification } from "@smtpkit/queue";
 * const dsn = buildDeliveryStatusNotification({
 *   reportingMta: "mta.example.com",
 *   to: { localPart: "alice", domain: "example.com" },
 *   date: new Date(),
 *   recipients: [{
 *     finalRecipient: { localPart: "bob", domain: "example.org" },
 *     action: "failed",
 *     remoteMta: "mx.example.org",
 *     reply: { code: 550, enhanced: "5.1.1", lines: ["no such user"] },
 *   }],
 *   original: new TextEncoder().encode("Subject: Hi\r\n\r\nHello\r\n"),
 * });
 * // queue dsn.content with MAIL FROM:<> to alice@example.com
 * ```
 */
export function buildDeliveryStatusNotification(spec: DeliveryStatusNotificationSpec): DeliveryStatusNotification {
  if (typeof spec !== "object" || spec === null) throw new QueueUsageError("invalid-option", "spec", spec, "buildDeliveryStatusNotification needs a spec object.");
  const global = spec.smtputf8 === true;
  const reportingMta = checkCallerText("reportingMta", spec.reportingMta, { allowNonAscii: false, allowSpace: false });
  const to = checkMailbox("to", spec.to, global);
  checkDate("date", spec.date);
  if (spec.arrivalDate !== undefined) checkDate("arrivalDate", spec.arrivalDate);
  // RFC 3464 §2.2.1: envelope-id = *text; ENVID arrives xtext-decoded, printable ASCII.
  const envelopeId = spec.envelopeId === undefined ? undefined : checkCallerText("envelopeId", spec.envelopeId, { allowNonAscii: false, allowSpace: true });
  if (spec.ret !== undefined && spec.ret !== "FULL" && spec.ret !== "HDRS") throw new QueueUsageError("invalid-option", "ret", spec.ret, "ret must be FULL or HDRS.");
  if (!(spec.original instanceof Uint8Array)) throw new QueueUsageError("invalid-option", "original", spec.original, "original must be a Uint8Array.");
  const maxReturnedSize = spec.maxReturnedSize ?? DEFAULT_DSN_MAX_RETURNED_SIZE;
  if (!Number.isSafeInteger(maxReturnedSize) || maxReturnedSize < 0) {
    throw new QueueUsageError("invalid-limit", "maxReturnedSize", maxReturnedSize, "maxReturnedSize must be a non-negative safe integer (octets).");
  }
  if (spec.seed !== undefined && typeof spec.seed !== "string") throw new QueueUsageError("invalid-option", "seed", spec.seed, "seed must be a string.");
  if (!Array.isArray(spec.recipients) || spec.recipients.length === 0) throw new QueueUsageError("invalid-option", "recipients", spec.recipients, "a DSN reports on at least one recipient.");
  if (spec.recipients.length > DSN_MAX_RECIPIENTS) throw new QueueUsageError("invalid-option", "recipients", spec.recipients.length, `a DSN reports on at most ${DSN_MAX_RECIPIENTS} recipients.`);
  const reports = spec.recipients.map((report, index) => checkReport(report, index, global));

  // RFC 3461 §4.3: RET chooses for failures; the rest return the header. Too big or not 8-bit clean: the header.
  const failed = reports.some((each) => each.report.action === "failed");
  const shape = shapeOf(spec.original);
  const returnFull = failed && spec.ret !== "HDRS" && spec.original.length <= maxReturnedSize && !shape.binary;
  const originalPart = returnFull ? spec.original : headerBlock(spec.original);
  const originalShape = returnFull ? shape : shapeOf(originalPart);
  const returned = returnFull ? "full" : "headers";

  const text = humanText(reportingMta, reports, returned, global);
  const status = deliveryStatusBody(spec, reportingMta, envelopeId, reports);
  const textBytes = encoder.encode(text);
  const statusBytes = encoder.encode(status);
  const textEightBit = isNonAscii(text);
  const statusEightBit = isNonAscii(status);
  // A header block that is not even 8BITMIME-clean (a bare CR in a field) cannot be carried as is: it is dropped.
  const originalBytes = originalShape.binary ? new Uint8Array(0) : originalPart;
  const originalEightBit = !originalShape.binary && originalShape.eightBit;

  const seedBytes = encoder.encode(`${spec.seed ?? ""}\u0000${reportingMta}\u0000${to}\u0000${spec.date.getTime()}`);
  let boundary = "";
  let delimiter = new Uint8Array(0);
  for (let salt = 0; ; salt += 1) {
    if (salt > 1000) throw new QueueUsageError("invalid-option", "seed", spec.seed, "no boundary could be found that is absent from the parts.");
    boundary = `=_dsn_${hashHex([seedBytes, statusBytes, originalBytes], salt)}`;
    delimiter = encoder.encode(`--${boundary}`);
    if (!contains(textBytes, delimiter) && !contains(statusBytes, delimiter) && !contains(originalBytes, delimiter)) break;
  }
  const messageId = `<${hashHex([seedBytes, statusBytes], 7)}.dsn@${reportingMta}>`;

  const eightBit = textEightBit || statusEightBit || originalEightBit;
  const statusType = global ? "message/global-delivery-status" : "message/delivery-status";
  const reportType = global ? "global-delivery-status" : "delivery-status";
  const originalType = returnFull ? (global ? "message/global" : "message/rfc822") : global ? "message/global-headers" : "text/rfc822-headers";

  // RFC 5321 §4.5.5 / RFC 3834 §5: from the mailer daemon, marked as an automatic reply.
  const header =
    `From: Mail Delivery System <MAILER-DAEMON@${reportingMta}>${CRLF}` +
    foldField("To", `<${to}>`) +
    foldField("Subject", subjectFor(reports)) +
    `Date: ${formatDate(spec.date)}${CRLF}` +
    `Message-ID: ${messageId}${CRLF}` +
    `Auto-Submitted: auto-replied${CRLF}` +
    `MIME-Version: 1.0${CRLF}` +
    `Content-Type: multipart/report; report-type=${reportType};${CRLF} boundary="${boundary}"${CRLF}` +
    `Content-Transfer-Encoding: ${eightBit ? "8bit" : "7bit"}${CRLF}` +
    CRLF +
    `This is a MIME-formatted delivery status notification (RFC 3464).${CRLF}` +
    CRLF;
  const textHeader =
    `--${boundary}${CRLF}Content-Description: Notification${CRLF}` +
    `Content-Type: text/plain; charset=${textEightBit ? "utf-8" : "us-ascii"}${CRLF}` +
    `Content-Transfer-Encoding: ${textEightBit ? "8bit" : "7bit"}${CRLF}${CRLF}`;
  const statusHeader =
    `${CRLF}--${boundary}${CRLF}Content-Description: Delivery report${CRLF}` +
    `Content-Type: ${statusType}${CRLF}` +
    (statusEightBit ? `Content-Transfer-Encoding: 8bit${CRLF}` : "") +
    CRLF;
  const originalHeader =
    `${CRLF}--${boundary}${CRLF}Content-Description: ${returnFull ? "Undelivered message" : "Message header"}${CRLF}` +
    `Content-Type: ${originalType}${CRLF}` +
    (originalEightBit ? `Content-Transfer-Encoding: 8bit${CRLF}` : "") +
    CRLF;
  const closing = `${CRLF}--${boundary}--${CRLF}`;

  const pieces = [encoder.encode(header + textHeader), textBytes, encoder.encode(statusHeader), statusBytes, encoder.encode(originalHeader), originalBytes, encoder.encode(closing)];
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const content = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    content.set(piece, offset);
    offset += piece.length;
  }
  return { content, body: eightBit ? "8BITMIME" : "7BIT", smtputf8: global && (isNonAscii(to) || eightBit), returned };
}
