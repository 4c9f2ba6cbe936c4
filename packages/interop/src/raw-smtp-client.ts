/**
 * A raw, line-based SMTP test client over `node:net` for tests that need
 * exact bytes on the wire: it writes what it is given, verbatim, and reads
 * replies line by line with a timeout on every read. It keeps a transcript
 * of every write and every read. It can upgrade to TLS after a 220 reply to
 * STARTTLS (RFC 3207 §4), refusing to do so if the server sent anything
 * after that 220 (bytes that would otherwise be replayed into the TLS
 * session: the STARTTLS command-injection class of bug).
 *
 * It is not a general SMTP client: no pipelining logic, no SASL, no
 * retries. Replies are parsed per RFC 5321 §4.2 (`ddd-text` continuation
 * lines, `ddd text` or `ddd` last line); a line longer than the bound, too
 * many lines in one reply or a malformed line is an error, because the peer
 * is treated as hostile like any network input.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from "node:tls";
import { assertLoopbackHost, assertTestPort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";

/** Default per-read timeout, in milliseconds. */
export const DEFAULT_READ_TIMEOUT = 10_000;
/** Default bound on one received line (bytes, terminator included). RFC 5321 §4.5.3.1.5 says 512 for replies; peers' multi-line EHLO stays far below this. */
export const DEFAULT_MAX_LINE_LENGTH = 65_536;
/** Bound on the number of lines in one reply. */
export const MAX_REPLY_LINES = 1_000;

/** One reply (RFC 5321 §4.2). */
export interface SmtpReply {
  /** The three-digit code. */
  readonly code: number;
  /** The text of each line, after the code and its separator, without CRLF. */
  readonly lines: readonly string[];
  /** The lines joined with "\n". */
  readonly text: string;
  /** The reply exactly as received. */
  readonly raw: Buffer;
}

/** One write or read, in order. */
export interface TranscriptEntry {
  /** Who sent the bytes. */
  readonly direction: "client" | "server";
  /** The bytes as written or as received in one chunk. */
  readonly bytes: Buffer;
  /** Whether they went over TLS. */
  readonly tls: boolean;
}

/** Options of {@link RawSmtpClient.connect}. */
export interface RawSmtpClientOptions {
  /** The port (1024..65535). */
  readonly port: number;
  /** Loopback host (default 127.0.0.1). */
  readonly host?: string;
  /** Per-read and connect timeout in milliseconds (default {@link DEFAULT_READ_TIMEOUT}). */
  readonly timeout?: number;
  /** Bound on one received line (default {@link DEFAULT_MAX_LINE_LENGTH}). */
  readonly maxLineLength?: number;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/**
 * A raw line-based SMTP connection for tests.
 *
 * @example
 * ```ts
 * const client = await RawSmtpClient.connect({ port });
 * await client.expect(220);
 * await client.command("EHLO client.example.test", 250);
 * await client.write("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n");
 * await client.expect(250);
 * await client.expect(250);
 * await client.quit();
 * ```
 */
export class RawSmtpClient {
  private socket: Socket | TLSSocket;
  private buffer: Buffer = Buffer.alloc(0);
  private failure: InteropError | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly entries: TranscriptEntry[] = [];
  private secure = false;
  private readonly timeout: number;
  private readonly maxLineLength: number;
  private readonly host: string;
  private readonly onData = (chunk: Buffer): void => {
    this.entries.push({ direction: "server", bytes: chunk, tls: this.secure });
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.buffer.indexOf(0x0a) < 0 && this.buffer.length > this.maxLineLength) {
      this.failure = new InteropError("connection-failed", `server line exceeds ${this.maxLineLength} bytes`, this.transcriptText());
      this.socket.destroy();
    }
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (error: Error): void => {
    this.failure ??= new InteropError("connection-failed", `socket error: ${error.message}`, this.transcriptText());
    this.notify();
  };

  private constructor(socket: Socket, options: RawSmtpClientOptions) {
    this.socket = socket;
    this.timeout = options.timeout ?? DEFAULT_READ_TIMEOUT;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.host = options.host ?? LOOPBACK_HOST;
    this.attach(socket);
  }

