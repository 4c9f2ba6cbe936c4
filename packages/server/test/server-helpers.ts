// Test helpers: an in-memory duplex pair and a line-oriented SMTP test client.
import { Duplex } from "node:stream";

/** Two connected in-memory streams; what one writes, the other reads. */
export function duplexPair(): { server: Duplex; client: Duplex } {
  const sides: Duplex[] = [];
  const make = (index: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        const peer = sides[1 - index]!;
        if (!peer.destroyed) peer.push(chunk);
        callback();
      },
      final(callback) {
        const peer = sides[1 - index]!;
        if (!peer.destroyed) peer.push(null);
        callback();
      },
      destroy(error, callback) {
        const peer = sides[1 - index]!;
        if (!peer.destroyed && !peer.readableEnded) peer.push(null);
        callback(error);
      },
    });
  sides.push(make(0), make(1));
  return { server: sides[0]!, client: sides[1]! };
}

/** Reads replies from a stream; `reply()` resolves with the next complete reply (all its lines). */
export class ReplyReader {
  text = "";
  ended = false;
  #consumed = 0;
  #waiters: (() => void)[] = [];

  constructor(readonly stream: Duplex) {
    stream.on("data", (chunk: Buffer) => {
      this.text += chunk.toString("latin1");
      this.#wake();
    });
    stream.on("end", () => {
      this.ended = true;
      stream.end();
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  #next(): string | undefined {
    let index = this.#consumed;
    for (;;) {
      const end = this.text.indexOf("\r\n", index);
      if (end < 0) return undefined;
      const line = this.text.slice(index, end);
      index = end + 2;
      if (line.length < 4 || line[3] === " ") {
        const reply = this.text.slice(this.#consumed, index);
        this.#consumed = index;
        return reply;
      }
    }
  }

  /** The next reply; rejects when the stream ends first. */
  async reply(): Promise<string> {
    for (;;) {
      const reply = this.#next();
      if (reply !== undefined) return reply;
      if (this.ended) throw new Error(`stream ended; transcript:\n${this.text}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The code of the next reply. */
  async code(): Promise<number> {
    return Number((await this.reply()).slice(0, 3));
  }

  /** Waits until the peer closed. */
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Writes and returns the next reply's code. */
  async send(line: string): Promise<number> {
    this.stream.write(line);
    return this.code();
  }

  /**
   * The envelope most tests start with: EHLO, MAIL FROM:<from>, RCPT TO:<to>, DATA, each waiting for its reply.
   * Returns the codes of the four replies, e.g. `[250, 250, 250, 354]`.
   */
  async openData(to: string, from = "a@example.net", ehlo = "client.example"): Promise<number[]> {
    const codes: number[] = [];
    for (const line of [`EHLO ${ehlo}`, `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, "DATA"]) codes.push(await this.send(`${line}\r\n`));
    return codes;
  }
}
