import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createServer } from "@smtpkit/server";
import { duplexPair, ReplyReader } from "./server-helpers.js";

// RFC 5321 §4.1.2: a Quoted-string local part may hold "<", ">" and "@". MAIL and RCPT accept such paths, so
// the Maildir store must write them into Return-Path and the Received for clause instead of failing the
// message after DATA (it answered 554 5.0.0 to a message whose MAIL FROM had got 250).
describe("quoted local parts with angle brackets reach the Maildir", () => {
  let sandbox: string;
  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), "smtpkit-quoted-"));
  });
  afterEach(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it('stores MAIL FROM:<"x>y;z"@example.net> to RCPT TO:<"a>b"@example.org> with both trace headers', async () => {
    const root = join(sandbox, "mail");
    const server = createServer({ hostname: "mx.example.org", localDomains: ["example.org"], maildir: root });
    const pair = duplexPair();
    const closed = server.handleConnection(pair.server, { remoteAddress: "192.0.2.7", remotePort: 40000, localAddress: "192.0.2.100", localPort: 25 });
    const client = new ReplyReader(pair.client);
    expect(await client.code()).toBe(220);
    expect(await client.send("EHLO client.example\r\n")).toBe(250);
    expect(await client.send('MAIL FROM:<"x>y;z"@example.net>\r\n')).toBe(250);
    expect(await client.send('RCPT TO:<"a>b"@example.org>\r\n')).toBe(250);
    expect(await client.send("DATA\r\n")).toBe(354);
    expect(await client.send("Subject: quoted\r\n\r\nbody\r\n.\r\n")).toBe(250);
    expect(await client.send("QUIT\r\n")).toBe(221);
    await closed;
    const directory = join(root, "example.org", "a>b", "new");
    const files = await readdir(directory);
    expect(files).toHaveLength(1);
    const stored = await readFile(join(directory, files[0]!), "latin1");
    expect(stored.startsWith('Return-Path: <"x>y;z"@example.net>\r\nReceived: from client.example ([192.0.2.7])')).toBe(true);
    expect(stored.replace(/\r\n\t/g, " ")).toContain('for <"a>b"@example.org>;');
    expect(stored.endsWith("\r\nSubject: quoted\r\n\r\nbody\r\n")).toBe(true);
  });
});
