/**
 * The default message store: one Maildir per recipient mailbox, in a layout
 * Dovecot serves as is, written so that no acknowledged message can be lost.
 *
 * Layout: `<root>/<domain>/<local-part>/{tmp,new,cur}` by default (domain as
 * a lower-case A-label, local part dequoted and ASCII-lowered), served by
 * Dovecot with `mail_location = maildir:<root>/%Ld/%Ln`. A mapping function
 * can choose another layout; every segment it returns is still checked, so
 * no recipient can name a directory outside the root.
 *
 * The Maildir protocol (cr.yp.to/proto/maildir.html), strictly:
 *
 * 1. create `tmp/<unique>` exclusively, write `Return-Path:`, the trace
 *    headers and the message as it streams in (never buffered whole);
 * 2. `fsync` the file, close it;
 * 3. for further recipients, hard-link the same file into their `tmp/`
 *    (or copy and `fsync` it when they live on another file system);
 * 4. `rename` each `tmp/<unique>` to `new/<unique>,S=<size>` and `fsync` the
 *    `new/` directory;
 * 5. only then report success.
 *
 * The spec's step 4 is `link` then `unlink`; a rename does the same in one
 * system call, and since the unique name cannot collide, `link`'s refusal to
 * overwrite protects nothing (Dovecot renames for the same reason). The
 * mailboxes known to exist are remembered, so a delivery to one of them
 * makes no `mkdir` at all; a mailbox removed behind the store's back is made
 * again on the `ENOENT` that follows. A small message is written with one
 * `write`. What stays: both `fsync`s, before any success is reported.
 *
 * A failure at any step removes what was written (the `new/` links too), so
 * that a message is in every recipient's `new/` or in none, and returns a
 * typed failure naming the reply: `InsufficientStorage` (452 4.3.1) for a
 * full disk or quota, `StorageFailed` (451 4.3.0) for anything else, never a
 * success. At start, files older than 36 hours in any `tmp/` are removed, as
 * the Maildir spec advises.
 *
 * Files hold the message bytes exactly as given, CRLF line ends included;
 * Dovecot serves such files unchanged, and `,S=` equals their size.
 *
 * Does not: enforce message size (the session counts bytes against SIZE),
 * manage quotas, follow symbolic links when cleaning, or lock (Maildir needs
 * no locks).
 *
 * @module
 */
import { randomFillSync } from "node:crypto";
import { hostname as systemHostname } from "node:os";
import { join, resolve, sep } from "node:path";
import { Situations, type Situation } from "@smtpkit/codes";
import { nodeMaildirFileSystem, type MaildirFile, type MaildirFileSystem } from "./maildir-file-system.js";
import {
  checkPathSegment,
  defaultMailboxPath,
  uniqueMaildirName,
  type LocalPartCase,
  type MailboxNameProblem,
  type MailboxPathResult,
} from "./maildir-names.js";
import type { MailboxAddress } from "./mailbox-address.js";
import { ServerUsageError, checkLimit } from "./server-usage-error.js";
import { formatReturnPath } from "./trace-headers.js";

/** How old a `tmp/` file must be before it is cleaned: 36 hours, as the Maildir spec advises. */
export const DEFAULT_STALE_TMP_AGE_MILLISECONDS = 36 * 60 * 60 * 1000;
/** How deep under the root the cleaner looks for `tmp/` directories (the default layout needs 3). */
export const DEFAULT_CLEAN_DEPTH = 4;
/** Writes are gathered into blocks of this size, so a byte-by-byte source does not make a system call per byte. */
export const MAILDIR_WRITE_BLOCK_SIZE = 64 * 1024;
/**
 * How many mailbox directories the store remembers as existing (the default of
 * {@link MaildirStoreOptions.knownMailboxes}): enough for a busy site's active
 * mailboxes, about a megabyte of paths. Recipients are remote input (a
 * catch-all domain accepts any local part), so the set is bounded: when full
 * it is forgotten and refilled, costing one `mkdir` per mailbox again.
 */
const DEFAULT_KNOWN_MAILBOXES = 10_000;
/** The write block's first size; it grows to {@link MAILDIR_WRITE_BLOCK_SIZE} for a message that fills it. */
const FIRST_BLOCK_SIZE = 4096;
/** The largest {@link MaildirStoreOptions.knownMailboxes}. */
const MAX_KNOWN_MAILBOXES = 10_000_000;

