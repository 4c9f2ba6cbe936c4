/**
 * The spool directory: where entries are written durably, validated at
 * recovery, read back for delivery and removed when done.
 *
 * Layout under the spool root:
 *
 * ```text
 * tmp/          entries and state files being written; anything here at start is a crash's leftover and is removed
 * entries/<id>  complete entry files (see spool-format.ts): appear by rename only, never change
 * state/<id>    per-recipient state of an entry, replaced by rename; absent = nothing attempted yet
 * corrupt/<id>  entry files that failed validation, moved aside for a human, never delivered
 * flush-request present = "retry everything now", asked by another process (requestFlush)
 * lock          the pid of the process running the queue
 * ```
 *
 * Writing an entry (the commit point is the rename):
 * 1. create `tmp/<id>` exclusively; write the head, stream the message
 *    through a fixed block (bounded memory), write the trailer with the
 *    SHA-256 of everything;
 * 2. `fsync` the file, close it;
 * 3. `rename` it to `entries/<id>`;
 * 4. `fsync` the `entries/` directory: only now is the entry durable, and
 *    only now does `enqueue` resolve (so the server's 250 follows).
 *
 * A crash before step 3 leaves a file in `tmp/` only: never acknowledged,
 * removed at the next start. After step 4 the entry is complete and valid.
 * Between 3 and 4 the rename may or may not survive; either way the file
 * under `entries/` is whole (rename is atomic) and was never acknowledged.
 *
 * State is rewritten the same way (`tmp/` → fsync → rename → fsync
 * `state/`), so a reader sees the old state or the new, never a mix. Losing
 * the newest state in a crash can only repeat a delivery, never skip one.
 *
 * Does not: decide anything about delivery (see relay-queue.ts).
 *
 * @module
 */
import { constants } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Situations, type Situation } from "@smtpkit/codes";
import { createReceivedCounter } from "./received-counter.js";
import {
  createSpoolDigest,
  decodeEntryHeader,
  decodeStateFile,
  digestsEqual,
  encodeEntryHead,
  encodeEntryTrailer,
  encodeStateFile,
  ENTRY_HEAD_BYTES,
  MAX_STATE_BYTES,
  ENTRY_TRAILER_BYTES,
  isEntryId,
  parseEntryHead,
  parseEntryTrailer,
  type EntryHeader,
  type EntryMetadata,
  type EntryState,
  type SpoolFileProblem,
} from "./spool-format.js";

/** Writes and reads go through blocks of this size: 64 KiB. */
export const SPOOL_BLOCK_SIZE = 64 * 1024;

/** The paths of a spool. */
export interface SpoolPaths {
  /** The spool root. */
  readonly root: string;
  /** Files being written. */
  readonly tmp: string;
  /** Complete entry files. */
  readonly entries: string;
  /** State files. */
  readonly state: string;
  /** Entries that failed validation. */
  readonly corrupt: string;
  /** The flush-request file. */
  readonly flushRequest: string;
  /** The lock file. */
  readonly lock: string;
}

/**
 * The paths of the spool at `root`.
 *
 * @internal
 */
export function spoolPaths(root: string): SpoolPaths {
  return {
    root,
    tmp: join(root, "tmp"),
    entries: join(root, "entries"),
    state: join(root, "state"),
    corrupt: join(root, "corrupt"),
    flushRequest: join(root, "flush-request"),
    lock: join(root, "lock"),
  };
}

/**
 * `fsync` on a directory, so that a rename or unlink in it survives a crash.
 *
 * @internal
 */
export async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (error) {
    // Windows cannot open a directory (EISDIR): there, a rename is made durable by the file system itself.
    if (errorCode(error) === "EISDIR") return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // File systems that cannot sync a directory say so (EINVAL, ENOTSUP); nothing more can be done there.
    const code = errorCode(error);
    if (code !== "EINVAL" && code !== "ENOTSUP") throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Creates the spool's directories (and syncs the root when it made any).
 *
 * @internal
 */
export async function ensureSpool(paths: SpoolPaths, mode: number): Promise<void> {
  const created = await mkdir(paths.root, { recursive: true, mode });
  let made = created !== undefined;
  for (const directory of [paths.tmp, paths.entries, paths.state, paths.corrupt]) {
    if ((await mkdir(directory, { recursive: true, mode })) !== undefined) made = true;
  }
  if (made) await syncDirectory(paths.root);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position + offset);
    offset += bytesWritten;
  }
  return position + bytes.length;
}

