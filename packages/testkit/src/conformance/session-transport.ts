/**
 * A transport to an in-memory `@smtpkit/session` `ServerSession`: the runner
 * talks to the sans-IO state machine itself, with no socket, so an embedder
 * can property-test a session configuration (and the runner can be tested)
 * without a network. Runtime-agnostic.
 *
 * Decisions (accept the connection, a sender, a recipient, a message) come
 * from `decide`; by default everything is accepted. STARTTLS is simulated:
 * `startTls` tells the session the handshake completed.
 *
 * @module
 */
import { createServerSession, type ServerDecision, type ServerEvent, type ServerSession, type ServerSessionConfig } from "@smtpkit/session";
import type { ConformanceConnection, ConformanceTransport, TransportRead } from "./transport.js";

/** Options of {@link serverSessionTransport}. */
export interface ServerSessionTransportOptions {
  /** The session's configuration (a fresh session per connection). */
  readonly config: ServerSessionConfig;
  /**
   * Answers the session's questions (`connection-requested`, `mail-requested`,
   * `recipient-requested`, `message-end`). Default: accept.
   */
  readonly decide?: (event: ServerEvent) => ServerDecision;
}

class SessionConnection implements ConformanceConnection {
  readonly #session: ServerSession;
  readonly #decide: (event: ServerEvent) => ServerDecision;
  readonly #queue: Uint8Array[] = [];
  #closed = false;
  #now = 0;

  constructor(options: ServerSessionTransportOptions) {
    this.#session = createServerSession(options.config);
    this.#decide = options.decide ?? (() => ({ type: "accept" }));
    this.#session.connect({ remoteAddress: "192.0.2.1" }, this.#now);
    this.#pump();
  }

  #pump(): void {
    for (;;) {
      const output = this.#session.nextOutput();
      if (output === undefined) return;
      if (output.type === "write") this.#queue.push(output.bytes);
      else if (output.type === "close") this.#closed = true;
      else if (output.type === "event" && "requestId" in output.event) {
        this.#session.decide(output.event.requestId, this.#decide(output.event));
      }
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return;
    this.#now += 1;
    this.#session.receive(bytes.slice(), this.#now);
    this.#pump();
  }

  async read(): Promise<TransportRead> {
    const next = this.#queue.shift();
    if (next !== undefined) return { type: "data", bytes: next };
    // Everything the session had to say is said at once: silence is final until the next write.
    return this.#closed ? { type: "closed" } : { type: "timeout" };
  }

  async startTls(): Promise<void> {
    this.#now += 1;
    this.#session.tlsEstablished({}, this.#now);
    this.#pump();
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#session.peerClosed(this.#now);
    }
  }
}

/**
 * A transport whose every connection is a fresh in-memory `ServerSession`.
 *
 * @param options - the session configuration and how to decide
 * @returns the transport
 * @example
 * ```ts
 * import { runConformance, serverSessionTransport } from "@smtpkit/testkit";
 * const transport = serverSessionTransport({ config: { hostname: "mx.example.test" } });
 * const report = await runConformance({ transport, numRuns: 50, seed: 1 });
 * report.findings; // []
 * ```
 */
export function serverSessionTransport(options: ServerSessionTransportOptions): ConformanceTransport {
  return {
    label: `ServerSession ${options.config.hostname}`,
    async connect(): Promise<ConformanceConnection> {
      return new SessionConnection(options);
    },
  };
}
