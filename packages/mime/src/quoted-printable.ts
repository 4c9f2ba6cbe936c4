/**
 * Quoted-printable (RFC 2045 §6.7): one-shot and incremental encoding and
 * decoding.
 *
 * Decoding follows the RFC and is lenient where real mail is not clean:
 * - `=XX` with upper- or lower-case hex is a byte; an `=` not followed by two
 *   hex digits is kept literally (RFC 2045 §6.7 note (2): "the '=' ... is
 *   taken literally");
 * - `=` at the end of a line, optionally followed by spaces or tabs, is a soft
 *   line break and vanishes;
 * - a hard line break (CRLF, or a bare LF as written by Unix tools) stands
 *   for CRLF in the canonical form (§6.7 rule 4), so it decodes to CRLF
 *   whatever the stored line end was;
 * - spaces and tabs at the end of a line were added in transport (§6.7 rule
 *   3) and are removed, up to 998 of them (a longer run cannot come from a
 *   legal line and is kept, so that memory stays bounded when streaming).
 *
 * @module
 */
import { expectBytes, expectBytesOrText } from "./argument-checks.js";
import { ByteBuilder, emptyBytes } from "./bytes.js";
import type { ByteDecoder, TextChunkEncoder } from "./base64.js";
import { MimeError } from "./mime-error.js";

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const EQUALS = 0x3d;
/** The longest run of trailing whitespace that is removed (RFC 5322 §2.1.1 line limit). */
const maxTrailingWhitespace = 998;

const hexValue = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 10; digit++) hexValue[0x30 + digit] = digit;
for (let letter = 0; letter < 6; letter++) {
  hexValue[0x41 + letter] = 10 + letter;
  hexValue[0x61 + letter] = 10 + letter;
}

/**
 * Whether the decoder can copy `byte` without looking further: everything but
 * "=", CR and LF. Two comparisons for the common printable bytes (measured
 * faster than a table look-up in the copy loop).
 */
function isOrdinary(byte: number): boolean {
  return byte > CR ? byte !== EQUALS : byte !== LF && byte !== CR;
}

interface DecodeState {
  /** Length of the run of literal spaces and tabs that ends the output so far. */
  whitespace: number;
}

/**
 * Decodes `input` into a new array. Unless `final`, it stops before anything
 * whose meaning depends on bytes not yet seen (an "=" without its two
 * following bytes, a CR at the end, a run of whitespace reaching the end) and
 * reports how much it consumed; the rest waits for the next chunk.
 */
function decodeSome(input: Uint8Array, state: DecodeState, final: boolean): { output: Uint8Array; consumed: number } {
  const length = input.length;
  let lineFeeds = 0;
  // Text that needs no decoding at all (no "=", every line end a CRLF with no
  // whitespace before it) is common in quoted-printable bodies: it is copied
  // natively instead of byte by byte.
  let verbatim = state.whitespace === 0 && input.indexOf(EQUALS) === -1;
  for (let at = input.indexOf(LF); at !== -1; at = input.indexOf(LF, at + 1)) {
    lineFeeds++;
    if (verbatim && (input[at - 1] !== CR || input[at - 2] === SPACE || input[at - 2] === TAB)) verbatim = false;
  }
  if (verbatim && length > 0) {
    const last = input[length - 1];
    // The end must decide nothing: no whitespace that may be trailing, no CR that may start a line end.
    if (last !== SPACE && last !== TAB && (final || last !== CR)) return { output: input.slice(), consumed: length };
  }
  const output = new Uint8Array(length + lineFeeds);
  let written = 0;
  let whitespace = state.whitespace;
  let index = 0;
  while (index < length) {
    let byte = input[index] as number;
    if (isOrdinary(byte)) {
      // The common case: a run of bytes that stand for themselves (spaces and tabs too).
      const runStart = written;
      do {
        output[written++] = byte;
        if (++index === length) break;
        byte = input[index] as number;
      } while (isOrdinary(byte));
      // The spaces and tabs that end the run, for rule 3 at the next line end.
      let blank = written;
      while (blank > runStart && (output[blank - 1] === SPACE || output[blank - 1] === TAB)) blank--;
      const startedHere = blank > runStart || whitespace === 0;
      whitespace = blank === runStart ? whitespace + (written - blank) : written - blank;
      if (!final && startedHere && whitespace > 0 && whitespace <= maxTrailingWhitespace && (index === length || (byte === CR && index + 1 === length))) {
        // A run of whitespace that reaches the end of the input may precede a
        // line break: it waits for the next chunk.
        index -= whitespace;
        written -= whitespace;
        whitespace = 0;
        break;
      }
      if (index === length) break;
    }
    if (byte === EQUALS) {
      let next = index + 1;
      while (next < length && next - index <= maxTrailingWhitespace && (input[next] === SPACE || input[next] === TAB)) next++;
      if (!final && (next >= length || (input[next] === CR && next + 1 >= length) || index + 2 >= length)) break;
      const after = input[next];
      if (next === length || after === LF || (after === CR && input[next + 1] === LF)) {
        // Soft line break: "=" [whitespace] line end (or end of data).
        index = next === length ? length : after === LF ? next + 1 : next + 2;
        whitespace = 0;
        continue;
      }
      const high = index + 1 < length ? (hexValue[input[index + 1] as number] as number) : -1;
      const low = index + 2 < length ? (hexValue[input[index + 2] as number] as number) : -1;
      if (high >= 0 && low >= 0) {
        output[written++] = (high << 4) | low;
        index += 3;
      } else {
        output[written++] = EQUALS;
        index++;
      }
      whitespace = 0;
    } else if (byte === LF || (byte === CR && input[index + 1] === LF)) {
      // RFC 2045 §6.7 rule 3: transport-added trailing whitespace is removed.
      if (whitespace <= maxTrailingWhitespace) written -= whitespace;
      output[written++] = CR;
      output[written++] = LF;
      index += byte === LF ? 1 : 2;
      whitespace = 0;
    } else if (byte === CR && index + 1 >= length && !final) {
      break;
    } else {
      // A lone CR (not before LF): a byte like any other.
      whitespace = 0;
      output[written++] = byte;
      index++;
    }
  }
  if (final && whitespace <= maxTrailingWhitespace) {
    // The end of the data ends the last line too.
    written -= Math.min(whitespace, written);
    whitespace = 0;
  }
  state.whitespace = whitespace;
  return { output: output.subarray(0, written), consumed: index };
}

