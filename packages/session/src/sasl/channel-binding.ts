/**
 * Channel binding data for SCRAM-SHA-256-PLUS, supplied by the embedder from
 * its TLS stack (this module has no TLS).
 *
 * @module
 */
import { SaslError } from "./sasl-error.js";

/**
 * The channel binding types SCRAM-SHA-256-PLUS supports here:
 *
 * - `tls-exporter` (RFC 9266): the 32-byte TLS exporter value with label
 *   `"EXPORTER-Channel-Binding"` and an empty context; the default for TLS 1.3.
 * - `tls-server-end-point` (RFC 5929 §4): the hash of the server's
 *   certificate; works through TLS-terminating proxies that hold the key.
 *
 * `tls-unique` is not offered: RFC 9266 §3 says not to use it with TLS 1.3,
 * and it is weak with TLS 1.2 without extended master secret.
 */
export type SaslChannelBindingType = "tls-exporter" | "tls-server-end-point";

/**
 * The channel binding of the current TLS connection.
 *
 * @example
 * ```ts
 * import type { SaslChannelBinding } from "@smtpkit/session";
 * // Node: tlsSocket.exportKeyingMaterial(32, "EXPORTER-Channel-Binding")
 * const binding: SaslChannelBinding = { type: "tls-exporter", data: new Uint8Array(32) };
 * ```
 */
export interface SaslChannelBinding {
  /** Which channel binding the data is. */
  readonly type: SaslChannelBindingType;
  /** The channel binding data itself. */
  readonly data: Uint8Array;
}

/** The largest channel binding data accepted: a SHA-512 certificate hash is 64 bytes. */
const maxChannelBindingBytes = 1024;

/** Checks channel binding data given by the embedder; throws on misuse. */
export function checkChannelBinding(binding: SaslChannelBinding | undefined): SaslChannelBinding | undefined {
  if (binding === undefined) return undefined;
  if (binding.type !== "tls-exporter" && binding.type !== "tls-server-end-point") {
    throw new SaslError("invalid-option", "Channel binding type must be tls-exporter or tls-server-end-point.", binding.type);
  }
  if (!(binding.data instanceof Uint8Array) || binding.data.length === 0 || binding.data.length > maxChannelBindingBytes) {
    throw new SaslError("invalid-option", `Channel binding data must be 1 to ${maxChannelBindingBytes} bytes.`);
  }
  return binding;
}
