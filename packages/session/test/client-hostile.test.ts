// The client against arbitrary (also hostile) servers: for any reply stream in
// any chunking it never throws, never sends a command out of sequence (checked
// against the transition table by an independent observer), never sends a
// credential in clear text unless allowed, never sends MAIL or AUTH after a
// failed required STARTTLS, and reports every transaction exactly once.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapabilitySet, parseCommand, ReplyReader } from "@smtpkit/grammar";
import {
  createClientSession,
  type ClientEvent,
  type ClientSession,
  type ClientSessionOptions,
  type ClientTransaction,
  type StartTlsPolicy,
} from "@smtpkit/session";
import { alice, bob, bytes, carol, inputOfLine, latin1, TableObserver, WireParser, type WireItem } from "./client-harness.js";

const password = "Zq7-secret-Pw";
const username = "user1";
const b64 = (text: string): string => btoa(text);

const capabilityPool = [
  "PIPELINING",
  "8BITMIME",
  "SMTPUTF8",
  "CHUNKING",
  "BINARYMIME",
  "DSN",
  "SIZE 100",
  "SIZE 0",
  "STARTTLS",
  "AUTH PLAIN LOGIN",
  "AUTH SCRAM-SHA-256 PLAIN",
  "AUTH CRAM-MD5",
  "AUTH=LOGIN",
  "REQUIRETLS",
  "ENHANCEDSTATUSCODES",
];

const optionsArbitrary = fc.record({
  startTls: fc.constantFrom<StartTlsPolicy>("required", "opportunistic", "never"),
  auth: fc.boolean(),
  allowPlaintextAuth: fc.boolean(),
  pipelining: fc.boolean(),
  pipelineData: fc.boolean(),
  chunking: fc.boolean(),
  lmtp: fc.boolean(),
  chunkSize: fc.integer({ min: 1, max: 64 }),
});

type Choices = typeof optionsArbitrary extends fc.Arbitrary<infer Value> ? Value : never;

function makeOptions(options: Choices): ClientSessionOptions {
  return {
    hostname: "client.example.com",
    startTls: options.startTls,
    pipelining: options.pipelining,
    pipelineData: options.pipelineData,
    chunking: options.chunking,
    lmtp: options.lmtp,
    chunkSize: options.chunkSize,
    ...(options.auth
      ? { auth: { credentials: { username, password }, allowPlaintextAuth: options.allowPlaintextAuth, allowCramMd5: true, scramNonce: "abcdefghijklmnop" } }
      : {}),
  };
}

const transactionArbitrary: fc.Arbitrary<ClientTransaction> = fc.record({
  from: fc.constantFrom(alice, null, { localPart: "ünï", domain: "example.com" }),
  recipients: fc.array(fc.constantFrom({ address: bob }, { address: carol, notify: ["FAILURE" as const] }), { minLength: 1, maxLength: 3 }),
  body: fc.constantFrom(undefined, "7BIT" as const, "8BITMIME" as const, "BINARYMIME" as const),
  size: fc.constantFrom(undefined, 10, 1000),
}).map((t) => {
  const out: Record<string, unknown> = { from: t.from, recipients: t.recipients };
  if (t.body !== undefined) out["body"] = t.body;
  if (t.size !== undefined) out["size"] = t.size;
  return out as unknown as ClientTransaction;
});

const messageArbitrary = fc.constantFrom("Subject: a\r\n\r\nhello\r\n", ".\r\n..\r\nx", "caf\u00e9\n", "", "a\rb\nc");

