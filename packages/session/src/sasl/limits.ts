/**
 * The limits that keep a hostile peer from making a SASL exchange expensive:
 * how large one decoded message may be, and the PBKDF2 iteration counts a
 * SCRAM client accepts from a server.
 *
 * @module
 */
import { SaslError } from "./sasl-error.js";

/**
 * Default largest decoded SASL message, in bytes: 9216.
 *
 * RFC 4954 §4 lets an AUTH command line (and so each response line) reach
 * 12288 octets; that much base64 decodes to at most 9216 bytes. Nothing
 * legitimate is larger (a JWT access token is a few kilobytes), and every
 * parser below is linear, so the bound caps the work per step.
 */
export const SASL_DEFAULT_MAX_MESSAGE_BYTES = 9216;

/**
 * Default smallest SCRAM iteration count a client accepts: 4096.
 *
 * RFC 7677 §4: "the hash iteration-count announced by a server SHOULD be at
 * least 4096". A server offering fewer makes a stolen exchange cheap to
 * brute-force, so the client refuses.
 */
export const SCRAM_DEFAULT_MIN_ITERATIONS = 4096;

/**
 * Default largest SCRAM iteration count a client accepts: 600000.
 *
 * The server picks the count and the client pays for it (RFC 5802 §5.1
 * `Hi()`); without a ceiling one hostile server reply can pin a CPU for
 * minutes. 600000 is the highest count current guidance recommends for
 * PBKDF2-HMAC-SHA-256 (OWASP, 2023), so no honest server needs more.
 */
export const SCRAM_DEFAULT_MAX_ITERATIONS = 600_000;

/**
 * The shortest nonce the embedder may pass in, in characters: 8. A guard
 * against passing a constant or a counter by mistake; RFC 5802 §5.1 asks for
 * a "sufficiently" random nonce, and 18 random bytes in base64 (24
 * characters) give 144 bits.
 */
export const SASL_MIN_NONCE_LENGTH = 8;

/** The longest nonce the embedder may pass in, in characters: 256. */
export const SASL_MAX_NONCE_LENGTH = 256;

/** The largest value any limit may take (it must fit a signed 32-bit integer). */
const ceiling = 0x7fffffff;

/** The limits of one SASL server or client. */
export interface SaslLimits {
  /** Largest decoded SASL message, in bytes; larger ones fail. Default {@link SASL_DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes: number;
  /**
   * Smallest SCRAM iteration count: a client refuses a server asking for
   * fewer; a server refuses (throws on) a stored verifier with fewer.
   * Default {@link SCRAM_DEFAULT_MIN_ITERATIONS}.
   */
  readonly minIterations: number;
  /**
   * Largest SCRAM iteration count: a client refuses a server asking for
   * more; a server refuses (throws on) a stored verifier with more.
   * Default {@link SCRAM_DEFAULT_MAX_ITERATIONS}.
   */
  readonly maxIterations: number;
}

/**
 * Fills in the defaults and checks every limit.
 *
 * @param limits - the limits to override
 * @returns the complete, validated limits
 * @throws {@link SaslError} `invalid-limit` when a value is not a positive
 *   integer up to 2^31-1, or `minIterations` exceeds `maxIterations`
 * @example
 * ```ts
 * import { resolveSaslLimits } from "@smtpkit/session";
 * resolveSaslLimits({ maxIterations: 100_000 }).minIterations; // 4096
 * ```
 */
export function resolveSaslLimits(limits: Partial<SaslLimits> = {}): SaslLimits {
  const resolved: SaslLimits = {
    maxMessageBytes: limits.maxMessageBytes ?? SASL_DEFAULT_MAX_MESSAGE_BYTES,
    minIterations: limits.minIterations ?? SCRAM_DEFAULT_MIN_ITERATIONS,
    maxIterations: limits.maxIterations ?? SCRAM_DEFAULT_MAX_ITERATIONS,
  };
  for (const [name, value] of Object.entries(resolved)) {
    // A bad limit must not silently switch the protection off.
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > ceiling) {
      throw new SaslError("invalid-limit", `The SASL limit ${name} must be an integer from 1 to ${ceiling}.`, value);
    }
  }
  if (resolved.minIterations > resolved.maxIterations) {
    throw new SaslError("invalid-limit", "The SASL limit minIterations exceeds maxIterations.", resolved);
  }
  return Object.freeze(resolved);
}
