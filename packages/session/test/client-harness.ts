// Helpers for driving a ClientSession in tests: scripted server replies in,
// the written bytes and the events out, plus an independent observer that
// replays every written command against the transition table.
import {
  createClientSession,
  findTransition,
  nextState,
  type ClientEvent,
  type ClientOutput,
  type ClientSession,
  type ClientSessionOptions,
  type SessionInput,
  type SessionState,
} from "@smtpkit/session";

const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const latin1 = (data: Uint8Array): string => {
  let out = "";
  for (let i = 0; i < data.length; i += 8192) out += String.fromCharCode(...data.subarray(i, i + 8192));
  return out;
};

export const alice = { localPart: "alice", domain: "example.com" };
export const bob = { localPart: "bob", domain: "example.org" };
export const carol = { localPart: "carol", domain: "example.org" };

/** A session with a record of everything it gave. */
export class Driver {
  readonly session: ClientSession;
  readonly outputs: ClientOutput[] = [];
  /** Everything written, as latin1 text. */
  written = "";
  #seen = 0;
  now = 0;

  constructor(options: Partial<ClientSessionOptions> = {}) {
    this.session = createClientSession({ hostname: "client.example.com", ...options });
  }

  pump(): ClientOutput[] {
    const taken = this.session.takeOutputs();
    for (const output of taken) {
      this.outputs.push(output);
      if (output.type === "write") this.written += latin1(output.bytes);
    }
    return taken;
  }

  connect(): this {
    this.session.connected(this.now);
    this.pump();
    return this;
  }

  /** Feeds server text and returns what the client wrote in response. */
  server(text: string): string {
    const before = this.written.length;
    this.session.receive(bytes(text), (this.now += 1));
    this.pump();
    return this.written.slice(before);
  }

  /** Writes since the last call of `take`. */
  take(): string {
    const out = this.written.slice(this.#seen);
    this.#seen = this.written.length;
    return out;
  }

  get events(): ClientEvent[] {
    return this.outputs.flatMap((output) => (output.type === "event" ? [output.event] : []));
  }

  eventsOf<T extends ClientEvent["type"]>(type: T): Extract<ClientEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<ClientEvent, { type: T }> => event.type === type);
  }

  get closed(): boolean {
    return this.outputs.some((output) => output.type === "close");
  }
}

/** The table input a written command line stands for. */
export function inputOfLine(line: string): SessionInput | undefined {
  const verb = line.split(" ")[0]?.toUpperCase() ?? "";
  if (verb === "BDAT") return / LAST$/i.test(line) ? "BDAT LAST" : "BDAT";
  if (verb === "MAIL" || verb === "RCPT") return verb;
  const known = ["HELO", "EHLO", "LHLO", "DATA", "RSET", "QUIT", "STARTTLS", "AUTH", "NOOP"];
  return known.includes(verb) ? (verb as SessionInput) : undefined;
}

/**
 * Independently replays a conversation against the transition table: each
 * command the client sends must be `evaluate` in the state the conversation
 * would be in if everything pending succeeded; each reply moves the real state.
 */
export class TableObserver {
  state: SessionState = "greeting";
  predicted: SessionState = "greeting";
  pending: (SessionInput | undefined)[] = ["connect"];
  violations: string[] = [];
  flags = { tls: false, authenticated: false, lmtp: false };

  constructor(lmtp = false) {
    this.flags.lmtp = lmtp;
  }

  sent(input: SessionInput, replies = 1): void {
    const row = findTransition(this.predicted, input, this.flags);
    if (row === undefined || row.outcome.type !== "evaluate") {
      this.violations.push(`${input} in ${this.predicted}`);
      return;
    }
    this.predicted = row.outcome.success ?? row.outcome.intermediate ?? row.outcome.failure;
    this.pending.push(input);
    for (let i = 1; i < replies; i += 1) this.pending.push(undefined);
  }

  replied(code: number): void {
    const input = this.pending.shift();
    if (input !== undefined) {
      const row = findTransition(this.state, input, this.flags);
      if (row !== undefined) this.state = nextState(row, code);
      if (input === "AUTH" || input === "sasl-response") {
        if (code === 235) this.flags.authenticated = true;
      }
    }
    if (this.pending.length === 0) this.predicted = this.state;
  }

  tlsEstablished(): void {
    const row = findTransition(this.state, "tls-established", this.flags);
    this.state = row === undefined ? this.state : nextState(row, 220);
    this.predicted = this.state;
    this.flags.tls = true;
    this.flags.authenticated = false;
  }
}