  /**
   * Opens a TCP connection to a loopback peer (the greeting is not read).
   *
   * @param options - port, host, timeout, line bound
   * @returns the connected client
   * @throws {@link InteropError} `invalid-option` for port 25 or a non-loopback host; `connection-failed` when refused or timed out
   * @example
   * ```ts
   * const client = await RawSmtpClient.connect({ port: 2525 });
   * ```
   */
  static async connect(options: RawSmtpClientOptions): Promise<RawSmtpClient> {
    assertTestPort(options.port);
    const host = options.host ?? LOOPBACK_HOST;
    assertLoopbackHost(host);
    const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!Number.isInteger(maxLineLength) || maxLineLength < 512) {
      throw new InteropError("invalid-option", "maxLineLength must be an integer of at least 512 (RFC 5321 §4.5.3.1.5)");
    }
    const timeout = options.timeout ?? DEFAULT_READ_TIMEOUT;
    if (!(timeout > 0)) throw new InteropError("invalid-option", "timeout must be positive");
    const socket = connect({ host, port: options.port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new InteropError("connection-failed", `connect to ${host}:${options.port} timed out`));
      }, timeout);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new InteropError("connection-failed", `connect to ${host}:${options.port}: ${error.message}`));
      });
    });
    return new RawSmtpClient(socket, options);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  private detach(socket: Socket | TLSSocket): void {
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("close", this.onEnd);
    socket.off("error", this.onError);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Every write and read so far, in order. */
  get transcript(): readonly TranscriptEntry[] {
    return this.entries;
  }

  /** Whether the connection runs over TLS now. */
  get isTls(): boolean {
    return this.secure;
  }

  /** Bytes received but not consumed by a read yet. */
  get pendingBytes(): Buffer {
    return this.buffer;
  }

  /**
   * The transcript as text: `C: ` and `S: ` lines (TLS ones marked), JSON-escaped.
   *
   * @returns a readable transcript for error messages
   * @example
   * ```ts
   * console.log(client.transcriptText());
   * ```
   */
  transcriptText(): string {
    return this.entries
      .map((entry) => `${entry.direction === "client" ? "C" : "S"}${entry.tls ? " (tls)" : ""}: ${JSON.stringify(entry.bytes.toString("latin1"))}`)
      .join("\n");
  }

  /**
   * Writes bytes exactly as given (no CRLF added).
   *
   * @param data - bytes, or a string encoded as UTF-8
   * @throws {@link InteropError} `connection-failed` when the connection is closed
   * @example
   * ```ts
   * await client.write("NOOP\r\n");
   * ```
   */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.failure !== undefined) throw this.failure;
    if (this.socket.destroyed || !this.socket.writable) {
      throw new InteropError("connection-failed", "write on a closed connection", this.transcriptText());
    }
    this.entries.push({ direction: "client", bytes: Buffer.from(bytes), tls: this.secure });
    await new Promise<void>((resolve, reject) => {
      this.socket.write(bytes, (error) => {
        if (error) reject(new InteropError("connection-failed", `write failed: ${error.message}`, this.transcriptText()));
        else resolve();
      });
    });
  }

  private async waitForBytes(deadline: number, what: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new InteropError("connection-failed", `connection closed while waiting for ${what}`, this.transcriptText());
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new InteropError("timeout", `timed out waiting for ${what}`, this.transcriptText());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, remaining);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Reads one line, terminator included (LF or CRLF, as the server sent it).
   *
   * @param timeout - milliseconds (default: the client's timeout)
   * @returns the line's bytes
   * @throws {@link InteropError} `timeout`, or `connection-failed` when the connection closes first
   * @example
   * ```ts
   * const greeting = await client.readLine();
   * ```
   */
  async readLine(timeout = this.timeout): Promise<Buffer> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end >= 0) {
        if (end + 1 > this.maxLineLength) {
          throw new InteropError("connection-failed", `server line exceeds ${this.maxLineLength} bytes`, this.transcriptText());
        }
        const line = this.buffer.subarray(0, end + 1);
        this.buffer = this.buffer.subarray(end + 1);
        return line;
      }
      await this.waitForBytes(deadline, "a line");
    }
  }

  /**
   * Reads one complete (possibly multi-line) reply.
   *
   * @param timeout - milliseconds for the whole reply (default: the client's timeout)
   * @returns the parsed reply
   * @throws {@link InteropError} `unexpected-reply` for a malformed line; `timeout`; `connection-failed`
   * @example
   * ```ts
   * const reply = await client.readReply();
   * reply.code; // 250
   * ```
   */
  async readReply(timeout = this.timeout): Promise<SmtpReply> {
    const deadline = Date.now() + timeout;
    const lines: string[] = [];
    const raws: Buffer[] = [];
    let code = 0;
    for (;;) {
      const line = await this.readLine(Math.max(1, deadline - Date.now()));
      raws.push(line);
      // RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
      const body = line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === 0x0d ? 2 : 1));
      const separator = body[3];
      if (!isDigit(body[0]) || !isDigit(body[1]) || !isDigit(body[2]) || (body.length > 3 && separator !== 0x20 && separator !== 0x2d)) {
        throw new InteropError("unexpected-reply", `malformed reply line ${JSON.stringify(line.toString("latin1"))}`, this.transcriptText());
      }
      const lineCode = Number(body.subarray(0, 3).toString("latin1"));
      if (lines.length > 0 && lineCode !== code) {
        throw new InteropError("unexpected-reply", `reply code changed from ${code} to ${lineCode} inside one reply`, this.transcriptText());
      }
      code = lineCode;
      lines.push(body.subarray(4).toString("utf8"));
      if (lines.length > MAX_REPLY_LINES) {
        throw new InteropError("unexpected-reply", `reply has more than ${MAX_REPLY_LINES} lines`, this.transcriptText());
      }
      if (separator !== 0x2d) return { code, lines, text: lines.join("\n"), raw: Buffer.concat(raws) };
    }
  }

  /**
   * Reads one reply and checks its code.
   *
   * @param expected - the code, or the codes accepted
   * @param timeout - milliseconds (default: the client's timeout)
   * @returns the reply
   * @throws {@link InteropError} `unexpected-reply` (with the transcript) for any other code
   * @example
   * ```ts
   * await client.expect(220);
   * await client.expect([250, 251]);
   * ```
   */
  async expect(expected: number | readonly number[], timeout = this.timeout): Promise<SmtpReply> {
    const reply = await this.readReply(timeout);
    const accepted = typeof expected === "number" ? [expected] : expected;
    if (!accepted.includes(reply.code)) {
      throw new InteropError(
        "unexpected-reply",
        `expected ${accepted.join(" or ")}, got ${reply.code} ${reply.lines.join(" / ")}`,
        this.transcriptText(),
      );
    }
    return reply;
  }

  /**
   * Sends one command line (CRLF appended) and reads its reply.
   *
   * @param line - the command without CRLF
   * @param expected - if given, the accepted code(s)
   * @returns the reply
   * @throws {@link InteropError} as {@link RawSmtpClient.expect} does
   * @example
   * ```ts
   * const ehlo = await client.command("EHLO client.example.test", 250);
   * ```
   */
  async command(line: string, expected?: number | readonly number[]): Promise<SmtpReply> {
    await this.write(`${line}\r\n`);
    return expected === undefined ? this.readReply() : this.expect(expected);
  }

  /**
   * Sends STARTTLS, expects 220 and upgrades the connection (RFC 3207 §4).
   * Certificates are not verified unless `tlsOptions` says so (for example
   * with `ca` and `rejectUnauthorized: true`).
   *
   * @param tlsOptions - extra `tls.connect` options
   * @throws {@link InteropError} `unexpected-reply` if the server sent bytes after its 220; `connection-failed` on handshake failure
   * @example
   * ```ts
   * await client.command("EHLO client.example.test", 250);
   * await client.startTls();
   * await client.command("EHLO client.example.test", 250);
   * ```
   */
  async startTls(tlsOptions: ConnectionOptions = {}): Promise<void> {
    await this.command("STARTTLS", 220);
    // RFC 3207 §4.2: nothing read before the handshake may be used after it.
    if (this.buffer.length > 0) {
      throw new InteropError("unexpected-reply", "server sent bytes after its 220 to STARTTLS, before the TLS handshake", this.transcriptText());
    }
    const plain = this.socket as Socket;
    this.detach(plain);
    const secureSocket = connectTls({
      rejectUnauthorized: false,
      ...(this.host.startsWith("127.") ? {} : { servername: this.host }),
      ...tlsOptions,
      socket: plain,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        secureSocket.destroy();
        reject(new InteropError("timeout", "TLS handshake timed out", this.transcriptText()));
      }, this.timeout);
      secureSocket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve();
      });
      secureSocket.once("error", (error) => {
        clearTimeout(timer);
        reject(new InteropError("connection-failed", `TLS handshake failed: ${error.message}`, this.transcriptText()));
      });
    });
    this.socket = secureSocket;
    this.secure = true;
    this.attach(secureSocket);
  }

  /**
   * Resolves once the server has closed the connection.
   *
   * @param timeout - milliseconds (default: the client's timeout)
   * @throws {@link InteropError} `timeout` if it stays open
   * @example
   * ```ts
   * await client.write("QUIT\r\n");
   * await client.expect(221);
   * await client.waitForClose();
   * ```
   */
  async waitForClose(timeout = this.timeout): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.ended && this.failure === undefined) await this.waitForBytes(deadline, "the server to close");
  }

  /**
   * Sends QUIT, reads the reply if one comes, and closes.
   *
   * @returns the 221 reply, or undefined if the server closed first
   * @example
   * ```ts
   * await client.quit();
   * ```
   */
  async quit(): Promise<SmtpReply | undefined> {
    let reply: SmtpReply | undefined;
    try {
      reply = await this.command("QUIT");
    } catch {
      reply = undefined;
    }
    this.close();
    return reply;
  }

  /**
   * Closes the connection at once.
   *
   * @example
   * ```ts
   * client.close();
   * ```
   */
  close(): void {
    this.socket.destroy();
    this.ended = true;
    this.notify();
  }
}

