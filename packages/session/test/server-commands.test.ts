import { Situations } from "@smtpkit/codes";
import { createServerSession, ServerSessionError } from "@smtpkit/session";
import { describe, expect, it } from "vitest";
import { acceptAll, Harness, type Decider } from "./server-harness.js";

const ready = (config = {}, decider: Decider = acceptAll): Harness => new Harness(config, decider).connect().send("EHLO client.example\r\n");

describe("greeting", () => {
  it("refused connections get 554, then 503 to everything but QUIT (RFC 5321 §3.1)", () => {
    const h = new Harness({}, (event) => (event.type === "connection-requested" ? { type: "reject" } : { type: "accept" })).connect();
    expect(h.wire).toBe("554 mx.example.com No SMTP service here\r\n");
    h.send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\n").send("NOOP\r\n").send("RSET\r\n").send("QUIT\r\n");
    expect(h.codes()).toEqual([554, 503, 503, 503, 503, 221]);
    expect(h.closed).toBe(true);
  });

  it("a client that talks before the greeting gets 554 5.5.0 and is closed (Postfix's pregreet)", () => {
    const h = new Harness({}, (event) => (event.type === "connection-requested" ? undefined : { type: "accept" })).connect();
    h.send("EHLO eager.example\r\n");
    expect(h.eventsOf("protocol-violation").map((event) => event.violation)).toEqual(["talked-before-greeting"]);
    h.decide(h.pending[0]!.requestId, { type: "accept" });
    expect(h.wire).toBe("554 5.5.0 Improper use of SMTP command pipelining\r\n");
    expect(h.closed).toBe(true);
  });

  it("with the policy off, early commands are answered after the greeting", () => {
    const h = new Harness({ policy: { forbidUnauthorizedPipelining: false } }, (event) => (event.type === "connection-requested" ? undefined : { type: "accept" })).connect();
    h.send("NOOP\r\n");
    expect(h.codes()).toEqual([]);
    h.decide(h.pending[0]!.requestId, { type: "accept" });
    expect(h.codes()).toEqual([220, 250]);
  });
});

describe("EHLO, HELO", () => {
  it("advertises what is configured; STARTTLS only in the clear, REQUIRETLS only over TLS (RFC 8689 §4)", () => {
    const clear = ready({ tls: { starttls: true }, extensions: { dsn: true, requireTls: true, binaryMime: true }, limits: { maxMessageSize: 1234 } });
    expect(clear.wireReplies()[1]!.lines).toEqual([
      "mx.example.com Hello",
      "PIPELINING",
      "SIZE 1234",
      "8BITMIME",
      "SMTPUTF8",
      "CHUNKING",
      "BINARYMIME",
      "DSN",
      "ENHANCEDSTATUSCODES",
      "STARTTLS",
    ]);
    const tls = ready({ tls: { implicit: true }, extensions: { requireTls: true }, auth: { sasl: { mechanisms: ["PLAIN"] } } });
    const lines = tls.wireReplies()[1]!.lines;
    expect(lines).toContain("REQUIRETLS");
    expect(lines).toContain("AUTH PLAIN");
    expect(lines).not.toContain("STARTTLS");
  });

  it("does not advertise AUTH in the clear unless allowed (RFC 4954 §4)", () => {
    expect(ready({ auth: { sasl: { mechanisms: ["PLAIN"] } } }).wire).not.toContain("AUTH");
    expect(ready({ auth: { sasl: { mechanisms: ["PLAIN"] } }, policy: { allowAuthWithoutTls: true } }).wireReplies()[1]!.lines).toContain("AUTH PLAIN");
  });

  it("HELO advertises nothing, so ESMTP parameters get 555 afterwards (RFC 5321 §4.1.1.11)", () => {
    const h = new Harness().connect().send("HELO client.example\r\n");
    expect(h.wire).toContain("250 mx.example.com Hello\r\n");
    h.send("MAIL FROM:<a@example.com> SIZE=10\r\n");
    expect(h.codes().at(-1)).toBe(555);
    h.send("MAIL FROM:<a@example.com>\r\n");
    expect(h.codes().at(-1)).toBe(250);
  });

  it("EHLO in a transaction resets it (RFC 5321 §4.1.4)", () => {
    const h = ready().send("MAIL FROM:<a@example.com>\r\n").send("EHLO again.example\r\n").send("RCPT TO:<b@example.org>\r\n");
    expect(h.codes().slice(-3)).toEqual([250, 250, 503]);
  });
});

