// Real clients -> this server, over loopback: swaks, Python's smtplib, msmtp
// and nodemailer deliver into the default Maildir store; the file holds
// exactly what the client sent plus our trace headers. Dovecot then serves
// the stored message over IMAP byte for byte. Also: relaying refused, an
// over-size message refused with 552, smuggling and STARTTLS injection.
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import {
  CLIENT_DRIVERS,
  createSelfSignedCertificate,
  RawSmtpClient,
  requirePeer,
  sendWithMsmtp,
  sendWithSmtplib,
  sendWithSwaks,
  startDovecot,
  stripTraceHeaders,
} from "@smtpkit/interop";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ServerLogEvent, type SmtpServer } from "@smtpkit/server";
import { ReplyReader } from "./server-helpers.js";

const DOMAIN = "example.test";
const USER = "alice";
const PASSWORD = "correct horse battery";

function message(tag: string): Buffer {
  return Buffer.from(
    [
      "From: Alice <alice@client.example.test>",
      `To: ${tag}@${DOMAIN}`,
      `Subject: interop ${tag}`,
      "Date: Sun, 29 Nov 2026 14:00:00 +0000",
      `Message-ID: <${tag}.1@client.example.test>`,
      "",
      "Hello from a real client.",
      ".a line that starts with a dot",
      "",
      "Bye.",
      "",
    ].join("\r\n"),
  );
}

let sandbox: string;
let root: string;
let server: SmtpServer;
let port: number;
const events: ServerLogEvent[] = [];

async function storedFiles(localPart: string): Promise<string[]> {
  const directory = join(root, DOMAIN, localPart, "new");
  const names = await readdir(directory).catch(() => [] as string[]);
  return names.map((name) => join(directory, name));
}

async function onlyStored(localPart: string): Promise<Buffer> {
  const files = await storedFiles(localPart);
  expect(files).toHaveLength(1);
  return readFile(files[0]!);
}

function expectTraceHeaders(stored: Buffer, protocol: RegExp): void {
  const text = stored.toString("latin1");
  expect(text.startsWith("Return-Path: <alice@client.example.test>\r\nReceived: from ")).toBe(true);
  expect(text).toMatch(protocol);
}

