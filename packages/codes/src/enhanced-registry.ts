/**
 * The IANA "SMTP Enhanced Status Codes" registry as data: class sub-codes,
 * subject sub-codes and every enumerated status code, from RFC 3463 (which
 * defined them), RFC 5248 (which made the registry) and every later addition.
 * Descriptions are written in our own words from those documents.
 *
 * @module
 */

/** A registered enhanced status code, without its class (`X.Y.Z`). */
export interface EnhancedStatusEntry {
  /** Subject sub-code (the `Y` of `X.Y.Z`). */
  readonly subject: number;
  /** Detail sub-code (the `Z` of `X.Y.Z`). */
  readonly detail: number;
  /** The registry's short title. */
  readonly title: string;
  /** What the code means, in a sentence. */
  readonly description: string;
  /**
   * The basic reply codes the IANA registry names as the code's companions
   * ("Associated basic status code"); empty where it names none.
   */
  readonly basicCodes: readonly number[];
  /**
   * The classes (2, 4 and/or 5) the code is meant for: the defining RFC's text,
   * widened by the classes of the registry's own companion codes (see
   * {@link enhancedStatusCodes}).
   */
  readonly classes: readonly (2 | 4 | 5)[];
  /** The defining document. */
  readonly reference: string;
  /** Set when the registry marks the code deprecated. */
  readonly deprecated?: string;
}

/** A subject sub-code (`X.Y.ZZZ`) of the registry. */
export interface EnhancedSubjectEntry {
  /** The subject number. */
  readonly subject: number;
  /** Its title. */
  readonly title: string;
  /** What it covers. */
  readonly description: string;
}

/** A class sub-code (`X.YYY.ZZZ`) of the registry. */
export interface EnhancedClassEntry {
  /** 2, 4 or 5. */
  readonly class: 2 | 4 | 5;
  /** Its title. */
  readonly title: string;
  /** What it reports. */
  readonly description: string;
}

/** The three classes of RFC 3463 §3.1. */
export const enhancedClasses: readonly EnhancedClassEntry[] = [
  { class: 2, title: "Success", description: "The action was completed; detail codes may report transformations made for delivery." },
  {
    class: 4,
    title: "Persistent transient failure",
    description: "The message is valid, but a temporary condition stopped the action; sending again later may succeed.",
  },
  {
    class: 5,
    title: "Permanent failure",
    description: "Sending again in the same form will not succeed; the message or the destination must change.",
  },
];

/** The subjects of RFC 3463 §3.2 (X.0 to X.7). */
export const enhancedSubjects: readonly EnhancedSubjectEntry[] = [
  { subject: 0, title: "Other or undefined status", description: "No further subject information is available." },
  { subject: 1, title: "Addressing status", description: "About the originator or destination address: its syntax or validity." },
  { subject: 2, title: "Mailbox status", description: "About the destination mailbox, after the address was found valid." },
  { subject: 3, title: "Mail system status", description: "About the destination mail system as a whole." },
  { subject: 4, title: "Network and routing status", description: "About the network or the routing of the message." },
  { subject: 5, title: "Mail delivery protocol status", description: "About the protocol exchange itself." },
  { subject: 6, title: "Message content or media status", description: "About the content of the message or its conversion." },
  { subject: 7, title: "Security or policy status", description: "About security or policy decisions." },
];

const both: readonly (4 | 5)[] = [4, 5];
const all: readonly (2 | 4 | 5)[] = [2, 4, 5];

function entry(
  subject: number,
  detail: number,
  title: string,
  description: string,
  basicCodes: readonly number[],
  classes: readonly (2 | 4 | 5)[],
  reference: string,
  deprecated?: string,
): EnhancedStatusEntry {
  return deprecated === undefined
    ? { subject, detail, title, description, basicCodes, classes, reference }
    : { subject, detail, title, description, basicCodes, classes, reference, deprecated };
}

