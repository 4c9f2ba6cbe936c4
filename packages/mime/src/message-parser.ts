/**
 * The streaming MIME parser: give it bytes with `push(chunk)` as they
 * arrive, take the events it returns, call `end()` when the input ends.
 *
 * - Parts are found per RFC 2046 §5.1.1: a boundary delimiter is a line that
 *   starts with `--` and the boundary; the line end before it belongs to the
 *   delimiter; `--` after the boundary closes the multipart; text before the
 *   first delimiter (preamble) and after the close (epilogue) is kept.
 *   Lenient as real parsers are: bare LF line ends, anything after a
 *   boundary followed by whitespace, a missing close delimiter, parts without
 *   header blocks, boundaries of enclosing multiparts closing inner ones.
 * - `message/rfc822` and `message/global` (RFC 6532 §3.7) bodies are parsed
 *   as messages, inline; `multipart/digest` parts default to `message/rfc822`
 *   (RFC 2046 §5.1.5).
 * - Bodies are decoded from base64 or quoted-printable as they stream; the
 *   events carry decoded bytes. Charsets are left to the consumer
 *   ({@link decodeCharset}).
 * - Memory is bounded by the largest header block (`maxHeaderBytes`), never
 *   by the size of a body: bodies are passed on as they come, and only a
 *   line start that may be a boundary is held back.
 *
 * No I/O, no timers; "need more data" is simply an empty event list.
 *
 * @module
 */
import { expectBytes } from "./argument-checks.js";
import { createBase64Decoder, type ByteDecoder } from "./base64.js";
import { ByteBuilder, emptyBytes, utf8 } from "./bytes.js";
import { splitHeaderFields, type HeaderField } from "./headers.js";
import { resolveLimits, type LimitName, type ParserLimits } from "./limits.js";
import { MimeError } from "./mime-error.js";
import { describePart, type PartInfo } from "./part-info.js";
import { createQuotedPrintableDecoder } from "./quoted-printable.js";

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const bytesCR = new Uint8Array([CR]);
const bytesLF = new Uint8Array([LF]);
const bytesCRLF = new Uint8Array([CR, LF]);

/** A part begins: its header block has been read. */
export interface PartStartEvent {
  /** A stable tag. */
  readonly type: "part-start";
  /** Where the part is: `[]` for the message, `[1, 0]` for the first child of the second child. An embedded message is child 0 of its `message/rfc822` part. */
  readonly path: readonly number[];
  /** Its header fields, raw bytes and offsets included. */
  readonly headers: readonly HeaderField[];
  /** What the header fields say about the body. */
  readonly info: PartInfo;
  /**
   * How the body is read: `"leaf"` (decoded bytes follow as `part-body`), `"multipart"`
   * (child parts follow), `"message"` (an embedded message follows as child 0). A
   * multipart without a usable boundary, or any container beyond `maxDepth`, is a leaf.
   */
  readonly structure: "leaf" | "multipart" | "message";
  /** Offset of the header block's first byte in the whole input. */
  readonly offset: number;
  /** Offset of the body's first byte (after the blank line). */
  readonly bodyOffset: number;
  /** True when header fields were skipped because of `maxHeaderBytes` or `maxHeaderCount`. */
  readonly headersTruncated: boolean;
}

/** Decoded bytes of a leaf part's body. They may share memory with the pushed chunk. */
export interface PartBodyEvent {
  /** A stable tag. */
  readonly type: "part-body";
  /** The part's path. */
  readonly path: readonly number[];
  /** The next decoded bytes. */
  readonly bytes: Uint8Array;
}

/** Raw bytes of a multipart's preamble (before its first delimiter) or epilogue (after its close). */
export interface MultipartTextEvent {
  /** A stable tag. */
  readonly type: "preamble" | "epilogue";
  /** The multipart's path. */
  readonly path: readonly number[];
  /** The next raw bytes. */
  readonly bytes: Uint8Array;
}

/** A part ends. */
export interface PartEndEvent {
  /** A stable tag. */
  readonly type: "part-end";
  /** The part's path. */
  readonly path: readonly number[];
  /** Offset just past the body's last byte (the line end before a boundary is not part of the body). */
  readonly bodyEnd: number;
  /** Decoded size of a leaf's body in bytes (0 for multiparts and messages). */
  readonly size: number;
  /** For a multipart: whether its close delimiter was seen. */
  readonly closed: boolean;
}

