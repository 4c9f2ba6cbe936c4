/**
 * A connection that records every byte both ways (the transcript of a
 * finding) and reads the server's replies line by line, noting each breach
 * of the reply syntax of RFC 5321 §4.2 instead of failing on it.
 *
 * Every byte from the server is hostile: a line is read to at most
 * {@link MAX_REPLY_LINE_OCTETS} octets and a reply to at most
 * {@link MAX_REPLY_LINES} lines, and nothing is ever upper-cased or decoded whole.
 *
 * @module
 */
import { parseReplyLine } from "@smtpkit/grammar";
import type { RuleName } from "./rules.js";
import type { ConformanceConnection } from "./transport.js";

/**
 * The longest reply line the runner reads before it gives the reply up as
 * broken (64 KiB). RFC 5321 §4.5.3.1.5 allows 512 octets; the runner reports
 * anything longer, but reads on to this bound so one long line does not
 * lose the rest of the session.
 */
export const MAX_REPLY_LINE_OCTETS = 65_536;

/** The most lines of one reply the runner reads (EHLO replies hold about 20). */
export const MAX_REPLY_LINES = 1000;

/** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, CRLF included. */
export const RFC_REPLY_LINE_OCTETS = 512;

/** One step of a transcript: bytes sent, bytes received, or a moment such as the TLS handshake. */
export interface Exchange {
  /** `client`: the runner sent `data`; `server`: the server sent it; `event`: `data` describes a moment (TLS started, connection closed, timeout). */
  readonly direction: "client" | "server" | "event";
  /**
   * The exact bytes, one character per octet (ISO-8859-1), so the transcript
   * is exact and JSON-safe; for `event`, a short description.
   */
  readonly data: string;
}

/** A breach of the reply syntax noted while a reply was read. */
export interface ReplyProblem {
  /** The rule broken. */
  readonly rule: RuleName;
  /** What exactly was wrong. */
  readonly detail: string;
}

/** A reply as read from the wire, with the syntax problems it had. */
export interface WireReply {
  /** The code of its first line; -1 when the first line had none. */
  readonly code: number;
  /** The text of each line after code and separator (enhanced code included). */
  readonly lines: readonly string[];
  /** Problems of syntax, line ending, length or mixed codes. */
  readonly problems: readonly ReplyProblem[];
}

/** What {@link Wire.readReply} gives back. */
export type ReadReplyResult =
  | { readonly type: "reply"; readonly reply: WireReply }
  | { readonly type: "closed" }
  | { readonly type: "timeout" };

const LF = 0x0a;
const CR = 0x0d;

/** Bytes as one character per octet. */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let start = 0; start < bytes.length; start += 8192) {
    out += String.fromCharCode(...bytes.subarray(start, Math.min(bytes.length, start + 8192)));
  }
  return out;
}

/** A string of one-octet characters (as {@link latin1} makes them) back to bytes; other characters are UTF-8 encoded. */
export function bytesOf(text: string): Uint8Array {
  let simple = true;
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0xff) simple = false;
  if (!simple) return new TextEncoder().encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) out[i] = text.charCodeAt(i);
  return out;
}

/** The code and separator of a line whose text is not valid (RFC 5321 §4.2: `Reply-code [ SP / "-" ]`), or undefined. */
function salvage(line: string): { code: number; last: boolean; text: string } | undefined {
  const head = parseReplyLine(line.slice(0, 4));
  if (!head.ok) return undefined;
  return { code: head.line.code, last: line.length <= 3 || line.charCodeAt(3) === 0x20, text: line.slice(4) };
}

/**
 * Text from the server made safe to print: control characters (C0, DEL, C1)
 * shown as `\xHH`, cut to `max` characters. A hostile server must not be able
 * to move a terminal's cursor or flood a log line through an error message.
 */
export function printableText(text: string, max = 200): string {
  let out = "";
  for (let index = 0; index < text.length && index < max; index += 1) {
    const code = text.charCodeAt(index);
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) ? `\\x${code.toString(16).padStart(2, "0")}` : text[index];
  }
  return text.length > max ? `${out}… (${text.length - max} more characters)` : out;
}

/**
 * A recording connection with a reply reader. Internal to the runner.
 */
export class Wire {
  readonly transcript: Exchange[] = [];
  #buffer: Uint8Array = new Uint8Array(0);
  #closed = false;
  readonly #connection: ConformanceConnection;

  constructor(connection: ConformanceConnection) {
    this.#connection = connection;
  }

  /** Whether the server closed the connection (and every byte it sent was read). */
  get closed(): boolean {
    return this.#closed && this.#buffer.length === 0;
  }

  /** Bytes received and not yet read as a reply. */
  get pending(): number {
    return this.#buffer.length;
  }

  note(text: string): void {
    this.transcript.push({ direction: "event", data: text });
  }

  async write(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? bytesOf(bytes) : bytes;
    this.transcript.push({ direction: "client", data: latin1(data) });
    await this.#connection.write(data);
  }