/** Options of {@link openMaildirStore}. */
export interface MaildirStoreOptions {
  /** The directory holding every mailbox; created if missing. */
  readonly root: string;
  /**
   * Maps a recipient to directory names under `root`. Default
   * {@link defaultMailboxPath} (`<domain>/<local-part>`). Every returned
   * segment is checked again with {@link checkPathSegment}.
   */
  readonly mailboxPath?: (recipient: MailboxAddress) => MailboxPathResult;
  /** Case folding of local parts for the default mapping; default `"lower"`. */
  readonly localPartCase?: LocalPartCase;
  /** The domain directory for the bare `<Postmaster>` recipient in the default mapping; default none (refused). */
  readonly postmasterDomain?: string;
  /** The host name in file names; default `os.hostname()`. */
  readonly hostname?: string;
  /** Permission bits of message files; default `0o600`. */
  readonly fileMode?: number;
  /** Permission bits of created directories; default `0o700`. */
  readonly directoryMode?: number;
  /** Age beyond which `tmp/` files are removed at start; default {@link DEFAULT_STALE_TMP_AGE_MILLISECONDS}. */
  readonly staleTmpAgeMilliseconds?: number;
  /** Whether {@link openMaildirStore} cleans stale `tmp/` files; default `true`. */
  readonly cleanAtOpen?: boolean;
  /** Directory depth searched for `tmp/` when cleaning; default {@link DEFAULT_CLEAN_DEPTH}. */
  readonly cleanDepth?: number;
  /**
   * How many mailbox directories to remember as existing, so that delivering
   * to them needs no `mkdir`; default 10 000, at most 10 000 000; `0` checks
   * (and creates) the directories on every delivery.
   */
  readonly knownMailboxes?: number;
  /** The file-system layer; default {@link nodeMaildirFileSystem}. */
  readonly fileSystem?: MaildirFileSystem;
  /** The clock, in milliseconds since the epoch; default `Date.now` (with microseconds from `performance`). */
  readonly now?: () => number;
}

/** One message to deliver. */
export interface MaildirDelivery {
  /** The final recipients (deduplicated by mailbox directory); at least one. */
  readonly recipients: readonly MailboxAddress[];
  /** The MAIL FROM reverse-path without brackets (`""` for `<>`), written as `Return-Path:`. */
  readonly reversePath: string;
  /**
   * Header fields to put after `Return-Path:` and before the message,
   * typically the `Received:` header from {@link formatReceived}: complete
   * lines, each ending in CRLF.
   */
  readonly traceHeaders?: string;
  /** The message bytes as received (dot-unstuffed, CRLF line ends), streamed. */
  readonly content: AsyncIterable<Uint8Array>;
}

/** Why a delivery failed. */
export type MaildirFailureReason =
  /** A recipient maps to no safe directory. */
  | "mailbox-name-not-allowed"
  /** ENOSPC, EDQUOT or EFBIG: the disk, the quota or the file-size limit is full. */
  | "insufficient-storage"
  /** Any other storage error. */
  | "storage-failed"
  /** The reverse-path cannot be written as a header. */
  | "invalid-reverse-path"
  /** The content iterable threw (the session aborted, the client went away). */
  | "content-failed";

/** The result of {@link MaildirStore.deliver}. */
export type MaildirDeliveryResult =
  | {
      readonly ok: true;
      /** The unique name (without `,S=`), usable as the message id in logs. */
      readonly id: string;
      /** Bytes in each file, trace headers included. */
      readonly size: number;
      /** The path of the message in each mailbox's `new/`, one per distinct mailbox. */
      readonly files: readonly string[];
    }
  | {
      readonly ok: false;
      /** Why. */
      readonly reason: MaildirFailureReason;
      /** The reply to give: `StorageFailed`, `InsufficientStorage`, `MailboxNameNotAllowed`, `TransactionFailed` or `LocalError`. */
      readonly situation: Situation;
      /** The recipient at fault, for `mailbox-name-not-allowed`. */
      readonly recipient?: MailboxAddress;
      /** The directory-name problem, for `mailbox-name-not-allowed`. */
      readonly problem?: MailboxNameProblem;
      /** The underlying error, for logs. */
      readonly cause?: unknown;
    };

