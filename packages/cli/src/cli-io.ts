/**
 * Where a run of `smtpkit` reads and writes: the process's streams by
 * default, or anything with the same shape (for embedding and tests), and
 * whether each output stream gets colours.
 *
 * Colours follow picocolors' rule for standard output: on when it is a
 * terminal (and `TERM` is not `dumb`), on with `FORCE_COLOR` or `--color`,
 * off with `NO_COLOR` or `--no-color`, which win over everything. Standard
 * error is judged the same way, with its own terminal check, so that
 * `2>errors.log` never fills a file with escape codes.
 *
 * @module
 */
import process from "node:process";
import picocolors from "picocolors";

/** Something text can be written to. */
export interface TextSink {
  /** Writes text as is (no line end added). */
  write(text: string): unknown;
}

/** The streams and settings of one run. */
export interface CliIo {
  /** Results go here (the readable report, or the JSON document). */
  readonly stdout: TextSink;
  /** Errors, warnings and progress go here. */
  readonly stderr: TextSink;
  /** What `-` names as an input file. */
  readonly stdin: AsyncIterable<Uint8Array>;
  /** Whether `stdout` gets colours. */
  readonly color: boolean;
  /** Whether `stderr` gets colours. */
  readonly errorColor: boolean;
}

/**
 * The process's own streams, with colours decided as the module header says.
 *
 * @returns the I/O of the current process
 * @internal
 */
export function processIo(): CliIo {
  const environment = process.env;
  // picocolors has decided for standard output already; for standard error
  // only the terminal check differs.
  const forced = Boolean(environment["FORCE_COLOR"]) || process.argv.includes("--color") || Boolean(environment["CI"]);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    color: picocolors.isColorSupported,
    errorColor: picocolors.isColorSupported && (process.stderr.isTTY === true || forced),
  };
}
