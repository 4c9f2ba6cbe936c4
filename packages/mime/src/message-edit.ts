/**
 * Byte-exact editing: change one header field or replace one part of a
 * parsed message, copying every other byte of the input as it was. A DKIM
 * signature (RFC 6376) over fields and bodies that were not touched stays
 * valid, because they are not re-serialized.
 *
 * Works on the offsets that {@link parseMessage} records: parse, pick the
 * part, edit. Offsets of an embedded message that was base64-encoded refer
 * to its decoded bytes, not to the input, so such parts cannot be edited in
 * place (a typed error says so), and neither can a part whose header fields
 * are not at their recorded offsets in the input given.
 *
 * @module
 */
import { utf8 } from "./bytes.js";
import { encodeEncodedWord } from "./encoded-words.js";
import { MimeError } from "./mime-error.js";
import { partsWithDecodedOffsets, type MessagePart } from "./parse-message.js";

function sameBytes(input: Uint8Array, offset: number, bytes: Uint8Array): boolean {
  if (offset < 0 || offset + bytes.length > input.length) return false;
  for (let index = 0; index < bytes.length; index++) if (input[offset + index] !== bytes[index]) return false;
  return true;
}

function checkPart(input: Uint8Array, part: MessagePart): void {
  if (!(input instanceof Uint8Array)) throw new MimeError("invalid-argument", input, "the input must be the Uint8Array that was parsed");
  if (typeof part !== "object" || part === null || !Array.isArray(part.headers)) throw new MimeError("invalid-argument", part, "the part must come from parseMessage");
  if (partsWithDecodedOffsets.has(part)) {
    throw new MimeError("invalid-argument", part.path, "the part is inside a base64 or quoted-printable encoded message: its offsets refer to the decoded bytes, edit the enclosing part instead");
  }
  if (
    part.offset < 0 ||
    part.bodyEnd > input.length ||
    part.offset > part.bodyOffset ||
    part.bodyOffset > part.bodyEnd ||
    // Each header field must still be where the parse found it: the input is the one that was parsed.
    !part.headers.every((field) => sameBytes(input, field.offset, field.raw))
  ) {
    throw new MimeError("invalid-argument", part.path, "the part's offsets do not fit this input: parse the same bytes you edit");
  }
}

function splice(input: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length - (end - start) + insert.length);
  out.set(input.subarray(0, start));
  out.set(insert, start);
  out.set(input.subarray(end), start + insert.length);
  return out;
}

/** The line end the part's header uses, so an added field matches its neighbours. */
function lineEndOf(part: MessagePart): string {
  const first = part.headers[0];
  if (first === undefined) return "\r\n";
  const raw = first.raw;
  return raw.length >= 2 && raw[raw.length - 2] === 0x0d ? "\r\n" : "\n";
}

function fieldBytes(name: string, value: string, lineEnd: string): Uint8Array {
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new MimeError("invalid-header", name, `${JSON.stringify(name)} is not a header field name`);
  if (/[\r\n\0]/.test(value)) throw new MimeError("invalid-header", value, "a header value must not contain CR, LF or NUL");
  const text = /^[\x20-\x7e\t]*$/.test(value) ? value : encodeEncodedWord(value);
  // Fold between words so that lines stay short (RFC 5322 §2.2.3).
  let line = `${name}:`;
  let out = "";
  for (const word of text.split(" ")) {
    if (line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      out += line + lineEnd;
      line = "";
    }
    line += ` ${word}`;
  }
  const bytes = utf8(out + line + lineEnd);
  // RFC 5322 §2.1.1: no line over 998 octets. A word that long cannot be folded: refuse it.
  let lineStart = 0;
  for (let index = bytes.indexOf(0x0a); index !== -1; index = bytes.indexOf(0x0a, lineStart)) {
    if (index + 1 - lineStart - lineEnd.length > 998) {
      throw new MimeError("invalid-header", value, `the ${name} field has a word too long to fold within 998 octets`);
    }
    lineStart = index + 1;
  }
  return bytes;
}

/**
 * Sets a header field of a part: replaces the first field of that name in
 * place, or adds the field at the end of the part's header block. Every
 * other byte of the input is copied unchanged.
 *
 * @param input - the message bytes that were parsed
 * @param part - the part to edit (`parsed.root` for the message header), from `parseMessage(input)`
 * @param name - the field name
 * @param value - the new value (non-ASCII text is written as RFC 2047 encoded words)
 * @returns the edited message
 * @throws {@link MimeError} `invalid-header` for a bad name, CR/LF/NUL in the value or a word too long to fold within 998 octets; `invalid-argument` when the part's offsets do not belong to `input`
 * @example
 * ```ts
 * import { parseMessage, setHeaderField } from "@smtpkit/mime";
 * const input = new TextEncoder().encode("Subject: old\r\nX-A: 1\r\n\r\nbody");
 * const edited = setHeaderField(input, parseMessage(input).root, "Subject", "new");
 * new TextDecoder().decode(edited); // "Subject: new\r\nX-A: 1\r\n\r\nbody"
 * ```
 */
export function setHeaderField(input: Uint8Array, part: MessagePart, name: string, value: string): Uint8Array {
  checkPart(input, part);
  const lineEnd = lineEndOf(part);
  const bytes = fieldBytes(name, value, lineEnd);
  const key = name.toLowerCase();
  const existing = part.headers.find((field) => field.key === key);
  if (existing !== undefined) {
    // Keep the field's own line end style: the new bytes end like the old ones.
    return splice(input, existing.offset, existing.offset + existing.raw.length, bytes);
  }
  const last = part.headers[part.headers.length - 1];
  const at = last === undefined ? part.offset : last.offset + last.raw.length;
  const endsWithBreak = last === undefined || last.raw[last.raw.length - 1] === 0x0a;
  if (endsWithBreak) return splice(input, at, at, bytes);
  // The block ended without a line end (at the end of the input): start a line, end none.
  const moved = new Uint8Array(bytes.length);
  moved.set(utf8(lineEnd));
  moved.set(bytes.subarray(0, bytes.length - lineEnd.length), lineEnd.length);
  return splice(input, at, at, moved);
}

/**
 * Replaces one part (its header block and body) with other bytes, copying
 * the rest of the message unchanged. The boundaries around the part stay as
 * they were, so `replacement` must not contain them.
 *
 * @param input - the message bytes that were parsed
 * @param part - the part to replace, from `parseMessage(input)`; not the root
 * @param replacement - the new part: header fields, a blank line, the encoded body
 * @returns the edited message
 * @throws {@link MimeError} `invalid-argument` for the root part or offsets that do not belong to `input`
 * @example
 * ```ts
 * import { parseMessage, replacePart } from "@smtpkit/mime";
 * const input = new TextEncoder().encode("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nold\r\n--b--\r\n");
 * const part = parseMessage(input).root.children[0]!;
 * replacePart(input, part, new TextEncoder().encode("Content-Type: text/plain\r\n\r\nnew"));
 * ```
 */
export function replacePart(input: Uint8Array, part: MessagePart, replacement: Uint8Array): Uint8Array {
  checkPart(input, part);
  if (part.path.length === 0) throw new MimeError("invalid-argument", part.path, "replace the root by building a new message");
  return splice(input, part.offset, part.bodyEnd, replacement);
}
