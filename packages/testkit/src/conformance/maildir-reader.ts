/**
 * A `readStored` for servers that deliver into a Maildir (Postfix's
 * `virtual(8)`, `smtpkit serve`, Dovecot's layout): it finds the message by
 * the `Message-ID` the runner put in it. Node only: `node:fs/promises` is
 * loaded with a dynamic `import()` on first use, so importing the package
 * elsewhere never loads it.
 *
 * @module
 */
import { ConformanceError } from "./conformance-error.js";
import type { ReadStored } from "./probe-context.js";

/** Options of {@link maildirReader}. */
export interface MaildirReaderOptions {
  /** How long to wait for a message to appear (delivery may be asynchronous), in milliseconds. Default 5 000. */
  readonly timeoutMs?: number;
  /** How often to look again, in milliseconds. Default 100. */
  readonly pollMs?: number;
}

/** The deepest folder searched below the root (`root/domain/user/new` is 3). */
const MAX_DEPTH = 4;
/** The most files looked at per search: a bound for huge mail stores. */
const MAX_FILES = 20_000;
/** Only the start of a file is read to find its Message-ID. */
const HEAD_OCTETS = 16_384;

/**
 * Whether the message's own header block (not an embedded one: a delivery
 * report quotes the original headers in its body) has this Message-ID.
 */
function hasMessageId(head: string, needle: string): boolean {
  const lf = head.indexOf("\n\n");
  const crlf = head.indexOf("\r\n\r\n");
  const end = lf < 0 ? crlf : crlf < 0 ? lf : Math.min(lf, crlf);
  const header = (end < 0 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  for (const line of header.split(/\r?\n/)) {
    if (line.length > 11 && line.slice(0, 11).toLowerCase() === "message-id:" && line.slice(11).trim() === needle) return true;
  }
  return false;
}

/**
 * A `readStored` that searches the `new/` and `cur/` folders under `root`
 * (any depth up to 4) for the message with the runner's Message-ID.
 *
 * @param root - a Maildir, or a folder of Maildirs
 * @param options - how long to wait for delivery
 * @returns the reader, for `runConformance({ readStored })`
 * @throws {@link ConformanceError} (`invalid-argument`) for an empty path or bad timing values
 * @example
 * ```ts
 * import { maildirReader, runConformance } from "@smtpkit/testkit";
 * await runConformance({ host: "127.0.0.1", port: 2525, readStored: maildirReader("./maildir") });
 * ```
 */
export function maildirReader(root: string, options: MaildirReaderOptions = {}): ReadStored {
  if (typeof root !== "string" || root === "") throw new ConformanceError("invalid-argument", "the Maildir path must be a non-empty string");
  const timeoutMs = options.timeoutMs ?? 5000;
  const pollMs = options.pollMs ?? 100;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 600_000) throw new ConformanceError("invalid-argument", `timeoutMs must be an integer 0-600000, got ${String(timeoutMs)}`);
  if (!Number.isInteger(pollMs) || pollMs < 1 || pollMs > 60_000) throw new ConformanceError("invalid-argument", `pollMs must be an integer 1-60000, got ${String(pollMs)}`);
  return async ({ messageId }) => {
    const fs = await import("node:fs/promises");
    const path = await import("node:path");
    const needle = `<${messageId}>`;
    const search = async (): Promise<Uint8Array | undefined> => {
      let files = 0;
      const walk = async (folder: string, depth: number): Promise<Uint8Array | undefined> => {
        let entries: { name: string; isDirectory(): boolean; isFile(): boolean }[];
        try {
          entries = await fs.readdir(folder, { withFileTypes: true });
        } catch {
          return undefined;
        }
        const leaf = path.basename(folder);
        for (const entry of entries) {
          const full = path.join(folder, entry.name);
          if (entry.isFile() && (leaf === "new" || leaf === "cur")) {
            files += 1;
            if (files > MAX_FILES) return undefined;
            const handle = await fs.open(full, "r").catch(() => undefined);
            if (handle === undefined) continue;
            try {
              const head = new Uint8Array(HEAD_OCTETS);
              const { bytesRead } = await handle.read(head, 0, HEAD_OCTETS, 0);
              if (hasMessageId(new TextDecoder("latin1").decode(head.subarray(0, bytesRead)), needle)) {
                return new Uint8Array(await handle.readFile());
              }
            } finally {
              await handle.close();
            }
          } else if (entry.isDirectory() && depth < MAX_DEPTH) {
            const found = await walk(full, depth + 1);
            if (found !== undefined) return found;
          }
        }
        return undefined;
      };
      return walk(root, 0);
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await search();
      if (found !== undefined || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
}
