/**
 * `smtpkit send`: the client of `@smtpkit/client` at the terminal. Composes a
 * message with `@smtpkit/mime`'s `buildMessage` (from, to, cc, bcc, subject,
 * text, HTML, attachments) or sends `.eml` files as they are, over one
 * connection: STARTTLS (RFC 3207) required, opportunistic or off, or
 * implicit TLS (RFC 8314); AUTH (RFC 4954) with the password read from a
 * file, never from the command line; LMTP (RFC 2033).
 *
 * Prints each recipient's reply (code, enhanced code, text). Exit code 0 only
 * when every recipient of every message was accepted, 1 when any was refused
 * or the connection failed (with the reply that caused it), 2 for usage errors.
 *
 * Does not: look up MX records (it talks to the one server named), queue or
 * retry, or sign messages.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { connect, SmtpClientError, ClientUsageError, type ConnectOptions, type SendResult, type SmtpClient } from "@smtpkit/client";
import { buildMessage, MimeError, type AttachmentSpec } from "@smtpkit/mime";
import cliProgress from "cli-progress";
import { InvalidArgumentError, Option, type Command } from "commander";
import { CliError } from "../cli-error.js";
import { raiseExitCode, warn, type CommandContext, type CommandModule } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { printable } from "../text.js";
import { collect, parseServerAddress, readFirstLine, type ServerAddress } from "./option-parsers.js";

/** Where `smtpkit send` connects by default: `smtpkit serve`'s address. */
export const DEFAULT_SEND_SERVER = "127.0.0.1:2525";

/** The largest `.eml` file or attachment read into memory: 100 MiB (the server's SIZE decides what it takes). */
export const MAX_SEND_FILE_BYTES = 100 * 1024 * 1024;

/**
 * How long `send` waits for the server's greeting, in seconds: 30, as swaks does, instead of RFC 5321
 * §4.5.3.2's 5 minutes, since someone is waiting at the terminal. A wrong port must fail soon: an implicit
 * TLS server (port 465 style) says nothing to a plain-text client, which waited 5 minutes for nothing.
 * `--greeting-timeout` changes it (1 to 600).
 */
export const DEFAULT_SEND_GREETING_TIMEOUT_SECONDS = 30;

/** The largest `--greeting-timeout`, in seconds: RFC 5321 §4.5.3.2's 5 minutes, twice. */
export const MAX_SEND_GREETING_TIMEOUT_SECONDS = 600;

/** From how many messages a progress bar is shown (on a terminal only). */
export const PROGRESS_BAR_THRESHOLD = 2;

type TlsMode = "starttls-required" | "starttls" | "implicit" | "none";

interface SendCommandOptions {
  readonly from?: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly attach: readonly string[];
  readonly server: ServerAddress;
  readonly tls?: TlsMode;
  readonly insecure?: boolean;
  readonly user?: string;
  readonly passwordFile?: string;
  readonly lmtp?: boolean;
  readonly hostname?: string;
  readonly timeout?: number;
  readonly greetingTimeout: number;
}

function parseGreetingTimeout(value: string): number {
  const seconds = Number(value);
  if (!/^[0-9]{1,3}$/.test(value) || seconds < 1 || seconds > MAX_SEND_GREETING_TIMEOUT_SECONDS) {
    throw new InvalidArgumentError(`a number of seconds from 1 to ${MAX_SEND_GREETING_TIMEOUT_SECONDS}.`);
  }
  return seconds;
}

interface Job {
  readonly label: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly bytes: Uint8Array;
}

const examples = `
Examples:
  $ smtpkit send --from me@localhost --to you@localhost --subject Hi --text "Hello"
  $ smtpkit send --to a@example.org --attach report.pdf --from me@example.org --text "See attached"
  $ smtpkit send --from me@localhost --to you@localhost *.eml           each file as it is
  $ smtpkit send --server smtp.example.org:587 --user me --password-file ~/.smtp-password ...

TLS (--tls): starttls-required (default with --user), starttls (TLS when offered; the default
otherwise), implicit (port 465 style), none. --insecure skips certificate checks (self-signed test servers).
Exit codes: 0 every recipient accepted, 1 any refused or the connection failed, 2 usage error.`;

