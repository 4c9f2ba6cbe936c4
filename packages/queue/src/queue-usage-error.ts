/**
 * The one error type `@smtpkit/queue` throws: only when the embedding program
 * misuses the API (a limit that is not a positive integer, an entry without
 * recipients, `enqueue` after `close`). What the disk or the network does
 * never throws: a full disk is a typed `enqueue` result, a corrupt spool file
 * is set aside and logged, a remote refusal is a recipient state.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/queue/QueueUsageError");

/** What the calling program got wrong. */
export type QueueUsageErrorReason =
  /** A limit that is not an integer in its range. */
  | "invalid-limit"
  /** An option of the wrong type or shape. */
  | "invalid-option"
  /** An envelope that cannot be queued (no recipients, an address with CR or LF...). */
  | "invalid-envelope"
  /** A call the queue's state does not allow (`enqueue` after `close`). */
  | "wrong-state"
  /** Another live process holds the spool directory. */
  | "spool-locked";

/**
 * Thrown when a program passes a value that cannot be right, or calls the
 * queue in a state that does not allow it.
 *
 * Use {@link QueueUsageError.isInstance} rather than `instanceof`: it still
 * works when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { QueueUsageError, openQueue } from "@smtpkit/queue";
 * try {
 *   await openQueue({ directory: "./queue", hostname: "mta.example.com", maxConcurrentDeliveries: 0 });
 * } catch (error) {
 *   if (QueueUsageError.isInstance(error)) console.log(error.reason, error.option); // "invalid-limit" "maxConcurrentDeliveries"
 * }
 * ```
 */
export class QueueUsageError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "QueueUsageError" as const;
  /** What was wrong. */
  readonly reason: QueueUsageErrorReason;
  /** The option or parameter at fault, for example `"maxConcurrentDeliveries"`. */
  readonly option: string;
  /** The offending value, as given. */
  readonly value: unknown;
  private readonly [marker] = true;

  /**
   * @param reason - what was wrong
   * @param option - the option or parameter at fault
   * @param value - the offending value
   * @param message - a sentence for humans
   */
  constructor(reason: QueueUsageErrorReason, option: string, value: unknown, message: string) {
    super(message);
    this.name = "QueueUsageError";
    this.reason = reason;
    this.option = option;
    this.value = value;
  }

  /**
   * True for any `QueueUsageError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `QueueUsageError`
   * @example
   * ```ts
   * QueueUsageError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is QueueUsageError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/**
 * Checks a configured limit: a safe integer from `minimum` to `maximum`.
 * Throws instead of silently switching the limit off.
 *
 * @internal
 */
export function checkLimit(option: string, value: number, minimum = 1, maximum = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new QueueUsageError("invalid-limit", option, value, `${option} must be an integer from ${minimum} to ${maximum}, got ${String(value)}.`);
  }
  return value;
}