/** What {@link MaildirStore.cleanStaleTemporaryFiles} did. */
export interface MaildirCleanReport {
  /** Stale files removed. */
  readonly removed: number;
  /** Files that could not be removed or examined (they are left alone). */
  readonly errors: number;
}

/** An open Maildir store. */
export interface MaildirStore {
  /** The absolute root directory. */
  readonly root: string;
  /**
   * Delivers one message to every recipient, durably, before resolving.
   *
   * @param delivery - recipients, reverse-path, trace headers and content
   * @returns success with the files written, or a typed failure; never rejects for storage errors
   * @throws {@link ServerUsageError} when `recipients` is empty or `traceHeaders` is not CRLF-terminated header lines
   */
  deliver(delivery: MaildirDelivery): Promise<MaildirDeliveryResult>;
  /**
   * Maps a recipient to its mailbox directory (for RCPT-time checks), without touching the disk.
   *
   * @param recipient - the final recipient
   * @returns the absolute mailbox directory, or the problem
   */
  mailboxDirectory(recipient: MailboxAddress): { readonly ok: true; readonly path: string } | { readonly ok: false; readonly problem: MailboxNameProblem };
  /**
   * Removes `tmp/` files older than the configured age, under the root.
   *
   * @returns how many were removed and how many could not be examined
   */
  cleanStaleTemporaryFiles(): Promise<MaildirCleanReport>;
}

let deliveryCounter = 0;

// The 6 random octets of each unique name come from a pool filled 680 names at a time, not a system call per delivery.
const randomPool = new Uint8Array(4080);
let randomPoolUsed = randomPool.length;
function randomHex6(): string {
  if (randomPoolUsed + 6 > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  let text = "";
  for (let index = randomPoolUsed; index < randomPoolUsed + 6; index += 1) text += (randomPool[index] as number).toString(16).padStart(2, "0");
  randomPoolUsed += 6;
  return text;
}

// A path under a mailbox directory (absolute, normalised by mailboxDirectory) and a name without
// separators (a Maildir subdirectory, or a unique name, which escapes "/"): no need for path.join.
function under(mailbox: string, subdirectory: "tmp" | "new", name?: string): string {
  return name === undefined ? `${mailbox}${sep}${subdirectory}` : `${mailbox}${sep}${subdirectory}${sep}${name}`;
}
const headEncoder = new TextEncoder();

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : undefined;
}

// ENOSPC: no space left on device; EDQUOT: disk quota exceeded; EFBIG: the
// file-size limit (RLIMIT_FSIZE or the file system's maximum). All three are
// "insufficient system storage" (RFC 3463 X.3.1), worth a retry later.
function storageFailure(error: unknown): MaildirDeliveryResult {
  const code = errorCode(error);
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
    return { ok: false, reason: "insufficient-storage", situation: Situations.InsufficientStorage, cause: error };
  }
  return { ok: false, reason: "storage-failed", situation: Situations.StorageFailed, cause: error };
}

// Trace headers come from the program (formatReceived), so a malformed value
// is misuse: every line ends in CRLF, no bare CR or LF, no NUL, and the first
// line is not a continuation.
function checkTraceHeaders(text: string): void {
  const fail = (why: string): never => {
    throw new ServerUsageError("invalid-option", "traceHeaders", text, `traceHeaders ${why}`);
  };
  if (text.length === 0) return;
  if (!text.endsWith("\r\n")) fail("must end with CRLF");
  if (text.startsWith(" ") || text.startsWith("\t") || text.startsWith("\r")) fail("must start with a field name");
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0) fail("must not contain NUL");
    if (code === 0x0d && text.charCodeAt(index + 1) !== 0x0a) fail("must not contain a bare CR");
    if (code === 0x0a && text.charCodeAt(index - 1) !== 0x0d) fail("must not contain a bare LF");
    if (code === 0x0a && index + 1 < text.length && text.charCodeAt(index + 1) === 0x0d) fail("must not contain an empty line");
  }
}

