/**
 * Base64 (RFC 2045 §6.8, alphabet of RFC 4648 §4): one-shot and incremental
 * encoding and decoding over `Uint8Array`s.
 *
 * Decoding is lenient the way mail needs it and the way Node's `Buffer` and
 * browsers' loose decoders are: bytes outside the alphabet (line breaks,
 * spaces, junk) are skipped, a missing padding is accepted, and the first
 * `=` ends the data (RFC 2045 §6.8: "the occurrence of any '=' characters may
 * be taken as evidence that the end of the data has been reached"). The URL-safe
 * characters "-" and "_" are read as "+" and "/", as Node does. A single
 * dangling character, which cannot make a byte, is dropped.
 *
 * The pure implementation decodes whole four-character groups through a
 * lookup table and never allocates per line. When the runtime offers a native
 * codec (`Uint8Array.fromBase64`, or a `Buffer` found on `globalThis`; never
 * imported) it is used as a fast path with exactly the same results. Both
 * are looked up once, when the module loads; the tests load the package once
 * with and once without a `Buffer` on `globalThis` and check the two paths
 * against each other.
 *
 * @module
 */
import { expectBytes, expectBytesOrText } from "./argument-checks.js";
import { emptyBytes, latin1 } from "./bytes.js";
import { MimeError } from "./mime-error.js";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const pad = 0x3d;
const invalid = 0xff;
const padMark = 0xfe;

/** Byte → six-bit value, `padMark` for `=`, `invalid` for everything else. @internal */
export const decodeTable = new Uint8Array(256).fill(invalid);
for (let index = 0; index < 64; index++) decodeTable[alphabet.charCodeAt(index)] = index;
decodeTable[pad] = padMark;
// The URL-safe alphabet (RFC 4648 §5) is accepted too, as Node's decoder does.
decodeTable[0x2d] = 62;
decodeTable[0x5f] = 63;
const encodeTable = new Uint8Array(64);
for (let index = 0; index < 64; index++) encodeTable[index] = alphabet.charCodeAt(index);

// --- native fast paths, looked up once at run time ---------------------------

interface NativeBuffer {
  from(data: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: string): string };
  from(text: string, encoding: string): Uint8Array;
}
interface FromBase64 {
  fromBase64?(text: string, options: { lastChunkHandling: string }): Uint8Array;
}

const nativeBuffer = (globalThis as { Buffer?: NativeBuffer }).Buffer;
const nativeFromBase64 = (Uint8Array as unknown as FromBase64).fromBase64;

/** A Latin-1 string of the bytes, natively when possible. */
function byteString(bytes: Uint8Array): string {
  if (nativeBuffer !== undefined) {
    return nativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  }
  return latin1(bytes);
}

/** Below this size the native call costs more than it saves (encoded words, short bodies). */
const nativeThreshold = 512;

