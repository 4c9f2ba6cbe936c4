// Recovery after a crash at each stage of a write (files as a crash leaves them), damage found while sending,
// a big message streamed through, and the default DSN notifier closing the loop to the sender.
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeEntryFile, ENTRY_TRAILER_BYTES, openQueue, readQueue, type QueueLogEvent, type QueueOptions, type RelayQueue } from "@smtpkit/queue";
import { bytes, envelopeTo, ManualClock, mapResolver, scratch, startReceiver } from "./queue-helpers.js";

const MESSAGE = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: recovery\r\n\r\nStill here.\r\n";
const resolver = () =>
  mapResolver({
    mx: { "example.org": [{ exchange: "mx.example.org", priority: 10 }], "example.com": [{ exchange: "mx.example.org", priority: 10 }] },
    a: { "mx.example.org": ["127.0.0.1"] },
  });

let root: { directory: string; remove: () => Promise<void> };
let count = 0;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  root = await scratch();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await root.remove();
});

async function open(directory: string, options: Partial<QueueOptions> = {}): Promise<{ queue: RelayQueue; events: QueueLogEvent[] }> {
  const events: QueueLogEvent[] = [];
  const queue = await openQueue({
    directory,
    hostname: "mta.example.com",
    clock: new ManualClock(),
    resolver: resolver(),
    retry: { delays: [10_000], giveUpAfter: 60_000, delayWarningAfter: null },
    logger: (event) => events.push(event),
    ...options,
  });
  cleanups.push(() => queue.close());
  return { queue, events };
}

/** A spool holding one complete entry (not yet attempted), and that entry's file bytes. */
async function spoolWithEntry(recipients = ["bob@example.org"]): Promise<{ directory: string; id: string; file: Buffer }> {
  const directory = join(root.directory, `spool-${(count += 1)}`);
  const { queue } = await open(directory);
  const result = await queue.enqueue(envelopeTo(...recipients), bytes(MESSAGE));
  await queue.close();
  if (!result.ok) throw new Error("enqueue failed");
  return { directory, id: result.id, file: await readFile(join(directory, "entries", result.id)) };
}

describe("recovery at each crash point of a write", () => {
  it("killed while writing (only a partial file in tmp/): never acknowledged, removed, nothing delivered", async () => {
    const { directory, id, file } = await spoolWithEntry();
    await rename(join(directory, "entries", id), join(directory, "tmp", id));
    await writeFile(join(directory, "tmp", id), file.subarray(0, Math.floor(file.length / 2)));
    const { queue, events } = await open(directory);
    expect(queue.list()).toEqual([]);
    expect(await readdir(join(directory, "tmp"))).toEqual([]);
    expect(events.find((event) => event.type === "queue-recovered")).toMatchObject({ entries: 0, removedTemporary: 1 });
  });

  it("killed after the fsync, before the rename (a whole file in tmp/): not acknowledged, removed", async () => {
    const { directory, id } = await spoolWithEntry();
    await rename(join(directory, "entries", id), join(directory, "tmp", id));
    const { queue } = await open(directory);
    expect(queue.list()).toEqual([]);
  });

  it("killed after the rename (complete entry, no state file): every recipient pending, delivered on start", async () => {
    const { directory, id } = await spoolWithEntry(["bob@example.org", "carol@example.org"]);
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue } = await open(directory, { port: b.port });
    expect(queue.list().map((entry) => [entry.id, entry.recipients.map((recipient) => recipient.state)])).toEqual([[id, ["pending", "pending"]]]);
    queue.start();
    await queue.idle();
    expect(b.received.map((message) => [message.to, message.content])).toEqual([[["bob@example.org", "carol@example.org"], MESSAGE]]);
  });

  it("a state file whose entry is gone (killed while removing a finished entry) is cleaned up", async () => {
    const { directory, id } = await spoolWithEntry();
    const b = await startReceiver({
      async onRcptTo() {
        return { type: "reject", situation: "MailboxBusy" };
      },
    });
    cleanups.push(b.close);
    const first = await open(directory, { port: b.port, notifier: null });
    first.queue.start();
    await first.queue.idle();
    await first.queue.close();
    expect(await readdir(join(directory, "state"))).toEqual([id]);
    // The entry file was removed first, then the crash: only the state is left.
    await rename(join(directory, "entries", id), join(root.directory, `removed-${id}`));
    const second = await open(directory);
    expect(second.queue.list()).toEqual([]);
    expect(await readdir(join(directory, "state"))).toEqual([]);
  });

  it("a damaged state file means nothing is known: every recipient is pending again (a duplicate, never a loss)", async () => {
    const { directory, id } = await spoolWithEntry(["bob@example.org", "later@example.org"]);
    const b = await startReceiver({
      async onRcptTo(request) {
        return request.to.localPart === "later" ? { type: "reject", situation: "MailboxBusy" } : undefined;
      },
    });
    cleanups.push(b.close);
    // First run: bob delivered, later pending.
    const first = await open(directory, { port: b.port, notifier: null });
    first.queue.start();
    await first.queue.idle();
    await first.queue.close();
    const stateBytes = await readFile(join(directory, "state", id));
    expect(stateBytes.length).toBeGreaterThan(0);
    // A damaged state file means "nothing known": deliver again rather than lose.
    await writeFile(join(directory, "state", id), stateBytes.subarray(0, stateBytes.length - 1));
    const second = await open(directory, { port: b.port, notifier: null });
    expect(second.queue.list()[0]?.recipients.map((recipient) => recipient.state)).toEqual(["pending", "pending"]);
    await second.queue.close();
    expect((await readQueue(directory)).entries[0]?.recipients.map((recipient) => recipient.attempts)).toEqual([0, 0]);
  });

  it("a lock left by a process that no longer exists (SIGKILL) does not stop a restart", async () => {
    const { directory } = await spoolWithEntry();
    // No live process has this pid: the highest pid Linux hands out by default is 4194304.
    await writeFile(join(directory, "lock"), "4194305\n");
    const { queue } = await open(directory);
    expect(queue.list()).toHaveLength(1);
  });
});

