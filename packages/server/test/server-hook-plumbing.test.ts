// How the connection asks the hooks: answers given as values are used at once
// (a pipelined group's replies leave in one write), awaited answers are bounded
// by the connection's one timer (no timer per hook call), the Received header
// carries the message's start time, and message ids stay distinct.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createServer, formatReceived, type MessageInfo, type ServerHooks, type ServerOptions } from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

const base: ServerOptions = { hostname: "mx.example.org", localDomains: ["example.org"] };

function connect(server: ReturnType<typeof createServer>): { client: ReplyReader; writes: string[]; closed: Promise<void> } {
  const pair = duplexPair();
  // Each write of the server arrives as one chunk on the in-memory pair.
  const writes: string[] = [];
  pair.client.on("data", (chunk: Buffer) => writes.push(chunk.toString("latin1")));
  const closed = server.handleConnection(pair.server, { remoteAddress: "192.0.2.1", remotePort: 40000, localAddress: "192.0.2.100", localPort: 25 });
  return { client: new ReplyReader(pair.client), writes, closed };
}

const draining: ServerHooks["onMessage"] = async (_envelope, content) => {
  for await (const chunk of content) void chunk;
};

async function greetAndHello(client: ReplyReader): Promise<void> {
  expect(await client.code()).toBe(220);
  expect(await client.send("EHLO client.example\r\n")).toBe(250);
}

describe("answers given at once", () => {
  it("the replies to a pipelined MAIL, RCPTs and DATA leave in one write", async () => {
    const server = createServer({ ...base, hooks: { onMessage: draining } });
    const { client, writes, closed } = connect(server);
    await greetAndHello(client);
    const before = writes.length;
    client.stream.write("MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<eve@elsewhere.example>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    expect([await client.code(), await client.code(), await client.code(), await client.code(), await client.code()]).toEqual([250, 250, 550, 250, 354]);
    expect(writes.length - before).toBe(1);
    client.stream.write("Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n");
    expect([await client.code(), await client.code()]).toEqual([250, 221]);
    await closed;
  });

  it("plain (not async) hooks are honoured, and one that throws answers 451", async () => {
    const server = createServer({
      ...base,
      hooks: {
        onMailFrom: ({ from }) => (from?.localPart === "spammer" ? { type: "reject", situation: "MailboxUnavailable" } : undefined),
        onRcptTo: ({ to }) => {
          if (to.localPart === "broken") throw new Error("the directory is down");
          return undefined;
        },
        onMessage: draining,
      },
    });
    const { client, writes, closed } = connect(server);
    await greetAndHello(client);
    const before = writes.length;
    client.stream.write("MAIL FROM:<spammer@example.net>\r\nMAIL FROM:<alice@example.net>\r\nRCPT TO:<broken@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
    const replies = [await client.reply(), await client.reply(), await client.reply(), await client.reply(), await client.reply()];
    expect(replies.map((reply) => reply.slice(0, 3))).toEqual(["550", "250", "451", "250", "354"]);
    expect(writes.length - before).toBe(1);
    client.stream.write("Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n");
    expect([await client.code(), await client.code()]).toEqual([250, 221]);
    await closed;
  });
});

describe("answers that are awaited", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("twenty async RCPT answers in a row do not start a timer each", async () => {
    vi.useFakeTimers();
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const server = createServer({
      ...base,
      hookTimeoutMs: 30_000,
      hooks: { onRcptTo: async () => undefined, onMessage: draining },
    });
    const { client, closed } = connect(server);
    await vi.advanceTimersByTimeAsync(0);
    await greetAndHello(client);
    await vi.advanceTimersByTimeAsync(0);
    const before = setTimeoutSpy.mock.calls.length;
    const recipients = Array.from({ length: 20 }, (_, index) => `RCPT TO:<user${index}@example.org>\r\n`).join("");
    client.stream.write(`MAIL FROM:<alice@example.net>\r\n${recipients}`);
    await vi.advanceTimersByTimeAsync(0);
    const codes: number[] = [];
    for (let index = 0; index < 21; index += 1) codes.push(await client.code());
    expect(codes.every((code) => code === 250)).toBe(true);
    // One timer per connection: re-armed at most when the earliest deadline comes closer.
    expect(setTimeoutSpy.mock.calls.length - before).toBeLessThanOrEqual(2);
    client.stream.write("QUIT\r\n");
    await vi.advanceTimersByTimeAsync(0);
    expect(await client.code()).toBe(221);
    await vi.advanceTimersByTimeAsync(0);
    await closed;
  });

  it("a late answer after the timeout is ignored: the 451 stands and the conversation goes on in step", async () => {
    vi.useFakeTimers();
    let release: (() => void) | undefined;
    const server = createServer({
      ...base,
      hookTimeoutMs: 5_000,
      hooks: {
        onMailFrom: () => new Promise((resolve) => (release = () => resolve(undefined))),
        onMessage: draining,
      },
    });
    const { client, closed } = connect(server);
    await vi.advanceTimersByTimeAsync(0);
    await greetAndHello(client);
    client.stream.write("MAIL FROM:<alice@example.net>\r\n");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await client.reply()).toMatch(/^451 4\.3\.0 /);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(await client.send("NOOP\r\n")).toBe(250);
    client.stream.write("QUIT\r\n");
    await vi.advanceTimersByTimeAsync(0);
    expect(await client.code()).toBe(221);
    await vi.advanceTimersByTimeAsync(0);
    await closed;
  });
});

