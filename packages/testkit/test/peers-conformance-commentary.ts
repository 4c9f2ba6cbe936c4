// Hand-written commentary of the conformance pages (docs/conformance/<peer>.md):
// for each peer and each rule it breaks, the verdict after examination, the
// RFC's text in full and what the deviation means in practice. The harness
// merges it with the transcripts of a real run.
import type { RuleName } from "@smtpkit/testkit";

/** Hand-written commentary of one finding (or, under `intro`, of the page). */
export interface Commentary {
  /** "true deviation", or a short qualified verdict. */
  readonly verdict?: string;
  /** The RFC's words in full (the runner's quote is shorter). */
  readonly rfcText?: string;
  /** What it means for people who run or talk to this server. */
  readonly practice: string;
  /**
   * Text the finding's summary or transcript must contain for this commentary to apply (the test checks it,
   * so a finding that changes its evidence, say another broken MAIL line, cannot keep a stale explanation).
   */
  readonly shows?: string;
}

const RFC5321_LINE_END =
  'RFC 5321 §2.3.8: "Lines consist of zero or more data characters terminated by the sequence ASCII character "CR" ' +
  '(hex value 0D) followed immediately by ASCII character "LF" (hex value 0A). This termination sequence is denoted ' +
  'as <CRLF> in this document. Conforming implementations MUST NOT recognize or generate any other character or ' +
  'character sequence as a line terminator."\n' +
  'RFC 5321 §4.1.1.4: "The mail data are terminated by a line containing only a period, that is, the character ' +
  'sequence "<CRLF>.<CRLF>", where the first <CRLF> is actually the terminator of the previous line."';

const MAIL_SYNTAX =
  'RFC 5321 §4.1.1.2: mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF\n' +
  "RFC 5321 §4.1.2: Reverse-path = Path / \"<>\" ; Path = \"<\" [ A-d-l \":\" ] Mailbox \">\"\n" +
  'RFC 5321 §4.2.3 (reply codes): "501 Syntax error in parameters or arguments"';

const UNKNOWN_PARAMETER =
  'RFC 5321 §4.1.1.11: "If the server SMTP does not recognize or cannot implement one or more of the parameters ' +
  'associated with a particular MAIL FROM or RCPT TO command, it will return code 555."';

const CLOSE_RULE =
  'RFC 5321 §3.8: "An SMTP server MUST NOT intentionally close the connection under normal operational ' +
  'circumstances (see Section 7.8) except: After receiving a QUIT command and responding with a 221 reply. After ' +
  'detecting the need to shut down the SMTP service and returning a 421 response code. [...] After a timeout [...] ' +
  'occurs waiting for the client to send a command or data. In particular, a server that closes connections in ' +
  'response to commands that are not understood is in violation of this specification. Servers are expected to be ' +
  'tolerant of unknown commands, issuing a 500 reply and awaiting further instructions from the client."';

