/**
 * A private Postfix smtpd instance on 127.0.0.1 (Debian `postfix`, 3.7 in
 * bookworm): its own `config_directory`, `queue_directory` and
 * `data_directory` in a fresh state directory, started with
 * `postfix -c DIR start` as root. Mail for the test domains is accepted for
 * any local part and delivered by `virtual(8)` into one Maildir (owned by
 * `nobody`), or thrown away with `discard`. It can never relay: relaying is
 * refused with 554 5.7.1, the default and relay transports are `error:`, and
 * master.cf has no SMTP/LMTP client at all.
 *
 * Quirks (see docs/interop.md): `maillog_file` must be set and allowed by
 * `maillog_file_prefixes`, else every postfix command fails silently in a
 * container without syslog; delivery is asynchronous (use
 * `waitForMessages`); stored files have LF line ends and start with
 * `Return-Path`, `Delivered-To` and `Received`. Header rewriting for local
 * clients is switched off (`local_header_rewrite_clients` empty) so that a
 * message from 127.0.0.1 is stored as sent, like mail from a remote host.
 *
 * @module
 */

import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSelfSignedCertificate, type SelfSignedCertificate } from "./certificate.js";
import { interopCacheDirectory } from "./cache-directory.js";
import { assertTestPort, findFreePort, isListening, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";
import { DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT, delay, readLogTail, terminateProcessGroup } from "./managed-process.js";
import { findExecutable } from "./peer-availability.js";
import {
  assertPeerAvailable,
  checkPeerOptions,
  checkDomains,
  lookupUser,
  messageWaiter,
  type MessageStore,
  type PeerOptions,
  type RunningPeer,
} from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory, trackProcessGroup, untrackProcessGroup } from "./process-registry.js";
import { runCommand } from "./run-command.js";
import { readMaildir } from "./stored-message.js";

/** Options of {@link startPostfix}. */
export interface PostfixOptions extends PeerOptions {
  /** Throw every accepted message away (`local_transport = discard:`) instead of storing it. */
  readonly discard?: boolean;
  /** Offer STARTTLS with a fresh self-signed certificate (`smtpd_tls_security_level = may`). */
  readonly tls?: boolean;
  /**
   * The SMTP-smuggling defences Postfix 3.7 leaves off (and that would not
   * apply to 127.0.0.1 anyway, which is in `mynetworks`):
   * `smtpd_forbid_bare_newline = reject` with no exclusions and
   * `smtpd_forbid_unauth_pipelining = yes`. (`yes` is an alias of
   * `normalize` in 3.7.11: a bare LF is then accepted as a line end; `reject`
   * answers `550 5.5.2 Error: bare <LF> received` and keeps nothing.)
   */
  readonly strict?: boolean;
  /** The domains accepted as local (`mydestination`; default `example.test`, `localhost`). */
  readonly domains?: readonly string[];
  /** The server's host name in the banner and EHLO (default `postfix-peer.example.test`). */
  readonly hostname?: string;
  /** Extra `main.cf` settings; each replaces the default of the same name. */
  readonly mainCf?: Readonly<Record<string, string>>;
}

/** A running Postfix instance. */
export interface RunningPostfix extends RunningPeer, MessageStore {
  /** The Maildir (holding `new/`, `cur/`, `tmp/`) deliveries go to. */
  readonly maildir: string;
  /** The generated configuration directory (`main.cf`, `master.cf`). */
  readonly configDirectory: string;
  /** The STARTTLS certificate, when `tls` was set. */
  readonly certificate: SelfSignedCertificate | undefined;
}

