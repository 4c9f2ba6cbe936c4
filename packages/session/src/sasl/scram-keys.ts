/**
 * SCRAM key derivation (RFC 5802 §3) and the stored-key verifier a server
 * keeps instead of the password.
 *
 * @module
 */
import { utf8 } from "./bytes.js";
import type { SaslLimits } from "./limits.js";
import { SaslError } from "./sasl-error.js";
import { type SaslCrypto, pureSaslCrypto } from "./sasl-crypto.js";
import { saslPrep } from "./saslprep.js";

/**
 * What a SCRAM-SHA-256 server stores per user instead of the password
 * (RFC 5802 §3): enough to check a client proof and sign the server's reply,
 * not enough to log in as the user.
 */
export interface ScramVerifier {
  /** The salt (RFC 5802 `s=`); at least 16 random bytes are recommended. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count (RFC 5802 `i=`); RFC 7677 §4 asks for at least 4096. */
  readonly iterations: number;
  /** `StoredKey = H(HMAC(SaltedPassword, "Client Key"))`: 32 bytes. */
  readonly storedKey: Uint8Array;
  /** `ServerKey = HMAC(SaltedPassword, "Server Key")`: 32 bytes. */
  readonly serverKey: Uint8Array;
}

const clientKeyLabel = utf8("Client Key");
const serverKeyLabel = utf8("Server Key");

/** The keys derived from a salted password (RFC 5802 §3). */
export interface ScramKeys {
  readonly clientKey: Uint8Array;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

/** RFC 5802 §3: ClientKey, StoredKey and ServerKey from SaltedPassword. */
export function deriveScramKeys(crypto: SaslCrypto, saltedPassword: Uint8Array): ScramKeys {
  const clientKey = crypto.hmacSha256(saltedPassword, clientKeyLabel);
  return {
    clientKey,
    storedKey: crypto.sha256(clientKey),
    serverKey: crypto.hmacSha256(saltedPassword, serverKeyLabel),
  };
}

/** SASLprep for a SCRAM password (RFC 5802 §2.2: a stored string); throws on misuse. */
export function prepareScramPassword(password: string): Uint8Array {
  if (password.length === 0) throw new SaslError("invalid-credential", "The SCRAM password is empty.");
  const prepared = saslPrep(password, { kind: "stored" });
  if (!prepared.ok) throw new SaslError("invalid-credential", `SASLprep refuses the SCRAM password (${prepared.failure}).`);
  if (prepared.value.length === 0) throw new SaslError("invalid-credential", "The SCRAM password is empty after SASLprep.");
  return utf8(prepared.value);
}

/**
 * Checks a verifier handed in by the embedder; throws on misuse. Its
 * iteration count must lie within the server's own iteration limits: a
 * verifier below `minIterations` (RFC 7677 §4: 4096) would be refused by
 * careful clients anyway, so it is a configuration error to surface, not to
 * send. Lower `minIterations` to serve legacy verifiers knowingly.
 */
export function checkScramVerifier(verifier: ScramVerifier, limits: SaslLimits): ScramVerifier {
  const ok =
    typeof verifier === "object" &&
    verifier !== null &&
    verifier.salt instanceof Uint8Array &&
    verifier.salt.length > 0 &&
    verifier.salt.length <= 1024 &&
    Number.isInteger(verifier.iterations) &&
    verifier.iterations >= limits.minIterations &&
    verifier.iterations <= limits.maxIterations &&
    verifier.storedKey instanceof Uint8Array &&
    verifier.storedKey.length === 32 &&
    verifier.serverKey instanceof Uint8Array &&
    verifier.serverKey.length === 32;
  if (!ok) {
    throw new SaslError(
      "decision-mismatch",
      `A SCRAM-SHA-256 verifier needs a salt of 1 to 1024 bytes, an iteration count from ${limits.minIterations} to ${limits.maxIterations} (the server's limits) and 32-byte storedKey and serverKey.`,
    );
  }
  return verifier;
}

/**
 * Computes the SCRAM-SHA-256 verifier to store for a password (RFC 5802 §3),
 * after SASLprep (RFC 4013). Run it when the password is set; the server then
 * never needs the password itself.
 *
 * @param password - the user's password
 * @param salt - fresh random bytes (16 or more), unique per user
 * @param iterations - the PBKDF2 iteration count (4096 or more, RFC 7677 §4)
 * @param crypto - the hash functions; defaults to {@link pureSaslCrypto}
 * @returns the verifier to store
 * @throws {@link SaslError} `invalid-credential` when SASLprep refuses the
 *   password, `invalid-option` for an empty salt or a bad iteration count
 * @example
 * ```ts
 * import { createScramVerifier } from "@smtpkit/session";
 * const verifier = createScramVerifier("pencil", new Uint8Array(16).fill(7), 4096);
 * verifier.storedKey.length; // 32
 * ```
 */
export function createScramVerifier(
  password: string,
  salt: Uint8Array,
  iterations: number,
  crypto: SaslCrypto = pureSaslCrypto,
): ScramVerifier {
  if (!(salt instanceof Uint8Array) || salt.length === 0 || salt.length > 1024) {
    throw new SaslError("invalid-option", "The SCRAM salt must be 1 to 1024 bytes.");
  }
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0x7fffffff) {
    throw new SaslError("invalid-option", "The SCRAM iteration count must be an integer from 1 to 2^31-1.", iterations);
  }
  const saltedPassword = crypto.pbkdf2Sha256(prepareScramPassword(password), salt, iterations, 32);
  const { storedKey, serverKey } = deriveScramKeys(crypto, saltedPassword);
  return { salt: salt.slice(), iterations, storedKey, serverKey };
}
