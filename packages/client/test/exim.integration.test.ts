// This client's BDAT (RFC 3030) against Exim, the other peer that offers
// CHUNKING, seen through a recording proxy to prove BDAT was used; and
// STARTTLS with a pinned certificate.
import { createHash, X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertLineEnds, requirePeer, startExim, startSmtpTap, stripTraceHeaders, type RunningExim } from "@smtpkit/interop";
import { connect } from "@smtpkit/client";

const encoder = new TextEncoder();
const letter = (subject: string, body: string): Uint8Array =>
  encoder.encode(`From: <alice@example.test>\r\nTo: <bob@example.test>\r\nSubject: ${subject}\r\n\r\n${body}`);

function storedWith(exim: RunningExim, subject: string): Buffer {
  return exim.messages().find((stored) => stored.data.includes(`Subject: ${subject}\n`))?.data ?? Buffer.alloc(0);
}

describe.skipIf(!requirePeer("exim"))("@smtpkit/client -> Exim", () => {
  let exim: RunningExim;
  beforeAll(async () => {
    exim = await startExim({ tls: true });
  }, 60_000);
  afterAll(async () => {
    await exim?.stop();
  });

  it("BDAT in several chunks, pipelined, two messages: delivered exactly, and the wire shows BDAT ... LAST", async () => {
    const tap = await startSmtpTap({ upstreamPort: exim.port });
    try {
      const client = await connect({ host: "127.0.0.1", port: tap.port, startTls: "never", hostname: "client.example.test", chunkSize: 4096 });
      expect(client.capabilities?.has("CHUNKING")).toBe(true);
      const body = "A line of text that is not very long.\r\n.a line with a leading dot\r\n".repeat(400);
      const sent = letter("exim-bdat", body);
      const other = letter("exim-bdat-2", "Second.\r\n");
      const results = await Promise.all([
        client.send({ from: "alice@example.test", to: ["bob@example.test"], message: sent }),
        client.send({ from: "alice@example.test", to: ["carol@example.test"], message: other }),
      ]);
      await client.close();
      expect(results.map((result) => result.status)).toEqual(["accepted", "accepted"]);
      const wire = tap.clientWrites(1).join("");
      expect(wire).toMatch(/BDAT 4096\r\n/);
      expect(wire).toMatch(/BDAT \d+ LAST\r\n/);
      expect(wire).not.toMatch(/\r\nDATA\r\n/);
      await exim.waitForMessages(2);
      expect(stripTraceHeaders(storedWith(exim, "exim-bdat")).equals(convertLineEnds(sent, "lf"))).toBe(true);
      expect(stripTraceHeaders(storedWith(exim, "exim-bdat-2"))).toEqual(convertLineEnds(other, "lf"));
    } finally {
      await tap.stop();
    }
  });

  it("STARTTLS with the certificate pinned by its SHA-256 fingerprint, then BDAT over TLS", async () => {
    const certificate = new X509Certificate(exim.certificate?.certificate ?? "");
    const client = await connect({ host: "127.0.0.1", port: exim.port, hostname: "client.example.test", tls: { pinnedCertificates: [certificate.fingerprint256] } });
    expect(client.secure).toBe(true);
    const sent = letter("exim-tls", "Pinned.\r\n");
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: sent });
    await client.close();
    expect(result.status).toBe("accepted");
    await exim.waitForMessages(3);
    expect(stripTraceHeaders(storedWith(exim, "exim-tls"))).toEqual(convertLineEnds(sent, "lf"));
    // The fingerprint is the SHA-256 of the DER certificate.
    expect(certificate.fingerprint256.replaceAll(":", "")).toBe(createHash("sha256").update(certificate.raw).digest("hex").toUpperCase());
  });
});
