/**
 * The server side's incremental reader: bytes in, events out, for a session
 * state machine to drive (sans-IO, in the manner of h11).
 *
 * `push(bytes)` returns the events those bytes complete; needing more bytes
 * is the normal, empty result. After a command that changes how the next
 * bytes are read — DATA, BDAT, AUTH, STARTTLS, QUIT — the reader pauses and
 * holds the rest, because only the session knows whether it accepted the
 * command. It resumes when told the next mode:
 *
 * | after | the session calls | and the reader |
 * | --- | --- | --- |
 * | DATA answered 354 | `expectData()` | reads content to `<CRLF>.<CRLF>`, then commands |
 * | DATA refused | `expectCommands()` | reads commands |
 * | BDAT (accepted or not: the chunk follows regardless, RFC 3030 §2) | `expectBdat(size, last)` | reads `size` octets, then commands |
 * | AUTH answered 334 | `expectSaslResponse()` | reads one response line, then pauses again |
 * | AUTH finished or refused | `expectCommands()` | reads commands |
 * | STARTTLS answered 220 | `takeBuffered()`, then after the handshake `expectCommands()` | hands out what the client sent too early (RFC 3207 §5: to be discarded), then reads commands |
 * | QUIT | nothing | stays paused |
 *
 * @module
 */
import { decodeLine } from "./ascii.js";
import { indexOfByte } from "./byte-search.js";
import { decodeBase64 } from "./base64.js";
import { modeChangingVerbs, type Command } from "./command.js";
import { DataScanner, type BareLineEndingPolicy, type DataChunkEvent, type DataEndEvent } from "./data-scanner.js";
import { commandError, GrammarError, type CommandError } from "./errors.js";
import { limit, Limits } from "./limits.js";
import { parseText, resolve, type CommandSyntaxOptions, type Leniency } from "./parse-command.js";

/** A command was read. */
export interface CommandEvent {
  /** The event type. */
  readonly type: "command";
  /** The command. */
  readonly command: Command;
  /** The line as received, without its ending (for logs). */
  readonly line: string;
  /** Leniencies the line needed (see `parseCommand`); includes `bareLineFeed` for an LF-ended line. */
  readonly leniencies: readonly Leniency[];
  /**
   * Whether more input had already arrived after this line when it was read:
   * the client did not wait for the reply. Without PIPELINING (RFC 2920 §3.1)
   * or after a command that must end a group, that is a violation a server
   * may refuse (Postfix's `smtpd_forbid_unauth_pipelining`).
   */
  readonly pipelined: boolean;
}

/** A command line was read but is not a valid command. */
export interface CommandInvalidEvent {
  /** The event type. */
  readonly type: "command-invalid";
  /** Why, with the situation to answer with. */
  readonly error: CommandError;
  /** The line as received (undecodable bytes shown as U+FFFD), without its ending. */
  readonly line: string;
  /** As for {@link CommandEvent}. */
  readonly pipelined: boolean;
}

/**
 * A line exceeded the limit. It was read to its end and dropped, so the
 * reader is in step again; answer with the situation named.
 */
export interface LineTooLongEvent {
  /** The event type. */
  readonly type: "line-too-long";
  /** `LineTooLong` (500 5.5.2) for a command, `AuthLineTooLong` (500 5.5.6) for an AUTH line or SASL response. */
  readonly situation: "LineTooLong" | "AuthLineTooLong";
  /** The line's length in octets, ending excluded. */
  readonly length: number;
}

/** The end of a BDAT chunk (RFC 3030 §2). */
export interface BdatEndEvent {
  /** The event type. */
  readonly type: "bdat-end";
  /** The chunk's size in octets. */
  readonly size: number;
  /** Whether it was the LAST chunk, as given to `expectBdat`. */
  readonly last: boolean;
}

/** A SASL response line (RFC 4954 §4), decoded from base64. */
export interface SaslResponseEvent {
  /** The event type. */
  readonly type: "sasl-response";
  /** The decoded response (empty for an empty line). */
  readonly data: Uint8Array;
}

/** The client cancelled the AUTH exchange with `*` (answer `AuthCancelled`, 501 5.7.0). */
export interface SaslCancelEvent {
  /** The event type. */
  readonly type: "sasl-cancel";
}

