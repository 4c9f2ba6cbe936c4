// Independent review: the ServerSession under attack. Each test is named after
// the attack it stops; each checks the reply, that resources stay bounded, and
// that nothing throws.
import { isReplyAllowed } from "@smtpkit/codes";
import { ServerSessionError } from "@smtpkit/session";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptAll, bytes, Harness, type Decider } from "./server-harness.js";

const b64 = (text: string): string => Buffer.from(text, "binary").toString("base64");
const refuseGreeting: Decider = (event) => (event.type === "connection-requested" ? { type: "reject" } : { type: "accept" });
const ready = (config = {}, decider: Decider = acceptAll): Harness => new Harness(config, decider).connect().send("EHLO c.example\r\n");
const inData = (config = {}, decider: Decider = acceptAll): Harness =>
  ready(config, decider).send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");

describe("after a 554 greeting (RFC 5321 §3.1)", () => {
  it("every command but QUIT, NOOP and RSET included, gets 503 5.5.1; QUIT gets 221", () => {
    const h = new Harness({}, refuseGreeting).connect();
    for (const line of ["NOOP", "RSET", "HELP", "VRFY x", "EHLO c.example", "STARTTLS", "AUTH PLAIN", "MAIL FROM:<a@example.com>"]) h.send(`${line}\r\n`);
    expect(h.replies.slice(1).map((reply) => [reply.code, reply.enhanced])).toEqual(Array(8).fill([503, "5.5.1"]));
    for (const reply of h.replies.slice(1)) expect(isReplyAllowed(reply.to, reply.code)).toBe(true);
    h.send("QUIT\r\n");
    expect(h.codes().at(-1)).toBe(221);
    expect(h.closed).toBe(true);
  });

  it("a client that never quits is closed by the error limit, not held open by NOOPs", () => {
    const h = new Harness({ limits: { maxErrors: 5 } }, refuseGreeting).connect();
    for (let i = 0; i < 10; i += 1) h.send("NOOP\r\n");
    expect(h.codes()).toEqual([554, 503, 503, 503, 503, 503, 421]);
    expect(h.closed).toBe(true);
  });
});

describe("AUTH before TLS", () => {
  const sasl = { mechanisms: ["PLAIN"] as "PLAIN"[] };
  it("under policy.requireTls: 530 5.7.0 (RFC 3207 §4), even when AUTH without TLS is allowed, and AUTH is not advertised", () => {
    for (const allowAuthWithoutTls of [false, true]) {
      const h = ready({ tls: { starttls: true }, auth: { sasl }, policy: { requireTls: true, allowAuthWithoutTls } });
      expect(h.wireReplies()[1]!.lines.some((line) => line.startsWith("AUTH"))).toBe(false);
      h.send(`AUTH PLAIN ${b64("\0user\0secret")}\r\n`);
      expect(h.replies.at(-1)).toMatchObject({ code: 530, enhanced: "5.7.0" });
      expect(h.eventsOf("auth-requested")).toEqual([]);
    }
  });

  it("without requireTls: 538 5.7.11 (RFC 4954 §6), the mechanism needs encryption", () => {
    const h = ready({ tls: { starttls: true }, auth: { sasl } });
    h.send(`AUTH PLAIN ${b64("\0user\0secret")}\r\n`);
    expect(h.replies.at(-1)).toMatchObject({ code: 538, enhanced: "5.7.11" });
  });
});

describe("SMTP smuggling through the session", () => {
  // Every way a peer other than us might end DATA (CVE-2023-51764/51765/51766 and relatives).
  const fakeEnds = ["\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r.\r\n", "\n.\r", "\r\n\x00.\r\n", "\r\n.\x00\r\n"];
  for (const policy of ["reject", "normalize"] as const) {
    it(`under ${policy}, no fake end of data lets a pipelined second MAIL through`, () => {
      for (const fake of fakeEnds) {
        const h = inData({ policy: { bareLineEnding: policy, forbidUnauthorizedPipelining: false } });
        h.send(`Subject: x\r\n\r\nhello${fake}MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nforged\r\n.\r\n`);
        // Only one message ends (at the real CRLF.CRLF), and no second transaction begins.
        expect(h.eventsOf("mail-requested"), JSON.stringify(fake)).toHaveLength(1);
        expect(h.eventsOf("message-end").length + h.eventsOf("message-aborted").length, JSON.stringify(fake)).toBeLessThanOrEqual(1);
        if (policy === "reject" && fake.includes("\x00") === false) expect(h.codes().at(-1), JSON.stringify(fake)).toBe(550);
        if (policy === "normalize") expect(h.messageText()).toContain("MAIL FROM:<admin@example.com>");
      }
    });
  }

  it("law: for any split of the bytes, a smuggling attempt gives the same replies and events", () => {
    const text = "Subject: x\r\n\r\nhi\n.\nMAIL FROM:<admin@example.com>\r\nRCPT TO:<v@example.org>\r\nDATA\r\nforged\r\n.\r\nQUIT\r\n";
    const whole = inData();
    whole.send(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 8 }), (cuts) => {
        const h = inData();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let from = 0;
        for (const point of [...points, text.length]) {
          h.send(text.slice(from, point));
          from = point;
        }
        expect(h.codes()).toEqual(whole.codes());
        expect(h.eventsOf("mail-requested")).toHaveLength(1);
      }),
      { numRuns: 100 },
    );
  });
});

