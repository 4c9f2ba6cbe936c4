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
import { GrammarError } from "./errors.js";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

const terminatorAtLineStart = Uint8Array.of(DOT, CR, LF);
const terminatorMidLine = Uint8Array.of(CR, LF, DOT, CR, LF);
const terminatorAfterCr = Uint8Array.of(LF, DOT, CR, LF);

/** Options of {@link DataEncoder}. */
export interface DataEncoderOptions {
  /**
   * What to do with a NUL octet in the content. RFC 5322 §2.3 forbids it in
   * messages, and a receiver that drops NULs would read `<CRLF><NUL>.<CRLF>`
   * as the end of data (SMTP smuggling); no encoding of it is faithful.
   * `"flag"` (the default) passes it on and sets
   * {@link DataEncoder.containsNul}, for the caller to refuse or switch to
   * BDAT; `"reject"` makes `push` throw a {@link GrammarError}
   * (`invalid-argument`) before emitting anything of that chunk.
   */
  readonly nul?: "flag" | "reject";
}

/** Initial room for the insertion points of one chunk (grows as needed, shrinks back after a large chunk). */
const initialInsertions = 64;

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
  /** Insertion points of the current chunk: position × 4 + kind (0 ".", 1 CR, 2 LF); `#count` of them. */
  #insertions = new Uint32Array(initialInsertions);
  #count = 0;
  #nul = false;
  #ended = false;
  readonly #rejectNul: boolean;

  /**
   * @param options - what to do with NUL octets (see {@link DataEncoderOptions})
   * @throws {@link GrammarError} (`invalid-argument`) for an unknown `nul` value
   */
  constructor(options: DataEncoderOptions = {}) {
    const nul = options.nul ?? "flag";
    if (nul !== "flag" && nul !== "reject") {
      throw new GrammarError("invalid-argument", `DataEncoder option nul must be "flag" or "reject", not ${JSON.stringify(nul)}`);
    }
    this.#rejectNul = nul === "reject";
  }

  #insert(entry: number): void {
    if (this.#count === this.#insertions.length) {
      const grown = new Uint32Array(this.#insertions.length * 2);
      grown.set(this.#insertions);
      this.#insertions = grown;
    }
    this.#insertions[this.#count++] = entry;
  }

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
   * @throws {@link GrammarError} (`invalid-argument`) for a NUL octet under `nul: "reject"`, before emitting any of `chunk`
   */
  push(chunk: Uint8Array): Uint8Array {
    const length = chunk.length;
    if (this.#ended) {
      this.#ended = false;
      this.#nul = false;
    }
    if (length === 0) return chunk;
    if ((this.#rejectNul || !this.#nul) && indexOfByte(chunk, 0, 0) >= 0) {
      if (this.#rejectNul) throw new GrammarError("invalid-argument", "DATA content holds a NUL octet (RFC 5322 §2.3); refused");
      this.#nul = true;
    }
    this.#count = 0;
    let i = 0;
    let lineStart = this.#lineStart;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (chunk[0] === LF) {
        i = 1;
      } else {
        this.#insert(2); // bare CR: add its LF before position 0
      }
      lineStart = true;
    }
    if (lineStart) {
      if (i < length) {
        if (chunk[i] === DOT) this.#insert(i * 4);
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
      const before = this.#count;
      scanner.takeMismatch();
      for (let at = scanner.find(0, count); at >= 0; at = scanner.find(at + 2, count)) this.#insert((at + i + 2) * 4);
      if (scanner.takeMismatch() === 0) {
        // Every CR inside is followed by LF and every LF inside preceded by CR;
        // the first byte is not an LF; a CR last waits for the next chunk.
        const last = chunk[length - 1];
        this.#pendingCr = last === CR;
        lineStart = last === LF;
        i = length;
      } else {
        this.#count = before;
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
          this.#insert(next * 4 + 2); // bare CR: add LF after it
        }
      } else if (lf >= 0) {
        this.#insert(lf * 4 + 1); // bare LF: add CR before it
        next = lf + 1;
      } else {
        break;
      }
      if (next < length) {
        if (chunk[next] === DOT) this.#insert(next * 4);
      } else {
        lineStart = true;
      }
      i = next;
    }
    this.#lineStart = lineStart && !this.#pendingCr;
    const count = this.#count;
    if (count === 0) return chunk;
    const insertions = this.#insertions;
    const out = new Uint8Array(length + count);
    let from = 0;
    let o = 0;
    for (let k = 0; k < count; k += 1) {
      const entry = insertions[k] as number;
      const at = entry >>> 2;
      if (at > from) {
        // Short runs byte by byte: no view allocated per insertion in a dense run.
        if (at - from < 32) {
          for (let b = from; b < at; b += 1) out[o++] = chunk[b] as number;
        } else {
          out.set(chunk.subarray(from, at), o);
          o += at - from;
        }
        from = at;
      }
      const kind = entry & 3;
      out[o++] = kind === 0 ? DOT : kind === 1 ? CR : LF;
    }
    if (insertions.length > 64 * 1024) this.#insertions = new Uint32Array(initialInsertions);
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
 * @param options - what to do with NUL octets (see {@link DataEncoderOptions})
 * @returns the octets to send after the 354 reply
 * @throws {@link GrammarError} (`invalid-argument`) for a NUL under `nul: "reject"`, or an unknown option value
 * @example
 * ```ts
 * const out = encodeData(new TextEncoder().encode("a\n.\nb"));
 * new TextDecoder().decode(out); // "a\r\n..\r\nb\r\n.\r\n"
 * ```
 */
export function encodeData(content: Uint8Array, options: DataEncoderOptions = {}): Uint8Array {
  const encoder = new DataEncoder(options);
  const body = encoder.push(content);
  const tail = encoder.end();
  const out = new Uint8Array(body.length + tail.length);
  out.set(body, 0);
  out.set(tail, body.length);
  return out;
}

/**
 * Creates a {@link DataEncoder}; the same as `new DataEncoder(options)`.
 *
 * @param options - what to do with NUL octets (see {@link DataEncoderOptions})
 * @returns an encoder at the start of a message
 * @throws {@link GrammarError} (`invalid-argument`) for an unknown option value
 * @example
 * ```ts
 * const encoder = createDataEncoder();
 * encoder.push(new TextEncoder().encode(".\n")); // "..\r\n"
 * ```
 */
export function createDataEncoder(options: DataEncoderOptions = {}): DataEncoder {
  return new DataEncoder(options);
}
