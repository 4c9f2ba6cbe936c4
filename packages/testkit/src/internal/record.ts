/**
 * `fc.record` producing plain objects (with `Object.prototype`), as the
 * parsers of `@smtpkit/grammar` and `@smtpkit/mime` return them, so that a
 * generated value and its parsed copy are deep-equal. Internal.
 *
 * @module
 */
import fc from "fast-check";

/** `fc.record` with `noNullPrototype: true` always set. */
export const record: typeof fc.record = ((model: never, constraints?: object) =>
  fc.record(model, { ...constraints, noNullPrototype: true })) as typeof fc.record;
