/**
 * Counts the `Received:` header fields of a message as it streams past, for
 * the loop detection of RFC 5321 §6.3: "a relay [...] SHOULD [...] count the
 * number of Received header fields, and [...] if that number exceeds a
 * certain value, the message is undeliverable" (the RFC suggests the limit be
 * at least 100; Postfix's `hopcount_limit` is 50).
 *
 * A small state machine over the header section only (it stops at the first
 * empty line), with no buffering, so chunk boundaries cannot change the count.
 * A field name is matched case-insensitively and may be followed by spaces or
 * tabs before the colon (RFC 5322 §4.5.3 obsolete syntax, which real trace
 * fields still use). Lines may end in CRLF or a bare LF.
 *
 * Does not: parse the fields, or look into the body.
 *
 * @module
 */

const NAME = new TextEncoder().encode("received");
const LF = 0x0a;
const CR = 0x0d;

/** The default most `Received:` fields before a message is a loop: 100 (RFC 5321 §6.3's suggested floor). */
export const DEFAULT_MAX_HOPS = 100;

/**
 * A `Received:` counter fed chunk by chunk.
 *
 * @example
 * ```ts
 * import { createReceivedCounter } from "@smtpkit/queue";
 * const counter = createReceivedCounter();
 * counter.push(new TextEncoder().encode("Received: from a\r\nReceived: from b\r\n\r\nbody"));
 * counter.count; // 2
 * ```
 */
export interface ReceivedCounter {
  /**
   * Feeds the next bytes of the message.
   *
   * @param chunk - the bytes
   */
  push(chunk: Uint8Array): void;
  /** `Received:` fields seen so far. */
  readonly count: number;
  /** Whether the end of the header section has been seen. */
  readonly headerEnded: boolean;
}

/**
 * Makes a {@link ReceivedCounter}.
 *
 * @returns a counter at the start of a message
 * @example
 * ```ts
 * import { createReceivedCounter } from "@smtpkit/queue";
 * const counter = createReceivedCounter();
 * for (const chunk of [new TextEncoder().encode("RECEIVED :x\r\n"), new TextEncoder().encode("\r\n")]) counter.push(chunk);
 * counter.count; // 1
 * ```
 */
export function createReceivedCounter(): ReceivedCounter {
  let count = 0;
  let done = false;
  // matched: 0..8 letters of "received" matched at the start of this line;
  // 8 = the whole name, now skipping blanks up to the colon; -1 = no match.
  let matched = 0;
  let lineHasContent = false;
  return {
    push(chunk) {
      if (done) return;
      for (let index = 0; index < chunk.length; index += 1) {
        const byte = chunk[index] as number;
        if (byte === LF) {
          if (!lineHasContent) {
            done = true;
            return;
          }
          matched = 0;
          lineHasContent = false;
          continue;
        }
        if (byte === CR && !lineHasContent) continue;
        lineHasContent = true;
        if (matched < 0) continue;
        if (matched < NAME.length) {
          // ASCII letters only: OR 0x20 lowers A-Z and leaves a-z alone.
          const lowered = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
          matched = lowered === NAME[matched] ? matched + 1 : -1;
        } else if (byte === 0x3a) {
          count += 1;
          matched = -1;
        } else if (byte !== 0x20 && byte !== 0x09) {
          matched = -1;
        }
      }
    },
    get count() {
      return count;
    },
    get headerEnded() {
      return done;
    },
  };
}
