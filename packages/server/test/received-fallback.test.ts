// A HELO name the Received header cannot carry (here 300 octets, which the session accepts) costs only the HELO,
// not the for clause and the TLS comment too (found in the review of issue #6).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createServer } from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

it("an unwritable HELO drops only the HELO from Received, keeping the for clause", async () => {
  const sandbox = await mkdtemp(join(tmpdir(), "smtpkit-r6-"));
  try {
    const root = join(sandbox, "mail");
    const server = createServer({ hostname: "mx.example.org", localDomains: ["example.org"], maildir: root });
    const pair = duplexPair();
    const closed = server.handleConnection(pair.server, { remoteAddress: "192.0.2.7", remotePort: 40000, localAddress: "192.0.2.100", localPort: 25 });
    const client = new ReplyReader(pair.client);
    await client.code();
    expect(await client.send(`EHLO ${"x".repeat(300)}\r\n`)).toBe(250);
    expect(await client.send("MAIL FROM:<alice@example.net>\r\n")).toBe(250);
    expect(await client.send("RCPT TO:<bob@example.org>\r\n")).toBe(250);
    expect(await client.send("DATA\r\n")).toBe(354);
    expect(await client.send("Subject: x\r\n\r\nx\r\n.\r\n")).toBe(250);
    await client.send("QUIT\r\n");
    await closed;
    const directory = join(root, "example.org", "bob", "new");
    const [name] = await readdir(directory);
    const stored = (await readFile(join(directory, name!), "latin1")).replace(/\r\n\t/g, " ");
    expect(stored).toMatch(/^Return-Path: <alice@example\.net>\r\nReceived: from unknown \(\[192\.0\.2\.7\]\) by mx\.example\.org/);
    expect(stored).toContain("for <bob@example.org>;");
  } finally {
    await rm(sandbox, { recursive: true, force: true });
  }
});
