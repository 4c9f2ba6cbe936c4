/**
 * An in-memory client↔server session pair: a `ClientSession` and a
 * `ServerSession` of `@smtpkit/session` joined by two byte pipes, so that a
 * user's decision logic (which senders, recipients and messages a server
 * takes) and a user's client settings can be property-tested without
 * sockets, timers or TLS.
 *
 * The pipes can cut each direction's bytes into chunks of sizes the test
 * chooses (byte by byte, or sizes drawn with {@link sessionPairChunking} or
 * taken from {@link chunkings}), so a test can show that nothing depends on
 * how TCP happened to split the stream. Decisions come from a callback that
 * may answer at once or return a promise; bytes keep flowing while a promise
 * is pending, so pipelined commands meet undecided questions as they would
 * on a real connection.
 *
 * What it does not do: no real TLS (when both sides have asked for the
 * STARTTLS handshake, both are told it succeeded, RFC 3207 §4.2), no clock
 * (the time given to the sessions is the step count, so no timeout fires),
 * no randomness. Pure: no Node APIs.
 *
 * @module
 */
import type {
  AnyDecision,
  ClientEvent,
  ClientSessionFailure,
  ClientSessionOptions,
  ClientTransaction,
  ConnectionInfo,
  Envelope as SessionEnvelope,
  EnvelopeRecipient,
  SaslChannelBinding,
  ServerEvent,
  ServerSessionConfig,
  TransactionResult,
} from "@smtpkit/session";
import { createClientSession, createServerSession } from "@smtpkit/session";
import fc from "fast-check";
import { TestkitError, checkInteger } from "../testkit-error.js";
import { concatBytes } from "../internal/bytes.js";

/**
 * The most steps one pair runs before it gives up: 1 000 000. A step moves
 * one chunk, answers one question or passes one close; a 1 MB message cut
 * byte by byte needs about a million, anything a property test draws far
 * fewer. Reaching it means the two sessions stopped making progress.
 */
export const SESSION_PAIR_DEFAULT_MAX_STEPS = 1_000_000;

/** The largest `maxSteps`: 100 000 000. */
export const SESSION_PAIR_MAX_STEPS = 100_000_000;

/** A question the server session asks its embedder: an event with a `requestId`. */
export type SessionPairQuestion = Extract<ServerEvent, { readonly requestId: number }>;

/**
 * Answers one of the server's questions: `connection-requested`,
 * `mail-requested`, `recipient-requested`, `message-end` (with a
 * `ServerDecision`) or `auth-requested` (with a `SaslDecision`). It may return
 * the answer or a promise of it.
 */
export type SessionPairDecider = (question: SessionPairQuestion) => AnyDecision | Promise<AnyDecision>;

/** One message for the client to send: its envelope and its content. */
export interface SessionPairMessage {
  /** The envelope and what the client must know of the content (`size`, `body`...). */
  readonly transaction: ClientTransaction;
  /**
   * The content as the client's embedder hands it over. The client session
   * repairs bare CR and LF into CRLF and ends a DATA message with CRLF
   * (RFC 5321 §2.3.8, §4.1.1.4), so content with CRLF line ends that ends
   * with CRLF arrives unchanged.
   */
  readonly content: Uint8Array;
}

/**
 * How the pipes cut the bytes: for each direction, chunk sizes used in turn
 * (cycling); `[1]` is byte by byte; empty or absent: every write whole.
 */
export interface SessionPairChunking {
  /** Sizes of the chunks the server receives. */
  readonly toServer?: readonly number[];
  /** Sizes of the chunks the client receives. */
  readonly toClient?: readonly number[];
  /** Sizes of the pieces the client's embedder hands the content over in. */
  readonly content?: readonly number[];
}

/** Options of {@link runSessionPair}. */
export interface SessionPairOptions {
  /** The client session's options (`hostname` at least). */
  readonly client: ClientSessionOptions;
  /** The server session's configuration (`hostname` at least). */
  readonly server: ServerSessionConfig;
  /** The messages to send over the one connection, in order. */
  readonly messages: readonly SessionPairMessage[];
  /**
   * The server's embedder. Default: accept every connection, sender,
   * recipient and message, and refuse every authentication.
   */
  readonly decide?: SessionPairDecider;
  /** How the pipes cut the bytes. Default: whole writes. */
  readonly chunking?: SessionPairChunking;
  /** What the server is told of the connection. Default `{ remoteAddress: "192.0.2.1" }` (RFC 5737). */
  readonly connection?: ConnectionInfo;
  /**
   * The channel binding both sides see after STARTTLS (the same value on
   * both ends of one TLS connection, RFC 9266); enables SCRAM-SHA-256-PLUS.
   * Default: none.
   */
  readonly channelBinding?: SaslChannelBinding;
  /** The most steps, 1–{@link SESSION_PAIR_MAX_STEPS}; default {@link SESSION_PAIR_DEFAULT_MAX_STEPS}. */
  readonly maxSteps?: number;
}

