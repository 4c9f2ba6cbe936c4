// Review: values a strict peer would read differently, in both directions.
// Decoded xtext that carries control characters, parameters that lose their
// value, serializers that wrote what their own parser refuses, and UTF-8 that
// is valid encoding but not address text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CapabilitySet,
  CommandReader,
  decodeXtext,
  ehloReply,
  GrammarError,
  isValidDomain,
  Limits,
  parseCommand,
  parseReply,
  serializeCommand,
  ReplyReader,
  serializeReply,
  type Command,
  type CommandReaderOptions,
  type CommandSyntaxOptions,
} from "@smtpkit/grammar";
import { utf8 } from "./helpers.js";

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectGrammarError(action: () => unknown, reason: string): void {
  const error = thrown(action);
  expect(GrammarError.isInstance(error), String(error)).toBe(true);
  expect((error as GrammarError).reason).toBe(reason);
}

function refusal(line: string) {
  const result = parseCommand(line);
  expect(result.ok, line).toBe(false);
  return result.ok ? undefined : result.error;
}

describe("xtext values decode to printable text only (RFC 3461 §4)", () => {
  it.each([
    ["MAIL FROM:<> ENVID=a+0Db", "ENVID"],
    ["MAIL FROM:<> ENVID=a+00b", "ENVID"],
    ["MAIL FROM:<a@b.example> AUTH=a+0Ab@b.example", "AUTH"],
    ["MAIL FROM:<a@b.example> AUTH=a+7F@b.example", "AUTH"],
    ["RCPT TO:<a@b.example> ORCPT=rfc822;a+00b@b.example", "ORCPT"],
    ["RCPT TO:<a@b.example> ORCPT=rfc822;a+0D+0ARCPT@b.example", "ORCPT"],
    ["RCPT TO:<a@b.example> ORCPT=utf-8;a\\x{01}b@b.example", "ORCPT"],
  ])("%s is a 501 naming %s, never a value the serializer then refuses", (line, keyword) => {
    const error = refusal(line);
    expect(error?.situation).toBe("SyntaxError");
    expect(error?.expected).toContain(keyword);
  });

  it("whatever MAIL or RCPT parses with xtext parameters serializes again (a relay never throws on what it accepted)", () => {
    const hex = fc.constantFrom(..."0123456789ABCDEF".split(""));
    const xtext = fc
      .array(fc.oneof(fc.constantFrom(..."ab.@-_".split("")), fc.tuple(hex, hex).map(([h, l]) => `+${h}${l}`)), { minLength: 1, maxLength: 12 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(xtext, fc.constantFrom("ENVID", "AUTH", "ORCPT"), (value, keyword) => {
        const line =
          keyword === "ORCPT" ? `RCPT TO:<a@b.example> ORCPT=rfc822;${value}` : `MAIL FROM:<a@b.example> ${keyword}=${value}`;
        const parsed = parseCommand(line);
        if (!parsed.ok) return;
        expect(parseCommand(serializeCommand(parsed.command))).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
  });

  it("decodes a long xtext value without exhausting the stack (no argument spreading)", () => {
    const value = "+41".repeat(300_000);
    expect(decodeXtext(value)).toBe("A".repeat(300_000));
    const result = parseCommand(`MAIL FROM:<> ENVID=${value}`);
    expect(result.ok && result.command.verb === "MAIL" && result.command.parameters?.envid?.length).toBe(300_000);
  });
});

describe("parameter values", () => {
  it("HOLDUNTIL is an RFC 3339 date-time (RFC 4865 §3)", () => {
    const ok = parseCommand("MAIL FROM:<a@b.example> HOLDUNTIL=2026-11-30T08:00:00Z");
    expect(ok.ok && ok.command.verb === "MAIL" && ok.command.parameters?.holdUntil).toBe("2026-11-30T08:00:00Z");
    for (const bad of ["garbage", "2026-11-30", "2026-11-30T08:00Z", "2026-11-30T08:00:00"]) {
      const error = refusal(`MAIL FROM:<a@b.example> HOLDUNTIL=${bad}`);
      expect(error?.situation).toBe("SyntaxError");
      expect(error?.expected).toContain("HOLDUNTIL");
    }
  });

  it("SIZE beyond 2^53 - 1 is refused as too big instead of losing its exact value (RFC 1870 §6.1)", () => {
    const error = refusal("MAIL FROM:<a@b.example> SIZE=99999999999999999999");
    expect(error?.situation).toBe("MessageTooBig");
    const largest = parseCommand(`MAIL FROM:<a@b.example> SIZE=${Number.MAX_SAFE_INTEGER}`);
    expect(largest.ok && largest.command.verb === "MAIL" && largest.command.parameters?.size).toBe(Number.MAX_SAFE_INTEGER);
    if (largest.ok) expect(parseCommand(serializeCommand(largest.command))).toEqual(largest);
  });

  it("checks duplicates in time linear in the number of parameters", () => {
    const line = (count: number) => `MAIL FROM:<a@b.example>${Array.from({ length: count }, (_, i) => ` X${i}=1`).join("")}`;
    const time = (count: number) => {
      const text = line(count);
      const start = performance.now();
      const result = parseCommand(text);
      expect(result.ok).toBe(true);
      return performance.now() - start;
    };
    time(2_000);
    const small = Math.max(time(10_000), 1);
    const large = time(100_000);
    // Ten times the parameters: a quadratic check would take about 100 times as long.
    expect(large / small).toBeLessThan(40);
    const duplicate = refusal(`${line(5_000)} X17=2`);
    expect(duplicate?.situation).toBe("DuplicateParameter");
  });
});

describe("UTF-8 in addresses (RFC 6531 §3.3): valid encoding, but text only", () => {
  const refused = [
    ["a C1 control (NEL)", "a\u0085b"],
    ["a line separator", "a\u2028b"],
    ["a noncharacter", "a\ufffeb"],
    ["a noncharacter in the FDD0 block", "a\ufdd0b"],
    ["a supplementary noncharacter", "a\u{1fffe}b"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "a\udc00b"],
  ] as const;
  for (const [name, local] of refused) {
    it(`refuses ${name} in a dot-string, a quoted local part and a domain`, () => {
      expect(refusal(`MAIL FROM:<${local}@example.com> SMTPUTF8`)?.situation).toBe("InvalidSenderSyntax");
      expect(refusal(`MAIL FROM:<"${local}"@example.com> SMTPUTF8`)?.situation).toBe("InvalidSenderSyntax");
      expect(refusal(`RCPT TO:<x@${local}.example>`)?.situation).toBe("InvalidRecipientSyntax");
      expect(isValidDomain(`${local}.example`)).toBe(false);
      expectGrammarError(
        () => serializeCommand({ verb: "MAIL", from: { localPart: local, domain: "example.com" }, parameters: { smtputf8: true } }),
        "invalid-command",
      );
    });
  }

  it("accepts letters of every plane, in both local part forms and in U-labels", () => {
    for (const local of ["θσ", "用户", "😀x", "\u00a0x", "a\u{10fffd}"]) {
      const line = `MAIL FROM:<${local}@例え.jp> SMTPUTF8`;
      const result = parseCommand(utf8(line));
      expect(result.ok, line).toBe(true);
      if (result.ok) expect(parseCommand(serializeCommand(result.command))).toEqual(result);
      expect(parseCommand(`MAIL FROM:<"${local} x"@example.com> SMTPUTF8`).ok).toBe(true);
    }
  });

  it("never takes overlong encodings, encoded surrogates or truncated sequences (fatal decoding)", () => {
    const sequences = [
      [0xc0, 0xaf], // overlong "/"
      [0xe0, 0x80, 0xaf], // overlong "/"
      [0xf0, 0x80, 0x80, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // U+D800 encoded
      [0xed, 0xbf, 0xbf], // U+DFFF encoded
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe4, 0xbd], // truncated
      [0xff],
    ];
    for (const sequence of sequences) {
      const line = Uint8Array.from([...utf8("MAIL FROM:<a"), ...sequence, ...utf8("@example.com> SMTPUTF8")]);
      const result = parseCommand(line);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.situation).toBe("SyntaxError");
    }
  });
});

describe("serializers refuse what their parsers would read differently", () => {
  it("VRFY/EXPN text whose last word is SMTPUTF8 cannot be sent as text (RFC 6531 §3.7.4.2)", () => {
    expectGrammarError(() => serializeCommand({ verb: "VRFY", argument: "bob smtputf8" }), "invalid-command");
    expectGrammarError(() => serializeCommand({ verb: "EXPN", argument: "list SMTPUTF8" }), "invalid-command");
    expect(serializeCommand({ verb: "VRFY", argument: "bob", smtputf8: true })).toBe("VRFY bob SMTPUTF8\r\n");
    expect(serializeCommand({ verb: "VRFY", argument: "SMTPUTF8" })).toBe("VRFY SMTPUTF8\r\n");
  });

  it("serializeReply refuses every control character but HT, and lone surrogates, in every line", () => {
    for (let c = 0; c < 0x20; c += 1) {
      if (c === 0x09) continue;
      for (const lines of [[`a${String.fromCharCode(c)}b`], ["ok", `a${String.fromCharCode(c)}`]]) {
        expectGrammarError(() => serializeReply({ code: 250, lines }), "invalid-reply");
        expectGrammarError(() => serializeReply({ code: 550, enhanced: "5.1.1", lines }), "invalid-reply");
      }
    }
    expectGrammarError(() => serializeReply({ code: 250, lines: ["a\x7fb"] }), "invalid-reply");
    expectGrammarError(() => serializeReply({ code: 250, lines: ["a\ud800b"] }), "invalid-reply");
    expectGrammarError(() => serializeReply({ code: 250, lines: ["\udc00"] }), "invalid-reply");
    expect(serializeReply({ code: 250, lines: ["a\tb 😀"] })).toBe("250 a\tb 😀\r\n");
  });

  it("whatever serializeReply writes, parseReply reads back line for line (any text, controls included)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", maxLength: 40 }), { minLength: 1, maxLength: 4 }), (lines) => {
        // A first line starting like "2.1.0 " is read as the enhanced code (RFC 2034): another law.
        fc.pre(!/^2\.\d/.test(lines[0] as string));
        let wire: string;
        try {
          wire = serializeReply({ code: 250, lines });
        } catch (error) {
          expect(GrammarError.isInstance(error)).toBe(true);
          return;
        }
        const parsed = parseReply(utf8(wire));
        expect(parsed.ok, JSON.stringify(wire)).toBe(true);
        if (parsed.ok) expect(parsed.reply.lines).toEqual(lines);
      }),
      { numRuns: 200 },
    );
  });

  it("wraps a 1 MB reply line into 512-octet lines in linear time", () => {
    const time = (size: number) => {
      const text = "word ".repeat(size / 5);
      const start = performance.now();
      const wire = serializeReply({ code: 250, lines: [text] });
      const elapsed = performance.now() - start;
      for (const line of wire.split("\r\n").slice(0, -1)) expect(utf8(`${line}\r\n`).length).toBeLessThanOrEqual(512);
      return elapsed;
    };
    time(100_000);
    const small = Math.max(time(100_000), 1);
    const large = time(1_000_000);
    expect(large / small).toBeLessThan(40);
  });

  it("wraps text of 4-octet characters without splitting a surrogate pair", () => {
    const wire = serializeReply({ code: 250, lines: ["😀".repeat(1000)] });
    const parsed = parseReply(utf8(wire));
    expect(parsed.ok && parsed.reply.lines.join("")).toBe("😀".repeat(1000));
  });

  it("ehloReply refuses control characters in the domain with its own typed error", () => {
    expectGrammarError(() => ehloReply("mx\x00.example", CapabilitySet.empty), "invalid-argument");
    expectGrammarError(() => ehloReply("mx\x01.example", CapabilitySet.empty), "invalid-argument");
  });

  it("every field of every command refuses CR, LF and NUL with a typed error", () => {
    const mailbox = { localPart: "a", domain: "example.com" };
    const bad = ["\r", "\n", "\0", "\r\nRSET"];
    const builders: ((value: string) => Command)[] = [
      (v) => ({ verb: "HELO", domain: `a${v}` }),
      (v) => ({ verb: "EHLO", domain: `a${v}` }),
      (v) => ({ verb: "LHLO", domain: `a${v}` }),
      (v) => ({ verb: "MAIL", from: { localPart: `a${v}`, domain: "example.com" } }),
      (v) => ({ verb: "MAIL", from: { localPart: `"a${v}"`, domain: "example.com" } }),
      (v) => ({ verb: "MAIL", from: { localPart: "a", domain: `example.com${v}` } }),
      (v) => ({ verb: "MAIL", from: { localPart: "a", domain: `[IPv6:::1${v}]` } }),
      (v) => ({ verb: "MAIL", from: mailbox, parameters: { envid: `x${v}` } }),
      (v) => ({ verb: "MAIL", from: mailbox, parameters: { auth: `x${v}@y` } }),
      (v) => ({ verb: "MAIL", from: mailbox, parameters: { holdUntil: `2026-11-30T08:00:00Z${v}` } }),
      (v) => ({ verb: "MAIL", from: mailbox, parameters: { other: [{ keyword: "X", value: `y${v}` }] } }),
      (v) => ({ verb: "MAIL", from: mailbox, parameters: { other: [{ keyword: `X${v}` }] } }),
      (v) => ({ verb: "RCPT", to: { localPart: `a${v}`, domain: "example.com" } }),
      (v) => ({ verb: "RCPT", to: mailbox, parameters: { orcpt: { addressType: "rfc822", address: `a${v}@b` } } }),
      (v) => ({ verb: "RCPT", to: mailbox, parameters: { orcpt: { addressType: "utf-8", address: `a${v}@b` } } }),
      (v) => ({ verb: "RCPT", to: mailbox, parameters: { orcpt: { addressType: `rfc822${v}`, address: "a@b" } } }),
      (v) => ({ verb: "RCPT", to: mailbox, parameters: { rrvs: { dateTime: `2026-11-30T08:00:00Z${v}`, action: undefined } } }),
      (v) => ({ verb: "VRFY", argument: `a${v}` }),
      (v) => ({ verb: "EXPN", argument: `a${v}` }),
      (v) => ({ verb: "HELP", topic: `a${v}` }),
      (v) => ({ verb: "NOOP", argument: `a${v}` }),
      (v) => ({ verb: "AUTH", mechanism: `PLAIN${v}` }),
      (v) => ({ verb: "ETRN", node: `example.com${v}` }),
    ];
    for (const build of builders) {
      for (const value of bad) {
        const error = thrown(() => serializeCommand(build(value)));
        expect(GrammarError.isInstance(error), `${JSON.stringify(build(value))}: ${String(error)}`).toBe(true);
      }
    }
  });
});

