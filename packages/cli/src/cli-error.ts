/**
 * The typed error commands throw for anything the user should read as a
 * sentence rather than a stack trace: a bad argument, a file that cannot be
 * read, a code that is not in the registry.
 *
 * @module
 */
import { ExitCode } from "./exit-codes.js";

const marker = Symbol.for("@smtpkit/cli/CliError");

/**
 * An error meant for the person at the terminal: `run` prints its message
 * (no stack trace) and exits with its `exitCode`.
 *
 * Use {@link CliError.isInstance} rather than `instanceof`: it still works
 * when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { CliError, ExitCode } from "@smtpkit/cli";
 * const error = new CliError("no such file: a.eml", ExitCode.Finding);
 * CliError.isInstance(error); // true
 * error.exitCode;             // 1
 * ```
 */
export class CliError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "CliError" as const;
  /** The exit code the run ends with. */
  readonly exitCode: ExitCode;
  private readonly [marker] = true;

  /**
   * @param message - one sentence for the user, without the program name
   * @param exitCode - {@link ExitCode.Finding} (the default) or {@link ExitCode.Usage}
   */
  constructor(message: string, exitCode: ExitCode = ExitCode.Finding) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }

  /**
   * True for any `CliError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `CliError`
   * @example
   * ```ts
   * CliError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is CliError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
