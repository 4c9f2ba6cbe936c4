// Review: what the public SMTP smuggling and STARTTLS injection scanners send
// (SEC Consult's smtp-smuggling-tools, December 2023: CVE-2023-51764 Postfix,
// CVE-2023-51765 Sendmail, CVE-2023-51766 Exim; CVE-2024-27305 aiosmtpd;
// CVE-2011-0411 and its kin for STARTTLS), fed through the public readers in
// every split: whole, byte by byte, and arbitrary cuts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CommandReader,
  encodeData,
  ReplyReader,
  type BareLineEndingPolicy,
  type CommandReaderEvent,
  type CommandReaderOptions,
} from "@smtpkit/grammar";
import { bytes, concat, everySplit, latin1, splitAt } from "./helpers.js";

/** The end-of-data variants the scanners try (the list, and the NUL one). */
const variants = [
  "\n.\n",
  "\n.\r\n",
  "\r\n.\n",
  "\r.\r",
  "\r.\n",
  "\n.\r",
  "\r.\r\n",
  "\r\n.\r",
  "\r\n.\r\r\n",
  "\r\r\n.\r\r\n",
  "\r\n\x00.\r\n",
  "\r\n.\x00\r\n",
  "\n..\n",
  "\r\n \r\n.\r\n".replace(".", "\t."),
];

/** A smuggled second message: if any of it is read as commands, the attack worked. */
const smuggled = "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n\r\nFrom: admin@bank.example\r\n\r\nfake\r\n";

type Summary = { readonly types: string[]; readonly content: string; readonly reader: CommandReader };

/** Reads DATA content (already in DATA mode) over the given chunks. */
function readData(chunks: readonly Uint8Array[], options: CommandReaderOptions): Summary {
  const reader = new CommandReader(options);
  const types: string[] = [];
  const content: number[] = [];
  const take = (events: readonly CommandReaderEvent[]) => {
    for (const event of events) {
      if (event.type === "data-chunk") {
        content.push(...event.data);
        if (types[types.length - 1] !== "data-chunk") types.push("data-chunk");
      } else if (event.type === "data-end") {
        types.push(`data-end:${event.violation ?? "ok"}`);
      } else if (event.type === "command") {
        types.push(`command:${event.command.verb}`);
      } else {
        types.push(event.type);
      }
    }
  };
  take(reader.expectData());
  for (const chunk of chunks) take(reader.push(chunk));
  return { types, content: String.fromCharCode(...content), reader };
}

const policies: readonly BareLineEndingPolicy[] = ["reject", "normalize", "accept"];