describe("options are validated (a bad value must not silently switch a defence off)", () => {
  it("refuses unknown policies, non-boolean switches and invalid limits with typed errors", () => {
    const bad: Record<string, unknown>[] = [
      { bareLineEndings: "bogus" },
      { bareLineEndings: "" },
      { rejectNul: "yes" },
      { strict: "no" },
      { bareLineFeed: 1 },
      { extraWhitespace: "false" },
      { maxLineLength: 100 },
      { maxLineLength: 2048.5 },
      { maxHeldBytes: 0 },
      { maxAuthLineLength: Number.NaN },
      { maxPathLength: -1 },
    ];
    for (const options of bad) {
      expectGrammarError(() => new CommandReader(options as CommandReaderOptions), "invalid-argument");
    }
    expectGrammarError(() => parseCommand("NOOP", { strict: "yes" } as unknown as CommandSyntaxOptions), "invalid-argument");
    expectGrammarError(() => new ReplyReader({ maxLines: 0 }), "invalid-argument");
    expect(new CommandReader({ bareLineEndings: "normalize", rejectNul: true, strict: false }).mode).toBe("command");
  });

  it("the default limits are frozen: no dependency can raise them for the whole process", () => {
    expect(Object.isFrozen(Limits)).toBe(true);
    expect(() => {
      (Limits as { commandLine: number }).commandLine = 1e9;
    }).toThrow(TypeError);
    expect(Limits.commandLine).toBe(2048);
  });
});
