// Exim 4 from the Debian package, unpacked into a cache and run in a private
// mount namespace: delivery with DATA and with BDAT (CHUNKING), relay refusal.
import { describe, expect, it } from "vitest";
import { convertLineEnds, RawSmtpClient, requirePeer, sendWithRawClient, startExim, stripTraceHeaders, waitFor } from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

describe.skipIf(!requirePeer("exim", "openssl"))("Exim peer", () => {
  it("delivers DATA and BDAT messages into its Maildir and refuses to relay", async () => {
    const exim = await startExim({ tls: true });
    try {
      const sent = await sendWithRawClient({ port: exim.port, ...ENVELOPE, message: TEST_MESSAGE, startTls: true });
      expect(sent.ehlo.lines).toEqual(expect.arrayContaining(["CHUNKING", "PIPELINING", "SMTPUTF8", "PRDR"]));

      // RFC 3030 BDAT: the message in two chunks, no dot-stuffing
      const client = await RawSmtpClient.connect({ port: exim.port });
      await client.expect(220);
      await client.command("EHLO client.example.test", 250);
      await client.command("MAIL FROM:<sender@client.example.test>", 250);
      await client.command("RCPT TO:<victim@elsewhere.test>", 550);
      await client.command("RCPT TO:<rcpt@example.test>", 250);
      const half = Math.floor(TEST_MESSAGE.length / 2);
      await client.write(Buffer.concat([Buffer.from(`BDAT ${half}\r\n`), TEST_MESSAGE.subarray(0, half)]));
      await client.expect(250);
      await client.write(Buffer.concat([Buffer.from(`BDAT ${TEST_MESSAGE.length - half} LAST\r\n`), TEST_MESSAGE.subarray(half)]));
      await client.expect(250);
      await client.quit();

      const stored = await exim.waitForMessages(2);
      expect(stored).toHaveLength(2);
      for (const message of stored) {
        expect(message.data.toString("latin1")).toMatch(/^Return-path: <sender@client\.example\.test>\nEnvelope-to: rcpt@example\.test\nDelivery-date: /);
        expect(stripTraceHeaders(message.data).equals(convertLineEnds(TEST_MESSAGE, "lf"))).toBe(true);
      }
    } finally {
      await stopAndCheck(exim);
    }
  });

  it("with discard and custom domains accepts only those domains and stores nothing", async () => {
    const exim = await startExim({ discard: true, domains: ["other.test"] });
    try {
      const client = await RawSmtpClient.connect({ port: exim.port });
      await client.expect(220);
      await client.command("EHLO client.example.test", 250);
      await client.command("MAIL FROM:<sender@client.example.test>", 250);
      await client.command("RCPT TO:<rcpt@example.test>", 550);
      await client.quit();
      await sendWithRawClient({ port: exim.port, from: ENVELOPE.from, to: ["someone@other.test"], message: TEST_MESSAGE });
      await waitFor(() => /=> :blackhole:/.test(exim.readLog()), { description: "the blackhole delivery in Exim's log" });
      expect(exim.messages()).toEqual([]);
    } finally {
      await stopAndCheck(exim);
    }
  });
});
