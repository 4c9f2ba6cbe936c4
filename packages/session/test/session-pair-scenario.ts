// The session-pair property's scenario: what is generated, and the check
// that runs one scenario through a joined client and server.
import fc from "fast-check";
import { expect } from "vitest";
import type { AnyDecision, ClientTransaction, TransactionResult } from "@smtpkit/session";
import { Pair, type Question } from "./session-pair-harness.js";

type Verdict = "accept" | "temporary" | "permanent";
const verdict = fc.constantFrom<Verdict>("accept", "accept", "temporary", "permanent");

const mailboxes = [
  { localPart: "alice", domain: "example.com" },
  { localPart: "bob", domain: "example.org" },
  { localPart: "carol", domain: "example.org" },
  { localPart: "dave", domain: "example.net" },
  { localPart: "δοκιμή", domain: "παράδειγμα.δοκιμή" },
] as const;
const key = (mailbox: { localPart: string; domain: string } | null): string => (mailbox === null ? "<>" : `${mailbox.localPart}@${mailbox.domain}`);
const isAscii = (mailbox: { localPart: string; domain: string } | null): boolean => mailbox === null || /^[\x00-\x7f]*$/.test(key(mailbox));

/** Message text from the characters that matter: dots, bare CR and LF, 8-bit, long lines. */
const messageArbitrary = fc
  .array(fc.oneof(fc.constantFrom("a", ".", "\r", "\n", "\r\n", " ", "From: x\r\n", "\r\n.\r\n", "é", "..", "\n.\n"), fc.constant("x".repeat(1200))), { maxLength: 30 })
  .map((parts) => parts.join(""));

/** RFC 5321 §2.3.8 as the encoders apply it: every bare CR or LF becomes CRLF. */
function repair(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

const transactionArbitrary = fc.record({
  from: fc.constantFrom(null, ...mailboxes),
  recipients: fc.array(fc.constantFrom(...mailboxes), { minLength: 1, maxLength: 4 }),
  message: messageArbitrary,
  declare8bit: fc.boolean(),
  declareSize: fc.boolean(),
});

export const scenarioArbitrary = fc.record({
  server: fc.record({
    pipelining: fc.boolean(),
    size: fc.boolean(),
    eightBitMime: fc.boolean(),
    smtpUtf8: fc.boolean(),
    chunking: fc.boolean(),
    dsn: fc.boolean(),
    starttls: fc.boolean(),
    auth: fc.boolean(),
    /** SCRAM-SHA-256 offered beside PLAIN and LOGIN (the client then prefers it). */
    scram: fc.boolean(),
    smallLimit: fc.boolean(),
  }),
  client: fc.record({
    pipelining: fc.boolean(),
    chunking: fc.boolean(),
    chunkSize: fc.integer({ min: 1, max: 300 }),
    startTls: fc.constantFrom("opportunistic" as const, "never" as const, "required" as const),
  }),
  lmtp: fc.boolean(),
  transactions: fc.array(transactionArbitrary, { minLength: 1, maxLength: 3 }),
  senderVerdicts: fc.array(verdict, { minLength: 6, maxLength: 6 }),
  recipientVerdicts: fc.array(verdict, { minLength: 6, maxLength: 6 }),
  messageVerdicts: fc.array(verdict, { minLength: 16, maxLength: 16 }),
  cuts: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
  contentCuts: fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 5 }),
  delays: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }),
  /** Answer the server's questions out of order when the delays say so. */
  reorder: fc.boolean(),
  /** The client authenticates with the wrong password. */
  wrongPassword: fc.boolean(),
});

const limit = 200;
const encoder = new TextEncoder();
const textOf = (data: Uint8Array): string => new TextDecoder().decode(data);


/** The scenarios the pair property draws. */
export type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer Value> ? Value : never;

/**
 * Runs one scenario and checks every result and stored message against
 * what the scenario alone predicts.
 *
 * @returns tags of what the run exercised (for coverage checks)
 */
