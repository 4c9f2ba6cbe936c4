/**
 * `smtpkit serve`: the reference server of `@smtpkit/server` at the
 * terminal. Listens on 127.0.0.1:2525 and delivers mail for `localhost` and
 * every `--domain` to a Maildir tree (`./maildir/<domain>/<user>/new/`), with
 * `Return-Path:` and `Received:` (RFC 5321 §4.4), fsynced before the 250
 * (RFC 5321 §6.1). Mail for other domains is refused with 550 5.7.1: it is
 * never an open relay. With `--submission` (the sender's server, RFC 6409)
 * AUTH is required before MAIL, and authenticated users' mail for other
 * domains goes to the durable relay queue of `@smtpkit/queue`, which delivers
 * it by MX and retries (see `../serve/submission.ts`).
 *
 * STARTTLS (RFC 3207) or implicit TLS (RFC 8314) with `--tls-key` and
 * `--tls-cert`; AUTH (RFC 4954: PLAIN, LOGIN, SCRAM-SHA-256) with a users file,
 * offered only under TLS unless `--allow-insecure-auth`. SIGINT and SIGTERM
 * close it gracefully: no new connections, sessions finish, then 421.
 *
 * Behind trusted front ends: `--proxy-protocol` with `--proxy-trust CIDR`
 * (HAProxy's PROXY v1/v2 header before SMTP), `--xclient-trust CIDR` and
 * `--xforward-trust CIDR` (Postfix's XCLIENT and XFORWARD), each repeatable;
 * only the listed networks may use them.
 *
 * Does not: run as a daemon (run it under a supervisor).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { hostname as systemHostname } from "node:os";
import path from "node:path";
import process from "node:process";
import { QueueUsageError, type QueueLogEvent } from "@smtpkit/queue";
import { createServer, ServerUsageError, type ServerLogEvent, type ServerOptions, type SmtpServer } from "@smtpkit/server";
import { Option, type Command } from "commander";
import { CliError } from "../cli-error.js";
import type { CommandContext, CommandModule } from "../command-context.js";
import { warn } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { addSubmissionOptions, checkSubmissionFlags, openSubmission, retryFromFlags, submissionBanner, type Submission, type SubmissionFlags } from "../serve/submission.js";
import { formatVerifier, parseUsersFile, usersAuthHook } from "../serve/users-file.js";
import { collect, parseByteSize, parsePort, readFirstLine } from "./option-parsers.js";

/** The port `smtpkit serve` listens on by default: 2525, a common unprivileged SMTP test port. */
export const DEFAULT_SERVE_PORT = 2525;

/** How long SIGINT/SIGTERM lets sessions finish before they are cut: 10 seconds (a second signal cuts at once). */
export const SERVE_CLOSE_GRACE_MILLISECONDS = 10_000;

interface ServeOptions extends SubmissionFlags {
  readonly port: number;
  readonly host: string;
  readonly domain: readonly string[];
  readonly maildir: string;
  readonly hostname?: string;
  readonly tlsKey?: string;
  readonly tlsCert?: string;
  readonly implicitTls?: boolean;
  readonly requireTls?: boolean;
  readonly lmtp?: boolean;
  readonly users?: string;
  readonly sizeLimit?: number;
  readonly allowInsecureAuth?: boolean;
  readonly logFormat: "text" | "json" | "none";
  readonly hashPassword?: boolean;
  readonly proxyProtocol?: boolean;
  readonly proxyTrust: readonly string[];
  readonly xclientTrust: readonly string[];
  readonly xforwardTrust: readonly string[];
}

const examples = `
Examples:
  $ smtpkit serve                                   127.0.0.1:2525, mail for localhost into ./maildir
  $ smtpkit serve --domain example.org --port 2526  also accept mail for example.org
  $ smtpkit serve --tls-key key.pem --tls-cert cert.pem --users users.txt
  $ smtpkit serve --hash-password < password.txt    a users-file credential (no password kept)
  $ smtpkit serve --proxy-protocol --proxy-trust 10.0.0.5          behind HAProxy (send-proxy / send-proxy-v2)
  $ smtpkit serve --xclient-trust 10.0.0.0/24 --xforward-trust ::1  behind nginx's mail proxy, a content filter
  $ smtpkit serve --submission --port 2587 --domain example.com --tls-key key.pem --tls-cert cert.pem --users users.txt
                                                    the sender's server: other domains queued in ./queue and relayed
  $ smtpkit serve --submission ... --mx-map example.org=127.0.0.1:2526   (tests) example.org's mail to a local server

Users file (--users): one "name:credential" a line, # for comments, where credential is
  SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>  (from --hash-password; preferred)
  {plain}<password>                                             (test setups only)`;

