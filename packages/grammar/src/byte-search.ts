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
 * memory (at most `capacity` of them, at offset 0), then `find` is called
 * from 0 and again from 2 past each position it returns, until it returns
 * -1. Each call returns the first p >= from with `m[p..p+3) = CR LF "."`
 * and p + 3 <= length, and together the calls look at every pair of
 * neighbours in [0, length): `takeMismatch()` then says (non-zero) whether
 * some p with p + 1 < length has `m[p] === CR` differ from
 * `m[p + 1] === LF`, that is, whether a bare CR or a bare LF lies inside
 * (the first byte's predecessor and the last byte's successor are the
 * caller's business), and clears that flag. One pass, 16 bytes a step.
 *
 * The module is 626 bytes, embedded below. In text form:
 *
 * ```wat
 * (global $mismatch (mut i32) (i32.const 0))
 * (func $find (param $from i32) (param $len i32) (result i32)
 *   (local $p i32) (local $m i32) (local $r i32) (local $acc v128) (local $cr v128) (local $lf v128) ...
 *   ;; while p + 34 <= len, 32 positions a step: the step below twice (p and p + 16),
 *   ;;   with one any_true over both "." masks before looking at either;
 *   ;; then while p + 18 <= len, 16 positions a step:
 *   ;;   cr = m[p..p+16) == CR; lf = m[p+1..p+17) == LF; acc |= cr ^ lf
 *   ;;   m = bitmask(cr & lf & (m[p+2..p+18) == "."))
 *   ;;   m != 0: $mismatch |= any_true(acc); return p + ctz(m)
 *   ;; then one position a step while p + 1 < len: the same on bytes, r for acc
 *   ;; $mismatch |= any_true(acc) | r; return -1
 * )
 * (func $takeMismatch (result i32) ;; returns $mismatch and clears it
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
  /** The first CR LF "." at or after `from` wholly within the first `length` bytes, or -1 (see above). */
  readonly find: (from: number, length: number) => number;
  /** Non-zero when the `find` calls since the last `takeMismatch` saw a bare CR or bare LF; clears it. */
  readonly takeMismatch: () => number;
}

const lineEndScannerModule =
  "0061736d01000000010b0260027f7f017f6000017f030302000105030100040606017f0141000b070d03016d02000173" +
  "0000017400010ab90402ad0402037f077b2000210202400340200241226a20014b0d012002fd000000fd0c0d0d0d0d0d" +
  "0d0d0d0d0d0d0d0d0d0d0dfd2321062002fd000001fd0c0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0afd2321072002fd0000" +
  "10fd0c0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0dfd2321092002fd000011fd0c0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0afd" +
  "23210a200520062007fd51fd502009200afd51fd50210520062007fd4e2002fd000002fd0c2e2e2e2e2e2e2e2e2e2e2e" +
  "2e2e2e2e2efd23fd4e21082009200afd4e2002fd000012fd0c2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2efd23fd4e210b20" +
  "08200bfd50fd53044023002005fd537220047224002008fd642203044020022003686a0f0b200241106a200bfd64686a" +
  "0f0b200241206a21020c000b0b02400340200241126a20014b0d012002fd000000fd0c0d0d0d0d0d0d0d0d0d0d0d0d0d" +
  "0d0d0dfd2321062002fd000001fd0c0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0afd232107200520062007fd51fd50210520" +
  "062007fd4e2002fd000002fd0c2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2efd23fd4efd642203044023002005fd53722004" +
  "72240020022003686a0f0b200241106a21020c000b0b02400340200241016a20014f0d01200420022d0000410d462002" +
  "2d0001410a4673722104200241036a20014d20022d0000410d467120022d0001410a467120022d0002412e4671044023" +
  "002005fd5372200472240020020f0b200241016a21020c000b0b23002005fd53722004722400417f0b08002300410024" +
  "000b";

let lineEndScannerCache: LineEndScanner | undefined | null = null;

/**
 * The WebAssembly line-end scanner, or `undefined` where it cannot run (see
 * {@link LineEndScanner}). Compiled on first use (its memory is 256 KiB),
 * then shared: callers use it synchronously, copy-in to last `find`.
 */
export function lineEndScanner(): LineEndScanner | undefined {
  if (lineEndScannerCache === null) lineEndScannerCache = createLineEndScanner();
  return lineEndScannerCache;
}

function createLineEndScanner(): LineEndScanner | undefined {
  try {
    const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
    if (wasm === undefined) return undefined;
    const bytes = new Uint8Array(lineEndScannerModule.length / 2);
    for (let index = 0; index < bytes.length; index += 1) {
      bytes[index] = Number.parseInt(lineEndScannerModule.slice(index * 2, index * 2 + 2), 16);
    }
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    const { m, s, t } = instance.exports as {
      m?: WebAssembly.Memory;
      s?: (from: number, length: number) => number;
      t?: () => number;
    };
    if (!(m instanceof wasm.Memory) || typeof s !== "function" || typeof t !== "function") return undefined;
    const memory = new Uint8Array(m.buffer);
    // Check the contract once rather than trust the engine blindly.
    memory.set(Uint8Array.of(0x41, 0x0d, 0x0a, 0x2e, 0x41, 0x0d, 0x0a, 0x0d));
    t();
    if (s(0, 8) !== 1 || s(3, 8) !== -1 || t() !== 0) return undefined;
    memory[4] = 0x0a;
    if (s(3, 8) !== -1 || t() === 0 || t() !== 0) return undefined;
    return { memory, capacity: memory.length, find: s, takeMismatch: t };
  } catch {
    return undefined;
  }
}