/** A SASL response line that is not base64 (answer `AuthResponseInvalid`, 501 5.5.2). */
export interface SaslInvalidEvent {
  /** The event type. */
  readonly type: "sasl-invalid";
  /** Why. */
  readonly error: CommandError;
}

/**
 * More input arrived while paused than `maxHeldBytes` allows. The reader has
 * stopped; the session should answer 421 and close.
 */
export interface InputOverflowEvent {
  /** The event type. */
  readonly type: "input-overflow";
  /** Octets held when the limit was passed. */
  readonly held: number;
}

/** `end()` was called with a line, DATA content or a BDAT chunk incomplete. */
export interface InputTruncatedEvent {
  /** The event type. */
  readonly type: "input-truncated";
  /** The mode the reader was in. */
  readonly mode: ReaderMode;
}

/** Everything a {@link CommandReader} reports. */
export type CommandReaderEvent =
  | CommandEvent
  | CommandInvalidEvent
  | LineTooLongEvent
  | DataChunkEvent
  | DataEndEvent
  | BdatEndEvent
  | SaslResponseEvent
  | SaslCancelEvent
  | SaslInvalidEvent
  | InputOverflowEvent
  | InputTruncatedEvent;

/** How the reader reads the next bytes. */
export type ReaderMode = "command" | "data" | "bdat" | "sasl" | "paused" | "closed";

/** Options of {@link CommandReader}: the command syntax, plus limits and the DATA policy. */
export interface CommandReaderOptions extends CommandSyntaxOptions {
  /**
   * The longest command line, in octets without CRLF. RFC 5321 §4.5.3.1.4
   * sets 512 with CRLF as the floor servers must accept; extensions add to
   * it (RFC 1869 §4, RFC 3461 §5). Default 2048, as Postfix's `line_length_limit`.
   */
  readonly maxLineLength?: number;
  /**
   * The longest AUTH command line and SASL response line. RFC 4954 §4:
   * at least 12288 octets. Default 12288.
   */
  readonly maxAuthLineLength?: number;
  /**
   * What to do with a bare CR or LF in DATA content: `reject` (default),
   * `normalize` or `accept`. None of them lets a bare line ending end the data.
   */
  readonly bareLineEndings?: BareLineEndingPolicy;
  /**
   * Report a NUL octet in DATA content as the `NulInData` violation (RFC 5322
   * §2.3 forbids NUL in messages). Default `false`: passed through, as
   * Postfix does.
   */
  readonly rejectNul?: boolean;
  /** The most octets held while paused before `input-overflow`. Default 1 MiB. */
  readonly maxHeldBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Command lines follow the same bare line ending policy as DATA unless the
 * caller set `bareLineFeed` explicitly: under `reject` (the default) a line
 * ends at CRLF only (RFC 5321 §2.3.8), so a bare LF never splits one line into
 * two commands; under `normalize` and `accept` an LF-ended line is accepted,
 * as Postfix's `smtpd_forbid_bare_newline = normalize` does, and reported as
 * the `bareLineFeed` leniency.
 */
function withLineEndingPolicy(options: CommandReaderOptions): CommandReaderOptions {
  if (options.bareLineFeed !== undefined) return options;
  return { ...options, bareLineFeed: (options.bareLineEndings ?? "reject") !== "reject" && options.strict !== true };
}

/**
 * Reads what an SMTP client sends, incrementally and in any split.
 *
 * The input buffers are not copied where avoidable: `data-chunk` events are
 * `subarray`s of them. Do not reuse a buffer after pushing it (Node's socket
 * buffers are fresh for each read, so passing them on is safe).
 *
 * @example
 * ```ts
 * import { CommandReader } from "@smtpkit/grammar";
 * const reader = new CommandReader();
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * reader.push(bytes("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nDA"));
 * // [{ type: "command", command: { verb: "EHLO", ... } }, { type: "command", command: { verb: "MAIL", ... } }]
 * reader.push(bytes("TA\r\n"));          // [{ type: "command", command: { verb: "DATA" } }]; now paused
 * reader.expectData();                     // the session answered 354
 * reader.push(bytes("Subject: hi\r\n\r\nHello\r\n.\r\n"));
 * // [{ type: "data-chunk", ... }, { type: "data-end", size: 22, violation: undefined, ... }]
 * ```
 */
export class CommandReader {
  readonly #options: CommandReaderOptions;
  #syntax: ReturnType<typeof resolve>;
  readonly #maxLine: number;
  readonly #maxAuthLine: number;
  readonly #maxHeld: number;
  readonly #data: DataScanner;

