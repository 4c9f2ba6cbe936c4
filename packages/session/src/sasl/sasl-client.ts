/**
 * The client side of SMTP AUTH's SASL layer: choosing the strongest
 * mechanism the server offers and the embedder allows, and creating the
 * mechanism that produces the responses.
 *
 * Sans-IO: the session sends `AUTH <name> [initial-response]`, base64-encodes
 * each response, decodes each 334 challenge, and sends `*` when a step fails.
 *
 * @module
 */
import { checkChannelBinding, type SaslChannelBinding } from "./channel-binding.js";
import { CramMd5Client } from "./client-cram-md5.js";
import { LoginClient } from "./client-login.js";
import { OAuthClient } from "./client-oauth.js";
import { PlainClient } from "./client-plain.js";
import { ScramClient } from "./client-scram.js";
import type { SaslClientCredentials, SaslClientMechanism } from "./client-types.js";
import { isAcceptableIdentity } from "./identity.js";
import { resolveSaslLimits, SASL_MAX_NONCE_LENGTH, SASL_MIN_NONCE_LENGTH, type SaslLimits } from "./limits.js";
import { isPlaintextMechanism, saslMechanismNames, toSaslMechanismName, type SaslMechanismName } from "./mechanism-names.js";
import { isBearerToken } from "./oauth-messages.js";
import { SaslError } from "./sasl-error.js";
import { type SaslCrypto, pureSaslCrypto } from "./sasl-crypto.js";
import { saslPrep } from "./saslprep.js";
import { prepareScramPassword } from "./scram-keys.js";
import { isPrintableNonce } from "./scram-messages.js";

/** What {@link chooseMechanism} weighs. */
export interface SaslChooseOptions {
  /** The credentials at hand: a password enables SCRAM, CRAM-MD5, PLAIN, LOGIN; a token OAUTHBEARER and XOAUTH2. */
  readonly credentials: SaslClientCredentials;
  /** Whether the connection is protected by TLS. */
  readonly tls: boolean;
  /** The TLS channel binding, when available (enables SCRAM-SHA-256-PLUS). */
  readonly channelBinding?: SaslChannelBinding;
  /** Use PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER without TLS. Default `false`: never send a reusable credential in clear text. */
  readonly allowPlaintextWithoutTls?: boolean;
  /** Consider CRAM-MD5 (weak: MD5-based, offline-attackable). Default `false`. */
  readonly allowCramMd5?: boolean;
  /** The mechanisms the embedder allows at all. Default: every implemented one. */
  readonly mechanisms?: readonly SaslMechanismName[];
}

/** The outcome of {@link chooseMechanism}. */
export type SaslChoice =
  | {
      /** The discriminant. */
      readonly type: "chosen";
      /** The mechanism to use. */
      readonly mechanism: SaslMechanismName;
      /**
       * What to pass as `channelBinding` to {@link createSaslClient}: the
       * binding for -PLUS; for SCRAM-SHA-256 the binding only when the
       * server did not offer -PLUS (its `y` flag, RFC 5802 §6); otherwise
       * `undefined`.
       */
      readonly channelBinding: SaslChannelBinding | undefined;
    }
  | {
      /** The discriminant. */
      readonly type: "none";
      /**
       * `needs-tls`: only plain-text mechanisms were left and the connection
       * has no TLS; `no-common-mechanism`: nothing offered is both allowed
       * and usable with the credentials at hand.
       */
      readonly reason: "needs-tls" | "no-common-mechanism";
    };

/**
 * Picks the strongest mechanism the server offers that the embedder allows
 * and the credentials can serve. Preference: SCRAM-SHA-256-PLUS (with
 * channel binding data), SCRAM-SHA-256, OAUTHBEARER, XOAUTH2 (with a token),
 * CRAM-MD5 (only when allowed), PLAIN, LOGIN. Plain-text mechanisms are
 * refused without TLS unless explicitly allowed.
 *
 * @param offered - the mechanisms after `AUTH` in the server's EHLO reply (any case; unknown ones are ignored)
 * @param options - credentials, TLS state and policy
 * @returns the chosen mechanism, or why none fits
 * @example
 * ```ts
 * import { chooseMechanism } from "@smtpkit/session";
 * chooseMechanism(["PLAIN", "LOGIN", "SCRAM-SHA-256"], {
 *   credentials: { username: "tim", password: "tanstaaftanstaaf" },
 *   tls: true,
 * }); // { type: "chosen", mechanism: "SCRAM-SHA-256", channelBinding: undefined }
 * chooseMechanism(["PLAIN"], { credentials: { username: "tim", password: "x" }, tls: false });
 * // { type: "none", reason: "needs-tls" }
 * ```
 */
