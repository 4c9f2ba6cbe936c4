/**
 * Trace header fields written at delivery: `Received:` (RFC 5321 §4.4, with
 * the `with` protocol types of RFC 3848 and RFC 6531) and `Return-Path:`
 * (RFC 5321 §4.4, added only at final delivery).
 *
 * Pure: time is an input (a `Date` and a zone offset), nothing is read from
 * the clock, the host or the network. Every field that reaches a header is
 * checked: a control character anywhere (CR, LF and NUL above all, the header
 * injection characters; also DEL, C1 controls and U+2028/U+2029) gives a
 * typed error result, never a header. The
 * output is folded at clause boundaries so that lines stay within 78
 * characters where the clauses allow, and never exceed 998 (RFC 5322 §2.1.1).
 *
 * Does not: decide which protocol name applies to a session (the caller
 * says, with {@link receivedProtocol}), look up reverse DNS, or parse
 * existing trace headers.
 *
 * @module
 */
import { ServerUsageError } from "./server-usage-error.js";

/** Why a trace header could not be written. */
export type TraceHeaderErrorReason =
  /** A control character in a field: C0 (CR, LF, NUL, TAB…), DEL, C1, or U+2028/U+2029. */
  | "control-character"
  /** The field is empty where a value is required. */
  | "empty"
  /** The field is longer than its limit. */
  | "too-long"
  /** The field does not have the syntax the header needs (for example an `id` that is not an atom). */
  | "invalid-syntax"
  /** Non-ASCII text where the protocol is not a UTF8 one (RFC 6531 §3.7.3: only SMTPUTF8 messages carry UTF-8 headers). */
  | "non-ascii";

/** A field that could not go into a trace header, and why. Plain data, never thrown. */
export interface TraceHeaderError {
  /** Always `"trace-header-error"`. */
  readonly type: "trace-header-error";
  /** The input field at fault, for example `"from.helo"`. */
  readonly field: string;
  /** What was wrong with it. */
  readonly reason: TraceHeaderErrorReason;
}

/** The result of formatting a trace header: the header (ending in CRLF) or why not. */
export type TraceHeaderResult =
  | { readonly ok: true; readonly header: string }
  | { readonly ok: false; readonly error: TraceHeaderError };

/**
 * The `with` protocol names registered for the `Received:` header (IANA "Mail
 * Transmission Types": RFC 3848 and RFC 6531 §3.7.3).
 */
export const ReceivedProtocols = [
  "SMTP",
  "ESMTP",
  "ESMTPA",
  "ESMTPS",
  "ESMTPSA",
  "LMTP",
  "LMTPA",
  "LMTPS",
  "LMTPSA",
  "UTF8SMTP",
  "UTF8SMTPA",
  "UTF8SMTPS",
  "UTF8SMTPSA",
  "UTF8LMTP",
  "UTF8LMTPA",
  "UTF8LMTPS",
  "UTF8LMTPSA",
] as const;

/** One of {@link ReceivedProtocols}. */
export type ReceivedProtocol = (typeof ReceivedProtocols)[number];

/** What a session negotiated, to pick the registered `with` name. */
export interface ReceivedProtocolFacts {
  /** LMTP (RFC 2033) rather than SMTP. */
  readonly lmtp?: boolean;
  /** The client greeted with EHLO (or LHLO) rather than HELO. */
  readonly extended: boolean;
  /** The transaction ran under TLS (STARTTLS or implicit TLS). */
  readonly tls: boolean;
  /** The client authenticated with AUTH (RFC 4954). */
  readonly authenticated: boolean;
  /** The transaction used SMTPUTF8 (RFC 6531). */
  readonly utf8: boolean;
}

