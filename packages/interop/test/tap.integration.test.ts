// The recording tap and the EHLO capture, against nodemailer's smtp-server.
import { describe, expect, it } from "vitest";
import { captureEhlo, requirePeer, sendWithNodemailer, sendWithSmtplib, startSmtpServer, startSmtpTap } from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

describe.skipIf(!requirePeer("smtp-server", "nodemailer", "smtplib", "openssl"))("tap and EHLO capture", () => {
  it("shows nodemailer pipelining MAIL, RCPT and DATA in one write, and smtplib not pipelining", async () => {
    const server = await startSmtpServer();
    const tap = await startSmtpTap({ upstreamPort: server.port });
    try {
      const nodemailer = await sendWithNodemailer({ port: tap.port, ...ENVELOPE, message: TEST_MESSAGE, tls: false });
      expect(nodemailer.exitCode).toBe(0);
      expect(tap.clientWrites(1)).toContain("MAIL FROM:<sender@client.example.test>\r\nRCPT TO:<rcpt@example.test>\r\nDATA\r\n");
      const smtplib = await sendWithSmtplib({ port: tap.port, ...ENVELOPE, message: TEST_MESSAGE });
      expect(smtplib.exitCode).toBe(0);
      const writes = tap.clientWrites(2);
      expect(writes.some((write) => write.startsWith("mail FROM:<sender@client.example.test>") && write.endsWith("\r\n") && !write.includes("rcpt"))).toBe(true);
      expect(tap.chunks().some((chunk) => chunk.direction === "server" && chunk.bytes.toString().startsWith("220 "))).toBe(true);
      expect((await server.waitForMessages(2)).every((message) => message.data.equals(TEST_MESSAGE))).toBe(true);
    } finally {
      await tap.stop();
      await stopAndCheck(server);
    }
  });

  it("captures the greeting and the EHLO reply before and after STARTTLS", async () => {
    const server = await startSmtpServer({ show: ["ENHANCEDSTATUSCODES"] });
    try {
      const capture = await captureEhlo({ port: server.port, startTls: true });
      expect(capture.greeting.code).toBe(220);
      expect(capture.keywords).toEqual(expect.arrayContaining(["PIPELINING", "STARTTLS", "ENHANCEDSTATUSCODES", "AUTH"]));
      expect(capture.ehloAfterTls?.lines.map((line) => line.split(" ")[0])).not.toContain("STARTTLS");
    } finally {
      await stopAndCheck(server);
    }
  });
});
