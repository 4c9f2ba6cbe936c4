/**
 * Exim 4 (Debian `exim4-daemon-light`, 4.96 in bookworm) on 127.0.0.1.
 * Exim cannot be installed beside Postfix as a Debian package (both provide
 * `mail-transport-agent`), so the harness fetches the package with
 * `apt-get download`, unpacks it with `dpkg -x` into a cache folder
 * (`SMTPKIT_INTEROP_CACHE`, default `<tmp>/smtpkit-interop-cache`) and runs
 * the binary from there. That binary has the user `Debian-exim` compiled in
 * and refuses to start without it; when the system lacks that user the
 * daemon runs in a private mount namespace (`unshare -m`) where
 * `/etc/passwd` and `/etc/group` are bind-mounted copies that add it (uid
 * and gid 64990). Nothing on the system is modified. Root is required.
 *
 * The generated configuration accepts the test domains only (relaying is
 * denied; there is no smtp transport and no dnslookup router, so nothing can
 * leave), advertises SIZE, 8BITMIME, PIPELINING, CHUNKING, PRDR, SMTPUTF8
 * (and STARTTLS with `tls`), and delivers into one Maildir, or to
 * `:blackhole:` with `discard`. Stored files have LF line ends and start
 * with `Return-path`, `Envelope-to`, `Delivery-date` and `Received`.
 *
 * Quirk: Exim enforces pipelining synchronisation after DATA strictly.
 *
 * @module
 */

