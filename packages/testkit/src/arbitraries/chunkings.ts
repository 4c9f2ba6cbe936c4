/**
 * Byte chunkings: every way a stream may arrive from a socket. A parser
 * that is correct gives the same result whatever the chunking (the
 * chunk-split invariance law, see `assertChunkSplitInvariance`).
 *
 * @module
 */
import fc from "fast-check";

function cutsOf(bytes: Uint8Array, value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((chunk) => chunk instanceof Uint8Array)) throw new Error("not a chunking");
  const cuts: number[] = [];
  let offset = 0;
  for (const chunk of value as Uint8Array[]) {
    for (let i = 0; i < chunk.length; i += 1) if (chunk[i] !== bytes[offset + i]) throw new Error("chunks do not concatenate to the bytes");
    offset += chunk.length;
    if (chunk.length === 0) throw new Error("empty chunk");
    if (offset < bytes.length) cuts.push(offset);
  }
  if (offset !== bytes.length) throw new Error("chunks do not cover the bytes");
  return cuts;
}

function chunksAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = [...cuts].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/**
 * The chunkings of a byte array: arrays of non-empty subarrays (views, not
 * copies) that concatenate back to `bytes`. Now and then the whole array as
 * one chunk and the array byte by byte, otherwise cuts at random places;
 * shrinks towards fewer cuts. An empty array gives `[[]]`, its one chunking.
 *
 * @param bytes - the stream
 * @returns an arbitrary of chunkings of `bytes`
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { chunkings } from "@smtpkit/testkit";
 * const bytes = new TextEncoder().encode("EHLO a.example\r\n");
 * fc.assert(fc.property(chunkings(bytes), (chunks) => chunks.reduce((n, c) => n + c.length, 0) === bytes.length));
 * ```
 */
export function chunkings(bytes: Uint8Array): fc.Arbitrary<Uint8Array[]> {
  if (bytes.length <= 1) {
    return fc.constant(0).map(
      () => [bytes],
      (value) => {
        cutsOf(bytes, value);
        return 0;
      },
    );
  }
  const unmap = (value: unknown): number[] => cutsOf(bytes, value);
  const random = fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: bytes.length - 1 });
  const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  return fc.oneof(
    { arbitrary: random, weight: 8 },
    { arbitrary: fc.constant<number[]>([]), weight: 1 },
    { arbitrary: fc.constant(everyByte), weight: 1 },
  ).map((cuts) => chunksAt(bytes, cuts), unmap);
}

/**
 * Byte arrays together with one of their chunkings: `[bytes, chunks]`.
 *
 * @param bytes - the arbitrary of streams (default: any bytes up to 256)
 * @returns an arbitrary of `[bytes, chunks]` pairs
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { chunked } from "@smtpkit/testkit";
 * fc.sample(chunked(), 1); // [[Uint8Array [...], [Uint8Array [...], ...]]]
 * ```
 */
export function chunked(bytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 256 })): fc.Arbitrary<[Uint8Array, Uint8Array[]]> {
  return bytes.chain((value) => chunkings(value).map((chunks) => [value, chunks] as [Uint8Array, Uint8Array[]]));
}