/** Per peer id (see peers-conformance-harness.ts), per rule: the examined findings. */
export const commentary: Readonly<Record<string, Partial<Record<RuleName | "intro", Commentary>>>> = {
  "smtpkit-server": {
    intro: {
      practice:
        "The issue's bar for this project's own server is zero findings, with every probe run (STARTTLS injection " +
        "included, hence the certificate) and every accepted message read back from the Maildir and compared with " +
        "what was sent.",
    },
  },
  "postfix-default": {
    intro: {
      practice:
        "Every finding on Postfix was examined before it was recorded: it is either a true RFC deviation (below, with " +
        "the RFC's words) or a bug of the runner, reported to and fixed by the runner's author. None of the latter is " +
        "left.",
    },
    "smtp-smuggling": {
      shows: "the smuggled NOOP",
      verdict: "true deviation (CVE-2023-51764)",
      rfcText: RFC5321_LINE_END,
      practice:
        "Postfix 3.7 with its defaults takes a bare LF for a line end inside DATA, so `<LF>.<LF>` ends the message " +
        "(the summary lists every look-alike it accepted). Whatever follows is read as commands. When an outbound " +
        "server passes such a sequence through unchanged, one message submitted there arrives here as two: the " +
        "second with an envelope and headers of the sender's choosing, but from the outbound server's IP address, " +
        "so it passes SPF for that server's domain (the \"SMTP smuggling\" attack of December 2023). Postfix's fix is " +
        "`smtpd_forbid_bare_newline = reject` (or `normalize`) with `smtpd_forbid_bare_newline_exclusions` emptied, " +
        "as the strict profile does; later Postfix releases turn it on by default. The smuggled `NOOP` here is " +
        "harmless; it shows that a command would have run.",
    },
  },
  "postfix-strict": {
    intro: {
      practice:
        "Strict means the settings a careful operator turns on to make Postfix 3.7 hold to the letter of RFC 5321 " +
        "where its defaults are lenient for old clients: the SMTP-smuggling defences, and `strict_rfc821_envelopes` " +
        "(without it, Postfix answers `MAIL FROM:user@example.test`, without angle brackets, with 250; the runner " +
        "sends that line only with `strictSyntax: true`, not in these runs). The MIME checks only add policy refusals, which are never findings. With " +
        "these settings the runner finds nothing.",
    },
  },
  aiosmtpd: {
    "reply-code-allowed": {
      shows: "C: HELP\\r\\n\nS: 250 Supported commands:",
      verdict: "true deviation, harmless",
      rfcText:
        'RFC 5321 §4.3.2 (command-reply sequences): "HELP  S: 211, 214  E: 502, 504"\n' +
        'RFC 5321 §4.2.3: "211 System status, or system help reply" ; "214 Help message"',
      practice:
        "aiosmtpd answers HELP with `250 Supported commands: ...` instead of 214. No mail client acts on HELP, so " +
        "mail flows the same; only a tool that reads HELP by its code (a monitoring probe, a test) would be " +
        "misled. There is no handler hook for HELP: only a subclass of aiosmtpd's `SMTP` class that overrides " +
        "`smtp_HELP` can change it.",
    },
    "broken-mail-accepted": {
      shows: "C: MAIL FROM:<conformance@example.test\\r\\n\nS: 250 ",
      verdict: "true deviation (lenient parser)",
      rfcText: MAIL_SYNTAX,
      practice:
        "aiosmtpd accepts a MAIL command whose path lacks the closing `>`: it parses the path with Python's " +
        "e-mail header parser (`get_angle_addr`), which notes the missing bracket as a defect and returns the " +
        "address anyway (a path without any brackets goes through `get_addr_spec` and is accepted too). " +
        "A conforming client never sends this, so the leniency only hides a client's bug; but a server " +
        "in front of or behind it that parses the same line strictly will disagree about the sender, which is the " +
        "raw material of parser-differential tricks. A handler's `handle_MAIL` gets the address already parsed, " +
        "so it cannot tell that the line was broken.",
    },
  },
  "smtp-server": {
    "broken-mail-accepted": {
      shows: "XSMTPKIT-NO-SUCH-PARAMETER=1\\r\\n\nS: 250 ",
      verdict: "true deviation",
      rfcText: UNKNOWN_PARAMETER,
      practice:
        "smtp-server accepts MAIL parameters it does not know and hands them to the application " +
        "(`session.envelope.mailFrom.args`) instead of answering 555. A client asking for an extension the server " +
        "never advertised (a delivery-by deadline, REQUIRETLS, a priority) is told 250 and believes the request " +
        "was understood, while it is silently dropped. Conforming clients only use advertised extensions, so the " +
        "harm needs a careless client; an application can refuse unknown `args` itself in `onMailFrom`.",
    },
  },
  exim: {
    "broken-mail-accepted": {
      shows: "SIZE=x\\r\\n\nS: 250 ",
      verdict: "true deviation (lenient parser)",
      rfcText:
        'RFC 1870 §6 (the SIZE parameter): "size-value ::= 1*20DIGIT"\n' + MAIL_SYNTAX,
      practice:
        "Exim answers 250 to a SIZE parameter whose value is not a number (Postfix answers `501 5.5.4 Bad message " +
        "size syntax`). The declared size is then simply not used for the early refusal SIZE exists for; the " +
        "message is still measured against `message_size_limit` as it arrives, so nothing oversized gets in. The " +
        "leniency only hides a client's bug.",
    },
    "close-without-421": {
      shows: "500 Too many unrecognized commands\\r\\n",
      verdict: "true deviation (anti-abuse close, see below)",
      rfcText: CLOSE_RULE,
      practice:
        "Exim counts unrecognized commands per connection (`smtp_max_unknown_commands`, 3 by default; syntax " +
        "and protocol errors have their own counter, `smtp_max_synprot_errors`, also 3). The next one gets " +
        "`500 Too many unrecognized commands` and the connection is closed, without a 421. That is the case " +
        "§3.8 names outright: closing \"in response to commands that are not understood\". It is a deliberate " +
        "defence against clients that probe or flood a server with junk, the situation §7.8 discusses, and only " +
        "a client that has already sent several bad commands meets it. Such a client sees a 5yz reply and then " +
        "a dropped connection, which §3.8 tells it to treat like a 451, a temporary failure. Raising the limit " +
        "moves the point at which it happens; a 421 reply before the close would be conforming.",
    },
  },
};