  #mode: ReaderMode = "command";
  #pausedAfter: Command["verb"] | undefined;
  /** Input not yet processed, oldest first (the first may be a subarray of what was pushed). */
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  /** The start of an unfinished line (copied). */
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  /** Set while dropping the rest of an over-long line; holds its length so far. */
  #discarding = -1;
  #discardingAuth = false;
  #discardedCr = false;
  /** Set when the line being read holds a bare LF (only without the bare LF leniency). */
  #bareLineFeed = false;
  #bdatRemaining = 0;
  #bdatSize = 0;
  #bdatLast = false;

  /**
   * @param options - syntax leniencies, capabilities, limits and the DATA policy
   * @throws {@link GrammarError} (`invalid-argument`) for an invalid limit, an
   *   unknown `bareLineEndings` policy or a switch that is not a boolean
   */
  constructor(options: CommandReaderOptions = {}) {
    const policy: unknown = options.bareLineEndings;
    if (policy !== undefined && policy !== "reject" && policy !== "normalize" && policy !== "accept") {
      throw new GrammarError("invalid-argument", `bareLineEndings must be "reject", "normalize" or "accept", not ${JSON.stringify(policy)}`);
    }
    if (options.rejectNul !== undefined && typeof options.rejectNul !== "boolean") {
      throw new GrammarError("invalid-argument", `rejectNul must be a boolean, not ${JSON.stringify(options.rejectNul)}`);
    }
    this.#options = options;
    this.#syntax = resolve(withLineEndingPolicy(options));
    this.#maxLine = limit("maxLineLength", options.maxLineLength, Limits.commandLine, Limits.commandLineFloor);
    this.#maxAuthLine = Math.max(limit("maxAuthLineLength", options.maxAuthLineLength, Limits.authLine, Limits.commandLineFloor), this.#maxLine);
    this.#maxHeld = limit("maxHeldBytes", options.maxHeldBytes, Limits.heldBytes);
    this.#data = new DataScanner({ policy: options.bareLineEndings ?? "reject", rejectNul: options.rejectNul ?? false });
  }

  /** How the next bytes will be read. */
  get mode(): ReaderMode {
    return this.#mode;
  }

  /** The command after which the reader paused, while paused. */
  get pausedAfter(): Command["verb"] | undefined {
    return this.#mode === "paused" ? this.#pausedAfter : undefined;
  }

  /** Octets received and not yet processed (held while paused, or an unfinished line). */
  get buffered(): number {
    return this.#queued + this.#partialLength;
  }

  /**
   * Replaces the command syntax options, for example with the capability set
   * after STARTTLS or AUTH changed what the server offers.
   *
   * @param options - the new syntax options (limits and the DATA policy stay)
   */
  setSyntax(options: CommandSyntaxOptions): void {
    this.#syntax = resolve(withLineEndingPolicy({ ...this.#options, ...options }));
  }

  /**
   * Feeds received bytes.
   *
   * @param bytes - the next bytes from the client
   * @returns the events these bytes complete (often none)
   */
  push(bytes: Uint8Array): readonly CommandReaderEvent[] {
    if (this.#mode === "closed" || bytes.length === 0) return [];
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#mode === "paused") {
      if (this.#queued > this.#maxHeld) {
        const held = this.#queued;
        this.#close();
        return [{ type: "input-overflow", held }];
      }
      return [];
    }
    return this.#run();
  }

