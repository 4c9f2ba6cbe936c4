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

const credentialsMade = new Map<string, Promise<{ keyPath: string; certificatePath: string; usersPath: string }>>();

/** A users file with alice, and a self-signed certificate, in `directory` (made once per directory: A restarts reuse them). */
export function submissionCredentials(directory: string): Promise<{ keyPath: string; certificatePath: string; usersPath: string }> {
  let made = credentialsMade.get(directory);
  if (made === undefined) {
    made = makeSubmissionCredentials(directory);
    credentialsMade.set(directory, made);
    made.catch(() => credentialsMade.delete(directory));
  }
  return made;
}

async function makeSubmissionCredentials(directory: string): Promise<{ keyPath: string; certificatePath: string; usersPath: string }> {
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

/** A small deterministic generator in [0, 1), so that a failing random run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    state ^= state >>> 13;
    return state / 0x1_0000_0000;
  };
}

/** A message of about `size` octets, tagged in an `X-Tag:` header and on every body line. */
export function taggedMessage(tag: string, to: string, size: number): string {
  const line = `${tag} ${"0123456789abcdef".repeat(4)}\r\n`;
  const body = line.repeat(Math.max(1, Math.floor(size / line.length)));
  return `From: alice@example.com\r\nTo: ${to}\r\nSubject: crash ${tag}\r\nX-Tag: ${tag}\r\n\r\n${body}-- end of ${tag}\r\n`;
}

/** The tag of a stored tagged message (CRLF or LF line ends). */
export function tagOf(file: Buffer): string | undefined {
  return /\r?\nX-Tag: (r\d+m\d+)\r?\n/.exec(file.toString("latin1"))?.[1];
}

/**
 * Rounds of concurrent submissions to A, each ended by a SIGKILL of A at a random moment; A is started
 * again on the same spool for every round. Returns what was sent and which submissions got a 250.
 *
 * The kill comes a random 0–800 ms after the round's first 250 (so that, however loaded the machine, the
 * other submissions are caught at every stage: connecting, in DATA, waiting for the 250, and deliveries
 * to B in flight), or after 30 s if none came.
 *
 * `startA` should let A take any free port (`--port 0`, the default of `startServe`): each round submits
 * to the port A reports. A fixed port, released at every kill, can be taken in the meantime by any other
 * socket of a busy machine (an outgoing connection's ephemeral port), and A's restart then fails with
 * EADDRINUSE, which has nothing to do with the queue.
 */
export async function killRounds(options: {
  readonly startA: () => Promise<ServeProcess>;
  readonly to: string;
  readonly rounds: number;
  readonly perRound: number;
  readonly next: () => number;
}): Promise<{ sent: Map<string, string>; acknowledged: Set<string> }> {
  const { next } = options;
  const sent = new Map<string, string>();
  const acknowledged = new Set<string>();
  for (let round = 0; round < options.rounds; round += 1) {
    const a = await options.startA();
    let firstAcknowledged: () => void = () => undefined;
    const acknowledgedOnce = new Promise<void>((resolve) => (firstAcknowledged = resolve));
    const submissions = Array.from({ length: options.perRound }, (_, index) => {
      const tag = `r${round}m${index}`;
      const text = taggedMessage(tag, options.to, 2_000 + Math.floor(next() * 300_000));
      sent.set(tag, text);
      const start = Math.floor(next() * 1500);
      return (async () => {
        // Spread the starts so that the kill finds submissions at every stage.
        await new Promise((resolve) => setTimeout(resolve, start));
        try {
          const result = await submit(a.port, [options.to], text);
          if (result.status === "accepted") {
            acknowledged.add(tag);
            firstAcknowledged();
          }
        } catch {
          // Cut off by the kill: not acknowledged, so it may or may not arrive.
        }
      })();
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([acknowledgedOnce, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 800)));
    await a.stop("SIGKILL");
    await Promise.all(submissions);
  }
  return { sent, acknowledged };
}
