import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeEnhancedStatus, describeReply } from "@smtpkit/codes";
import { CommandReader, parseCommand, parseEhloReply, parseReply, ReplyReader, serializeReply, type Reply } from "@smtpkit/grammar";
import { commandDefects, ehloResponse, nearlyValidCommand, nearlyValidReply, reply, replyDefects, TestkitError, type NearlyValidCommand } from "@smtpkit/testkit";
import { describeLaws } from "./laws.js";

function expectConsistentReply(value: Reply): void {
  const wire = serializeReply(value);
  for (const line of wire.split("\r\n").slice(0, -1)) expect(new TextEncoder().encode(line).length + 2).toBeLessThanOrEqual(512);
  const parsed = parseReply(wire);
  expect(parsed.ok).toBe(true);
  if (parsed.ok && !isDeepStrictEqual(parsed.reply, value)) throw new Error(`${JSON.stringify(wire)} read as ${fc.stringify(parsed.reply)}`);
  expect(describeReply(value.code).registered).toBe(true);
  if (value.enhanced !== undefined) {
    const description = describeEnhancedStatus(value.enhanced);
    expect(description?.registered).toBe(true);
    expect(description?.classAllowed).toBe(true);
    expect(description?.class).toBe(Math.floor(value.code / 100));
  }
}

describeLaws("reply", () => reply(), expectConsistentReply, { numRuns: 300 });
describeLaws("reply({ enhanced: always, utf8 })", () => reply({ enhanced: "always", utf8: true, maxLines: 8 }), expectConsistentReply);
describeLaws("ehloResponse", () => ehloResponse(), (value) => {
  const parsed = parseReply(serializeReply(value));
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const ehlo = parseEhloReply(parsed.reply);
  expect(ehlo?.capabilities.toLines()).toEqual(value.lines.slice(1));
});

describe("reply arbitrary coverage", () => {
  it("gives multi-line replies, enhanced codes that are the registry's companions, and 3yz replies without one", () => {
    const values = fc.sample(reply(), { seed: 3, numRuns: 1000 });
    expect(values.some((r) => r.lines.length > 1)).toBe(true);
    expect(values.some((r) => r.enhanced !== undefined && (describeEnhancedStatus(r.enhanced)?.basicCodes ?? []).includes(r.code))).toBe(true);
    expect(values.filter((r) => r.code >= 300 && r.code < 400).every((r) => r.enhanced === undefined)).toBe(true);
  });

  it("refuses codes a server cannot send", () => {
    expect(() => reply({ codes: [199] })).toThrow(TestkitError);
    expect(() => reply({ codes: [] })).toThrow(TestkitError);
    expect(() => reply({ maxLines: 0 })).toThrow(TestkitError);
  });
});

/** The law of nearly valid lines: the strict and the default parser both refuse them, with the situation named. */
function expectRefused(bad: NearlyValidCommand): void {
  expect(new TextDecoder().decode(bad.bytes)).toBe(`${bad.line}\r\n`);
  if (bad.defect === "line-too-long") {
    const events = new CommandReader({ extensions: bad.capabilities }).push(bad.bytes);
    expect(events).toEqual([{ type: "line-too-long", situation: bad.situation, length: bad.line.length }]);
    return;
  }
  for (const strict of [true, false]) {
    const result = parseCommand(bad.line, { strict, extensions: bad.capabilities });
    if (result.ok) throw new Error(`${JSON.stringify(bad.line)} (${bad.defect}) was accepted`);
    if (result.error.situation !== bad.situation) {
      throw new Error(`${JSON.stringify(bad.line)} (${bad.defect}) gave ${result.error.situation}, not ${bad.situation}`);
    }
  }
}

describeLaws("nearlyValidCommand", () => nearlyValidCommand(), expectRefused, { numRuns: 500, withoutContext: false });

describe("nearly valid commands", () => {
  it("generates every defect, each refused with its situation", () => {
    for (const defect of commandDefects) {
      const values = fc.sample(nearlyValidCommand([defect]), { seed: 17, numRuns: 40 });
      expect(values.every((v) => v.defect === defect)).toBe(true);
      values.forEach(expectRefused);
    }
  });

  it("makes the one change it names: a valid command line differs from its defective twin", () => {
    const sample = fc.sample(nearlyValidCommand(["missing-close-bracket", "missing-open-bracket"]), { seed: 2, numRuns: 50 });
    for (const bad of sample) expect(bad.line.split("<").length + bad.line.split(">").length).toBeGreaterThan(1);
  });
});

describeLaws("nearlyValidReply", () => nearlyValidReply(), (bad) => {
  expect(new TextDecoder().decode(bad.bytes)).toBe(bad.text);
  const result = parseReply(bad.text);
  if (result.ok) throw new Error(`${JSON.stringify(bad.text)} (${bad.defect}) was read as ${JSON.stringify(result.reply)}`);
  if (result.error.reason !== bad.reason) throw new Error(`${JSON.stringify(bad.text)} (${bad.defect}) gave ${result.error.reason}, not ${bad.reason}`);
  // The streaming reader does not take it for a reply either: it refuses it first (then resynchronizes on the
  // lines after), or, when no line is marked last, waits and reports truncation at the end.
  const reader = new ReplyReader();
  const events = [...reader.push(bad.bytes), ...reader.end()];
  expect(events[0]?.type).toBe(bad.defect === "missing-last-line" ? "input-truncated" : "reply-invalid");
}, { numRuns: 300, withoutContext: false });

describe("nearly valid replies", () => {
  it("generate every defect", () => {
    for (const defect of replyDefects) {
      const values = fc.sample(nearlyValidReply([defect]), { seed: 5, numRuns: 30 });
      expect(values.every((v) => v.defect === defect)).toBe(true);
    }
  });
});
