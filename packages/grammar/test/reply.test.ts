// Replies (RFC 5321 §4.2, RFC 2034), the reply reader, and EHLO capabilities.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Situations } from "@smtpkit/codes";
import {
  CapabilitySet,
  GrammarError,
  ReplyReader,
  ehloReply,
  parseEhloReply,
  parseReply,
  parseReplyLine,
  replyFor,
  serializeReply,
  type Reply,
  type ReplyReaderEvent,
} from "@smtpkit/grammar";
import { bytes, splitAt, utf8 } from "./helpers.js";

describe("replies", () => {
  it("parses single and multi-line replies with enhanced codes", () => {
    expect(parseReply("250 2.1.0 Sender OK\r\n")).toEqual({ ok: true, reply: { code: 250, enhanced: "2.1.0", lines: ["Sender OK"] } });
    expect(parseReply("550-5.1.1 No such\r\n550 5.1.1 user\r\n")).toEqual({
      ok: true,
      reply: { code: 550, enhanced: "5.1.1", lines: ["No such", "user"] },
    });
    expect(parseReply("220 mx.example.com ESMTP\r\n")).toEqual({ ok: true, reply: { code: 220, lines: ["mx.example.com ESMTP"] } });
    expect(parseReply("250\r\n")).toEqual({ ok: true, reply: { code: 250, lines: [""] } });
    expect(parseReply("354 Go ahead")).toEqual({ ok: true, reply: { code: 354, lines: ["Go ahead"] } });
  });

  it("does not take a code of the wrong class as enhanced (RFC 3463 §2)", () => {
    expect(parseReply("550 2.0.0 odd\r\n")).toEqual({ ok: true, reply: { code: 550, lines: ["2.0.0 odd"] } });
    expect(parseReply("250 2.0.00 x")).toEqual({ ok: true, reply: { code: 250, lines: ["2.0.00 x"] } });
  });

  it("refuses malformed replies with a reason", () => {
    expect(parseReply("25O ok").ok).toBe(false);
    expect(parseReply("250-a\r\n251 b\r\n")).toMatchObject({ ok: false, error: { reason: "code-mismatch" } });
    expect(parseReply("250-a\r\n")).toMatchObject({ ok: false, error: { reason: "bad-separator" } });
    expect(parseReply("250 a\x1b[31m")).toMatchObject({ ok: false, error: { reason: "bad-text" } });
    expect(parseReplyLine("600 x").ok).toBe(false);
    expect(parseReplyLine("260 x").ok).toBe(false);
    expect(parseReplyLine("250_x").ok).toBe(false);
  });

  it("serializes with the enhanced code on every line", () => {
    expect(serializeReply({ code: 250, lines: ["mx.example.com", "PIPELINING"] })).toBe("250-mx.example.com\r\n250 PIPELINING\r\n");
    expect(serializeReply({ code: 550, enhanced: "5.1.1", lines: ["a", "b"] })).toBe("550-5.1.1 a\r\n550 5.1.1 b\r\n");
    expect(serializeReply({ code: 250, lines: [] })).toBe("250\r\n");
    expect(serializeReply({ code: 334, lines: [""] })).toBe("334 \r\n");
    expect(serializeReply(replyFor(Situations.AuthContinue, { text: "VXNlcm5hbWU6" }))).toBe("334 VXNlcm5hbWU6\r\n");
  });

  it("splits lines longer than 512 octets (RFC 5321 §4.5.3.1.5)", () => {
    const text = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    const wire = serializeReply({ code: 550, enhanced: "5.7.1", lines: [text] });
    for (const line of wire.split("\r\n").slice(0, -1)) expect(utf8(`${line}\r\n`).length).toBeLessThanOrEqual(512);
    const parsed = parseReply(wire);
    expect(parsed.ok && parsed.reply.lines.join(" ")).toBe(text);
    const unbroken = "é".repeat(600);
    const hard = serializeReply({ code: 250, lines: [unbroken] });
    for (const line of hard.split("\r\n").slice(0, -1)) expect(utf8(`${line}\r\n`).length).toBeLessThanOrEqual(512);
    const back = parseReply(hard);
    expect(back.ok && back.reply.lines.join("")).toBe(unbroken);
  });

  it("refuses what cannot be sent", () => {
    expect(() => serializeReply({ code: 250, lines: ["a\r\n250 forged"] })).toThrow(GrammarError);
    expect(() => serializeReply({ code: 199, lines: ["x"] })).toThrow(/reply code/);
    expect(() => serializeReply({ code: 250, enhanced: "5.0.0", lines: ["x"] })).toThrow(/does not fit/);
  });

  it("builds situation replies from @smtpkit/codes", () => {
    expect(serializeReply(replyFor(Situations.BadSequence))).toBe("503 5.5.1 Bad sequence of commands\r\n");
    expect(serializeReply(replyFor(Situations.Greeting, { domain: "mx.example.com" }))).toBe("220 mx.example.com ESMTP Service ready\r\n");
    expect(serializeReply(replyFor(Situations.RelayDenied, { text: "Not here" }))).toBe("550 5.7.1 Not here\r\n");
  });

  it("serialize then parse is the identity for any reply", () => {
    const text = fc.stringMatching(/^[ -~]{0,80}$/).filter((line) => line.trim() === line && !/^[245]\.\d/.test(line));
    const reply = fc.record({
      code: fc.integer({ min: 200, max: 559 }).filter((code) => Math.floor(code / 10) % 10 <= 5),
      lines: fc.array(text, { minLength: 1, maxLength: 5 }),
      enhanced: fc.option(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 30 })), { nil: undefined }),
    });
    fc.assert(
      fc.property(reply, ({ code, lines, enhanced }) => {
        const klass = Math.floor(code / 100);
        const input: Reply =
          enhanced === undefined || klass === 3 ? { code, lines } : { code, enhanced: `${klass}.${enhanced[0]}.${enhanced[1]}`, lines };
        const parsed = parseReply(serializeReply(input));
        expect(parsed).toEqual({ ok: true, reply: input.enhanced === undefined && lines.every((l) => l === "") ? { code, lines } : input });
      }),
    );
  });
});

