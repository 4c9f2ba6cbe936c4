// Postfix XCLIENT and XFORWARD (XCLIENT_README, XFORWARD_README): the
// round trip, malformed lines, the attribute bounds, and hostile values that
// hide CR, LF or NUL behind xtext escapes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GrammarError, Limits, encodeXtext, parseCommand, serializeCommand, type Command } from "@smtpkit/grammar";

const xclientNames = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN", "DESTADDR", "DESTPORT"] as const;
const xforwardNames = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"] as const;
// Printable US-ASCII, space, "+" and "=" included: all of them need or survive xtext.
const value = fc.stringMatching(/^[ -~]{0,40}$/);

function attributes<N extends string>(names: readonly N[]) {
  return fc
    .uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: names.length })
    .chain((chosen) => fc.tuple(...chosen.map((name) => value.map((v) => ({ name, value: v })))));
}

const xclient = attributes(xclientNames).map((attrs): Command => ({ verb: "XCLIENT", attributes: attrs }));
const xforward = attributes(xforwardNames).map((attrs): Command => ({ verb: "XFORWARD", attributes: attrs }));

function refusal(line: string): string {
  const result = parseCommand(line);
  if (result.ok) throw new Error(`accepted: ${line}`);
  return result.error.situation;
}

describe("XCLIENT and XFORWARD", () => {
  it("parses the README examples, names case-insensitive, values decoded", () => {
    const result = parseCommand("XCLIENT name=spike.porcupine.org ADDR=168.100.189.2 HELO=[UNAVAILABLE] LOGIN=a+20b");
    expect(result).toMatchObject({
      ok: true,
      command: {
        verb: "XCLIENT",
        attributes: [
          { name: "NAME", value: "spike.porcupine.org" },
          { name: "ADDR", value: "168.100.189.2" },
          { name: "HELO", value: "[UNAVAILABLE]" },
          { name: "LOGIN", value: "a b" },
        ],
      },
    });
    expect(parseCommand("xforward SOURCE=REMOTE ident=1234").ok && parseCommand("XFORWARD ADDR=IPV6:2001:db8::1 PORT=25")).toMatchObject({
      ok: true,
      command: { verb: "XFORWARD", attributes: [{ name: "ADDR", value: "IPV6:2001:db8::1" }, { name: "PORT", value: "25" }] },
    });
  });

  it("round trip: parse(serialize(c)) = c", () => {
    fc.assert(
      fc.property(fc.oneof(xclient, xforward), (command) => {
        const line = serializeCommand(command);
        expect(line.endsWith("\r\n")).toBe(true);
        const parsed = parseCommand(line);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.command).toEqual(command);
      }),
      { numRuns: 300 },
    );
  });

  it("text and bytes give the same result", () => {
    fc.assert(
      fc.property(fc.oneof(xclient, xforward), (command) => {
        const line = serializeCommand(command);
        expect(parseCommand(new TextEncoder().encode(line))).toEqual(parseCommand(line));
      }),
    );
  });

  it("refuses malformed lines with 501 situations", () => {
    expect(refusal("XCLIENT")).toBe("SyntaxError");
    expect(refusal("XCLIENT NAME")).toBe("SyntaxError");
    expect(refusal("XCLIENT =x")).toBe("SyntaxError");
    expect(refusal("XCLIENT NAME=a  ADDR=1.2.3.4")).toBe("SyntaxError");
    expect(refusal("XCLIENT IDENT=1")).toBe("SyntaxError"); // XFORWARD's, not XCLIENT's
    expect(refusal("XFORWARD LOGIN=a")).toBe("SyntaxError"); // XCLIENT's, not XFORWARD's
    expect(refusal("XCLIENT FOO=bar")).toBe("SyntaxError");
    expect(refusal("XCLIENT NAME=a+2")).toBe("SyntaxError"); // truncated hexchar
    expect(refusal("XCLIENT NAME=a+zz")).toBe("SyntaxError");
    expect(refusal("XCLIENT NAME=a NAME=b")).toBe("DuplicateParameter");
  });

  it("refuses CR, LF, NUL and other controls hidden behind xtext", () => {
    for (const hidden of ["+0D", "+0A", "+00", "+0D+0A", "+09", "+7F"]) {
      expect(refusal(`XCLIENT NAME=evil${hidden}X-Injected:+20yes`)).toBe("SyntaxError");
      expect(refusal(`XFORWARD HELO=a${hidden}`)).toBe("SyntaxError");
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x1f }), fc.constantFrom(...xclientNames), (code, name) => {
        const hex = code.toString(16).toUpperCase().padStart(2, "0");
        expect(refusal(`XCLIENT ${name}=x+${hex}y`)).toBe("SyntaxError");
      }),
    );
  });

  it("bounds the value length (decoded and encoded) and the attribute count", () => {
    const max = "a".repeat(Limits.xAttributeValue);
    expect(parseCommand(`XCLIENT NAME=${max}`).ok).toBe(true);
    expect(refusal(`XCLIENT NAME=${max}a`)).toBe("SyntaxError");
    expect(refusal(`XCLIENT NAME=${"+61".repeat(Limits.xAttributeValue + 1)}`)).toBe("SyntaxError");
    // Only 8 distinct names exist, so the count bound is reached through duplicates or unknown names first;
    // a line of many attributes is refused without scanning all of it.
    const many = Array.from({ length: Limits.xAttributes + 5 }, () => "NAME=a").join(" ");
    expect(parseCommand(`XCLIENT ${many}`).ok).toBe(false);
  });

  it("serializing refuses values a parser would refuse, with a typed error", () => {
    expect(() => serializeCommand({ verb: "XCLIENT", attributes: [{ name: "NAME", value: "a\r\nMAIL FROM:<x@y>" }] })).toThrow(GrammarError);
    expect(() => serializeCommand({ verb: "XCLIENT", attributes: [] })).toThrow(GrammarError);
    expect(() => serializeCommand({ verb: "XFORWARD", attributes: [{ name: "HELO", value: "x".repeat(Limits.xAttributeValue + 1) }] })).toThrow(GrammarError);
    expect(() => serializeCommand({ verb: "XCLIENT", attributes: [{ name: "BOGUS" as "NAME", value: "x" }] })).toThrow(GrammarError);
    expect(serializeCommand({ verb: "XCLIENT", attributes: [{ name: "LOGIN", value: "a=b+c d" }] })).toBe(`XCLIENT LOGIN=${encodeXtext("a=b+c d")}\r\n`);
  });

  it("random argument text gives a command or a typed error, never an exception", () => {
    fc.assert(
      fc.property(fc.constantFrom("XCLIENT", "XFORWARD"), fc.string({ maxLength: 200 }), (verb, rest) => {
        const result = parseCommand(`${verb} ${rest}`);
        if (result.ok) expect(["XCLIENT", "XFORWARD"]).toContain(result.command.verb);
        else expect(typeof result.error.situation).toBe("string");
      }),
      { numRuns: 300 },
    );
  });
});
