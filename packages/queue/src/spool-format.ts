/**
 * The bytes of the spool's two kinds of file, self-validating so that
 * recovery after a crash (or a disk that flipped a bit) can tell a complete
 * file from anything else, and never hands a damaged message to a server.
 *
 * An entry file (`entries/<id>`), written once and never changed:
 *
 * ```text
 * offset        size  field
 * 0             8     magic "SKQENT01"
 * 8             4     metadata length L, unsigned big-endian (at most MAX_METADATA_BYTES)
 * 12            L     metadata: UTF-8 JSON {format, id, receivedAt, envelope}
 * 12+L          M     the message bytes, exactly as received (CRLF line ends, not dot-stuffed)
 * 12+L+M        8     M, unsigned big-endian (written last: the input is streamed)
 * 20+L+M        32    SHA-256 of every byte before it (offsets 0 to 20+L+M)
 * 52+L+M        8     end mark "SKQEND\r\n"
 * ```
 *
 * A file is complete only if its size is exactly 60+L+M with both marks in
 * place and the digest matches: a truncated file, a file with a flipped bit
 * or a file from some other program fails one of these checks. The message
 * length also appears in the metadata (`size`), and both must agree.
 *
 * A state file (`state/<id>`), replaced atomically on every change:
 *
 * ```text
 * 0    8   magic "SKQSTA01"
 * 8    4   JSON length J, unsigned big-endian
 * 12   J   UTF-8 JSON {format, id, updatedAt, recipients: [...]}
 * 12+J 32  SHA-256 of every byte before it
 * ```
 *
 * Does not: open files (see `spool.ts`); parse the message.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type { DsnNotify, Mailbox, OriginalRecipient } from "@smtpkit/grammar";
import type { QueueEnvelope, QueueRecipient } from "./queue-envelope.js";
import { createReceivedCounter } from "./received-counter.js";

/** The first 8 bytes of an entry file. */
export const ENTRY_MAGIC = new TextEncoder().encode("SKQENT01");
/** The last 8 bytes of an entry file. */
export const ENTRY_END_MARK = new TextEncoder().encode("SKQEND\r\n");
/** The first 8 bytes of a state file. */
export const STATE_MAGIC = new TextEncoder().encode("SKQSTA01");
/** Bytes before the metadata: magic and length. */
export const ENTRY_HEAD_BYTES = 12;
/** Bytes after the message: length, digest, end mark. */
export const ENTRY_TRAILER_BYTES = 48;
/** The most metadata bytes an entry may declare: 4 MiB (1000 recipients with long ORCPTs fit well within). */
export const MAX_METADATA_BYTES = 4 * 1024 * 1024;
/** The most bytes a state file may have: 4 MiB. */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;

const DIGEST_BYTES = 32;

/** What an entry file's head holds: written before the message. */
export interface EntryHeader {
  /** The entry's id (its file name). */
  readonly id: string;
  /** When the queue accepted it, in milliseconds since the epoch. */
  readonly receivedAt: number;
  /** The envelope. */
  readonly envelope: QueueEnvelope;
}

/** An entry's head plus what was measured over its message. */
export interface EntryMetadata extends EntryHeader {
  /** `Received:` header fields counted in the message header (RFC 5321 §6.3 loop detection). */
  readonly hops: number;
  /** The message size in octets. */
  readonly size: number;
}

/** Where a recipient stands. */
export type RecipientState = "pending" | "delivered" | "failed";

/** A reply from a server, or the queue's own wording of a failure, as kept in the state file. */
export interface StoredReply {
  /** The basic code (RFC 5321 §4.2). */
  readonly code: number;
  /** The enhanced status code (RFC 3463), when known. */
  readonly enhanced?: string;
  /** The text, lines joined with a newline. */
  readonly text: string;
  /** Who said it: the remote host (`mx.example.org [192.0.2.25]`), or `undefined` when the queue decided. */
  readonly remoteMta?: string;
}