/**
 * Picks the registered `with` name for a session: RFC 3848 adds `A` for AUTH
 * and `S` for TLS (`ESMTPSA`); RFC 6531 §3.7.3 prefixes `UTF8` when the
 * transaction used SMTPUTF8; LMTP has its own names.
 *
 * HELO sessions are `SMTP`; a HELO session cannot carry AUTH, STARTTLS or
 * SMTPUTF8 (they are EHLO extensions), so those flags without `extended`
 * still give the extended names, since the facts win over the greeting.
 *
 * @param facts - what the session negotiated
 * @returns the protocol name for the `with` clause
 * @example
 * ```ts
 * receivedProtocol({ extended: true, tls: true, authenticated: true, utf8: false }); // "ESMTPSA"
 * receivedProtocol({ extended: false, tls: false, authenticated: false, utf8: false }); // "SMTP"
 * receivedProtocol({ lmtp: true, extended: true, tls: false, authenticated: false, utf8: false }); // "LMTP"
 * ```
 */
export function receivedProtocol(facts: ReceivedProtocolFacts): ReceivedProtocol {
  const suffix = `${facts.tls ? "S" : ""}${facts.authenticated ? "A" : ""}`;
  // RFC 3848 §2 orders the letters "SA" (ESMTPSA), so TLS comes first.
  if (facts.lmtp === true) return `${facts.utf8 ? "UTF8" : ""}LMTP${suffix}` as ReceivedProtocol;
  if (facts.utf8) return `UTF8SMTP${suffix}` as ReceivedProtocol;
  if (!facts.extended && suffix === "") return "SMTP";
  return `ESMTP${suffix}` as ReceivedProtocol;
}

/** TLS facts for the comment in the `Received:` header, as Postfix writes them. */
export interface ReceivedTls {
  /** The protocol version, for example `"TLSv1.3"`. */
  readonly protocol: string;
  /** The cipher suite, for example `"TLS_AES_256_GCM_SHA384"`. */
  readonly cipher: string;
  /** The cipher's strength in bits, when known. */
  readonly bits?: number;
}

/** Everything a `Received:` header says. Time is an input. */
export interface ReceivedOptions {
  /** Where the message came from. */
  readonly from: {
    /** The EHLO/HELO argument as the client sent it. */
    readonly helo: string;
    /**
     * The client's IP address (IPv4 dotted quad or IPv6 text). Absent when it
     * is not known (a trusted front end's XCLIENT or XFORWARD said
     * `[UNAVAILABLE]`): the clause then names no address literal.
     */
    readonly address?: string;
    /** The verified reverse-DNS name of the address, if any. */
    readonly reverseName?: string;
  };
  /** This server's host name (the `by` clause). */
  readonly by: string;
  /** A comment after the `by` domain, typically the software name; default `"smtpkit"`. */
  readonly software?: string;
  /** The `via` link (RFC 5321 §4.4: `"TCP"` or a registered link); omitted when absent. */
  readonly via?: string;
  /** The `with` protocol (see {@link receivedProtocol}). */
  readonly protocol: ReceivedProtocol;
  /** The queue or message id (an atom), for the `id` clause. */
  readonly id?: string;
  /**
   * The recipient for the `for` clause, as a mailbox (`user@example.org`).
   * Give it only for a single-recipient delivery: RFC 5321 §7.6 warns that
   * the clause discloses recipients, so with several recipients leave it out
   * (as Postfix does).
   */
  readonly for?: string;
  /** TLS facts, written as a comment between the `from` and `by` clauses. */
  readonly tls?: ReceivedTls;
  /** When the message was received. */
  readonly time: Date;
  /** The zone offset from UTC in minutes (east positive) for the date; default 0 (`+0000`). */
  readonly timeZoneOffsetMinutes?: number;
}

/** The longest a header line may be, without its CRLF (RFC 5322 §2.1.1 "MUST"). */
export const MAX_HEADER_LINE_LENGTH = 998;
/** The length header lines should stay within, without CRLF (RFC 5322 §2.1.1 "SHOULD"). */
export const PREFERRED_HEADER_LINE_LENGTH = 78;

