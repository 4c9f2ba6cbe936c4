// Modes that the real-client tests do not reach: LMTP, BDAT (CHUNKING),
// STARTTLS over an in-memory stream, implicit TLS on a real listener, and
// write backpressure.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSaslClient, createScramVerifier } from "@smtpkit/session";
import { createServer, type ServerHooks, type ServerOptions } from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

const base: ServerOptions = { hostname: "mx.example.org", localDomains: ["example.org"] };

function storing(messages: Buffer[]): ServerHooks {
  return {
    async onMessage(_envelope, content) {
      const chunks: Buffer[] = [];
      for await (const chunk of content) chunks.push(Buffer.from(chunk));
      messages.push(Buffer.concat(chunks));
      return undefined;
    },
  };
}

let directory: string;
let key: string;
let cert: string;
beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "smtpkit-server-tls-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mx.example.org", "-days", "1", "-keyout", join(directory, "key.pem"), "-out", join(directory, "cert.pem")], { stdio: "ignore" });
  key = readFileSync(join(directory, "key.pem"), "utf8");
  cert = readFileSync(join(directory, "cert.pem"), "utf8");
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("LMTP (RFC 2033)", () => {
  it("answers LHLO and gives one reply per recipient after the content", async () => {
    const messages: Buffer[] = [];
    const server = createServer({ ...base, lmtp: true, hooks: storing(messages) });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const client = new ReplyReader(pair.client);
    expect(await client.code()).toBe(220);
    expect(await client.send("EHLO client.example\r\n")).toBe(500);
    expect(await client.send("LHLO client.example\r\n")).toBe(250);
    await client.send("MAIL FROM:<a@example.net>\r\n");
    await client.send("RCPT TO:<one@example.org>\r\n");
    await client.send("RCPT TO:<two@example.org>\r\n");
    expect(await client.send("DATA\r\n")).toBe(354);
    expect(await client.send("Subject: lmtp\r\n\r\nhi\r\n.\r\n")).toBe(250);
    expect(await client.code()).toBe(250);
    expect(messages).toEqual([Buffer.from("Subject: lmtp\r\n\r\nhi\r\n")]);
    expect(await client.send("QUIT\r\n")).toBe(221);
  });
});

describe("LMTP per-recipient answers (RFC 2033 §4.2)", () => {
  it("answers each recipient with its own entry, in RCPT order", async () => {
    const server = createServer({
      ...base,
      lmtp: true,
      hooks: {
        async onMessage(_envelope, content) {
          for await (const chunk of content) void chunk;
          return { type: "per-recipient", answers: [undefined, { type: "reject", situation: "MailboxFull" }, { type: "reject", situation: "StorageFailed" }] };
        },
      },
    });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const client = new ReplyReader(pair.client);
    await client.code();
    await client.send("LHLO client.example\r\n");
    await client.send("MAIL FROM:<a@example.net>\r\n");
    for (const name of ["one", "two", "three"]) await client.send(`RCPT TO:<${name}@example.org>\r\n`);
    expect(await client.send("DATA\r\n")).toBe(354);
    pair.client.write("Subject: lmtp\r\n\r\nhi\r\n.\r\n");
    expect([await client.reply(), await client.reply(), await client.reply()].map((reply) => reply.slice(0, 9))).toEqual(["250 2.0.0", "552 5.2.2", "451 4.3.0"]);
  });
});

describe("CHUNKING (RFC 3030)", () => {
  it("streams BDAT chunks to onMessage; 250 after LAST", async () => {
    const messages: Buffer[] = [];
    const server = createServer({ ...base, hooks: storing(messages) });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const client = new ReplyReader(pair.client);
    await client.code();
    await client.send("EHLO client.example\r\n");
    expect(client.text).toContain("250-CHUNKING");
    await client.send("MAIL FROM:<a@example.net>\r\n");
    await client.send("RCPT TO:<b@example.org>\r\n");
    expect(await client.send("BDAT 14\r\nSubject: x\r\n\r\n")).toBe(250);
    expect(await client.send("BDAT 9 LAST\r\n.body\r\n\r\n")).toBe(250);
    expect(messages).toEqual([Buffer.from("Subject: x\r\n\r\n.body\r\n\r\n")]);
  });
});

