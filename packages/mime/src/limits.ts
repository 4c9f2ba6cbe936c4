/**
 * The parser's limits: every one named, documented, configurable, and
 * validated (an invalid value throws instead of silently switching the limit
 * off). Each guards memory or time against hostile input.
 *
 * @module
 */
import { MimeError } from "./mime-error.js";

/** The parser's limits. Every field is optional; missing ones take the defaults in {@link defaultLimits}. */
export interface ParserLimits {
  /**
   * Deepest nesting of multiparts and embedded messages (the root is depth 0).
   * A part at this depth is kept as an opaque leaf. Guards the recursion of
   * every consumer that walks the tree, and the boundary checks per line
   * (one per open multipart).
   */
  readonly maxDepth?: number;
  /**
   * Largest header block of one part, in bytes. The parser buffers a header
   * block whole (it is the only thing it buffers), so this bounds its memory.
   * Fields beyond it are skipped.
   */
  readonly maxHeaderBytes?: number;
  /** Most header fields kept per part; more are skipped. */
  readonly maxHeaderCount?: number;
  /** Most parts in the whole message; the parser stops reading at the next one. */
  readonly maxParts?: number;
  /**
   * Most decoded body bytes in the whole message. The streaming parser
   * retains none of them, but consumers that collect them (as
   * `parseMessage` does) would; the parser stops reading beyond it.
   */
  readonly maxDecodedBytes?: number;
}

/** The name of one limit. */
export type LimitName = keyof ParserLimits;

/**
 * The default limits: generous for real mail (a large newsletter has tens of
 * parts and a few kilobytes of headers), small enough that a hostile message
 * cannot exhaust memory.
 *
 * @example
 * ```ts
 * import { defaultLimits } from "@smtpkit/mime";
 * defaultLimits.maxDepth; // 32
 * ```
 */
export const defaultLimits: Readonly<Required<ParserLimits>> = Object.freeze({
  maxDepth: 32,
  maxHeaderBytes: 1024 * 1024,
  maxHeaderCount: 2000,
  maxParts: 10_000,
  maxDecodedBytes: 1024 * 1024 * 1024,
});

/**
 * Checks the limits given and fills in the defaults.
 *
 * @param limits - the caller's limits
 * @returns every limit
 * @throws {@link MimeError} `invalid-limit` for a value that is not a positive safe integer
 * @internal
 */
export function resolveLimits(limits: ParserLimits): Required<ParserLimits> {
  const resolved = { ...defaultLimits };
  for (const name of Object.keys(defaultLimits) as LimitName[]) {
    const value = limits[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new MimeError("invalid-limit", name, `${name} must be a positive safe integer, not ${String(value)}`);
    }
    resolved[name] = value;
  }
  return resolved;
}
