// The server-side reader as a session drives it: pipelining (RFC 2920),
// pausing after DATA/BDAT/AUTH/STARTTLS/QUIT, BDAT chunks (RFC 3030), SASL
// lines (RFC 4954), limits, and hostile input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapabilitySet, CommandReader, GrammarError, Limits, createCommandReader, type CommandReaderEvent } from "@smtpkit/grammar";
import { bytes, drive, latin1, splitAt, utf8 } from "./helpers.js";

const types = (events: readonly CommandReaderEvent[]) => events.map((event) => event.type);
const verbs = (events: readonly CommandReaderEvent[]) =>
  events.map((event) => (event.type === "command" ? event.command.verb : event.type));

describe("CommandReader: pipelining and pausing", () => {
  it("returns nothing until a line is complete", () => {
    const reader = new CommandReader();
    expect(reader.push(bytes("NO"))).toEqual([]);
    expect(reader.push(bytes("OP\r"))).toEqual([]);
    expect(verbs(reader.push(bytes("\n")))).toEqual(["NOOP"]);
  });

  it("reads a pipelined group in order and marks what came early", () => {
    const reader = new CommandReader();
    const events = reader.push(bytes("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\nDATA\r\n"));
    expect(verbs(events)).toEqual(["MAIL", "RCPT", "RCPT", "DATA"]);
    expect(events.map((event) => event.type === "command" && event.pipelined)).toEqual([true, true, true, false]);
    expect(reader.mode).toBe("paused");
    expect(reader.pausedAfter).toBe("DATA");
  });

  for (const verb of ["DATA", "AUTH PLAIN", "STARTTLS", "QUIT", "BDAT 4"]) {
    it(`pauses after ${verb} and holds what follows`, () => {
      const reader = new CommandReader();
      const events = reader.push(bytes(`${verb}\r\nNOOP\r\n`));
      expect(events).toHaveLength(1);
      expect(reader.mode).toBe("paused");
      expect(reader.buffered).toBe(6);
      expect(reader.push(bytes("RSET\r\n"))).toEqual([]);
      expect(reader.buffered).toBe(12);
    });
  }

  it("never splits a command line at a bare CR", () => {
    const reader = new CommandReader();
    const events = reader.push(bytes("NOOP\rRSET\r\nRSET\r\r\nQUIT\r\n"));
    expect(verbs(events)).toEqual(["command-invalid", "command-invalid", "QUIT"]);
  });

  it("without the bare LF leniency, splits at CRLF only: an injected line is never a command", () => {
    // A client that pastes "victim@x.example>\nRCPT TO:<other@y.example" into one RCPT line.
    const injected = bytes("RCPT TO:<victim@x.example>\nRCPT TO:<other@y.example>\r\nQUIT\r\n");
    const strict = new CommandReader({ bareLineFeed: false });
    const events = strict.push(injected);
    expect(verbs(events)).toEqual(["command-invalid", "QUIT"]);
    expect(events[0]?.type === "command-invalid" && events[0].error).toMatchObject({ situation: "BareLineEnding", position: 26 });
    // In any split, and byte by byte.
    for (let cut = 1; cut < injected.length; cut += 1) {
      expect(drive(splitAt(injected, [cut]), { bareLineFeed: false })).toEqual(drive([injected], { bareLineFeed: false }));
    }
    // The default `reject` policy reads command lines the same way.
    expect(verbs(new CommandReader().push(injected))).toEqual(["command-invalid", "QUIT"]);
    // With the leniency (`normalize`, as Postfix's default), the LF ends the line: the session must not build
    // lines from untrusted text, which is why serializeCommand refuses CR and LF in every field.
    expect(verbs(new CommandReader({ bareLineEndings: "normalize" }).push(injected))).toEqual(["RCPT", "RCPT", "QUIT"]);
  });

  it("does not pause after a refused mode-changing command", () => {
    const reader = new CommandReader();
    expect(verbs(reader.push(bytes("DATA x\r\nNOOP\r\n")))).toEqual(["command-invalid", "NOOP"]);
    expect(reader.mode).toBe("command");
  });

  it("resumes commands after a refused DATA", () => {
    const reader = new CommandReader();
    reader.push(bytes("DATA\r\nRSET\r\n"));
    expect(verbs(reader.expectCommands())).toEqual(["RSET"]);
  });

  it("STARTTLS: hands out the bytes sent before the handshake (CVE-2011-0411)", () => {
    const reader = new CommandReader();
    expect(verbs(reader.push(bytes("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.example>\r\n")))).toEqual(["STARTTLS"]);
    const early = reader.takeBuffered();
    expect(latin1(early)).toBe("RSET\r\nMAIL FROM:<evil@x.example>\r\n");
    expect(reader.buffered).toBe(0);
    expect(reader.expectCommands()).toEqual([]);
    expect(verbs(reader.push(bytes("EHLO c.example\r\n")))).toEqual(["EHLO"]);
  });

  it("QUIT: stays paused", () => {
    const reader = new CommandReader();
    reader.push(bytes("QUIT\r\nNOOP\r\n"));
    expect(reader.push(bytes("NOOP\r\n"))).toEqual([]);
    expect(reader.mode).toBe("paused");
  });

  it("refuses a mode switch out of order", () => {
    const reader = new CommandReader();
    reader.push(bytes("DATA\r\n"));
    expect(() => reader.expectBdat(3)).toThrow(GrammarError);
    expect(() => reader.expectSaslResponse()).toThrow(/Cannot switch/);
    reader.expectData();
    expect(() => reader.expectData()).toThrow(GrammarError);
    reader.push(bytes("NOOP\r\n"));
    expect(() => reader.expectCommands()).toThrow(GrammarError);
  });

  it("may start in DATA mode between lines (createCommandReader)", () => {
    const reader = createCommandReader();
    reader.expectData();
    expect(types(reader.push(bytes("x\r\n.\r\n")))).toEqual(["data-chunk", "data-end"]);
  });
});