describe("STARTTLS over an in-memory stream", () => {
  it("upgrades, forgets the EHLO, offers AUTH only inside TLS, and marks the Received header ESMTPSA", async () => {
    const received: string[] = [];
    const server = createServer({
      ...base,
      tls: { key, cert },
      hooks: {
        async onAuth(request) {
          return request.type === "verify-password" && request.password.reveal() === "pw" ? { type: "accept" } : { type: "reject" };
        },
        async onMessage(_envelope, content, info, connection) {
          for await (const chunk of content) void chunk;
          received.push(`${info.receivedHeader}|${String(connection.tls)}|${connection.tlsInfo?.protocol ?? ""}`);
          return undefined;
        },
      },
    });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const plain = new ReplyReader(pair.client);
    await plain.code();
    await plain.send("EHLO client.example\r\n");
    expect(plain.text).toContain("250 STARTTLS");
    expect(plain.text).not.toContain("AUTH");
    expect(await plain.send("STARTTLS\r\n")).toBe(220);
    pair.client.removeAllListeners("data");
    pair.client.removeAllListeners("end");
    // Stop the clear reader's flow so the TLS layer gets every byte.
    pair.client.pause();
    const secure = tls.connect({ socket: pair.client as unknown as import("node:net").Socket, rejectUnauthorized: false });
    // Over a non-socket stream the client emits no secureConnect; writes wait for the handshake anyway.
    // The teardown after QUIT reports an error on the in-memory transport: not what this test is about.
    secure.on("error", () => undefined);
    const client = new ReplyReader(secure as unknown as Duplex);
    expect(await client.send("MAIL FROM:<a@example.net>\r\n")).toBe(503);
    expect(await client.send("EHLO client.example\r\n")).toBe(250);
    expect(client.text).toContain("AUTH PLAIN LOGIN");
    expect(client.text).not.toContain("STARTTLS");
    expect(await client.send(`AUTH PLAIN ${Buffer.from("\0u\0pw").toString("base64")}\r\n`)).toBe(235);
    await client.send("MAIL FROM:<a@example.net>\r\n");
    await client.send("RCPT TO:<b@example.org>\r\n");
    await client.send("DATA\r\n");
    expect(await client.send("Subject: tls\r\n\r\n.\r\n")).toBe(250);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatch(/^Received: from client\.example \(\[192\.0\.2\.1\]\)/);
    expect(received[0]).toMatch(/with ESMTPSA id /);
    expect(received[0]).toMatch(/\|true\|TLSv1\.[23]$/);
    expect(await client.send("QUIT\r\n")).toBe(221);
  });
});

describe("implicit TLS (RFC 8314 §3.3)", () => {
  it("handshakes first, then greets; no STARTTLS is offered", async () => {
    const messages: Buffer[] = [];
    const server = createServer({ ...base, tls: { key, cert, implicit: true }, hooks: storing(messages) });
    const { port, address } = await server.listen({ port: 0 });
    expect(address).toBe("127.0.0.1");
    try {
      const socket = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
      const client = new ReplyReader(socket);
      expect(await client.code()).toBe(220);
      expect(await client.send("EHLO client.example\r\n")).toBe(250);
      expect(client.text).not.toContain("STARTTLS");
      await client.send("MAIL FROM:<a@example.net>\r\n");
      await client.send("RCPT TO:<b@example.org>\r\n");
      await client.send("DATA\r\n");
      expect(await client.send("Subject: implicit\r\n\r\n.\r\n")).toBe(250);
      expect(await client.send("QUIT\r\n")).toBe(221);
      await client.closed();
      expect(messages).toEqual([Buffer.from("Subject: implicit\r\n\r\n")]);
    } finally {
      await server.close({ graceMs: 100 });
    }
  });
});

describe("write backpressure", () => {
  it("stops reading while the client does not read its replies, and resumes on drain", async () => {
    const server = createServer({ ...base, hooks: storing([]) });
    let release: (() => void) | undefined;
    const toClient: Buffer[] = [];
    let serverSide!: Duplex;
    // A server-side stream whose writes complete only when the test says so.
    serverSide = new Duplex({
      writableHighWaterMark: 1,
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        toClient.push(chunk);
        release = callback;
      },
    });
    void server.handleConnection(serverSide, { remoteAddress: "192.0.2.1" });
    await vi.waitFor(() => expect(toClient).toHaveLength(1));
    expect(serverSide.isPaused()).toBe(true);
    const before = release;
    release = undefined;
    before?.();
    await vi.waitFor(() => expect(serverSide.isPaused()).toBe(false));
    serverSide.push("QUIT\r\n");
    await vi.waitFor(() => expect(release).toBeDefined());
    (release as (() => void) | undefined)?.();
    expect(Buffer.concat(toClient).toString()).toMatch(/^220 [\s\S]*221 /);
  });
});

