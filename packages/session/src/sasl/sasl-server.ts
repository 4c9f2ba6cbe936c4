/**
 * The server side of SMTP AUTH's SASL layer (RFC 4954 §4): which mechanisms
 * to advertise on a connection, and a fresh mechanism per AUTH attempt.
 *
 * Sans-IO: the session decodes each base64 line (and handles `*`, which
 * cancels, RFC 4954 §4) and feeds the bytes in; it encodes each challenge
 * after `334 `. Nonces come in from the embedder; nothing here is random.
 *
 * @module
 */
import { checkChannelBinding, type SaslChannelBinding } from "./channel-binding.js";
import { resolveSaslLimits, SASL_MAX_NONCE_LENGTH, SASL_MIN_NONCE_LENGTH, type SaslLimits } from "./limits.js";
import { isPlaintextMechanism, saslMechanismNames, toSaslMechanismName, type SaslMechanismName } from "./mechanism-names.js";
import { SaslError } from "./sasl-error.js";
import { type SaslCrypto, pureSaslCrypto } from "./sasl-crypto.js";
import { isPrintableNonce } from "./scram-messages.js";
import { CramMd5Server } from "./server-cram-md5.js";
import { LoginServer } from "./server-login.js";
import { serverFailure, type ServerContext, type ServerMechanism } from "./server-mechanism.js";
import { OAuthServer } from "./server-oauth.js";
import { PlainServer } from "./server-plain.js";
import { ScramServer } from "./server-scram.js";
import type { SaslServerFailure, SaslServerMechanism, SaslServerStep } from "./server-types.js";


/** How a SASL server behaves; fixed for its lifetime. */
export interface SaslServerOptions {
  /**
   * The mechanisms to offer (no default: the embedder must be able to answer
   * their decisions). CRAM-MD5 needs `hostname`.
   */
  readonly mechanisms: readonly SaslMechanismName[];
  /**
   * Offer and accept the plain-text mechanisms (PLAIN, LOGIN, XOAUTH2,
   * OAUTHBEARER) without TLS. Default `false`: they are not advertised and
   * an attempt gets 538 `AuthNeedsEncryption` (RFC 4954 §4, §6).
   */
  readonly allowPlaintextWithoutTls?: boolean;
  /**
   * Ask the embedder (an `authorize` decision) when a client with good
   * credentials asks to act as another identity. Default `false`: such
   * attempts fail with `AuthorizationIdentityRefused` (RFC 4616 §2).
   */
  readonly authorizationDecisions?: boolean;
  /** The server's host name, for CRAM-MD5's `<nonce@hostname>` challenge (RFC 2195 §2). */
  readonly hostname?: string;
  /** The hash functions; default {@link pureSaslCrypto}. */
  readonly crypto?: SaslCrypto;
  /** The limits; see {@link SaslLimits}. */
  readonly limits?: Partial<SaslLimits>;
}

/** What one connection offers. */
export interface SaslServerConnection {
  /** Whether the connection is protected by TLS. */
  readonly tls: boolean;
  /** The TLS channel binding, when the embedder can provide it (enables SCRAM-SHA-256-PLUS). */
  readonly channelBinding?: SaslChannelBinding;
}

/** One AUTH attempt. */
export interface SaslServerAttempt extends SaslServerConnection {
  /**
   * A fresh random nonce for this attempt, required for SCRAM and CRAM-MD5:
   * printable ASCII without "," (RFC 5802 §7), `@`, `<` or `>`, 8 to 256
   * characters. 18 random bytes in base64 (24 characters) are plenty.
   */
  readonly nonce?: string;
  /** The AUTH command's initial response, decoded (`=` is an empty array); absent when none was sent. */
  readonly initialResponse?: Uint8Array;
}

/** The outcome of {@link SaslServer.start}. */
export type SaslServerStart =
  | { readonly mechanism: SaslServerMechanism; readonly step: SaslServerStep }
  | { readonly mechanism: undefined; readonly step: SaslServerFailure };

/** A configured SASL server: the factory of per-attempt mechanisms. */
export interface SaslServer {
  /**
   * The mechanisms to list after `AUTH` in the EHLO reply on this connection,
   * strongest first.
   */
  offered(connection: SaslServerConnection): readonly SaslMechanismName[];
  /**
   * Starts an attempt for the mechanism named in an AUTH command. Returns the
   * fresh mechanism and its first step, or a failure when the mechanism
   * cannot be used here.
   *
   * @throws {@link SaslError} `invalid-option` when the attempt lacks a
   *   nonce the mechanism needs or has a malformed one
   */
  start(mechanismName: string, attempt: SaslServerAttempt): SaslServerStart;
}

// RFC 5802 §7 `printable` (no ","), and none of "<", ">", "@" so the value
// also fits CRAM-MD5's msg-id challenge (RFC 2195 §2, RFC 5322 §3.6.4).
function isChallengeSafe(value: string): boolean {
  return isPrintableNonce(value) && !value.includes("<") && !value.includes(">") && !value.includes("@");
}

