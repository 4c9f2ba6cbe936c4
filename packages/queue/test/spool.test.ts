// The spool format and its writes: any envelope and bytes survive a write and a recovery; any truncation
// or bit flip of an entry file is detected and the entry is never delivered.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createReceivedCounter,
  decodeEntryFile,
  decodeStateFile,
  ENTRY_HEAD_BYTES,
  ENTRY_TRAILER_BYTES,
  openQueue,
  QueueUsageError,
  readQueue,
  type QueueEnvelope,
} from "@smtpkit/queue";
import { bytes, envelopeTo, ManualClock, scratch } from "./queue-helpers.js";

let root: { directory: string; remove: () => Promise<void> };
let counter = 0;
beforeAll(async () => {
  root = await scratch();
});
afterAll(async () => {
  await root.remove();
});
const nextDirectory = (): string => join(root.directory, `spool-${(counter += 1)}`);

const atom = fc.stringMatching(/^[a-z0-9][a-z0-9.+_-]{0,20}$/);
const domain = fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,2}$/);
const mailbox = fc.record({ localPart: atom, domain });
const recipient = fc.record(
  {
    to: mailbox,
    notify: fc.oneof(fc.constant(["NEVER"] as const), fc.subarray(["SUCCESS", "FAILURE", "DELAY"] as const, { minLength: 1 })),
    orcpt: fc.record({ addressType: fc.constantFrom("RFC822", "UTF-8"), address: fc.string({ maxLength: 40 }).filter((text) => !/[\r\n\0]/.test(text)) }),
  },
  { requiredKeys: ["to"] },
);
const envelopeArbitrary: fc.Arbitrary<QueueEnvelope> = fc.record(
  {
    from: fc.option(mailbox, { nil: null }),
    recipients: fc.array(recipient, { minLength: 1, maxLength: 5 }),
    body: fc.constantFrom("7BIT", "8BITMIME", "BINARYMIME"),
    smtputf8: fc.boolean(),
    requireTls: fc.boolean(),
    ret: fc.constantFrom("FULL", "HDRS"),
    envid: fc.string({ maxLength: 30 }).filter((text) => !/[\r\n\0]/.test(text)),
    authenticatedAs: atom,
  },
  { requiredKeys: ["from", "recipients", "body", "smtputf8", "requireTls"] },
);

