/**
 * The nodemailer client driver (npm `nodemailer` 10.6, a dev dependency of
 * this package), run in the test process. The message is sent as `raw`
 * with an explicit envelope, so nodemailer does not rebuild it (it still
 * normalises line ends to CRLF and dot-stuffs). With PIPELINING it sends
 * MAIL, all RCPTs and DATA in one write; SMTPUTF8 when an address is
 * non-ASCII; never BDAT; it closes after the final 250 without QUIT.
 *
 * TLS: `tls: true` requires STARTTLS (`requireTLS`), `tls: false` never
 * upgrades (`ignoreTLS`), and leaving it out keeps nodemailer's own default:
 * STARTTLS whenever the server offers it. Certificates are not verified.
 * The transcript is nodemailer's debug log, one line per command or reply.
 *
 * @module
 */

import { format } from "node:util";
import { checkClientOptions, DEFAULT_CLIENT_HELO, type ClientSendOptions, type ClientSendResult } from "./client-common.js";
import { assertPeerAvailable } from "./peer-common.js";

/**
 * Sends one message with nodemailer's SMTP transport.
 *
 * @param options - server, envelope, message, tls, auth
 * @returns exit code 0 on success and 1 on failure, the debug transcript, the info object as JSON (stdout) and the error (stderr)
 * @throws {@link InteropError} `invalid-option` for bad options, `peer-missing` without nodemailer
 * @example
 * ```ts
 * const result = await sendWithNodemailer({ port, from: "a@client.example.test", to: ["b@example.test"], message });
 * result.exitCode; // 0
 * ```
 */
export async function sendWithNodemailer(options: ClientSendOptions): Promise<ClientSendResult> {
  const { host, message } = checkClientOptions(options);
  assertPeerAvailable("nodemailer");
  const nodemailer = await import("nodemailer");
  const transcript: string[] = [];
  const record =
    (level: string) =>
    (entry: unknown, text: unknown, ...rest: unknown[]): void => {
      const tag = typeof entry === "object" && entry !== null && "tnx" in entry ? String((entry as { tnx: unknown }).tnx) : level;
      transcript.push(`[${tag}] ${format(String(text), ...rest)}`);
    };
  const logger = {
    level: () => undefined,
    trace: record("trace"),
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    fatal: record("fatal"),
  };
  const timeout = options.timeout ?? 30_000;
  const transport = nodemailer.createTransport({
    host,
    port: options.port,
    secure: false,
    name: options.helo ?? DEFAULT_CLIENT_HELO,
    ignoreTLS: options.tls === false,
    requireTLS: options.tls === true,
    tls: { rejectUnauthorized: false },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger,
    debug: true,
    ...(options.auth === undefined
      ? {}
      : {
          auth: {
            user: options.auth.username,
            pass: options.auth.password,
            ...(options.auth.mechanism === undefined ? {} : { method: options.auth.mechanism }),
          },
        }),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  try {
    const info = (await transport.sendMail({ envelope: { from: options.from, to: [...options.to] }, raw: message })) as {
      rejected?: unknown[];
    };
    const rejected = Array.isArray(info.rejected) ? info.rejected : [];
    return {
      exitCode: rejected.length > 0 ? 1 : 0,
      transcript: transcript.join("\n"),
      stdout: JSON.stringify(info),
      stderr: rejected.length > 0 ? `rejected: ${rejected.map(String).join(", ")}` : "",
    };
  } catch (error) {
    const failure = error as { code?: unknown; response?: unknown; message?: unknown };
    return {
      exitCode: 1,
      transcript: transcript.join("\n"),
      stdout: "",
      stderr: `${String(failure.code ?? "")} ${String(failure.response ?? failure.message ?? error)}`.trim(),
    };
  } finally {
    transport.close();
  }
}
