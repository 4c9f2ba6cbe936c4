// smtp-sink, aiosmtpd and nodemailer's smtp-server: each starts, stores one
// raw-client message byte for byte (plus only the trace header it adds), and
// stops with nothing left running.
import { describe, expect, it } from "vitest";
import {
  convertLineEnds,
  RawSmtpClient,
  requirePeer,
  sendWithRawClient,
  startAiosmtpd,
  startSmtpServer,
  startSmtpSink,
  stripTraceHeaders,
} from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

describe.skipIf(!requirePeer("smtp-sink"))("smtp-sink peer", () => {
  it("dumps the transaction: envelope records, its Received header, the message with LF line ends", async () => {
    const sink = await startSmtpSink({ dump: true });
    try {
      const sent = await sendWithRawClient({ port: sink.port, ...ENVELOPE, message: TEST_MESSAGE });
      // its last EHLO line is "250 " with an empty keyword
      expect(sent.ehlo.lines.at(-1)).toBe("");
      const [stored] = await sink.waitForMessages(1);
      expect(stored?.envelope?.from).toBe(ENVELOPE.from);
      expect(stored?.envelope?.to).toEqual(ENVELOPE.to);
      expect(stored?.envelope?.details["x-helo-args"]).toEqual(["client.example.test"]);
      expect(stored?.data.toString("latin1")).toMatch(/^Received: from client\.example\.test \(\[127\.0\.0\.1\]\)\n\tby smtp-sink\.example\.test/);
      expect(stripTraceHeaders(stored!.data).equals(convertLineEnds(TEST_MESSAGE, "lf"))).toBe(true);
    } finally {
      await stopAndCheck(sink);
    }
  });
});

describe.skipIf(!requirePeer("aiosmtpd", "openssl"))("aiosmtpd peer", () => {
  it("stores the DATA bytes exactly and the envelope, and enforces STARTTLS when asked", async () => {
    const aiosmtpd = await startAiosmtpd({ tls: true, requireStartTls: true, smtputf8: true });
    try {
      const client = await RawSmtpClient.connect({ port: aiosmtpd.port });
      await client.expect(220);
      const ehlo = await client.command("EHLO client.example.test", 250);
      expect(ehlo.lines).toEqual(expect.arrayContaining(["8BITMIME", "SMTPUTF8", "STARTTLS"]));
      expect(ehlo.lines).not.toContain("PIPELINING");
      await client.command("MAIL FROM:<a@client.example.test>", 530);
      await client.quit();

      await sendWithRawClient({ port: aiosmtpd.port, ...ENVELOPE, message: TEST_MESSAGE, startTls: true });
      const [stored] = await aiosmtpd.waitForMessages(1);
      expect(stored?.data.equals(TEST_MESSAGE)).toBe(true);
      expect(stored?.envelope?.from).toBe(ENVELOPE.from);
      expect(stored?.envelope?.to).toEqual(ENVELOPE.to);
      expect(stored?.envelope?.details["tls"]).toBe(true);
    } finally {
      await stopAndCheck(aiosmtpd);
    }
  });
});

describe.skipIf(!requirePeer("smtp-server", "openssl"))("nodemailer smtp-server peer", () => {
  it("stores the DATA bytes exactly with the envelope, over STARTTLS, and checks AUTH credentials", async () => {
    const server = await startSmtpServer({ users: { alice: "s3cret" } });
    try {
      const sent = await sendWithRawClient({ port: server.port, ...ENVELOPE, message: TEST_MESSAGE, startTls: true });
      expect(sent.ehlo.lines).toEqual(expect.arrayContaining(["PIPELINING", "8BITMIME", "SMTPUTF8", "AUTH PLAIN LOGIN"]));
      const [stored] = await server.waitForMessages(1);
      expect(stored?.data.equals(TEST_MESSAGE)).toBe(true);
      expect(stored?.envelope?.to).toEqual(ENVELOPE.to);
      expect(stored?.envelope?.details["tls"]).toBe(true);

      const client = await RawSmtpClient.connect({ port: server.port });
      await client.expect(220);
      await client.command("EHLO client.example.test", 250);
      await client.command(`AUTH PLAIN ${Buffer.from("\0alice\0wrong").toString("base64")}`, 535);
      await client.command(`AUTH PLAIN ${Buffer.from("\0alice\0s3cret").toString("base64")}`, 235);
      await client.quit();
    } finally {
      await stopAndCheck(server);
    }
  });
});
