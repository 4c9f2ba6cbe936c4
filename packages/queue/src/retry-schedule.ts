/**
 * When to try a recipient again after a temporary failure, when to give up,
 * and when to warn the sender of a delay.
 *
 * RFC 5321 §4.5.4.1: "the retry interval SHOULD be at least 30 minutes" and
 * "retries continue until the message is transmitted or the sender gives up;
 * the give-up time generally needs to be at least 4-5 days". The default
 * waits 30 minutes, then 1, 2 and 4 hours, and every 4 hours after that,
 * and gives up after 5 days (Postfix: `maximal_queue_lifetime = 5d`). The
 * delay warning (RFC 3461 `NOTIFY=DELAY`) goes out after 4 hours, as
 * sendmail's `Timeout.queuewarn` (Postfix's `delay_warning_time` is off by default).
 *
 * @module
 */
import { checkLimit, QueueUsageError } from "./queue-usage-error.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A retry schedule.
 *
 * @example
 * ```ts
 * // For tests: retry after 1 s, 2 s, then every 4 s; give up after a minute; warn after 3 s.
 * const schedule: RetrySchedule = { delays: [1000, 2000, 4000], giveUpAfter: 60_000, delayWarningAfter: 3000 };
 * ```
 */
export interface RetrySchedule {
  /** Wait after the n-th failed attempt is `delays[n-1]`; the last value repeats. At least one value. */
  readonly delays: readonly number[];
  /** Time since arrival after which a recipient that still fails temporarily is failed for good. */
  readonly giveUpAfter: number;
  /** Time since arrival after which a still-pending recipient gets one delay notice; `null`: never. */
  readonly delayWarningAfter: number | null;
}

/**
 * The default schedule: 30 min, 1 h, 2 h, 4 h (then every 4 h); give up after 5 days; warn after 4 hours.
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY_SCHEDULE } from "@smtpkit/queue";
 * DEFAULT_RETRY_SCHEDULE.delays[0]; // 1800000
 * ```
 */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = Object.freeze({
  delays: Object.freeze([30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR]),
  giveUpAfter: 5 * DAY,
  delayWarningAfter: 4 * HOUR,
});

/**
 * Fills a partial schedule from the default and checks it.
 *
 * @param schedule - the parts to change
 * @returns the complete schedule
 * @throws {@link QueueUsageError} for an empty `delays`, or a value that is not a non-negative integer
 * @example
 * ```ts
 * import { resolveRetrySchedule } from "@smtpkit/queue";
 * resolveRetrySchedule({ delays: [100, 200] }).giveUpAfter; // 432000000
 * ```
 */
export function resolveRetrySchedule(schedule: Partial<RetrySchedule> = {}): RetrySchedule {
  const delays = schedule.delays ?? DEFAULT_RETRY_SCHEDULE.delays;
  if (!Array.isArray(delays) || delays.length === 0) {
    throw new QueueUsageError("invalid-option", "retry.delays", delays, "retry.delays must list at least one wait in milliseconds.");
  }
  delays.forEach((delay, index) => checkLimit(`retry.delays[${index}]`, delay, 0));
  const giveUpAfter = checkLimit("retry.giveUpAfter", schedule.giveUpAfter ?? DEFAULT_RETRY_SCHEDULE.giveUpAfter, 0);
  const warning = schedule.delayWarningAfter === undefined ? DEFAULT_RETRY_SCHEDULE.delayWarningAfter : schedule.delayWarningAfter;
  const delayWarningAfter = warning === null ? null : checkLimit("retry.delayWarningAfter", warning, 0);
  return { delays: [...delays], giveUpAfter, delayWarningAfter };
}

/**
 * The wait after a given number of failed attempts.
 *
 * @param schedule - the schedule
 * @param attempts - failed attempts so far (1 after the first)
 * @returns milliseconds
 * @example
 * ```ts
 * import { DEFAULT_RETRY_SCHEDULE, retryDelay } from "@smtpkit/queue";
 * retryDelay(DEFAULT_RETRY_SCHEDULE, 9); // 14400000 (the last value repeats)
 * ```
 */
export function retryDelay(schedule: RetrySchedule, attempts: number): number {
  const index = Math.min(Math.max(attempts, 1), schedule.delays.length) - 1;
  return schedule.delays[index] as number;
}
