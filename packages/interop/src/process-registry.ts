/**
 * Bookkeeping that guarantees no orphans: every peer's state directory and
 * every process the harness starts are registered here. They are stopped by
 * the peer's own `stop()`, and, as a last resort, when the test process
 * exits (normally, or on SIGINT/SIGTERM/SIGHUP) the registry signals every
 * process group still alive, waits briefly, kills what remains and deletes
 * the state directories.
 *
 * A run that was killed with SIGKILL cannot clean up after itself, so each
 * state directory holds an `owner.json` naming the test process (pid and
 * start time) and the process groups it started. Creating a new state
 * directory first sweeps the temp folder for directories whose owner is
 * dead, kills their recorded processes (only those whose command line or
 * environment still mentions that directory, so a recycled pid is never
 * hit) and deletes them.
 *
 * Linux only (it reads `/proc`).
 *
 * @module
 */

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The prefix of every state directory the harness creates under the temp folder. */
export const STATE_DIRECTORY_PREFIX = "smtpkit-interop-";

/** How long the exit handler waits after SIGTERM before it sends SIGKILL, in milliseconds. */
export const EXIT_GRACE_MILLISECONDS = 1_500;

interface OwnerRecord {
  readonly ownerPid: number;
  readonly ownerStartTime: string;
  readonly processGroups: number[];
}