  /** Reads once from the transport into the buffer; false on timeout or close. */
  async #fill(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return false;
    const read = await this.#connection.read(timeoutMs);
    if (read.type === "timeout") return false;
    if (read.type === "closed") {
      this.#closed = true;
      this.transcript.push({ direction: "event", data: "server closed the connection" });
      return false;
    }
    this.transcript.push({ direction: "server", data: latin1(read.bytes) });
    const joined = new Uint8Array(this.#buffer.length + read.bytes.length);
    joined.set(this.#buffer, 0);
    joined.set(read.bytes, this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  /**
   * Waits up to `quietMs` for the server to send anything unasked.
   *
   * @returns whether bytes are waiting to be read
   */
  async somethingArrives(quietMs: number): Promise<boolean> {
    if (this.#buffer.length > 0) return true;
    await this.#fill(quietMs);
    return this.#buffer.length > 0;
  }

  /** Waits for the server to close; true if it did within `timeoutMs` (bytes it sends meanwhile are kept). */
  async waitForClose(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      if (!(await this.#fill(left)) && !this.#closed) return false;
    }
    return true;
  }

  /** One line with its ending, or undefined (closed or timed out). */
  async #line(deadline: number): Promise<{ line: string; crlf: boolean; octets: number; cut: boolean } | undefined> {
    let searchFrom = 0;
    for (;;) {
      const lf = this.#buffer.indexOf(LF, searchFrom);
      if (lf >= 0) {
        const crlf = lf > 0 && this.#buffer[lf - 1] === CR;
        const end = crlf ? lf - 1 : lf;
        const line = latin1(this.#buffer.subarray(0, Math.min(end, MAX_REPLY_LINE_OCTETS)));
        this.#buffer = this.#buffer.subarray(lf + 1);
        return { line, crlf, octets: lf + 1, cut: end > MAX_REPLY_LINE_OCTETS };
      }
      searchFrom = this.#buffer.length;
      if (this.#buffer.length > MAX_REPLY_LINE_OCTETS) {
        // A hostile server's endless line: give it up.
        const line = latin1(this.#buffer.subarray(0, MAX_REPLY_LINE_OCTETS));
        this.#buffer = new Uint8Array(0);
        return { line, crlf: false, octets: MAX_REPLY_LINE_OCTETS, cut: true };
      }
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#fill(left))) {
        return undefined;
      }
    }
  }

  /**
   * Reads one reply. Syntax breaches are noted in `problems`; a line that is
   * not a reply line at all ends the reply.
   *
   * @param timeoutMs - how long the whole reply may take
   */
  async readReply(timeoutMs: number): Promise<ReadReplyResult> {
    const deadline = Date.now() + timeoutMs;
    const problems: ReplyProblem[] = [];
    const lines: string[] = [];
    let code = -1;
    for (;;) {
      const read = await this.#line(deadline);
      if (read === undefined) {
        if (lines.length > 0) {
          problems.push({ rule: "reply-syntax", detail: `the reply ended after ${lines.length} line(s) without a last line ("${code} " ...)` });
          return { type: "reply", reply: { code, lines, problems } };
        }
        return this.#closed ? { type: "closed" } : { type: "timeout" };
      }
      // RFC 5321 §2.3.8, §4.2: CRLF ends every line.
      if (!read.crlf && !read.cut) problems.push({ rule: "reply-line-ending", detail: `line ${lines.length + 1} ends with a bare LF` });
      // RFC 5321 §4.5.3.1.5: 512 octets with CRLF.
      if (read.octets + (read.crlf ? 0 : 1) > RFC_REPLY_LINE_OCTETS) {
        problems.push({ rule: "reply-line-length", detail: `line ${lines.length + 1} is ${read.octets} octets long (at most ${RFC_REPLY_LINE_OCTETS} with CRLF)` });
      }
      let parsed = parseReplyLine(read.line);
      if (!parsed.ok) {
        problems.push({ rule: "reply-syntax", detail: `line ${lines.length + 1} ${JSON.stringify(read.line.slice(0, 80))}: ${parsed.error.message}` });
        // A good code and separator with bad text (a control character): the reply's shape is still known, read on.
        const salvaged = salvage(read.line);
        if (salvaged === undefined) {
          lines.push(read.line);
          return { type: "reply", reply: { code, lines, problems } };
        }
        parsed = { ok: true, line: salvaged };
      }
      if (code === -1) code = parsed.line.code;
      else if (parsed.line.code !== code) {
        // RFC 5321 §4.2.1: every line of a multi-line reply has the same code.
        problems.push({ rule: "reply-multiline-code", detail: `line ${lines.length + 1} has code ${parsed.line.code}, the reply began with ${code}` });
      }
      lines.push(parsed.line.text);
      if (parsed.line.last) return { type: "reply", reply: { code, lines, problems } };
      if (lines.length >= MAX_REPLY_LINES) {
        problems.push({ rule: "reply-missing", detail: `the reply did not end within ${MAX_REPLY_LINES} lines (the runner's bound; RFC 5321 sets none, but a reply ends with a last line)` });
        return { type: "reply", reply: { code, lines, problems } };
      }
    }
  }

  async startTls(timeoutMs: number): Promise<void> {
    this.transcript.push({ direction: "event", data: "TLS handshake" });
    await this.#connection.startTls(timeoutMs);
    this.transcript.push({ direction: "event", data: "TLS established" });
  }

  close(): void {
    this.#connection.close();
  }
}
