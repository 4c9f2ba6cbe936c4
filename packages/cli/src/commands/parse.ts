/**
 * `smtpkit parse FILE`: a message's MIME tree and summary, as text or JSON,
 * read as a stream (memory stays bounded whatever the file's size), with
 * `--headers` for every header field and `--extract DIR` to save the
 * attachments safely.
 *
 * Exit code 1 when the file cannot be read, when the message hit a parser
 * limit (the report is then incomplete; with `--strict` there is no report,
 * only the typed MIME error), or when an attachment could not be saved.
 *
 * @module
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm, stat, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { defaultLimits, MimeError, type ParserLimits } from "@smtpkit/mime";
import { InvalidArgumentError, type Command } from "commander";
import { CliError } from "../cli-error.js";
import { raiseExitCode, runCommand, warn, writeJson, type CommandContext, type CommandModule } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { createExtractor, type Extractor } from "../parse/extract-attachments.js";
import { inspectMessage, type PartNode } from "../parse/inspect-message.js";
import { buildReport } from "../parse/message-report.js";
import { pathLabel, renderReport } from "../parse/render-report.js";
import { printable } from "../text.js";

/**
 * Characters of the text and HTML bodies shown by default. Enough to
 * recognise a message; `--excerpt` changes it.
 */
export const defaultExcerptCharacters = 400;

/** Bytes read from the file at a time. */
const chunkSize = 64 * 1024;

interface ParseOptions {
  readonly json?: boolean;
  readonly headers?: boolean;
  readonly extract?: string;
  readonly force?: boolean;
  readonly strict?: boolean;
  readonly excerpt: number;
  readonly maxDepth?: number;
  readonly maxParts?: number;
  readonly maxHeaderBytes?: number;
  readonly maxHeaderCount?: number;
  readonly maxDecodedBytes?: number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  // The mime package would throw for these too; saying so here names the option.
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError("expected a whole number of at least 1");
  }
  return number;
}

function nonNegativeInteger(value: string): number {
  if (value === "0") return 0;
  return positiveInteger(value);
}

function describeFileError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

async function* readChunks(handle: FileHandle, start: number, end: number): AsyncGenerator<Uint8Array> {
  let position = start;
  while (position < end) {
    const length = Math.min(chunkSize, end - position);
    // A fresh buffer per read: the parser's events may point into it after the next read.
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** The input as it can be read: a regular file (seekable), or a stream (standard input, a pipe, a device). */
type Input =
  | { readonly type: "file"; readonly handle: FileHandle; readonly cleanup?: () => Promise<void> }
  | { readonly type: "stream"; readonly chunks: AsyncIterable<Uint8Array> };

async function openFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, "r");
  } catch (error) {
    throw new CliError(`cannot read ${printable(file)}: ${describeFileError(error)}`);
  }
}

/**
 * Copies a stream to a private temporary file (removed by `cleanup`), for
 * when its bytes are needed twice: embedded messages are extracted by reading
 * their byte range again.
 */