describe.skipIf(!requirePeer("openssl"))("real clients -> @smtpkit/server", () => {
  beforeAll(async () => {
    sandbox = await mkdtemp(join(tmpdir(), "smtpkit-server-interop-"));
    root = join(sandbox, "maildir");
    const certificate = await createSelfSignedCertificate({ directory: sandbox, commonName: "mx.example.test" });
    server = createServer({
      hostname: "mx.example.test",
      localDomains: [DOMAIN],
      maildir: root,
      tls: { key: certificate.key, cert: certificate.certificate },
      limits: { maxMessageSize: 64 * 1024 },
      logger: (event) => events.push(event),
      hooks: {
        async onAuth(request) {
          if (request.type === "verify-password" && request.username === USER && request.password.reveal() === PASSWORD) return { type: "accept" };
          return { type: "reject" };
        },
      },
    });
    port = (await server.listen({ host: "127.0.0.1", port: 0 })).port;
  });

  afterAll(async () => {
    await server?.close({ graceMs: 1000 });
    // An over-size message is refused (552) while the store is still removing its tmp/ file: retry the removal.
    await rm(sandbox, { recursive: true, force: true, maxRetries: 5 });
  });

  for (const client of CLIENT_DRIVERS) {
    it.skipIf(!requirePeer(client.name))(`${client.name} delivers over STARTTLS: the Maildir file is the message plus our trace headers`, async () => {
      const tag = `${client.name}-tls`;
      const sent = message(tag);
      const result = await client.send({ port, from: "alice@client.example.test", to: [`${tag}@${DOMAIN}`], message: sent, tls: true });
      expect(result.exitCode, result.transcript).toBe(0);
      const stored = await onlyStored(tag);
      expectTraceHeaders(stored, /with ESMTPS id /);
      expect(stripTraceHeaders(stored)).toEqual(client.expectedData(sent));
    });
  }

  it.skipIf(!requirePeer("swaks"))("swaks in the clear, with --pipeline", async () => {
    const sent = message("swaks-pipeline");
    const result = await sendWithSwaks({ port, from: "alice@client.example.test", to: [`swaks-pipeline@${DOMAIN}`], message: sent, pipeline: true });
    expect(result.exitCode, result.transcript).toBe(0);
    expect(result.transcript).toMatch(/MAIL FROM:<alice@client\.example\.test>\s*\n\s*-> RCPT TO/);
    const stored = await onlyStored("swaks-pipeline");
    expectTraceHeaders(stored, /with ESMTP id /);
    expect(stripTraceHeaders(stored)).toEqual(CLIENT_DRIVERS.find((driver) => driver.name === "swaks")!.expectedData(sent));
  });

  for (const mechanism of ["PLAIN", "LOGIN"] as const) {
    it.skipIf(!requirePeer("swaks"))(`swaks AUTH ${mechanism} after STARTTLS may relay; the password never reaches the log`, async () => {
      const tag = `swaks-auth-${mechanism.toLowerCase()}`;
      const sent = message(tag);
      const result = await sendWithSwaks({ port, from: "alice@client.example.test", to: [`${tag}@${DOMAIN}`], message: sent, tls: true, auth: { username: USER, password: PASSWORD, mechanism } });
      expect(result.exitCode, result.transcript).toBe(0);
      expect(result.transcript).toContain("235 ");
      expectTraceHeaders(await onlyStored(tag), /with ESMTPSA id /);
      expect(JSON.stringify(events)).not.toContain(PASSWORD);
      expect(JSON.stringify(events)).not.toContain(Buffer.from(PASSWORD).toString("base64"));
    });
  }

  it.skipIf(!requirePeer("swaks"))("swaks with a wrong password gets 535 and nothing is stored", async () => {
    const result = await sendWithSwaks({ port, from: "alice@client.example.test", to: [`swaks-badauth@${DOMAIN}`], message: message("swaks-badauth"), tls: true, auth: { username: USER, password: "wrong", mechanism: "PLAIN" } });
    expect(result.exitCode).not.toBe(0);
    expect(result.transcript).toContain("535 ");
    expect(await storedFiles("swaks-badauth")).toEqual([]);
  });

  it.skipIf(!requirePeer("smtplib"))("smtplib send_message with starttls and login", async () => {
    const sent = message("smtplib-login");
    const result = await sendWithSmtplib({ port, from: "alice@client.example.test", to: [`smtplib-login@${DOMAIN}`], message: sent, tls: true, auth: { username: USER, password: PASSWORD } });
    expect(result.exitCode, result.transcript).toBe(0);
    const stored = await onlyStored("smtplib-login");
    expectTraceHeaders(stored, /with ESMTPSA id /);
    expect(stripTraceHeaders(stored)).toEqual(CLIENT_DRIVERS.find((driver) => driver.name === "smtplib")!.expectedData(sent));
  });

  it.skipIf(!requirePeer("msmtp"))("msmtp with STARTTLS and AUTH", async () => {
    const sent = message("msmtp-auth");
    const result = await sendWithMsmtp({ port, from: "alice@client.example.test", to: [`msmtp-auth@${DOMAIN}`], message: sent, tls: true, auth: { username: USER, password: PASSWORD } });
    expect(result.exitCode, result.transcript).toBe(0);
    const stored = await onlyStored("msmtp-auth");
    expectTraceHeaders(stored, /with ESMTPSA id /);
    expect(stripTraceHeaders(stored)).toEqual(CLIENT_DRIVERS.find((driver) => driver.name === "msmtp")!.expectedData(sent));
  });

  it.skipIf(!requirePeer("swaks"))("a relay attempt without AUTH is refused with 550 5.7.1", async () => {
    const result = await sendWithSwaks({ port, from: "alice@client.example.test", to: ["victim@elsewhere.example"], message: message("relay") });
    expect(result.exitCode).not.toBe(0);
    expect(result.transcript).toMatch(/<\*\* 550 5\.7\.1 /);
    expect(await readdir(root)).not.toContain("elsewhere.example");
  });

  it.skipIf(!requirePeer("swaks"))("an over-size message is refused with 552 and not stored", async () => {
    const big = Buffer.concat([message("too-big"), Buffer.from(`${"x".repeat(76)}\r\n`.repeat(1000))]);
    const result = await sendWithSwaks({ port, from: "alice@client.example.test", to: [`too-big@${DOMAIN}`], message: big });
    expect(result.exitCode).not.toBe(0);
    expect(result.transcript).toMatch(/<\*\* 552 5\.3\.4 /);
    expect(await storedFiles("too-big")).toEqual([]);
  });

  it("a bare-LF dot never ends the data early (SMTP smuggling)", async () => {
    const client = await RawSmtpClient.connect({ port });
    await client.expect(220);
    await client.command("EHLO client.example.test", 250);
    await client.command("MAIL FROM:<alice@client.example.test>", 250);
    await client.command(`RCPT TO:<smuggle@${DOMAIN}>`, 250);
    await client.command("DATA", 354);
    await client.write(`Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<evil@client.example.test>\r\nRCPT TO:<smuggled@${DOMAIN}>\r\nDATA\r\nSubject: two\r\n\r\n.\r\n`);
    const reply = await client.expect(550);
    expect(reply.text).toMatch(/^5\.5\.2 /);
    await client.quit();
    expect(await storedFiles("smuggle")).toEqual([]);
    expect(await storedFiles("smuggled")).toEqual([]);
  });

  it("commands pipelined after STARTTLS are discarded, never run inside TLS (RFC 3207 §5)", async () => {
    const socket = net.connect(port, "127.0.0.1");
    const plain = new ReplyReader(socket);
    expect(await plain.code()).toBe(220);
    expect(await plain.send("EHLO client.example.test\r\n")).toBe(250);
    socket.write(`STARTTLS\r\nMAIL FROM:<evil@client.example.test>\r\nRCPT TO:<injected@${DOMAIN}>\r\n`);
    expect(await plain.code()).toBe(220);
    socket.removeAllListeners("data");
    socket.removeAllListeners("end");
    const secure = tls.connect({ socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    const inside = new ReplyReader(secure);
    expect(await inside.send("EHLO client.example.test\r\n")).toBe(250);
    // Had the injected MAIL run, this would be 503 (nested MAIL).
    expect(await inside.send("MAIL FROM:<alice@client.example.test>\r\n")).toBe(250);
    expect(await inside.send("RSET\r\n")).toBe(250);
    expect(await inside.send("QUIT\r\n")).toBe(221);
    // Nothing answered in the clear after the 220 to STARTTLS.
    expect(plain.text.endsWith("250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n")).toBe(true);
    expect(events.some((event) => event.type === "protocol-violation" && event.violation === "pipelined-bytes-discarded")).toBe(true);
    secure.destroy();
  });
});

describe.skipIf(!requirePeer("openssl", "dovecot", "smtplib"))("Dovecot serves what the server stored", () => {
  it("an IMAP FETCH returns the Maildir file byte for byte", async () => {
    const directory = await mkdtemp(join(tmpdir(), "smtpkit-server-dovecot-"));
    const mailRoot = join(directory, "maildir");
    const smtp = createServer({ hostname: "mx.example.test", localDomains: [DOMAIN], maildir: mailRoot });
    try {
      const { port: smtpPort } = await smtp.listen({ port: 0 });
      const sent = message("imap");
      const result = await sendWithSmtplib({ port: smtpPort, from: "alice@client.example.test", to: [`imap@${DOMAIN}`], message: sent });
      expect(result.exitCode, result.transcript).toBe(0);
      const mailbox = join(mailRoot, DOMAIN, "imap");
      const names = await readdir(join(mailbox, "new"));
      expect(names).toHaveLength(1);
      const stored = await readFile(join(mailbox, "new", names[0]!));
      // Dovecot's mail process runs as the Maildir's owner (nobody): it must be able to walk down to it.
      for (const path of [directory, mailRoot, join(mailRoot, DOMAIN)]) await chmod(path, 0o755);
      const dovecot = await startDovecot({ maildir: mailbox });
      try {
        const fetched = await dovecot.fetch(1).catch((error: unknown) => {
          throw new Error(`${String(error)}\n${dovecot.readLog()}`);
        });
        expect(fetched.count).toBe(1);
        expect(fetched.data).toEqual(stored);
      } finally {
        await dovecot.stop();
      }
    } finally {
      await smtp.close({ graceMs: 1000 });
      await rm(directory, { recursive: true, force: true });
    }
  });
});