describe("the Received header's protocol (RFC 3848)", () => {
  it("is SMTP after HELO and ESMTP after EHLO", async () => {
    const headers: string[] = [];
    const server = createServer({
      ...base,
      hooks: {
        async onMessage(_envelope, content, info) {
          for await (const chunk of content) void chunk;
          headers.push(info.receivedHeader);
          return undefined;
        },
      },
    });
    for (const hello of ["HELO", "EHLO"]) {
      const pair = duplexPair();
      void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
      const client = new ReplyReader(pair.client);
      await client.code();
      await client.send(`${hello} client.example\r\n`);
      await client.send("MAIL FROM:<a@example.net>\r\n");
      await client.send("RCPT TO:<b@example.org>\r\n");
      await client.send("DATA\r\n");
      expect(await client.send("Subject: p\r\n\r\n.\r\n")).toBe(250);
      await client.send("QUIT\r\n");
    }
    expect(headers[0]).toMatch(/ with SMTP id /);
    expect(headers[1]).toMatch(/ with ESMTP id /);
  });
});

describe("SCRAM-SHA-256-PLUS after STARTTLS (RFC 5802, RFC 9266)", () => {
  async function scram(password: string): Promise<{ code: number; identity: string | undefined }> {
    const verifier = createScramVerifier("pencil", new Uint8Array(16).fill(3), 4096);
    let identity: string | undefined;
    const server = createServer({
      ...base,
      tls: { key, cert },
      auth: { mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"] },
      hooks: {
        async onAuth(request) {
          // Only the stored verifier: no plaintext password on the server.
          return request.type === "lookup-scram-verifier" && request.username === "user" ? { type: "scram-verifier", verifier } : { type: "reject" };
        },
        async onMailFrom(_request, connection) {
          identity = connection.authenticatedAs;
          return undefined;
        },
      },
    });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const plain = new ReplyReader(pair.client);
    await plain.code();
    await plain.send("EHLO client.example\r\n");
    expect(plain.text).not.toContain("SCRAM");
    expect(await plain.send("STARTTLS\r\n")).toBe(220);
    pair.client.removeAllListeners("data");
    pair.client.removeAllListeners("end");
    pair.client.pause();
    const secure = tls.connect({ socket: pair.client as unknown as import("node:net").Socket, rejectUnauthorized: false });
    secure.on("error", () => undefined);
    const client = new ReplyReader(secure as unknown as Duplex);
    expect(await client.send("EHLO client.example\r\n")).toBe(250);
    expect(client.text).toContain("250 AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256\r\n");
    const channelBinding = { type: "tls-exporter" as const, data: new Uint8Array(secure.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0))) };
    const sasl = createSaslClient("SCRAM-SHA-256-PLUS", { credentials: { username: "user", password }, nonce: "rOprNGfwEbeRWgbNEkqO", channelBinding });
    const first = sasl.start({ initialResponse: true });
    if (first.type !== "response") throw new Error("no client-first message");
    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
    let reply = await client.send(`AUTH SCRAM-SHA-256-PLUS ${b64(first.response.reveal())}\r\n`);
    expect(reply).toBe(334);
    const serverFirst = client.text.trimEnd().split("\r\n").at(-1)!.slice(4);
    const final = sasl.respond(new Uint8Array(Buffer.from(serverFirst, "base64")));
    if (final.type !== "response") throw new Error(`client-final failed: ${final.type}`);
    reply = await client.send(`${b64(final.response.reveal())}\r\n`);
    if (reply === 334) {
      const serverFinal = client.text.trimEnd().split("\r\n").at(-1)!.slice(4);
      const verified = sasl.respond(new Uint8Array(Buffer.from(serverFinal, "base64")));
      expect(verified.type).toBe("response");
      reply = await client.send("\r\n");
    }
    if (reply === 235) await client.send("MAIL FROM:<a@example.net>\r\n");
    return { code: reply, identity };
  }

  it("authenticates with the stored verifier and the TLS channel binding", async () => {
    expect(await scram("pencil")).toEqual({ code: 235, identity: "user" });
  });

  it("refuses a wrong password with 535", async () => {
    expect((await scram("crayon")).code).toBe(535);
  });
});

