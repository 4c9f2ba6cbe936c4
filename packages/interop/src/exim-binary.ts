/**
 * Where the Exim binary comes from: Debian's `exim4-daemon-light`, fetched
 * with `apt-get download` and unpacked with `dpkg -x` into a cache folder,
 * because Exim and Postfix cannot both be installed as packages. Done once,
 * synchronously (so that {@link peerAvailable} can answer at test-collection
 * time whether Exim can run), into a temporary folder renamed into place, so
 * concurrent test processes never see half an extraction.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { interopCacheDirectory } from "./cache-directory.js";

/** Bound on each `apt-get`/`dpkg` step of the Exim download, in milliseconds. */
export const EXIM_DOWNLOAD_TIMEOUT = 180_000;

/**
 * The path of the unpacked `exim4` binary (it may not exist yet).
 *
 * @returns `<cache>/exim4-daemon-light/usr/sbin/exim4`
 * @example
 * ```ts
 * eximBinaryPath();
 * ```
 */
export function eximBinaryPath(): string {
  return join(interopCacheDirectory(), "exim4-daemon-light", "usr", "sbin", "exim4");
}

/**
 * Whether the Exim binary is already unpacked in the cache.
 *
 * @returns true when no download is needed
 * @example
 * ```ts
 * isEximCached();
 * ```
 */
export function isEximCached(): boolean {
  return existsSync(eximBinaryPath()) && statSync(eximBinaryPath()).size > 0;
}

function run(command: string, args: string[], cwd?: string): { ok: boolean; output: string } {
  const result = spawnSync(command, args, {
    ...(cwd === undefined ? {} : { cwd }),
    encoding: "utf8",
    timeout: EXIM_DOWNLOAD_TIMEOUT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error?.message ?? ""}` };
}

/**
 * Makes sure the Exim binary is unpacked in the cache: `apt-get download
 * exim4-daemon-light` (after one `apt-get update` if the first try fails),
 * then `dpkg -x`. Synchronous; about a second when the mirror is reachable.
 *
 * @returns `{ ok: true }`, or `{ ok: false, reason }` with the tools' output
 * @example
 * ```ts
 * const answer = prepareEximBinary();
 * if (answer.ok) console.log(eximBinaryPath());
 * ```
 */
export function prepareEximBinary(): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  if (isEximCached()) return { ok: true };
  try {
    mkdirSync(interopCacheDirectory(), { recursive: true });
  } catch (error) {
    return { ok: false, reason: `cannot create ${interopCacheDirectory()}: ${(error as Error).message}` };
  }
  const work = mkdtempSync(join(interopCacheDirectory(), "exim-download-"));
  try {
    // apt-get download as root warns when its _apt user cannot write the folder
    chmodSync(work, 0o777);
    let download = run("apt-get", ["download", "exim4-daemon-light"], work);
    if (!download.ok) {
      run("apt-get", ["update", "-qq"]);
      download = run("apt-get", ["download", "exim4-daemon-light"], work);
    }
    const deb = readdirSync(work).find((name) => name.endsWith(".deb"));
    if (!download.ok || deb === undefined) {
      return { ok: false, reason: `apt-get download exim4-daemon-light failed: ${download.output.trim().slice(-500)}` };
    }
    const unpack = run("dpkg", ["-x", join(work, deb), join(work, "root")]);
    if (!unpack.ok) return { ok: false, reason: `dpkg -x exim4-daemon-light failed: ${unpack.output.trim().slice(-500)}` };
    try {
      renameSync(join(work, "root"), join(interopCacheDirectory(), "exim4-daemon-light"));
    } catch (error) {
      // another process may have won the race; anything else is a failure
      if (!isEximCached()) return { ok: false, reason: `cannot install the unpacked Exim: ${(error as Error).message}` };
    }
    return isEximCached() ? { ok: true } : { ok: false, reason: "the exim4-daemon-light package holds no usr/sbin/exim4" };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
