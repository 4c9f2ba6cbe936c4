/**
 * The client side's incremental reader: bytes from the server in, complete
 * replies out, in any split. Multi-line replies (RFC 5321 §4.2.1) are
 * assembled; limits keep a hostile server from growing memory without end.
 *
 * @module
 */
import { decodeLine } from "./ascii.js";
import type { ReplyError } from "./errors.js";
import { limit, Limits } from "./limits.js";
import { assembleReply, parseReplyLine, type Reply, type ReplyLine } from "./reply.js";

/** A complete reply was read. */
export interface ReplyEvent {
  /** The event type. */
  readonly type: "reply";
  /** The reply. */
  readonly reply: Reply;
  /**
   * Whether more input had already arrived after it. After the 220 to
   * STARTTLS that is a server trying to inject replies into the TLS session
   * (RFC 3207 §5; the mirror image of CVE-2011-0411): the client must abort.
   */
  readonly pipelined: boolean;
}

/** A line that is not a reply line, or a reply that breaks RFC 5321 §4.2. */
export interface ReplyInvalidEvent {
  /** The event type. */
  readonly type: "reply-invalid";
  /** Why. */
  readonly error: ReplyError;
  /** The offending line (undecodable bytes shown as U+FFFD), without its ending. */
  readonly line: string;
}

/**
 * A reply line exceeded `maxLineLength`. It is reported as soon as that is
 * certain (the limit plus two octets read without a line ending, or a line
 * ending after the limit plus one octets that are not a CR), not when the line
 * ends: a server that streams an endless line must not keep a client reading
 * until its timeout. The rest of the line is discarded as it arrives, and the
 * reply it belonged to is dropped. The replies that follow may then be out of
 * step with the commands: a client should treat this as fatal and close.
 */
export interface ReplyLineTooLongEvent {
  /** The event type. */
  readonly type: "line-too-long";
  /** Always `LineTooLong`. */
  readonly situation: "LineTooLong";
  /**
   * The octets of the line read when it was found too long: always the
   * limit plus two, whatever the line's full length (which may never be
   * known) and however the bytes were split.
   */
  readonly length: number;
}

/** `end()` was called in the middle of a reply. */
export interface ReplyTruncatedEvent {
  /** The event type. */
  readonly type: "input-truncated";
  /** Always `reply`. */
  readonly mode: "reply";
}

/** Everything a {@link ReplyReader} reports. */
export type ReplyReaderEvent = ReplyEvent | ReplyInvalidEvent | ReplyLineTooLongEvent | ReplyTruncatedEvent;

/** Limits of {@link ReplyReader}. */
export interface ReplyReaderOptions {
  /**
   * The longest reply line in octets, ending excluded. RFC 5321 §4.5.3.1.5
   * gives 512 with CRLF; real servers exceed it a little. Default 4096.
   */
  readonly maxLineLength?: number;
  /** The most lines in one reply. Default 256 (EHLO replies have about 20). */
  readonly maxLines?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads server replies incrementally.
 *
 * @example
 * ```ts
 * import { ReplyReader } from "@smtpkit/grammar";
 * const reader = new ReplyReader();
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * reader.push(bytes("250-mx.example.com\r\n250-PIPE"));   // []
 * reader.push(bytes("LINING\r\n250 SIZE 1000\r\n"));
 * // [{ type: "reply", reply: { code: 250, lines: ["mx.example.com", "PIPELINING", "SIZE 1000"] }, pipelined: false }]
 * ```
 */
export class ReplyReader {
  readonly #maxLine: number;
  readonly #maxLines: number;
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  /** Inside a line already reported too long: its octets are dropped up to its LF. */
  #discarding = false;
  #lines: ReplyLine[] = [];
  #skipping = false;

  /**
   * @param options - limits
   */
  constructor(options: ReplyReaderOptions = {}) {
    this.#maxLine = limit("maxLineLength", options.maxLineLength, Limits.replyLine, 3);
    this.#maxLines = limit("maxLines", options.maxLines, Limits.replyLines);
  }

  /** Octets of an unfinished line held. */
  get buffered(): number {
    return this.#partialLength;
  }