function nativeDecode(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < nativeThreshold) return undefined;
  if (nativeBuffer !== undefined) {
    // Node's decoder has this module's exact semantics (skip outside the
    // alphabet, stop at the first "=", drop one dangling character).
    const decoded = nativeBuffer.from(byteString(bytes), "base64");
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  }
  if (nativeFromBase64 !== undefined) {
    // The standard decoder is strict about junk and padding; where it accepts
    // the input, its result equals ours. Anything else goes the pure way.
    try {
      return nativeFromBase64(latin1(bytes), { lastChunkHandling: "loose" });
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// --- decoding ----------------------------------------------------------------

/**
 * The pure decoder's core. Decodes `input` into `output` starting from the
 * carried characters, returns the new state. Whole groups of four alphabet
 * characters take the fast branch; anything else goes one character at a time.
 */
interface DecodeState {
  /** Six-bit values pending (0–3 of them) packed into `bits`. */
  bits: number;
  count: number;
  /** Whether a "=" has ended the data. */
  ended: boolean;
}

function decodeInto(input: Uint8Array, output: Uint8Array, state: DecodeState): number {
  let written = 0;
  let bits = state.bits;
  let count = state.count;
  const length = input.length;
  let index = 0;
  if (state.ended) return 0;
  while (index < length) {
    if (count === 0) {
      // Fast branch: four alphabet characters in a row.
      while (index + 4 <= length) {
        const a = decodeTable[input[index] as number] as number;
        const b = decodeTable[input[index + 1] as number] as number;
        const c = decodeTable[input[index + 2] as number] as number;
        const d = decodeTable[input[index + 3] as number] as number;
        if ((a | b | c | d) > 63) break;
        const group = (a << 18) | (b << 12) | (c << 6) | d;
        output[written] = group >> 16;
        output[written + 1] = (group >> 8) & 0xff;
        output[written + 2] = group & 0xff;
        written += 3;
        index += 4;
      }
      if (index >= length) break;
    }
    const value = decodeTable[input[index++] as number] as number;
    if (value < 64) {
      bits = (bits << 6) | value;
      if (++count === 4) {
        output[written] = bits >> 16;
        output[written + 1] = (bits >> 8) & 0xff;
        output[written + 2] = bits & 0xff;
        written += 3;
        bits = 0;
        count = 0;
      }
    } else if (value === padMark) {
      written += flushPartial(bits, count, output, written);
      state.bits = 0;
      state.count = 0;
      state.ended = true;
      return written;
    }
  }
  state.bits = bits;
  state.count = count;
  return written;
}

/** Writes the bytes of a final partial group (2 or 3 characters), returns how many. */
function flushPartial(bits: number, count: number, output: Uint8Array, at: number): number {
  if (count === 2) {
    output[at] = (bits >> 4) & 0xff;
    return 1;
  }
  if (count === 3) {
    output[at] = (bits >> 10) & 0xff;
    output[at + 1] = (bits >> 2) & 0xff;
    return 2;
  }
  return 0;
}

function pureDecode(bytes: Uint8Array): Uint8Array {
  const output = new Uint8Array(Math.ceil((bytes.length * 3) / 4) + 3);
  const state: DecodeState = { bits: 0, count: 0, ended: false };
  let written = decodeInto(bytes, output, state);
  if (!state.ended) written += flushPartial(state.bits, state.count, output, written);
  return output.subarray(0, written);
}

/**
 * Decodes base64 text leniently (see the module notes): line breaks and junk
 * are skipped, padding is optional, the first `=` ends the data.
 *
 * @param input - base64 as bytes or as a string
 * @returns the decoded bytes
 * @example
 * ```ts
 * import { base64Decode } from "@smtpkit/mime";
 * new TextDecoder().decode(base64Decode("SGVs\r\nbG8")); // "Hello"
 * ```
 */
export function base64Decode(input: Uint8Array | string): Uint8Array {
  expectBytesOrText(input, "the base64 input");
  const bytes = typeof input === "string" ? asciiBytes(input) : input;
  if (bytes.length === 0) return emptyBytes;
  return nativeDecode(bytes) ?? pureDecode(bytes);
}

function asciiBytes(text: string): Uint8Array {
  // Characters above 0xFF are outside the alphabet either way; mapping them
  // to 0xFF (also outside) keeps them skipped.
  const out = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    out[index] = code > 0xff ? 0xff : code;
  }
  return out;
}

/**
 * An incremental decoder: the same shape as every decoder in this package.
 *
 * @example
 * ```ts
 * import { createBase64Decoder } from "@smtpkit/mime";
 * const decoder = createBase64Decoder();
 * const parts = [decoder.update(new TextEncoder().encode("SGV")), decoder.update(new TextEncoder().encode("sbG8=")), decoder.finish()];
 * ```
 */
export interface ByteDecoder {
  /**
   * Decodes the next piece of input.
   * @param chunk - the next bytes of encoded input
   * @returns the bytes decoded so far that are final (may be empty)
   */
  update(chunk: Uint8Array): Uint8Array;
  /**
   * Ends the input.
   * @returns the last decoded bytes
   */
  finish(): Uint8Array;
}

class Base64Decoder implements ByteDecoder {
  private readonly state: DecodeState = { bits: 0, count: 0, ended: false };
  /** Input the native path left for later: a partial line, or up to three characters. */
  private carry: Uint8Array = emptyBytes;

  update(chunk: Uint8Array): Uint8Array {
    expectBytes(chunk, "a chunk");
    if (this.state.ended || chunk.length === 0) return emptyBytes;
    if (nativeBuffer !== undefined && this.state.count === 0 && chunk.length >= nativeThreshold) {
      const input = this.carry.length === 0 ? chunk : joinTwo(this.carry, chunk);
      const decoded = this.regularUpdate(input) ?? this.countedUpdate(input);
      if (decoded !== undefined) return decoded;
    }
    return this.pure(chunk);
  }

  /** Decodes the carry and then `chunk` through the pure state. */
  private pure(chunk: Uint8Array): Uint8Array {
    const carried = this.carry;
    this.carry = emptyBytes;
    const output = new Uint8Array(Math.ceil(((carried.length + chunk.length) * 3) / 4) + 3);
    let written = decodeInto(carried, output, this.state);
    written += decodeInto(chunk, output.subarray(written), this.state);
    return output.subarray(0, written);
  }

  /**
   * The common case, checked cheaply: whole lines of one length, each ending
   * in the same line end (76 characters and CRLF in MIME). Then the number of
   * alphabet characters is known without counting, and the decoded length
   * confirms that no line held anything else. The partial last line is carried.
   */
  private regularUpdate(input: Uint8Array): Uint8Array | undefined {
    const firstLineFeed = input.indexOf(0x0a);
    const lastLineFeed = input.lastIndexOf(0x0a);
    if (firstLineFeed < 1) return undefined;
    const lineLength = firstLineFeed + 1;
    const headLength = lastLineFeed + 1;
    if (headLength % lineLength !== 0) return undefined;
    const lineEnd = input[firstLineFeed - 1] === 0x0d ? 2 : 1;
    for (let end = lineLength; end <= headLength; end += lineLength) {
      if (input[end - 1] !== 0x0a || (lineEnd === 2 && input[end - 2] !== 0x0d)) return undefined;
    }
    const characters = (headLength / lineLength) * (lineLength - lineEnd);
    if (characters % 4 !== 0) return undefined;
    const decoded = nativeDecode(input.subarray(0, headLength));
    if (decoded === undefined || decoded.length !== (characters / 4) * 3) return undefined;
    this.carry = input.slice(headLength);
    return decoded;
  }

  /**
   * Any layout: counts the alphabet characters by assuming the only other
   * bytes are CR and LF, decodes every whole group natively and checks the
   * decoded length, which is exact only if the assumption held.
   */
  private countedUpdate(input: Uint8Array): Uint8Array | undefined {
    let breaks = 0;
    for (let at = input.indexOf(0x0a); at !== -1; at = input.indexOf(0x0a, at + 1)) breaks++;
    for (let at = input.indexOf(0x0d); at !== -1; at = input.indexOf(0x0d, at + 1)) breaks++;
    const characters = input.length - breaks;
    let remainder = characters % 4;
    // Walk back over the last `remainder` alphabet characters (and line breaks): they wait.
    let split = input.length;
    while (remainder > 0 && split > 0) {
      const byte = input[split - 1] as number;
      split--;
      if (byte === 0x0a || byte === 0x0d) continue;
      if ((decodeTable[byte] as number) > 63) return undefined;
      remainder--;
    }
    if (remainder > 0) return undefined;
    const expected = ((characters - (characters % 4)) / 4) * 3;
    const decoded = split === 0 ? emptyBytes : nativeDecode(input.subarray(0, split));
    if (decoded === undefined || decoded.length !== expected) return undefined;
    this.carry = input.slice(split);
    return decoded;
  }

  finish(): Uint8Array {
    const rest = this.pure(emptyBytes);
    if (this.state.ended) return rest;
    const output = new Uint8Array(rest.length + 2);
    output.set(rest);
    const written = flushPartial(this.state.bits, this.state.count, output, rest.length);
    this.state.bits = 0;
    this.state.count = 0;
    this.state.ended = true;
    return output.subarray(0, rest.length + written);
  }
}

function joinTwo(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}

/**
 * Creates an incremental base64 decoder. Feeding the input in any chunks
 * gives the same bytes as {@link base64Decode} on the whole.
 *
 * @returns a decoder with `update(chunk)` and `finish()`
 * @example
 * ```ts
 * import { createBase64Decoder } from "@smtpkit/mime";
 * const decoder = createBase64Decoder();
 * const head = decoder.update(new TextEncoder().encode("SGVsb"));
 * const tail = decoder.update(new TextEncoder().encode("G8=\r\n"));
 * decoder.finish(); // head + tail spell "Hello"
 * ```
 */
export function createBase64Decoder(): ByteDecoder {
  return new Base64Decoder();
}

// --- encoding ----------------------------------------------------------------

/** Options of {@link base64Encode} and {@link createBase64Encoder}. */
export interface Base64EncodeOptions {
  /**
   * Characters per line before a CRLF, a multiple of 4; `0` for one line.
   * Default 76, the MIME maximum (RFC 2045 §6.8).
   */
  readonly lineLength?: number;
}

function pureEncode(bytes: Uint8Array): string {
  const whole = bytes.length - (bytes.length % 3);
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let written = 0;
  for (let index = 0; index < whole; index += 3) {
    const group = ((bytes[index] as number) << 16) | ((bytes[index + 1] as number) << 8) | (bytes[index + 2] as number);
    out[written] = encodeTable[group >> 18] as number;
    out[written + 1] = encodeTable[(group >> 12) & 63] as number;
    out[written + 2] = encodeTable[(group >> 6) & 63] as number;
    out[written + 3] = encodeTable[group & 63] as number;
    written += 4;
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const first = bytes[whole] as number;
    const second = rest === 2 ? (bytes[whole + 1] as number) : 0;
    out[written] = encodeTable[first >> 2] as number;
    out[written + 1] = encodeTable[((first & 3) << 4) | (second >> 4)] as number;
    out[written + 2] = rest === 2 ? (encodeTable[(second & 15) << 2] as number) : pad;
    out[written + 3] = pad;
  }
  return latin1(out);
}

function encodeFlat(bytes: Uint8Array): string {
  if (nativeBuffer !== undefined) {
    return nativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
  }
  return pureEncode(bytes);
}

function checkLineLength(lineLength: number): number {
  if (!Number.isSafeInteger(lineLength) || lineLength < 0 || lineLength % 4 !== 0) {
    throw new MimeError("invalid-argument", lineLength, "lineLength must be 0 or a positive multiple of 4");
  }
  return lineLength;
}

function wrap(flat: string, lineLength: number): string {
  if (lineLength === 0 || flat.length <= lineLength) return flat;
  const lines: string[] = [];
  for (let offset = 0; offset < flat.length; offset += lineLength) lines.push(flat.slice(offset, offset + lineLength));
  return lines.join("\r\n");
}

/**
 * Encodes bytes as base64, in lines of `lineLength` characters joined by
 * CRLF (no line break after the last line).
 *
 * @param bytes - the data
 * @param options - line length (default 76; 0 for a single line)
 * @returns the base64 text
 * @throws {@link MimeError} `invalid-argument` if `lineLength` is not 0 or a positive multiple of 4
 * @example
 * ```ts
 * import { base64Encode } from "@smtpkit/mime";
 * base64Encode(new TextEncoder().encode("Hello")); // "SGVsbG8="
 * ```
 */
export function base64Encode(bytes: Uint8Array, options: Base64EncodeOptions = {}): string {
  expectBytes(bytes, "the bytes to encode");
  const lineLength = checkLineLength(options.lineLength ?? 76);
  return wrap(encodeFlat(bytes), lineLength);
}

/**
 * An incremental encoder: `update` returns text that can be sent at once,
 * `finish` the rest. Lines are joined with CRLF, and every piece but the
 * last ends at a line end, so pieces can be written one after another.
 */
export interface TextChunkEncoder {
  /**
   * Encodes the next bytes.
   * @param chunk - the next bytes
   * @returns encoded text (may be empty)
   */
  update(chunk: Uint8Array): string;
  /**
   * Ends the input.
   * @returns the last encoded text
   */
  finish(): string;
}

class Base64Encoder implements TextChunkEncoder {
  private pending: Uint8Array = emptyBytes;
  private started = false;
  private readonly bytesPerLine: number;

  constructor(private readonly lineLength: number) {
    // Whole lines only, so that pieces join without re-wrapping.
    this.bytesPerLine = lineLength === 0 ? 3 : (lineLength / 4) * 3;
  }

  update(chunk: Uint8Array): string {
    expectBytes(chunk, "a chunk");
    const input = this.pending.length === 0 ? chunk : joinTwo(this.pending, chunk);
    const usable = input.length - (input.length % this.bytesPerLine);
    this.pending = input.slice(usable);
    if (usable === 0) return "";
    return this.emit(encodeFlat(input.subarray(0, usable)));
  }

  private emit(flat: string): string {
    if (flat.length === 0) return "";
    const text = wrap(flat, this.lineLength);
    const joined = this.started && this.lineLength > 0 ? `\r\n${text}` : text;
    this.started = true;
    return joined;
  }

  finish(): string {
    const rest = this.pending;
    this.pending = emptyBytes;
    return this.emit(encodeFlat(rest));
  }
}

/**
 * Creates an incremental base64 encoder for large bodies: the pieces it
 * returns, joined, equal {@link base64Encode} of the whole input.
 *
 * @param options - line length (default 76)
 * @returns an encoder with `update(chunk)` and `finish()`
 * @throws {@link MimeError} `invalid-argument` for a bad `lineLength`
 * @example
 * ```ts
 * import { createBase64Encoder } from "@smtpkit/mime";
 * const encoder = createBase64Encoder();
 * const text = encoder.update(new Uint8Array([1, 2, 3, 4])) + encoder.finish(); // "AQIDBA=="
 * ```
 */
export function createBase64Encoder(options: Base64EncodeOptions = {}): TextChunkEncoder {
  return new Base64Encoder(checkLineLength(options.lineLength ?? 76));
}

