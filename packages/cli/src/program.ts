/**
 * The `smtpkit` program: a commander program built from one module per
 * command, and {@link run}, which parses a command line, runs the command and
 * turns every outcome into an exit code and a readable message.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { CliError } from "./cli-error.js";
import { processIo, type CliIo } from "./cli-io.js";
import { createContext, raiseExitCode, type CommandContext, type CommandModule } from "./command-context.js";
import { codeCommand } from "./commands/code.js";
import { conformClientCommand } from "./commands/conform-client.js";
import { conformCommand } from "./commands/conform.js";
import { parseCommand } from "./commands/parse.js";
import { queueCommand } from "./commands/queue.js";
import { sendCommand } from "./commands/send.js";
import { serveCommand } from "./commands/serve.js";
import { ExitCode } from "./exit-codes.js";

/** Every command, in the order `--help` lists them. */
const commandModules: readonly CommandModule[] = [serveCommand, queueCommand, sendCommand, parseCommand, codeCommand, conformCommand, conformClientCommand];

function packageVersion(): string {
  // dist/program.js -> ../package.json, which every published copy ships.
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}

const examples = `
Examples:
  $ smtpkit serve                         an SMTP server on 127.0.0.1:2525 storing mail in ./maildir
  $ smtpkit send --from me@localhost --to you@localhost --text Hi   send it a message
  $ smtpkit queue                         what the relay queue of serve --submission holds
  $ smtpkit parse message.eml             the MIME tree and a summary
  $ smtpkit parse --json - < message.eml  the same as JSON, from standard input
  $ smtpkit parse --extract out/ a.eml    save the attachments
  $ smtpkit code 550 5.7.1                what a reply means
  $ smtpkit code --command RCPT           the replies RCPT may get
  $ smtpkit conform smtp://127.0.0.1:2525 the RFC deviations of a server, each with a minimal transcript
  $ smtpkit conform-client --listen 127.0.0.1:2526   a misbehaving server per connection, judging your client

Exit codes: 0 ok, 1 the code or message looked at is bad, a recipient was refused or a file or
connection failed, 2 usage error.
Colours: only on a terminal; NO_COLOR=1 or --no-color turns them off, FORCE_COLOR=1 or --color on.`;

function createProgram(context: CommandContext): Command {
  const program = new Command("smtpkit")
    .description("SMTP and MIME tools: run a test SMTP server, send mail, read a message's structure, look up reply codes, test a server against the RFCs.")
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print help and exit")
    // Declared so that commander accepts them; picocolors reads them from argv.
    .option("--color", "force colours on")
    .option("--no-color", "turn colours off")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", examples)
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
      outputError: (text, write) => write(context.errorColors.red(text)),
    })
    // Every parse error becomes a CommanderError for `run` to turn into exit code 2.
    .exitOverride();
  program.addHelpCommand("help [command]", "print help for a command");
  for (const module of commandModules) module.register(program, context);
  return program;
}

/**
 * Runs `smtpkit` with a command line and returns the exit code (it never calls
 * `process.exit`, so output is flushed and embedding is safe).
 *
 * Messages for the user go to `io.stderr` without stack traces; an unexpected
 * exception (a bug) is printed with its stack and gives exit code 1.
 *
 * @param argv - the arguments after the program name, e.g. `["code", "550"]`
 * @param io - the streams to use (the process's own by default)
 * @returns the exit code: {@link ExitCode}
 * @example
 * ```ts
 * import { run } from "@smtpkit/cli";
 * const exitCode = await run(["code", "5.7.1", "--json"]);
 * ```
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  const context = createContext(io);
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help or version) already.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (CliError.isInstance(error)) {
      const hint = error.exitCode === ExitCode.Usage ? "\n(run with --help for usage)" : "";
      io.stderr.write(`${context.errorColors.red("error:")} ${error.message}${hint}\n`);
      raiseExitCode(context, error.exitCode);
      return context.exitCode;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`${context.errorColors.red("error: unexpected failure (a bug in smtpkit; please report it):")}\n${detail}\n`);
    raiseExitCode(context, ExitCode.Finding);
    return context.exitCode;
  }
}
