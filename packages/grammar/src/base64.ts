/**
 * Base64 (RFC 4648 §4) for SASL lines (RFC 4954 §4): strict on input, since
 * the text comes from a peer, and padded on output.
 *
 * The pure implementation is the reference. Where the platform has a native
 * codec (`Uint8Array.fromBase64`, or Node's `Buffer`, both looked up on
 * `globalThis` so the package imports nothing platform-specific), it is used
 * behind the same strict checks; the tests run both on the same inputs.
 *
 * @module
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const encodeTable = Uint8Array.from(alphabet, (c) => c.charCodeAt(0));
/** Code unit → 6-bit value, or 255 for anything outside the alphabet. */
const decodeTable: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(255);
  for (let i = 0; i < 64; i += 1) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** The encoder's output is US-ASCII, which UTF-8 decodes byte for byte. */
const asciiDecoder = new TextDecoder();

/** Pure encoder. Exported for the tests; use {@link encodeBase64}. */
export function encodeBase64Pure(bytes: Uint8Array): string {
  const length = bytes.length;
  const out = new Uint8Array(Math.ceil(length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = encodeTable[n >>> 18] as number;
    out[o++] = encodeTable[(n >>> 12) & 63] as number;
    out[o++] = encodeTable[(n >>> 6) & 63] as number;
    out[o++] = encodeTable[n & 63] as number;
  }
  const rest = length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out[o++] = encodeTable[n >>> 18] as number;
    out[o++] = encodeTable[(n >>> 12) & 63] as number;
    out[o++] = rest === 2 ? (encodeTable[(n >>> 6) & 63] as number) : 0x3d;
    out[o++] = 0x3d;
  }
  return asciiDecoder.decode(out);
}

/**
 * Pure strict decoder. Exported for the tests; use {@link decodeBase64}.
 * Refuses: a length that is not a multiple of four, characters outside the
 * alphabet (whitespace included), misplaced padding, and non-zero bits in
 * the padding (RFC 4648 §3.5: "decoders MAY reject"; a canonical-only
 * decoder gives each byte string exactly one accepted encoding).
 */
export function decodeBase64Pure(text: string): Uint8Array | undefined {
  const length = text.length;
  if (length % 4 !== 0) return undefined;
  if (length === 0) return new Uint8Array(0);
  let padding = 0;
  if (text.charCodeAt(length - 1) === 0x3d) padding = text.charCodeAt(length - 2) === 0x3d ? 2 : 1;
  const out = new Uint8Array((length / 4) * 3 - padding);
  let o = 0;
  const full = length - (padding > 0 ? 4 : 0);
  for (let i = 0; i < full; i += 4) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    const d = text.charCodeAt(i + 3);
    if ((a | b | c | d) > 255) return undefined;
    const va = decodeTable[a] as number;
    const vb = decodeTable[b] as number;
    const vc = decodeTable[c] as number;
    const vd = decodeTable[d] as number;
    if ((va | vb | vc | vd) === 255) return undefined;
    const n = (va << 18) | (vb << 12) | (vc << 6) | vd;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (padding > 0) {
    const a = text.charCodeAt(full);
    const b = text.charCodeAt(full + 1);
    const c = text.charCodeAt(full + 2);
    if ((a | b | c) > 255) return undefined;
    const va = decodeTable[a] as number;
    const vb = decodeTable[b] as number;
    if ((va | vb) === 255) return undefined;
    if (padding === 2) {
      if ((vb & 15) !== 0) return undefined;
      out[o] = (va << 2) | (vb >>> 4);
    } else {
      const vc = decodeTable[c] as number;
      if (vc === 255 || (vc & 3) !== 0) return undefined;
      out[o++] = (va << 2) | (vb >>> 4);
      out[o] = ((vb & 15) << 4) | (vc >>> 2);
    }
  }
  return out;
}

/** The shape of a canonical, padded base64 string (checked before a lenient native decoder runs). */
const strictShape = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

/** A native codec found on `globalThis`. Internal; exported for the tests. */
export interface NativeBase64 {
  /** Which platform API is used. */
  readonly name: "Uint8Array.fromBase64" | "Buffer";
  /** Encodes with padding. */
  encode(bytes: Uint8Array): string;
  /** Decodes strictly (same acceptance as {@link decodeBase64Pure}). */
  decode(text: string): Uint8Array | undefined;
}

interface BufferLike {
  from(data: ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): Uint8Array & {
    toString(encoding: string): string;
  };
}

interface Uint8ArrayWithBase64 {
  fromBase64?: (text: string, options: { lastChunkHandling: "strict" }) => Uint8Array;
}

/** Looks up a native base64 codec on the running platform. Internal; exported for the tests. */
export function findNativeBase64(): NativeBase64 | undefined {
  const standard = Uint8Array as unknown as Uint8ArrayWithBase64;
  const toBase64 = (Uint8Array.prototype as unknown as { toBase64?: (this: Uint8Array) => string }).toBase64;
  if (typeof standard.fromBase64 === "function" && typeof toBase64 === "function") {
    const fromBase64 = standard.fromBase64;
    return {
      name: "Uint8Array.fromBase64",
      encode: (bytes) => toBase64.call(bytes),
      decode: (text) => {
        // fromBase64 skips ASCII whitespace; the shape check refuses it first.
        if (!strictShape.test(text)) return undefined;
        try {
          return fromBase64(text, { lastChunkHandling: "strict" });
        } catch {
          return undefined;
        }
      },
    };
  }
  const buffer = (globalThis as { Buffer?: BufferLike }).Buffer;
  if (buffer !== undefined && typeof buffer.from === "function") {
    return {
      name: "Buffer",
      encode: (bytes) => buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
      decode: (text) => {
        // Buffer's decoder skips anything outside the alphabet: check first.
        if (!strictShape.test(text)) return undefined;
        // Copy out of Buffer's shared pool so callers own their bytes.
        return new Uint8Array(buffer.from(text, "base64"));
      },
    };
  }
  return undefined;
}

const native = findNativeBase64();

/** Below this many bytes, the pure code beats the call into the platform. */
const nativeThreshold = 64;

/**
 * Encodes bytes as padded base64 (RFC 4648 §4), for AUTH initial responses
 * and 334 challenges.
 *
 * @param bytes - the octets to encode
 * @returns the base64 text
 * @example
 * ```ts
 * encodeBase64(new TextEncoder().encode("\0user\0pass")); // "AHVzZXIAcGFzcw=="
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  return native !== undefined && bytes.length >= nativeThreshold ? native.encode(bytes) : encodeBase64Pure(bytes);
}

/**
 * Decodes padded base64 strictly: no whitespace, no characters outside the
 * alphabet, padding only at the end and with zero bits, so that every byte
 * string has exactly one accepted encoding. Never throws.
 *
 * @param text - base64 text from a SASL line
 * @returns the octets, or `undefined` when `text` is not canonical base64
 * @example
 * ```ts
 * decodeBase64("AHVzZXIAcGFzcw==");  // Uint8Array [0, 117, 115, 101, 114, 0, 112, 97, 115, 115]
 * decodeBase64("AHVzZXIAcGFzcw=");   // undefined (bad padding)
 * ```
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  return native !== undefined && text.length >= nativeThreshold ? native.decode(text) : decodeBase64Pure(text);
}