/** A limit was hit and input was skipped (only when `onLimit` is `"truncate"`, the default). */
export interface LimitEvent {
  /** A stable tag. */
  readonly type: "limit-exceeded";
  /** Which limit. */
  readonly limit: LimitName;
  /** The part being read when it was hit. */
  readonly path: readonly number[];
}

/** Everything the streaming parser reports. */
export type MessageEvent = PartStartEvent | PartBodyEvent | MultipartTextEvent | PartEndEvent | LimitEvent;

/** Options of {@link createMessageParser}. */
export interface MessageParserOptions extends ParserLimits {
  /**
   * What a limit hit does: `"truncate"` (default) skips the excess and
   * reports a `limit-exceeded` event; `"error"` throws a {@link MimeError}
   * with reason `limit-exceeded` from `push` or `end`.
   */
  readonly onLimit?: "truncate" | "error";
}

/** The streaming parser. */
export interface MessageParser {
  /**
   * Parses the next bytes.
   * @param chunk - the next bytes of the message
   * @returns the events they complete (possibly none)
   * @throws {@link MimeError} `parser-closed` after `end()` or after a limit error; `limit-exceeded` when `onLimit` is `"error"`
   */
  push(chunk: Uint8Array): MessageEvent[];
  /**
   * Ends the input: closes every open part.
   * @returns the last events
   * @throws {@link MimeError} `parser-closed` when called twice; `limit-exceeded` when `onLimit` is `"error"`
   */
  end(): MessageEvent[];
}

type FrameKind = "leaf" | "multipart" | "message" | "pending";

interface Frame {
  readonly path: readonly number[];
  kind: FrameKind;
  boundary: Uint8Array;
  children: number;
  phase: "preamble" | "children" | "epilogue";
  decoder: ByteDecoder | undefined;
  size: number;
  digest: boolean;
}

const enum Mode {
  Header,
  Body,
  SkipLine,
  Stopped,
}

/**
 * The longest boundary used. RFC 2046 §5.1.1 allows 70 characters; real
 * mail stays far below 998 (the line limit), and the parser holds up to a
 * boundary's length of a line start, so a longer one is not followed.
 */
const maxBoundaryLength = 998;

function isUsableBoundary(boundary: string | undefined): boolean {
  return boundary !== undefined && boundary.length > 0 && boundary.length <= maxBoundaryLength;
}

const needMore = -2;
const noBoundary = -1;

class StreamingMessageParser implements MessageParser {
  private readonly limits: Required<ParserLimits>;
  private readonly throwOnLimit: boolean;
  private events: MessageEvent[] = [];
  private readonly frames: Frame[] = [];
  /** Indexes into `frames` of the multiparts whose boundary is live, innermost last. */
  private readonly boundaryFrames: number[] = [];
  private mode: Mode = Mode.Header;
  private closed = false;
  /** Absolute offset of the next byte pushed. */
  private offset = 0;
  /** Bytes held at a line start that may be a boundary. */
  private readonly carry = new ByteBuilder(64);
  /**
   * How long the held line start must grow before any live boundary can be told to match or
   * not (set with the carry). Shorter pushes are only appended to it, so that a line start fed
   * one byte at a time costs O(1) per byte instead of one re-match of the whole prefix per byte.
   */
  private carryNeed = 0;
  /** Set by matchBoundary when it answers needMore: the line length it needs, from the line start. */
  private need = 0;
  // Header state.
  private readonly header = new ByteBuilder(2048);
  private headerStart = 0;
  private headerLineStart = 0;
  private headerOverflow = false;
  // Body state.
  private atLineStart = true;
  /** A line end (or a CR that may start one) not yet passed on: it belongs to a boundary if one follows. */
  private pendingEol: Uint8Array = emptyBytes;
  private parts = 0;
  private decoded = 0;
  private afterSkip: Mode = Mode.Body;
  /** Set by end(): the input is complete. */
  private atEnd = false;

