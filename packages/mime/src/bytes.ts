/**
 * Small byte helpers shared by the codecs and the parser: concatenation,
 * Latin-1 views of byte ranges, and a growable byte buffer. Internal.
 *
 * @module
 */

/** An empty byte array, shared so that "nothing" never allocates. @internal */
export const emptyBytes: Uint8Array = new Uint8Array(0);

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a string. @internal */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Joins byte arrays into one (returns the only one as is). @internal */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 0) return emptyBytes;
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Each byte as the code point of the same value. Works in slices so that
 * `String.fromCharCode` never sees too many arguments. @internal
 */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const slice = 8192;
  if (end - start <= slice) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let text = "";
  for (let offset = start; offset < end; offset += slice) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(offset, Math.min(end, offset + slice)) as unknown as number[],
    );
  }
  return text;
}

/** Whether every byte is below 0x80. @internal */
export function isAscii(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) if ((bytes[index] as number) >= 0x80) return false;
  return true;
}

/** A byte buffer that grows by doubling; `view()` shares its memory. @internal */
export class ByteBuilder {
  private buffer: Uint8Array;
  /** How many bytes are in use. */
  length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  appendAscii(text: string): void {
    this.reserve(text.length);
    for (let index = 0; index < text.length; index++) this.buffer[this.length++] = text.charCodeAt(index);
  }

  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** A copy of the content, and the builder emptied. */
  take(): Uint8Array {
    if (this.length === 0) return emptyBytes;
    const out = this.buffer.slice(0, this.length);
    this.length = 0;
    return out;
  }
}
