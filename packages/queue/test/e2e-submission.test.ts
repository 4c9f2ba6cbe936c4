// The library path of issue #9 without the command line: an embedder's own server A (@smtpkit/server with
// AUTH required over STARTTLS) hands relayed mail to the queue in its onMessage hook (durable before the
// 250), and the queue delivers it to server B. The DSN parameters the submitter gave (RET, ENVID, NOTIFY,
// ORCPT) reach B unchanged, and A's Received: line travels with the message.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@smtpkit/client";
import type { MailParameters, RcptParameters } from "@smtpkit/grammar";
import { createSelfSignedCertificate } from "@smtpkit/interop";
import { envelopeFromSession, openQueue, type RelayQueue } from "@smtpkit/queue";
import { createServer, type SmtpServer } from "@smtpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const encoder = new TextEncoder();

describe("embedder's server A -> queue -> B, with DSN parameters", () => {
  let directory: string;
  let a: SmtpServer;
  let b: SmtpServer;
  let queue: RelayQueue;
  let aPort: number;
  const seenByB: { mail: MailParameters[]; rcpt: RcptParameters[] } = { mail: [], rcpt: [] };

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "smtpkit-queue-e2e-"));
    const certificate = await createSelfSignedCertificate({ directory, commonName: "a.example.test" });
    b = createServer({
      hostname: "b.example.test",
      localDomains: ["example.org"],
      maildir: path.join(directory, "maildir-b"),
      // B offers DSN, so A passes the parameters on (RFC 3461 §5.2).
      extensions: { dsn: true },
      hooks: {
        async onMailFrom({ parameters }) {
          seenByB.mail.push(parameters);
          return undefined;
        },
        async onRcptTo({ parameters }) {
          seenByB.rcpt.push(parameters);
          return undefined;
        },
      },
    });
    const bPort = (await b.listen({ host: "127.0.0.1", port: 0 })).port;
    queue = await openQueue({
      directory: path.join(directory, "queue"),
      hostname: "a.example.test",
      // The injected resolver: every domain's MX is B on loopback.
      lookup: { resolve: async (domain) => ({ ok: true, domain, implicit: false, targets: [{ host: "mx.example.org", preference: 10, address: "127.0.0.1", family: 4 }], temporaryErrors: 0 }) },
      port: bPort,
      retry: { delays: [200] },
    });
    queue.start();
    a = createServer({
      hostname: "a.example.test",
      localDomains: ["example.com"],
      tls: { key: certificate.key, cert: certificate.certificate },
      auth: { mechanisms: ["PLAIN"], required: true },
      extensions: { dsn: true },
      hooks: {
        async onAuth(request) {
          return request.type === "verify-password" && request.username === "alice" && request.password.reveal() === "secret" ? { type: "accept" } : { type: "reject" };
        },
        async onMessage(envelope, content, info, connection) {
          async function* withReceived() {
            yield encoder.encode(info.receivedHeader);
            yield* content;
          }
          const result = await queue.enqueue(envelopeFromSession(envelope, connection.authenticatedAs), withReceived());
          return result.ok ? undefined : { type: "reject", situation: result.situation };
        },
      },
    });
    aPort = (await a.listen({ host: "127.0.0.1", port: 0 })).port;
  });
  afterAll(async () => {
    await a?.close({ graceMs: 0 });
    await queue?.close();
    await b?.close({ graceMs: 0 });
    await rm(directory, { recursive: true, force: true });
  });

  it("delivers with both Received: lines and passes RET, ENVID, NOTIFY and ORCPT on to B", async () => {
    const client = await connect({ host: "127.0.0.1", port: aPort, hostname: "client.example.test", startTls: "required", tls: { rejectUnauthorized: false }, auth: { username: "alice", password: "secret" } });
    const message = encoder.encode("From: alice@example.com\r\nTo: bob@example.org\r\nSubject: params\r\n\r\nHello\r\n");
    const result = await client.send({
      from: "alice@example.com",
      to: [{ address: "bob@example.org", notify: ["SUCCESS", "FAILURE"], orcpt: { addressType: "rfc822", address: "bob@example.org" } }],
      message,
      ret: "HDRS",
      envid: "QQ314159",
    });
    await client.close();
    expect(result.status).toBe("accepted");

    const newDirectory = path.join(directory, "maildir-b", "example.org", "bob", "new");
    const deadline = Date.now() + 20_000;
    let names: string[] = [];
    while ((names = await readdir(newDirectory).catch(() => [])).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const stored = (await readFile(path.join(newDirectory, names[0]!))).toString("latin1");
    expect(stored.endsWith(new TextDecoder().decode(message))).toBe(true);
    expect(stored).toMatch(/^Return-Path: <alice@example\.com>\r\nReceived: from a\.example\.test [^]*?\r\nReceived: from client\.example\.test [^]*?by a\.example\.test[^]*?with ESMTPSA/);

    expect(seenByB.mail).toHaveLength(1);
    expect(seenByB.mail[0]).toMatchObject({ ret: "HDRS", envid: "QQ314159" });
    expect(seenByB.rcpt[0]).toMatchObject({ notify: ["SUCCESS", "FAILURE"], orcpt: { address: "bob@example.org" } });
    expect(seenByB.rcpt[0]!.orcpt!.addressType.toLowerCase()).toBe("rfc822");
  });

  it("answers MAIL before AUTH with 530 5.7.0 (auth.required)", async () => {
    const client = await connect({ host: "127.0.0.1", port: aPort, hostname: "client.example.test", startTls: "required", tls: { rejectUnauthorized: false } });
    const result = await client.send({ from: "mallory@example.net", to: ["bob@example.org"], message: encoder.encode("Subject: x\r\n\r\nx\r\n") });
    await client.close().catch(() => undefined);
    expect(result).toMatchObject({ status: "rejected", code: 530, enhanced: "5.7.0" });
  });
});
