// The connection driver over in-memory duplex pairs: a whole transaction,
// hooks, logging without credentials, backpressure, timeouts, limits and
// graceful close.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createServer,
  MessageAbortedError,
  nodeMaildirFileSystem,
  ServerUsageError,
  type ServerHooks,
  type ServerLogEvent,
  type ServerOptions,
} from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

interface Received {
  from: string | undefined;
  to: string[];
  data: Buffer;
}

function collectingHooks(received: Received[], extra: Partial<ServerHooks> = {}): ServerHooks {
  return {
    async onMessage(envelope, content) {
      const chunks: Buffer[] = [];
      for await (const chunk of content) chunks.push(Buffer.from(chunk));
      received.push({
        from: envelope.from === null ? undefined : `${envelope.from.localPart}@${envelope.from.domain}`,
        to: envelope.recipients.map((recipient) => `${recipient.to.localPart}@${recipient.to.domain}`),
        data: Buffer.concat(chunks),
      });
      return undefined;
    },
    ...extra,
  };
}

function connect(server: ReturnType<typeof createServer>, remoteAddress = "192.0.2.1"): { client: ReplyReader; closed: Promise<void> } {
  const pair = duplexPair();
  const closed = server.handleConnection(pair.server, { remoteAddress, remotePort: 40000, localAddress: "192.0.2.100", localPort: 25 });
  return { client: new ReplyReader(pair.client), closed };
}

const base: ServerOptions = { hostname: "mx.example.org", localDomains: ["example.org"] };

