/**
 * Byte helpers shared by the arbitraries, the session pair and the scripted client-conformance server.
 *
 * @module
 * @internal
 */

/**
 * Joins byte arrays into one new array.
 *
 * @internal
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
