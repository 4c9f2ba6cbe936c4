/**
 * The round-trip law: `decode(encode(value))` equals `value` for every
 * generated value. The law every serializer/parser pair of smtpkit keeps
 * (commands, replies, xtext, base64, MIME), as a one-line assertion.
 *
 * @module
 */
import fc from "fast-check";
import { deepEqual } from "../internal/equality.js";
import { describeThrown, runLaw, type LawRunOptions } from "./run-law.js";

/** Options of {@link assertRoundTrip}. */
export interface RoundTripOptions<T> extends LawRunOptions {
  /** How to compare a decoded value with the original (default: deep structural equality). */
  readonly equals?: (decoded: T, original: T) => boolean;
  /**
   * Values of your own to try first (a regression case, say). When the
   * arbitrary can shrink values without context (every arbitrary of this
   * package marked so), a failing example is shrunk too.
   */
  readonly examples?: readonly T[];
}

/**
 * Asserts the round-trip law: for every value of `arbitrary`,
 * `decode(encode(value))` equals `value`. Neither function may throw.
 *
 * @param arbitrary - the values to try
 * @param encode - the serializer
 * @param decode - the parser
 * @param options - runs, seed, equality
 * @throws {@link TestkitError} (`law-broken`, law `round-trip`) with the shrunk counterexample, what it encoded to and what came back
 * @example
 * ```ts
 * import { parseReply, serializeReply } from "@smtpkit/grammar";
 * import { assertRoundTrip, reply } from "@smtpkit/testkit";
 * assertRoundTrip(reply(), serializeReply, (wire) => {
 *   const result = parseReply(wire);
 *   if (!result.ok) throw new Error(result.error.message);
 *   return result.reply;
 * });
 * ```
 */
export function assertRoundTrip<T, E>(
  arbitrary: fc.Arbitrary<T>,
  encode: (value: T) => E,
  decode: (encoded: E) => T,
  options: RoundTripOptions<T> = {},
): void {
  const equals = options.equals ?? deepEqual;
  runLaw(
    arbitrary,
    {
      name: "round-trip",
      statement: "decode(encode(value)) must equal value",
      show: (value) => fc.stringify(value),
      check: (value) => {
        let encoded: E;
        try {
          encoded = encode(value);
        } catch (error) {
          return `encode threw ${describeThrown(error)}`;
        }
        let decoded: T;
        try {
          decoded = decode(encoded);
        } catch (error) {
          return `Encoded: ${fc.stringify(encoded)}\ndecode threw ${describeThrown(error)}`;
        }
        return equals(decoded, value) ? undefined : `Encoded: ${fc.stringify(encoded)}\nDecoded: ${fc.stringify(decoded)}`;
      },
    },
    options,
    options.examples,
  );
}