/** The durable state of one recipient. */
export interface RecipientProgress {
  /** Where it stands. */
  readonly state: RecipientState;
  /** Delivery attempts made so far. */
  readonly attempts: number;
  /** When the next attempt is due (ms since the epoch), for `pending`. */
  readonly nextAttemptAt: number;
  /** When the last attempt ended, if any. */
  readonly lastAttemptAt?: number;
  /** The last reply (or failure) seen. */
  readonly lastReply?: StoredReply;
  /** Whether a delay notice (RFC 3461 `NOTIFY=DELAY`) has been issued. */
  readonly delayNotified: boolean;
}

/** The durable state of every recipient of an entry, in envelope order. */
export interface EntryState {
  /** The entry's id. */
  readonly id: string;
  /** When this state was written. */
  readonly updatedAt: number;
  /** One per envelope recipient, same order. */
  readonly recipients: readonly RecipientProgress[];
}

/** Why a file failed validation. */
export type SpoolFileProblem =
  /** Shorter than its header and trailer, or its size does not match the lengths it declares (a truncated write). */
  | "truncated"
  /** The magic or the end mark is wrong: not one of ours, or overwritten. */
  | "bad-mark"
  /** The digest does not match: a bit changed somewhere. */
  | "bad-checksum"
  /** The declared metadata length is over the limit. */
  | "metadata-too-long"
  /** The checksum matched but the metadata is not what this version writes. */
  | "bad-metadata"
  /** Not a regular file (a directory, a symbolic link, a device): never opened for reading. */
  | "not-a-file";

/** A hash over a file being written or read: SHA-256. */
export interface SpoolDigest {
  /** Adds bytes. */
  update(bytes: Uint8Array): void;
  /** The 32-byte digest; call once. */
  digest(): Uint8Array;
}

/**
 * Starts a SHA-256 digest.
 *
 * @internal
 */
export function createSpoolDigest(): SpoolDigest {
  const hash: Hash = createHash("sha256");
  return {
    update(bytes) {
      hash.update(bytes);
    },
    digest() {
      return new Uint8Array(hash.digest());
    },
  };
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  new DataView(target.buffer, target.byteOffset, target.byteLength).setUint32(offset, value, false);
}

function readUint32(source: Uint8Array, offset: number): number {
  return new DataView(source.buffer, source.byteOffset, source.byteLength).getUint32(offset, false);
}

function writeUint64(target: Uint8Array, offset: number, value: number): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000), false);
  view.setUint32(offset + 4, value >>> 0, false);
}

function readUint64(source: Uint8Array, offset: number): number {
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  return view.getUint32(offset, false) * 0x1_0000_0000 + view.getUint32(offset + 4, false);
}

function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index += 1) difference |= (left[index] as number) ^ (right[index] as number);
  return difference === 0;
}

/**
 * The head of an entry file: magic, metadata length, metadata.
 *
 * @internal
 */
export function encodeEntryHead(header: EntryHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ format: 1, id: header.id, receivedAt: header.receivedAt, envelope: header.envelope }));
  const head = new Uint8Array(ENTRY_HEAD_BYTES + json.length);
  head.set(ENTRY_MAGIC, 0);
  writeUint32(head, 8, json.length);
  head.set(json, ENTRY_HEAD_BYTES);
  return head;
}

/**
 * The trailer of an entry file, given the message length and the digest so
 * far (of head and message); the length is hashed here too.
 *
 * @internal
 */
export function encodeEntryTrailer(messageLength: number, digest: SpoolDigest): Uint8Array {
  const trailer = new Uint8Array(ENTRY_TRAILER_BYTES);
  writeUint64(trailer, 0, messageLength);
  digest.update(trailer.subarray(0, 8));
  trailer.set(digest.digest(), 8);
  trailer.set(ENTRY_END_MARK, 8 + DIGEST_BYTES);
  return trailer;
}

/**
 * Reads the first 12 bytes of an entry file: the metadata length, or why not.
 *
 * @internal
 */
