/**
 * The client side of DATA (RFC 5321 §4.1.1.4, §4.5.2): dot-stuffing, line
 * ending repair, and the `<CRLF>.<CRLF>` terminator.
 *
 * What goes out has CRLF line endings only. A bare CR becomes CRLF and a bare
 * LF becomes CRLF (RFC 5321 §2.3.8: they "MUST NOT" be sent otherwise), so
 * no receiver, however lenient, can find an end of data inside the content:
 * the encoder is the sending half of the defence against SMTP smuggling
 * (SEC Consult 2023), and a relay using it cannot be used to forward
 * `<LF>.<LF>` and friends. A "." at the start of a line is doubled.
 *
 * Every change is an insertion, so the encoder never holds bytes back: a
 * chunk that needs no change is returned as it is (no copy), and one that
 * does is copied once, in large pieces, into an array of the exact size.
 * Where WebAssembly SIMD runs, a chunk of up to 256 KiB is first checked in
 * one pass for bare CR and LF (finding every `<CRLF>.` on the way); when it
 * has none, only dots are inserted, without a search per line.
 *
 * @module
 */

import { indexOfByte, lineEndScanner } from "./byte-search.js";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

const terminatorAtLineStart = Uint8Array.of(DOT, CR, LF);
const terminatorMidLine = Uint8Array.of(CR, LF, DOT, CR, LF);
const terminatorAfterCr = Uint8Array.of(LF, DOT, CR, LF);

/**
 * Encodes message content for DATA, incrementally.
 *
 * @example
 * ```ts
 * import { DataEncoder } from "@smtpkit/grammar";
 * const encoder = new DataEncoder();
 * const text = (s: string) => new TextEncoder().encode(s);
 * encoder.push(text("Subject: x\r\n\r\n.hidden\n"));    // "Subject: x\r\n\r\n..hidden\r\n"
 * encoder.end();                                          // ".\r\n"
 * ```
 */
export class DataEncoder {
  #lineStart = true;
  #pendingCr = false;
  /** Insertion points of the current chunk: position × 4 + kind (0 ".", 1 CR, 2 LF). */
  readonly #insertions: number[] = [];
  #nul = false;
  #ended = false;

  /**
   * Whether the message (since the last `end()`, which leaves it readable) held a NUL octet. RFC 5322 §2.3 forbids NUL
   * in messages and RFC 6152 in 8BITMIME; only BDAT with BINARYMIME may carry
   * it. The encoder passes it on and flags it here, for the caller to refuse
   * or to switch to BDAT.
   */
  get containsNul(): boolean {
    return this.#nul;
  }

