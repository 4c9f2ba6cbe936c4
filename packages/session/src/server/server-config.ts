/**
 * The configuration of a server session: what it advertises, its policies,
 * its limits and its timeouts, each with a named default, the reason for it,
 * and a check that throws on an invalid value (a bad limit must never switch
 * a protection off silently).
 *
 * @module
 */
import { CapabilitySet, CommandReader, GrammarError, type CommandReaderOptions, type CommandSyntaxOptions } from "@smtpkit/grammar";
import { createSaslServer, type SaslServer, type SaslServerOptions } from "../sasl/sasl-server.js";
import { SaslError } from "../sasl/sasl-error.js";
import { ServerSessionError } from "./server-session-error.js";

/**
 * Default largest message, in octets: 10 MiB, advertised as `SIZE` (RFC 1870)
 * and enforced on the content actually received. Postfix's
 * `message_size_limit` default (10240000) is of the same order.
 */
export const SERVER_DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/**
 * Default most recipients per message: 100, the minimum RFC 5321
 * §4.5.3.1.8 asks servers to accept. Further RCPTs get 452 (§4.5.3.1.10),
 * which tells the client to send them in another transaction.
 */
export const SERVER_DEFAULT_MAX_RECIPIENTS = 100;

/**
 * Default most error replies (4yz and 5yz) before the session answers 421 and
 * closes: 20, as Postfix's `smtpd_hard_error_limit`. It bounds what a
 * dictionary attack or a confused client costs.
 */
export const SERVER_DEFAULT_MAX_ERRORS = 20;

/**
 * Default most RCPT commands past `maxRecipients` in one transaction that are
 * answered 452 without counting as errors: 1000, as Postfix's
 * `smtpd_recipient_overshoot_limit`. A client with more recipients than the
 * limit (smtplib sends them all) must not lose the accepted ones to a 421:
 * it sends the rest in another transaction (RFC 5321 §4.5.3.1.10).
 *
 * @example
 * ```ts
 * import { SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT } from "@smtpkit/session";
 * SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT; // 1000
 * ```
 */
export const SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT = 1000;

/**
 * Default most "junk" commands (NOOP, RSET, VRFY, EXPN, HELP, ETRN) between
 * accepted messages before each further one counts as an error: 100, as
 * Postfix's `smtpd_junk_command_limit`. Each such command restarts the command
 * clock, so without this bound a client could hold a connection forever.
 */
export const SERVER_DEFAULT_MAX_JUNK_COMMANDS = 100;

/** Default most failed AUTH attempts before 421 and close: 3 (a password-guessing bound). */
export const SERVER_DEFAULT_MAX_AUTH_FAILURES = 3;

/**
 * Default time to wait for a command (or a SASL response, or the TLS
 * handshake), in milliseconds: 5 minutes, RFC 5321 §4.5.3.2.7. A deadline
 * from when the server started waiting, not an idle timer: bytes of an
 * unfinished line do not extend it.
 */
export const SERVER_DEFAULT_COMMAND_TIMEOUT = 5 * 60 * 1000;

/**
 * Default base time for one DATA content or BDAT chunk, in milliseconds:
 * 3 minutes (RFC 5321 §4.5.3.2.5 gives clients 3 minutes per block). The
 * deadline grows with the bytes received at the minimum data rate.
 */
export const SERVER_DEFAULT_DATA_TIMEOUT = 3 * 60 * 1000;

/**
 * Default minimum data rate, in octets per second: 500, as Postfix's
 * `smtpd_min_data_rate`. Each octet received moves the DATA deadline by
 * 1/500 s, so a client trickling one byte a minute runs out of time instead
 * of holding the connection forever.
 */
export const SERVER_DEFAULT_MIN_DATA_RATE = 500;

