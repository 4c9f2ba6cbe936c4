// Shared test helpers: byte conversions, splitting inputs, and a byte-by-byte
// reference model of DATA reading that is slow and obviously right.
import { CommandReader, type CommandReaderEvent, type CommandReaderOptions } from "@smtpkit/grammar";

export const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const latin1 = (data: Uint8Array): string => String.fromCharCode(...data);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Splits `data` at the given (sorted, in-range) cut points. */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let previous = 0;
  for (const cut of [...cuts, data.length]) {
    parts.push(data.subarray(previous, cut));
    previous = cut;
  }
  return parts;
}

/** Every way of cutting `data` once, plus byte by byte and whole. */
export function everySplit(data: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [[data], [...data].map((byte) => Uint8Array.of(byte))];
  for (let cut = 1; cut < data.length; cut += 1) splits.push(splitAt(data, [cut]));
  return splits;
}

/** A summary of reader events where chunking cannot matter: data chunks joined. */
export interface Summary {
  readonly events: readonly unknown[];
}

/**
 * Runs a reader over chunks, switching to DATA/BDAT/commands as a simple
 * session would, and summarizes the events so that chunking cannot matter:
 * consecutive data chunks are joined.
 */
export function drive(chunks: readonly Uint8Array[], options: CommandReaderOptions = {}, startInData = false): unknown[] {
  const reader = new CommandReader(options);
  const out: unknown[] = [];
  let data: number[] | undefined;
  const take = (events: readonly CommandReaderEvent[]): void => {
    for (const event of events) {
      if (event.type === "data-chunk") {
        data ??= [];
        for (const byte of event.data) data.push(byte);
        continue;
      }
      if (data !== undefined) {
        out.push({ type: "data", text: String.fromCharCode(...data) });
        data = undefined;
      }
      if (event.type === "command") {
        out.push({ type: "command", command: event.command, line: event.line, leniencies: event.leniencies });
        const verb = event.command.verb;
        if (verb === "DATA") take(reader.expectData());
        else if (verb === "BDAT") take(reader.expectBdat(event.command.size, event.command.last));
        else if (verb === "AUTH" || verb === "STARTTLS") take(reader.expectCommands());
      } else if (event.type === "command-invalid") {
        out.push({ type: event.type, error: event.error, line: event.line });
      } else {
        out.push(event);
      }
    }
  };
  if (startInData) take(reader.expectData());
  for (const chunk of chunks) take(reader.push(chunk));
  take(reader.end());
  if (data !== undefined) out.push({ type: "data", text: String.fromCharCode(...data) });
  return out;
}

/** What the reference model of DATA reading gives. */
export interface ReferenceResult {
  readonly content: string;
  /** Octets consumed through the terminator, or -1 when the data did not end. */
  readonly consumed: number;
  readonly bareCr: number;
  readonly bareLf: number;
}

/**
 * RFC 5321 §4.1.1.4 and §4.5.2 read literally, one byte at a time: lines end
 * at CRLF only; a line that is "." ends the data; a line that starts with "."
 * loses it. Bare CR and LF are content (normalized to CRLF when asked).
 */
export function referenceData(input: Uint8Array, normalize = false): ReferenceResult {
  const out: number[] = [];
  let bareCr = 0;
  let bareLf = 0;
  let lineStart = true;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i] as number;
    if (lineStart && c === 0x2e) {
      if (i + 1 >= n || (input[i + 1] === 0x0d && i + 2 >= n)) break; // undecided: held back
      if (input[i + 1] === 0x0d && input[i + 2] === 0x0a) {
        return { content: String.fromCharCode(...out), consumed: i + 3, bareCr, bareLf };
      }
      i += 1; // stuffing
      lineStart = false;
      continue;
    }
    lineStart = false;
    if (c === 0x0d) {
      if (i + 1 < n && input[i + 1] === 0x0a) {
        out.push(0x0d, 0x0a);
        i += 2;
        lineStart = true;
        continue;
      }
      out.push(0x0d);
      if (i + 1 < n) {
        bareCr += 1;
        if (normalize) out.push(0x0a);
      }
    } else if (c === 0x0a) {
      bareLf += 1;
      if (normalize) out.push(0x0d);
      out.push(0x0a);
    } else {
      out.push(c);
    }
    i += 1;
  }
  return { content: String.fromCharCode(...out), consumed: -1, bareCr, bareLf };
}
