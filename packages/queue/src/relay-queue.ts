/**
 * The relay queue: {@link openQueue} recovers a spool and returns a
 * {@link RelayQueue} that takes messages durably (`enqueue` resolves only
 * once the entry is on disk, so the server's 250 waits for it) and delivers
 * them with workers: pending recipients grouped by entry and domain, limited
 * in total and per domain, retried per the schedule, failed on 5yz, given up
 * after the give-up time, with notices for failures, delays and deliveries
 * handed to a notifier (the seam for RFC 3464 DSNs).
 *
 * Order of durable steps, so that a crash at any instant loses nothing that
 * was acknowledged:
 * - enqueue: entry file written, synced, renamed, directory synced → resolve;
 * - after an attempt: notices first (a DSN is itself a durable entry), then
 *   the state file; a crash between the two repeats a notice, never skips one;
 * - an entry whose every recipient is done: entry file removed, then state.
 *
 * Recovery (`openQueue`): `tmp/` is emptied (writes never acknowledged);
 * every `entries/` file is validated in full (marks, lengths, SHA-256) and a
 * bad one is moved to `corrupt/` and never delivered; state files are read
 * (a missing or damaged one means "nothing attempted": deliver again rather
 * than lose); entries already complete are removed.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { link, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { connect as clientConnect, createMxResolver, type ConnectOptions, type DnsResolver, type MxLookup, type SmtpClient } from "@smtpkit/client";
import { Situations } from "@smtpkit/codes";
import { createDsnNotifier } from "./dsn-notice.js";
import { attemptDelivery, createConnectionCache, type RecipientOutcome } from "./delivery.js";
import { systemClock, type QueueClock } from "./queue-clock.js";
import { DEFAULT_MAX_RECIPIENTS_PER_ENTRY, normalizeEnvelope, routingDomain, type QueueEnvelope, type QueueRecipient } from "./queue-envelope.js";
import { checkLimit, QueueUsageError } from "./queue-usage-error.js";
import { entryView, initialProgress, mailboxText, type QueueEntryView } from "./queue-view.js";
import { DEFAULT_MAX_HOPS } from "./received-counter.js";
import { resolveRetrySchedule, retryDelay, type RetrySchedule } from "./retry-schedule.js";
import {
  cleanTemporary,
  ensureSpool,
  exists,
  listIds,
  quarantineEntry,
  readLockFile,
  readEntryMessage,
  readState,
  removeEntry,
  spoolPaths,
  validateEntryFile,
  writeEntry,
  writeState,
  type EnqueueFailureReason,
  type QueueContent,
  type SpoolPaths,
} from "./spool.js";
import type { EntryMetadata, RecipientProgress, StoredReply } from "./spool-format.js";
import type { Situation } from "@smtpkit/codes";

/** Default most deliveries (transactions) running at once: 20 (Postfix default_process_limit is 100; this is one process). */
export const DEFAULT_MAX_CONCURRENT_DELIVERIES = 20;
/** Default most deliveries to one domain at once: 4 (Postfix default_destination_concurrency_limit is 20; small domains are easily overrun). */
export const DEFAULT_MAX_CONCURRENT_PER_DOMAIN = 4;
/** Default largest message the queue takes: 256 MiB (the server's SIZE normally refuses well before). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Default most recipients in one transaction: 100 (RFC 5321 §4.5.3.1.8: every server must take at least 100). */
export const DEFAULT_MAX_RECIPIENTS_PER_TRANSACTION = 100;
/** Default time an idle connection is kept for reuse: 10 s. */
export const DEFAULT_CONNECTION_IDLE_MILLISECONDS = 10_000;
/** Default messages over one connection before it is replaced: 100. */
export const DEFAULT_MAX_MESSAGES_PER_CONNECTION = 100;
/** Default interval of the scheduler's poll (flush-request file, timers longer than Node allows): 1 s. */
export const DEFAULT_POLL_INTERVAL_MILLISECONDS = 1000;
/** Default time a notifier may take before its notice counts as failed: 2 min. */
export const DEFAULT_NOTICE_TIMEOUT_MILLISECONDS = 120_000;

/** Entry files validated at once during recovery. */
const RECOVERY_CONCURRENCY = 8;

/** Default grace `close()` gives running deliveries before aborting them: 30 s. */
export const DEFAULT_CLOSE_GRACE_MILLISECONDS = 30_000;

/** One recipient in a {@link DeliveryNotice}. */
export interface NoticeRecipient {
  /** Its index in the envelope. */
  readonly index: number;
  /** The recipient with its NOTIFY and ORCPT. */
  readonly recipient: QueueRecipient;
  /** The address, `local@domain`. */
  readonly address: string;
  /** The last reply (the remote server's, or the queue's wording). */
  readonly reply: StoredReply | undefined;
  /** When the last attempt ended. */
  readonly lastAttemptAt: number | undefined;
  /** For `delayed`: when the queue will give up. */
  readonly willRetryUntil: number | undefined;
  /** For `delivered`: the remote server did not take the DSN parameters (no DSN extension), so this is "relayed" (RFC 3461 §4.1). */
  readonly relayed: boolean;
}

/**
 * What the queue tells its notifier: some recipients of an entry failed for
 * good, are delayed past the warning time, or were delivered.
 *
 * @example
 * ```ts
 * // { action: "failed", entry: { id: "...", from: "alice@example.com", ... },
 * //   recipients: [{ index: 1, address: "nobody@example.org", reply: { code: 550, enhanced: "5.1.1", text: "No such user", remoteMta: "mx.example.org [192.0.2.25]" }, ... }] }
 * ```
 */
export interface DeliveryNotice {
  /** What happened. */
  readonly action: "failed" | "delayed" | "delivered";
  /** The entry, as listed. */
  readonly entry: QueueEntryView;
  /** The recipients concerned. */
  readonly recipients: readonly NoticeRecipient[];
  /** Our host name, the Reporting-MTA. */
  readonly reportingMta: string;
  /** When this happened (the queue's clock). */
  readonly time: number;
  /**
   * Reads the start of the queued message (checked against its digest when
   * read whole). Valid only until the notifier's promise settles: the entry
   * may be removed after that.
   *
   * @param maxBytes - the most bytes wanted
   * @returns at most `maxBytes` bytes of the message
   */
  readOriginal(maxBytes: number): Promise<Uint8Array>;
}

