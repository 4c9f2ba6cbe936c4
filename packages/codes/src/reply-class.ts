/**
 * The meaning of a reply code's digits (RFC 5321 §4.2.1): the first digit is
 * the class, the second the category. Pure arithmetic, no tables.
 *
 * @module
 */
import { CodesError } from "./codes-error.js";

/**
 * The class a reply's first digit names (RFC 5321 §4.2.1). SMTP never sends
 * 1yz; it is listed so that any three-digit code can be described.
 */
export type ReplyClass =
  | "positive-preliminary"
  | "positive-completion"
  | "positive-intermediate"
  | "transient-negative"
  | "permanent-negative";

/**
 * The category a reply's second digit names (RFC 5321 §4.2.1).
 *
 * RFC 5321 leaves x3z and x4z "unspecified". RFC 4954 puts its authentication
 * replies (432, 530, 534, 535, 538) in x3z, the place RFC 959 gave to
 * "authentication and accounting", so x3z is named `authentication` here.
 */
export type ReplyCategory =
  | "syntax"
  | "information"
  | "connections"
  | "authentication"
  | "unspecified"
  | "mail-system";

const classes: readonly (ReplyClass | undefined)[] = [
  undefined,
  "positive-preliminary",
  "positive-completion",
  "positive-intermediate",
  "transient-negative",
  "permanent-negative",
];

const categories: readonly ReplyCategory[] = [
  "syntax",
  "information",
  "connections",
  "authentication",
  "unspecified",
  "mail-system",
];

/**
 * Checks that `code` is an integer of three digits (100–999).
 *
 * @param code - the value to check
 * @returns whether it is a three-digit integer
 * @example
 * ```ts
 * isThreeDigitCode(250); // true
 * isThreeDigitCode(25);  // false
 * ```
 */
export function isThreeDigitCode(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 999;
}

function requireThreeDigits(code: number): void {
  if (!isThreeDigitCode(code)) {
    throw new CodesError("invalid-reply-code", code, `A reply code has three digits (100-999), got ${String(code)}`);
  }
}

/**
 * The class of a reply code from its first digit (RFC 5321 §4.2.1), or
 * `undefined` when the first digit is 6 to 9 (no class: not a valid SMTP reply).
 *
 * @param code - a three-digit reply code
 * @returns the class, or `undefined` for a first digit above 5
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * replyClass(354); // "positive-intermediate"
 * replyClass(421); // "transient-negative"
 * ```
 */
export function replyClass(code: number): ReplyClass | undefined {
  requireThreeDigits(code);
  return classes[Math.floor(code / 100)];
}

/**
 * The category of a reply code from its second digit (RFC 5321 §4.2.1), or
 * `undefined` when the second digit is 6 to 9.
 *
 * @param code - a three-digit reply code
 * @returns the category, or `undefined` for a second digit above 5
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * replyCategory(421); // "connections"
 * replyCategory(550); // "mail-system"
 * ```
 */
export function replyCategory(code: number): ReplyCategory | undefined {
  requireThreeDigits(code);
  return categories[Math.floor(code / 10) % 10];
}

/**
 * True for 2yz and 3yz replies: the command was accepted (RFC 5321 §4.2.1).
 *
 * @param code - a three-digit reply code
 * @returns whether the reply is positive
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * isPositive(250); // true
 * isPositive(354); // true
 * isPositive(450); // false
 * ```
 */
export function isPositive(code: number): boolean {
  requireThreeDigits(code);
  return code >= 200 && code < 400;
}

/**
 * True for 4yz replies: the action failed, but the same command may succeed
 * later (RFC 5321 §4.2.1: "transient negative completion").
 *
 * @param code - a three-digit reply code
 * @returns whether the reply is a transient failure
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * isTransient(451); // true
 * ```
 */
export function isTransient(code: number): boolean {
  requireThreeDigits(code);
  return code >= 400 && code < 500;
}

/**
 * True for 5yz replies: the same command will fail again (RFC 5321 §4.2.1:
 * "permanent negative completion").
 *
 * @param code - a three-digit reply code
 * @returns whether the reply is a permanent failure
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * isPermanent(550); // true
 * ```
 */
export function isPermanent(code: number): boolean {
  requireThreeDigits(code);
  return code >= 500 && code < 600;
}

/**
 * True for 4yz and 5yz replies: the command failed.
 *
 * @param code - a three-digit reply code
 * @returns whether the reply is negative
 * @throws {@link CodesError} when `code` is not an integer from 100 to 999
 * @example
 * ```ts
 * isNegative(503); // true
 * ```
 */
export function isNegative(code: number): boolean {
  requireThreeDigits(code);
  return code >= 400 && code < 600;
}
