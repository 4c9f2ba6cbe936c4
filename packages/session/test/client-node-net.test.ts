// The worked example of docs/session-client.md, run for real: a ClientSession
// driven over node:net (with STARTTLS through node:tls) against a
// ServerSession behind a node:net server on localhost.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClientSession,
  createServerSession,
  type ClientSessionOptions,
  type ClientTransaction,
  type TransactionResult,
} from "@smtpkit/session";
import { decider as saslDecider } from "./sasl/directory.js";

// --- The client driver, as in docs/session-client.md --------------------------

/** Sends messages over one connection and resolves with their results. */
function sendMail(
  port: number,
  host: string,
  options: ClientSessionOptions,
  messages: readonly { transaction: ClientTransaction; content: Uint8Array }[],
  tlsOptions: tls.ConnectionOptions = {},
): Promise<TransactionResult[]> {
  return new Promise((resolve, reject) => {
    const session = createClientSession(options);
    const contents = new Map<number, Uint8Array>();
    for (const { transaction, content } of messages) contents.set(session.send(transaction), content);
    session.quit(); // QUIT once everything queued is done

    const results: TransactionResult[] = [];
    let socket: net.Socket = net.connect(port, host);
    let closed = false;
    const onData = (chunk: Buffer): void => {
      session.receive(chunk, performance.now());
      flush();
    };
    const onClose = (): void => {
      session.peerClosed(performance.now());
      flush();
    };
    const timer = setInterval(() => {
      session.tick(performance.now());
      flush();
    }, 1000);

    // Gives the next piece of the message once the socket has room for it.
    const giveChunk = (id: number): void => {
      const rest = contents.get(id) ?? new Uint8Array(0);
      if (rest.length === 0) session.endMessage(performance.now());
      else {
        session.provideMessage(rest.subarray(0, 65_536), performance.now());
        contents.set(id, rest.subarray(65_536));
      }
      flush();
    };

    const flush = (): void => {
      for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
        switch (output.type) {
          case "write":
            socket.write(output.bytes);
            break;
          case "start-tls": {
            // RFC 3207: nothing read in clear text is kept; TLS takes the socket over.
            socket.off("data", onData);
            socket.off("close", onClose);
            const secure = tls.connect({ ...tlsOptions, socket, servername: host }, () => {
              // RFC 9266 tls-exporter: enables SCRAM-SHA-256-PLUS (TLS 1.3).
              const data = secure.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
              session.tlsEstablished({ channelBinding: { type: "tls-exporter", data } }, performance.now());
              flush();
            });
            // A failed handshake (a certificate that does not verify) ends the session: never clear text.
            secure.on("error", (error) => {
              session.tlsFailed(error.message, performance.now());
              flush();
            });
            secure.on("data", onData);
            secure.on("close", onClose);
            socket = secure;
            break;
          }
          case "close":
            if (!closed) {
              closed = true;
              clearInterval(timer);
              socket.end();
              resolve(results);
            }
            break;
          case "event": {
            const event = output.event;
            if (event.type === "transaction-result") results.push(event.result);
            if (event.type === "message-chunk-needed") {
              const id = event.id;
              if (socket.writableNeedDrain) socket.once("drain", () => giveChunk(id));
              else queueMicrotask(() => giveChunk(id));
            }
          }
        }
      }
    };
    socket.on("connect", () => {
      session.connected(performance.now());
      flush();
    });
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", (error) => {
      if (!closed) reject(error);
    });
  });
}

// --- A ServerSession behind node:net, storing what it accepts ----------------