/**
 * Receives notices; resolves once whatever it does is durable (for a DSN:
 * once the DSN is queued). If it rejects for a `failed` notice, the
 * recipients stay pending and the failure (and the notice) comes again at
 * the next attempt; for `delayed`, the notice is tried again; for
 * `delivered`, it is logged.
 */
export type DeliveryNotifier = (notice: DeliveryNotice) => Promise<void>;

/** What the queue logs. Never holds message content or credentials. */
export type QueueLogEvent =
  | { readonly type: "queue-recovered"; readonly entries: number; readonly pendingRecipients: number; readonly removedTemporary: number; readonly corrupt: number }
  | { readonly type: "entry-queued"; readonly id: string; readonly size: number; readonly from: string; readonly recipients: number }
  | { readonly type: "enqueue-failed"; readonly reason: EnqueueFailureReason; readonly error: string }
  | {
      readonly type: "delivery-attempt";
      readonly id: string;
      readonly domain: string;
      readonly host: string | undefined;
      readonly address: string | undefined;
      readonly skippedHosts: number;
      readonly recipients: readonly { readonly address: string; readonly result: "delivered" | "deferred" | "failed"; readonly code: number; readonly enhanced: string | undefined; readonly text: string }[];
      readonly durationMilliseconds: number;
    }
  | { readonly type: "entry-completed"; readonly id: string }
  | { readonly type: "entry-corrupt"; readonly id: string; readonly problem: string }
  | { readonly type: "notice-failed"; readonly id: string; readonly action: DeliveryNotice["action"]; readonly error: string }
  | { readonly type: "state-write-failed"; readonly id: string; readonly error: string }
  | { readonly type: "flush-requested"; readonly source: "call" | "file" }
  | { readonly type: "delivery-error"; readonly id: string; readonly domain: string; readonly error: string };

/**
 * Receives the queue's log events; must not throw (what it throws is swallowed).
 *
 * @example
 * ```ts
 * import type { QueueLogger } from "@smtpkit/queue";
 * const logger: QueueLogger = (event) => console.log(JSON.stringify(event));
 * ```
 */
export type QueueLogger = (event: QueueLogEvent) => void;

/** Options of {@link openQueue}. */
export interface QueueOptions {
  /** The spool root; created if missing. One running queue per directory (a lock file says which process). */
  readonly directory: string;
  /** This host's name: the EHLO name, the Reporting-MTA of notices, and an own name for loop detection. */
  readonly hostname: string;
  /** More names of this host: an MX that is one of them is us (RFC 5321 §5.1 loop detection). */
  readonly localNames?: readonly string[];
  /** This host's addresses, for the same check. */
  readonly localAddresses?: readonly string[];
  /** Where a domain's mail goes; default `createMxResolver` of `@smtpkit/client` with the names and addresses above. */
  readonly lookup?: MxLookup;
  /** The DNS resolver for the default look-up (inject one in tests); default the system's. */
  readonly resolver?: DnsResolver;
  /** The SMTP port of MX hosts; default 25. Tests point it at a local server. */
  readonly port?: number;
  /** Opens a connection; default `connect` of `@smtpkit/client`. */
  readonly connect?: (options: ConnectOptions) => Promise<SmtpClient>;
  /** More options of every connection (timeouts, `tls.ca`, `onEvent`...). */
  readonly connectOptions?: Partial<Omit<ConnectOptions, "host" | "port" | "hostname" | "startTls" | "auth">>;
  /**
   * STARTTLS policy; default `"opportunistic"` (RFC 7435: use TLS when
   * offered, without checking the certificate, as MTAs do; deliver in clear
   * text otherwise). `"required"` verifies certificates.
   */
  readonly startTls?: "opportunistic" | "required" | "never";
  /** Domains whose mail must go over verified TLS (lower case); a host without STARTTLS is then skipped. */
  readonly requireTlsDomains?: readonly string[];
  /** The retry schedule; default {@link DEFAULT_RETRY_SCHEDULE}. */
  readonly retry?: Partial<RetrySchedule>;
  /** Most transactions at once; default {@link DEFAULT_MAX_CONCURRENT_DELIVERIES}. */
  readonly maxConcurrentDeliveries?: number;
  /** Most transactions to one domain at once; default {@link DEFAULT_MAX_CONCURRENT_PER_DOMAIN}. */
  readonly maxConcurrentPerDomain?: number;
  /** Most recipients in one transaction; default {@link DEFAULT_MAX_RECIPIENTS_PER_TRANSACTION}. */
  readonly maxRecipientsPerTransaction?: number;
  /** Most recipients in one entry; default {@link DEFAULT_MAX_RECIPIENTS_PER_ENTRY}. */
  readonly maxRecipientsPerEntry?: number;
  /** Most `Received:` fields before a message is a loop and fails (RFC 5321 §6.3); default {@link DEFAULT_MAX_HOPS}. */
  readonly maxHops?: number;
  /** Largest message taken; default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /** How long an idle connection is kept for the next message to the same host; default {@link DEFAULT_CONNECTION_IDLE_MILLISECONDS}; 0 = never reuse. */
  readonly connectionIdleMilliseconds?: number;
  /** Messages over one connection before it is closed; default {@link DEFAULT_MAX_MESSAGES_PER_CONNECTION}. */
  readonly maxMessagesPerConnection?: number;
  /** How often the scheduler looks for a flush request; default {@link DEFAULT_POLL_INTERVAL_MILLISECONDS}. */
  readonly pollIntervalMilliseconds?: number;
  /** How long `close()` lets running deliveries finish before aborting them; default {@link DEFAULT_CLOSE_GRACE_MILLISECONDS}. */
  readonly closeGraceMilliseconds?: number;
  /** Time and timers; default {@link systemClock}. */
  readonly clock?: QueueClock;
  /** Log events. */
  readonly logger?: QueueLogger;
  /**
   * Receives failure, delay and delivery notices. Default: RFC 3464 DSNs
   * ({@link createDsnNotifier}) queued here, from `<>` to the sender. Give
   * your own to deliver DSNs to local senders yourself; `null`: no notices.
   */
  readonly notifier?: DeliveryNotifier | null;
  /**
   * How long the notifier may take; after that the notice counts as failed (and is offered again later),
   * so that a notifier that hangs cannot hold an entry, or `close()`, forever. Default
   * {@link DEFAULT_NOTICE_TIMEOUT_MILLISECONDS}.
   */
  readonly noticeTimeoutMilliseconds?: number;
  /** Permission bits of spool files; default `0o600`. */
  readonly fileMode?: number;
  /** Permission bits of spool directories; default `0o700`. */
  readonly directoryMode?: number;
}

