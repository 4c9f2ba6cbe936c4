/**
 * The SASL layer's hash functions (CRAM-MD5, SCRAM-SHA-256) from
 * `node:crypto`: the same results as the session's pure ones, and much
 * faster for SCRAM's PBKDF2 (RFC 5802 §2.2, 4096 iterations and more).
 *
 * @module
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import type { SaslCrypto } from "@smtpkit/session";

/**
 * `node:crypto` behind the session's `SaslCrypto` interface; what
 * {@link connect} gives the session unless `auth.crypto` says otherwise.
 *
 * @example
 * ```ts
 * nodeSaslCrypto.sha256(new Uint8Array(0)).length; // 32
 * ```
 */
export const nodeSaslCrypto: SaslCrypto = Object.freeze({
  md5: (data: Uint8Array) => new Uint8Array(createHash("md5").update(data).digest()),
  sha256: (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest()),
  hmacMd5: (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac("md5", key).update(data).digest()),
  hmacSha256: (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac("sha256", key).update(data).digest()),
  pbkdf2Sha256: (password: Uint8Array, salt: Uint8Array, iterations: number, length: number) =>
    new Uint8Array(pbkdf2Sync(password, salt, iterations, length, "sha256")),
});
