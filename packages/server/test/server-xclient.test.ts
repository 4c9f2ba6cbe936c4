// XCLIENT and XFORWARD through the server (Postfix XCLIENT_README, XFORWARD_README): only trusted front ends
// may use them; the client a front end describes reaches the hooks, the relay policy, the per-address limit,
// the logs and the Received header; everyone else gets 550 5.7.0 (or 502 when the option is off).
import { describe, expect, it } from "vitest";
import type { Envelope } from "@smtpkit/session";
import { createServer, formatReceived, type ConnectionContext, type ServerLogEvent, type ServerOptions } from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

const frontEndAddress = "10.0.0.5";

interface Recorded {
  readonly connects: ConnectionContext[];
  readonly mailFrom: { connection: ConnectionContext; forwarded: unknown }[];
  readonly rcptTo: { connection: ConnectionContext; forwarded: unknown }[];
  readonly messages: { envelope: Envelope; receivedHeader: string; connection: ConnectionContext }[];
  readonly log: ServerLogEvent[];
}

function recordingServer(options: Partial<ServerOptions> = {}): { server: ReturnType<typeof createServer>; recorded: Recorded } {
  const recorded: Recorded = { connects: [], mailFrom: [], rcptTo: [], messages: [], log: [] };
  const server = createServer({
    hostname: "mx.example.org",
    localDomains: ["example.org"],
    xclient: { trustedNetworks: ["10.0.0.0/24"] },
    xforward: { trustedNetworks: ["10.0.0.0/24"] },
    logger: (event) => recorded.log.push(event),
    hooks: {
      async onConnect(connection) {
        recorded.connects.push({ ...connection });
        return connection.remoteAddress === "198.51.100.66" ? { type: "reject" } : undefined;
      },
      async onMailFrom(request, connection) {
        recorded.mailFrom.push({ connection: { ...connection }, forwarded: request.forwarded });
        return undefined;
      },
      async onRcptTo(request, connection) {
        recorded.rcptTo.push({ connection: { ...connection }, forwarded: request.forwarded });
        return undefined;
      },
      async onMessage(envelope, content, info, connection) {
        for await (const chunk of content) void chunk;
        recorded.messages.push({ envelope, receivedHeader: info.receivedHeader, connection: { ...connection } });
        return undefined;
      },
    },
    ...options,
  });
  return { server, recorded };
}

async function open(server: ReturnType<typeof createServer>, remoteAddress: string): Promise<ReplyReader> {
  const pair = duplexPair();
  void server.handleConnection(pair.server, { remoteAddress, remotePort: 40000, localAddress: "10.0.0.1", localPort: 25 });
  const client = new ReplyReader(pair.client);
  expect(await client.code()).toBe(220);
  return client;
}

async function deliver(client: ReplyReader, to: string): Promise<number> {
  expect(await client.send("MAIL FROM:<a@example.net>\r\n")).toBe(250);
  const rcpt = await client.send(`RCPT TO:<${to}>\r\n`);
  if (rcpt !== 250) {
    await client.send("RSET\r\n");
    return rcpt;
  }
  expect(await client.send("DATA\r\n")).toBe(354);
  return client.send("Subject: x\r\n\r\nbody\r\n.\r\n");
}