/** Random bytes, and server-ish lines that get past the reply parser. */
const replyLineArbitrary = fc.oneof(
  fc.constantFrom(
    "220 mx ESMTP",
    "220 2.0.0 go",
    "250 ok",
    "250 2.1.5 ok",
    "251 forward",
    "221 bye",
    "235 2.7.0 ok",
    "334 ",
    `334 ${b64("Username:")}`,
    `334 ${b64("Password:")}`,
    "334 cj1hYmNkZWZnaGlqa2xtbm9wWFlaLHM9UVNYQ1IrUTZzZWs4YmY5MixpPTQwOTY=",
    "354 go",
    "421 4.3.2 bye",
    "450 later",
    "452 4.5.3 too many",
    "500 what",
    "501 syntax",
    "502 no",
    "503 sequence",
    "530 auth first",
    "535 5.7.8 no",
    "550 5.1.1 unknown",
    "552 5.3.4 too big",
    "554 no",
  ),
  fc.constantFrom(...capabilityPool).map((capability) => `250-mx\r\n250 ${capability}`),
  fc.subarray(capabilityPool).map((capabilities) => ["mx", ...capabilities].map((line, i, all) => `250${i === all.length - 1 ? " " : "-"}${line}`).join("\r\n")),
  fc.string({ unit: fc.constantFrom(..."0123456789 -abcXYZ=.\t\u00e9\u0000\r"), maxLength: 12 }),
  fc.integer({ min: 200, max: 599 }).map((code) => `${code} x`),
);

const streamArbitrary = fc.array(fc.oneof({ weight: 5, arbitrary: replyLineArbitrary.map((line) => `${line}\r\n`) }, fc.uint8Array({ maxLength: 8 }).map(latin1)), { maxLength: 24 });

interface Run {
  readonly session: ClientSession;
  readonly events: ClientEvent[];
  readonly observer: TableObserver;
  readonly parser: WireParser;
  /** Everything written before TLS. */
  clearText: string;
  tlsUp: boolean;
  closed: boolean;
  afterClose: number;
  readonly items: WireItem[];
  /** Chunks go to the client whole, so replies cannot be paired with commands by the observer. */
  readonly unpaired: boolean;
  /** What the server advertised last (empty after STARTTLS until the next EHLO reply). */
  capabilities: CapabilitySet;
  /** Command lines a strict server would refuse, or with parameters not advertised. */
  readonly badLines: string[];
}

/** Feeds outputs to the observer and the parser; returns what the embedder must do. */
function collect(run: Run): { chunkNeeded: boolean; startTls: boolean } {
  let chunkNeeded = false;
  let startTls = false;
  for (const output of run.session.takeOutputs()) {
    if (run.closed) run.afterClose += 1;
    if (output.type === "close") run.closed = true;
    if (output.type === "start-tls") startTls = true;
    if (output.type === "start-tls") run.capabilities = CapabilitySet.empty;
    if (output.type === "event") {
      run.events.push(output.event);
      if (output.event.type === "capabilities-received") run.capabilities = output.event.capabilities;
      if (output.event.type === "message-chunk-needed") chunkNeeded = true;
    }
    if (output.type === "write") {
      const text = latin1(output.bytes);
      if (!run.tlsUp) run.clearText += text;
      for (const item of run.parser.push(text)) {
        run.items.push(item);
        checkLine(run, item);
        observe(run, item);
      }
    }
  }
  return { chunkNeeded, startTls };
}

/**
 * Every command line is one a strict server reads as intended, and MAIL and
 * RCPT carry only parameters of extensions the server advertised.
 */
function checkLine(run: Run, item: WireItem): void {
  if (item.type !== "line" || inputOfLine(item.text) === undefined || (run.observer.state === "auth" && run.observer.pending.length === 0)) return;
  const parsed = parseCommand(item.text, { strict: true, extensions: run.capabilities });
  if (!parsed.ok) run.badLines.push(`${item.text}: ${parsed.error.message}`);
}

function observe(run: Run, item: WireItem): void {
  const observer = run.observer;
  if (item.type === "content-end") {
    if (observer.predicted !== "data") {
      // A 354 the table does not allow: pipelined DATA behind a refused sender or refused
      // recipients. RFC 2920 §3.1: the client ends the data at once; the content never goes.
      if (item.content !== "") observer.violations.push(`content after a refused envelope: ${JSON.stringify(item.content)}`);
      observer.pending.push(undefined);
      return;
    }
    observer.sent("data-end", observer.flags.lmtp ? Math.max(1, observer.accepted) : 1);
    return;
  }
  if (item.type === "bdat") {
    observer.sent(item.last ? "BDAT LAST" : "BDAT", item.last && observer.flags.lmtp ? Math.max(1, observer.accepted) : 1);
    return;
  }
  if (observer.state === "auth" && observer.pending.length === 0) {
    observer.sent("sasl-response");
    return;
  }
  const input = inputOfLine(item.text);
  if (input === undefined) observer.violations.push(`unknown line ${JSON.stringify(item.text)}`);
  else observer.sent(input);
}