describe("the Received header and the message id", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("carries the time the message began, however late it is read, and the same text on every read", async () => {
    vi.useFakeTimers();
    const start = new Date("2026-11-29T12:00:00Z");
    vi.setSystemTime(start);
    const seen: string[] = [];
    const server = createServer({
      ...base,
      hooks: {
        async onMessage(_envelope, content, info: MessageInfo) {
          for await (const chunk of content) void chunk;
          // Read long after the message began.
          await new Promise((resolve) => setTimeout(resolve, 65_000));
          seen.push(info.receivedHeader, info.receivedHeader, info.id);
        },
      },
    });
    const { client, closed } = connect(server);
    await vi.advanceTimersByTimeAsync(0);
    await greetAndHello(client);
    client.stream.write("MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
    await vi.advanceTimersByTimeAsync(0);
    expect([await client.code(), await client.code(), await client.code()]).toEqual([250, 250, 354]);
    client.stream.write("Subject: x\r\n\r\nhi\r\n.\r\n");
    await vi.advanceTimersByTimeAsync(65_000);
    expect(await client.code()).toBe(250);
    const [first, second, id] = seen;
    expect(first).toBe(second);
    const reference = formatReceived({ from: { helo: "client.example" }, by: "mx.example.org", protocol: "ESMTP", time: start });
    const dateAtStart = reference.ok ? reference.header.slice(reference.header.lastIndexOf(";") + 1) : "none";
    expect(first?.endsWith(dateAtStart)).toBe(true);
    expect(first).toContain(`id ${id}`);
    client.stream.write("QUIT\r\n");
    await vi.advanceTimersByTimeAsync(0);
    await closed;
  });

  it("gives each message of a connection its own id: the connection id and 8 hex digits", async () => {
    const ids: string[] = [];
    const server = createServer({
      ...base,
      hooks: {
        async onMessage(_envelope, content, info) {
          for await (const chunk of content) void chunk;
          ids.push(info.id);
        },
      },
    });
    const { client, closed } = connect(server);
    await greetAndHello(client);
    for (let index = 0; index < 40; index += 1) {
      client.stream.write("MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
      expect([await client.code(), await client.code(), await client.code()]).toEqual([250, 250, 354]);
      client.stream.write("Subject: x\r\n\r\nhi\r\n.\r\n");
      expect(await client.code()).toBe(250);
    }
    client.stream.write("QUIT\r\n");
    expect(await client.code()).toBe(221);
    await closed;
    expect(new Set(ids).size).toBe(40);
    const prefix = ids[0]?.slice(0, -8) ?? "";
    for (const id of ids) expect(id).toMatch(new RegExp(`^${prefix}[0-9a-f]{8}$`));
  });
});
