// Shared by the submission tests: server A (`smtpkit serve --submission` as a child process, AUTH over
// STARTTLS, a relay queue) and a client that submits to it with @smtpkit/client.
import { createServer as createNetServer } from "node:net";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { connect, type SendResult } from "@smtpkit/client";
import { createSelfSignedCertificate } from "@smtpkit/interop";
import { smtpkit } from "./helpers.js";
import { startServe, type ServeProcess } from "./serve-helpers.js";

/** The password of `alice` in every users file made here. */
export const PASSWORD = "correct horse battery";

/** A users file with alice, and a self-signed certificate, in `directory`. */
export async function submissionCredentials(directory: string): Promise<{ keyPath: string; certificatePath: string; usersPath: string }> {
  const certificate = await createSelfSignedCertificate({ directory, commonName: "a.example.test" });
  const verifier = await smtpkit(["serve", "--hash-password"], { input: `${PASSWORD}\n` });
  if (verifier.exitCode !== 0) throw new Error(`--hash-password failed: ${verifier.stderr}`);
  const usersPath = path.join(directory, "users.txt");
  await writeFile(usersPath, `alice:${verifier.stdout}`);
  return { keyPath: certificate.keyPath, certificatePath: certificate.certificatePath, usersPath };
}

/** Starts server A: `smtpkit serve --submission` for example.com, STARTTLS, AUTH, a short retry schedule. */
export async function startSubmissionServer(directory: string, extra: readonly string[]): Promise<ServeProcess> {
  const { keyPath, certificatePath, usersPath } = await submissionCredentials(directory);
  return startServe(directory, [
    "--submission",
    "--domain", "example.com",
    "--hostname", "a.example.test",
    "--tls-key", keyPath,
    "--tls-cert", certificatePath,
    "--users", usersPath,
    "--queue-dir", "queue",
    "--maildir", "maildir",
    "--retry-delays", "1s",
    "--log-format", "json",
    ...extra,
  ]);
}

/** Submits a message to A as alice, over STARTTLS with AUTH (the certificate is self-signed: not verified). */
export async function submit(port: number, to: readonly string[], message: Uint8Array | string, options: { notify?: ("SUCCESS" | "FAILURE" | "DELAY" | "NEVER")[] } = {}): Promise<SendResult> {
  const client = await connect({
    host: "127.0.0.1",
    port,
    hostname: "client.example.test",
    startTls: "required",
    tls: { rejectUnauthorized: false },
    auth: { username: "alice", password: PASSWORD },
  });
  try {
    return await client.send({
      from: "alice@example.com",
      to: to.map((address) => (options.notify === undefined ? address : { address, notify: options.notify })),
      message: typeof message === "string" ? new TextEncoder().encode(message) : message,
    });
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The files in `<maildir>/<domain>/<user>/new/`, sorted by name. */
export async function mailbox(maildir: string, domain: string, user: string): Promise<Buffer[]> {
  const directory = path.join(maildir, domain, user, "new");
  const names = (await readdir(directory).catch(() => [] as string[])).sort();
  return Promise.all(names.map((name) => readFile(path.join(directory, name))));
}

/** Waits until a mailbox holds at least `count` messages (polling), and returns them. */
export async function waitForMail(maildir: string, domain: string, user: string, count = 1, timeoutMilliseconds = 30_000): Promise<Buffer[]> {
  const deadline = Date.now() + timeoutMilliseconds;
  for (;;) {
    const files = await mailbox(maildir, domain, user);
    if (files.length >= count) return files;
    if (Date.now() > deadline) throw new Error(`${user}@${domain}: ${files.length} of ${count} messages after ${timeoutMilliseconds} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A free port on a loopback address (bound and released). */
export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The header fields of a stored message before the first line of `rest`, split into fields (folded lines joined). */
export function traceFields(stored: Buffer, rest: Uint8Array): string[] {
  const prefix = stored.subarray(0, stored.length - rest.length).toString("latin1");
  const fields: string[] = [];
  for (const line of prefix.split("\r\n")) {
    if (line === "") continue;
    if ((line.startsWith(" ") || line.startsWith("\t")) && fields.length > 0) fields[fields.length - 1] += ` ${line.trim()}`;
    else fields.push(line);
  }
  return fields;
}
