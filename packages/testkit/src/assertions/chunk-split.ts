/**
 * The chunk-split invariance law for streaming parsers: the same bytes give
 * the same events whether they arrive whole, byte by byte, or split at any
 * places (habit 9 of smtpkit's STYLE; h11's tests do the same).
 *
 * @module
 */
import fc from "fast-check";
import { chunkings } from "../arbitraries/chunkings.js";
import { deepEqual, showBytes } from "../internal/equality.js";
import { describeThrown, runLaw, type LawRunOptions } from "./run-law.js";

/** A streaming parser: bytes in, events out. */
export interface ChunkParser<E> {
  /** Takes the next bytes; returns the events they complete. */
  push(chunk: Uint8Array): Iterable<E>;
  /** Ends the input; returns the last events (optional). */
  end?(): Iterable<E>;
}

/** Options of {@link assertChunkSplitInvariance}. */
export interface ChunkSplitOptions<E> extends LawRunOptions {
  /**
   * Brings the events to the form that must not depend on chunking, for
   * example by merging consecutive data chunks or dropping a field that
   * records how the input arrived. Default: the events as they are.
   */
  readonly normalize?: (events: readonly E[]) => unknown;
  /** Streams of your own to try first (each is also tried byte by byte). */
  readonly examples?: readonly Uint8Array[];
}

type Outcome = { readonly events: unknown } | { readonly threw: string };

function run<E>(makeParser: () => ChunkParser<E>, chunks: readonly Uint8Array[], normalize: (events: readonly E[]) => unknown): Outcome {
  try {
    const parser = makeParser();
    const events: E[] = [];
    // Each chunk is copied so that a parser which keeps a view of its input
    // and one which copies it are judged alike.
    for (const chunk of chunks) for (const event of parser.push(chunk.slice())) events.push(event);
    if (parser.end !== undefined) for (const event of parser.end()) events.push(event);
    return { events: normalize(events) };
  } catch (error) {
    return { threw: describeThrown(error) };
  }
}

function show(outcome: Outcome): string {
  return "threw" in outcome ? `threw ${outcome.threw}` : fc.stringify(outcome.events);
}

/**
 * Asserts chunk-split invariance: for every byte array of `bytes`, a fresh
 * parser from `makeParser` gives the same (normalized) events whether the
 * bytes are pushed whole, byte by byte, or in chunks cut at random places.
 * Throwing counts as an outcome: it must not depend on the chunking either.
 *
 * @param bytes - the inputs to try (use a generator that produces realistic streams)
 * @param makeParser - a factory of fresh parsers
 * @param options - runs, seed, event normalization
 * @throws {@link TestkitError} (`law-broken`, law `chunk-split-invariance`) whose message shows the shrunk
 *   bytes, the chunking and both event lists, and whose `counterexample` is `[bytes, chunks]`
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { ReplyReader, serializeReply } from "@smtpkit/grammar";
 * import { assertChunkSplitInvariance, reply } from "@smtpkit/testkit";
 * const wire = fc.array(reply()).map((replies) => new TextEncoder().encode(replies.map(serializeReply).join("")));
 * assertChunkSplitInvariance(wire, () => new ReplyReader());
 * ```
 */
export function assertChunkSplitInvariance<E>(
  bytes: fc.Arbitrary<Uint8Array>,
  makeParser: () => ChunkParser<E>,
  options: ChunkSplitOptions<E> = {},
): void {
  const normalize = options.normalize ?? ((events: readonly E[]) => events);
  const cases = bytes.chain((value) => chunkings(value).map((chunks) => [value, chunks] as [Uint8Array, Uint8Array[]]));
  runLaw(
    cases,
    {
      name: "chunk-split-invariance",
      statement: "the same bytes must give the same events whole, byte by byte and split anywhere",
      show: ([value, chunks]) => `${showBytes(value)} split as [${chunks.map((c) => c.length).join(", ")}]`,
      check: ([value, chunks]) => {
        const whole = run(makeParser, [value], normalize);
        const variants: [string, readonly Uint8Array[]][] = [
          ["byte by byte", Array.from({ length: value.length }, (_, i) => value.subarray(i, i + 1))],
          [`split as [${chunks.map((c) => c.length).join(", ")}]`, chunks],
        ];
        for (const [label, split] of variants) {
          const outcome = run(makeParser, split, normalize);
          if (!deepEqual(outcome, whole)) return `Whole: ${show(whole)}\n${label[0]?.toUpperCase()}${label.slice(1)}: ${show(outcome)}`;
        }
        return undefined;
      },
    },
    options,
    (options.examples ?? []).map((example): [Uint8Array, Uint8Array[]] => [example, [example]]),
  );
}
