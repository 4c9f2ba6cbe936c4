/**
 * Runs a helper program to completion with a hard timeout: the way client
 * drivers (swaks, smtplib, msmtp) and openssl are called. The program runs in
 * its own process group, which is killed on timeout and on test-process exit.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { InteropError } from "./interop-error.js";
import { trackTransientProcessGroup, untrackTransientProcessGroup } from "./process-registry.js";

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Bytes written to the program's standard input (then closed). */
  readonly input?: Uint8Array | string;
  /** Kill the program after this many milliseconds (default 30 000). */
  readonly timeout?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. */
  readonly cwd?: string;
  /**
   * Resolve when the program exits, without waiting for its output pipes to
   * close: for programs that leave a daemon behind holding them (`postfix start`).
   */
  readonly resolveOnExit?: boolean;
}

/** What a finished program left behind. */
export interface CommandResult {
  /** The exit code; `null` when a signal ended it (for example on timeout). */
  readonly exitCode: number | null;
  /** The signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Everything written to standard output, decoded as UTF-8. */
  readonly stdout: string;
  /** Everything written to standard error, decoded as UTF-8. */
  readonly stderr: string;
  /** Whether the harness killed it for running past the timeout. */
  readonly timedOut: boolean;
}

/**
 * Runs `command` with `args` (no shell) and collects its output.
 *
 * @param command - program name or path
 * @param args - arguments, passed verbatim
 * @param options - input, timeout, env, cwd
 * @returns exit code, signal, stdout, stderr; never rejects for a non-zero exit
 * @throws {@link InteropError} `command-failed` when the program cannot be started at all
 * @example
 * ```ts
 * const result = await runCommand("openssl", ["version"]);
 * console.log(result.exitCode, result.stdout);
 * ```
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const timeout = options.timeout ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const pid = child.pid;
    if (pid !== undefined) trackTransientProcessGroup(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }, timeout);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on("error", () => {
      // the program may exit without reading its input
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      if (pid !== undefined) untrackTransientProcessGroup(pid);
      reject(new InteropError("command-failed", `cannot run ${command}: ${error.message}`));
    });
    child.once(options.resolveOnExit === true ? "exit" : "close", (exitCode, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) untrackTransientProcessGroup(pid);
      if (options.resolveOnExit === true) {
        child.stdout.destroy();
        child.stderr.destroy();
      }
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
      });
    });
    child.stdin.end(options.input ?? "");
  });
}