async function readExactly(handle: FileHandle, target: Uint8Array, position: number): Promise<boolean> {
  let offset = 0;
  while (offset < target.length) {
    const { bytesRead } = await handle.read(target, offset, target.length - offset, position + offset);
    if (bytesRead === 0) return false;
    offset += bytesRead;
  }
  return true;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : undefined;
}

/** Why `enqueue` could not make an entry durable. */
export type EnqueueFailureReason =
  /** The message is over `maxMessageBytes`. */
  | "message-too-big"
  /** ENOSPC, EDQUOT or EFBIG: the disk or a quota is full; worth a retry later. */
  | "insufficient-storage"
  /** Any other storage error. */
  | "storage-failed"
  /** The content iterable threw (the client went away, the message was aborted). */
  | "content-failed"
  /** The queue is closing. */
  | "closing";

/** The result of writing an entry. */
export type WriteEntryResult =
  | { readonly ok: true; readonly metadata: EntryMetadata; readonly metadataLength: number }
  | {
      readonly ok: false;
      /** Why. */
      readonly reason: EnqueueFailureReason;
      /** The reply to give the submitter. */
      readonly situation: Situation;
      /** The underlying error, for logs. */
      readonly cause?: unknown;
    };

/** Message content the queue accepts: bytes, or chunks (read once, in order). */
export type QueueContent = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

function storageFailure(error: unknown): WriteEntryResult {
  const code = errorCode(error);
  // RFC 3463 X.3.1 "mail system full": a temporary condition.
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
    return { ok: false, reason: "insufficient-storage", situation: Situations.InsufficientStorage, cause: error };
  }
  return { ok: false, reason: "storage-failed", situation: Situations.StorageFailed, cause: error };
}

async function* chunksOf(content: QueueContent): AsyncGenerator<Uint8Array> {
  if (content instanceof Uint8Array) {
    yield content;
    return;
  }
  yield* content as AsyncIterable<Uint8Array>;
}

class ContentTooBig extends Error {}

/**
 * Writes one entry durably (tmp → fsync → rename → fsync directory) and
 * returns once it is on disk, or a typed failure (the partial file removed).
 *
 * @internal
 */
export async function writeEntry(paths: SpoolPaths, header: EntryHeader, content: QueueContent, maxMessageBytes: number, fileMode: number): Promise<WriteEntryResult> {
  const temporary = join(paths.tmp, header.id);
  let handle: FileHandle | undefined;
  let created = false;
  let head: Uint8Array = new Uint8Array(0);
  try {
    handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, fileMode);
    created = true;
    const digest = createSpoolDigest();
    const counter = createReceivedCounter();
    head = encodeEntryHead(header);
    digest.update(head);
    let position = await writeAll(handle, head, 0);
    // Small chunks are gathered into one block (allocated on first need, so that a message given whole
    // costs no copy) and written together; big chunks go straight to the file.
    let block: Uint8Array | undefined;
    let filled = 0;
    let size = 0;
    const file = handle;
    const flush = async (): Promise<void> => {
      if (filled === 0 || block === undefined) return;
      const bytes = block.subarray(0, filled);
      digest.update(bytes);
      position = await writeAll(file, bytes, position);
      filled = 0;
    };
    let contentError: unknown;
    const iterator = chunksOf(content)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<Uint8Array>;
        try {
          step = await iterator.next();
        } catch (error) {
          contentError = error;
          break;
        }
        if (step.done === true) break;
        const chunk = step.value;
        if (!(chunk instanceof Uint8Array)) {
          contentError = new TypeError("message chunks must be Uint8Array");
          break;
        }
        size += chunk.length;
        if (size > maxMessageBytes) throw new ContentTooBig();
        counter.push(chunk);
        if (chunk.length >= SPOOL_BLOCK_SIZE / 4 || (content instanceof Uint8Array && filled === 0)) {
          await flush();
          digest.update(chunk);
          position = await writeAll(file, chunk, position);
        } else {
          block ??= new Uint8Array(SPOOL_BLOCK_SIZE);
          if (filled + chunk.length > block.length) await flush();
          block.set(chunk, filled);
          filled += chunk.length;
        }
      }
    } catch (error) {
      await Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
      throw error;
    }
    if (contentError !== undefined) {
      await handle.close().catch(() => undefined);
      handle = undefined;
      await unlink(temporary).catch(() => undefined);
      return { ok: false, reason: "content-failed", situation: Situations.LocalError, cause: contentError };
    }
    await flush();
    await writeAll(handle, encodeEntryTrailer(size, digest), position);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, join(paths.entries, header.id));
    created = false;
    await syncDirectory(paths.entries);
    return { ok: true, metadata: { ...header, size, hops: counter.count }, metadataLength: head.length - ENTRY_HEAD_BYTES };
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (created) await unlink(temporary).catch(() => undefined);
    if (error instanceof ContentTooBig) return { ok: false, reason: "message-too-big", situation: Situations.MessageTooBig };
    return storageFailure(error);
  }
}