import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSelfSignedCertificate, type SelfSignedCertificate } from "./certificate.js";
import { assertTestPort, findFreePort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";
import { readLogTail, startManagedProcess } from "./managed-process.js";
import { findExecutable, setEximCacheProbe } from "./peer-availability.js";
import {
  assertPeerAvailable,
  checkDomains,
  lookupUser,
  messageWaiter,
  type MessageStore,
  type PeerOptions,
  type RunningPeer,
} from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import { runCommand } from "./run-command.js";
import { readMaildir, type StoredMessage } from "./stored-message.js";

/** The user name compiled into Debian's Exim binary. */
export const EXIM_USER = "Debian-exim";
/** The uid/gid given to {@link EXIM_USER} inside the private mount namespace when the system lacks it. */
export const EXIM_FALLBACK_ID = 64990;

/**
 * The folder where downloaded Debian packages are unpacked:
 * `SMTPKIT_INTEROP_CACHE` if set, else `<tmp>/smtpkit-interop-cache`.
 *
 * @returns an absolute path (not created)
 * @example
 * ```ts
 * interopCacheDirectory(); // "/tmp/smtpkit-interop-cache"
 * ```
 */
export function interopCacheDirectory(): string {
  const configured = process.env["SMTPKIT_INTEROP_CACHE"];
  return configured !== undefined && configured !== "" ? configured : join(tmpdir(), "smtpkit-interop-cache");
}

function eximRoot(): string {
  return join(interopCacheDirectory(), "exim4-daemon-light");
}

function eximBinary(): string {
  return join(eximRoot(), "usr", "sbin", "exim4");
}

setEximCacheProbe(() => existsSync(eximBinary()));

/**
 * Makes sure the Exim binary is unpacked in the cache: `apt-get download
 * exim4-daemon-light` (after one `apt-get update` if the first try fails)
 * and `dpkg -x`, into a temporary folder renamed into place, so concurrent
 * test files never see half an extraction.
 *
 * @returns the path of the `exim4` binary
 * @throws {@link InteropError} `peer-missing` when the package cannot be fetched or unpacked
 * @example
 * ```ts
 * const exim = await ensureEximBinary(); // ".../exim4-daemon-light/usr/sbin/exim4"
 * ```
 */
export async function ensureEximBinary(): Promise<string> {
  if (existsSync(eximBinary())) return eximBinary();
  mkdirSync(interopCacheDirectory(), { recursive: true });
  const work = mkdtempSync(join(interopCacheDirectory(), "exim-download-"));
  try {
    // apt-get download as root warns when the _apt user cannot write the folder; make it writable
    chmodSync(work, 0o777);
    let download = await runCommand("apt-get", ["download", "exim4-daemon-light"], { cwd: work, timeout: 120_000 });
    if (download.exitCode !== 0) {
      await runCommand("apt-get", ["update", "-qq"], { timeout: 300_000 });
      download = await runCommand("apt-get", ["download", "exim4-daemon-light"], { cwd: work, timeout: 120_000 });
    }
    const deb = readdirSync(work).find((name) => name.endsWith(".deb"));
    if (download.exitCode !== 0 || deb === undefined) {
      throw new InteropError("peer-missing", "apt-get download exim4-daemon-light failed", download.stderr);
    }
    const unpack = await runCommand("dpkg", ["-x", join(work, deb), join(work, "root")], { timeout: 120_000 });
    if (unpack.exitCode !== 0) throw new InteropError("peer-missing", "dpkg -x exim4-daemon-light failed", unpack.stderr);
    try {
      renameSync(join(work, "root"), eximRoot());
    } catch (error) {
      if (!existsSync(eximBinary())) throw error; // another process won the race otherwise
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return eximBinary();
}

/** Options of {@link startExim}. */
export interface EximOptions extends PeerOptions {
  /** Accept and throw away every message (`:blackhole:`). */
  readonly discard?: boolean;
  /** Offer STARTTLS with a fresh self-signed certificate. */
  readonly tls?: boolean;
  /** The local domains (default `example.test`, `localhost`). */
  readonly domains?: readonly string[];
  /** `primary_hostname` (default `exim-peer.example.test`). */
  readonly hostname?: string;
}

/** A running Exim. */
export interface RunningExim extends RunningPeer, MessageStore {
  /** The Maildir deliveries go to. */
  readonly maildir: string;
  /** The generated configuration file. */
  readonly configPath: string;
  /** The STARTTLS certificate, when `tls` was set. */
  readonly certificate: SelfSignedCertificate | undefined;
}

function eximConfig(
  directory: string,
  binary: string,
  port: number,
  options: EximOptions,
  certificate: SelfSignedCertificate | undefined,
): string {
  const domains = checkDomains(options.domains ?? ["example.test", "localhost"]).join(" : ");
  const router =
    options.discard === true
      ? "all_local:\n  driver = redirect\n  domains = +local_domains\n  data = :blackhole:\n  allow_defer\n"
      : "all_local:\n  driver = accept\n  domains = +local_domains\n  transport = maildir_all\n";
  return `# generated by @smtpkit/interop: private test instance, loopback only
primary_hostname = ${options.hostname ?? "exim-peer.example.test"}
exim_path = ${binary}
domainlist local_domains = ${domains}
domainlist relay_to_domains =
hostlist relay_from_hosts =
local_interfaces = 127.0.0.1
daemon_smtp_ports = ${port}
spool_directory = ${directory}/spool
log_file_path = ${directory}/exim-log/%slog
pid_file_path = ${directory}/exim.pid
exim_user = ${EXIM_USER}
exim_group = ${EXIM_USER}
never_users = root
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
message_size_limit = 50M
smtputf8_advertise_hosts = *
chunking_advertise_hosts = *
pipelining_advertise_hosts = *
prdr_enable = true
tls_advertise_hosts = ${certificate === undefined ? "" : "*"}
${certificate === undefined ? "" : `tls_certificate = ${certificate.certificatePath}\ntls_privatekey = ${certificate.keyPath}\n`}timeout_frozen_after = 1m
ignore_bounce_errors_after = 0s
keep_environment =
add_environment = PATH=/usr/bin:/bin

begin acl
acl_check_rcpt:
  accept domains = +local_domains
  deny   message = relay not permitted (test peer)
acl_check_data:
  accept

begin routers
${router}
begin transports
maildir_all:
  driver = appendfile
  directory = ${directory}/mail/Maildir
  maildir_format
  create_directory
  delivery_date_add
  envelope_to_add
  return_path_add
  user = ${EXIM_USER}
  group = ${EXIM_USER}
  mode = 0644

begin retry
*  *  F,1m,1m

begin rewrite
`;
}

/**
 * Starts a private Exim daemon on 127.0.0.1 (fetching it on first use).
 *
 * @param options - port, discard, tls, domains, hostname
 * @returns the running daemon; call `stop()` when done
 * @throws {@link InteropError} `peer-missing` (not root, no unshare, download failed), `startup-failed` (with its logs)
 * @example
 * ```ts
 * const exim = await startExim();
 * // ... send, for example with BDAT: Exim offers CHUNKING ...
 * const [message] = await exim.waitForMessages(1);
 * await exim.stop();
 * ```
 */
export async function startExim(options: EximOptions = {}): Promise<RunningExim> {
  assertPeerAvailable("exim");
  const binary = await ensureEximBinary();
  const port = options.port ?? (await findFreePort());
  assertTestPort(port);
  const directory = createStateDirectory("exim");
  const logPath = join(directory, "log");
  const configPath = join(directory, "exim.conf");
  const maildir = join(directory, "mail", "Maildir");
  const eximLogs = ["mainlog", "rejectlog", "paniclog"].map((name) => join(directory, "exim-log", name));
  let managed;
  let certificate: SelfSignedCertificate | undefined;
  try {
    const systemUser = lookupUser(EXIM_USER);
    const id = systemUser?.uid ?? EXIM_FALLBACK_ID;
    const gid = systemUser?.gid ?? EXIM_FALLBACK_ID;
    for (const sub of ["spool", "exim-log", "mail"]) {
      mkdirSync(join(directory, sub));
      // with -C outside TRUSTED_CONFIG_LIST Exim drops root for good: everything runs as Debian-exim
      chownSync(join(directory, sub), id, gid);
    }
    if (options.tls === true) {
      certificate = await createSelfSignedCertificate({ directory, commonName: options.hostname ?? "exim-peer.example.test" });
      chownSync(certificate.keyPath, id, gid);
    }
    writeFileSync(configPath, eximConfig(directory, binary, port, options, certificate), { mode: 0o644 });
    // -bdf: daemon in the foreground; -q1m: queue runner every minute; -oP: pid file
    const eximArgs = [binary, "-C", configPath, "-bdf", "-q1m", "-oP", join(directory, "exim.pid")];
    let command: string;
    let args: string[];
    if (systemUser !== undefined) {
      command = binary;
      args = eximArgs.slice(1);
    } else {
      const passwd = join(directory, "passwd");
      const group = join(directory, "group");
      copyFileSync("/etc/passwd", passwd);
      copyFileSync("/etc/group", group);
      writeFileSync(passwd, `${EXIM_USER}:x:${EXIM_FALLBACK_ID}:${EXIM_FALLBACK_ID}:exim test peer:/nonexistent:/usr/sbin/nologin\n`, { flag: "a" });
      writeFileSync(group, `${EXIM_USER}:x:${EXIM_FALLBACK_ID}:\n`, { flag: "a" });
      command = findExecutable("unshare") ?? "unshare";
      args = [
        "-m", "--propagation", "private", "--", "/bin/sh", "-c",
        'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"',
        "sh", passwd, group, ...eximArgs,
      ];
    }
    managed = await startManagedProcess({
      directory,
      label: "exim",
      command,
      args,
      logPath,
      extraLogs: eximLogs,
      port,
      ...(options.startTimeout === undefined ? {} : { startTimeout: options.startTimeout }),
    });
  } catch (error) {
    const log = readLogTail([logPath, ...eximLogs]);
    releaseStateDirectory(directory);
    if (InteropError.isInstance(error)) throw error;
    throw new InteropError("startup-failed", `exim: ${(error as Error).message}`, log);
  }
  let stopped = false;
  const messages = (): StoredMessage[] => readMaildir(maildir);
  return {
    name: "exim",
    host: LOOPBACK_HOST,
    port,
    stateDirectory: directory,
    logPath: eximLogs[0] ?? logPath,
    maildir,
    configPath,
    certificate,
    readLog: () => readLogTail([logPath, ...eximLogs]),
    async stop() {
      if (stopped) return;
      stopped = true;
      await managed.stop(options.stopTimeout);
      releaseStateDirectory(directory, options.keepStateDirectory === true);
    },
    messages,
    waitForMessages: messageWaiter(messages, "exim"),
  };
}

/**
 * Whether the Exim binary is already unpacked in the cache (no download needed).
 *
 * @returns true when the cached binary exists
 * @example
 * ```ts
 * isEximCached();
 * ```
 */
export function isEximCached(): boolean {
  return existsSync(eximBinary()) && readFileSync(eximBinary()).length > 0;
}