describe("CommandReader: syntax options", () => {
  it("takes new capabilities with setSyntax (after STARTTLS or AUTH)", () => {
    const reader = new CommandReader({ extensions: CapabilitySet.of({ SIZE: true }) });
    const [first] = reader.push(bytes("MAIL FROM:<a@b.example> SMTPUTF8\r\n"));
    expect(first?.type === "command-invalid" && first.error.situation).toBe("ParametersNotRecognized");
    reader.setSyntax({ extensions: CapabilitySet.of({ SIZE: true, SMTPUTF8: true }) });
    expect(verbs(reader.push(utf8("MAIL FROM:<θ@b.example> SMTPUTF8\r\n")))).toEqual(["MAIL"]);
  });

  it("reports leniencies, with bareLineFeed for an LF-ended line", () => {
    const [event] = new CommandReader({ bareLineEndings: "normalize" }).push(bytes("mail from: <a@b.example>\n"));
    expect(event?.type === "command" && event.leniencies).toEqual(["spaceAfterColon", "bareLineFeed"]);
  });
});

describe("CommandReader: BDAT", () => {
  it("reads exactly the chunk size, without unstuffing, then commands", () => {
    const reader = new CommandReader();
    expect(verbs(reader.push(bytes("BDAT 7 LAST\r\n.\r\n\r\n.")))).toEqual(["BDAT"]);
    expect(reader.expectBdat(7, true)).toEqual([{ type: "data-chunk", data: bytes(".\r\n\r\n.") }]);
    const rest = reader.push(bytes("\r\nQUIT\r\n"));
    expect(rest[0]).toEqual({ type: "data-chunk", data: bytes("\r") });
    expect(rest[1]).toEqual({ type: "bdat-end", size: 7, last: true });
    // What follows the chunk is "\nQUIT\r\n": one line holding a bare LF, refused whole.
    expect(verbs(rest.slice(2))).toEqual(["command-invalid"]);
  });

  it("takes a chunk of size 0", () => {
    const reader = new CommandReader();
    reader.push(bytes("BDAT 0 LAST\r\nQUIT\r\n"));
    expect(verbs(reader.expectBdat(0, true))).toEqual(["bdat-end", "QUIT"]);
  });

  it("hands the chunk out as subarrays of the input", () => {
    const input = bytes("BDAT 3\r\nabcNOOP\r\n");
    const reader = new CommandReader();
    reader.push(input);
    const [chunk] = reader.expectBdat(3);
    expect(chunk?.type === "data-chunk" && chunk.data.buffer).toBe(input.buffer);
  });
});

