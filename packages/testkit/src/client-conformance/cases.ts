/**
 * The client conformance cases: one misbehaviour of a server each, what it
 * does, and which rule a client must keep when it meets it. The scripted
 * server (`scripted-server.ts`) plays them; the judge (`judge.ts`) applies
 * the rules to what it saw.
 *
 * @module
 */

/** The name of a client conformance case. */
export type ClientCaseId =
  | "baseline"
  | "greeting-421"
  | "greeting-554"
  | "ehlo-refused"
  | "starttls-not-offered"
  | "starttls-refused-454"
  | "starttls-refused-501"
  | "starttls-refused-502"
  | "starttls-refused-503"
  | "starttls-refused-554"
  | "starttls-injection"
  | "multiline-mixed-codes"
  | "multiline-unterminated-close"
  | "wrong-class-354-to-mail"
  | "wrong-class-250-to-data"
  | "replies-byte-by-byte"
  | "reply-line-enormous"
  | "reply-lines-endless"
  | "close-mid-data"
  | "service-closing-421"
  | "never-answers";

/** What a case is, for people: its name, what the server does, and what a client must do. */
export interface ClientCase {
  /** The case's name. */
  readonly id: ClientCaseId;
  /** What the scripted server does wrong (or right, for `baseline`). */
  readonly misbehaviour: string;
  /** What a client that keeps to the RFCs does. */
  readonly expected: string;
  /** Where the rule is written. */
  readonly rfc: string;
}

/**
 * Every case, in the order the scripted server plays them: connection 1
 * gets the first case, connection 2 the second, and so on.
 *
 * @example
 * ```ts
 * import { CLIENT_CONFORMANCE_CASES } from "@smtpkit/testkit";
 * CLIENT_CONFORMANCE_CASES.map((c) => c.id); // ["baseline", "greeting-421", ...]
 * ```
 */
