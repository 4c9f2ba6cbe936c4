/**
 * The msmtp client driver (Debian `msmtp`, 1.8.23). No configuration file
 * is read (`--host` on the command line implies it). It sends EHLO; with
 * PIPELINING it sends MAIL alone, then all RCPTs and DATA in one write;
 * STARTTLS only with `tls` (then mandatory); never BDAT, SMTPUTF8 or
 * BODY=8BITMIME. It reads the message from standard input, converts LF to
 * CRLF, doubles leading dots, and ADDS `From:`, `Date:` and `Message-ID:`
 * headers (in that order, at the top) when the message lacks them.
 * Without an explicit `auth.mechanism` msmtp chooses, and refuses the
 * plaintext mechanisms PLAIN and LOGIN without TLS ("cannot use a secure
 * authentication method", exit 69). The password is handed over with
 * `--passwordeval` reading a 0600 file, never on the command line. The
 * transcript is its `--debug` output.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findExecutable } from "./peer-availability.js";
import { checkClientOptions, DEFAULT_CLIENT_HELO, type ClientSendOptions, type ClientSendResult } from "./client-common.js";
import { assertPeerAvailable } from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import { runCommand } from "./run-command.js";

/** Options of {@link sendWithMsmtp}. */
export interface MsmtpSendOptions extends ClientSendOptions {
  /** More msmtp flags, verbatim (for example `["--protocol=lmtp"]`). */
  readonly extraArguments?: readonly string[];
}

/**
 * Sends one message with msmtp.
 *
 * @param options - server, envelope, message, tls, auth
 * @returns msmtp's exit code (0, or a sysexits code), its debug transcript and stderr
 * @throws {@link InteropError} `invalid-option` for bad options, `peer-missing` without msmtp
 * @example
 * ```ts
 * const result = await sendWithMsmtp({ port, from: "a@client.example.test", to: ["b@example.test"], message });
 * ```
 */
export async function sendWithMsmtp(options: MsmtpSendOptions): Promise<ClientSendResult> {
  const { host, message } = checkClientOptions(options);
  assertPeerAvailable("msmtp");
  const scratch = createStateDirectory("msmtp");
  try {
    const args = [
      `--host=${host}`,
      `--port=${options.port}`,
      `--from=${options.from}`,
      `--domain=${options.helo ?? DEFAULT_CLIENT_HELO}`,
      "--timeout=30",
      "--debug",
    ];
    if (options.tls === true) args.push("--tls=on", "--tls-starttls=on", "--tls-certcheck=off");
    else args.push("--tls=off");
    if (options.auth === undefined) {
      args.push("--auth=off");
    } else {
      const passwordFile = join(scratch, "password");
      writeFileSync(passwordFile, options.auth.password, { mode: 0o600 });
      args.push(
        // "on" = msmtp's own choice, which refuses PLAIN and LOGIN without TLS (exit 69)
        `--auth=${options.auth.mechanism === undefined ? "on" : options.auth.mechanism.toLowerCase()}`,
        `--user=${options.auth.username}`,
        `--passwordeval=cat ${passwordFile}`,
      );
    }
    args.push(...(options.extraArguments ?? []), "--", ...options.to);
    const result = await runCommand(findExecutable("msmtp") ?? "msmtp", args, {
      input: message,
      timeout: options.timeout ?? 30_000,
    });
    return { exitCode: result.exitCode, transcript: result.stdout, stdout: result.stdout, stderr: result.stderr };
  } finally {
    releaseStateDirectory(scratch);
  }
}
