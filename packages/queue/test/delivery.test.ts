// Delivery to a real @smtpkit/server B on loopback, with an injected resolver and a hand-driven clock:
// success, B down then up, 4xx then 250, 5xx for one of two recipients, lost connection after the final dot,
// null MX, MX preference and A fallback, loop detection, give-up and delay notices, reuse, flush from outside.
import net from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openQueue, readQueue, requestFlush, type DeliveryNotice, type QueueLogEvent, type QueueOptions, type RelayQueue } from "@smtpkit/queue";
import { bytes, envelopeTo, ManualClock, mapResolver, scratch, startReceiver } from "./queue-helpers.js";

const MESSAGE = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: relay test\r\n\r\nHello over the relay.\r\n";
const SECOND = 1000;
const schedule = { delays: [10 * SECOND, 20 * SECOND], giveUpAfter: 60 * SECOND, delayWarningAfter: 25 * SECOND };

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

interface Harness {
  readonly queue: RelayQueue;
  readonly clock: ManualClock;
  readonly events: QueueLogEvent[];
  readonly notices: DeliveryNotice[];
  readonly directory: string;
}

async function harness(port: number, options: Partial<QueueOptions> = {}): Promise<Harness> {
  const clock = new ManualClock();
  const events: QueueLogEvent[] = [];
  const notices: DeliveryNotice[] = [];
  const directory = join(root.directory, `spool-${(count += 1)}`);
  const queue = await openQueue({
    directory,
    hostname: "mta.example.com",
    port,
    clock,
    retry: schedule,
    resolver: mapResolver({ mx: { "example.org": [{ exchange: "mx.example.org", priority: 10 }], "example.net": [{ exchange: "mx.example.org", priority: 10 }] }, a: { "mx.example.org": ["127.0.0.1"] } }),
    connectOptions: { timeouts: { greeting: 5 * SECOND } },
    logger: (event) => events.push(event),
    notifier: async (notice) => {
      notices.push(notice);
    },
    ...options,
  });
  cleanups.push(() => queue.close());
  return { queue, clock, events, notices, directory };
}