describe("STARTTLS command injection (CVE-2011-0411)", () => {
  it("commands in the same packet and in later packets before tlsEstablished are never read, and EHLO is required again", () => {
    const h = ready({ tls: { starttls: true }, auth: { sasl: { mechanisms: ["PLAIN"] } }, policy: { forbidUnauthorizedPipelining: false } });
    h.send(`STARTTLS\r\nAUTH PLAIN ${b64("\0u\0p")}\r\nMAIL FROM:<x@example.com>\r\n`);
    h.send("RCPT TO:<y@example.org>\r\nDATA\r\n");
    expect(h.session.state).toBe("tls-handshake");
    h.session.tlsEstablished({}, h.now);
    h.drain();
    expect(h.eventsOf("auth-requested")).toEqual([]);
    expect(h.eventsOf("mail-requested")).toEqual([]);
    expect(h.codes()).toEqual([220, 250, 220]);
    // A partial line before STARTTLS's packet boundary is dropped too: "NOOP" + "\r\n" after TLS is not "XNOOP".
    h.send("MAIL FROM:<a@example.com>\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 503 });
  });

  it("STARTTLS pipelined behind an unanswered message decision: what follows it is still never read", () => {
    const h = ready({ tls: { starttls: true }, policy: { forbidUnauthorizedPipelining: false } }, (event) => (event.type === "message-end" ? undefined : { type: "accept" }));
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    h.send("hi\r\n.\r\nSTARTTLS\r\nMAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.org>\r\n");
    h.send("DATA\r\n");
    expect(h.pending).toHaveLength(1);
    h.decide(h.pending[0]!.requestId, { type: "accept" });
    expect(h.codes().slice(-2)).toEqual([250, 220]);
    h.session.tlsEstablished({}, h.now);
    h.drain();
    expect(h.eventsOf("mail-requested")).toHaveLength(1);
    expect(h.eventsOf("command-received").map((event) => event.verb)).toEqual(["EHLO", "MAIL", "RCPT", "DATA", "STARTTLS"]);
    expect(h.eventsOf("pipelined-bytes-discarded").reduce((sum, event) => sum + event.count, 0)).toBe("MAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n".length);
  });

  it("STARTTLS pipelined behind an unanswered RCPT decision is refused (in a transaction) and what follows is read as commands", () => {
    const h = ready({ tls: { starttls: true }, policy: { forbidUnauthorizedPipelining: false } }, (event) => (event.type === "recipient-requested" ? undefined : { type: "accept" }));
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nSTARTTLS\r\nNOOP\r\n");
    h.decide(h.pending[0]!.requestId, { type: "accept" });
    expect(h.codes().slice(-3)).toEqual([250, 503, 250]);
    expect(h.startTls).toBe(0);
  });

  it("receive with something other than bytes is a typed misuse error", () => {
    const h = ready();
    expect(() => h.session.receive("NOOP\r\n" as unknown as Uint8Array, h.now)).toThrow(expect.objectContaining({ reason: "invalid-argument" }));
  });

  it("tlsEstablished outside a handshake is a typed misuse error", () => {
    const h = ready();
    expect(() => h.session.tlsEstablished({}, h.now)).toThrow(ServerSessionError);
  });
});

describe("AUTH abuse", () => {
  const config = { tls: { implicit: true }, auth: { sasl: { mechanisms: ["PLAIN", "LOGIN"] as ("PLAIN" | "LOGIN")[] } }, limits: { maxAuthFailures: 3 } };
  const rejectAuth: Decider = (event) => (event.type === "auth-requested" ? { type: "reject" } : { type: "accept" });

  it("a response line past maxAuthLineLength fails the attempt with 500 5.5.6 and is not buffered", () => {
    const h = ready(config);
    h.send("AUTH LOGIN\r\n");
    expect(h.codes().at(-1)).toBe(334);
    const huge = "A".repeat(100_000);
    for (let i = 0; i < 10; i += 1) h.send(huge);
    h.send("\r\n");
    expect(h.replies.at(-1)!.code).toBeGreaterThanOrEqual(500);
    expect(h.session.snapshot().authFailures).toBe(1);
    h.send("NOOP\r\n");
    expect(h.codes().at(-1)).toBe(250);
  });

  it("a flood of AUTH/* cancels is cut off at maxAuthFailures with 421, in one packet", () => {
    const h = ready(config);
    h.send("AUTH LOGIN\r\n*\r\n".repeat(1000));
    expect(h.closed).toBe(true);
    expect(h.session.snapshot().authFailures).toBe(3);
    expect(h.codes().filter((code) => code === 334)).toHaveLength(3);
    expect(h.codes().at(-1)).toBe(421);
  });

  it("failures are counted across RSET and STARTTLS-free EHLO: a client cannot reset the count", () => {
    const h = ready(config, rejectAuth);
    h.send(`AUTH PLAIN ${b64("\0u\0bad")}\r\n`).send("RSET\r\n").send("EHLO c.example\r\n");
    h.send(`AUTH PLAIN ${b64("\0u\0bad")}\r\n`).send("RSET\r\n").send("EHLO c.example\r\n");
    h.send(`AUTH PLAIN ${b64("\0u\0bad")}\r\n`);
    expect(h.closed).toBe(true);
    expect(h.replies.at(-1)).toMatchObject({ code: 421 });
  });

  it("failures are counted across STARTTLS (the TLS reset forgets AUTH state, not the count)", () => {
    const h = ready({ ...config, tls: { starttls: true }, policy: { allowAuthWithoutTls: true } }, rejectAuth);
    h.send(`AUTH PLAIN ${b64("\0u\0bad")}\r\n`);
    h.send("STARTTLS\r\n");
    h.session.tlsEstablished({}, h.now);
    h.drain();
    h.send("EHLO c.example\r\n");
    h.send(`AUTH PLAIN ${b64("\0u\0bad")}\r\n`);
    expect(h.session.snapshot().authFailures).toBe(2);
  });

  it("PLAIN: an authorization identity other than the user is refused; NUL tricks are refused, never reach the embedder as a name", () => {
    const accept: Decider = () => ({ type: "accept" });
    for (const [payload, asksEmbedder] of [
      ["admin\0user\0pw", true], // authzid != authcid: credentials checked, then refused
      ["\0user\0pw\0extra", false],
      ["\0user", false],
      ["\0\0pw", false],
      ["\0us\u0001er\0pw", false],
      ["\0user\0", false],
    ] as const) {
      const h = ready(config, accept);
      h.send(`AUTH PLAIN ${b64(payload)}\r\n`);
      expect(h.eventsOf("authenticated"), JSON.stringify(payload)).toEqual([]);
      expect(h.replies.at(-1)!.code, JSON.stringify(payload)).toBeGreaterThanOrEqual(500);
      if (!asksEmbedder) expect(h.eventsOf("auth-requested"), JSON.stringify(payload)).toEqual([]);
    }
  });

  it("no event or snapshot carries the password", () => {
    const h = ready(config, rejectAuth);
    h.send(`AUTH PLAIN ${b64("\0user\0hunter2-secret")}\r\n`);
    const text = JSON.stringify([h.events.filter((event) => event.type !== "auth-requested"), h.session.snapshot()]);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain(b64("\0user\0hunter2-secret"));
  });
});

describe("pipelining floods", () => {
  it("5000 RCPTs in one push with no decisions: at most maxRecipients questions, replies bounded, 452 past the limit", () => {
    const h = ready({ limits: { maxRecipients: 50 } }, (event) => (event.type === "recipient-requested" ? undefined : { type: "accept" }));
    h.send(`MAIL FROM:<a@example.com>\r\n${"RCPT TO:<b@example.org>\r\n".repeat(5000)}`);
    expect(h.pending).toHaveLength(50);
    expect(h.session.snapshot().pendingReplies).toBeLessThanOrEqual(51);
    for (const event of [...h.pending]) h.decide(event.requestId, { type: "accept" });
    // The rest are answered 452: the first 1000 (the recipient overshoot, as Postfix's) are not errors, each
    // further one is, and the error limit (20) closes the session long before 5000.
    // 220, EHLO, MAIL, then the 50 accepted RCPTs.
    expect(h.codes().slice(3, 53)).toEqual(Array(50).fill(250));
    expect(h.codes().slice(53, -1).every((code) => code === 452)).toBe(true);
    expect(h.codes().at(-1)).toBe(421);
    expect(h.closed).toBe(true);
    expect(h.codes().length).toBe(3 + 50 + 1000 + 20 + 1);
  });

  it("input that keeps coming while a decision is pending is bounded by maxHeldBytes (421, close)", () => {
    const h = ready({ limits: { maxHeldBytes: 65_536 } }, (event) => (event.type === "mail-requested" ? undefined : { type: "accept" }));
    h.send("MAIL FROM:<a@example.com>\r\n");
    const chunk = bytes("NOOP\r\n".repeat(2000));
    for (let i = 0; i < 20 && !h.closed; i += 1) h.send(chunk);
    expect(h.eventsOf("protocol-violation").map((event) => event.violation)).toContain("input-overflow");
    h.decide(h.pending[0]!.requestId, { type: "accept" });
    expect(h.closed).toBe(true);
    expect(h.codes().at(-1)).toBe(421);
  });

  it("law: arbitrary pipelined garbage never throws, every reply is allowed for its command, and the error limit bounds the replies", () => {
    const line = fc.constantFrom("NOOP", "RSET", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "DATA", "BDAT 3", "BDAT 0 LAST", "XYZZY", "MAIL", "AUTH PLAIN", "HELP", "VRFY x", "\x00\xff", ".");
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 400 }), (lines) => {
        const h = ready({ policy: { forbidUnauthorizedPipelining: false }, limits: { maxErrors: 10 } });
        h.send(lines.join("\r\n") + "\r\n");
        for (const reply of h.replies) if (reply.to !== "none" && reply.to !== "unknown" && reply.to !== "CONNECT") expect(isReplyAllowed(reply.to, reply.code), `${reply.to} ${reply.code}`).toBe(true);
        expect(h.session.snapshot().errors).toBeLessThanOrEqual(10);
      }),
      { numRuns: 100 },
    );
  });
});

