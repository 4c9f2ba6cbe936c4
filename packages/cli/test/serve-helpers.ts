// Starts `smtpkit serve` as a child process on a free port (port 0) and reads
// back what it prints, as a user would see it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { binary, smtpkit, type RunResult } from "./helpers.js";

/** A running `smtpkit serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** The server's standard output so far (the banner). */
  stdout(): string;
  /** The server's standard error so far (the log). */
  stderr(): string;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

const scratchDirectories: string[] = [];

/** A fresh scratch directory, removed by {@link removeScratch}. */
export async function scratch(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), "smtpkit-cli-serve-"));
  scratchDirectories.push(directory);
  return directory;
}

/** Removes every scratch directory made so far (call from `afterAll`, after the servers stopped). */
export async function removeScratch(): Promise<void> {
  await Promise.all(scratchDirectories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
}

/** Starts `smtpkit serve --port 0 ...args` in `cwd` and waits for its banner. */
export function startServe(cwd: string, args: readonly string[] = []): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    // NO_COLOR: picocolors colours output whenever CI is set, and the banner is matched as plain text.
    const child = spawn(process.execPath, [binary, "serve", "--port", "0", ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let started = false;
    const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.on("exit", (exitCode, signal) => done({ exitCode, signal }));
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`smtpkit serve did not start:\n${stdout}\n${stderr}`));
    }, 20_000);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const match = /listening on 127\.0\.0\.1:([0-9]+)/.exec(stdout);
      if (!started && match !== null && stdout.includes("Stop with")) {
        started = true;
        clearTimeout(timer);
        resolve({
          child,
          port: Number(match[1]),
          stdout: () => stdout,
          stderr: () => stderr,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("exit", (code) => {
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`smtpkit serve exited with ${code} before listening:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Runs `smtpkit send --server 127.0.0.1:<port> ...args`. */
export function send(port: number, args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<RunResult> {
  return smtpkit(["send", "--server", `127.0.0.1:${port}`, ...args], options);
}

/** The files delivered to `<maildir>/<domain>/<user>/new/`, oldest name first. */
export async function delivered(maildir: string, domain: string, user: string): Promise<Buffer[]> {
  const directory = path.join(maildir, domain, user, "new");
  const names = (await readdir(directory).catch(() => [] as string[])).sort();
  return Promise.all(names.map((name) => readFile(path.join(directory, name))));
}

/** Splits a stored file into its trace headers (Return-Path, Received) and the rest. */
export function splitTrace(stored: Buffer): { trace: string; rest: Buffer } {
  const text = stored.toString("latin1");
  if (!text.startsWith("Return-Path: ")) throw new Error(`no Return-Path first:\n${text.slice(0, 300)}`);
  // The Received: field ends at the first line that does not start with white space after it.
  const receivedAt = text.indexOf("\r\nReceived: ");
  if (receivedAt === -1) throw new Error("no Received:");
  let end = receivedAt + 2;
  for (;;) {
    const lineEnd = text.indexOf("\r\n", end);
    end = lineEnd + 2;
    const next = text[end];
    if (next !== " " && next !== "\t") break;
  }
  return { trace: text.slice(0, end), rest: stored.subarray(end) };
}

/** A small message with CRLF line ends and a line that needs dot-stuffing. */
export function sampleMessage(tag: string, to = "test@localhost"): Buffer {
  return Buffer.from(
    [
      "From: Alice <alice@localhost>",
      `To: ${to}`,
      `Subject: cli ${tag}`,
      "Date: Sun, 29 Nov 2026 14:00:00 +0000",
      `Message-ID: <${tag}.1@client.example.test>`,
      "",
      "Hello from smtpkit send.",
      ".a line that starts with a dot",
      "",
      "Bye.",
      "",
    ].join("\r\n"),
  );
}
