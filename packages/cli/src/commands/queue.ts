/**
 * `smtpkit queue`: what the relay queue of `smtpkit serve --submission` holds,
 * read from its spool directory alone (so it works while the server runs in
 * another process), and `smtpkit queue flush`, which asks the running queue
 * to retry every waiting recipient now (Postfix's `mailq` and `postqueue -f`).
 *
 * Per entry: id, size, arrival, sender; per recipient: state (pending,
 * delivered, failed), attempts, the next retry and the last reply with the
 * server that gave it. `--json` prints the listing as one JSON document.
 *
 * Does not: change entries (no delete, hold or requeue), or deliver anything
 * itself: `flush` only leaves a request the running queue picks up.
 *
 * @module
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { readQueue, requestFlush, type QueueListing } from "@smtpkit/queue";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { runCommand, warn, writeJson, type CommandContext, type CommandModule } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";

/** The spool directory `smtpkit queue` and `smtpkit serve --submission` use by default: `./queue`. */
export const DEFAULT_QUEUE_DIRECTORY = "./queue";

interface QueueOptions {
  readonly dir: string;
  readonly json?: boolean;
}

const examples = `
Examples:
  $ smtpkit queue                      what ./queue holds: entries, recipients, attempts, next retry, last reply
  $ smtpkit queue --dir /var/spool/smtpkit --json
  $ smtpkit queue flush                ask the running server to retry every waiting recipient now

Exit code 1 when the directory is not a queue or a damaged entry was set aside.`;

function time(milliseconds: number | undefined): string {
  return milliseconds === undefined ? "-" : new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// Remote text goes to a terminal: no control characters (escape sequences) get through.
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readListing(directory: string): Promise<QueueListing> {
  const absolute = path.resolve(directory);
  const info = await stat(absolute).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new CliError(`${directory} is not a queue directory (start one with smtpkit serve --submission --queue-dir ${directory})`);
  try {
    return await readQueue(absolute);
  } catch (error) {
    throw new CliError(`cannot read the queue in ${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function printListing(context: CommandContext, listing: QueueListing): void {
  const { colors, io } = context;
  const lines: string[] = [];
  let pending = 0;
  let failed = 0;
  let recipients = 0;
  for (const entry of listing.entries) {
    lines.push(`${colors.bold(entry.id)}  ${entry.size} bytes  arrived ${time(entry.receivedAt)}  from <${printable(entry.from)}>`);
    for (const recipient of entry.recipients) {
      recipients += 1;
      if (recipient.state === "pending") pending += 1;
      if (recipient.state === "failed") failed += 1;
      const state = recipient.state === "pending" ? colors.yellow("pending") : recipient.state === "failed" ? colors.red("failed") : colors.green("delivered");
      const next = recipient.state === "pending" ? `  next ${time(recipient.nextAttemptAt)}` : "";
      lines.push(`  <${printable(recipient.address)}>  ${state}  attempts ${recipient.attempts}${next}`);
      const reply = recipient.lastReply;
      if (reply !== undefined) {
        const who = reply.remoteMta === undefined ? "" : ` (${printable(reply.remoteMta)})`;
        lines.push(`      last: ${reply.code}${reply.enhanced === undefined ? "" : ` ${reply.enhanced}`} ${printable(reply.text)}${who}`);
      }
    }
  }
  const entries = listing.entries.length;
  const running = isAlive(listing.lockedBy) ? `run by process ${listing.lockedBy}` : "no server running on it";
  lines.push(
    `${entries === 0 ? "The queue is empty" : `${entries} ${entries === 1 ? "entry" : "entries"}, ${recipients} recipient${recipients === 1 ? "" : "s"}: ${pending} pending, ${failed} failed`} (${listing.directory}, ${running})${listing.flushRequested ? "; a flush is requested" : ""}`,
  );
  io.stdout.write(`${lines.join("\n")}\n`);
  for (const id of listing.corrupt) warn(context, `entry ${id} is damaged (failed its checksum) and is not delivered`);
}

async function list(context: CommandContext, options: QueueOptions): Promise<void> {
  const listing = await readListing(options.dir);
  if (options.json === true) writeJson(context, listing);
  else printListing(context, listing);
  if (listing.corrupt.length > 0) throw new CliError(`${listing.corrupt.length} damaged ${listing.corrupt.length === 1 ? "entry" : "entries"} in ${options.dir}`, ExitCode.Finding);
}

async function flush(context: CommandContext, options: QueueOptions): Promise<void> {
  const listing = await readListing(options.dir);
  try {
    await requestFlush(listing.directory);
  } catch (error) {
    throw new CliError(`cannot request a flush in ${options.dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const alive = isAlive(listing.lockedBy);
  if (options.json === true) writeJson(context, { flushRequested: true, directory: listing.directory, runningPid: alive ? listing.lockedBy : null });
  else context.io.stdout.write(`flush requested in ${listing.directory}${alive ? `: process ${listing.lockedBy} retries within a second or two` : ""}\n`);
  if (!alive) warn(context, "no server is running on this queue: the flush happens when one starts (smtpkit serve --submission)");
}

/** `smtpkit queue` and `smtpkit queue flush`. */
export const queueCommand: CommandModule = {
  name: "queue",
  register(program: Command, context: CommandContext): void {
    const queue = program
      .command("queue")
      .description("list the relay queue of smtpkit serve --submission (state, attempts, next retry, last reply)")
      .option("--dir <dir>", "the queue directory", DEFAULT_QUEUE_DIRECTORY)
      .option("--json", "print JSON instead of text")
      .addHelpText("after", examples)
      .action(async (options: QueueOptions) => {
        await runCommand(context, options.json === true, () => list(context, options));
      });
    // --dir and --json belong to `queue` and are read from it: commander gives them to the parent wherever they stand.
    queue
      .command("flush")
      .description("ask the server running the queue to retry every waiting recipient now (takes --dir and --json too)")
      .action(async (_options: unknown, command: Command) => {
        const options = command.optsWithGlobals<QueueOptions>();
        await runCommand(context, options.json === true, () => flush(context, options));
      });
  },
};
