/**
 * Header blocks (RFC 5322 §2.2): splitting into fields, unfolding, and
 * keeping every field's raw bytes and offset (DKIM signs them as stored).
 *
 * Field bodies are read as UTF-8 (RFC 6532) when they are valid UTF-8, and
 * as windows-1252 otherwise (what 8-bit headers from old mailers usually
 * are). Lines without a colon inside a header block are kept as fields with
 * an empty name, so that nothing in the block is lost.
 *
 * @module
 */
import { expectArray, expectText } from "./argument-checks.js";
import { decodeUnknown } from "./charset.js";

/** One header field as stored. */
export interface HeaderField {
  /** The field name as written (`"Subject"`). */
  readonly name: string;
  /** The field name in lower case, for look-ups (`"subject"`). */
  readonly key: string;
  /** The field body, unfolded (RFC 5322 §2.2.3), trimmed, not otherwise decoded. */
  readonly value: string;
  /** The raw bytes of the whole field: name, colon, body and its final line end. */
  readonly raw: Uint8Array;
  /** Offset of `raw` from the start of the input. */
  readonly offset: number;
}

const LF = 0x0a;
const COLON = 0x3a;

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09;
}

/** Unfolds and trims a field body: every line end followed by whitespace is removed. */
function unfold(text: string): string {
  const lineFeed = text.indexOf("\n");
  // Most fields are one line: only the final line end to drop.
  if (lineFeed === -1 || lineFeed >= text.length - 1) return text.trim();
  return text.replace(/\r?\n/g, "").trim();
}

/**
 * Splits a header block into fields.
 *
 * @param block - the header bytes (without the blank line that ends the block)
 * @param baseOffset - offset of `block` in the whole input
 * @param maxFields - stop after this many fields
 * @returns the fields, and whether some were left out
 * @internal
 */
export function splitHeaderFields(
  block: Uint8Array,
  baseOffset: number,
  maxFields: number,
): { fields: HeaderField[]; truncated: boolean } {
  const fields: HeaderField[] = [];
  let start = 0;
  const length = block.length;
  while (start < length) {
    if (fields.length >= maxFields) return { fields, truncated: true };
    // A field ends at a line end not followed by a space or tab.
    let end = start;
    for (;;) {
      const lineFeed = block.indexOf(LF, end);
      if (lineFeed === -1) {
        end = length;
        break;
      }
      end = lineFeed + 1;
      if (end >= length || !isBlank(block[end] as number)) break;
    }
    const raw = block.subarray(start, end);
    let colon = raw.indexOf(COLON);
    let lineEnd = raw.indexOf(LF);
    if (lineEnd === -1) lineEnd = raw.length;
    if (colon > lineEnd) colon = -1;
    if (colon === -1) {
      fields.push({ name: "", key: "", value: unfold(decodeUnknown(raw)), raw, offset: baseOffset + start });
    } else if (isAsciiPrefix(raw, colon)) {
      // One decode for the whole field; an ASCII name has as many characters as bytes.
      const text = decodeUnknown(raw);
      // RFC 5322 §4.5 obs-optional allows whitespace before the colon.
      const name = text.slice(0, colon).trim();
      fields.push({ name, key: name.toLowerCase(), value: unfold(text.slice(colon + 1)), raw, offset: baseOffset + start });
    } else {
      const name = decodeUnknown(raw.subarray(0, colon)).trim();
      fields.push({ name, key: name.toLowerCase(), value: unfold(decodeUnknown(raw.subarray(colon + 1))), raw, offset: baseOffset + start });
    }
    start = end;
  }
  return { fields, truncated: false };
}

function isAsciiPrefix(bytes: Uint8Array, end: number): boolean {
  for (let index = 0; index < end; index++) if ((bytes[index] as number) >= 0x80) return false;
  return true;
}

/**
 * The value of the first field of that name, unfolded, or undefined.
 *
 * @param fields - a part's header fields
 * @param name - a field name, any case
 * @returns the first matching field's value
 * @example
 * ```ts
 * import { parseMessage, getHeader } from "@smtpkit/mime";
 * getHeader(parseMessage("Subject: Hi\r\n\r\nbody").headers, "subject"); // "Hi"
 * ```
 */
export function getHeader(fields: readonly HeaderField[], name: string): string | undefined {
  expectArray(fields, "the header fields");
  expectText(name, "the field name");
  const key = name.toLowerCase();
  for (const field of fields) if (field.key === key) return field.value;
  return undefined;
}