  /**
   * Encodes the next piece of content.
   *
   * @param chunk - message octets (any split; a CRLF may straddle two chunks)
   * @returns the octets to send: `chunk` itself when nothing had to change
   */
  push(chunk: Uint8Array): Uint8Array {
    const length = chunk.length;
    if (this.#ended) {
      this.#ended = false;
      this.#nul = false;
    }
    if (length === 0) return chunk;
    if (!this.#nul && indexOfByte(chunk, 0, 0) >= 0) this.#nul = true;
    const insertions = this.#insertions;
    insertions.length = 0;
    let i = 0;
    let lineStart = this.#lineStart;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (chunk[0] === LF) {
        i = 1;
      } else {
        insertions.push(2); // bare CR: add its LF before position 0
      }
      lineStart = true;
    }
    if (lineStart) {
      if (i < length) {
        if (chunk[i] === DOT) insertions.push(i * 4);
        lineStart = false;
      }
    }
    // The fast path: when the rest of the chunk holds no bare CR and no bare
    // LF (one WebAssembly pass, which also finds every "<CRLF>."), the only
    // changes are the dots to double after those CRLFs.
    const scanner = lineEndScanner();
    if (scanner !== undefined && length - i >= 2 && length - i <= scanner.capacity && chunk[i] !== LF) {
      const count = length - i;
      scanner.memory.set(chunk.subarray(i), 0);
      const before = insertions.length;
      scanner.takeMismatch();
      for (let at = scanner.find(0, count); at >= 0; at = scanner.find(at + 2, count)) insertions.push((at + i + 2) * 4);
      if (scanner.takeMismatch() === 0) {
        // Every CR inside is followed by LF and every LF inside preceded by CR;
        // the first byte is not an LF; a CR last waits for the next chunk.
        const last = chunk[length - 1];
        this.#pendingCr = last === CR;
        lineStart = last === LF;
        i = length;
      } else {
        insertions.length = before;
      }
    }
    let cr = -2;
    let lf = -2;
    while (i < length) {
      if (cr !== -1 && cr < i) cr = indexOfByte(chunk, CR, i);
      if (lf !== -1 && lf < i) lf = indexOfByte(chunk, LF, i);
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // CR at `cr`.
        if (cr + 1 === length) {
          this.#pendingCr = true;
          i = length;
          break;
        }
        if (chunk[cr + 1] === LF) {
          next = cr + 2;
        } else {
          next = cr + 1;
          insertions.push(next * 4 + 2); // bare CR: add LF after it
        }
      } else if (lf >= 0) {
        insertions.push(lf * 4 + 1); // bare LF: add CR before it
        next = lf + 1;
      } else {
        break;
      }
      if (next < length) {
        if (chunk[next] === DOT) insertions.push(next * 4);
      } else {
        lineStart = true;
      }
      i = next;
    }
    this.#lineStart = lineStart && !this.#pendingCr;
    if (insertions.length === 0) return chunk;
    const out = new Uint8Array(length + insertions.length);
    let from = 0;
    let o = 0;
    for (const entry of insertions) {
      const at = entry >>> 2;
      if (at > from) {
        out.set(chunk.subarray(from, at), o);
        o += at - from;
        from = at;
      }
      const kind = entry & 3;
      out[o++] = kind === 0 ? DOT : kind === 1 ? CR : LF;
    }
    out.set(chunk.subarray(from), o);
    return out;
  }

  /**
   * The same as {@link DataEncoder.push} (its first name, kept).
   *
   * @param chunk - message octets
   * @returns the octets to send
   */
  encode(chunk: Uint8Array): Uint8Array {
    return this.push(chunk);
  }

  /**
   * Ends the content: completes the last line if needed and adds the
   * terminator. The encoder is then ready for another message.
   *
   * @returns the final octets to send (`.\r\n`, `\r\n.\r\n` or `\n.\r\n`)
   */
  end(): Uint8Array {
    const out = this.#pendingCr ? terminatorAfterCr : this.#lineStart ? terminatorAtLineStart : terminatorMidLine;
    this.#lineStart = true;
    this.#pendingCr = false;
    this.#ended = true;
    return out.slice();
  }
}

/**
 * Encodes a whole message for DATA: dot-stuffed, CRLF only, terminated.
 *
 * @param content - the message (headers, blank line, body)
 * @returns the octets to send after the 354 reply
 * @example
 * ```ts
 * const out = encodeData(new TextEncoder().encode("a\n.\nb"));
 * new TextDecoder().decode(out); // "a\r\n..\r\nb\r\n.\r\n"
 * ```
 */
export function encodeData(content: Uint8Array): Uint8Array {
  const encoder = new DataEncoder();
  const body = encoder.push(content);
  const tail = encoder.end();
  const out = new Uint8Array(body.length + tail.length);
  out.set(body, 0);
  out.set(tail, body.length);
  return out;
}

/**
 * Creates a {@link DataEncoder}; the same as `new DataEncoder()`.
 *
 * @returns an encoder at the start of a message
 * @example
 * ```ts
 * const encoder = createDataEncoder();
 * encoder.push(new TextEncoder().encode(".\n")); // "..\r\n"
 * ```
 */
export function createDataEncoder(): DataEncoder {
  return new DataEncoder();
}
