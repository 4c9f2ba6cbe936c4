/**
 * The clock and timer the queue schedules with, injectable so that tests
 * move time forward by hand instead of waiting 30 minutes for a retry.
 *
 * @module
 */

/**
 * What the queue needs of time: the current time and one-shot timers.
 *
 * @example
 * ```ts
 * // A hand-driven clock for tests:
 * let now = 0;
 * const timers = new Set<{ at: number; callback: () => void }>();
 * const clock: QueueClock = {
 *   now: () => now,
 *   setTimeout: (callback, milliseconds) => { const timer = { at: now + milliseconds, callback }; timers.add(timer); return timer; },
 *   clearTimeout: (handle) => { timers.delete(handle as { at: number; callback: () => void }); },
 * };
 * ```
 */
export interface QueueClock {
  /**
   * The current time.
   *
   * @returns milliseconds since the epoch
   */
  now(): number;
  /**
   * Calls `callback` once after `milliseconds`.
   *
   * @param callback - what to call
   * @param milliseconds - how long from now
   * @returns a handle for {@link QueueClock.clearTimeout}
   */
  setTimeout(callback: () => void, milliseconds: number): unknown;
  /**
   * Cancels a timer.
   *
   * @param handle - what {@link QueueClock.setTimeout} returned
   */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `Date.now` and Node's timers (unref'd, so a queue alone
 * does not keep the process alive).
 *
 * @example
 * ```ts
 * import { systemClock } from "@smtpkit/queue";
 * systemClock.now(); // 1764432000000
 * ```
 */
export const systemClock: QueueClock = {
  now: () => Date.now(),
  setTimeout(callback, milliseconds) {
    // Node caps timers at 2^31-1 ms; longer waits are re-armed by the scheduler's poll.
    const timer = setTimeout(callback, Math.min(Math.max(0, milliseconds), 2_147_483_647));
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
