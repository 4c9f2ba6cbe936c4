// Postfix XCLIENT and XFORWARD in the server session (XCLIENT_README, XFORWARD_README): offered only when
// the embedder configures them, applied only for trusted front ends, refused inside a transaction, and
// never a way around the session's rules. Examples first, then properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createServerSession, type ServerEvent, type XclientAttributes } from "@smtpkit/session";
import { Harness, type Decider } from "./server-harness.js";

// Several commands per `send` below: the tests are about XCLIENT, not about Postfix's pipelining rule.
const trusted = { frontEnd: { xclient: "trusted", xforward: "trusted" }, policy: { forbidUnauthorizedPipelining: false } } as const;

function ehloKeywords(h: Harness): string[] {
  const last = h.wireReplies().filter((reply) => reply.code === 250 && reply.lines.length > 1).at(-1);
  return last === undefined ? [] : last.lines.slice(1);
}

describe("XCLIENT and XFORWARD when not configured", () => {
  it("are not advertised and get 502, as any command the server does not implement", () => {
    const h = new Harness().connect().send("EHLO front.example\r\n");
    expect(ehloKeywords(h).some((line) => line.startsWith("XCLIENT") || line.startsWith("XFORWARD"))).toBe(false);
    h.send("XCLIENT ADDR=192.0.2.7\r\n").send("XFORWARD ADDR=192.0.2.8\r\n");
    expect(h.replies.slice(-2).map((reply) => [reply.to, reply.code, reply.enhanced])).toEqual([
      ["XCLIENT", 502, "5.5.1"],
      ["XFORWARD", 502, "5.5.1"],
    ]);
    expect(h.eventsOf("connection-requested")).toHaveLength(1);
  });
});

describe("XCLIENT and XFORWARD for an untrusted client", () => {
  it("are not advertised and get Postfix's 550 5.7.0; nothing changes", () => {
    const h = new Harness({ frontEnd: { xclient: "untrusted", xforward: "untrusted" } }).connect().send("EHLO mallory.example\r\n");
    expect(ehloKeywords(h).some((line) => line.startsWith("XCLIENT") || line.startsWith("XFORWARD"))).toBe(false);
    h.send("XCLIENT ADDR=127.0.0.1 LOGIN=admin\r\n").send("XFORWARD ADDR=127.0.0.1\r\n");
    expect(h.replies.slice(-2).map((reply) => [reply.to, reply.code, reply.enhanced])).toEqual([
      ["XCLIENT", 550, "5.7.0"],
      ["XFORWARD", 550, "5.7.0"],
    ]);
    const snapshot = h.session.snapshot();
    expect(snapshot.authenticated).toBe(false);
    expect(snapshot.xclient).toBeUndefined();
    expect(snapshot.forwarded).toBeUndefined();
    expect(snapshot.state).toBe("ready");
    expect(h.eventsOf("connection-requested")).toHaveLength(1);
  });

  it("an untrusted LOGIN never opens the way past authRequired", () => {
    const h = new Harness({
      frontEnd: { xclient: "untrusted" },
      auth: { sasl: { mechanisms: ["PLAIN"] } },
      policy: { authRequired: true, allowAuthWithoutTls: true, forbidUnauthorizedPipelining: false },
    })
      .connect()
      .send("EHLO m.example\r\nXCLIENT LOGIN=admin\r\nMAIL FROM:<a@example.com>\r\n");
    expect(h.codes().slice(-2)).toEqual([550, 530]);
  });
});