function checkNonce(nonce: string): void {
  if (nonce.length < SASL_MIN_NONCE_LENGTH || nonce.length > SASL_MAX_NONCE_LENGTH || !isChallengeSafe(nonce)) {
    throw new SaslError(
      "invalid-option",
      `The nonce must be ${SASL_MIN_NONCE_LENGTH} to ${SASL_MAX_NONCE_LENGTH} printable ASCII characters without ",", "<", ">" or "@".`,
    );
  }
}

function checkHostname(hostname: string): void {
  if (hostname.length > 255 || !isChallengeSafe(hostname)) {
    throw new SaslError("invalid-option", 'The hostname must be 1 to 255 printable ASCII characters without ",", "<", ">" or "@".', hostname);
  }
}

/**
 * Creates a SASL server for SMTP AUTH.
 *
 * @param options - the mechanisms to offer and the policies
 * @returns a server that advertises mechanisms and starts attempts
 * @throws {@link SaslError} `invalid-option` for an empty or unknown mechanism
 *   list or a missing/malformed hostname with CRAM-MD5; `invalid-limit` for bad limits
 * @example
 * ```ts
 * import { createSaslServer } from "@smtpkit/session";
 * const server = createSaslServer({ mechanisms: ["PLAIN"] });
 * const { mechanism, step } = server.start("PLAIN", {
 *   tls: true,
 *   initialResponse: new TextEncoder().encode("\u0000tim\u0000tanstaaftanstaaf"),
 * });
 * // step: { type: "decision", request: { type: "verify-password", username: "tim", password: [redacted] } }
 * const final = mechanism?.decide({ type: "accept" });
 * // final: { type: "success", authenticationIdentity: "tim", authorizationIdentity: "tim" }
 * ```
 */
export function createSaslServer(options: SaslServerOptions): SaslServer {
  const limits = resolveSaslLimits(options.limits);
  const crypto = options.crypto ?? pureSaslCrypto;
  const enabled = options.mechanisms;
  if (!Array.isArray(enabled) || enabled.length === 0) {
    throw new SaslError("invalid-option", "A SASL server needs at least one mechanism.");
  }
  for (const name of enabled) {
    if (!saslMechanismNames.includes(name)) throw new SaslError("invalid-option", "Unknown SASL mechanism.", name);
  }
  if (enabled.includes("CRAM-MD5")) {
    if (options.hostname === undefined) throw new SaslError("invalid-option", "CRAM-MD5 needs the server's hostname.");
    checkHostname(options.hostname);
  }
  const allowPlaintext = options.allowPlaintextWithoutTls === true;
  const authorizationDecisions = options.authorizationDecisions === true;

  function usable(name: SaslMechanismName, connection: SaslServerConnection): boolean {
    if (name === "SCRAM-SHA-256-PLUS" && connection.channelBinding === undefined) return false;
    return connection.tls || allowPlaintext || !isPlaintextMechanism(name);
  }

  return {
    offered(connection) {
      checkChannelBinding(connection.channelBinding);
      return saslMechanismNames.filter((name) => enabled.includes(name) && usable(name, connection));
    },

    start(mechanismName, attempt) {
      const channelBinding = checkChannelBinding(attempt.channelBinding);
      const name = toSaslMechanismName(mechanismName);
      if (name === undefined || !enabled.includes(name)) {
        return { mechanism: undefined, step: serverFailure(name, "AuthMechanismUnsupported", "mechanism-unsupported") };
      }
      if (name === "SCRAM-SHA-256-PLUS" && channelBinding === undefined) {
        return { mechanism: undefined, step: serverFailure(name, "AuthMechanismUnsupported", "channel-binding-unavailable") };
      }
      if (!attempt.tls && !allowPlaintext && isPlaintextMechanism(name)) {
        return { mechanism: undefined, step: serverFailure(name, "AuthNeedsEncryption", "encryption-required") };
      }
      const needsNonce = name === "CRAM-MD5" || name.startsWith("SCRAM-");
      if (needsNonce) {
        if (attempt.nonce === undefined) throw new SaslError("invalid-option", `${name} needs a fresh nonce for every attempt.`);
        checkNonce(attempt.nonce);
      }
      const context: ServerContext = {
        crypto,
        limits,
        authorizationDecisions,
        channelBinding,
        offersPlus: enabled.includes("SCRAM-SHA-256-PLUS") && channelBinding !== undefined,
        nonce: attempt.nonce,
        hostname: options.hostname,
      };
      let mechanism: ServerMechanism;
      switch (name) {
        case "PLAIN":
          mechanism = new PlainServer(name, context);
          break;
        case "LOGIN":
          mechanism = new LoginServer(name, context);
          break;
        case "CRAM-MD5":
          mechanism = new CramMd5Server(name, context);
          break;
        case "XOAUTH2":
        case "OAUTHBEARER":
          mechanism = new OAuthServer(name, context);
          break;
        case "SCRAM-SHA-256":
        case "SCRAM-SHA-256-PLUS":
          mechanism = new ScramServer(name, context);
          break;
      }
      return { mechanism, step: mechanism.start(attempt.initialResponse) };
    },
  };
}
