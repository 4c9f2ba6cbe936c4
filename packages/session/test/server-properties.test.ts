// Properties of ServerSession over arbitrary command streams: exactly one
// final reply per command, in order, each one RFC 5321 §4.3.2 allows; the
// result does not depend on how the bytes are split; random bytes never
// throw; decisions answered out of order still give in-order replies.
import { isReplyAllowed, repliesFor } from "@smtpkit/codes";
import {
  createServerSession,
  findTransition,
  nextState,
  type AnyDecision,
  type CommandInput,
  type ServerEvent,
  type ServerSessionConfig,
  type SessionInput,
  type SessionState,
} from "@smtpkit/session";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const encoder = new TextEncoder();
const plain = Buffer.from("\0user\0secret").toString("base64");

/** Command lines (and the bytes that follow some of them) from an SMTP-ish alphabet. */
const piece: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "EHLO client.example\r\n",
    "HELO client.example\r\n",
    "LHLO client.example\r\n",
    "MAIL FROM:<a@example.com>\r\n",
    "MAIL FROM:<> SIZE=100 BODY=8BITMIME\r\n",
    "MAIL FROM:<a@example.com> SIZE=999999999999\r\n",
    "MAIL FROM:<a@example.com> BODY=BINARYMIME\r\n",
    "MAIL FROM:<a@example.com> RET=FULL\r\n",
    "MAIL FROM:<δ@example.com> SMTPUTF8\r\n",
    "MAIL FROM:<a@example.com> FROB=1\r\n",
    "MAIL FROM:a@example.com\r\n",
    "MAIL FROM:<a@example.com\r\n",
    "RCPT TO:<b@example.org>\r\n",
    "RCPT TO:<reject@example.org>\r\n",
    "RCPT TO:<δ@example.org>\r\n",
    "RCPT TO:<c@example.org> NOTIFY=NEVER\r\n",
    "RCPT TO:<>\r\n",
    "DATA\r\n",
    "DATA\r\nSubject: x\r\n\r\nhello\r\n.\r\n",
    "DATA\r\n..stuffed\r\nline\n.\nMAIL FROM:<evil@example.com>\r\n.\r\n",
    "BDAT 5\r\nhello",
    "BDAT 3 LAST\r\nend",
    "BDAT 0 LAST\r\n",
    "BDAT x\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "NOOP hello\r\n",
    "VRFY bob\r\n",
    "EXPN list\r\n",
    "HELP\r\n",
    "HELP MAIL\r\n",
    "ETRN example.org\r\n",
    "STARTTLS\r\n",
    "STARTTLS now\r\n",
    `AUTH PLAIN ${plain}\r\n`,
    `AUTH PLAIN\r\n${plain}\r\n`,
    "AUTH PLAIN\r\n*\r\n",
    "AUTH LOGIN\r\n",
    "AUTH FOO\r\n",
    "QUIT\r\n",
    "GET / HTTP/1.1\r\n",
    "XYZZY\r\n",
    "\r\n",
    "mail from:<A@EXAMPLE.COM>\r\n",
    "RCPT TO:<b@example.org>\n",
    "." + "x".repeat(3000) + "\r\n",
  ),
  fc.string({ unit: fc.constantFrom("A", "M", " ", ":", "<", ">", "@", ".", "\r", "\n", "\r\n", "Q", "D"), maxLength: 30 }),
);

const baseConfig: ServerSessionConfig = {
  hostname: "mx.example.com",
  tls: { starttls: true },
  auth: { sasl: { mechanisms: ["PLAIN", "LOGIN"] } },
  policy: { allowAuthWithoutTls: true, forbidUnauthorizedPipelining: false },
  extensions: { dsn: true, binaryMime: true },
  limits: { maxMessageSize: 1000, maxRecipients: 3, maxErrors: 15 },
};

interface Run {
  readonly replies: { to: string; code: number; enhanced: string | undefined }[];
  readonly events: ServerEvent[];
  readonly message: string;
  readonly closed: boolean;
  readonly violations: string[];
}

/**
 * Feeds `input` in the given pieces, answering questions with `answer`
 * (by request order), either at once or, with `delayed`, all at the end in
 * the order `order` gives. Completes TLS handshakes as asked. Checks the reply
 * law along the way.
 */