/** Receives server bytes, at most one line ending per call so the observer can pair replies. */
function deliver(run: Run, text: string, now: number, reader: ReplyReader): void {
  let start = 0;
  while (start < text.length && !run.closed) {
    const lf = text.indexOf("\n", start);
    // Unpaired runs take each chunk whole (several replies in one read); the table observer cannot follow them.
    const end = run.unpaired || lf < 0 ? text.length : lf + 1;
    // The text is latin1: one character per octet, so 8-bit and invalid UTF-8 octets get through.
    const raw = Uint8Array.from(text.slice(start, end), (c) => c.charCodeAt(0) & 0xff);
    start = end;
    run.session.receive(raw, now);
    for (const event of reader.push(raw)) {
      if (event.type !== "reply") continue;
      const answered = run.observer.pending[0];
      run.observer.replied(event.reply.code);
      // A server that answered DATA with 354 reads content, whatever the table says it should have answered.
      if (answered === "DATA" && event.reply.code === 354) run.parser.dataMode();
    }
    collect(run);
    // The session's own reading of the table agrees with the independent replay.
    if (!run.unpaired && !run.closed && run.observer.violations.length === 0) {
      expect(run.session.snapshot().protocolState).toBe(run.observer.state);
    }
  }
}

function checkLaws(run: Run, options: ClientSessionOptions, transactionCount: number): void {
  if (!run.unpaired) expect(run.observer.violations).toEqual([]);
  expect(run.badLines).toEqual([]);
  expect(run.afterClose).toBe(0);
  // Every transaction is reported exactly once.
  const results = run.events.flatMap((event) => (event.type === "transaction-result" ? [event.result.id] : []));
  expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: transactionCount }, (_, i) => i + 1));
  // No credential in clear text unless allowed.
  if (options.auth !== undefined && options.auth.allowPlaintextAuth !== true) {
    expect(run.clearText).not.toMatch(/AUTH (PLAIN|LOGIN|XOAUTH2|OAUTHBEARER)/);
    expect(run.clearText).not.toContain(password);
    expect(run.clearText).not.toContain(b64(password));
  }
  // Required STARTTLS: nothing but EHLO, HELO, STARTTLS and QUIT in clear text.
  if (options.startTls === "required") {
    for (const line of run.clearText.split("\r\n")) expect(line).not.toMatch(/^(MAIL|RCPT|AUTH|DATA|BDAT|RSET)/);
  }
  const failure = run.events.find((event) => event.type === "session-failed");
  if (failure?.type === "session-failed") {
    expect(failure.failure.reason).not.toBe("out-of-sequence");
    expect(["local", "remote"]).toContain(failure.failure.fault);
  }
}

/** How far the runs got, so that the laws are not checked only on shallow conversations. */
const reached = new Map<string, number>();
function note(run: Run): void {
  const seen = new Set<string>();
  for (const event of run.events) {
    seen.add(event.type === "transaction-result" ? `result-${event.result.status}` : event.type === "session-failed" ? `failed-${event.failure.reason}` : event.type);
  }
  for (const item of run.items) seen.add(item.type === "line" ? (inputOfLine(item.text) ?? "sasl-response") : item.type);
  if (run.tlsUp) seen.add("tls");
  for (const key of seen) reached.set(key, (reached.get(key) ?? 0) + 1);
}

/** A fresh run: a client session, its observers, nothing received yet. */
function newRun(sessionOptions: Parameters<typeof createClientSession>[0], lmtp: boolean | undefined, unpaired: boolean): Run {
  return {
    session: createClientSession(sessionOptions),
    events: [],
    observer: new TableObserver(lmtp),
    parser: new WireParser(),
    clearText: "",
    tlsUp: false,
    closed: false,
    afterClose: 0,
    items: [],
    unpaired,
    capabilities: CapabilitySet.empty,
    badLines: [],
  };
}

