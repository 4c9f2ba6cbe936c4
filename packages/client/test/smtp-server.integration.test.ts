// This client against nodemailer's smtp-server (in the test process):
// STARTTLS with a verified certificate, AUTH PLAIN and LOGIN, pipelining,
// several messages over one connection, and the stored bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePeer, startSmtpServer, type RunningSmtpServer } from "@smtpkit/interop";
import { connect, SmtpClientError } from "@smtpkit/client";

const encoder = new TextEncoder();
const message = (subject: string, body = "Hello.\r\n"): Uint8Array =>
  encoder.encode(`From: <alice@example.test>\r\nTo: <bob@example.test>\r\nSubject: ${subject}\r\n\r\n${body}`);

describe.skipIf(!requirePeer("smtp-server"))("@smtpkit/client -> nodemailer smtp-server", () => {
  let server: RunningSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({ users: { alice: "wonderland" } });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const tlsFor = () => ({ ca: server.certificate?.certificate ?? "", servername: server.certificate?.commonName ?? "" });

  it("STARTTLS required, AUTH PLAIN over TLS, two messages on one connection arrive byte for byte", async () => {
    const before = server.messages().length;
    const client = await connect({
      host: "127.0.0.1",
      port: server.port,
      startTls: "required",
      tls: tlsFor(),
      hostname: "client.example.test",
      auth: { username: "alice", password: "wonderland", mechanisms: ["PLAIN"] },
    });
    expect(client.secure).toBe(true);
    expect(client.authenticatedWith).toBe("PLAIN");
    const first = message("one", ".leading dot\r\n..two dots\r\n");
    const second = message("two");
    const [a, b] = await Promise.all([
      client.send({ from: "alice@example.test", to: ["bob@example.test", "carol@example.test"], message: first }),
      client.send({ from: "alice@example.test", to: ["dave@example.test"], message: second }),
    ]);
    await client.close();
    expect(a.status).toBe("accepted");
    expect(a.code).toBe(250);
    expect(a.accepted).toEqual(["bob@example.test", "carol@example.test"]);
    expect(b.status).toBe("accepted");
    const stored = await server.waitForMessages(before + 2);
    expect(stored[before]?.data.equals(Buffer.from(first))).toBe(true);
    expect(stored[before + 1]?.data.equals(Buffer.from(second))).toBe(true);
    expect(stored[before]?.envelope?.to).toEqual(["bob@example.test", "carol@example.test"]);
    expect(stored[before]?.envelope?.details["user"]).toBe("alice");
  });

  it("AUTH LOGIN when it is the only mechanism allowed", async () => {
    const client = await connect({
      host: "127.0.0.1",
      port: server.port,
      tls: tlsFor(),
      hostname: "client.example.test",
      auth: { username: "alice", password: "wonderland", mechanisms: ["LOGIN"] },
    });
    expect(client.authenticatedWith).toBe("LOGIN");
    const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message: message("login") });
    expect(result.status).toBe("accepted");
    await client.close();
  });

  it("a wrong password fails before MAIL with the server's reply", async () => {
    const error = await connect({
      host: "127.0.0.1",
      port: server.port,
      tls: tlsFor(),
      hostname: "client.example.test",
      auth: { username: "alice", password: "wrong", mechanisms: ["PLAIN"] },
    }).catch((caught: unknown) => caught);
    expect(SmtpClientError.isInstance(error)).toBe(true);
    expect((error as SmtpClientError).reason).toBe("auth-refused");
    expect((error as SmtpClientError).fault).toBe("remote");
    expect((error as SmtpClientError).reply?.code).toBe(535);
  });

  it("a certificate that does not verify fails before anything but EHLO and STARTTLS is sent", async () => {
    const before = server.messages().length;
    const error = await connect({ host: "127.0.0.1", port: server.port, hostname: "client.example.test", auth: { username: "alice", password: "wonderland" } }).catch(
      (caught: unknown) => caught,
    );
    expect(SmtpClientError.isInstance(error)).toBe(true);
    expect((error as SmtpClientError).reason).toBe("tls-handshake-failed");
    expect(server.messages().length).toBe(before);
  });
});