export function parseEntryHead(head: Uint8Array): { readonly ok: true; readonly metadataLength: number } | { readonly ok: false; readonly problem: SpoolFileProblem } {
  if (head.length < ENTRY_HEAD_BYTES) return { ok: false, problem: "truncated" };
  if (!equalBytes(head.subarray(0, 8), ENTRY_MAGIC)) return { ok: false, problem: "bad-mark" };
  const metadataLength = readUint32(head, 8);
  if (metadataLength > MAX_METADATA_BYTES) return { ok: false, problem: "metadata-too-long" };
  return { ok: true, metadataLength };
}

/**
 * Reads the last 48 bytes of an entry file: the message length and the digest.
 *
 * @internal
 */
export function parseEntryTrailer(
  trailer: Uint8Array,
): { readonly ok: true; readonly messageLength: number; readonly digest: Uint8Array } | { readonly ok: false; readonly problem: SpoolFileProblem } {
  if (trailer.length !== ENTRY_TRAILER_BYTES) return { ok: false, problem: "truncated" };
  if (!equalBytes(trailer.subarray(8 + DIGEST_BYTES), ENTRY_END_MARK)) return { ok: false, problem: "bad-mark" };
  return { ok: true, messageLength: readUint64(trailer, 0), digest: trailer.subarray(8, 8 + DIGEST_BYTES) };
}

/**
 * Whether a computed digest equals the stored one.
 *
 * @internal
 */
export function digestsEqual(computed: Uint8Array, stored: Uint8Array): boolean {
  return equalBytes(computed, stored);
}

/** An entry file read whole and found valid. */
export interface DecodedEntry {
  /** The metadata. */
  readonly metadata: EntryMetadata;
  /** The message bytes (a view into the input). */
  readonly message: Uint8Array;
}

/**
 * Validates and decodes a whole entry file held in memory. The spool reads
 * files in blocks with the same checks; this form is for tools and tests.
 *
 * @param bytes - the file's bytes
 * @returns the metadata and the message, or the problem
 * @example
 * ```ts
 * import { decodeEntryFile } from "@smtpkit/queue";
 * import { readFile } from "node:fs/promises";
 * const decoded = decodeEntryFile(await readFile("queue/entries/0m4x2k9q1-3f9a6c1d2e"));
 * if (!decoded.ok) console.log(decoded.problem); // "bad-checksum"
 * ```
 */
export function decodeEntryFile(bytes: Uint8Array): ({ readonly ok: true } & DecodedEntry) | { readonly ok: false; readonly problem: SpoolFileProblem } {
  const head = parseEntryHead(bytes.subarray(0, ENTRY_HEAD_BYTES));
  if (!head.ok) return head;
  if (bytes.length < ENTRY_HEAD_BYTES + head.metadataLength + ENTRY_TRAILER_BYTES) return { ok: false, problem: "truncated" };
  const trailer = parseEntryTrailer(bytes.subarray(bytes.length - ENTRY_TRAILER_BYTES));
  if (!trailer.ok) return trailer;
  if (ENTRY_HEAD_BYTES + head.metadataLength + trailer.messageLength + ENTRY_TRAILER_BYTES !== bytes.length) return { ok: false, problem: "truncated" };
  const digest = createSpoolDigest();
  digest.update(bytes.subarray(0, bytes.length - ENTRY_TRAILER_BYTES + 8));
  if (!digestsEqual(digest.digest(), trailer.digest)) return { ok: false, problem: "bad-checksum" };
  const header = decodeEntryHeader(bytes.subarray(ENTRY_HEAD_BYTES, ENTRY_HEAD_BYTES + head.metadataLength));
  if (header === undefined) return { ok: false, problem: "bad-metadata" };
  const start = ENTRY_HEAD_BYTES + head.metadataLength;
  const message = bytes.subarray(start, start + trailer.messageLength);
  const counter = createReceivedCounter();
  counter.push(message);
  return { ok: true, metadata: { ...header, size: message.length, hops: counter.count }, message };
}

// ---------------------------------------------------------------------------
// JSON shape checks. The checksum already vouches that we wrote these bytes;
// the checks keep a file from another version (or a bug) from turning into
// an exception deep in the scheduler.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function decodeMailbox(value: unknown): Mailbox | undefined {
  if (!isRecord(value) || typeof value["localPart"] !== "string" || typeof value["domain"] !== "string") return undefined;
  return { localPart: value["localPart"], domain: value["domain"] };
}

