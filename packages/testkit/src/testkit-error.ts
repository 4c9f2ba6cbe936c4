/**
 * The one error type of this package. It is thrown in two cases:
 *
 * - a property law was broken (`reason: "law-broken"`): an assertion such as
 *   {@link assertRoundTrip} found a counterexample, which the error carries
 *   with the law's name, the seed and the path that replay it;
 * - the calling program misused an arbitrary or assertion
 *   (`reason: "invalid-argument"`), for example a maximum domain length of 300.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/testkit/TestkitError");

/** The laws the ready-made assertions check. */
export type LawName = "round-trip" | "chunk-split-invariance" | "totality";

/** Why a {@link TestkitError} was thrown. */
export type TestkitErrorReason = "law-broken" | "invalid-argument";

/** What a broken law carries, for the error's fields. */
export interface LawFailure {
  /** The law that was broken. */
  readonly law: LawName;
  /** The (shrunk) input that breaks it. */
  readonly counterexample: unknown;
  /** The seed of the run, to replay it with `fc.assert(..., { seed, path })`. */
  readonly seed: number;
  /** The shrinking path of the counterexample, for the same replay. */
  readonly path: string | undefined;
}

/**
 * Thrown when a law is broken or when this package is misused.
 *
 * Use {@link TestkitError.isInstance} rather than `instanceof`: it works
 * across two installed copies of the package.
 *
 * @example
 * ```ts
 * import { assertTotal, TestkitError } from "@smtpkit/testkit";
 * try {
 *   assertTotal((bytes) => JSON.parse(new TextDecoder().decode(bytes)), () => false);
 * } catch (error) {
 *   if (TestkitError.isInstance(error)) console.log(error.law); // "totality"
 * }
 * ```
 */
export class TestkitError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "TestkitError" as const;
  /** What kind of failure. */
  readonly reason: TestkitErrorReason;
  /** The law broken, for `law-broken`. */
  readonly law: LawName | undefined;
  /** The shrunk counterexample, for `law-broken`. */
  readonly counterexample: unknown;
  /** The seed of the failing run, for `law-broken`. */
  readonly seed: number | undefined;
  /** The counterexample's path, for `law-broken`. */
  readonly path: string | undefined;
  private readonly [marker] = true;

  /**
   * @param reason - what kind of failure
   * @param message - a sentence for humans (for a broken law: the law, the counterexample and how to replay it)
   * @param failure - the law's details, for `law-broken`
   * @param options - the underlying error, if any
   */
  constructor(reason: TestkitErrorReason, message: string, failure?: LawFailure, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TestkitError";
    this.reason = reason;
    this.law = failure?.law;
    this.counterexample = failure?.counterexample;
    this.seed = failure?.seed;
    this.path = failure?.path;
  }

  /**
   * True for any `TestkitError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `TestkitError`
   * @example
   * ```ts
   * TestkitError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is TestkitError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** Throws a misuse error unless `value` is an integer in `[min, max]`. Internal. */
export function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TestkitError("invalid-argument", `${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
  return value;
}