/** A message the server's embedder accepted (answered `message-end` with `accept`). */
export interface DeliveredMessage {
  /** The envelope as the server saw it. */
  readonly envelope: SessionEnvelope;
  /** In LMTP, the one recipient this acceptance is for (RFC 2033 §4.2); otherwise absent. */
  readonly recipient?: EnvelopeRecipient;
  /** The content as the server received it (dot-unstuffed, or BDAT chunks joined). */
  readonly content: Uint8Array;
}

/** What {@link runSessionPair} returns. */
export interface SessionPairResult {
  /** The client's result per message, in the order of `messages`. */
  readonly results: readonly TransactionResult[];
  /** The messages the server's embedder accepted, in order. */
  readonly delivered: readonly DeliveredMessage[];
  /** Every event of the client session, in order. */
  readonly clientEvents: readonly ClientEvent[];
  /** Every event of the server session, in order. */
  readonly serverEvents: readonly ServerEvent[];
  /** Why the client session ended early, when it did. */
  readonly clientFailure: ClientSessionFailure | undefined;
  /** Every byte the client wrote, in order. */
  readonly clientBytes: Uint8Array;
  /** Every byte the server wrote, in order. */
  readonly serverBytes: Uint8Array;
  /** Whether both sides closed the connection (false only when `maxSteps` was reached). */
  readonly completed: boolean;
  /** How many steps the run took. */
  readonly steps: number;
}

/** A promise (or other thenable) becomes a promise whose failure is not reported as unhandled before it is awaited. */
function settle(answer: AnyDecision | Promise<AnyDecision>): AnyDecision | Promise<AnyDecision> {
  if (typeof (answer as { then?: unknown }).then !== "function") return answer;
  const promise = Promise.resolve(answer);
  promise.catch(() => undefined);
  return promise;
}

const defaultDecider: SessionPairDecider = (question) => (question.type === "auth-requested" ? { type: "reject" } : { type: "accept" });

/** A one-way pipe that hands its bytes out in chunks of the planned sizes. */
class Pipe {
  readonly #queue: Uint8Array[] = [];
  readonly #sizes: readonly number[];
  readonly #written: Uint8Array[] = [];
  #next = 0;

  constructor(sizes: readonly number[] | undefined, name: string) {
    this.#sizes = checkSizes(sizes, name);
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // The session may reuse its buffer: keep a copy.
    const copy = bytes.slice();
    this.#queue.push(copy);
    this.#written.push(copy);
  }

  get empty(): boolean {
    return this.#queue.length === 0;
  }

  clear(): void {
    this.#queue.length = 0;
  }

  take(): Uint8Array {
    const head = this.#queue[0] as Uint8Array;
    const size = this.#sizes.length === 0 ? head.length : (this.#sizes[this.#next++ % this.#sizes.length] as number);
    if (head.length <= size) {
      this.#queue.shift();
      return head;
    }
    this.#queue[0] = head.subarray(size);
    return head.subarray(0, size);
  }

