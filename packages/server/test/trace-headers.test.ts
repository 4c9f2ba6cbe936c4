import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatDateTime,
  formatReceived,
  formatReturnPath,
  MAX_HEADER_LINE_LENGTH,
  PREFERRED_HEADER_LINE_LENGTH,
  receivedProtocol,
  ReceivedProtocols,
  ServerUsageError,
  type ReceivedOptions,
} from "@smtpkit/server";

const time = new Date(Date.UTC(2026, 10, 29, 13, 16, 55));
const base: ReceivedOptions = {
  from: { helo: "client.example", address: "192.0.2.1", reverseName: "mail.client.example" },
  by: "mx.example.org",
  protocol: "ESMTPS",
  id: "4Q2xYz",
  for: "bob@example.org",
  tls: { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", bits: 256 },
  time,
};

function header(options: ReceivedOptions): string {
  const result = formatReceived(options);
  if (!result.ok) throw new Error(`unexpected ${JSON.stringify(result.error)}`);
  return result.header;
}

// Unfolds per RFC 5322 §2.2.3 (CRLF followed by WSP is removed).
function unfold(text: string): string {
  return text.replace(/\r\n(?=[ \t])/g, "");
}

describe("formatReceived", () => {
  it("writes every clause in RFC 5321 §4.4 order, folded with CRLF TAB", () => {
    expect(header(base)).toBe(
      "Received: from client.example (mail.client.example [192.0.2.1])\r\n" +
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256 bits))\r\n" +
        "\tby mx.example.org (smtpkit) with ESMTPS id 4Q2xYz for <bob@example.org>;\r\n" +
        "\tSun, 29 Nov 2026 13:16:55 +0000\r\n",
    );
  });

  it("writes IPv6 clients as IPv6 address literals (RFC 5321 §4.1.3)", () => {
    const text = header({ ...base, from: { helo: "c.example", address: "2001:db8::1" }, tls: undefined as never });
    expect(text).toContain("from c.example ([IPv6:2001:db8::1])");
  });

  it("keeps an unparseable EHLO name, escaped, in the comment", () => {
    const text = header({ ...base, from: { helo: "evil (x) by fake.example", address: "192.0.2.1" } });
    expect(unfold(text)).toContain("from [192.0.2.1] ([192.0.2.1] helo=evil \\(x\\) by fake.example)");
  });

  it("keeps headers 7-bit unless the protocol is a UTF8 one (RFC 6531 §3.7.3)", () => {
    const helo = { helo: "bücher.example", address: "192.0.2.1" };
    expect(unfold(header({ ...base, from: helo, protocol: "ESMTP" }))).toContain("from [192.0.2.1] ([192.0.2.1] helo=b?cher.example)");
    expect(unfold(header({ ...base, from: helo, protocol: "UTF8SMTPS" }))).toContain("from bücher.example ([192.0.2.1])");
    expect(formatReceived({ ...base, for: "jörg@example.org", protocol: "ESMTPS" })).toEqual({
      ok: false,
      error: { type: "trace-header-error", field: "for", reason: "non-ascii" },
    });
    expect(formatReceived({ ...base, for: "jörg@example.org", protocol: "UTF8SMTPS" }).ok).toBe(true);
  });

  it("leaves the for clause out when not given, and keeps the semicolon", () => {
    const { for: _, ...options } = base;
    const text = unfold(header(options));
    expect(text).not.toContain(" for ");
    expect(text).toMatch(/id 4Q2xYz;[ \t]Sun, 29 Nov 2026/);
  });

  it.each([
    ["from.helo", { from: { helo: "a\r\nBcc: x@y", address: "192.0.2.1" } }],
    ["from.helo", { from: { helo: "next\u0085line.example", address: "192.0.2.1" } }],
    ["from.address", { from: { helo: "a", address: "192.0.2.1\n" } }],
    ["from.reverseName", { from: { helo: "a", address: "192.0.2.1", reverseName: "r\u0000" } }],
    ["by", { by: "mx\r.example" }],
    ["id", { id: "a\nb" }],
    ["for", { for: "bob@example.org\r\nX-Injected: 1" }],
    ["tls.cipher", { tls: { protocol: "TLSv1.3", cipher: "A\tB" } }],
  ])("refuses control characters in %s", (field, override) => {
    const result = formatReceived({ ...base, ...(override as Partial<ReceivedOptions>) });
    expect(result).toEqual({ ok: false, error: { type: "trace-header-error", field, reason: "control-character" } });
  });

  it("refuses ids that are not atoms and recipients that are not mailboxes", () => {
    expect(formatReceived({ ...base, id: "a b" }).ok).toBe(false);
    expect(formatReceived({ ...base, for: "<bob@example.org>" }).ok).toBe(false);
    expect(formatReceived({ ...base, for: "bob" }).ok).toBe(false);
  });

  it("throws a usage error for an invalid time, never for peer data", () => {
    expect(() => formatReceived({ ...base, time: new Date(Number.NaN) })).toThrow(ServerUsageError);
  });

  const fieldText = fc.string({ unit: "binary", maxLength: 300 });
  it("never puts a CR, LF or NUL anywhere but in the CRLF of a fold (property)", () => {
    fc.assert(
      fc.property(fieldText, fieldText, fieldText, fc.option(fieldText, { nil: undefined }), (helo, by, id, recipient) => {
        const options: ReceivedOptions = { ...base, from: { helo, address: "192.0.2.1" }, by, id };
        const result = formatReceived(recipient === undefined ? options : { ...options, for: recipient });
        if (!result.ok) return;
        const lines = result.header.split("\r\n");
        expect(lines.pop()).toBe("");
        for (const [index, line] of lines.entries()) {
          expect(line).not.toMatch(/[\r\n\u0000]/);
          expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(MAX_HEADER_LINE_LENGTH);
          if (index > 0) expect(line.startsWith("\t")).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("folds to 78 columns when every clause fits (property)", () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,20}$/);
    fc.assert(
      fc.property(label, label, label, (helo, by, id) => {
        const text = header({ ...base, from: { helo: `${helo}.example`, address: "198.51.100.7" }, by: `${by}.example`, id });
        for (const line of text.split("\r\n")) expect(line.length).toBeLessThanOrEqual(PREFERRED_HEADER_LINE_LENGTH);
      }),
    );
  });

  it("ends with a date that Date.parse reads back as the input time (property)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true }),
        fc.integer({ min: -1439, max: 1439 }),
        (instant, offset) => {
          const text = unfold(header({ ...base, time: instant, timeZoneOffsetMinutes: offset }));
          const date = text.slice(text.lastIndexOf(";") + 2, -2);
          expect(date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
          expect(Date.parse(date)).toBe(Math.floor(instant.getTime() / 1000) * 1000);
        },
      ),
    );
  });
});