async function readLimitedFile(file: string, what: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_SEND_FILE_BYTES) throw new CliError(`${what} ${file} is larger than ${MAX_SEND_FILE_BYTES} bytes`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (error) {
    if (CliError.isInstance(error)) throw error;
    throw new CliError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function readPassword(file: string, context: CommandContext): Promise<string> {
  let password: string;
  try {
    // The first line, without its line end: `echo secret > file` writes one.
    password = file === "-" ? ((await readFirstLine(context.io.stdin)) ?? "") : ((await readFile(file, "utf8")).split(/\r?\n/)[0] ?? "");
  } catch (error) {
    throw new CliError(`cannot read the password file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (password === "") throw new CliError(`the password file ${file} is empty`, ExitCode.Usage);
  return password;
}

function formatReply(code: number | undefined, enhanced: string | undefined, text: string | undefined): string {
  if (code === undefined) return "(no reply)";
  return [String(code), enhanced, text === undefined ? undefined : printable(text.replaceAll("\n", " / "))].filter((part) => part !== undefined && part !== "").join(" ");
}

function replyOf(error: SmtpClientError): string {
  const reply = error.reply;
  return reply === undefined ? "" : `: the server said "${formatReply(reply.code, reply.enhanced, reply.lines.join("\n"))}"`;
}

/** The first line of a message (OpenSSL's errors run over several). */
function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end === -1 ? text : text.slice(0, end);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return ` (${(cause as NodeJS.ErrnoException).code ?? cause.message}${(cause as NodeJS.ErrnoException).code === undefined ? "" : `: ${cause.message}`})`;
  return "";
}

/** Turns a failed connection into one sentence that names the reply or the system error behind it. */
function connectionFailure(error: SmtpClientError, where: string, seconds: number): CliError {
  const reply = replyOf(error);
  switch (error.reason) {
    case "connection-failed":
      return new CliError(`cannot connect to ${where}${causeOf(error)}${where.endsWith(":2525") ? "; is smtpkit serve running?" : ""}`);
    case "connection-timeout":
      return new CliError(`no connection to ${where} within the timeout${causeOf(error)}`);
    case "greeting-refused":
      return new CliError(`${where} refused the session${reply}`);
    case "starttls-not-offered":
      return new CliError(`${where} does not offer STARTTLS (use --tls starttls to send without TLS when it is missing, or --tls none)`);
    case "starttls-refused":
      return new CliError(`${where} refused STARTTLS${reply}`);
    case "tls-handshake-failed":
    case "certificate-pin-mismatch": {
      const code = ((error as { cause?: unknown }).cause as NodeJS.ErrnoException | undefined)?.code;
      // A plain-text answer to the ClientHello: OpenSSL's "wrong version number" (its text is several lines).
      if (code === "ERR_SSL_WRONG_VERSION_NUMBER") {
        return new CliError(`TLS with ${where} failed: the server did not answer in TLS (a plain SMTP port? use --tls starttls or --tls none)`);
      }
      const certificate = code === undefined || /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/.test(code) ? " (for a self-signed test server add --insecure)" : "";
      return new CliError(`TLS with ${where} failed${causeOf(error)}${reply}: ${firstLine(error.message)}${certificate}`);
    }
    case "timeout":
      if (/waiting for greeting/.test(error.message)) {
        return new CliError(`no greeting from ${where} within ${seconds} s (an implicit TLS port, 465 style, says nothing until TLS starts: try --tls implicit; --greeting-timeout waits longer)`);
      }
      return new CliError(`${where}: timeout: ${error.message}${reply}`);
    case "auth-refused":
      return new CliError(`authentication failed${reply}`);
    case "auth-not-offered":
      return new CliError(`${where} does not offer AUTH${error.reply === undefined ? "" : reply} (it may offer it only under TLS)`);
    case "auth-needs-tls":
      return new CliError(`${where} offers AUTH only without TLS here; refusing to send the password in clear text (use TLS)`);
    case "auth-no-common-mechanism":
      return new CliError(`${where} offers no AUTH mechanism this client uses${reply}`);
    default:
      return new CliError(`${where}: ${error.reason}: ${error.message}${reply}`);
  }
}

async function composeJobs(options: SendCommandOptions, files: readonly string[]): Promise<Job[]> {
  const composing = options.subject !== undefined || options.text !== undefined || options.html !== undefined || options.attach.length > 0;
  if (files.length > 0 && composing) throw new CliError("give .eml files or --subject/--text/--html/--attach, not both", ExitCode.Usage);
  if (options.from === undefined) throw new CliError("--from is required (the envelope sender)", ExitCode.Usage);
  const recipients = [...options.to, ...options.cc, ...options.bcc];
  if (recipients.length === 0) throw new CliError("no recipient: give --to, --cc or --bcc", ExitCode.Usage);
  if (files.length > 0) {
    const jobs: Job[] = [];
    for (const file of files) jobs.push({ label: file, from: options.from, to: recipients, bytes: await readLimitedFile(file, "the message") });
    return jobs;
  }
  const attachments: AttachmentSpec[] = [];
  for (const file of options.attach) {
    attachments.push({ filename: path.basename(file), content: await readLimitedFile(file, "the attachment") });
  }
  let bytes: Uint8Array;
  try {
    bytes = buildMessage({
      from: options.from,
      ...(options.to.length > 0 ? { to: options.to } : {}),
      ...(options.cc.length > 0 ? { cc: options.cc } : {}),
      ...(options.bcc.length > 0 ? { bcc: options.bcc } : {}),
      ...(options.subject === undefined ? {} : { subject: options.subject }),
      ...(options.text === undefined && options.html === undefined ? { text: "" } : {}),
      ...(options.text === undefined ? {} : { text: options.text }),
      ...(options.html === undefined ? {} : { html: options.html }),
      ...(attachments.length > 0 ? { attachments } : {}),
      date: new Date(),
      // The builder is deterministic; a random seed gives each message its own Message-ID (RFC 5322 §3.6.4).
      seed: randomBytes(16).toString("hex"),
    });
  } catch (error) {
    if (MimeError.isInstance(error)) throw new CliError(`cannot build the message: ${error.message}`, ExitCode.Usage);
    throw error;
  }
  return [{ label: "message", from: options.from, to: recipients, bytes }];
}

function connectOptions(options: SendCommandOptions, password: string | undefined, context: CommandContext): ConnectOptions {
  const mode: TlsMode = options.tls ?? (options.user === undefined ? "starttls" : "starttls-required");
  const implicit = mode === "implicit";
  const port = options.server.port ?? (options.lmtp === true ? 24 : implicit ? 465 : 25);
  if (options.user !== undefined && mode === "none") warn(context, "--tls none with --user: the password crosses the network in clear text");
  return {
    host: options.server.host,
    port,
    implicitTls: implicit,
    startTls: mode === "starttls-required" ? "required" : mode === "starttls" ? "opportunistic" : "never",
    ...(options.insecure === true ? { tls: { rejectUnauthorized: false } } : {}),
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    ...(options.lmtp === true ? { lmtp: true } : {}),
    ...(options.user === undefined || password === undefined
      ? {}
      : { auth: { username: options.user, password, ...(mode === "none" ? { allowPlaintextAuth: true } : {}) } }),
    ...(options.timeout === undefined ? {} : { connectTimeout: options.timeout }),
    timeouts: { greeting: options.greetingTimeout * 1000 },
  };
}

function refusalText(refusal: SendResult["refusal"], size: number): string {
  switch (refusal) {
    case "size-exceeds-limit":
      return `the message (${size} bytes) is larger than the server's SIZE limit (RFC 1870)`;
    case "8bit-not-supported":
      return "the message has 8-bit bytes and the server does not offer 8BITMIME (RFC 6152)";
    case "smtputf8-not-supported":
      return "a non-ASCII address needs SMTPUTF8, which the server does not offer (RFC 6531)";
    case "binarymime-not-supported":
      return "BINARYMIME needs BINARYMIME and CHUNKING, which the server does not offer (RFC 3030)";
    case "requiretls-not-supported":
      return "REQUIRETLS needs TLS and a server that offers it (RFC 8689)";
    default:
      return "refused by the client before sending";
  }
}

/** Prints why a message with a NUL byte was not sent (nothing of it reached the server). */
function reportNul(job: Job, context: CommandContext, many: boolean): void {
  const prefix = many ? `${printable(job.label)}: ` : "";
  context.io.stdout.write(`${prefix}${context.colors.red("not sent")}: the message has a NUL byte, which SMTP cannot carry (RFC 5321 §4.5.2; only BINARYMIME could, and smtpkit send does not use it)\n`);
}

/** Prints one message's outcome; returns whether every recipient was accepted. */
function report(job: Job, result: SendResult, context: CommandContext, many: boolean): boolean {
  const { io, colors } = context;
  const prefix = many ? `${printable(job.label)}: ` : "";
  let allAccepted = result.status === "accepted";
  for (const recipient of result.recipients) {
    // LMTP: the per-recipient reply after the data decides; SMTP: a recipient is in only if the message is.
    const ok = recipient.status === "accepted" && result.status === "accepted";
    if (!ok) allAccepted = false;
    const mark = ok
      ? colors.green("accepted")
      : recipient.status === "not-attempted" || (recipient.status === "accepted" && result.status !== "accepted")
        ? colors.red("not sent")
        : recipient.temporary
          ? colors.yellow("deferred")
          : colors.red("refused ");
    io.stdout.write(`${prefix}${mark} ${printable(recipient.address)}  ${formatReply(recipient.code, recipient.enhanced, recipient.text)}\n`);
  }
  if (result.status === "refused") {
    io.stdout.write(`${prefix}${colors.red("not sent")}: ${refusalText(result.refusal, job.bytes.length)}\n`);
  } else if (!(result.status === "rejected" && result.code === undefined)) {
    const mark = result.status === "accepted" ? colors.green("message") : colors.red("message");
    io.stdout.write(`${prefix}${mark}  ${formatReply(result.code, result.enhanced, result.text)}\n`);
  }
  return allAccepted;
}

async function send(files: readonly string[], options: SendCommandOptions, context: CommandContext): Promise<void> {
  if (options.user === undefined && options.passwordFile !== undefined) throw new CliError("--password-file needs --user", ExitCode.Usage);
  if (options.user !== undefined && options.passwordFile === undefined) throw new CliError("--user needs --password-file (a password is never taken on the command line)", ExitCode.Usage);
  const jobs = await composeJobs(options, files);
  const password = options.passwordFile === undefined ? undefined : await readPassword(options.passwordFile, context);
  const connection = connectOptions(options, password, context);
  const where = `${options.server.host.includes(":") ? `[${options.server.host}]` : options.server.host}:${String(connection.port)}`;

  let client: SmtpClient;
  try {
    client = await connect(connection);
  } catch (error) {
    if (SmtpClientError.isInstance(error)) throw connectionFailure(error, where, options.greetingTimeout);
    if (ClientUsageError.isInstance(error)) throw new CliError(error.message, ExitCode.Usage);
    throw error;
  }

  const many = jobs.length > 1;
  const showBar = jobs.length >= PROGRESS_BAR_THRESHOLD && process.stderr.isTTY === true && context.io.stderr === process.stderr;
  const bar = showBar
    ? new cliProgress.SingleBar({ stream: process.stderr, format: "sending [{bar}] {value}/{total} messages, {refused} refused", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(jobs.length, 0, { refused: 0 });
  const outcomes: { job: Job; result: SendResult | "nul" }[] = [];
  let refused = 0;
  try {
    for (const [index, job] of jobs.entries()) {
      // RFC 5321 §4.5.2 (and RFC 6152 for 8BITMIME): no NUL in SMTP text; only BINARYMIME (RFC 3030) carries
      // one, and this client does not send it. The client would abort the session at the NUL (so that no
      // receiver can read <CRLF>NUL.<CRLF> as the end); judged here instead, the other messages still go.
      if (job.bytes.indexOf(0) !== -1) {
        if (bar === undefined) reportNul(job, context, many);
        else {
          outcomes.push({ job, result: "nul" });
          refused++;
          bar.increment(1, { refused });
        }
        raiseExitCode(context, ExitCode.Finding);
        continue;
      }
      let result: SendResult;
      try {
        result = await client.send({ from: job.from, to: job.to, message: job.bytes });
      } catch (error) {
        if (SmtpClientError.isInstance(error)) {
          const lost = error.result?.dataSent === true ? " after the message was sent: it may have been delivered" : "";
          const left = jobs.length - index - 1;
          const unsent = left === 0 ? "" : ` (${left} more ${left === 1 ? "message" : "messages"} not sent)`;
          throw new CliError(`${printable(job.label)}: the connection to ${where} failed${lost}: ${error.reason}${replyOf(error)}${unsent}`);
        }
        if (ClientUsageError.isInstance(error)) throw new CliError(`${printable(job.label)}: ${error.message}`, ExitCode.Usage);
        throw error;
      }
      if (bar === undefined) {
        if (!report(job, result, context, many)) raiseExitCode(context, ExitCode.Finding);
      } else {
        outcomes.push({ job, result });
        if (result.status !== "accepted" || result.rejected.length > 0) refused++;
        bar.increment(1, { refused });
      }
    }
  } finally {
    bar?.stop();
    for (const { job, result } of outcomes) {
      if (result === "nul") reportNul(job, context, many);
      else if (!report(job, result, context, many)) raiseExitCode(context, ExitCode.Finding);
    }
    await client.close().catch(() => undefined);
  }
}

/** `smtpkit send`. */
export const sendCommand: CommandModule = {
  name: "send",
  register(program: Command, context: CommandContext): void {
    program
      .command("send")
      .description("send a message (composed from options, or .eml files) to an SMTP or LMTP server")
      .argument("[files...]", ".eml files to send as they are")
      .option("-f, --from <address>", "the sender (envelope and From:)")
      .option("-t, --to <address>", "a recipient (repeatable)", collect, [] as string[])
      .option("--cc <address>", "a Cc recipient (repeatable)", collect, [] as string[])
      .option("--bcc <address>", "a Bcc recipient: envelope only (repeatable)", collect, [] as string[])
      .option("-s, --subject <text>", "the subject")
      .option("--text <text>", "the plain-text body")
      .option("--html <html>", "the HTML body")
      .option("-a, --attach <file>", "attach a file (repeatable)", collect, [] as string[])
      .addOption(new Option("--server <host:port>", "the server").argParser(parseServerAddress).default(parseServerAddress(DEFAULT_SEND_SERVER), DEFAULT_SEND_SERVER))
      .addOption(new Option("--tls <mode>", "TLS: starttls-required, starttls, implicit or none").choices(["starttls-required", "starttls", "implicit", "none"]))
      .option("-k, --insecure", "do not check the server's certificate (self-signed test servers)")
      .option("-u, --user <name>", "authenticate as this user (needs --password-file)")
      .option("--password-file <file>", "read the password from the first line of this file (- for standard input)")
      .option("--lmtp", "speak LMTP (RFC 2033): one reply per recipient after the message")
      .option("--hostname <name>", "the name to give in EHLO (default: the machine's)")
      .addOption(
        new Option("--greeting-timeout <seconds>", "how long to wait for the server's greeting")
          .argParser(parseGreetingTimeout)
          .default(DEFAULT_SEND_GREETING_TIMEOUT_SECONDS, `${DEFAULT_SEND_GREETING_TIMEOUT_SECONDS}`),
      )
      .addHelpText("after", examples)
      .action(async (files: string[], options: SendCommandOptions) => send(files, options, context));
  },
};