  written(): Uint8Array {
    return concatBytes(this.#written);
  }
}

function checkSizes(sizes: readonly number[] | undefined, name: string): readonly number[] {
  if (sizes === undefined) return [];
  if (!Array.isArray(sizes)) throw new TestkitError("invalid-argument", `${name} must be an array of chunk sizes`);
  for (const size of sizes) checkInteger(`each of ${name}`, size, 1, Number.MAX_SAFE_INTEGER);
  return [...sizes];
}

interface Pending {
  readonly question: SessionPairQuestion;
  readonly answer: Promise<AnyDecision> | AnyDecision;
  /** The content received for a `message-end` question, captured when it was asked. */
  readonly content: Uint8Array | undefined;
}

/**
 * Runs one connection between a fresh `ClientSession` and a fresh
 * `ServerSession` in memory: the client sends `messages` in order, then
 * QUIT; the server's questions go to `decide`. Resolves when both sides have
 * closed, with each message's result, what the server accepted, every event
 * and every byte each side wrote.
 *
 * Questions are answered oldest first. A synchronous answer is given at
 * once; while a promise is pending, the bytes already written keep flowing
 * (so pipelined commands arrive before the answer), and the pair waits for
 * it only when nothing else can move.
 *
 * @param options - the two sessions' settings, the messages, the decider, the chunking
 * @returns the results, deliveries, events and bytes of the run
 * @throws {@link TestkitError} (`invalid-argument`) for a chunk size that is not a positive integer or a
 *   `maxSteps` out of range; an exception thrown by `decide` or by a session (a bug or misuse) propagates
 * @example
 * ```ts
 * import { runSessionPair } from "@smtpkit/testkit";
 * const run = await runSessionPair({
 *   client: { hostname: "client.example.com" },
 *   server: { hostname: "mx.example.org", extensions: { pipelining: true } },
 *   messages: [{
 *     transaction: { from: { localPart: "a", domain: "example.com" }, recipients: [{ address: { localPart: "b", domain: "example.org" } }] },
 *     content: new TextEncoder().encode("Subject: hi\r\n\r\n.dot\r\n"),
 *   }],
 *   // My policy: only example.org recipients.
 *   decide: (q) => q.type === "recipient-requested" && q.to.domain !== "example.org" ? { type: "reject", situation: "RelayDenied" } : { type: "accept" },
 *   chunking: { toServer: [1], toClient: [3] },
 * });
 * run.results[0]?.status; // "accepted"
 * new TextDecoder().decode(run.delivered[0]?.content); // "Subject: hi\r\n\r\n.dot\r\n"
 * ```
 */
export async function runSessionPair(options: SessionPairOptions): Promise<SessionPairResult> {
  if (typeof options !== "object" || options === null) throw new TestkitError("invalid-argument", "runSessionPair takes an options object");
  if (!Array.isArray(options.messages)) throw new TestkitError("invalid-argument", "messages must be an array");
  const maxSteps = checkInteger("maxSteps", options.maxSteps ?? SESSION_PAIR_DEFAULT_MAX_STEPS, 1, SESSION_PAIR_MAX_STEPS);
  const contentSizes = checkSizes(options.chunking?.content, "chunking.content");
  const toServer = new Pipe(options.chunking?.toServer, "chunking.toServer");
  const toClient = new Pipe(options.chunking?.toClient, "chunking.toClient");
  const decide = options.decide ?? defaultDecider;
  const client = createClientSession(options.client);
  const server = createServerSession(options.server);

  const clientEvents: ClientEvent[] = [];
  const serverEvents: ServerEvent[] = [];
  const delivered: DeliveredMessage[] = [];
  const results = new Map<number, TransactionResult>();
  const pending: Pending[] = [];
  const contents = new Map<number, Uint8Array>();
  let receiving: Uint8Array[] = [];
  let wanted: number | undefined;
  let contentIndex = 0;
  let clientClosed = false;
  let serverClosed = false;
  let clientWantsTls = false;
  let serverWantsTls = false;
  // The sessions' clock stands still: a property test must not fail by a timeout that depends on how
  // many chunks the bytes were cut into.
  const now = 0;

  const ids = options.messages.map((message) => {
    const id = client.send(message.transaction);
    contents.set(id, message.content);
    return id;
  });
  // QUIT waits its turn behind the messages.
  client.quit(now);

  const drainClient = (): void => {
    for (const output of client.takeOutputs()) {
      if (output.type === "write") toServer.write(output.bytes);
      else if (output.type === "start-tls") clientWantsTls = true;
      else if (output.type === "close") clientClosed = true;
      else {
        clientEvents.push(output.event);
        if (output.event.type === "transaction-result") results.set(output.event.result.id, output.event.result);
        else if (output.event.type === "message-chunk-needed") wanted = output.event.id;
      }
    }
  };
  const drainServer = (): void => {
    for (const output of server.takeOutputs()) {
      if (output.type === "write") toClient.write(output.bytes);
      else if (output.type === "start-tls") serverWantsTls = true;
      else if (output.type === "close") serverClosed = true;
      else {
        const event = output.event;
        serverEvents.push(event);
        if (event.type === "message-start") receiving = [];
        else if (event.type === "message-chunk") receiving.push(event.data.slice());
        if ("requestId" in event) {
          const question = event as SessionPairQuestion;
          pending.push({ question, answer: settle(decide(question)), content: question.type === "message-end" ? concatBytes(receiving) : undefined });
        }
      }
    }
  };
  const answer = (entry: Pending, decision: AnyDecision): void => {
    const question = entry.question;
    // A question the session no longer waits for (the connection closed meanwhile) is dropped.
    if (serverClosed || !server.snapshot().pendingRequests.includes(question.requestId)) return;
    if (question.type === "message-end" && decision.type === "accept" && entry.content !== undefined) {
      delivered.push({ envelope: question.envelope, ...(question.recipient === undefined ? {} : { recipient: question.recipient }), content: entry.content });
    }
    server.decide(question.requestId, decision as never);
  };

  server.connect(options.connection ?? { remoteAddress: "192.0.2.1" }, now);
  client.connected(now);
  let steps = 0;
  for (; steps < maxSteps; steps += 1) {
    drainClient();
    drainServer();
    const first = pending[0];
    if (first !== undefined && !(first.answer instanceof Promise)) {
      pending.shift();
      answer(first, first.answer);
      continue;
    }
    if (!toServer.empty && !serverClosed) {
      server.receive(toServer.take(), now);
      continue;
    }
    if (!toClient.empty && !clientClosed) {
      client.receive(toClient.take(), now);
      continue;
    }
    if (first !== undefined) {
      pending.shift();
      answer(first, await first.answer);
      continue;
    }
    if (clientWantsTls && serverWantsTls) {
      clientWantsTls = false;
      serverWantsTls = false;
      const info = options.channelBinding === undefined ? {} : { channelBinding: options.channelBinding };
      server.tlsEstablished(info, now);
      client.tlsEstablished(info, now);
      continue;
    }
    if (wanted !== undefined && !clientClosed) {
      const id = wanted;
      wanted = undefined;
      const content = contents.get(id) ?? new Uint8Array(0);
      if (content.length === 0) {
        contents.delete(id);
        client.endMessage(now);
      } else {
        const size = contentSizes.length === 0 ? content.length : (contentSizes[contentIndex++ % contentSizes.length] as number);
        contents.set(id, content.subarray(Math.min(size, content.length)));
        client.provideMessage(content.subarray(0, size), now);
      }
      continue;
    }
    // A side that closed drops what was still in flight to it.
    if (clientClosed && !serverClosed) {
      toServer.clear();
      server.peerClosed(now);
      continue;
    }
    if (serverClosed && !clientClosed) {
      toClient.clear();
      client.peerClosed(now);
      continue;
    }
    break;
  }
  drainClient();
  drainServer();
  return {
    results: ids.map((id) => results.get(id)).filter((result): result is TransactionResult => result !== undefined),
    delivered,
    clientEvents,
    serverEvents,
    clientFailure: client.failure,
    clientBytes: toServer.written(),
    serverBytes: toClient.written(),
    completed: clientClosed && serverClosed,
    steps,
  };
}

/** Options of {@link sessionPairChunking}. */
export interface SessionPairChunkingOptions {
  /** The largest chunk size drawn, 1–65 536 (default 64). */
  readonly maxChunkSize?: number;
}

/**
 * Chunkings for {@link runSessionPair}: for each direction and for the
 * content, a list of chunk sizes (sometimes `[1]`, byte by byte; sometimes
 * empty, whole writes). Shrinks towards whole writes.
 *
 * To cut one recorded stream with {@link chunkings} instead, give the sizes
 * of its chunks: `chunks.map((chunk) => chunk.length)`.
 *
 * @param options - the largest chunk size
 * @returns an arbitrary of {@link SessionPairChunking}
 * @throws {@link TestkitError} (`invalid-argument`) for a `maxChunkSize` outside 1–65 536
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { sessionPairChunking } from "@smtpkit/testkit";
 * fc.sample(sessionPairChunking(), 1); // [{ toServer: [3, 1, 17], toClient: [1], content: [] }]
 * ```
 */
export function sessionPairChunking(options: SessionPairChunkingOptions = {}): fc.Arbitrary<SessionPairChunking> {
  const max = checkInteger("maxChunkSize", options.maxChunkSize ?? 64, 1, 65_536);
  const sizes = fc.oneof(
    { arbitrary: fc.constant<number[]>([]), weight: 1 },
    { arbitrary: fc.constant([1]), weight: 1 },
    { arbitrary: fc.array(fc.integer({ min: 1, max }), { minLength: 1, maxLength: 8 }), weight: 4 },
  );
  return fc.record({ toServer: sizes, toClient: sizes, content: sizes });
}
