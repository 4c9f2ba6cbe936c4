/**
 * The message content handed to the `onMessage` hook: an async iterable of
 * the bytes the session unstuffs, with backpressure toward the socket.
 *
 * The session hands out `message-chunk` events as fast as bytes arrive; this
 * queue holds them until the hook reads them and asks the connection to stop
 * reading from the socket while more than `highWaterMark` bytes wait, so a
 * slow store never makes the server buffer a whole message in memory.
 *
 * Does not: copy the chunks (Node never reuses a `data` buffer), or parse
 * anything.
 *
 * @module
 */

/** Bytes waiting in the content queue before the socket is paused: 256 KiB. */
export const DEFAULT_CONTENT_HIGH_WATER_MARK = 256 * 1024;

const abortedMarker = Symbol.for("@smtpkit/server/MessageAbortedError");

/**
 * Thrown into the `onMessage` hook's iteration when the message is aborted
 * (too big, bare line ending, RSET, connection closed). The client has not
 * been told the message was accepted, so dropping it loses nothing.
 *
 * @example
 * ```ts
 * import { MessageAbortedError } from "@smtpkit/server";
 * MessageAbortedError.isInstance(new MessageAbortedError("too-big")); // true
 * ```
 */
export class MessageAbortedError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "MessageAbortedError" as const;
  /** Why the session aborted the message: `too-big`, `bare-line-ending`, `nul`, `chunk-refused`, `reset` or `closed`. */
  readonly reason: string;
  private readonly [abortedMarker] = true;

  /**
   * True for any `MessageAbortedError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `MessageAbortedError`
   */
  static isInstance(value: unknown): value is MessageAbortedError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[abortedMarker] === true;
  }

  /**
   * @param reason - the session's `message-aborted` reason
   */
  constructor(reason: string) {
    super(`The message was aborted: ${reason}.`);
    this.name = "MessageAbortedError";
    this.reason = reason;
  }
}

/** One message's content, fed by the connection and read once by the hook. */
export class MessageContent implements AsyncIterable<Uint8Array> {
  readonly #highWaterMark: number;
  readonly #onPressure: (paused: boolean) => void;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #ended = false;
  #error: Error | undefined;
  #discarding = false;
  #paused = false;
  #iterated = false;
  #wake: (() => void) | undefined;

  /**
   * @param highWaterMark - bytes held before `onPressure(true)`
   * @param onPressure - told `true` to stop reading from the socket, `false` to resume
   */
  constructor(highWaterMark: number, onPressure: (paused: boolean) => void) {
    this.#highWaterMark = highWaterMark;
    this.#onPressure = onPressure;
  }

  /** Bytes received but not yet read by the consumer. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a chunk (ignored once ended, failed or discarding).
   *
   * @param chunk - bytes of the message
   */
  push(chunk: Uint8Array): void {
    if (this.#ended || this.#error !== undefined || this.#discarding || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    this.#notify();
    if (!this.#paused && this.#bytes >= this.#highWaterMark) this.#setPaused(true);
  }

  /** The message is complete: the iteration ends after the last chunk. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /**
   * The message was aborted: the iteration throws `error`.
   *
   * @param error - what the consumer sees
   */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#error = error;
    this.#drop();
  }

  /** The consumer is gone (its hook settled early): drop what is held and whatever follows. */
  discard(): void {
    this.#discarding = true;
    this.#drop();
  }

  #drop(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#bytes = 0;
    if (this.#paused) this.#setPaused(false);
    this.#notify();
  }

  #setPaused(paused: boolean): void {
    this.#paused = paused;
    this.#onPressure(paused);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Iterates the content once.
   *
   * @returns the chunks in order
   * @throws {@link MessageAbortedError} when the message is aborted; a plain `Error` on a second iteration
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterated) throw new Error("The message content can be read only once.");
    this.#iterated = true;
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#head < this.#chunks.length) {
        const chunk = this.#chunks[this.#head] as Uint8Array;
        this.#head += 1;
        if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
          this.#chunks = this.#chunks.slice(this.#head);
          this.#head = 0;
        }
        this.#bytes -= chunk.length;
        // Resume at half the mark so the socket does not flap on every chunk.
        if (this.#paused && this.#bytes <= this.#highWaterMark / 2) this.#setPaused(false);
        yield chunk;
        continue;
      }
      if (this.#ended || this.#discarding) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