let server: net.Server;
let port = 0;
let key = "";
let cert = "";
const stored: Uint8Array[] = [];
const authenticated: string[] = [];
const sasl = saslDecider({ passwords: new Map([["alice", "wonderland"]]) });

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), "smtpkit-client-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(directory, "key.pem"), "-out", join(directory, "cert.pem"), "-days", "1", "-subj", "/CN=localhost",
  ], { stdio: "ignore" });
  key = readFileSync(join(directory, "key.pem"), "utf8");
  cert = readFileSync(join(directory, "cert.pem"), "utf8");
  server = net.createServer((plain) => {
    const session = createServerSession({
      hostname: "mx.example.org",
      tls: { starttls: true },
      auth: { sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"] }, nonce: () => `n${Math.random().toString(36).slice(2)}xyz` },
    });
    let socket: net.Socket = plain;
    let parts: Uint8Array[] = [];
    const onData = (chunk: Buffer): void => {
      session.receive(chunk, performance.now());
      flush();
    };
    const flush = (): void => {
      for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
        if (output.type === "write") socket.write(output.bytes);
        else if (output.type === "close") socket.end();
        else if (output.type === "start-tls") {
          socket.off("data", onData);
          const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
          secure.on("secure", () => {
            session.tlsEstablished({ channelBinding: { type: "tls-exporter", data: secure.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0)) } }, performance.now());
            flush();
          });
          secure.on("data", onData);
          secure.on("error", () => socket.destroy());
          socket = secure;
        } else {
          const event = output.event;
          if (event.type === "message-start") parts = [];
          if (event.type === "message-chunk") parts.push(event.data.slice());
          if (event.type === "message-end") stored.push(Buffer.concat(parts));
          if (event.type === "authenticated") authenticated.push(event.mechanism);
          if (event.type === "auth-requested") session.decide(event.requestId, sasl(event.request));
          else if ("requestId" in event) session.decide(event.requestId, { type: "accept" });
        }
      }
    };
    plain.on("data", onData);
    plain.on("close", () => session.peerClosed(performance.now()));
    plain.on("error", () => plain.destroy());
    session.connect({ remoteAddress: plain.remoteAddress ?? "127.0.0.1" }, performance.now());
    flush();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe("driving the client over node:net", () => {
  it("STARTTLS, SCRAM-SHA-256-PLUS, and two messages (one of 1 MB) arrive byte-exact", async () => {
    stored.length = 0;
    const big = new Uint8Array(1_000_000).map((_, i) => (i % 80 === 79 ? 0x0a : 0x41 + (i % 26)));
    const small = new TextEncoder().encode("Subject: hello\r\n\r\n.leading dot\r\n");
    const results = await sendMail(
      port,
      "127.0.0.1",
      {
        hostname: "client.example.com",
        startTls: "required",
        auth: { credentials: { username: "alice", password: "wonderland" }, scramNonce: "fyko+d2lbbFgONRv9qkxdawL" },
      },
      [
        { transaction: { from: { localPart: "a", domain: "example.com" }, recipients: [{ address: { localPart: "b", domain: "example.org" } }] }, content: small },
        { transaction: { from: null, recipients: [{ address: { localPart: "c", domain: "example.org" } }], size: big.length + 12_500 }, content: big },
      ],
      { ca: cert, checkServerIdentity: () => undefined },
    );
    expect(results.map((result) => result.status)).toEqual(["accepted", "accepted"]);
    // Channel binding from the TLS exporter on both sides: the strongest mechanism.
    expect(authenticated).toEqual(["SCRAM-SHA-256-PLUS"]);
    expect(new TextDecoder().decode(stored[0])).toBe("Subject: hello\r\n\r\n.leading dot\r\n");
    // The bare LFs became CRLF on the way.
    const expected = new TextDecoder().decode(big).replace(/\n/g, "\r\n");
    expect(stored[1]?.length).toBe(expected.length);
    expect(new TextDecoder().decode(stored[1]) === expected).toBe(true);
  });

  it("a certificate that does not verify ends the session before anything is sent in clear text", async () => {
    stored.length = 0;
    const results = await sendMail(port, "127.0.0.1", { hostname: "client.example.com", startTls: "required" }, [
      { transaction: { from: null, recipients: [{ address: { localPart: "c", domain: "example.org" } }] }, content: new Uint8Array(1) },
    ]);
    expect(results.map((result) => result.status)).toEqual(["aborted"]);
    expect(stored).toEqual([]);
  });
});