describe("XCLIENT for a trusted front end", () => {
  it("advertises the attribute names Postfix lists", () => {
    const h = new Harness(trusted).connect().send("EHLO front.example\r\n");
    expect(ehloKeywords(h)).toContain("XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT");
    expect(ehloKeywords(h)).toContain("XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
  });

  it("asks connection-requested again with the new client, re-greets with 220 and starts over (the README's example)", () => {
    const h = new Harness(trusted).connect().send("EHLO client.example.com\r\n");
    h.send("XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2\r\n");
    const asked = h.eventsOf("connection-requested");
    expect(asked).toHaveLength(2);
    expect(asked[1]!.connection).toEqual({ remoteAddress: "168.100.189.2" });
    expect(asked[1]!.xclient).toMatchObject({ name: "spike.porcupine.org", nameStatus: "known", frontEnd: { remoteAddress: "192.0.2.1" } });
    expect(h.replies.at(-1)).toMatchObject({ to: "XCLIENT", code: 220, text: "mx.example.com ESMTP Service ready" });
    expect(h.session.state).toBe("awaiting-hello");
    expect(h.session.snapshot().hello).toBeUndefined();
    // The front end must say EHLO again before mail.
    h.send("MAIL FROM:<wietse@porcupine.org>\r\n");
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 503 });
    h.send("EHLO spike.porcupine.org\r\nMAIL FROM:<wietse@porcupine.org>\r\n");
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 250 });
    const overridden = h.eventsOf("client-overridden");
    expect(overridden).toHaveLength(1);
    expect(overridden[0]!.connection.remoteAddress).toBe("168.100.189.2");
    expect(h.session.snapshot().xclient?.connection.remoteAddress).toBe("168.100.189.2");
  });

  it("applies every attribute: IPv6 without its prefix, ports, DESTADDR/DESTPORT as the local end, HELO and PROTO", () => {
    const h = new Harness(trusted).connect().send("EHLO front.example\r\n");
    h.send("XCLIENT ADDR=IPV6:2001:db8::7 PORT=40123 DESTADDR=198.51.100.25 DESTPORT=25 HELO=client.example PROTO=esmtp NAME=[TEMPUNAVAIL]\r\n");
    const event = h.eventsOf("connection-requested")[1]!;
    expect(event.connection).toEqual({ remoteAddress: "2001:db8::7", remotePort: 40123, localAddress: "198.51.100.25", localPort: 25 });
    expect(event.xclient).toMatchObject({ helo: "client.example", protocol: "ESMTP", name: undefined, nameStatus: "temporarily-unavailable", login: undefined });
  });

  it("keeps ADDR and NAME from an earlier XCLIENT but resets HELO, PROTO and LOGIN, as Postfix does", () => {
    const h = new Harness(trusted).connect().send("EHLO front.example\r\n");
    h.send("XCLIENT ADDR=192.0.2.50 NAME=a.example HELO=a.example PROTO=SMTP LOGIN=alice\r\n");
    h.send("XCLIENT PORT=2525\r\n");
    const second = h.eventsOf("connection-requested")[2]!;
    expect(second.connection).toEqual({ remoteAddress: "192.0.2.50", remotePort: 2525 });
    expect(second.xclient).toMatchObject({ name: "a.example", helo: undefined, protocol: undefined, login: undefined });
    expect(h.session.snapshot().authenticated).toBe(false);
  });

  it("LOGIN counts as authenticated (AUTH then gets 503, MAIL names the login); [UNAVAILABLE] does not", () => {
    const h = new Harness({ ...trusted, auth: { sasl: { mechanisms: ["PLAIN"] } }, policy: { authRequired: true, allowAuthWithoutTls: true, forbidUnauthorizedPipelining: false } })
      .connect()
      .send("XCLIENT LOGIN=alice+40example.org\r\nEHLO front.example\r\nMAIL FROM:<alice@example.org>\r\n");
    const mail = h.eventsOf("mail-requested")[0]!;
    expect(mail.authenticatedAs).toBe("alice@example.org");
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 250 });
    h.send("RSET\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    expect(h.replies.at(-1)).toMatchObject({ to: "AUTH", code: 503 });
    h.send("XCLIENT LOGIN=[unavailable]\r\nEHLO front.example\r\nMAIL FROM:<alice@example.org>\r\n");
    expect(h.session.snapshot().authenticated).toBe(false);
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 530 });
  });

  it("a rejection is the reply to XCLIENT and changes nothing; 421 closes", () => {
    const refuseSecond: Decider = (event) => {
      if (event.type === "connection-requested" && event.xclient !== undefined) {
        return event.connection.remoteAddress === "203.0.113.66" ? { type: "reject", reply: { code: 421, enhanced: "4.7.0", text: "Too many connections" } } : { type: "reject" };
      }
      return { type: "accept" };
    };
    const h = new Harness(trusted, refuseSecond).connect().send("EHLO front.example\r\nXCLIENT ADDR=203.0.113.5\r\n");
    expect(h.replies.at(-1)).toMatchObject({ to: "XCLIENT", code: 554 });
    expect(h.session.state).toBe("ready");
    expect(h.session.snapshot().hello?.domain).toBe("front.example");
    expect(h.eventsOf("client-overridden")).toHaveLength(0);
    h.send("XCLIENT ADDR=203.0.113.66\r\n");
    expect(h.replies.at(-1)).toMatchObject({ to: "XCLIENT", code: 421 });
    expect(h.closed).toBe(true);
  });

  it("a decision that does not fit a greeting (250, 550) is refused as the embedder's mistake", () => {
    const h = new Harness(trusted, (event) => (event.type === "connection-requested" && event.xclient !== undefined ? undefined : { type: "accept" }));
    h.connect().send("EHLO front.example\r\nXCLIENT ADDR=192.0.2.9\r\n");
    const request = h.pending[0]!;
    expect(() => h.session.decide(request.requestId, { type: "reject", reply: { code: 550, text: "no" } })).toThrow(/CONNECT|550/);
    h.decide(request.requestId, { type: "accept" });
    expect(h.replies.at(-1)).toMatchObject({ to: "XCLIENT", code: 220 });
  });

  it("is refused with 503 inside a transaction, and answers 421 like every command during shutdown", () => {
    const h = new Harness(trusted).connect().send("EHLO front.example\r\nMAIL FROM:<a@example.com>\r\nXCLIENT ADDR=192.0.2.9\r\nXFORWARD ADDR=192.0.2.9\r\n");
    expect(h.replies.slice(-2).map((reply) => [reply.to, reply.code])).toEqual([
      ["XCLIENT", 503],
      ["XFORWARD", 503],
    ]);
    for (const config of [trusted, {}]) {
      for (const line of ["XCLIENT ADDR=192.0.2.9\r\n", "XFORWARD ADDR=192.0.2.9\r\n"]) {
        let mailRequest = 0;
        const s = new Harness({ ...config, policy: { forbidUnauthorizedPipelining: false } }, (event) => {
          if (event.type === "mail-requested") {
            mailRequest = event.requestId;
            return undefined;
          }
          return { type: "accept" };
        })
          .connect()
          .send(`EHLO front.example\r\nMAIL FROM:<a@example.com>\r\n${line}`);
        s.session.shutdown(s.now);
        s.decide(mailRequest, { type: "accept" });
        expect(s.replies.at(-1)).toMatchObject({ to: line.slice(0, line.indexOf(" ")), code: 421 });
        expect(s.closed).toBe(true);
      }
    }
  });

  it("answers 501 to attributes Postfix refuses, before asking anything", () => {
    for (const line of [
      "XCLIENT ADDR=999.1.1.1",
      "XCLIENT ADDR=[192.0.2.1]",
      "XCLIENT ADDR=2001:db8::1",
      "XCLIENT PORT=65536",
      "XCLIENT PORT=-1",
      "XCLIENT PROTO=LMTP",
      "XCLIENT NAME=bad_name..example",
      "XFORWARD SOURCE=ELSEWHERE",
      "XFORWARD PORT=x",
      `XFORWARD PROTO=${"P".repeat(65)}`,
    ]) {
      const h = new Harness(trusted).connect().send(`EHLO front.example\r\n${line}\r\n`);
      expect(h.replies.at(-1), line).toMatchObject({ code: 501, enhanced: "5.5.4" });
      expect(h.eventsOf("connection-requested"), line).toHaveLength(1);
      expect(h.session.state, line).toBe("ready");
    }
  });
});

