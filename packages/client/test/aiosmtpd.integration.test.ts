// This client against aiosmtpd: stored DATA equals what was sent byte for
// byte, STARTTLS, SMTPUTF8 with a non-ASCII address, SIZE refusals before
// MAIL, and a message read from an async iterable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePeer, startAiosmtpd, type RunningAiosmtpd } from "@smtpkit/interop";
import { connect } from "@smtpkit/client";

const encoder = new TextEncoder();

describe.skipIf(!requirePeer("aiosmtpd"))("@smtpkit/client -> aiosmtpd", () => {
  let server: RunningAiosmtpd;
  beforeAll(async () => {
    server = await startAiosmtpd({ tls: true, smtputf8: true, sizeLimit: 100_000 });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });
  const options = () => ({
    host: "127.0.0.1",
    port: server.port,
    hostname: "client.example.test",
    tls: { ca: server.certificate?.certificate ?? "", servername: server.certificate?.commonName ?? "" },
  });

  it("STARTTLS, then a message streamed from an async iterable (bare LFs made CRLF) is stored exactly", async () => {
    const client = await connect(options());
    expect(client.secure).toBe(true);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      yield encoder.encode("Subject: streamed\r\n\r\nfirst line\n");
      yield encoder.encode(".dot\r");
      yield encoder.encode("\nlast line\r\n");
    }
    const before = server.messages().length;
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: pieces() });
    await client.close();
    expect(result.status).toBe("accepted");
    const stored = await server.waitForMessages(before + 1);
    expect(stored[before]?.data.toString("latin1")).toBe("Subject: streamed\r\n\r\nfirst line\r\n.dot\r\nlast line\r\n");
  });

  it("SMTPUTF8: a non-ASCII recipient goes out with SMTPUTF8 and is recorded as sent", async () => {
    const client = await connect(options());
    const sent = encoder.encode("Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\r\n\r\nHallo.\r\n");
    const before = server.messages().length;
    const result = await client.send({ from: "alice@example.test", to: ["jürgen@example.test"], message: sent });
    await client.close();
    expect(result.status).toBe("accepted");
    const stored = await server.waitForMessages(before + 1);
    expect(stored[before]?.data.equals(Buffer.from(sent))).toBe(true);
    expect(stored[before]?.envelope?.to).toEqual(["jürgen@example.test"]);
  });

  it("a message over the server's SIZE is refused by the client before MAIL; the connection goes on", async () => {
    const client = await connect(options());
    const big = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: new Uint8Array(200_000).fill(0x61) });
    expect(big.status).toBe("refused");
    expect(big.refusal).toBe("size-exceeds-limit");
    expect(big.transaction.mailReply).toBeUndefined();
    const small = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: encoder.encode("Subject: small\r\n\r\nok\r\n") });
    expect(small.status).toBe("accepted");
    await client.close();
  });
});