/** Splits bytes at the given cut points. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((left, right) => left - right);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    parts.push(data.subarray(start, point));
    start = point;
  }
  parts.push(data.subarray(start));
  return parts;
}

describe("entry files", () => {
  it("any envelope and message bytes, streamed in any chunks, read back identical, and survive a recovery", async () => {
    const directory = nextDirectory();
    const clock = new ManualClock();
    let queue = await openQueue({ directory, hostname: "mta.example.com", clock });
    const written = new Map<string, { envelope: QueueEnvelope; message: Uint8Array }>();
    await fc.assert(
      fc.asyncProperty(envelopeArbitrary, fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 6 }), async (envelope, message, cuts) => {
        const result = await queue.enqueue(envelope, (async function* () {
          yield* split(message, cuts);
        })());
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.size).toBe(message.length);
        const decoded = decodeEntryFile(new Uint8Array(await readFile(join(directory, "entries", result.id))));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(decoded.message).toEqual(message);
        expect(decoded.metadata.envelope).toEqual(envelope);
        expect(decoded.metadata.id).toBe(result.id);
        written.set(result.id, { envelope, message });
      }),
      { numRuns: 60 },
    );
    await queue.close();
    // Recovery sees every entry, with its envelope, pending.
    queue = await openQueue({ directory, hostname: "mta.example.com", clock });
    const listed = queue.list();
    expect(listed.map((entry) => entry.id).sort()).toEqual([...written.keys()].sort());
    for (const entry of listed) {
      const original = written.get(entry.id);
      expect(entry.envelope).toEqual(original?.envelope);
      expect(entry.size).toBe(original?.message.length);
      expect(entry.recipients.every((item) => item.state === "pending" && item.attempts === 0)).toBe(true);
    }
    expect((await readQueue(directory)).entries.map((entry) => entry.id).sort()).toEqual([...written.keys()].sort());
    await queue.close();
  });

  it("the chunking of the input does not matter: whole, byte by byte and arbitrary splits store the same message", async () => {
    const directory = nextDirectory();
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), async (message, cuts) => {
        const stored: { message: Uint8Array; hops: number }[] = [];
        const inputs: Iterable<Uint8Array>[] = [[message], Array.from(message, (octet) => Uint8Array.of(octet)), split(message, cuts)];
        for (const input of inputs) {
          const result = await queue.enqueue(envelopeTo("bob@example.org"), input);
          if (!result.ok) throw new Error(result.reason);
          const decoded = decodeEntryFile(new Uint8Array(await readFile(join(directory, "entries", result.id))));
          if (!decoded.ok) throw new Error(decoded.problem);
          stored.push({ message: decoded.message, hops: decoded.metadata.hops });
        }
        expect(stored[1]).toEqual(stored[0]);
        expect(stored[2]).toEqual(stored[0]);
        expect(stored[0]?.message).toEqual(message);
      }),
      { numRuns: 25 },
    );
    await queue.close();
  });

  it("a file cut short anywhere, or with any one bit flipped, is refused by decodeEntryFile", async () => {
    const directory = nextDirectory();
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    const result = await queue.enqueue(envelopeTo("bob@example.org", "carol@example.net"), bytes("Subject: hi\r\n\r\nHello there.\r\n".repeat(20)));
    await queue.close();
    if (!result.ok) throw new Error("enqueue failed");
    const file = new Uint8Array(await readFile(join(directory, "entries", result.id)));
    expect(decodeEntryFile(file).ok).toBe(true);
    fc.assert(
      fc.property(fc.nat({ max: file.length - 1 }), (length) => {
        const decoded = decodeEntryFile(file.subarray(0, length));
        expect(decoded.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat({ max: file.length - 1 }), fc.nat({ max: 7 }), (offset, bit) => {
        const damaged = file.slice();
        damaged[offset] = (damaged[offset] as number) ^ (1 << bit);
        expect(decodeEntryFile(damaged).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes give a typed result from the decoders, never an exception", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (data) => {
        expect(typeof decodeEntryFile(data).ok).toBe("boolean");
        expect(typeof decodeStateFile(data).ok).toBe("boolean");
      }),
      { numRuns: 300 },
    );
    // The same behind valid marks, so generation gets past the first check.
    const head = bytes("SKQENT01");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        const file = new Uint8Array(head.length + data.length);
        file.set(head);
        file.set(data, head.length);
        expect(decodeEntryFile(file).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("a damaged entry file in the spool is moved to corrupt/ at recovery and never listed or delivered", async () => {
    const directory = nextDirectory();
    const clock = new ManualClock();
    let queue = await openQueue({ directory, hostname: "mta.example.com", clock });
    const first = await queue.enqueue(envelopeTo("bob@example.org"), bytes("Subject: one\r\n\r\nbody\r\n"));
    const second = await queue.enqueue(envelopeTo("bob@example.org"), bytes("Subject: two\r\n\r\nbody\r\n"));
    await queue.close();
    if (!first.ok || !second.ok) throw new Error("enqueue failed");
    const path = join(directory, "entries", first.id);
    const file = new Uint8Array(await readFile(path));
    file[ENTRY_HEAD_BYTES + 5] = (file[ENTRY_HEAD_BYTES + 5] as number) ^ 0x20;
    await writeFile(path, file);
    const listing = await readQueue(directory);
    expect(listing.corrupt).toEqual([first.id]);
    const events: string[] = [];
    queue = await openQueue({ directory, hostname: "mta.example.com", clock, logger: (event) => events.push(event.type) });
    expect(queue.list().map((entry) => entry.id)).toEqual([second.id]);
    expect(events).toContain("entry-corrupt");
    expect(await readdir(join(directory, "corrupt"))).toEqual([first.id]);
    await queue.close();
  });

  it("a truncated entry (the trailer cut off) is not taken for a complete one", async () => {
    const directory = nextDirectory();
    const clock = new ManualClock();
    let queue = await openQueue({ directory, hostname: "mta.example.com", clock });
    const result = await queue.enqueue(envelopeTo("bob@example.org"), bytes("Subject: x\r\n\r\nbody\r\n"));
    await queue.close();
    if (!result.ok) throw new Error("enqueue failed");
    const path = join(directory, "entries", result.id);
    const file = await readFile(path);
    await writeFile(path, file.subarray(0, file.length - ENTRY_TRAILER_BYTES));
    queue = await openQueue({ directory, hostname: "mta.example.com", clock });
    expect(queue.list()).toEqual([]);
    await queue.close();
  });
});

describe("enqueue", () => {
  it("refuses a message over maxMessageBytes with 552 5.3.4 and leaves nothing behind", async () => {
    const directory = nextDirectory();
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock(), maxMessageBytes: 100 });
    const result = await queue.enqueue(envelopeTo("bob@example.org"), [bytes("x".repeat(60)), bytes("y".repeat(60))]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.reason, result.situation.code, result.situation.enhanced]).toEqual(["message-too-big", 552, "5.3.4"]);
    expect(await readdir(join(directory, "tmp"))).toEqual([]);
    expect(await readdir(join(directory, "entries"))).toEqual([]);
    await queue.close();
  });

  it("a content stream that throws gives content-failed and no entry", async () => {
    const directory = nextDirectory();
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    const result = await queue.enqueue(envelopeTo("bob@example.org"), (async function* () {
      yield bytes("Subject: partial\r\n");
      throw new Error("client went away");
    })());
    expect(result.ok ? "ok" : result.reason).toBe("content-failed");
    expect(await readdir(join(directory, "tmp"))).toEqual([]);
    expect(await readdir(join(directory, "entries"))).toEqual([]);
    await queue.close();
  });

  it("refuses misuse with QueueUsageError: no recipients, CR in an address, a bad limit, enqueue after close", async () => {
    const directory = nextDirectory();
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    await expect(queue.enqueue({ ...envelopeTo("bob@example.org"), recipients: [] }, bytes("x"))).rejects.toSatisfy(QueueUsageError.isInstance);
    await expect(queue.enqueue(envelopeTo("bob\r\nRCPT TO:<evil@example.net>@example.org"), bytes("x"))).rejects.toSatisfy(QueueUsageError.isInstance);
    await queue.close();
    await expect(queue.enqueue(envelopeTo("bob@example.org"), bytes("x"))).rejects.toSatisfy(QueueUsageError.isInstance);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(openQueue({ directory, hostname: "mta.example.com", maxConcurrentDeliveries: bad })).rejects.toSatisfy(QueueUsageError.isInstance);
    }
    await expect(openQueue({ directory, hostname: "mta.example.com", retry: { delays: [] } })).rejects.toSatisfy(QueueUsageError.isInstance);
  });

  it("one queue per spool directory: a second open in the same process is refused", async () => {
    const directory = nextDirectory();
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    await expect(openQueue({ directory, hostname: "mta.example.com" })).rejects.toSatisfy(
      (error: unknown) => QueueUsageError.isInstance(error) && error.reason === "spool-locked",
    );
    await queue.close();
    const again = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    await again.close();
  });
});

describe("Received: counter (RFC 5321 §6.3)", () => {
  const header = fc.array(
    fc.oneof(
      fc.constantFrom("Received: from a by b\r\n", "RECEIVED : x\r\n", "received:\tx\r\n", "Received-SPF: pass\r\n", "X-Received: y\r\n", " Received: folded\r\n", "Subject: Received: no\r\n"),
      fc.stringMatching(/^[A-Za-z-]{1,12}: [ -~]{0,30}\r\n$/),
    ),
    { maxLength: 12 },
  );
  const expected = (lines: readonly string[]): number => lines.filter((line) => /^received[ \t]*:/i.test(line)).length;

  it("counts the Received fields of the header only, whatever the chunking (whole, byte by byte, arbitrary splits)", () => {
    fc.assert(
      fc.property(header, fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        const message = bytes(`${lines.join("")}\r\nReceived: in the body\r\n`);
        const whole = createReceivedCounter();
        whole.push(message);
        const byByte = createReceivedCounter();
        for (let index = 0; index < message.length; index += 1) byByte.push(message.subarray(index, index + 1));
        const splits = createReceivedCounter();
        for (const part of split(message, cuts)) splits.push(part);
        expect(whole.count).toBe(expected(lines));
        expect(byByte.count).toBe(whole.count);
        expect(splits.count).toBe(whole.count);
        expect(whole.headerEnded).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const counter = createReceivedCounter();
        counter.push(data);
        expect(counter.count).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
