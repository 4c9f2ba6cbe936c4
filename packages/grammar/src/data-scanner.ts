/**
 * The DATA content reader (RFC 5321 §4.1.1.4, §4.5.2): finds the end of data
 * and removes dot-stuffing, over input split anywhere. Knows nothing of
 * commands or sessions; the command reader drives it.
 *
 * SMTP smuggling (SEC Consult, December 2023: CVE-2023-51764 Postfix,
 * CVE-2023-51765 Sendmail, CVE-2023-51766 Exim; CVE-2024-27305 aiosmtpd)
 * works when a receiver ends the data on something other than
 * `<CRLF>.<CRLF>` (`<LF>.<LF>`, `<LF>.<CRLF>`, `<CRLF>.<LF>`, `<CR>.<CR>`,
 * `<CRLF>.<CR>`...) that the sending server passed on as content. This
 * scanner has one definition of a line, whatever the policy: a line ends at
 * CRLF and nowhere else. So:
 *
 * - the end of data is `<CRLF>.<CRLF>` (the start of DATA counts as a CRLF)
 *   and nothing else, whatever the split of the bytes;
 * - a dot is unstuffed only at the start of a line, that is after CRLF;
 * - a bare CR or bare LF never ends a line. What becomes of it is the policy:
 *   - `reject` (the default, like Postfix's `smtpd_forbid_bare_newline =
 *     reject` but without dropping the connection): content passes unchanged,
 *     the data is read on to the real end, and the end event names the
 *     `BareLineEnding` situation so the session answers 550 instead of 250
 *     and stays in step with the client;
 *   - `normalize`: each bare CR and bare LF becomes CRLF in the content handed
 *     out (it still ends nothing, and a dot after it is content, not stuffing);
 *   - `accept`: passed through unchanged and not counted.
 *
 * Speed: under `accept` the scan jumps from one `<CRLF>.` to the next. Under
 * `reject` and `normalize`, one WebAssembly SIMD pass (where it runs, for
 * inputs up to 256 KiB) over the rest of an input finds every `<CRLF>.` and
 * tells whether a bare CR or LF lies there; native `lastIndexOf` jumps tell
 * whether a line is over the limit. When neither, the policies have nothing
 * to do and the scan jumps as under `accept`; otherwise (or without
 * WebAssembly) it goes from LF to LF and CR to CR and counts exactly. Both
 * paths give the same events. Content is handed out as `subarray`s of the
 * input: nothing is copied unless bytes must be dropped or inserted, and
 * even then only the small pieces around them (unless they are many and
 * small: see `maxPiecesPerInput`).
 *
 * @module
 */
import { indexOfByte, indexOfSequence, lastIndexOfByte, lineEndScanner, type LineEndScanner } from "./byte-search.js";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const NUL = 0;
const CRLF_DOT = Uint8Array.of(CR, LF, DOT);

/** What the scanner holds back between two inputs. */
const enum Tail {
  /** In the middle of a line, last byte not CR. */
  None,
  /** Last byte was CR (already handed out unless normalizing: a CR is content whatever follows). */
  Cr,
  /** At the start of a line (after CRLF, or at the start of data). */
  LineStart,
  /** A "." at the start of a line, held back: stuffing or the end. */
  Dot,
  /** ".<CR>" at the start of a line, held back. */
  DotCr,
}

/** The end of DATA content. */
export interface DataEndEvent {
  /** The event type. */
  readonly type: "data-end";
  /** Octets of content handed out (after unstuffing and any normalizing). */
  readonly size: number;
  /**
   * The situation to answer with instead of 250, when the content broke a
   * rule the reader enforces: `BareLineEnding` (550 5.5.2) for a bare CR or
   * LF under the `reject` policy, `NulInData` (550 5.6.0) for a NUL octet
   * when `rejectNul` is set. `undefined` when the content is acceptable.
   */
  readonly violation: "BareLineEnding" | "NulInData" | undefined;
  /** Bare CRs seen (counted under `reject` and `normalize`). */
  readonly bareCarriageReturns: number;
  /** Bare LFs seen (counted under `reject` and `normalize`). */
  readonly bareLineFeeds: number;
  /**
   * Lines longer than 1000 octets with CRLF as sent (RFC 5321 §4.5.3.1.6),
   * counted under `reject` and `normalize`. Not refused: Postfix and most
   * receivers accept them; a relay must rewrap before sending them on.
   */
  readonly longLines: number;
}

/** A piece of message content (DATA after unstuffing, or a BDAT chunk). */
export interface DataChunkEvent {
  /** The event type. */
  readonly type: "data-chunk";
  /**
   * The octets; a `subarray` of the bytes given to `push` wherever possible.
   * Valid as long as the caller does not reuse that input buffer.
   */
  readonly data: Uint8Array;
}

