/**
 * Messages as peers store them, and the comparisons interop tests make:
 * reading a Maildir (`new/` and `cur/`), removing the trace header fields a
 * receiving MTA prepends (RFC 5321 §4.4 `Received:` and `Return-Path:`, and
 * the delivery headers Postfix and Exim add), and converting line ends
 * (Postfix and Exim store Maildir files with LF line ends; Dovecot serves
 * them with CRLF).
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** An envelope as a peer recorded it. */
export interface StoredEnvelope {
  /** The reverse-path ("" for the null sender). */
  readonly from: string;
  /** The forward-paths. */
  readonly to: readonly string[];
  /** Everything else the peer recorded (EHLO name, TLS, ESMTP parameters), as it wrote it. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** One message a peer stored. */
export interface StoredMessage {
  /** The file name (a Maildir unique name, or the peer's own). */
  readonly id: string;
  /** The absolute path of the stored file. */
  readonly path: string;
  /** The stored bytes, exactly as on disk. */
  readonly data: Buffer;
  /** The envelope, for peers that record it (aiosmtpd, smtp-server, smtp-sink). */
  readonly envelope?: StoredEnvelope;
}

/**
 * The header fields that receiving MTAs prepend at delivery: `Return-Path`,
 * `Received` (RFC 5321 §4.4), `Delivered-To`, `X-Original-To` (Postfix),
 * `Envelope-to`, `Delivery-date` (Exim).
 */
export const TRACE_HEADER_NAMES: readonly string[] = [
  "return-path",
  "received",
  "delivered-to",
  "x-original-to",
  "envelope-to",
  "delivery-date",
];

/**
 * Reads every message file of a Maildir (`new/` then `cur/`), oldest first.
 * A missing Maildir reads as empty (delivery may not have created it yet).
 *
 * @param maildir - the folder holding `new/`, `cur/`, `tmp/`
 * @returns the messages, sorted by modification time then name
 * @example
 * ```ts
 * const messages = readMaildir("/tmp/smtpkit-interop-postfix-x/mail/Maildir");
 * ```
 */
export function readMaildir(maildir: string): StoredMessage[] {
  const found: { path: string; id: string; time: number }[] = [];
  for (const sub of ["new", "cur"]) {
    let names: string[];
    try {
      names = readdirSync(join(maildir, sub));
    } catch {
      continue;
    }
    for (const id of names) {
      const path = join(maildir, sub, id);
      try {
        const stat = statSync(path);
        if (stat.isFile()) found.push({ path, id, time: stat.mtimeMs });
      } catch {
        // moved meanwhile (for example new/ -> cur/ by Dovecot)
      }
    }
  }
  found.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return found.map(({ path, id }) => ({ id, path, data: readFileSync(path) }));
}

/**
 * Removes the header fields named in `names` from the top of a message
 * (folded continuation lines included), stopping at the first field that is
 * not one of them. Only the leading block is touched: a `Received:` field
 * further down (one the sender wrote) stays. Works with LF and CRLF.
 *
 * @param message - the stored message
 * @param names - lower-case field names (default {@link TRACE_HEADER_NAMES})
 * @returns the message without the leading trace fields (a view, not a copy)
 * @example
 * ```ts
 * stripTraceHeaders(Buffer.from("Return-Path: <a@x>\nSubject: hi\n\nbody\n")).toString();
 * // "Subject: hi\n\nbody\n"
 * ```
 */
export function stripTraceHeaders(message: Uint8Array, names: readonly string[] = TRACE_HEADER_NAMES): Buffer {
  const data = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  let offset = 0;
  for (;;) {
    const colon = data.indexOf(0x3a, offset);
    const newline = data.indexOf(0x0a, offset);
    if (colon < 0 || (newline >= 0 && newline < colon)) break;
    const name = data.subarray(offset, colon).toString("latin1").trim().toLowerCase();
    if (!wanted.has(name)) break;
    // the field ends at the first LF not followed by a space or tab (RFC 5322 §2.2.3 folding)
    let end = newline;
    while (end >= 0 && (data[end + 1] === 0x20 || data[end + 1] === 0x09)) end = data.indexOf(0x0a, end + 1);
    if (end < 0) break;
    offset = end + 1;
  }
  return data.subarray(offset);
}

/**
 * Converts every CRLF to LF (what Postfix and Exim write into a Maildir),
 * or every lone LF to CRLF (what goes on the wire).
 *
 * @param data - the bytes
 * @param style - `"lf"` or `"crlf"`
 * @returns a new buffer
 * @example
 * ```ts
 * convertLineEnds(Buffer.from("a\r\nb\r\n"), "lf").toString(); // "a\nb\n"
 * ```
 */
export function convertLineEnds(data: Uint8Array, style: "lf" | "crlf"): Buffer {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const parts: Buffer[] = [];
  let start = 0;
  let index = input.indexOf(0x0a);
  while (index >= 0) {
    const hasCr = index > 0 && input[index - 1] === 0x0d;
    if (style === "lf" && hasCr) {
      parts.push(input.subarray(start, index - 1));
      start = index;
    } else if (style === "crlf" && !hasCr) {
      parts.push(input.subarray(start, index), Buffer.from("\r"));
      start = index;
    }
    index = input.indexOf(0x0a, index + 1);
  }
  parts.push(input.subarray(start));
  return Buffer.concat(parts);
}
