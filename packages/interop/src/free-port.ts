/**
 * Free loopback ports and listener checks. Peers never bind anything but
 * 127.0.0.1 and never a privileged port; port 25 in particular is refused
 * everywhere in this package, so a test can never talk to a real MTA.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { InteropError } from "./interop-error.js";

/** The only address peers bind and clients connect to. */
export const LOOPBACK_HOST = "127.0.0.1";

/**
 * Throws unless `port` is an unprivileged TCP port (1024..65535), which also
 * rules out port 25.
 *
 * @param port - the port to check
 * @throws {@link InteropError} `invalid-option` for any other value
 * @example
 * ```ts
 * assertTestPort(2525); // ok
 * assertTestPort(25);   // throws
 * ```
 */
export function assertTestPort(port: number): void {
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new InteropError("invalid-option", `refusing port ${String(port)}: use 1024..65535 (never 25)`);
  }
}

/**
 * Throws unless `host` is a loopback address.
 *
 * @param host - the host to check
 * @throws {@link InteropError} `invalid-option` for anything else
 * @example
 * ```ts
 * assertLoopbackHost("127.0.0.1"); // ok
 * ```
 */
export function assertLoopbackHost(host: string): void {
  if (!(host.startsWith("127.") || host === "::1" || host === "localhost")) {
    throw new InteropError("invalid-option", `refusing non-loopback host ${host}`);
  }
}

/**
 * Asks the kernel for a free ephemeral port on 127.0.0.1 (bind to port 0,
 * read it, close). Another process could take it before the peer binds it;
 * in practice the kernel rotates through the ephemeral range.
 *
 * @returns a port number in 1024..65535
 * @example
 * ```ts
 * const port = await findFreePort();
 * ```
 */
export async function findFreePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once("error", reject);
      server.listen(0, LOOPBACK_HOST, () => {
        const address = server.address();
        const found = typeof address === "object" && address !== null ? address.port : 0;
        server.close(() => resolve(found));
      });
    });
    if (port >= 1024 && port !== 25) return port;
  }
}

/**
 * Whether something listens on 127.0.0.1:`port`. Reads `/proc/net/tcp`
 * (no connection is made, so the peer logs nothing); falls back to a TCP
 * connect where `/proc` is not available.
 *
 * @param port - the port to look at
 * @returns true when a listener is bound
 * @example
 * ```ts
 * await isListening(2525);
 * ```
 */
export async function isListening(port: number): Promise<boolean> {
  let table: string | undefined;
  try {
    table = readFileSync("/proc/net/tcp", "latin1");
  } catch {
    table = undefined;
  }
  if (table !== undefined) {
    const wanted = port.toString(16).toUpperCase().padStart(4, "0");
    for (const line of table.split("\n")) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // st 0A = TCP_LISTEN; 0100007F = 127.0.0.1, 00000000 = any address
      if (fields[3] === "0A" && local !== undefined && local.endsWith(`:${wanted}`)) return true;
    }
    return false;
  }
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK_HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