/** What to do with a bare CR or bare LF inside DATA (see the module documentation). */
export type BareLineEndingPolicy = "reject" | "normalize" | "accept";

/** Options of the scanner. Internal. */
export interface DataScannerOptions {
  readonly policy: BareLineEndingPolicy;
  readonly rejectNul: boolean;
  /** Use the WebAssembly fast path where it runs (default true; the tests turn it off to compare). */
  readonly fastPath?: boolean;
}

/** RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
const textLineLimit = 1000;

/**
 * Pieces from one input are merged into one chunk when there are more than
 * this many AND fewer than `minBytesPerPiece` octets of input per piece on
 * average: the events (and their memory) stay bounded by a small fraction
 * of the input, without copying ordinary text whose few dot lines split it.
 */
const maxPiecesPerInput = 16;

/** See `maxPiecesPerInput`: at most one event per this many octets of input beyond the first 16. */
const minBytesPerPiece = 512;


/** Scans DATA content. Internal; driven by the command reader. */
export class DataScanner {
  #tail = Tail.LineStart;
  #size = 0;
  #bareCr = 0;
  #bareLf = 0;
  #nul = false;
  #longLines = 0;
  /** Octets of the current line in earlier inputs. */
  #carry = 0;
  readonly #check: boolean;
  readonly #normalize: boolean;
  readonly #rejectNul: boolean;
  readonly #fast: LineEndScanner | undefined;
  #pieces: Uint8Array[] = [];
  /** Set when the last `scan` found the end of data; cleared by `reset`. */
  ended = false;

  constructor(options: DataScannerOptions) {
    this.#check = options.policy !== "accept";
    this.#normalize = options.policy === "normalize";
    this.#rejectNul = options.rejectNul;
    this.#fast = options.fastPath === false ? undefined : lineEndScanner();
  }

  /** Starts a new message. */
  reset(): void {
    this.ended = false;
    this.#tail = Tail.LineStart;
    this.#size = 0;
    this.#bareCr = 0;
    this.#bareLf = 0;
    this.#nul = false;
    this.#longLines = 0;
    this.#carry = 0;
  }

  /**
   * Under `normalize`, once an input needs a byte inserted, its content is
   * written here instead of being handed out as pieces (2 × the input + 4
   * octets at most): a run of bare line endings costs no piece per byte.
   */
  #out: Uint8Array | undefined = undefined;
  #outLength = 0;
  /** The length of the input being scanned. */
  #inputLength = 0;

  /** Hands out `buf[from..to)` (a view, or copied into `#out`). */
  #copy(buf: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    const out = this.#out;
    if (out === undefined) {
      this.#pieces.push(buf.subarray(from, to));
    } else if (to - from < 32) {
      let o = this.#outLength;
      for (let k = from; k < to; k += 1) out[o++] = buf[k] as number;
      this.#outLength = o;
    } else {
      out.set(buf.subarray(from, to), this.#outLength);
      this.#outLength += to - from;
    }
  }

