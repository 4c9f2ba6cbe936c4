// Every client driver delivers to nodemailer's smtp-server peer: plain, over
// STARTTLS, with AUTH PLAIN and LOGIN; the stored bytes are the message as
// each client is documented to send it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  requirePeer,
  sendWithMsmtp,
  sendWithNodemailer,
  sendWithSmtplib,
  sendWithSwaks,
  startSmtpServer,
  type ClientSendOptions,
  type ClientSendResult,
  type RunningSmtpServer,
} from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

const USERS = { alice: "s3cret pass" };
let server: RunningSmtpServer;
let delivered = 0;

/** Sends, expects success, returns the newly stored message and its envelope details. */
async function deliver(send: (options: ClientSendOptions) => Promise<ClientSendResult>, extra: Partial<ClientSendOptions> = {}) {
  const result = await send({ port: server.port, ...ENVELOPE, message: TEST_MESSAGE, ...extra });
  expect(result.exitCode, `${result.stderr}\n${result.transcript}`).toBe(0);
  delivered += 1;
  const messages = await server.waitForMessages(delivered);
  const stored = messages[delivered - 1]!;
  expect(stored.envelope?.from).toBe(ENVELOPE.from);
  expect(stored.envelope?.to).toEqual(ENVELOPE.to);
  return { result, data: stored.data, details: stored.envelope?.details ?? {} };
}