/**
 * Applies SMTP transparency to a message (RFC 5321 §4.5.2): a "." is added
 * before every line that starts with "."; a final CRLF is appended when the
 * message does not end with one; then the end-of-data line ".\r\n". Lines
 * are found after every LF, so bare LF line ends are sent as they are.
 *
 * @param message - the message bytes
 * @returns the bytes to write after a 354 reply
 * @example
 * ```ts
 * dotStuff(Buffer.from(".hi\r\n")).toString(); // "..hi\r\n.\r\n"
 * ```
 */
export function dotStuff(message: Uint8Array): Buffer {
  const input = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const parts: Buffer[] = [];
  let start = 0;
  let lineStart = 0;
  while (lineStart < input.length) {
    if (input[lineStart] === 0x2e) {
      parts.push(input.subarray(start, lineStart), Buffer.from("."));
      start = lineStart;
    }
    const next = input.indexOf(0x0a, lineStart);
    if (next < 0) break;
    lineStart = next + 1;
  }
  parts.push(input.subarray(start));
  const endsWithCrlf = input.length >= 2 && input[input.length - 2] === 0x0d && input[input.length - 1] === 0x0a;
  if (input.length > 0 && !endsWithCrlf) parts.push(Buffer.from("\r\n"));
  parts.push(Buffer.from(".\r\n"));
  return Buffer.concat(parts);
}

