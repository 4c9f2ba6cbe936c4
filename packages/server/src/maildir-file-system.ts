/**
 * The file-system calls the Maildir store makes, as a small interface, and
 * its implementation on `node:fs/promises`. The store takes the interface so
 * that tests (and embedders with unusual storage) can put a layer between:
 * one that fails mid-write with ENOSPC, for example.
 *
 * Every method rejects with the Node error (with its `code`, such as
 * `ENOSPC`) on failure; the store maps codes to replies.
 *
 * @module
 */
import { constants } from "node:fs";
import { copyFile, link, lstat, mkdir, open, readdir, rename, unlink } from "node:fs/promises";

/** A file opened for writing by {@link MaildirFileSystem.createExclusive}. */
export interface MaildirFile {
  /**
   * Writes all of `bytes` at the current end of the file.
   *
   * @param bytes - the bytes to write
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes the file's data and metadata to stable storage (`fsync(2)`). */
  sync(): Promise<void>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** An entry of a directory, as {@link MaildirFileSystem.list} returns it. */
export interface MaildirDirectoryEntry {
  /** The entry's name. */
  readonly name: string;
  /** What the entry is; symbolic links are reported as such and never followed. */
  readonly kind: "file" | "directory" | "symlink" | "other";
}

/** The file-system operations the Maildir store needs. */
export interface MaildirFileSystem {
  /**
   * Creates a new file, failing with `EEXIST` if it exists (`O_CREAT|O_EXCL`).
   *
   * @param path - the file to create
   * @param mode - its permission bits
   */
  createExclusive(path: string, mode: number): Promise<MaildirFile>;
  /**
   * Creates a directory and any missing parents.
   *
   * @param path - the directory
   * @param mode - permission bits for directories it creates
   * @returns the first directory it created, or `undefined` if all existed
   */
  makeDirectory(path: string, mode: number): Promise<string | undefined>;
  /**
   * Flushes a directory's entries to stable storage (`fsync(2)` on the directory).
   *
   * @param path - the directory
   */
  syncDirectory(path: string): Promise<void>;
  /**
   * Makes a second name for a file (`link(2)`); fails with `EEXIST` if `to` exists.
   *
   * @param from - the existing name
   * @param to - the new name
   */
  link(from: string, to: string): Promise<void>;
  /**
   * Renames a file (`rename(2)`), used only where hard links are not supported.
   *
   * @param from - the existing name
   * @param to - the new name
   */
  rename(from: string, to: string): Promise<void>;
  /**
   * Copies a file to a new name that must not exist, and syncs the copy.
   *
   * @param from - the source file
   * @param to - the new file
   * @param mode - its permission bits
   */
  copyExclusive(from: string, to: string, mode: number): Promise<void>;
  /**
   * Removes a name (`unlink(2)`).
   *
   * @param path - the name to remove
   */
  remove(path: string): Promise<void>;
  /**
   * Lists a directory without following symbolic links.
   *
   * @param path - the directory
   */
  list(path: string): Promise<readonly MaildirDirectoryEntry[]>;
  /**
   * The modification time of a file, in milliseconds since the epoch, without following symbolic links.
   *
   * @param path - the file
   */
  modifiedAt(path: string): Promise<number>;
}

/**
 * The {@link MaildirFileSystem} on `node:fs/promises`: real `fsync(2)` on
 * files and directories, `link(2)` for the move into `new/`.
 *
 * @returns the file system
 * @example
 * ```ts
 * import { openMaildirStore, nodeMaildirFileSystem } from "@smtpkit/server";
 * const store = await openMaildirStore({ root: "/srv/mail", fileSystem: nodeMaildirFileSystem() });
 * ```
 */
export function nodeMaildirFileSystem(): MaildirFileSystem {
  return {
    async createExclusive(path, mode) {
      const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
      return {
        async write(bytes) {
          let offset = 0;
          while (offset < bytes.length) {
            const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
            offset += bytesWritten;
          }
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
    async makeDirectory(path, mode) {
      return mkdir(path, { recursive: true, mode });
    },
    async syncDirectory(path) {
      const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    link: (from, to) => link(from, to),
    rename: (from, to) => rename(from, to),
    async copyExclusive(from, to, mode) {
      await copyFile(from, to, constants.COPYFILE_EXCL);
      const handle = await open(to, constants.O_WRONLY);
      try {
        await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    remove: (path) => unlink(path),
    async list(path) {
      const entries = await readdir(path, { withFileTypes: true });
      return entries.map((entry) => ({
        name: entry.name,
        kind: entry.isSymbolicLink() ? "symlink" : entry.isFile() ? "file" : entry.isDirectory() ? "directory" : "other",
      }));
    },
    async modifiedAt(path) {
      return (await lstat(path)).mtimeMs;
    },
  };
}
