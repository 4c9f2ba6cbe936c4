// A driver for ServerSession in tests: feeds bytes, answers questions with a
// decider (or leaves them pending), and records replies, events and actions.
import { parseReply } from "@smtpkit/grammar";
import {
  createServerSession,
  type AnyDecision,
  type ServerEvent,
  type ServerSession,
  type ServerSessionConfig,
} from "@smtpkit/session";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);

export interface RecordedReply {
  readonly to: string;
  readonly code: number;
  readonly enhanced: string | undefined;
  readonly text: string;
}

/** Answers a question, or returns undefined to leave it pending. */
export type Decider = (event: ServerEvent & { requestId: number }) => AnyDecision | undefined;

export const acceptAll: Decider = (event) => (event.type === "auth-requested" ? undefined : { type: "accept" });

export class Harness {
  readonly session: ServerSession;
  readonly replies: RecordedReply[] = [];
  readonly events: ServerEvent[] = [];
  readonly pending: (ServerEvent & { requestId: number })[] = [];
  readonly message: Uint8Array[] = [];
  wire = "";
  startTls = 0;
  closed = false;
  now = 1_000_000;
  decider: Decider;

  constructor(config: Partial<ServerSessionConfig> = {}, decider: Decider = acceptAll) {
    this.session = createServerSession({ hostname: "mx.example.com", ...config });
    this.decider = decider;
  }

  connect(): this {
    this.session.connect({ remoteAddress: "192.0.2.1" }, this.now);
    this.drain();
    return this;
  }

  send(data: string | Uint8Array): this {
    this.session.receive(typeof data === "string" ? bytes(data) : data, this.now);
    this.drain();
    return this;
  }

  decide(requestId: number, decision: AnyDecision): this {
    const index = this.pending.findIndex((event) => event.requestId === requestId);
    if (index >= 0) this.pending.splice(index, 1);
    this.session.decide(requestId, decision);
    this.drain();
    return this;
  }

  tick(now: number): this {
    this.now = now;
    this.session.tick(now);
    this.drain();
    return this;
  }

  drain(): void {
    for (;;) {
      const output = this.session.nextOutput();
      if (output === undefined) return;
      switch (output.type) {
        case "write":
          this.wire += decoder.decode(output.bytes);
          break;
        case "start-tls":
          this.startTls += 1;
          break;
        case "close":
          this.closed = true;
          break;
        case "event": {
          const event = output.event;
          this.events.push(event);
          if (event.type === "reply-sent") this.replies.push({ to: event.to, code: event.code, enhanced: event.enhanced, text: event.text });
          if (event.type === "message-chunk") this.message.push(event.data.slice());
          if ("requestId" in event) {
            const decision = this.decider(event);
            if (decision === undefined) this.pending.push(event);
            else this.session.decide(event.requestId, decision);
          }
        }
      }
    }
  }

  codes(): number[] {
    return this.replies.map((reply) => reply.code);
  }

  /** The replies as parsed back from the wire (a check that what was written is what was reported). */
  wireReplies(): { code: number; lines: readonly string[] }[] {
    const out: { code: number; lines: readonly string[] }[] = [];
    let current: string[] = [];
    for (const line of this.wire.split("\r\n")) {
      if (line === "") continue;
      current.push(line);
      if (line[3] !== "-") {
        const parsed = parseReply(current.join("\r\n"));
        if (parsed.ok) out.push(parsed.reply);
        current = [];
      }
    }
    return out;
  }

  messageText(): string {
    return this.message.map((chunk) => decoder.decode(chunk)).join("");
  }

  eventsOf<T extends ServerEvent["type"]>(type: T): (ServerEvent & { type: T })[] {
    return this.events.filter((event): event is ServerEvent & { type: T } => event.type === type);
  }
}
