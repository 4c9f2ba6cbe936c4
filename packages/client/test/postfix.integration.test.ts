// This client against a private Postfix smtpd: DATA and BDAT (CHUNKING),
// STARTTLS with a verified certificate, a 1 MB message under socket
// backpressure, and the delivered Maildir bytes (LF line ends, trace headers
// stripped) equal to what was sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertLineEnds, requirePeer, startPostfix, startSmtpTap, stripTraceHeaders, type RunningPostfix } from "@smtpkit/interop";
import { connect, SmtpClientError } from "@smtpkit/client";

const encoder = new TextEncoder();

function letter(subject: string, body: string): Uint8Array {
  return encoder.encode(`From: <alice@example.test>\r\nTo: <bob@example.test>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@client.example.test>\r\n\r\n${body}`);
}

/** The stored message whose Subject is `subject`. */
function storedWith(postfix: RunningPostfix, subject: string): Buffer | undefined {
  return postfix.messages().find((stored) => stored.data.includes(`Subject: ${subject}\n`))?.data;
}

describe.skipIf(!requirePeer("postfix"))("@smtpkit/client -> Postfix smtpd", () => {
  let plain: RunningPostfix;
  let secure: RunningPostfix;
  let strict: RunningPostfix;
  beforeAll(async () => {
    [plain, secure, strict] = await Promise.all([startPostfix(), startPostfix({ tls: true }), startPostfix({ strict: true })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop(), strict?.stop()]);
  });

  it("strict Postfix (bare LF rejected, unauthorized pipelining refused) accepts bare-LF content, sent as CRLF", async () => {
    for (const chunking of [false, true]) {
      const client = await connect({ host: "127.0.0.1", port: strict.port, startTls: "never", chunking, hostname: "client.example.test" });
      const subject = `strict-${String(chunking)}`;
      const sent = encoder.encode(`From: <alice@example.test>\nSubject: ${subject}\n\nbare LF lines\n.\nand a lone dot above\n`);
      const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: sent });
      await client.close();
      expect(result.status, result.text).toBe("accepted");
    }
    await strict.waitForMessages(2);
    for (const chunking of [false, true]) {
      const stored = storedWith(strict, `strict-${String(chunking)}`) ?? Buffer.alloc(0);
      expect(stripTraceHeaders(stored).toString("latin1")).toBe(`From: <alice@example.test>\nSubject: strict-${String(chunking)}\n\nbare LF lines\n.\nand a lone dot above\n`);
    }
  });

  it("plain, DATA: dot-stuffed lines and a message over one connection are delivered exactly", async () => {
    const client = await connect({ host: "127.0.0.1", port: plain.port, startTls: "never", chunking: false, hostname: "client.example.test" });
    expect(client.secure).toBe(false);
    expect(client.capabilities?.has("PIPELINING")).toBe(true);
    const sent = letter("plain-data", ".one dot\r\n..two dots\r\n.\r\nend\r\n");
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: sent });
    await client.close();
    expect(result.status).toBe("accepted");
    expect(result.code).toBe(250);
    expect(result.enhanced).toBe("2.0.0");
    expect(result.recipients[0]?.code).toBe(250);
    await plain.waitForMessages(1);
    expect(stripTraceHeaders(storedWith(plain, "plain-data") ?? Buffer.alloc(0))).toEqual(convertLineEnds(sent, "lf"));
  });

  it("plain, BDAT: Postfix offers CHUNKING and a 1 MB message goes in chunks, delivered exactly", async () => {
    const client = await connect({ host: "127.0.0.1", port: plain.port, startTls: "never", hostname: "client.example.test", chunkSize: 100_000 });
    expect(client.capabilities?.has("CHUNKING")).toBe(true);
    const line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz.\r\n";
    const sent = letter("plain-bdat", line.repeat(Math.ceil(1_000_000 / line.length)));
    const small = letter("plain-bdat-small", ".dot line stays one dot with BDAT\r\n");
    const [big, second] = await Promise.all([
      client.send({ from: "alice@example.test", to: ["bob@example.test"], message: sent }),
      client.send({ from: null, to: ["carol@example.test"], message: small }),
    ]);
    await client.close();
    expect(big.status).toBe("accepted");
    expect(second.status).toBe("accepted");
    await plain.waitForMessages(3);
    expect(stripTraceHeaders(storedWith(plain, "plain-bdat") ?? Buffer.alloc(0)).equals(convertLineEnds(sent, "lf"))).toBe(true);
    expect(stripTraceHeaders(storedWith(plain, "plain-bdat-small") ?? Buffer.alloc(0))).toEqual(convertLineEnds(small, "lf"));
  });

  it("a recipient Postfix refuses (relay) is reported with its reply; the others get the message", async () => {
    const client = await connect({ host: "127.0.0.1", port: plain.port, startTls: "never", hostname: "client.example.test" });
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test", "mallory@elsewhere.example"], message: letter("partial", "Hi.\r\n") });
    const none = await client.send({ from: "alice@example.test", to: ["mallory@elsewhere.example"], message: letter("refused", "Hi.\r\n") });
    await client.close();
    expect(result.status).toBe("accepted");
    expect(result.accepted).toEqual(["bob@example.test"]);
    expect(result.rejected).toEqual(["mallory@elsewhere.example"]);
    expect(result.recipients[1]).toMatchObject({ status: "rejected", code: 554, enhanced: "5.7.1", temporary: false });
    expect(none.status).toBe("rejected");
    expect(none.transaction.dataSent).toBe(false);
  });

  it("STARTTLS required with the certificate verified: delivered over TLS", async () => {
    const client = await connect({
      host: "127.0.0.1",
      port: secure.port,
      hostname: "client.example.test",
      tls: { ca: secure.certificate?.certificate ?? "", servername: secure.certificate?.commonName ?? "" },
    });
    expect(client.secure).toBe(true);
    expect(client.capabilities?.has("STARTTLS")).toBe(false); // after the upgrade it is not offered again
    const sent = letter("tls", "Over TLS.\r\n");
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: sent });
    await client.close();
    expect(result.status).toBe("accepted");
    await secure.waitForMessages(1);
    const stored = storedWith(secure, "tls") ?? Buffer.alloc(0);
    expect(stripTraceHeaders(stored)).toEqual(convertLineEnds(sent, "lf"));
    expect(stored.toString("latin1")).toMatch(/with ESMTPS/);
  });

  it("on the wire: EHLO and STARTTLS in clear text, then only TLS records from the client", async () => {
    const tap = await startSmtpTap({ upstreamPort: secure.port });
    try {
      const client = await connect({
        host: "127.0.0.1",
        port: tap.port,
        hostname: "client.example.test",
        tls: { ca: secure.certificate?.certificate ?? "", servername: secure.certificate?.commonName ?? "" },
      });
      await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: letter("wire", "Secret.\r\n") });
      await client.close();
      const fromClient = tap.chunks().filter((chunk) => chunk.direction === "client");
      const clear = fromClient.filter((chunk) => !chunk.tls).map((chunk) => chunk.bytes.toString("latin1")).join("");
      expect(clear).toBe("EHLO client.example.test\r\nSTARTTLS\r\n");
      expect(fromClient.some((chunk) => chunk.tls)).toBe(true);
    } finally {
      await tap.stop();
    }
  });

  it("STARTTLS required against a Postfix without it fails before MAIL: nothing is delivered", async () => {
    const before = plain.messages().length;
    const error = await connect({ host: "127.0.0.1", port: plain.port, hostname: "client.example.test" }).catch((caught: unknown) => caught);
    expect(SmtpClientError.isInstance(error)).toBe(true);
    expect((error as SmtpClientError).reason).toBe("starttls-not-offered");
    expect((error as SmtpClientError).fault).toBe("remote");
    expect(plain.messages().length).toBe(before);
  });

  it("a certificate that does not verify fails the connection before anything is sent", async () => {
    const error = await connect({ host: "127.0.0.1", port: secure.port, hostname: "client.example.test", tls: { servername: "postfix-peer.example.test" } }).catch(
      (caught: unknown) => caught,
    );
    expect((error as SmtpClientError).reason).toBe("tls-handshake-failed");
    // A wrong pin fails too, before anything but EHLO and STARTTLS was sent.
    const pinned = await connect({
      host: "127.0.0.1",
      port: secure.port,
      hostname: "client.example.test",
      tls: { pinnedCertificates: ["00".repeat(32)] },
    }).catch((caught: unknown) => caught);
    expect((pinned as SmtpClientError).reason).toBe("certificate-pin-mismatch");
    expect((pinned as SmtpClientError).message).toMatch(/not pinned/);
  });
});
