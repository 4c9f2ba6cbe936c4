// Real clients -> this server's XCLIENT (Postfix XCLIENT_README), over loopback: swaks, acting as a trusted
// front end with --xclient-*, delivers into the default Maildir store, and the stored Received line, the
// hooks and the log name the client swaks described; from an untrusted address XCLIENT gets 550 5.7.0.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePeer, sendWithSwaks } from "@smtpkit/interop";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ConnectionContext, type ServerLogEvent, type SmtpServer } from "@smtpkit/server";
import { ReplyReader } from "./server-helpers.js";

const DOMAIN = "example.test";

function message(tag: string): Buffer {
  return Buffer.from(
    [
      "From: Alice <alice@client.example.test>",
      `To: ${tag}@${DOMAIN}`,
      `Subject: xclient ${tag}`,
      "Date: Sun, 29 Nov 2026 14:00:00 +0000",
      `Message-ID: <${tag}.1@client.example.test>`,
      "",
      "Hello through a front end.",
      "",
    ].join("\r\n"),
  );
}

let sandbox: string;
let root: string;
let trusting: SmtpServer;
let trustingPort: number;
let distrusting: SmtpServer;
let distrustingPort: number;
const events: ServerLogEvent[] = [];
const mailFromContexts: ConnectionContext[] = [];

async function stored(localPart: string): Promise<string> {
  const directory = join(root, DOMAIN, localPart, "new");
  const names = await readdir(directory);
  expect(names).toHaveLength(1);
  return (await readFile(join(directory, names[0]!))).toString("latin1");
}

describe.skipIf(!requirePeer("swaks"))("swaks as a trusted XCLIENT front end -> @smtpkit/server", () => {
  beforeAll(async () => {
    sandbox = await mkdtemp(join(tmpdir(), "smtpkit-server-xclient-"));
    root = join(sandbox, "maildir");
    trusting = createServer({
      hostname: "mx.example.test",
      localDomains: [DOMAIN],
      maildir: root,
      xclient: { trustedNetworks: ["127.0.0.1/32"] },
      logger: (event) => events.push(event),
      hooks: {
        async onMailFrom(_request, connection) {
          mailFromContexts.push({ ...connection });
          return undefined;
        },
      },
    });
    trustingPort = (await trusting.listen({ port: 0 })).port;
    distrusting = createServer({ hostname: "mx.example.test", localDomains: [DOMAIN], maildir: root, xclient: { trustedNetworks: ["192.0.2.0/24"] } });
    distrustingPort = (await distrusting.listen({ port: 0 })).port;
  });

  afterAll(async () => {
    await trusting?.close({ graceMs: 500 });
    await distrusting?.close({ graceMs: 500 });
    await rm(sandbox, { recursive: true, force: true });
  });

  it("swaks --xclient-addr/--xclient-name/--xclient-port delivers; Received, hooks and logs show the described client", async () => {
    const result = await sendWithSwaks({
      port: trustingPort,
      from: "alice@client.example.test",
      to: [`xclient@${DOMAIN}`],
      message: message("xclient"),
      helo: "client.example.test",
      extraArguments: ["--xclient-addr", "192.0.2.44", "--xclient-name", "client.example.test", "--xclient-port", "50123"],
    });
    expect(result.exitCode, result.transcript + result.stderr).toBe(0);
    expect(result.transcript).toMatch(/-> XCLIENT ADDR=192\.0\.2\.44 NAME=client\.example\.test PORT=50123|-> XCLIENT (?=.*ADDR=192\.0\.2\.44)(?=.*NAME=client\.example\.test)/);
    expect(result.transcript).toMatch(/<- {2}220 mx\.example\.test ESMTP Service ready/);
    const text = await stored("xclient");
    expect(text).toMatch(/^Return-Path: <alice@client\.example\.test>\r\nReceived: from client\.example\.test \(client\.example\.test \[192\.0\.2\.44\]\)/);
    expect(text).not.toContain("127.0.0.1");
    expect(mailFromContexts.at(-1)).toMatchObject({ remoteAddress: "192.0.2.44", remotePort: 50123, remoteName: "client.example.test", frontEnd: { address: "127.0.0.1" } });
    expect(events).toContainEqual(expect.objectContaining({ type: "client-overridden", remoteAddress: "192.0.2.44", frontEndAddress: "127.0.0.1" }));
  });

  it("swaks --xclient-login makes the described client authenticated: it may relay (Postfix's rule), Received says ESMTPA", async () => {
    // No queue: a relayed recipient is refused by the default store after the relay policy let it through,
    // so a local recipient shows the authentication in the with clause instead.
    const result = await sendWithSwaks({
      port: trustingPort,
      from: "alice@client.example.test",
      to: [`xclient-login@${DOMAIN}`],
      message: message("xclient-login"),
      helo: "client.example.test",
      extraArguments: ["--xclient-addr", "192.0.2.45", "--xclient-login", "alice"],
    });
    expect(result.exitCode, result.transcript + result.stderr).toBe(0);
    expect(await stored("xclient-login")).toMatch(/^Return-Path: <[^>]*>\r\nReceived: from client\.example\.test \(\[192\.0\.2\.45\]\)[\s\S]*with ESMTPA /);
    expect(mailFromContexts.at(-1)).toMatchObject({ remoteAddress: "192.0.2.45", authenticatedAs: "alice" });
  });

  it("from an untrusted address XCLIENT is not advertised and gets 550 5.7.0; the client stays 127.0.0.1", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: distrustingPort });
    const client = new ReplyReader(socket);
    try {
      expect(await client.code()).toBe(220);
      expect(await client.send("EHLO mallory.example\r\n")).toBe(250);
      expect(client.text).not.toContain("XCLIENT");
      const before = client.text.length;
      expect(await client.send("XCLIENT ADDR=192.0.2.200 LOGIN=admin\r\n")).toBe(550);
      expect(client.text.slice(before)).toMatch(/^550 5\.7\.0 /);
      // Still the untrusted client: relaying is refused.
      expect(await client.send("MAIL FROM:<m@example.net>\r\n")).toBe(250);
      expect(await client.send("RCPT TO:<victim@elsewhere.example>\r\n")).toBe(550);
      expect(await client.send("QUIT\r\n")).toBe(221);
    } finally {
      socket.destroy();
    }
    // swaks itself will not send an XCLIENT the server did not advertise.
    const refused = await sendWithSwaks({
      port: distrustingPort,
      from: "m@example.net",
      to: [`nobody@${DOMAIN}`],
      message: message("refused"),
      extraArguments: ["--xclient-addr", "192.0.2.200"],
    });
    expect(refused.exitCode).not.toBe(0);
  });
});