function mainCf(directory: string, options: PostfixOptions, certificate: SelfSignedCertificate | undefined): string {
  const domains = checkDomains(options.domains ?? ["example.test", "localhost"]);
  const settings: [string, string][] = [
    ["compatibility_level", "3.6"],
    ["queue_directory", join(directory, "spool")],
    ["data_directory", join(directory, "data")],
    ["mail_owner", "postfix"],
    ["setgid_group", "postdrop"],
    ["myhostname", options.hostname ?? "postfix-peer.example.test"],
    ["mydomain", "example.test"],
    ["myorigin", "$myhostname"],
    ["mydestination", domains.join(" ")],
    ["inet_interfaces", "loopback-only"],
    ["inet_protocols", "ipv4"],
    ["mynetworks", "127.0.0.0/8"],
    ["relay_domains", ""],
    ["smtpd_relay_restrictions", "reject_unauth_destination"],
    ["smtpd_recipient_restrictions", ""],
    ["default_transport", "error:5.7.1 test peer never relays"],
    ["relay_transport", "error:5.7.1 test peer never relays"],
    ["local_recipient_maps", ""],
    ["alias_maps", ""],
    ["alias_database", ""],
    ["local_transport", options.discard === true ? "discard:test peer discards all mail" : "virtual"],
    ["virtual_mailbox_base", join(directory, "mail")],
    ["virtual_mailbox_domains", ""],
    ["virtual_mailbox_maps", "static:Maildir/"],
    ["virtual_uid_maps", "static:65534"],
    ["virtual_gid_maps", "static:65534"],
    ["virtual_minimum_uid", "100"],
    ["virtual_mailbox_limit", "0"],
    ["message_size_limit", "52428800"],
    ["smtputf8_enable", "yes"],
    ["biff", "no"],
    ["append_dot_mydomain", "no"],
    ["local_header_rewrite_clients", ""],
    ["smtpd_banner", "$myhostname ESMTP Postfix (test peer)"],
    // never ask DNS for the client's name (tests stay off the network)
    ["smtpd_peername_lookup", "no"],
    ["maillog_file_prefixes", `${directory}, /dev/stdout`],
    ["maillog_file", join(directory, "maillog")],
  ];
  if (options.strict === true) {
    settings.push(
      ["smtpd_forbid_bare_newline", "reject"],
      ["smtpd_forbid_bare_newline_exclusions", ""],
      ["smtpd_forbid_unauth_pipelining", "yes"],
    );
  }
  if (certificate !== undefined) {
    settings.push(
      ["smtpd_tls_security_level", "may"],
      ["smtpd_tls_cert_file", certificate.certificatePath],
      ["smtpd_tls_key_file", certificate.keyPath],
      ["smtpd_tls_loglevel", "1"],
    );
  }
  // one entry per name (Postfix warns about every duplicate, in every daemon)
  const merged = new Map(settings);
  for (const [name, value] of Object.entries(options.mainCf ?? {})) {
    if (!/^[a-z0-9_]+$/.test(name) || /[\r\n]/.test(value)) {
      throw new InteropError("invalid-option", `bad main.cf setting ${JSON.stringify(name)}`);
    }
    merged.set(name, value);
  }
  return `# generated by @smtpkit/interop: private test instance, loopback only\n${[...merged]
    .map(([name, value]) => `${name} = ${value}`)
    .join("\n")}\n`;
}

function masterCf(port: number): string {
  // chroot is "n" everywhere: the private queue directory has no chroot environment.
  // No smtp/lmtp/relay client services: nothing can leave this machine.
  return `# service type private unpriv chroot wakeup maxproc command
127.0.0.1:${port} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`;
}