  /** Adds one or two octets that are not in the input (normalizing, or a held CR). */
  #put(first: number, second = -1): void {
    let out = this.#out;
    if (out === undefined) {
      // Everything handed out from this input so far moves into the buffer.
      out = new Uint8Array(2 * this.#inputLength + 4);
      let o = 0;
      for (const piece of this.#pieces) {
        out.set(piece, o);
        o += piece.length;
      }
      this.#pieces = [];
      this.#out = out;
      this.#outLength = o;
    }
    out[this.#outLength++] = first;
    if (second >= 0) out[this.#outLength++] = second;
  }

  /** Hands out the pieces of this input as events (merged when there are many). */
  #flush(events: (DataChunkEvent | DataEndEvent)[], inputLength: number): void {
    const out = this.#out;
    if (out !== undefined) {
      this.#out = undefined;
      const data = out.subarray(0, this.#outLength);
      if (data.length > 0) {
        this.#size += data.length;
        events.push({ type: "data-chunk", data });
      }
      return;
    }
    const pieces = this.#pieces;
    if (pieces.length === 0) return;
    if (pieces.length <= maxPiecesPerInput || pieces.length <= Math.floor(inputLength / minBytesPerPiece)) {
      for (const data of pieces) {
        this.#size += data.length;
        events.push({ type: "data-chunk", data });
      }
    } else {
      let total = 0;
      for (const piece of pieces) total += piece.length;
      const data = new Uint8Array(total);
      let offset = 0;
      for (const piece of pieces) {
        data.set(piece, offset);
        offset += piece.length;
      }
      this.#size += total;
      events.push({ type: "data-chunk", data });
    }
    this.#pieces = [];
  }

  #end(events: (DataChunkEvent | DataEndEvent)[], inputLength: number): void {
    this.#flush(events, inputLength);
    const bare = this.#bareCr + this.#bareLf > 0;
    events.push({
      type: "data-end",
      size: this.#size,
      violation: bare && this.#check && !this.#normalize ? "BareLineEnding" : this.#nul ? "NulInData" : undefined,
      bareCarriageReturns: this.#bareCr,
      bareLineFeeds: this.#bareLf,
      longLines: this.#longLines,
    });
    this.reset();
    this.ended = true;
  }

  /**
   * Scans `buf`, appending events. Returns how many bytes were consumed:
   * all of them, or fewer when the end of data was found (the rest belongs
   * to the commands after it).
   */
  scan(buf: Uint8Array, events: (DataChunkEvent | DataEndEvent)[]): number {
    const consumed = this.#scan(buf, events);
    if (this.#rejectNul && !this.#nul) {
      // Only the consumed part is content; a NUL after the end is the next command's problem.
      const nul = indexOfByte(buf, NUL, 0);
      if (nul >= 0 && nul < consumed) {
        if (this.ended) {
          const end = events[events.length - 1] as DataEndEvent;
          if (end.violation === undefined) events[events.length - 1] = { ...end, violation: "NulInData" };
        } else {
          this.#nul = true;
        }
      }
    }
    if (!this.ended) this.#flush(events, buf.length);
    return consumed;
  }

  /** Counts a line ended by the CRLF whose LF is at `lf`, begun at `begin` (after earlier inputs' `#carry`). */
  #lineEnd(lf: number, begin: number): void {
    if (this.#carry + lf + 1 - begin > textLineLimit) this.#longLines += 1;
    this.#carry = 0;
  }

  #scan(buf: Uint8Array, events: (DataChunkEvent | DataEndEvent)[]): number {
    const length = buf.length;
    if (length === 0) return 0;
    const consumed = this.#scanLines(buf, events);
    // The octets of the unfinished line count towards its length.
    if (this.#check && !this.ended) this.#carry += length - this.#begin;
    return consumed;
  }

  /** Where the current line began in the current input. */
  #begin = 0;

  /**
   * Whether `buf[from..]` holds no bare CR, no bare LF and no line over the
   * limit (given the line begun before `from`), so that nothing but "<CRLF>."
   * needs handling there. When it does, the line accounting for the whole
   * rest is done here and the positions of "<CRLF>." are in `#dots`.
   * `from` is in the middle of a line, not at a line start still to be examined.
   */
  #cleanRest(buf: Uint8Array, from: number, scanner: LineEndScanner): boolean {
    const length = buf.length;
    const count = length - from;
    // Too big for the scanner, or an LF first (bare unless a CR before it, which the plain path judges).
    if (count < 2 || count > scanner.capacity || buf[from] === LF) return false;
    scanner.memory.set(buf.subarray(from), 0);
    // One pass: every "<CRLF>." and whether every pair inside has a CR
    // followed by LF and an LF preceded by CR. The first byte is not an LF;
    // a CR last is held by the tail, as on the plain path.
    const dots = this.#dots;
    dots.length = 0;
    scanner.takeMismatch();
    for (let at = scanner.find(0, count); at >= 0; at = scanner.find(at + 2, count)) dots.push(at + from);
    if (scanner.takeMismatch() !== 0) return false;
    // RFC 5321 §4.5.3.1.6: every line ended in the rest is at most `textLineLimit`
    // octets; jump from line end to line end, at most `textLineLimit` ahead.
    let previous = this.#begin - 1 - this.#carry; // where the line before the current one ended
    for (;;) {
      const reach = previous + textLineLimit;
      if (reach >= length - 1) break;
      if (reach < from) return false;
      const lf = lastIndexOfByte(buf, LF, reach);
      if (lf < from || lf <= previous) return false; // a long line: the plain path counts it
      previous = lf;
    }
    const last = lastIndexOfByte(buf, LF, length - 1);
    if (last >= from) {
      this.#begin = last + 1;
      this.#carry = 0;
    }
    return true;
  }

  /** Where "<CRLF>." occurs in the rest of the input, when {@link #cleanRest} said yes. */
  readonly #dots: number[] = [];

  #scanLines(buf: Uint8Array, events: (DataChunkEvent | DataEndEvent)[]): number {
    const length = buf.length;
    this.#inputLength = length;
    this.#begin = 0;
    let i = 0; // where scanning resumes
    let segment = 0; // start of the content not yet handed out
    let lineStart = -1; // index of a line start to examine, or -1