  /**
   * The peer closed its side. Reports what was left unfinished.
   *
   * @returns an `input-truncated` event when a line, DATA or a chunk was cut short
   */
  end(): readonly CommandReaderEvent[] {
    const mode = this.#mode;
    const unfinished =
      mode === "data" || mode === "bdat" || ((mode === "command" || mode === "sasl") && (this.#partialLength > 0 || this.#discarding >= 0));
    this.#close();
    return unfinished ? [{ type: "input-truncated", mode }] : [];
  }

  /**
   * After DATA was answered 354: read message content.
   *
   * @returns events from input already held
   * @throws {@link GrammarError} (`invalid-state`) unless paused after DATA or between command lines
   */
  expectData(): readonly CommandReaderEvent[] {
    this.#resume("data", "DATA");
    this.#data.reset();
    return this.#run();
  }

  /**
   * After BDAT: read the chunk. Call it whether the command was accepted or
   * not, since the client sends the chunk without waiting (RFC 3030 §2).
   *
   * @param size - the chunk size from the command
   * @param last - whether the command said LAST
   * @returns events from input already held
   * @throws {@link GrammarError} (`invalid-state`) unless paused after BDAT or between command lines
   */
  expectBdat(size: number, last = false): readonly CommandReaderEvent[] {
    if (!Number.isSafeInteger(size) || size < 0) throw new GrammarError("invalid-argument", `Not a chunk size: ${size}`);
    this.#resume("bdat", "BDAT");
    this.#bdatRemaining = size;
    this.#bdatSize = size;
    this.#bdatLast = last;
    if (size === 0) {
      this.#mode = "command";
      const events: CommandReaderEvent[] = [{ type: "bdat-end", size: 0, last }];
      return this.#run(events);
    }
    return this.#run();
  }

  /**
   * After a 334 challenge: read one SASL response line.
   *
   * @returns events from input already held
   * @throws {@link GrammarError} (`invalid-state`) unless paused after AUTH or a SASL response, or between command lines
   */
  expectSaslResponse(): readonly CommandReaderEvent[] {
    this.#resume("sasl", "AUTH");
    return this.#run();
  }

  /**
   * Read commands again: after a refused DATA/BDAT/AUTH/STARTTLS, after a
   * finished AUTH exchange, or after the TLS handshake.
   *
   * @returns events from input already held
   * @throws {@link GrammarError} (`invalid-state`) unless paused or between command lines
   */
  expectCommands(): readonly CommandReaderEvent[] {
    this.#resume("command", undefined);
    return this.#run();
  }

  /**
   * Takes every octet received and not yet processed, leaving none. After
   * STARTTLS these are the bytes the client sent before the handshake: RFC
   * 3207 §5 requires discarding them (CVE-2011-0411 and its kin came from
   * reading them as if they had arrived over TLS).
   *
   * @returns the held octets (a copy)
   */
  takeBuffered(): Uint8Array {
    const parts = [...this.#partial, ...this.#queue];
    const out = new Uint8Array(this.#queued + this.#partialLength);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    this.#queue.length = 0;
    this.#queued = 0;
    this.#partial = [];
    this.#partialLength = 0;
    this.#discarding = -1;
    this.#bareLineFeed = false;
    return out;
  }

  #resume(mode: ReaderMode, after: Command["verb"] | undefined): void {
    // Paused after the matching command, or between two command lines (a
    // testkit or an LMTP front end may start a reader straight in DATA).
    const betweenLines = this.#mode === "command" && this.#partialLength === 0 && this.#discarding < 0;
    const pausedRight = this.#mode === "paused" && (after === undefined || this.#pausedAfter === after);
    if (!betweenLines && !pausedRight) {
      throw new GrammarError(
        "invalid-state",
        `Cannot switch to ${mode} mode now (mode ${this.#mode}${this.#pausedAfter === undefined ? "" : ` after ${this.#pausedAfter}`})`,
      );
    }
    this.#mode = mode;
  }

  #close(): void {
    this.#mode = "closed";
    this.#queue.length = 0;
    this.#queued = 0;
    this.#partial = [];
    this.#partialLength = 0;
  }

  #pause(after: Command["verb"]): void {
    this.#mode = "paused";
    this.#pausedAfter = after;
  }

  #run(events: CommandReaderEvent[] = []): CommandReaderEvent[] {
    while (this.#queue.length > 0) {
      const mode = this.#mode;
      if (mode === "paused" || mode === "closed") break;
      const chunk = this.#queue[0] as Uint8Array;
      let used: number;
      if (mode === "data") {
        used = this.#data.scan(chunk, events as (DataChunkEvent | DataEndEvent)[]);
        if (this.#data.ended) this.#mode = "command";
      } else if (mode === "bdat") {
        used = Math.min(this.#bdatRemaining, chunk.length);
        events.push({ type: "data-chunk", data: chunk.subarray(0, used) });
        this.#bdatRemaining -= used;
        if (this.#bdatRemaining === 0) {
          events.push({ type: "bdat-end", size: this.#bdatSize, last: this.#bdatLast });
          this.#mode = "command";
        }
      } else {
        used = this.#lines(chunk, events);
      }
      this.#queued -= used;
      if (used >= chunk.length) this.#queue.shift();
      else this.#queue[0] = chunk.subarray(used);
    }
    return events;
  }

  /** Reads lines (commands or a SASL response) from `chunk`; returns the octets consumed. */
  #lines(chunk: Uint8Array, events: CommandReaderEvent[]): number {
    let position = 0;
    while (this.#mode === "command" || this.#mode === "sasl") {
      const sasl = this.#mode === "sasl";
      let lf = indexOfByte(chunk, LF, position);
      if (!this.#syntax.bareLineFeed) {
        // Without the bare LF leniency a line ends at CRLF only (RFC 5321
        // §2.3.8): a bare LF is part of the line, which is then refused
        // whole, so text smuggled in after an LF can never become a command.
        while (lf >= 0 && !(lf > position ? chunk[lf - 1] === CR : this.#heldEndsWithCr())) {
          this.#bareLineFeed = true;
          lf = indexOfByte(chunk, LF, lf + 1);
        }
      }
      if (lf < 0) {
        this.#accumulate(chunk.subarray(position), sasl);
        return chunk.length;
      }
      if (this.#discarding >= 0) {
        const crlf = lf > position ? chunk[lf - 1] === CR : this.#discardedCr;
        const length = this.#discarding + (lf - position) - (crlf ? 1 : 0);
        const auth = this.#discardingAuth;
        this.#discarding = -1;
        this.#bareLineFeed = false;
        position = lf + 1;
        events.push({ type: "line-too-long", situation: auth ? "AuthLineTooLong" : "LineTooLong", length });
        if (sasl) this.#pause("AUTH");
        continue;
      }
      // Assemble the line: the held start (if any) and this chunk up to the LF.
      let line: Uint8Array;
      if (this.#partialLength === 0) {
        line = chunk.subarray(position, lf);
      } else {
        line = new Uint8Array(this.#partialLength + (lf - position));
        let offset = 0;
        for (const part of this.#partial) {
          line.set(part, offset);
          offset += part.length;
        }
        line.set(chunk.subarray(position, lf), offset);
        this.#partial = [];
        this.#partialLength = 0;
      }
      position = lf + 1;
      const pipelined = position < chunk.length || this.#queue.length > 1;
      const crlf = line.length > 0 && line[line.length - 1] === CR;
      const end = crlf ? line.length - 1 : line.length;
      const bareLineFeed = this.#bareLineFeed;
      this.#bareLineFeed = false;
      const auth = sasl || this.#isAuthLine(line);
      if (end > (auth ? this.#maxAuthLine : this.#maxLine)) {
        events.push({ type: "line-too-long", situation: auth ? "AuthLineTooLong" : "LineTooLong", length: end });
        if (sasl) this.#pause("AUTH");
        continue;
      }
      if (sasl) {
        events.push(this.#saslEvent(line, end, crlf && !bareLineFeed));
        this.#pause("AUTH");
      } else {
        const event = this.#commandEvent(line, end, crlf && !bareLineFeed, pipelined);
        events.push(event);
        if (event.type === "command" && modeChangingVerbs.has(event.command.verb)) this.#pause(event.command.verb);
      }
    }
    return position;
  }

  /** Whether the held start of a line (or the dropped part of an over-long one) ends in CR. */
  #heldEndsWithCr(): boolean {
    if (this.#discarding >= 0) return this.#discardedCr;
    const last = this.#partial[this.#partial.length - 1];
    return last !== undefined && last[last.length - 1] === CR;
  }

  /** Whether a line (or a line's start) begins with "AUTH " in any case. */
  #isAuthLine(line: Uint8Array): boolean {
    return (
      line.length >= 5 &&
      ((line[0] as number) | 0x20) === 0x61 &&
      ((line[1] as number) | 0x20) === 0x75 &&
      ((line[2] as number) | 0x20) === 0x74 &&
      ((line[3] as number) | 0x20) === 0x68 &&
      line[4] === 0x20
    );
  }

  /** Holds the start of a line, or counts it when over the limit. */
  #accumulate(bytes: Uint8Array, sasl: boolean): void {
    if (bytes.length === 0) return;
    if (this.#discarding >= 0) {
      this.#discarding += bytes.length;
      this.#discardedCr = bytes[bytes.length - 1] === CR;
      return;
    }
    this.#partial.push(bytes.slice());
    this.#partialLength += bytes.length;
    // +1: the line may still end in CR, which does not count.
    if (this.#partialLength > this.#maxLine + 1) {
      const first = this.#partial[0] as Uint8Array;
      const head = first.length >= 5 ? first : takeBytes(this.#partial, 5);
      const auth = sasl || this.#isAuthLine(head);
      if (!auth || this.#partialLength > this.#maxAuthLine + 1) {
        this.#discarding = this.#partialLength;
        this.#discardingAuth = auth;
        this.#discardedCr = bytes[bytes.length - 1] === CR;
        this.#partial = [];
        this.#partialLength = 0;
      }
    }
  }

  #commandEvent(line: Uint8Array, end: number, crlf: boolean, pipelined: boolean): CommandEvent | CommandInvalidEvent {
    const text = decodeLine(line, 0, end);
    if (text === undefined) {
      const shown = new TextDecoder().decode(line.subarray(0, end));
      const error = commandError("SyntaxError", "Command line is not valid UTF-8", undefined, { expected: "UTF-8 text (RFC 6531 §3.3)" });
      return { type: "command-invalid", error, line: shown, pipelined };
    }
    if (!crlf && !this.#syntax.bareLineFeed) {
      // RFC 5321 §2.3.8: lines end in CRLF; without the leniency a bare LF
      // makes the whole line (up to its CRLF) invalid.
      const lf = text.indexOf("\n");
      return {
        type: "command-invalid",
        error: commandError("BareLineEnding", "Bare LF in a command line", undefined, {
          position: lf >= 0 ? lf : end,
          expected: "CRLF (RFC 5321 §2.3.8)",
        }),
        line: text,
        pipelined,
      };
    }
    const parsed = parseText(text, this.#syntax);
    if (!parsed.ok) return { type: "command-invalid", error: parsed.error, line: text, pipelined };
    if (!crlf) {
      // Postfix (smtpd_forbid_bare_newline = normal) and most servers accept
      // LF-ended command lines: the leniency, reported as such.
      return { type: "command", command: parsed.command, line: text, leniencies: [...parsed.leniencies, "bareLineFeed"], pipelined };
    }
    return { type: "command", command: parsed.command, line: text, leniencies: parsed.leniencies, pipelined };
  }

  #saslEvent(line: Uint8Array, end: number, crlf: boolean): SaslResponseEvent | SaslCancelEvent | SaslInvalidEvent {
    if (!crlf && !this.#syntax.bareLineFeed) {
      const error = commandError("BareLineEnding", "Bare LF in a SASL response", "AUTH", { position: end, expected: "CRLF (RFC 5321 §2.3.8)" });
      return { type: "sasl-invalid", error };
    }
    // RFC 4954 §4: "*" cancels.
    if (end === 1 && line[0] === 0x2a) return { type: "sasl-cancel" };
    // An empty response is an empty line; "=" (the initial response's form of it) is accepted too.
    if (end === 1 && line[0] === 0x3d) return { type: "sasl-response", data: new Uint8Array(0) };
    const text = decodeLine(line, 0, end);
    const data = text === undefined ? undefined : decodeBase64(text);
    if (data === undefined) {
      const error = commandError("AuthResponseInvalid", "SASL response is not valid base64", "AUTH", {
        expected: "base64 (RFC 4648 §4), or \"*\" to cancel (RFC 4954 §4)",
      });
      return { type: "sasl-invalid", error };
    }
    return { type: "sasl-response", data };
  }
}

/** The first `count` bytes of a list of arrays. */
function takeBytes(parts: readonly Uint8Array[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  let offset = 0;
  for (const part of parts) {
    if (offset >= count) break;
    const take = Math.min(part.length, count - offset);
    out.set(part.subarray(0, take), offset);
    offset += take;
  }
  return out.subarray(0, offset);
}

/**
 * Creates a {@link CommandReader}; the same as `new CommandReader(options)`.
 *
 * @param options - syntax leniencies, capabilities, limits and the DATA policy
 * @returns a reader in command mode
 * @throws {@link GrammarError} (`invalid-argument`) for an invalid limit
 * @example
 * ```ts
 * const reader = createCommandReader({ strict: true });
 * reader.mode; // "command"
 * ```
 */
export function createCommandReader(options?: CommandReaderOptions): CommandReader {
  return new CommandReader(options);
}
