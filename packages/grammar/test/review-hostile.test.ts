// Review: hostile input through the public readers and parsers. Long lines in
// every mode, exact limits, counts, deep quoting, IPv6 literal edge forms and
// a NUL in every field: results or typed values, bounded memory, and time
// that grows linearly (compared as ratios across sizes in the same run, so
// that a loaded machine cannot fail the test, only a quadratic algorithm).
import { describe, expect, it } from "vitest";
import {
  CommandReader,
  Limits,
  parseAddressLiteral,
  parseCommand,
  ReplyReader,
  type CommandReaderEvent,
  type ReplyReaderEvent,
} from "@smtpkit/grammar";
import { bytes } from "./helpers.js";

/** One timing of `run(size)` in milliseconds, with a floor against timer resolution. */
function timeOnce(run: (size: number) => unknown, size: number): number {
  const start = performance.now();
  run(size);
  return Math.max(performance.now() - start, 2);
}

/**
 * Eight times the input must cost well under 64 times the time (quadratic);
 * 8 is linear, and the bound of 32 leaves room for caches and collection. Small and large runs alternate and the fastest of each is
 * compared, so that other processes on a loaded machine (which only ever add
 * time) do not decide the ratio.
 */
function expectLinear(run: (size: number) => unknown, small: number): void {
  run(small); // warm up
  // Up to three rounds: a busy machine can spoil one, a quadratic algorithm fails them all.
  const ratios: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    let fastSmall = Number.POSITIVE_INFINITY;
    let fastLarge = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i += 1) {
      fastSmall = Math.min(fastSmall, timeOnce(run, small));
      fastLarge = Math.min(fastLarge, timeOnce(run, small * 8));
    }
    ratios.push(fastLarge / fastSmall);
    if (fastLarge / fastSmall < 32) return;
  }
  expect(Math.min(...ratios), `time ratios for 8 times the input: ${ratios.map((ratio) => ratio.toFixed(1)).join(", ")}`).toBeLessThan(32);
}

const types = (events: readonly (CommandReaderEvent | ReplyReaderEvent)[]) => events.map((event) => event.type);

describe("no line ending for 10 MB, in every mode: one typed event, bounded memory, then in step again", () => {
  const junk = new Uint8Array(10 * 1024 * 1024).fill(0x41);
  const chunks = Array.from({ length: 160 }, (_, i) => junk.subarray(i * 65_536, (i + 1) * 65_536));

  it("command mode", () => {
    const reader = new CommandReader();
    for (const chunk of chunks) {
      expect(reader.push(chunk)).toEqual([]);
      expect(reader.buffered).toBeLessThanOrEqual(Limits.commandLine + 1 + 65_536);
    }
    expect(types(reader.push(bytes("\r\nNOOP\r\n")))).toEqual(["line-too-long", "command"]);
  });

  it("an AUTH line, and a SASL response", () => {
    const auth = new CommandReader();
    auth.push(bytes("AUTH PLAIN "));
    for (const chunk of chunks) auth.push(chunk);
    expect(auth.buffered).toBeLessThanOrEqual(Limits.authLine + 1 + 65_536);
    const events = auth.push(bytes("\r\nNOOP\r\n"));
    expect(events[0]).toMatchObject({ type: "line-too-long", situation: "AuthLineTooLong" });
    expect(types(events)).toEqual(["line-too-long", "command"]);

    const sasl = new CommandReader();
    sasl.push(bytes("AUTH LOGIN\r\n"));
    sasl.expectSaslResponse();
    for (const chunk of chunks) sasl.push(chunk);
    expect(sasl.buffered).toBeLessThanOrEqual(Limits.authLine + 1 + 65_536);
    expect(sasl.push(bytes("\r\n"))[0]).toMatchObject({ type: "line-too-long", situation: "AuthLineTooLong" });
    expect(sasl.pausedAfter).toBe("AUTH");
  });

  it("DATA under every policy: content passes through without being held", () => {
    for (const policy of ["reject", "normalize", "accept"] as const) {
      const reader = new CommandReader({ bareLineEndings: policy });
      reader.expectData();
      let size = 0;
      for (const chunk of chunks) {
        for (const event of reader.push(chunk)) if (event.type === "data-chunk") size += event.data.length;
        expect(reader.buffered).toBeLessThanOrEqual(65_536);
      }
      const end = reader.push(bytes("\r\n.\r\n")).at(-1);
      expect(end).toMatchObject({ type: "data-end", violation: undefined });
      expect(size + 2).toBe(junk.length + 2);
      if (policy !== "accept") expect(end).toMatchObject({ longLines: 1 });
    }
  });

  it("the reply reader, which reports the line as soon as it passes the limit (a client must not wait for its end)", () => {
    const reader = new ReplyReader();
    chunks.forEach((chunk, index) => {
      // The first 64 KiB chunk already passes the 4096-octet limit: reported there, not after 10 MB.
      const expected = index === 0 ? [{ type: "line-too-long", situation: "LineTooLong", length: Limits.replyLine + 2 }] : [];
      expect(reader.push(chunk)).toEqual(expected);
      expect(reader.buffered).toBeLessThanOrEqual(Limits.replyLine + 1 + 65_536);
    });
    expect(types(reader.push(bytes("\r\n250 ok\r\n")))).toEqual(["reply"]);
  });

  it("while paused: input-overflow at the held limit, then nothing more is read", () => {
    const reader = new CommandReader({ maxHeldBytes: 1024 * 1024 });
    reader.push(bytes("DATA\r\n"));
    const events = chunks.flatMap((chunk) => reader.push(chunk));
    expect(types(events)).toEqual(["input-overflow"]);
    expect(reader.mode).toBe("closed");
    expect(reader.buffered).toBe(0);
  });
});