export const CLIENT_CONFORMANCE_CASES: readonly ClientCase[] = Object.freeze([
  {
    id: "baseline",
    misbehaviour: "none: a plain, well-behaved server (STARTTLS, AUTH PLAIN LOGIN and 8BITMIME offered; no PIPELINING)",
    expected: "delivers the message and ends with QUIT or a close; without this the other verdicts mean little",
    rfc: "RFC 5321 §3.3",
  },
  {
    id: "greeting-421",
    misbehaviour: "greets with 421 (service not available) and keeps the connection open",
    expected: "sends no MAIL, RCPT, DATA or AUTH; QUITs or closes",
    rfc: "RFC 5321 §3.8, §4.2.3",
  },
  {
    id: "greeting-554",
    misbehaviour: "greets with 554 (no SMTP service here) and answers 503 to anything but QUIT",
    expected: "sends no MAIL, RCPT, DATA or AUTH; QUITs or closes",
    rfc: "RFC 5321 §3.1",
  },
  {
    id: "ehlo-refused",
    misbehaviour: "answers EHLO with 502; HELO works (and then no extension is offered, not even STARTTLS)",
    expected: "falls back to HELO or gives up; after HELO uses no extension (no SIZE=, BODY=, AUTH, STARTTLS); a client requiring TLS sends no MAIL",
    rfc: "RFC 5321 §4.1.1.1, §2.2.1; RFC 3207 §4",
  },
  {
    id: "starttls-not-offered",
    misbehaviour: "leaves STARTTLS out of the EHLO reply (as an attacker stripping it would)",
    expected: "a client requiring TLS sends no MAIL, RCPT, DATA or AUTH, and QUITs or closes",
    rfc: "RFC 3207 §4, §6",
  },
  ...([454, 501, 502, 503, 554] as const).map((code) => ({
    id: `starttls-refused-${code}` as ClientCaseId,
    misbehaviour: `answers STARTTLS with ${code}`,
    expected: "a client requiring TLS sends no MAIL, RCPT, DATA or AUTH in clear text, and QUITs or closes",
    rfc: "RFC 3207 §4, §4.1",
  })),
  {
    id: "starttls-injection",
    misbehaviour: 'answers STARTTLS with "220 Ready to start TLS\\r\\n250 injected\\r\\n" in one write, then does the handshake and holds the answer to the first command inside TLS back for a moment',
    expected: "never treats the injected 250 as the answer to a command inside TLS: either gives up, or starts TLS and waits for the real answer to its first command (EHLO)",
    rfc: "RFC 3207 §4.1, §4.2 (CVE-2011-1430 class)",
  },
  {
    id: "multiline-mixed-codes",
    misbehaviour: 'answers every RCPT with "250-Recipient ok\\r\\n550 No such user here\\r\\n" (a multi-line reply whose lines carry different codes)',
    expected: "does not take the garbled reply as acceptance: sends no DATA, does not report the message sent",
    rfc: "RFC 5321 §4.2.1",
  },
  {
    id: "multiline-unterminated-close",
    misbehaviour: 'answers MAIL with "250-Sender ok, and more to say\\r\\n" (no last line) and closes the connection',
    expected: "reports a failure and returns, without hanging",
    rfc: "RFC 5321 §4.2.1, §3.8",
  },
  {
    id: "wrong-class-354-to-mail",
    misbehaviour: "answers MAIL with 354 (a reply MAIL never gets)",
    expected: "does not take the 354 as acceptance: sends no DATA or content in that transaction",
    rfc: "RFC 5321 §4.3.2, §4.2.1",
  },
  {
    id: "wrong-class-250-to-data",
    misbehaviour: "answers DATA with 250 instead of 354",
    expected: "sends no message content (content goes only after a 354), does not report the message sent",
    rfc: "RFC 5321 §4.1.1.4, §4.3.2",
  },
  {
    id: "replies-byte-by-byte",
    misbehaviour: "writes every reply one octet at a time",
    expected: "delivers the message as in baseline: how TCP splits a reply must not matter",
    rfc: "RFC 5321 §4.2, §2.3.8",
  },
  {
    id: "reply-line-enormous",
    misbehaviour: "answers EHLO with one reply line that never ends (megabytes without CRLF)",
    expected: "bounds the line (RFC 5321 allows 512 octets), gives up and closes before the server has sent it all",
    rfc: "RFC 5321 §4.5.3.1.5",
  },
  {
    id: "reply-lines-endless",
    misbehaviour: 'answers EHLO with a multi-line reply whose "250-" lines never stop',
    expected: "bounds the number of lines, gives up and closes before the server has sent them all",
    rfc: "RFC 5321 §4.2.1, §4.5.3.1",
  },
  {
    id: "close-mid-data",
    misbehaviour: "closes the connection as soon as the first octets of message content arrive",
    expected: "reports a failure (the message was not accepted) and returns",
    rfc: "RFC 5321 §3.8, §6.1",
  },
  {
    id: "service-closing-421",
    misbehaviour: "answers RCPT with 421 and keeps the connection open for a moment before closing it",
    expected: "sends no DATA or content after the 421, does not report the message sent",
    rfc: "RFC 5321 §3.8, §4.2.3",
  },
  {
    id: "never-answers",
    misbehaviour: "greets, then never answers anything",
    expected: "times out and closes (RFC 5321 suggests 5 minutes for most replies: configure your client lower, or raise the silent-case timeout)",
    rfc: "RFC 5321 §4.5.3.2",
  },
] satisfies ClientCase[]);

/** Every case id, in play order. */
export const CLIENT_CASE_IDS: readonly ClientCaseId[] = Object.freeze(CLIENT_CONFORMANCE_CASES.map((c) => c.id));

/** The case with this id (internal: ids are checked before). */
export function caseById(id: ClientCaseId): ClientCase {
  return CLIENT_CONFORMANCE_CASES.find((c) => c.id === id) as ClientCase;
}
