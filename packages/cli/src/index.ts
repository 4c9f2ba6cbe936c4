/**
 * `@smtpkit/cli`: the `smtpkit` command line tool, and the few pieces of it
 * that are useful from code.
 *
 * - {@link run}: run the program on an argument list with any streams.
 * - {@link ExitCode}: what each exit code means.
 * - {@link safeFileName}: the file-name sanitizer `smtpkit parse --extract` uses.
 *
 * @example
 * ```ts
 * import { run, ExitCode } from "@smtpkit/cli";
 * const exitCode = await run(["parse", "--json", "message.eml"]);
 * if (exitCode === ExitCode.Finding) console.error("the message hit a parser limit");
 * ```
 *
 * @packageDocumentation
 */
export { run } from "./program.js";
export { ExitCode } from "./exit-codes.js";
export { CliError } from "./cli-error.js";
export type { CliIo, TextSink } from "./cli-io.js";
export { safeFileName, maxFileNameBytes } from "./parse/safe-file-name.js";
