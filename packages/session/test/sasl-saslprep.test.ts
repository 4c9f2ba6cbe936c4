// SASLprep (RFC 4013): the RFC's examples, each table, and its laws.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { saslPrep, type SaslPrepResult } from "@smtpkit/session";

describe("RFC 4013 §3 examples", () => {
  it.each([
    ["I\u00ADX", "IX", "SOFT HYPHEN mapped to nothing"],
    ["user", "user", "no transformation"],
    ["USER", "USER", "case preserved"],
    ["\u00AA", "a", "output is NFKC, input in ISO 8859-1"],
    ["\u2168", "IX", "output is NFKC, will match the previous"],
  ])("%j → %j (%s)", (input, output) => {
    expect(saslPrep(input)).toEqual({ ok: true, value: output });
  });

  it('"\\u0007" is a prohibited character', () => {
    expect(saslPrep("\u0007")).toEqual({ ok: false, failure: "prohibited-character" });
  });

  it('"\\u0627\\u0031" violates the bidirectional rules', () => {
    expect(saslPrep("\u0627\u0031")).toEqual({ ok: false, failure: "bidirectional-violation" });
  });
});

describe("the tables", () => {
  it("maps non-ASCII spaces (C.1.2) to SPACE and removes B.1 characters", () => {
    expect(saslPrep("a\u00A0b\u3000c")).toEqual({ ok: true, value: "a b c" });
    expect(saslPrep("a\u200Cb\uFEFFc\u034F\u00AD")).toEqual({ ok: true, value: "abc" });
    // U+200B is in both tables; C.1.2 is applied first, as PostgreSQL does.
    expect(saslPrep("a\u200Bb")).toEqual({ ok: true, value: "a b" });
  });

  it.each([
    ["C.2.1 ASCII control", "a\u007Fb"],
    ["C.2.2 non-ASCII control", "a\u0085b"],
    ["C.2.2 (astral)", "a\u{1D173}b"],
    ["C.3 private use", "a\uE000b"],
    ["C.3 private use (plane 15)", "a\u{F0000}b"],
    ["C.4 non-character", "a\uFDD0b"],
    ["C.4 non-character (plane 1)", "a\u{1FFFE}b"],
    ["C.5 lone surrogate", "a\uD800b"],
    ["C.6 inappropriate for plain text", "a\uFFFDb"],
    ["C.7 ideographic description", "a\u2FF0b"],
    ["C.8 display property", "a\u202Eb"],
    ["C.9 tagging", "a\u{E0001}b"],
  ])("refuses %s", (_, input) => {
    expect(saslPrep(input)).toEqual({ ok: false, failure: "prohibited-character" });
  });

  it("accepts right-to-left text that starts and ends right-to-left, with neutral characters inside", () => {
    expect(saslPrep("\u0627\u0031\u0628")).toEqual({ ok: true, value: "\u0627\u0031\u0628" });
    expect(saslPrep("\u05D0\u05D1")).toEqual({ ok: true, value: "\u05D0\u05D1" });
  });

  it("refuses right-to-left mixed with left-to-right letters", () => {
    expect(saslPrep("\u0627a\u0628")).toEqual({ ok: false, failure: "bidirectional-violation" });
  });

  it.each([
    ["a Greek letter", "\u03B1"],
    ["a Devanagari spacing mark", "\u0903"],
    ["an APL symbol (bidi class L, not a letter)", "\u2336"],
    ["a mathematical bold capital (NFKC gives 'A')", "\u{1D400}"],
  ])("table D.2: refuses Hebrew around %s", (_, inner) => {
    expect(saslPrep(`\u05D0${inner}\u05D0`)).toEqual({ ok: false, failure: "bidirectional-violation" });
  });

  it.each([
    ["a European digit", "1"],
    ["a superscript two (NFKC gives '2')", "\u00B2"],
    ["a space", " "],
    ["an Arabic-Indic digit", "\u0661"],
  ])("table D.2: accepts Hebrew around %s (not bidi class L)", (_, inner) => {
    expect(saslPrep(`\u05D0${inner}\u05D0`).ok).toBe(true);
  });

  it("refuses right-to-left text that does not start and end right-to-left", () => {
    expect(saslPrep("1\u05D0")).toEqual({ ok: false, failure: "bidirectional-violation" });
    expect(saslPrep("\u05D0 ")).toEqual({ ok: false, failure: "bidirectional-violation" });
  });

  it("refuses unassigned code points in stored strings only", () => {
    expect(saslPrep("a\u0378b", { kind: "stored" })).toEqual({ ok: false, failure: "unassigned-code-point" });
    expect(saslPrep("a\u0378b", { kind: "query" })).toEqual({ ok: true, value: "a\u0378b" });
  });

  it.each([
    ["U+0221 (assigned in Unicode 4.0)", "\u0221"],
    ["an emoji (assigned in Unicode 6.0)", "\u{1F600}"],
    ["the Indian rupee sign U+20B9 (Unicode 6.0)", "\u20B9"],
  ])("table A.1: %s counts as unassigned, as in Unicode 3.2", (_, character) => {
    expect(saslPrep(`pass${character}`, { kind: "stored" })).toEqual({ ok: false, failure: "unassigned-code-point" });
    expect(saslPrep(`pass${character}`, { kind: "query" }).ok).toBe(true);
  });

  it("table A.1 leaves Unicode 3.2 characters alone", () => {
    expect(saslPrep("\u20AC\u0220\u4E2D", { kind: "stored" })).toEqual({ ok: true, value: "\u20AC\u0220\u4E2D" });
  });
});