export function chooseMechanism(offered: readonly string[], options: SaslChooseOptions): SaslChoice {
  const offeredNames = new Set<SaslMechanismName>();
  for (const name of offered.slice(0, 256)) {
    const known = toSaslMechanismName(name);
    if (known !== undefined) offeredNames.add(known);
  }
  const allowed = options.mechanisms ?? saslMechanismNames;
  const { credentials } = options;
  const hasPassword = credentials.password !== undefined && credentials.password !== "";
  const hasToken = credentials.token !== undefined && credentials.token !== "";
  let blockedByTls = false;
  for (const name of saslMechanismNames) {
    if (!offeredNames.has(name) || !allowed.includes(name)) continue;
    const usable =
      name === "SCRAM-SHA-256-PLUS"
        ? hasPassword && options.channelBinding !== undefined
        : name === "OAUTHBEARER" || name === "XOAUTH2"
          ? hasToken
          : name === "CRAM-MD5"
            ? hasPassword && options.allowCramMd5 === true
            : hasPassword;
    if (!usable) continue;
    if (isPlaintextMechanism(name) && !options.tls && options.allowPlaintextWithoutTls !== true) {
      blockedByTls = true;
      continue;
    }
    return { type: "chosen", mechanism: name, channelBinding: bindingFor(name, offeredNames, options.channelBinding) };
  }
  return { type: "none", reason: blockedByTls ? "needs-tls" : "no-common-mechanism" };
}

// RFC 5802 §6: bind with -PLUS; with plain SCRAM send the binding (and so
// the "y" flag) only when the server did not offer -PLUS, so that a server
// that does offer it can tell a stripped advertisement from a client that
// chose not to bind.
function bindingFor(
  name: SaslMechanismName,
  offered: ReadonlySet<SaslMechanismName>,
  binding: SaslChannelBinding | undefined,
): SaslChannelBinding | undefined {
  if (name === "SCRAM-SHA-256-PLUS") return binding;
  if (name === "SCRAM-SHA-256" && !offered.has("SCRAM-SHA-256-PLUS")) return binding;
  return undefined;
}

/** What a client mechanism is created from. */
export interface SaslClientOptions {
  /** Who authenticates, and with what. */
  readonly credentials: SaslClientCredentials;
  /**
   * SCRAM only: a fresh random client nonce, printable ASCII without ","
   * (RFC 5802 §7), 8 to 256 characters; 18 random bytes in base64 are plenty.
   */
  readonly nonce?: string;
  /**
   * The TLS channel binding. Required for SCRAM-SHA-256-PLUS. Given to
   * SCRAM-SHA-256 it sends the `y` flag of RFC 5802 §6 ("I could bind, but
   * you did not offer -PLUS"), which lets a server that does offer -PLUS
   * detect that someone stripped it from the EHLO reply. So give it to
   * SCRAM-SHA-256 only when the server did not advertise
   * SCRAM-SHA-256-PLUS; otherwise such a server refuses the attempt as a
   * downgrade. {@link chooseMechanism} returns the right value in its
   * `channelBinding`.
   */
  readonly channelBinding?: SaslChannelBinding;
  /** OAUTHBEARER: the server's host name, sent as `host=` (RFC 7628 §3.1). */
  readonly host?: string;
  /** OAUTHBEARER: the server's port, sent as `port=`. */
  readonly port?: number;
  /** The hash functions; default {@link pureSaslCrypto}. */
  readonly crypto?: SaslCrypto;
  /** The limits; see {@link SaslLimits}. */
  readonly limits?: Partial<SaslLimits>;
}

function requireIdentity(name: string | undefined, what: string): string {
  if (name === undefined || !isAcceptableIdentity(name)) {
    throw new SaslError("invalid-credential", `The ${what} must be non-empty and free of control characters.`);
  }
  return name;
}

function requirePassword(password: string | undefined): string {
  if (password === undefined || password === "" || password.includes("\u0000")) {
    throw new SaslError("invalid-credential", "The password must be non-empty and contain no NUL.");
  }
  return password;
}

