import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allowedReplies,
  CodesError,
  commandNames,
  isReplyAllowed,
  repliesFor,
  describeEnhancedStatus,
  formatSituation,
  situationList,
  Situations,
  toCommandName,
  describeReply,
  formatEnhancedStatus,
  isNegative,
  isPermanent,
  isPositive,
  isTransient,
  parseEnhancedStatus,
  parseEnhancedStatusPrefix,
  replyClass,
} from "@smtpkit/codes";

const enhancedStatus = fc.record({
  class: fc.constantFrom(2 as const, 4 as const, 5 as const),
  subject: fc.integer({ min: 0, max: 999 }),
  detail: fc.integer({ min: 0, max: 999 }),
});

describe("enhanced status codes", () => {
  it("format then parse is the identity", () => {
    fc.assert(
      fc.property(enhancedStatus, (status) => {
        expect(parseEnhancedStatus(formatEnhancedStatus(status))).toEqual(status);
      }),
    );
  });

  // Strings close to an enhanced code: any class digit, sub-codes of one to four
  // digits (leading zeros included), sometimes a wrong separator or extra text.
  const nearlyEnhanced = fc
    .tuple(
      fc.constantFrom(..."0123456789"),
      fc.constantFrom(".", ".", ".", ",", ""),
      fc.stringMatching(/^[0-9]{1,4}$/),
      fc.constantFrom(".", ".", ".", ",", ""),
      fc.stringMatching(/^[0-9]{1,4}$/),
      fc.constantFrom("", "", "", ".", " ", "x", "0"),
    )
    .map((parts) => parts.join(""));
  // RFC 3463 §2, written independently of the scanner under test.
  const abnf = /^[245]\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

  it("parse accepts exactly the strings of RFC 3463 §2's grammar, and format gives them back", () => {
    let accepted = 0;
    fc.assert(
      fc.property(nearlyEnhanced, (text) => {
        const status = parseEnhancedStatus(text);
        expect(status !== undefined, text).toBe(abnf.test(text));
        if (status !== undefined) {
          accepted += 1;
          expect(formatEnhancedStatus(status)).toBe(text);
        }
      }),
      // A fixed seed: the coverage check below must not depend on the draw
      // (about 2% of draws are valid codes, so an unlucky seed could find too few).
      { numRuns: 500, seed: 3463 },
    );
    // The generator must reach both sides of the law.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(500);
  });

  it("the prefix parser finds the code before any following text", () => {
    fc.assert(
      fc.property(enhancedStatus, fc.constantFrom(" ", "\t", "", " User unknown"), (status, rest) => {
        const text = formatEnhancedStatus(status);
        expect(parseEnhancedStatusPrefix(text + rest)).toEqual({ status, length: text.length });
      }),
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        parseEnhancedStatus(text);
        parseEnhancedStatusPrefix(text);
        describeEnhancedStatus(text);
      }),
    );
  });

  it("formatting an out-of-range code throws a typed error", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ class: fc.integer().filter((value) => ![2, 4, 5].includes(value)), subject: fc.constant(0), detail: fc.constant(0) }),
          fc.record({ class: fc.constant(5), subject: fc.integer({ min: 1000 }), detail: fc.constant(0) }),
          fc.record({ class: fc.constant(5), subject: fc.constant(0), detail: fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true })) }),
        ),
        (status) => {
          expect(() => formatEnhancedStatus(status as never)).toThrow(CodesError);
          try {
            formatEnhancedStatus(status as never);
          } catch (error) {
            expect(CodesError.isInstance(error)).toBe(true);
            expect((error as CodesError).reason).toBe("invalid-enhanced-status");
          }
        },
      ),
    );
  });
});