  constructor(options: MessageParserOptions) {
    if (typeof options !== "object" || options === null) throw new MimeError("invalid-limit", options, "the options must be an object");
    this.limits = resolveLimits(options);
    if (options.onLimit !== undefined && options.onLimit !== "truncate" && options.onLimit !== "error") {
      throw new MimeError("invalid-limit", "onLimit", 'onLimit must be "truncate" or "error"');
    }
    this.throwOnLimit = options.onLimit === "error";
    this.openPart([], false);
  }

  push(chunk: Uint8Array): MessageEvent[] {
    if (this.closed) throw new MimeError("parser-closed", undefined, "push() after end()");
    expectBytes(chunk, "a chunk");
    if (chunk.length === 0) return this.takeEvents();
    if (this.carry.length > 0 && this.carry.length + chunk.length < this.carryNeed) {
      // Still too short to decide anything: hold it with the rest of the line start.
      this.carry.append(chunk);
      this.offset += chunk.length;
      return this.takeEvents();
    }
    this.process(chunk, false);
    return this.takeEvents();
  }

  end(): MessageEvent[] {
    if (this.closed) throw new MimeError("parser-closed", undefined, "end() called twice");
    this.process(emptyBytes, true);
    this.atEnd = true;
    if (this.mode === Mode.Header && this.header.length > 0) this.finishHeader(this.offset);
    if (this.pendingEol.length > 0) {
      const eol = this.pendingEol;
      this.pendingEol = emptyBytes;
      this.content(eol);
    }
    this.closeFrames(0, this.offset);
    this.closed = true;
    return this.takeEvents();
  }

  private takeEvents(): MessageEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private limit(limit: LimitName): void {
    if (this.throwOnLimit) {
      // The parser stops here for good: its state is mid-message.
      this.closed = true;
      throw new MimeError("limit-exceeded", limit, `the message exceeds ${limit} (${this.limits[limit]})`);
    }
    const top = this.frames[this.frames.length - 1];
    this.events.push({ type: "limit-exceeded", limit, path: top === undefined ? [] : top.path });
  }

  private openPart(path: readonly number[], digest: boolean): void {
    this.frames.push({ path, kind: "pending", boundary: emptyBytes, children: 0, phase: "preamble", decoder: undefined, size: 0, digest });
    this.mode = Mode.Header;
    // One buffer for every header block: a message of many tiny parts allocates no buffer per part.
    this.header.length = 0;
    this.headerStart = this.offset;
    this.headerLineStart = 0;
    this.headerOverflow = false;
  }