describe("ReplyReader", () => {
  const read = (chunks: readonly Uint8Array[], options = {}) => {
    const reader = new ReplyReader(options);
    return [...chunks.flatMap((chunk) => [...reader.push(chunk)]), ...reader.end()];
  };

  it("assembles multi-line replies across any split", () => {
    const wire = bytes("250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 100\r\n354 go\r\n");
    const whole = read([wire]);
    expect(whole.map((event) => event.type)).toEqual(["reply", "reply"]);
    for (let cut = 1; cut < wire.length; cut += 1) {
      expect(read(splitAt(wire, [cut])).map((event) => (event.type === "reply" ? event.reply : event))).toEqual(
        whole.map((event) => (event.type === "reply" ? event.reply : event)),
      );
    }
  });

  it("gives the same replies whole, byte by byte and in any split", () => {
    const line = fc.constantFrom("250-a\r\n", "250 b\r\n", "550-5.1.1 x\r\n", "550 5.1.1 y\r\n", "354 go\n", "25", "0 z\r\n", "\r\n", "garbage\r\n");
    const summarize = (chunks: readonly Uint8Array[]) => {
      const reader = new ReplyReader();
      return [...chunks.flatMap((chunk) => [...reader.push(chunk)]), ...reader.end()].map((event) =>
        event.type === "reply" ? { type: "reply", reply: event.reply } : event,
      );
    };
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 20 }).chain((parts) => {
          const data = bytes(parts.join(""));
          return fc.tuple(fc.constant(data), fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, data.length - 1) }), { maxLength: 8 }));
        }),
        ([data, cuts]) => {
          const whole = summarize([data]);
          expect(summarize([...data].map((byte) => Uint8Array.of(byte)))).toEqual(whole);
          expect(summarize(splitAt(data, cuts.filter((cut) => cut < data.length).sort((a, b) => a - b)))).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("marks a reply followed by more input (STARTTLS response injection)", () => {
    const events = new ReplyReader().push(bytes("220 Ready to start TLS\r\n250 injected\r\n"));
    expect(events.map((event) => event.type === "reply" && event.pipelined)).toEqual([true, false]);
  });

  it("bounds lines per reply and line length", () => {
    const many = bytes("250-x\r\n".repeat(300) + "250 end\r\n");
    const events = read([many], { maxLines: 10 });
    expect(events[0]).toMatchObject({ type: "reply-invalid", error: { reason: "too-many-lines" } });
    expect(events.some((event) => event.type === "reply")).toBe(false);
    const long = read([bytes(`250 ${"x".repeat(5000)}\r\n220 ok\r\n`)]);
    expect(long.map((event) => event.type)).toEqual(["line-too-long", "reply"]);
    expect(() => new ReplyReader({ maxLines: 0 })).toThrow(GrammarError);
  });

  it("reports code mismatches and truncation", () => {
    expect(read([bytes("250-a\r\n550 b\r\n")]).map((event) => event.type)).toEqual(["reply-invalid"]);
    expect(read([bytes("250-a\r\n")])).toEqual([{ type: "input-truncated", mode: "reply" }]);
  });

  it("random bytes give events, never an exception, with bounded memory", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
        const reader = new ReplyReader({ maxLineLength: 100 });
        const events: ReplyReaderEvent[] = [];
        for (const chunk of chunks) {
          events.push(...reader.push(chunk));
          expect(reader.buffered).toBeLessThanOrEqual(101);
        }
        for (const event of events) expect(["reply", "reply-invalid", "line-too-long"]).toContain(event.type);
      }),
    );
  });
});

