/**
 * Which peers can run here, and the skip-or-fail rule for tests that need
 * them. Outside CI a missing peer makes the calling test skip with a reason
 * that names the Debian or npm package to install; with the environment
 * variable `CI=true` a missing peer is a failure instead, so CI can never
 * pass by silently skipping its interop tests.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { isEximCached, prepareEximBinary } from "./exim-binary.js";
import { InteropError } from "./interop-error.js";

/** Every peer (server or client) the harness knows how to run. */
export type PeerName =
  | "postfix"
  | "smtp-sink"
  | "aiosmtpd"
  | "smtp-server"
  | "exim"
  | "dovecot"
  | "swaks"
  | "smtplib"
  | "msmtp"
  | "nodemailer"
  | "openssl";

/** Every {@link PeerName}, in a stable order. */
export const PEER_NAMES: readonly PeerName[] = [
  "postfix",
  "smtp-sink",
  "aiosmtpd",
  "smtp-server",
  "exim",
  "dovecot",
  "swaks",
  "smtplib",
  "msmtp",
  "nodemailer",
  "openssl",
];

/** The answer of {@link peerAvailable}. */
export type PeerAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The Python interpreter used for aiosmtpd, smtplib and imaplib:
 * `SMTPKIT_INTEROP_PYTHON` if set, else Debian's `/usr/bin/python3` (the one
 * `python3-aiosmtpd` installs into; a pyenv `python3` on the PATH usually
 * lacks aiosmtpd), else `python3` from the PATH.
 *
 * @returns the interpreter path or name
 * @example
 * ```ts
 * pythonCommand(); // "/usr/bin/python3"
 * ```
 */