describe("XCLIENT from a trusted front end", () => {
  it("advertises XCLIENT, re-asks onConnect for the described client, and every later hook, the log and Received see it", async () => {
    const { server, recorded } = recordingServer();
    const client = await open(server, frontEndAddress);
    expect(await client.send("EHLO proxy.example\r\n")).toBe(250);
    expect(client.text).toContain("250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n");
    expect(await client.send("XCLIENT ADDR=192.0.2.77 PORT=51515 NAME=client.example HELO=client.example\r\n")).toBe(220);
    expect(recorded.connects.map((connection) => connection.remoteAddress)).toEqual([frontEndAddress, "192.0.2.77"]);
    expect(recorded.connects[1]).toMatchObject({ remotePort: 51515, remoteName: "client.example", frontEnd: { address: frontEndAddress, port: 40000 } });
    expect(await client.send("EHLO client.example\r\n")).toBe(250);
    expect(await deliver(client, "bob@example.org")).toBe(250);
    expect(recorded.mailFrom[0]!.connection).toMatchObject({ remoteAddress: "192.0.2.77", remoteName: "client.example", helo: "client.example" });
    expect(recorded.rcptTo[0]!.connection.remoteAddress).toBe("192.0.2.77");
    expect(recorded.messages[0]!.receivedHeader).toMatch(/^Received: from client\.example \(client\.example \[192\.0\.2\.77\]\)/);
    expect(recorded.log).toContainEqual(expect.objectContaining({ type: "client-overridden", remoteAddress: "192.0.2.77", name: "client.example", frontEndAddress }));
    await client.send("QUIT\r\n");
  });

  it("judges relaying on the described client: the front end's trusted network does not carry over, LOGIN does (as Postfix)", async () => {
    const { server } = recordingServer({ trustedNetworks: ["10.0.0.0/24"] });
    // The front end itself may relay (it is in trustedNetworks).
    const direct = await open(server, frontEndAddress);
    await direct.send("EHLO proxy.example\r\n");
    expect(await deliver(direct, "someone@elsewhere.example")).toBe(250);
    // The client it describes may not.
    const forwarded = await open(server, frontEndAddress);
    await forwarded.send("EHLO proxy.example\r\n");
    expect(await forwarded.send("XCLIENT ADDR=203.0.113.9\r\n")).toBe(220);
    await forwarded.send("EHLO client.example\r\n");
    expect(await deliver(forwarded, "someone@elsewhere.example")).toBe(550);
    // A described client the front end authenticated may, and Received says ESMTPA.
    expect(await forwarded.send("XCLIENT ADDR=203.0.113.9 LOGIN=alice\r\n")).toBe(220);
    await forwarded.send("EHLO client.example\r\n");
    expect(await deliver(forwarded, "someone@elsewhere.example")).toBe(250);
  });

  it("a rejection from onConnect is the reply to XCLIENT, and the front end keeps its identity", async () => {
    const { server, recorded } = recordingServer();
    const client = await open(server, frontEndAddress);
    await client.send("EHLO proxy.example\r\n");
    expect(await client.send("XCLIENT ADDR=198.51.100.66\r\n")).toBe(554);
    expect(await deliver(client, "bob@example.org")).toBe(250);
    expect(recorded.mailFrom[0]!.connection.remoteAddress).toBe(frontEndAddress);
  });

  it("the per-address limit counts described clients, not the front end (which Postfix does not limit)", async () => {
    const { server, recorded } = recordingServer({ limits: { maxConnectionsPerAddress: 1 } });
    const first = await open(server, frontEndAddress);
    const second = await open(server, frontEndAddress);
    await first.send("EHLO proxy.example\r\n");
    await second.send("EHLO proxy.example\r\n");
    expect(await first.send("XCLIENT ADDR=198.51.100.1\r\n")).toBe(220);
    expect(await second.send("XCLIENT ADDR=198.51.100.1\r\n")).toBe(421);
    await second.closed();
    expect(recorded.log).toContainEqual(expect.objectContaining({ type: "connection-refused", remoteAddress: "198.51.100.1", limit: "maxConnectionsPerAddress" }));
    // A direct client from that address is now over the limit too.
    const pair = duplexPair();
    void server.handleConnection(pair.server, { remoteAddress: "198.51.100.1" });
    const direct = new ReplyReader(pair.client);
    expect(await direct.code()).toBe(421);
    await first.send("QUIT\r\n");
  });

  it("an [UNAVAILABLE] address leaves the Received header without a literal", async () => {
    const { server, recorded } = recordingServer();
    const client = await open(server, frontEndAddress);
    await client.send("EHLO proxy.example\r\n");
    expect(await client.send("XCLIENT ADDR=[UNAVAILABLE] NAME=[UNAVAILABLE]\r\n")).toBe(220);
    await client.send("EHLO client.example\r\n");
    expect(await deliver(client, "bob@example.org")).toBe(250);
    expect(recorded.messages[0]!.receivedHeader).toMatch(/^Received: from client\.example\r?\n?\s+by mx\.example\.org|^Received: from client\.example by mx\.example\.org/);
  });
});

describe("XCLIENT when the hook fails", () => {
  it("an onConnect that throws for the described client answers 421 and closes, as for a new connection", async () => {
    const log: ServerLogEvent[] = [];
    const server = createServer({
      hostname: "mx.example.org",
      xclient: { trustedNetworks: ["10.0.0.0/24"] },
      logger: (event) => log.push(event),
      hooks: {
        async onConnect(connection) {
          if (connection.frontEnd !== undefined) throw new Error("policy database down");
          return undefined;
        },
      },
    });
    const client = await open(server, frontEndAddress);
    await client.send("EHLO proxy.example\r\n");
    expect(await client.send("XCLIENT ADDR=192.0.2.5\r\n")).toBe(421);
    await client.closed();
    expect(log).toContainEqual(expect.objectContaining({ type: "hook-error", hook: "onConnect", error: "Error: policy database down" }));
    expect(log.some((event) => event.type === "client-overridden")).toBe(false);
  });
});

