/**
 * Reading a spool from outside the process that runs it: `smtpkit queue`
 * lists entries while the queue delivers in another process, and asks it to
 * retry now through a flush-request file.
 *
 * Safe against a running queue: entry files appear by rename and never
 * change, state files are replaced by rename, so every file read is either
 * whole or absent (an entry finished between the directory listing and the
 * read is skipped).
 *
 * @module
 */
import { open, rename, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { entryView, initialProgress, type QueueEntryView } from "./queue-view.js";
import { exists, listIds, LOCK_FILE_MAX_BYTES, readSmallFile, readState, spoolPaths, syncDirectory, validateEntryFile } from "./spool.js";
import type { RecipientProgress } from "./spool-format.js";

/** What {@link readQueue} found. */
export interface QueueListing {
  /** The spool root, absolute. */
  readonly directory: string;
  /** Valid entries, oldest first. */
  readonly entries: readonly QueueEntryView[];
  /** Ids of entry files that failed validation, in `entries/` (not yet set aside) or `corrupt/`. */
  readonly corrupt: readonly string[];
  /** Whether a flush request waits for the running queue. */
  readonly flushRequested: boolean;
  /** The pid in the lock file: the process running this queue (it may have died). */
  readonly lockedBy: number | undefined;
}

/**
 * Lists a spool read-only, from the directory alone.
 *
 * @param directory - the spool root
 * @returns the entries with their recipients' states, and the damaged ones
 * @throws the file system's error when the directory cannot be read
 * @example
 * ```ts
 * import { readQueue } from "@smtpkit/queue";
 * const listing = await readQueue("./queue");
 * for (const entry of listing.entries) {
 *   for (const recipient of entry.recipients) console.log(entry.id, recipient.address, recipient.state, recipient.attempts, recipient.lastReply?.code);
 * }
 * ```
 */
export async function readQueue(directory: string): Promise<QueueListing> {
  const paths = spoolPaths(resolve(directory));
  const entries: QueueEntryView[] = [];
  const corrupt: string[] = [];
  for (const id of await listIds(paths.entries)) {
    const validated = await validateEntryFile(join(paths.entries, id)).catch(() => ({ ok: false as const, problem: "unreadable" as const }));
    if (!validated.ok) {
      if (validated.problem !== "missing") corrupt.push(id);
      continue;
    }
    const state = await readState(paths, id).catch(() => ({ ok: false as const }));
    let progress: RecipientProgress[] = initialProgress(validated.metadata);
    if (state.ok && state.state !== undefined && state.state.recipients.length === progress.length) progress = [...state.state.recipients];
    entries.push(entryView(validated.metadata, progress));
  }
  corrupt.push(...(await listIds(paths.corrupt)));
  let lockedBy: number | undefined;
  try {
    const lock = await readSmallFile(paths.lock, LOCK_FILE_MAX_BYTES);
    const pid = lock.ok ? Number.parseInt(new TextDecoder().decode(lock.bytes), 10) : Number.NaN;
    if (Number.isSafeInteger(pid) && pid > 0) lockedBy = pid;
  } catch {
    lockedBy = undefined;
  }
  return { directory: paths.root, entries, corrupt, flushRequested: await exists(paths.flushRequest), lockedBy };
}

/**
 * Asks the queue running on a spool (in this process or another) to retry
 * every pending recipient now: writes `<directory>/flush-request`, which the
 * queue notices within its poll interval and removes.
 *
 * @param directory - the spool root
 * @throws the file system's error when the file cannot be written
 * @example
 * ```ts
 * import { requestFlush } from "@smtpkit/queue";
 * await requestFlush("./queue"); // what `smtpkit queue flush` does
 * ```
 */
export async function requestFlush(directory: string): Promise<void> {
  const paths = spoolPaths(resolve(directory));
  const temporary = join(paths.tmp, `flush-${process.pid}-${Date.now()}`);
  const handle = await open(temporary, "w", 0o600);
  try {
    await handle.writeFile(`${new Date().toISOString()}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, paths.flushRequest);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(paths.root);
}