async function spool(chunks: AsyncIterable<Uint8Array>): Promise<Input> {
  const directory = await mkdtemp(path.join(tmpdir(), "smtpkit-"));
  const cleanup = (): Promise<void> => rm(directory, { recursive: true, force: true });
  try {
    const file = path.join(directory, "input.eml");
    await pipeline(Readable.from(chunks), createWriteStream(file, { flags: "wx", mode: 0o600 }));
    return { type: "file", handle: await open(file, "r"), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function openInput(context: CommandContext, file: string, needsRangeReads: boolean): Promise<Input> {
  let chunks: AsyncIterable<Uint8Array>;
  if (file === "-") chunks = context.io.stdin;
  else {
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      throw new CliError(`cannot read ${printable(file)}: ${describeFileError(error)}`);
    }
    if (info.isDirectory()) throw new CliError(`cannot read ${printable(file)}: is a directory`);
    const handle = await openFile(file);
    if (info.isFile()) return { type: "file", handle };
    // A pipe or device (`smtpkit parse <(zcat mail.eml.gz)`): read in order, never seek.
    chunks = handle.createReadStream({ highWaterMark: chunkSize });
  }
  if (!needsRangeReads) return { type: "stream", chunks };
  try {
    return await spool(chunks);
  } catch (error) {
    throw new CliError(`cannot copy ${file === "-" ? "standard input" : printable(file)} to a temporary file: ${describeFileError(error)}`);
  }
}

async function parseFile(context: CommandContext, file: string, options: ParseOptions): Promise<void> {
  const json = options.json === true;
  if (options.force === true && options.extract === undefined) {
    throw new CliError("--force only applies with --extract", ExitCode.Usage);
  }
  const limits: ParserLimits = {
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    ...(options.maxParts !== undefined ? { maxParts: options.maxParts } : {}),
    ...(options.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.maxHeaderBytes } : {}),
    ...(options.maxHeaderCount !== undefined ? { maxHeaderCount: options.maxHeaderCount } : {}),
    ...(options.maxDecodedBytes !== undefined ? { maxDecodedBytes: options.maxDecodedBytes } : {}),
  };
  const input = await openInput(context, file, options.extract !== undefined);
  const handle = input.type === "file" ? input.handle : undefined;
  try {
    const extractor: Extractor | undefined = options.extract === undefined ? undefined : await createExtractor(options.extract, options.force === true);
    const source = input.type === "file" ? readChunks(input.handle, 0, Number.MAX_SAFE_INTEGER) : input.chunks;
    let inspection;
    try {
      inspection = await inspectMessage(source, {
        limits,
        strict: options.strict === true,
        // Four bytes per character at most (UTF-8), plus one cut character.
        excerptBytes: options.excerpt * 4 + 4,
        keepPartHeaders: options.headers === true,
        ...(extractor !== undefined ? { openAttachment: (part: PartNode) => extractor.open(part) } : {}),
      });
    } catch (error) {
      if (CliError.isInstance(error)) throw error;
      if (MimeError.isInstance(error)) {
        const hint = error.reason === "limit-exceeded" ? "; without --strict the report shows what was read up to the limit" : "";
        throw new CliError(`${printable(file)}: ${error.message} (${error.reason})${hint}`, error.reason === "invalid-limit" ? ExitCode.Usage : ExitCode.Finding);
      }
      if (typeof (error as { code?: unknown }).code === "string") throw new CliError(`cannot read ${printable(file)}: ${describeFileError(error)}`);
      throw error;
    }
    if (extractor !== undefined && handle !== undefined) {
      // Embedded messages are saved as stored: their byte range of the input.
      for (const part of inspection.attachments) {
        if (part.leaf) continue;
        await extractor.write(part, readChunks(handle, part.bodyOffset, part.bodyEnd));
      }
    }
    const report = buildReport(inspection, {
      file,
      excerptCharacters: options.excerpt,
      headers: options.headers === true,
      ...(extractor !== undefined ? { extracted: extractor.results } : {}),
    });
    if (json) writeJson(context, report);
    else context.io.stdout.write(renderReport(report, context.colors));
    if (report.limitsExceeded.length > 0) {
      warn(context, `${printable(file)} hit parser limits (${report.limitsExceeded.join(", ")}); the rest of the message was skipped`);
      raiseExitCode(context, ExitCode.Finding);
    }
    for (const [part, result] of extractor?.results ?? []) {
      if (result.error === undefined) continue;
      context.io.stderr.write(`${context.errorColors.red("error:")} attachment ${pathLabel(part.path)} not saved as ${printable(result.file)}: ${result.error}\n`);
      raiseExitCode(context, ExitCode.Finding);
    }
  } finally {
    await handle?.close();
    if (input.type === "file") await input.cleanup?.();
  }
}

const examples = `
Examples:
  $ smtpkit parse message.eml                    tree, summary, excerpts
  $ smtpkit parse --json message.eml | jq .summary
  $ smtpkit parse --headers message.eml          every header field, raw and decoded
  $ smtpkit parse --extract attachments/ a.eml   save the attachments (never outside
                                                 the directory, never over a file)
  $ cat message.eml | smtpkit parse -            from standard input

Exit code 1 when the file cannot be read, the message hit a parser limit, or an
attachment could not be saved.`;

/** `smtpkit parse`. */
export const parseCommand: CommandModule = {
  name: "parse",
  register(program: Command, context: CommandContext): void {
    program
      .command("parse")
      .description("show a message's MIME structure and summary")
      .argument("<file>", "the message (.eml), or - for standard input")
      .option("--json", "print JSON instead of text")
      .option("--headers", "list every header field of every part, raw and decoded")
      .option("-x, --extract <dir>", "save the attachments into this directory (created if needed)")
      .option("-f, --force", "with --extract: replace files that exist")
      .option("--excerpt <characters>", "characters of the text and HTML bodies to show (0: none)", nonNegativeInteger, defaultExcerptCharacters)
      .option("--strict", "stop with an error at the first parser limit instead of reporting what was read")
      .option("--max-depth <n>", `deepest nesting of parts (default ${defaultLimits.maxDepth})`, positiveInteger)
      .option("--max-parts <n>", `most parts (default ${defaultLimits.maxParts})`, positiveInteger)
      .option("--max-header-bytes <n>", `largest header block (default ${defaultLimits.maxHeaderBytes})`, positiveInteger)
      .option("--max-header-count <n>", `most header fields per part (default ${defaultLimits.maxHeaderCount})`, positiveInteger)
      .option("--max-decoded-bytes <n>", `most decoded body bytes (default ${defaultLimits.maxDecodedBytes})`, positiveInteger)
      .addHelpText("after", examples)
      .action(async (file: string, options: ParseOptions) => {
        await runCommand(context, options.json === true, () => parseFile(context, file, options));
      });
  },
};
