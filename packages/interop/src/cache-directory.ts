/**
 * The one folder the harness keeps between runs: the unpacked Exim package
 * and the recorded Postfix queue layout. Everything else lives in per-peer
 * state directories that are deleted on stop.
 *
 * @module
 */

import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The folder kept between runs (the unpacked Exim, the Postfix queue layout):
 * `SMTPKIT_INTEROP_CACHE` if set, else `<tmp>/smtpkit-interop-cache`.
 *
 * @returns an absolute path (not created)
 * @example
 * ```ts
 * interopCacheDirectory(); // "/tmp/smtpkit-interop-cache"
 * ```
 */
export function interopCacheDirectory(): string {
  const configured = process.env["SMTPKIT_INTEROP_CACHE"];
  return configured !== undefined && configured !== "" ? configured : join(tmpdir(), "smtpkit-interop-cache");
}