/** The result of validating an entry file. */
export type ValidatedEntry =
  | { readonly ok: true; readonly metadata: EntryMetadata; readonly metadataLength: number }
  | { readonly ok: false; readonly problem: SpoolFileProblem | "missing" };

/**
 * Opens a file of the spool for reading without following a symbolic link (O_NOFOLLOW: a link planted in the
 * spool is not followed out of it) and without blocking on a FIFO, and only when it is a regular file.
 */
async function openSpoolFile(path: string): Promise<{ ok: true; handle: FileHandle; size: number } | { ok: false; problem: "missing" | "not-a-file" }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return { ok: false, problem: "missing" };
    if (code === "ELOOP") return { ok: false, problem: "not-a-file" };
    throw error;
  }
  const information = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (information.isFile()) return { ok: true, handle, size: information.size };
  await handle.close();
  return { ok: false, problem: "not-a-file" };
}

/**
 * Validates an entry file by reading it through once (bounded memory):
 * marks, lengths against the file size, the digest, the metadata.
 *
 * @internal
 */
export async function validateEntryFile(path: string): Promise<ValidatedEntry> {
  const opened = await openSpoolFile(path);
  if (!opened.ok) return opened;
  const { handle, size: fileSize } = opened;
  try {
    if (fileSize < ENTRY_HEAD_BYTES + ENTRY_TRAILER_BYTES) return { ok: false, problem: "truncated" };
    const headBytes = new Uint8Array(ENTRY_HEAD_BYTES);
    if (!(await readExactly(handle, headBytes, 0))) return { ok: false, problem: "truncated" };
    const head = parseEntryHead(headBytes);
    if (!head.ok) return head;
    const trailerBytes = new Uint8Array(ENTRY_TRAILER_BYTES);
    if (!(await readExactly(handle, trailerBytes, fileSize - ENTRY_TRAILER_BYTES))) return { ok: false, problem: "truncated" };
    const trailer = parseEntryTrailer(trailerBytes);
    if (!trailer.ok) return trailer;
    if (ENTRY_HEAD_BYTES + head.metadataLength + trailer.messageLength + ENTRY_TRAILER_BYTES !== fileSize) return { ok: false, problem: "truncated" };
    const metadataBytes = new Uint8Array(head.metadataLength);
    if (!(await readExactly(handle, metadataBytes, ENTRY_HEAD_BYTES))) return { ok: false, problem: "truncated" };
    const digest = createSpoolDigest();
    digest.update(headBytes);
    digest.update(metadataBytes);
    const counter = createReceivedCounter();
    const block = new Uint8Array(SPOOL_BLOCK_SIZE);
    let position = ENTRY_HEAD_BYTES + head.metadataLength;
    const end = position + trailer.messageLength;
    while (position < end) {
      const piece = block.subarray(0, Math.min(block.length, end - position));
      if (!(await readExactly(handle, piece, position))) return { ok: false, problem: "truncated" };
      digest.update(piece);
      if (!counter.headerEnded) counter.push(piece);
      position += piece.length;
    }
    digest.update(trailerBytes.subarray(0, 8));
    if (!digestsEqual(digest.digest(), trailer.digest)) return { ok: false, problem: "bad-checksum" };
    const header = decodeEntryHeader(metadataBytes);
    if (header === undefined) return { ok: false, problem: "bad-metadata" };
    return { ok: true, metadata: { ...header, size: trailer.messageLength, hops: counter.count }, metadataLength: head.metadataLength };
  } finally {
    await handle.close();
  }
}

