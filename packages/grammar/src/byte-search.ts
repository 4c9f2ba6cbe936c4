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

type NativeLastIndexOf = (this: Uint8Array, value: number, byteOffset: number) => number;

const nativeLastIndexOf: NativeLastIndexOf | undefined = (() => {
  const buffer = (globalThis as { Buffer?: { prototype?: { lastIndexOf?: unknown } } }).Buffer;
  const lastIndexOf = buffer?.prototype?.lastIndexOf;
  if (typeof lastIndexOf !== "function") return undefined;
  try {
    const probe = Uint8Array.of(1, 2, 3, 2, 3);
    const fn = lastIndexOf as NativeLastIndexOf;
    return fn.call(probe, 2, 2) === 1 && fn.call(probe, 3, 4) === 4 && fn.call(probe, 9, 4) === -1 && fn.call(probe, 1, 0) === 0
      ? fn
      : undefined;
  } catch {
    return undefined;
  }
})();

/** Pure: the last `byte` at or before `from` (0 <= from), or -1. */
export function lastIndexOfBytePure(haystack: Uint8Array, byte: number, from: number): number {
  return haystack.lastIndexOf(byte, from);
}

/** The last `byte` at or before `from` (0 <= from), or -1 (native where available). */
export const lastIndexOfByte: (haystack: Uint8Array, byte: number, from: number) => number =
  nativeLastIndexOf === undefined ? lastIndexOfBytePure : (haystack, byte, from) => nativeLastIndexOf.call(haystack, byte, from);

/**
 * A line-end scanner in WebAssembly SIMD, for the DATA reader's fast path
 * under the `reject` and `normalize` policies. The bytes are copied into its
 * memory (at most `capacity` of them, at offset 0) and then:
 *
 * - `mismatch(length)` is non-zero when some position p with p + 1 < length
 *   has `m[p] === CR` differ from `m[p + 1] === LF`: that is, exactly when a
 *   bare CR or a bare LF lies inside [0, length) (the first byte's
 *   predecessor and the last byte's successor are the caller's business);
 * - `find(from, length)` is the first p >= from with `m[p..p+3) = CR LF "."`
 *   and p + 3 <= length, or -1.
 *
 * The module is 388 bytes, embedded below. Its two functions, in text form:
 *
 * ```wat
 * (func $mismatch (param $len i32) (result i32) (local $p i32) (local $r i32) (local $acc v128)
 *   ;; 16 pairs per step: acc |= (m[p..p+16) == CR) ^ (m[p+1..p+17) == LF), while p + 17 <= len
 *   ;; then one pair per step: r |= (m[p] == CR) ^ (m[p+1] == LF), while p + 1 < len
 *   (i32.or (v128.any_true (local.get $acc)) (local.get $r)))
 * (func $find (param $from i32) (param $len i32) (result i32) (local $p i32) (local $m i32)
 *   ;; 16 positions per step while p + 18 <= len: m = bitmask(eq CR at p & eq LF at p+1 & eq "." at p+2);
 *   ;; m != 0: return p + ctz(m); then one position per step while p + 3 <= len; else -1
 * )
 * ```
 *
 * `undefined` where WebAssembly or its SIMD is missing or refused (a content
 * security policy, an old engine): the reader then takes its plain path,
 * which gives the same answers. Internal.
 */
export interface LineEndScanner {
  /** The scanner's memory: copy the bytes to examine to its start. */
  readonly memory: Uint8Array;
  /** How many bytes `memory` holds. */
  readonly capacity: number;
  /** Non-zero when a bare CR or bare LF lies inside the first `length` bytes (see above). */
  readonly mismatch: (length: number) => number;
  /** The first CR LF "." at or after `from` wholly within the first `length` bytes, or -1. */
  readonly find: (from: number, length: number) => number;
}

const lineEndScannerModule =
  "0061736d01000000010c0260017f017f60027f7f017f03030200010503010004070d03016d020001630000016400010a" +
  "d20202910102027f017b02400340200141116a20004b0d0120032001fd000000fd0c0d0d0d0d0d0d0d0d0d0d0d0d0d0d" +
  "0d0dfd232001fd000001fd0c0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0afd23fd51fd502103200141106a21010c000b0b02" +
  "400340200141016a20004f0d01200220012d0000410d4620012d0001410a4673722102200141016a21010c000b0b2003" +
  "fd532002720bbc0101027f2000210202400340200241126a20014b0d012002fd000000fd0c0d0d0d0d0d0d0d0d0d0d0d" +
  "0d0d0d0d0dfd232002fd000001fd0c0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0afd23fd4e2002fd000002fd0c2e2e2e2e2e" +
  "2e2e2e2e2e2e2e2e2e2e2efd23fd4efd642203044020022003686a0f0b200241106a21020c000b0b0240034020024103" +
  "6a20014b0d0120022d0000410d4620022d0001410a467120022d0002412e4671044020020f0b200241016a21020c000b" +
  "0b417f0b";

/** The WebAssembly line-end scanner, or `undefined` where it cannot run (see {@link LineEndScanner}). */
export const lineEndScanner: LineEndScanner | undefined = (() => {
  try {
    const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
    if (wasm === undefined) return undefined;
    const bytes = new Uint8Array(lineEndScannerModule.length / 2);
    for (let index = 0; index < bytes.length; index += 1) {
      bytes[index] = Number.parseInt(lineEndScannerModule.slice(index * 2, index * 2 + 2), 16);
    }
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    const exports = instance.exports as {
      m?: WebAssembly.Memory;
      c?: (length: number) => number;
      d?: (from: number, length: number) => number;
    };
    const { m, c, d } = exports;
    if (!(m instanceof wasm.Memory) || typeof c !== "function" || typeof d !== "function") return undefined;
    const memory = new Uint8Array(m.buffer);
    // Check the contract once rather than trust the engine blindly.
    memory.set(Uint8Array.of(0x41, 0x0d, 0x0a, 0x2e, 0x41, 0x0d, 0x0a, 0x0d));
    if (c(8) !== 0 || c(7) !== 0 || d(0, 8) !== 1 || d(2, 8) !== -1) return undefined;
    memory[4] = 0x0a;
    if (c(8) === 0) return undefined;
    return { memory, capacity: memory.length, mismatch: c, find: d };
  } catch {
    return undefined;
  }
})();
