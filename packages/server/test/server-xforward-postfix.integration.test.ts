// A real Postfix as the front end that speaks XFORWARD to this server (Postfix XFORWARD_README; its smtp(8)
// client with smtp_send_xforward_command = yes). The chain: a client -> Postfix smtpd (which the test itself
// tells, with XCLIENT, that the client is origin.example at 192.0.2.61) -> Postfix queue -> Postfix smtp
// client -> XFORWARD ... -> @smtpkit/server -> Maildir. The stored Received: line must name origin.example
// [192.0.2.61], the upstream client, not 127.0.0.1 where Postfix connected from.
import { execFileSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePeer, startPostfix, type RunningPostfix } from "@smtpkit/interop";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createServer, type ServerLogEvent, type SmtpServer } from "@smtpkit/server";
import { ReplyReader } from "./server-helpers.js";

const RELAYED = "relayed.test";

let sandbox: string;
let root: string;
let server: SmtpServer;
let postfix: RunningPostfix | undefined;
const events: ServerLogEvent[] = [];
const forwardedSeen: unknown[] = [];

describe.skipIf(!requirePeer("postfix"))("Postfix relaying with XFORWARD -> @smtpkit/server", () => {
  beforeAll(async () => {
    sandbox = await mkdtemp(join(tmpdir(), "smtpkit-server-xforward-"));
    root = join(sandbox, "maildir");
    server = createServer({
      hostname: "mx.example.test",
      localDomains: [RELAYED],
      maildir: root,
      xforward: { trustedNetworks: ["127.0.0.1/32"] },
      logger: (event) => events.push(event),
      hooks: {
        async onMailFrom(request) {
          forwardedSeen.push(request.forwarded);
          return undefined;
        },
      },
    });
    const { port } = await server.listen({ port: 0 });
    postfix = await startPostfix({
      mainCf: {
        relay_domains: RELAYED,
        transport_maps: `inline:{ ${RELAYED}=xforward-out:[127.0.0.1]:${port} }`,
        smtp_send_xforward_command: "yes",
        smtpd_authorized_xclient_hosts: "127.0.0.0/8",
        smtp_helo_name: "postfix-peer.example.test",
      },
    });
    // The test instance has no SMTP client service (nothing may leave the machine); this one only reaches us.
    appendFileSync(join(postfix.configDirectory, "master.cf"), "xforward-out unix - - n - - smtp\n");
    execFileSync("postfix", ["-c", postfix.configDirectory, "reload"], { stdio: "ignore" });
  });

  afterAll(async () => {
    await postfix?.stop();
    await server?.close({ graceMs: 500 });
    await rm(sandbox, { recursive: true, force: true });
  });

  it("the stored Received: line, the MAIL hook and the log name the upstream client Postfix forwarded", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: postfix!.port });
    const client = new ReplyReader(socket);
    try {
      expect(await client.code()).toBe(220);
      expect(await client.send("EHLO test-harness.example\r\n")).toBe(250);
      expect(await client.send("XCLIENT NAME=origin.example ADDR=192.0.2.61 HELO=origin.example PROTO=ESMTP\r\n")).toBe(220);
      expect(await client.send("EHLO origin.example\r\n")).toBe(250);
      expect(await client.send("MAIL FROM:<sender@origin.example>\r\n")).toBe(250);
      expect(await client.send(`RCPT TO:<bob@${RELAYED}>\r\n`)).toBe(250);
      expect(await client.send("DATA\r\n")).toBe(354);
      expect(await client.send("Subject: through Postfix\r\nMessage-ID: <xforward.1@origin.example>\r\n\r\nHello via XFORWARD.\r\n.\r\n")).toBe(250);
      await client.send("QUIT\r\n");
    } finally {
      socket.destroy();
    }
    const directory = join(root, RELAYED, "bob", "new");
    const names = await vi.waitFor(
      async () => {
        const found = await readdir(directory).catch(() => [] as string[]);
        if (found.length === 0) throw new Error(`nothing delivered yet; Postfix log:\n${postfix!.readLog()}`);
        return found;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(names).toHaveLength(1);
    const text = (await readFile(join(directory, names[0]!))).toString("latin1");
    // Ours first (Return-Path, then our Received naming the forwarded client), then Postfix's own.
    expect(text).toMatch(/^Return-Path: <sender@origin\.example>\r\nReceived: from origin\.example \(origin\.example \[192\.0\.2\.61\]\)/);
    expect(text.split("\r\n\r\n")[0]).not.toMatch(/^Received: from [^\r\n]*\[127\.0\.0\.1\]\)[^\r\n]*\r\n\tby mx\.example\.test/m);
    expect(text).toContain("Hello via XFORWARD.");
    expect(forwardedSeen.at(-1)).toMatchObject({ name: "origin.example", address: "192.0.2.61", helo: "origin.example", source: "REMOTE" });
    expect((forwardedSeen.at(-1) as { ident?: string }).ident).toMatch(/^[0-9A-Za-z]+$/);
    expect(events).toContainEqual(expect.objectContaining({ type: "message-accepted", forwarded: expect.objectContaining({ address: "192.0.2.61" }) }));
  });
});