/**
 * Opens (creating if needed) a Maildir store and, by default, removes stale
 * `tmp/` files left by deliveries that crashed.
 *
 * @param options - the root and the layout, modes, clock and file-system layer
 * @returns the store
 * @throws {@link ServerUsageError} for invalid options (a relative-looking empty root, modes or ages out of range)
 * @throws the file system's error when the root cannot be created
 * @example
 * ```ts
 * import { formatReceived, openMaildirStore } from "@smtpkit/server";
 * const store = await openMaildirStore({ root: "/srv/mail" });
 * const received = formatReceived({ from: { helo: "client.example", address: "192.0.2.1" }, by: "mx.example.org",
 *   protocol: "ESMTP", time: new Date() });
 * const result = await store.deliver({
 *   recipients: [{ localPart: "bob", domain: "example.org" }],
 *   reversePath: "alice@example.net",
 *   traceHeaders: received.ok ? received.header : "",
 *   content: (async function* () { yield new TextEncoder().encode("Subject: hi\r\n\r\nHello\r\n"); })(),
 * });
 * // result.ok ? "250 2.0.0" : `${result.situation.code} ${result.situation.enhanced}`
 * ```
 */
export async function openMaildirStore(options: MaildirStoreOptions): Promise<MaildirStore> {
  if (typeof options.root !== "string" || options.root.length === 0 || options.root.includes("\u0000")) {
    throw new ServerUsageError("invalid-option", "root", options.root, "root must be a non-empty path");
  }
  const root = resolve(options.root);
  const fileSystem = options.fileSystem ?? nodeMaildirFileSystem();
  const fileMode = checkLimit("fileMode", options.fileMode ?? 0o600, 0, 0o777);
  const directoryMode = checkLimit("directoryMode", options.directoryMode ?? 0o700, 0, 0o777);
  const staleAge = checkLimit("staleTmpAgeMilliseconds", options.staleTmpAgeMilliseconds ?? DEFAULT_STALE_TMP_AGE_MILLISECONDS);
  const cleanDepth = checkLimit("cleanDepth", options.cleanDepth ?? DEFAULT_CLEAN_DEPTH, 1, 16);
  const knownMailboxLimit = checkLimit("knownMailboxes", options.knownMailboxes ?? DEFAULT_KNOWN_MAILBOXES, 0, MAX_KNOWN_MAILBOXES);
  const host = options.hostname ?? systemHostname();
  if (host.length === 0 || host.includes("\u0000") || host.includes("\n")) {
    throw new ServerUsageError("invalid-option", "hostname", host, "hostname must be a non-empty name");
  }
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const mapping =
    options.mailboxPath ??
    ((recipient: MailboxAddress) =>
      defaultMailboxPath(recipient, {
        ...(options.localPartCase === undefined ? {} : { localPartCase: options.localPartCase }),
        ...(options.postmasterDomain === undefined ? {} : { postmasterDomain: options.postmasterDomain }),
      }));

  await fileSystem.makeDirectory(root, directoryMode);

  function mailboxDirectory(recipient: MailboxAddress): { ok: true; path: string } | { ok: false; problem: MailboxNameProblem } {
    const mapped = mapping(recipient);
    if (!mapped.ok) return mapped;
    if (mapped.segments.length === 0) return { ok: false, problem: "empty" };
    for (const segment of mapped.segments) {
      const problem = checkPathSegment(segment);
      if (problem !== undefined) return { ok: false, problem };
    }
    const path = join(root, ...mapped.segments);
    // Defence in depth: the checked segments cannot climb, and the joined path must agree.
    if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return { ok: false, problem: "dot-segment" };
    return { ok: true, path };
  }

  // Mailboxes whose tmp/, new/ and cur/ were seen to exist (bounded, see DEFAULT_KNOWN_MAILBOXES).
  const knownMailboxes = new Set<string>();

  // Creates <mailbox>/{tmp,new,cur}. When anything was created, the new
  // directory entries are synced up to the root, so that a mailbox made for
  // this message survives a crash together with it.
  async function ensureMailbox(mailbox: string): Promise<void> {
    if (knownMailboxes.has(mailbox)) return;
    await makeMailbox(mailbox);
    if (knownMailboxLimit === 0) return;
    if (knownMailboxes.size >= knownMailboxLimit) knownMailboxes.clear();
    knownMailboxes.add(mailbox);
  }

  // Runs a step inside a mailbox; if the mailbox was only remembered and has
  // gone (ENOENT: removed by an administrator), makes it again and retries once.
  async function inMailbox<T>(mailbox: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (errorCode(error) !== "ENOENT" || !knownMailboxes.delete(mailbox)) throw error;
      await ensureMailbox(mailbox);
      return step();
    }
  }

  async function makeMailbox(mailbox: string): Promise<void> {
    let created = false;
    for (const child of ["tmp", "new", "cur"]) {
      if ((await fileSystem.makeDirectory(join(mailbox, child), directoryMode)) !== undefined) created = true;
    }
    if (!created) return;
    for (let directory = mailbox; directory.length >= root.length; directory = join(directory, "..")) {
      await fileSystem.syncDirectory(directory);
      if (directory === root) break;
    }
  }

  // Streams the message into the file through a fixed block, so memory stays
  // bounded whatever the message size and however small the chunks.
  async function writeMessage(
    file: MaildirFile,
    head: Uint8Array,
    content: AsyncIterable<Uint8Array>,
  ): Promise<{ size: number } | { contentError: unknown }> {
    let size = head.length;
    // The block starts small and grows to MAILDIR_WRITE_BLOCK_SIZE only for a
    // message that needs it: a 1 KB message does not cost a 64 KiB buffer.
    let block = new Uint8Array(FIRST_BLOCK_SIZE);
    let filled = 0;
    // Room for `length` more bytes, growing the block while it may; false when it must be flushed first.
    const makeRoom = (length: number): boolean => {
      if (filled + length <= block.length) return true;
      if (block.length >= MAILDIR_WRITE_BLOCK_SIZE) return false;
      const grown = new Uint8Array(Math.min(MAILDIR_WRITE_BLOCK_SIZE, Math.max(block.length * 4, filled + length)));
      grown.set(block.subarray(0, filled), 0);
      block = grown;
      return filled + length <= block.length;
    };
    // The block is written as a copy while it is reused; the last write hands it over as it is.
    const flush = async (last = false): Promise<void> => {
      if (filled > 0) await file.write(last ? block.subarray(0, filled) : block.slice(0, filled));
      filled = 0;
    };
    // The head goes into the block, so a small message is one write(2) in all.
    if (head.length <= MAILDIR_WRITE_BLOCK_SIZE / 4 && makeRoom(head.length)) {
      block.set(head, 0);
      filled = head.length;
    } else {
      await file.write(head);
    }
    const iterator = content[Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<Uint8Array>;
        try {
          step = await iterator.next();
        } catch (error) {
          return { contentError: error };
        }
        if (step.done === true) break;
        const chunk = step.value;
        size += chunk.length;
        if (chunk.length >= MAILDIR_WRITE_BLOCK_SIZE / 4) {
          await flush();
          await file.write(chunk);
        } else {
          if (!makeRoom(chunk.length)) await flush();
          block.set(chunk, filled);
          filled += chunk.length;
        }
      }
      await flush(true);
    } catch (error) {
      // Storage failed mid-stream: tell the source we stop reading. The
      // session still reads the rest of DATA from the socket to stay in step.
      await Promise.resolve(iterator.return?.()).catch(() => undefined);
      throw error;
    }
    return { size };
  }

  async function removeQuietly(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      try {
        await fileSystem.remove(path);
      } catch {
        // Left for the stale-file cleaner (tmp/) or already gone.
      }
    }
  }

  async function deliver(delivery: MaildirDelivery): Promise<MaildirDeliveryResult> {
    if (delivery.recipients.length === 0) {
      throw new ServerUsageError("invalid-option", "recipients", delivery.recipients, "a delivery needs at least one recipient");
    }
    const traceHeaders = delivery.traceHeaders ?? "";
    checkTraceHeaders(traceHeaders);

    // 1. Every recipient must map to a safe directory before anything is written.
    const mailboxes: string[] = [];
    for (const recipient of delivery.recipients) {
      const directory = mailboxDirectory(recipient);
      if (!directory.ok) {
        return {
          ok: false,
          reason: "mailbox-name-not-allowed",
          situation: Situations.MailboxNameNotAllowed,
          recipient,
          problem: directory.problem,
        };
      }
      if (!mailboxes.includes(directory.path)) mailboxes.push(directory.path);
    }
    const returnPath = formatReturnPath(delivery.reversePath);
    if (!returnPath.ok) {
      return { ok: false, reason: "invalid-reverse-path", situation: Situations.TransactionFailed, cause: returnPath.error };
    }
    const head = headEncoder.encode(returnPath.header + traceHeaders);

    deliveryCounter += 1;
    const name = uniqueMaildirName({
      time: now(),
      processId: process.pid,
      counter: deliveryCounter,
      random: randomHex6(),
      hostname: host,
    });
    const temporaryFiles: string[] = [];
    const visibleFiles: string[] = [];
    let closing: Promise<void> | undefined;
    try {
      for (const mailbox of mailboxes) await ensureMailbox(mailbox);

      // 2. Write and sync the message once, in the first mailbox's tmp/.
      const [first = "", ...others] = mailboxes;
      const firstTemporary = under(first, "tmp", name);
      const file = await inMailbox(first, () => fileSystem.createExclusive(firstTemporary, fileMode));
      temporaryFiles.push(firstTemporary);
      let written: { size: number } | { contentError: unknown };
      try {
        written = await writeMessage(file, head, delivery.content);
        if ("size" in written) await file.sync();
      } finally {
        // The data is synced (or abandoned); closing runs alongside the moves below.
        closing = file.close().catch(() => undefined);
      }
      if ("contentError" in written) {
        await closing;
        await removeQuietly(temporaryFiles);
        return { ok: false, reason: "content-failed", situation: Situations.LocalError, cause: written.contentError };
      }
      const { size } = written;

      // 3. Every other mailbox gets a hard link (one inode, already synced),
      // or a synced copy across file systems.
      for (const mailbox of others) {
        const temporary = under(mailbox, "tmp", name);
        try {
          await inMailbox(mailbox, () => fileSystem.link(firstTemporary, temporary));
        } catch (error) {
          const code = errorCode(error);
          if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP" && code !== "EMLINK") throw error;
          await fileSystem.copyExclusive(firstTemporary, temporary, fileMode);
        }
        temporaryFiles.push(temporary);
      }

      // 4. Move it into each new/ (the tmp/ name goes with the rename), and
      // sync each new/ directory.
      const finalName = `${name},S=${size}`;
      for (const mailbox of mailboxes) {
        const temporary = under(mailbox, "tmp", name);
        const visible = under(mailbox, "new", finalName);
        await fileSystem.rename(temporary, visible);
        temporaryFiles.splice(temporaryFiles.indexOf(temporary), 1);
        visibleFiles.push(visible);
      }
      await Promise.all(mailboxes.map((mailbox) => fileSystem.syncDirectory(under(mailbox, "new"))));

      // 5. Durable everywhere.
      await closing;
      return { ok: true, id: name, size, files: visibleFiles };
    } catch (error) {
      // All or nothing: take the message back out of every new/ it reached.
      await closing;
      await removeQuietly(visibleFiles);
      await removeQuietly(temporaryFiles);
      for (const mailbox of mailboxes) {
        await fileSystem.syncDirectory(join(mailbox, "new")).catch(() => undefined);
      }
      return storageFailure(error);
    }
  }

  async function cleanStaleTemporaryFiles(): Promise<MaildirCleanReport> {
    const cutoff = now() - staleAge;
    let removed = 0;
    let errors = 0;
    const walk = async (directory: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await fileSystem.list(directory);
      } catch {
        errors += 1;
        return;
      }
      const names = new Set(entries.filter((entry) => entry.kind === "directory").map((entry) => entry.name));
      // A Maildir is a directory with tmp/, new/ and cur/.
      if (names.has("tmp") && names.has("new") && names.has("cur")) {
        const temporary = join(directory, "tmp");
        let files;
        try {
          files = await fileSystem.list(temporary);
        } catch {
          errors += 1;
          files = [];
        }
        for (const entry of files) {
          if (entry.kind !== "file") continue;
          const path = join(temporary, entry.name);
          try {
            if ((await fileSystem.modifiedAt(path)) < cutoff) {
              await fileSystem.remove(path);
              removed += 1;
            }
          } catch {
            errors += 1;
          }
        }
      }
      if (depth >= cleanDepth) return;
      for (const name of names) {
        if (name === "tmp" || name === "new" || name === "cur") continue;
        await walk(join(directory, name), depth + 1);
      }
    };
    await walk(root, 0);
    return { removed, errors };
  }

  if (options.cleanAtOpen ?? true) await cleanStaleTemporaryFiles();

  return { root, deliver, mailboxDirectory, cleanStaleTemporaryFiles };
}