  private process(chunk: Uint8Array, final: boolean): void {
    let data = chunk;
    let base = this.offset;
    if (this.carry.length > 0) {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry.view());
      data.set(chunk, this.carry.length);
      base -= this.carry.length;
      this.carry.length = 0;
    }
    this.offset = base + data.length;
    let position = 0;
    while (position < data.length) {
      switch (this.mode) {
        case Mode.Stopped:
          return;
        case Mode.Header:
          position = this.headerBytes(data, position, base);
          break;
        case Mode.SkipLine: {
          const lineFeed = data.indexOf(LF, position);
          if (lineFeed === -1) return;
          position = lineFeed + 1;
          this.mode = this.afterSkip;
          this.atLineStart = true;
          if (this.mode === Mode.Header) {
            this.headerStart = base + position;
          }
          break;
        }
        case Mode.Body:
          position = this.bodyBytes(data, position, base, final);
          break;
      }
    }
  }

  // --- header blocks ----------------------------------------------------------

  private headerBytes(data: Uint8Array, start: number, base: number): number {
    let position = start;
    while (position < data.length) {
      const lineFeed = data.indexOf(LF, position);
      const end = lineFeed === -1 ? data.length : lineFeed + 1;
      const room = this.headerOverflow ? 1024 - (this.header.length - this.headerLineStart) : end - position;
      if (room > 0) this.header.append(data.subarray(position, position + Math.min(room, end - position)));
      if (!this.headerOverflow && this.header.length > this.limits.maxHeaderBytes) {
        this.headerOverflow = true;
        this.limit("maxHeaderBytes");
      }
      position = end;
      if (lineFeed === -1) return position;
      // A complete line: blank (end of the block), a boundary, or a field line.
      const line = this.header.view().subarray(this.headerLineStart);
      if (line.length === 1 || (line.length === 2 && line[0] === CR)) {
        // The blank line ends the block and is not part of it. finishHeader decides
        // what follows: a body, or an embedded message's header.
        this.header.length = this.headerLineStart;
        this.finishHeader(base + position);
        return position;
      }
      if (line[0] === DASH && line[1] === DASH && this.boundaryFrames.length > 0) {
        const match = this.matchBoundary(line, 0, true);
        if (match.frame >= 0) {
          // A part without a blank line after its header (or without any header).
          const lineStart = base + position - line.length;
          this.header.length = this.headerLineStart;
          this.finishHeader(lineStart);
          this.boundary(match.frame, match.close, lineStart);
          if (this.mode === Mode.Stopped) return data.length;
          this.mode = this.afterSkip;
          this.atLineStart = true;
          if (this.mode === Mode.Header) this.headerStart = base + position;
          return position;
        }
      }
      if (this.headerOverflow) this.header.length = this.headerLineStart;
      else this.headerLineStart = this.header.length;
    }
    return position;
  }

  /** The header block is complete: describe the part and decide how to read its body. */
  private finishHeader(bodyOffset: number): void {
    const frame = this.frames[this.frames.length - 1] as Frame;
    const block = this.header.take();
    const { fields, truncated } = splitHeaderFields(block.subarray(0, this.headerOverflow ? this.headerLineStart : block.length), this.headerStart, this.limits.maxHeaderCount);
    if (truncated) this.limit("maxHeaderCount");
    const info = describePart(fields, frame.digest ? "message/rfc822" : "text/plain");
    const isMessage =
      info.type === "message" &&
      (info.subtype === "rfc822" || info.subtype === "global") &&
      // RFC 2046 §5.2.1 forbids encoding a message/rfc822 body; one that is encoded is
      // decoded as a leaf (parseMessage then parses the decoded bytes).
      info.transferEncoding !== "base64" &&
      info.transferEncoding !== "quoted-printable";
    const isMultipart = info.type === "multipart" && isUsableBoundary(info.parameters["boundary"]);
    let kind: "leaf" | "multipart" | "message" = isMultipart ? "multipart" : isMessage ? "message" : "leaf";
    if (kind !== "leaf" && frame.path.length >= this.limits.maxDepth) {
      // Too deep: kept as an opaque leaf, so that nothing walks deeper than the limit.
      this.limit("maxDepth");
      kind = "leaf";
    }
    this.events.push({
      type: "part-start",
      path: frame.path,
      headers: fields,
      info,
      structure: kind,
      offset: this.headerStart,
      bodyOffset,
      headersTruncated: truncated || this.headerOverflow,
    });
    this.mode = Mode.Body;
    this.atLineStart = true;
    this.pendingEol = emptyBytes;
    frame.kind = kind;
    if (kind === "multipart") {
      frame.boundary = utf8(info.parameters["boundary"] as string);
      frame.digest = info.subtype === "digest";
      this.boundaryFrames.push(this.frames.length - 1);
    } else if (kind === "message") {
      if (this.countPart()) {
        this.openPart([...frame.path, 0], false);
        this.headerStart = bodyOffset;
      }
    } else {
      const encoding = info.transferEncoding;
      frame.decoder =
        encoding === "base64" ? createBase64Decoder() : encoding === "quoted-printable" ? createQuotedPrintableDecoder() : undefined;
    }
  }


  /** Counts one more part; false (and the parser stops) when there are too many. */
  private countPart(): boolean {
    if (++this.parts < this.limits.maxParts) return true;
    this.limit("maxParts");
    this.mode = Mode.Stopped;
    return false;
  }

  // --- bodies -------------------------------------------------------------------

  /**
   * Matches a boundary at `position` (a line start).
   * Returns the index into `frames` of the multipart whose boundary it is, or
   * `noBoundary`, or `needMore` when more bytes are needed to tell.
   */
  private matchBoundary(data: Uint8Array, position: number, final: boolean): { frame: number; close: boolean } {
    const available = data.length - position;
    if (available < 2) {
      this.need = 2;
      return { frame: final || data[position] !== DASH ? noBoundary : needMore, close: false };
    }
    if (data[position] !== DASH || data[position + 1] !== DASH) return { frame: noBoundary, close: false };
    let waiting = false;
    let need = Number.POSITIVE_INFINITY;
    for (let index = this.boundaryFrames.length - 1; index >= 0; index--) {
      const frameIndex = this.boundaryFrames[index] as number;
      const boundary = (this.frames[frameIndex] as Frame).boundary;
      const start = position + 2;
      let matched = 0;
      while (matched < boundary.length && start + matched < data.length && data[start + matched] === boundary[matched]) matched++;
      if (matched < boundary.length) {
        if (start + matched >= data.length && !final) {
          waiting = true;
          need = Math.min(need, 2 + boundary.length + 1);
        }
        continue;
      }
      const after = start + boundary.length;
      if (after >= data.length) {
        if (!final) {
          waiting = true;
          need = Math.min(need, 2 + boundary.length + 1);
          continue;
        }
        return { frame: frameIndex, close: true }; // "--boundary" at the very end: the message was cut there
      }
      const next = data[after] as number;
      if (next === DASH) {
        if (after + 1 >= data.length && !final) {
          waiting = true;
          need = Math.min(need, 2 + boundary.length + 2);
          continue;
        }
        if (data[after + 1] === DASH || after + 1 >= data.length) return { frame: frameIndex, close: true };
        continue;
      }
      if (next === LF || next === CR || next === 0x20 || next === 0x09) return { frame: frameIndex, close: false };
    }
    this.need = need;
    return { frame: waiting ? needMore : noBoundary, close: false };
  }

  /** Handles a boundary of `frames[frameIndex]` whose line starts at absolute offset `lineStart`. */
  private boundary(frameIndex: number, close: boolean, bodyEnd: number): void {
    this.pendingEol = emptyBytes;
    this.closeFrames(frameIndex + 1, bodyEnd);
    const frame = this.frames[frameIndex] as Frame;
    this.mode = Mode.SkipLine;
    if (close) {
      frame.phase = "epilogue";
      this.afterSkip = Mode.Body;
      // The boundary is no longer live (RFC 2046 §5.1.1: nothing after the close belongs to a part).
      const live = this.boundaryFrames.indexOf(frameIndex);
      if (live !== -1) this.boundaryFrames.splice(live, 1);
      return;
    }
    frame.phase = "children";
    if (!this.countPart()) return;
    this.openPart([...frame.path, frame.children++], frame.digest);
    this.mode = Mode.SkipLine;
    this.afterSkip = Mode.Header;
  }

  /** Closes `frames[from..]`, innermost first. */
  private closeFrames(from: number, bodyEnd: number): void {
    while (this.frames.length > from) {
      const frame = this.frames[this.frames.length - 1] as Frame;
      if (frame.kind === "pending" && this.atEnd && this.header.length === 0 && frame.path.length > 0) {
        // A delimiter right before the end of the input starts no part.
        this.frames.pop();
        continue;
      }
      if (frame.kind === "pending") {
        // A part cut off inside its header block, or before it began.
        this.events.push({
          type: "part-start",
          path: frame.path,
          headers: [],
          info: describePart([], frame.digest ? "message/rfc822" : "text/plain"),
          structure: "leaf",
          offset: bodyEnd,
          bodyOffset: bodyEnd,
          headersTruncated: false,
        });
      }
      this.frames.pop();
      if (frame.decoder !== undefined) {
        const rest = frame.decoder.finish();
        if (rest.length > 0) this.deliver(frame, rest);
      }
      const live = this.boundaryFrames.indexOf(this.frames.length);
      if (live !== -1) this.boundaryFrames.splice(live, 1);
      this.events.push({
        type: "part-end",
        path: frame.path,
        bodyEnd,
        size: frame.size,
        closed: frame.kind === "multipart" && frame.phase === "epilogue",
      });
    }
  }

  private deliver(frame: Frame, bytes: Uint8Array): void {
    if (this.mode === Mode.Stopped) return;
    let decoded = bytes;
    if (this.decoded + decoded.length > this.limits.maxDecodedBytes) {
      decoded = decoded.subarray(0, this.limits.maxDecodedBytes - this.decoded);
      this.limit("maxDecodedBytes");
      this.mode = Mode.Stopped;
    }
    this.decoded += decoded.length;
    frame.size += decoded.length;
    if (decoded.length > 0) this.events.push({ type: "part-body", path: frame.path, bytes: decoded });
  }

  /** Passes body bytes to the innermost part. */
  private content(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.mode === Mode.Stopped) return;
    const frame = this.frames[this.frames.length - 1];
    if (frame === undefined) return;
    if (frame.kind === "leaf") {
      this.deliver(frame, frame.decoder === undefined ? bytes : frame.decoder.update(bytes));
    } else if (frame.kind === "multipart") {
      this.events.push({ type: frame.phase === "epilogue" ? "epilogue" : "preamble", path: frame.path, bytes });
    }
  }

  private emitPending(): void {
    if (this.pendingEol.length > 0) {
      const eol = this.pendingEol;
      this.pendingEol = emptyBytes;
      this.content(eol);
    }
  }

  /** Reads body bytes from `start`; returns where it stopped. */
  private bodyBytes(data: Uint8Array, start: number, base: number, final: boolean): number {
    const length = data.length;
    if (this.boundaryFrames.length === 0) {
      // No live boundary: everything to the end of the input is body.
      this.emitPending();
      this.content(data.subarray(start));
      this.atLineStart = false;
      return length;
    }
    let position = start;
    let runStart = start;
    /** Bytes of the last line end that lie in `data` just before `position`. */
    let eolInData = 0;
    if (!this.atLineStart && this.pendingEol.length === 1 && this.pendingEol[0] === CR) {
      // A CR ended the last chunk: a line end if an LF follows.
      if (data[position] === LF) {
        position++;
        runStart = position;
        this.pendingEol = bytesCRLF;
        this.atLineStart = true;
      } else {
        this.emitPending();
      }
    }
    while (position < length) {
      if (this.atLineStart) {
        const match = this.matchBoundary(data, position, final);
        if (match.frame === needMore) {
          this.content(data.subarray(runStart, position - eolInData));
          if (eolInData > 0) this.pendingEol = joinEol(this.pendingEol, data.subarray(position - eolInData, position));
          this.carry.append(data.subarray(position));
          this.carryNeed = this.need;
          return length;
        }
        if (match.frame >= 0) {
          this.content(data.subarray(runStart, position - eolInData));
          const bodyEnd = base + position - eolInData - this.pendingEol.length;
          this.boundary(match.frame, match.close, bodyEnd);
          return position + 2;
        }
        // A content line: the line end before it is content too.
        this.emitPending();
        this.atLineStart = false;
      }
      const lineFeed = data.indexOf(LF, position);
      if (lineFeed === -1) {
        const heldCR = data[length - 1] === CR ? 1 : 0;
        this.content(data.subarray(runStart, length - heldCR));
        if (heldCR === 1) this.pendingEol = bytesCR;
        return length;
      }
      eolInData = lineFeed > position && data[lineFeed - 1] === CR ? 2 : 1;
      position = lineFeed + 1;
      this.atLineStart = true;
    }
    // The input ends at a line start: hold its line end back.
    this.content(data.subarray(runStart, length - eolInData));
    this.pendingEol = joinEol(this.pendingEol, data.subarray(length - eolInData, length));
    return length;
  }
}

function joinEol(first: Uint8Array, second: Uint8Array): Uint8Array {
  if (first.length === 0) return second.length === 2 ? bytesCRLF : second.length === 1 ? (second[0] === CR ? bytesCR : bytesLF) : emptyBytes;
  if (second.length === 0) return first;
  return bytesCRLF;
}

/**
 * Creates a streaming MIME parser.
 *
 * @param options - limits and what a limit hit does
 * @returns a parser with `push(chunk)` and `end()`, each returning events
 * @throws {@link MimeError} `invalid-limit` for a limit that is not a positive safe integer
 * @example
 * ```ts
 * import { createMessageParser } from "@smtpkit/mime";
 * const parser = createMessageParser();
 * const events = [
 *   ...parser.push(new TextEncoder().encode("Content-Type: text/plain\r\n\r\nHel")),
 *   ...parser.push(new TextEncoder().encode("lo")),
 *   ...parser.end(),
 * ];
 * events.map((event) => event.type); // ["part-start", "part-body", "part-body", "part-end"]
 * ```
 */
export function createMessageParser(options: MessageParserOptions = {}): MessageParser {
  return new StreamingMessageParser(options);
}
