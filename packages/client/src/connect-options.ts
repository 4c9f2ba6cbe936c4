/**
 * The options of {@link connect}, their defaults, and their checks. Bad
 * values throw {@link ClientUsageError} before any connection is made.
 *
 * @module
 */
import { isIP } from "node:net";
import { hostname as systemHostname } from "node:os";
import { isValidDomain } from "@smtpkit/grammar";
import type { ClientEvent, ClientSessionOptions, SaslClientCredentials, SaslCrypto, SaslMechanismName, StartTlsPolicy } from "@smtpkit/session";
import { ClientUsageError } from "./client-usage-error.js";
import { nodeSaslCrypto } from "./node-sasl-crypto.js";
import type { ChannelBindingChoice } from "./tls-channel-binding.js";

/** Default time for the TCP connection (and an implicit-TLS handshake): 30 s. */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;

/**
 * How large the pieces are that an in-memory message is handed to the session
 * in, by default: 64 KiB. Smaller pieces let the socket's backpressure act
 * sooner; larger ones cost fewer calls. At most {@link MAX_MESSAGE_CHUNK_SIZE}.
 */
export const DEFAULT_MESSAGE_CHUNK_SIZE = 65_536;

/** The largest `messageChunkSize`: 64 MiB, the session's largest BDAT chunk. */
export const MAX_MESSAGE_CHUNK_SIZE = 67_108_864;

/**
 * How the server's certificate is checked. By default Node's trust store and
 * the host name (RFC 6125): the connection fails before anything is sent
 * when the certificate does not verify.
 *
 * @example
 * ```ts
 * const tlsOptions: ClientTlsOptions = { ca: readFileSync("test-ca.pem", "utf8"), servername: "mx.example.test" };
 * ```
 */
export interface ClientTlsOptions {
  /** Trust these CA certificates (PEM) instead of Node's default store: for tests and private CAs. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /**
   * Trust exactly these certificates, by SHA-256 fingerprint (the
   * `fingerprint256` of `node:crypto`'s `X509Certificate`, colons and case
   * ignored). A pin replaces the CA and host-name checks.
   */
  readonly pinnedCertificates?: readonly string[];
  /**
   * The name the certificate must carry, and the SNI name. Default: `host`
   * (SNI is never sent for an IP address, RFC 6066 §3).
   */
  readonly servername?: string;
  /**
   * Check the certificate. Default `true`. `false` accepts any certificate,
   * which defeats TLS against an active attacker: for tests only.
   */
  readonly rejectUnauthorized?: boolean;
  /** The oldest TLS version to accept; default `TLSv1.2` (RFC 8996, RFC 8314 §3). */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
  /** Which channel binding SCRAM-SHA-256-PLUS uses; default `auto`. */
  readonly channelBinding?: ChannelBindingChoice;
}

/**
 * The credentials to authenticate with (RFC 4954). The client makes the SCRAM
 * nonce itself, from `node:crypto`.
 *
 * @example
 * ```ts
 * const auth: ClientAuth = { username: "alice", password: process.env.SMTP_PASSWORD ?? "" };
 * ```
 */