/**
 * Every enumerated code of the IANA registry, by subject then detail.
 *
 * `basicCodes` is the registry's "Associated basic status code" column as it
 * stands (checked against the IANA registry's CSV export,
 * https://www.iana.org/assignments/smtp-enhanced-status-codes/smtp-enhanced-status-codes-3.csv):
 * "Not given" is an empty list, and "5XX" (X.7.17 to X.7.19) is empty too, since
 * it names no code. Where the registry names codes that no RFC defines as SMTP
 * replies (422, 430, 453, 523, 524, 525, 533), they are kept, and the basic
 * registry lists them as non-standard with the code to send instead.
 *
 * `classes` follows the defining RFC's text where it restricts the code ("only
 * useful for permanent failures", "only as a persistent transient error"),
 * widened by the classes of the basic codes the registry itself pairs the code
 * with (the registry pairs X.1.1 with 451, X.5.1 with 430, X.7.1 with 451 and 454
 * although RFC 3463 calls them permanent only). Where the text says nothing, a
 * failure code gets 4 and 5 and an "other or undefined" X.Y.0 code gets all three.
 */
export const enhancedStatusCodes: readonly EnhancedStatusEntry[] = [
  entry(0, 0, "Other undefined status", "No information is available beyond the class.", [], all, "RFC 3463 §3.1"),
  // X.1 Addressing (RFC 3463 §3.2)
  entry(1, 0, "Other address status", "Something about the address, not covered by another code.", [], all, "RFC 3463 §3.2"),
  // RFC 3463 says permanent only; the registry's own sample codes are 451 and 550.
  entry(1, 1, "Bad destination mailbox address", "The mailbox named by the local part does not exist at the destination.", [451, 550], both, "RFC 3463 §3.2"),
  entry(1, 2, "Bad destination system address", "The destination system (the domain part) does not exist or cannot accept mail.", [], [5], "RFC 3463 §3.2"),
  // The registry pairs X.1.3 with 501 only, and X.1.7 with nothing: 553 ("mailbox
  // name not allowed", RFC 5321 §4.2.3) is a fair companion for both, but it is
  // our choice (Situations.MailboxNameNotAllowed), not the registry's.
  entry(1, 3, "Bad destination mailbox address syntax", "The destination address is not syntactically valid.", [501], [5], "RFC 3463 §3.2"),
  entry(1, 4, "Destination mailbox address ambiguous", "The address names more than one mailbox.", [], both, "RFC 3463 §3.2"),
  entry(1, 5, "Destination address valid", "The destination address is valid.", [250], [2], "RFC 3463 §3.2"),
  entry(1, 6, "Destination mailbox has moved, no forwarding address", "The mailbox once existed but has moved, and no forwarding address is known.", [], [5], "RFC 3463 §3.2"),
  entry(1, 7, "Bad sender's mailbox address syntax", "The originator's address is not syntactically valid.", [], [5], "RFC 3463 §3.2"),
  entry(1, 8, "Bad sender's system address", "The originator's system is not known or cannot be reached for replies.", [451, 501], both, "RFC 3463 §3.2"),
  entry(1, 9, "Message relayed to non-compliant mailer", "The message went to a system that does not offer DSNs; delivery is assumed.", [], [2], "RFC 3886"),
  entry(1, 10, "Recipient address has null MX", "The recipient's domain publishes a null MX: it accepts no mail.", [556], [5], "RFC 7505, RFC 7504"),
  // X.2 Mailbox (RFC 3463 §3.3)
  entry(2, 0, "Other or undefined mailbox status", "The mailbox exists, but something about it caused the report.", [], all, "RFC 3463 §3.3"),
  entry(2, 1, "Mailbox disabled, not accepting messages", "The mailbox exists but does not accept messages now.", [], both, "RFC 3463 §3.3"),
  // RFC 3463 prefers a persistent transient failure; the registry's sample code is 552.
  entry(2, 2, "Mailbox full", "The mailbox has reached its size limit.", [552], both, "RFC 3463 §3.3"),
  entry(2, 3, "Message length exceeds administrative limit", "The message is larger than a per-mailbox limit allows.", [552], [5], "RFC 3463 §3.3"),
  entry(2, 4, "Mailing list expansion problem", "The mailbox is a list that could not be expanded.", [450, 452], both, "RFC 3463 §3.3"),
  // X.3 Mail system (RFC 3463 §3.4)
  entry(3, 0, "Other or undefined mail system status", "The destination system caused the report for an unstated reason.", [221, 250, 421, 451, 550, 554], all, "RFC 3463 §3.4"),
  entry(3, 1, "Mail system full", "The destination system has no storage left.", [452], [4], "RFC 3463 §3.4"),
  // The registry names 453 (no RFC defines it) and 521 (added by RFC 7504).
  entry(3, 2, "System not accepting network messages", "The host is not accepting messages at all, for example while shutting down or overloaded.", [453, 521], both, "RFC 3463 §3.4, RFC 7504"),
  entry(3, 3, "System not capable of selected features", "The host cannot provide features the message asks for.", [], both, "RFC 3463 §3.4"),
  entry(3, 4, "Message too big for system", "The message is larger than the system-wide limit.", [552, 554], [5], "RFC 3463 §3.4"),
  entry(3, 5, "System incorrectly configured", "The system cannot accept the message because of its configuration.", [], both, "RFC 3463 §3.4"),
  entry(3, 6, "Requested priority was changed", "The message was accepted with another priority than requested.", [250, 251], [2], "RFC 6710"),
  // X.4 Network and routing (RFC 3463 §3.5)
  entry(4, 0, "Other or undefined network or routing status", "Something went wrong in the network, not covered by another code.", [], all, "RFC 3463 §3.5"),
  entry(4, 1, "No answer from host", "The outbound connection could not be made: no answer from the host.", [451], [4], "RFC 3463 §3.5"),
  entry(4, 2, "Bad connection", "The outbound connection was made but could not be kept, for example it timed out.", [421], [4], "RFC 3463 §3.5"),
  // RFC 3463 says persistent transient only; the registry also pairs it with 550.
  entry(4, 3, "Directory server failure", "A directory (DNS, for example) could not be consulted.", [451, 550], both, "RFC 3463 §3.5"),
  entry(4, 4, "Unable to route", "No route to the destination could be determined.", [], both, "RFC 3463 §3.5"),
  entry(4, 5, "Mail system congestion", "The mail system is congested; try later.", [451], [4], "RFC 3463 §3.5"),
  // RFC 3463 calls X.4.6 a persistent transient error only, but a loop does not
  // cure itself: sendmail ("554 5.4.6 Too many hops") and Postfix (bounce 5.4.6)
  // answer it permanently, and so does Situations.RoutingLoop. Class 5 is our addition.
  entry(4, 6, "Routing loop detected", "The message has been forwarded in a loop.", [], both, "RFC 3463 §3.5"),
  entry(4, 7, "Delivery time expired", "The message was kept too long without being delivered.", [], both, "RFC 3463 §3.5"),
  // X.5 Protocol (RFC 3463 §3.6)
  entry(5, 0, "Other or undefined protocol status", "A protocol error not covered by another code.", [220, 250, 251, 252, 253, 451, 452, 454, 458, 459, 501, 502, 503, 554], all, "RFC 3463 §3.6"),
  // The registry names 430, which no RFC defines.
  entry(5, 1, "Invalid command", "The command was out of sequence or not supported.", [430, 500, 501, 503, 530, 550, 554, 555], both, "RFC 3463 §3.6"),
  entry(5, 2, "Syntax error", "The command could not be interpreted: it is not syntactically valid.", [500, 501, 502, 550, 555], [5], "RFC 3463 §3.6"),
  entry(5, 3, "Too many recipients", "More recipients than the server can handle in one message.", [451], both, "RFC 3463 §3.6"),
  entry(5, 4, "Invalid command arguments", "A valid command got invalid or unsupported arguments.", [451, 501, 502, 503, 504, 550, 555], both, "RFC 3463 §3.6"),
  entry(5, 5, "Wrong protocol version", "The protocol version cannot be handled.", [], both, "RFC 3463 §3.6"),
  // RFC 4954 §6: for both permanent and persistent transient errors.
  entry(5, 6, "Authentication exchange line is too long", "A SASL response is longer than the mechanism's buffer allows.", [500], both, "RFC 4954"),
  // X.6 Content or media (RFC 3463 §3.7)
  entry(6, 0, "Other or undefined media error", "Something about the content caused the report.", [], all, "RFC 3463 §3.7"),
  entry(6, 1, "Media not supported", "The content type is not supported at the destination.", [], [5], "RFC 3463 §3.7"),
  entry(6, 2, "Conversion required and prohibited", "Conversion was needed, but the content forbids it.", [], [5], "RFC 3463 §3.7"),
  entry(6, 3, "Conversion required but not supported", "Conversion was needed but is not possible here.", [554], both, "RFC 3463 §3.7"),
  // A warning on a successful delivery, or a permanent error when the sender forbade lossy conversion.
  entry(6, 4, "Conversion with loss performed", "The message was delivered after a conversion that lost information.", [250], [2, 5], "RFC 3463 §3.7"),
  entry(6, 5, "Conversion failed", "A required conversion did not succeed.", [], both, "RFC 3463 §3.7"),
  entry(6, 6, "Message content not available", "Content referenced by the message (BURL) could not be fetched.", [554], both, "RFC 4468"),
  entry(6, 7, "Non-ASCII addresses not permitted for that sender/recipient", "An address needs SMTPUTF8, which is not available for this sender or recipient.", [553, 550], [5], "RFC 6531"),
  entry(6, 8, "UTF-8 string reply is required, but not permitted by the SMTP client", "The reply would need UTF-8 text, which the client did not ask for.", [252, 553, 550], [2, 5], "RFC 6531"),
  entry(6, 9, "UTF-8 header message cannot be transferred to one or more recipients", "The message has UTF-8 header fields, and a recipient's server lacks SMTPUTF8: it must be rejected.", [550], [5], "RFC 6531"),
  // The registry gives X.6.10 no title and no basic code, only: a duplicate of
  // X.6.8, therefore deprecated (not of X.6.9, as is sometimes said).
  entry(6, 10, "Deprecated: duplicate of X.6.8", "Registered twice by RFC 6531; the registry deprecates it in favour of X.6.8.", [], [2, 5], "RFC 6531", "duplicate of X.6.8"),
  // X.7 Security or policy (RFC 3463 §3.8)
  entry(7, 0, "Other or undefined security status", "A security or policy problem not covered by another code.", [220, 235, 450, 454, 500, 501, 503, 504, 530, 535, 550], all, "RFC 3463 §3.8"),
  // RFC 3463 says permanent only; the registry pairs it with 451 and 454 too, and with 533, which no RFC defines.
  entry(7, 1, "Delivery not authorized, message refused", "The sender is not authorized to send to the destination (including relaying).", [451, 454, 502, 503, 533, 550, 551], both, "RFC 3463 §3.8"),
  entry(7, 2, "Mailing list expansion prohibited", "The sender may not send to this list.", [550], [5], "RFC 3463 §3.8"),
  entry(7, 3, "Security conversion required but not possible", "A conversion between security protocols was needed and is not possible.", [], [5], "RFC 3463 §3.8"),
  entry(7, 4, "Security features not supported", "The message asks for security features the system does not support.", [504], [5], "RFC 3463 §3.8"),
  entry(7, 5, "Cryptographic failure", "A cryptographic operation (signature, decryption) failed.", [], both, "RFC 3463 §3.8"),
  entry(7, 6, "Cryptographic algorithm not supported", "The message uses an algorithm the system does not support.", [], both, "RFC 3463 §3.8"),
  // RFC 3463: permanent, persistent transient or even successful delivery.
  entry(7, 7, "Message integrity failure", "The message was corrupted or altered.", [], all, "RFC 3463 §3.8"),
  entry(7, 8, "Authentication credentials invalid", "The SASL authentication failed because the credentials are wrong.", [535, 554], [5], "RFC 4954"),
  entry(7, 9, "Authentication mechanism is too weak", "The mechanism is weaker than policy allows for this user.", [534], [5], "RFC 4954"),
  entry(7, 10, "Encryption needed", "An external privacy layer (TLS) is needed before this mechanism may be used.", [523], [5], "RFC 5248"),
  // The registry names 524 beside RFC 4954's 538, and 422 beside its 432; no RFC defines 524 or 422.
  entry(7, 11, "Encryption required for requested authentication mechanism", "The mechanism may only be used over an encrypted channel.", [524, 538], [5], "RFC 4954"),
  entry(7, 12, "A password transition is needed", "The user must authenticate once with a plain mechanism to update their stored credentials.", [422, 432], [4], "RFC 4954"),
  entry(7, 13, "User account disabled", "The account is disabled: authentication is refused.", [525], [5], "RFC 5248"),
  entry(7, 14, "Trust relationship required", "The submission server needs a trust relationship with the client that does not exist.", [535, 554], [5], "RFC 5248"),
  entry(7, 15, "Priority level is too low", "The requested priority is below the minimum accepted now.", [450, 550], both, "RFC 6710"),
  entry(7, 16, "Message is too big for the specified priority", "The message is larger than allowed at this priority.", [552], both, "RFC 6710"),
  // X.7.17 to X.7.19: the registry says "5XX", naming no particular code.
  entry(7, 17, "Mailbox owner has changed", "The mailbox has changed owner since the date RRVS named.", [], [5], "RFC 7293"),
  entry(7, 18, "Domain owner has changed", "The domain has changed owner since the date RRVS named.", [], [5], "RFC 7293"),
  entry(7, 19, "RRVS test cannot be completed", "The RRVS check could not be made.", [], [5], "RFC 7293"),
  entry(7, 20, "No passing DKIM signature found", "No DKIM signature on the message validated.", [550], [5], "RFC 7372"),
  entry(7, 21, "No acceptable DKIM signature found", "DKIM signatures validated, but none satisfies local policy.", [550], [5], "RFC 7372"),
  entry(7, 22, "No valid author-matched DKIM signature found", "No validating DKIM signature is aligned with the author's domain.", [550], [5], "RFC 7372"),
  entry(7, 23, "SPF validation failed", "The sender's SPF record gave a fail result.", [550], [5], "RFC 7372"),
  entry(7, 24, "SPF validation error", "The SPF check could not be completed.", [451, 550], both, "RFC 7372"),
  entry(7, 25, "Reverse DNS validation failed", "The client's IP address has no matching reverse DNS.", [550], [5], "RFC 7372"),
  entry(7, 26, "Multiple authentication checks failed", "More than one authentication check failed under local policy.", [550], [5], "RFC 7372"),
  entry(7, 27, "Sender address has null MX", "The sender's domain publishes a null MX, so it can receive no replies.", [550], [5], "RFC 7505"),
  // Registered by J. Levine with draft-levine-mailbomb-header as its reference
  // (never published as an RFC); the registry names no basic code.
  entry(7, 28, "Mail flood detected", "The message appears to be part of a flood of similar messages to the recipient.", [], both, "draft-levine-mailbomb-header (IANA registry)"),
  entry(7, 29, "ARC validation failure", "The message's ARC chain failed validation and policy rejects it.", [550], [5], "RFC 8617"),
  entry(7, 30, "REQUIRETLS support required", "The message requires TLS all the way, and the next hop does not offer REQUIRETLS.", [550], [5], "RFC 8689"),
];
