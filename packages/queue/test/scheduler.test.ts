// Laws of the scheduler, with scripted servers (a fake client) and random replies per recipient and per
// transaction: every recipient ends delivered or failed exactly once, never attempted after that, failed only
// on a 5yz or at the give-up time, notified once per failure; a restart at any point loses nothing.
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SmtpClientError, type ConnectOptions, type SendOptions, type SendResult, type SmtpClient } from "@smtpkit/client";
import { openQueue, type DeliveryNotice, type QueueLogEvent, type QueueOptions, type RelayQueue } from "@smtpkit/queue";
import { bytes, envelopeTo, ManualClock, mapResolver, scratch } from "./queue-helpers.js";

type RcptReply = 250 | 450 | 550;
type MessageReply = 250 | 451 | 554 | "lost-after-dot" | "refused-connection";

let root: { directory: string; remove: () => Promise<void> };
let count = 0;
beforeAll(async () => {
  root = await scratch();
});
afterAll(async () => {
  await root.remove();
});

const SECOND = 1000;
const schedule = { delays: [10 * SECOND, 20 * SECOND], giveUpAfter: 90 * SECOND, delayWarningAfter: null };

/** A server scripted per recipient address (RCPT replies in turn) and per transaction (message replies in turn). */
class ScriptedServer {
  readonly rcpt: Map<string, RcptReply[]>;
  readonly message: MessageReply[];
  readonly deliveries: string[] = [];
  readonly rcptSeen: string[] = [];

  constructor(rcpt: Map<string, RcptReply[]>, message: MessageReply[]) {
    this.rcpt = rcpt;
    this.message = message;
  }

  connect = async (_options: ConnectOptions): Promise<SmtpClient> => {
    if (this.message[0] === "refused-connection") {
      this.message.shift();
      throw new SmtpClientError("connection-failed", "remote", "connection refused");
    }
    let ended = false;
    const client = {
      get ended() {
        return ended;
      },
      close: async () => {
        ended = true;
      },
      destroy: async () => {
        ended = true;
      },
      send: async (mail: SendOptions): Promise<SendResult> => {
        // Read the message as a server would (the spool's checksum is checked on the way).
        for await (const _chunk of mail.message as AsyncIterable<Uint8Array>) void _chunk;
        const recipients = (mail.to ?? []).map((recipient) => {
          const address = typeof recipient === "object" && "address" in recipient ? recipient.address : recipient;
          const text = typeof address === "string" ? address : `${address.localPart}@${address.domain}`;
          this.rcptSeen.push(text);
          const code = this.rcpt.get(text)?.shift() ?? 250;
          return { address: text, status: code === 250 ? ("accepted" as const) : ("rejected" as const), temporary: code === 450, code, enhanced: `${String(code)[0]}.0.0`, text: "scripted" };
        });
        const accepted = recipients.filter((recipient) => recipient.status === "accepted");
        const transaction = { dsnSent: true, dataSent: accepted.length > 0 } as unknown as SendResult["transaction"];
        if (accepted.length === 0) {
          return { status: "rejected", temporary: recipients.some((recipient) => recipient.temporary), code: undefined, enhanced: undefined, text: undefined, accepted: [], rejected: recipients.map((recipient) => recipient.address), recipients, refusal: undefined, transaction };
        }
        const reply = this.message.shift() ?? 250;
        if (reply === "lost-after-dot" || reply === "refused-connection") {
          ended = true;
          throw new SmtpClientError("connection-closed", "remote", "lost after the end of data", { result: { dataSent: true } as unknown as SendResult["transaction"] });
        }
        if (reply === 250) for (const recipient of accepted) this.deliveries.push(recipient.address);
        return {
          status: reply === 250 ? "accepted" : "rejected",
          temporary: reply === 451,
          code: reply,
          enhanced: `${String(reply)[0]}.0.0`,
          text: "scripted",
          accepted: reply === 250 ? accepted.map((recipient) => recipient.address) : [],
          rejected: recipients.filter((recipient) => recipient.status === "rejected").map((recipient) => recipient.address),
          recipients,
          refusal: undefined,
          transaction,
        };
      },
    };
    return client as unknown as SmtpClient;
  };
}

const addresses = ["a@example.org", "b@example.org", "c@example.net", "d@example.net"];
const scripts = fc.record({
  recipients: fc.integer({ min: 1, max: 4 }),
  rcpt: fc.array(fc.array(fc.constantFrom<RcptReply>(250, 450, 550), { maxLength: 6 }), { minLength: 4, maxLength: 4 }),
  message: fc.array(fc.constantFrom<MessageReply>(250, 451, 554, "lost-after-dot", "refused-connection"), { maxLength: 10 }),
  restartAfter: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
});

async function open(directory: string, server: ScriptedServer, clock: ManualClock, events: QueueLogEvent[], notices: DeliveryNotice[]): Promise<RelayQueue> {
  const options: QueueOptions = {
    directory,
    hostname: "mta.example.com",
    clock,
    retry: schedule,
    connect: server.connect,
    connectionIdleMilliseconds: 0,
    resolver: mapResolver({
      mx: { "example.org": [{ exchange: "mx.example.org", priority: 10 }], "example.net": [{ exchange: "mx.example.net", priority: 10 }] },
      a: { "mx.example.org": ["192.0.2.1"], "mx.example.net": ["192.0.2.2"] },
    }),
    logger: (event) => events.push(event),
    notifier: async (notice) => {
      notices.push(notice);
    },
  };
  return openQueue(options);
}