describe("the client against arbitrary servers", () => {
  it("a random reply stream in random chunks (whole, or split at every line end for the table observer): no throw, in sequence, no clear-text credentials", () => {
    fc.assert(
      fc.property(optionsArbitrary, fc.array(transactionArbitrary, { minLength: 1, maxLength: 3 }), streamArbitrary, fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (options, transactions, stream, cuts, unpaired) => {
        const sessionOptions = makeOptions(options);
        const run = newRun(sessionOptions, options.lmtp, unpaired);
        const reader = new ReplyReader();
        run.session.connected(0);
        for (const transaction of transactions) run.session.send(transaction);
        collect(run);
        const text = stream.join("");
        let position = 0;
        let now = 1;
        for (const cut of cuts) {
          if (run.closed || position >= text.length) break;
          const end = Math.min(text.length, position + 1 + (cut % 16));
          deliver(run, text.slice(position, end), (now += 1000), reader);
          position = end;
          embedder(run, now);
        }
        if (!run.closed && position < text.length) deliver(run, text.slice(position), (now += 1000), reader);
        embedder(run, now);
        run.session.tick(now + 3_600_000);
        collect(run);
        run.session.peerClosed(now + 3_600_001);
        collect(run);
        checkLaws(run, sessionOptions, transactions.length);
      }),
      { numRuns: Number(process.env["CLIENT_RUNS"] ?? 300) },
    );
  });

  it("the observer itself catches a command out of sequence", () => {
    const observer = new TableObserver();
    observer.replied(220);
    observer.sent("EHLO");
    observer.sent("RCPT");
    observer.sent("DATA");
    expect(observer.violations).toEqual(["RCPT in ready", "DATA in ready"]);
  });

  it("a server that answers each command with a random but plausible reply: laws hold deep into transactions", () => {
    const plausible = fc.property(
      optionsArbitrary,
      fc.array(transactionArbitrary, { minLength: 1, maxLength: 3 }),
      messageArbitrary,
      fc.array(fc.nat({ max: 99 }), { minLength: 1, maxLength: 60 }),
      fc.subarray(capabilityPool),
      (options, transactions, message, dice, capabilities) => {
        const sessionOptions = makeOptions(options);
        const run = newRun(sessionOptions, options.lmtp, false);
        const reader = new ReplyReader();
        let roll = 0;
        const die = (): number => dice[roll++ % dice.length] as number;
        let now = 0;
        run.session.connected(now);
        for (const transaction of transactions) run.session.send(transaction);
        collect(run);
        let answered = 0;
        deliver(run, "220 mx.example.org ESMTP\r\n", (now += 10), reader);
        let content = bytes(message);
        for (let step = 0; step < 200 && !run.closed; step += 1) {
          const fresh = run.items.slice(answered);
          answered = run.items.length;
          let reply = "";
          for (const item of fresh) reply += answer(item, die, capabilities);
          if (reply !== "") {
            deliver(run, reply, (now += 10), reader);
            continue;
          }
          const { chunkNeeded, startTls } = embedderNeeds(run);
          if (startTls) {
            run.tlsUp = true;
            run.observer.tlsEstablished();
            run.session.tlsEstablished({}, (now += 10));
            collect(run);
          } else if (chunkNeeded) {
            if (content.length === 0) {
              run.session.endMessage((now += 10));
              content = bytes(message);
            } else {
              const size = 1 + (die() % 8);
              run.session.provideMessage(content.subarray(0, size), (now += 10));
              content = content.subarray(size);
            }
            collect(run);
          } else if (!run.session.snapshot().quitRequested) {
            run.session.quit((now += 10));
            collect(run);
          } else {
            run.session.peerClosed((now += 10));
            collect(run);
          }
        }
        if (!run.closed) {
          run.session.peerClosed((now += 10));
          collect(run);
        }
        checkLaws(run, sessionOptions, transactions.length);
        note(run);
      },
    );
    // The laws, on fresh random draws every run.
    fc.assert(plausible, { numRuns: Number(process.env["CLIENT_RUNS"] ?? 400) });
    // The laws again on a fixed draw, which is known to reach every part of the protocol: the coverage
    // check below must not depend on luck (a random draw missed HELO or STARTTLS injection about one run in 16).
    fc.assert(plausible, { numRuns: 400, seed: 20_261_129 });
    // The plausible server drives the client through every part of the protocol.
    for (const key of ["MAIL", "RCPT", "DATA", "content-end", "bdat", "RSET", "QUIT", "STARTTLS", "tls", "AUTH", "sasl-response", "HELO", "LHLO", "result-accepted", "result-rejected", "result-refused", "result-aborted", "auth-succeeded", "failed-starttls-injection", "failed-service-closing"]) {
      expect(reached.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  });
});

/** The embedder's pending duties, read from the session's state. */
function embedderNeeds(run: Run): { chunkNeeded: boolean; startTls: boolean } {
  const snapshot = run.session.snapshot();
  // In the content state with nothing awaited, the session is waiting for a chunk.
  return { chunkNeeded: snapshot.state === "content" && snapshot.awaiting.length === 0, startTls: snapshot.state === "tls-handshake" };
}

/** A quick embedder for the random stream: upgrade when asked, give a one-line message. */
function embedder(run: Run, now: number): void {
  const snapshot = run.session.snapshot();
  if (snapshot.state === "tls-handshake") {
    run.tlsUp = true;
    run.observer.tlsEstablished();
    run.session.tlsEstablished({}, now);
    collect(run);
  } else if (snapshot.state === "content" && snapshot.awaiting.length === 0) {
    run.session.provideMessage(bytes("x\r\n"), now);
    run.session.endMessage(now);
    collect(run);
  }
}

/** A plausible reply to one item, or a hostile one, as the dice say. */
function answer(item: WireItem, die: () => number, capabilities: readonly string[]): string {
  const roll = die();
  if (roll < 4) return "421 4.3.2 shutting down\r\n";
  if (roll < 7) return `${["250 ok", "354 go", "334 ", "220 hi", "999 x", "abc", "550 no"][die() % 7]}\r\n`;
  if (item.type === "content-end") return roll < 20 ? "451 4.3.0 later\r\n" : "250 2.0.0 queued\r\n";
  if (item.type === "bdat") return roll < 15 ? "552 5.3.4 too big\r\n" : "250 2.0.0 ok\r\n";
  const verb = item.text.split(" ")[0] ?? "";
  switch (verb) {
    case "EHLO":
    case "LHLO":
      if (roll < 10) return "502 5.5.1 no\r\n";
      return ["mx.example.org", ...capabilities].map((line, i, all) => `250${i === all.length - 1 ? " " : "-"}${line}\r\n`).join("");
    case "HELO":
      return "250 mx.example.org\r\n";
    case "STARTTLS":
      if (roll < 15) return "454 4.7.0 not now\r\n";
      return roll < 20 ? "220 go\r\n250 injected\r\n" : "220 2.0.0 go\r\n";
    case "AUTH":
      if (roll < 20) return "535 5.7.8 no\r\n";
      if (roll < 50) return `334 ${b64(roll < 35 ? "Username:" : "r=abcdefghijklmnopXYZ,s=QSXCR+Q6sek8bf92,i=4096")}\r\n`;
      return "235 2.7.0 ok\r\n";
    case "MAIL":
      return roll < 20 ? "550 5.7.1 no\r\n" : "250 2.1.0 ok\r\n";
    case "RCPT":
      return roll < 25 ? "450 4.2.0 later\r\n" : roll < 35 ? "550 5.1.1 unknown\r\n" : "250 2.1.5 ok\r\n";
    case "DATA":
      return roll < 20 ? "554 5.5.1 no valid recipients\r\n" : "354 go\r\n";
    case "RSET":
      return roll < 10 ? "500 no\r\n" : "250 2.0.0 ok\r\n";
    case "QUIT":
      return "221 2.0.0 bye\r\n";
    default:
      // A SASL response line.
      return roll < 50 ? "235 2.7.0 ok\r\n" : roll < 75 ? `334 ${b64("Password:")}\r\n` : "535 5.7.8 no\r\n";
  }
}
