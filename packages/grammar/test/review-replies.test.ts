// Review: replies as real servers send them. EHLO replies in the shapes of
// Postfix 3.x, Exim 4.9x, Gmail and Exchange Online (typed into this file from
// their documented and commonly logged EHLO output, addresses replaced by
// documentation ranges), multi-line edge cases, RFC 2034 enhanced codes and
// 512-octet lines.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapabilitySet, ehloReply, parseEhloReply, parseReply, ReplyReader, serializeReply, type Reply } from "@smtpkit/grammar";
import { bytes, everySplit, utf8 } from "./helpers.js";

const servers = {
  postfix: [
    "250-mail.example.org",
    "250-PIPELINING",
    "250-SIZE 10240000",
    "250-VRFY",
    "250-ETRN",
    "250-STARTTLS",
    "250-AUTH PLAIN LOGIN",
    "250-AUTH=PLAIN LOGIN",
    "250-ENHANCEDSTATUSCODES",
    "250-8BITMIME",
    "250-DSN",
    "250-SMTPUTF8",
    "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT",
    "250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT",
    "250 CHUNKING",
  ],
  exim: [
    "250-mx.example.net Hello client.example.com [192.0.2.10]",
    "250-SIZE 52428800",
    "250-LIMITS MAILMAX=1000 RCPTMAX=50000",
    "250-8BITMIME",
    "250-PIPELINING",
    "250-PIPECONNECT",
    "250-AUTH PLAIN LOGIN CRAM-MD5",
    "250-CHUNKING",
    "250-STARTTLS",
    "250-PRDR",
    "250 HELP",
  ],
  gmail: [
    "250-mx.google.com at your service, [192.0.2.10]",
    "250-SIZE 157286400",
    "250-8BITMIME",
    "250-STARTTLS",
    "250-ENHANCEDSTATUSCODES",
    "250-PIPELINING",
    "250-CHUNKING",
    "250 SMTPUTF8",
  ],
  outlook: [
    "250-AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [192.0.2.10]",
    "250-SIZE 157286400",
    "250-PIPELINING",
    "250-DSN",
    "250-ENHANCEDSTATUSCODES",
    "250-STARTTLS",
    "250-8BITMIME",
    "250-BINARYMIME",
    "250-CHUNKING",
    "250 SMTPUTF8",
  ],
  exchangeOnPremises: [
    "250-exchange.example.com Hello [192.0.2.10]",
    "250-SIZE 37748736",
    "250-PIPELINING",
    "250-DSN",
    "250-ENHANCEDSTATUSCODES",
    "250-STARTTLS",
    "250-X-ANONYMOUSTLS",
    "250-AUTH NTLM",
    "250-X-EXPS GSSAPI NTLM",
    "250-8BITMIME",
    "250-BINARYMIME",
    "250-CHUNKING",
    "250-XEXCH50",
    "250-XRDST",
    "250 XSHADOWREQUEST",
  ],
} as const;