describe("junk in the spool", () => {
  it("directories, links, FIFOs, random files and foreign names never stop a start, and are never delivered", async () => {
    const { directory, id } = await spoolWithEntry();
    const junkId = "zzzzzzzz-0123456789abcdef";
    await mkdir(join(directory, "entries", "mk00000a-00000000deadbeef"), { recursive: true });
    await writeFile(join(directory, "entries", junkId), bytes("SKQENT01 not really an entry"));
    await symlink("/etc/passwd", join(directory, "entries", "mk00000b-00000000deadbeef"));
    execFileSync("mkfifo", [join(directory, "entries", "mk00000c-00000000deadbeef")]);
    await writeFile(join(directory, "entries", "README.txt"), "not an id");
    await mkdir(join(directory, "state", id), { recursive: true });
    await mkdir(join(directory, "tmp", "leftover-directory"), { recursive: true });
    const listing = await readQueue(directory);
    expect(listing.entries.map((entry) => entry.id)).toEqual([id]);
    expect([...listing.corrupt].sort()).toEqual(["mk00000a-00000000deadbeef", "mk00000b-00000000deadbeef", "mk00000c-00000000deadbeef", junkId].sort());
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue, events } = await open(directory, { port: b.port, notifier: null });
    expect(queue.list().map((entry) => entry.id)).toEqual([id]);
    expect(events.filter((event) => event.type === "entry-corrupt").length).toBeGreaterThanOrEqual(4);
    queue.start();
    await queue.idle();
    expect(b.received.map((message) => message.content)).toEqual([MESSAGE]);
    expect(await readFile("/etc/passwd", "utf8")).toContain("root");
  });

  it("a state file or lock that is a link to /dev/zero, a FIFO or an oversized file is no state (it used to be read forever)", async () => {
    for (const plant of ["zero-link", "fifo", "oversized"] as const) {
      const { directory, id } = await spoolWithEntry();
      const state = join(directory, "state", id);
      if (plant === "zero-link") {
        await symlink("/dev/zero", state);
        await symlink("/dev/zero", join(directory, "lock"));
      } else if (plant === "fifo") {
        execFileSync("mkfifo", [state]);
        execFileSync("mkfifo", [join(directory, "lock")]);
      } else {
        // Over the largest state file the format allows (magic, length, 4 MiB of JSON, SHA-256).
        await writeFile(state, new Uint8Array(12 + 4 * 1024 * 1024 + 32 + 1));
      }
      const listing = await readQueue(directory);
      expect(listing.entries.map((entry) => entry.recipients.map((recipient) => recipient.state)), plant).toEqual([["pending"]]);
      const b = await startReceiver();
      cleanups.push(b.close);
      const { queue } = await open(directory, { port: b.port, notifier: null });
      queue.start();
      await queue.idle();
      expect(b.received.map((message) => message.content), plant).toEqual([MESSAGE]);
    }
  }, 30_000);
});

