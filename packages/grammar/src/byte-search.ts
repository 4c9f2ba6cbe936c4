/**
 * Searching bytes. `Uint8Array.prototype.indexOf` is correct everywhere but
 * pays a high price per call in V8 (a generic element loop), while Node's
 * `Buffer.prototype.indexOf` is memchr/memmem and also accepts a plain
 * `Uint8Array`. The native one is looked up on `globalThis` (the package
 * imports nothing platform-specific) and used behind the pure one; the tests
 * check that both give the same answers. Internal.
 *
 * @module
 */

type NativeIndexOf = (this: Uint8Array, value: number | Uint8Array, byteOffset: number) => number;

const nativeIndexOf: NativeIndexOf | undefined = (() => {
  const buffer = (globalThis as { Buffer?: { prototype?: { indexOf?: unknown } } }).Buffer;
  const indexOf = buffer?.prototype?.indexOf;
  if (typeof indexOf !== "function") return undefined;
  // Check the contract once rather than trust a look-alike.
  try {
    const probe = Uint8Array.of(1, 2, 3, 2, 3);
    const fn = indexOf as NativeIndexOf;
    return fn.call(probe, 3, 3) === 4 && fn.call(probe, Uint8Array.of(2, 3), 2) === 3 && fn.call(probe, 9, 0) === -1
      ? fn
      : undefined;
  } catch {
    return undefined;
  }
})();

/** Pure: the first `byte` at or after `from`, or -1. */
export function indexOfBytePure(haystack: Uint8Array, byte: number, from: number): number {
  return haystack.indexOf(byte, from);
}

/** Pure: the first occurrence of `needle` (non-empty) at or after `from`, or -1. */
export function indexOfSequencePure(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0] as number;
  const last = haystack.length - needle.length;
  let i = haystack.indexOf(first, from);
  while (i >= 0 && i <= last) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k += 1;
    if (k === needle.length) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}

/** The first `byte` at or after `from`, or -1 (native where available). */
export const indexOfByte: (haystack: Uint8Array, byte: number, from: number) => number =
  nativeIndexOf === undefined ? indexOfBytePure : (haystack, byte, from) => nativeIndexOf.call(haystack, byte, from);

/** The first occurrence of `needle` at or after `from`, or -1 (native where available). */
export const indexOfSequence: (haystack: Uint8Array, needle: Uint8Array, from: number) => number =
  nativeIndexOf === undefined
    ? indexOfSequencePure
    : (haystack, needle, from) => (from > haystack.length ? -1 : nativeIndexOf.call(haystack, needle, from));

/** Which implementation is in use, for the tests. */
export const byteSearchImplementation: "Buffer" | "pure" = nativeIndexOf === undefined ? "pure" : "Buffer";