describe("a transaction over an in-memory stream", () => {
  it("delivers a pipelined message to onMessage, in order, with the right replies", async () => {
    const received: Received[] = [];
    const events: ServerLogEvent[] = [];
    const server = createServer({ ...base, hooks: collectingHooks(received), logger: (event) => events.push(event) });
    const { client, closed } = connect(server);
    expect(await client.code()).toBe(220);
    expect(await client.send("EHLO client.example\r\n")).toBe(250);
    client.stream.write("MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<eve@elsewhere.example>\r\nDATA\r\n");
    expect([await client.code(), await client.code(), await client.code(), await client.code()]).toEqual([250, 250, 550, 354]);
    client.stream.write("Subject: hi\r\n\r\n..dotted\r\n.\r\n");
    expect(await client.code()).toBe(250);
    expect(await client.send("QUIT\r\n")).toBe(221);
    await closed;
    expect(received).toEqual([{ from: "alice@example.net", to: ["bob@example.org"], data: Buffer.from("Subject: hi\r\n\r\n.dotted\r\n") }]);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("connection");
    expect(types).toContain("command");
    expect(types).toContain("reply");
    expect(events.find((event) => event.type === "message-accepted")).toMatchObject({ size: 24, recipients: 1 });
    expect(events.at(-1)).toMatchObject({ type: "connection", phase: "close", reason: "quit" });
    // The relay refusal is 550 5.7.1 (RFC 5321 §3.6.2).
    expect(client.text).toContain("550 5.7.1");
  });

  it("answers with a hook's situation or custom reply, and 451 when a hook throws", async () => {
    const events: ServerLogEvent[] = [];
    const server = createServer({
      ...base,
      logger: (event) => events.push(event),
      hooks: collectingHooks([], {
        async onRcptTo({ to }) {
          return to.localPart === "grey" ? { type: "reject", situation: "Greylisted" } : undefined;
        },
        async onMailFrom({ from }) {
          if (from?.localPart === "custom") return { type: "reject", reply: { code: 550, enhanced: "5.7.27", text: "Sender domain publishes a null MX" } };
          if (from?.localPart === "broken") throw new Error("database down");
          return undefined;
        },
      }),
    });
    const { client } = connect(server);
    await client.code();
    await client.send("EHLO client.example\r\n");
    expect(await client.send("MAIL FROM:<custom@example.net>\r\n")).toBe(550);
    expect(client.text).toContain("550 5.7.27 Sender domain publishes a null MX");
    expect(await client.send("MAIL FROM:<broken@example.net>\r\n")).toBe(451);
    expect(events.find((event) => event.type === "hook-error")).toMatchObject({ hook: "onMailFrom", error: "Error: database down" });
    expect(await client.send("MAIL FROM:<fine@example.net>\r\n")).toBe(250);
    // RFC 6647 greylisting: 450 4.7.1 is a reply RCPT may have.
    expect(await client.send("RCPT TO:<grey@example.org>\r\n")).toBe(450);
    expect(await client.send("QUIT\r\n")).toBe(221);
  });

  it("falls back to 451 when a hook answers with a reply the command may not have", async () => {
    const server = createServer({
      ...base,
      hooks: collectingHooks([], { async onRcptTo() { return { type: "reject", reply: { code: 354, text: "go ahead" } }; } }),
    });
    const { client } = connect(server);
    await client.code();
    await client.send("EHLO client.example\r\n");
    await client.send("MAIL FROM:<a@example.net>\r\n");
    expect(await client.send("RCPT TO:<bob@example.org>\r\n")).toBe(451);
  });

  it("authenticates through onAuth and never logs the password", async () => {
    const events: ServerLogEvent[] = [];
    const requests: string[] = [];
    const server = createServer({
      ...base,
      auth: { allowInsecureAuth: true },
      logger: (event) => events.push(event),
      hooks: collectingHooks([], {
        async onAuth(request) {
          requests.push(request.type);
          if (request.type === "verify-password" && request.username === "alice" && request.password.reveal() === "s3cret-pw") return { type: "accept" };
          return { type: "reject" };
        },
      }),
    });
    const { client } = connect(server);
    await client.code();
    expect(await client.send("EHLO client.example\r\n")).toBe(250);
    expect(client.text).toContain("AUTH PLAIN LOGIN");
    const wrong = Buffer.from("\0alice\0wrong-pw").toString("base64");
    expect(await client.send(`AUTH PLAIN ${wrong}\r\n`)).toBe(535);
    const right = Buffer.from("\0alice\0s3cret-pw").toString("base64");
    expect(await client.send(`AUTH PLAIN ${right}\r\n`)).toBe(235);
    // Authenticated: relaying is allowed by the policy and the hooks see who it is.
    expect(await client.send("MAIL FROM:<alice@example.org>\r\n")).toBe(250);
    expect(await client.send("RCPT TO:<friend@elsewhere.example>\r\n")).toBe(250);
    expect(await client.send("QUIT\r\n")).toBe(221);
    const logged = JSON.stringify(events);
    expect(logged).not.toContain("s3cret-pw");
    expect(logged).not.toContain(right);
    expect(logged).not.toContain(wrong);
    expect(events).toContainEqual(expect.objectContaining({ type: "authenticated", identity: "alice", mechanism: "PLAIN" }));
    expect(requests).toEqual(["verify-password", "verify-password"]);
  });

  it("does not offer AUTH in the clear unless allowed", async () => {
    const server = createServer({ ...base, hooks: collectingHooks([], { async onAuth() { return { type: "accept" }; } }) });
    const { client } = connect(server);
    await client.code();
    await client.send("EHLO client.example\r\n");
    expect(client.text).not.toContain("AUTH");
    expect(await client.send(`AUTH PLAIN ${Buffer.from("\0a\0b").toString("base64")}\r\n`)).toBe(538);
  });

  it("refuses over-size messages with 552: declared in SIZE, and counted on the bytes", async () => {
    const received: Received[] = [];
    const server = createServer({ ...base, limits: { maxMessageSize: 1000 }, hooks: collectingHooks(received) });
    const { client } = connect(server);
    await client.code();
    await client.send("EHLO client.example\r\n");
    expect(client.text).toContain("SIZE 1000");
    expect(await client.send("MAIL FROM:<a@example.net> SIZE=5000\r\n")).toBe(552);
    expect(await client.send("MAIL FROM:<a@example.net>\r\n")).toBe(250);
    expect(await client.send("RCPT TO:<bob@example.org>\r\n")).toBe(250);
    expect(await client.send("DATA\r\n")).toBe(354);
    expect(await client.send(`Subject: big\r\n\r\n${"x".repeat(70)}\r\n`.repeat(20) + ".\r\n")).toBe(552);
    expect(received).toEqual([]);
  });

  it("never ends the data early on a bare-LF dot (smuggling)", async () => {
    const received: Received[] = [];
    const server = createServer({ ...base, hooks: collectingHooks(received) });
    const { client } = connect(server);
    await client.code();
    expect(await client.openData("bob@example.org")).toEqual([250, 250, 250, 354]);
    client.stream.write("Subject: one\r\n\r\nbody\n.\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n");
    client.stream.write("Subject: smuggled\r\n\r\n.\r\n");
    // One reply for the whole thing: 550 5.5.2 (bare LF), never a 250 and never a second transaction.
    expect(await client.code()).toBe(550);
    expect(await client.send("QUIT\r\n")).toBe(221);
    expect(received).toEqual([]);
    expect(client.text).not.toMatch(/^354.*\r\n[\s\S]*^354/m);
  });
});

