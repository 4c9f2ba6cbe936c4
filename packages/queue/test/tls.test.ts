// STARTTLS on the relay path: opportunistic by default (any certificate, as MTAs do, RFC 7435),
// verified when a domain requires TLS.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openQueue, type QueueOptions, type RelayQueue } from "@smtpkit/queue";
import { bytes, envelopeTo, ManualClock, mapResolver, scratch, startReceiver } from "./queue-helpers.js";

const MESSAGE = "Subject: over TLS\r\n\r\nSecret.\r\n";
let root: { directory: string; remove: () => Promise<void> };
let certificate: { key: string; cert: string };
let count = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  root = await scratch();
  // A self-signed certificate for mx.example.org (no CA anyone trusts), made with the system's openssl.
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-subj", "/CN=mx.example.org", "-addext", "subjectAltName=DNS:mx.example.org",
    "-keyout", join(root.directory, "key.pem"), "-out", join(root.directory, "cert.pem"),
  ], { stdio: "ignore" });
  certificate = { key: readFileSync(join(root.directory, "key.pem"), "utf8"), cert: readFileSync(join(root.directory, "cert.pem"), "utf8") };
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await root.remove();
});

async function queueFor(port: number, options: Partial<QueueOptions> = {}): Promise<RelayQueue> {
  const queue = await openQueue({
    directory: join(root.directory, `spool-${(count += 1)}`),
    hostname: "mta.example.com",
    port,
    clock: new ManualClock(),
    resolver: mapResolver({ mx: { "example.org": [{ exchange: "mx.example.org", priority: 10 }] }, a: { "mx.example.org": ["127.0.0.1"] } }),
    retry: { delays: [10_000], giveUpAfter: 60_000, delayWarningAfter: null },
    notifier: null,
    ...options,
  });
  cleanups.push(() => queue.close());
  return queue;
}

describe("STARTTLS", () => {
  it("is used when offered, with a certificate nobody can verify (opportunistic, the default)", async () => {
    const b = await startReceiver({}, 0, certificate);
    cleanups.push(b.close);
    const queue = await queueFor(b.port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received.map((message) => message.content)).toEqual([MESSAGE]);
    expect(b.tlsSessions).toHaveLength(1);
  });

  it("is skipped silently when not offered (opportunistic)", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const queue = await queueFor(b.port);
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(1);
    expect(b.tlsSessions).toHaveLength(0);
  });

  it("a domain that requires TLS refuses an unverifiable certificate (the message waits), and accepts one it can verify", async () => {
    const b = await startReceiver({}, 0, certificate);
    cleanups.push(b.close);
    const strict = await queueFor(b.port, { requireTlsDomains: ["example.org"] });
    await strict.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    strict.start();
    await strict.idle();
    expect(b.received).toHaveLength(0);
    expect(strict.list()[0]?.recipients[0]).toMatchObject({ state: "pending", lastReply: { code: 451, enhanced: "4.4.1" } });

    const trusting = await queueFor(b.port, { requireTlsDomains: ["example.org"], connectOptions: { tls: { ca: certificate.cert } } });
    await trusting.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    trusting.start();
    await trusting.idle();
    expect(b.received).toHaveLength(1);
  });

  it("a domain that requires TLS is not delivered in clear text to a server without STARTTLS", async () => {
    const b = await startReceiver();
    cleanups.push(b.close);
    const queue = await queueFor(b.port, { requireTlsDomains: ["example.org"] });
    await queue.enqueue(envelopeTo("bob@example.org"), bytes(MESSAGE));
    queue.start();
    await queue.idle();
    expect(b.received).toHaveLength(0);
    expect(queue.list()[0]?.recipients[0]?.lastReply?.text).toContain("starttls-not-offered");
  });
});