/** What the server advertises in its EHLO reply. Every field is optional. */
export interface ServerExtensions {
  /** PIPELINING (RFC 2920). Default `true`. Always on in LMTP (RFC 2033 §4.2). */
  readonly pipelining?: boolean;
  /** SIZE with the message limit (RFC 1870). Default `true`. The limit is enforced either way. */
  readonly size?: boolean;
  /** 8BITMIME (RFC 6152). Default `true`. */
  readonly eightBitMime?: boolean;
  /** SMTPUTF8 (RFC 6531). Default `true`. */
  readonly smtpUtf8?: boolean;
  /** CHUNKING, that is BDAT (RFC 3030). Default `true`. */
  readonly chunking?: boolean;
  /** BINARYMIME (RFC 3030 §3); needs CHUNKING. Default `false`. */
  readonly binaryMime?: boolean;
  /** DSN (RFC 3461): the parameters are carried into the envelope. Default `false`. */
  readonly dsn?: boolean;
  /** ENHANCEDSTATUSCODES (RFC 2034). Default `true`. When off, replies carry no enhanced codes. */
  readonly enhancedStatusCodes?: boolean;
  /** REQUIRETLS (RFC 8689), advertised only over TLS. Default `false`. */
  readonly requireTls?: boolean;
}

/** TLS as the session sees it. */
export interface ServerTlsOptions {
  /** Offer STARTTLS (RFC 3207) while the connection is in the clear. Default `false`. */
  readonly starttls?: boolean;
  /** The connection is TLS from the start (implicit TLS, RFC 8314 port 465). Default `false`. */
  readonly implicit?: boolean;
}

/** SMTP AUTH (RFC 4954). */
export interface ServerAuthOptions {
  /** The SASL server's options (mechanisms, crypto, limits; see `createSaslServer`). */
  readonly sasl: SaslServerOptions;
  /**
   * A fresh random nonce for each attempt, needed by SCRAM and CRAM-MD5. The
   * session has no randomness of its own; this function is how it comes in
   * (for example 18 random bytes in base64).
   */
  readonly nonce?: () => string;
}

/**
 * Postfix's XCLIENT and XFORWARD (XCLIENT_README, XFORWARD_README), for
 * trusted front ends: a proxy or content filter that tells the server who the
 * real client is. The session cannot know whom to trust; the embedder decides
 * per connection (for example from the peer's address) and sets these
 * options on that connection's session. Each field:
 *
 * - unset: the command is not offered and is answered 502 5.5.1, as any
 *   command this server does not implement;
 * - `"untrusted"`: the server speaks it, but not to this client: not
 *   advertised, and answered 550 5.7.0 as Postfix answers an unauthorized client;
 * - `"trusted"`: advertised in EHLO with its attribute names, and applied.
 */
export interface ServerFrontEndOptions {
  /**
   * XCLIENT: the client's address, port, name, HELO name, protocol, login and
   * the address it connected to (ADDR, PORT, NAME, HELO, PROTO, LOGIN,
   * DESTADDR, DESTPORT). The session asks `connection-requested` again with
   * the new client, answers with a new greeting and starts over; LOGIN counts
   * as authenticated, as in Postfix.
   */
  readonly xclient?: "trusted" | "untrusted";
  /**
   * XFORWARD: logging attributes of the upstream client for the next mail
   * transaction (NAME, ADDR, PORT, PROTO, HELO, IDENT, SOURCE), carried in
   * the envelope; never used for access decisions.
   */
  readonly xforward?: "trusted" | "untrusted";
}

