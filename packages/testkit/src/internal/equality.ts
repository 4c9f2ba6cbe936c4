/**
 * Structural equality and short printing for the assertions' laws and
 * failure messages. Internal.
 *
 * @module
 */

/**
 * Deep structural equality: primitives by `Object.is`, arrays and typed
 * arrays element by element (same constructor), `Date` by time, `Map` and
 * `Set` by content in order, other objects by their own enumerable keys
 * (a key holding `undefined` differs from a missing key). Class instances
 * compare by those keys too when their prototypes are the same.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  if (a instanceof Map || b instanceof Map || a instanceof Set || b instanceof Set) {
    if (a.constructor !== b.constructor) return false;
    return deepEqual([...(a as Map<unknown, unknown>)], [...(b as Map<unknown, unknown>)]);
  }
  const protoA: unknown = Object.getPrototypeOf(a);
  const protoB: unknown = Object.getPrototypeOf(b);
  const plain = (p: unknown): boolean => p === null || p === Object.prototype;
  if (!(plain(protoA) && plain(protoB)) && protoA !== protoB) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Bytes as a quoted string with C-style escapes, cut after `max` bytes. */
export function showBytes(bytes: Uint8Array, max = 240): string {
  let out = "";
  const end = Math.min(bytes.length, max);
  for (let i = 0; i < end; i += 1) {
    const b = bytes[i] as number;
    if (b === 0x0d) out += "\\r";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x22) out += '\\"';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"${bytes.length > max ? ` … (${bytes.length} bytes)` : ""}`;
}
