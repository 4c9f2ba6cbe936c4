/**
 * Writes attachments into a directory for `smtpkit parse --extract`, safely:
 *
 * - every name goes through {@link safeFileName}, and the joined path is
 *   checked to sit directly in the directory, so nothing is written outside it;
 * - an existing file is never replaced without `--force`: files are created
 *   with `O_CREAT | O_EXCL` (`wx`), which also refuses to follow a symbolic
 *   link planted under the name;
 * - with `--force`, bytes go to a fresh temporary file that is renamed over
 *   the name at the end (rename replaces a symbolic link, never its target);
 * - a write that fails half-way removes its file: no truncated attachment
 *   is left under its real name;
 * - two attachments with the same name in one message get `-2`, `-3`... .
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../cli-error.js";
import type { AttachmentSink, PartNode } from "./inspect-message.js";
import { safeFileName } from "./safe-file-name.js";

const extensions: Readonly<Record<string, string>> = {
  "text/plain": "txt",
  "text/html": "html",
  "text/calendar": "ics",
  "text/csv": "csv",
  "message/rfc822": "eml",
  "message/global": "eml",
  "message/delivery-status": "txt",
  "application/pdf": "pdf",
  "application/zip": "zip",
  "application/json": "json",
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/**
 * The name used when an attachment has none (or none that survives cleaning):
 * `part-1-2.pdf` for the part at path `[1, 2]`.
 *
 * @param part - the attachment
 * @returns a safe name from its path and media type
 * @internal
 */
export function fallbackName(part: PartNode): string {
  const where = part.path.length === 0 ? "message" : part.path.join("-");
  return `part-${where}.${extensions[part.info.mediaType] ?? "bin"}`;
}

/** The outcome of one attachment. */
export interface ExtractionResult {
  /** The file written, relative to the current directory's view of `directory`. */
  readonly file: string;
  /** Set when the file could not be written. */
  readonly error?: string;
}

/** Writes attachments into one directory. */
export interface Extractor {
  /** The results so far, by part. */
  readonly results: ReadonlyMap<PartNode, ExtractionResult>;
  /** A sink for a leaf attachment's decoded bytes. */
  open(part: PartNode): Promise<AttachmentSink>;
  /** Writes an attachment whose bytes come from elsewhere (an embedded message's range of the input). */
  write(part: PartNode, chunks: AsyncIterable<Uint8Array>): Promise<void>;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === "EEXIST") return "exists already (use --force to overwrite)";
  if (code === "EISDIR") return "a directory of that name exists";
  if (code === "ENOSPC") return "no space left on the device";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the directory (if needed) and an extractor writing into it.
 *
 * @param directory - where to write, as the user gave it
 * @param force - whether existing files may be replaced
 * @returns the extractor
 * @throws {@link CliError} when the directory cannot be created
 * @internal
 */
export async function createExtractor(directory: string, force: boolean): Promise<Extractor> {
  const root = path.resolve(directory);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create the directory ${directory}: ${describe(error)}`);
  }
  const results = new Map<PartNode, ExtractionResult>();
  const used = new Set<string>();

  const claimName = (part: PartNode): string => {
    const base = safeFileName(part.info.filename ?? "", fallbackName(part));
    const dot = base.lastIndexOf(".");
    const stem = dot > 0 ? base.slice(0, dot) : base;
    const extension = dot > 0 ? base.slice(dot) : "";
    let name = base;
    // Case-insensitive: on macOS and Windows "A.pdf" and "a.pdf" are one file.
    for (let counter = 2; used.has(name.toLowerCase()); counter++) name = `${stem}-${counter}${extension}`;
    used.add(name.toLowerCase());
    return name;
  };

  const target = (name: string): string => {
    const file = path.join(root, name);
    // safeFileName never returns a separator, "." or ".."; this is the last line of defence.
    if (path.dirname(file) !== root) throw new CliError(`refusing to write outside ${directory}: ${name}`);
    return file;
  };

  const open_ = async (part: PartNode): Promise<AttachmentSink> => {
    const name = claimName(part);
    const file = target(name);
    const shown = path.join(directory, name);
    const writing = force ? path.join(root, `.${name}.${randomUUID()}.part`) : file;
    let handle: FileHandle;
    try {
      handle = await open(writing, "wx", 0o666);
    } catch (error) {
      results.set(part, { file: shown, error: describe(error) });
      return { write: async () => undefined, close: async () => undefined, abort: async () => undefined };
    }
    let done = false;
    const discard = async (): Promise<void> => {
      done = true;
      await handle.close().catch(() => undefined);
      await unlink(writing).catch(() => undefined);
    };
    return {
      async write(bytes) {
        if (done) return;
        try {
          await handle.write(bytes);
        } catch (error) {
          await discard();
          results.set(part, { file: shown, error: describe(error) });
          throw new CliError(`cannot write ${shown}: ${describe(error)}`);
        }
      },
      async close() {
        if (done) return;
        done = true;
        try {
          await handle.close();
          if (force) await rename(writing, file);
          results.set(part, { file: shown });
        } catch (error) {
          await unlink(writing).catch(() => undefined);
          results.set(part, { file: shown, error: describe(error) });
        }
      },
      async abort() {
        if (done) return;
        await discard();
        results.set(part, { file: shown, error: "the message could not be read to the end" });
      },
    };
  };

  return {
    results,
    open: open_,
    async write(part, chunks) {
      const sink = await open_(part);
      try {
        for await (const chunk of chunks) await sink.write(chunk);
      } catch (error) {
        await sink.abort();
        throw error;
      }
      await sink.close();
    },
  };
}