/** The result of {@link RelayQueue.enqueue}. */
export type EnqueueResult =
  | {
      readonly ok: true;
      /** The entry id. */
      readonly id: string;
      /** The message size in octets. */
      readonly size: number;
    }
  | {
      readonly ok: false;
      /** Why. */
      readonly reason: EnqueueFailureReason;
      /** The reply to give the submitter instead of 250. */
      readonly situation: Situation;
      /** The underlying error, for logs. */
      readonly cause?: unknown;
    };

/**
 * A running relay queue.
 *
 * @example
 * ```ts
 * const queue = await openQueue({ directory: "./queue", hostname: "mta.example.com" });
 * queue.start();
 * const result = await queue.enqueue(envelope, content);
 * console.log(queue.list());
 * await queue.close();
 * ```
 */
export interface RelayQueue {
  /** The spool root, absolute. */
  readonly directory: string;
  /**
   * Writes a message durably and schedules it. Resolves only once the entry
   * is on disk (file synced, renamed, directory synced): answer 250 then.
   *
   * @param envelope - the envelope
   * @param content - the message bytes (streamed to disk with bounded memory)
   * @returns the entry id, or a typed failure with the reply to give; never rejects for storage errors
   * @throws {@link QueueUsageError} for an envelope that cannot be queued
   */
  enqueue(envelope: QueueEnvelope, content: QueueContent): Promise<EnqueueResult>;
  /** Starts delivering (recovered entries first). Idempotent. */
  start(): void;
  /**
   * Makes every pending recipient due now, and waits for the attempts that starts.
   *
   * @returns once nothing is due and nothing is running
   */
  flush(): Promise<void>;
  /**
   * The entries and their recipients' states.
   *
   * @returns a snapshot, oldest first
   */
  list(): QueueEntryView[];
  /**
   * Waits until nothing is running and nothing is due.
   *
   * @returns when idle
   */
  idle(): Promise<void>;
  /**
   * Stops: no new attempts; running ones get the grace period, then are
   * aborted (their recipients stay pending); idle connections are closed
   * with QUIT; the lock is released. Entries stay in the spool.
   */
  close(): Promise<void>;
}

interface LiveEntry {
  readonly metadata: EntryMetadata;
  /** The routing domain of each recipient. */
  readonly domains: readonly string[];
  readonly metadataLength: number;
  readonly path: string;
  progress: RecipientProgress[];
  readonly inFlight: Set<number>;
  /** Serializes state writes of this entry. */
  writing: Promise<void>;
  noticeRunning: boolean;
  /** After a delay notice failed: not before this time again. */
  delayNoticeNotBefore: number;
  done: boolean;
}

interface Job {
  readonly entry: LiveEntry;
  readonly domain: string;
  readonly indexes: readonly number[];
}

/** Directories opened by a queue of this process (the lock file covers other processes). */
const openDirectories = new Set<string>();

function describeDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/** Times {@link takeLock} looks again while other starting processes take over a stale lock (20 ms apart). */
const LOCK_ATTEMPTS = 250;

function lockedError(paths: SpoolPaths, pid: number): QueueUsageError {
  return new QueueUsageError("spool-locked", "directory", paths.root, `Process ${pid} runs a queue on this directory.`);
}