/**
 * Decodes quoted-printable (see the module notes for the lenient rules).
 *
 * @param input - the encoded body or text, as bytes or a string of Latin-1 characters
 * @returns the decoded bytes; hard line breaks become CRLF
 * @example
 * ```ts
 * import { quotedPrintableDecode } from "@smtpkit/mime";
 * new TextDecoder().decode(quotedPrintableDecode("Caf=C3=A9 au=\r\n lait")); // "Café au lait"
 * ```
 */
export function quotedPrintableDecode(input: Uint8Array | string): Uint8Array {
  expectBytesOrText(input, "the quoted-printable input");
  const bytes = typeof input === "string" ? stringBytes(input) : input;
  if (bytes.length === 0) return emptyBytes;
  return decodeSome(bytes, { whitespace: 0 }, true).output;
}

function stringBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    out[index] = code > 0xff ? 0x3f : code;
  }
  return out;
}

/**
 * How much undecided input (a run of whitespace that may end a line, an "=" waiting for its
 * digits) is gathered before it is looked at again. Small pushes onto held input are only
 * appended, so that a long run fed one byte at a time costs O(1) per byte, not a rescan of
 * the run per byte. Any chunking gives the same bytes, so holding longer changes nothing else.
 */
const gatherLimit = 2 * (maxTrailingWhitespace + 3);

class QuotedPrintableDecoder implements ByteDecoder {
  private readonly pending = new ByteBuilder(64);
  private readonly state: DecodeState = { whitespace: 0 };

  update(chunk: Uint8Array): Uint8Array {
    expectBytes(chunk, "a chunk");
    if (this.pending.length > 0 && this.pending.length + chunk.length <= gatherLimit && chunk.indexOf(LF) === -1) {
      this.pending.append(chunk);
      return emptyBytes;
    }
    let input = chunk;
    if (this.pending.length > 0) {
      input = new Uint8Array(this.pending.length + chunk.length);
      input.set(this.pending.view());
      input.set(chunk, this.pending.length);
      this.pending.length = 0;
    }
    const { output, consumed } = decodeSome(input, this.state, false);
    if (consumed < input.length) this.pending.append(input.subarray(consumed));
    return output;
  }

  finish(): Uint8Array {
    const rest = this.pending.take();
    const { output } = decodeSome(rest, this.state, true);
    this.state.whitespace = 0;
    return output;
  }
}

/**
 * Creates an incremental quoted-printable decoder. Any chunking of the input
 * gives the same bytes as {@link quotedPrintableDecode} on the whole.
 *
 * @returns a decoder with `update(chunk)` and `finish()`
 * @example
 * ```ts
 * import { createQuotedPrintableDecoder } from "@smtpkit/mime";
 * const decoder = createQuotedPrintableDecoder();
 * const bytes = [decoder.update(new TextEncoder().encode("Caf=C")), decoder.update(new TextEncoder().encode("3=A9")), decoder.finish()];
 * ```
 */
