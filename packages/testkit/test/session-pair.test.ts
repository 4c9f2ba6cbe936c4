// The in-memory session pair: what the server accepts arrives byte-exact whatever the chunking, the client's
// results say what the server's embedder decided, and decisions may be synchronous or asynchronous.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "@smtpkit/grammar";
import type { AnyDecision } from "@smtpkit/session";
import {
  chunkings,
  envelope,
  mimeMessage,
  runSessionPair,
  serializeMimeMessage,
  sessionPairChunking,
  TestkitError,
  type SessionPairQuestion,
  type SessionPairResult,
} from "@smtpkit/testkit";

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);
const key = (mailbox: Mailbox): string => `${mailbox.localPart}@${mailbox.domain.toLowerCase()}`;
const alice = { localPart: "alice", domain: "example.com" };
const bob = { localPart: "bob", domain: "example.org" };

/** 7-bit MIME messages (CRLF line ends, ending with CRLF: the client sends them unchanged). */
const message = mimeMessage({ eightBit: false, binary: false, maxDepth: 1 })
  .map(serializeMimeMessage)
  .map((bytes) => (bytes.at(-2) === 13 && bytes.at(-1) === 10 ? bytes : Uint8Array.from([...bytes, 13, 10])));
/** Which recipients the server's embedder refuses: each recipient's index, with a verdict. */
const verdicts = fc.array(fc.constantFrom("accept", "accept", "temporary", "permanent"), { minLength: 5, maxLength: 5 });
const serverExtensions = fc.record({ pipelining: fc.boolean(), chunking: fc.boolean(), size: fc.boolean() });
const clientSettings = fc.record({ pipelining: fc.boolean(), chunking: fc.boolean() });

function deciderFor(recipients: readonly Mailbox[], recipientVerdicts: readonly string[]): (question: SessionPairQuestion) => AnyDecision {
  return (question) => {
    if (question.type !== "recipient-requested") return { type: "accept" };
    const index = recipients.findIndex((r) => key(r) === key(question.to));
    const verdict = recipientVerdicts[index] ?? "accept";
    if (verdict === "accept") return { type: "accept" };
    return { type: "reject", situation: verdict === "temporary" ? "MailboxBusy" : "MailboxUnavailable" };
  };
}

