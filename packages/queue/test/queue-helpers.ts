// Test helpers for the queue: a hand-driven clock, a DNS map, scratch spools and a receiving server B.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DnsResolver } from "@smtpkit/client";
import type { QueueClock, QueueEnvelope } from "@smtpkit/queue";
import { createServer, type ServerHooks, type SmtpServer } from "@smtpkit/server";

/** A clock that moves only when told; timers fire in time order on `advance`. */
export class ManualClock implements QueueClock {
  time: number;
  #timers = new Set<{ at: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 10, 29, 12, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, milliseconds: number): unknown {
    const timer = { at: this.time + Math.max(0, milliseconds), callback };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as { at: number; callback: () => void });
  }

  /** Moves time forward, firing due timers in order. */
  advance(milliseconds: number): void {
    const end = this.time + milliseconds;
    for (;;) {
      const next = [...this.#timers].filter((timer) => timer.at <= end).sort((left, right) => left.at - right.at)[0];
      if (next === undefined) break;
      this.#timers.delete(next);
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = end;
  }
}

/** DNS answers from a table: `mx` per domain, `a` per host name; anything else is NXDOMAIN. */
export function mapResolver(table: { mx?: Record<string, { exchange: string; priority: number }[]>; a?: Record<string, string[]> }): DnsResolver & { queries: string[] } {
  const queries: string[] = [];
  const missing = (name: string): Error => Object.assign(new Error(`no such name ${name}`), { code: "ENOTFOUND" });
  const noData = (name: string): Error => Object.assign(new Error(`no data for ${name}`), { code: "ENODATA" });
  return {
    queries,
    async resolveMx(name) {
      queries.push(`MX ${name}`);
      const records = table.mx?.[name];
      if (records !== undefined) return records;
      if (table.a?.[name] !== undefined) throw noData(name);
      throw missing(name);
    },
    async resolve4(name) {
      queries.push(`A ${name}`);
      const addresses = table.a?.[name];
      if (addresses === undefined) throw noData(name);
      return addresses;
    },
    async resolve6(name) {
      queries.push(`AAAA ${name}`);
      throw noData(name);
    },
  };
}

/** A scratch directory, removed by the returned function. */
export async function scratch(prefix = "smtpkit-queue-"): Promise<{ directory: string; remove: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  return { directory, remove: () => rm(directory, { recursive: true, force: true }) };
}

/** A message as received by B. */
export interface Received {
  readonly from: string;
  readonly to: readonly string[];
  readonly content: string;
}

/** Server B on 127.0.0.1, recording what it takes; `hooks` may override the defaults. */
export async function startReceiver(
  hooks: ServerHooks = {},
  port = 0,
  tls?: { key: string; cert: string },
): Promise<{ server: SmtpServer; port: number; received: Received[]; connections: string[]; tlsSessions: string[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const connections: string[] = [];
  const tlsSessions: string[] = [];
  const server = createServer({
    hostname: "mx.example.org",
    localDomains: ["example.org", "example.net", "example.com"],
    ...(tls === undefined ? {} : { tls }),
    logger: (event) => {
      if (event.type === "connection" && event.phase === "open") connections.push(event.connectionId);
      if (event.type === "tls") tlsSessions.push(event.protocol);
    },
    hooks: {
      async onMessage(envelope, content, info, connection) {
        const parts: Uint8Array[] = [];
        for await (const chunk of content) parts.push(chunk);
        const answer = hooks.onMessage === undefined ? undefined : await hooks.onMessage(envelope, (async function* () {})(), info, connection);
        if (answer === undefined || (typeof answer === "object" && "type" in answer && answer.type === "accept")) {
          received.push({
            from: envelope.from === null ? "" : `${envelope.from.localPart}@${envelope.from.domain}`,
            to: envelope.recipients.map((recipient) => `${recipient.to.localPart}@${recipient.to.domain}`),
            content: Buffer.concat(parts).toString("latin1"),
          });
        }
        return answer;
      },
      ...(hooks.onRcptTo === undefined ? {} : { onRcptTo: hooks.onRcptTo }),
      ...(hooks.onMailFrom === undefined ? {} : { onMailFrom: hooks.onMailFrom }),
    },
  });
  const address = await server.listen({ host: "127.0.0.1", port });
  return { server, port: address.port, received, connections, tlsSessions, close: () => server.close({ graceMs: 100 }) };
}

/** A plain envelope from alice@example.com to the given addresses. */
export function envelopeTo(...addresses: string[]): QueueEnvelope {
  return {
    from: { localPart: "alice", domain: "example.com" },
    recipients: addresses.map((address) => {
      const at = address.lastIndexOf("@");
      return { to: { localPart: address.slice(0, at), domain: address.slice(at + 1) } };
    }),
    body: "7BIT",
    smtputf8: false,
    requireTls: false,
  };
}

/** Encodes text as bytes. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