/** Policies. Every field is optional. */
export interface ServerPolicy {
  /**
   * Refuse MAIL and AUTH with 530 5.7.0 `StartTlsFirst` until TLS is active
   * (RFC 3207 §4); AUTH is then not advertised in the clear, even with
   * `allowAuthWithoutTls`. Default `false`.
   */
  readonly requireTls?: boolean;
  /** Refuse MAIL with 530 `AuthRequired` until AUTH succeeded (RFC 4954 §6). Default `false`. */
  readonly authRequired?: boolean;
  /**
   * Accept AUTH without TLS. Default `false`: AUTH is not advertised in the
   * clear and an attempt gets 538 5.7.11 (RFC 4954 §4, §6). Ignored under
   * `requireTls` (AUTH before TLS then gets 530 5.7.0). Meant for tests and local
   * submission over a trusted socket.
   */
  readonly allowAuthWithoutTls?: boolean;
  /**
   * Refuse a client that sends before the greeting or pipelines without
   * PIPELINING (or past a command that must end a group, RFC 2920 §3.1):
   * 554 5.5.0 and close, as Postfix's `smtpd_forbid_unauth_pipelining`.
   * Default `true`.
   */
  readonly forbidUnauthorizedPipelining?: boolean;
  /**
   * A bare CR or LF in DATA content: `reject` (default: read on to the real
   * end, then 550 5.5.2) or `normalize` (each becomes CRLF). Neither lets a
   * bare line ending end the data (SMTP smuggling).
   */
  readonly bareLineEnding?: "reject" | "normalize";
  /** Refuse a message holding a NUL octet with 550 5.6.0 (RFC 5322 §2.3). Default `false`. */
  readonly rejectNul?: boolean;
  /**
   * VRFY: `cannot-verify` (default) answers 252, "cannot VRFY user, but will
   * accept message", which confirms nothing (RFC 5321 §3.5.3); `disabled`
   * answers 502. EXPN is always 502: it would disclose list members.
   */
  readonly vrfy?: "cannot-verify" | "disabled";
}

/** Limits. Every value must be a positive integer (up to 2^31-1 for counts). */
export interface ServerLimits {
  /** Largest message in octets. Default {@link SERVER_DEFAULT_MAX_MESSAGE_SIZE}. */
  readonly maxMessageSize?: number;
  /** Most recipients per message. Default {@link SERVER_DEFAULT_MAX_RECIPIENTS}. */
  readonly maxRecipients?: number;
  /** Most error replies before 421. Default {@link SERVER_DEFAULT_MAX_ERRORS}. */
  readonly maxErrors?: number;
  /**
   * Most recipients past `maxRecipients` in one transaction answered 452
   * before each further one counts as an error. Default {@link SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT}.
   */
  readonly maxRecipientOvershoot?: number;
  /** Most failed AUTH attempts before 421. Default {@link SERVER_DEFAULT_MAX_AUTH_FAILURES}. */
  readonly maxAuthFailures?: number;
  /**
   * Most junk commands (NOOP, RSET, VRFY, EXPN, HELP, ETRN, and every EHLO/HELO/LHLO after the first of a
   * TLS epoch) between accepted messages before each counts as an error. Default {@link SERVER_DEFAULT_MAX_JUNK_COMMANDS}.
   */
  readonly maxJunkCommands?: number;
  /** Longest command line in octets (the grammar's `maxLineLength`; default 2048). */
  readonly maxLineLength?: number;
  /** Longest AUTH line (the grammar's `maxAuthLineLength`; default 12288, RFC 4954 §4). */
  readonly maxAuthLineLength?: number;
  /**
   * Most octets held unread while the session waits (for a decision, or
   * after a command that pauses reading). Default 1 MiB. Past it: 421 and close.
   */
  readonly maxHeldBytes?: number;
}

/** Timeouts in milliseconds (RFC 5321 §4.5.3.2), as deadlines. */
export interface ServerTimeouts {
  /** Waiting for a command, a SASL response or the TLS handshake. Default {@link SERVER_DEFAULT_COMMAND_TIMEOUT}. */
  readonly command?: number;
  /** Base time for DATA content or one BDAT chunk. Default {@link SERVER_DEFAULT_DATA_TIMEOUT}. */
  readonly data?: number;
  /** Minimum data rate in octets per second that extends the data deadline. Default {@link SERVER_DEFAULT_MIN_DATA_RATE}. */
  readonly minDataRate?: number;
}

