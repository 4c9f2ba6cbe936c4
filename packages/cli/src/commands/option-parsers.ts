/**
 * Option-value parsers shared by `serve` and `send`. Each throws commander's
 * `InvalidArgumentError`, which the program turns into a usage error (exit 2).
 *
 * @module
 */
import { InvalidArgumentError } from "commander";

/**
 * Collects a repeatable option's values.
 *
 * @param value - this occurrence
 * @param previous - the values so far
 * @returns the values with this one added
 * @internal
 */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/**
 * A TCP port: an integer from 0 to 65535 (0 asks the system for a free one).
 *
 * @param value - the option's text
 * @returns the port
 * @internal
 */
export function parsePort(value: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError("a port is a number from 0 to 65535.");
  return Number(value);
}

const byteUnits: Readonly<Record<string, number>> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * A size in bytes, with an optional binary unit (`512K`, `25M`, `1G`).
 *
 * @param value - the option's text
 * @returns the size in bytes, at least 1
 * @internal
 */
export function parseByteSize(value: string): number {
  const match = /^([0-9]{1,12})([KMG]?)(i?B)?$/i.exec(value.trim());
  const unit = byteUnits[(match?.[2] ?? "").toUpperCase()];
  if (match === null || unit === undefined) throw new InvalidArgumentError("a size is a number of bytes, optionally with K, M or G (e.g. 25M).");
  const size = Number(match[1]) * unit;
  if (size < 1 || !Number.isSafeInteger(size)) throw new InvalidArgumentError("the size must be at least 1 byte.");
  return size;
}

/** A server to connect to. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * `host`, `host:port`, `[IPv6]` or `[IPv6]:port`.
 *
 * @param value - the option's text
 * @returns host and port (undefined when not given)
 * @internal
 */
export function parseServerAddress(value: string): ServerAddress {
  const fail = (): never => {
    throw new InvalidArgumentError("expected host:port, e.g. 127.0.0.1:2525 or [::1]:2525.");
  };
  let host: string;
  let portText: string | undefined;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close === -1) fail();
    host = value.slice(1, close);
    const rest = value.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) fail();
      portText = rest.slice(1);
    }
  } else {
    const colon = value.lastIndexOf(":");
    if (colon !== -1 && value.indexOf(":") !== colon) {
      // A bare IPv6 address without brackets: no port.
      host = value;
    } else if (colon === -1) {
      host = value;
    } else {
      host = value.slice(0, colon);
      portText = value.slice(colon + 1);
    }
  }
  if (host === "" || /[\s\0/]/.test(host)) fail();
  if (portText === undefined) return { host, port: undefined };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535) fail();
  return { host, port: Number(portText) };
}

/** The most `readFirstLine` reads before giving up on finding a line end: 64 KiB (a password, not a file). */
export const MAX_FIRST_LINE_BYTES = 65_536;

/**
 * The first line of a stream (without its CR LF or LF), for passwords read
 * from standard input; reading stops at the first line end or
 * {@link MAX_FIRST_LINE_BYTES}.
 *
 * @param input - the stream
 * @returns the line, or undefined for empty input
 * @internal
 */
export async function readFirstLine(input: AsyncIterable<Uint8Array>): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of input) {
    const newline = chunk.indexOf(0x0a);
    chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
    length += chunk.length;
    if (newline !== -1 || length >= MAX_FIRST_LINE_BYTES) break;
  }
  if (chunks.length === 0) return undefined;
  const text = new TextDecoder().decode(Buffer.concat(chunks)).slice(0, MAX_FIRST_LINE_BYTES);
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}