// RFC 5321 §4.5.3.1.2: a domain is at most 255 octets; §4.5.3.1.3: a path at most 256.
const maxDomainLength = 255;
const maxPathLength = 256;
// Nothing in the RFCs bounds ids, software names or TLS names; these bounds keep
// every clause, and so every folded line, far below 998.
const maxAtomLength = 128;
const maxCommentLength = 200;

const encoder = new TextEncoder();
function byteLength(text: string): number {
  return encoder.encode(text).length;
}

function failure(field: string, reason: TraceHeaderErrorReason): TraceHeaderResult {
  return { ok: false, error: { type: "trace-header-error", field, reason } };
}

// No control character in any field: CR, LF and NUL would inject header
// lines or end the string early, TAB would fold where we did not; C1
// controls (NEL above all) and U+2028/U+2029 are line breaks to some readers.
function findControl(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

function hasNonAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0x7e) return true;
  return false;
}

function checkText(field: string, text: string, maximum: number, asciiOnly: boolean): TraceHeaderResult | undefined {
  if (text.length === 0) return failure(field, "empty");
  if (findControl(text)) return failure(field, "control-character");
  if (byteLength(text) > maximum) return failure(field, "too-long");
  if (asciiOnly && hasNonAscii(text)) return failure(field, "non-ascii");
  return undefined;
}

// RFC 5321 §4.1.2: Mailbox = Local-part "@" ( Domain / address-literal ),
// where a Quoted-string local part may hold "<", ">" and "@" (qtextSMTP is
// %d32-33 / %d35-91 / %d93-126). So the brackets that would end the path
// early are refused only outside quotes, and the "@" that separates the
// domain must be outside them too. One pass, no regular expression.
function isMailboxText(text: string): boolean {
  let quoted = false;
  let atOutsideQuotes = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (quoted) {
      if (code === 0x5c) {
        // quoted-pairSMTP: a backslash takes the next character; none left is an open quote.
        index += 1;
        if (index >= text.length) return false;
      } else if (code === 0x22) {
        quoted = false;
      }
    } else if (code === 0x22) {
      quoted = true;
    } else if (code === 0x3c || code === 0x3e) {
      return false;
    } else if (code === 0x40) {
      atOutsideQuotes = true;
    }
  }
  return !quoted && atOutsideQuotes;
}

// Peer text in a 7-bit header: anything beyond ASCII becomes "?".
function asciiText(text: string): string {
  let out = "";
  for (const character of text) out += (character.codePointAt(0) ?? 0) > 0x7e ? "?" : character;
  return out;
}

// RFC 5322 §3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"; RFC 6532 §3.2
// adds UTF-8 non-ASCII. Checked by a loop over a lookup string.
const atextSpecials = "!#$%&'*+-/=?^_`{|}~";
function isAtext(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code >= 0x80 ||
    atextSpecials.includes(String.fromCharCode(code))
  );
}

function isAtom(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    if (!isAtext(text.charCodeAt(index))) return false;
  }
  return text.length > 0;
}

// A token that can stand as an Extended-Domain without quoting: letters,
// digits, "-", ".", "_" (seen in real HELOs), non-ASCII (U-labels under
// SMTPUTF8), or an address literal "[...]" of printable non-special characters.
function isDomainToken(text: string): boolean {
  if (text.startsWith("[") && text.endsWith("]") && text.length > 2) {
    for (let index = 1; index < text.length - 1; index += 1) {
      const code = text.charCodeAt(index);
      if (!(isAsciiAlphanumeric(code) || code === 0x2e || code === 0x3a || code === 0x2d)) return false;
    }
    return true;
  }
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (!(isAsciiAlphanumeric(code) || code === 0x2d || code === 0x2e || code === 0x5f || code >= 0x80)) return false;
  }
  return text.length > 0;
}

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

// RFC 5321 §4.1.3 address literals: "[" IPv4 "]" or "[IPv6:" IPv6 "]". The
// address itself is checked for its alphabet only (hex digits, ".", ":"); the
// socket layer gives it, and the alphabet is what keeps the header safe.
function addressLiteral(address: string): string | undefined {
  if (address.length === 0 || address.length > 45) return undefined;
  let colon = false;
  for (let index = 0; index < address.length; index += 1) {
    const code = address.charCodeAt(index);
    const hex = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
    if (code === 0x3a) colon = true;
    else if (!hex && code !== 0x2e) return undefined;
  }
  return colon ? `[IPv6:${address}]` : `[${address}]`;
}