function run(
  config: ServerSessionConfig,
  pieces: readonly Uint8Array[],
  answer: (event: ServerEvent & { requestId: number }, index: number) => AnyDecision,
  options: { delayed?: boolean; order?: readonly number[] } = {},
): Run {
  const session = createServerSession(config);
  const replies: Run["replies"] = [];
  const events: ServerEvent[] = [];
  const violations: string[] = [];
  let message = "";
  let closed = false;
  let startTls = false;
  let requests = 0;
  const waiting: (ServerEvent & { requestId: number })[] = [];
  // The reply law, checked as outputs come: a queue of commands owed a final reply.
  const owed: string[] = [];
  // The reference model: the transition table driven only by what a client sees (its commands and
  // the reply codes), as the client session and the testkit drive it. It must agree with the server.
  const lines: string[] = [];
  let model: SessionState = "greeting";
  const flags = { tls: config.tls?.implicit === true, authenticated: false, lmtp: config.lmtp === true };
  const step = (input: SessionInput, code: number): void => {
    const row = findTransition(model, input, flags);
    if (row !== undefined) model = nextState(row, code);
  };
  const decoder = new TextDecoder();

  const drain = (): void => {
    for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
      if (closed) throw new Error("output after close");
      if (output.type === "close") closed = true;
      else if (output.type === "start-tls") startTls = true;
      else if (output.type === "event") {
        const event = output.event;
        events.push(event);
        if (event.type === "command-received") {
          owed.push(event.verb ?? "unknown");
          lines.push(event.line);
        }
        if (event.type === "protocol-violation") violations.push(event.violation);
        if (event.type === "message-chunk") message += decoder.decode(event.data, { stream: true });
        if (event.type === "reply-sent") {
          replies.push({ to: event.to, code: event.code, enhanced: event.enhanced });
          if (event.to === "CONNECT") {
            expect(isReplyAllowed("CONNECT", event.code)).toBe(true);
            if (event.code === 421) model = "closed";
            else step("connect", event.code);
          } else if (event.to === "none") {
            model = "closed";
            // Unsolicited: only 421 (RFC 5321 §3.8) or Postfix's 554 5.5.0, and the close follows.
            expect([421, 554]).toContain(event.code);
          } else {
            expect(owed[0], `a reply ${event.code} to ${event.to} answers the oldest command`).toBe(event.to);
            if (event.to === "unknown") expect([421, 500, 501, 502]).toContain(event.code);
            else expect(isReplyAllowed(event.to, event.code), `${event.code} to ${event.to}`).toBe(true);
            if (event.to !== "unknown") {
              const verb = event.to as CommandInput;
              if (model === "data" && verb === "DATA") step("data-end", event.code);
              else if (model === "auth" && verb === "AUTH") step("sasl-response", event.code);
              else step(verb === "BDAT" && /\bLAST\b/i.test(lines[0] ?? "") ? "BDAT LAST" : verb, event.code);
              if (verb === "AUTH" && event.code === 235) flags.authenticated = true;
            }
            // 354 and 334 are intermediate: the command still owes its final reply.
            if (event.code !== 354 && event.code !== 334) {
              owed.shift();
              lines.shift();
            }
          }
        }
        if ("requestId" in event) {
          const index = requests;
          requests += 1;
          if (options.delayed === true) waiting.push(event);
          else session.decide(event.requestId, answer(event, index));
        }
      }
    }
  };

  session.connect({ remoteAddress: "192.0.2.1" }, 0);
  drain();
  let now = 0;
  for (const bytes of pieces) {
    if (closed) break;
    now += 1;
    session.receive(bytes, now);
    drain();
    if (startTls && !closed && session.state === "tls-handshake") {
      startTls = false;
      session.tlsEstablished({}, now);
      step("tls-established", 220);
      flags.tls = true;
      flags.authenticated = false;
      drain();
    }
  }
  // Answer whatever waits, in the order given, until nothing does.
  let round = 0;
  while (waiting.length > 0 && !closed) {
    const pick = (options.order?.[round] ?? 0) % waiting.length;
    round += 1;
    const [event] = waiting.splice(pick, 1);
    session.decide(event!.requestId, answer(event!, round));
    drain();
    if (startTls && !closed && session.state === "tls-handshake") {
      startTls = false;
      session.tlsEstablished({}, now);
      step("tls-established", 220);
      flags.tls = true;
      flags.authenticated = false;
      drain();
    }
  }
  // The model, fed only what a client sees, is where the server is.
  if (!closed) expect(model, "the table driven by the replies agrees with the server").toBe(session.state);
  // Exactly one final reply per command taken up: none is left owed, except the one whose
  // content or SASL exchange the input stopped in the middle of (its 354/334 went out).
  if (owed.length > 0 && !closed) {
    expect(owed).toHaveLength(1);
    expect(["DATA", "BDAT", "AUTH"]).toContain(owed[0]);
    expect(["data", "auth", "recipients", "bdat"]).toContain(session.state);
  } else {
    expect(owed, "commands left without a reply").toEqual([]);
  }
  return { replies, events, message, closed, violations };
}

