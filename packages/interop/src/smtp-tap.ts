/**
 * A recording TCP proxy for loopback SMTP: clients connect to the tap, the
 * tap connects each of them to the upstream server, and every chunk read in
 * either direction is recorded with its connection number and time. It
 * shows what a client really sends, write by write: several commands in one
 * client chunk mean the client pipelined them (the converse proves nothing:
 * TCP may split a write). After STARTTLS the chunks are TLS records and are
 * flagged as such. Runs in the test process.
 *
 * @module
 */

import { connect, createServer, type Socket } from "node:net";
import { assertLoopbackHost, assertTestPort, findFreePort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";

/** One chunk the tap forwarded. */
export interface TapChunk {
  /** Connection number, from 1. */
  readonly connection: number;
  /** `client` = client to server, `server` = server to client. */
  readonly direction: "client" | "server";
  /** Milliseconds since that connection opened. */
  readonly time: number;
  /** The bytes, as read. */
  readonly bytes: Buffer;
  /** Whether the chunk looks like a TLS record (content type 20..23). */
  readonly tls: boolean;
}

/** Options of {@link startSmtpTap}. */
export interface SmtpTapOptions {
  /** The server's port. */
  readonly upstreamPort: number;
  /** The server's loopback host (default 127.0.0.1). */
  readonly upstreamHost?: string;
  /** The tap's own port (default: a free one). */
  readonly port?: number;
}

/** A running tap. */
export interface RunningSmtpTap {
  /** Always 127.0.0.1. */
  readonly host: string;
  /** Where clients connect. */
  readonly port: number;
  /**
   * Everything forwarded so far, in order.
   *
   * @returns the chunks
   */
  chunks(): readonly TapChunk[];
  /**
   * The chunks one connection's client sent, as text (latin1).
   *
   * @param connection - the connection number (default 1)
   * @returns one string per chunk
   */
  clientWrites(connection?: number): string[];
  /**
   * Closes the tap and every proxied connection.
   *
   * @returns when closed
   */
  stop(): Promise<void>;
}

/**
 * Starts a recording proxy in front of a loopback SMTP server.
 *
 * @param options - upstream port, own port
 * @returns the running tap
 * @throws {@link InteropError} `invalid-option` for port 25 or a non-loopback host
 * @example
 * ```ts
 * const tap = await startSmtpTap({ upstreamPort: server.port });
 * await sendWithNodemailer({ port: tap.port, from, to, message });
 * tap.clientWrites(1); // [..., "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", ...]
 * await tap.stop();
 * ```
 */
export async function startSmtpTap(options: SmtpTapOptions): Promise<RunningSmtpTap> {
  assertTestPort(options.upstreamPort);
  const upstreamHost = options.upstreamHost ?? LOOPBACK_HOST;
  assertLoopbackHost(upstreamHost);
  const port = options.port ?? (await findFreePort());
  assertTestPort(port);
  const recorded: TapChunk[] = [];
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((client) => {
    count += 1;
    const connection = count;
    const opened = Date.now();
    const upstream = connect({ host: upstreamHost, port: options.upstreamPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const pump = (from: Socket, to: Socket, direction: "client" | "server"): void => {
      from.on("data", (bytes: Buffer) => {
        const first = bytes[0] ?? 0;
        recorded.push({ connection, direction, time: Date.now() - opened, bytes, tls: first >= 20 && first <= 23 });
        to.write(bytes);
      });
      from.on("end", () => to.end());
    };
    pump(client, upstream, "client");
    pump(upstream, client, "server");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new InteropError("startup-failed", `tap cannot listen on ${port}: ${error.message}`)));
    server.listen(port, LOOPBACK_HOST, () => resolve());
  });
  return {
    host: LOOPBACK_HOST,
    port,
    chunks: () => recorded,
    clientWrites: (connection = 1) =>
      recorded.filter((chunk) => chunk.connection === connection && chunk.direction === "client").map((chunk) => chunk.bytes.toString("latin1")),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