describe("formatReceived's for clause", () => {
  it("names a recipient whose quoted local part holds > (it was dropped as invalid)", () => {
    expect(unfold(header({ ...base, for: '"a>b"@example.org' }))).toContain('for <"a>b"@example.org>;');
  });

  it("refuses a recipient with a bracket outside quotes or no @ outside them", () => {
    for (const text of ["a>b@example.org", '"a@b"', '"open@example.org']) {
      expect(formatReceived({ ...base, for: text }), text).toMatchObject({ ok: false, error: { field: "for", reason: "invalid-syntax" } });
    }
  });

  it("never lets the for clause or the Return-Path end its path early: outside quotes, no < or > (property)", () => {
    const pathText = fc.string({ unit: fc.constantFrom("a", "@", "<", ">", '"', "\\", " ", "."), maxLength: 20 });
    // The path's own text with quoted strings removed: the part a header reader takes as structure.
    const outsideQuotes = (text: string): string => {
      let out = "";
      let quoted = false;
      for (let index = 0; index < text.length; index += 1) {
        const character = text[index]!;
        if (quoted && character === "\\") index += 1;
        else if (character === '"') quoted = !quoted;
        else if (!quoted) out += character;
      }
      return out;
    };
    fc.assert(
      fc.property(pathText, (text) => {
        const returnPath = formatReturnPath(text);
        const received = formatReceived({ ...base, for: text });
        if (text.length > 0) expect(received.ok).toBe(returnPath.ok);
        if (!returnPath.ok || text.length === 0) return;
        const outside = outsideQuotes(text);
        expect(outside).not.toMatch(/[<>]/);
        expect(outside).toContain("@");
      }),
      { numRuns: 300 },
    );
  });
});