/** The configuration of {@link createServerSession}. Only `hostname` is required. */
export interface ServerSessionConfig {
  /** The server's name, first in the greeting, EHLO, QUIT and 421 replies (RFC 5321 §4.2). */
  readonly hostname: string;
  /** Speak LMTP (RFC 2033): LHLO, and one reply per recipient after the message. Default `false`. */
  readonly lmtp?: boolean;
  /** What to advertise. */
  readonly extensions?: ServerExtensions;
  /** STARTTLS and implicit TLS. */
  readonly tls?: ServerTlsOptions;
  /** AUTH; absent: no AUTH (502). */
  readonly auth?: ServerAuthOptions;
  /** Policies. */
  readonly policy?: ServerPolicy;
  /** Limits. */
  readonly limits?: ServerLimits;
  /** Timeouts. */
  readonly timeouts?: ServerTimeouts;
  /** XCLIENT and XFORWARD for trusted front ends; absent: neither is offered (502). */
  readonly frontEnd?: ServerFrontEndOptions;
  /**
   * Which deviations from RFC 5321 command syntax to accept (see
   * `parseCommand` in `@smtpkit/grammar`); default: the grammar's lenient
   * defaults, which match Postfix's.
   */
  readonly syntax?: Omit<CommandSyntaxOptions, "extensions" | "smtputf8">;
}

/** The configuration with every default filled in. Internal. */
export interface ResolvedServerConfig {
  readonly hostname: string;
  readonly lmtp: boolean;
  readonly extensions: Required<ServerExtensions>;
  readonly starttls: boolean;
  readonly implicitTls: boolean;
  readonly sasl: SaslServer | undefined;
  readonly nonce: (() => string) | undefined;
  readonly policy: Required<ServerPolicy>;
  readonly limits: Required<ServerLimits>;
  readonly timeouts: Required<ServerTimeouts>;
  readonly syntax: CommandSyntaxOptions;
  readonly xclient: "trusted" | "untrusted" | undefined;
  readonly xforward: "trusted" | "untrusted" | undefined;
  /** Every capability that might ever be advertised: the grammar refuses parameters outside it. */
  readonly widest: CapabilitySet;
}

const ceiling = 0x7fffffff;

function positiveInteger(name: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ServerSessionError("invalid-option", `The option ${name} must be an integer from 1 to ${max}.`, value);
  }
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ServerSessionError("invalid-option", `The option ${name} must be true or false.`, value);
  return value;
}

function object(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null) throw new ServerSessionError("invalid-option", `The option ${name} must be an object.`, value);
  return value as Record<string, unknown>;
}

/** RFC 1035 / RFC 5321 §4.1.2 Domain, or an address literal: checked loosely, but never spaces or controls. */
function checkHostname(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 255 || !/^[A-Za-z0-9.:[\]-]+$/.test(value)) {
    throw new ServerSessionError("invalid-option", "The option hostname must be a domain name or address literal.", value);
  }
  return value;
}

/**
 * Fills in the defaults and checks every option.
 *
 * @param config - the embedder's configuration
 * @returns the resolved configuration
 * @throws {@link ServerSessionError} (`invalid-option`) for any invalid value
 */
