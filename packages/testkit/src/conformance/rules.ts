/**
 * The rules the conformance runner checks, each with the RFC section that
 * states it and the sentence of that section it rests on. A finding names one
 * of these; nothing else is reported.
 *
 * What is deliberately not a rule: policy. A server may refuse any sender,
 * recipient or message (550, 551, 553, 554, 450, 451, 452 to MAIL or RCPT,
 * 554 to DATA, 530 when it wants TLS or AUTH first, 421 when it wants to stop);
 * only breaches of the protocol are findings.
 *
 * @module
 */

/** The name of a conformance rule. */
export type RuleName =
  | "reply-syntax"
  | "reply-line-ending"
  | "reply-multiline-code"
  | "reply-line-length"
  | "reply-count"
  | "reply-missing"
  | "close-without-421"
  | "enhanced-code-syntax"
  | "enhanced-code-class"
  | "enhanced-code-missing"
  | "reply-code-allowed"
  | "rcpt-before-mail"
  | "data-without-recipients"
  | "nested-mail"
  | "broken-mail-accepted"
  | "rset-reply"
  | "noop-reply"
  | "quit-reply"
  | "ehlo-keyword"
  | "size-enforced"
  | "pipelining-equivalence"
  | "dot-transparency"
  | "smtp-smuggling"
  | "starttls-injection";

/** One rule: its RFC section and the text it rests on. */
export interface Rule {
  /** The rule's name. */
  readonly name: RuleName;
  /** Where it is written, for example `"RFC 5321 §3.3"`. */
  readonly rfc: string;
  /** What a conforming server does, in one sentence. */
  readonly requirement: string;
  /**
   * The RFC's words (abridged with "..."; notes in brackets), so a finding can be judged without opening the
   * RFC. Where the requirement is spread over several sentences it is paraphrased, marked `[paraphrase]`.
   */
  readonly quote: string;
}

const rule = (name: RuleName, rfc: string, requirement: string, quote: string): Rule => Object.freeze({ name, rfc, requirement, quote });

