// Runs the built `smtpkit` binary as a child process, the way a user does.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:fs";
import { open, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The built executable: tests run what `npm install -g` would run. */
export const binary = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** What one run printed and how it ended. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

/** Options of {@link smtpkit}. */
export interface RunOptions {
  /** Bytes for standard input (closed empty when absent). */
  readonly input?: Uint8Array | string;
  /** Extra environment; `undefined` removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory. */
  readonly cwd?: string;
}

/**
 * Runs `node dist/main.js ...args`. Colour variables (NO_COLOR, FORCE_COLOR, CI)
 * are removed unless given, so outputs do not depend on where the tests run.
 */
export function smtpkit(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== "NO_COLOR" && name !== "FORCE_COLOR" && name !== "CI") env[name] = value;
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], { env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (exitCode) => {
      resolve({ stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), exitCode });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Parses standard output as JSON, failing the test with the output when it is not. */
export function json<T = any>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * The shared public corpus beside the repository (see its README), or
 * undefined when it is missing; in CI (CI=true) a missing corpus fails instead.
 */
export function corpusRoot(): string | undefined {
  const root = fileURLToPath(new URL("../../../../shared/corpus/", import.meta.url));
  if (existsSync(root)) return root;
  if (process.env["CI"] === "true") throw new Error(`the shared corpus is missing at ${root}`);
  return undefined;
}

/** ANSI escape sequences (colours). */
export const ansi = /\u001b\[[0-9;]*m/;

/**
 * Runs `smtpkit` with a named pipe (a FIFO, as `<(zcat mail.gz)` gives) in
 * place of the word `FIFO` in `args`, writing `content` into it.
 */
export async function smtpkitWithFifo(fifo: string, args: readonly string[], content: string): Promise<RunResult> {
  const made = spawnSync("mkfifo", [fifo]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  // Opening a FIFO for writing waits for a reader: the child.
  let written = false;
  const writing = writeFile(fifo, content).then(
    () => (written = true),
    () => (written = true),
  );
  const result = await smtpkit(args.map((argument) => (argument === "FIFO" ? fifo : argument)));
  if (!written) {
    // The child ended without reading: open the other end so that the writer (and the test) can finish.
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    await reader.close();
  }
  await writing;
  return result;
}