/** One directory of a Postfix queue, as `postfix start` created it. */
interface SpoolDirectory {
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** The recorded queue layout, shared by test processes through the cache folder. */
interface SpoolLayout {
  readonly postfixUid: number;
  readonly directories: readonly SpoolDirectory[];
}

function spoolLayoutPath(): string {
  return join(interopCacheDirectory(), "postfix-spool-layout.json");
}

/** Records the directories of a queue that a full `postfix start` created (first start only). */
function recordSpoolLayout(spool: string, postfixUid: number | undefined, replace: boolean): void {
  if (postfixUid === undefined || (!replace && existsSync(spoolLayoutPath()))) return;
  const directories: SpoolDirectory[] = [];
  const walk = (relative: string, depth: number): void => {
    for (const entry of readdirSync(join(spool, relative), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const stat = statSync(join(spool, path));
      directories.push({ path, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid });
      if (depth < 3) walk(path, depth + 1);
    }
  };
  try {
    walk("", 0);
    mkdirSync(interopCacheDirectory(), { recursive: true });
    const temporary = `${spoolLayoutPath()}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ postfixUid, directories } satisfies SpoolLayout));
    renameSync(temporary, spoolLayoutPath());
  } catch {
    // only an optimisation
  }
}

/** Recreates a recorded queue layout and asks for a quick start; false when there is no usable layout. */
function applySpoolLayout(spool: string, postfixUid: number | undefined): boolean {
  let layout: SpoolLayout;
  try {
    layout = JSON.parse(readFileSync(spoolLayoutPath(), "utf8")) as SpoolLayout;
  } catch {
    return false;
  }
  if (layout.postfixUid !== postfixUid || !Array.isArray(layout.directories)) return false;
  try {
    for (const entry of layout.directories) {
      if (entry.path.split("/").some((part: string) => part === "" || part === "." || part === "..")) return false;
      const path = join(spool, entry.path);
      mkdirSync(path, { recursive: true });
      chownSync(path, entry.uid, entry.gid);
      chmodSync(path, entry.mode);
    }
    // postfix-script skips "check-fatal" and "check-warn" once when this file exists
    writeFileSync(join(spool, "quick-start"), "");
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a private Postfix instance on 127.0.0.1.
 *
 * @param options - port, discard, tls, strict, domains, extra main.cf
 * @returns the running instance; call `stop()` when done
 * @throws {@link InteropError} `peer-missing` (not installed or not root), `startup-failed` (with the maillog)
 * @example
 * ```ts
 * const postfix = await startPostfix({ tls: true });
 * await sendWithRawClient({ port: postfix.port, from: "a@client.example.test", to: ["b@example.test"], message });
 * const [stored] = await postfix.waitForMessages(1);
 * await postfix.stop();
 * ```
 */
export async function startPostfix(options: PostfixOptions = {}): Promise<RunningPostfix> {
  checkPeerOptions(options);
  assertPeerAvailable("postfix");
  const postfix = findExecutable("postfix") ?? "postfix";
  const port = options.port ?? (await findFreePort());
  assertTestPort(port);
  if (await isListening(port)) throw new InteropError("startup-failed", `postfix: port ${port} is already in use`);
  const directory = createStateDirectory("postfix");
  const configDirectory = join(directory, "etc");
  const logPath = join(directory, "log");
  const maillog = join(directory, "maillog");
  const maildir = join(directory, "mail", "Maildir");
  const masterPidPath = join(directory, "spool", "pid", "master.pid");
  const readLog = (): string => readLogTail([logPath, maillog]);
  let masterPid: number | undefined;
  let stopped = false;

  const run = (command: string): Promise<{ ok: boolean; output: string }> =>
    runCommand(postfix, ["-c", configDirectory, command], { timeout: 30_000, resolveOnExit: true }).then((result) => {
      const output = `$ postfix ${command} (exit ${String(result.exitCode)})\n${result.stdout}${result.stderr}`;
      writeFileSync(logPath, output, { flag: "a" });
      return { ok: result.exitCode === 0, output };
    });

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (masterPid !== undefined) {
      await run("stop");
      const graceful = await terminateProcessGroup(masterPid, options.stopTimeout ?? DEFAULT_STOP_TIMEOUT);
      if (!graceful) writeFileSync(logPath, "master needed SIGKILL\n", { flag: "a" });
      untrackProcessGroup(directory, masterPid);
    }
    releaseStateDirectory(directory, options.keepStateDirectory === true);
  };

  try {
    for (const sub of ["etc", "spool", "data", "mail"]) mkdirSync(join(directory, sub));
    chmodSync(configDirectory, 0o755);
    chmodSync(join(directory, "spool"), 0o755);
    const postfixUser = lookupUser("postfix");
    if (postfixUser !== undefined) chownSync(join(directory, "data"), postfixUser.uid, postfixUser.gid);
    // virtual(8) delivers as nobody (virtual_uid_maps) and creates Maildir/ itself
    chownSync(join(directory, "mail"), 65534, 65534);
    const certificate =
      options.tls === true
        ? await createSelfSignedCertificate({ directory: configDirectory, commonName: options.hostname ?? "postfix-peer.example.test" })
        : undefined;
    writeFileSync(join(configDirectory, "main.cf"), mainCf(directory, options, certificate));
    writeFileSync(join(configDirectory, "master.cf"), masterCf(port));
    // "postfix start" runs "postfix check" itself and fails on fatal problems.
    // On a fresh queue directory that check creates it, about 1-2 s of
    // postconf/mkdir/chown; a recorded layout plus "quick-start" skips it.
    const spool = join(directory, "spool");
    const quick = applySpoolLayout(spool, postfixUser?.uid);
    let started = await run("start");
    const quickFailed = !started.ok && quick;
    if (quickFailed) {
      writeFileSync(logPath, "quick start failed; retrying with the full check\n", { flag: "a" });
      rmSync(join(spool, "quick-start"), { force: true });
      started = await run("start");
    }
    if (!started.ok) throw new InteropError("startup-failed", "postfix start failed", readLog());
    const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
    const deadline = Date.now() + startTimeout;
    for (;;) {
      if (masterPid === undefined) {
        try {
          const pid = Number(readFileSync(masterPidPath, "latin1").trim());
          if (Number.isInteger(pid) && pid > 1) {
            masterPid = pid;
            // the master calls setsid(): its pid is the process group of every Postfix daemon
            trackProcessGroup(directory, pid);
          }
        } catch {
          // not written yet
        }
      }
      if (masterPid !== undefined && (await isListening(port))) break;
      if (Date.now() > deadline) {
        throw new InteropError("startup-failed", `postfix did not listen on port ${port} within ${startTimeout} ms`, readLog());
      }
      await delay(50);
    }
    if (!quick || quickFailed) recordSpoolLayout(spool, postfixUser?.uid, quickFailed);
    const messages = (): ReturnType<typeof readMaildir> => readMaildir(maildir);
    return {
      name: "postfix",
      host: LOOPBACK_HOST,
      port,
      stateDirectory: directory,
      logPath: maillog,
      maildir,
      configDirectory,
      certificate,
      readLog,
      stop,
      messages,
      waitForMessages: messageWaiter(messages, "postfix"),
    };
  } catch (error) {
    const log = readLog();
    await stop();
    if (InteropError.isInstance(error)) throw error;
    throw new InteropError("startup-failed", `postfix: ${(error as Error).message}`, log);
  }
}