describe("backpressure", () => {
  it("stops reading from the socket while onMessage falls behind, and loses nothing", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let total = 0;
    const server = createServer({
      ...base,
      contentHighWaterMark: 4096,
      hooks: {
        async onMessage(_envelope, content) {
          await gate;
          for await (const chunk of content) total += chunk.length;
          return undefined;
        },
      },
    });
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "192.0.2.1" });
    const client = new ReplyReader(pair.client);
    await client.code();
    expect(await client.openData("bob@example.org")).toEqual([250, 250, 250, 354]);
    const line = `${"y".repeat(998)}\r\n`;
    for (let index = 0; index < 64; index += 1) pair.client.write(line);
    pair.client.write(".\r\n");
    await vi.waitFor(() => expect(pair.server.isPaused()).toBe(true));
    release();
    expect(await client.code()).toBe(250);
    expect(total).toBe(64 * line.length);
    expect(pair.server.isPaused()).toBe(false);
    expect(await client.send("QUIT\r\n")).toBe(221);
  });

  it("a hook that settles without reading stops the buffering (the socket is read on)", async () => {
    const server = createServer({
      ...base,
      contentHighWaterMark: 1024,
      hooks: { async onMessage() { return { type: "reject", situation: "TransactionFailed" }; } },
    });
    const { client } = connect(server);
    await client.code();
    expect(await client.openData("bob@example.org")).toEqual([250, 250, 250, 354]);
    expect(await client.send(`${"z".repeat(500)}\r\n`.repeat(100) + ".\r\n")).toBe(554);
  });

  it("the hook sees MessageAbortedError when the client goes away mid-message", async () => {
    let seen: unknown;
    const hookDone = new Promise<void>((resolve) => {
      const server = createServer({
        ...base,
        hooks: {
          async onMessage(_envelope, content) {
            try {
              for await (const chunk of content) void chunk;
            } catch (error) {
              seen = error;
            }
            resolve();
            return undefined;
          },
        },
      });
      void (async () => {
        const { client } = connect(server);
        await client.code();
        expect(await client.openData("bob@example.org")).toEqual([250, 250, 250, 354]);
        client.stream.write("Subject: cut\r\n\r\nhalf a mess");
        setTimeout(() => client.stream.destroy(), 20);
      })();
    });
    await hookDone;
    expect(MessageAbortedError.isInstance(seen)).toBe(true);
  });
});

describe("timeouts (fake timers)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("closes an idle connection with 421 4.4.2 at the command deadline, with one timer", async () => {
    vi.useFakeTimers();
    const server = createServer({ ...base, timeouts: { command: 60_000 }, hooks: collectingHooks([]) });
    const { client, closed } = connect(server);
    await vi.advanceTimersByTimeAsync(0);
    expect(await client.code()).toBe(220);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(client.text).not.toContain("421");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await client.reply()).toMatch(/^421 4\.4\.2 /);
    await vi.advanceTimersByTimeAsync(0);
    await closed;
  });
});

describe("connection limits", () => {
  it("answers 421 4.7.0 past the per-address and total limits, and frees the slots on close", async () => {
    const events: ServerLogEvent[] = [];
    const server = createServer({ ...base, limits: { maxConnections: 2, maxConnectionsPerAddress: 1 }, hooks: collectingHooks([]), logger: (event) => events.push(event) });
    const first = connect(server, "192.0.2.1");
    expect(await first.client.code()).toBe(220);
    const second = connect(server, "192.0.2.1");
    expect(await second.client.reply()).toMatch(/^421 4\.7\.0 /);
    await second.closed;
    const third = connect(server, "192.0.2.2");
    expect(await third.client.code()).toBe(220);
    const fourth = connect(server, "192.0.2.3");
    expect(await fourth.client.reply()).toMatch(/^421 4\.7\.0 /);
    expect(events.filter((event) => event.type === "connection-refused").map((event) => (event as { limit: string }).limit)).toEqual([
      "maxConnectionsPerAddress",
      "maxConnections",
    ]);
    expect(await first.client.send("QUIT\r\n")).toBe(221);
    await first.closed;
    const fifth = connect(server, "192.0.2.1");
    expect(await fifth.client.code()).toBe(220);
  });

  it("refuses invalid limits with a typed error", () => {
    expect(() => createServer({ ...base, limits: { maxConnections: 0 } })).toThrow(ServerUsageError);
    expect(() => createServer({ ...base, limits: { maxConnectionsPerAddress: 1.5 } })).toThrow(ServerUsageError);
    expect(() => createServer({ ...base, contentHighWaterMark: -1 })).toThrow(ServerUsageError);
  });
});

