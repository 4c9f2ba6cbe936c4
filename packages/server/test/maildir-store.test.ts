import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Situations } from "@smtpkit/codes";
import {
  DEFAULT_STALE_TMP_AGE_MILLISECONDS,
  defaultMailboxPath,
  escapeMaildirHostname,
  formatReceived,
  nodeMaildirFileSystem,
  openMaildirStore,
  ServerUsageError,
  uniqueMaildirName,
  type MaildirFile,
  type MaildirFileSystem,
  type MaildirStoreOptions,
  type MailboxAddress,
} from "@smtpkit/server";

const encoder = new TextEncoder();
let sandbox: string;
let root: string;

beforeEach(async () => {
  sandbox = await mkdtemp(join(tmpdir(), "smtpkit-maildir-"));
  root = join(sandbox, "mail");
});
afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield encoder.encode(part);
}

const bob: MailboxAddress = { localPart: "bob", domain: "example.org" };
const carol: MailboxAddress = { localPart: "Carol", domain: "Example.ORG" };
const message = "Subject: hello\r\nFrom: alice@example.net\r\n\r\nHi Bob.\r\n.. a dotted line\r\n";

async function listing(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).sort();
  } catch {
    return [];
  }
}

// Every file under a directory, relative to it.
async function allFiles(directory: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(directory, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

function open(overrides: Partial<MaildirStoreOptions> = {}) {
  return openMaildirStore({ root, hostname: "mx.example.org", ...overrides });
}

describe("delivery", () => {
  it("writes Return-Path, the trace headers and the message into new/ only, named by the Maildir spec", async () => {
    const store = await open();
    const received = formatReceived({
      from: { helo: "client.example", address: "192.0.2.1" },
      by: "mx.example.org",
      protocol: "ESMTP",
      for: "bob@example.org",
      time: new Date(Date.UTC(2026, 10, 29, 13, 0, 0)),
    });
    if (!received.ok) throw new Error("header");
    const result = await store.deliver({
      recipients: [bob],
      reversePath: "alice@example.net",
      traceHeaders: received.header,
      content: chunks(message.slice(0, 10), message.slice(10)),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const mailbox = join(root, "example.org", "bob");
    const names = await listing(join(mailbox, "new"));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^\d+\.M\d+P\d+Q\d+R[0-9a-f]+\.mx\.example\.org,S=\d+$/);
    expect(await listing(join(mailbox, "tmp"))).toEqual([]);
    expect(await listing(join(mailbox, "cur"))).toEqual([]);
    const stored = await readFile(join(mailbox, "new", names[0] ?? ""), "utf8");
    expect(stored).toBe(`Return-Path: <alice@example.net>\r\n${received.header}${message}`);
    expect(result.size).toBe(Buffer.byteLength(stored));
    expect(names[0]?.endsWith(`,S=${result.size}`)).toBe(true);
    expect(result.files).toEqual([join(mailbox, "new", names[0] ?? "")]);
    expect((await stat(result.files[0] ?? "")).mode & 0o777).toBe(0o600);
  });

  it("hard-links one file into every recipient's new/, once per mailbox", async () => {
    const store = await open();
    const result = await store.deliver({
      recipients: [bob, carol, { localPart: "BOB", domain: "EXAMPLE.org" }],
      reversePath: "",
      content: chunks(message),
    });
    expect(result.ok && result.files.length).toBe(2);
    if (!result.ok) return;
    const [first, second] = await Promise.all(result.files.map((file) => stat(file)));
    expect(first?.ino).toBe(second?.ino);
    expect(first?.nlink).toBe(2);
    expect(await readFile(result.files[1] ?? "", "utf8")).toBe(`Return-Path: <>\r\n${message}`);
    expect(await listing(join(root, "example.org"))).toEqual(["bob", "carol"]);
  });

  it("streams: the file grows while the content is still arriving", async () => {
    const store = await open();
    const block = new Uint8Array(64 * 1024).fill(0x61);
    let sizeSeenMidway = -1;
    async function* large(): AsyncGenerator<Uint8Array> {
      for (let index = 0; index < 64; index += 1) {
        if (index === 32) {
          const tmp = join(root, "example.org", "bob", "tmp");
          const [name] = await readdir(tmp);
          sizeSeenMidway = (await stat(join(tmp, name ?? ""))).size;
        }
        yield block;
      }
    }
    const result = await store.deliver({ recipients: [bob], reversePath: "a@b.example", content: large() });
    expect(result.ok && result.size).toBe(64 * 64 * 1024 + "Return-Path: <a@b.example>\r\n".length);
    expect(sizeSeenMidway).toBeGreaterThan(16 * 64 * 1024);
  });

  it("gives concurrent deliveries unique names", async () => {
    const store = await open({ now: () => 1_795_000_000_000 });
    const other = await open({ now: () => 1_795_000_000_000 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 === 0 ? store : other).deliver({ recipients: [bob], reversePath: "", content: chunks(`${index}\r\n`) }),
      ),
    );
    const ids = results.map((result) => (result.ok ? result.id : "failed"));
    expect(new Set(ids).size).toBe(40);
    expect(await listing(join(root, "example.org", "bob", "new"))).toHaveLength(40);
  });

  it("refuses a recipient with no safe mailbox before writing anything", async () => {
    const store = await open();
    const evil = { localPart: "../../etc", domain: "example.org" };
    const result = await store.deliver({ recipients: [bob, evil], reversePath: "", content: chunks(message) });
    expect(result).toMatchObject({ ok: false, reason: "mailbox-name-not-allowed", recipient: evil, situation: Situations.MailboxNameNotAllowed });
    expect(await allFiles(root)).toEqual([]);
  });

  it("reports a failing content source and leaves nothing behind", async () => {
    const store = await open();
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield encoder.encode("Subject: x\r\n");
      throw new Error("client went away");
    }
    const result = await store.deliver({ recipients: [bob], reversePath: "", content: broken() });
    expect(result).toMatchObject({ ok: false, reason: "content-failed", situation: Situations.LocalError });
    expect(await allFiles(root)).toEqual([]);
  });

  it("throws a usage error for no recipients or malformed trace headers", async () => {
    const store = await open();
    await expect(store.deliver({ recipients: [], reversePath: "", content: chunks("") })).rejects.toThrow(ServerUsageError);
    for (const traceHeaders of ["Received: x", "Received: x\nX: y\r\n", "Received: x\r\n\r\n", " folded\r\n", "A: \u0000\r\n"]) {
      await expect(store.deliver({ recipients: [bob], reversePath: "", traceHeaders, content: chunks("") })).rejects.toThrow(ServerUsageError);
    }
  });

  it("validates its options", async () => {
    await expect(open({ staleTmpAgeMilliseconds: 0 })).rejects.toThrow(ServerUsageError);
    await expect(open({ fileMode: 0o1777 })).rejects.toThrow(ServerUsageError);
    for (const knownMailboxes of [-1, 1.5, Number.NaN, 10_000_001]) {
      await expect(open({ knownMailboxes })).rejects.toThrow(ServerUsageError);
    }
    await expect(openMaildirStore({ root: "" })).rejects.toThrow(ServerUsageError);
  });
});

// --- File-system calls per delivery --------------------------------------------

/** The node:fs layer, counting each call by name (directory syncs by the directory's last segment). */
function counting(): { fileSystem: MaildirFileSystem; calls: Map<string, number>; reset(): void } {
  const real = nodeMaildirFileSystem();
  const calls = new Map<string, number>();
  const count = (name: string): void => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
  };
  const fileSystem: MaildirFileSystem = {
    async createExclusive(path, mode) {
      count("createExclusive");
      const file = await real.createExclusive(path, mode);
      return {
        write: (bytes) => (count("write"), file.write(bytes)),
        sync: () => (count("sync"), file.sync()),
        close: () => (count("close"), file.close()),
      };
    },
    makeDirectory: (path, mode) => (count("makeDirectory"), real.makeDirectory(path, mode)),
    syncDirectory: (path) => (count(`syncDirectory ${path.split(sep).at(-1) ?? ""}`), real.syncDirectory(path)),
    link: (from, to) => (count("link"), real.link(from, to)),
    rename: (from, to) => (count("rename"), real.rename(from, to)),
    copyExclusive: (from, to, mode) => (count("copyExclusive"), real.copyExclusive(from, to, mode)),
    remove: (path) => (count("remove"), real.remove(path)),
    list: (path) => (count("list"), real.list(path)),
    modifiedAt: (path) => (count("modifiedAt"), real.modifiedAt(path)),
  };
  return { fileSystem, calls, reset: () => calls.clear() };
}

