/**
 * Channel binding data from a Node TLS socket, for SCRAM-SHA-256-PLUS:
 * `tls-exporter` (RFC 9266) on TLS 1.3, `tls-server-end-point`
 * (RFC 5929 §4.1) otherwise. Does not decide anything about SASL: the
 * session machine picks the mechanism.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { SaslChannelBinding } from "@smtpkit/session";

/**
 * Which channel binding to give the session after the handshake.
 * - `auto` (the default): `tls-exporter` on TLS 1.3, `tls-server-end-point`
 *   on older versions (RFC 9266 §3 forbids the exporter on TLS 1.2 without
 *   the extended master secret, which Node cannot confirm).
 * - `tls-exporter`, `tls-server-end-point`: that one, or none when it cannot be had.
 * - `none`: no channel binding, so no SCRAM-SHA-256-PLUS.
 */
export type ChannelBindingChoice = "auto" | "tls-exporter" | "tls-server-end-point" | "none";

// RFC 5929 §4.1: the certificate's signature hash, except MD5 and SHA-1,
// which become SHA-256. Keys are the DER contents of the algorithm OIDs.
const signatureHashes: ReadonlyMap<string, string> = new Map([
  ["2a864886f70d010104", "sha256"], // md5WithRSAEncryption
  ["2a864886f70d010105", "sha256"], // sha1WithRSAEncryption
  ["2a864886f70d01010b", "sha256"], // sha256WithRSAEncryption
  ["2a864886f70d01010c", "sha384"], // sha384WithRSAEncryption
  ["2a864886f70d01010d", "sha512"], // sha512WithRSAEncryption
  ["2a864886f70d01010e", "sha256"], // sha224WithRSAEncryption (below SHA-256)
  ["2a8648ce3d040301", "sha256"], // ecdsa-with-SHA224
  ["2a8648ce3d040302", "sha256"], // ecdsa-with-SHA256
  ["2a8648ce3d040303", "sha384"], // ecdsa-with-SHA384
  ["2a8648ce3d040304", "sha512"], // ecdsa-with-SHA512
  ["2a8648ce3d0401", "sha256"], // ecdsa-with-SHA1
]);

/** Reads a DER tag and length at `offset`; `undefined` when malformed. */
function readHeader(der: Uint8Array, offset: number): { tag: number; start: number; end: number } | undefined {
  if (offset + 2 > der.length) return undefined;
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || start + octets > der.length) return undefined;
    length = 0;
    for (let i = 0; i < octets; i += 1) length = length * 256 + (der[start + i] as number);
    start += octets;
  }
  const end = start + length;
  return end > der.length ? undefined : { tag, start, end };
}

/**
 * The hash RFC 5929 §4.1 uses for a certificate: from its signature
 * algorithm, SHA-256 for MD5 and SHA-1; `undefined` for algorithms without a
 * single hash (Ed25519, RSASSA-PSS) or a certificate that does not parse.
 *
 * @param der - the certificate, DER
 * @returns a `node:crypto` hash name, or `undefined`
 * @example
 * ```ts
 * endPointHash(new X509Certificate(pem).raw); // "sha256" for a sha256WithRSAEncryption certificate
 * ```
 */
export function endPointHash(der: Uint8Array): string | undefined {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }
  const certificate = readHeader(der, 0);
  if (certificate === undefined || certificate.tag !== 0x30) return undefined;
  const tbs = readHeader(der, certificate.start);
  if (tbs === undefined || tbs.tag !== 0x30) return undefined;
  const algorithm = readHeader(der, tbs.end);
  if (algorithm === undefined || algorithm.tag !== 0x30) return undefined;
  const oid = readHeader(der, algorithm.start);
  if (oid === undefined || oid.tag !== 0x06) return undefined;
  return signatureHashes.get(Buffer.from(der.subarray(oid.start, oid.end)).toString("hex"));
}

/**
 * The channel binding of an established TLS connection.
 *
 * @param socket - a connected `TLSSocket`
 * @param choice - which binding to make
 * @returns the binding, or `undefined` when none can be made
 * @example
 * ```ts
 * const binding = channelBindingOf(secureSocket, "auto"); // { type: "tls-exporter", data } on TLS 1.3
 * ```
 */
export function channelBindingOf(socket: TLSSocket, choice: ChannelBindingChoice): SaslChannelBinding | undefined {
  if (choice === "none") return undefined;
  const version = socket.getProtocol();
  if (choice === "tls-exporter" || (choice === "auto" && version === "TLSv1.3")) {
    // RFC 9266 §2: label "EXPORTER-Channel-Binding", empty context, 32 octets.
    return { type: "tls-exporter", data: new Uint8Array(socket.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0))) };
  }
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return undefined;
  const hash = endPointHash(certificate.raw);
  if (hash === undefined) return undefined;
  return { type: "tls-server-end-point", data: new Uint8Array(createHash(hash).update(certificate.raw).digest()) };
}