const liveDirectories = new Map<string, OwnerRecord>();
const transientGroups = new Set<number>();
let handlersInstalled = false;

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or undefined when it is gone. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) may contain spaces and parentheses: split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is alive (and not a zombie).
 *
 * @param pid - the process id
 * @returns true while the process runs
 * @example
 * ```ts
 * isProcessAlive(process.pid); // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function processMentions(pid: number, text: string): boolean {
  for (const file of ["cmdline", "environ"]) {
    try {
      if (readFileSync(`/proc/${pid}/${file}`, "latin1").includes(text)) return true;
    } catch {
      // gone, or not readable: not ours to judge
    }
  }
  return false;
}

/**
 * Every running process whose command line or environment contains `text`
 * (typically a peer's state directory): what the self-tests use to prove
 * that `stop()` left nothing behind.
 *
 * @param text - a path or other marker
 * @returns the pids, excluding this process
 * @example
 * ```ts
 * const peer = await startSmtpSink();
 * await peer.stop();
 * findProcessesMentioning(peer.stateDirectory); // []
 * ```
 */
export function findProcessesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (isProcessAlive(pid) && processMentions(pid, text)) pids.push(pid);
  }
  return pids;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function sleepSync(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/** TERM every group, wait up to `grace` ms for the leaders, then KILL the rest. Synchronous. */
function terminateGroupsSync(groups: readonly number[], grace: number): void {
  for (const pid of groups) signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + grace;
  while (groups.some(isProcessAlive) && Date.now() < deadline) sleepSync(25);
  for (const pid of groups) signalGroup(pid, "SIGKILL");
}

function writeOwner(directory: string, record: OwnerRecord): void {
  writeFileSync(join(directory, "owner.json"), JSON.stringify(record));
}

function cleanupAllSync(): void {
  const directories = [...liveDirectories.entries()];
  liveDirectories.clear();
  const transient = [...transientGroups];
  transientGroups.clear();
  terminateGroupsSync(
    [...transient, ...directories.flatMap(([, record]) => record.processGroups)],
    EXIT_GRACE_MILLISECONDS,
  );
  for (const [directory] of directories) rmSync(directory, { recursive: true, force: true });
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", cleanupAllSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      cleanupAllSync();
      // Restore the default action when nobody else handles the signal, so the process still dies.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

/**
 * Deletes state directories left by test processes that died without
 * cleaning up (for example killed with SIGKILL), after killing the process
 * groups they recorded. Called automatically by {@link createStateDirectory}.
 *
 * @returns the directories removed
 * @example
 * ```ts
 * sweepStaleStateDirectories(); // [] on a clean machine
 * ```
 */
export function sweepStaleStateDirectories(): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.startsWith(STATE_DIRECTORY_PREFIX)) continue;
    const directory = join(tmpdir(), entry);
    let record: OwnerRecord;
    try {
      record = JSON.parse(readFileSync(join(directory, "owner.json"), "utf8")) as OwnerRecord;
    } catch {
      continue; // being created right now, or not ours
    }
    if (processStartTime(record.ownerPid) === record.ownerStartTime) continue; // owner alive
    const groups = record.processGroups.filter((pid) => isProcessAlive(pid) && processMentions(pid, directory));
    terminateGroupsSync(groups, 500);
    rmSync(directory, { recursive: true, force: true });
    removed.push(directory);
  }
  return removed;
}

/**
 * Creates a fresh, world-traversable state directory for one peer under the
 * temp folder and registers it for deletion on exit.
 *
 * @param label - a short name that appears in the directory name (the peer)
 * @returns the absolute path
 * @example
 * ```ts
 * const directory = createStateDirectory("postfix"); // /tmp/smtpkit-interop-postfix-a1B2c3
 * releaseStateDirectory(directory);
 * ```
 */
export function createStateDirectory(label: string): string {
  installHandlers();
  sweepStaleStateDirectories();
  const directory = mkdtempSync(join(tmpdir(), `${STATE_DIRECTORY_PREFIX}${label}-`));
  // mkdtemp makes 0700; peers drop privileges (nobody, postfix, Debian-exim) and must traverse it.
  chmodSync(directory, 0o755);
  const record: OwnerRecord = {
    ownerPid: process.pid,
    ownerStartTime: processStartTime(process.pid) ?? "",
    processGroups: [],
  };
  liveDirectories.set(directory, record);
  writeOwner(directory, record);
  return directory;
}

/**
 * Records a process group leader started for the peer owning `directory`, so
 * that it is killed on exit and by a later run's sweep if this one crashes.
 *
 * @param directory - a directory from {@link createStateDirectory}
 * @param pid - the leader's pid (its process group id)
 * @example
 * ```ts
 * trackProcessGroup(directory, child.pid!);
 * ```
 */
export function trackProcessGroup(directory: string, pid: number): void {
  const record = liveDirectories.get(directory);
  if (record === undefined) return;
  record.processGroups.push(pid);
  writeOwner(directory, record);
}

/**
 * Records a short-lived process group (a client run, openssl) that has no
 * state directory, so that it is killed if the test process exits first.
 *
 * @param pid - the leader's pid (its process group id)
 * @example
 * ```ts
 * trackTransientProcessGroup(child.pid!);
 * ```
 */
export function trackTransientProcessGroup(pid: number): void {
  installHandlers();
  transientGroups.add(pid);
}

/**
 * Forgets a short-lived process group once it has exited.
 *
 * @param pid - the leader's pid
 * @example
 * ```ts
 * untrackTransientProcessGroup(child.pid!);
 * ```
 */
export function untrackTransientProcessGroup(pid: number): void {
  transientGroups.delete(pid);
}

/**
 * Forgets a process group (after it was stopped).
 *
 * @param directory - a directory from {@link createStateDirectory}
 * @param pid - the leader's pid
 * @example
 * ```ts
 * untrackProcessGroup(directory, pid);
 * ```
 */
export function untrackProcessGroup(directory: string, pid: number): void {
  const record = liveDirectories.get(directory);
  if (record === undefined) return;
  const index = record.processGroups.indexOf(pid);
  if (index >= 0) record.processGroups.splice(index, 1);
  try {
    writeOwner(directory, record);
  } catch {
    // the directory is being removed
  }
}

/**
 * Kills whatever the directory still tracks and deletes it (unless `keep`).
 *
 * @param directory - a directory from {@link createStateDirectory}
 * @param keep - leave the files for debugging (processes are still killed)
 * @example
 * ```ts
 * releaseStateDirectory(directory);
 * ```
 */
export function releaseStateDirectory(directory: string, keep = false): void {
  const record = liveDirectories.get(directory);
  liveDirectories.delete(directory);
  if (record !== undefined && record.processGroups.length > 0) terminateGroupsSync(record.processGroups, 500);
  if (!keep) rmSync(directory, { recursive: true, force: true });
}

/**
 * The live members of a process group (read from /proc/PID/stat, field 5).
 *
 * @param groupId - the process group id (its leader's pid)
 * @returns the pids still alive in that group
 * @example
 * ```ts
 * findProcessGroupMembers(peerPid); // [] once the peer stopped
 * ```
 */
export function findProcessGroupMembers(groupId: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && fields[0] !== "X" && Number(fields[2]) === groupId) members.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return members;
}
