// A ClientSession and a ServerSession joined in memory: each side's writes
// become the other's input, in chunks of sizes the test chooses; the
// server's questions are answered by a decider, at once or later.
import {
  createClientSession,
  createServerSession,
  type AnyDecision,
  type ClientEvent,
  type ClientSession,
  type ClientSessionOptions,
  type ServerEvent,
  type ServerSession,
  type ServerSessionConfig,
  type TransactionResult,
} from "@smtpkit/session";
import { decider as saslDecider } from "./sasl/directory.js";

/** A question from the server, with its id. */
export type Question = ServerEvent & { readonly requestId: number };

/** Answers a question (the server's embedder). */
export type PairDecider = (question: Question) => AnyDecision;

/** A message as the server's embedder stored it. */
export interface StoredMessage {
  readonly content: Uint8Array;
  readonly recipients: readonly string[];
}

export interface PairOptions {
  readonly client: ClientSessionOptions;
  readonly server: ServerSessionConfig;
  readonly decide: PairDecider;
  /** Chunk sizes for the byte streams, used in turn (1 = byte by byte); empty: whole writes. */
  readonly cuts?: readonly number[];
  /** Hold decisions back and answer them in this order of turns (0 = at once). */
  readonly delays?: readonly number[];
  /** Answer questions out of order when their delays say so (default: delayed but in order). */
  readonly reorder?: boolean;
  /** Content chunk sizes the client's embedder gives. */
  readonly contentCuts?: readonly number[];
}

const sasl = saslDecider({ passwords: new Map([["alice", "wonderland"]]) });

export class Pair {
  readonly client: ClientSession;
  readonly server: ServerSession;
  readonly clientEvents: ClientEvent[] = [];
  readonly serverEvents: ServerEvent[] = [];
  readonly stored: StoredMessage[] = [];
  readonly results: TransactionResult[] = [];
  /** Moments when the two sides' table states differed with nothing in flight. */
  readonly disagreements: string[] = [];
  /** How many times the table states were compared. */
  comparisons = 0;
  clientClosed = false;
  serverClosed = false;
  #toServer: Uint8Array[] = [];
  #toClient: Uint8Array[] = [];
  #cutIndex = 0;
  #contentIndex = 0;
  #now = 0;
  #held: { question: Question; wait: number }[] = [];
  #delayIndex = 0;
  #receiving: Uint8Array[] = [];
  #clientStartTls = false;
  #serverStartTls = false;
  readonly #options: PairOptions;
  readonly #messages = new Map<number, Uint8Array>();
  #wanted: number | undefined;

  constructor(options: PairOptions) {
    this.#options = options;
    this.client = createClientSession(options.client);
    this.server = createServerSession(options.server);
  }

  /** Queues a transaction with its content. */
  send(transaction: Parameters<ClientSession["send"]>[0], content: Uint8Array): number {
    const id = this.client.send(transaction);
    this.#messages.set(id, content);
    return id;
  }

