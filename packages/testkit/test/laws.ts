// The law checklist every arbitrary of this package passes (fast-check's own
// checklist): same seed same value, only valid values, shrunk values still
// valid (with and without context), and user values shrink (unmapper).
import fc from "fast-check";
import { describe, expect, it } from "vitest";

export type Validator<T> = (value: T) => void;

function failure<T>(validate: Validator<T>, value: T): string | undefined {
  try {
    validate(value);
    return undefined;
  } catch (error) {
    return `${fc.stringify(value)}: ${(error as Error).message}`;
  }
}

export interface LawOptions {
  readonly numRuns?: number;
  /** Whether the arbitrary must shrink values it did not generate (map with unmapper, records). Default true. */
  readonly withoutContext?: boolean;
}

/**
 * Registers one `describe` block with a test per law for `make()`'s arbitrary.
 * `validate` throws (an expect failure) on an invalid value.
 */
export function describeLaws<T>(name: string, make: () => fc.Arbitrary<T>, validate: Validator<T>, options: LawOptions = {}): void {
  const numRuns = options.numRuns ?? 100;
  describe(`${name} obeys the arbitrary laws`, () => {
    it("gives the same values for the same seed", () => {
      for (const seed of [1, 42, -7, 2 ** 30]) {
        const first = fc.sample(make(), { seed, numRuns: 25 });
        const second = fc.sample(make(), { seed, numRuns: 25 });
        expect(second).toEqual(first);
      }
    });

    it("gives only valid values", () => {
      fc.assert(
        fc.property(make(), (value) => {
          validate(value);
        }),
        { numRuns },
      );
    });

    it("shrinks (with context) to valid values only", () => {
      const invalid: string[] = [];
      for (const seed of [3, 5, 8, 13, 21]) {
        // A property that fails on larger values, so that shrinking visits many candidates.
        const limit = 10 + (seed % 7) * 5;
        fc.check(
          fc.property(make(), (value) => {
            const problem = failure(validate, value);
            if (problem !== undefined) invalid.push(problem);
            return fc.stringify(value).length <= limit;
          }),
          { seed, numRuns: 30 },
        );
      }
      expect(invalid).toEqual([]);
    });

    if (options.withoutContext !== false) {
      it("shrinks values without context (values a user passes) to valid values", () => {
        const arbitrary = make();
        const values = fc.sample(arbitrary, { seed: 99, numRuns: 30 });
        const invalid: string[] = [];
        let shrunk = 0;
        for (const value of values) {
          expect(arbitrary.canShrinkWithoutContext(value), fc.stringify(value)).toBe(true);
          let count = 0;
          for (const candidate of arbitrary.shrink(value, undefined)) {
            const problem = failure(validate, candidate.value);
            if (problem !== undefined) invalid.push(problem);
            shrunk += 1;
            count += 1;
            if (count >= 15) break;
          }
        }
        expect(invalid).toEqual([]);
        // Some value must actually shrink, or the law above proves nothing.
        expect(shrunk).toBeGreaterThan(0);
      });
    }
  });
}
