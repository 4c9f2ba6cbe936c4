// STARTTLS (RFC 3207) and AUTH (RFC 4954) through ServerSession, and the law
// that no event or snapshot ever holds a credential.
import { createSaslClient, createScramVerifier, Redacted } from "@smtpkit/session";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Harness, type Decider } from "./server-harness.js";

const b64 = (text: string | Uint8Array): string => Buffer.from(typeof text === "string" ? text : text).toString("base64");
const PASSWORD = "correct horse battery staple";

const checkPassword: Decider = (event) => {
  if (event.type !== "auth-requested") return { type: "accept" };
  if (event.request.type === "verify-password") return event.request.password.reveal() === PASSWORD ? { type: "accept" } : { type: "reject" };
  return { type: "reject" };
};

const authConfig = (extra = {}) => ({
  tls: { implicit: true },
  auth: { sasl: { mechanisms: ["PLAIN", "LOGIN"] as ("PLAIN" | "LOGIN")[] } },
  ...extra,
});

describe("STARTTLS (RFC 3207)", () => {
  it("answers 220, asks for the handshake, discards what was pipelined after it, and requires EHLO again", () => {
    const h = new Harness({ tls: { starttls: true } }).connect().send("EHLO c.example\r\n");
    h.send("STARTTLS\r\nMAIL FROM:<injected@example.com>\r\n");
    expect(h.codes().at(-1)).toBe(220);
    expect(h.wire.endsWith("220 2.0.0 Ready to start TLS\r\n")).toBe(true);
    expect(h.startTls).toBe(1);
    expect(h.eventsOf("pipelined-bytes-discarded")[0]!.count).toBe("MAIL FROM:<injected@example.com>\r\n".length);
    // Cleartext bytes arriving during the handshake are dropped too.
    h.send("RCPT TO:<x@example.org>\r\n");
    expect(h.eventsOf("pipelined-bytes-discarded")).toHaveLength(2);
    h.session.tlsEstablished({}, h.now);
    h.drain();
    expect(h.eventsOf("mail-requested")).toEqual([]);
    h.send("MAIL FROM:<a@example.com>\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 503, text: "Send EHLO or HELO first" });
    h.send("EHLO c.example\r\n");
    expect(h.wireReplies().at(-1)!.lines).not.toContain("STARTTLS");
    h.send("STARTTLS\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 503, text: "TLS already active" });
    expect(h.session.snapshot().tls).toBe(true);
  });

  it("law: nothing sent after STARTTLS before the handshake is ever read (CVE-2011-0411)", () => {
    const junk = fc.array(fc.constantFrom("MAIL FROM:<x@example.com>\r\n", "RCPT TO:<y@example.org>\r\n", "AUTH PLAIN AHUAcA==\r\n", "NOOP\r\n", "QUIT\r\n", "DA", "TA\r\n", "\r\n"), { maxLength: 8 });
    fc.assert(
      fc.property(junk, junk, (sameChunk, beforeHandshake) => {
        const h = new Harness({ tls: { starttls: true }, policy: { forbidUnauthorizedPipelining: false } }).connect().send("EHLO c.example\r\n");
        const received = h.eventsOf("command-received").length;
        h.send(`STARTTLS\r\n${sameChunk.join("")}`);
        for (const piece of beforeHandshake) h.send(piece);
        const discarded = h.eventsOf("pipelined-bytes-discarded").reduce((sum, event) => sum + event.count, 0);
        expect(discarded).toBe(sameChunk.join("").length + beforeHandshake.join("").length);
        expect(h.eventsOf("command-received")).toHaveLength(received + 1);
        h.session.tlsEstablished({}, h.now);
        h.drain();
        h.send("NOOP\r\n");
        expect(h.codes().slice(-2)).toEqual([220, 250]);
        expect(h.closed).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("forgets AUTH and the transaction after the handshake (RFC 3207 §4.2)", () => {
    const h = new Harness({ tls: { starttls: true }, auth: { sasl: { mechanisms: ["PLAIN"] } }, policy: { allowAuthWithoutTls: true } }, checkPassword)
      .connect()
      .send("EHLO c.example\r\n")
      .send(`AUTH PLAIN ${b64(`\0tim\0${PASSWORD}`)}\r\n`);
    expect(h.session.snapshot().authenticated).toBe(true);
    h.send("STARTTLS\r\n");
    h.session.tlsEstablished({}, h.now);
    h.drain();
    expect(h.session.snapshot()).toMatchObject({ authenticated: false, hello: undefined, state: "awaiting-hello" });
  });

  it("is not implemented (502) when not offered, and 501 with a parameter", () => {
    const h = new Harness().connect().send("EHLO c.example\r\n").send("STARTTLS\r\n").send("STARTTLS now\r\n");
    expect(h.codes().slice(-2)).toEqual([502, 501]);
  });
});

describe("AUTH (RFC 4954)", () => {
  it("PLAIN with an initial response: the embedder checks the password, 235", () => {
    const h = new Harness(authConfig(), checkPassword).connect().send("EHLO c.example\r\n").send(`AUTH PLAIN ${b64(`\0tim\0${PASSWORD}`)}\r\n`);
    expect(h.replies.at(-1)).toMatchObject({ code: 235, enhanced: "2.7.0" });
    expect(h.eventsOf("authenticated")[0]).toMatchObject({ mechanism: "PLAIN", authorizationIdentity: "tim" });
    expect(h.session.snapshot().authenticatedAs).toBe("tim");
    h.send(`AUTH PLAIN ${b64(`\0tim\0${PASSWORD}`)}\r\n`);
    expect(h.replies.at(-1)).toMatchObject({ code: 503, text: "Already authenticated" });
  });

  it("LOGIN through 334 challenges", () => {
    const h = new Harness(authConfig(), checkPassword).connect().send("EHLO c.example\r\n").send("AUTH LOGIN\r\n");
    expect(h.wire.endsWith(`334 ${b64("Username:")}\r\n`)).toBe(true);
    h.send(`${b64("tim")}\r\n`);
    expect(h.wire.endsWith(`334 ${b64("Password:")}\r\n`)).toBe(true);
    h.send(`${b64(PASSWORD)}\r\n`);
    expect(h.codes().at(-1)).toBe(235);
  });

  it("SCRAM-SHA-256: the server signature goes out as a 334, an empty line confirms, then 235", () => {
    const verifier = createScramVerifier(PASSWORD, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 4096);
    const h = new Harness(
      { tls: { implicit: true }, auth: { sasl: { mechanisms: ["SCRAM-SHA-256"] }, nonce: () => "serverNonce0123456789" } },
      (event) => (event.type === "auth-requested" ? { type: "scram-verifier", verifier } : { type: "accept" }),
    )
      .connect()
      .send("EHLO c.example\r\n");
    const client = createSaslClient("SCRAM-SHA-256", { credentials: { username: "tim", password: PASSWORD }, nonce: "clientNonce0123456789" });
    const first = client.start({ initialResponse: true });
    if (first.type !== "response") throw new Error("expected a response");
    h.send(`AUTH SCRAM-SHA-256 ${b64(first.response.reveal())}\r\n`);
    for (let round = 0; round < 3 && h.codes().at(-1) === 334; round += 1) {
      const line = h.wire.trimEnd().split("\r\n").at(-1)!;
      const challenge = Buffer.from(line.slice(4), "base64");
      const step = client.respond(challenge);
      if (step.type !== "response") throw new Error(step.message);
      h.send(`${b64(step.response.reveal())}\r\n`);
    }
    expect(h.codes().at(-1)).toBe(235);
    expect(client.succeeded().type).toBe("success");
  });

  it("`*` cancels with 501; failures are counted and the limit closes with 421", () => {
    const h = new Harness(authConfig({ limits: { maxAuthFailures: 2 } }), checkPassword).connect().send("EHLO c.example\r\n");
    h.send("AUTH LOGIN\r\n*\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 501, enhanced: "5.7.0" });
    h.send(`AUTH PLAIN ${b64("\0tim\0wrong")}\r\n`);
    expect(h.replies.at(-1)).toMatchObject({ code: 421, text: "mx.example.com Too many authentication failures" });
    expect(h.closed).toBe(true);
    expect(h.eventsOf("auth-failed").map((event) => event.failures)).toEqual([1, 2]);
  });

  it("refuses AUTH in the clear (538), inside a transaction (503), unknown mechanisms (504), and without AUTH configured (502)", () => {
    const clear = new Harness({ auth: { sasl: { mechanisms: ["PLAIN"] } } }).connect().send("EHLO c.example\r\n").send(`AUTH PLAIN ${b64("\0a\0b")}\r\n`);
    expect(clear.replies.at(-1)).toMatchObject({ code: 538, enhanced: "5.7.11" });
    const inside = new Harness(authConfig()).connect().send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\n").send("AUTH PLAIN\r\n");
    expect(inside.replies.at(-1)).toMatchObject({ code: 503, text: "AUTH not permitted during a mail transaction" });
    const unknown = new Harness(authConfig()).connect().send("EHLO c.example\r\n").send("AUTH GSSAPI\r\n");
    expect(unknown.replies.at(-1)).toMatchObject({ code: 504 });
    const none = new Harness().connect().send("EHLO c.example\r\n").send("AUTH PLAIN\r\nNOOP\r\n");
    expect(none.codes().slice(-2)).toEqual([502, 250]);
  });

  it("an over-long or undecodable response ends the exchange and the session stays in step", () => {
    const h = new Harness(authConfig(), checkPassword).connect().send("EHLO c.example\r\n").send("AUTH LOGIN\r\n").send("not base64!\r\n").send("NOOP\r\n");
    expect(h.codes().slice(-3)).toEqual([334, 501, 250]);
    h.send("AUTH LOGIN\r\n").send(`${"A".repeat(20000)}\r\n`).send("NOOP\r\n");
    expect(h.codes().slice(-3)).toEqual([334, 500, 250]);
  });
});

describe("no credentials in events or snapshots (JSON.stringify law)", () => {
  it("never shows a password, a response or a token", () => {
    const secret = "Sup3r-Secret-Passw0rd";
    const h = new Harness(authConfig({ policy: { allowAuthWithoutTls: true } }), (event) => (event.type === "auth-requested" ? undefined : { type: "accept" }))
      .connect()
      .send("EHLO c.example\r\n");
    const initial = b64(`\0tim\0${secret}`);
    h.send(`AUTH PLAIN ${initial}\r\n`);
    const snapshotDuring = JSON.stringify(h.session.snapshot());
    const request = h.pending[0]!;
    expect(request.type).toBe("auth-requested");
    h.decide(request.requestId, { type: "reject" });
    h.send("AUTH LOGIN\r\n").send(`${b64("tim")}\r\n`).send(`${b64(secret)}\r\n`);
    h.send(`AUTH PLAIN ${b64("\0tim\0x")} trailing\r\n`);
    const logged = JSON.stringify(h.events) + snapshotDuring + JSON.stringify(h.session.snapshot());
    for (const forbidden of [secret, initial, b64(secret)]) expect(logged).not.toContain(forbidden);
    expect(logged).toContain("[redacted]");
    expect(new Redacted(secret).toString()).not.toContain(secret);
  });
});

describe("implicit TLS channel binding (RFC 5802 §6, RFC 9266)", () => {
  const plusConfig = {
    tls: { implicit: true },
    auth: { sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] as ("SCRAM-SHA-256-PLUS" | "SCRAM-SHA-256")[] }, nonce: () => "serverNonce0123456789" },
  };
  const binding = { type: "tls-exporter" as const, data: new Uint8Array(32).fill(7) };

  it("offers SCRAM-SHA-256-PLUS only when connect is given the TLS layer's channel binding", () => {
    const without = new Harness(plusConfig).connect().send("EHLO c.example\r\n");
    expect(without.wire).toContain("AUTH SCRAM-SHA-256\r\n");
    const h = new Harness(plusConfig);
    h.session.connect({ remoteAddress: "192.0.2.1" }, h.now, { channelBinding: binding });
    h.drain();
    h.send("EHLO c.example\r\n");
    expect(h.wire).toContain("AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256\r\n");
  });

  it("authenticates a client bound to the same channel, and refuses one bound to another", () => {
    const verifier = createScramVerifier("pencil", new Uint8Array(16).fill(1), 4096);
    for (const [data, expected] of [
      [binding.data, 235],
      [new Uint8Array(32).fill(8), 535],
    ] as const) {
      const h = new Harness(plusConfig, (event) => (event.type === "auth-requested" ? { type: "scram-verifier", verifier } : { type: "accept" }));
      h.session.connect({ remoteAddress: "192.0.2.1" }, h.now, { channelBinding: binding });
      h.drain();
      h.send("EHLO c.example\r\n");
      const client = createSaslClient("SCRAM-SHA-256-PLUS", { credentials: { username: "user", password: "pencil" }, nonce: "clientNonce", channelBinding: { type: "tls-exporter", data } });
      const first = client.start({ initialResponse: true });
      if (first.type !== "response") throw new Error("no client-first");
      h.send(`AUTH SCRAM-SHA-256-PLUS ${b64(first.response.reveal())}\r\n`);
      const serverFirst = h.wire.trimEnd().split("\r\n").at(-1)!.slice(4);
      const final = client.respond(new Uint8Array(Buffer.from(serverFirst, "base64")));
      if (final.type !== "response") throw new Error("no client-final");
      h.send(`${b64(final.response.reveal())}\r\n`);
      if (h.codes().at(-1) === 334) h.send("\r\n");
      expect(h.codes().at(-1)).toBe(expected);
    }
  });

  it("refuses TLS facts at connect on a session without implicit TLS (a programmer's mistake)", () => {
    const h = new Harness({ tls: { starttls: true } });
    expect(() => h.session.connect({ remoteAddress: "192.0.2.1" }, h.now, { channelBinding: binding })).toThrow(/implicit/);
  });
});
