// DATA, BDAT and LMTP: content streamed, the final 250 only when stored,
// SMTP smuggling never ending DATA early, RFC 3030's rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptAll, Harness, type Decider } from "./server-harness.js";

const transaction = "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n";
const open = (config = {}, decider: Decider = acceptAll): Harness => new Harness(config, decider).connect().send("EHLO client.example\r\n").send(transaction);

describe("DATA", () => {
  it("streams content, then asks whether it is stored; the 250 waits for the answer (RFC 5321 §6.1)", () => {
    const h = open({}, (event) => (event.type === "message-end" ? undefined : { type: "accept" })).send("DATA\r\n").send("Subject: a\r\n\r\nline one\r\n.\r\n");
    expect(h.codes().at(-1)).toBe(354);
    const end = h.eventsOf("message-end")[0]!;
    expect(end.size).toBe("Subject: a\r\n\r\nline one\r\n".length);
    expect(end.envelope.recipients).toHaveLength(1);
    h.decide(end.requestId, { type: "reject", situation: "StorageFailed" });
    expect(h.replies.at(-1)).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(h.session.state).toBe("ready");
  });

  it("a peer that goes away mid-message: the message is aborted and the cut reported", () => {
    const h = open().send("DATA\r\n").send("Subject: half");
    h.session.peerClosed(h.now);
    h.drain();
    expect(h.eventsOf("message-aborted").map((event) => event.reason)).toEqual(["closed"]);
    expect(h.eventsOf("protocol-violation").map((event) => event.violation)).toEqual(["input-truncated"]);
    expect(h.eventsOf("session-closed")[0]!.reason).toBe("peer-closed");
    expect(h.closed).toBe(true);
  });

  it("enforces the actual size: reads to the end, then 552 (RFC 1870 §6.1)", () => {
    const h = open({ limits: { maxMessageSize: 10 } }).send("DATA\r\n").send("0123456789ABCDEF\r\n.\r\nNOOP\r\n");
    expect(h.codes().slice(-2)).toEqual([552, 250]);
    expect(h.eventsOf("message-aborted").map((event) => event.reason)).toEqual(["too-big"]);
    expect(h.eventsOf("message-end")).toEqual([]);
  });

  it("refuses BODY=BINARYMIME content over DATA (RFC 3030 §3)", () => {
    const h = new Harness({ extensions: { binaryMime: true } }).connect().send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com> BODY=BINARYMIME\r\n").send("RCPT TO:<b@example.org>\r\n").send("DATA\r\n");
    expect(h.replies.at(-1)).toMatchObject({ code: 503, text: "BODY=BINARYMIME requires BDAT" });
    h.send("NOOP\r\n");
    expect(h.codes().at(-1)).toBe(250);
  });
});