/** A port with nothing listening (bound, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const attempts = (events: readonly QueueLogEvent[]) => events.filter((event): event is Extract<QueueLogEvent, { type: "delivery-attempt" }> => event.type === "delivery-attempt");

describe("delivery to server B", () => {
  it("delivers the queued bytes unchanged, then removes the entry", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue, events, directory } = await harness(b.port);
    const result = await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    expect(result.ok).toBe(true);
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(1);
    expect(b.received[0]?.from).toBe("alice@example.com");
    expect(b.received[0]?.to).toEqual(["bob@example.org"]);
    expect(b.received[0]?.content).toBe(MESSAGE);
    expect(queue.list()).toEqual([]);
    expect((await readQueue(directory)).entries).toEqual([]);
    const [attempt] = attempts(events);
    expect(attempt?.host).toBe("mx.example.org");
    expect(attempt?.recipients).toEqual([expect.objectContaining({ address: "bob@example.org", result: "delivered", code: 250 })]);
    expect(events.map((event) => event.type)).toContain("entry-completed");
  });

  it("B down: the message waits with a 4.4.1 reply, is retried on schedule, and arrives once B is back", async () => {
    const port = await freePort();
    const { queue, clock, directory } = await harness(port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    const [entry] = queue.list();
    expect(entry?.recipients[0]).toMatchObject({ state: "pending", attempts: 1, nextAttemptAt: clock.now() + 10 * SECOND });
    expect(entry?.recipients[0]?.lastReply).toMatchObject({ code: 451, enhanced: "4.4.1" });
    // The other process's view agrees.
    const listing = await readQueue(directory);
    expect(listing.entries[0]?.recipients[0]).toMatchObject({ state: "pending", attempts: 1 });
    expect(listing.lockedBy).toBe(process.pid);

    // Not yet due: nothing happens.
    clock.advance(5 * SECOND);
    await queue.idle();
    expect(queue.list()[0]?.recipients[0]?.attempts).toBe(1);

    const b = await startReceiver({}, port);
    cleanups.push(b.close);
    clock.advance(5 * SECOND);
    await queue.idle();
    expect(b.received.map((message) => message.content)).toEqual([MESSAGE]);
    expect(queue.list()).toEqual([]);
  });

  it("4xx then 250: a greylisting B gets the message on the retry", async () => {
    let tries = 0;
    const b = await startReceiver({
      async onRcptTo() {
        tries += 1;
        return tries === 1 ? { type: "reject", situation: "Greylisted" } : undefined;
      },
    });
    cleanups.push(b.close);
    const { queue, clock, notices } = await harness(b.port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(queue.list()[0]?.recipients[0]).toMatchObject({ state: "pending", attempts: 1, lastReply: { code: 450, enhanced: "4.7.1" } });
    expect(b.received).toHaveLength(0);
    clock.advance(10 * SECOND);
    await queue.idle();
    expect(b.received).toHaveLength(1);
    expect(notices.map((notice) => notice.action)).toEqual(["delivered"]);
  });

  it("5xx for one of two recipients: one delivered, the other failed at once with its own reply and a failure notice", async () => {
    const b = await startReceiver({
      async onRcptTo(request) {
        return request.to.localPart === "nobody" ? { type: "reject", situation: "MailboxUnavailable" } : undefined;
      },
    });
    cleanups.push(b.close);
    const notices: DeliveryNotice[] = [];
    const originals: string[] = [];
    const { queue } = await harness(b.port, {
      notifier: async (notice) => {
        notices.push(notice);
        originals.push(new TextDecoder().decode(await notice.readOriginal(1000)));
      },
    });
    await queue.enqueue(envelopeTo("bob@example.org", "nobody@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received.map((message) => message.to)).toEqual([["bob@example.org"]]);
    expect(queue.list()).toEqual([]);
    const failed = notices.find((notice) => notice.action === "failed");
    expect(failed?.recipients.map((recipient) => [recipient.address, recipient.reply?.code, recipient.reply?.enhanced])).toEqual([["nobody@example.org", 550, "5.1.1"]]);
    expect(failed?.recipients[0]?.reply?.remoteMta).toBe("mx.example.org [127.0.0.1]");
    expect(originals).toEqual([MESSAGE, MESSAGE]);
    const delivered = notices.find((notice) => notice.action === "delivered");
    expect(delivered?.recipients.map((recipient) => recipient.address)).toEqual(["bob@example.org"]);
  });

  it("MAIL refused: every recipient gets MAIL's reply (not the 503 a pipelined RCPT got after it)", async () => {
    let refusals = 0;
    const b = await startReceiver({
      async onMailFrom() {
        refusals += 1;
        return refusals === 1 ? { type: "reject", situation: "SenderDomainTemporaryFailure" } : { type: "reject", situation: "SenderRejected" };
      },
    });
    cleanups.push(b.close);
    const { queue, clock, notices } = await harness(b.port);
    await queue.enqueue(envelopeTo("bob@example.org", "carol@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(queue.list()[0]?.recipients.map((recipient) => [recipient.state, recipient.lastReply?.code, recipient.lastReply?.enhanced])).toEqual([
      ["pending", 451, "4.1.8"],
      ["pending", 451, "4.1.8"],
    ]);
    clock.advance(10 * SECOND);
    await queue.idle();
    expect(queue.list()).toEqual([]);
    expect(notices[0]?.recipients.map((recipient) => [recipient.address, recipient.reply?.code, recipient.reply?.enhanced])).toEqual([
      ["bob@example.org", 550, "5.7.1"],
      ["carol@example.org", 550, "5.7.1"],
    ]);
  });

  it("recipients of two domains go in two transactions, each with its own outcome", async () => {
    const b = await startReceiver({
      async onRcptTo(request) {
        return request.to.domain === "example.net" ? { type: "reject", situation: "MailboxBusy" } : undefined;
      },
    });
    cleanups.push(b.close);
    const { queue, events } = await harness(b.port);
    await queue.enqueue(envelopeTo("bob@example.org", "carol@example.net"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(attempts(events).map((event) => event.domain).sort()).toEqual(["example.net", "example.org"]);
    expect(queue.list()[0]?.recipients.map((recipient) => recipient.state)).toEqual(["delivered", "pending"]);
  });

  it("a connection lost after the final dot, before the reply, is a 4xx: the message is delivered again", async () => {
    let connection = 0;
    const seen: string[] = [];
    const fake = net.createServer((socket) => {
      connection += 1;
      const drop = connection === 1;
      let buffer = "";
      let inData = false;
      socket.write("220 fake.example.org ESMTP\r\n");
      socket.on("data", (chunk) => {
        buffer += chunk.toString("latin1");
        for (;;) {
          if (inData) {
            const end = buffer.indexOf("\r\n.\r\n");
            if (end < 0) return;
            seen.push(buffer.slice(0, end + 2));
            buffer = buffer.slice(end + 5);
            inData = false;
            if (drop) {
              socket.destroy();
              return;
            }
            socket.write("250 2.0.0 queued\r\n");
            continue;
          }
          const end = buffer.indexOf("\r\n");
          if (end < 0) return;
          const line = buffer.slice(0, end).toUpperCase();
          buffer = buffer.slice(end + 2);
          if (line.startsWith("EHLO")) socket.write("250-fake.example.org\r\n250 8BITMIME\r\n");
          else if (line.startsWith("DATA")) {
            inData = true;
            socket.write("354 go ahead\r\n");
          } else if (line.startsWith("QUIT")) socket.end("221 bye\r\n");
          else socket.write("250 ok\r\n");
        }
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => fake.close(() => resolve())));
    const { queue, clock } = await harness((fake.address() as net.AddressInfo).port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    const recipient = queue.list()[0]?.recipients[0];
    expect(recipient).toMatchObject({ state: "pending", attempts: 1, lastReply: { code: 451, enhanced: "4.4.2" } });
    expect(recipient?.lastReply?.text).toContain("delivery uncertain");
    clock.advance(10 * SECOND);
    await queue.idle();
    expect(queue.list()).toEqual([]);
    // Delivered twice: a duplicate is acceptable, a loss is not.
    expect(seen).toEqual([MESSAGE, MESSAGE]);
  });
});

describe("routing (RFC 5321 §5.1, RFC 7505, §6.3)", () => {
  it("a null MX fails the recipient at once with 556 5.1.10, without connecting", async () => {
    const resolver = mapResolver({ mx: { "example.org": [{ exchange: ".", priority: 0 }] } });
    let connects = 0;
    const { queue, notices } = await harness(25, {
      resolver,
      connect: async () => {
        connects += 1;
        throw new Error("must not connect");
      },
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(connects).toBe(0);
    expect(queue.list()).toEqual([]);
    expect(notices[0]?.action).toBe("failed");
    expect(notices[0]?.recipients[0]?.reply).toMatchObject({ code: 556, enhanced: "5.1.10" });
  });

  it("MX hosts are tried in preference order; a host that does not answer is skipped for the next", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const tried: string[] = [];
    const { queue, events } = await harness(b.port, {
      resolver: mapResolver({
        mx: { "example.org": [{ exchange: "backup.example.org", priority: 20 }, { exchange: "primary.example.org", priority: 10 }] },
        // 127.0.0.2 is loopback too, but B listens on 127.0.0.1 only: refused.
        a: { "primary.example.org": ["127.0.0.2"], "backup.example.org": ["127.0.0.1"] },
      }),
      connect: async (options) => {
        tried.push(`${options.host} ${options.tls?.servername}`);
        const { connect } = await import("@smtpkit/client");
        return connect(options);
      },
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(tried).toEqual(["127.0.0.2 primary.example.org", "127.0.0.1 backup.example.org"]);
    expect(b.received).toHaveLength(1);
    expect(attempts(events)[0]).toMatchObject({ host: "backup.example.org", skippedHosts: 1 });
  });

  it("without MX records the domain's own A record is used (the implicit MX)", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const resolver = mapResolver({ a: { "example.org": ["127.0.0.1"] } });
    const { queue } = await harness(b.port, { resolver });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(1);
    expect(resolver.queries).toContain("A example.org");
  });

  it("an MX that is this host is a routing loop: 554 5.4.6, never delivered to ourselves", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue, notices } = await harness(b.port, {
      resolver: mapResolver({ mx: { "example.org": [{ exchange: "mta.example.com", priority: 10 }] }, a: { "mta.example.com": ["127.0.0.1"] } }),
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(0);
    expect(notices[0]?.recipients[0]?.reply).toMatchObject({ code: 554, enhanced: "5.4.6" });
  });

  it("an MX whose address is one of ours is a loop too; a better MX before it is still used", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const resolver = mapResolver({
      mx: { "example.org": [{ exchange: "mx.example.org", priority: 10 }, { exchange: "self.example.org", priority: 5 }] },
      a: { "mx.example.org": ["127.0.0.1"], "self.example.org": ["192.0.2.7"] },
    });
    const { queue, notices } = await harness(b.port, { resolver, localAddresses: ["192.0.2.7"] });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    // self (preference 5) is us: it and every worse MX are dropped, so nothing is left.
    expect(b.received).toHaveLength(0);
    expect(notices[0]?.recipients[0]?.reply).toMatchObject({ code: 554, enhanced: "5.4.6" });
  });

  it("more Received: fields than maxHops: failed as a loop (RFC 5321 §6.3) without connecting", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue, notices } = await harness(b.port, { maxHops: 2 });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(`Received: from a\r\nReceived: from b\r\nReceived: from c\r\n${MESSAGE}`));
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(`Received: from a\r\nReceived: from b\r\n${MESSAGE}`));
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(1);
    expect(notices.find((notice) => notice.action === "failed")?.recipients[0]?.reply).toMatchObject({ code: 554, enhanced: "5.4.6" });
  });
});

describe("retry schedule, give-up and notices", () => {
  it("a recipient that keeps failing temporarily gets one delay notice, then fails when the give-up time is reached", async () => {
    const port = await freePort();
    const { queue, clock, notices } = await harness(port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    const times: number[] = [];
    for (let step = 0; step < 12 && queue.list().length > 0; step += 1) {
      clock.advance(10 * SECOND);
      await queue.idle();
      times.push(queue.list()[0]?.recipients[0]?.attempts ?? -1);
    }
    expect(queue.list()).toEqual([]);
    expect(notices.map((notice) => notice.action)).toEqual(["delayed", "failed"]);
    expect(notices[0]?.recipients[0]?.willRetryUntil).toBe(notices[0]?.entry.receivedAt === undefined ? -1 : notices[0].entry.receivedAt + 60 * SECOND);
    expect(notices[1]?.recipients[0]?.reply?.text).toContain("gave up");
    // 10 s then 20 s waits (the last repeats), attempts at 0, 10, 30, 50 and the last at the 60 s give-up time.
    expect(notices[1]?.recipients[0]?.lastAttemptAt).toBe((notices[1]?.entry.receivedAt ?? 0) + 60 * SECOND);
  });

  it("a delay notice the notifier could not take is offered again later, and recorded once it is taken", async () => {
    const port = await freePort();
    const actions: string[] = [];
    let refusals = 1;
    const { queue, clock, directory } = await harness(port, {
      notifier: async (notice) => {
        if (notice.action === "delayed" && refusals > 0) {
          refusals -= 1;
          throw new Error("spool full");
        }
        actions.push(notice.action);
      },
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    // Attempts at 0, 10 and 30 s; the warning time (25 s) passes between them.
    for (let step = 0; step < 5; step += 1) {
      clock.advance(10 * SECOND);
      await queue.idle();
    }
    expect(actions).toEqual(["delayed"]);
    expect(queue.list()[0]?.recipients[0]?.delayNotified).toBe(true);
    expect((await readQueue(directory)).entries[0]?.recipients[0]?.delayNotified).toBe(true);
  });

  it("a notifier that never answers times out: the failure stays pending and close() is not held up", async () => {
    let called = 0;
    const { queue, clock } = await harness(25, {
      resolver: mapResolver({ mx: { "example.org": [{ exchange: ".", priority: 0 }] } }),
      noticeTimeoutMilliseconds: 5 * SECOND,
      notifier: () => {
        called += 1;
        return new Promise<void>(() => undefined);
      },
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    for (let index = 0; index < 200 && called === 0; index += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(called).toBe(1);
    clock.advance(5 * SECOND);
    await queue.idle();
    expect(queue.list()[0]?.recipients[0]?.state).toBe("pending");
    await queue.close();
  });

  it("never notifies about a message with a null reverse-path (a bounce is not bounced)", async () => {
    const { queue, notices } = await harness(25, { resolver: mapResolver({ mx: { "example.org": [{ exchange: ".", priority: 0 }] } }) });
    await queue.enqueue({ ...envelopeTo("bob@example.org"), from: null }, bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(queue.list()).toEqual([]);
    expect(notices).toEqual([]);
  });

  it("a notifier that fails for a permanent failure keeps the recipient pending, and the notice comes again", async () => {
    let calls = 0;
    const { queue, clock } = await harness(25, {
      resolver: mapResolver({ mx: { "example.org": [{ exchange: ".", priority: 0 }] } }),
      notifier: async () => {
        calls += 1;
        if (calls === 1) throw new Error("disk full");
      },
    });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(queue.list()[0]?.recipients[0]?.state).toBe("pending");
    clock.advance(10 * SECOND);
    await queue.idle();
    expect(calls).toBe(2);
    expect(queue.list()).toEqual([]);
  });
});

describe("connections, flush and restart", () => {
  it("messages to one destination reuse one connection", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const { queue } = await harness(b.port, { maxConcurrentPerDomain: 1 });
    for (let index = 0; index < 3; index += 1) await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(3);
    expect(b.connections).toHaveLength(1);
  });

  it("requestFlush from outside makes the running queue retry now, on its next poll", async () => {
    const port = await freePort();
    const { queue, clock, directory } = await harness(port, { pollIntervalMilliseconds: 500 });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    const b = await startReceiver({}, port);
    cleanups.push(b.close);
    await requestFlush(directory);
    expect((await readQueue(directory)).flushRequested).toBe(true);
    clock.advance(500);
    // The poll checks the file asynchronously; wait until it has acted.
    for (let index = 0; index < 100 && b.received.length === 0; index += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await queue.idle();
    }
    expect(b.received).toHaveLength(1);
    expect((await readQueue(directory)).flushRequested).toBe(false);
  });

  it("flush() retries every pending recipient now and resolves when the attempts are done", async () => {
    const port = await freePort();
    const { queue } = await harness(port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    const b = await startReceiver({}, port);
    cleanups.push(b.close);
    await queue.flush();
    expect(b.received).toHaveLength(1);
  });

  it("state survives a restart: a delivered recipient is not sent again, the pending one resumes", async () => {
    const b = await startReceiver({
      async onRcptTo(request) {
        return request.to.localPart === "later" ? { type: "reject", situation: "MailboxBusy" } : undefined;
      },
    });
    cleanups.push(b.close);
    const first = await harness(b.port);
    await first.queue.enqueue(envelopeTo("bob@example.org", "later@example.org"), bytes(MESSAGE));
    first.queue.start();
    await first.queue.idle();
    await first.queue.close();
    const clock = new ManualClock(first.clock.now());
    const second = await openQueue({
      directory: first.directory,
      hostname: "mta.example.com",
      port: b.port,
      clock,
      retry: schedule,
      resolver: mapResolver({ mx: { "example.org": [{ exchange: "mx.example.org", priority: 10 }] }, a: { "mx.example.org": ["127.0.0.1"] } }),
    });
    cleanups.push(() => second.close());
    expect(second.list()[0]?.recipients.map((recipient) => [recipient.state, recipient.attempts])).toEqual([
      ["delivered", 1],
      ["pending", 1],
    ]);
    second.start();
    clock.advance(10 * SECOND);
    await second.idle();
    // bob got it once; "later" was tried again (and refused again).
    expect(b.received.map((message) => message.to)).toEqual([["bob@example.org"]]);
    expect(second.list()[0]?.recipients[1]?.attempts).toBe(2);
  });

  it("close() lets a running delivery finish within the grace time, then aborts it; the recipient stays pending on disk", async () => {
    // A server that accepts the connection and never says a word.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const { queue, clock, directory } = await harness((silent.address() as net.AddressInfo).port, { closeGraceMilliseconds: 2 * SECOND });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    for (let index = 0; index < 100 && sockets.size === 0; index += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sockets.size).toBe(1);
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    clock.advance(2 * SECOND);
    await closing;
    const listing = await readQueue(directory);
    expect(listing.entries[0]?.recipients[0]).toMatchObject({ state: "pending", attempts: 1 });
    expect(listing.lockedBy).toBeUndefined();
  });
});

describe("what the client refuses to send (review of issue #9)", () => {
  it("an 8-bit message for a server without 8BITMIME fails 5.6.3 as this system's decision, not as the server's reply", async () => {
    // A server that offers no extension at all, and would accept anything.
    const server = net.createServer((socket) => {
      socket.write("220 plain.example.org ESMTP\r\n");
      socket.on("data", (data) => {
        for (const line of data.toString("latin1").split("\r\n").filter((text) => text !== "")) {
          socket.write(/^QUIT/i.test(line) ? "221 bye\r\n" : /^EHLO/i.test(line) ? "250 plain.example.org\r\n" : "250 ok\r\n");
        }
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { queue, notices } = await harness((server.address() as net.AddressInfo).port);
    const result = await queue.enqueue({ ...envelopeTo("bob@example.org"), body: "8BITMIME" }, bytes("Subject: caf\u00e9\r\n\r\ncaf\u00e9\r\n"));
    expect(result.ok).toBe(true);
    queue.start();
    await queue.idle();
    const failed = notices.find((notice) => notice.action === "failed");
    const reply = failed?.recipients[0]?.reply;
    expect(reply).toMatchObject({ code: 554, enhanced: "5.6.3" });
    expect(reply?.remoteMta).toBeUndefined();
    expect(reply?.text).toContain("mx.example.org");
  });
});
