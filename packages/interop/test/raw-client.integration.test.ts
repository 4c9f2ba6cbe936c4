// The raw SMTP client against scripted loopback servers: exact bytes,
// chunking cannot matter, hostile replies give typed errors, STARTTLS.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createSelfSignedCertificate, InteropError, RawSmtpClient, requirePeer, type InteropErrorReason } from "@smtpkit/interop";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A loopback server running `script` for each connection; resolves its port. */
async function scriptedServer(script: (socket: Socket) => unknown): Promise<number> {
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    void script(socket);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

async function reasonOf(promise: Promise<unknown>): Promise<InteropErrorReason | "resolved" | "other"> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return InteropError.isInstance(error) ? error.reason : "other";
  }
}

const REPLIES = "220 greeting\r\n250-first\r\n250-SIZE 100\r\n250 last\r\n354 go ahead\r\n";

describe("RawSmtpClient", () => {
  it("law: however the server splits its replies, the client reads the same replies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: REPLIES.length }), { maxLength: 6 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const port = await scriptedServer(async (socket) => {
          let previous = 0;
          for (const point of [...points, REPLIES.length]) {
            socket.write(REPLIES.slice(previous, point));
            previous = point;
            await new Promise((resolve) => setImmediate(resolve));
          }
        });
        const client = await RawSmtpClient.connect({ port, timeout: 2_000 });
        try {
          expect((await client.expect(220)).lines).toEqual(["greeting"]);
          const ehlo = await client.readReply();
          expect(ehlo).toMatchObject({ code: 250, lines: ["first", "SIZE 100", "last"] });
          expect(ehlo.raw.toString()).toBe("250-first\r\n250-SIZE 100\r\n250 last\r\n");
          expect((await client.readReply()).code).toBe(354);
        } finally {
          client.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it("writes exactly the bytes it is given and records them in the transcript", async () => {
    const received: Buffer[] = [];
    const port = await scriptedServer((socket) => {
      socket.write("220 hi\r\n");
      socket.on("data", (chunk: Buffer) => {
        received.push(chunk);
        if (Buffer.concat(received).includes("\r\n.\r\n")) socket.write("250 ok\r\n");
      });
    });
    const client = await RawSmtpClient.connect({ port });
    await client.expect(220);
    const bytes = Buffer.from("MAIL FROM:<a@b>\nbare LF\r\0nul\r\n.\r\n", "latin1");
    await client.write(bytes);
    await client.expect(250);
    client.close();
    expect(Buffer.concat(received).equals(bytes)).toBe(true);
    expect(client.transcript.filter((entry) => entry.direction === "client").map((entry) => entry.bytes)).toEqual([bytes]);
    expect(client.transcriptText()).toContain('C: "MAIL FROM:<a@b>\\nbare LF\\r\\u0000nul\\r\\n.\\r\\n"');
  });

  it("turns hostile or broken servers into typed errors, never hangs", async () => {
    const malformed = await scriptedServer((socket) => socket.write("2x0 nonsense\r\n"));
    const client1 = await RawSmtpClient.connect({ port: malformed });
    expect(await reasonOf(client1.readReply())).toBe("unexpected-reply");
    client1.close();

    const mixed = await scriptedServer((socket) => socket.write("250-a\r\n550 b\r\n"));
    const client2 = await RawSmtpClient.connect({ port: mixed });
    expect(await reasonOf(client2.readReply())).toBe("unexpected-reply");
    client2.close();

    const endless = await scriptedServer((socket) => socket.write(Buffer.alloc(4_096, 0x41)));
    const client3 = await RawSmtpClient.connect({ port: endless, maxLineLength: 1_024 });
    expect(await reasonOf(client3.readLine())).toBe("connection-failed");
    client3.close();

    const silent = await scriptedServer(() => undefined);
    const client4 = await RawSmtpClient.connect({ port: silent, timeout: 100 });
    expect(await reasonOf(client4.readReply())).toBe("timeout");
    client4.close();

    const closing = await scriptedServer((socket) => socket.end("421 bye\r\n"));
    const client5 = await RawSmtpClient.connect({ port: closing });
    await client5.expect(421);
    expect(await reasonOf(client5.readLine())).toBe("connection-failed");
    await client5.waitForClose();

    const wrong = await scriptedServer((socket) => socket.write("554 no\r\n"));
    const client6 = await RawSmtpClient.connect({ port: wrong });
    const failure = await client6.expect(220).catch((error: unknown) => error);
    expect(InteropError.isInstance(failure) && failure.reason).toBe("unexpected-reply");
    expect(String(failure)).toContain('S: "554 no\\r\\n"');
    client6.close();

    expect(await reasonOf(RawSmtpClient.connect({ port: 25 }))).toBe("invalid-option");
    expect(await reasonOf(RawSmtpClient.connect({ port: 2525, host: "192.0.2.1" }))).toBe("invalid-option");
    expect(await reasonOf(RawSmtpClient.connect({ port: 2525, maxLineLength: 10 }))).toBe("invalid-option");
  });

  it("refuses to start TLS when the server sent bytes after its 220 (STARTTLS injection)", async () => {
    const port = await scriptedServer((socket) => {
      socket.write("220 ready\r\n");
      socket.once("data", () => socket.write("220 go ahead\r\n250 injected\r\n"));
    });
    const client = await RawSmtpClient.connect({ port });
    await client.expect(220);
    expect(await reasonOf(client.startTls())).toBe("unexpected-reply");
    client.close();
  });

  it.skipIf(!requirePeer("openssl"))("upgrades with STARTTLS and can verify a pinned self-signed certificate", async () => {
    const directory = mkdtempSync(join(tmpdir(), "interop-test-tls-"));
    try {
      const certificate = await createSelfSignedCertificate({ directory, commonName: "tls-test.example.test" });
      const port = await scriptedServer((socket) => {
        socket.write("220 ready\r\n");
        socket.once("data", () => {
          socket.write("220 go ahead\r\n", () => {
            const secure = new TLSSocket(socket, { isServer: true, key: certificate.key, cert: certificate.certificate });
            secure.on("error", () => undefined);
            secure.on("data", () => secure.write("250 secure hello\r\n"));
          });
        });
      });
      const client = await RawSmtpClient.connect({ port });
      await client.expect(220);
      await client.startTls({ ca: certificate.certificate, rejectUnauthorized: true, servername: "tls-test.example.test" });
      expect(client.isTls).toBe(true);
      expect((await client.command("EHLO client.example.test", 250)).text).toBe("secure hello");
      expect(client.transcript.at(-1)?.tls).toBe(true);
      client.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
