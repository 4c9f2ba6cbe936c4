/**
 * What every command module gets: the run's I/O and colour functions, and a
 * place to record the exit code. One module per command registers itself on
 * the commander program through {@link CommandModule}; `program.ts` lists
 * the modules, so a new command is one new file and one new line.
 *
 * @module
 */
import type { Command } from "commander";
import picocolors from "picocolors";
import { CliError } from "./cli-error.js";
import type { CliIo } from "./cli-io.js";
import { ExitCode } from "./exit-codes.js";

/** picocolors' colour functions (identity functions when colours are off). */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** The state one run shares with its commands. */
export interface CommandContext {
  /** The run's streams. */
  readonly io: CliIo;
  /** Colours for standard output. */
  readonly colors: Colors;
  /** Colours for standard error. */
  readonly errorColors: Colors;
  /** The exit code so far; a command raises it, never lowers it. */
  exitCode: ExitCode;
}

/** A command of the `smtpkit` program, in its own module. */
export interface CommandModule {
  /** The command's name, as typed. */
  readonly name: string;
  /** Adds the command (its arguments, options, help and action) to the program. */
  register(program: Command, context: CommandContext): void;
}

/**
 * Creates the context of one run.
 *
 * @param io - the run's streams
 * @returns a context with exit code 0
 * @internal
 */
export function createContext(io: CliIo): CommandContext {
  return {
    io,
    colors: picocolors.createColors(io.color),
    errorColors: picocolors.createColors(io.errorColor),
    exitCode: ExitCode.Ok,
  };
}

/**
 * Raises the run's exit code to `code` (a finding never hides a usage error).
 *
 * @param context - the run's context
 * @param code - the exit code this part of the run calls for
 * @internal
 */
export function raiseExitCode(context: CommandContext, code: ExitCode): void {
  if (code > context.exitCode) context.exitCode = code;
}

/**
 * Writes a warning line to standard error.
 *
 * @param context - the run's context
 * @param message - the warning, without the `warning:` prefix
 * @internal
 */
export function warn(context: CommandContext, message: string): void {
  context.io.stderr.write(`${context.errorColors.yellow("warning:")} ${message}\n`);
}

/**
 * Writes one JSON document to standard output, pretty-printed.
 *
 * @param context - the run's context
 * @param value - any JSON-serialisable value
 * @internal
 */
export function writeJson(context: CommandContext, value: unknown): void {
  context.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs a command's body so that, with `--json`, a failure still leaves one
 * JSON document on standard output (`{ "error": { "message", "exitCode" } }`)
 * before the error goes on to be printed on standard error.
 *
 * @param context - the run's context
 * @param json - whether `--json` was given
 * @param body - the command's work
 * @internal
 */
export async function runCommand(context: CommandContext, json: boolean, body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (json && CliError.isInstance(error)) {
      writeJson(context, { error: { message: error.message, exitCode: error.exitCode } });
    }
    throw error;
  }
}