describe("chunking never matters", () => {
  it("any split of any content (across the write block's growth and flushes) stores the same bytes (property)", async () => {
    const store = await open({ cleanAtOpen: false });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 150_000 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 255 }),
        async (length, cuts, seed) => {
          const content = Uint8Array.from({ length }, (_, index) => (index * 31 + seed) % 251);
          const pieces: Uint8Array[] = [];
          for (let offset = 0, turn = 0; offset < length; turn += 1) {
            const size = cuts[turn % cuts.length] as number;
            pieces.push(content.subarray(offset, offset + size));
            offset += size;
          }
          const result = await store.deliver({
            recipients: [bob],
            reversePath: "a@b.example",
            content: (async function* () {
              yield* pieces;
            })(),
          });
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          const head = encoder.encode("Return-Path: <a@b.example>\r\n");
          expect(result.size).toBe(head.length + length);
          const stored = await readFile(result.files[0] ?? "");
          expect(Buffer.compare(stored.subarray(0, head.length), Buffer.from(head))).toBe(0);
          expect(Buffer.compare(stored.subarray(head.length), Buffer.from(content))).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("file-system calls per delivery", () => {
  it("a small message to a known mailbox: one create, one write, two syncs, one close, one rename, nothing else", async () => {
    const layer = counting();
    const store = await open({ fileSystem: layer.fileSystem, cleanAtOpen: false });
    expect((await store.deliver({ recipients: [bob], reversePath: "a@b.example", traceHeaders: "Received: from x by y; Sun, 29 Nov 2026 12:00:00 +0000\r\n", content: chunks(message) })).ok).toBe(true);
    layer.reset();
    const result = await store.deliver({ recipients: [bob], reversePath: "a@b.example", content: chunks("Subject: two\r\n\r\n", "body\r\n") });
    expect(result.ok).toBe(true);
    expect(Object.fromEntries(layer.calls)).toEqual({ createExclusive: 1, write: 1, sync: 1, close: 1, rename: 1, "syncDirectory new": 1 });
    // The one file in new/ holds everything, and tmp/ is empty.
    if (!result.ok) return;
    expect(await readFile(result.files[0] ?? "", "utf8")).toBe("Return-Path: <a@b.example>\r\nSubject: two\r\n\r\nbody\r\n");
    expect(await listing(join(root, "example.org", "bob", "tmp"))).toEqual([]);
  });

  it("a new mailbox is made (and its entries synced up to the root) once, then remembered", async () => {
    const layer = counting();
    const store = await open({ fileSystem: layer.fileSystem, cleanAtOpen: false });
    layer.reset();
    await store.deliver({ recipients: [bob], reversePath: "", content: chunks(message) });
    expect(layer.calls.get("makeDirectory")).toBe(3);
    expect(layer.calls.get("syncDirectory bob")).toBe(1);
    layer.reset();
    await store.deliver({ recipients: [bob, carol], reversePath: "", content: chunks(message) });
    // Only carol's mailbox is new; bob's is remembered.
    expect(layer.calls.get("makeDirectory")).toBe(3);
    expect(layer.calls.get("syncDirectory carol")).toBe(1);
    expect(layer.calls.get("syncDirectory bob")).toBeUndefined();
    expect(layer.calls.get("link")).toBe(1);
    expect(layer.calls.get("rename")).toBe(2);
  });

  it("knownMailboxes: 0 checks the directories on every delivery", async () => {
    const layer = counting();
    const store = await open({ fileSystem: layer.fileSystem, cleanAtOpen: false, knownMailboxes: 0 });
    await store.deliver({ recipients: [bob], reversePath: "", content: chunks(message) });
    layer.reset();
    await store.deliver({ recipients: [bob], reversePath: "", content: chunks(message) });
    expect(layer.calls.get("makeDirectory")).toBe(3);
  });

  it("a remembered mailbox removed behind the store's back is made again, and the delivery succeeds", async () => {
    const store = await open();
    expect((await store.deliver({ recipients: [bob], reversePath: "", content: chunks(message) })).ok).toBe(true);
    await rm(join(root, "example.org", "bob"), { recursive: true, force: true });
    const result = await store.deliver({ recipients: [carol, bob], reversePath: "", content: chunks(message) });
    expect(result.ok).toBe(true);
    expect(await listing(join(root, "example.org", "bob", "new"))).toHaveLength(1);
    await rm(join(root, "example.org", "bob"), { recursive: true, force: true });
    expect((await store.deliver({ recipients: [bob], reversePath: "", content: chunks(message) })).ok).toBe(true);
    expect(await listing(join(root, "example.org", "bob", "cur"))).toEqual([]);
  });

  it("a bounded memory of mailboxes: past the limit it starts over, and every delivery still lands", async () => {
    const layer = counting();
    const store = await open({ fileSystem: layer.fileSystem, cleanAtOpen: false, knownMailboxes: 2 });
    layer.reset();
    const users = ["u1", "u2", "u3", "u1"].map((localPart) => ({ localPart, domain: "example.org" }));
    for (const user of users) expect((await store.deliver({ recipients: [user], reversePath: "", content: chunks(message) })).ok).toBe(true);
    // u1, u2 remembered; u3 clears the memory; u1 is checked again.
    expect(layer.calls.get("makeDirectory")).toBe(12);
  });
});

// --- Failures through a fake file-system layer --------------------------------

type Fault = { readonly at: "write" | "sync" | "move-new" | "link-tmp" | "sync-directory"; readonly code: string; readonly afterBytes?: number };

function faulty(fault: Fault): MaildirFileSystem {
  const real = nodeMaildirFileSystem();
  const fail = (): never => {
    throw Object.assign(new Error(`simulated ${fault.code}`), { code: fault.code });
  };
  return {
    ...real,
    async createExclusive(path, mode) {
      const file = await real.createExclusive(path, mode);
      let written = 0;
      const wrapped: MaildirFile = {
        async write(bytes) {
          if (fault.at === "write" && written + bytes.length > (fault.afterBytes ?? 0)) {
            // A partial write, then the error, as a full disk does.
            const room = Math.max(0, (fault.afterBytes ?? 0) - written);
            await file.write(bytes.subarray(0, room));
            written += room;
            fail();
          }
          written += bytes.length;
          await file.write(bytes);
        },
        async sync() {
          if (fault.at === "sync") fail();
          await file.sync();
        },
        close: () => file.close(),
      };
      return wrapped;
    },
    async link(from, to) {
      if (fault.at === "link-tmp" && relative(root, to).includes(`${sep}tmp${sep}`)) fail();
      await real.link(from, to);
    },
    async rename(from, to) {
      if (fault.at === "move-new" && to.includes(`${sep}new${sep}`) && to.includes(`${sep}carol${sep}`)) fail();
      await real.rename(from, to);
    },
    async syncDirectory(path) {
      if (fault.at === "sync-directory" && path.endsWith(`${sep}new`)) fail();
      await real.syncDirectory(path);
    },
  };
}

describe("durability: a failed store is never a success and leaves nothing in new/", () => {
  it.each([
    [{ at: "write", code: "ENOSPC", afterBytes: 100 }, "insufficient-storage", Situations.InsufficientStorage],
    [{ at: "write", code: "EDQUOT", afterBytes: 0 }, "insufficient-storage", Situations.InsufficientStorage],
    [{ at: "write", code: "EFBIG", afterBytes: 70_000 }, "insufficient-storage", Situations.InsufficientStorage],
    [{ at: "write", code: "EIO", afterBytes: 10 }, "storage-failed", Situations.StorageFailed],
    [{ at: "sync", code: "EIO" }, "storage-failed", Situations.StorageFailed],
    [{ at: "move-new", code: "EIO" }, "storage-failed", Situations.StorageFailed],
    [{ at: "sync-directory", code: "ENOSPC" }, "insufficient-storage", Situations.InsufficientStorage],
  ] as const)("%o → %s", async (fault, reason, situation) => {
    const store = await open({ fileSystem: faulty(fault) });
    const big = "x".repeat(200_000);
    const result = await store.deliver({ recipients: [bob, carol], reversePath: "a@b.example", content: chunks(message, big) });
    expect(result).toMatchObject({ ok: false, reason, situation });
    expect(situation.code === 451 || situation.code === 452).toBe(true);
    for (const user of ["bob", "carol"]) {
      expect(await listing(join(root, "example.org", user, "new"))).toEqual([]);
      expect(await listing(join(root, "example.org", user, "tmp"))).toEqual([]);
    }
  });

  it("a real file-size limit (ulimit -f) gives EFBIG, answered 452 4.3.1, with nothing left behind", async () => {
    // A child process with RLIMIT_FSIZE of 16 KiB that ignores SIGXFSZ, so write(2) fails with EFBIG.
    const script = join(sandbox, "deliver.mjs");
    const entry = new URL("../dist/index.js", import.meta.url).href;
    await writeFile(
      script,
      `process.on("SIGXFSZ", () => {});
const { openMaildirStore } = await import(${JSON.stringify(entry)});
const store = await openMaildirStore({ root: process.argv[2], hostname: "mx" });
const block = new Uint8Array(4096).fill(0x61);
const result = await store.deliver({ recipients: [{ localPart: "bob", domain: "example.org" }], reversePath: "",
  content: (async function* () { for (let index = 0; index < 64; index += 1) yield block; })() });
console.log(JSON.stringify({ ok: result.ok, reason: result.reason, code: result.situation?.code, enhanced: result.situation?.enhanced }));
`,
    );
    const { stdout } = await promisify(execFile)("bash", ["-c", 'ulimit -f 16; exec "$0" "$1" "$2"', process.execPath, script, root]);
    expect(JSON.parse(stdout)).toEqual({ ok: false, reason: "insufficient-storage", code: 452, enhanced: "4.3.1" });
    expect(await listing(join(root, "example.org", "bob", "new"))).toEqual([]);
    expect(await listing(join(root, "example.org", "bob", "tmp"))).toEqual([]);
  });

  it("copies (and syncs) when a hard link crosses file systems", async () => {
    const store = await open({ fileSystem: faulty({ at: "link-tmp", code: "EXDEV" }) });
    const result = await store.deliver({ recipients: [bob, carol], reversePath: "", content: chunks(message) });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [first, second] = await Promise.all(result.files.map((file) => stat(file)));
    expect(first?.ino).not.toBe(second?.ino);
    expect(await readFile(result.files[1] ?? "", "utf8")).toBe(`Return-Path: <>\r\n${message}`);
  });
});

describe("the node:fs layer", () => {
  it("creates exclusively, copies exclusively with the mode, and syncs directories", async () => {
    const fileSystem = nodeMaildirFileSystem();
    await mkdir(sandbox, { recursive: true });
    const path = join(sandbox, "a");
    const file = await fileSystem.createExclusive(path, 0o600);
    await file.write(encoder.encode("hello"));
    await file.sync();
    await file.close();
    await expect(fileSystem.createExclusive(path, 0o600)).rejects.toMatchObject({ code: "EEXIST" });
    await fileSystem.copyExclusive(path, join(sandbox, "b"), 0o640);
    expect((await stat(join(sandbox, "b"))).mode & 0o777).toBe(0o640);
    await expect(fileSystem.copyExclusive(path, join(sandbox, "b"), 0o600)).rejects.toMatchObject({ code: "EEXIST" });
    await expect(fileSystem.link(path, join(sandbox, "b"))).rejects.toMatchObject({ code: "EEXIST" });
    await fileSystem.syncDirectory(sandbox);
    expect(await fileSystem.makeDirectory(join(sandbox, "x", "y"), 0o700)).toBe(join(sandbox, "x"));
    expect(await fileSystem.makeDirectory(join(sandbox, "x", "y"), 0o700)).toBeUndefined();
    const kinds = Object.fromEntries((await fileSystem.list(sandbox)).map((entry) => [entry.name, entry.kind]));
    expect(kinds).toMatchObject({ a: "file", b: "file", x: "directory" });
  });
});

describe("stale tmp/ files", () => {
  it("removes tmp/ files older than 36 hours at open and keeps fresh ones and symlinks", async () => {
    const tmp = join(root, "example.org", "bob", "tmp");
    for (const child of ["tmp", "new", "cur"]) await mkdir(join(root, "example.org", "bob", child), { recursive: true });
    const now = Date.now();
    await writeFile(join(tmp, "old"), "x");
    await utimes(join(tmp, "old"), new Date(now - DEFAULT_STALE_TMP_AGE_MILLISECONDS - 60_000), new Date(now - DEFAULT_STALE_TMP_AGE_MILLISECONDS - 60_000));
    await writeFile(join(tmp, "fresh"), "x");
    await writeFile(join(sandbox, "outside"), "x");
    await utimes(join(sandbox, "outside"), new Date(0), new Date(0));
    await symlink(join(sandbox, "outside"), join(tmp, "link"));
    await open();
    expect(await listing(tmp)).toEqual(["fresh", "link"]);
    expect(await listing(sandbox)).toContain("outside");
  });

  it("cleans Maildir++ folders inside a mailbox too, and nothing outside tmp/", async () => {
    const mailbox = join(root, "example.org", "bob");
    const folder = join(mailbox, ".Sent");
    for (const base of [mailbox, folder]) for (const child of ["tmp", "new", "cur"]) await mkdir(join(base, child), { recursive: true });
    const old = new Date(Date.now() - DEFAULT_STALE_TMP_AGE_MILLISECONDS - 60_000);
    for (const file of [join(folder, "tmp", "stale"), join(folder, "new", "old-but-delivered"), join(mailbox, "cur", "read")]) {
      await writeFile(file, "x");
      await utimes(file, old, old);
    }
    const store = await open({ cleanAtOpen: false });
    expect(await store.cleanStaleTemporaryFiles()).toEqual({ removed: 1, errors: 0 });
    expect(await listing(join(folder, "new"))).toEqual(["old-but-delivered"]);
    expect(await listing(join(mailbox, "cur"))).toEqual(["read"]);
  });

  it("honours a configured age", async () => {
    const store = await open({ staleTmpAgeMilliseconds: 1000, cleanAtOpen: false });
    const tmp = join(root, "example.org", "bob", "tmp");
    for (const child of ["tmp", "new", "cur"]) await mkdir(join(root, "example.org", "bob", child), { recursive: true });
    await writeFile(join(tmp, "two-seconds-old"), "x");
    await utimes(join(tmp, "two-seconds-old"), new Date(Date.now() - 2000), new Date(Date.now() - 2000));
    expect(await store.cleanStaleTemporaryFiles()).toEqual({ removed: 1, errors: 0 });
  });
});

describe("mailbox names", () => {
  it.each([
    [{ localPart: "..", domain: "example.org" }, "dot-segment"],
    [{ localPart: ".hidden", domain: "example.org" }, "leading-dot"],
    [{ localPart: "a/b", domain: "example.org" }, "separator"],
    [{ localPart: "a\\b", domain: "example.org" }, "separator"],
    [{ localPart: "a\u0000b", domain: "example.org" }, "control-character"],
    [{ localPart: "a\u0085b", domain: "example.org" }, "control-character"],
    [{ localPart: "a\nb", domain: "example.org" }, "control-character"],
    [{ localPart: "", domain: "example.org" }, "empty"],
    [{ localPart: "a".repeat(256), domain: "example.org" }, "too-long"],
    [{ localPart: "bob", domain: "[192.0.2.1]" }, "address-literal"],
    [{ localPart: "bob", domain: ".." }, "invalid-domain"],
    [{ localPart: "Postmaster", domain: "" }, "invalid-domain"],
  ])("refuses %o (%s)", (recipient, problem) => {
    expect(defaultMailboxPath(recipient)).toEqual({ ok: false, problem });
  });

  it("folds ASCII case by default, preserves on request, and uses A-labels", () => {
    expect(defaultMailboxPath({ localPart: "Bob.Smith", domain: "Bücher.example" })).toEqual({ ok: true, segments: ["xn--bcher-kva.example", "bob.smith"] });
    expect(defaultMailboxPath({ localPart: "Bob", domain: "x.example" }, { localPartCase: "preserve" })).toEqual({ ok: true, segments: ["x.example", "Bob"] });
    expect(defaultMailboxPath({ localPart: "Ölaf", domain: "x.example" })).toEqual({ ok: true, segments: ["x.example", "Ölaf"] });
    expect(defaultMailboxPath({ localPart: "Postmaster", domain: "" }, { postmasterDomain: "x.example" })).toEqual({ ok: true, segments: ["x.example", "postmaster"] });
  });

  it("never maps a hostile recipient outside the root (property)", async () => {
    const store = await open({ cleanAtOpen: false });
    const hostile = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.array(fc.constantFrom("..", ".", "/", "\\", "\u0000", "a", "%2e", "\u2024", "\uff0e", "\u0085"), { maxLength: 8 }).map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(hostile, hostile, (localPart, domain) => {
        const mapped = store.mailboxDirectory({ localPart, domain });
        if (!mapped.ok) return;
        const inside = relative(store.root, mapped.path);
        expect(inside.startsWith("..")).toBe(false);
        expect(inside.split(sep)).toHaveLength(2);
      }),
      { numRuns: 400 },
    );
    // A custom mapping is checked too.
    const custom = await open({ cleanAtOpen: false, mailboxPath: (recipient) => ({ ok: true, segments: ["..", recipient.localPart] }) });
    expect(custom.mailboxDirectory(bob)).toEqual({ ok: false, problem: "dot-segment" });
  });

  it("delivers hostile recipients only inside the root, on disk (property)", async () => {
    const store = await open({ cleanAtOpen: false });
    const names = fc.array(fc.constantFrom("..", ".", "/", "a", "B", "\u0000", "%", "ü", "\\"), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(""));
    await fc.assert(
      fc.asyncProperty(names, async (localPart) => {
        await store.deliver({ recipients: [{ localPart, domain: "example.org" }], reversePath: "", content: chunks("x\r\n") });
        expect(await listing(sandbox)).toEqual(["mail"]);
      }),
      { numRuns: 60 },
    );
    for (const file of await allFiles(root)) expect(file.split(sep)[0]).toBe("example.org");
  });
});

describe("unique names", () => {
  it("escape / , and : in the host name", () => {
    expect(escapeMaildirHostname("a/b:c,d")).toBe("a\\057b\\072c\\054d");
    const name = uniqueMaildirName({ time: 1_795_000_000_250, processId: 7, counter: 3, random: "ab", hostname: "h:1" });
    expect(name).toBe("1795000000.M250000P7Q3Rab.h\\0721");
  });

  it("never contain / or : whatever the host name (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (hostname, counter) => {
        const name = uniqueMaildirName({ time: 1_795_000_000_000, processId: 1, counter, random: "00", hostname });
        expect(name.includes("/") || name.includes(":") || name.slice(name.indexOf(".", 11)).includes(",")).toBe(false);
      }),
    );
  });
});