/**
 * Creates the client side of one authentication attempt.
 *
 * @param mechanismName - the mechanism, usually from {@link chooseMechanism}
 * @param options - credentials, nonce, channel binding and limits
 * @returns a fresh mechanism in the `ready` state
 * @throws {@link SaslError} `invalid-option` for an unknown mechanism, a
 *   missing or malformed nonce, or missing channel binding for -PLUS;
 *   `invalid-credential` for missing or unusable credentials (control
 *   characters in names, NUL in a password, SASLprep refusal for SCRAM);
 *   `invalid-limit` for bad limits
 * @example
 * ```ts
 * import { createSaslClient } from "@smtpkit/session";
 * const client = createSaslClient("PLAIN", { credentials: { username: "tim", password: "tanstaaftanstaaf" } });
 * const first = client.start();
 * // first: { type: "response", response: [redacted] }: send "AUTH PLAIN " + base64(first.response.reveal())
 * // ...after the server's 235:
 * client.succeeded(); // { type: "success", mechanism: "PLAIN" }
 * ```
 */
export function createSaslClient(mechanismName: string, options: SaslClientOptions): SaslClientMechanism {
  const name = toSaslMechanismName(mechanismName);
  if (name === undefined) throw new SaslError("invalid-option", "Unknown SASL mechanism.", mechanismName);
  const limits: SaslLimits = resolveSaslLimits(options.limits);
  const crypto = options.crypto ?? pureSaslCrypto;
  const channelBinding = checkChannelBinding(options.channelBinding);
  const { credentials } = options;
  const authorizationIdentity = credentials.authorizationIdentity ?? "";
  if (authorizationIdentity !== "") requireIdentity(authorizationIdentity, "authorization identity");
  switch (name) {
    case "PLAIN":
      return new PlainClient(limits, requireIdentity(credentials.username, "user name"), requirePassword(credentials.password), authorizationIdentity);
    case "LOGIN":
      return new LoginClient(limits, requireIdentity(credentials.username, "user name"), requirePassword(credentials.password));
    case "CRAM-MD5": {
      const username = requireIdentity(credentials.username, "user name");
      // RFC 2195 §2: the digest follows the last space; a name may hold spaces.
      return new CramMd5Client(limits, crypto, username, requirePassword(credentials.password));
    }
    case "XOAUTH2":
    case "OAUTHBEARER": {
      const token = credentials.token;
      if (token === undefined || !isBearerToken(token)) {
        throw new SaslError("invalid-credential", "The OAuth token must be an RFC 6750 b64token.");
      }
      if (name === "XOAUTH2" || credentials.username !== "") requireIdentity(credentials.username, "user name");
      if (options.host !== undefined && !/^[\x21-\x7e]{1,255}$/.test(options.host)) {
        throw new SaslError("invalid-option", "The OAUTHBEARER host must be 1 to 255 printable ASCII characters.", options.host);
      }
      if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
        throw new SaslError("invalid-option", "The OAUTHBEARER port must be an integer from 1 to 65535.", options.port);
      }
      // OAUTHBEARER carries the user in a= (the authorization identity slot).
      const user = name === "OAUTHBEARER" && authorizationIdentity !== "" ? authorizationIdentity : credentials.username;
      return new OAuthClient(name, limits, user, token, options.host, options.port);
    }
    case "SCRAM-SHA-256":
    case "SCRAM-SHA-256-PLUS": {
      if (name === "SCRAM-SHA-256-PLUS" && channelBinding === undefined) {
        throw new SaslError("invalid-option", "SCRAM-SHA-256-PLUS needs channel binding data.");
      }
      const nonce = options.nonce;
      if (nonce === undefined || nonce.length < SASL_MIN_NONCE_LENGTH || nonce.length > SASL_MAX_NONCE_LENGTH || !isPrintableNonce(nonce)) {
        throw new SaslError(
          "invalid-option",
          `SCRAM needs a fresh client nonce: ${SASL_MIN_NONCE_LENGTH} to ${SASL_MAX_NONCE_LENGTH} printable ASCII characters without ",".`,
        );
      }
      // RFC 5802 §5.1: SASLprep the user name as a query string.
      const prepared = saslPrep(requireIdentity(credentials.username, "user name"), { kind: "query" });
      if (!prepared.ok || !isAcceptableIdentity(prepared.value)) {
        throw new SaslError("invalid-credential", "SASLprep refuses the SCRAM user name.");
      }
      return new ScramClient({
        name,
        limits,
        crypto,
        username: prepared.value,
        password: prepareScramPassword(credentials.password ?? ""),
        authorizationIdentity: authorizationIdentity === "" ? undefined : authorizationIdentity,
        nonce,
        channelBinding,
      });
    }
  }
}