describe("limits are exact, in every mode, whatever the split", () => {
  const at = (length: number, prefix = "NOOP ") => `${prefix}${"x".repeat(length - prefix.length)}\r\n`;
  const splits = (text: string) => {
    const input = bytes(text);
    return [[input], [input.subarray(0, 7), input.subarray(7)], [input.subarray(0, input.length - 1), input.subarray(input.length - 1)]];
  };

  it("a command line of exactly maxLineLength octets is read; one more is refused", () => {
    for (const chunks of splits(at(Limits.commandLine) + at(Limits.commandLine + 1) + "QUIT\r\n")) {
      const reader = new CommandReader();
      expect(types(chunks.flatMap((chunk) => reader.push(chunk)))).toEqual(["command", "line-too-long", "command"]);
    }
  });

  it("an AUTH line of exactly 12288 octets is read; one more is AuthLineTooLong", () => {
    const ok = `AUTH PLAIN ${"A".repeat(Limits.authLine - 11)}\r\n`;
    const long = `AUTH PLAIN ${"A".repeat(Limits.authLine - 10)}\r\n`;
    for (const chunks of splits(long + "NOOP\r\n")) {
      const reader = new CommandReader();
      const events = chunks.flatMap((chunk) => reader.push(chunk));
      expect(events[0]).toMatchObject({ type: "line-too-long", situation: "AuthLineTooLong", length: Limits.authLine + 1 });
    }
    const reader = new CommandReader();
    expect(types(reader.push(bytes(ok)))).not.toContain("line-too-long");
  });

  it("a reply line of exactly maxLineLength octets is read; one more is refused", () => {
    const reader = new ReplyReader({ maxLineLength: 512 });
    const ok = `250 ${"x".repeat(508)}\r\n`;
    const long = `250 ${"x".repeat(509)}\r\n`;
    expect(types(reader.push(bytes(ok + long + "250 ok\r\n")))).toEqual(["reply", "line-too-long", "reply"]);
  });

  it("a reply of exactly maxLines lines is read; one more is too-many-lines, and the reader is in step after it", () => {
    const reply = (lines: number) => `${"250-x\r\n".repeat(lines - 1)}250 end\r\n`;
    const reader = new ReplyReader({ maxLines: 256 });
    const events = reader.push(bytes(reply(256) + reply(257) + "221 bye\r\n"));
    expect(types(events)).toEqual(["reply", "reply-invalid", "reply"]);
    expect(events[1]).toMatchObject({ error: { reason: "too-many-lines" } });
    expect(events[2]).toMatchObject({ reply: { code: 221 } });
  });

  it("DATA text lines over 1000 octets (RFC 5321 §4.5.3.1.6) are counted, not refused, and never end the data", () => {
    const reader = new CommandReader();
    reader.expectData();
    const events = reader.push(bytes(`${"a".repeat(998)}\r\n${"b".repeat(999)}\r\n${"c".repeat(100_000)}\r\n.\r\n`));
    expect(events.at(-1)).toMatchObject({ type: "data-end", longLines: 2, violation: undefined });
  });
});

