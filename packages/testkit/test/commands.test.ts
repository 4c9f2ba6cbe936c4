import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapabilitySet, parseCommand, serializeCommand, type Command } from "@smtpkit/grammar";
import { capabilitySet, command, commandLine, mailCommand, rcptCommand, rcptParameters } from "@smtpkit/testkit";
import { describeLaws } from "./laws.js";

/** The law: the serialized line parses back, strictly and against the capabilities, to an equal command. */
function expectRoundTrip(value: Command, capabilities?: CapabilitySet): void {
  const line = serializeCommand(value);
  const parsed = parseCommand(line, capabilities === undefined ? { strict: true } : { strict: true, extensions: capabilities });
  if (!parsed.ok) throw new Error(`${JSON.stringify(line)} refused: ${parsed.error.situation} ${parsed.error.message}`);
  expect(parsed.leniencies).toEqual([]);
  if (!isDeepStrictEqual(parsed.command, value)) {
    throw new Error(`${JSON.stringify(line)} parsed as ${fc.stringify(parsed.command)}, not ${fc.stringify(value)}`);
  }
}

describeLaws("command", () => command(), (value) => expectRoundTrip(value), { numRuns: 300 });
describeLaws("mailCommand", () => mailCommand(), (value) => expectRoundTrip(value), { numRuns: 300 });
describeLaws("rcptCommand", () => rcptCommand(), (value) => expectRoundTrip(value), { numRuns: 300 });

describeLaws("capabilitySet", () => capabilitySet(), (set) => {
  const lines = set.toLines();
  const parsed = CapabilitySet.parse(lines);
  expect(parsed.toLines()).toEqual(lines);
  if (set.has("BINARYMIME")) expect(set.has("CHUNKING")).toBe(true);
});

const fixed = CapabilitySet.of({ SIZE: ["1000"], DSN: true, "8BITMIME": true, PIPELINING: true });

describeLaws("command({ capabilities })", () => command({ capabilities: fixed }), (value) => {
  expectRoundTrip(value, fixed);
  if (value.verb === "MAIL") expect(value.parameters?.size ?? 0).toBeLessThanOrEqual(1000);
});

describe("commands fit any capability set", () => {
  it("every generated command parses against the set it was generated for", () => {
    fc.assert(
      fc.property(
        capabilitySet().chain((set) => fc.tuple(fc.constant(set), command({ capabilities: set }))),
        ([set, value]) => expectRoundTrip(value, set),
      ),
      { numRuns: 300 },
    );
  });

  it("without SMTPUTF8 no address is international, and without STARTTLS/CHUNKING/AUTH/ETRN those verbs never appear", () => {
    const values = fc.sample(command({ capabilities: CapabilitySet.empty }), { seed: 7, numRuns: 500 });
    for (const value of values) {
      expect(["STARTTLS", "BDAT", "AUTH", "ETRN"]).not.toContain(value.verb);
      expect(/[^\x00-\x7f]/.test(serializeCommand(value))).toBe(false);
      if (value.verb === "MAIL") expect(value.parameters).toEqual({});
    }
  });

  it("covers every verb and every typed parameter", () => {
    const values = fc.sample(command(), { seed: 11, numRuns: 3000 });
    const verbs = new Set(values.map((v) => v.verb));
    expect([...verbs].sort()).toEqual(
      ["AUTH", "BDAT", "DATA", "EHLO", "ETRN", "EXPN", "HELO", "HELP", "LHLO", "MAIL", "NOOP", "QUIT", "RCPT", "RSET", "STARTTLS", "VRFY"].sort(),
    );
    const mailKeys = new Set(values.flatMap((v) => (v.verb === "MAIL" ? Object.keys(v.parameters ?? {}) : [])));
    expect([...mailKeys].sort()).toEqual(
      ["auth", "body", "by", "envid", "holdFor", "holdUntil", "mtPriority", "other", "requireTls", "ret", "size", "smtputf8"].sort(),
    );
    const rcptKeys = new Set(values.flatMap((v) => (v.verb === "RCPT" ? Object.keys(v.parameters ?? {}) : [])));
    expect([...rcptKeys].sort()).toEqual(["notify", "orcpt", "other", "rrvs"]);
  });

  it("shrinks a user's own command (records all the way down)", () => {
    const arbitrary = command();
    const mine: Command = {
      verb: "MAIL",
      from: { localPart: "john.doe", domain: "example.com" },
      parameters: { size: 12345, body: "8BITMIME", ret: "HDRS" },
    };
    expect(arbitrary.canShrinkWithoutContext(mine)).toBe(true);
    const shrunk = [...arbitrary.shrink(mine, undefined)].map((s) => s.value);
    expect(shrunk.length).toBeGreaterThan(0);
    for (const value of shrunk) expectRoundTrip(value);
  });
});

describeLaws("commandLine (mixed case)", () => commandLine(), ({ command: value, line }) => {
  const parsed = parseCommand(line, { strict: true });
  if (!parsed.ok) throw new Error(`${JSON.stringify(line)} refused: ${parsed.error.message}`);
  if (!isDeepStrictEqual(parsed.command, value)) throw new Error(`${JSON.stringify(line)} parsed as ${fc.stringify(parsed.command)}, not ${fc.stringify(value)}`);
}, { numRuns: 300, withoutContext: false });

describe("mixed-case command lines", () => {
  it("really mix the case of verbs, keywords and case-insensitive values", () => {
    const lines = fc.sample(commandLine(), { seed: 21, numRuns: 500 }).map((l) => l.line);
    expect(lines.some((l) => /^mail from:/i.test(l) && !l.startsWith("MAIL FROM:"))).toBe(true);
    expect(lines.some((l) => /body=[0-9a-z]*[a-z]/i.test(l) && !/BODY=(7BIT|8BITMIME|BINARYMIME)/.test(l))).toBe(true);
    expect(lines.some((l) => /^[a-z]/.test(l))).toBe(true);
  });
});

describe("generated values are independent", () => {
  it("never share a mutable array between two values", () => {
    const nevers = fc.sample(rcptParameters(), { seed: 3, numRuns: 400 }).filter((p) => p.notify?.[0] === "NEVER");
    expect(nevers.length).toBeGreaterThan(1);
    expect(new Set(nevers.map((p) => p.notify)).size).toBe(nevers.length);
  });
});