function describeEndpoint(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

async function readTlsFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new CliError(`cannot read the TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function listenError(error: unknown, host: string, port: number): CliError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = describeEndpoint(host, port);
  if (code === "EADDRINUSE") return new CliError(`${where} is already in use (another server is listening there; choose another with --port)`);
  if (code === "EACCES" || code === "EPERM") {
    return new CliError(`permission denied listening on ${where}${port < 1024 ? " (ports below 1024 need privileges; use --port 2525)" : ""}`);
  }
  if (code === "EADDRNOTAVAIL") return new CliError(`${host} is not an address of this machine (--host)`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new CliError(`cannot resolve --host ${host}`);
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(`cannot start the server on ${where}: ${message}`);
}

function logLine(event: ServerLogEvent): string {
  const { type, ...rest } = event as ServerLogEvent & Record<string, unknown>;
  const connection = "connectionId" in rest ? `[${String(rest["connectionId"])}] ` : "";
  delete (rest as Record<string, unknown>)["connectionId"];
  if (type === "command") return `${connection}C: ${String(rest["line"])}`;
  if (type === "reply") return `${connection}S: ${String(rest["code"])}${rest["enhanced"] === undefined ? "" : ` ${String(rest["enhanced"])}`} ${String(rest["text"]).replaceAll("\n", " / ")}`;
  const fields = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${connection}${type} ${fields}`;
}

async function hashPassword(context: CommandContext): Promise<void> {
  if (process.stdin.isTTY === true && context.io.stdin === process.stdin) context.io.stderr.write("password (shown as typed), then Enter and Ctrl-D: ");
  const password = await readFirstLine(context.io.stdin);
  if (password === undefined || password === "") throw new CliError("--hash-password reads the password from standard input; it got none", ExitCode.Usage);
  context.io.stdout.write(`${formatVerifier(password)}\n`);
}

/** Opens the relay queue of `--submission`, logging its events like the server's. */
async function startSubmission(
  options: ServeOptions,
  settings: { hostname: string; domains: readonly string[]; maildir: string; format: ServeOptions["logFormat"]; io: CommandContext["io"] },
): Promise<Submission> {
  const { format, io } = settings;
  const logger =
    format === "none"
      ? undefined
      : (event: QueueLogEvent): void => {
          const time = new Date().toISOString();
          io.stderr.write(format === "json" ? `${JSON.stringify({ time, ...event })}\n` : `${time} queue ${logLine(event as unknown as ServerLogEvent)}\n`);
        };
  try {
    return await openSubmission({
      queueDirectory: path.resolve(options.queueDir),
      maildir: settings.maildir,
      hostname: settings.hostname,
      localDomains: settings.domains,
      mxMappings: options.mxMap,
      relayHost: options.relayHost,
      retry: retryFromFlags(options),
      logger,
      // Errors are written whatever --log-format says: a lost notice must not go unseen.
      onError: (what, detail) => {
        const time = new Date().toISOString();
        io.stderr.write(format === "json" ? `${JSON.stringify({ time, type: `${what}-error`, error: detail })}\n` : `${time} ${what}-error ${detail}\n`);
      },
    });
  } catch (error) {
    if (QueueUsageError.isInstance(error)) {
      throw new CliError(error.reason === "spool-locked" ? `${options.queueDir} is in use by another running server (${error.message})` : error.message, error.reason === "spool-locked" ? ExitCode.Finding : ExitCode.Usage);
    }
    throw new CliError(`cannot open the queue in ${options.queueDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function serve(options: ServeOptions, context: CommandContext): Promise<void> {
  const { io, colors } = context;
  if ((options.tlsKey === undefined) !== (options.tlsCert === undefined)) throw new CliError("--tls-key and --tls-cert go together", ExitCode.Usage);
  if (options.implicitTls === true && options.tlsKey === undefined) throw new CliError("--implicit-tls needs --tls-key and --tls-cert", ExitCode.Usage);
  if (options.requireTls === true && options.tlsKey === undefined) throw new CliError("--require-tls needs --tls-key and --tls-cert", ExitCode.Usage);
  if (options.requireTls === true && options.implicitTls === true) throw new CliError("--require-tls is for STARTTLS; with --implicit-tls every connection is under TLS", ExitCode.Usage);
  checkSubmissionFlags(options, options.users, options.lmtp === true);
  if (options.proxyProtocol === true && options.proxyTrust.length === 0) {
    throw new CliError("--proxy-protocol needs --proxy-trust with the proxies' addresses or networks (a header from anyone else would let them pose as any client)", ExitCode.Usage);
  }
  if (options.proxyProtocol !== true && options.proxyTrust.length > 0) throw new CliError("--proxy-trust goes with --proxy-protocol", ExitCode.Usage);
  // A /0 block trusts every address on the Internet: with XCLIENT any client may then claim any address and
  // a LOGIN (which counts as authenticated, and relays with --submission); with PROXY, any address. Allowed,
  // as Postfix allows it, but never silently.
  for (const [flag, list] of [["--xclient-trust", options.xclientTrust], ["--xforward-trust", options.xforwardTrust], ["--proxy-trust", options.proxyTrust]] as const) {
    for (const block of list) {
      if (!/\/0+$/.test(block.trim())) continue;
      const risk =
        flag === "--xclient-trust"
          ? "any client can pose as another and claim a login (LOGIN= counts as authenticated)"
          : flag === "--xforward-trust"
            ? "any client can write another client into Received: and the log"
            : "any client can pose as another";
      warn(context, `${flag} ${block} trusts every address: ${risk}`);
    }
  }

  const domains = ["localhost", ...options.domain.filter((domain) => domain.toLowerCase() !== "localhost")];
  const maildir = path.resolve(options.maildir);
  const hostname = options.hostname ?? systemHostname();

  const tls =
    options.tlsKey === undefined || options.tlsCert === undefined
      ? undefined
      : { key: await readTlsFile(options.tlsKey, "key"), cert: await readTlsFile(options.tlsCert, "certificate"), implicit: options.implicitTls === true };

  let onAuth: ReturnType<typeof usersAuthHook> | undefined;
  if (options.users !== undefined) {
    let text: string;
    try {
      text = await readFile(options.users, "utf8");
    } catch (error) {
      throw new CliError(`cannot read the users file ${options.users}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const table = parseUsersFile(text, options.users);
    for (const name of table.plaintextUsers) warn(context, `${options.users}: user ${JSON.stringify(name)} has a plaintext password; prefer a verifier from --hash-password`);
    onAuth = usersAuthHook(table.users);
    if (tls === undefined && options.allowInsecureAuth !== true) warn(context, "--users without --tls-key/--tls-cert: AUTH is offered only under TLS, so nobody can log in (--allow-insecure-auth for tests)");
  }
  if (options.allowInsecureAuth === true) warn(context, "--allow-insecure-auth: passwords may cross the network in clear text (for tests only)");

  const format = options.logFormat;
  const logger =
    format === "none"
      ? undefined
      : (event: ServerLogEvent): void => {
          const time = new Date().toISOString();
          io.stderr.write(format === "json" ? `${JSON.stringify({ time, ...event })}\n` : `${time} ${logLine(event)}\n`);
        };

  // --submission: the queue is open (and recovered) before the first client can connect.
  let submission: Submission | undefined;
  if (options.submission === true) submission = await startSubmission(options, { hostname, domains, maildir, format, io });

  const serverOptions: ServerOptions = {
    hostname,
    localDomains: domains,
    maildir,
    ...(tls === undefined ? {} : { tls }),
    ...(options.requireTls === true ? { requireTls: true } : {}),
    ...(options.lmtp === true ? { lmtp: true } : {}),
    ...(onAuth === undefined
      ? {}
      : {
          hooks: { onAuth, ...submission?.hooks },
          // RFC 4954 §6 / RFC 6409 §4.3: a submission server answers MAIL before AUTH with 530 5.7.0.
          // RFC 5802 §6, RFC 9266: with TLS, SCRAM-SHA-256-PLUS binds the login to this TLS session, so a
          // client that skips certificate checks (--insecure) still cannot be relayed by a man in the middle.
          // The session offers it only once the binding is known (under TLS), never in clear text.
          auth: { mechanisms: [...(tls === undefined ? [] : (["SCRAM-SHA-256-PLUS"] as const)), "SCRAM-SHA-256", "PLAIN", "LOGIN"], allowInsecureAuth: options.allowInsecureAuth === true, ...(submission === undefined ? {} : { required: true }) },
        }),
    // RFC 3461: submitters may ask for DSNs (NOTIFY, RET, ENVID, ORCPT), which the queue honours.
    ...(submission === undefined ? {} : { extensions: { dsn: true } }),
    ...(options.sizeLimit === undefined ? {} : { limits: { maxMessageSize: options.sizeLimit } }),
    ...(logger === undefined ? {} : { logger }),
    ...(options.proxyProtocol === true ? { proxyProtocol: { trustedProxies: options.proxyTrust } } : {}),
    ...(options.xclientTrust.length === 0 ? {} : { xclient: { trustedNetworks: options.xclientTrust } }),
    ...(options.xforwardTrust.length === 0 ? {} : { xforward: { trustedNetworks: options.xforwardTrust } }),
  };

  let server: SmtpServer;
  try {
    server = createServer(serverOptions);
  } catch (error) {
    await submission?.close();
    if (ServerUsageError.isInstance(error)) throw new CliError(error.message, ExitCode.Usage);
    const message = error instanceof Error ? error.message : String(error);
    // tls.createSecureContext refuses a key or certificate it cannot read, or a pair that does not match.
    if (tls !== undefined) throw new CliError(`the TLS key or certificate is not usable: ${message}`);
    throw new CliError(`cannot create the server: ${message}`, ExitCode.Usage);
  }

  let address;
  try {
    address = await server.listen({ host: options.host, port: options.port });
  } catch (error) {
    await submission?.close();
    throw listenError(error, options.host, options.port);
  }

  // Signals are caught before the banner, so that whoever reads it may signal at once.
  const closed = new Promise<void>((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (closing) {
        io.stderr.write(`${signal} again: cutting the remaining connections\n`);
        process.exit(128 + (signal === "SIGINT" ? 2 : 15));
      }
      closing = true;
      io.stderr.write(`${signal}: closing (sessions get ${SERVE_CLOSE_GRACE_MILLISECONDS / 1000} s to finish)\n`);
      server
        .close({ graceMs: SERVE_CLOSE_GRACE_MILLISECONDS })
        // The queue closes after the server: no message is accepted that it could not take.
        .then(() => submission?.close())
        .then(
        () => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          io.stderr.write("closed\n");
          resolve();
        },
        (error: unknown) => {
          io.stderr.write(`error while closing: ${error instanceof Error ? error.message : String(error)}\n`);
          context.exitCode = ExitCode.Finding;
          resolve();
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

  const endpoint = describeEndpoint(address.address, address.port);
  const protocol = options.lmtp === true ? "LMTP" : "SMTP";
  const mode = tls === undefined ? protocol : tls.implicit ? `${protocol} over implicit TLS` : options.requireTls === true ? `${protocol}, STARTTLS required` : `${protocol} with STARTTLS`;
  const auth = onAuth === undefined ? "off" : `PLAIN, LOGIN, SCRAM-SHA-256${tls === undefined ? "" : ", SCRAM-SHA-256-PLUS"} ${options.allowInsecureAuth === true ? "(also without TLS)" : "(under TLS only)"}`;
  const to = "test@localhost";
  const serverArgument = describeEndpoint(address.address, address.port);
  const swaksTls = (tls === undefined ? "" : tls.implicit ? " --tlsc" : " --tls") + (options.lmtp === true ? " --protocol LMTP" : "");
  const sendTls = (tls === undefined ? " --tls none" : tls.implicit ? " --tls implicit --insecure" : " --tls starttls-required --insecure") + (options.lmtp === true ? " --lmtp" : "");
  io.stdout.write(
    [
      `${colors.bold("smtpkit serve")} listening on ${colors.cyan(endpoint)} (${mode})`,
      `  mail for   ${domains.join(", ")} ${submission === undefined ? "(anything else: 550 5.7.1, no relaying)" : "(anything else: relayed for authenticated users)"}`,
      `  stored in  ${maildir}${path.sep}<domain>${path.sep}<user>${path.sep}new${path.sep}  (Maildir)`,
      `  AUTH       ${auth}`,
      `  size limit ${options.sizeLimit === undefined ? "10 MiB (default)" : `${options.sizeLimit} bytes`}`,
      ...frontEndBanner(options),
      ...(submission === undefined ? [] : submissionBanner(options, submission.queue.directory, submission.queue.list().reduce((sum, entry) => sum + entry.recipients.filter((recipient) => recipient.state === "pending").length, 0))),
      "",
      "Send it a message:",
      `  swaks --server ${serverArgument}${swaksTls} --to ${to}`,
      `  smtpkit send --server ${serverArgument}${sendTls} --from you@localhost --to ${to} --subject Hello --text "It works"`,
      ...(submission === undefined
        ? []
        : [`  smtpkit send --server ${serverArgument}${sendTls} --user <name> --password-file - --from <name>@${domains.at(-1) ?? "localhost"} --to someone@example.net --text "Relayed"`]),
      ...notInstalledHint(process.argv[1], process.cwd()),
      "",
      "Stop with Ctrl-C (SIGINT) or SIGTERM.",
      "",
    ].join("\n"),
  );

  await closed;
}

/**
 * The banner's hint for a run from a clone of the repository (the README's `pnpm start`), where no
 * `smtpkit` command is on the PATH: how to type it there. Nothing when run through the installed `smtpkit`
 * (npm's link, or a script inside `node_modules`).
 *
 * @param script - the running script (`process.argv[1]`)
 * @param cwd - the working directory the user types in
 * @returns no line, or one line naming `node <path to main.js>`
 */
function notInstalledHint(script: string | undefined, cwd: string): string[] {
  if (script === undefined || path.basename(script) === "smtpkit" || script.split(path.sep).includes("node_modules")) return [];
  const relative = path.relative(cwd, script);
  const shown = relative.startsWith("..") || relative === "" ? script : relative;
  const command = /^[\w./@+-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`;
  return [`  (smtpkit is not installed here: type node ${command} in its place)`];
}

/** The banner's lines for the trusted front ends, when there are any. */
function frontEndBanner(options: ServeOptions): string[] {
  const lines: string[] = [];
  if (options.proxyProtocol === true) lines.push(`  PROXY      v1/v2 header required, from ${options.proxyTrust.join(", ")} only`);
  if (options.xclientTrust.length > 0) lines.push(`  XCLIENT    from ${options.xclientTrust.join(", ")} (others: 550 5.7.0)`);
  if (options.xforwardTrust.length > 0) lines.push(`  XFORWARD   from ${options.xforwardTrust.join(", ")} (others: 550 5.7.0)`);
  return lines;
}

/** `smtpkit serve`. */
export const serveCommand: CommandModule = {
  name: "serve",
  register(program: Command, context: CommandContext): void {
    const command = program
      .command("serve")
      .description("run the reference SMTP server, delivering to a Maildir (127.0.0.1:2525, ./maildir)")
      .option("-p, --port <port>", "the port to listen on (0: any free port)", parsePort, DEFAULT_SERVE_PORT)
      .option("--host <address>", "the address to listen on", "127.0.0.1")
      .option("-d, --domain <domain>", "accept mail for this domain too (repeatable; localhost always)", collect, [] as string[])
      .option("-m, --maildir <dir>", "where mail is stored", "./maildir")
      .option("--hostname <name>", "this server's name in the greeting and Received: (default: the machine's)")
      .option("--tls-key <file>", "the TLS private key (PEM): offers STARTTLS")
      .option("--tls-cert <file>", "the TLS certificate chain (PEM)")
      .option("--implicit-tls", "TLS from the first byte (port 465 style) instead of STARTTLS")
      .option("--require-tls", "refuse MAIL before STARTTLS (530)")
      .option("--lmtp", "speak LMTP (RFC 2033) instead of SMTP: one reply per recipient after the message")
      .option("--users <file>", "enable AUTH with this users file (see below)")
      .option("--size-limit <bytes>", "the largest message accepted, e.g. 10485760, 25M, 512K (default 10 MiB)", parseByteSize)
      .option("--allow-insecure-auth", "offer AUTH without TLS (tests only)")
      .addOption(new Option("--log-format <format>", "the log on standard error").choices(["text", "json", "none"]).default("text"))
      .option("--hash-password", "read a password on standard input, print its users-file credential and exit")
      .option("--proxy-protocol", "every connection starts with a PROXY v1/v2 header (behind HAProxy); needs --proxy-trust")
      .option("--proxy-trust <cidr>", "a proxy allowed to send the PROXY header (address or CIDR, repeatable); others are dropped", collect, [] as string[])
      .option("--xclient-trust <cidr>", "a front end allowed to use Postfix's XCLIENT (address or CIDR, repeatable); others get 550", collect, [] as string[])
      .option("--xforward-trust <cidr>", "a front end allowed to use Postfix's XFORWARD (address or CIDR, repeatable); others get 550", collect, [] as string[]);
    addSubmissionOptions(command)
      .addHelpText("after", examples)
      .action(async (options: ServeOptions) => {
        if (options.hashPassword === true) return hashPassword(context);
        return serve(options, context);
      });
  },
};
