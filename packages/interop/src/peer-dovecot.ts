/**
 * Dovecot IMAP (Debian `dovecot-imapd`, 2.3.19 in bookworm) as a private
 * instance serving one Maildir on 127.0.0.1: the retrieval end of a
 * delivery test. It runs as root with `dovecot -F -c FILE` (foreground,
 * its own process group) and its own `base_dir`, `state_dir` and log, plain
 * IMAP without TLS, `AUTH=PLAIN`/`LOGIN`, and a static password database:
 * any user name logs in with the password (default `secret`) and sees the
 * given Maildir as INBOX. Dovecot's index and control files go to the state
 * directory, not into the Maildir.
 *
 * Quirks: Dovecot refuses to access mail as root, so mail processes run as
 * the Maildir's owner, or as `nobody` when the Maildir belongs to root (then
 * the harness hands the Maildir to `nobody` unless `grantAccess: false`);
 * on first access Dovecot moves messages from `new/` to `cur/` (Maildir
 * semantics) and serves LF-only files with CRLF line ends.
 *
 * @module
 */

import { chownSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertLoopbackHost, assertTestPort, findFreePort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";
import { readLogTail, startManagedProcess } from "./managed-process.js";
import { findExecutable, pythonCommand } from "./peer-availability.js";
import { assertPeerAvailable, checkPeerOptions, type PeerOptions, type RunningPeer } from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import { runCommand } from "./run-command.js";

/** Options of {@link startDovecot}. */
export interface DovecotOptions extends PeerOptions {
  /** The Maildir to serve (holding `cur/`, `new/`, `tmp/`); default: an empty one in the state directory. */
  readonly maildir?: string;
  /** The password every user logs in with (default `secret`). */
  readonly password?: string;
  /** Hand a root-owned Maildir to `nobody` so Dovecot can read it (default true). */
  readonly grantAccess?: boolean;
}

/** What {@link fetchImapMessage} returns. */
export interface ImapFetchResult {
  /** The message bytes exactly as the server sent them in the FETCH literal. */
  readonly data: Buffer;
  /** How many messages the mailbox held (the EXISTS count of SELECT). */
  readonly count: number;
}

/** Options of {@link fetchImapMessage}. */
export interface ImapFetchOptions {
  /** IMAP port. */
  readonly port: number;
  /** Loopback host (default 127.0.0.1). */
  readonly host?: string;
  /** User name (default `tester`). */
  readonly user?: string;
  /** Password (default `secret`). */
  readonly password?: string;
  /** Mailbox (default `INBOX`). */
  readonly mailbox?: string;
  /** Message sequence number (default 1). */
  readonly sequence?: number;
  /** Overall timeout in milliseconds (default 20 000). */
  readonly timeout?: number;
}

/** A running Dovecot. */
export interface RunningDovecot extends RunningPeer {
  /** The Maildir it serves. */
  readonly maildir: string;
  /** The password every user logs in with. */
  readonly password: string;
  /**
   * Fetches a message with Python's imaplib (`FETCH n (RFC822)` on a read-only SELECT).
   *
   * @param sequence - message sequence number (default 1)
   * @returns the bytes and the mailbox's message count
   */
  fetch(sequence?: number): Promise<ImapFetchResult>;
}

const IMAP_FETCH_SCRIPT = String.raw`
import imaplib, json, sys
options = json.loads(sys.argv[1])
client = imaplib.IMAP4(options["host"], options["port"], timeout=options["timeout"])
client.login(options["user"], options["password"])
status, data = client.select(options["mailbox"], readonly=True)
if status != "OK":
    sys.exit("SELECT failed: %r" % (data,))
count = int(data[0])
status, data = client.fetch(str(options["sequence"]), "(RFC822)")
if status != "OK" or not data or not isinstance(data[0], tuple):
    sys.exit("FETCH failed: %r" % (data,))
with open(options["output"], "wb") as handle:
    handle.write(data[0][1])
client.logout()
print(json.dumps({"count": count}))
`;

/**
 * Fetches one message over IMAP with Python's `imaplib` (a real, independent
 * IMAP client): LOGIN, read-only SELECT, `FETCH n (RFC822)`, LOGOUT.
 *
 * @param options - port, credentials, mailbox, sequence number
 * @returns the message bytes and the mailbox's message count
 * @throws {@link InteropError} `command-failed` with imaplib's error output
 * @example
 * ```ts
 * const { data } = await fetchImapMessage({ port: dovecot.port, password: dovecot.password });
 * ```
 */
export async function fetchImapMessage(options: ImapFetchOptions): Promise<ImapFetchResult> {
  assertTestPort(options.port);
  const host = options.host ?? LOOPBACK_HOST;
  assertLoopbackHost(host);
  const sequence = options.sequence ?? 1;
  if (!Number.isInteger(sequence) || sequence < 1) throw new InteropError("invalid-option", "sequence must be a positive integer");
  const timeout = options.timeout ?? 20_000;
  const folder = createStateDirectory("imap-fetch");
  try {
    const output = join(folder, "message.eml");
    const script = join(folder, "fetch.py");
    writeFileSync(script, IMAP_FETCH_SCRIPT);
    const parameters = {
      host,
      port: options.port,
      user: options.user ?? "tester",
      password: options.password ?? "secret",
      mailbox: options.mailbox ?? "INBOX",
      sequence,
      output,
      timeout: Math.ceil(timeout / 1000),
    };
    const result = await runCommand(pythonCommand(), [script, JSON.stringify(parameters)], { timeout });
    if (result.exitCode !== 0) {
      throw new InteropError("command-failed", `imaplib fetch of message ${sequence} failed`, `${result.stdout}${result.stderr}`);
    }
    const summary = JSON.parse(result.stdout) as { count: number };
    return { data: readFileSync(output), count: summary.count };
  } finally {
    releaseStateDirectory(folder);
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

/**
 * Starts a private Dovecot IMAP server over a Maildir on 127.0.0.1.
 *
 * @param options - the Maildir, port, password
 * @returns the running server; call `stop()` when done
 * @throws {@link InteropError} `peer-missing`, `startup-failed` (with Dovecot's log)
 * @example
 * ```ts
 * const dovecot = await startDovecot({ maildir: "/tmp/server/maildir/bob" });
 * const { data } = await dovecot.fetch(1);
 * await dovecot.stop();
 * ```
 */
export async function startDovecot(options: DovecotOptions = {}): Promise<RunningDovecot> {
  checkPeerOptions(options);
  assertPeerAvailable("dovecot");
  const password = options.password ?? "secret";
  if (password === "" || /[\s"\\]/.test(password)) {
    throw new InteropError("invalid-option", "password must be non-empty without spaces, quotes or backslashes");
  }
  const port = options.port ?? (await findFreePort());
  assertTestPort(port);
  const directory = createStateDirectory("dovecot");
  const logPath = join(directory, "log");
  const dovecotLog = join(directory, "dovecot.log");
  const configPath = join(directory, "dovecot.conf");
  let managed;
  let maildir: string;
  try {
    maildir = options.maildir ?? join(directory, "Maildir");
    for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(maildir, sub), { recursive: true });
    let owner = statSync(maildir);
    if (owner.uid === 0 && options.grantAccess !== false) {
      chownTree(maildir, 65534, 65534);
      owner = statSync(maildir);
    }
    const uid = owner.uid === 0 ? 65534 : owner.uid;
    const gid = owner.uid === 0 ? 65534 : owner.gid;
    for (const sub of ["run", "state", "index", "control", "home"]) mkdirSync(join(directory, sub));
    for (const sub of ["index", "control", "home"]) chownSync(join(directory, sub), uid, gid);
    writeFileSync(
      configPath,
      `# generated by @smtpkit/interop: private test instance, loopback only
protocols = imap
listen = 127.0.0.1
base_dir = ${directory}/run
state_dir = ${directory}/state
log_path = ${dovecotLog}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${maildir}:INDEX=${directory}/index:CONTROL=${directory}/control
first_valid_uid = 1
passdb {
  driver = static
  args = password=${password}
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${directory}/home
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
default_login_user = nobody
default_internal_user = nobody
`,
    );
    managed = await startManagedProcess({
      directory,
      label: "dovecot",
      command: findExecutable("dovecot") ?? "dovecot",
      args: ["-F", "-c", configPath],
      logPath,
      extraLogs: [dovecotLog],
      port,
      ...(options.startTimeout === undefined ? {} : { startTimeout: options.startTimeout }),
    });
  } catch (error) {
    const log = readLogTail([logPath, dovecotLog]);
    releaseStateDirectory(directory);
    if (InteropError.isInstance(error)) throw error;
    throw new InteropError("startup-failed", `dovecot: ${(error as Error).message}`, log);
  }
  let stopped = false;
  return {
    name: "dovecot",
    host: LOOPBACK_HOST,
    port,
    stateDirectory: directory,
    logPath: dovecotLog,
    maildir,
    password,
    readLog: () => readLogTail([logPath, dovecotLog]),
    fetch: (sequence = 1) => fetchImapMessage({ port, password, sequence }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await managed.stop(options.stopTimeout);
      releaseStateDirectory(directory, options.keepStateDirectory === true);
    },
  };
}
