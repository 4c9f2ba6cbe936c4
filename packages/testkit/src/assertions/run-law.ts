/**
 * The shared engine of the assertions: run a property with fast-check, and
 * turn a failure into a {@link TestkitError} naming the law, showing the
 * shrunk counterexample and how to replay it. Internal.
 *
 * @module
 */
import fc from "fast-check";
import { TestkitError, checkInteger, type LawName } from "../testkit-error.js";

/** Options every assertion takes. */
export interface LawRunOptions {
  /** How many generated inputs to try, 1–100 000 (default: fast-check's global setting, 100 unless configured). */
  readonly numRuns?: number;
  /** The seed, to replay a failure. */
  readonly seed?: number;
  /** The counterexample path, to replay a failure together with `seed`. */
  readonly path?: string;
}

/** What a law says, and how to describe a counterexample. */
export interface Law<T> {
  readonly name: LawName;
  /** The law in words, for the message. */
  readonly statement: string;
  /** Returns `undefined` when `value` keeps the law, or a description of how it breaks it. */
  readonly check: (value: T) => string | undefined;
  /** The counterexample, shown. */
  readonly show: (value: T) => string;
}

/** Runs `law` over `arbitrary` (and `examples` first); throws a {@link TestkitError} with the shrunk counterexample when broken. */
export function runLaw<T>(arbitrary: fc.Arbitrary<T>, law: Law<T>, options: LawRunOptions = {}, examples: readonly T[] = []): void {
  // Unset options fall back to fast-check's global configuration (`fc.configureGlobal`), as in `fc.assert`.
  const parameters: fc.Parameters<[T]> = { examples: examples.map((example): [T] => [example]) };
  if (options.numRuns !== undefined) parameters.numRuns = checkInteger("numRuns", options.numRuns, 1, 100_000);
  if (options.seed !== undefined) parameters.seed = options.seed;
  if (options.path !== undefined) parameters.path = options.path;
  const details = fc.check(
    fc.property(arbitrary, (value) => law.check(value) === undefined),
    parameters,
  );
  if (!details.failed) return;
  if (details.counterexample === null) {
    throw new TestkitError("law-broken", `Law broken: ${law.name}: the run failed without a counterexample (${String(details.errorInstance)})`, {
      law: law.name,
      counterexample: undefined,
      seed: details.seed,
      path: details.counterexamplePath ?? undefined,
    });
  }
  const [value] = details.counterexample;
  const how = law.check(value) ?? "the law failed on this input during the run but not when checked again (is the code under test deterministic?)";
  const path = details.counterexamplePath ?? undefined;
  const message = [
    `Law broken: ${law.name}: ${law.statement}`,
    `Counterexample: ${law.show(value)}`,
    how,
    `Shrunk ${details.numShrinks} time(s). Replay with { seed: ${details.seed}${path === undefined ? "" : `, path: ${JSON.stringify(path)}`} }.`,
  ].join("\n");
  throw new TestkitError("law-broken", message, { law: law.name, counterexample: value, seed: details.seed, path });
}

/** A short description of a thrown value. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `a non-Error value: ${fc.stringify(error)}`;
}