export function resolveServerConfig(config: ServerSessionConfig): ResolvedServerConfig {
  if (typeof config !== "object" || config === null) throw new ServerSessionError("invalid-option", "A server session needs a configuration object.");
  const hostname = checkHostname(config.hostname);
  const lmtp = flag("lmtp", config.lmtp, false);

  const e = object("extensions", config.extensions);
  const extensions: Required<ServerExtensions> = {
    pipelining: lmtp || flag("extensions.pipelining", e.pipelining, true),
    size: flag("extensions.size", e.size, true),
    eightBitMime: flag("extensions.eightBitMime", e.eightBitMime, true),
    smtpUtf8: flag("extensions.smtpUtf8", e.smtpUtf8, true),
    chunking: flag("extensions.chunking", e.chunking, true),
    binaryMime: flag("extensions.binaryMime", e.binaryMime, false),
    dsn: flag("extensions.dsn", e.dsn, false),
    enhancedStatusCodes: flag("extensions.enhancedStatusCodes", e.enhancedStatusCodes, true),
    requireTls: flag("extensions.requireTls", e.requireTls, false),
  };
  if (extensions.binaryMime && !extensions.chunking) {
    throw new ServerSessionError("invalid-option", "BINARYMIME needs CHUNKING (RFC 3030 §3).");
  }

  const t = object("tls", config.tls);
  const starttls = flag("tls.starttls", t.starttls, false);
  const implicitTls = flag("tls.implicit", t.implicit, false);

  const p = object("policy", config.policy);
  const bareLineEnding = p.bareLineEnding ?? "reject";
  if (bareLineEnding !== "reject" && bareLineEnding !== "normalize") {
    throw new ServerSessionError("invalid-option", 'The option policy.bareLineEnding must be "reject" or "normalize".', bareLineEnding);
  }
  const vrfy = p.vrfy ?? "cannot-verify";
  if (vrfy !== "cannot-verify" && vrfy !== "disabled") {
    throw new ServerSessionError("invalid-option", 'The option policy.vrfy must be "cannot-verify" or "disabled".', vrfy);
  }
  const policy: Required<ServerPolicy> = {
    requireTls: flag("policy.requireTls", p.requireTls, false),
    authRequired: flag("policy.authRequired", p.authRequired, false),
    allowAuthWithoutTls: flag("policy.allowAuthWithoutTls", p.allowAuthWithoutTls, false),
    forbidUnauthorizedPipelining: flag("policy.forbidUnauthorizedPipelining", p.forbidUnauthorizedPipelining, true),
    bareLineEnding,
    rejectNul: flag("policy.rejectNul", p.rejectNul, false),
    vrfy,
  };
  if (policy.requireTls && !starttls && !implicitTls) {
    throw new ServerSessionError("invalid-option", "policy.requireTls needs TLS (tls.starttls or tls.implicit): no client could ever send mail.");
  }

  const l = object("limits", config.limits);
  const limits: Required<ServerLimits> = {
    maxMessageSize: positiveInteger("limits.maxMessageSize", l.maxMessageSize, SERVER_DEFAULT_MAX_MESSAGE_SIZE),
    maxRecipients: positiveInteger("limits.maxRecipients", l.maxRecipients, SERVER_DEFAULT_MAX_RECIPIENTS, ceiling),
    maxErrors: positiveInteger("limits.maxErrors", l.maxErrors, SERVER_DEFAULT_MAX_ERRORS, ceiling),
    maxRecipientOvershoot: positiveInteger("limits.maxRecipientOvershoot", l.maxRecipientOvershoot, SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT, ceiling),
    maxAuthFailures: positiveInteger("limits.maxAuthFailures", l.maxAuthFailures, SERVER_DEFAULT_MAX_AUTH_FAILURES, ceiling),
    maxJunkCommands: positiveInteger("limits.maxJunkCommands", l.maxJunkCommands, SERVER_DEFAULT_MAX_JUNK_COMMANDS, ceiling),
    // RFC 5321 §4.5.3.1.4: 512 octets with CRLF is the floor a server must accept.
    maxLineLength: positiveInteger("limits.maxLineLength", l.maxLineLength, 2048, ceiling),
    maxAuthLineLength: positiveInteger("limits.maxAuthLineLength", l.maxAuthLineLength, 12_288, ceiling),
    maxHeldBytes: positiveInteger("limits.maxHeldBytes", l.maxHeldBytes, 1024 * 1024, ceiling),
  };
  if (limits.maxLineLength < 510) {
    throw new ServerSessionError("invalid-option", "limits.maxLineLength must be at least 510 (RFC 5321 §4.5.3.1.4).", limits.maxLineLength);
  }
  if (limits.maxAuthLineLength < 12_288 - 2) {
    throw new ServerSessionError("invalid-option", "limits.maxAuthLineLength must be at least 12286 (RFC 4954 §4).", limits.maxAuthLineLength);
  }
  if (limits.maxHeldBytes < limits.maxAuthLineLength) {
    throw new ServerSessionError("invalid-option", "limits.maxHeldBytes must hold at least one AUTH line.", limits.maxHeldBytes);
  }

  const d = object("timeouts", config.timeouts);
  const timeouts: Required<ServerTimeouts> = {
    command: positiveInteger("timeouts.command", d.command, SERVER_DEFAULT_COMMAND_TIMEOUT),
    data: positiveInteger("timeouts.data", d.data, SERVER_DEFAULT_DATA_TIMEOUT),
    minDataRate: positiveInteger("timeouts.minDataRate", d.minDataRate, SERVER_DEFAULT_MIN_DATA_RATE),
  };

  let sasl: SaslServer | undefined;
  let nonce: (() => string) | undefined;
  if (config.auth !== undefined) {
    const a = object("auth", config.auth);
    const saslOptions = object("auth.sasl", a.sasl) as unknown as SaslServerOptions;
    try {
      sasl = createSaslServer({ ...saslOptions, allowPlaintextWithoutTls: policy.allowAuthWithoutTls, hostname: saslOptions.hostname ?? hostname });
    } catch (error) {
      if (SaslError.isInstance(error)) throw new ServerSessionError("invalid-option", `auth.sasl: ${error.message}`, error.value);
      throw error;
    }
    if (a.nonce !== undefined && typeof a.nonce !== "function") throw new ServerSessionError("invalid-option", "The option auth.nonce must be a function.");
    nonce = a.nonce as (() => string) | undefined;
    const needsNonce = saslOptions.mechanisms.some((name) => name === "CRAM-MD5" || name.startsWith("SCRAM-"));
    if (needsNonce && nonce === undefined) {
      throw new ServerSessionError("invalid-option", "SCRAM and CRAM-MD5 need auth.nonce, a source of fresh random nonces.");
    }
  } else if (policy.authRequired) {
    throw new ServerSessionError("invalid-option", "policy.authRequired needs auth: no client could ever send mail.");
  }

  const f = object("frontEnd", config.frontEnd);
  const trust = (name: string, value: unknown): "trusted" | "untrusted" | undefined => {
    if (value === undefined || value === "trusted" || value === "untrusted") return value;
    throw new ServerSessionError("invalid-option", `The option ${name} must be "trusted" or "untrusted".`, value);
  };
  const xclient = trust("frontEnd.xclient", f.xclient);
  const xforward = trust("frontEnd.xforward", f.xforward);
  for (const key of Object.keys(f)) {
    if (key !== "xclient" && key !== "xforward") throw new ServerSessionError("invalid-option", `Unknown frontEnd option ${key}.`, key);
  }

  const s = object("syntax", config.syntax);
  const syntax: { -readonly [K in keyof CommandSyntaxOptions]: CommandSyntaxOptions[K] } = {};
  for (const key of ["strict", "spaceAfterColon", "extraWhitespace", "missingAngleBrackets", "looseLocalPart", "uncheckedHello", "bareLineFeed"] as const) {
    if (s[key] !== undefined) syntax[key] = flag(`syntax.${key}`, s[key], false);
  }
  // RFC 5321 §4.5.3.1.3 and §4.5.3.1.1: 256 and 64 octets are the floors a server must accept.
  if (s.maxPathLength !== undefined) syntax.maxPathLength = positiveInteger("syntax.maxPathLength", s.maxPathLength, 256, ceiling);
  if (s.maxLocalPartLength !== undefined) syntax.maxLocalPartLength = positiveInteger("syntax.maxLocalPartLength", s.maxLocalPartLength, 64, ceiling);
  for (const key of Object.keys(s)) {
    if (!(key in syntax)) throw new ServerSessionError("invalid-option", `Unknown syntax option ${key}.`, key);
  }

  const widestEntries: [string, string[]][] = [];
  if (extensions.size) widestEntries.push(["SIZE", [String(limits.maxMessageSize)]]);
  if (extensions.eightBitMime) widestEntries.push(["8BITMIME", []]);
  if (extensions.smtpUtf8) widestEntries.push(["SMTPUTF8", []]);
  if (extensions.chunking) widestEntries.push(["CHUNKING", []]);
  if (extensions.binaryMime) widestEntries.push(["BINARYMIME", []]);
  if (extensions.dsn) widestEntries.push(["DSN", []]);
  if (extensions.requireTls) widestEntries.push(["REQUIRETLS", []]);
  if (sasl !== undefined) widestEntries.push(["AUTH", []]);
  const widest = CapabilitySet.of(widestEntries);

  return { hostname, lmtp, extensions, starttls, implicitTls, sasl, nonce, policy, limits, timeouts, syntax, xclient, xforward, widest };
}

