/**
 * The conformance runner's transport over TCP and TLS, for Node. It is the one
 * file of the package that touches Node: `node:net` and `node:tls` are loaded
 * with a dynamic `import()` inside `connect`, so importing `@smtpkit/testkit`
 * in a browser or Deno never loads them (a test checks the built module
 * graph).
 *
 * @module
 */
import { ConformanceError } from "./conformance-error.js";
import type { ConformanceConnection, ConformanceTransport, TransportRead } from "./transport.js";

/** Options of {@link socketTransport}. */
export interface SocketTransportOptions {
  /** The server's host name or address. */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** `implicit`: TLS from the first byte (RFC 8314); otherwise plain TCP (STARTTLS is started by the runner). */
  readonly implicitTls?: boolean;
  /**
   * Options for `tls.connect` (for example `{ ca }` or `{ servername }`). By
   * default certificates are not verified: the runner tests the protocol, and
   * test servers use self-signed certificates; pass `{ rejectUnauthorized: true }` to verify.
   */
  readonly tlsOptions?: Readonly<Record<string, unknown>>;
}

/** The part of a Node socket the transport uses. */
interface NodeSocket {
  write(data: Uint8Array, callback: (error?: Error | null) => void): boolean;
  on(event: "data", listener: (data: Uint8Array) => void): unknown;
  on(event: "close" | "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  destroy(): void;
  setNoDelay?(noDelay?: boolean): unknown;
}

class SocketConnection implements ConformanceConnection {
  #socket: NodeSocket;
  readonly #queue: Uint8Array[] = [];
  #closed = false;
  #waiter: (() => void) | undefined;
  readonly #options: SocketTransportOptions;

  constructor(socket: NodeSocket, options: SocketTransportOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#listen(socket);
  }

  #listen(socket: NodeSocket): void {
    socket.on("data", (data) => {
      this.#queue.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.#wake();
    });
    socket.on("end", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("error", () => {
      this.#closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      // A write to a peer that went away is not an error of the runner: the next read says "closed".
      this.#socket.write(bytes, () => resolve());
    });
  }

  async read(timeoutMs: number): Promise<TransportRead> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) return { type: "data", bytes: next };
      if (this.#closed) return { type: "closed" };
      const arrived = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiter = undefined;
          resolve(false);
        }, timeoutMs);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      if (!arrived) return { type: "timeout" };
    }
  }

  async startTls(timeoutMs: number): Promise<void> {
    const tls = await import("node:tls");
    const plain = this.#socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("end");
    plain.removeAllListeners("close");
    plain.removeAllListeners("error");
    // The TLS socket reports errors now; an unheard error on the plain one would crash the process.
    plain.on("error", () => undefined);
    const secure = await new Promise<NodeSocket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ConformanceError("connection-failed", `TLS handshake took over ${timeoutMs} ms`)), timeoutMs);
      const socket = tls.connect({
        socket: plain as never,
        servername: isIpAddress(this.#options.host) ? undefined : this.#options.host,
        rejectUnauthorized: false,
        ...this.#options.tlsOptions,
      });
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve(socket as unknown as NodeSocket);
      });
      socket.once("error", (error: Error) => {
        clearTimeout(timer);
        reject(new ConformanceError("connection-failed", `TLS handshake failed: ${error.message}`, { cause: error }));
      });
    });
    this.#socket = secure;
    this.#listen(secure);
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
    this.#wake();
  }
}

function isIpAddress(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

/**
 * A transport to a live server over TCP (and TLS).
 *
 * @param options - host, port, TLS
 * @returns the transport; nothing is loaded or opened until `connect`
 * @throws {@link ConformanceError} (`invalid-argument`) for an empty host or a port outside 1-65535
 * @example
 * ```ts
 * import { runConformance, socketTransport } from "@smtpkit/testkit";
 * const report = await runConformance({ transport: socketTransport({ host: "127.0.0.1", port: 2525 }) });
 * ```
 */
export function socketTransport(options: SocketTransportOptions): ConformanceTransport {
  if (typeof options.host !== "string" || options.host === "") throw new ConformanceError("invalid-argument", "host must be a non-empty string");
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) throw new ConformanceError("invalid-argument", `port must be an integer 1-65535, got ${String(options.port)}`);
  const label = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
  return {
    label,
    async connect(timeoutMs: number): Promise<ConformanceConnection> {
      const net = await import("node:net");
      const tls = options.implicitTls === true ? await import("node:tls") : undefined;
      const socket = await new Promise<NodeSocket>((resolve, reject) => {
        const timer = setTimeout(() => {
          raw.destroy();
          reject(new ConformanceError("connection-failed", `connecting to ${label} took over ${timeoutMs} ms`));
        }, timeoutMs);
        const onError = (error: Error): void => {
          clearTimeout(timer);
          reject(new ConformanceError("connection-failed", `cannot connect to ${label}: ${(error as { code?: string }).code ?? error.message}`, { cause: error }));
        };
        const raw =
          tls === undefined
            ? net.connect({ host: options.host, port: options.port })
            : tls.connect({
                host: options.host,
                port: options.port,
                servername: isIpAddress(options.host) ? undefined : options.host,
                rejectUnauthorized: false,
                ...options.tlsOptions,
              });
        raw.once("error", onError);
        raw.once(tls === undefined ? "connect" : "secureConnect", () => {
          clearTimeout(timer);
          raw.removeListener("error", onError);
          raw.setNoDelay(true);
          resolve(raw as unknown as NodeSocket);
        });
      });
      return new SocketConnection(socket, options);
    },
  };
}