/** Options of {@link sendWithRawClient}. */
export interface RawSendOptions {
  /** Peer port. */
  readonly port: number;
  /** Loopback host (default 127.0.0.1). */
  readonly host?: string;
  /** Envelope sender ("" for the null reverse-path). */
  readonly from: string;
  /** Envelope recipients (at least one). */
  readonly to: readonly string[];
  /** The message (dot-stuffed by {@link dotStuff}). */
  readonly message: Uint8Array | string;
  /** EHLO name (default `client.example.test`). */
  readonly helo?: string;
  /** Upgrade with STARTTLS after EHLO (certificate not verified). */
  readonly startTls?: boolean;
  /** Per-reply timeout in milliseconds. */
  readonly timeout?: number;
}

/** What {@link sendWithRawClient} saw. */
export interface RawSendResult {
  /** The EHLO reply (after STARTTLS when used). */
  readonly ehlo: SmtpReply;
  /** The reply to the end of data. */
  readonly dataReply: SmtpReply;
  /** The whole conversation. */
  readonly transcript: readonly TranscriptEntry[];
}

/**
 * Sends one message the plain way (one command per round trip: EHLO,
 * optional STARTTLS + EHLO, MAIL, RCPT..., DATA, QUIT) and checks every
 * reply, so a test can deliver known bytes to any peer.
 *
 * @param options - where, envelope, message
 * @returns the EHLO and end-of-data replies and the transcript
 * @throws {@link InteropError} `unexpected-reply` (with the transcript) when a step is refused
 * @example
 * ```ts
 * await sendWithRawClient({ port, from: "a@example.test", to: ["b@example.test"], message: "Subject: x\r\n\r\nhi\r\n" });
 * ```
 */
export async function sendWithRawClient(options: RawSendOptions): Promise<RawSendResult> {
  if (options.to.length === 0) throw new InteropError("invalid-option", "at least one recipient is required");
  const client = await RawSmtpClient.connect({
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
  try {
    const helo = options.helo ?? "client.example.test";
    await client.expect(220);
    let ehlo = await client.command(`EHLO ${helo}`, 250);
    if (options.startTls === true) {
      await client.startTls();
      ehlo = await client.command(`EHLO ${helo}`, 250);
    }
    await client.command(`MAIL FROM:<${options.from}>`, 250);
    for (const recipient of options.to) await client.command(`RCPT TO:<${recipient}>`, [250, 251]);
    await client.command("DATA", 354);
    const message = typeof options.message === "string" ? Buffer.from(options.message, "utf8") : options.message;
    await client.write(dotStuff(message));
    const dataReply = await client.expect(250, Math.max(options.timeout ?? DEFAULT_READ_TIMEOUT, 30_000));
    await client.command("QUIT", 221);
    return { ehlo, dataReply, transcript: client.transcript };
  } finally {
    client.close();
  }
}
