/**
 * The one error type `@smtpkit/server` throws: only when the embedding
 * program misuses the API (an invalid limit, a malformed CIDR in the trusted
 * list, a time that is not a date). Bytes and names that arrive from the
 * network never throw; they give typed results.
 *
 * @module
 */

const marker = Symbol.for("@smtpkit/server/ServerUsageError");

/** What the calling program got wrong. */
export type ServerUsageErrorReason =
  | "invalid-limit"
  | "invalid-option"
  | "invalid-cidr"
  | "invalid-domain"
  | "invalid-time";

/**
 * Thrown when a program passes a value that cannot be right: a limit that is
 * not a positive integer, a trusted network that is not a CIDR, a local domain
 * that is not a domain.
 *
 * Use {@link ServerUsageError.isInstance} rather than `instanceof`: it still
 * works when two copies of the package are installed.
 *
 * @example
 * ```ts
 * import { ServerUsageError, createRelayPolicy } from "@smtpkit/server";
 * try {
 *   createRelayPolicy({ localDomains: ["example.org"], trustedNetworks: ["10.0.0.0/33"] });
 * } catch (error) {
 *   if (ServerUsageError.isInstance(error)) console.log(error.reason); // "invalid-cidr"
 * }
 * ```
 */
export class ServerUsageError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "ServerUsageError" as const;
  /** What was wrong. */
  readonly reason: ServerUsageErrorReason;
  /** The option or parameter at fault, for example `"staleTmpAgeMilliseconds"`. */
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
  constructor(reason: ServerUsageErrorReason, option: string, value: unknown, message: string) {
    super(message);
    this.name = "ServerUsageError";
    this.reason = reason;
    this.option = option;
    this.value = value;
  }

  /**
   * True for any `ServerUsageError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `ServerUsageError`
   * @example
   * ```ts
   * ServerUsageError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is ServerUsageError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/**
 * Checks a configured limit: a positive safe integer (or at least `minimum`).
 * Throws instead of silently switching the limit off.
 *
 * @internal
 */
export function checkLimit(option: string, value: number, minimum = 1, maximum = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new ServerUsageError(
      "invalid-limit",
      option,
      value,
      `${option} must be an integer from ${minimum} to ${maximum}, got ${String(value)}`,
    );
  }
  return value;
}
