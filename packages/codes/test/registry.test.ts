import { describe, expect, it } from "vitest";
import {
  allowedReplies,
  commandNames,
  describeEnhancedStatus,
  describeReply,
  enhancedStatusCodes,
  generalReplies,
  parseEnhancedStatus,
  repliesFor,
  replyCategory,
  replyClass,
  replyCodes,
  situationList,
  Situations,
} from "@smtpkit/codes";

const firstDigitClass = {
  1: "positive-preliminary",
  2: "positive-completion",
  3: "positive-intermediate",
  4: "transient-negative",
  5: "permanent-negative",
} as const;

const secondDigitCategory = ["syntax", "information", "connections", "authentication", "unspecified", "mail-system"];

describe("basic reply-code registry invariants", () => {
  it("is sorted, without duplicates", () => {
    const codes = replyCodes.map((entry) => entry.code);
    expect(codes).toEqual([...new Set(codes)].sort((a, b) => a - b));
  });

  it.each(replyCodes.map((entry) => [entry.code, entry] as const))("%i: class and category follow the digits", (code) => {
    const description = describeReply(code);
    expect(description.class).toBe(firstDigitClass[Math.floor(code / 100) as 1 | 2 | 3 | 4 | 5]);
    expect(description.category).toBe(secondDigitCategory[Math.floor(code / 10) % 10]);
    expect(replyClass(code)).toBe(description.class);
    expect(replyCategory(code)).toBe(description.category);
  });

  it("every standard code has a reference, and every non-standard server code names a standard alternative", () => {
    for (const entry of replyCodes) {
      if (entry.standard) {
        expect(entry.references.length, String(entry.code)).toBeGreaterThan(0);
        expect(entry.standardAlternative, String(entry.code)).toBeUndefined();
        continue;
      }
      // 101 and 111 are client-side reports: no server sends them, so there is no alternative.
      if (entry.code < 200) continue;
      expect(entry.standardAlternative, String(entry.code)).toBeDefined();
      const alternative = describeReply(entry.standardAlternative ?? 0);
      expect(alternative.standard).toBe(true);
      const enhanced = describeEnhancedStatus(entry.enhancedAlternative ?? "");
      expect(enhanced?.registered, String(entry.code)).toBe(true);
      expect(enhanced?.class).toBe(Math.floor(alternative.code / 100));
    }
  });
});

describe("command table invariants", () => {
  it("every code named in the command table is registered and standard", () => {
    for (const command of commandNames) {
      for (const code of allowedReplies(command)) {
        const description = describeReply(code);
        expect(description.registered, `${command} ${code}`).toBe(true);
        expect(description.standard, `${command} ${code}`).toBe(true);
      }
    }
  });

  it("each row's codes sit in the right class", () => {
    for (const command of commandNames) {
      const row = repliesFor(command);
      expect(row).toBeDefined();
      if (row === undefined) continue;
      for (const code of row.success) expect(Math.floor(code / 100), `${command} ${code}`).toBe(2);
      for (const code of row.intermediate) expect(Math.floor(code / 100), `${command} ${code}`).toBe(3);
      for (const code of row.failure) expect([4, 5], `${command} ${code}`).toContain(Math.floor(code / 100));
      for (const code of row.afterContent?.success ?? []) expect(Math.floor(code / 100)).toBe(2);
      for (const code of row.afterContent?.failure ?? []) expect([4, 5]).toContain(Math.floor(code / 100));
    }
  });

  it("general replies are registered negative codes", () => {
    for (const general of generalReplies) {
      expect(describeReply(general.code).registered).toBe(true);
      expect(general.code).toBeGreaterThanOrEqual(400);
    }
  });

  it("every command gets 421 (RFC 5321 §3.8), and is case-insensitive", () => {
    for (const command of commandNames) expect(allowedReplies(command)).toContain(421);
    expect(repliesFor("rcpt")).toEqual(repliesFor("RCPT"));
    expect(repliesFor("XYZZY")).toBeUndefined();
    expect(allowedReplies("XYZZY")).toEqual([]);
  });
});

describe("enhanced status registry invariants", () => {
  it("has no duplicate subject.detail pairs", () => {
    const keys = enhancedStatusCodes.map((entry) => `${entry.subject}.${entry.detail}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("every entry's classes are 2, 4 or 5 and its basic companions are registered and class-compatible", () => {
    for (const entry of enhancedStatusCodes) {
      expect(entry.classes.length).toBeGreaterThan(0);
      for (const klass of entry.classes) expect([2, 4, 5]).toContain(klass);
      for (const code of entry.basicCodes) {
        expect(describeReply(code).registered, `${entry.subject}.${entry.detail} pairs with ${code}`).toBe(true);
        expect(entry.classes, `${entry.subject}.${entry.detail} pairs with ${code}`).toContain(Math.floor(code / 100));
      }
    }
  });

  it("subjects run 0 to 7 and every detail parses back through the strict parser", () => {
    for (const entry of enhancedStatusCodes) {
      expect(entry.subject).toBeGreaterThanOrEqual(0);
      expect(entry.subject).toBeLessThanOrEqual(7);
      for (const klass of entry.classes) {
        expect(parseEnhancedStatus(`${klass}.${entry.subject}.${entry.detail}`)).toEqual({
          class: klass,
          subject: entry.subject,
          detail: entry.detail,
        });
      }
    }
  });
});

describe("situation catalogue invariants", () => {
  it("every name matches its key", () => {
    for (const [key, situation] of Object.entries(Situations)) expect(situation.name).toBe(key);
  });

  it.each(situationList.map((situation) => [situation.name, situation] as const))(
    "%s: basic and enhanced codes agree and are registered",
    (_name, situation) => {
      const basic = describeReply(situation.code);
      expect(basic.registered).toBe(true);
      expect(basic.standard).toBe(true);
      // RFC 2034 §3: 3yz replies carry no enhanced code; every other one does,
      // except the greeting and the EHLO/HELO reply.
      if (situation.enhanced === undefined) {
        expect(
          situation.code >= 300 && situation.code < 400 ? true : ["Greeting", "HelloOk", "ConnectionRefused", "HostDoesNotAcceptMail"].includes(situation.name),
        ).toBe(true);
        return;
      }
      const enhanced = describeEnhancedStatus(situation.enhanced);
      expect(enhanced, situation.enhanced).toBeDefined();
      expect(enhanced?.class).toBe(Math.floor(situation.code / 100));
      expect(enhanced?.registered, situation.enhanced).toBe(true);
      expect(enhanced?.classAllowed, situation.enhanced).toBe(true);
    },
  );

  it("texts are printable ASCII without CR, LF or NUL", () => {
    for (const situation of situationList) {
      for (let index = 0; index < situation.text.length; index += 1) {
        const char = situation.text.charCodeAt(index);
        expect(char >= 0x20 && char < 0x7f, `${situation.name} at ${index}`).toBe(true);
      }
    }
  });
});