describe("slowloris and deadlines (RFC 5321 §4.5.3.2)", () => {
  it("a command line trickled a byte at a time does not re-arm the command deadline", () => {
    const h = ready();
    const start = h.now;
    const line = "MAIL FROM:<a@example.com>\r\n";
    let i = 0;
    while (!h.closed && i < line.length) {
      h.tick(h.now + 60_000);
      if (!h.closed) h.send(line[i]!);
      i += 1;
    }
    expect(h.closed).toBe(true);
    expect(h.codes().at(-1)).toBe(421);
    expect(h.now - start).toBeLessThanOrEqual(5 * 60_000 + 60_000);
  });

  it("message content trickled below the minimum data rate is cut off with 421", () => {
    const h = inData();
    let steps = 0;
    while (!h.closed && steps < 10_000) {
      h.tick(h.now + 10_000);
      if (!h.closed) h.send("x");
      steps += 1;
    }
    expect(h.closed).toBe(true);
    expect(h.codes().at(-1)).toBe(421);
    expect(steps).toBeLessThan(100);
  });

  it("BDAT: empty or tiny chunks every few minutes cannot hold the connection; the minimum data rate applies to the whole message", () => {
    for (const chunk of ["BDAT 0\r\n", "BDAT 1\r\nx"]) {
      const h = ready({ extensions: { chunking: true } });
      h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
      let rounds = 0;
      while (!h.closed && rounds < 100) {
        h.tick(h.now + 60_000);
        if (!h.closed) h.send(chunk);
        rounds += 1;
      }
      expect(h.closed, chunk).toBe(true);
      expect(h.codes().at(-1)).toBe(421);
      expect(rounds).toBeLessThanOrEqual(5); // the first chunk at 1 minute, then 3 minutes of data clock
    }
  });

  it("BDAT: a message sent in chunks at a fair rate is not cut off", () => {
    const h = ready({ extensions: { chunking: true } });
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
    const piece = "y".repeat(50_000);
    for (let i = 0; i < 20; i += 1) {
      h.tick(h.now + 60_000); // 50 000 octets a minute, well above 500 octets a second
      h.send(`BDAT ${piece.length}\r\n${piece}`);
    }
    h.send("BDAT 0 LAST\r\n");
    expect(h.closed).toBe(false);
    expect(h.codes().slice(4)).toEqual([...Array(20).fill(250), 250]);
  });

  it("a BDAT chunk of a huge declared size is refused 552 up front and its bytes read on the data clock", () => {
    const h = ready({ extensions: { chunking: true }, limits: { maxMessageSize: 1000 } });
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nBDAT 900000000000 LAST\r\n");
    expect(h.codes().at(-1)).toBe(552);
    h.send("x".repeat(10_000));
    h.tick(h.now + 3 * 60_000 + 30_000);
    expect(h.closed).toBe(true);
    expect(h.codes().at(-1)).toBe(421);
  });

  it("BDAT sizes beyond Number.MAX_SAFE_INTEGER are refused (501, or 552 as too big), never a rounded number of octets to read", () => {
    const h = ready({ extensions: { chunking: true } });
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nBDAT 99999999999999999999999 LAST\r\nNOOP\r\n");
    expect([501, 552]).toContain(h.codes().at(-2));
    expect(h.codes().at(-1)).toBe(250);
  });
});