export function createQuotedPrintableDecoder(): ByteDecoder {
  return new QuotedPrintableDecoder();
}

// --- encoding ----------------------------------------------------------------

/** Options of {@link quotedPrintableEncode} and {@link createQuotedPrintableEncoder}. */
export interface QuotedPrintableEncodeOptions {
  /**
   * `"text"` (the default) writes CRLF in the input as a hard line break;
   * `"binary"` encodes every CR and LF, so any bytes come back exactly.
   * Bare CR and LF are encoded in both modes.
   */
  readonly mode?: "text" | "binary";
  /** Maximum characters per encoded line, soft break included: 4–76, default 76 (RFC 2045 §6.7 rule 5). */
  readonly lineLength?: number;
}

const hexDigits = new TextEncoder().encode("0123456789ABCDEF");
const asciiDecoder = new TextDecoder();

/** Bytes that are written as they are (RFC 2045 §6.7 rule 2), except "." which is special at a line start. */
const literal = new Uint8Array(256);
for (let byte = 33; byte <= 126; byte++) literal[byte] = byte === EQUALS ? 0 : 1;

/** What the encoder's fast path does with a byte: write it, write it unless at a line start, look at the next byte, escape it, or leave it to the general path (CR). */
const plainKind = 0;
const dotKind = 1;
const blankKind = 2;
const escapeKind = 3;
const crKind = 4;
const byteKind = new Uint8Array(256).fill(escapeKind);
for (let byte = 33; byte <= 126; byte++) byteKind[byte] = plainKind;
byteKind[EQUALS] = escapeKind;
byteKind[0x2e] = dotKind;
byteKind[SPACE] = blankKind;
byteKind[TAB] = blankKind;
byteKind[CR] = crKind;

class QuotedPrintableEncoder implements TextChunkEncoder {
  private column = 0;
  /** A CR, space or tab whose encoding depends on the next byte. */
  private held = -1;
  private output = new Uint8Array(1024);
  private written = 0;

  constructor(
    private readonly binary: boolean,
    private readonly lineLength: number,
  ) {}

  private reserve(extra: number): void {
    if (this.written + extra <= this.output.length) return;
    const grown = new Uint8Array(Math.max(this.output.length * 2, this.written + extra));
    grown.set(this.output.subarray(0, this.written));
    this.output = grown;
  }

  /** Writes a token of `length` bytes, after a soft line break if the line is full. */
  private room(length: number): void {
    // Keep room for the soft-break "=".
    if (this.column + length > this.lineLength - 1) {
      this.output[this.written++] = EQUALS;
      this.output[this.written++] = CR;
      this.output[this.written++] = LF;
      this.column = 0;
    }
    this.column += length;
  }

  private literalByte(byte: number): void {
    this.room(1);
    this.output[this.written++] = byte;
  }

  private escape(byte: number): void {
    this.room(3);
    this.output[this.written++] = EQUALS;
    this.output[this.written++] = hexDigits[byte >> 4] as number;
    this.output[this.written++] = hexDigits[byte & 15] as number;
  }

  private byte(byte: number, next: number): void {
    // next: the following byte (only asked for CR, space and tab), or -1 at the end.
    if (byte === SPACE || byte === TAB) {
      // Whitespace before a line end or the end of data would be removed in
      // transport (rule 3): encode it there.
      if (next === -1 || next === CR || next === LF) this.escape(byte);
      else this.literalByte(byte);
    } else if (literal[byte] === 1 && !(byte === 0x2e && this.column === 0)) {
      this.literalByte(byte);
    } else {
      // A leading "." is encoded too, so that no line is a lone "." in SMTP.
      this.escape(byte);
    }
  }