describe("end-of-data variants never end the data, whatever the split", () => {
  for (const variant of variants) {
    for (const policy of policies) {
      it(`${JSON.stringify(variant)} followed by a smuggled message (${policy})`, () => {
        const input = bytes(`Subject: x\r\n\r\nbody${variant}${smuggled}\r\n.\r\nQUIT\r\n`);
        const splits = [...everySplit(input).slice(0, 2), ...everySplit(input).filter((_, i) => i % 7 === 0)];
        let first: Summary | undefined;
        for (const chunks of splits) {
          const summary = readData(chunks, { bareLineEndings: policy, rejectNul: variant.includes("\x00") });
          // One data-end, at the real terminator, then the QUIT: no command of the smuggled message.
          expect(summary.types.filter((type) => type.startsWith("command:"))).toEqual(["command:QUIT"]);
          expect(summary.types.filter((type) => type.startsWith("data-end"))).toHaveLength(1);
          expect(summary.content).toContain("RCPT TO:<victim@example.com>");
          if (first === undefined) first = summary;
          else expect([summary.types, summary.content]).toEqual([first.types, first.content]);
        }
        const end = first?.types.find((type) => type.startsWith("data-end"));
        const bare = /\r(?!\n)|(?<!\r)\n/.test(variant);
        if (policy === "reject" && bare) expect(end).toBe("data-end:BareLineEnding");
        if (policy === "reject" && !bare && variant.includes("\x00")) expect(end).toBe("data-end:NulInData");
        if (policy === "accept") expect(end).toBe(variant.includes("\x00") ? "data-end:NulInData" : "data-end:ok");
      });
    }
  }

  it("arbitrary bodies of CR, LF, dots and NUL end only at the first <CRLF>.<CRLF> (the start of data counting as a CRLF)", () => {
    const alphabet = fc.constantFrom("\r", "\n", ".", "\x00", "a", "\r\n", "\r\n.");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom<BareLineEndingPolicy>("reject", "accept"), (parts, cuts, policy) => {
        const text = `${parts.join("")}\r\n.\r\nNOOP\r\n`;
        const input = bytes(text);
        const sorted = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort((a, b) => a - b);
        const summary = readData(splitAt(input, sorted), { bareLineEndings: policy });
        // RFC 5321 §4.1.1.4 and §4.5.2: the content is everything before the first CRLF "." CRLF
        // (its CRLF included), with the dot removed at the start of each CRLF-ended line.
        const end = `\r\n${text}`.indexOf("\r\n.\r\n");
        const content = text.slice(0, end).replace(/(^|\r\n)\./g, "$1");
        expect(summary.types.filter((type) => type.startsWith("data-end"))).toHaveLength(1);
        expect(summary.content).toBe(content);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the encoder never emits an end of data that a lenient receiver would find early", () => {
  /** Receivers as the scanners found them: each ends the data at the first of its sequences. */
  const receivers: Record<string, (wire: string) => number> = {
    strict: (wire) => `\r\n${wire}`.indexOf("\r\n.\r\n"),
    "LF-only (Exim, Sendmail)": (wire) => `\n${wire}`.replace(/\r\n/g, "\n").indexOf("\n.\n"),
    "CR or LF (aiosmtpd before 1.4.5)": (wire) => `\n${wire}`.replace(/\r\n|\r/g, "\n").indexOf("\n.\n"),
  };

  it("content made of every variant ends once, at the end, for every receiver (content without NUL)", () => {
    const withoutNul = variants.filter((variant) => !variant.includes("\x00"));
    const content = bytes(`x${withoutNul.join("y")}${smuggled}`);
    const wire = latin1(encodeData(content));
    for (const [name, endOf] of Object.entries(receivers)) {
      const framedEnd = endOf(wire);
      expect(framedEnd, name).toBeGreaterThanOrEqual(0);
      // The only end is the terminator the encoder appended.
      const trimmed = wire.slice(0, -3);
      expect(endOf(`${trimmed}x\r\n`), name).toBe(-1);
    }
  });

  it("for arbitrary content, no receiver model finds an end before the terminator", () => {
    const alphabet = fc.constantFrom("\r", "\n", ".", "a", "\r\n", "\r\n.", "\n.", "\r.");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        const wire = latin1(encodeData(bytes(parts.join(""))));
        const body = wire.slice(0, -3);
        for (const [name, endOf] of Object.entries(receivers)) expect(endOf(`${body}x\r\n`), name).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("BDAT: dots and terminators inside a chunk are content (RFC 3030 §2)", () => {
  it("reads exactly the chunk, whatever it holds, in every split", () => {
    const chunk = `.\r\n${variants.join("")}\r\n.\r\n${smuggled}`;
    const size = bytes(chunk).length;
    const input = bytes(`BDAT ${size} LAST\r\n${chunk}QUIT\r\n`);
    for (const chunks of [[input], ...everySplit(input).filter((_, i) => i % 11 === 1)]) {
      const reader = new CommandReader();
      const types: string[] = [];
      let content = "";
      for (const part of chunks) {
        for (const event of reader.push(part)) {
          if (event.type === "command") {
            types.push(event.command.verb);
            if (event.command.verb === "BDAT") {
              for (const inner of reader.expectBdat(event.command.size, event.command.last)) {
                if (inner.type === "data-chunk") content += latin1(inner.data);
                else types.push(inner.type === "command" ? inner.command.verb : inner.type);
              }
            }
          } else if (event.type === "data-chunk") {
            content += latin1(event.data);
          } else {
            types.push(event.type);
          }
        }
      }
      expect(types).toEqual(["BDAT", "bdat-end", "QUIT"]);
      expect(content).toBe(chunk);
    }
  });
});

/** Reads commands, recording verbs; pauses are left to the test. */
function verbs(events: readonly CommandReaderEvent[]): string[] {
  return events.map((event) => (event.type === "command" ? `${event.command.verb}${event.pipelined ? "+" : ""}` : event.type));
}

describe("STARTTLS: nothing sent before the handshake is read as a command (CVE-2011-0411)", () => {
  const injected = "EHLO evil.example\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\n";

  it("pipelined in the same packet: held, handed out by takeBuffered, never parsed", () => {
    const input = bytes(`EHLO c.example\r\nSTARTTLS\r\n${injected}`);
    for (const chunks of everySplit(input)) {
      const reader = new CommandReader();
      const seen: string[] = [];
      for (const chunk of chunks) seen.push(...verbs(reader.push(chunk)));
      expect(seen.map((verb) => verb.replace("+", ""))).toEqual(["EHLO", "STARTTLS"]);
      expect(reader.pausedAfter).toBe("STARTTLS");
      expect(latin1(reader.takeBuffered())).toBe(injected);
      // After the handshake: only what came over TLS.
      expect(verbs(reader.expectCommands())).toEqual([]);
      expect(verbs(reader.push(bytes("EHLO c.example\r\n")))).toEqual(["EHLO"]);
    }
  });

  it("in the next packet, before the handshake: held while paused, and handed out", () => {
    const reader = new CommandReader();
    expect(verbs(reader.push(bytes("STARTTLS\r\n")))).toEqual(["STARTTLS"]);
    expect(verbs(reader.push(bytes(injected)))).toEqual([]);
    expect(reader.buffered).toBe(injected.length);
    expect(latin1(reader.takeBuffered())).toBe(injected);
    expect(reader.buffered).toBe(0);
    expect(verbs(reader.expectCommands())).toEqual([]);
  });

  it("half a line before the handshake never joins the first line after it", () => {
    const reader = new CommandReader();
    reader.push(bytes("STARTTLS\r\nRCPT TO:<vic"));
    expect(latin1(reader.takeBuffered())).toBe("RCPT TO:<vic");
    reader.expectCommands();
    const events = reader.push(bytes("tim@example.com>\r\nNOOP\r\n"));
    expect(events.map((event) => event.type)).toEqual(["command-invalid", "command"]);
  });

  it("a bare LF or bare CR never turns the rest of the packet into a command after STARTTLS", () => {
    for (const line of [`STARTTLS\n${injected}`, `STARTTLS\r${injected}`]) {
      const reader = new CommandReader();
      const events = reader.push(bytes(line));
      // The whole run up to the first CRLF is one refused line: no STARTTLS, no EHLO.
      expect(events[0]?.type).toBe("command-invalid");
      expect(verbs(events).filter((verb) => verb.startsWith("EHLO") || verb.startsWith("STARTTLS"))).toEqual([]);
    }
    // Under normalize, LF ends the line: STARTTLS, then the rest is held as before.
    const lenient = new CommandReader({ bareLineEndings: "normalize" });
    expect(verbs(lenient.push(bytes(`STARTTLS\n${injected}`)))).toEqual(["STARTTLS+"]);
    expect(latin1(lenient.takeBuffered())).toBe(injected);
  });

  it("client side: a reply pipelined after the 220 to STARTTLS is flagged (response injection)", () => {
    const replies = new ReplyReader();
    const events = replies.push(bytes("220 2.0.0 Ready to start TLS\r\n250 injected\r\n"));
    expect(events[0]?.type === "reply" && events[0].pipelined).toBe(true);
    const split = new ReplyReader();
    const first = split.push(bytes("220 2.0.0 Ready\r\n250 inj"));
    expect(first[0]?.type === "reply" && first[0].pipelined).toBe(true);
    expect(latin1(split.takeBuffered())).toBe("250 inj");
  });
});

describe("AUTH with pipelined commands after it", () => {
  it("pauses after AUTH with an initial response; what follows waits for the session", () => {
    const input = bytes("AUTH PLAIN AHVzZXIAcGFzcw==\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n");
    for (const chunks of everySplit(input)) {
      const reader = new CommandReader();
      const seen: string[] = [];
      for (const chunk of chunks) seen.push(...verbs(reader.push(chunk)));
      expect(seen.map((verb) => verb.replace("+", ""))).toEqual(["AUTH"]);
      expect(reader.pausedAfter).toBe("AUTH");
      // Accepted (235): the held commands come out, marked as pipelined.
      expect(verbs(reader.expectCommands())).toEqual(["MAIL+", "RCPT"]);
    }
  });

  it("reads one SASL line per challenge: a pipelined command is never taken as a response or the reverse", () => {
    const reader = new CommandReader();
    expect(verbs(reader.push(bytes("AUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\nMAIL FROM:<a@example.com>\r\n")))).toEqual(["AUTH+"]);
    expect(verbs(reader.expectSaslResponse())).toEqual(["sasl-response"]);
    expect(verbs(reader.expectSaslResponse())).toEqual(["sasl-response"]);
    expect(reader.pausedAfter).toBe("AUTH");
    expect(verbs(reader.expectCommands())).toEqual(["MAIL"]);
  });

  it("after a security layer is negotiated, the session can drop what came before it (RFC 4954 §4)", () => {
    const reader = new CommandReader();
    reader.push(bytes("AUTH GSSAPI\r\nMAIL FROM:<evil@example.com>\r\n"));
    expect(latin1(reader.takeBuffered())).toBe("MAIL FROM:<evil@example.com>\r\n");
    expect(verbs(reader.expectCommands())).toEqual([]);
  });
});

describe("pipelined DATA after a refused RCPT (RFC 2920 §3.1)", () => {
  const group = bytes(`MAIL FROM:<a@example.com>\r\nRCPT TO:<unknown@example.com>\r\nDATA\r\nSubject: x\r\n\r\n${smuggled}.\r\nQUIT\r\n`);

  it("the reader stops at DATA: nothing of the content is read before the session answers", () => {
    for (const chunks of [[group], ...everySplit(group).filter((_, i) => i % 13 === 0)]) {
      const reader = new CommandReader();
      const seen: string[] = [];
      for (const chunk of chunks) seen.push(...verbs(reader.push(chunk)));
      expect(seen.map((verb) => verb.replace("+", ""))).toEqual(["MAIL", "RCPT", "DATA"]);
      expect(reader.pausedAfter).toBe("DATA");
    }
  });

  it("DATA refused (554, no valid recipients): the content the client sent too early comes out as pipelined commands the session can refuse", () => {
    const reader = new CommandReader();
    const before = reader.push(group);
    expect(before.at(-1)?.type === "command" && before.at(-1)?.type === "command" && (before.at(-1) as { pipelined: boolean }).pipelined).toBe(true);
    const after = reader.expectCommands();
    // Every line after DATA arrived without waiting for a reply: each is marked pipelined, so the
    // session can answer them as Postfix does ("improper command pipelining") instead of executing them.
    const lines = after.filter((event) => event.type === "command" || event.type === "command-invalid");
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.slice(0, -1).every((event) => (event as { pipelined: boolean }).pipelined)).toBe(true);
    // And the reader pauses again at the smuggled DATA: it never runs into the smuggled content by itself.
    expect(reader.pausedAfter).toBe("DATA");
  });

  it("DATA accepted (354): the same bytes are one message, then QUIT", () => {
    const reader = new CommandReader();
    reader.push(group);
    const events = reader.expectData();
    expect(verbs(events).filter((verb) => verb !== "data-chunk")).toEqual(["data-end", "QUIT"]);
    const content = latin1(concat(events.flatMap((event) => (event.type === "data-chunk" ? [event.data] : []))));
    expect(content).toBe(`Subject: x\r\n\r\n${smuggled}`);
  });
});
