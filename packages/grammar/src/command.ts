/**
 * Every SMTP command as a typed value: RFC 5321 §4.1.1 and the extensions
 * that add commands (STARTTLS RFC 3207, AUTH RFC 4954, BDAT RFC 3030,
 * ETRN RFC 1985, LHLO RFC 2033) or parameters (SIZE RFC 1870, BODY RFC 6152
 * and RFC 3030, DSN RFC 3461, SMTPUTF8 RFC 6531, REQUIRETLS RFC 8689,
 * MT-PRIORITY RFC 6710, DELIVERBY RFC 2852, FUTURERELEASE RFC 4865,
 * RRVS RFC 7293).
 *
 * The `verb` field is the discriminant. Commands parsed from the network
 * carry exactly what was sent; commands given to `serializeCommand` may leave
 * optional fields out.
 *
 * @module
 */
import type { Mailbox } from "./address.js";

/** One ESMTP parameter as sent (RFC 5321 §4.1.2 `esmtp-param`). */
export interface EsmtpParameter {
  /** The keyword, upper-cased (keywords are case-insensitive, RFC 5321 §2.4). */
  readonly keyword: string;
  /** The value after "=", as sent; `undefined` when there was none. */
  readonly value: string | undefined;
}

/** The `BODY=` values (RFC 6152 §2, RFC 3030 §3). */
export type BodyType = "7BIT" | "8BITMIME" | "BINARYMIME";

/** DSN `RET=` (RFC 3461 §4.3). */
export type DsnReturn = "FULL" | "HDRS";

/** One DSN `NOTIFY=` condition (RFC 3461 §4.1). */
export type DsnNotify = "NEVER" | "SUCCESS" | "FAILURE" | "DELAY";

/** DSN `ORCPT=` (RFC 3461 §4.2), decoded. */
export interface OriginalRecipient {
  /** The address type, upper-cased as RFC 3461 compares it: usually `RFC822` or `UTF-8` (RFC 6533). */
  readonly addressType: string;
  /**
   * The address, decoded: from xtext for `rfc822` (and any other type), from
   * RFC 6533's utf-8-addr forms for `utf-8`.
   */
  readonly address: string;
}

/** DELIVERBY `BY=` (RFC 2852 §4). */
export interface DeliverBy {
  /** Seconds; may be negative (with mode `R` the deadline may already have passed). */
  readonly seconds: number;
  /** `R` return the message, `N` notify, when the deadline passes. */
  readonly mode: "R" | "N";
  /** Whether trace (`T`) was asked for. */
  readonly trace: boolean;
}

/** RRVS `RRVS=` (RFC 7293 §3.1). */
export interface RequireRecipientValidSince {
  /** The date-time as sent (RFC 3339 `date-time`). */
  readonly dateTime: string;
  /** `C` continue or `R` reject when the check cannot be made; `undefined` when absent. */
  readonly action: "C" | "R" | undefined;
}

/** The parameters of MAIL FROM that smtpkit knows, typed. */
export interface MailParameters {
  /** `SIZE=` (RFC 1870): the declared message size in octets. */
  readonly size?: number;
  /** `BODY=` (RFC 6152, RFC 3030). */
  readonly body?: BodyType;
  /** `SMTPUTF8` (RFC 6531 §3.4). */
  readonly smtputf8?: boolean;
  /** `AUTH=` (RFC 4954 §5), decoded from xtext; `null` for `AUTH=<>`. */
  readonly auth?: string | null;
  /** `RET=` (RFC 3461 §4.3). */
  readonly ret?: DsnReturn;
  /** `ENVID=` (RFC 3461 §4.4), decoded from xtext. */
  readonly envid?: string;
  /** `REQUIRETLS` (RFC 8689 §3). */
  readonly requireTls?: boolean;
  /** `MT-PRIORITY=` (RFC 6710 §3), -9 to 9. */
  readonly mtPriority?: number;
  /** `BY=` (RFC 2852). */
  readonly by?: DeliverBy;
  /** `HOLDFOR=` (RFC 4865 §3), seconds. */
  readonly holdFor?: number;
  /** `HOLDUNTIL=` (RFC 4865 §3), the date-time as sent. */
  readonly holdUntil?: string;
  /** Parameters smtpkit does not know, in the order sent. */
  readonly other?: readonly EsmtpParameter[];
}

/** The parameters of RCPT TO that smtpkit knows, typed. */
export interface RcptParameters {
  /** `NOTIFY=` (RFC 3461 §4.1): `["NEVER"]`, or some of SUCCESS, FAILURE, DELAY. */
  readonly notify?: readonly DsnNotify[];
  /** `ORCPT=` (RFC 3461 §4.2, RFC 6533). */
  readonly orcpt?: OriginalRecipient;
  /** `RRVS=` (RFC 7293). */
  readonly rrvs?: RequireRecipientValidSince;
  /** Parameters smtpkit does not know, in the order sent. */
  readonly other?: readonly EsmtpParameter[];
}

/** The form of a HELO/EHLO/LHLO argument. */
export type HelloForm = "domain" | "address-literal" | "unchecked";

/** `HELO`, `EHLO` (RFC 5321 §4.1.1.1) or `LHLO` (RFC 2033 §4.1). */
export interface HelloCommand {
  /** The verb. */
  readonly verb: "HELO" | "EHLO" | "LHLO";
  /** The client's name for itself, as sent. */
  readonly domain: string;
  /**
   * What the argument is. `unchecked` means it is neither a valid domain nor
   * an address literal, and was accepted under the `uncheckedHello`
   * leniency (absent when the command was built by a program).
   */
  readonly form?: HelloForm;
}

