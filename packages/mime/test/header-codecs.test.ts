import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MimeError,
  decodeFlowed,
  decodeEncodedWords,
  encodeEncodedWord,
  encodeParameter,
  flattenAddressList,
  formatAddressList,
  parseAddressList,
  parseDate,
  parseParameters,
} from "@smtpkit/mime";

describe("RFC 2047 encoded words", () => {
  it("decodes B and Q in any charset, joins adjacent words, keeps other text", () => {
    expect(decodeEncodedWords("=?UTF-8?Q?Caf=C3=A9?= =?ISO-8859-1?B?6Q==?= ok")).toBe("Caféé ok");
    expect(decodeEncodedWords("=?utf-8?q?a_b?=")).toBe("a b");
    expect(decodeEncodedWords("plain =?koi8-r?B?8NLJ18XU?= text")).toBe("plain Привет text");
    expect(decodeEncodedWords("=?UTF-8*en?Q?Hi?=")).toBe("Hi"); // RFC 2231 §5 language suffix
  });

  it("joins a multi-byte character split across two words (same charset)", () => {
    // "é" is C3 A9 in UTF-8, split between two B words.
    expect(decodeEncodedWords("=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?=")).toBe("é");
  });

  it("keeps malformed words literally", () => {
    for (const text of ["=?utf-8?x?abc?=", "=?utf-8?q?unterminated", "=??q?abc?=", "=?", "a =?utf-8?b"]) {
      expect(decodeEncodedWords(text)).toBe(text);
    }
  });

  it("encode → decode is the identity for any text, and words stay within 75 characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 120 }), fc.constantFrom("B" as const, "Q" as const, "auto" as const), (text, encoding) => {
        const encoded = encodeEncodedWord(text, { encoding });
        for (const word of encoded.split(" ")) {
          expect(word.length).toBeLessThanOrEqual(75);
          expect(word).toMatch(/^=\?UTF-8\?[BQ]\?[!-~]*\?=$/);
        }
        expect(decodeEncodedWords(encoded)).toBe(text);
      }),
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(typeof decodeEncodedWords(text)).toBe("string");
        expect(typeof decodeEncodedWords(`=?utf-8?q?${text}?=`)).toBe("string");
      }),
    );
  });
});

describe("RFC 2231 parameters", () => {
  it("parses continuations, charsets and percent-encoding", () => {
    const parsed = parseParameters("attachment; filename*0*=UTF-8''%E2%82%AC; filename*1=\" rates.txt\"");
    expect(parsed.value).toBe("attachment");
    expect(parsed.parameters["filename"]).toBe("€ rates.txt");
    expect(parseParameters('text/plain; charset="us-ascii"; format=flowed').parameters).toEqual(
      Object.assign(Object.create(null), { charset: "us-ascii", format: "flowed" }),
    );
  });

  it("is safe against prototype keys", () => {
    const parsed = parseParameters("text/plain; __proto__=x; constructor=y");
    expect(parsed.parameters["__proto__"]).toBe("x");
    expect(Object.getPrototypeOf(parsed.parameters)).toBeNull();
  });

  it("encode → parse is the identity for any value and name", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 150 }).filter((value) => !/[\r\n\0]/.test(value)), (value) => {
        const pieces = encodeParameter("filename", value);
        for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(78);
        expect(parseParameters(`attachment; ${pieces.join(";\r\n ")}`).parameters["filename"]).toBe(value);
      }),
    );
  });

  it("refuses CR, LF and NUL, and names that are not tokens, with a typed error", () => {
    expect(() => encodeParameter("filename", "a\r\nb")).toThrow(MimeError);
    expect(() => encodeParameter("file name", "a")).toThrow(MimeError);
    expect(() => encodeParameter("name*", "a")).toThrow(MimeError);
  });
});