describe("XCLIENT and XFORWARD from anyone else", () => {
  it("an untrusted client gets 550 5.7.0, sees neither advertised, and stays who it is", async () => {
    const { server, recorded } = recordingServer();
    const client = await open(server, "203.0.113.50");
    await client.send("EHLO mallory.example\r\n");
    expect(client.text).not.toContain("XCLIENT");
    expect(client.text).not.toContain("XFORWARD");
    expect(await client.send("XCLIENT ADDR=10.0.0.9 LOGIN=admin\r\n")).toBe(550);
    expect(client.text).toContain("550 5.7.0 ");
    expect(await client.send("XFORWARD ADDR=10.0.0.9\r\n")).toBe(550);
    expect(await deliver(client, "someone@elsewhere.example")).toBe(550);
    expect(recorded.connects).toHaveLength(1);
    expect(recorded.log.some((event) => event.type === "client-overridden" || event.type === "client-forwarded")).toBe(false);
  });

  it("without the options both are 502, not offered", async () => {
    const { server } = recordingServer({ xclient: undefined, xforward: undefined });
    const client = await open(server, frontEndAddress);
    await client.send("EHLO proxy.example\r\n");
    expect(await client.send("XCLIENT ADDR=192.0.2.1\r\n")).toBe(502);
    expect(await client.send("XFORWARD ADDR=192.0.2.1\r\n")).toBe(502);
  });

  it("each connection gets the trust of its own address, whichever connected before (the server prepares one session configuration per trust)", async () => {
    const { server } = recordingServer({ xclient: { trustedNetworks: ["10.0.0.0/24"] }, xforward: { trustedNetworks: ["10.0.1.0/24"] } });
    const expected: Record<string, readonly [boolean, boolean]> = {
      "10.0.0.5": [true, false],
      "10.0.1.5": [false, true],
      "203.0.113.50": [false, false],
    };
    for (const address of ["10.0.0.5", "203.0.113.50", "10.0.1.5", "10.0.0.5", "10.0.1.5", "203.0.113.50"]) {
      const client = await open(server, address);
      await client.send("EHLO peer.example\r\n");
      const [xclient, xforward] = expected[address]!;
      expect(client.text.includes("250-XCLIENT ") || client.text.includes("250 XCLIENT "), `${address} XCLIENT`).toBe(xclient);
      expect(client.text.includes("250-XFORWARD ") || client.text.includes("250 XFORWARD "), `${address} XFORWARD`).toBe(xforward);
      expect(await client.send("XFORWARD ADDR=192.0.2.1\r\n"), address).toBe(xforward ? 250 : 550);
    }
  });

  it("invalid settings throw at createServer", () => {
    expect(() => createServer({ hostname: "mx.example.org", xclient: { trustedNetworks: ["10.0.0.0/33"] } })).toThrow(/CIDR/);
    expect(() => createServer({ hostname: "mx.example.org", xforward: {} as never })).toThrow(/trustedNetworks/);
  });
});

describe("XFORWARD from a trusted front end (a content filter)", () => {
  it("the next message's hooks, log and Received header name the upstream client; the one after does not", async () => {
    const { server, recorded } = recordingServer();
    const client = await open(server, frontEndAddress);
    await client.send("EHLO filter.example\r\n");
    expect(client.text).toMatch(/250[- ]XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n/);
    expect(await client.send("XFORWARD NAME=spike.porcupine.org ADDR=168.100.189.2 PROTO=ESMTP\r\n")).toBe(250);
    expect(await client.send("XFORWARD HELO=spike.porcupine.org IDENT=3CF6B2AAE8 SOURCE=REMOTE\r\n")).toBe(250);
    expect(await deliver(client, "bob@example.org")).toBe(250);
    const forwarded = { name: "spike.porcupine.org", address: "168.100.189.2", port: undefined, protocol: "ESMTP", helo: "spike.porcupine.org", ident: "3CF6B2AAE8", source: "REMOTE" };
    expect(recorded.mailFrom[0]!.forwarded).toEqual(forwarded);
    expect(recorded.rcptTo[0]!.forwarded).toEqual(forwarded);
    expect(recorded.messages[0]!.envelope.forwarded).toEqual(forwarded);
    expect(recorded.messages[0]!.receivedHeader).toMatch(/^Received: from spike\.porcupine\.org \(spike\.porcupine\.org \[168\.100\.189\.2\]\)/);
    // Access decisions still see the filter itself.
    expect(recorded.mailFrom[0]!.connection.remoteAddress).toBe(frontEndAddress);
    expect(recorded.log).toContainEqual(expect.objectContaining({ type: "message-accepted", forwarded }));
    expect(recorded.log).toContainEqual(expect.objectContaining({ type: "client-forwarded", forwarded }));
    expect(await deliver(client, "bob@example.org")).toBe(250);
    expect(recorded.messages[1]!.envelope.forwarded).toBeUndefined();
    expect(recorded.messages[1]!.receivedHeader).toMatch(/^Received: from filter\.example \(\[10\.0\.0\.5\]\)/);
  });
});

describe("formatReceived without a known address", () => {
  it("writes the bare Domain form (RFC 5321 §4.4 Extended-Domain), with the name as a comment", () => {
    const time = new Date(Date.UTC(2026, 10, 29, 13, 16, 55));
    const named = formatReceived({ from: { helo: "client.example", reverseName: "host.example" }, by: "mx.example.org", protocol: "ESMTP", time });
    expect(named.ok && named.header).toBe("Received: from client.example (host.example) by mx.example.org (smtpkit)\r\n\twith ESMTP; Sun, 29 Nov 2026 13:16:55 +0000\r\n");
    const bare = formatReceived({ from: { helo: "" }, by: "mx.example.org", protocol: "ESMTP", time });
    expect(bare.ok && bare.header.startsWith("Received: from unknown by mx.example.org")).toBe(true);
    const odd = formatReceived({ from: { helo: "not a domain" }, by: "mx.example.org", protocol: "ESMTP", time });
    expect(odd.ok && odd.header.startsWith("Received: from unknown (helo=not a domain) by")).toBe(true);
  });
});