describe("EHLO and capabilities", () => {
  const ehlo =
    "250-mx.example.com Hello client\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-AUTH=LOGIN\r\n" +
    "250-AUTH PLAIN LOGIN XOAUTH2\r\n250-ENHANCEDSTATUSCODES\r\n250-LIMITS RCPTMAX=100 MAILMAX=5 FOO=1\r\n" +
    "250-XCLIENT NAME ADDR PROTO\r\n250-FUTURERELEASE 604800 2030-01-01T00:00:00Z\r\n250-DELIVERBY 240\r\n250-b@d keyword\r\n250 SMTPUTF8\r\n";

  it("reads a real EHLO reply into a typed set", () => {
    const parsed = parseReply(ehlo);
    expect(parsed.ok).toBe(true);
    const greeting = parsed.ok ? parseEhloReply(parsed.reply) : undefined;
    expect(greeting?.domain).toBe("mx.example.com");
    expect(greeting?.greeting).toBe("Hello client");
    const caps = greeting?.capabilities as CapabilitySet;
    expect(caps.has("pipelining")).toBe(true);
    expect(caps.maxSize).toBe(35882577);
    expect(caps.authMechanisms).toEqual(["LOGIN", "PLAIN", "XOAUTH2"]);
    expect(caps.limits).toEqual({ rcptMax: 100, mailMax: 5 });
    expect(caps.attributes("XCLIENT")).toEqual(["NAME", "ADDR", "PROTO"]);
    expect(caps.futureRelease).toEqual({ maxInterval: 604800, maxDateTime: "2030-01-01T00:00:00Z" });
    expect(caps.deliverByMinimum).toBe(240);
    expect(caps.keywords.some((keyword) => keyword.includes("@"))).toBe(false);
    expect(caps.has("SMTPUTF8")).toBe(true);
  });

  it("builds, serializes and reads back", () => {
    const caps = CapabilitySet.of({ PIPELINING: true, SIZE: ["1000"], STARTTLS: true }).without("STARTTLS").with("CHUNKING");
    const wire = serializeReply(ehloReply("mx.example.com", caps));
    expect(wire).toBe("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 CHUNKING\r\n");
    const parsed = parseReply(wire);
    expect(parsed.ok && parseEhloReply(parsed.reply)?.capabilities.toLines()).toEqual(caps.toLines());
    expect(() => CapabilitySet.of({ "BAD KEY": true })).toThrow(GrammarError);
    expect(() => ehloReply("a b", caps)).toThrow(GrammarError);
  });

  it("says which parameters an extension allows", () => {
    const caps = CapabilitySet.of({ "8BITMIME": true, CHUNKING: true, BINARYMIME: true, DSN: true });
    expect(caps.allowsParameter("body", "binarymime")).toBe(true);
    expect(caps.allowsParameter("BODY", "8BITMIME")).toBe(true);
    expect(caps.allowsParameter("ORCPT")).toBe(true);
    expect(caps.allowsParameter("SIZE")).toBe(false);
    expect(CapabilitySet.of({ BINARYMIME: true }).allowsParameter("BODY", "BINARYMIME")).toBe(false);
  });
});