/**
 * The options of a session's command reader, from its resolved
 * configuration. Internal.
 *
 * @param config - the resolved configuration
 * @returns the reader's options
 */
export function commandReaderOptions(config: ResolvedServerConfig): CommandReaderOptions {
  const { limits, policy, syntax, widest } = config;
  return {
    ...syntax,
    extensions: widest,
    maxLineLength: limits.maxLineLength,
    maxAuthLineLength: limits.maxAuthLineLength,
    maxHeldBytes: limits.maxHeldBytes,
    bareLineEndings: policy.bareLineEnding,
    rejectNul: policy.rejectNul,
  };
}

/**
 * A command reader for a new session. Internal.
 *
 * @param config - the resolved configuration
 * @returns the reader
 * @throws {@link ServerSessionError} (`invalid-option`) when the grammar refuses the reader's options
 */
export function newCommandReader(config: ResolvedServerConfig): CommandReader {
  try {
    return new CommandReader(commandReaderOptions(config));
  } catch (error) {
    if (GrammarError.isInstance(error)) throw new ServerSessionError("invalid-option", error.message);
    throw error;
  }
}

/**
 * A server configuration checked and completed once, for many sessions: what
 * {@link prepareServerSessionConfig} returns and `createServerSession` takes
 * in place of the options. Opaque: the checked options are not reachable
 * through it, so they cannot change after the check.
 */
