/**
 * Polling with a deadline: the one way the harness waits for asynchronous
 * effects it cannot observe directly (Postfix's queue delivering into a
 * Maildir, a process exiting, a port opening).
 *
 * @module
 */

import { InteropError } from "./interop-error.js";

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 000). */
  readonly timeout?: number;
  /** Poll every this many milliseconds (default 50). */
  readonly interval?: number;
  /** Named in the timeout error: what was awaited. */
  readonly description?: string;
}

/**
 * Calls `predicate` until it returns a value other than `false`, `undefined`
 * or `null`, and resolves with that value.
 *
 * @param predicate - sync or async check; a thrown error aborts the wait
 * @param options - timeout, interval, description
 * @returns the first truthy-ish result
 * @throws {@link InteropError} `timeout` when the deadline passes
 * @example
 * ```ts
 * const messages = await waitFor(async () => {
 *   const list = await postfix.messages();
 *   return list.length > 0 ? list : false;
 * }, { timeout: 10_000, description: "Postfix delivery" });
 * ```
 */
export async function waitFor<T>(
  predicate: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 50;
  if (!(timeout > 0) || !(interval > 0)) {
    throw new InteropError("invalid-option", "waitFor: timeout and interval must be positive numbers");
  }
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value !== false && value !== undefined && value !== null) return value;
    if (Date.now() >= deadline) {
      throw new InteropError("timeout", `timed out after ${timeout} ms waiting for ${options.description ?? "a condition"}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