describe("address lists (RFC 5322 §3.4)", () => {
  it("parses mailboxes, groups, quoted names, comments, encoded words and obsolete routes", () => {
    expect(parseAddressList('"Doe, Jane" <jane@example.com>, Team: bob@example.com;')).toEqual([
      { type: "mailbox", name: "Doe, Jane", address: "jane@example.com" },
      { type: "group", name: "Team", members: [{ type: "mailbox", name: "", address: "bob@example.com" }] },
    ]);
    expect(parseAddressList("jdoe@example.org (John Doe)")).toEqual([{ type: "mailbox", name: "John Doe", address: "jdoe@example.org" }]);
    expect(parseAddressList("=?UTF-8?Q?Jos=C3=A9?= <jose@example.com>")[0]).toMatchObject({ name: "José" });
    expect(parseAddressList("<@relay.example:user@example.com>")[0]).toMatchObject({ address: "user@example.com" });
    expect(parseAddressList("undisclosed-recipients:;")).toEqual([{ type: "group", name: "undisclosed-recipients", members: [] }]);
  });

  it("format → parse recovers every name and address", () => {
    const local = fc.stringMatching(/^[a-z0-9._+-]{1,12}$/).filter((text) => !text.startsWith(".") && !text.endsWith(".") && !text.includes(".."));
    const address = fc.tuple(local, fc.stringMatching(/^[a-z0-9-]{1,10}\.[a-z]{2,4}$/)).map(([user, host]) => `${user}@${host}`);
    const name = fc.string({ unit: "grapheme", maxLength: 30 }).filter((text) => !/[\r\n\0]/.test(text) && text.trim() === text);
    fc.assert(
      fc.property(fc.array(fc.record({ name, address }), { minLength: 1, maxLength: 4 }), (list) => {
        const parsed = flattenAddressList(parseAddressList(formatAddressList(list)));
        expect(parsed.map((entry) => ({ name: entry.name, address: entry.address }))).toEqual(list);
      }),
    );
  });

  it("refuses CR/LF in names and addresses, and non-ASCII addresses without utf8", () => {
    expect(() => formatAddressList([{ name: "A\r\nBcc: x@y", address: "a@example.com" }])).toThrow(MimeError);
    expect(() => formatAddressList(["a@example.com\r\nBcc: x@y"])).toThrow(MimeError);
    expect(() => formatAddressList(["josé@example.com"])).toThrow(MimeError);
    expect(formatAddressList(["josé@example.com"], { utf8: true })).toBe("josé@example.com");
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(Array.isArray(parseAddressList(text))).toBe(true);
      }),
    );
  });
});

describe("dates (RFC 5322 §3.3, §4.3)", () => {
  it("reads modern and obsolete forms", () => {
    expect(parseDate("Tue, 1 Jul 2003 10:52:37 +0200")?.toISOString()).toBe("2003-07-01T08:52:37.000Z");
    expect(parseDate("1 Jul 03 10:52 EST")?.toISOString()).toBe("2003-07-01T15:52:00.000Z");
    expect(parseDate("Fri, 21 Nov 97 09:55:06 GMT")?.toISOString()).toBe("1997-11-21T09:55:06.000Z");
    expect(parseDate("Thu, 13 Feb 1969 23:32:54 -0330 (Newfoundland Time)")?.toISOString()).toBe("1969-02-14T03:02:54.000Z");
    expect(parseDate("Mon, 10 Oct 2022 10:31:15 Z")?.toISOString()).toBe("2022-10-10T10:31:15.000Z");
    expect(parseDate("not a date")).toBeUndefined();
  });

  it("round-trips any instant written in RFC 5322 form", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }), (date) => {
        const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
        expect(parseDate(seconds.toUTCString().replace("GMT", "+0000"))?.getTime()).toBe(seconds.getTime());
      }),
    );
  });
});

describe("hostile header text", () => {
  const headerish = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.array(fc.constantFrom("a", "=", ";", "*", "'", '"', "\\", "(", ")", "%", "%4", "%E2", "*0*=", "*1=", " ", "\t", "\r\n ", "=?", "?=", "utf-8''", ":", ",", "<", ">", "@", "+0200", "Jan", "99", "12:"), { maxLength: 60 }).map((parts) => parts.join("")),
  );

  it("parameter, date and flowed-text parsers never throw", () => {
    fc.assert(
      fc.property(headerish, (text) => {
        const parsed = parseParameters(text);
        expect(typeof parsed.value).toBe("string");
        const date = parseDate(text);
        expect(date === undefined || !Number.isNaN(date.getTime())).toBe(true);
        expect(typeof decodeFlowed(text, text.length % 2 === 0)).toBe("string");
        expect(Array.isArray(parseAddressList(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