describe("CommandReader: SASL", () => {
  it("reads one response line per expectSaslResponse, decoded", () => {
    const reader = new CommandReader();
    reader.push(bytes("AUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n"));
    expect(reader.expectSaslResponse()).toEqual([{ type: "sasl-response", data: utf8("user") }]);
    expect(reader.expectSaslResponse()).toEqual([{ type: "sasl-response", data: utf8("pass") }]);
    expect(reader.expectCommands()).toEqual([]);
  });

  it("reads * as cancel, an empty line as an empty response, junk as invalid", () => {
    const reader = new CommandReader();
    reader.push(bytes("AUTH PLAIN\r\n*\r\n\r\n=\r\n!!\r\n"));
    expect(types(reader.expectSaslResponse())).toEqual(["sasl-cancel"]);
    expect(reader.expectSaslResponse()).toEqual([{ type: "sasl-response", data: new Uint8Array(0) }]);
    expect(reader.expectSaslResponse()).toEqual([{ type: "sasl-response", data: new Uint8Array(0) }]);
    const [invalid] = reader.expectSaslResponse();
    expect(invalid?.type === "sasl-invalid" && invalid.error.situation).toBe("AuthResponseInvalid");
  });

  it("allows 12288-octet AUTH lines but not longer (RFC 4954 §4)", () => {
    const reader = new CommandReader();
    const response = "A".repeat(12_000);
    expect(verbs(reader.push(bytes(`AUTH PLAIN ${response}\r\n`)))).toEqual(["AUTH"]);
    const second = new CommandReader();
    const [event] = second.push(bytes(`AUTH PLAIN ${"A".repeat(12_400)}\r\nNOOP\r\n`));
    expect(event).toEqual({ type: "line-too-long", situation: "AuthLineTooLong", length: 12_411 });
  });
});

describe("CommandReader: limits and hostile input", () => {
  it("drops an over-long line to its end, reports it once, and reads on", () => {
    const reader = new CommandReader();
    const long = `NOOP ${"x".repeat(5000)}\r\n`;
    const events = [...splitAt(bytes(`${long}RSET\r\n`), [100, 2100, 4100]).flatMap((chunk) => reader.push(chunk))];
    expect(events).toEqual([
      { type: "line-too-long", situation: "LineTooLong", length: 5005 },
      expect.objectContaining({ type: "command", command: { verb: "RSET" } }),
    ]);
  });

  it("keeps memory bounded on 10 MB without a line ending", () => {
    const reader = new CommandReader();
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    for (let i = 0; i < 160; i += 1) expect(reader.push(chunk)).toEqual([]);
    expect(reader.buffered).toBeLessThanOrEqual(Limits.commandLine + 1);
    expect(reader.push(bytes("\r\n"))).toEqual([{ type: "line-too-long", situation: "LineTooLong", length: 160 * 64 * 1024 }]);
  });

  it("stops with input-overflow when too much arrives while paused", () => {
    const reader = new CommandReader({ maxHeldBytes: 100 });
    reader.push(bytes("DATA\r\n"));
    expect(reader.push(new Uint8Array(50))).toEqual([]);
    expect(reader.push(new Uint8Array(51))).toEqual([{ type: "input-overflow", held: 101 }]);
    expect(reader.mode).toBe("closed");
    expect(reader.push(bytes("NOOP\r\n"))).toEqual([]);
  });

  it("refuses invalid limits", () => {
    expect(() => new CommandReader({ maxLineLength: 100 })).toThrow(/maxLineLength/);
    expect(() => new CommandReader({ maxHeldBytes: -1 })).toThrow(GrammarError);
    expect(() => new CommandReader({ maxAuthLineLength: 1.5 })).toThrow(GrammarError);
  });

  it("reports truncation at end()", () => {
    const reader = new CommandReader();
    reader.push(bytes("NOO"));
    expect(reader.end()).toEqual([{ type: "input-truncated", mode: "command" }]);
    expect(new CommandReader().end()).toEqual([]);
  });

  it("random bytes give events or typed errors, never an exception", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const out = drive(chunks);
        for (const event of out) expect(typeof (event as { type: unknown }).type).toBe("string");
      }),
      { numRuns: 300 },
    );
  });

  it("SMTP-ish text gives the same events whole, byte by byte and in any split", () => {
    const piece = fc.constantFrom(
      "EHLO a.example\r\n",
      "MAIL FROM:<a@b.example> SIZE=10\r\n",
      "RCPT TO:<c@d.example>\r\n",
      "DATA\r\n",
      "BDAT 5\r\n",
      "BDAT 2 LAST\r\n",
      "x.y\r\n",
      ".\r\n",
      "..\r\n",
      "\n",
      "\r",
      "NOOP \r\n",
      "AUTH PLAIN =\r\n",
      "STARTTLS\r\n",
      "ehlo\n",
      "ZZ\r\n",
      "\u00e9\r\n",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 25 }).chain((parts) => {
          const data = utf8(parts.join(""));
          return fc.tuple(fc.constant(data), fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, data.length - 1) }), { maxLength: 10 }));
        }),
        ([data, cuts]) => {
          for (const options of [{}, { strict: true }]) {
            const whole = drive([data], options);
            expect(drive([...data].map((byte) => Uint8Array.of(byte)), options)).toEqual(whole);
            expect(drive(splitAt(data, cuts.filter((cut) => cut < data.length).sort((a, b) => a - b)), options)).toEqual(whole);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
