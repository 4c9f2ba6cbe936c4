/**
 * Opens connections to the server under test within two bounds: how many
 * are open at once, and how many are opened a second. Every connection the
 * runner makes goes through one gate per server, so a run is safe to point
 * at a production server.
 *
 * @module
 */
import type { ConformanceTransport } from "./transport.js";
import { Wire } from "./wire.js";

/** Opens connections within the bounds of concurrency and rate. */
export class ConnectionGate {
  #active = 0;
  #opened = 0;
  #lastOpen = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(
    private readonly transport: ConformanceTransport,
    private readonly maxConnections: number,
    private readonly ratePerSecond: number,
    private readonly connectTimeout: number,
  ) {}

  get opened(): number {
    return this.#opened;
  }

  async open(): Promise<Wire> {
    while (this.#active >= this.maxConnections) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#active += 1;
    try {
      const gap = 1000 / this.ratePerSecond - (Date.now() - this.#lastOpen);
      if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      this.#lastOpen = Date.now();
      this.#opened += 1;
      const connection = await this.transport.connect(this.connectTimeout);
      const release = (): void => {
        this.#active -= 1;
        this.#waiters.shift()?.();
      };
      let released = false;
      return new Wire({
        write: (bytes) => connection.write(bytes),
        read: (timeout) => connection.read(timeout),
        startTls: (timeout) => connection.startTls(timeout),
        close: () => {
          connection.close();
          if (!released) {
            released = true;
            release();
          }
        },
      });
    } catch (error) {
      this.#active -= 1;
      this.#waiters.shift()?.();
      throw error;
    }
  }
}