const corruptMarker = Symbol.for("@smtpkit/queue/SpoolCorruptionError");

/**
 * Thrown by an entry's content stream when the file no longer matches its
 * digest. The delivery aborts the transaction before the end of data, so a
 * damaged message never reaches a server.
 *
 * @internal
 */
export class SpoolCorruptionError extends Error {
  private readonly [corruptMarker] = true;

  /**
   * True for a `SpoolCorruptionError`.
   *
   * @internal
   */
  static isInstance(value: unknown): value is SpoolCorruptionError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[corruptMarker] === true;
  }
}

/**
 * Streams an entry's message from its file, checking the digest on the way:
 * the last block is held back until the whole file has been hashed, and the
 * stream throws {@link SpoolCorruptionError} instead of yielding it when the
 * digest does not match. Memory: two blocks.
 *
 * @internal
 */
export async function* readEntryMessage(path: string, metadataLength: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    const fileSize = (await handle.stat()).size;
    const headBytes = new Uint8Array(ENTRY_HEAD_BYTES + metadataLength);
    if (!(await readExactly(handle, headBytes, 0))) throw new SpoolCorruptionError("The entry file is truncated.");
    const parsed = parseEntryHead(headBytes.subarray(0, ENTRY_HEAD_BYTES));
    if (!parsed.ok || parsed.metadataLength !== metadataLength) throw new SpoolCorruptionError("The entry file's head changed.");
    const trailerBytes = new Uint8Array(ENTRY_TRAILER_BYTES);
    if (fileSize < headBytes.length + ENTRY_TRAILER_BYTES || !(await readExactly(handle, trailerBytes, fileSize - ENTRY_TRAILER_BYTES))) {
      throw new SpoolCorruptionError("The entry file is truncated.");
    }
    const trailer = parseEntryTrailer(trailerBytes);
    if (!trailer.ok || headBytes.length + trailer.messageLength + ENTRY_TRAILER_BYTES !== fileSize) throw new SpoolCorruptionError("The entry file is damaged.");
    const digest = createSpoolDigest();
    digest.update(headBytes);
    let position = headBytes.length;
    const end = position + trailer.messageLength;
    let held: Uint8Array | undefined;
    while (position < end) {
      // A fresh block each time: the client may write a yielded chunk to the socket without copying it.
      const piece = new Uint8Array(Math.min(SPOOL_BLOCK_SIZE, end - position));
      if (!(await readExactly(handle, piece, position))) throw new SpoolCorruptionError("The entry file is truncated.");
      digest.update(piece);
      position += piece.length;
      if (held !== undefined) yield held;
      held = piece;
    }
    digest.update(trailerBytes.subarray(0, 8));
    if (!digestsEqual(digest.digest(), trailer.digest)) throw new SpoolCorruptionError("The entry file does not match its checksum.");
    if (held !== undefined) yield held;
  } finally {
    await handle.close();
  }
}

/**
 * Replaces an entry's state file atomically and durably.
 *
 * @internal
 */
export async function writeState(paths: SpoolPaths, state: EntryState, fileMode: number, unique: string): Promise<void> {
  const temporary = join(paths.tmp, `state-${state.id}-${unique}`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, fileMode);
  try {
    await writeAll(handle, encodeStateFile(state), 0);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, join(paths.state, state.id));
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(paths.state);
}