describe("formatDateTime", () => {
  it("writes the zone offset and shifts the wall clock", () => {
    expect(formatDateTime(time, 0)).toBe("Sun, 29 Nov 2026 13:16:55 +0000");
    expect(formatDateTime(time, 330)).toBe("Sun, 29 Nov 2026 18:46:55 +0530");
    expect(formatDateTime(time, -600)).toBe("Sun, 29 Nov 2026 03:16:55 -1000");
  });

  it("refuses offsets beyond ±23:59", () => {
    expect(() => formatDateTime(time, 1440)).toThrow(ServerUsageError);
    expect(() => formatDateTime(time, 1.5)).toThrow(ServerUsageError);
  });
});

describe("receivedProtocol (RFC 3848, RFC 6531 §3.7.3)", () => {
  it.each([
    [{ extended: false, tls: false, authenticated: false, utf8: false }, "SMTP"],
    [{ extended: true, tls: false, authenticated: false, utf8: false }, "ESMTP"],
    [{ extended: true, tls: false, authenticated: true, utf8: false }, "ESMTPA"],
    [{ extended: true, tls: true, authenticated: false, utf8: false }, "ESMTPS"],
    [{ extended: true, tls: true, authenticated: true, utf8: false }, "ESMTPSA"],
    [{ extended: true, tls: true, authenticated: true, utf8: true }, "UTF8SMTPSA"],
    [{ extended: true, tls: false, authenticated: false, utf8: true }, "UTF8SMTP"],
    [{ lmtp: true, extended: true, tls: false, authenticated: false, utf8: false }, "LMTP"],
    [{ lmtp: true, extended: true, tls: true, authenticated: true, utf8: false }, "LMTPSA"],
    [{ lmtp: true, extended: true, tls: false, authenticated: false, utf8: true }, "UTF8LMTP"],
  ] as const)("%o is %s", (facts, name) => {
    expect(receivedProtocol(facts)).toBe(name);
  });

  it("always names a registered type (property)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), (lmtp, extended, tls, authenticated, utf8) => {
        expect(ReceivedProtocols).toContain(receivedProtocol({ lmtp, extended, tls, authenticated, utf8 }));
      }),
    );
  });
});

describe("formatReturnPath (RFC 5321 §4.4)", () => {
  it("writes the reverse-path in angle brackets, and <> for the null path", () => {
    expect(formatReturnPath("alice@example.org")).toEqual({ ok: true, header: "Return-Path: <alice@example.org>\r\n" });
    expect(formatReturnPath("")).toEqual({ ok: true, header: "Return-Path: <>\r\n" });
    expect(formatReturnPath('"a b"@example.org')).toEqual({ ok: true, header: 'Return-Path: <"a b"@example.org>\r\n' });
  });

  it("writes a quoted local part holding <, > or @ (RFC 5321 §4.1.2 qtextSMTP), which MAIL FROM accepted", () => {
    // Regression: these paths got 250 to MAIL FROM and then 554 after DATA, the Return-Path being refused.
    expect(formatReturnPath('"x>y;z"@example.org')).toEqual({ ok: true, header: 'Return-Path: <"x>y;z"@example.org>\r\n' });
    expect(formatReturnPath('"<a@b>"@example.org')).toEqual({ ok: true, header: 'Return-Path: <"<a@b>"@example.org>\r\n' });
    expect(formatReturnPath('"a\\"b>"@example.org')).toEqual({ ok: true, header: 'Return-Path: <"a\\"b>"@example.org>\r\n' });
  });

  it("refuses brackets outside quotes, an unclosed quote, and a path whose only @ is quoted", () => {
    for (const text of ["a>@example.org", "a@example.org>", "<a@example.org", '"a>@example.org', '"a\\"b"x>@example.org', '"a@b"', '"a\\"@example.org', "example.org"]) {
      expect(formatReturnPath(text), text).toMatchObject({ ok: false, error: { field: "reversePath", reason: "invalid-syntax" } });
    }
  });

  it("refuses injection and over-long paths", () => {
    expect(formatReturnPath("a@b\r\nBcc: victim@example.org").ok).toBe(false);
    expect(formatReturnPath(`${"a".repeat(250)}@example.org`).ok).toBe(false);
  });

  it("gives exactly one CRLF-terminated line or an error for any input (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        const result = formatReturnPath(text);
        if (!result.ok) return;
        expect(result.header.endsWith("\r\n")).toBe(true);
        expect(result.header.slice(0, -2)).not.toMatch(/[\r\n\u0000]/);
      }),
    );
  });
});
