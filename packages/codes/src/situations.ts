/**
 * The catalogue of situations an SMTP server (or LMTP server, or a client
 * reporting on a delivery) answers in, each with its canonical basic code,
 * enhanced status code and text. Every later smtpkit package takes its reply
 * text from here, so one place decides what "bad sequence" or "relay denied"
 * looks like on the wire.
 *
 * Texts are plain ASCII without CR or LF. Replies that carry a domain first
 * (220, 221, 421: RFC 5321 §4.2) get it from the server, not from here.
 * Enhanced codes follow RFC 2034 §3: every reply carries one except the
 * greeting, the EHLO/HELO/LHLO reply and 3yz intermediate replies.
 *
 * @module
 */

import { CodesError } from "./codes-error.js";
import { parseEnhancedStatus } from "./enhanced-status.js";

/** One canonical reply. */
export interface Situation {
  /** The situation's name, equal to its key in {@link Situations}. */
  readonly name: string;
  /** The basic reply code. */
  readonly code: number;
  /** The enhanced status code (RFC 3463), or `undefined` where RFC 2034 omits it. */
  readonly enhanced: string | undefined;
  /** The reply text after the codes. */
  readonly text: string;
  /** Where the choice of code comes from. */
  readonly reference: string;
  /** Why this code and not another, where that is not obvious. */
  readonly note?: string;
}

function situation<Name extends string>(
  name: Name,
  code: number,
  enhanced: string | undefined,
  text: string,
  reference: string,
  note?: string,
): Situation & { readonly name: Name } {
  return note === undefined ? { name, code, enhanced, text, reference } : { name, code, enhanced, text, reference, note };
}

/**
 * Every situation, by name. Use the name in code (`Situations.BadSequence`)
 * and the fields on the wire.
 *
 * @example
 * ```ts
 * import { Situations } from "@smtpkit/codes";
 * const { code, enhanced, text } = Situations.BadSequence;
 * `${code} ${enhanced} ${text}`; // "503 5.5.1 Bad sequence of commands"
 * ```
 */
