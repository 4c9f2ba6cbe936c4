// A real client (swaks) -> `smtpkit serve`, as the README's Quick start
// promises: plain, pipelined, STARTTLS, and AUTH PLAIN and LOGIN under TLS
// against a users file. The Maildir file holds exactly the bytes swaks sent
// plus our Return-Path and Received headers (after swaks' own data fix-ups,
// which the interop driver knows).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { CLIENT_DRIVERS, createSelfSignedCertificate, requirePeer, sendWithSwaks } from "@smtpkit/interop";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";
import { delivered, removeScratch, sampleMessage, scratch, splitTrace, startServe, type ServeProcess } from "./serve-helpers.js";

afterAll(removeScratch);

const PASSWORD = "correct horse battery";

/** What swaks puts on the wire for a message file (its data fix-ups), as the interop driver documents it. */
function swaksData(message: Buffer): Uint8Array {
  return CLIENT_DRIVERS.find((driver) => driver.name === "swaks")!.expectedData(message);
}

describe.skipIf(!requirePeer("swaks", "openssl"))("swaks -> smtpkit serve", () => {
  let plain: ServeProcess;
  let secure: ServeProcess;
  let maildir: string;

  beforeAll(async () => {
    const directory = await scratch();
    maildir = path.join(directory, "maildir");
    const certificate = await createSelfSignedCertificate({ directory, commonName: "localhost" });
    const verifier = await smtpkit(["serve", "--hash-password"], { input: `${PASSWORD}\n` });
    expect(verifier.exitCode).toBe(0);
    await writeFile(path.join(directory, "users.txt"), `alice:${verifier.stdout}`);
    plain = await startServe(directory, ["--domain", "example.test", "--log-format", "none"]);
    secure = await startServe(directory, [
      "--domain", "example.test",
      "--tls-key", certificate.keyPath,
      "--tls-cert", certificate.certificatePath,
      "--users", "users.txt",
      "--log-format", "none",
    ]);
  });
  afterAll(async () => {
    await plain?.stop();
    await secure?.stop();
  });

  it("the banner's swaks line delivers to test@localhost", async () => {
    const message = sampleMessage("banner");
    const result = await sendWithSwaks({ port: plain.port, from: "alice@localhost", to: ["test@localhost"], message });
    expect(result.exitCode, result.transcript).toBe(0);
    expect(plain.stdout()).toContain(`swaks --server 127.0.0.1:${plain.port} --to test@localhost`);
    const files = await delivered(maildir, "localhost", "test");
    expect(files.map((file) => new Uint8Array(splitTrace(file).rest))).toContainEqual(new Uint8Array(swaksData(message)));
  });

  it("plain and pipelined: the stored file is the message byte for byte after Return-Path and Received", async () => {
    for (const pipeline of [false, true]) {
      const user = pipeline ? "piped" : "plain";
      const message = sampleMessage(user, `${user}@example.test`);
      const result = await sendWithSwaks({ port: plain.port, from: "alice@localhost", to: [`${user}@example.test`], message, pipeline });
      expect(result.exitCode, result.transcript).toBe(0);
      const [stored] = await delivered(maildir, "example.test", user);
      const { trace, rest } = splitTrace(stored!);
      expect(new Uint8Array(rest)).toEqual(new Uint8Array(swaksData(message)));
      expect(trace).toMatch(/^Return-Path: <alice@localhost>\r\nReceived: from client\.example\.test \(\[127\.0\.0\.1\]\)/);
      expect(trace).toMatch(/with ESMTP\b/);
    }
  });

  it("relaying is refused with 550 5.7.1", async () => {
    const result = await sendWithSwaks({ port: plain.port, from: "alice@localhost", to: ["victim@elsewhere.example"], message: sampleMessage("relay") });
    expect(result.exitCode).not.toBe(0);
    expect(result.transcript).toMatch(/<\*\* 550 5\.7\.1 /);
  });

  it("STARTTLS, then AUTH PLAIN and LOGIN with the users file's SCRAM verifier", async () => {
    const message = sampleMessage("tls", "tls@example.test");
    const result = await sendWithSwaks({ port: secure.port, from: "alice@localhost", to: ["tls@example.test"], message, tls: true });
    expect(result.exitCode, result.transcript).toBe(0);
    const [stored] = await delivered(maildir, "example.test", "tls");
    expect(new Uint8Array(splitTrace(stored!).rest)).toEqual(new Uint8Array(swaksData(message)));
    expect(splitTrace(stored!).trace).toMatch(/with ESMTPS\b/);
    for (const mechanism of ["PLAIN", "LOGIN"] as const) {
      const user = `auth-${mechanism.toLowerCase()}`;
      const sent = sampleMessage(user, `${user}@example.test`);
      const authed = await sendWithSwaks({ port: secure.port, from: "alice@localhost", to: [`${user}@example.test`], message: sent, tls: true, auth: { username: "alice", password: PASSWORD, mechanism } });
      expect(authed.exitCode, authed.transcript).toBe(0);
      const [file] = await delivered(maildir, "example.test", user);
      expect(new Uint8Array(splitTrace(file!).rest)).toEqual(new Uint8Array(swaksData(sent)));
      expect(splitTrace(file!).trace).toMatch(/with ESMTPSA\b/);
    }
    const wrong = await sendWithSwaks({ port: secure.port, from: "alice@localhost", to: ["x@example.test"], message, tls: true, auth: { username: "alice", password: "wrong", mechanism: "PLAIN" } });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.transcript).toMatch(/535 5\.7\.8 /);
  });
});