export interface ClientAuth extends SaslClientCredentials {
  /** The mechanisms allowed; default every one the credentials can serve. The session picks the strongest offered. */
  readonly mechanisms?: readonly SaslMechanismName[];
  /** Send PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER without TLS. Default `false` (RFC 4954 §4): for tests only. */
  readonly allowPlaintextAuth?: boolean;
  /** Consider CRAM-MD5. Default `false`. */
  readonly allowCramMd5?: boolean;
  /** The hash functions for CRAM-MD5 and SCRAM; default {@link nodeSaslCrypto} (`node:crypto`). */
  readonly crypto?: SaslCrypto;
}

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * const options: ConnectOptions = {
 *   host: "smtp.example.com",
 *   port: 587,
 *   startTls: "required",
 *   auth: { username: "alice", password: "secret" },
 * };
 * ```
 */
export interface ConnectOptions {
  /** The server's host name or IP address. */
  readonly host: string;
  /** The port; default 465 with `implicitTls`, else 25. Submission is 587 (RFC 6409). */
  readonly port?: number;
  /** TLS from the first byte (RFC 8314, port 465). Default `false`. */
  readonly implicitTls?: boolean;
  /**
   * STARTTLS policy (RFC 3207); default `required`: the connection fails
   * before AUTH or MAIL when the server does not offer STARTTLS, refuses it,
   * or the handshake fails. `opportunistic` goes on in clear text in those
   * cases (RFC 7435); `never` does not try. Ignored with `implicitTls`.
   */
  readonly startTls?: StartTlsPolicy;
  /** Certificate checks and channel binding. */
  readonly tls?: ClientTlsOptions;
  /**
   * The name for EHLO/LHLO (RFC 5321 §4.1.1.1). Default: the system's host
   * name when it is a fully qualified domain name, else the connection's
   * local address as an address literal (`[192.0.2.1]`).
   */
  readonly hostname?: string;
  /** Authenticate (RFC 4954). */
  readonly auth?: ClientAuth;
  /** Speak LMTP (RFC 2033). Default `false`. */
  readonly lmtp?: boolean;
  /**
   * Pipeline when offered (RFC 2920): MAIL, the RCPTs and DATA go in one
   * write (DATA as the group's last command, RFC 2920 §3.1), BDAT chunks
   * without waiting. Default `true`.
   */
  readonly pipelining?: boolean;
  /** Use BDAT when the server offers CHUNKING (RFC 3030). Default `true`. */
  readonly chunking?: boolean;
  /** The largest BDAT chunk; default the session's (64 KiB). */
  readonly chunkSize?: number;
  /** Pipelined BDATs awaiting a reply; default the session's (16). */
  readonly maxOutstandingChunks?: number;
  /** Recipients per message; default the session's (1000). */
  readonly maxRecipients?: number;
  /** Reply timeouts in milliseconds (RFC 5321 §4.5.3.2); default the session's. */
  readonly timeouts?: ClientSessionOptions["timeouts"];
  /** Reply limits, forwarded to the session. */
  readonly replyLimits?: {
    /** Longest reply line in octets; default 4096. */
    readonly maxLineLength?: number;
    /** Most lines in one reply; default 256. */
    readonly maxLines?: number;
  };
  /** Octets of an in-memory message handed to the session at a time; default {@link DEFAULT_MESSAGE_CHUNK_SIZE}. */
  readonly messageChunkSize?: number;
  /** Milliseconds for the TCP connection and an implicit-TLS handshake; default {@link DEFAULT_CONNECT_TIMEOUT}. */
  readonly connectTimeout?: number;
  /** Ends the connection at once (no QUIT) when aborted; messages in flight fail. */
  readonly signal?: AbortSignal;
  /**
   * Called with every event of the session (greeting, capabilities,
   * authentication, results, failure), for logs and progress. Events never
   * hold credentials or content. An exception it throws is ignored.
   */
  readonly onEvent?: (event: ClientEvent) => void;
}

/** The options after defaults and checks (internal). */
export interface ResolvedConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly implicitTls: boolean;
  readonly startTls: StartTlsPolicy;
  readonly tls: ClientTlsOptions;
  readonly pins: ReadonlySet<string> | undefined;
  readonly connectTimeout: number;
  readonly messageChunkSize: number;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: ((event: ClientEvent) => void) | undefined;
}

function fail(option: string, value: unknown, message: string): never {
  throw new ClientUsageError("invalid-option", option, value, message);
}

function checkPositiveInteger(option: string, value: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
    throw new ClientUsageError("invalid-limit", option, value, `${option} must be an integer from 1 to ${max}.`);
  }
}

/** Normalises a SHA-256 fingerprint: upper case hex without separators. */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(":", "").toUpperCase();
}

/** Applies the defaults and checks the options; throws {@link ClientUsageError}. */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnectOptions {
  if (typeof options !== "object" || options === null) fail("options", options, "connect() takes an options object.");
  if (typeof options.host !== "string" || options.host.length === 0 || /[\s\0]/.test(options.host)) {
    fail("host", options.host, "host must be a host name or an IP address.");
  }
  checkPositiveInteger("port", options.port, 65_535);
  checkPositiveInteger("connectTimeout", options.connectTimeout);
  checkPositiveInteger("messageChunkSize", options.messageChunkSize, MAX_MESSAGE_CHUNK_SIZE);
  const startTls = options.startTls ?? "required";
  if (startTls !== "required" && startTls !== "opportunistic" && startTls !== "never") {
    fail("startTls", startTls, 'startTls must be "required", "opportunistic" or "never".');
  }
  const tls = options.tls ?? {};
  const choice = tls.channelBinding ?? "auto";
  if (!["auto", "tls-exporter", "tls-server-end-point", "none"].includes(choice)) {
    fail("tls.channelBinding", choice, 'tls.channelBinding must be "auto", "tls-exporter", "tls-server-end-point" or "none".');
  }
  if (tls.minVersion !== undefined && tls.minVersion !== "TLSv1.2" && tls.minVersion !== "TLSv1.3") {
    fail("tls.minVersion", tls.minVersion, 'tls.minVersion must be "TLSv1.2" or "TLSv1.3".');
  }
  let pins: Set<string> | undefined;
  if (tls.pinnedCertificates !== undefined) {
    pins = new Set();
    for (const pin of tls.pinnedCertificates) {
      const normalized = typeof pin === "string" ? normalizeFingerprint(pin) : "";
      if (!/^[0-9A-F]{64}$/.test(normalized)) fail("tls.pinnedCertificates", pin, "A pinned certificate is its SHA-256 fingerprint in hex.");
      pins.add(normalized);
    }
    if (pins.size === 0) fail("tls.pinnedCertificates", tls.pinnedCertificates, "tls.pinnedCertificates must not be empty.");
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) fail("signal", options.signal, "signal must be an AbortSignal.");
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") fail("onEvent", options.onEvent, "onEvent must be a function.");
  return {
    host: options.host,
    port: options.port ?? (options.implicitTls === true ? 465 : 25),
    implicitTls: options.implicitTls === true,
    startTls,
    tls,
    pins,
    connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    messageChunkSize: options.messageChunkSize ?? DEFAULT_MESSAGE_CHUNK_SIZE,
    signal: options.signal,
    onEvent: options.onEvent,
  };
}

/** The EHLO name when none is given: the FQDN of this system, else the local address literal (RFC 5321 §4.1.3). */
export function defaultHostname(localAddress: string | undefined): string {
  const name = systemHostname();
  if (name.includes(".") && isValidDomain(name, false)) return name;
  if (localAddress === undefined) return "[127.0.0.1]";
  const address = localAddress.startsWith("::ffff:") && isIP(localAddress.slice(7)) === 4 ? localAddress.slice(7) : localAddress;
  return isIP(address) === 6 ? `[IPv6:${address}]` : `[${address}]`;
}

/** The session's options for a connection (internal). */
export function sessionOptionsFor(
  options: ConnectOptions,
  hostname: string,
  scramNonce: string,
  resolved: ResolvedConnectOptions,
): ClientSessionOptions {
  const { auth } = options;
  let sessionAuth: ClientSessionOptions["auth"];
  if (auth !== undefined) {
    const { mechanisms, allowPlaintextAuth, allowCramMd5, crypto, ...credentials } = auth;
    sessionAuth = {
      credentials,
      ...(mechanisms === undefined ? {} : { mechanisms }),
      ...(allowPlaintextAuth === undefined ? {} : { allowPlaintextAuth }),
      ...(allowCramMd5 === undefined ? {} : { allowCramMd5 }),
      scramNonce,
      crypto: crypto ?? nodeSaslCrypto,
      host: resolved.tls.servername ?? resolved.host,
      port: resolved.port,
    };
  }
  return {
    hostname,
    startTls: resolved.implicitTls ? "never" : resolved.startTls,
    implicitTls: resolved.implicitTls,
    chunking: options.chunking ?? true,
    // DATA goes with the envelope whenever the session pipelines (one round trip fewer per message).
    pipelineData: true,
    ...(sessionAuth === undefined ? {} : { auth: sessionAuth }),
    ...(options.lmtp === undefined ? {} : { lmtp: options.lmtp }),
    ...(options.pipelining === undefined ? {} : { pipelining: options.pipelining }),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    ...(options.maxOutstandingChunks === undefined ? {} : { maxOutstandingChunks: options.maxOutstandingChunks }),
    ...(options.maxRecipients === undefined ? {} : { maxRecipients: options.maxRecipients }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    ...(options.replyLimits === undefined ? {} : { replyLimits: options.replyLimits }),
  };
}