export interface PreparedServerSessionConfig {
  /** Tells a prepared configuration from options. */
  readonly type: "prepared-server-session-config";
}

/** The resolved configuration behind each prepared one; only objects made here are keys, so none can be forged. */
const preparedConfigs = new WeakMap<object, ResolvedServerConfig>();

/**
 * Checks the options and fills in the defaults once, for a server that starts
 * a session per connection with the same options: each
 * `createServerSession(prepared)` then skips the checks (a server at one
 * message per connection spends a noticeable share of a connection on them).
 * The options are read now; changing them later changes no prepared
 * configuration.
 *
 * @param config - the options, as `createServerSession` takes them
 * @returns the prepared configuration
 * @throws {@link ServerSessionError} (`invalid-option`) for any invalid option, as `createServerSession` would
 * @example
 * ```ts
 * import { createServerSession, prepareServerSessionConfig } from "@smtpkit/session";
 * const prepared = prepareServerSessionConfig({ hostname: "mx.example.com" });
 * const first = createServerSession(prepared);
 * const second = createServerSession(prepared); // no second check
 * ```
 */
export function prepareServerSessionConfig(config: ServerSessionConfig): PreparedServerSessionConfig {
  const resolved = resolveServerConfig(config);
  // The reader's options are checked here too, so that a prepared configuration never fails later.
  newCommandReader(resolved);
  const prepared: PreparedServerSessionConfig = Object.freeze({ type: "prepared-server-session-config" });
  preparedConfigs.set(prepared, resolved);
  return prepared;
}

/**
 * The resolved configuration of a session: the prepared one's, or the options
 * checked now. Internal.
 *
 * @param config - options or a prepared configuration
 * @returns the resolved configuration
 * @throws {@link ServerSessionError} (`invalid-option`) for invalid options
 */
export function resolvedConfigOf(config: ServerSessionConfig | PreparedServerSessionConfig): ResolvedServerConfig {
  const prepared = typeof config === "object" && config !== null ? preparedConfigs.get(config) : undefined;
  return prepared ?? resolveServerConfig(config as ServerSessionConfig);
}
