// How content is read: only as fast as the socket drains (backpressure), a
// @smtpkit/mime spec built and its envelope used (Bcc included), in-memory
// bytes declared 8BITMIME when they need it, and addresses given as text.
import net from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { quoteLocalPart, unquoteLocalPart } from "@smtpkit/grammar";
import { buildMessage } from "@smtpkit/mime";
import { ClientUsageError, connect, toMailbox } from "@smtpkit/client";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A server that records everything and, once it has said 354, stops reading until `resume()`. */
async function slowServer(extensions: readonly string[] = ["PIPELINING"]): Promise<{ port: number; text: () => string; resume: () => void; reading: () => number }> {
  let text = "";
  let socketRef: net.Socket | undefined;
  let bytesRead = 0;
  const server = net.createServer((socket) => {
    socketRef = socket;
    let buffer = "";
    let data = false;
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      bytesRead += chunk.length;
      if (data) {
        text += "<content>";
        return;
      }
      text += chunk.toString("latin1");
      buffer += chunk.toString("latin1");
      for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const verb = line.split(" ")[0]?.toUpperCase();
        if (verb === "EHLO") socket.write(["250-mx.example.test", ...extensions.map((extension) => `250-${extension}`), "250 8BITMIME"].join("\r\n") + "\r\n");
        else if (verb === "MAIL" || verb === "RCPT") socket.write("250 2.0.0 OK\r\n");
        else if (verb === "DATA") {
          socket.write("354 go ahead\r\n");
          data = true;
          socket.pause();
          return;
        } else if (verb === "QUIT") socket.end("221 bye\r\n");
      }
    });
    socket.write("220 mx.example.test ESMTP\r\n");
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  closers.push(
    () =>
      new Promise<void>((done) => {
        socketRef?.destroy();
        server.close(() => done());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, text: () => text, resume: () => socketRef?.resume(), reading: () => bytesRead };
}

describe("content is pulled as the socket drains", () => {
  it("a server that stops reading stops the reading of an endless source", async () => {
    const server = await slowServer();
    const client = await connect({ host: "127.0.0.1", port: server.port, startTls: "never", hostname: "client.example.test", timeouts: { dataBlock: 2_000 } });
    let pulled = 0;
    const chunk = new Uint8Array(65_536).fill(0x61);
    for (let i = 63; i < chunk.length; i += 64) chunk[i] = 0x0a;
    function* endless(): Generator<Uint8Array> {
      for (;;) {
        pulled += 1;
        yield chunk;
      }
    }
    const sending = client.send({ from: "a@example.test", to: ["b@example.test"], message: endless() }).catch((error: unknown) => error);
    await new Promise((done) => setTimeout(done, 400));
    // Kernel buffers hold a few MB at most; without backpressure 400 ms would pull thousands of 64 KiB chunks.
    expect(pulled).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(400);
    const before = pulled;
    await new Promise((done) => setTimeout(done, 200));
    expect(pulled - before).toBeLessThanOrEqual(1);
    await client.destroy("enough");
    await sending;
  });
});

describe("a @smtpkit/mime spec as the message", () => {
  it("is built, and its From, To, Cc and Bcc make the envelope", async () => {
    const server = await slowServer(["PIPELINING", "SIZE 1000000"]);
    const client = await connect({ host: "127.0.0.1", port: server.port, startTls: "never", hostname: "client.example.test" });
    const spec = {
      from: "ann@example.test",
      to: ["bob@example.test"],
      cc: ["carol@example.test"],
      bcc: ["dave@example.test"],
      subject: "Built",
      text: "Hello",
      date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      messageId: "built@example.test",
      seed: "fixed",
    };
    void client.send({ message: spec }).catch(() => undefined);
    for (let i = 0; i < 100 && !server.text().includes("DATA"); i += 1) await new Promise((done) => setTimeout(done, 10));
    const size = buildMessage(spec).length;
    expect(server.text()).toContain(
      `MAIL FROM:<ann@example.test> SIZE=${size}\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<carol@example.test>\r\nRCPT TO:<dave@example.test>\r\n`,
    );
    await client.destroy();
  });
});

describe("in-memory bytes", () => {
  it("with an 8-bit octet go out as BODY=8BITMIME; 7-bit ones without BODY", async () => {
    const server = await slowServer(["PIPELINING", "SIZE 1000000"]);
    const client = await connect({ host: "127.0.0.1", port: server.port, startTls: "never", hostname: "client.example.test" });
    void client.send({ from: "a@example.test", to: ["b@example.test"], message: new TextEncoder().encode("Subject: é\r\n\r\nx\r\n") }).catch(() => undefined);
    for (let i = 0; i < 100 && !server.text().includes("DATA"); i += 1) await new Promise((done) => setTimeout(done, 10));
    expect(server.text()).toMatch(/MAIL FROM:<a@example.test> SIZE=\d+ BODY=8BITMIME\r\n/);
    await client.destroy();
  });
});

describe("toMailbox", () => {
  it("splits at the last @ and quotes local parts that need it, losslessly", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 40 }),
        fc.domain(),
        (local, domain) => {
          fc.pre(!(local.length >= 2 && local.startsWith('"') && local.endsWith('"')));
          const mailbox = toMailbox(`${local}@${domain}`, "to");
          expect(mailbox.domain).toBe(domain);
          expect(unquoteLocalPart(mailbox.localPart)).toBe(local);
          expect(mailbox.localPart).toBe(quoteLocalPart(local));
        },
      ),
    );
  });

  it("refuses text without a local part or domain, or with control characters", () => {
    for (const bad of ["", "@example.test", "bob@", "bob", "b\r\nob@example.test", "b\0b@example.test"]) {
      expect(() => toMailbox(bad, "to"), JSON.stringify(bad)).toThrow(ClientUsageError);
    }
  });
});
