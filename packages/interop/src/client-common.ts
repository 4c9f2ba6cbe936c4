/**
 * The shape every client driver shares: where to send, the envelope, the
 * message (bytes, or a path to an `.eml` file), STARTTLS and AUTH; and what
 * comes back: the exit code, the client's own transcript or output, and its
 * error output. A driver never throws for a refused message: the test reads
 * `exitCode`; it throws only for misuse or when the client cannot be run.
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertLoopbackHost, assertTestPort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";

/** Credentials for SMTP AUTH (RFC 4954). */
export interface ClientAuth {
  /** User name. */
  readonly username: string;
  /** Password. */
  readonly password: string;
  /** The SASL mechanism to use (default: the client's own choice). */
  readonly mechanism?: "PLAIN" | "LOGIN";
}

/** Options every client driver accepts. */
export interface ClientSendOptions {
  /** The server's port (never 25). */
  readonly port: number;
  /** Loopback host (default 127.0.0.1). */
  readonly host?: string;
  /** Envelope sender ("" for the null reverse-path). */
  readonly from: string;
  /** Envelope recipients (at least one). */
  readonly to: readonly string[];
  /** The message bytes (give this or `emlPath`). */
  readonly message?: Uint8Array | string;
  /** A file holding the message (give this or `message`). */
  readonly emlPath?: string;
  /** Require STARTTLS (certificates are not verified). Without it the client does not upgrade (nodemailer: see its driver). */
  readonly tls?: boolean;
  /** Authenticate. */
  readonly auth?: ClientAuth;
  /** EHLO name (default `client.example.test`). */
  readonly helo?: string;
  /** Kill the client after this many milliseconds (default 30 000). */
  readonly timeout?: number;
}

/** What a client run produced. */
export interface ClientSendResult {
  /** 0 when the client reports success; non-zero (or null if killed) otherwise. */
  readonly exitCode: number | null;
  /** The SMTP conversation as the client logs it (its debug output). */
  readonly transcript: string;
  /** The client's standard output. */
  readonly stdout: string;
  /** The client's standard error. */
  readonly stderr: string;
}

/** The default EHLO name of every driver. */
export const DEFAULT_CLIENT_HELO = "client.example.test";

/**
 * Validates common options and returns the message bytes.
 *
 * @param options - the driver options
 * @returns the host to use and the message
 * @throws {@link InteropError} `invalid-option` for port 25, a non-loopback host, no recipient, or both/neither message sources
 * @example
 * ```ts
 * const { host, message } = checkClientOptions({ port: 2525, from: "a@x.test", to: ["b@x.test"], message: "..." });
 * ```
 */
export function checkClientOptions(options: ClientSendOptions): { host: string; message: Buffer } {
  assertTestPort(options.port);
  const host = options.host ?? LOOPBACK_HOST;
  assertLoopbackHost(host);
  if (options.to.length === 0) throw new InteropError("invalid-option", "at least one recipient is required");
  for (const address of [options.from, ...options.to]) {
    if (/[\r\n\0]/.test(address)) throw new InteropError("invalid-option", `address contains CR, LF or NUL: ${JSON.stringify(address)}`);
  }
  if ((options.message === undefined) === (options.emlPath === undefined)) {
    throw new InteropError("invalid-option", "give exactly one of message and emlPath");
  }
  const message =
    options.message !== undefined
      ? typeof options.message === "string"
        ? Buffer.from(options.message, "utf8")
        : Buffer.from(options.message.buffer, options.message.byteOffset, options.message.byteLength)
      : readFileSync(options.emlPath ?? "");
  return { host, message };
}

/**
 * Writes the message into `directory` (mode 0600) for clients that read a file.
 *
 * @param directory - a scratch folder
 * @param message - the bytes
 * @returns the file path
 * @example
 * ```ts
 * const path = writeMessageFile(scratch, Buffer.from("Subject: x\r\n\r\nhi\r\n"));
 * ```
 */
export function writeMessageFile(directory: string, message: Uint8Array): string {
  const path = join(directory, "message.eml");
  writeFileSync(path, message, { mode: 0o600 });
  return path;
}