// RFC 5322 §3.2.2: in a comment, "(", ")" and "\" are written as quoted-pairs.
function commentText(text: string): string {
  let out = "";
  for (const character of text) {
    out += character === "(" || character === ")" || character === "\\" ? `\\${character}` : character;
  }
  return out;
}

const dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * Formats a time as an RFC 5322 §3.3 `date-time`, in the given zone.
 *
 * @param time - the instant
 * @param timeZoneOffsetMinutes - the zone's offset from UTC in minutes, east positive (default 0)
 * @returns for example `"Sun, 29 Nov 2026 13:16:55 +0000"`
 * @throws {@link ServerUsageError} (`invalid-time`) when `time` is not a valid date or the offset is not an integer within ±23:59
 * @example
 * ```ts
 * formatDateTime(new Date(Date.UTC(2026, 10, 29, 13, 16, 55)));          // "Sun, 29 Nov 2026 13:16:55 +0000"
 * formatDateTime(new Date(Date.UTC(2026, 10, 29, 13, 16, 55)), 60);      // "Sun, 29 Nov 2026 14:16:55 +0100"
 * ```
 */
export function formatDateTime(time: Date, timeZoneOffsetMinutes = 0): string {
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) {
    throw new ServerUsageError("invalid-time", "time", time, "time must be a valid Date");
  }
  if (!Number.isInteger(timeZoneOffsetMinutes) || Math.abs(timeZoneOffsetMinutes) > 23 * 60 + 59) {
    throw new ServerUsageError(
      "invalid-time",
      "timeZoneOffsetMinutes",
      timeZoneOffsetMinutes,
      "timeZoneOffsetMinutes must be an integer from -1439 to 1439",
    );
  }
  const local = new Date(time.getTime() + timeZoneOffsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  if (year < 1900 || year > 9999) {
    // RFC 5322 §3.3: year = 4*DIGIT, and 1900 or later.
    throw new ServerUsageError("invalid-time", "time", time, "time must fall in the years 1900 to 9999");
  }
  const sign = timeZoneOffsetMinutes < 0 ? "-" : "+";
  const offset = Math.abs(timeZoneOffsetMinutes);
  // RFC 5322 §3.3: date-time = [ day-of-week "," ] date time; zone = ("+" / "-") 4DIGIT
  return (
    `${dayNames[local.getUTCDay()]}, ${local.getUTCDate()} ${monthNames[local.getUTCMonth()]} ${year} ` +
    `${twoDigits(local.getUTCHours())}:${twoDigits(local.getUTCMinutes())}:${twoDigits(local.getUTCSeconds())} ` +
    `${sign}${twoDigits(Math.floor(offset / 60))}${twoDigits(offset % 60)}`
  );
}

// Folds clauses into header lines: a clause goes on the current line when it
// fits within 78 columns, else on a new line starting with a TAB (RFC 5322
// §2.2.3 folding). A clause longer than 78 stands alone on its line.
function fold(name: string, clauses: readonly string[]): TraceHeaderResult {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const clause of clauses) {
    if (line.length + 1 + clause.length <= PREFERRED_HEADER_LINE_LENGTH || line.endsWith(":")) {
      line += ` ${clause}`;
    } else {
      lines.push(line);
      line = `\t${clause}`;
    }
  }
  lines.push(line);
  for (const folded of lines) {
    if (byteLength(folded) > MAX_HEADER_LINE_LENGTH) return failure(name, "too-long");
  }
  return { ok: true, header: `${lines.join("\r\n")}\r\n` };
}