export function pythonCommand(): string {
  const configured = process.env["SMTPKIT_INTEROP_PYTHON"];
  if (configured !== undefined && configured !== "") return configured;
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/**
 * Finds an executable on the PATH, or in the sbin folders (Debian keeps
 * postfix, dovecot and smtp-sink there, outside a normal user's PATH).
 *
 * @param name - the program name
 * @returns its absolute path, or undefined
 * @example
 * ```ts
 * findExecutable("postfix"); // "/usr/sbin/postfix"
 * ```
 */
export function findExecutable(name: string): string | undefined {
  const folders = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  for (const folder of folders) {
    if (folder === "") continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const require = createRequire(import.meta.url);

function resolvesModule(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function missingProgram(program: string, debianPackage: string): PeerAvailability {
  return { ok: false, reason: `${program} not found (Debian: apt-get install ${debianPackage})` };
}

function pythonHas(module: string): boolean {
  const result = spawnSync(pythonCommand(), ["-c", `import ${module}`], { stdio: "ignore", timeout: 10_000 });
  return result.status === 0;
}

const cache = new Map<PeerName, PeerAvailability>();

function check(name: PeerName): PeerAvailability {
  switch (name) {
    case "postfix":
      if (findExecutable("postfix") === undefined) return missingProgram("postfix", "postfix");
      if (!isRoot()) return { ok: false, reason: "a private Postfix instance needs root (postfix start)" };
      return { ok: true };
    case "smtp-sink":
      return findExecutable("smtp-sink") === undefined ? missingProgram("smtp-sink", "postfix") : { ok: true };
    case "aiosmtpd":
      return pythonHas("aiosmtpd")
        ? { ok: true }
        : { ok: false, reason: `${pythonCommand()} cannot import aiosmtpd (Debian: apt-get install python3-aiosmtpd)` };
    case "smtplib":
      return pythonHas("smtplib") ? { ok: true } : missingProgram(pythonCommand(), "python3");
    case "smtp-server":
      return resolvesModule("smtp-server") ? { ok: true } : { ok: false, reason: "npm package smtp-server not installed (pnpm install)" };
    case "nodemailer":
      return resolvesModule("nodemailer") ? { ok: true } : { ok: false, reason: "npm package nodemailer not installed (pnpm install)" };
    case "swaks":
      return findExecutable("swaks") === undefined ? missingProgram("swaks", "swaks libnet-ssleay-perl") : { ok: true };
    case "msmtp":
      return findExecutable("msmtp") === undefined ? missingProgram("msmtp", "msmtp") : { ok: true };
    case "openssl":
      return findExecutable("openssl") === undefined ? missingProgram("openssl", "openssl") : { ok: true };
    case "dovecot":
      if (findExecutable("dovecot") === undefined) return missingProgram("dovecot", "dovecot-imapd");
      if (!existsSync("/usr/lib/dovecot/imap")) return missingProgram("/usr/lib/dovecot/imap", "dovecot-imapd");
      if (!isRoot()) return { ok: false, reason: "a private Dovecot instance needs root" };
      if (!pythonHas("imaplib")) return missingProgram(`${pythonCommand()} (imaplib)`, "python3");
      return { ok: true };
    case "exim":
      if (!isRoot()) return { ok: false, reason: "the Exim peer needs root (private mount namespace)" };
      for (const [program, debianPackage] of [["unshare", "util-linux"], ["mount", "mount"]] as const) {
        if (findExecutable(program) === undefined) return missingProgram(program, debianPackage);
      }
      if (isEximCached()) return { ok: true };
      for (const [program, debianPackage] of [["apt-get", "apt"], ["dpkg", "dpkg"]] as const) {
        if (findExecutable(program) === undefined) return missingProgram(program, debianPackage);
      }
      // fetch it now, so that a failed download skips (or fails in CI) like a missing program
      return prepareEximBinary();
  }
}

/**
 * Whether a peer can run on this machine (its program installed, root where
 * needed). The answer is cached for the life of the process. For Exim
 * this fetches and unpacks the Debian package on first call (see
 * `prepareEximBinary`), so a failed download is reported here.
 *
 * @param name - the peer
 * @returns `{ ok: true }` or `{ ok: false, reason }` with what to install
 * @example
 * ```ts
 * const postfix = peerAvailable("postfix");
 * if (!postfix.ok) console.log(postfix.reason);
 * ```
 */
export function peerAvailable(name: PeerName): PeerAvailability {
  let answer = cache.get(name);
  if (answer === undefined) {
    answer = check(name);
    cache.set(name, answer);
  }
  return answer;
}

/**
 * Forgets every cached {@link peerAvailable} answer (for example after a
 * package was installed while the test process runs).
 *
 * @example
 * ```ts
 * clearPeerAvailabilityCache();
 * ```
 */
export function clearPeerAvailabilityCache(): void {
  cache.clear();
}

/**
 * Whether the environment says this is CI: exactly `CI=true`.
 *
 * @returns true when `process.env.CI === "true"`
 * @example
 * ```ts
 * isCi();
 * ```
 */
export function isCi(): boolean {
  return process.env["CI"] === "true";
}

/**
 * The skip-or-fail rule, for `describe.skipIf`. Returns true when every named
 * peer is available. When one is missing: with `CI=true` it throws (the
 * test file fails at collection, naming the peer); otherwise it prints a
 * one-line notice on stderr and returns false, so the block is skipped.
 *
 * @param names - the peers the tests need
 * @returns whether the tests can run
 * @throws {@link InteropError} `peer-missing` when a peer is missing and `CI=true`
 * @example
 * ```ts
 * import { describe, it } from "vitest";
 * import { requirePeer } from "@smtpkit/interop";
 *
 * describe.skipIf(!requirePeer("postfix", "swaks"))("postfix with swaks", () => {
 *   it("delivers", async () => {});
 * });
 * ```
 */
export function requirePeer(...names: PeerName[]): boolean {
  const missing = names
    .map((name) => [name, peerAvailable(name)] as const)
    .filter((entry): entry is readonly [PeerName, { ok: false; reason: string }] => !entry[1].ok);
  if (missing.length === 0) return true;
  const text = missing.map(([name, answer]) => `${name}: ${answer.reason}`).join("; ");
  if (isCi()) throw new InteropError("peer-missing", `required interop peer missing in CI (CI=true): ${text}`);
  process.stderr.write(`[@smtpkit/interop] skipping: ${text}\n`);
  return false;
}

/** The part of a vitest test context that {@link skipUnlessPeer} uses. */
export interface SkippableContext {
  /** Marks the running test as skipped, with a note. */
  skip(note?: string): void;
}

/**
 * The skip-or-fail rule inside one test: skips the running test (with the
 * reason as its note) when a peer is missing, or throws when `CI=true`.
 *
 * @param context - the vitest test context (`it("x", (context) => ...)`)
 * @param names - the peers the test needs
 * @throws {@link InteropError} `peer-missing` when a peer is missing and `CI=true`
 * @example
 * ```ts
 * it("delivers to Exim", async (context) => {
 *   skipUnlessPeer(context, "exim");
 *   const exim = await startExim();
 *   await exim.stop();
 * });
 * ```
 */
export function skipUnlessPeer(context: SkippableContext, ...names: PeerName[]): void {
  const missing = names
    .map((name) => [name, peerAvailable(name)] as const)
    .filter((entry): entry is readonly [PeerName, { ok: false; reason: string }] => !entry[1].ok);
  if (missing.length === 0) return;
  const text = missing.map(([name, answer]) => `${name}: ${answer.reason}`).join("; ");
  if (isCi()) throw new InteropError("peer-missing", `required interop peer missing in CI (CI=true): ${text}`);
  context.skip(text);
}