describe("time grows linearly with the input", () => {
  it("pipelined tiny commands", () => {
    expectLinear((size) => new CommandReader().push(bytes("NOOP\r\n".repeat(size))).length, 50_000);
  });

  it("empty and invalid lines", () => {
    expectLinear((size) => new CommandReader().push(bytes("\r\nX\r\n".repeat(size))).length, 50_000);
  });

  it("bare LFs in command mode (one refused line growing past the limit)", () => {
    // Sizes past the CPU caches at both ends, so that the ratio measures the algorithm.
    expectLinear((size) => new CommandReader().push(new Uint8Array(size).fill(0x0a)).length, 400_000);
  });

  it("byte-by-byte command input", () => {
    const line = bytes("MAIL FROM:<a@example.com> SIZE=100\r\n");
    expectLinear((size) => {
      const reader = new CommandReader();
      let count = 0;
      for (let i = 0; i < size; i += 1) for (const byte of line) count += reader.push(Uint8Array.of(byte)).length;
      return count;
    }, 1_000);
  });

  it("DATA with 2% dot lines, and byte by byte", () => {
    const body = bytes(`${"a line of text\r\n".repeat(49)}.dot\r\n`);
    expectLinear((size) => {
      const reader = new CommandReader();
      reader.expectData();
      let count = 0;
      for (let i = 0; i < size; i += 1) count += reader.push(body).length;
      return count;
    }, 5_000);
    expectLinear((size) => {
      const reader = new CommandReader();
      reader.expectData();
      let count = 0;
      for (let i = 0; i < size; i += 1) for (const byte of body) count += reader.push(Uint8Array.of(byte)).length;
      return count;
    }, 20);
  });

  it("replies, one line per push and many in one push", () => {
    expectLinear((size) => new ReplyReader().push(bytes("250-x\r\n250 y\r\n".repeat(size))).length, 20_000);
  });

  it("long quoted local parts full of escapes, and long parameter lines (parseCommand on strings has no line limit)", () => {
    expectLinear((size) => parseCommand(`MAIL FROM:<"${"\\\\\\\"".repeat(size)}"@example.com>`, { maxPathLength: 10 * size + 100, maxLocalPartLength: 10 * size }), 10_000);
    expectLinear((size) => parseCommand(`MAIL FROM:<a@example.com>${" X-A=b".repeat(size)}`), 5_000);
    expectLinear((size) => parseCommand(`RCPT TO:<a@example.com> NOTIFY=${"SUCCESS,".repeat(size)}DELAY`), 5_000);
  });
});

describe("deep quoting and escapes in local parts", () => {
  it("reads nested-looking escapes as RFC 5321 quoted-pairs, one level only", () => {
    const result = parseCommand('MAIL FROM:<"a\\"b\\\\\\"c"@example.com>');
    expect(result.ok && result.command.verb === "MAIL" && result.command.from?.localPart).toBe('"a\\"b\\\\\\"c"');
  });

  it("refuses an escape of a control character, an unterminated quote and a trailing backslash", () => {
    for (const line of ['MAIL FROM:<"a\\\tb"@example.com>', 'MAIL FROM:<"a\tb"@example.com>', 'MAIL FROM:<"abc@example.com>', 'MAIL FROM:<"abc\\"@example.com>']) {
      const result = parseCommand(line);
      expect(result.ok, line).toBe(false);
    }
  });

  it("refuses a local part over 64 octets and a path over 256 octets with the RFC's replies", () => {
    const local = parseCommand(`RCPT TO:<"${"\\x".repeat(40)}"@example.com>`);
    expect(!local.ok && local.error.situation).toBe("MailboxNameNotAllowed");
    const path = parseCommand(`RCPT TO:<a@${"label.".repeat(45)}example>`);
    expect(!path.ok && path.error.situation).toBe("InvalidRecipientSyntax");
  });
});

describe("HT is white space between arguments only", () => {
  it("is refused inside a quoted local part even where the white-space leniency is on (it would change the address)", () => {
    for (const line of ['MAIL FROM:<"a\tb"@example.com>', 'RCPT TO:<"a\\\tb"@example.com>']) {
      const result = parseCommand(line);
      expect(!result.ok && result.error).toMatchObject({ situation: "SyntaxError", position: line.indexOf("\t") });
    }
    const between = parseCommand("MAIL FROM:<a@example.com>\tSIZE=1");
    expect(between.ok && between.leniencies).toEqual(["extraWhitespace"]);
    expect(parseCommand("MAIL FROM:<a@example.com>\tSIZE=1", { strict: true }).ok).toBe(false);
  });
});