  start(): this {
    this.server.connect({ remoteAddress: "192.0.2.1" }, this.#now);
    this.client.connected(this.#now);
    return this;
  }

  #cut(): number {
    const cuts = this.#options.cuts ?? [];
    if (cuts.length === 0) return Number.MAX_SAFE_INTEGER;
    return Math.max(1, cuts[this.#cutIndex++ % cuts.length] as number);
  }

  #drainClient(): void {
    for (const output of this.client.takeOutputs()) {
      switch (output.type) {
        case "write":
          this.#toServer.push(output.bytes.slice());
          break;
        case "start-tls":
          this.#clientStartTls = true;
          break;
        case "close":
          this.clientClosed = true;
          break;
        case "event":
          this.clientEvents.push(output.event);
          if (output.event.type === "transaction-result") this.results.push(output.event.result);
          if (output.event.type === "message-chunk-needed") this.#wanted = output.event.id;
      }
    }
  }

  #drainServer(): void {
    for (const output of this.server.takeOutputs()) {
      switch (output.type) {
        case "write":
          this.#toClient.push(output.bytes.slice());
          break;
        case "start-tls":
          this.#serverStartTls = true;
          break;
        case "close":
          this.serverClosed = true;
          break;
        case "event": {
          const event = output.event;
          this.serverEvents.push(event);
          if (event.type === "message-start") this.#receiving = [];
          if (event.type === "message-chunk") this.#receiving.push(event.data.slice());
          if ("requestId" in event) {
            const delays = this.#options.delays ?? [];
            const wait = delays.length === 0 ? 0 : (delays[this.#delayIndex++ % delays.length] as number);
            this.#held.push({ question: event as Question, wait });
          }
        }
      }
    }
  }

  #answer(question: Question): void {
    const decision = question.type === "auth-requested" ? sasl(question.request) : this.#options.decide(question);
    if (question.type === "message-end" && decision.type === "accept") {
      const content = concat(this.#receiving);
      const recipients = question.recipient !== undefined ? [question.recipient] : question.envelope.recipients;
      this.stored.push({ content, recipients: recipients.map((r) => `${r.to.localPart}@${r.to.domain}`) });
    }
    this.server.decide(question.requestId, decision as never);
  }

  /** Moves one piece of work; returns false when nothing is left to do. */
  step(): boolean {
    this.#now += 1;
    this.#drainClient();
    this.#drainServer();
    // Decisions that are due (a wait of 0), oldest first. With `reorder` a later
    // question may be answered before an earlier one.
    const due = this.#options.reorder === true ? this.#held.findIndex((held) => held.wait <= 0) : this.#held[0] !== undefined && this.#held[0].wait <= 0 ? 0 : -1;
    if (due >= 0) {
      const [held] = this.#held.splice(due, 1);
      this.#answer((held as { question: Question }).question);
      return true;
    }
    for (const held of this.#held) held.wait -= 1;
    // When nothing is in flight, both sides read the transition table alike.
    if (this.#toServer.length === 0 && this.#toClient.length === 0 && this.#held.length === 0 && !this.clientClosed && !this.serverClosed) {
      this.comparisons += 1;
      const client = this.client.snapshot().protocolState;
      const server = this.server.snapshot().state;
      if (client !== server) this.disagreements.push(`client ${client}, server ${server}`);
    }
    if (this.#toServer.length > 0 && !this.serverClosed) {
      this.server.receive(this.#take(this.#toServer), this.#now);
      return true;
    }
    if (this.#toClient.length > 0 && !this.clientClosed) {
      this.client.receive(this.#take(this.#toClient), this.#now);
      return true;
    }
    if (this.#clientStartTls && this.#serverStartTls) {
      this.#clientStartTls = false;
      this.#serverStartTls = false;
      // Both ends of one TLS connection see the same exporter value (RFC 9266).
      const channelBinding = { type: "tls-exporter" as const, data: new Uint8Array(32).fill(this.#now & 0xff) };
      this.server.tlsEstablished({ channelBinding }, this.#now);
      this.client.tlsEstablished({ channelBinding }, this.#now);
      return true;
    }
    if (this.#held.length > 0) return true;
    if (this.#wanted !== undefined) {
      const id = this.#wanted;
      const content = this.#messages.get(id) ?? new Uint8Array(0);
      const cuts = this.#options.contentCuts ?? [];
      const size = cuts.length === 0 ? content.length : Math.max(1, cuts[this.#contentIndex++ % cuts.length] as number);
      this.#wanted = undefined;
      if (content.length === 0) {
        this.client.endMessage(this.#now);
        this.#messages.delete(id);
      } else {
        this.client.provideMessage(content.subarray(0, size), this.#now);
        this.#messages.set(id, content.subarray(size));
      }
      return true;
    }
    if (!this.client.snapshot().quitRequested && !this.clientClosed) {
      this.client.quit(this.#now);
      return true;
    }
    if (this.clientClosed && !this.serverClosed) {
      this.server.peerClosed(this.#now);
      this.serverClosed = true;
      return true;
    }
    if (this.serverClosed && !this.clientClosed) {
      this.client.peerClosed(this.#now);
      return true;
    }
    return false;
  }

  /** Runs to the end; returns the number of steps. */
  run(limit = 400_000): number {
    let steps = 0;
    while (this.step()) {
      steps += 1;
      if (steps > limit) throw new Error("the pair did not finish");
    }
    return steps;
  }

  #take(queue: Uint8Array[]): Uint8Array {
    const head = queue[0] as Uint8Array;
    const size = this.#cut();
    if (head.length <= size) {
      queue.shift();
      return head;
    }
    queue[0] = head.subarray(size);
    return head.subarray(0, size);
  }
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