export function checkScenario(scenario: Scenario): Set<string> {
        const { server, client, lmtp } = scenario;
        const verdictOf = (list: readonly Verdict[], mailbox: { localPart: string; domain: string } | null): Verdict =>
          list[mailbox === null ? 5 : mailboxes.findIndex((m) => key(m) === key(mailbox))] as Verdict;
        // A message's verdict depends on which message it is and (LMTP) which recipient, never on the order decisions are made in.
        const messageVerdict = (started: number, position: number): Verdict => scenario.messageVerdicts[(started * 4 + position) % 16] as Verdict;
        const decide = (question: Question): AnyDecision => {
          const reject = (temporary: string, permanent: string, v: Verdict): AnyDecision =>
            v === "accept" ? { type: "accept" } : { type: "reject", situation: (v === "temporary" ? temporary : permanent) as never };
          switch (question.type) {
            case "connection-requested":
              return { type: "accept" };
            case "mail-requested":
              return reject("LocalError", "SenderRejected", verdictOf(scenario.senderVerdicts, question.from));
            case "recipient-requested":
              return reject("MailboxBusy", "MailboxUnavailable", verdictOf(scenario.recipientVerdicts, question.to));
            case "message-end": {
              const started = pair.serverEvents.filter((event) => event.type === "message-start").length - 1;
              const position = question.recipient === undefined ? 0 : question.envelope.recipients.indexOf(question.recipient);
              return reject("LocalError", "ContentRejected", messageVerdict(started, position));
            }
            default:
              return { type: "accept" };
          }
        };
        const mechanisms = server.scram ? (["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN", "LOGIN"] as const) : (["PLAIN", "LOGIN"] as const);
        const auth = server.auth
          ? { auth: { sasl: { mechanisms, allowPlaintextWithoutTls: true }, nonce: () => "server-nonce-abcdefgh" }, policy: { allowAuthWithoutTls: true } }
          : {};
        const pair: Pair = new Pair({
          server: {
            hostname: "mx.example.org",
            lmtp,
            extensions: {
              pipelining: server.pipelining,
              size: server.size,
              eightBitMime: server.eightBitMime,
              smtpUtf8: server.smtpUtf8,
              chunking: server.chunking,
              dsn: server.dsn,
            },
            tls: { starttls: server.starttls },
            // The hard error limit is not under test: the RCPTs pipelined behind a refused MAIL count as errors.
            limits: { maxMessageSize: server.smallLimit ? limit : 10_000_000, maxErrors: 1000 },
            ...auth,
          },
          client: {
            hostname: "client.example.com",
            lmtp,
            pipelining: client.pipelining,
            chunking: client.chunking,
            chunkSize: client.chunkSize,
            startTls: client.startTls,
            ...(server.auth
              ? {
                  auth: {
                    credentials: { username: "alice", password: scenario.wrongPassword ? "looking-glass" : "wonderland" },
                    allowPlaintextAuth: true,
                    scramNonce: "client-nonce-0123456789",
                  },
                }
              : {}),
          },
          decide,
          cuts: scenario.cuts,
          contentCuts: scenario.contentCuts,
          delays: scenario.delays,
          reorder: scenario.reorder,
        }).start();

        // What should happen, worked out from the scenario alone.
        const expected: { status: TransactionResult["status"]; either?: TransactionResult["status"]; temporary?: boolean; content?: string; recipients?: string[] }[] = [];
        let uncertain = false;
        const ids: number[] = [];
        let sessionFailed = (client.startTls === "required" && !server.starttls) || (server.auth && scenario.wrongPassword);
        let started = 0;
        const bdat = client.chunking && server.chunking;
        const pipelined = lmtp || server.pipelining;
        void pipelined;
        for (const t of scenario.transactions) {
          if (uncertain) break;
          const raw = encoder.encode(t.message);
          const eightBit = raw.some((octet) => octet >= 0x80);
          const repaired = repair(t.message);
          const content = bdat || repaired === "" || repaired.endsWith("\r\n") ? repaired : `${repaired}\r\n`;
          const size = encoder.encode(content).length;
          const transaction: ClientTransaction = {
            from: t.from,
            recipients: t.recipients.map((address) => ({ address })),
            ...(eightBit && t.declare8bit ? { body: "8BITMIME" as const } : {}),
            ...(t.declareSize ? { size } : {}),
          };
          ids.push(pair.send(transaction, raw));
          if (sessionFailed) {
            expected.push({ status: "aborted" });
            continue;
          }
          const utf8 = !isAscii(t.from) || t.recipients.some((r) => !isAscii(r));
          if (utf8 && !server.smtpUtf8) {
            expected.push({ status: "refused" });
            continue;
          }
          if (eightBit && t.declare8bit && !server.eightBitMime) {
            expected.push({ status: "refused" });
            continue;
          }
          if (t.declareSize && server.size && size > limit && server.smallLimit) {
            expected.push({ status: "refused" });
            continue;
          }
          const sender = verdictOf(scenario.senderVerdicts, t.from);
          if (sender !== "accept") {
            expected.push({ status: "rejected", temporary: sender === "temporary" });
            continue;
          }
          const verdicts = t.recipients.map((r) => verdictOf(scenario.recipientVerdicts, r));
          const accepted = t.recipients.filter((_, i) => verdicts[i] === "accept").map(key);
          if (accepted.length === 0) {
            expected.push({ status: "rejected", temporary: verdicts.includes("temporary") });
            continue;
          }
          started += 1;
          if (eightBit && !t.declare8bit && !server.eightBitMime) {
            if (server.smallLimit && size > limit) {
              // Which comes first, the server's refusal of the size or the client's discovery
              // of the 8-bit octet, depends on where they sit: either ends this transaction,
              // and what follows is not predicted.
              expected.push({ status: "aborted", either: "rejected" });
              uncertain = true;
              break;
            }
            expected.push({ status: "aborted" });
            sessionFailed = true;
            continue;
          }
          if (server.smallLimit && size > limit) {
            // Not declared (or SIZE not offered): the server refuses it after reading it.
            expected.push({ status: "rejected", temporary: false });
            continue;
          }
          if (lmtp) {
            const each = accepted.map((_, position) => messageVerdict(started - 1, position));
            const delivered = accepted.filter((_, i) => each[i] === "accept");
            if (delivered.length > 0) expected.push({ status: "accepted", content, recipients: delivered });
            else expected.push({ status: "rejected", temporary: each.includes("temporary") });
            continue;
          }
          const message = messageVerdict(started - 1, 0);
          if (message === "accept") expected.push({ status: "accepted", content, recipients: accepted });
          else expected.push({ status: "rejected", temporary: message === "temporary" });
        }
        for (const t of scenario.transactions.slice(ids.length)) {
          ids.push(pair.send({ from: t.from, recipients: t.recipients.map((address) => ({ address })) }, encoder.encode(t.message)));
        }
        pair.run();

        const byId = new Map(pair.results.map((result) => [result.id, result]));
        expect(pair.results).toHaveLength(ids.length);
        const storedExpected: { content: string; recipients: string[] }[] = [];
        ids.forEach((id, i) => {
          const want = expected[i];
          const got = byId.get(id) as TransactionResult;
          if (want === undefined) return;
          if (want.either !== undefined && got.status === want.either) return;
          expect({ id, status: got.status }).toEqual({ id, status: want.status });
          if (want.temporary !== undefined) expect(got.temporary).toBe(want.temporary);
          if (want.status === "accepted") {
            storedExpected.push({ content: want.content as string, recipients: want.recipients as string[] });
            const acceptedRecipients = got.recipients.filter((r) => r.status === "accepted").map((r) => key(r.address));
            expect(acceptedRecipients).toEqual(want.recipients);
          }
        });
        const stored = pair.stored.map((message) => ({ content: textOf(message.content), recipients: [...message.recipients] }));
        if (uncertain) {
          // Only what was predicted before the uncertainty is compared.
          expect(stored.slice(0, storedExpected.length)).toEqual(lmtp ? stored.slice(0, storedExpected.length) : storedExpected);
        } else if (lmtp) {
          const perRecipient = storedExpected.flatMap((m) => m.recipients.map((r) => ({ content: m.content, recipients: [r] })));
          // One stored copy per delivered recipient, in the order the decisions came.
          const order = (list: { content: string; recipients: string[] }[]) => list.map((m) => JSON.stringify(m)).sort();
          expect(order(stored)).toEqual(order(perRecipient));
        } else {
          expect(stored).toEqual(storedExpected);
        }
        expect(pair.clientClosed && pair.serverClosed).toBe(true);
        expect(pair.disagreements).toEqual([]);
        const seen = new Set<string>(pair.results.map((result) => result.status));
        for (const event of pair.clientEvents) if (event.type === "auth-succeeded") seen.add(`auth-${event.mechanism}`);
        if (pair.clientEvents.some((event) => event.type === "capabilities-received" && event.tls)) seen.add("tls");
        if (pair.serverEvents.some((event) => event.type === "message-start" && event.transport === "BDAT")) seen.add("bdat");
        if (lmtp && seen.has("accepted")) seen.add("lmtp-accepted");
        if (pair.results.some((result) => result.status === "accepted" && result.recipients.some((r) => r.status === "rejected"))) seen.add("partial");
        return seen;
}
