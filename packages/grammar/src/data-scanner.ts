/**
 * The DATA content reader (RFC 5321 §4.1.1.4, §4.5.2): finds the end of data
 * and removes dot-stuffing, over input split anywhere.
 *
 * SMTP smuggling (SEC Consult, December 2023: CVE-2023-51764 Postfix,
 * CVE-2023-51765 Sendmail, CVE-2023-51766 Exim; CVE-2024-27305 aiosmtpd)
 * works when a receiver ends the data on something other than
 * `<CRLF>.<CRLF>` — `<LF>.<LF>`, `<LF>.<CRLF>`, `<CRLF>.<LF>`, `<CR>.<CR>`,
 * `<CR><LF>.<CR>` — which the sender passed through as content. This scanner
 * has one definition of a line, whatever the policy: a line ends at CRLF and
 * nowhere else. So:
 *
 * - the end of data is `<CRLF>.<CRLF>` (or `.<CRLF>` as the very first line)
 *   and nothing else;
 * - a dot is unstuffed only at the start of a line, that is after CRLF;
 * - a bare CR or bare LF is content. Under the `reject` policy it is counted,
 *   the data is read on to the real end, and the end event names the
 *   `BareLineEnding` situation so the session answers 550 instead of 250 and
 *   stays in step with the client (Postfix's `smtpd_forbid_bare_newline`
 *   does the same). Under `accept` it is passed through unchanged.
 *
 * Speed: the scan jumps from LF to LF with `indexOf` (and, under `reject`,
 * from CR to CR), and content is handed out as `subarray`s of the input: no
 * byte is copied unless a stuffed dot has to be dropped between two pieces.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** What the scanner holds back between two inputs. */
const enum Tail {
  /** In the middle of a line, last byte not CR. */
  None,
  /** Last byte was CR (already handed out: a CR is content whatever follows). */
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
  /** Octets of content handed out (after unstuffing). */
  readonly size: number;
  /**
   * `BareLineEnding` when the policy is `reject` and a bare CR or LF was
   * seen: answer with that situation (550 5.5.2), not 250.
   */
  readonly violation: "BareLineEnding" | undefined;
  /** Bare CRs seen (counted under the `reject` policy only). */
  readonly bareCarriageReturns: number;
  /** Bare LFs seen (counted under the `reject` policy only). */
  readonly bareLineFeeds: number;
}

/** A piece of message content (DATA, after unstuffing, or a BDAT chunk). */
export interface DataChunkEvent {
  /** The event type. */
  readonly type: "data-chunk";
  /**
   * The octets; a `subarray` of the bytes given to `push` wherever possible.
   * Valid as long as the caller does not reuse that input buffer.
   */
  readonly data: Uint8Array;
}

/** What to do with bare CR and bare LF inside DATA. */
export type BareLineEndingPolicy = "reject" | "accept";

/** Scans DATA content. Internal; driven by the command reader. */
export class DataScanner {
  #tail = Tail.LineStart;
  #size = 0;
  #bareCr = 0;
  #bareLf = 0;
  readonly #check: boolean;
  /** Set when the last `scan` found the end of data; cleared by `reset`. */
  ended = false;

  constructor(policy: BareLineEndingPolicy) {
    this.#check = policy === "reject";
  }

  /** Starts a new message. */
  reset(): void {
    this.ended = false;
    this.#tail = Tail.LineStart;
    this.#size = 0;
    this.#bareCr = 0;
    this.#bareLf = 0;
  }

  #emit(events: (DataChunkEvent | DataEndEvent)[], data: Uint8Array): void {
    if (data.length === 0) return;
    this.#size += data.length;
    events.push({ type: "data-chunk", data });
  }

  #end(events: (DataChunkEvent | DataEndEvent)[]): void {
    const bare = this.#bareCr + this.#bareLf > 0;
    events.push({
      type: "data-end",
      size: this.#size,
      violation: bare && this.#check ? "BareLineEnding" : undefined,
      bareCarriageReturns: this.#bareCr,
      bareLineFeeds: this.#bareLf,
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
    const length = buf.length;
    if (length === 0) return 0;
    let i = 0; // where scanning resumes
    let segment = 0; // start of the content not yet handed out
    let lineStart = -1; // index of a line start to examine, or -1
    const check = this.#check;

    switch (this.#tail) {
      case Tail.None:
        break;
      case Tail.Cr:
        if (buf[0] === LF) {
          lineStart = 1;
        } else if (check) {
          this.#bareCr += 1;
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
            this.#end(events);
            return 2;
          }
        }
        // A stuffed dot: dropped. What follows is scanned as content.
        break;
      case Tail.DotCr:
        if (buf[0] === LF) {
          this.#end(events);
          return 1;
        }
        // ".<CR>x": the dot was stuffing, the CR is bare content.
        this.#emit(events, Uint8Array.of(CR));
        if (check) this.#bareCr += 1;
        break;
    }
    this.#tail = Tail.None;

    let cr = -2; // cached position of the next CR at or after `i` (-1: none in this input)
    for (;;) {
      if (lineStart >= 0) {
        // `lineStart` follows a CRLF: a "." there is stuffing or the end.
        const d = lineStart;
        lineStart = -1;
        if (d === length) {
          this.#emit(events, buf.subarray(segment, length));
          this.#tail = Tail.LineStart;
          return length;
        }
        if (buf[d] === DOT) {
          this.#emit(events, buf.subarray(segment, d));
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
              this.#end(events);
              return d + 3;
            }
          }
          segment = d + 1; // drop the stuffed dot
          i = d + 1;
        } else {
          i = d;
        }
      }
      const lf = buf.indexOf(LF, i);
      // An LF at index 0 never ends a line: the byte before it, in the
      // previous input, was not a CR (a held CR is resolved before the loop).
      const crlf = lf > 0 && buf[lf - 1] === CR;
      if (check) {
        // Every CR in [i, stop) is bare except the one of a CRLF, and except
        // a CR that ends the input (decided by the next input).
        const limit = lf < 0 ? length - 1 : crlf ? lf - 1 : lf;
        if (cr !== -1 && cr < i) cr = buf.indexOf(CR, i);
        while (cr !== -1 && cr < limit) {
          this.#bareCr += 1;
          cr = buf.indexOf(CR, cr + 1);
        }
      }
      if (lf < 0) {
        this.#emit(events, buf.subarray(segment, length));
        this.#tail = buf[length - 1] === CR ? Tail.Cr : Tail.None;
        return length;
      }
      if (!crlf) {
        if (check) this.#bareLf += 1;
        i = lf + 1;
        continue;
      }
      lineStart = lf + 1;
    }
  }
}