describe.skipIf(!requirePeer("smtp-server", "openssl"))("client drivers -> smtp-server", () => {
  beforeAll(async () => {
    server = await startSmtpServer({ users: USERS });
  });
  afterAll(async () => {
    if (server !== undefined) await stopAndCheck(server);
  });

  describe.skipIf(!requirePeer("swaks"))("swaks", () => {
    // swaks adds one CRLF before the terminating dot (documented quirk)
    const expected = Buffer.concat([TEST_MESSAGE, Buffer.from("\r\n")]);
    it("plain, and with --pipeline", async () => {
      const plain = await deliver(sendWithSwaks);
      expect(plain.data.equals(expected)).toBe(true);
      expect(plain.result.transcript).toMatch(/-> MAIL FROM:<sender@client\.example\.test>/);
      const pipelined = await deliver((options) => sendWithSwaks({ ...options, pipeline: true }));
      expect(pipelined.data.equals(expected)).toBe(true);
    });
    it("STARTTLS with AUTH PLAIN and AUTH LOGIN", async () => {
      for (const mechanism of ["PLAIN", "LOGIN"] as const) {
        const sent = await deliver(sendWithSwaks, { tls: true, auth: { username: "alice", password: USERS.alice, mechanism } });
        expect(sent.data.equals(expected)).toBe(true);
        expect(sent.details).toMatchObject({ tls: true, user: "alice" });
        expect(sent.result.transcript).toContain(`AUTH ${mechanism}`);
      }
    });
    it("raw mode sends the file byte for byte", async () => {
      const wire = Buffer.concat([TEST_MESSAGE.subarray(0, TEST_MESSAGE.indexOf(".leading")), Buffer.from("..stuffed by hand\r\n.\r\n")]);
      const sent = await deliver((options) => sendWithSwaks({ ...options, raw: true, message: wire }));
      expect(sent.data.toString("utf8").endsWith("h\u00e9llo\r\n.stuffed by hand\r\n")).toBe(true);
    });
    it("chooses a mechanism itself when none is given", async () => {
      const sent = await deliver(sendWithSwaks, { auth: { username: "alice", password: USERS.alice } });
      expect(sent.details).toMatchObject({ user: "alice" });
      expect(sent.result.transcript).toMatch(/-> AUTH (LOGIN|PLAIN)/);
    });
    it("reports a refused login with a non-zero exit code", async () => {
      const refused = await sendWithSwaks({ port: server.port, ...ENVELOPE, message: TEST_MESSAGE, auth: { username: "alice", password: "wrong" } });
      expect(refused.exitCode).not.toBe(0);
    });
  });

  describe.skipIf(!requirePeer("smtplib"))("Python smtplib", () => {
    it("send_message, plain and with starttls + login (PLAIN, LOGIN)", async () => {
      const plain = await deliver(sendWithSmtplib);
      expect(plain.data.equals(TEST_MESSAGE)).toBe(true);
      expect(plain.result.transcript).toMatch(/send: 'mail FROM:<sender@client\.example\.test> size=/);
      for (const mechanism of [undefined, "PLAIN", "LOGIN"] as const) {
        const auth = { username: "alice", password: USERS.alice, ...(mechanism === undefined ? {} : { mechanism }) };
        const sent = await deliver(sendWithSmtplib, { tls: true, auth });
        expect(sent.data.equals(TEST_MESSAGE)).toBe(true);
        expect(sent.details).toMatchObject({ tls: true, user: "alice" });
      }
    });
    it("sendmail passes a bare LF through unchanged", async () => {
      const bare = Buffer.from("Subject: bare\r\n\r\nline one\nline two\r\n");
      const sent = await deliver((options) => sendWithSmtplib({ ...options, method: "sendmail", message: bare }));
      expect(sent.data.equals(bare)).toBe(true);
    });
  });

  describe.skipIf(!requirePeer("msmtp"))("msmtp", () => {
    it("plain, and STARTTLS with AUTH PLAIN and LOGIN", async () => {
      const plain = await deliver(sendWithMsmtp);
      expect(plain.data.equals(TEST_MESSAGE)).toBe(true);
      for (const mechanism of ["PLAIN", "LOGIN"] as const) {
        const sent = await deliver(sendWithMsmtp, { tls: true, auth: { username: "alice", password: USERS.alice, mechanism } });
        expect(sent.data.equals(TEST_MESSAGE)).toBe(true);
        expect(sent.details).toMatchObject({ tls: true, user: "alice" });
      }
    });
    it("left to choose, refuses PLAIN and LOGIN without TLS (exit 69) and uses one over TLS", async () => {
      const auth = { username: "alice", password: USERS.alice };
      const refused = await sendWithMsmtp({ port: server.port, ...ENVELOPE, message: TEST_MESSAGE, auth });
      expect(refused.exitCode).toBe(69);
      expect(refused.stderr).toMatch(/cannot use a secure authentication method/);
      const sent = await deliver(sendWithMsmtp, { tls: true, auth });
      expect(sent.details).toMatchObject({ tls: true, user: "alice" });
    });
    it("adds From, Date and Message-ID headers when the message has none", async () => {
      const undated = Buffer.from("Subject: undated\r\n\r\nbody\r\n");
      const sent = await deliver((options) => sendWithMsmtp({ ...options, message: undated }));
      expect(sent.data.toString("latin1")).toMatch(
        /^From: sender@client\.example\.test\r\nDate: .+\r\nMessage-ID: <.+>\r\nSubject: undated\r\n\r\nbody\r\n$/,
      );
    });
  });

  describe.skipIf(!requirePeer("nodemailer"))("nodemailer", () => {
    it("opportunistic STARTTLS by default, never with tls: false, AUTH PLAIN and LOGIN", async () => {
      const opportunistic = await deliver(sendWithNodemailer);
      expect(opportunistic.data.equals(TEST_MESSAGE)).toBe(true);
      expect(opportunistic.details["tls"]).toBe(true);
      const plain = await deliver(sendWithNodemailer, { tls: false });
      expect(plain.details["tls"]).toBe(false);
      for (const mechanism of ["PLAIN", "LOGIN"] as const) {
        const sent = await deliver(sendWithNodemailer, { tls: true, auth: { username: "alice", password: USERS.alice, mechanism } });
        expect(sent.data.equals(TEST_MESSAGE)).toBe(true);
        expect(sent.details).toMatchObject({ tls: true, user: "alice" });
        expect(sent.result.transcript).toContain(`AUTH ${mechanism}`);
      }
    });
  });
});