  update(chunk: Uint8Array): string {
    expectBytes(chunk, "a chunk");
    // At most 3 output bytes per input byte, plus a soft break every line.
    this.reserve(chunk.length * 3 + Math.ceil((chunk.length * 3) / (this.lineLength - 1)) * 3 + 8);
    const binary = this.binary;
    const length = chunk.length;
    // Before this column a literal byte (or a space not before a line end) never needs a soft break.
    const roomy = this.lineLength - 2;
    for (let index = 0; index < length; index++) {
      let byte = chunk[index] as number;
      if (this.held < 0 && this.column < roomy) {
        // The common case, in locals: printable characters, and spaces and tabs
        // followed by something other than a line end, on a line with room.
        const output = this.output;
        let written = this.written;
        // The column is columnBase + index: one bound check per byte (index < stop) covers both
        // the end of the chunk and the end of the room on the line; an escape moves both by 2.
        let columnBase = this.column - index;
        let stop = Math.min(length, index + roomy - this.column);
        const escapeLimit = this.lineLength - 4;
        for (;;) {
          // Printable ASCII but "=", and "." except at a line start: comparisons, the hottest test.
          if (byte > 0x2e ? byte < 0x7f && byte !== EQUALS : byte > SPACE && (byte !== 0x2e || columnBase + index !== 0)) {
            output[written++] = byte;
          } else if (byte === SPACE || byte === TAB) {
            const next = index + 1 < length ? (chunk[index + 1] as number) : CR;
            if (next === CR || next === LF) break;
            output[written++] = byte;
          } else if (byteKind[byte] === escapeKind && columnBase + index <= escapeLimit) {
            output[written++] = EQUALS;
            output[written++] = hexDigits[byte >> 4] as number;
            output[written++] = hexDigits[byte & 15] as number;
            columnBase += 2;
            stop -= 2;
          } else {
            break;
          }
          if (++index >= stop) break;
          byte = chunk[index] as number;
        }
        const column = columnBase + index;
        this.written = written;
        this.column = column;
        if (index === length) break;
        byte = chunk[index] as number;
      }
      if (this.held >= 0) {
        const held = this.held;
        this.held = -1;
        if (held === CR && byte === LF && !binary) {
          this.output[this.written++] = CR;
          this.output[this.written++] = LF;
          this.column = 0;
          continue;
        }
        this.byte(held, byte);
      }
      if (literal[byte] === 1 && byte !== 0x2e && this.column < this.lineLength - 2) {
        // The common case: a printable character on a line with room.
        this.output[this.written++] = byte;
        this.column++;
        continue;
      }
      if (byte === CR || byte === SPACE || byte === TAB) {
        this.held = byte;
        continue;
      }
      this.byte(byte, -1);
    }
    return this.drain();
  }

  private drain(): string {
    if (this.written === 0) return "";
    const text = asciiDecoder.decode(this.output.subarray(0, this.written));
    this.written = 0;
    return text;
  }

  finish(): string {
    this.reserve(8);
    if (this.held >= 0) {
      const held = this.held;
      this.held = -1;
      this.byte(held, -1);
    }
    this.column = 0;
    return this.drain();
  }
}

function checkOptions(options: QuotedPrintableEncodeOptions): { binary: boolean; lineLength: number } {
  const lineLength = options.lineLength ?? 76;
  if (!Number.isSafeInteger(lineLength) || lineLength < 4 || lineLength > 76) {
    throw new MimeError("invalid-argument", lineLength, "lineLength must be an integer from 4 to 76");
  }
  return { binary: options.mode === "binary", lineLength };
}

/**
 * Encodes bytes as quoted-printable, in lines of at most `lineLength`
 * characters joined by CRLF.
 *
 * @param bytes - the data
 * @param options - text or binary mode, line length
 * @returns the encoded text (ASCII)
 * @throws {@link MimeError} `invalid-argument` for a line length outside 4–76
 * @example
 * ```ts
 * import { quotedPrintableEncode } from "@smtpkit/mime";
 * quotedPrintableEncode(new TextEncoder().encode("Café")); // "Caf=C3=A9"
 * ```
 */
export function quotedPrintableEncode(bytes: Uint8Array, options: QuotedPrintableEncodeOptions = {}): string {
  const { binary, lineLength } = checkOptions(options);
  const encoder = new QuotedPrintableEncoder(binary, lineLength);
  return encoder.update(bytes) + encoder.finish();
}

/**
 * Creates an incremental quoted-printable encoder; its pieces joined equal
 * {@link quotedPrintableEncode} of the whole input.
 *
 * @param options - text or binary mode, line length
 * @returns an encoder with `update(chunk)` and `finish()`
 * @throws {@link MimeError} `invalid-argument` for a line length outside 4–76
 * @example
 * ```ts
 * import { createQuotedPrintableEncoder } from "@smtpkit/mime";
 * const encoder = createQuotedPrintableEncoder();
 * encoder.update(new TextEncoder().encode("Caf")) + encoder.update(new TextEncoder().encode("é")) + encoder.finish(); // "Caf=C3=A9"
 * ```
 */
export function createQuotedPrintableEncoder(options: QuotedPrintableEncodeOptions = {}): TextChunkEncoder {
  const { binary, lineLength } = checkOptions(options);
  return new QuotedPrintableEncoder(binary, lineLength);
}
