/**
 * The swaks client driver (Debian `swaks`, 20201014; STARTTLS also needs
 * `libnet-ssleay-perl`). swaks reads the message from a file
 * (`--data @FILE`) and by default "fixes" it: LF becomes CRLF, leading dots
 * are doubled, `%TOKEN%`-style words are not touched when the file is read
 * as data, a leading mbox `From ` line is dropped. It sends EHLO, one
 * command per round trip unless `pipeline`, STARTTLS only with `tls`, never
 * BDAT, SMTPUTF8 or BODY=, and always QUIT. Its transcript is its standard
 * output.
 *
 * With `raw` (`--no-data-fixup`) the file goes out byte for byte as the DATA
 * payload: it must then end with "\r\n.\r\n" itself.
 *
 * @module
 */

import { findExecutable } from "./peer-availability.js";
import { checkClientOptions, DEFAULT_CLIENT_HELO, writeMessageFile, type ClientSendOptions, type ClientSendResult } from "./client-common.js";
import { assertPeerAvailable } from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import { runCommand } from "./run-command.js";

/** Options of {@link sendWithSwaks}. */
export interface SwaksSendOptions extends ClientSendOptions {
  /** Send MAIL, RCPT and DATA in one write when PIPELINING is offered (`--pipeline`). */
  readonly pipeline?: boolean;
  /** Send the message byte for byte (`--no-data-fixup`); it must end with "\r\n.\r\n". */
  readonly raw?: boolean;
  /** More swaks flags, verbatim (for example `["--quit-after", "RCPT"]`). */
  readonly extraArguments?: readonly string[];
}

/**
 * Sends one message with swaks.
 *
 * @param options - server, envelope, message, tls, auth, pipeline, raw
 * @returns swaks's exit code, transcript (stdout) and stderr
 * @throws {@link InteropError} `invalid-option` for bad options, `peer-missing` without swaks
 * @example
 * ```ts
 * const result = await sendWithSwaks({
 *   port, from: "a@client.example.test", to: ["b@example.test"], message,
 *   tls: true, auth: { username: "alice", password: "secret", mechanism: "LOGIN" },
 * });
 * result.exitCode; // 0
 * ```
 */
export async function sendWithSwaks(options: SwaksSendOptions): Promise<ClientSendResult> {
  const { host, message } = checkClientOptions(options);
  assertPeerAvailable("swaks");
  const scratch = createStateDirectory("swaks");
  try {
    const file = writeMessageFile(scratch, message);
    const args = [
      "--server", host,
      "--port", String(options.port),
      // swaks reads an empty --from as "use the default (user@host)"; "<>" is the null sender
      "--from", options.from === "" ? "<>" : options.from,
      "--to", options.to.join(","),
      "--helo", options.helo ?? DEFAULT_CLIENT_HELO,
      "--data", `@${file}`,
      "--timeout", "30",
    ];
    if (options.raw === true) args.push("--no-data-fixup");
    if (options.tls === true) args.push("--tls");
    if (options.pipeline === true) args.push("--pipeline");
    if (options.auth !== undefined) {
      // without a mechanism, --auth-user alone lets swaks choose (it picks LOGIN over PLAIN)
      if (options.auth.mechanism !== undefined) args.push("--auth", options.auth.mechanism);
      args.push("--auth-user", options.auth.username, "--auth-password", options.auth.password);
    }
    args.push(...(options.extraArguments ?? []));
    const result = await runCommand(findExecutable("swaks") ?? "swaks", args, { timeout: options.timeout ?? 30_000 });
    return { exitCode: result.exitCode, transcript: result.stdout, stdout: result.stdout, stderr: result.stderr };
  } finally {
    releaseStateDirectory(scratch);
  }
}