/**
 * Formats the `Received:` header a server prepends when it accepts a message
 * (RFC 5321 §4.4):
 *
 * ```
 * Received: from client.example (mail.client.example [192.0.2.1])
 * 	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256 bits))
 * 	by mx.example.org (smtpkit) with ESMTPS id 1A2B3C for <bob@example.org>;
 * 	Sun, 29 Nov 2026 13:16:55 +0000
 * ```
 *
 * The `from` clause carries the EHLO name, then a comment with the verified
 * reverse name and the address literal (RFC 5321 §4.4 TCP-info). An EHLO
 * name that cannot stand as a domain (spaces, parentheses…) is not dropped:
 * the address literal takes its place and the name goes, escaped, into the
 * comment as `helo=...`, so the header stays parseable and truthful.
 *
 * @param options - the facts and the time
 * @returns `{ ok: true, header }` with the folded header ending in CRLF, or `{ ok: false, error }` naming the field at fault
 * @throws {@link ServerUsageError} when `options.time` is not a valid date (the time is the program's, not the peer's)
 * @example
 * ```ts
 * const result = formatReceived({
 *   from: { helo: "client.example", address: "192.0.2.1" },
 *   by: "mx.example.org",
 *   protocol: "ESMTP",
 *   id: "1A2B3C",
 *   for: "bob@example.org",
 *   time: new Date(Date.UTC(2026, 10, 29, 13, 16, 55)),
 * });
 * if (result.ok) result.header.startsWith("Received: from client.example ([192.0.2.1])"); // true
 * ```
 */
export function formatReceived(options: ReceivedOptions): TraceHeaderResult {
  const { from } = options;
  const date = formatDateTime(options.time, options.timeZoneOffsetMinutes ?? 0);
  // Only the UTF8 protocol types carry UTF-8 headers (RFC 6531 §3.7.3, RFC 6532).
  const asciiOnly = !options.protocol.startsWith("UTF8");

  // An empty or odd EHLO name is the peer's doing and still gets a header;
  // control characters and absurd lengths do not.
  if (findControl(from.helo)) return failure("from.helo", "control-character");
  if (byteLength(from.helo) > maxDomainLength) return failure("from.helo", "too-long");
  const literal = from.address === undefined ? undefined : addressLiteral(from.address);
  if (from.address !== undefined && literal === undefined) return failure("from.address", findControl(from.address) ? "control-character" : "invalid-syntax");

  let reverse = "";
  if (from.reverseName !== undefined) {
    const problem = checkText("from.reverseName", from.reverseName, maxDomainLength, asciiOnly);
    if (problem !== undefined) return problem;
    if (!isDomainToken(from.reverseName)) return failure("from.reverseName", "invalid-syntax");
    reverse = `${from.reverseName} `;
  }

  // RFC 5321 §4.4: From-domain = "FROM" FWS Extended-Domain, and
  // Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" ) / ( address-literal FWS "(" TCP-info ")" )
  // Without a known address there is no TCP-info literal: the bare Domain form, with the name as a comment.
  const clauses: string[] = [];
  const tcpInfo = literal === undefined ? reverse.trimEnd() : `${reverse}${literal}`;
  if (from.helo.length > 0 && isDomainToken(from.helo) && !(asciiOnly && hasNonAscii(from.helo))) {
    clauses.push(tcpInfo.length > 0 ? `from ${from.helo} (${tcpInfo})` : `from ${from.helo}`);
  } else {
    const shown = asciiOnly ? asciiText(from.helo) : from.helo;
    const helo = from.helo.length === 0 ? "" : ` helo=${commentText(shown)}`;
    const comment = `${tcpInfo}${helo}`.trim();
    clauses.push(`from ${literal ?? "unknown"}${comment.length > 0 ? ` (${comment})` : ""}`);
  }

  if (options.tls !== undefined) {
    const { tls } = options;
    const protocolProblem = checkText("tls.protocol", tls.protocol, maxAtomLength, asciiOnly);
    if (protocolProblem !== undefined) return protocolProblem;
    const cipherProblem = checkText("tls.cipher", tls.cipher, maxAtomLength, asciiOnly);
    if (cipherProblem !== undefined) return cipherProblem;
    if (tls.bits !== undefined && (!Number.isSafeInteger(tls.bits) || tls.bits < 0)) {
      return failure("tls.bits", "invalid-syntax");
    }
    const bits = tls.bits === undefined ? "" : ` (${tls.bits} bits)`;
    clauses.push(`(using ${commentText(tls.protocol)} with cipher ${commentText(tls.cipher)}${bits})`);
  }

  // By-domain = CFWS "BY" FWS Extended-Domain
  const byProblem = checkText("by", options.by, maxDomainLength, asciiOnly);
  if (byProblem !== undefined) return byProblem;
  if (!isDomainToken(options.by)) return failure("by", "invalid-syntax");
  const software = options.software ?? "smtpkit";
  if (software.length > 0) {
    const problem = checkText("software", software, maxCommentLength, asciiOnly);
    if (problem !== undefined) return problem;
    clauses.push(`by ${options.by} (${commentText(software)})`);
  } else {
    clauses.push(`by ${options.by}`);
  }

  // Opt-info = [Via] [With] [ID] [For] [Additional-Registered-Clauses]
  if (options.via !== undefined) {
    const problem = checkText("via", options.via, maxAtomLength, asciiOnly);
    if (problem !== undefined) return problem;
    if (!isAtom(options.via)) return failure("via", "invalid-syntax");
    clauses.push(`via ${options.via}`);
  }
  if (!(ReceivedProtocols as readonly string[]).includes(options.protocol)) return failure("protocol", "invalid-syntax");
  clauses.push(`with ${options.protocol}`);
  if (options.id !== undefined) {
    // ID = CFWS "ID" FWS ( Atom / msg-id )
    const problem = checkText("id", options.id, maxAtomLength, asciiOnly);
    if (problem !== undefined) return problem;
    if (!isAtom(options.id)) return failure("id", "invalid-syntax");
    clauses.push(`id ${options.id}`);
  }
  if (options.for !== undefined) {
    // For = CFWS "FOR" FWS ( Path / Mailbox ); written as a Path, "<" Mailbox ">".
    const problem = checkText("for", options.for, maxPathLength - 2, asciiOnly);
    if (problem !== undefined) return problem;
    if (!isMailboxText(options.for)) return failure("for", "invalid-syntax");
    clauses.push(`for <${options.for}>`);
  }
  // Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
  const last = clauses.length - 1;
  clauses[last] = `${clauses[last] ?? ""};`;
  clauses.push(date);
  return fold("Received", clauses);
}