describe("SMTP smuggling (CVE-2023-51764 and kin): DATA ends only at <CRLF>.<CRLF>", () => {
  const endings = ["\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n", "\n.\r"];
  for (const ending of endings) {
    it(`${JSON.stringify(ending)} does not end the data; the smuggled MAIL is content`, () => {
      const h = open().send("DATA\r\n").send(`Subject: a\r\n\r\nbody${ending}MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n\r\nsmuggled\r\n.\r\n`);
      expect(h.eventsOf("mail-requested")).toHaveLength(1);
      // Under the default "reject" policy the bare line ending gets 550 5.5.2, once the real end came.
      expect(h.replies.at(-1)).toMatchObject({ code: 550, enhanced: "5.5.2" });
      expect(h.eventsOf("message-end")).toEqual([]);
      expect(h.messageText()).toContain("MAIL FROM:<evil@example.com>");
    });
  }

  it("command lines end at CRLF only under reject: a bare-LF line is refused whole, nothing after the LF is a command", () => {
    const h = new Harness().connect().send("EHLO c.example\r\n").send("NOOP\nMAIL FROM:<evil@example.com>\r\n");
    expect(h.codes().at(-1)).toBe(501);
    expect(h.eventsOf("mail-requested")).toEqual([]);
    const lenient = new Harness({ policy: { bareLineEnding: "normalize" } }).connect().send("EHLO c.example\n").send("NOOP\n");
    expect(lenient.codes()).toEqual([220, 250, 250]);
  });

  it("under normalize, bare line endings become CRLF and the message is accepted", () => {
    const h = open({ policy: { bareLineEnding: "normalize" } }).send("DATA\r\n").send("a\nb\r\n.\r\n");
    expect(h.messageText()).toBe("a\r\nb\r\n");
    expect(h.codes().at(-1)).toBe(250);
  });

  it("law: for any content, the data ends at the first <CRLF>.<CRLF> and nowhere else", () => {
    const unit = fc.constantFrom("a", ".", "\r", "\n", "\r\n", "MAIL FROM:<x@y.example>", " ");
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), (parts) => {
        const content = parts.join("");
        const full = `\r\n${content}\r\n.\r\n`;
        const h = open({ policy: { bareLineEnding: "normalize", forbidUnauthorizedPipelining: false } }).send("DATA\r\n").send(`${content}\r\n.\r\n`);
        if (full.indexOf("\r\n.\r\n") === full.length - 5) {
          // No <CRLF>.<CRLF> before ours: one message, and nothing in it was read as a command.
          expect(h.eventsOf("message-end")).toHaveLength(1);
          expect(h.eventsOf("command-received").map((event) => event.verb)).toEqual(["EHLO", "MAIL", "RCPT", "DATA"]);
        } else {
          // A real <CRLF>.<CRLF> inside: the data ended there, and what followed was read as commands.
          expect(h.eventsOf("message-end")).toHaveLength(1);
          expect(h.eventsOf("command-received").length).toBeGreaterThan(4);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("BDAT (RFC 3030)", () => {
  it("accepts chunks, 250 per chunk, the message's reply after LAST", () => {
    const h = open().send("BDAT 5\r\nhelloBDAT 6 LAST\r\n world");
    expect(h.codes().slice(-2)).toEqual([250, 250]);
    expect(h.messageText()).toBe("hello world");
    expect(h.eventsOf("message-start")[0]!.transport).toBe("BDAT");
    expect(h.eventsOf("message-end")[0]!.size).toBe(11);
  });

  it("reads and discards a chunk whose MAIL was refused in the same pipelined group (go-smtp#315)", () => {
    const h = new Harness({}, (event) => (event.type === "mail-requested" ? { type: "reject" } : { type: "accept" }))
      .connect()
      .send("EHLO c.example\r\n")
      .send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nBDAT 12 LAST\r\nRSET\r\nQUIT\r\nNOOP\r\n");
    // MAIL 550, RCPT 503, BDAT 503 (its 12 octets, which look like commands, are dropped), NOOP 250.
    expect(h.codes()).toEqual([220, 250, 550, 503, 503, 250]);
    expect(h.closed).toBe(false);
    expect(h.eventsOf("message-chunk")).toEqual([]);
  });

  it("does not count chunks refused behind a failed one toward the error limit", () => {
    const chunks = "BDAT 1\r\nx".repeat(10);
    const h = open({ limits: { maxMessageSize: 4, maxErrors: 3 } }).send(`BDAT 5\r\nhello${chunks}NOOP\r\n`);
    expect(h.codes().slice(-12)).toEqual([552, ...Array(10).fill(503), 250]);
    expect(h.closed).toBe(false);
  });

  it("refuses DATA after BDAT (RFC 3030 §3) and BDAT without CHUNKING", () => {
    const h = open().send("BDAT 2\r\nabDATA\r\n");
    expect(h.codes().slice(-2)).toEqual([250, 503]);
    expect(h.replies.at(-1)!.text).toBe("DATA cannot follow BDAT in one transaction");
    const none = open({ extensions: { chunking: false } }).send("BDAT 4 LAST\r\nNOOPNOOP\r\n");
    expect(none.codes().slice(-2)).toEqual([502, 250]);
  });

  it("refuses a chunk that would pass the size limit at once, and still reads it", () => {
    const h = open({ limits: { maxMessageSize: 8 } }).send("BDAT 5\r\nhelloBDAT 5 LAST\r\nworldNOOP\r\n");
    expect(h.codes().slice(-3)).toEqual([250, 552, 250]);
    expect(h.session.state).toBe("ready");
  });

  it("a chunk split anywhere gives the same content", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (chunk, cuts) => {
        const whole = new Uint8Array([...new TextEncoder().encode(`BDAT ${chunk.length} LAST\r\n`), ...chunk]);
        const h = open();
        const points = [...new Set(cuts.map((cut) => cut % (whole.length + 1)))].sort((a, b) => a - b);
        let start = 0;
        for (const point of [...points, whole.length]) {
          if (point > start) h.send(whole.slice(start, point));
          start = Math.max(start, point);
        }
        const received = h.message.reduce((all, part) => [...all, ...part], [] as number[]);
        expect(received).toEqual([...chunk]);
        expect(h.codes().at(-1)).toBe(250);
      }),
      { numRuns: 100 },
    );
  });
});

describe("LMTP (RFC 2033)", () => {
  it("a message refused for size still gets one reply per recipient, DATA or BDAT", () => {
    const lmtp = () =>
      new Harness({ lmtp: true, limits: { maxMessageSize: 4 } }).connect().send("LHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\nRCPT TO:<1@example.org>\r\nRCPT TO:<2@example.org>\r\n");
    expect(lmtp().send("DATA\r\n").send("too long\r\n.\r\n").codes().slice(-3)).toEqual([354, 552, 552]);
    expect(lmtp().send("BDAT 8 LAST\r\ntoo long").codes().slice(-3)).toEqual([250, 552, 552]);
    expect(lmtp().send("BDAT 3\r\nabcBDAT 3 LAST\r\ndef").codes().slice(-3)).toEqual([250, 552, 552]);
  });

  it("speaks LHLO only and answers once per accepted recipient after the data, in order", () => {
    const h = new Harness({ lmtp: true }, (event) => (event.type === "message-end" ? undefined : { type: "accept" })).connect();
    h.send("EHLO c.example\r\n");
    expect(h.codes().at(-1)).toBe(500);
    h.send("LHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\nRCPT TO:<1@example.org>\r\nRCPT TO:<2@example.org>\r\nDATA\r\n").send("hi\r\n.\r\n");
    const ends = h.eventsOf("message-end");
    expect(ends.map((event) => event.recipient?.to.localPart)).toEqual(["1", "2"]);
    h.decide(ends[1]!.requestId, { type: "reject", situation: "MailboxFull" });
    expect(h.codes().at(-1)).toBe(354);
    h.decide(ends[0]!.requestId, { type: "accept" });
    expect(h.codes().slice(-2)).toEqual([250, 552]);
  });
});
