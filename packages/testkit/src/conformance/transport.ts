/**
 * The conformance runner's only contact with the outside world: a tiny
 * transport that opens connections, and connections that write bytes, read
 * bytes (with a timeout), start TLS and close. Everything else in the runner
 * is plain logic over this interface, so it runs against a live server
 * ({@link socketTransport}, loaded lazily from `node:net`/`node:tls`) and
 * against an in-memory `ServerSession` ({@link serverSessionTransport}) alike.
 *
 * Not here: SMTP. The transport moves bytes; it never parses them.
 *
 * @module
 */

/** What one `read` gives back: bytes, the peer's close, or nothing within the time allowed. */
export type TransportRead =
  | { readonly type: "data"; readonly bytes: Uint8Array }
  | { readonly type: "closed" }
  | { readonly type: "timeout" };

/** One open connection to the server under test. */
export interface ConformanceConnection {
  /**
   * Sends bytes.
   *
   * @param bytes - exactly what goes on the wire
   * @returns when the bytes were handed to the network
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * The next bytes from the server. Bytes that arrive while no `read` is
   * waiting are kept for the next one, in order; a timeout loses nothing.
   *
   * @param timeoutMs - how long to wait
   * @returns bytes, `closed` once the peer closed and nothing is left, or `timeout`
   */
  read(timeoutMs: number): Promise<TransportRead>;
  /**
   * Starts TLS on this connection (after a 220 to STARTTLS). Bytes that
   * arrived in the clear before the call stay readable first.
   *
   * @param timeoutMs - how long the handshake may take
   * @returns when the handshake is complete
   */
  startTls(timeoutMs: number): Promise<void>;
  /** Closes the connection (idempotent). */
  close(): void;
}

/** Opens connections to one server. */
export interface ConformanceTransport {
  /** A label for reports, for example `"127.0.0.1:2525"`. */
  readonly label: string;
  /**
   * Opens a connection.
   *
   * @param timeoutMs - how long connecting (and, for implicit TLS, the handshake) may take
   * @returns the connection
   * @throws {@link ConformanceError} (`connection-failed`) when the server cannot be reached
   */
  connect(timeoutMs: number): Promise<ConformanceConnection>;
}