const notifyValues: readonly string[] = ["NEVER", "SUCCESS", "FAILURE", "DELAY"];

function decodeRecipient(value: unknown): QueueRecipient | undefined {
  if (!isRecord(value)) return undefined;
  const to = decodeMailbox(value["to"]);
  if (to === undefined) return undefined;
  const recipient: { to: Mailbox; notify?: readonly DsnNotify[]; orcpt?: OriginalRecipient } = { to };
  const notify = value["notify"];
  if (notify !== undefined) {
    if (!Array.isArray(notify) || !notify.every((item) => typeof item === "string" && notifyValues.includes(item))) return undefined;
    recipient.notify = notify as DsnNotify[];
  }
  const orcpt = value["orcpt"];
  if (orcpt !== undefined) {
    if (!isRecord(orcpt) || typeof orcpt["addressType"] !== "string" || typeof orcpt["address"] !== "string") return undefined;
    recipient.orcpt = { addressType: orcpt["addressType"], address: orcpt["address"] };
  }
  return recipient;
}

function decodeEnvelope(value: unknown): QueueEnvelope | undefined {
  if (!isRecord(value)) return undefined;
  const from = value["from"] === null ? null : decodeMailbox(value["from"]);
  if (from === undefined) return undefined;
  const list = value["recipients"];
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const recipients: QueueRecipient[] = [];
  for (const item of list) {
    const recipient = decodeRecipient(item);
    if (recipient === undefined) return undefined;
    recipients.push(recipient);
  }
  const body = value["body"];
  if (body !== "7BIT" && body !== "8BITMIME" && body !== "BINARYMIME") return undefined;
  if (typeof value["smtputf8"] !== "boolean" || typeof value["requireTls"] !== "boolean") return undefined;
  const envelope: {
    from: Mailbox | null;
    recipients: QueueRecipient[];
    body: "7BIT" | "8BITMIME" | "BINARYMIME";
    smtputf8: boolean;
    requireTls: boolean;
    ret?: "FULL" | "HDRS";
    envid?: string;
    authenticatedAs?: string;
  } = { from, recipients, body, smtputf8: value["smtputf8"], requireTls: value["requireTls"] };
  const ret = value["ret"];
  if (ret !== undefined) {
    if (ret !== "FULL" && ret !== "HDRS") return undefined;
    envelope.ret = ret;
  }
  for (const key of ["envid", "authenticatedAs"] as const) {
    const field = value[key];
    if (field === undefined) continue;
    if (typeof field !== "string") return undefined;
    envelope[key] = field;
  }
  return envelope;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * Decodes the metadata JSON of an entry; `undefined` when it is not what this version writes.
 *
 * @internal
 */
export function decodeEntryHeader(bytes: Uint8Array): EntryHeader | undefined {
  const value = parseJson(bytes);
  if (!isRecord(value) || value["format"] !== 1) return undefined;
  const { id, receivedAt } = value;
  if (typeof id !== "string" || !isEntryId(id) || !isCount(receivedAt)) return undefined;
  const envelope = decodeEnvelope(value["envelope"]);
  if (envelope === undefined) return undefined;
  return { id, receivedAt, envelope };
}

/**
 * Whether a name can be an entry id: 1 to 16 base-36 digits, a dash, 8 to 32
 * lower-case hex digits. Ids are file names, so nothing else is ever opened.
 *
 * @internal
 */
export function isEntryId(name: string): boolean {
  const dash = name.indexOf("-");
  if (dash < 1 || dash > 16 || name.length - dash - 1 < 8 || name.length - dash - 1 > 32) return false;
  for (let index = 0; index < name.length; index += 1) {
    if (index === dash) continue;
    const code = name.charCodeAt(index);
    const digit = code >= 0x30 && code <= 0x39;
    const lower = code >= 0x61 && code <= 0x7a;
    if (index < dash ? !(digit || lower) : !(digit || (code >= 0x61 && code <= 0x66))) return false;
  }
  return true;
}

/**
 * Encodes a state file.
 *
 * @internal
 */
export function encodeStateFile(state: EntryState): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ format: 1, ...state }));
  const bytes = new Uint8Array(12 + json.length + DIGEST_BYTES);
  bytes.set(STATE_MAGIC, 0);
  writeUint32(bytes, 8, json.length);
  bytes.set(json, 12);
  const digest = createSpoolDigest();
  digest.update(bytes.subarray(0, 12 + json.length));
  bytes.set(digest.digest(), 12 + json.length);
  return bytes;
}