/** Every rule, in the order reports list them. */
export const conformanceRules: readonly Rule[] = Object.freeze([
  rule(
    "reply-syntax",
    "RFC 5321 §4.2",
    "Every reply line is a three-digit code (2-5, 0-5, 0-9), then SP, \"-\" or the line end, then text without control characters.",
    'Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF; Reply-code = %x32-35 %x30-35 %x30-39',
  ),
  rule(
    "reply-line-ending",
    "RFC 5321 §2.3.8",
    "Every reply line ends with CRLF, never a bare LF.",
    "Lines consist of zero or more data characters terminated by the sequence ASCII character \"CR\" (hex value 0D) followed immediately by ASCII character \"LF\" (hex value 0A).",
  ),
  rule(
    "reply-multiline-code",
    "RFC 5321 §4.2.1",
    "Every line of a multi-line reply carries the same code.",
    "The format for multiline replies requires that every line, except the last, begin with the reply code, followed immediately by a hyphen ... The last line will begin with the reply code, followed immediately by <SP>.",
  ),
  rule(
    "reply-line-length",
    "RFC 5321 §4.5.3.1.5",
    "A reply line is at most 512 octets, code and CRLF included.",
    "The maximum total length of a reply line including the reply code and the <CRLF> is 512 octets. More information may be conveyed through multiple-line replies.",
  ),
  rule(
    "reply-count",
    "RFC 5321 §4.2",
    "Each command gets exactly one reply; the server sends nothing unasked.",
    "[paraphrase] Every command generates exactly one reply; replies come in the order of the commands (RFC 5321 §4.2, RFC 2920 §3.1).",
  ),
  rule(
    "reply-missing",
    "RFC 5321 §4.2, §4.5.3.2",
    "Each command is answered (within the runner's timeout).",
    "[paraphrase] Every command generates exactly one reply; §4.5.3.2 gives clients minutes, the runner waits `timeouts.reply` (10 s by default).",
  ),
  rule(
    "close-without-421",
    "RFC 5321 §3.8",
    "The server closes only after QUIT, or after a 421 reply.",
    "SMTP servers MUST NOT intentionally close the transmission channel until they receive and reply to a QUIT command ... [or, when forced to shut down, after a 421 reply].",
  ),
  rule(
    "enhanced-code-syntax",
    "RFC 3463 §2",
    "An enhanced status code is class.subject.detail: class 2, 4 or 5, subject and detail 1-3 digits.",
    'status-code = class "." subject "." detail; class = "2"/"4"/"5"; subject = 1*3digit; detail = 1*3digit',
  ),
  rule(
    "enhanced-code-class",
    "RFC 3463 §2, RFC 2034 §4",
    "The enhanced code's class is the first digit of the basic code.",
    "[paraphrase] The class sub-code gives the same success, transient or permanent meaning as the first digit of the basic reply code (2, 4, 5).",
  ),
  rule(
    "enhanced-code-missing",
    "RFC 2034 §4",
    "With ENHANCEDSTATUSCODES advertised, every 2yz, 4yz and 5yz reply after EHLO starts with an enhanced code.",
    "[paraphrase] A server offering the extension prefaces the text of its replies with an enhanced status code (the greeting and the replies to HELO and EHLO excepted). \"When responses are continued across multiple lines the same status code must appear at the beginning of the text in each line of the response. Servers supporting this extension must attach enhanced status codes to their responses regardless of whether or not EHLO is employed by the client.\"",
  ),
  rule(
    "reply-code-allowed",
    "RFC 5321 §4.3.2",
    "Each command gets only the replies its row of §4.3.2 lists (policy refusals to MAIL, RCPT and DATA included).",
    "The following are the reply codes ... for each command ... listed as S (success), I (intermediate) and E (error).",
  ),
  rule(
    "rcpt-before-mail",
    "RFC 5321 §3.3",
    "RCPT without a MAIL transaction gets 503.",
    'If RCPT appears without a previous MAIL command, the server MUST return a 503 "Bad sequence of commands" response.',
  ),
  rule(
    "data-without-recipients",
    "RFC 5321 §3.3",
    "DATA with no accepted recipient gets 503 or 554, never 354.",
    'If there was no MAIL, or no RCPT, command, or all such commands were rejected, the server MAY return a "command out of sequence" (503) or "no valid recipients" (554) reply in response to the DATA command.',
  ),
  rule(
    "nested-mail",
    "RFC 5321 §4.1.4, §4.1.1.2",
    "MAIL inside a transaction is refused (503).",
    "Once started, a mail transaction consists of a transaction beginning command, one or more RCPT commands, and a DATA command, in that order.",
  ),
  rule(
    "broken-mail-accepted",
    "RFC 5321 §4.1.1.2, §4.1.1.11",
    "A MAIL command whose syntax is broken, or with a parameter the server does not know, is never answered 250.",
    'mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF ... If the server SMTP does not recognize or cannot implement one or more of the parameters ... it will return code 555.',
  ),
  rule(
    "rset-reply",
    "RFC 5321 §4.1.1.5",
    "RSET gets 250.",
    'The receiver MUST send a "250 OK" reply to a RSET command with no arguments.',
  ),
  rule(
    "noop-reply",
    "RFC 5321 §4.1.1.9",
    "NOOP gets 250.",
    'This command does not affect any parameters or previously entered commands. It specifies no action other than that the receiver send a "250 OK" reply.',
  ),
  rule(
    "quit-reply",
    "RFC 5321 §4.1.1.10",
    "QUIT gets 221, then the server closes.",
    'The receiver MUST send a "221 OK" reply, and then close the transmission channel.',
  ),
  rule(
    "ehlo-keyword",
    "RFC 5321 §4.1.1.1",
    "Every EHLO line after the first is a keyword of letters, digits and hyphens starting with a letter or digit, then parameters of printable characters.",
    'ehlo-line = ehlo-keyword *( SP ehlo-param ); ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); ehlo-param = 1*(%d33-126)',
  ),
  rule(
    "size-enforced",
    "RFC 1870 §6",
    "A MAIL declaring more than the advertised SIZE, or a message longer than it, is not answered 250.",
    "[paraphrase] A declared SIZE over the advertised fixed maximum is refused at MAIL (552); a message that turns out larger than the maximum is refused after its content (552).",
  ),
  rule(
    "pipelining-equivalence",
    "RFC 2920 §3",
    "With PIPELINING advertised, a group of commands sent at once gets the same replies as the same commands sent one by one.",
    "[paraphrase] With PIPELINING the client sends a group of commands without waiting; the server answers each, in order, as it would have answered it alone.",
  ),
  rule(
    "dot-transparency",
    "RFC 5321 §4.5.2",
    "The message stored equals the message sent: dot-stuffing is undone exactly once.",
    "When a line of mail text is received by the SMTP server, it checks the line. If the line is composed of a single period, it is treated as the end of mail indicator. If the first character is a period and there are other characters on the line, the first character is deleted.",
  ),
  rule(
    "smtp-smuggling",
    "RFC 5321 §4.1.1.4, §2.3.8",
    "Only <CRLF>.<CRLF> ends the message content; bare LF or CR look-alikes never do.",
    'The mail data are terminated by a line containing only a period, that is, the character sequence "<CRLF>.<CRLF>" ... CR and LF MUST only occur together as CRLF.',
  ),
  rule(
    "starttls-injection",
    "RFC 3207 §4.2",
    "Commands sent in the clear after STARTTLS are discarded, never answered inside TLS (CVE-2011-0411 class).",
    "Upon completion of the TLS handshake, the SMTP protocol is reset to the initial state ... The server MUST discard any knowledge obtained from the client ... which was not obtained from the TLS negotiation itself. [A command sent in the clear is such knowledge.]",
  ),
]);

const byName = new Map(conformanceRules.map((entry) => [entry.name, entry]));

/**
 * The rule of that name.
 *
 * @param name - a rule name
 * @returns the rule
 * @example
 * ```ts
 * ruleByName("rcpt-before-mail").rfc; // "RFC 5321 §3.3"
 * ```
 */
export function ruleByName(name: RuleName): Rule {
  return byName.get(name) as Rule;
}