/**
 * Formats the `Return-Path:` header that the final delivery agent adds
 * (RFC 5321 §4.4: "When the delivery SMTP server makes the final delivery of
 * a message, it inserts a return-path line at the beginning of the mail
 * data"), holding the reverse-path of MAIL FROM.
 *
 * @param reversePath - the MAIL FROM address without angle brackets, or `""` for the null reverse-path
 * @returns `{ ok: true, header }` (`Return-Path: <...>` and CRLF), or `{ ok: false, error }`
 * @example
 * ```ts
 * formatReturnPath("alice@example.org"); // { ok: true, header: "Return-Path: <alice@example.org>\r\n" }
 * formatReturnPath("");                  // { ok: true, header: "Return-Path: <>\r\n" }
 * formatReturnPath("a\r\nBcc: x@y").ok;  // false
 * ```
 */
export function formatReturnPath(reversePath: string): TraceHeaderResult {
  if (reversePath.length === 0) return { ok: true, header: "Return-Path: <>\r\n" };
  const problem = checkText("reversePath", reversePath, maxPathLength - 2, false);
  if (problem !== undefined) return problem;
  // RFC 5321 §4.4: Return-path-line = "Return-Path:" FWS Reverse-path <CRLF>
  if (!isMailboxText(reversePath)) return failure("reversePath", "invalid-syntax");
  return { ok: true, header: `Return-Path: <${reversePath}>\r\n` };
}