describe("graceful close", () => {
  it("lets a message under way finish with 250, then 421; an idle session gets 421 at once", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = createServer({
      ...base,
      hooks: {
        async onMessage(_envelope, content) {
          for await (const chunk of content) void chunk;
          await gate;
          return undefined;
        },
      },
    });
    const idle = connect(server, "192.0.2.1");
    const busy = connect(server, "192.0.2.2");
    await idle.client.code();
    await busy.client.code();
    await idle.client.send("EHLO idle.example\r\n");
    await busy.client.send("EHLO busy.example\r\n");
    await busy.client.send("MAIL FROM:<a@example.net>\r\n");
    await busy.client.send("RCPT TO:<bob@example.org>\r\n");
    await busy.client.send("DATA\r\n");
    busy.client.stream.write("Subject: last\r\n\r\nbody\r\n.\r\n");
    const closing = server.close({ graceMs: 10_000 });
    expect(await idle.client.reply()).toMatch(/^421 4\.3\.2 /);
    await idle.closed;
    release();
    expect(await busy.client.code()).toBe(250);
    expect(await busy.client.send("MAIL FROM:<a@example.net>\r\n")).toBe(421);
    await closing;
    expect(server.connectionCount).toBe(0);
  });

  it("cuts what remains after the grace period", async () => {
    const server = createServer({
      ...base,
      hooks: { async onMessage() { return new Promise(() => undefined); } },
    });
    const { client, closed } = connect(server);
    await client.code();
    expect(await client.openData("bob@example.org")).toEqual([250, 250, 250, 354]);
    client.stream.write("Subject: stuck\r\n\r\n.\r\n");
    await server.close({ graceMs: 50 });
    await closed;
    // The unanswered message gets a temporary failure, then the shutdown's 421; never a 250.
    expect(client.text).not.toMatch(/^250 2\.0\.0/m);
    expect(client.text).toMatch(/^451 4\.3\.0 .*\r\n421 4\.3\.2 /m);
  });

  it("cuts a message still streaming in when the grace period ends", async () => {
    const server = createServer({ ...base, hooks: collectingHooks([]) });
    const { client, closed } = connect(server);
    await client.code();
    expect(await client.openData("bob@example.org")).toEqual([250, 250, 250, 354]);
    client.stream.write("Subject: never ends\r\n\r\nstill typing");
    await server.close({ graceMs: 50 });
    await closed;
    expect(client.text).not.toMatch(/^250 2\.0\.0/m);
  });
});