describe("sizes and limits", () => {
  it("MAIL SIZE= over the limit gets 552 5.3.4; an undeclared message over the limit is read to the end and refused 552", () => {
    const h = ready({ limits: { maxMessageSize: 100 } });
    h.send("MAIL FROM:<a@example.com> SIZE=101\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 552 });
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    h.send(`${"y".repeat(500)}\r\n.\r\nNOOP\r\n`);
    expect(h.codes().slice(-2)).toEqual([552, 250]);
    expect(h.eventsOf("message-end")).toEqual([]);
  });

  it("a client cannot hold the connection by repeating EHLO: past maxJunkCommands each counts as an error", () => {
    const h = ready({ limits: { maxJunkCommands: 5, maxErrors: 3 } });
    for (let i = 0; i < 20 && !h.closed; i += 1) {
      h.tick(h.now + 4 * 60_000);
      h.send("EHLO c.example\r\n");
    }
    expect(h.closed).toBe(true);
    // The first EHLO is free, the next 5 are junk within the limit, the next 3 are errors: the 3rd closes.
    expect(h.codes().filter((code) => code === 250)).toHaveLength(1 + 5 + 3);
    expect(h.codes().at(-1)).toBe(421);
  });

  it("the first EHLO after STARTTLS is not junk", () => {
    const h = ready({ tls: { starttls: true }, limits: { maxJunkCommands: 1, maxErrors: 1 } });
    h.send("STARTTLS\r\n");
    h.session.tlsEstablished({}, h.now);
    h.drain();
    h.send("EHLO c.example\r\n");
    h.send("EHLO c.example\r\n");
    expect(h.closed).toBe(false);
    h.send("EHLO c.example\r\n");
    expect(h.closed).toBe(true);
  });

  it("an embedder's 421 to MAIL, RCPT or the message closes the session after it is written (RFC 5321 §3.8)", () => {
    const mail = ready({}, (event) => (event.type === "mail-requested" ? { type: "reject", situation: "ShuttingDown" } : { type: "accept" }));
    mail.send("MAIL FROM:<a@example.com>\r\nNOOP\r\n");
    expect(mail.codes().slice(2)).toEqual([421]);
    expect(mail.closed).toBe(true);

    const rcpt = ready({}, (event) => {
      if (event.type !== "recipient-requested") return { type: "accept" };
      return event.to.localPart === "c" ? { type: "reject", reply: { code: 421, enhanced: "4.3.2", text: "bye" } } : undefined;
    });
    rcpt.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n");
    expect(rcpt.closed).toBe(false); // the 421 waits for the reply owed before it
    rcpt.decide(rcpt.pending.find((event) => event.type === "recipient-requested" && event.to.localPart === "b")!.requestId, { type: "accept" });
    expect(rcpt.codes().slice(2)).toEqual([250, 250, 421]);
    expect(rcpt.closed).toBe(true);

    const message = inData({}, (event) => (event.type === "message-end" ? { type: "reject", situation: "ServiceClosing" } : { type: "accept" }));
    message.send("hi\r\n.\r\nMAIL FROM:<a@example.com>\r\n");
    expect(message.codes().at(-1)).toBe(421);
    expect(message.eventsOf("mail-requested")).toHaveLength(1);
    expect(message.closed).toBe(true);
  });

  it("maxErrors error replies give 421 and close", () => {
    const h = ready({ limits: { maxErrors: 4 } });
    h.send("XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n");
    expect(h.codes()).toEqual([220, 250, 500, 500, 500, 500, 421]);
    expect(h.closed).toBe(true);
  });
});
