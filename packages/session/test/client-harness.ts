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
  /** RCPTs answered 2yz in the current transaction (LMTP: replies after the data). */
  accepted = 0;

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
    if (input === "MAIL") this.accepted = 0;
    this.pending.push(input);
    for (let i = 1; i < replies; i += 1) this.pending.push(undefined);
  }

  replied(code: number): void {
    const input = this.pending.shift();
    if (input !== undefined) {
      const row = findTransition(this.state, input, this.flags);
      if (row !== undefined) this.state = nextState(row, code);
      if (input === "RCPT" && code >= 200 && code < 300) this.accepted += 1;
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

/** One thing the client put on the wire, as a server would read it. */
export type WireItem =
  | { readonly type: "line"; readonly text: string }
  | { readonly type: "bdat"; readonly size: number; readonly last: boolean; readonly octets: string }
  | { readonly type: "content-end"; readonly content: string };

/**
 * Splits what a client writes into command lines, BDAT chunks and DATA
 * content, the way a server reads it. `dataMode()` is called when the client
 * has been sent a 354.
 */
export class WireParser {
  #buffer = "";
  #mode: "command" | "data" = "command";
  #bdat: { size: number; last: boolean } | undefined;

  dataMode(): void {
    this.#mode = "data";
  }

  get inData(): boolean {
    return this.#mode === "data";
  }

  push(text: string): WireItem[] {
    this.#buffer += text;
    const items: WireItem[] = [];
    for (;;) {
      if (this.#bdat !== undefined) {
        if (this.#buffer.length < this.#bdat.size) return items;
        items.push({ type: "bdat", ...this.#bdat, octets: this.#buffer.slice(0, this.#bdat.size) });
        this.#buffer = this.#buffer.slice(this.#bdat.size);
        this.#bdat = undefined;
        continue;
      }
      if (this.#mode === "data") {
        const context = `\r\n${this.#buffer}`;
        const end = context.indexOf("\r\n.\r\n");
        if (end < 0) return items;
        // The content as the server stores it: unstuffed, with its last CRLF.
        const raw = context.slice(2, end + 2);
        const content = raw.replace(/(^|\r\n)\./g, "$1");
        items.push({ type: "content-end", content });
        this.#buffer = context.slice(end + 5);
        this.#mode = "command";
        continue;
      }
      const lineEnd = this.#buffer.indexOf("\r\n");
      if (lineEnd < 0) return items;
      const line = this.#buffer.slice(0, lineEnd);
      this.#buffer = this.#buffer.slice(lineEnd + 2);
      const bdat = /^BDAT ([0-9]+)( LAST)?$/.exec(line);
      if (bdat !== null) {
        this.#bdat = { size: Number(bdat[1]), last: bdat[2] !== undefined };
        continue;
      }
      items.push({ type: "line", text: line });
    }
  }
}