describe("MAIL and RCPT", () => {
  it("refuses a declared SIZE over the limit with 552 (RFC 1870 §6.1)", () => {
    const h = ready({ limits: { maxMessageSize: 100 } }).send("MAIL FROM:<a@example.com> SIZE=101\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 552, enhanced: "5.3.4" });
    h.send("MAIL FROM:<a@example.com> SIZE=100\r\n");
    expect(h.codes().at(-1)).toBe(250);
  });

  it("refuses parameters of extensions not advertised with 555", () => {
    const h = ready().send("MAIL FROM:<a@example.com> RET=FULL\r\n");
    expect(h.codes().at(-1)).toBe(555);
    const dsn = ready({ extensions: { dsn: true } }).send("MAIL FROM:<a@example.com> RET=HDRS ENVID=abc\r\n");
    expect(dsn.codes().at(-1)).toBe(250);
    expect(dsn.eventsOf("mail-requested")[0]!.parameters).toMatchObject({ ret: "HDRS", envid: "abc" });
  });

  it("carries SMTPUTF8, BODY, DSN and REQUIRETLS into the envelope", () => {
    const h = ready({ tls: { implicit: true }, extensions: { dsn: true, requireTls: true } })
      .send("MAIL FROM:<δ@example.com> SMTPUTF8 BODY=8BITMIME REQUIRETLS\r\n")
      .send("RCPT TO:<ε@example.org> NOTIFY=SUCCESS,FAILURE\r\n")
      .send("DATA\r\n");
    const start = h.eventsOf("message-start")[0]!;
    expect(start.envelope).toMatchObject({ smtputf8: true, body: "8BITMIME", requireTls: true });
    expect(start.envelope.recipients[0]!.parameters.notify).toEqual(["SUCCESS", "FAILURE"]);
  });

  it("refuses a non-ASCII recipient without SMTPUTF8 on MAIL (RFC 6531 §3.4)", () => {
    const h = ready().send("MAIL FROM:<a@example.com>\r\n").send("RCPT TO:<δ@example.org>\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 553, enhanced: "5.6.7" });
  });

  it("answers 452 past the recipient limit (RFC 5321 §4.5.3.1.10)", () => {
    const h = ready({ limits: { maxRecipients: 2 } }).send(
      "MAIL FROM:<a@example.com>\r\nRCPT TO:<1@example.org>\r\nRCPT TO:<2@example.org>\r\nRCPT TO:<3@example.org>\r\n",
    );
    expect(h.codes().slice(-3)).toEqual([250, 250, 452]);
  });

  it("requires STARTTLS or AUTH first when the policy says so (530)", () => {
    const tlsFirst = ready({ tls: { starttls: true }, policy: { requireTls: true } }).send("MAIL FROM:<a@example.com>\r\n");
    expect(tlsFirst.replies.at(-1)).toMatchObject({ code: 530, enhanced: "5.7.0", text: "Must issue a STARTTLS command first" });
    const authFirst = ready({ auth: { sasl: { mechanisms: ["PLAIN"] } }, policy: { authRequired: true, allowAuthWithoutTls: true } }).send("MAIL FROM:<a@example.com>\r\n");
    expect(authFirst.replies.at(-1)).toMatchObject({ code: 530, text: "Authentication required" });
  });

  it("lets the embedder reply 251 or any code RFC 5321 allows, and refuses one it does not", () => {
    const h = ready({}, (event) =>
      event.type === "recipient-requested" ? { type: "accept", reply: { code: 251, enhanced: "2.1.5", text: "User not local; will forward" } } : { type: "accept" },
    ).send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
    expect(h.wire).toContain("251 2.1.5 User not local; will forward\r\n");
    const bad = ready({}, (event) => (event.type === "mail-requested" ? undefined : { type: "accept" })).send("MAIL FROM:<a@example.com>\r\n");
    const id = bad.pending[0]!.requestId;
    const attempt = (decision: Parameters<typeof bad.session.decide>[1]) => () => bad.session.decide(id, decision);
    expect(attempt({ type: "accept", reply: { code: 354, text: "no" } })).toThrow(ServerSessionError);
    expect(attempt({ type: "reject", reply: { code: 250, text: "no" } })).toThrow(ServerSessionError);
    expect(attempt({ type: "reject", reply: { code: 550, text: "a\r\n250 smuggled" } })).toThrow(ServerSessionError);
    // RFC 5321 §4.3.2 has no 450 for MAIL (greylisting belongs to RCPT or DATA).
    expect(attempt({ type: "reject", situation: "Greylisted" })).toThrow(ServerSessionError);
    expect(attempt({ type: "reject", situation: Situations.Greylisted })).toThrow(ServerSessionError);
    expect(attempt({ type: "reject", situation: Situations.LocalError })).not.toThrow();
    bad.drain();
    expect(bad.wire.endsWith("451 4.3.0 Requested action aborted: local error in processing\r\n")).toBe(true);
    expect(() => bad.session.decide(id, { type: "accept" })).toThrow(ServerSessionError);
  });
});

describe("RCPT decisions answered out of order", () => {
  it("keeps the replies in command order", () => {
    const h = ready({}, (event) => (event.type === "recipient-requested" ? undefined : { type: "accept" }));
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<1@example.org>\r\nRCPT TO:<2@example.org>\r\nRCPT TO:<3@example.org>\r\n");
    const [first, second, third] = h.pending.slice();
    expect([first, second, third].every((event) => event !== undefined)).toBe(true);
    h.decide(third!.requestId, { type: "reject", situation: "MailboxUnavailable" });
    h.decide(second!.requestId, { type: "accept" });
    expect(h.codes()).toEqual([220, 250, 250]);
    h.decide(first!.requestId, { type: "reject", situation: "RelayDenied" });
    expect(h.codes()).toEqual([220, 250, 250, 550, 250, 550]);
    expect(h.replies.slice(-3).map((reply) => reply.enhanced)).toEqual(["5.7.1", "2.1.5", "5.1.1"]);
    expect(h.session.snapshot().envelope?.recipients.map((recipient) => recipient.to.localPart)).toEqual(["2"]);
    expect(h.session.state).toBe("recipients");
  });

  it("keeps the envelope in RCPT order whatever order the decisions come in (RFC 2033 §4.2 relies on it)", () => {
    const h = ready({}, (event) => (event.type === "recipient-requested" ? undefined : { type: "accept" }));
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<carol@example.org>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n");
    const [carol, alice, bob] = h.pending.slice();
    h.decide(bob!.requestId, { type: "accept" });
    h.decide(alice!.requestId, { type: "accept" });
    h.decide(carol!.requestId, { type: "accept" });
    expect(h.session.snapshot().envelope?.recipients.map((recipient) => recipient.to.localPart)).toEqual(["carol", "alice", "bob"]);
  });

  it("DATA waits behind pending RCPT decisions, then sees their outcome (RFC 2920 §3.1: 554 when none was accepted)", () => {
    const h = ready({}, (event) => (event.type === "recipient-requested" ? undefined : { type: "accept" }));
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<1@example.org>\r\nRCPT TO:<2@example.org>\r\nDATA\r\n");
    const [one, two] = h.pending.slice();
    h.decide(two!.requestId, { type: "reject" });
    h.decide(one!.requestId, { type: "reject" });
    expect(h.codes()).toEqual([220, 250, 250, 550, 550, 554]);
    expect(h.session.state).toBe("mail");
  });
});

describe("other commands", () => {
  it("VRFY 252, EXPN 502, HELP 214, NOOP 250, RSET 250, ETRN 502, unknown 500, QUIT 221", () => {
    const h = ready().send("VRFY bob\r\n").send("EXPN list\r\n").send("HELP\r\n").send("NOOP\r\n").send("RSET\r\n").send("ETRN example.org\r\n").send("XYZZY\r\n").send("QUIT\r\n");
    expect(h.codes()).toEqual([220, 250, 252, 502, 214, 250, 250, 502, 500, 221]);
    expect(h.wire.endsWith("221 2.0.0 mx.example.com Service closing transmission channel\r\n")).toBe(true);
    expect(h.closed).toBe(true);
  });

  it("VRFY can be switched off (502 5.5.1)", () => {
    const h = ready({ policy: { vrfy: "disabled" } }).send("VRFY bob\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 502, text: "VRFY command is disabled" });
  });

  it("writes each reply before the events of what follows it", () => {
    const h = ready().send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n").send("x\r\n.\r\n");
    const order = h.events.map((event) => (event.type === "reply-sent" ? `reply ${event.code}` : event.type)).filter((name) => name.startsWith("reply 354") || name.startsWith("message-"));
    expect(order).toEqual(["reply 354", "message-start", "message-chunk", "message-end"]);
  });

  it("closes after an HTTP request (not an SMTP client)", () => {
    const h = ready().send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(h.codes()).toEqual([220, 250, 500]);
    expect(h.closed).toBe(true);
    expect(h.eventsOf("protocol-violation").map((event) => event.violation)).toContain("forbidden-command");
  });

  it("shows peer lines in events with control characters escaped (no forged log lines)", () => {
    const h = ready().send("NOOP \u001b[31mred\r\n").send("XYZZY\u0085next\u2028line\r\n");
    const lines = h.eventsOf("command-received").map((event) => event.line);
    expect(lines.slice(-2)).toEqual(["NOOP \\x1b[31mred", "XYZZY\\x85next\\u2028line"]);
  });

  it("answers an over-long line 500 and stays in step", () => {
    const h = ready().send(`NOOP ${"x".repeat(5000)}\r\nNOOP\r\n`);
    expect(h.codes()).toEqual([220, 250, 500, 250]);
  });

  it("after too many errors answers 421 and closes (Postfix's smtpd_hard_error_limit)", () => {
    const h = ready({ limits: { maxErrors: 3 } }).send("XYZZY\r\n").send("RCPT TO:<a@b.example>\r\n").send("DATA\r\n").send("NOOP\r\n");
    expect(h.codes()).toEqual([220, 250, 500, 503, 503, 421]);
    expect(h.replies.at(-1)).toMatchObject({ to: "none", enhanced: "4.7.0" });
    expect(h.closed).toBe(true);
  });

  it("past the junk command limit, NOOPs count as errors (Postfix's smtpd_junk_command_limit)", () => {
    const h = ready({ limits: { maxJunkCommands: 5, maxErrors: 3 } });
    for (let i = 0; i < 7; i += 1) h.send("NOOP\r\n");
    expect(h.closed).toBe(false);
    h.send("NOOP\r\n");
    expect(h.codes().slice(-2)).toEqual([250, 421]);
    expect(h.closed).toBe(true);
  });

  it("an accepted message resets the junk count", () => {
    const h = ready({ limits: { maxJunkCommands: 2, maxErrors: 1 } });
    h.send("NOOP\r\n").send("RSET\r\n").send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n").send("x\r\n.\r\n");
    h.send("NOOP\r\n").send("NOOP\r\n");
    expect(h.closed).toBe(false);
  });

  it("shutdown: 421 at once when idle, after the owed replies otherwise (RFC 5321 §3.8)", () => {
    const idle = ready();
    idle.session.shutdown(idle.now);
    idle.drain();
    expect(idle.replies.at(-1)).toMatchObject({ code: 421, enhanced: "4.3.2" });
    expect(idle.closed).toBe(true);

    const busy = ready({}, (event) => (event.type === "mail-requested" ? undefined : { type: "accept" })).send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
    busy.session.shutdown(busy.now);
    busy.drain();
    expect(busy.closed).toBe(false);
    busy.decide(busy.pending[0]!.requestId, { type: "accept" });
    expect(busy.codes()).toEqual([220, 250, 250, 421]);
    expect(busy.replies.at(-1)!.to).toBe("RCPT");
    expect(busy.closed).toBe(true);
  });
});

describe("input held while the embedder decides", () => {
  it("is bounded: past maxHeldBytes, the owed replies go out, then 421 and close", () => {
    const h = ready({ limits: { maxHeldBytes: 20_000 } }, (event) => (event.type === "mail-requested" ? undefined : { type: "accept" })).send("MAIL FROM:<a@example.com>\r\n");
    for (let i = 0; i < 30; i += 1) h.send(`NOOP ${"x".repeat(990)}\r\n`);
    expect(h.eventsOf("protocol-violation").map((event) => event.violation)).toContain("input-overflow");
    expect(h.closed).toBe(false);
    h.decide(h.pending[0]!.requestId, { type: "accept" });
    expect(h.codes().slice(-2)).toEqual([250, 421]);
    expect(h.closed).toBe(true);
  });
});

describe("unauthorized pipelining (RFC 2920 §3.1, Postfix's smtpd_forbid_unauth_pipelining)", () => {
  it("refuses commands pipelined after EHLO with 554 5.5.0 and closes", () => {
    const h = new Harness().connect().send("EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n");
    expect(h.codes()).toEqual([220, 250, 554]);
    expect(h.replies.at(-1)).toMatchObject({ to: "none", enhanced: "5.5.0" });
    expect(h.closed).toBe(true);
  });

  it("refuses pipelining without PIPELINING advertised", () => {
    const h = new Harness({ extensions: { pipelining: false } }).connect().send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
    expect(h.codes()).toEqual([220, 250, 250, 554]);
  });

  it("refuses message content sent before the 354 (it is never read as a message)", () => {
    const h = ready().send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n").send("DATA\r\nSubject: x\r\n\r\n.\r\n");
    expect(h.codes()).toEqual([220, 250, 250, 250, 554]);
    expect(h.eventsOf("message-start")).toEqual([]);
  });

  it("accepts a proper group: MAIL, RCPTs and DATA together", () => {
    const h = ready().send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n");
    expect(h.codes()).toEqual([220, 250, 250, 250, 250, 354]);
    expect(h.eventsOf("protocol-violation")).toEqual([]);
  });
});

describe("misuse throws typed errors", () => {
  it("receive before connect, connect twice, tlsEstablished without STARTTLS, bad time", () => {
    const session = createServerSession({ hostname: "mx.example.com" });
    expect(() => session.receive(new Uint8Array([1]), 0)).toThrow(ServerSessionError);
    session.connect({ remoteAddress: "192.0.2.1" }, 0);
    expect(() => session.connect({ remoteAddress: "192.0.2.1" }, 0)).toThrow(ServerSessionError);
    expect(() => session.tlsEstablished({}, 0)).toThrow(ServerSessionError);
    expect(() => session.tick(Number.NaN)).toThrow(ServerSessionError);
    expect(() => session.decide(99, { type: "accept" })).toThrow(ServerSessionError);
  });

  it("answers to requests of a closed session are ignored", () => {
    const h = ready({}, (event) => (event.type === "mail-requested" ? undefined : { type: "accept" })).send("MAIL FROM:<a@example.com>\r\n");
    h.session.peerClosed(h.now);
    h.drain();
    expect(() => h.session.decide(h.pending[0]!.requestId, { type: "accept" })).not.toThrow();
    expect(h.closed).toBe(true);
  });
});
