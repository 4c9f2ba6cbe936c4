/**
 * A long-running peer process: started in its own process group with its
 * output in a log file, awaited until it listens on its port (bounded), and
 * stopped with SIGTERM to the whole group, then SIGKILL after a bounded
 * grace period. Startup errors carry the tail of the log.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { isListening } from "./free-port.js";
import { InteropError } from "./interop-error.js";
import { findProcessGroupMembers, trackProcessGroup, untrackProcessGroup } from "./process-registry.js";

/** Default bound on a peer's startup, in milliseconds. */
export const DEFAULT_START_TIMEOUT = 15_000;
/** Default bound on a peer's graceful stop before SIGKILL, in milliseconds. */
export const DEFAULT_STOP_TIMEOUT = 5_000;
/** How many bytes of a log an error message carries. */
export const LOG_TAIL_BYTES = 4_000;

/**
 * The last {@link LOG_TAIL_BYTES} of one or more log files, each headed by its path.
 *
 * @param paths - log files (missing ones are skipped)
 * @returns the concatenated tails
 * @example
 * ```ts
 * readLogTail(["/tmp/smtpkit-interop-postfix-x/maillog"]);
 * ```
 */
export function readLogTail(paths: readonly string[]): string {
  const parts: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue;
    }
    if (text.length > LOG_TAIL_BYTES) text = `...${text.slice(-LOG_TAIL_BYTES)}`;
    parts.push(`==> ${path} <==\n${text}`);
  }
  return parts.join("\n");
}

/**
 * Sleeps.
 *
 * @param milliseconds - how long
 * @returns after that time
 * @example
 * ```ts
 * await delay(50);
 * ```
 */
export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Sends SIGTERM to a process group, waits until it is empty (at most
 * `timeout` ms), then SIGKILLs what is left and waits for that too.
 *
 * @param groupId - the process group id
 * @param timeout - the grace period in milliseconds
 * @returns whether the group ended within the grace period (false: it had to be killed)
 * @example
 * ```ts
 * await terminateProcessGroup(pid, 5_000);
 * ```
 */
export async function terminateProcessGroup(groupId: number, timeout: number): Promise<boolean> {
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-groupId, name);
    } catch {
      // the group is gone
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (findProcessGroupMembers(groupId).length === 0) return true;
    await delay(25);
  }
  signal("SIGKILL");
  const killDeadline = Date.now() + 2_000;
  while (findProcessGroupMembers(groupId).length > 0 && Date.now() < killDeadline) await delay(25);
  return false;
}

/** Options of {@link startManagedProcess}. */
export interface ManagedProcessOptions {
  /** The peer's state directory (from `createStateDirectory`). */
  readonly directory: string;
  /** Human name for errors. */
  readonly label: string;
  /** Program to run. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Where its standard output and error go (appended). */
  readonly logPath: string;
  /** Other log files to show when startup fails. */
  readonly extraLogs?: readonly string[];
  /** The port it must start listening on. */
  readonly port: number;
  /** Startup bound in milliseconds (default {@link DEFAULT_START_TIMEOUT}). */
  readonly startTimeout?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running peer process. */
export interface ManagedProcess {
  /** The process id, which is also its process group id. */
  readonly pid: number;
  /**
   * Stops the whole process group (SIGTERM, then SIGKILL after `timeout`).
   *
   * @param timeout - grace period in milliseconds
   * @returns false when SIGKILL was needed
   */
  stop(timeout?: number): Promise<boolean>;
}

/**
 * Starts a peer program in the background and waits until it listens.
 *
 * @param options - what to run and where it logs
 * @returns the running process
 * @throws {@link InteropError} `startup-failed` (with the log tail) if it exits or does not listen in time
 * @example
 * ```ts
 * const process = await startManagedProcess({
 *   directory, label: "smtp-sink", command: "/usr/sbin/smtp-sink",
 *   args: ["-u", "nobody", `127.0.0.1:${port}`, "64"], logPath: `${directory}/log`, port,
 * });
 * await process.stop();
 * ```
 */
export async function startManagedProcess(options: ManagedProcessOptions): Promise<ManagedProcess> {
  // a listener already there would be mistaken for the peer
  if (await isListening(options.port)) {
    throw new InteropError("startup-failed", `${options.label}: port ${options.port} is already in use`);
  }
  const logFd = openSync(options.logPath, "a");
  let exited: string | undefined;
  const child = spawn(options.command, [...options.args], {
    detached: true,
    stdio: ["ignore", logFd, logFd],
    // the marker lets a later run's sweep recognise this process even when its
    // command line does not mention the state directory (smtp-sink)
    env: { ...process.env, ...options.env, SMTPKIT_INTEROP_STATE: options.directory },
  });
  closeSync(logFd);
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (error) => resolve(error));
  });
  const pid = child.pid;
  if (spawnError !== undefined || pid === undefined) {
    throw new InteropError(
      "startup-failed",
      `${options.label}: cannot run ${options.command}: ${spawnError?.message ?? "no pid"}`,
    );
  }
  trackProcessGroup(options.directory, pid);
  child.once("exit", (code, signal) => {
    exited = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
  });
  child.unref();

  const stop = async (timeout = DEFAULT_STOP_TIMEOUT): Promise<boolean> => {
    const graceful = await terminateProcessGroup(pid, timeout);
    untrackProcessGroup(options.directory, pid);
    return graceful;
  };

  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
  const deadline = Date.now() + startTimeout;
  for (;;) {
    if (await isListening(options.port)) break;
    if (exited !== undefined || Date.now() > deadline) {
      await stop(1_000);
      const why = exited === undefined ? `did not listen on port ${options.port} within ${startTimeout} ms` : `exited (${exited})`;
      throw new InteropError(
        "startup-failed",
        `${options.label} ${why}`,
        readLogTail([options.logPath, ...(options.extraLogs ?? [])]),
      );
    }
    await delay(25);
  }
  return { pid, stop };
}