const decideByContent = (event: ServerEvent & { requestId: number }): AnyDecision => {
  if (event.type === "auth-requested") return { type: "accept" };
  if (event.type === "recipient-requested" && event.to.localPart === "reject") return { type: "reject", situation: "MailboxUnavailable" };
  return { type: "accept" };
};

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    if (point > start) pieces.push(bytes.slice(start, point));
    start = Math.max(start, point);
  }
  if (start < bytes.length) pieces.push(bytes.slice(start));
  return pieces;
}

describe("ServerSession properties", () => {
  it("one final reply per command, in order, each allowed by RFC 5321 §4.3.2 (random decisions, arbitrary splits)", () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        (commands, cuts, verdicts) => {
          const input = encoder.encode(commands.join(""));
          run(baseConfig, split(input, cuts), (event, index) => {
            if (event.type === "auth-requested") return verdicts[index % verdicts.length] ? { type: "accept" } : { type: "reject" };
            return verdicts[index % verdicts.length] ? { type: "accept" } : { type: "reject" };
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decisions answered later and in any order still give the same replies in command order", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (commands, order) => {
        const input = encoder.encode(commands.join(""));
        const atOnce = run(baseConfig, [input], decideByContent);
        const later = run(baseConfig, [input], decideByContent, { delayed: true, order });
        expect(later.replies).toEqual(atOnce.replies);
        expect(later.message).toBe(atOnce.message);
      }),
      { numRuns: 200 },
    );
  });

  it("the split of the input does not matter: whole, byte by byte and arbitrary splits give the same replies and content", () => {
    // Without STARTTLS: where the handshake falls in the byte stream decides, by design, which bytes are discarded.
    const withoutTls = piece.filter((text) => !text.toUpperCase().includes("STARTTLS"));
    fc.assert(
      fc.property(fc.array(withoutTls, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (commands, cuts) => {
        const input = encoder.encode(commands.join(""));
        const whole = run(baseConfig, [input], decideByContent);
        const bytewise = run(baseConfig, split(input, [...input.keys()]), decideByContent);
        const arbitrary = run(baseConfig, split(input, cuts), decideByContent);
        expect(bytewise.replies).toEqual(whole.replies);
        expect(arbitrary.replies).toEqual(whole.replies);
        expect(bytewise.message).toBe(whole.message);
        expect(arbitrary.message).toBe(whole.message);
      }),
      { numRuns: 100 },
    );
  });

  it("random bytes give replies or a close, never an exception, and every reply is allowed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        const result = run(baseConfig, split(input, cuts), decideByContent);
        expect(result.replies[0]?.code).toBe(220);
      }),
      { numRuns: 300 },
    );
  });

  it("with the unauthorized-pipelining policy on, a client that waits for each reply is never refused", () => {
    const lockstep = ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n", "DATA\r\n", "x\r\n.\r\n", "NOOP\r\n", "RSET\r\n", "QUIT\r\n"];
    const result = run({ ...baseConfig, policy: { allowAuthWithoutTls: true } }, lockstep.map((line) => encoder.encode(line)), decideByContent);
    expect(result.violations).toEqual([]);
    expect(result.replies.map((reply) => reply.code)).toEqual([220, 250, 250, 250, 354, 250, 250, 250, 221]);
  });

  it("law: with the unauthorized-pipelining policy on, a client that sends one line at a time is never refused for it", () => {
    const singleLines = piece.filter((text) => text.endsWith("\r\n") && text.indexOf("\n") === text.length - 1 && !text.startsWith("BDAT") && !text.startsWith("GET"));
    fc.assert(
      fc.property(fc.array(singleLines, { maxLength: 25 }), (lines) => {
        const result = run({ ...baseConfig, policy: { allowAuthWithoutTls: true } }, lines.map((line) => encoder.encode(line)), decideByContent);
        expect(result.violations).not.toContain("unauthorized-pipelining");
        expect(result.replies.filter((reply) => reply.code === 554 && reply.enhanced === "5.5.0")).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("the reply rows used by the law exist for every verb the server answers", () => {
    for (const verb of ["HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "ETRN"]) {
      expect(repliesFor(verb)).toBeDefined();
    }
  });
});

describe("ServerSession properties under other configurations", () => {
  const configs: [string, ServerSessionConfig][] = [
    ["unauthorized pipelining refused, no enhanced codes", { ...baseConfig, policy: { allowAuthWithoutTls: true }, extensions: { enhancedStatusCodes: false } }],
    ["implicit TLS, REQUIRETLS, DSN, normalize", { ...baseConfig, tls: { implicit: true }, extensions: { requireTls: true, dsn: true }, policy: { bareLineEnding: "normalize", forbidUnauthorizedPipelining: false } }],
    ["no pipelining, no chunking, auth required", { ...baseConfig, extensions: { pipelining: false, chunking: false }, policy: { authRequired: true, allowAuthWithoutTls: true } }],
  ];
  for (const [name, config] of configs) {
    it(`one final reply per command, each allowed (${name})`, () => {
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), (commands, cuts, verdicts) => {
          const input = encoder.encode(commands.join(""));
          run(config, split(input, cuts), (_event, index) => (verdicts[index % verdicts.length] ? { type: "accept" } : { type: "reject" }));
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe("credentials never reach events or snapshots (JSON.stringify law)", () => {
  it("holds for any password, mechanism and verdict", () => {
    const password = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&*+-"), minLength: 10, maxLength: 40 }).map((text) => `Pw#${text}`);
    fc.assert(
      fc.property(password, fc.constantFrom("PLAIN-initial", "PLAIN", "LOGIN"), fc.boolean(), (secret, mechanism, accept) => {
        const b64 = (text: string): string => Buffer.from(text).toString("base64");
        const session = createServerSession({ hostname: "mx.example.com", tls: { implicit: true }, auth: { sasl: { mechanisms: ["PLAIN", "LOGIN"] } } });
        const logged: string[] = [];
        const drain = (): void => {
          for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
            if (output.type !== "event") continue;
            logged.push(JSON.stringify(output.event), JSON.stringify(session.snapshot()));
            const event = output.event;
            if ("requestId" in event) session.decide(event.requestId, event.type === "auth-requested" && !accept ? { type: "reject" } : { type: "accept" });
          }
        };
        session.connect({ remoteAddress: "192.0.2.1" }, 0);
        drain();
        const lines =
          mechanism === "PLAIN-initial"
            ? [`AUTH PLAIN ${b64(`\0tim\0${secret}`)}`]
            : mechanism === "PLAIN"
              ? ["AUTH PLAIN", b64(`\0tim\0${secret}`)]
              : ["AUTH LOGIN", b64("tim"), b64(secret)];
        for (const line of ["EHLO c.example", ...lines, "MAIL FROM:<a@example.com>"]) {
          session.receive(encoder.encode(`${line}\r\n`), 1);
          drain();
        }
        const all = logged.join("\n");
        for (const forbidden of [secret, b64(secret), b64(`\0tim\0${secret}`)]) expect(all).not.toContain(forbidden);
        expect(session.snapshot().authenticated).toBe(accept);
      }),
      { numRuns: 100 },
    );
  });
});