describe("runSessionPair", () => {
  it("delivers one message byte-exact, dot lines and all", async () => {
    const content = new TextEncoder().encode("Subject: hi\r\n\r\n.dot\r\n..two\r\n.\r\nend\r\n");
    const run = await runSessionPair({
      client: { hostname: "client.example.com" },
      server: { hostname: "mx.example.org" },
      messages: [{ transaction: { from: alice, recipients: [{ address: bob }] }, content }],
    });
    expect(run.results).toMatchObject([{ status: "accepted" }]);
    expect(run.delivered).toHaveLength(1);
    expect(run.delivered[0]?.content).toEqual(content);
    expect(run.completed).toBe(true);
    expect(text(run.clientBytes)).toContain("\r\n...two\r\n");
    expect(text(run.clientBytes).endsWith("QUIT\r\n")).toBe(true);
    expect(text(run.serverBytes).startsWith("220 mx.example.org")).toBe(true);
    expect(run.serverEvents.some((event) => event.type === "session-closed")).toBe(true);
  });

  it("every message the server accepts arrives byte-exact and every refused recipient is rejected in the client's result, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(envelope({ maxRecipients: 5 }), message, verdicts, serverExtensions, clientSettings, sessionPairChunking(), async (env, content, recipientVerdicts, extensions, settings, chunking) => {
        const run = await runSessionPair({
          client: { hostname: "client.example.com", startTls: "never", ...settings },
          server: { hostname: "mx.example.org", extensions },
          messages: [{ transaction: { from: env.from, recipients: env.recipients.map((address) => ({ address })) }, content }],
          decide: deciderFor(env.recipients, recipientVerdicts),
          chunking,
        });
        expect(run.completed).toBe(true);
        const [result] = run.results;
        const accepted = env.recipients.filter((_, i) => recipientVerdicts[i] === "accept").map(key);
        expect(result?.recipients.filter((r) => r.status === "accepted").map((r) => key(r.address))).toEqual(accepted);
        for (const [i, recipient] of (result?.recipients ?? []).entries()) {
          if (recipientVerdicts[i] === "accept") continue;
          expect(recipient.status).toBe("rejected");
          expect(recipient.temporary).toBe(recipientVerdicts[i] === "temporary");
        }
        if (accepted.length === 0) {
          expect(result?.status).toBe("rejected");
          expect(run.delivered).toEqual([]);
        } else {
          expect(result?.status).toBe("accepted");
          expect(run.delivered).toHaveLength(1);
          expect(run.delivered[0]?.content).toEqual(content);
          expect(run.delivered[0]?.envelope.recipients.map((r) => key(r.to))).toEqual(accepted);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the bytes each side writes do not depend on how the other side's bytes were cut (chunkings of the recorded stream)", async () => {
    const options = {
      client: { hostname: "client.example.com", startTls: "never" as const },
      server: { hostname: "mx.example.org", extensions: { pipelining: true } },
    };
    await fc.assert(
      fc.asyncProperty(envelope({ maxRecipients: 3 }), message, async (env, content) => {
        const messages = [{ transaction: { from: env.from, recipients: env.recipients.map((address) => ({ address })) }, content }];
        const whole = await runSessionPair({ ...options, messages });
        const [toServer, toClient] = fc.sample(fc.tuple(chunkings(whole.clientBytes), chunkings(whole.serverBytes)), { numRuns: 1, seed: content.length })[0] ?? [[], []];
        const cut = await runSessionPair({
          ...options,
          messages,
          chunking: { toServer: toServer.map((chunk) => chunk.length), toClient: toClient.map((chunk) => chunk.length) },
        });
        const byteByByte = await runSessionPair({ ...options, messages, chunking: { toServer: [1], toClient: [1], content: [1] } });
        for (const other of [cut, byteByByte]) {
          expect(other.clientBytes).toEqual(whole.clientBytes);
          expect(other.serverBytes).toEqual(whole.serverBytes);
          expect(other.delivered).toEqual(whole.delivered);
          expect(other.results).toEqual(whole.results);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("asynchronous decisions give the same results as synchronous ones, with pipelined commands arriving while they are pending", async () => {
    await fc.assert(
      fc.asyncProperty(envelope({ maxRecipients: 4 }), verdicts, fc.array(fc.nat(3), { minLength: 1, maxLength: 6 }), async (env, recipientVerdicts, delays) => {
        const base = {
          client: { hostname: "client.example.com", startTls: "never" as const, pipelining: true },
          server: { hostname: "mx.example.org", extensions: { pipelining: true } },
          messages: [
            { transaction: { from: env.from, recipients: env.recipients.map((address) => ({ address })) }, content: new TextEncoder().encode("Subject: a\r\n\r\nA\r\n") },
            { transaction: { from: alice, recipients: [{ address: bob }] }, content: new TextEncoder().encode("Subject: b\r\n\r\nB\r\n") },
          ],
        };
        const decide = deciderFor(env.recipients, recipientVerdicts);
        let asked = 0;
        const sync = await runSessionPair({ ...base, decide });
        const later = await runSessionPair({
          ...base,
          decide: async (question) => {
            const wait = delays[asked++ % delays.length] ?? 0;
            for (let i = 0; i < wait; i += 1) await Promise.resolve();
            return decide(question);
          },
        });
        expect(later.results).toEqual(sync.results);
        expect(later.delivered).toEqual(sync.delivered);
        expect(later.completed).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("goes through STARTTLS when the client requires it, and the client's failure is reported when the server lacks it", async () => {
    const messages = [{ transaction: { from: alice, recipients: [{ address: bob }] }, content: new TextEncoder().encode("x\r\n") }];
    const secured = await runSessionPair({
      client: { hostname: "client.example.com", startTls: "required" },
      server: { hostname: "mx.example.org", tls: { starttls: true } },
      messages,
    });
    expect(secured.results).toMatchObject([{ status: "accepted" }]);
    expect(secured.clientEvents).toContainEqual(expect.objectContaining({ type: "session-ready", tls: true }));
    const refused = await runSessionPair({ client: { hostname: "client.example.com", startTls: "required" }, server: { hostname: "mx.example.org" }, messages });
    expect(refused.clientFailure?.reason).toBe("starttls-not-offered");
    expect(refused.results).toMatchObject([{ status: "aborted" }]);
    expect(text(refused.clientBytes)).not.toContain("MAIL");
    expect(refused.delivered).toEqual([]);
  });

  it("LMTP: one decision per recipient after the data, delivered once per accepted recipient", async () => {
    const carol = { localPart: "carol", domain: "example.org" };
    const run = await runSessionPair({
      client: { hostname: "client.example.com", lmtp: true, startTls: "never" },
      server: { hostname: "mx.example.org", lmtp: true },
      messages: [{ transaction: { from: alice, recipients: [{ address: bob }, { address: carol }] }, content: new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n") }],
      decide: (question) => (question.type === "message-end" && question.recipient?.to.localPart === "carol" ? { type: "reject", situation: "MailboxFull" } : { type: "accept" }),
    });
    expect(run.delivered.map((message) => message.recipient?.to.localPart)).toEqual(["bob"]);
    expect(run.results[0]?.status).toBe("accepted");
    expect(run.results[0]?.recipients.map((r) => [r.address.localPart, r.status])).toEqual([
      ["bob", "accepted"],
      ["carol", "rejected"],
    ]);
  });

  it("AUTH: the decider answers the SASL question, and a wrong password fails the session before MAIL", async () => {
    const attempt = (password: string) =>
      runSessionPair({
        client: { hostname: "client.example.com", startTls: "required", auth: { credentials: { username: "alice", password }, mechanisms: ["PLAIN"] } },
        server: { hostname: "mx.example.org", tls: { starttls: true }, auth: { sasl: { mechanisms: ["PLAIN"] } } },
        messages: [{ transaction: { from: alice, recipients: [{ address: bob }] }, content: new TextEncoder().encode("x\r\n") }],
        decide: (question) => {
          if (question.type !== "auth-requested") return { type: "accept" };
          const request = question.request;
          return request.type === "verify-password" && request.username === "alice" && request.password.reveal() === "wonderland" ? { type: "accept" } : { type: "reject" };
        },
      });
    const good = await attempt("wonderland");
    expect(good.clientEvents).toContainEqual({ type: "auth-succeeded", mechanism: "PLAIN" });
    expect(good.results[0]?.status).toBe("accepted");
    const bad = await attempt("looking-glass");
    expect(bad.clientFailure?.reason).toBe("auth-refused");
    expect(text(bad.clientBytes)).not.toContain("MAIL FROM");
    // The credential is never in an event.
    expect(JSON.stringify([...bad.clientEvents, ...bad.serverEvents])).not.toContain("looking-glass");
  });

  it("the connection decision can refuse the client (554) and then nothing is sent", async () => {
    const run: SessionPairResult = await runSessionPair({
      client: { hostname: "client.example.com" },
      server: { hostname: "mx.example.org" },
      messages: [{ transaction: { from: alice, recipients: [{ address: bob }] }, content: new Uint8Array(0) }],
      decide: (question) => (question.type === "connection-requested" ? { type: "reject" } : { type: "accept" }),
    });
    expect(text(run.serverBytes).startsWith("554")).toBe(true);
    expect(run.clientFailure?.reason).toBe("greeting-refused");
    expect(text(run.clientBytes)).not.toContain("MAIL");
    expect(run.completed).toBe(true);
  });

  it("a decider's exception propagates, and misuse throws TestkitError", async () => {
    const base = { client: { hostname: "client.example.com" }, server: { hostname: "mx.example.org" }, messages: [] };
    await expect(
      runSessionPair({
        ...base,
        decide: async () => {
          throw new Error("database down");
        },
      }),
    ).rejects.toThrow("database down");
    for (const chunking of [{ toServer: [0] }, { toClient: [1.5] }, { content: [-1] }]) {
      await expect(runSessionPair({ ...base, chunking })).rejects.toSatisfy(TestkitError.isInstance);
    }
    await expect(runSessionPair({ ...base, maxSteps: 0 })).rejects.toSatisfy(TestkitError.isInstance);
    expect(() => sessionPairChunking({ maxChunkSize: 0 })).toThrow(TestkitError);
  });

  it("stops at maxSteps and says the run did not complete", async () => {
    const run = await runSessionPair({ client: { hostname: "client.example.com" }, server: { hostname: "mx.example.org" }, messages: [], maxSteps: 2 });
    expect(run.completed).toBe(false);
    expect(run.steps).toBe(2);
  });

  it("the README example, as written", async () => {
    const text = "Subject: hi\r\n\r\n.a dot\r\n";
    const content = new TextEncoder().encode(text);
    await fc.assert(
      fc.asyncProperty(envelope(), sessionPairChunking(), async (env, chunking) => {
        const run = await runSessionPair({
          client: { hostname: "client.example.com", startTls: "never" },
          server: { hostname: "mx.example.org", extensions: { pipelining: true } },
          messages: [{ transaction: { from: env.from, recipients: env.recipients.map((address) => ({ address })) }, content }],
          // Your policy: here, no recipient at example.net.
          decide: (q) => (q.type === "recipient-requested" && q.to.domain === "example.net" ? { type: "reject", situation: "RelayDenied" } : { type: "accept" }),
          chunking,
        });
        const accepted = env.recipients.filter((r) => r.domain !== "example.net").length;
        return accepted === 0 ? run.delivered.length === 0 : new TextDecoder().decode(run.delivered[0]?.content) === text;
      }),
    );
  });
});