describe("XFORWARD for a trusted front end", () => {
  it("answers 250, carries the attributes into the next transaction's envelope, and resets them after it", () => {
    const h = new Harness(trusted).connect().send("EHLO filter.example\r\n");
    h.send("XFORWARD NAME=spike.porcupine.org ADDR=168.100.189.2 PROTO=ESMTP\r\nXFORWARD HELO=spike.porcupine.org IDENT=3CF6B2AAE8 SOURCE=remote\r\n");
    expect(h.replies.slice(-2).map((reply) => [reply.to, reply.code])).toEqual([
      ["XFORWARD", 250],
      ["XFORWARD", 250],
    ]);
    const expected = { name: "spike.porcupine.org", address: "168.100.189.2", port: undefined, protocol: "ESMTP", helo: "spike.porcupine.org", ident: "3CF6B2AAE8", source: "REMOTE" };
    expect(h.eventsOf("client-forwarded").at(-1)!.forwarded).toEqual(expected);
    h.send("MAIL FROM:<wietse@porcupine.org>\r\nRCPT TO:<user@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n");
    expect(h.eventsOf("mail-requested")[0]!.forwarded).toEqual(expected);
    expect(h.eventsOf("message-end")[0]!.envelope.forwarded).toEqual(expected);
    expect(h.session.snapshot().forwarded).toBeUndefined();
    h.send("MAIL FROM:<next@example.com>\r\n");
    expect(h.eventsOf("mail-requested")[1]!.forwarded).toBeUndefined();
  });

  it("[UNAVAILABLE] erases an attribute; RSET, EHLO and XCLIENT reset them all", () => {
    const h = new Harness(trusted).connect().send("EHLO filter.example\r\n");
    h.send("XFORWARD ADDR=192.0.2.4 NAME=up.example\r\nXFORWARD NAME=[UNAVAILABLE]\r\n");
    expect(h.session.snapshot().forwarded).toMatchObject({ address: "192.0.2.4", name: undefined });
    for (const reset of ["RSET\r\n", "EHLO filter.example\r\n", "XCLIENT ADDR=192.0.2.77\r\n"]) {
      h.send("XFORWARD ADDR=192.0.2.4\r\n");
      expect(h.session.snapshot().forwarded, reset).toBeDefined();
      h.send(reset);
      expect(h.session.snapshot().forwarded, reset).toBeUndefined();
      if (reset.startsWith("XCLIENT")) h.send("EHLO filter.example\r\n");
    }
  });

  it("never changes who the client is: no connection question, no authentication", () => {
    const h = new Harness(trusted).connect().send("EHLO filter.example\r\nXFORWARD ADDR=127.0.0.1 NAME=localhost\r\n");
    expect(h.eventsOf("connection-requested")).toHaveLength(1);
    expect(h.session.snapshot().xclient).toBeUndefined();
    expect(h.session.snapshot().authenticated).toBe(false);
  });
});