describe("scheduler laws", () => {
  it("every recipient ends delivered or failed exactly once, as its replies say, even across a restart", async () => {
    await fc.assert(
      fc.asyncProperty(scripts, async (script) => {
        const directory = join(root.directory, `spool-${(count += 1)}`);
        const rcpt = new Map(addresses.map((address, index) => [address, [...(script.rcpt[index] ?? [])]]));
        const server = new ScriptedServer(rcpt, [...script.message]);
        const clock = new ManualClock();
        const events: QueueLogEvent[] = [];
        const notices: DeliveryNotice[] = [];
        let queue = await open(directory, server, clock, events, notices);
        const chosen = addresses.slice(0, script.recipients);
        const result = await queue.enqueue(envelopeTo(...chosen), bytes("Subject: law\r\n\r\nbody\r\n"));
        expect(result.ok).toBe(true);
        queue.start();
        await queue.idle();
        for (let step = 0; step < 20 && queue.list().length > 0; step += 1) {
          if (step === script.restartAfter) {
            await queue.close();
            queue = await open(directory, server, clock, events, notices);
            queue.start();
          }
          clock.advance(10 * SECOND);
          await queue.idle();
        }
        expect(queue.list()).toEqual([]);
        await queue.close();

        const attempts = events.flatMap((event) => (event.type === "delivery-attempt" ? event.recipients.map((recipient) => ({ ...recipient, at: event })) : []));
        for (const address of chosen) {
          const mine = attempts.filter((attempt) => attempt.address === address);
          const terminal = mine.filter((attempt) => attempt.result !== "deferred");
          // Exactly one end, and it is the last attempt.
          expect(terminal).toHaveLength(1);
          expect(mine.at(-1)?.result).toBe(terminal[0]?.result);
          const last = mine.at(-1);
          if (last?.result === "failed") {
            // Failed only on a 5yz, or on a temporary failure at the give-up time.
            expect(last.code >= 500 || last.text.includes("gave up")).toBe(true);
            expect(notices.filter((notice) => notice.action === "failed" && notice.recipients.some((recipient) => recipient.address === address))).toHaveLength(1);
          } else {
            expect(last?.code).toBe(250);
            // The scripted server records only transactions it answered 250: exactly one per delivered recipient.
            expect(server.deliveries.filter((delivered) => delivered === address).length).toBe(1);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it("never runs more transactions than the limits allow, in total and per domain, and still delivers everything once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.subarray(["a@one.example", "b@two.example", "c@three.example", "d@one.example"], { minLength: 1 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        async (entries, total, perDomain) => {
          let running = 0;
          let most = 0;
          const runningByHost = new Map<string, number>();
          let mostPerHost = 0;
          const delivered: string[] = [];
          const connect = async (options: ConnectOptions): Promise<SmtpClient> => {
            let ended = false;
            return {
              get ended() {
                return ended;
              },
              close: async () => {
                ended = true;
              },
              destroy: async () => {
                ended = true;
              },
              send: async (mail: SendOptions): Promise<SendResult> => {
                running += 1;
                most = Math.max(most, running);
                runningByHost.set(options.host, (runningByHost.get(options.host) ?? 0) + 1);
                mostPerHost = Math.max(mostPerHost, runningByHost.get(options.host) ?? 0);
                for await (const _chunk of mail.message as AsyncIterable<Uint8Array>) void _chunk;
                await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
                const recipients = (mail.to ?? []).map((recipient) => {
                  const address = typeof recipient === "object" && "address" in recipient ? recipient.address : recipient;
                  const text = typeof address === "string" ? address : `${address.localPart}@${address.domain}`;
                  delivered.push(text);
                  return { address: text, status: "accepted" as const, temporary: false, code: 250, enhanced: "2.1.5", text: "ok" };
                });
                running -= 1;
                runningByHost.set(options.host, (runningByHost.get(options.host) ?? 1) - 1);
                return {
                  status: "accepted",
                  temporary: false,
                  code: 250,
                  enhanced: "2.0.0",
                  text: "ok",
                  accepted: recipients.map((recipient) => recipient.address),
                  rejected: [],
                  recipients,
                  refusal: undefined,
                  transaction: { dsnSent: true, dataSent: true } as unknown as SendResult["transaction"],
                };
              },
            } as unknown as SmtpClient;
          };
          const queue = await openQueue({
            directory: join(root.directory, `spool-${(count += 1)}`),
            hostname: "mta.example.com",
            clock: new ManualClock(),
            connect,
            connectionIdleMilliseconds: 0,
            maxConcurrentDeliveries: total,
            maxConcurrentPerDomain: perDomain,
            notifier: null,
            resolver: mapResolver({ a: { "one.example": ["192.0.2.1"], "two.example": ["192.0.2.2"], "three.example": ["192.0.2.3"] } }),
          });
          queue.start();
          await Promise.all(entries.map((recipients) => queue.enqueue(envelopeTo(...recipients), bytes("Subject: limits\r\n\r\nbody\r\n"))));
          await queue.idle();
          expect(queue.list()).toEqual([]);
          expect(delivered.sort()).toEqual(entries.flat().sort());
          expect(most).toBeLessThanOrEqual(total);
          expect(mostPerHost).toBeLessThanOrEqual(perDomain);
          await queue.close();
        },
      ),
      { numRuns: 30 },
    );
  });
});
