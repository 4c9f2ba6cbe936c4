// PROXY protocol on a real listener: the client address from a trusted
// proxy's header reaches the hooks, the limits and the Received header;
// untrusted peers and malformed headers are dropped without a reply.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createServer, encodeProxyHeader, ServerUsageError, type ConnectionContext, type ServerLogEvent, type SmtpServer } from "@smtpkit/server";
import { ReplyReader } from "./server-helpers.js";

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ graceMs: 100 });
  server = undefined;
});

async function start(trustedProxies: string[], seen: ConnectionContext[], events: ServerLogEvent[] = []): Promise<number> {
  server = createServer({
    hostname: "mx.example.org",
    localDomains: ["example.org"],
    proxyProtocol: { trustedProxies, headerTimeoutMs: 2000 },
    logger: (event) => events.push(event),
    hooks: {
      async onConnect(connection) {
        seen.push({ ...connection });
        return undefined;
      },
      async onMessage(_envelope, content, info) {
        for await (const chunk of content) void chunk;
        seen.push({ helo: info.receivedHeader } as unknown as ConnectionContext);
        return undefined;
      },
    },
  });
  return (await server.listen({ port: 0 })).port;
}

function closedWithoutReply(socket: net.Socket): Promise<string> {
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
  socket.on("error", () => undefined);
  return new Promise((resolve) => socket.on("close", () => resolve(text)));
}

describe("PROXY protocol", () => {
  for (const version of [1, 2] as const) {
    it(`v${version}: the proxied client address reaches the hooks and the Received header`, async () => {
      const seen: ConnectionContext[] = [];
      const port = await start(["127.0.0.0/8"], seen);
      const socket = net.connect(port, "127.0.0.1");
      const header = encodeProxyHeader({
        version,
        command: "proxy",
        transport: "TCP4",
        tlvs: [],
        source: { type: "inet", address: "203.0.113.7", port: 51000 },
        destination: { type: "inet", address: "198.51.100.2", port: 25 },
      });
      socket.write(header);
      const client = new ReplyReader(socket);
      expect(await client.code()).toBe(220);
      expect(seen[0]).toMatchObject({ remoteAddress: "203.0.113.7", remotePort: 51000, localAddress: "198.51.100.2", localPort: 25 });
      expect(await client.send("EHLO client.example\r\n")).toBe(250);
      await client.send("MAIL FROM:<a@example.net>\r\n");
      await client.send("RCPT TO:<b@example.org>\r\n");
      await client.send("DATA\r\n");
      expect(await client.send("Subject: proxied\r\n\r\n.\r\n")).toBe(250);
      expect(seen[1]?.helo).toMatch(/^Received: from client\.example \(\[203\.0\.113\.7\]\)/);
      expect(await client.send("QUIT\r\n")).toBe(221);
    });
  }

  it("a header and the first command in one segment: the command is read as early talk, not lost", async () => {
    const seen: ConnectionContext[] = [];
    const port = await start(["127.0.0.1"], seen);
    const socket = net.connect(port, "127.0.0.1");
    socket.write(Buffer.concat([Buffer.from("PROXY TCP4 203.0.113.8 198.51.100.2 40000 25\r\n"), Buffer.from("EHLO early.example\r\n")]));
    const client = new ReplyReader(socket);
    // RFC 5321 §4.3.1 / the session's forbidUnauthorizedPipelining: talking before the greeting is refused.
    expect(await client.code()).toBe(554);
    socket.destroy();
  });

  it("drops connections from untrusted peers and malformed headers without a word", async () => {
    const events: ServerLogEvent[] = [];
    const port = await start(["10.0.0.0/8"], [], events);
    const untrusted = net.connect(port, "127.0.0.1");
    untrusted.write("PROXY TCP4 203.0.113.7 198.51.100.2 51000 25\r\n");
    expect(await closedWithoutReply(untrusted)).toBe("");
    expect(events).toContainEqual(expect.objectContaining({ type: "connection-refused", limit: "untrusted-proxy" }));
    await server?.close({ graceMs: 100 });
    const port2 = await start(["127.0.0.0/8"], [], events);
    const garbage = net.connect(port2, "127.0.0.1");
    garbage.write("EHLO not-a-proxy-header\r\n");
    expect(await closedWithoutReply(garbage)).toBe("");
  });

  it("refuses bad settings", () => {
    expect(() => createServer({ hostname: "mx.example.org", proxyProtocol: { trustedProxies: [] } })).toThrow(ServerUsageError);
    expect(() => createServer({ hostname: "mx.example.org", proxyProtocol: { trustedProxies: ["not-an-address"] } })).toThrow(ServerUsageError);
    expect(() => createServer({ hostname: "mx.example.org", proxyProtocol: { trustedProxies: ["127.0.0.1"], headerTimeoutMs: 0 } })).toThrow(ServerUsageError);
  });
});