describe("configuration", () => {
  it("refuses a frontEnd value that is not trusted or untrusted, and unknown keys", () => {
    for (const frontEnd of [{ xclient: true }, { xforward: "yes" }, { xclient: "trusted", other: "trusted" }, "trusted"]) {
      expect(() => createServerSession({ hostname: "mx.example.com", frontEnd: frontEnd as never }), JSON.stringify(frontEnd)).toThrow(/frontEnd/);
    }
  });
});

describe("properties", () => {
  const special = fc.constantFrom("[UNAVAILABLE]", "[unavailable]", "[TEMPUNAVAIL]", "[TempUnavail]");
  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join("."));
  const hostname = fc.domain().filter((name) => name.length <= 200);
  const attribute = fc.oneof(
    fc.record({ name: fc.constant("ADDR"), value: fc.oneof(ipv4, special, fc.string({ maxLength: 12 })) }),
    fc.record({ name: fc.constant("NAME"), value: fc.oneof(hostname, special, fc.string({ maxLength: 12 })) }),
    fc.record({ name: fc.constant("PORT"), value: fc.oneof(fc.integer({ min: 0, max: 99_999 }).map(String), special) }),
    fc.record({ name: fc.constant("HELO"), value: fc.oneof(hostname, special, fc.string({ minLength: 1, maxLength: 20 })) }),
    fc.record({ name: fc.constant("PROTO"), value: fc.constantFrom("SMTP", "esmtp", "LMTP", "[UNAVAILABLE]") }),
    fc.record({ name: fc.constant("LOGIN"), value: fc.oneof(fc.emailAddress(), special) }),
  );
  const encodeXtext = (value: string): string => {
    let out = "";
    for (const byte of new TextEncoder().encode(value)) out += byte > 0x20 && byte < 0x7f && byte !== 0x2b && byte !== 0x3d ? String.fromCharCode(byte) : `+${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    return out;
  };

  it("an XCLIENT from an untrusted client never changes the identity, the authentication or the state", () => {
    fc.assert(
      fc.property(fc.uniqueArray(attribute, { minLength: 1, maxLength: 6, selector: (entry) => entry.name }), (attributes) => {
        const line = `XCLIENT ${attributes.map((entry) => `${entry.name}=${encodeXtext(entry.value)}`).join(" ")}\r\n`;
        const h = new Harness({ frontEnd: { xclient: "untrusted" } }).connect().send("EHLO m.example\r\n").send(line);
        expect([550, 501, 500]).toContain(h.replies.at(-1)!.code);
        expect(h.session.snapshot()).toMatchObject({ state: "ready", authenticated: false, xclient: undefined });
        expect(h.eventsOf("connection-requested")).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });

  it("a trusted XCLIENT either asks about exactly the client it describes (then 220 and a fresh session) or answers 501 and changes nothing", () => {
    fc.assert(
      fc.property(fc.uniqueArray(attribute, { minLength: 1, maxLength: 6, selector: (entry) => entry.name }), (attributes) => {
        const line = `XCLIENT ${attributes.map((entry) => `${entry.name}=${encodeXtext(entry.value)}`).join(" ")}\r\n`;
        const h = new Harness(trusted).connect().send("EHLO front.example\r\n").send(line);
        const reply = h.replies.at(-1)!;
        const questions = h.eventsOf("connection-requested");
        if (reply.code === 220) {
          expect(questions).toHaveLength(2);
          const asked = questions[1]! as ServerEvent & { type: "connection-requested"; xclient: XclientAttributes };
          const address = attributes.find((entry) => entry.name === "ADDR")?.value;
          if (address !== undefined) expect(asked.connection.remoteAddress).toBe(address.startsWith("[") ? "unknown" : address);
          else expect(asked.connection.remoteAddress).toBe("192.0.2.1");
          const login = attributes.find((entry) => entry.name === "LOGIN")?.value;
          expect(h.session.snapshot().authenticated).toBe(login !== undefined && login.toUpperCase() !== "[UNAVAILABLE]");
          expect(h.session.state).toBe("awaiting-hello");
        } else {
          expect(reply.code).toBe(501);
          expect(questions).toHaveLength(1);
          expect(h.session.snapshot()).toMatchObject({ state: "ready", authenticated: false, xclient: undefined });
        }
      }),
      { numRuns: 300 },
    );
  });

  it("hostile lines around XCLIENT and XFORWARD: the session never throws, and every reply is one Postfix's READMEs or RFC 5321 allow", () => {
    const word = fc.oneof(
      fc.constantFrom("XCLIENT", "XFORWARD", "xclient", "EHLO x.example", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>", "DATA", "RSET", "QUIT", "NOOP"),
      fc.constantFrom("ADDR=", "NAME=", "PORT=", "LOGIN=", "HELO=", "PROTO=", "SOURCE=", "IDENT=", "DESTADDR=", "[UNAVAILABLE]", "+2B", "+0D+0A", "IPV6:", "::1", "192.0.2.1", "65536", " ", "=", "+"),
      fc.string({ maxLength: 8 }),
    );
    const line = fc.array(word, { minLength: 1, maxLength: 6 }).map((words) => `${words.join("")}\r\n`);
    const allowed: Record<string, readonly number[]> = { XCLIENT: [220, 421, 500, 501, 502, 503, 550, 554], XFORWARD: [250, 421, 500, 501, 502, 503, 550] };
    fc.assert(
      fc.property(fc.constantFrom<"trusted" | "untrusted" | undefined>("trusted", "untrusted", undefined), fc.array(line, { maxLength: 12 }), (trust, lines) => {
        const h = new Harness({ ...(trust === undefined ? {} : { frontEnd: { xclient: trust, xforward: trust } }), policy: { forbidUnauthorizedPipelining: false } }).connect();
        for (const text of lines) h.send(text);
        for (const reply of h.replies) {
          const codes = allowed[reply.to];
          if (codes !== undefined) expect(codes, `${reply.to} ${reply.code}`).toContain(reply.code);
        }
        if (trust !== "trusted") expect(h.eventsOf("client-overridden").length + h.eventsOf("client-forwarded").length).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("XCLIENT and XFORWARD lines give the same replies, questions and identity events whole, byte by byte, and cut anywhere", () => {
    const script = fc.array(
      fc.constantFrom(
        "XCLIENT ADDR=192.0.2.9 NAME=c.example\r\n",
        "XCLIENT LOGIN=bob\r\n",
        "XFORWARD ADDR=192.0.2.10 IDENT=Q1\r\n",
        "EHLO front.example\r\n",
        "MAIL FROM:<a@example.com>\r\n",
        "RCPT TO:<b@example.org>\r\n",
        "RSET\r\n",
        "XCLIENT ADDR=bogus\r\n",
      ),
      { maxLength: 10 },
    );
    const run = (pieces: readonly Uint8Array[]): string => {
      const h = new Harness(trusted).connect();
      for (const piece of pieces) h.send(piece);
      // The wire and the questions and identity reports, in order. (Log events may interleave differently:
      // pipelined RCPTs are taken up together by design, and "pipelined" depends on how the bytes came.)
      const kept = new Set(["connection-requested", "client-overridden", "client-forwarded", "mail-requested", "recipient-requested"]);
      return JSON.stringify({ wire: h.wire, events: h.events.filter((event) => kept.has(event.type)) });
    };
    fc.assert(
      fc.property(script, fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        const whole = new TextEncoder().encode(`EHLO front.example\r\n${lines.join("")}`);
        const expected = run([whole]);
        expect(run([...whole].map((byte) => Uint8Array.of(byte)))).toBe(expected);
        const points = [...new Set(cuts.map((cut) => cut % (whole.length + 1)))].sort((a, b) => a - b);
        const pieces: Uint8Array[] = [];
        let start = 0;
        for (const point of points) {
          pieces.push(whole.slice(start, point));
          start = point;
        }
        pieces.push(whole.slice(start));
        expect(run(pieces)).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });
});
