/**
 * The SASL mechanisms this module implements, their order of strength, and
 * which of them expose a reusable credential to anyone who can read the
 * connection.
 *
 * @module
 */

/**
 * Every implemented mechanism, strongest first: the order a client prefers
 * them in (see {@link chooseMechanism}).
 *
 * @example
 * ```ts
 * import { saslMechanismNames } from "@smtpkit/session";
 * saslMechanismNames[0]; // "SCRAM-SHA-256-PLUS"
 * ```
 */
export const saslMechanismNames = [
  "SCRAM-SHA-256-PLUS",
  "SCRAM-SHA-256",
  "OAUTHBEARER",
  "XOAUTH2",
  "CRAM-MD5",
  "PLAIN",
  "LOGIN",
] as const;

/** The name of an implemented mechanism. */
export type SaslMechanismName = (typeof saslMechanismNames)[number];

/**
 * Mechanisms that send a reusable credential (a password or a bearer token)
 * that anyone reading the connection can replay: they need TLS unless the
 * embedder explicitly allows otherwise (RFC 4954 §4, RFC 4616 §4, RFC 7628 §5).
 *
 * @example
 * ```ts
 * import { plaintextMechanismNames } from "@smtpkit/session";
 * plaintextMechanismNames.includes("PLAIN"); // true
 * ```
 */
export const plaintextMechanismNames: readonly SaslMechanismName[] = ["OAUTHBEARER", "XOAUTH2", "PLAIN", "LOGIN"];

/**
 * Looks up a mechanism name as received (RFC 4954 §7: case-insensitive).
 *
 * @param name - a mechanism name from an AUTH command or an EHLO keyword
 * @returns the canonical upper-case name, or `undefined` when not implemented
 * @example
 * ```ts
 * import { toSaslMechanismName } from "@smtpkit/session";
 * toSaslMechanismName("scram-sha-256"); // "SCRAM-SHA-256"
 * toSaslMechanismName("GSSAPI");        // undefined
 * ```
 */
export function toSaslMechanismName(name: string): SaslMechanismName | undefined {
  // Bounded: no mechanism name is longer than 20 characters (RFC 4422 §3.1).
  if (name.length > 20) return undefined;
  const upper = name.toUpperCase();
  return saslMechanismNames.find((candidate) => candidate === upper);
}

/**
 * Whether the mechanism exposes a replayable credential on the wire (see
 * {@link plaintextMechanismNames}).
 *
 * @param name - an implemented mechanism
 * @returns `true` for PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER
 * @example
 * ```ts
 * import { isPlaintextMechanism } from "@smtpkit/session";
 * isPlaintextMechanism("SCRAM-SHA-256"); // false
 * ```
 */
export function isPlaintextMechanism(name: SaslMechanismName): boolean {
  return plaintextMechanismNames.includes(name);
}