    switch (this.#tail) {
      case Tail.None:
        break;
      case Tail.Cr:
        if (buf[0] === LF) {
          lineStart = 1;
          if (this.#check) {
            this.#lineEnd(0, 0);
            this.#begin = 1;
          }
        } else if (this.#check) {
          this.#bareCr += 1;
          if (this.#normalize) this.#put(LF);
        }
        break;
      case Tail.LineStart:
        lineStart = 0;
        break;
      case Tail.Dot:
        if (buf[0] === CR) {
          if (length === 1) {
            this.#tail = Tail.DotCr;
            return 1;
          }
          if (buf[1] === LF) {
            this.#end(events, length);
            return 2;
          }
        }
        // A stuffed dot: dropped. What follows is scanned as content.
        break;
      case Tail.DotCr:
        if (buf[0] === LF) {
          this.#end(events, length);
          return 1;
        }
        // ".<CR>x": the dot was stuffing, the CR is bare content.
        if (this.#check) this.#bareCr += 1;
        if (this.#normalize) this.#put(CR, LF);
        else this.#put(CR);
        break;
    }
    this.#tail = Tail.None;

    const check = this.#check;
    const normalize = this.#normalize;
    // The fast path: once the rest of this input is known to hold no bare CR,
    // no bare LF and no line over the limit, the policies have nothing to do
    // and the scan jumps from one "<CRLF>." to the next, as under `accept`.
    const scanner = check ? this.#fast : undefined;
    let fastTried = scanner === undefined;
    let fast = false; // the rest of the input is clean: "<CRLF>." positions in `#dots`
    let dot = 0; // the next of them
    let cr = -2; // cached position of the next CR at or after `i` (-1: none in this input)
    for (;;) {
      if (lineStart >= 0) {
        // `lineStart` follows a CRLF: a "." there is stuffing or the end.
        const d = lineStart;
        lineStart = -1;
        if (d === length) {
          this.#copy(buf, segment, length);
          this.#tail = Tail.LineStart;
          return length;
        }
        if (buf[d] === DOT) {
          this.#copy(buf, segment, d);
          if (d + 1 === length) {
            this.#tail = Tail.Dot;
            return length;
          }
          if (buf[d + 1] === CR) {
            if (d + 2 === length) {
              this.#tail = Tail.DotCr;
              return length;
            }
            if (buf[d + 2] === LF) {
              this.#end(events, length);
              return d + 3;
            }
          }
          segment = d + 1; // drop the stuffed dot
          i = d + 1;
        } else {
          i = d;
        }
      }
      if (!fastTried) {
        fastTried = true;
        fast = this.#cleanRest(buf, i, scanner as LineEndScanner);
      }
      if (!check || fast) {
        // accept (or a clean rest): only "<CRLF>." matters; jump from one to the next.
        let found: number;
        if (fast) {
          const dots = this.#dots;
          while (dot < dots.length && (dots[dot] as number) < i) dot += 1;
          found = dot < dots.length ? (dots[dot] as number) : -1;
        } else {
          found = indexOfSequence(buf, CRLF_DOT, i);
        }
        if (found >= 0) {
          lineStart = found + 2;
          continue;
        }
        this.#copy(buf, segment, length);
        const last = buf[length - 1];
        this.#tail = last === CR ? Tail.Cr : last === LF && length >= 2 && buf[length - 2] === CR ? Tail.LineStart : Tail.None;
        return length;
      }
      const lf = indexOfByte(buf, LF, i);
      // An LF at index 0 never ends a line here: the byte before it, in the
      // previous input, was not a CR (a held CR is resolved before the loop).
      const crlf = lf > 0 && buf[lf - 1] === CR;
      // Every CR in [i, limit) is bare: the CR of a CRLF is not, nor is a CR
      // that ends the input (the next input decides).
      const limit = lf < 0 ? length - 1 : crlf ? lf - 1 : lf;
      if (cr !== -1 && cr < i) cr = indexOfByte(buf, CR, i);
      while (cr !== -1 && cr < limit) {
        this.#bareCr += 1;
        if (normalize) {
          this.#copy(buf, segment, cr + 1);
          this.#put(LF);
          segment = cr + 1;
        }
        cr = indexOfByte(buf, CR, cr + 1);
      }
      if (lf < 0) {
        this.#copy(buf, segment, length);
        this.#tail = buf[length - 1] === CR ? Tail.Cr : Tail.None;
        return length;
      }
      if (!crlf) {
        this.#bareLf += 1;
        if (normalize) {
          this.#copy(buf, segment, lf);
          this.#put(CR, LF);
          segment = lf + 1;
        }
        i = lf + 1;
        continue;
      }
      this.#lineEnd(lf, this.#begin);
      this.#begin = lf + 1;
      lineStart = lf + 1;
    }
  }
}