describe("laws", () => {
  const anyString = fc.oneof(fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 30 }), fc.string({ maxLength: 30 }));

  it("never throws, and a refusal names one of the three failures", () => {
    fc.assert(
      fc.property(anyString, fc.constantFrom("query" as const, "stored" as const), (input, kind) => {
        const result = saslPrep(input, { kind });
        if (!result.ok) expect(["prohibited-character", "bidirectional-violation", "unassigned-code-point"]).toContain(result.failure);
      }),
      { numRuns: 500 },
    );
  });

  it("is idempotent: a prepared string prepares to itself", () => {
    fc.assert(
      fc.property(anyString, (input) => {
        const first = saslPrep(input, { kind: "query" });
        if (first.ok) expect(saslPrep(first.value, { kind: "query" })).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it("a stored string's output (Unicode 3.2 characters only) is NFKC and free of control characters", () => {
    fc.assert(
      fc.property(anyString, (input) => {
        const result = saslPrep(input, { kind: "stored" });
        if (!result.ok) return;
        expect(result.value.normalize("NFKC")).toBe(result.value);
        expect(/[\u0000-\u001f\u007f-\u009f]/.test(result.value)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe("against a Unicode 3.2 reference (Python stringprep, see test/sasl/saslprep-reference.py)", () => {
  interface Fixture {
    readonly blockDigests: { readonly query: readonly string[]; readonly stored: readonly string[] };
    readonly cases: readonly { readonly input: string; readonly query: SaslPrepResult; readonly stored: SaslPrepResult }[];
  }
  const fixture = JSON.parse(readFileSync(new URL("./sasl/saslprep-fixtures.json", import.meta.url), "utf8")) as Fixture;

  function line(result: SaslPrepResult): string {
    if (!result.ok) return `error ${result.failure}`;
    return `ok ${[...result.value].map((character) => character.codePointAt(0)!.toString(16)).join(".")}`;
  }

  it.each(["query", "stored"] as const)("every single code point gives the reference's result (%s)", (kind) => {
    const mismatches: string[] = [];
    for (let start = 0; start < 0x110000; start += 0x1000) {
      const lines: string[] = [];
      for (let codePoint = start; codePoint < start + 0x1000; codePoint++) {
        if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
        lines.push(line(saslPrep(String.fromCodePoint(codePoint), { kind })));
      }
      const digest = createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
      if (digest !== fixture.blockDigests[kind][start / 0x1000]) mismatches.push(`U+${start.toString(16)}..U+${(start + 0xfff).toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("1000 random strings of interesting characters give the reference's results", () => {
    expect(fixture.cases).toHaveLength(1000);
    for (const { input, query, stored } of fixture.cases) {
      expect({ input, query: saslPrep(input, { kind: "query" }), stored: saslPrep(input, { kind: "stored" }) }).toEqual({ input, query, stored });
    }
  });
});