/**
 * Reads a small file of the spool (a state file, the lock) without following a symbolic link and only when it
 * is a regular file of at most `maxBytes`: a link to `/dev/zero` or a FIFO planted in the spool made a start
 * (and `smtpkit queue`) read forever, or block.
 *
 * @internal
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; problem: "missing" | "not-a-file" | "metadata-too-long" }> {
  const opened = await openSpoolFile(path);
  if (!opened.ok) return opened;
  const { handle, size } = opened;
  try {
    if (size > maxBytes) return { ok: false, problem: "metadata-too-long" };
    const bytes = new Uint8Array(size);
    // A file that shrank under us reads short: what was read is judged (its checksum fails).
    let length = 0;
    while (length < bytes.length) {
      const { bytesRead } = await handle.read(bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { ok: true, bytes: bytes.subarray(0, length) };
  } finally {
    await handle.close();
  }
}

/**
 * The most a lock file may hold: a pid and a token are a few dozen bytes.
 *
 * @internal
 */
export const LOCK_FILE_MAX_BYTES = 256;

/**
 * The text of a lock file, or `undefined` when there is none (a directory, a link or an oversized file there
 * reads as empty text, which no process holds).
 *
 * @internal
 */
export async function readLockFile(path: string): Promise<string | undefined> {
  const read = await readSmallFile(path, LOCK_FILE_MAX_BYTES);
  if (read.ok) return new TextDecoder().decode(read.bytes);
  return read.problem === "missing" ? undefined : "";
}

/**
 * Reads an entry's state file: the state, `undefined` when there is none, or the problem.
 *
 * @internal
 */
export async function readState(paths: SpoolPaths, id: string): Promise<{ ok: true; state: EntryState | undefined } | { ok: false; problem: SpoolFileProblem }> {
  // The magic, the length, the JSON and its SHA-256.
  const read = await readSmallFile(join(paths.state, id), 12 + MAX_STATE_BYTES + 32);
  if (!read.ok) return read.problem === "missing" ? { ok: true, state: undefined } : { ok: false, problem: read.problem };
  const bytes = read.bytes;
  const decoded = decodeStateFile(bytes);
  if (!decoded.ok) return decoded;
  if (decoded.state.id !== id) return { ok: false, problem: "bad-metadata" };
  return { ok: true, state: decoded.state };
}

/**
 * Removes a finished entry: the entry file first (synced), then its state, so
 * that a crash in between leaves only a state file without an entry (cleaned
 * at start), never an entry without its state (which would be sent again).
 *
 * @internal
 */
export async function removeEntry(paths: SpoolPaths, id: string): Promise<void> {
  await unlink(join(paths.entries, id)).catch((error: unknown) => {
    if (errorCode(error) !== "ENOENT") throw error;
  });
  await syncDirectory(paths.entries);
  await unlink(join(paths.state, id)).catch((error: unknown) => {
    if (errorCode(error) !== "ENOENT") throw error;
  });
  await syncDirectory(paths.state);
}

/**
 * Moves a damaged entry file into `corrupt/` (and drops its state).
 *
 * @internal
 */
export async function quarantineEntry(paths: SpoolPaths, id: string): Promise<void> {
  await rename(join(paths.entries, id), join(paths.corrupt, id)).catch((error: unknown) => {
    if (errorCode(error) !== "ENOENT") throw error;
  });
  await syncDirectory(paths.entries);
  await syncDirectory(paths.corrupt);
  await unlink(join(paths.state, id)).catch(() => undefined);
}

/**
 * The entry ids in a directory (names that are not ids are ignored), oldest first.
 *
 * @internal
 */
export async function listIds(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw error;
  }
  return names.filter(isEntryId).sort();
}

/**
 * Removes everything in `tmp/`: writes that never completed.
 *
 * @internal
 */
export async function cleanTemporary(paths: SpoolPaths): Promise<number> {
  let removed = 0;
  for (const name of await readdir(paths.tmp)) {
    try {
      await unlink(join(paths.tmp, name));
      removed += 1;
    } catch {
      // A directory or a file we may not remove: left for a human.
    }
  }
  if (removed > 0) await syncDirectory(paths.tmp);
  return removed;
}

/**
 * Whether a file exists (without following the name into a directory listing).
 *
 * @internal
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