describe("policies passed to the session", () => {
  it("requireTls: MAIL before STARTTLS gets 530 (RFC 3207 §4); requireTls without tls throws", async () => {
    const server = createServer({ ...base, tls: { key, cert }, requireTls: true, hooks: storing([]) });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const client = new ReplyReader(pair.client);
    await client.code();
    await client.send("EHLO client.example\r\n");
    expect(await client.send("MAIL FROM:<a@example.net>\r\n")).toBe(530);
    expect(() => createServer({ ...base, requireTls: true })).toThrow();
  });

  it("auth.required: MAIL before AUTH gets 530 (RFC 4954 §6)", async () => {
    const server = createServer({
      ...base,
      auth: { required: true, allowInsecureAuth: true },
      hooks: { ...storing([]), async onAuth() { return { type: "accept" }; } },
    });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const client = new ReplyReader(pair.client);
    await client.code();
    await client.send("EHLO client.example\r\n");
    expect(await client.send("MAIL FROM:<a@example.net>\r\n")).toBe(530);
    expect(await client.send(`AUTH PLAIN ${Buffer.from("\0u\0p").toString("base64")}\r\n`)).toBe(235);
    expect(await client.send("MAIL FROM:<a@example.net>\r\n")).toBe(250);
  });
});

describe("the Received header never goes missing silently", () => {
  it("is written without the clauses it cannot carry, and a client address it cannot write is logged", async () => {
    const headers: string[] = [];
    const events: import("@smtpkit/server").ServerLogEvent[] = [];
    const server = createServer({
      ...base,
      logger: (event) => events.push(event),
      hooks: {
        async onMessage(_envelope, content, info) {
          for await (const chunk of content) void chunk;
          headers.push(info.receivedHeader);
          return undefined;
        },
      },
    });
    for (const remoteAddress of ["192.0.2.1", "not an address"]) {
      const pair = duplexPair();
      void server.handleConnection(pair.server, { remoteAddress });
      const client = new ReplyReader(pair.client);
      await client.code();
      expect(await client.openData("Postmaster")).toEqual([250, 250, 250, 354]);
      expect(await client.send("Subject: p\r\n\r\n.\r\n")).toBe(250);
      await client.send("QUIT\r\n");
    }
    expect(headers[0]).toMatch(/^Received: from client\.example \(\[192\.0\.2\.1\]\)/);
    expect(headers[0]).not.toContain(" for ");
    // The address cannot be written: the trace keeps the HELO, by, with and id clauses, and the log says what is missing.
    expect(headers[1]).toMatch(/^Received: from client\.example by mx\.example\.org/);
    expect(events).toContainEqual(expect.objectContaining({ type: "hook-error", hook: "received-header", error: "from.address: invalid-syntax" }));
  });
});

describe("SCRAM-SHA-256-PLUS under implicit TLS (RFC 8314 §3.3, RFC 9266), with @smtpkit/client", () => {
  async function submit(password: string): Promise<{ mechanism: string | undefined; identity: string | undefined; error: unknown }> {
    const { connect } = await import("@smtpkit/client");
    const verifier = createScramVerifier("pencil", new Uint8Array(16).fill(5), 4096);
    let identity: string | undefined;
    const server = createServer({
      ...base,
      tls: { key, cert, implicit: true },
      auth: { mechanisms: ["SCRAM-SHA-256-PLUS"] },
      hooks: {
        async onAuth(request) {
          return request.type === "lookup-scram-verifier" && request.username === "user" ? { type: "scram-verifier", verifier } : { type: "reject" };
        },
        async onMailFrom(_request, connection) {
          identity = connection.authenticatedAs;
          return undefined;
        },
        ...storing([]),
      },
    });
    const { port } = await server.listen({ port: 0 });
    try {
      const client = await connect({
        host: "127.0.0.1",
        port,
        implicitTls: true,
        tls: { rejectUnauthorized: false, channelBinding: "tls-exporter" },
        auth: { username: "user", password, mechanisms: ["SCRAM-SHA-256-PLUS"] },
      });
      const mechanism = client.authenticatedWith;
      const result = await client.send({ from: "user@example.net", to: ["bob@example.org"], message: new TextEncoder().encode("Subject: plus\r\n\r\nbound\r\n") });
      expect(result.status).toBe("accepted");
      await client.close();
      return { mechanism, identity, error: undefined };
    } catch (error) {
      return { mechanism: undefined, identity, error };
    } finally {
      await server.close({ graceMs: 100 });
    }
  }

  it("offers and completes SCRAM-SHA-256-PLUS bound to the implicit TLS session", async () => {
    const outcome = await submit("pencil");
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({ mechanism: "SCRAM-SHA-256-PLUS", identity: "user" });
  });

  it("refuses a wrong password", async () => {
    const outcome = await submit("crayon");
    expect(outcome.error).toBeDefined();
    expect(String(outcome.error)).toMatch(/535|credentials|auth/i);
  });
});