describe("damage found while sending", () => {
  it("a message changed on disk after recovery is never delivered: the transaction is aborted before the end of data", async () => {
    const { directory, id, file } = await spoolWithEntry();
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue, events } = await open(directory, { port: b.port });
    // Damage the last octet of the message (so every block but the held-back last one could go out).
    const damaged = Buffer.from(file);
    const index = damaged.length - ENTRY_TRAILER_BYTES - 1;
    damaged[index] = (damaged[index] as number) ^ 0x01;
    await writeFile(join(directory, "entries", id), damaged);
    queue.start();
    await queue.idle();
    expect(b.received).toEqual([]);
    expect(events.map((event) => event.type)).toContain("entry-corrupt");
    expect(await readdir(join(directory, "corrupt"))).toEqual([id]);
    expect(queue.list()).toEqual([]);
  });
});

describe("big messages", () => {
  it("a 3 MB message streamed in odd chunks is stored and delivered byte for byte", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const directory = join(root.directory, `spool-${(count += 1)}`);
    const { queue } = await open(directory, { port: b.port });
    const line = "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n";
    const body = `Subject: big\r\n\r\n${line.repeat(Math.ceil(3_000_000 / line.length))}`;
    const data = bytes(body);
    const result = await queue.enqueue(envelopeTo("bob@example.org"), (async function* () {
      for (let offset = 0; offset < data.length; offset += 7777) yield data.subarray(offset, offset + 7777);
    })());
    expect(result.ok && result.size).toBe(data.length);
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(1);
    expect(b.received[0]?.content.length).toBe(body.length);
    expect(b.received[0]?.content === body).toBe(true);
  });
});

describe("the default notifier", () => {
  it("a 5xx recipient gets the sender an RFC 3464 DSN, queued from <> and delivered like any message", async () => {
    const b = await startReceiver({
      async onRcptTo(request) {
        return request.to.localPart === "nobody" ? { type: "reject", situation: "MailboxUnavailable" } : undefined;
      },
    });
    cleanups.push(b.close);
    const directory = join(root.directory, `spool-${(count += 1)}`);
    const { queue } = await open(directory, { port: b.port });
    await queue.enqueue(envelopeTo("bob@example.org", "nobody@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    const dsn = b.received.find((message) => message.from === "");
    expect(dsn?.to).toEqual(["alice@example.com"]);
    expect(dsn?.content).toContain("multipart/report");
    expect(dsn?.content).toMatch(/Final-Recipient: rfc822;\s*nobody@example.org/i);
    expect(dsn?.content).toMatch(/Action: failed/i);
    expect(dsn?.content).toMatch(/Status: 5\.1\.1/i);
    expect(b.received.filter((message) => message.from !== "").map((message) => message.to)).toEqual([["bob@example.org"]]);
    expect(queue.list()).toEqual([]);
  });

  it("a DSN that cannot be delivered is never bounced itself", async () => {
    const directory = join(root.directory, `spool-${(count += 1)}`);
    const events: QueueLogEvent[] = [];
    const { queue } = await open(directory, {
      resolver: mapResolver({ mx: { "example.org": [{ exchange: ".", priority: 0 }], "example.com": [{ exchange: ".", priority: 0 }] } }),
      logger: (event) => events.push(event),
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    // The message failed (null MX), its DSN was queued, and failed too (null MX) without a DSN of its own.
    expect(events.filter((event) => event.type === "entry-queued")).toHaveLength(2);
    expect(events.filter((event) => event.type === "entry-completed")).toHaveLength(2);
    expect(queue.list()).toEqual([]);
  });
});

describe("spool files on disk", () => {
  it("an entry copied file by file into another spool is recovered there (the files are self-contained)", async () => {
    const { id, file } = await spoolWithEntry();
    const target = join(root.directory, `spool-${(count += 1)}`);
    await mkdir(join(target, "entries"), { recursive: true });
    await writeFile(join(target, "entries", id), file);
    expect(decodeEntryFile(new Uint8Array(file)).ok).toBe(true);
    const { queue } = await open(target);
    expect(queue.list().map((entry) => entry.id)).toEqual([id]);
  });
});
