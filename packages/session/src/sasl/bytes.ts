/**
 * Byte helpers shared by the SASL mechanisms: UTF-8 without surprises,
 * strict base64 (RFC 4648 §4) for the SCRAM attributes, lowercase hex for
 * CRAM-MD5, concatenation and a comparison whose time does not depend on
 * where two secrets differ.
 *
 * Internal: not exported from the package.
 *
 * @module
 */

const utf8Encoder = new TextEncoder();
// `fatal` so malformed UTF-8 from a peer is refused instead of silently
// replaced by U+FFFD; `ignoreBOM` so a leading U+FEFF stays part of the name.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Encodes a string as UTF-8. */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes strict UTF-8, or returns `undefined` when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes bytes that are known to be ASCII (or Latin-1) into a string, one char per byte. */
export function latin1(bytes: Uint8Array): string {
  let text = "";
  // Chunked so a long message does not hit the argument-count limit.
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const result = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/**
 * Compares two byte arrays in time that depends only on their lengths, so a
 * peer cannot learn how many leading bytes of a proof or digest were right.
 */
export function constantTimeEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index++) difference |= (left[index] ?? 0) ^ (right[index] ?? 0);
  return difference === 0;
}

/** XORs two byte arrays of equal length. */
export function xorBytes(left: Uint8Array, right: Uint8Array): Uint8Array {
  const result = new Uint8Array(left.length);
  for (let index = 0; index < left.length; index++) result[index] = (left[index] ?? 0) ^ (right[index] ?? 0);
  return result;
}

const hexDigits = "0123456789abcdef";

/** Lowercase hex, as CRAM-MD5 sends its digest (RFC 2195 §2). */
export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += hexDigits[byte >> 4]! + hexDigits[byte & 15]!;
  return text;
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const base64Values = new Int8Array(128).fill(-1);
for (let index = 0; index < 64; index++) base64Values[base64Alphabet.charCodeAt(index)] = index;

/** Encodes bytes as padded base64 (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const word = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    text +=
      base64Alphabet[word >> 18]! +
      base64Alphabet[(word >> 12) & 63]! +
      base64Alphabet[(word >> 6) & 63]! +
      base64Alphabet[word & 63]!;
  }
  const rest = bytes.length - index;
  if (rest === 1) {
    const word = bytes[index]! << 16;
    text += base64Alphabet[word >> 18]! + base64Alphabet[(word >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const word = (bytes[index]! << 16) | (bytes[index + 1]! << 8);
    text += base64Alphabet[word >> 18]! + base64Alphabet[(word >> 12) & 63]! + base64Alphabet[(word >> 6) & 63]! + "=";
  }
  return text;
}

/**
 * Decodes strict padded base64 (RFC 4648 §4): the length is a multiple of 4,
 * padding only at the end, no whitespace, and the unused bits of the last
 * symbol are zero (so every byte string has exactly one encoding, which SCRAM's
 * `c=` comparison relies on). Returns `undefined` for anything else.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.endsWith("==")) padding = 2;
  else if (text.endsWith("=")) padding = 1;
  const symbols = text.length - padding;
  const result = new Uint8Array((text.length / 4) * 3 - padding);
  let accumulator = 0;
  let bits = 0;
  let offset = 0;
  for (let index = 0; index < symbols; index++) {
    const code = text.charCodeAt(index);
    const value = code < 128 ? base64Values[code]! : -1;
    if (value < 0) return undefined;
    accumulator = ((accumulator << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      result[offset++] = (accumulator >> bits) & 0xff;
    }
  }
  // Non-canonical trailing bits ("QR==" instead of "QQ==") are refused.
  if (bits > 0 && (accumulator & ((1 << bits) - 1)) !== 0) return undefined;
  return offset === result.length ? result : undefined;
}