  /**
   * Feeds received bytes.
   *
   * @param bytes - the next bytes from the server
   * @returns the events these bytes complete (often none)
   */
  push(bytes: Uint8Array): readonly ReplyReaderEvent[] {
    const events: ReplyReaderEvent[] = [];
    let position = 0;
    for (;;) {
      const lf = bytes.indexOf(LF, position);
      if (lf < 0) {
        if (this.#accumulate(bytes.subarray(position))) events.push(this.#tooLong());
        return events;
      }
      if (this.#discarding) {
        this.#discarding = false;
        position = lf + 1;
        continue;
      }
      let line: Uint8Array;
      if (this.#partialLength === 0) {
        line = bytes.subarray(position, lf);
      } else {
        line = new Uint8Array(this.#partialLength + lf - position);
        let offset = 0;
        for (const part of this.#partial) {
          line.set(part, offset);
          offset += part.length;
        }
        line.set(bytes.subarray(position, lf), offset);
        this.#partial = [];
        this.#partialLength = 0;
      }
      position = lf + 1;
      const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
      if (end > this.#maxLine) {
        events.push(this.#tooLong());
        continue;
      }
      const event = this.#line(line, end, position < bytes.length);
      if (event !== undefined) events.push(event);
    }
  }

  /**
   * The server closed the connection.
   *
   * @returns an `input-truncated` event when a reply was cut short
   */
  end(): readonly ReplyReaderEvent[] {
    const unfinished = this.#partialLength > 0 || this.#lines.length > 0 || this.#discarding;
    this.#partial = [];
    this.#partialLength = 0;
    this.#lines = [];
    this.#discarding = false;
    return unfinished ? [{ type: "input-truncated", mode: "reply" }] : [];
  }

  /**
   * Takes the octets of an unfinished line, leaving none (after the 220 to
   * STARTTLS these must be empty: anything else is injected).
   *
   * @returns the held octets (a copy)
   */
  takeBuffered(): Uint8Array {
    const out = new Uint8Array(this.#partialLength);
    let offset = 0;
    for (const part of this.#partial) {
      out.set(part, offset);
      offset += part.length;
    }
    this.#partial = [];
    this.#partialLength = 0;
    return out;
  }

  /** Holds the octets of an unfinished line; returns true when they have just passed the limit. */
  #accumulate(bytes: Uint8Array): boolean {
    if (bytes.length === 0 || this.#discarding) return false;
    this.#partial.push(bytes.slice());
    this.#partialLength += bytes.length;
    // maxLine octets plus a CR may still end well; one more cannot.
    if (this.#partialLength <= this.#maxLine + 1) return false;
    this.#discarding = true;
    this.#partial = [];
    this.#partialLength = 0;
    return true;
  }

  #tooLong(): ReplyLineTooLongEvent {
    this.#lines = [];
    return { type: "line-too-long", situation: "LineTooLong", length: this.#maxLine + 2 };
  }

  #line(bytes: Uint8Array, end: number, pipelined: boolean): ReplyReaderEvent | undefined {
    const text = decodeLine(bytes, 0, end);
    if (text === undefined) {
      this.#lines = [];
      return {
        type: "reply-invalid",
        error: { reason: "not-utf8", message: "Reply line is not valid UTF-8" },
        line: new TextDecoder().decode(bytes.subarray(0, end)),
      };
    }
    const parsed = parseReplyLine(text);
    if (!parsed.ok) {
      this.#lines = [];
      return { type: "reply-invalid", error: parsed.error, line: text };
    }
    const line = parsed.line;
    const first = this.#lines[0];
    if (this.#skipping) {
      if (line.last) this.#skipping = false;
      return undefined;
    }
    if (first !== undefined && first.code !== line.code) {
      this.#lines = [];
      if (!line.last) this.#skipping = true;
      return {
        type: "reply-invalid",
        error: { reason: "code-mismatch", message: "Every line of a reply has the same code (RFC 5321 §4.2.1)" },
        line: text,
      };
    }
    this.#lines.push(line);
    if (!line.last) {
      if (this.#lines.length >= this.#maxLines) {
        this.#lines = [];
        this.#skipping = true;
        return {
          type: "reply-invalid",
          error: { reason: "too-many-lines", message: `Reply longer than ${this.#maxLines} lines` },
          line: text,
        };
      }
      return undefined;
    }
    const reply = assembleReply(this.#lines);
    this.#lines = [];
    return { type: "reply", reply, pipelined };
  }
}