function decodeReply(value: unknown): StoredReply | undefined {
  if (!isRecord(value) || !isCount(value["code"]) || typeof value["text"] !== "string") return undefined;
  const reply: { code: number; text: string; enhanced?: string; remoteMta?: string } = { code: value["code"], text: value["text"] };
  if (typeof value["enhanced"] === "string") reply.enhanced = value["enhanced"];
  if (typeof value["remoteMta"] === "string") reply.remoteMta = value["remoteMta"];
  return reply;
}

function decodeProgress(value: unknown): RecipientProgress | undefined {
  if (!isRecord(value)) return undefined;
  const { state, attempts, nextAttemptAt, lastAttemptAt, delayNotified } = value;
  if (state !== "pending" && state !== "delivered" && state !== "failed") return undefined;
  if (!isCount(attempts) || !isCount(nextAttemptAt) || typeof delayNotified !== "boolean") return undefined;
  const progress: { state: RecipientState; attempts: number; nextAttemptAt: number; delayNotified: boolean; lastAttemptAt?: number; lastReply?: StoredReply } = {
    state,
    attempts,
    nextAttemptAt,
    delayNotified,
  };
  if (lastAttemptAt !== undefined) {
    if (!isCount(lastAttemptAt)) return undefined;
    progress.lastAttemptAt = lastAttemptAt;
  }
  if (value["lastReply"] !== undefined) {
    const reply = decodeReply(value["lastReply"]);
    if (reply === undefined) return undefined;
    progress.lastReply = reply;
  }
  return progress;
}

/**
 * Validates and decodes a state file.
 *
 * @param bytes - the file's bytes
 * @returns the state, or the problem
 * @example
 * ```ts
 * import { decodeStateFile } from "@smtpkit/queue";
 * const decoded = decodeStateFile(bytes);
 * if (decoded.ok) console.log(decoded.state.recipients.map((recipient) => recipient.state)); // ["pending", "delivered"]
 * ```
 */
export function decodeStateFile(bytes: Uint8Array): { readonly ok: true; readonly state: EntryState } | { readonly ok: false; readonly problem: SpoolFileProblem } {
  if (bytes.length < 12 + DIGEST_BYTES) return { ok: false, problem: "truncated" };
  if (!equalBytes(bytes.subarray(0, 8), STATE_MAGIC)) return { ok: false, problem: "bad-mark" };
  const length = readUint32(bytes, 8);
  if (length > MAX_STATE_BYTES) return { ok: false, problem: "metadata-too-long" };
  if (bytes.length !== 12 + length + DIGEST_BYTES) return { ok: false, problem: "truncated" };
  const digest = createSpoolDigest();
  digest.update(bytes.subarray(0, 12 + length));
  if (!digestsEqual(digest.digest(), bytes.subarray(12 + length))) return { ok: false, problem: "bad-checksum" };
  const value = parseJson(bytes.subarray(12, 12 + length));
  if (!isRecord(value) || value["format"] !== 1 || typeof value["id"] !== "string" || !isCount(value["updatedAt"]) || !Array.isArray(value["recipients"])) {
    return { ok: false, problem: "bad-metadata" };
  }
  const recipients: RecipientProgress[] = [];
  for (const item of value["recipients"]) {
    const progress = decodeProgress(item);
    if (progress === undefined) return { ok: false, problem: "bad-metadata" };
    recipients.push(progress);
  }
  return { ok: true, state: { id: value["id"], updatedAt: value["updatedAt"], recipients } };
}
