/**
 * A box for credentials (passwords, tokens, client responses that carry or
 * let an eavesdropper attack them) that keeps them out of logs: the value sits
 * in a private field, and `JSON.stringify`, `String()`, template literals and
 * Node's `util.inspect` all show `[redacted]`.
 *
 * @module
 */

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");
const marker = Symbol.for("@smtpkit/session/Redacted");

/**
 * A value that must never reach a log. Call {@link Redacted.reveal} at the one
 * place that needs it (the credential check, the socket write).
 *
 * @typeParam Value - what is boxed: a `string` (password, token) or a `Uint8Array` (a response)
 * @example
 * ```ts
 * import { Redacted } from "@smtpkit/session";
 * const password = new Redacted("hunter2");
 * JSON.stringify({ password }); // '{"password":"[redacted]"}'
 * password.reveal();            // "hunter2"
 * ```
 */
export class Redacted<Value> {
  readonly #value: Value;
  private readonly [marker] = true;

  /**
   * @param value - the secret to box
   */
  constructor(value: Value) {
    this.#value = value;
  }

  /**
   * Returns the secret itself. Do not log the result.
   *
   * @returns the boxed value
   * @example
   * ```ts
   * new Redacted("s3cret").reveal(); // "s3cret"
   * ```
   */
  reveal(): Value {
    return this.#value;
  }

  /**
   * What `JSON.stringify` writes.
   *
   * @returns `"[redacted]"`
   * @example
   * ```ts
   * JSON.stringify(new Redacted("x")); // '"[redacted]"'
   * ```
   */
  toJSON(): string {
    return "[redacted]";
  }

  /**
   * What string conversion gives.
   *
   * @returns `"[redacted]"`
   * @example
   * ```ts
   * `${new Redacted("x")}`; // "[redacted]"
   * ```
   */
  toString(): string {
    return "[redacted]";
  }

  /** What Node's `util.inspect` (and so `console.log`) shows. */
  [inspectSymbol](): string {
    return "[redacted]";
  }

  /**
   * True for any `Redacted`, even one from another installed copy of this package.
   *
   * @param value - anything
   * @returns whether `value` is a `Redacted`
   * @example
   * ```ts
   * Redacted.isInstance(new Redacted(1)); // true
   * ```
   */
  static isInstance(value: unknown): value is Redacted<unknown> {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