describe("the default Maildir store", () => {
  let sandbox: string;
  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), "smtpkit-server-"));
  });
  afterEach(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  async function sendOne(options: ServerOptions, message: string): Promise<string[]> {
    const server = createServer(options);
    const { client, closed } = connect(server, "192.0.2.7");
    const codes: string[] = [];
    await client.code();
    await client.send("EHLO client.example\r\n");
    await client.send("MAIL FROM:<alice@example.net>\r\n");
    codes.push((await client.send("RCPT TO:<Bob@Example.org>\r\n")).toString());
    codes.push((await client.send("RCPT TO:<mallory@elsewhere.example>\r\n")).toString());
    await client.send("DATA\r\n");
    codes.push((await client.send(`${message}.\r\n`)).toString());
    await client.send("QUIT\r\n");
    await closed;
    return [...codes, client.text];
  }

  it("stores the message with Return-Path and Received, refuses relaying, 250 only after the file is in new/", async () => {
    const message = "Subject: hello\r\n\r\nHello Bob\r\n";
    const [rcptLocal, rcptRemote, dataCode, transcript] = await sendOne({ ...base, maildir: join(sandbox, "mail") }, message);
    expect([rcptLocal, rcptRemote, dataCode]).toEqual(["250", "550", "250"]);
    expect(transcript).toContain("550 5.7.1");
    const directory = join(sandbox, "mail", "example.org", "bob", "new");
    const files = await readdir(directory);
    expect(files).toHaveLength(1);
    const stored = await readFile(join(directory, files[0]!), "latin1");
    expect(stored.startsWith("Return-Path: <alice@example.net>\r\nReceived: from client.example ([192.0.2.7])")).toBe(true);
    expect(stored).toMatch(/by mx\.example\.org/);
    expect(stored).toMatch(/with ESMTP id /);
    expect(stored.endsWith(`\r\n${message}`)).toBe(true);
    expect(files[0]).toMatch(new RegExp(`,S=${Buffer.byteLength(stored)}$`));
  });

  it("accepts the bare <Postmaster> (RFC 5321 §4.1.1.3) into postmaster@ the first local domain", async () => {
    const root = join(sandbox, "mail-postmaster");
    const server = createServer({ ...base, maildir: root });
    const { client, closed } = connect(server);
    await client.code();
    await client.send("EHLO client.example\r\n");
    await client.send("MAIL FROM:<>\r\n");
    expect(await client.send("RCPT TO:<Postmaster>\r\n")).toBe(250);
    await client.send("DATA\r\n");
    expect(await client.send("Subject: to the postmaster\r\n\r\n.\r\n")).toBe(250);
    await client.send("QUIT\r\n");
    await closed;
    const files = await readdir(join(root, "example.org", "postmaster", "new"));
    expect(files).toHaveLength(1);
    const stored = await readFile(join(root, "example.org", "postmaster", "new", files[0]!), "latin1");
    expect(stored.startsWith("Return-Path: <>\r\nReceived: ")).toBe(true);
  });

  it("a full disk answers 452 4.3.1 and a storage error 451 4.3.0, never 250", async () => {
    for (const [code, expected] of [
      ["ENOSPC", "452"],
      ["EIO", "451"],
    ] as const) {
      const real = nodeMaildirFileSystem();
      const failing = {
        ...real,
        async createExclusive(path: string, mode: number) {
          const file = await real.createExclusive(path, mode);
          return {
            write: async () => {
              throw Object.assign(new Error(code), { code });
            },
            sync: () => file.sync(),
            close: () => file.close(),
          };
        },
      };
      const root = join(sandbox, `mail-${code}`);
      const [, , dataCode, transcript] = await sendOne({ ...base, maildir: { root, fileSystem: failing } }, "Subject: x\r\n\r\nx\r\n");
      expect(dataCode, transcript).toBe(expected);
      expect(transcript).toContain(expected === "452" ? "452 4.3.1" : "451 4.3.0");
      expect(await readdir(join(root, "example.org", "bob", "new")).catch(() => [])).toEqual([]);
    }
  });
});

describe("hook timeouts (fake timers)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a hook that never answers gets a temporary failure, never a hang", async () => {
    vi.useFakeTimers();
    const events: ServerLogEvent[] = [];
    const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
    const server = createServer({
      ...base,
      hookTimeoutMs: 10_000,
      logger: (event) => events.push(event),
      hooks: {
        onRcptTo: async ({ to }) => (to.localPart === "slow" ? never() : undefined),
        onMessage: async (_envelope, content) => {
          for await (const chunk of content) void chunk;
          return never();
        },
      },
    });
    const { client } = connect(server);
    await vi.advanceTimersByTimeAsync(0);
    await client.code();
    client.stream.write("EHLO client.example\r\n");
    await vi.advanceTimersByTimeAsync(0);
    await client.code();
    client.stream.write("MAIL FROM:<a@example.net>\r\nRCPT TO:<slow@example.org>\r\n");
    await vi.advanceTimersByTimeAsync(0);
    expect(await client.code()).toBe(250);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(client.text).not.toContain("451");
    await vi.advanceTimersByTimeAsync(1);
    expect(await client.reply()).toMatch(/^451 4\.3\.0 /);
    client.stream.write("RCPT TO:<fast@example.org>\r\nDATA\r\n");
    await vi.advanceTimersByTimeAsync(0);
    expect([await client.code(), await client.code()]).toEqual([250, 354]);
    client.stream.write("Subject: stuck store\r\n\r\n.\r\n");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await client.reply()).toMatch(/^451 4\.3\.0 /);
    expect(events.filter((event) => event.type === "hook-error").map((event) => (event as { hook: string }).hook)).toEqual(["onRcptTo", "onMessage"]);
  });

  it("an onConnect that never answers gets 421", async () => {
    vi.useFakeTimers();
    const server = createServer({ ...base, hookTimeoutMs: 1_000, hooks: { onConnect: () => new Promise(() => undefined) } });
    const { client, closed } = connect(server);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await client.reply()).toMatch(/^421 /);
    await vi.advanceTimersByTimeAsync(0);
    await closed;
  });
});
