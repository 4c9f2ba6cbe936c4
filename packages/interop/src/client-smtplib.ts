/**
 * The Python smtplib client driver (CPython 3.11, standard library). It
 * sends lower-case verbs (`ehlo`, `mail FROM:`, `rcpt TO:`, `data`), adds
 * `size=N` to MAIL when SIZE is offered, one command per round trip, STARTTLS
 * only with `tls`, never BDAT. Two ways to send:
 *
 * - `send_message` (default): the bytes are parsed with the `email` package
 *   and re-serialised by smtplib (CRLF line ends; `Bcc` removed; header
 *   lines over 78 characters may be refolded; SMTPUTF8 when an address is
 *   non-ASCII).
 * - `sendmail`: the bytes go out as given; leading dots are doubled and a
 *   final CRLF added if missing, but bare LF and CR pass through unchanged.
 *
 * The transcript is smtplib's debug output (`set_debuglevel(1)`, on stderr).
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pythonCommand } from "./peer-availability.js";
import { checkClientOptions, DEFAULT_CLIENT_HELO, writeMessageFile, type ClientSendOptions, type ClientSendResult } from "./client-common.js";
import { assertPeerAvailable } from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import { runCommand } from "./run-command.js";

/** Options of {@link sendWithSmtplib}. */
export interface SmtplibSendOptions extends ClientSendOptions {
  /** `send_message` (default) or `sendmail`. */
  readonly method?: "send_message" | "sendmail";
  /** Add SMTPUTF8 to MAIL (sendmail method). */
  readonly smtputf8?: boolean;
  /** Add BODY=8BITMIME to MAIL (sendmail method). */
  readonly eightBitMime?: boolean;
}

const SMTPLIB_SCRIPT = String.raw`
import email, email.policy, json, smtplib, ssl, sys
options = json.loads(sys.argv[1])
with open(options["file"], "rb") as handle:
    data = handle.read()
mail_options = []
if options["smtputf8"]:
    mail_options.append("SMTPUTF8")
if options["eightbit"]:
    mail_options.append("BODY=8BITMIME")
try:
    with smtplib.SMTP(options["host"], options["port"], local_hostname=options["helo"], timeout=options["timeout"]) as smtp:
        smtp.set_debuglevel(1)
        smtp.ehlo()
        if options["tls"]:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            smtp.starttls(context=context)
            smtp.ehlo()
        if options["username"] is not None:
            if options["mechanism"] is None:
                smtp.login(options["username"], options["password"])
            else:
                smtp.user, smtp.password = options["username"], options["password"]
                mechanism = options["mechanism"].upper()
                smtp.auth(mechanism, getattr(smtp, "auth_" + mechanism.lower()), initial_response_ok=True)
        if options["method"] == "sendmail":
            refused = smtp.sendmail(options["from"], options["to"], data, mail_options=mail_options)
        else:
            message = email.message_from_bytes(data)
            refused = smtp.send_message(message, from_addr=options["from"], to_addrs=options["to"], mail_options=mail_options)
    if refused:
        print("refused recipients: %r" % (refused,), file=sys.stderr)
        sys.exit(1)
except smtplib.SMTPException as error:
    print("smtplib: %s: %s" % (type(error).__name__, error), file=sys.stderr)
    sys.exit(1)
`;

/**
 * Sends one message with Python's smtplib.
 *
 * @param options - server, envelope, message, tls, auth, method
 * @returns the interpreter's exit code, smtplib's debug transcript and stderr
 * @throws {@link InteropError} `invalid-option` for bad options, `peer-missing` without Python
 * @example
 * ```ts
 * const result = await sendWithSmtplib({
 *   port, from: "a@client.example.test", to: ["b@example.test"], message,
 *   tls: true, auth: { username: "alice", password: "secret" },
 * });
 * ```
 */
export async function sendWithSmtplib(options: SmtplibSendOptions): Promise<ClientSendResult> {
  const { host, message } = checkClientOptions(options);
  assertPeerAvailable("smtplib");
  const scratch = createStateDirectory("smtplib");
  try {
    const file = writeMessageFile(scratch, message);
    const script = join(scratch, "send.py");
    writeFileSync(script, SMTPLIB_SCRIPT);
    const timeout = options.timeout ?? 30_000;
    const parameters = {
      host,
      port: options.port,
      helo: options.helo ?? DEFAULT_CLIENT_HELO,
      from: options.from,
      to: options.to,
      file,
      tls: options.tls === true,
      username: options.auth?.username ?? null,
      password: options.auth?.password ?? null,
      mechanism: options.auth?.mechanism ?? null,
      method: options.method ?? "send_message",
      smtputf8: options.smtputf8 === true,
      eightbit: options.eightBitMime === true,
      timeout: Math.ceil(timeout / 1000),
    };
    const result = await runCommand(pythonCommand(), [script, JSON.stringify(parameters)], { timeout });
    return { exitCode: result.exitCode, transcript: result.stderr, stdout: result.stdout, stderr: result.stderr };
  } finally {
    releaseStateDirectory(scratch);
  }
}
