/**
 * The hashing the SASL mechanisms need, behind one small interface so an
 * embedder can swap the pure implementation for a faster one (for example
 * `node:crypto`) without the mechanisms knowing.
 *
 * @module
 */
import { hmacMd5, hmacSha256, pbkdf2Sha256 } from "./hmac.js";
import { md5 } from "./md5.js";
import { sha256 } from "./sha256.js";

/**
 * The synchronous hash functions the SASL mechanisms use. Every function is
 * pure: same input, same output, no side effects.
 *
 * The default, {@link pureSaslCrypto}, is plain TypeScript. On Node, pass
 * functions backed by `node:crypto` for speed (see the example).
 *
 * @example
 * ```ts
 * import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
 * import type { SaslCrypto } from "@smtpkit/session";
 * const nodeSaslCrypto: SaslCrypto = {
 *   md5: (data) => createHash("md5").update(data).digest(),
 *   sha256: (data) => createHash("sha256").update(data).digest(),
 *   hmacMd5: (key, data) => createHmac("md5", key).update(data).digest(),
 *   hmacSha256: (key, data) => createHmac("sha256", key).update(data).digest(),
 *   pbkdf2Sha256: (password, salt, iterations, length) => pbkdf2Sync(password, salt, iterations, length, "sha256"),
 * };
 * ```
 */
export interface SaslCrypto {
  /** MD5 (RFC 1321): 16 bytes. */
  readonly md5: (data: Uint8Array) => Uint8Array;
  /** SHA-256 (FIPS 180-4): 32 bytes. */
  readonly sha256: (data: Uint8Array) => Uint8Array;
  /** HMAC-MD5 (RFC 2104): 16 bytes; CRAM-MD5's digest (RFC 2195). */
  readonly hmacMd5: (key: Uint8Array, data: Uint8Array) => Uint8Array;
  /** HMAC-SHA-256 (RFC 2104, RFC 4231): 32 bytes; SCRAM's `HMAC()`. */
  readonly hmacSha256: (key: Uint8Array, data: Uint8Array) => Uint8Array;
  /** PBKDF2 with HMAC-SHA-256 (RFC 8018 §5.2): `length` bytes; SCRAM's `Hi()`. */
  readonly pbkdf2Sha256: (password: Uint8Array, salt: Uint8Array, iterations: number, length: number) => Uint8Array;
}

/**
 * The default {@link SaslCrypto}: synchronous plain-TypeScript MD5, SHA-256,
 * HMAC and PBKDF2, tested against the RFC 1321, FIPS 180, RFC 2202, RFC 4231
 * and RFC 7677 vectors. No platform crypto, no dependencies.
 *
 * @example
 * ```ts
 * import { pureSaslCrypto } from "@smtpkit/session";
 * const digest = pureSaslCrypto.sha256(new TextEncoder().encode("abc"));
 * digest.length; // 32
 * ```
 */
export const pureSaslCrypto: SaslCrypto = Object.freeze({
  md5,
  sha256,
  hmacMd5,
  hmacSha256,
  pbkdf2Sha256,
});