describe("basic reply codes", () => {
  it("describing any integer from 100 to 999 never throws, and class follows the first digit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 999 }), (code) => {
        const description = describeReply(code);
        expect(description.code).toBe(code);
        expect(description.class).toBe(replyClass(code));
        if (code < 600) {
          expect(description.class).toBeDefined();
          expect([isPositive(code), isNegative(code)].filter(Boolean).length).toBe(code < 200 ? 0 : 1);
          expect(isTransient(code) && isPermanent(code)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("anything that is not a three-digit integer is a typed misuse error", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ max: 99 }), fc.integer({ min: 1000 }), fc.double({ noInteger: true }), fc.constant(Number.NaN)),
        (code) => {
          expect(() => describeReply(code)).toThrow(CodesError);
          expect(() => isPositive(code)).toThrow(CodesError);
        },
      ),
    );
  });
});

describe("allowed replies (precomputed per command)", () => {
  // The definition: the union of the command's row, its content replies and its general replies.
  const union = (command: string): number[] => {
    const row = repliesFor(command);
    if (row === undefined) return [];
    const all = [...row.success, ...row.intermediate, ...row.failure, ...(row.afterContent?.success ?? []), ...(row.afterContent?.failure ?? []), ...row.general];
    return [...new Set(all)].sort((a, b) => a - b);
  };
  const command = fc.oneof(
    fc.constantFrom(...commandNames),
    fc.tuple(fc.constantFrom(...commandNames), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 })).map(([name, lower]) =>
      [...name].map((char, index) => (lower[index] === true ? char.toLowerCase() : char)).join(""),
    ),
    fc.string({ unit: "binary", maxLength: 12 }),
  );

  it("isReplyAllowed and allowedReplies agree with the union of the command's rows, in any case, for any string", () => {
    fc.assert(
      fc.property(command, fc.integer({ min: 100, max: 599 }), (name, code) => {
        expect(allowedReplies(name)).toEqual(union(name));
        expect(isReplyAllowed(name, code)).toBe(union(name).includes(code));
      }),
      { numRuns: 300 },
    );
  });

  it("allowedReplies hands out a fresh array: changing it changes no later answer", () => {
    const first = allowedReplies("RCPT") as number[];
    first.push(354);
    first.length = 0;
    expect(allowedReplies("RCPT")).toEqual(union("RCPT"));
    expect(isReplyAllowed("RCPT", 250)).toBe(true);
    expect(isReplyAllowed("RCPT", 354)).toBe(false);
  });
});

describe("command names and situation lines", () => {
  it("toCommandName is ASCII case-insensitive and nothing else", () => {
    expect(toCommandName("quıt")).toBeUndefined(); // dotless i upper-cases to I
    expect(toCommandName("ſtarttls")).toBeUndefined(); // long s upper-cases to S
    fc.assert(
      fc.property(fc.constantFrom(...commandNames), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (name, lower) => {
        const mixed = [...name].map((char, index) => (lower[index] === true ? char.toLowerCase() : char)).join("");
        expect(toCommandName(mixed)).toBe(name);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 12 }), (text) => {
        const name = toCommandName(text);
        if (name !== undefined) expect(text.toUpperCase()).toBe(name);
        if (/[^\x00-\x7f]/.test(text)) expect(name).toBeUndefined();
      }),
    );
  });

  it("every catalogued situation formats as one reply line: code, class-matching enhanced code, text", () => {
    for (const situation of situationList) {
      const line = formatSituation(situation);
      expect(line.startsWith(`${situation.code}`)).toBe(true);
      expect(line).not.toMatch(/[\r\n\0]/);
      const rest = line.slice(4);
      if (situation.enhanced !== undefined) expect(rest.startsWith(`${situation.enhanced} `) || rest === situation.enhanced).toBe(true);
    }
  });

  it("formatting a situation with CR, LF or NUL in its text, or a mismatched enhanced code, is a typed error", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom("\r", "\n", "\0"), fc.string(), (before, bad, after) => {
        const situation = { ...Situations.Ok, text: before + bad + after };
        expect(() => formatSituation(situation)).toThrow(CodesError);
      }),
    );
    expect(() => formatSituation({ ...Situations.Ok, enhanced: "5.0.0" })).toThrow(CodesError);
    expect(() => formatSituation({ ...Situations.Ok, enhanced: "2.00.0" })).toThrow(CodesError);
    expect(() => formatSituation({ ...Situations.Ok, code: 199 })).toThrow(CodesError);
  });
});
