/**
 * The exit codes of the `smtpkit` command, one meaning each, so that scripts
 * can tell "the message is bad" from "I called it wrongly".
 *
 * @module
 */

/**
 * What a run of `smtpkit` ended with.
 *
 * - `Ok` (0): done, nothing to report.
 * - `Finding` (1): the thing looked up or parsed is bad or unknown (an
 *   unregistered or non-standard code, codes that disagree, a message that hit
 *   a parser limit, a file that cannot be read or written).
 * - `Usage` (2): the command line itself is wrong (unknown option, missing or
 *   malformed argument).
 *
 * @example
 * ```ts
 * import { ExitCode, run } from "@smtpkit/cli";
 * (await run(["code", "250"])) === ExitCode.Ok; // true
 * ```
 */
export const ExitCode = {
  Ok: 0,
  Finding: 1,
  Usage: 2,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