export const Situations = {
  // --- Connection and greeting ---------------------------------------------
  Greeting: situation("Greeting", 220, undefined, "ESMTP Service ready", "RFC 5321 §4.2, §3.1", "Sent after the server's domain; RFC 2034 §3 puts no enhanced code on the greeting."),
  ConnectionRefused: situation("ConnectionRefused", 554, undefined, "No SMTP service here", "RFC 5321 §3.1", "The server then waits for QUIT and answers 503 to everything else."),
  HostDoesNotAcceptMail: situation("HostDoesNotAcceptMail", 521, undefined, "Host does not accept mail", "RFC 7504 §3"),
  ServiceClosing: situation("ServiceClosing", 421, "4.4.2", "Service not available, closing transmission channel", "RFC 5321 §3.8, RFC 3463 §3.5"),
  ShuttingDown: situation("ShuttingDown", 421, "4.3.2", "Service shutting down, closing transmission channel", "RFC 5321 §3.8, RFC 3463 §3.4"),
  Timeout: situation("Timeout", 421, "4.4.2", "Timeout exceeded, closing transmission channel", "RFC 5321 §4.5.3.2, RFC 3463 §3.5"),
  TooManyErrors: situation("TooManyErrors", 421, "4.7.0", "Too many errors, closing transmission channel", "RFC 5321 §3.8", "Like Postfix's smtpd_hard_error_limit."),
  TooManyConnections: situation("TooManyConnections", 421, "4.7.0", "Too many connections, try again later", "RFC 5321 §3.8"),
  RateLimited: situation("RateLimited", 421, "4.7.0", "Rate limit exceeded, try again later", "RFC 5321 §3.8"),
  UnauthorizedPipelining: situation("UnauthorizedPipelining", 554, "5.5.0", "Improper use of SMTP command pipelining", "RFC 2920 §3.1", "The client sent commands before the greeting or without PIPELINING; answered as Postfix's smtpd_forbid_unauth_pipelining does."),
  Closing: situation("Closing", 221, "2.0.0", "Service closing transmission channel", "RFC 5321 §4.1.1.10"),

  // --- Positive replies ------------------------------------------------------
  Ok: situation("Ok", 250, "2.0.0", "OK", "RFC 5321 §4.2.2"),
  HelloOk: situation("HelloOk", 250, undefined, "Hello", "RFC 5321 §4.1.1.1", "Sent after the server's domain; RFC 2034 §3 puts no enhanced code on the EHLO/HELO reply."),
  SenderOk: situation("SenderOk", 250, "2.1.0", "Sender OK", "RFC 5321 §4.1.1.2, RFC 3463 §3.2"),
  RecipientOk: situation("RecipientOk", 250, "2.1.5", "Recipient OK", "RFC 5321 §4.1.1.3, RFC 3463 §3.2"),
  UserNotLocalWillForward: situation("UserNotLocalWillForward", 251, "2.1.5", "User not local; will forward", "RFC 5321 §3.4"),
  StartMailInput: situation("StartMailInput", 354, undefined, "Start mail input; end with <CRLF>.<CRLF>", "RFC 5321 §4.1.1.4"),
  MessageAccepted: situation("MessageAccepted", 250, "2.0.0", "Message accepted for delivery", "RFC 5321 §4.1.1.4, §6.1", "Sent only once the message is stored: from here the server is responsible for it."),
  ChunkAccepted: situation("ChunkAccepted", 250, "2.0.0", "Chunk received", "RFC 3030 §2"),
  ResetOk: situation("ResetOk", 250, "2.0.0", "Reset OK", "RFC 5321 §4.1.1.5"),
  NoopOk: situation("NoopOk", 250, "2.0.0", "OK", "RFC 5321 §4.1.1.9"),
  CannotVerify: situation("CannotVerify", 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery", "RFC 5321 §3.5.3"),
  HelpMessage: situation("HelpMessage", 214, "2.0.0", "See RFC 5321", "RFC 5321 §4.1.1.8"),
  StartTlsReady: situation("StartTlsReady", 220, "2.0.0", "Ready to start TLS", "RFC 3207 §4"),
  AuthContinue: situation("AuthContinue", 334, undefined, "", "RFC 4954 §4", "The text is the base64 challenge."),
  AuthSucceeded: situation("AuthSucceeded", 235, "2.7.0", "Authentication successful", "RFC 4954 §6"),
  EtrnStarted: situation("EtrnStarted", 250, "2.0.0", "Queuing started", "RFC 1985 §5"),
  PriorityChanged: situation("PriorityChanged", 250, "2.3.6", "Requested priority was changed", "RFC 6710 §5"),

  // --- Syntax and sequence ---------------------------------------------------
  CommandUnrecognized: situation("CommandUnrecognized", 500, "5.5.2", "Command unrecognized", "RFC 5321 §4.2.2, RFC 3463 §3.6"),
  LineTooLong: situation("LineTooLong", 500, "5.5.2", "Line too long", "RFC 5321 §4.2.2, §4.5.3.1.4, §4.5.3.1.9", "RFC 5321 §4.2.2 puts an over-long command line under 500 and §4.5.3.1.9 gives \"500 Line too long\" as its example; X.5.6 is registered (RFC 4954) only for an AUTH response over the mechanism's buffer (see AuthLineTooLong)."),
  AuthLineTooLong: situation("AuthLineTooLong", 500, "5.5.6", "Authentication exchange line is too long", "RFC 4954 §4"),
  SyntaxError: situation("SyntaxError", 501, "5.5.4", "Syntax error in parameters or arguments", "RFC 5321 §4.2.2, RFC 3463 §3.6"),
  InvalidSenderSyntax: situation("InvalidSenderSyntax", 501, "5.1.7", "Bad sender address syntax", "RFC 5321 §4.1.1.2, RFC 3463 §3.2"),
  InvalidRecipientSyntax: situation("InvalidRecipientSyntax", 501, "5.1.3", "Bad recipient address syntax", "RFC 5321 §4.1.1.3, RFC 3463 §3.2"),
  InvalidDomainSyntax: situation("InvalidDomainSyntax", 501, "5.5.4", "Invalid domain name", "RFC 5321 §4.1.1.1"),
  BareLineEnding: situation("BareLineEnding", 550, "5.5.2", "Bare CR or LF received; lines must end with CRLF", "RFC 5321 §2.3.8, §4.1.1.4", "Refused after reading on to the real end of data, so the connection stays in sync (as Postfix's smtpd_forbid_bare_newline)."),
  NulInData: situation("NulInData", 550, "5.6.0", "NUL octets are not allowed in messages", "RFC 5322 §2.3, RFC 6152 §2", "RFC 5322 §2.3 forbids NUL in messages; only BINARYMIME (RFC 3030) carries it."),
  CommandNotImplemented: situation("CommandNotImplemented", 502, "5.5.1", "Command not implemented", "RFC 5321 §4.2.2, RFC 3463 §3.6"),
  BadSequence: situation("BadSequence", 503, "5.5.1", "Bad sequence of commands", "RFC 5321 §4.1.4, RFC 3463 §3.6"),
  NeedHello: situation("NeedHello", 503, "5.5.1", "Send EHLO or HELO first", "RFC 5321 §4.1.4"),
  NeedMail: situation("NeedMail", 503, "5.5.1", "Need MAIL command first", "RFC 5321 §4.1.4"),
  NeedRecipient: situation("NeedRecipient", 503, "5.5.1", "Need RCPT command first", "RFC 5321 §4.1.4"),
  NestedMail: situation("NestedMail", 503, "5.5.1", "Sender already specified", "RFC 5321 §4.1.4"),
  NoValidRecipients: situation("NoValidRecipients", 554, "5.5.1", "No valid recipients", "RFC 5321 §3.3, RFC 2920 §3.1"),
  ParameterNotImplemented: situation("ParameterNotImplemented", 504, "5.5.4", "Command parameter not implemented", "RFC 5321 §4.2.2"),
  ParametersNotRecognized: situation("ParametersNotRecognized", 555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented", "RFC 5321 §4.1.1.11"),
  ParametersNotAccommodated: situation("ParametersNotAccommodated", 455, "4.5.4", "Server unable to accommodate parameters", "RFC 5321 §4.2.2"),
  PathTooLong: situation("PathTooLong", 501, "5.5.4", "Path too long", "RFC 5321 §4.5.3.1.3, §4.5.3.1.9", "RFC 5321 §4.5.3.1.9 gives \"501 Path too long\" as its example for a path over 256 octets."),
  DuplicateParameter: situation("DuplicateParameter", 501, "5.5.4", "Duplicate parameter", "RFC 5321 §4.1.2"),
  DataAfterBdat: situation("DataAfterBdat", 503, "5.5.1", "DATA cannot follow BDAT in one transaction", "RFC 3030 §3"),
  BinaryMimeNeedsBdat: situation("BinaryMimeNeedsBdat", 503, "5.5.1", "BODY=BINARYMIME requires BDAT", "RFC 3030 §3"),
  BdatSizeMismatch: situation("BdatSizeMismatch", 501, "5.5.4", "Invalid BDAT chunk size", "RFC 3030 §2"),

  // --- Recipients, senders, mailboxes ----------------------------------------
  TooManyRecipients: situation("TooManyRecipients", 452, "4.5.3", "Too many recipients", "RFC 5321 §4.5.3.1.10, RFC 3463 §3.6", "RFC 5321 §4.5.3.1.8: a server buffers at least 100 recipients; refusing fewer is a violation."),
  MailboxUnavailable: situation("MailboxUnavailable", 550, "5.1.1", "Mailbox unavailable", "RFC 5321 §4.2.2, RFC 3463 §3.2"),
  MailboxBusy: situation("MailboxBusy", 450, "4.2.0", "Mailbox temporarily unavailable", "RFC 5321 §4.2.2, RFC 3463 §3.3"),
  MailboxDisabled: situation("MailboxDisabled", 550, "5.2.1", "Mailbox disabled, not accepting messages", "RFC 3463 §3.3"),
  MailboxFull: situation("MailboxFull", 552, "5.2.2", "Mailbox full", "RFC 3463 §3.3"),
  MailboxFullTemporary: situation("MailboxFullTemporary", 452, "4.2.2", "Mailbox full, try again later", "RFC 3463 §3.3"),
  MailboxNameNotAllowed: situation("MailboxNameNotAllowed", 553, "5.1.3", "Mailbox name not allowed", "RFC 5321 §4.2.2"),
  BadDestinationSystem: situation("BadDestinationSystem", 550, "5.1.2", "Bad destination system address", "RFC 3463 §3.2"),
  UserNotLocal: situation("UserNotLocal", 551, "5.1.6", "User not local", "RFC 5321 §3.4"),
  RelayDenied: situation("RelayDenied", 550, "5.7.1", "Relay access denied", "RFC 5321 §3.6.2, §4.3.2, RFC 3463 §3.8", "RFC 5321 §3.6.2: a relay that declines an address for policy reasons SHOULD answer 550, and §4.3.2 lists 550, not 554, for RCPT. Postfix's default is 554 5.7.1, which clients treat alike."),
  SenderRejected: situation("SenderRejected", 550, "5.7.1", "Sender address rejected", "RFC 5321 §4.2.2, RFC 3463 §3.8"),
  SenderDomainNullMx: situation("SenderDomainNullMx", 550, "5.7.27", "Sender address has null MX", "RFC 7505 §4.2"),
  RecipientDomainNullMx: situation("RecipientDomainNullMx", 556, "5.1.10", "Recipient address has null MX", "RFC 7505 §4.1, RFC 7504"),
  DomainDoesNotAcceptMail: situation("DomainDoesNotAcceptMail", 556, "5.1.10", "Domain does not accept mail", "RFC 7504 §3"),
  RecipientUnverified: situation("RecipientUnverified", 450, "4.1.1", "Recipient address could not be verified, try again later", "RFC 5321 §4.2.2, RFC 3463 §3.2", "Like Postfix's unverified_recipient_reject_code; the IANA registry pairs X.1.1 with 451 as well as 550."),
  SenderDomainUnknown: situation("SenderDomainUnknown", 550, "5.1.8", "Sender address rejected: domain not found", "RFC 5321 §4.2.2, RFC 3463 §3.2", "The sender's domain has no address or MX: replies could not be delivered."),
  SenderDomainTemporaryFailure: situation("SenderDomainTemporaryFailure", 451, "4.1.8", "Sender domain could not be checked, try again later", "RFC 3463 §3.2", "The IANA registry pairs X.1.8 with 451."),
  SpfFailed: situation("SpfFailed", 550, "5.7.23", "SPF validation failed", "RFC 7208 §8.4, RFC 7372 §3.2"),
  SpfTemporaryError: situation("SpfTemporaryError", 451, "4.7.24", "SPF validation error, try again later", "RFC 7208 §8.6, RFC 7372 §3.2"),
  ReverseDnsFailed: situation("ReverseDnsFailed", 550, "5.7.25", "Reverse DNS validation failed", "RFC 7372 §3.3"),
  AuthenticationChecksFailed: situation("AuthenticationChecksFailed", 550, "5.7.26", "Multiple authentication checks failed", "RFC 7372 §3.3", "For example SPF and DKIM both failing under a DMARC-style policy."),
  MailFloodDetected: situation("MailFloodDetected", 450, "4.7.28", "Too many similar messages, try again later", "IANA registry X.7.28 (draft-levine-mailbomb-header)"),
  Greylisted: situation("Greylisted", 450, "4.7.1", "Greylisted, try again later", "RFC 6647 §2", "A 4yz after RCPT or DATA, as RFC 6647 describes."),
  PolicyRejected: situation("PolicyRejected", 550, "5.7.1", "Message refused by policy", "RFC 5321 §4.3.2, RFC 3463 §3.8"),
  PolicyDeferred: situation("PolicyDeferred", 450, "4.7.1", "Message deferred by policy, try again later", "RFC 5321 §4.3.2, RFC 3463 §3.8"),
  SmtpUtf8Required: situation("SmtpUtf8Required", 553, "5.6.7", "Non-ASCII address requires SMTPUTF8", "RFC 6531 §3.5"),
  SmtpUtf8HeadersNotTransferable: situation("SmtpUtf8HeadersNotTransferable", 550, "5.6.9", "UTF-8 header message cannot be transferred", "RFC 6531 §3.2"),
  RequireTlsNotSupported: situation("RequireTlsNotSupported", 550, "5.7.30", "REQUIRETLS support required", "RFC 8689 §5"),
  RequireTlsWithoutTls: situation("RequireTlsWithoutTls", 530, "5.7.10", "REQUIRETLS needs a TLS connection", "RFC 8689 §2, RFC 3207 §4, RFC 5248", "RFC 8689 names no reply for MAIL FROM ... REQUIRETLS on a clear connection; 530 is RFC 3207's \"STARTTLS first\" and X.7.10 is \"Encryption needed\"."),
  PriorityTooLow: situation("PriorityTooLow", 450, "4.7.15", "Priority level is too low", "RFC 6710 §5"),
  MailboxOwnerChanged: situation("MailboxOwnerChanged", 550, "5.7.17", "Mailbox owner has changed", "RFC 7293 §3"),

  // --- Size and storage ------------------------------------------------------
  MessageTooBig: situation("MessageTooBig", 552, "5.3.4", "Message size exceeds fixed maximum message size", "RFC 1870 §6.1, RFC 3463 §3.4"),
  MessageTooBigForMailbox: situation("MessageTooBigForMailbox", 552, "5.2.3", "Message length exceeds the recipient's limit", "RFC 3463 §3.3", "A per-mailbox limit below the system-wide one (that is MessageTooBig, X.3.4)."),
  MessageTooBigForNow: situation("MessageTooBigForNow", 452, "4.3.1", "Insufficient system storage for a message of that size", "RFC 1870 §6.1"),
  InsufficientStorage: situation("InsufficientStorage", 452, "4.3.1", "Insufficient system storage", "RFC 5321 §4.2.2, RFC 3463 §3.4"),
  LocalError: situation("LocalError", 451, "4.3.0", "Requested action aborted: local error in processing", "RFC 5321 §4.2.2, RFC 3463 §3.4"),
  StorageFailed: situation("StorageFailed", 451, "4.3.0", "Message could not be stored, try again later", "RFC 5321 §6.1", "Never 250 when the message is not safely stored."),
  TransactionFailed: situation("TransactionFailed", 554, "5.0.0", "Transaction failed", "RFC 5321 §4.2.2"),
  ContentRejected: situation("ContentRejected", 554, "5.6.0", "Message content rejected", "RFC 5321 §4.3.2, RFC 3463 §3.7"),
  EightBitNotSupported: situation("EightBitNotSupported", 554, "5.6.3", "8-bit content requires 8BITMIME", "RFC 6152 §3, RFC 3463 §3.7"),
  RoutingLoop: situation("RoutingLoop", 554, "5.4.6", "Routing loop detected", "RFC 5321 §6.3, RFC 3463 §3.5"),
  DnsTemporaryFailure: situation("DnsTemporaryFailure", 451, "4.4.3", "Temporary DNS failure looking up the destination", "RFC 5321 §5.1, RFC 3463 §3.5", "A resolver failure other than NXDOMAIN: queue and retry."),
  UnableToRoute: situation("UnableToRoute", 550, "5.4.4", "Unable to route: no usable mail exchanger", "RFC 5321 §5.1, RFC 3463 §3.5", "MX hosts exist but none has a usable address."),

  // --- TLS and authentication ------------------------------------------------
  StartTlsFirst: situation("StartTlsFirst", 530, "5.7.0", "Must issue a STARTTLS command first", "RFC 3207 §4"),
  TlsNotAvailable: situation("TlsNotAvailable", 454, "4.7.0", "TLS not available due to temporary reason", "RFC 3207 §4"),
  TlsAlreadyActive: situation("TlsAlreadyActive", 503, "5.5.1", "TLS already active", "RFC 3207 §4.2"),
  StartTlsSyntax: situation("StartTlsSyntax", 501, "5.5.4", "STARTTLS takes no parameters", "RFC 3207 §4"),
  AuthRequired: situation("AuthRequired", 530, "5.7.0", "Authentication required", "RFC 4954 §6"),
  AuthMechanismUnsupported: situation("AuthMechanismUnsupported", 504, "5.5.4", "Unrecognized authentication type", "RFC 4954 §4"),
  AuthAlreadyDone: situation("AuthAlreadyDone", 503, "5.5.1", "Already authenticated", "RFC 4954 §4"),
  AuthInTransaction: situation("AuthInTransaction", 503, "5.5.1", "AUTH not permitted during a mail transaction", "RFC 4954 §4"),
  AuthCancelled: situation("AuthCancelled", 501, "5.7.0", "Authentication cancelled", "RFC 4954 §4"),
  AuthResponseInvalid: situation("AuthResponseInvalid", 501, "5.5.2", "Cannot decode response", "RFC 4954 §4"),
  AuthInvalidCredentials: situation("AuthInvalidCredentials", 535, "5.7.8", "Authentication credentials invalid", "RFC 4954 §6"),
  AuthTooWeak: situation("AuthTooWeak", 534, "5.7.9", "Authentication mechanism is too weak", "RFC 4954 §6"),
  AuthNeedsEncryption: situation("AuthNeedsEncryption", 538, "5.7.11", "Encryption required for requested authentication mechanism", "RFC 4954 §6"),
  AuthTemporaryFailure: situation("AuthTemporaryFailure", 454, "4.7.0", "Temporary authentication failure", "RFC 4954 §6"),
  AuthPasswordTransition: situation("AuthPasswordTransition", 432, "4.7.12", "A password transition is needed", "RFC 4954 §6"),
  AuthTooManyFailures: situation("AuthTooManyFailures", 421, "4.7.0", "Too many authentication failures", "RFC 5321 §3.8, RFC 4954 §4"),
  AuthAccountDisabled: situation("AuthAccountDisabled", 535, "5.7.13", "User account disabled", "RFC 5248 §2.4", "X.7.13's registered sample code is 525, which no RFC defines as a reply; 535 is AUTH's failure reply."),
  AuthorizationIdentityRefused: situation("AuthorizationIdentityRefused", 535, "5.7.8", "Not authorized to act as that identity", "RFC 4954 §4, RFC 4616 §2"),

  // --- Other commands --------------------------------------------------------
  VrfyDisabled: situation("VrfyDisabled", 502, "5.5.1", "VRFY command is disabled", "RFC 5321 §3.5.3"),
  ExpnDisabled: situation("ExpnDisabled", 502, "5.5.1", "EXPN command is disabled", "RFC 5321 §3.5.3"),
  EtrnRefused: situation("EtrnRefused", 459, "4.7.1", "Node not allowed", "RFC 1985 §5"),
  EtrnUnavailable: situation("EtrnUnavailable", 458, "4.3.0", "Unable to queue messages for node", "RFC 1985 §5"),
} as const;

/** The name of a situation in {@link Situations}. */
export type SituationName = keyof typeof Situations;

/** Every situation, as an array (in catalogue order). */
export const situationList: readonly Situation[] = Object.values(Situations);

/**
 * Looks up a situation by name at run time (for configuration files and CLIs).
 *
 * @param name - a key of {@link Situations}
 * @returns the situation, or `undefined` for an unknown name
 * @example
 * ```ts
 * situationByName("RelayDenied")?.code; // 550
 * ```
 */
export function situationByName(name: string): Situation | undefined {
  return Object.hasOwn(Situations, name) ? Situations[name as SituationName] : undefined;
}

function checkSituation(situation: Situation): void {
  const fail = (why: string): never => {
    throw new CodesError("invalid-situation", situation, `Cannot format situation ${JSON.stringify(situation.name)}: ${why}`);
  };
  // RFC 5321 §4.2: a server sends 2yz to 5yz only.
  if (!Number.isInteger(situation.code) || situation.code < 200 || situation.code > 599) fail("the code is not 200-599");
  if (situation.enhanced !== undefined) {
    const status = parseEnhancedStatus(situation.enhanced);
    // RFC 3463 §2 / RFC 2034 §3: the enhanced code's class is the reply's first digit.
    if (status === undefined || status.class !== Math.floor(situation.code / 100)) fail("the enhanced code does not fit the reply code");
  }
  for (let index = 0; index < situation.text.length; index += 1) {
    const char = situation.text.charCodeAt(index);
    if (char === 0x0d || char === 0x0a || char === 0x00) fail("the text holds CR, LF or NUL");
  }
}

/**
 * Formats a situation as the single reply line it stands for (without CRLF):
 * code, enhanced code where it has one, text.
 *
 * @param situation - a situation from {@link Situations}, or one of your own
 * @returns for example `"503 5.5.1 Bad sequence of commands"`
 * @throws {@link CodesError} (`invalid-situation`) when the code is not 200–599, the
 *   enhanced code is malformed or of another class, or the text holds CR, LF or NUL
 * @example
 * ```ts
 * formatSituation(Situations.MessageTooBig);
 * // "552 5.3.4 Message size exceeds fixed maximum message size"
 * formatSituation({ ...Situations.Ok, text: "OK, queued" }); // "250 2.0.0 OK, queued"
 * ```
 */
export function formatSituation(situation: Situation): string {
  checkSituation(situation);
  const parts = [String(situation.code)];
  if (situation.enhanced !== undefined) parts.push(situation.enhanced);
  if (situation.text !== "") parts.push(situation.text);
  return parts.join(" ");
}