/** `MAIL FROM:` (RFC 5321 §4.1.1.2). */
export interface MailCommand {
  /** The verb. */
  readonly verb: "MAIL";
  /** The reverse-path; `null` for the null sender `<>`. */
  readonly from: Mailbox | null;
  /** The parameters, typed. */
  readonly parameters?: MailParameters;
}

/** `RCPT TO:` (RFC 5321 §4.1.1.3). */
export interface RcptCommand {
  /** The verb. */
  readonly verb: "RCPT";
  /** The forward-path; `<Postmaster>` is `{ localPart: "Postmaster", domain: "" }`. */
  readonly to: Mailbox;
  /** The parameters, typed. */
  readonly parameters?: RcptParameters;
}

/** `DATA` (RFC 5321 §4.1.1.4). */
export interface DataCommand {
  /** The verb. */
  readonly verb: "DATA";
}

/** `BDAT` (RFC 3030 §2). The chunk's octets follow the command line at once. */
export interface BdatCommand {
  /** The verb. */
  readonly verb: "BDAT";
  /** The chunk size in octets. */
  readonly size: number;
  /** Whether `LAST` was given. */
  readonly last: boolean;
}

/** `RSET` (RFC 5321 §4.1.1.5). */
export interface RsetCommand {
  /** The verb. */
  readonly verb: "RSET";
}

/** `VRFY` or `EXPN` (RFC 5321 §4.1.1.6, §4.1.1.7; SMTPUTF8 from RFC 6531 §3.7.4.2). */
export interface VrfyCommand {
  /** The verb. */
  readonly verb: "VRFY" | "EXPN";
  /** The string to verify or expand, as sent. */
  readonly argument: string;
  /** Whether the `SMTPUTF8` parameter was given. */
  readonly smtputf8?: boolean;
}

/** `HELP` (RFC 5321 §4.1.1.8). */
export interface HelpCommand {
  /** The verb. */
  readonly verb: "HELP";
  /** The topic, when one was given. */
  readonly topic?: string;
}

/** `NOOP` (RFC 5321 §4.1.1.9). */
export interface NoopCommand {
  /** The verb. */
  readonly verb: "NOOP";
  /** The ignored argument, when one was given. */
  readonly argument?: string;
}

/** `QUIT` (RFC 5321 §4.1.1.10). */
export interface QuitCommand {
  /** The verb. */
  readonly verb: "QUIT";
}

/** `STARTTLS` (RFC 3207 §4). */
export interface StartTlsCommand {
  /** The verb. */
  readonly verb: "STARTTLS";
}

/** `AUTH` (RFC 4954 §4). */
export interface AuthCommand {
  /** The verb. */
  readonly verb: "AUTH";
  /** The SASL mechanism name, upper-cased (RFC 4422 §3.1). */
  readonly mechanism: string;
  /**
   * The initial response, decoded from base64; an empty array for "=" (an
   * empty initial response); absent when none was sent.
   */
  readonly initialResponse?: Uint8Array;
}

/** `ETRN` (RFC 1985 §5). */
export interface EtrnCommand {
  /** The verb. */
  readonly verb: "ETRN";
  /** The node as sent, with its option character (`@` or `#`) if any. */
  readonly node: string;
}

/** The attribute names of Postfix `XCLIENT` (XCLIENT_README). */
export type XclientAttributeName = "NAME" | "ADDR" | "PORT" | "PROTO" | "HELO" | "LOGIN" | "DESTADDR" | "DESTPORT";

/** The attribute names of Postfix `XFORWARD` (XFORWARD_README). */
export type XforwardAttributeName = "NAME" | "ADDR" | "PORT" | "PROTO" | "HELO" | "IDENT" | "SOURCE";

/** One `name=value` attribute of XCLIENT or XFORWARD, value decoded from xtext. */
export interface XAttribute<N extends string> {
  /** The attribute name, upper-cased. */
  readonly name: N;
  /**
   * The decoded value, as sent: `[UNAVAILABLE]` and `[TEMPUNAVAIL]` are kept
   * literally (the session interprets them).
   */
  readonly value: string;
}

/**
 * Postfix `XCLIENT` (XCLIENT_README): a trusted front end overrides the
 * client's name, address, port, protocol, HELO name and login.
 */
export interface XclientCommand {
  /** The verb. */
  readonly verb: "XCLIENT";
  /** The attributes in the order sent; at least one, no name twice. */
  readonly attributes: readonly XAttribute<XclientAttributeName>[];
}

/**
 * Postfix `XFORWARD` (XFORWARD_README): a trusted content filter forwards
 * the original client's details for the next transaction.
 */
export interface XforwardCommand {
  /** The verb. */
  readonly verb: "XFORWARD";
  /** The attributes in the order sent; at least one, no name twice. */
  readonly attributes: readonly XAttribute<XforwardAttributeName>[];
}

/** Any SMTP command. */
export type Command =
  | HelloCommand
  | MailCommand
  | RcptCommand
  | DataCommand
  | BdatCommand
  | RsetCommand
  | VrfyCommand
  | HelpCommand
  | NoopCommand
  | QuitCommand
  | StartTlsCommand
  | AuthCommand
  | EtrnCommand
  | XclientCommand
  | XforwardCommand;

/** The verbs of {@link Command}. */
export type Verb = Command["verb"];

/**
 * Commands after which the bytes that follow are read differently (or not
 * at all), so a command reader stops and waits for the session's decision.
 */
export const modeChangingVerbs: ReadonlySet<Verb> = new Set<Verb>(["DATA", "BDAT", "AUTH", "STARTTLS", "QUIT"]);