describe("IPv6 address literal edge forms (RFC 5321 §4.1.3)", () => {
  const accepted = [
    "[IPv6:::]",
    "[IPv6:::1]",
    "[IPv6:1::]",
    "[ipv6:2001:DB8::1]",
    "[IPv6:1:2:3:4:5:6:7:8]",
    "[IPv6:1:2:3:4:5:6::]",
    "[IPv6:::ffff:192.0.2.1]",
    "[IPv6:::192.0.2.1]",
    "[IPv6:1:2:3:4:5:6:192.0.2.1]",
    "[IPv6:1:2:3:4::192.0.2.1]",
  ];
  const refused = [
    "[IPv6:]",
    "[IPv6::1]",
    "[IPv6:1:]",
    "[IPv6:1:2:3:4:5:6:7:8:9]",
    "[IPv6:1::2::3]",
    "[IPv6:12345::]",
    "[IPv6:1:2:3:4:5:6:7::]",
    "[IPv6:1::2:3:4:5:6:7]",
    "[IPv6:fe80::1%eth0]",
    "[IPv6:::1.2.3]",
    "[IPv6:::256.1.1.1]",
    "[IPv6:1:2:3:4:5::192.0.2.1]",
    "[IPv6:1:2:3:4:5:6:7:192.0.2.1]",
    "[IPv6:::192.0.2.1:1]",
    "[IPv6 :::1]",
    "[IPv6:::1",
    "[192.0.2.1:25]",
  ];
  it.each(accepted)("accepts %s in EHLO, MAIL and RCPT", (literal) => {
    expect(parseAddressLiteral(literal)?.kind).toBe("ipv6");
    expect(parseCommand(`EHLO ${literal}`, { strict: true }).ok).toBe(true);
    expect(parseCommand(`MAIL FROM:<a@${literal}>`, { strict: true }).ok).toBe(true);
    expect(parseCommand(`RCPT TO:<a@${literal}>`, { strict: true }).ok).toBe(true);
  });
  it.each(refused)("refuses %s", (literal) => {
    expect(parseAddressLiteral(literal)?.kind).not.toBe("ipv6");
    const result = parseCommand(`MAIL FROM:<a@${literal}>`, { strict: true });
    expect(result.ok && result.command.verb === "MAIL" && parseAddressLiteral(result.command.from?.domain ?? "")?.kind === "ipv6").toBe(false);
  });
});

describe("a NUL (and every other C0 control) in every field of every command", () => {
  const templates = [
    "HELO @",
    "EHLO @",
    "LHLO @",
    "MAIL FROM:<@a@example.com>",
    'MAIL FROM:<"@"@example.com>',
    "MAIL FROM:<a@exa@mple.com>",
    "MAIL FROM:<a@[IPv6:::@1]>",
    "MAIL FROM:<a@example.com> SIZE=1@",
    "MAIL FROM:<a@example.com> X-@=1",
    "MAIL FROM:<a@example.com> ENVID=@",
    "RCPT TO:<a@example.com> ORCPT=rfc822;@a@b",
    "RCPT TO:<a@example.com> NOTIFY=@NEVER",
    "VRFY @",
    "EXPN @",
    "HELP @",
    "NOOP @",
    "AUTH PLAIN @",
    "AUTH P@LAIN",
    "BDAT 1@0",
    "ETRN @",
    "DATA@",
    "QUIT @",
    "STARTTLS@",
    "@RSET",
  ];
  for (const template of templates) {
    it(`${JSON.stringify(template)}: a typed refusal pointing at the control character, in the reader too`, () => {
      for (const control of ["\x00", "\x01", "\x0b", "\x1b", "\x7f"]) {
        const line = template.replace("@", control);
        const result = parseCommand(line);
        expect(result.ok, JSON.stringify(line)).toBe(false);
        if (!result.ok) {
          expect(["SyntaxError", "CommandUnrecognized"]).toContain(result.error.situation);
          if (result.error.situation === "SyntaxError") expect(result.error.position).toBe(line.indexOf(control));
        }
        const reader = new CommandReader();
        const events = reader.push(bytes(`${line}\r\nNOOP\r\n`));
        expect(types(events)).toEqual(["command-invalid", "command"]);
      }
    });
  }
});