function lockPid(text: string): number | undefined {
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Which run of a process a pid is, where the system says (Linux: the boot id and the process's start time):
 * after a power cut or a reboot, the pid in a lock may belong to another program, which alone would keep the
 * queue from starting until a human removed the lock.
 */
async function processIdentity(pid: number): Promise<string | undefined> {
  try {
    const [boot, stat] = await Promise.all([readFile("/proc/sys/kernel/random/boot_id", "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
    // The command name (field 2) is in parentheses and may hold spaces; the start time is field 22.
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return start === undefined || boot.trim() === "" ? undefined : `${boot.trim()} ${start}`;
  } catch {
    return undefined;
  }
}

async function lockIsLive(text: string): Promise<boolean> {
  const pid = lockPid(text);
  if (pid === undefined || pid === process.pid || !processAlive(pid)) return false;
  const recorded = text.split("\n")[2]?.trim() ?? "";
  // A lock without an identity (another system, an older version): the live pid is all there is to go by.
  if (recorded === "") return true;
  const current = await processIdentity(pid);
  return current === undefined || current === recorded;
}

/**
 * Makes this process the only one running a queue on the spool, against other processes starting at the
 * same instant: reading the lock and then writing it (as this did before) let two processes that both
 * found no lock, or the same stale one, both run the queue (both deliver every entry, and each empties
 * the other's tmp/ under their writes).
 *
 * - No lock: a file of our own is linked to `lock`, which fails when it exists (it appears whole).
 * - A live lock: refused. Live is its pid running as the same run of a process (boot id and start time, on
 *   Linux), so that a pid reused after a reboot does not hold the spool.
 * - A stale lock (its process is gone, as after SIGKILL): one process at a time takes it over, holding
 *   `lock-takeover` (made the same exclusive way); it checks the lock is still the stale one and replaces
 *   it by rename, so `lock` is never missing in between for a third process to take.
 */
async function takeLock(paths: SpoolPaths, fileMode: number): Promise<string> {
  // Claimed before the first await, so that two openQueue calls of one process cannot both pass.
  if (openDirectories.has(paths.root)) throw new QueueUsageError("spool-locked", "directory", paths.root, "This process already runs a queue on this directory.");
  openDirectories.add(paths.root);
  try {
    return await acquireLockFile(paths, fileMode);
  } catch (error) {
    openDirectories.delete(paths.root);
    throw error;
  }
}

// Creates `path` holding `token`, failing with EEXIST when it exists: by hard link from `candidate`, or on a
// file system without hard links by exclusive creation (a reader may then briefly see it empty).
async function createExclusive(candidate: string, path: string, token: string, fileMode: number): Promise<void> {
  try {
    await link(candidate, path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    await writeFile(path, token, { mode: fileMode, flag: "wx" });
  }
}

async function acquireLockFile(paths: SpoolPaths, fileMode: number): Promise<string> {
  const unique = randomBytes(8).toString("hex");
  // The pid first (readQueue and older versions read only that), then a token that tells two holders with one pid apart.
  const token = `${process.pid}\n${unique}\n${(await processIdentity(process.pid)) ?? ""}\n`;
  const candidate = join(paths.tmp, `lock-${process.pid}-${unique}`);
  const takeover = `${paths.lock}-takeover`;
  const isCode = (error: unknown, code: string): boolean => (error as { code?: string }).code === code;
  try {
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt += 1) {
      // Written again each time: the running queue may have emptied tmp/ under us.
      await writeFile(candidate, token, { mode: fileMode });
      try {
        await createExclusive(candidate, paths.lock, token, fileMode);
        return token;
      } catch (error) {
        if (isCode(error, "ENOENT")) continue;
        if (!isCode(error, "EEXIST")) throw error;
      }
      const held = await readLockFile(paths.lock);
      if (held === undefined) continue;
      if (await lockIsLive(held)) throw lockedError(paths, lockPid(held) ?? 0);
      // Stale. One taker at a time:
      try {
        await createExclusive(candidate, takeover, token, fileMode);
      } catch (error) {
        if (isCode(error, "ENOENT")) continue;
        if (!isCode(error, "EEXIST")) throw error;
        // Another process is taking over (a few milliseconds), or died doing it: then its marker is dropped.
        const taker = await readLockFile(takeover);
        if (taker !== undefined && !(await lockIsLive(taker)) && lockPid(taker) !== process.pid) await unlink(takeover).catch(() => undefined);
        else await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      try {
        if ((await readLockFile(paths.lock)) === held) {
          // Still the stale lock: replaced in one step, never absent.
          await rename(candidate, paths.lock);
          return token;
        }
      } finally {
        await unlink(takeover).catch(() => undefined);
      }
    }
    throw new QueueUsageError("spool-locked", "directory", paths.root, "Other processes kept the lock of this directory changing; try again.");
  } finally {
    await unlink(candidate).catch(() => undefined);
  }
}

function domainsOf(metadata: EntryMetadata): string[] {
  return metadata.envelope.recipients.map((recipient) => routingDomain(recipient.to));
}

function newId(now: number): string {
  return `${Math.max(0, Math.floor(now)).toString(36)}-${randomBytes(8).toString("hex")}`;
}

async function readStart(path: string, metadataLength: number, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const stream = readEntryMessage(path, metadataLength);
  try {
    for await (const chunk of stream) {
      const room = maxBytes - length;
      if (chunk.length >= room) {
        parts.push(chunk.subarray(0, room));
        length += room;
        break;
      }
      parts.push(chunk);
      length += chunk.length;
    }
  } finally {
    await stream.return(undefined);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * Opens (creating if needed) a spool and recovers it: leftovers of
 * unfinished writes removed, every entry validated (damaged ones moved to
 * `corrupt/`, never delivered), recipient states read back. Delivery begins
 * with {@link RelayQueue.start}.
 *
 * @param options - the spool directory, host name, look-up, limits, schedule, clock, logger and notifier
 * @returns the queue
 * @throws {@link QueueUsageError} for invalid options, or when another live process holds the spool
 * @throws the file system's error when the spool cannot be created or read
 * @example
 * ```ts
 * import { openQueue } from "@smtpkit/queue";
 * const queue = await openQueue({
 *   directory: "/var/spool/smtpkit",
 *   hostname: "mta.example.com",
 *   logger: (event) => console.log(JSON.stringify(event)),
 * });
 * queue.start();
 * ```
 */
export async function openQueue(options: QueueOptions): Promise<RelayQueue> {
  if (typeof options.directory !== "string" || options.directory.length === 0 || options.directory.includes("\u0000")) {
    throw new QueueUsageError("invalid-option", "directory", options.directory, "directory must be a non-empty path.");
  }
  if (typeof options.hostname !== "string" || options.hostname.length === 0 || /[\s\u0000]/u.test(options.hostname)) {
    throw new QueueUsageError("invalid-option", "hostname", options.hostname, "hostname must be a host name.");
  }
  const hostname = options.hostname;
  const port = checkLimit("port", options.port ?? 25, 1, 65535);
  const maxConcurrent = checkLimit("maxConcurrentDeliveries", options.maxConcurrentDeliveries ?? DEFAULT_MAX_CONCURRENT_DELIVERIES, 1, 10_000);
  const maxPerDomain = checkLimit("maxConcurrentPerDomain", options.maxConcurrentPerDomain ?? DEFAULT_MAX_CONCURRENT_PER_DOMAIN, 1, 10_000);
  const maxRecipientsPerTransaction = checkLimit("maxRecipientsPerTransaction", options.maxRecipientsPerTransaction ?? DEFAULT_MAX_RECIPIENTS_PER_TRANSACTION, 1, 100_000);
  const maxRecipientsPerEntry = checkLimit("maxRecipientsPerEntry", options.maxRecipientsPerEntry ?? DEFAULT_MAX_RECIPIENTS_PER_ENTRY, 1, 100_000);
  const maxHops = checkLimit("maxHops", options.maxHops ?? DEFAULT_MAX_HOPS, 1, 10_000);
  const maxMessageBytes = checkLimit("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1);
  const idleMilliseconds = checkLimit("connectionIdleMilliseconds", options.connectionIdleMilliseconds ?? DEFAULT_CONNECTION_IDLE_MILLISECONDS, 0);
  const maxMessagesPerConnection = checkLimit("maxMessagesPerConnection", options.maxMessagesPerConnection ?? DEFAULT_MAX_MESSAGES_PER_CONNECTION, 1);
  const pollInterval = checkLimit("pollIntervalMilliseconds", options.pollIntervalMilliseconds ?? DEFAULT_POLL_INTERVAL_MILLISECONDS, 1);
  const closeGrace = checkLimit("closeGraceMilliseconds", options.closeGraceMilliseconds ?? DEFAULT_CLOSE_GRACE_MILLISECONDS, 0);
  const noticeTimeout = checkLimit("noticeTimeoutMilliseconds", options.noticeTimeoutMilliseconds ?? DEFAULT_NOTICE_TIMEOUT_MILLISECONDS, 1);
  const fileMode = checkLimit("fileMode", options.fileMode ?? 0o600, 0, 0o777);
  const directoryMode = checkLimit("directoryMode", options.directoryMode ?? 0o700, 0, 0o777);
  const schedule = resolveRetrySchedule(options.retry);
  const startTls = options.startTls ?? "opportunistic";
  if (startTls !== "opportunistic" && startTls !== "required" && startTls !== "never") {
    throw new QueueUsageError("invalid-option", "startTls", startTls, 'startTls must be "opportunistic", "required" or "never".');
  }
  const requireTlsDomains = new Set((options.requireTlsDomains ?? []).map((domain) => domain.toLowerCase()));
  const clock = options.clock ?? systemClock;
  const log = (event: QueueLogEvent): void => {
    try {
      options.logger?.(event);
    } catch {
      // A logger must not break delivery.
    }
  };
  // Filled in below, once the queue (whose enqueue the default notifier uses) exists.
  let queue: RelayQueue | undefined;
  const notifier: DeliveryNotifier | undefined =
    options.notifier === null
      ? undefined
      : (options.notifier ??
        createDsnNotifier(async ({ envelope, notification }) => {
          const result = await (queue as RelayQueue).enqueue(envelope, notification.content);
          if (!result.ok) throw new Error(`the notification could not be queued: ${result.reason}`);
        }));
  const lookup =
    options.lookup ??
    createMxResolver({
      ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
      localNames: [hostname, ...(options.localNames ?? [])],
      localAddresses: [...(options.localAddresses ?? [])],
    });
  const abort = new AbortController();
  const settings = {
    hostname,
    lookup,
    port,
    connect: options.connect ?? clientConnect,
    connectOptions: { ...options.connectOptions, signal: abort.signal },
    startTlsFor: (domain: string) => (requireTlsDomains.has(domain) ? "required" : startTls),
    maxHops,
    maxRecipientsPerTransaction,
  } as const;
  const cache = createConnectionCache(clock, idleMilliseconds, maxMessagesPerConnection);

  const paths = spoolPaths(resolve(options.directory));
  await ensureSpool(paths, directoryMode);
  const lockToken = await takeLock(paths, fileMode);

  // ---- recovery -----------------------------------------------------------
  const entries = new Map<string, LiveEntry>();
  // Entries by the domains of their recipients, so that the end of an attempt looks only at its domain's entries.
  const entriesByDomain = new Map<string, Set<LiveEntry>>();
  const track = (entry: LiveEntry): void => {
    entries.set(entry.metadata.id, entry);
    for (const domain of entry.domains) {
      const set = entriesByDomain.get(domain);
      if (set === undefined) entriesByDomain.set(domain, new Set([entry]));
      else set.add(entry);
    }
  };
  const untrack = (entry: LiveEntry): void => {
    entries.delete(entry.metadata.id);
    for (const domain of entry.domains) {
      const set = entriesByDomain.get(domain);
      set?.delete(entry);
      if (set?.size === 0) entriesByDomain.delete(domain);
    }
  };
  let corruptCount = 0;
  let removedTemporary = 0;
  try {
    removedTemporary = await cleanTemporary(paths);
    const ids = await listIds(paths.entries);
    // Validation reads every file whole: a few at a time, since it waits on the disk more than on the CPU.
    const recovered: (LiveEntry | undefined)[] = new Array<LiveEntry | undefined>(ids.length);
    let next = 0;
    const recoverOne = async (id: string): Promise<LiveEntry | undefined> => {
      const path = join(paths.entries, id);
      let validated: Awaited<ReturnType<typeof validateEntryFile>>;
      try {
        validated = await validateEntryFile(path);
      } catch (error) {
        // Unreadable (permissions, I/O error): left in place for a human, and not delivered.
        corruptCount += 1;
        log({ type: "entry-corrupt", id, problem: `unreadable: ${errorText(error)}` });
        return undefined;
      }
      if (!validated.ok) {
        if (validated.problem === "missing") return undefined;
        corruptCount += 1;
        log({ type: "entry-corrupt", id, problem: validated.problem });
        await quarantineEntry(paths, id).catch((error: unknown) => log({ type: "entry-corrupt", id, problem: `not moved to corrupt/: ${errorText(error)}` }));
        return undefined;
      }
      const { metadata, metadataLength } = validated;
      let progress = initialProgress(metadata);
      // An unreadable state file is no state: deliver again rather than lose.
      const state = await readState(paths, id).catch(() => ({ ok: false as const }));
      if (state.ok && state.state !== undefined && state.state.recipients.length === progress.length) progress = [...state.state.recipients];
      if (progress.every((item) => item.state !== "pending")) {
        // Finished before the crash, not yet removed.
        await removeEntry(paths, id);
        return undefined;
      }
      return { metadata, domains: domainsOf(metadata), metadataLength, path, progress, inFlight: new Set(), writing: Promise.resolve(), noticeRunning: false, delayNoticeNotBefore: 0, done: false };
    };
    await Promise.all(
      Array.from({ length: Math.min(RECOVERY_CONCURRENCY, ids.length) }, async () => {
        while (next < ids.length) {
          const index = next;
          next += 1;
          recovered[index] = await recoverOne(ids[index] as string);
        }
      }),
    );
    // Oldest first: the scheduler serves entries in this order.
    for (const entry of recovered) if (entry !== undefined) track(entry);
    // State files whose entry is gone (a crash during removal).
    for (const id of await listIds(paths.state)) {
      if (!entries.has(id)) await unlink(join(paths.state, id)).catch(() => undefined);
    }
  } catch (error) {
    openDirectories.delete(paths.root);
    throw error;
  }
  log({
    type: "queue-recovered",
    entries: entries.size,
    pendingRecipients: [...entries.values()].reduce((sum, entry) => sum + entry.progress.filter((item) => item.state === "pending").length, 0),
    removedTemporary,
    corrupt: corruptCount,
  });

  // ---- scheduler ----------------------------------------------------------
  let started = false;
  let closing = false;
  let closed = false;
  let active = 0;
  const activePerDomain = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let timer: unknown;
  let timerAt = Number.POSITIVE_INFINITY;
  // The earliest time something may need doing: lowered whenever a time is set, recomputed in full only
  // when the timer fires, so that a pass of the scheduler after each attempt does not scan every entry twice.
  let wakeHint = Number.POSITIVE_INFINITY;
  const noteWake = (at: number): void => {
    if (at < wakeHint) wakeHint = at;
  };
  let idleWaiters: (() => void)[] = [];
  let stateCounter = 0;

  // Runs `task` alone for this entry: notices and state writes of one entry
  // never interleave, and an entry file is not removed while a notifier reads it.
  const exclusive = <T>(entry: LiveEntry, task: () => Promise<T>): Promise<T> => {
    const run = entry.writing.then(task);
    entry.writing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  // Writes the entry's state (or removes a finished entry); call inside `exclusive`.
  const persist = async (entry: LiveEntry): Promise<void> => {
    try {
      if (entry.progress.every((item) => item.state !== "pending")) {
        await removeEntry(paths, entry.metadata.id);
      } else {
        stateCounter += 1;
        await writeState(paths, { id: entry.metadata.id, updatedAt: Math.max(0, Math.floor(clock.now())), recipients: [...entry.progress] }, fileMode, `${process.pid}-${stateCounter}`);
      }
    } catch (error) {
      log({ type: "state-write-failed", id: entry.metadata.id, error: errorText(error) });
    }
  };

  // The due recipients of one entry, grouped by domain into transactions.
  const dueJobsOf = (entry: LiveEntry, now: number): Job[] => {
    if (entry.done) return [];
    let byDomain: Map<string, number[]> | undefined;
    for (let index = 0; index < entry.progress.length; index += 1) {
      const item = entry.progress[index] as RecipientProgress;
      if (item.state !== "pending" || item.nextAttemptAt > now || entry.inFlight.has(index)) continue;
      const domain = entry.domains[index] as string;
      byDomain ??= new Map();
      const group = byDomain.get(domain);
      if (group === undefined) byDomain.set(domain, [index]);
      else group.push(index);
    }
    if (byDomain === undefined) return [];
    const jobs: Job[] = [];
    for (const [domain, indexes] of byDomain) {
      for (let start = 0; start < indexes.length; start += maxRecipientsPerTransaction) {
        jobs.push({ entry, domain, indexes: indexes.slice(start, start + maxRecipientsPerTransaction) });
      }
    }
    return jobs;
  };

  // Whether an entry has a due recipient. Plain loops: this runs for every entry in a full pass, so it
  // allocates nothing.
  const hasDue = (entry: LiveEntry, now: number): boolean => {
    if (entry.done) return false;
    for (let index = 0; index < entry.progress.length; index += 1) {
      const item = entry.progress[index] as RecipientProgress;
      if (item.state === "pending" && item.nextAttemptAt <= now && !entry.inFlight.has(index)) return true;
    }
    return false;
  };

  const anyDue = (now: number): boolean => {
    for (const entry of entries.values()) if (hasDue(entry, now)) return true;
    return false;
  };

  const nextWake = (now: number): number => {
    let next = Number.POSITIVE_INFINITY;
    const warns = schedule.delayWarningAfter !== null && notifier !== undefined;
    for (const entry of entries.values()) {
      if (entry.done) continue;
      const warnAt = warns && entry.metadata.envelope.from !== null ? entry.metadata.receivedAt + (schedule.delayWarningAfter as number) : Number.POSITIVE_INFINITY;
      for (let index = 0; index < entry.progress.length; index += 1) {
        const item = entry.progress[index] as RecipientProgress;
        if (item.state !== "pending" || entry.inFlight.has(index)) continue;
        if (item.nextAttemptAt < next) next = item.nextAttemptAt;
        // A warning time already past is being handled by sendDelayNotices; only a future one needs a wake-up.
        if (!item.delayNotified && item.attempts > 0 && warnAt > now && warnAt < next) next = warnAt;
      }
    }
    return Math.max(next, now);
  };

  const arm = (): void => {
    if (!started || closing) return;
    const now = clock.now();
    const wake = Math.min(Math.max(wakeHint, now), now + pollInterval);
    if (timer !== undefined && timerAt <= wake) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = wake;
    timer = clock.setTimeout(onTimer, Math.max(0, wake - now));
  };

  const checkIdle = (): void => {
    if (active > 0) return;
    const now = clock.now();
    if (started && !closing && anyDue(now)) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const waiter of waiters) waiter();
  };

  const notify = async (entry: LiveEntry, action: DeliveryNotice["action"], indexes: readonly number[], relayed: ReadonlySet<number>): Promise<boolean> => {
    if (indexes.length === 0) return true;
    // RFC 5321 §4.5.5 / RFC 3461 §6.2: never a notice about a notice (null reverse-path).
    if (notifier === undefined || entry.metadata.envelope.from === null) return true;
    const now = clock.now();
    const notice: DeliveryNotice = {
      action,
      entry: entryView(entry.metadata, entry.progress),
      reportingMta: hostname,
      time: now,
      recipients: indexes.map((index) => {
        const item = entry.progress[index] as RecipientProgress;
        const recipient = entry.metadata.envelope.recipients[index] as QueueRecipient;
        return {
          index,
          recipient,
          address: mailboxText(recipient.to),
          reply: item.lastReply,
          lastAttemptAt: item.lastAttemptAt,
          willRetryUntil: action === "delayed" ? entry.metadata.receivedAt + schedule.giveUpAfter : undefined,
          relayed: relayed.has(index),
        };
      }),
      readOriginal: (maxBytes) => readStart(entry.path, entry.metadataLength, checkLimit("maxBytes", maxBytes, 0)),
    };
    let timeoutTimer: unknown;
    try {
      await Promise.race([
        notifier(notice),
        new Promise<never>((_, reject) => {
          timeoutTimer = clock.setTimeout(() => reject(new Error(`the notifier took longer than ${noticeTimeout} ms`)), noticeTimeout);
        }),
      ]);
      return true;
    } catch (error) {
      log({ type: "notice-failed", id: entry.metadata.id, action, error: errorText(error) });
      return false;
    } finally {
      clock.clearTimeout(timeoutTimer);
    }
  };

  const sendDelayNotices = (now: number): void => {
    if (schedule.delayWarningAfter === null || notifier === undefined) return;
    const warning = schedule.delayWarningAfter;
    for (const entry of entries.values()) {
      if (entry.done || entry.noticeRunning || now < entry.metadata.receivedAt + warning || now < entry.delayNoticeNotBefore || entry.metadata.envelope.from === null) continue;
      const indexes: number[] = [];
      entry.progress.forEach((item, index) => {
        if (item.state === "pending" && !item.delayNotified && item.attempts > 0 && !entry.inFlight.has(index)) indexes.push(index);
      });
      if (indexes.length === 0) continue;
      entry.noticeRunning = true;
      const task = exclusive(entry, async () => {
        if (entry.done) return;
        if (await notify(entry, "delayed", indexes, new Set())) {
          for (const index of indexes) {
            const item = entry.progress[index] as RecipientProgress;
            if (item.state === "pending") entry.progress[index] = { ...item, delayNotified: true };
          }
          await persist(entry);
        } else {
          // Try again after the first retry interval, not at every tick.
          entry.delayNoticeNotBefore = clock.now() + retryDelay(schedule, 1);
          noteWake(entry.delayNoticeNotBefore);
        }
      }).finally(() => {
        entry.noticeRunning = false;
        running.delete(task);
        checkIdle();
      });
      running.add(task);
    }
  };

  const applyOutcomes = async (job: Job, outcomes: readonly RecipientOutcome[], startedAt: number, host: string | undefined, address: string | undefined, skipped: number): Promise<void> => {
    const { entry } = job;
    // The whole update (states, notices, state file) holds the entry's lock: another job's state write
    // cannot record a failure whose notice has not gone out yet.
    await exclusive(entry, async () => {
      const now = clock.now();
      const age = now - entry.metadata.receivedAt;
      const delivered: number[] = [];
      const failed: number[] = [];
      const relayed = new Set<number>();
      const logged: { address: string; result: "delivered" | "deferred" | "failed"; code: number; enhanced: string | undefined; text: string }[] = [];
      const previous = new Map<number, RecipientProgress>();
      job.indexes.forEach((index, position) => {
        const outcome = outcomes[position] ?? { kind: "temporary", reply: { code: 451, enhanced: "4.3.0", text: "no outcome" } };
        const item = entry.progress[index] as RecipientProgress;
        previous.set(index, item);
        const attempts = item.attempts + 1;
        const base = { attempts, lastAttemptAt: Math.max(0, Math.floor(now)), lastReply: outcome.reply, delayNotified: item.delayNotified };
        let result: "delivered" | "deferred" | "failed";
        if (outcome.kind === "delivered") {
          entry.progress[index] = { ...base, state: "delivered", nextAttemptAt: item.nextAttemptAt };
          delivered.push(index);
          if (outcome.relayed) relayed.add(index);
          result = "delivered";
        } else if (outcome.kind === "permanent" || age >= schedule.giveUpAfter) {
          // 5yz, or still failing when the give-up time is reached (RFC 5321 §4.5.4.1).
          const reply =
            outcome.kind === "permanent"
              ? outcome.reply
              : { ...outcome.reply, text: `${outcome.reply.text} (gave up after ${describeDuration(age)} of retries)` };
          entry.progress[index] = { ...base, lastReply: reply, state: "failed", nextAttemptAt: item.nextAttemptAt };
          failed.push(index);
          result = "failed";
        } else {
          const next = Math.min(now + retryDelay(schedule, attempts), entry.metadata.receivedAt + schedule.giveUpAfter);
          entry.progress[index] = { ...base, state: "pending", nextAttemptAt: Math.max(0, Math.floor(next)) };
          noteWake(next);
          if (schedule.delayWarningAfter !== null && !item.delayNotified) noteWake(entry.metadata.receivedAt + schedule.delayWarningAfter);
          result = "deferred";
        }
        const recipient = entry.metadata.envelope.recipients[index] as QueueRecipient;
        const recorded = (entry.progress[index] as RecipientProgress).lastReply ?? outcome.reply;
        logged.push({ address: mailboxText(recipient.to), result, code: recorded.code, enhanced: recorded.enhanced, text: recorded.text });
      });
      log({ type: "delivery-attempt", id: entry.metadata.id, domain: job.domain, host, address, skippedHosts: skipped, recipients: logged, durationMilliseconds: Math.max(0, now - startedAt) });

      // Notices before the state: a crash between them repeats a DSN, never loses one.
      if (!(await notify(entry, "failed", failed, relayed))) {
        // The bounce could not be queued: keep the recipients pending, so that the failure and its notice come again.
        for (const index of failed) {
          const before = previous.get(index) as RecipientProgress;
          const item = entry.progress[index] as RecipientProgress;
          entry.progress[index] = { ...item, state: "pending", nextAttemptAt: Math.floor(now + retryDelay(schedule, before.attempts + 1)) };
          noteWake(now + retryDelay(schedule, before.attempts + 1));
        }
      }
      await notify(entry, "delivered", delivered, relayed);
      // RFC 3461 DELAY: a recipient deferred again past the warning time gets its one delay notice now.
      const warning = schedule.delayWarningAfter;
      if (warning !== null && age >= warning && now >= entry.delayNoticeNotBefore) {
        const delayed = job.indexes.filter((index) => {
          const item = entry.progress[index] as RecipientProgress;
          return item.state === "pending" && !item.delayNotified;
        });
        if (delayed.length > 0) {
          if (await notify(entry, "delayed", delayed, relayed)) {
            for (const index of delayed) entry.progress[index] = { ...(entry.progress[index] as RecipientProgress), delayNotified: true };
          } else {
            entry.delayNoticeNotBefore = now + retryDelay(schedule, 1);
            noteWake(entry.delayNoticeNotBefore);
          }
        }
      }
      if (entry.progress.every((item) => item.state !== "pending")) entry.done = true;
      await persist(entry);
      if (entry.done && entries.get(entry.metadata.id) === entry) {
        untrack(entry);
        log({ type: "entry-completed", id: entry.metadata.id });
      }
    });
  };

  const runJob = async (job: Job): Promise<void> => {
    const { entry } = job;
    const startedAt = clock.now();
    try {
      const outcome = await attemptDelivery(
        {
          metadata: entry.metadata,
          domain: job.domain,
          recipients: job.indexes.map((index) => entry.metadata.envelope.recipients[index] as QueueRecipient),
          content: () => readEntryMessage(entry.path, entry.metadataLength),
        },
        settings,
        cache,
      );
      if (outcome.corrupt) {
        entry.done = true;
        untrack(entry);
        log({ type: "entry-corrupt", id: entry.metadata.id, problem: "bad-checksum" });
        await exclusive(entry, () => quarantineEntry(paths, entry.metadata.id).catch(() => undefined));
        return;
      }
      await applyOutcomes(job, outcome.outcomes, startedAt, outcome.host, outcome.address, outcome.skipped.length);
    } catch (error) {
      // A bug or an injected function's failure: never lose the recipients, try later.
      log({ type: "delivery-error", id: entry.metadata.id, domain: job.domain, error: errorText(error) });
      const reply: StoredReply = { code: 451, enhanced: "4.3.0", text: `local error: ${errorText(error)}` };
      await applyOutcomes(job, job.indexes.map(() => ({ kind: "temporary", reply })), startedAt, undefined, undefined, 0).catch(() => undefined);
    }
  };

  // Entries with due work for a domain that was at its limit, in arrival order, by domain: what the end
  // of an attempt to that domain starts next, without scanning the queue. Rebuilt by every full pass.
  const ready = new Map<string, LiveEntry[]>();

  const start = (job: Job): void => {
    active += 1;
    activePerDomain.set(job.domain, (activePerDomain.get(job.domain) ?? 0) + 1);
    for (const index of job.indexes) job.entry.inFlight.add(index);
    const task = runJob(job).finally(() => {
      for (const index of job.indexes) job.entry.inFlight.delete(index);
      active -= 1;
      const left = (activePerDomain.get(job.domain) ?? 1) - 1;
      if (left === 0) activePerDomain.delete(job.domain);
      else activePerDomain.set(job.domain, left);
      running.delete(task);
      drain(job.domain);
      checkIdle();
    });
    running.add(task);
  };

  const slotFor = (domain: string): boolean => active < maxConcurrent && (activePerDomain.get(domain) ?? 0) < maxPerDomain;

  // Starts what `candidates` have due, oldest first, within the limits; what a limit holds back is
  // remembered in `ready` under its domain.
  const pass = (candidates: Iterable<LiveEntry>, now: number): void => {
    for (const entry of candidates) {
      if (!hasDue(entry, now)) continue;
      for (const job of dueJobsOf(entry, now)) {
        if (slotFor(job.domain)) {
          start(job);
          continue;
        }
        const list = ready.get(job.domain);
        if (list === undefined) ready.set(job.domain, [entry]);
        else if (list[list.length - 1] !== entry) list.push(entry);
      }
    }
  };

  // A full pass over every entry (timer, start, flush): also rebuilds `ready`.
  const pump = (): void => {
    if (!started || closing) return;
    const now = clock.now();
    ready.clear();
    pass(entries.values(), now);
    sendDelayNotices(now);
    arm();
  };

  // After an attempt ended: start held-back work, the freed domain's first, then other domains' while
  // total slots remain. Costs the work started plus one look per domain, not a scan of the queue.
  const drain = (first: string): void => {
    if (!started || closing) return;
    const now = clock.now();
    const domains = [first, ...[...ready.keys()].filter((domain) => domain !== first)];
    for (const domain of domains) {
      if (active >= maxConcurrent) break;
      const list = ready.get(domain);
      while (list !== undefined && list.length > 0 && slotFor(domain)) {
        const entry = list[0] as LiveEntry;
        let waiting = false;
        for (const job of dueJobsOf(entry, now)) {
          if (job.domain !== domain) continue;
          if (slotFor(domain)) start(job);
          else waiting = true;
        }
        if (waiting) break;
        list.shift();
      }
      if (list !== undefined && list.length === 0) ready.delete(domain);
    }
    arm();
  };

  const flushAll = (): void => {
    const now = Math.max(0, Math.floor(clock.now()));
    noteWake(now);
    for (const entry of entries.values()) {
      entry.progress = entry.progress.map((item, index) => (item.state === "pending" && !entry.inFlight.has(index) && item.nextAttemptAt > now ? { ...item, nextAttemptAt: now } : item));
    }
  };

  let checkingFlushFile = false;
  const onTimer = (): void => {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    if (closing) return;
    wakeHint = nextWake(clock.now());
    if (checkingFlushFile) {
      pump();
      return;
    }
    checkingFlushFile = true;
    void (async () => {
      try {
        if (await exists(paths.flushRequest)) {
          await unlink(paths.flushRequest).catch(() => undefined);
          log({ type: "flush-requested", source: "file" });
          flushAll();
        }
      } finally {
        checkingFlushFile = false;
        pump();
        checkIdle();
      }
    })();
  };

  const idle = (): Promise<void> =>
    new Promise<void>((resolveIdle) => {
      idleWaiters.push(resolveIdle);
      checkIdle();
    });

  queue = {
    directory: paths.root,

    async enqueue(envelope, content) {
      if (closed) throw new QueueUsageError("wrong-state", "enqueue", undefined, "enqueue() after close().");
      const normalized = normalizeEnvelope(envelope, maxRecipientsPerEntry);
      if (closing) return { ok: false, reason: "closing", situation: Situations.LocalError };
      const receivedAt = Math.max(0, Math.floor(clock.now()));
      const id = newId(receivedAt);
      const written = await writeEntry(paths, { id, receivedAt, envelope: normalized }, content, maxMessageBytes, fileMode);
      if (!written.ok) {
        log({ type: "enqueue-failed", reason: written.reason, error: errorText(written.cause ?? written.reason) });
        return written;
      }
      const { metadata, metadataLength } = written;
      track({
        metadata,
        domains: domainsOf(metadata),
        metadataLength,
        path: join(paths.entries, id),
        progress: initialProgress(metadata),
        inFlight: new Set(),
        writing: Promise.resolve(),
        noticeRunning: false,
        delayNoticeNotBefore: 0,
        done: false,
      });
      log({ type: "entry-queued", id, size: metadata.size, from: mailboxText(normalized.from), recipients: normalized.recipients.length });
      // Only the new entry can have changed: no need to look at the others.
      if (started && !closing) {
        pass([entries.get(id) as LiveEntry], clock.now());
        arm();
      }
      return { ok: true, id, size: metadata.size };
    },

    start() {
      if (started || closing) return;
      started = true;
      wakeHint = nextWake(clock.now());
      pump();
    },

    async flush() {
      log({ type: "flush-requested", source: "call" });
      flushAll();
      pump();
      await idle();
    },

    list() {
      return [...entries.values()]
        .filter((entry) => !entry.done)
        .sort((left, right) => (left.metadata.id < right.metadata.id ? -1 : 1))
        .map((entry) => entryView(entry.metadata, entry.progress));
    },

    idle,

    async close() {
      if (closed) return;
      closing = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      const all = Promise.all([...running]);
      let graceTimer: unknown;
      const grace = new Promise<void>((resolveGrace) => {
        graceTimer = clock.setTimeout(() => {
          abort.abort();
          resolveGrace();
        }, closeGrace);
      });
      await Promise.race([all, grace]);
      await all;
      clock.clearTimeout(graceTimer);
      await Promise.all([...entries.values()].map((entry) => entry.writing));
      await cache.closeAll();
      closed = true;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const waiter of waiters) waiter();
      openDirectories.delete(paths.root);
      // Only our own lock: never one another process holds.
      if ((await readLockFile(paths.lock).catch(() => undefined)) === lockToken) await unlink(paths.lock).catch(() => undefined);
    },
  };
  return queue;
}