const expectations: Record<keyof typeof servers, (caps: CapabilitySet) => void> = {
  postfix: (caps) => {
    expect(caps.maxSize).toBe(10_240_000);
    expect(caps.authMechanisms).toEqual(["PLAIN", "LOGIN"]);
    expect(caps.attributes("XCLIENT")).toContain("DESTPORT");
    expect(caps.attributes("XFORWARD")).toEqual(["NAME", "ADDR", "PROTO", "HELO", "SOURCE", "PORT", "IDENT"]);
    for (const keyword of ["PIPELINING", "VRFY", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"]) {
      expect(caps.has(keyword), keyword).toBe(true);
    }
  },
  exim: (caps) => {
    expect(caps.maxSize).toBe(52_428_800);
    expect(caps.limits).toEqual({ mailMax: 1000, rcptMax: 50_000 });
    expect(caps.authMechanisms).toEqual(["PLAIN", "LOGIN", "CRAM-MD5"]);
    expect(caps.has("PRDR") && caps.has("PIPECONNECT") && caps.has("HELP")).toBe(true);
  },
  gmail: (caps) => {
    expect(caps.maxSize).toBe(157_286_400);
    expect(caps.keywords).toEqual(["SIZE", "8BITMIME", "STARTTLS", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"]);
  },
  outlook: (caps) => {
    expect(caps.allowsParameter("BODY", "BINARYMIME")).toBe(true);
    expect(caps.allowsParameter("NOTIFY")).toBe(true);
    expect(caps.allowsParameter("AUTH")).toBe(false);
  },
  exchangeOnPremises: (caps) => {
    expect(caps.authMechanisms).toEqual(["NTLM"]);
    expect(caps.get("X-EXPS")).toEqual(["GSSAPI", "NTLM"]);
    expect(caps.has("XEXCH50") && caps.has("X-ANONYMOUSTLS")).toBe(true);
  },
};

describe("EHLO replies of real servers", () => {
  for (const [name, lines] of Object.entries(servers) as [keyof typeof servers, readonly string[]][]) {
    it(`${name}: read in any split, typed, and written back to the same capabilities`, () => {
      const wire = bytes(lines.map((line) => `${line}\r\n`).join(""));
      const replies: Reply[] = [];
      for (const chunks of everySplit(wire).filter((_, i) => i % 5 === 0)) {
        const reader = new ReplyReader();
        const events = chunks.flatMap((chunk) => reader.push(chunk));
        expect(events.map((event) => event.type)).toEqual(["reply"]);
        if (events[0]?.type === "reply") replies.push(events[0].reply);
      }
      expect(new Set(replies.map((reply) => JSON.stringify(reply))).size).toBe(1);
      const greeting = parseEhloReply(replies[0] as Reply);
      expect(greeting?.domain).toBe((lines[0] as string).slice(4).split(" ")[0]);
      const caps = greeting?.capabilities as CapabilitySet;
      expectations[name](caps);
      // Round trip: a server advertising what this one advertised says the same.
      const written = serializeReply(ehloReply(greeting?.domain ?? "", caps, greeting?.greeting ?? ""));
      const reread = parseReply(written);
      expect(reread.ok).toBe(true);
      if (reread.ok) {
        const again = parseEhloReply(reread.reply);
        expect(again?.capabilities.toLines()).toEqual(caps.toLines());
        expect(again?.greeting).toBe(greeting?.greeting);
      }
      // Every line of the written reply is within 512 octets (RFC 5321 §4.5.3.1.5).
      for (const line of written.split("\r\n").slice(0, -1)) expect(utf8(`${line}\r\n`).length).toBeLessThanOrEqual(512);
    });
  }

  it("a server's oddities are skipped, not fatal: lower-case keywords, doubled spaces, junk lines, duplicate keywords", () => {
    const caps = CapabilitySet.parse(["size 1000", "PIPELINING  ", "", "-bad", "8BITMIME x\u00e9", "SIZE 2000", "AUTH=LOGIN", "AUTH PLAIN LOGIN"]);
    expect(caps.maxSize).toBe(1000);
    expect(caps.has("pipelining")).toBe(true);
    expect(caps.has("8BITMIME")).toBe(false);
    expect(caps.authMechanisms).toEqual(["LOGIN", "PLAIN"]);
  });
});

describe("multi-line replies (RFC 5321 §4.2.1)", () => {
  it("mixed codes are a code-mismatch; the reader skips the rest of that reply and stays in step", () => {
    const reader = new ReplyReader();
    const events = reader.push(bytes("250-a\r\n251-b\r\n250 c\r\n221 bye\r\n"));
    expect(events.map((event) => event.type)).toEqual(["reply-invalid", "reply"]);
    expect(events[1]).toMatchObject({ reply: { code: 221 } });
    expect(parseReply("250-a\r\n251 b\r\n")).toMatchObject({ ok: false, error: { reason: "code-mismatch" } });
  });

  it("a missing final line is not a reply: parseReply refuses it, the reader waits, end() reports truncation", () => {
    expect(parseReply("250-a\r\n250-b\r\n")).toMatchObject({ ok: false, error: { reason: "bad-separator" } });
    const reader = new ReplyReader();
    expect(reader.push(bytes("250-a\r\n250-b\r\n"))).toEqual([]);
    expect(reader.end()).toEqual([{ type: "input-truncated", mode: "reply" }]);
  });

  it("continuation markers: '-' continues, SP or nothing ends, anything else is refused", () => {
    expect(parseReply("250-a\r\n250\r\n")).toMatchObject({ ok: true, reply: { code: 250, lines: ["a", ""] } });
    expect(parseReply("250-\r\n250 b\r\n")).toMatchObject({ ok: true, reply: { lines: ["", "b"] } });
    for (const bad of ["250_a\r\n", "250:a\r\n", "250\ta\r\n", "2500 a\r\n", "25 a\r\n", "650 a\r\n", "260 a\r\n", "250-a\r\n250 b\r\n250 c\r\n"]) {
      expect(parseReply(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it("512-octet lines: read whole at the RFC's size, written no longer", () => {
    const line = `250 ${"x".repeat(506)}`;
    expect(utf8(`${line}\r\n`).length).toBe(512);
    const reader = new ReplyReader({ maxLineLength: 510 });
    expect(reader.push(bytes(`${line}\r\n`))).toMatchObject([{ type: "reply", reply: { lines: ["x".repeat(506)] } }]);
    const written = serializeReply({ code: 550, enhanced: "5.7.1", lines: ["y".repeat(2000), "z ".repeat(600)] });
    for (const out of written.split("\r\n").slice(0, -1)) {
      expect(utf8(`${out}\r\n`).length).toBeLessThanOrEqual(512);
      expect(out.startsWith("550-5.7.1 ") || out.startsWith("550 5.7.1 ")).toBe(true);
    }
  });
});

describe("enhanced status codes (RFC 2034, RFC 3463)", () => {
  it("takes the code from the first line only when its class matches and a space or the end follows", () => {
    expect(parseReply("550 5.1.1 No such user")).toMatchObject({ ok: true, reply: { enhanced: "5.1.1", lines: ["No such user"] } });
    expect(parseReply("550 5.1.1")).toMatchObject({ ok: true, reply: { enhanced: "5.1.1", lines: [""] } });
    expect(parseReply("451 4.7.1 Greylisted")).toMatchObject({ reply: { enhanced: "4.7.1" } });
    expect(parseReply("250 2.0.0 Ok: queued as 4BmKkK")).toMatchObject({ reply: { enhanced: "2.0.0" } });
    for (const text of ["550 4.1.1 wrong class", "550 5.1.1x", "550 5.1000.1 too long", "550 5.01.1x", "354 3.0.0 no class 3", "250 5.0.0 wrong"]) {
      const parsed = parseReply(text);
      expect(parsed.ok && parsed.reply.enhanced, text).toBeUndefined();
    }
  });

  it("strips the code from every line that repeats it, keeps it where a line differs", () => {
    expect(parseReply("550-5.7.1 Policy\r\n550-5.7.1 see https://example.com\r\n550 5.7.26 other\r\n")).toMatchObject({
      ok: true,
      reply: { enhanced: "5.7.1", lines: ["Policy", "see https://example.com", "5.7.26 other"] },
    });
  });

  it("serialize → parse is the identity for any reply with an enhanced code of its class", () => {
    const detail = fc.integer({ min: 0, max: 999 });
    const text = fc.stringMatching(/^[ -~]{0,60}$/);
    fc.assert(
      fc.property(fc.constantFrom(250, 251, 421, 450, 451, 550, 552, 554), detail, detail, fc.array(text, { minLength: 1, maxLength: 5 }), (code, subject, item, lines) => {
        const reply: Reply = { code, enhanced: `${Math.floor(code / 100)}.${subject}.${item}`, lines };
        const parsed = parseReply(serializeReply(reply));
        expect(parsed).toEqual({ ok: true, reply });
      }),
      { numRuns: 200 },
    );
  });
});

describe("a hostile EHLO reply within the reader's default limits", () => {
  it("256 AUTH lines of distinct mechanisms are merged in linear time (they took minutes when merged by scanning)", () => {
    const lines = ["250-mx.example.com"];
    let next = 0;
    for (let line = 0; line < 255; line += 1) {
      const words: string[] = [];
      while (words.join(" ").length < 4000) words.push(`M${(next++).toString(36)}`);
      lines.push(`250${line === 254 ? " " : "-"}AUTH${line % 2 === 0 ? " " : "="}${words.join(" ")}`);
    }
    const reader = new ReplyReader();
    const start = performance.now();
    const events = reader.push(bytes(lines.map((line) => `${line}\r\n`).join("")));
    expect(events.map((event) => event.type)).toEqual(["reply"]);
    const caps = events[0]?.type === "reply" ? parseEhloReply(events[0].reply)?.capabilities : undefined;
    expect(caps?.authMechanisms.length).toBe(next);
    expect(caps?.keywords).toEqual(["AUTH"]);
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it("keeps AUTH where it first appeared and merges the legacy AUTH= form without duplicates", () => {
    expect(CapabilitySet.parse(["PIPELINING", "AUTH=LOGIN", "AUTH PLAIN LOGIN", "SIZE 1"]).toLines()).toEqual(["PIPELINING", "AUTH LOGIN PLAIN", "SIZE 1"]);
    expect(CapabilitySet.parse(["AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN", "SIZE 1"]).toLines()).toEqual(["AUTH PLAIN LOGIN", "SIZE 1"]);
    expect(CapabilitySet.parse(["AUTH", "AUTH=XOAUTH2"]).authMechanisms).toEqual(["XOAUTH2"]);
  });
});
