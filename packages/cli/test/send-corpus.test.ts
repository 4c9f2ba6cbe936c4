// `smtpkit send` → `smtpkit serve` with real messages from the shared corpus, and the messages SMTP cannot
// carry: every .eml arrives in the Maildir as sent (line ends made CRLF, RFC 5321 §2.3.8) after the trace
// headers; one with a NUL byte is reported as not sent and the rest of the batch still goes.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusRoot, smtpkit } from "./helpers.js";
import { delivered, removeScratch, sampleMessage, scratch, send, splitTrace, startServe, type ServeProcess } from "./serve-helpers.js";

afterAll(removeScratch);

/**
 * What arrives for a file: its line ends as CRLF (the client's RFC 5321 §2.3.8 repair), nothing else changed.
 * The client sends with BDAT when CHUNKING is offered, as `smtpkit serve` does, so a file that does not end
 * with a line end arrives without one too (RFC 3030 carries the octets as they are).
 */
function asSent(bytes: Buffer): string {
  return bytes.toString("latin1").replace(/\r?\n/g, "\r\n");
}

async function emlFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith(".eml")).map((entry) => path.join(entry.parentPath, entry.name)).sort();
}

describe("smtpkit send → smtpkit serve", () => {
  let directory: string;
  let maildir: string;
  let server: ServeProcess;

  beforeAll(async () => {
    directory = await scratch();
    maildir = path.join(directory, "maildir");
    server = await startServe(directory, ["--log-format", "none", "--size-limit", "50M"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("reports a message with a NUL byte as not sent, sends the others of the batch, and exits 1", async () => {
    // Regression: the client aborted the session at the NUL, the CLI said "the connection ... failed:
    // nul-content" and every later file of the batch was silently left unsent.
    const first = sampleMessage("nul-1");
    const second = sampleMessage("nul-3");
    await writeFile(path.join(directory, "1.eml"), first);
    await writeFile(path.join(directory, "2.eml"), Buffer.concat([Buffer.from("Subject: nul\r\n\r\nT\u0000e\u0000\r\n")]));
    await writeFile(path.join(directory, "3.eml"), second);
    const result = await send(server.port, ["--tls", "none", "--from", "a@localhost", "--to", "nul@localhost", "1.eml", "2.eml", "3.eml"], { cwd: directory });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^2\.eml: not sent: the message has a NUL byte, which SMTP cannot carry \(RFC 5321 §4\.5\.2/m);
    expect(result.stdout).toMatch(/^3\.eml: message {2}250 2\.0\.0 /m);
    const bodies = (await delivered(maildir, "localhost", "nul")).map((file) => splitTrace(file).rest);
    expect(bodies).toHaveLength(2);
    expect(bodies).toContainEqual(first);
    expect(bodies).toContainEqual(second);
  });

  it("shows the default server as host:port in send --help", async () => {
    const result = await smtpkit(["send", "--help"]);
    expect(result.stdout).toMatch(/--server <host:port> +the server \(default: 127\.0\.0\.1:2525\)/);
  });

  const corpus = corpusRoot();
  it.runIf(corpus !== undefined)("delivers every corpus .eml as sent, after Return-Path and Received (one connection)", async () => {
    const files = await emlFiles(corpus!);
    expect(files.length).toBeGreaterThan(100);
    const contents = await Promise.all(files.map((file) => readFile(file)));
    const result = await send(server.port, ["--tls", "none", "--from", "corpus@localhost", "--to", "corpus@localhost", ...files]);
    const sendable = contents.filter((bytes) => !bytes.includes(0));
    expect(result.stdout.match(/: message {2}250 2\.0\.0 /gm)).toHaveLength(sendable.length);
    expect(result.exitCode).toBe(sendable.length === contents.length ? 0 : 1);
    const stored = (await delivered(maildir, "localhost", "corpus")).map((file) => {
      const { trace, rest } = splitTrace(file);
      expect(trace).toMatch(/^Return-Path: <corpus@localhost>\r\nReceived: from /);
      return rest.toString("latin1");
    });
    expect(stored.sort()).toEqual(sendable.map(asSent).sort());
  }, 120_000);
});
