// This client against Postfix's smtp-sink: pipelined envelopes with DSN
// parameters (recorded by the sink), many messages through a pool, and LMTP
// with one reply per recipient.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertLineEnds, requirePeer, startSmtpSink, startSmtpTap, stripTraceHeaders, type RunningSmtpSink } from "@smtpkit/interop";
import { connect, createPool } from "@smtpkit/client";

const encoder = new TextEncoder();
const letter = (n: number): Uint8Array => encoder.encode(`Subject: sink ${n}\r\n\r\nMessage ${n}.\r\n`);

describe.skipIf(!requirePeer("smtp-sink"))("@smtpkit/client -> smtp-sink", () => {
  let sink: RunningSmtpSink;
  let lmtp: RunningSmtpSink;
  beforeAll(async () => {
    [sink, lmtp] = await Promise.all([startSmtpSink({ dump: true }), startSmtpSink({ dump: true, extraArguments: ["-L"] })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([sink?.stop(), lmtp?.stop()]);
  });

  it("MAIL, every RCPT and DATA in one write, the content with its dot in another, DSN parameters as offered, the message stored as sent", async () => {
    const tap = await startSmtpTap({ upstreamPort: sink.port });
    try {
      const client = await connect({ host: "127.0.0.1", port: tap.port, startTls: "never", hostname: "client.example.test" });
      const before = sink.messages().length;
      const sent = letter(0);
      const result = await client.send({
        from: "alice@example.test",
        to: [{ address: "bob@example.test", notify: ["SUCCESS", "FAILURE"] }, "carol@example.test"],
        message: sent,
        ret: "HDRS",
        envid: "QQ314159",
      });
      await client.close();
      expect(result.status).toBe("accepted");
      expect(result.transaction.dsnSent).toBe(true);
      // smtp-sink offers DSN and PIPELINING but not SIZE: no SIZE= goes out. DATA ends the
      // envelope's group (RFC 2920 §3.1); the content and its final dot leave together.
      const writes = tap.clientWrites(1);
      expect(writes).toContain(
        "MAIL FROM:<alice@example.test> RET=HDRS ENVID=QQ314159\r\nRCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n",
      );
      expect(writes).toContain("Subject: sink 0\r\n\r\nMessage 0.\r\n.\r\n");
      const stored = await sink.waitForMessages(before + 1);
      const last = stored[before];
      expect(last?.envelope?.to).toEqual(["bob@example.test", "carol@example.test"]);
      expect(stripTraceHeaders(last?.data ?? Buffer.alloc(0))).toEqual(convertLineEnds(sent, "lf"));
    } finally {
      await tap.stop();
    }
  });

  it("a pool of 3 connections sends 30 messages, each accepted and stored once", async () => {
    const pool = createPool({ host: "127.0.0.1", port: sink.port, startTls: "never", hostname: "client.example.test", max: 3, maxMessagesPerConnection: 7 });
    const before = sink.messages().length;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, n) => pool.send({ from: "alice@example.test", to: [`user${n}@example.test`], message: letter(n + 1) })),
    );
    expect(pool.size).toBeLessThanOrEqual(3);
    await pool.close();
    expect(results.every((result) => result.status === "accepted")).toBe(true);
    const stored = await sink.waitForMessages(before + 30);
    const subjects = stored.slice(before).map((message) => /Subject: sink (\d+)/.exec(message.data.toString("latin1"))?.[1]);
    expect(new Set(subjects).size).toBe(30);
  });

  it("LMTP: LHLO, and one reply per recipient after the data", async () => {
    const client = await connect({ host: "127.0.0.1", port: lmtp.port, startTls: "never", lmtp: true, hostname: "client.example.test" });
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test", "carol@example.test"], message: letter(99) });
    await client.close();
    expect(result.status).toBe("accepted");
    expect(result.recipients.map((recipient) => recipient.status)).toEqual(["accepted", "accepted"]);
    expect(result.transaction.recipients.every((recipient) => recipient.deliveryReply?.code === 250)).toBe(true);
  });
});
