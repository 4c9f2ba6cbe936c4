/**
 * Throw-away self-signed certificates for STARTTLS on loopback peers, made
 * with the `openssl` command line (Debian `openssl`). Each certificate names
 * its host in the subject and in subjectAltName (plus IP 127.0.0.1), so a
 * client that pins the certificate as its CA can verify it.
 *
 * @module
 */

import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InteropError } from "./interop-error.js";
import { runCommand } from "./run-command.js";

/** Options of {@link createSelfSignedCertificate}. */
export interface CertificateOptions {
  /** Folder the PEM files are written to (it must exist). */
  readonly directory: string;
  /** Subject CN and DNS subjectAltName (default `localhost`). */
  readonly commonName?: string;
  /** File name prefix (default `tls`: `tls-cert.pem`, `tls-key.pem`). */
  readonly name?: string;
  /** Validity in days (default 7). */
  readonly days?: number;
}

/** A certificate and its private key, as files and as PEM text. */
export interface SelfSignedCertificate {
  /** Path of the PEM certificate. */
  readonly certificatePath: string;
  /** Path of the PEM private key (mode 0600). */
  readonly keyPath: string;
  /** The certificate, PEM. */
  readonly certificate: string;
  /** The private key, PEM. */
  readonly key: string;
  /** The subject common name. */
  readonly commonName: string;
}

/**
 * Creates an RSA-2048 self-signed certificate with `openssl req -x509`.
 *
 * @param options - where to write it and for which name
 * @returns the paths and PEM texts
 * @throws {@link InteropError} `command-failed` when openssl fails or is missing
 * @example
 * ```ts
 * const tls = await createSelfSignedCertificate({ directory: "/tmp/x", commonName: "peer.example.test" });
 * // tls.certificatePath, tls.keyPath
 * ```
 */
export async function createSelfSignedCertificate(options: CertificateOptions): Promise<SelfSignedCertificate> {
  const commonName = options.commonName ?? "localhost";
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(commonName)) {
    throw new InteropError("invalid-option", `certificate commonName must be a host name, got ${JSON.stringify(commonName)}`);
  }
  const name = options.name ?? "tls";
  const certificatePath = join(options.directory, `${name}-cert.pem`);
  const keyPath = join(options.directory, `${name}-key.pem`);
  const result = await runCommand(
    "openssl",
    [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes",
      "-days", String(options.days ?? 7),
      "-subj", `/CN=${commonName}`,
      "-addext", `subjectAltName=DNS:${commonName},IP:127.0.0.1`,
      "-keyout", keyPath, "-out", certificatePath,
    ],
    { timeout: 30_000 },
  );
  if (result.exitCode !== 0) {
    throw new InteropError("command-failed", "openssl could not create a test certificate", result.stderr);
  }
  chmodSync(keyPath, 0o600);
  return {
    certificatePath,
    keyPath,
    certificate: readFileSync(certificatePath, "utf8"),
    key: readFileSync(keyPath, "utf8"),
    commonName,
  };
}
