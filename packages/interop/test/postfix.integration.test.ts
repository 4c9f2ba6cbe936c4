// Postfix smtpd private instances: delivery into the Maildir, STARTTLS, the
// strict smuggling profile, relay refusal, discard, clean stop.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  convertLineEnds,
  lookupUser,
  RawSmtpClient,
  requirePeer,
  sendWithRawClient,
  startPostfix,
  stripTraceHeaders,
} from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

describe.skipIf(!requirePeer("postfix", "openssl"))("Postfix peer", () => {
  it("delivers a raw-client message into its Maildir: the sent bytes plus trace headers, LF line ends", async () => {
    const postfix = await startPostfix();
    try {
      const sent = await sendWithRawClient({ port: postfix.port, ...ENVELOPE, message: TEST_MESSAGE });
      expect(sent.ehlo.lines).toContain("CHUNKING");
      expect(sent.dataReply.lines[0]).toMatch(/^2\.0\.0 Ok: queued as /);
      const [stored] = await postfix.waitForMessages(1);
      expect(stored?.data.toString("latin1")).toMatch(/^Return-Path: <sender@client\.example\.test>\nX-Original-To: rcpt@example\.test\nDelivered-To: rcpt@example\.test\nReceived: from client\.example\.test/);
      expect(stripTraceHeaders(stored!.data).equals(convertLineEnds(TEST_MESSAGE, "lf"))).toBe(true);
      // relaying is refused, never attempted
      const client = await RawSmtpClient.connect({ port: postfix.port });
      await client.expect(220);
      await client.command("EHLO client.example.test", 250);
      await client.command("MAIL FROM:<a@client.example.test>", 250);
      const relay = await client.command("RCPT TO:<victim@elsewhere.test>", 554);
      expect(relay.lines[0]).toMatch(/^5\.7\.1 /);
      await client.quit();
    } finally {
      await stopAndCheck(postfix);
    }
    expect(existsSync(postfix.stateDirectory)).toBe(false);
  });

  it("recovers from a bad recorded queue layout with the full check, and records a good one", async () => {
    const cache = mkdtempSync(join(tmpdir(), "interop-test-cache-"));
    const saved = process.env["SMTPKIT_INTEROP_CACHE"];
    process.env["SMTPKIT_INTEROP_CACHE"] = cache;
    try {
      const layout = join(cache, "postfix-spool-layout.json");
      writeFileSync(layout, JSON.stringify({ postfixUid: lookupUser("postfix")?.uid, directories: [] }));
      const postfix = await startPostfix({ discard: true });
      try {
        expect(postfix.readLog()).toMatch(/quick start failed/);
        await sendWithRawClient({ port: postfix.port, ...ENVELOPE, message: TEST_MESSAGE });
      } finally {
        await stopAndCheck(postfix);
      }
      const recorded = JSON.parse(readFileSync(layout, "utf8")) as { directories: { path: string }[] };
      expect(recorded.directories.map((entry) => entry.path)).toEqual(expect.arrayContaining(["active", "incoming", "maildrop", "pid", "public"]));
    } finally {
      if (saved === undefined) delete process.env["SMTPKIT_INTEROP_CACHE"];
      else process.env["SMTPKIT_INTEROP_CACHE"] = saved;
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("offers STARTTLS with tls and refuses a bare LF in DATA with the strict profile", async () => {
    const postfix = await startPostfix({ tls: true, strict: true, discard: true });
    try {
      expect(postfix.certificate?.certificate).toMatch(/BEGIN CERTIFICATE/);
      const sent = await sendWithRawClient({ port: postfix.port, ...ENVELOPE, message: TEST_MESSAGE, startTls: true });
      expect(sent.transcript.some((entry) => entry.tls)).toBe(true);
      const client = await RawSmtpClient.connect({ port: postfix.port });
      await client.expect(220);
      await client.command("EHLO client.example.test", 250);
      await client.command("MAIL FROM:<a@client.example.test>", 250);
      await client.command("RCPT TO:<b@example.test>", 250);
      await client.command("DATA", 354);
      await client.write("Subject: smuggle\r\n\r\nbare\nnewline\r\n.\r\n");
      const refused = await client.readReply();
      expect(refused.code).toBe(550);
      expect(refused.text).toMatch(/^5\.5\.2 .*bare <LF> received/);
      client.close();
      // discard: accepted, never stored
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(postfix.messages()).toEqual([]);
    } finally {
      await stopAndCheck(postfix);
    }
  });
});
