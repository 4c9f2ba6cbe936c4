// Review of the encoder's safety: no CR/LF/NUL (or other control character) reaches the output
// through any field, no line exceeds 998 octets whatever the caller passes, structured custom
// fields are not mangled, and byte-exact edits refuse offsets that do not belong to the input.
import fc from "fast-check";
import * as mime from "@smtpkit/mime";
import { describe, expect, it } from "vitest";
import { MimeError, buildMessage, createMessageParser, encodeParameter, messageEnvelope, parseMessage, parseParameters, setHeaderField, replacePart, type MessageSpec } from "@smtpkit/mime";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function lines(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let index = bytes.indexOf(0x0a); index !== -1; index = bytes.indexOf(0x0a, start)) {
    out.push(bytes.subarray(start, index + 1));
    start = index + 1;
  }
  out.push(bytes.subarray(start));
  return out;
}

function expectWellFormed(bytes: Uint8Array): void {
  for (const line of lines(bytes)) {
    // Every line ends in CRLF (the last may be empty), and is at most 998 octets before it.
    const body = line[line.length - 1] === 0x0a ? line.subarray(0, line.length - 2) : line;
    if (line[line.length - 1] === 0x0a) expect(line[line.length - 2]).toBe(0x0d);
    expect(body.length).toBeLessThanOrEqual(998);
    expect(body.includes(0x0d)).toBe(false);
  }
}

function headerBlock(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  return text.slice(0, text.indexOf("\r\n\r\n") + 2);
}

/** Hostile text for any field: line breaks of every kind, NUL, other controls, long runs. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("\r", "\n", "\r\n", "\0", "\u0085", "\u2028", "\u2029", "\u001b", "\t", "\u007f", "Bcc: victim@example.com", "x".repeat(1100), "ü".repeat(600), "=?", '"', "\\"),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((parts) => parts.join(""));

describe("encoder safety (review)", () => {
  it("any hostile value in any field is written safely or refused with a MimeError, never passed through", () => {
    const fields: ((value: string) => MessageSpec)[] = [
      (value) => ({ from: "a@example.com", subject: value, text: "x" }),
      (value) => ({ from: { name: value, address: "a@example.com" }, text: "x" }),
      (value) => ({ from: "a@example.com", to: [{ name: value, address: "b@example.com" }], text: "x" }),
      (value) => ({ from: "a@example.com", to: [value], text: "x" }),
      (value) => ({ from: "a@example.com", headers: [["X-Custom", value]], text: "x" }),
      (value) => ({ from: "a@example.com", headers: [[value, "v"]], text: "x" }),
      (value) => ({ from: "a@example.com", attachments: [{ filename: value, content: new Uint8Array([1]) }] }),
      (value) => ({ from: "a@example.com", html: "x", attachments: [{ contentId: value, content: new Uint8Array([1]) }] }),
      (value) => ({ from: "a@example.com", html: "x", attachments: [{ contentId: `${value}@example.com`, content: new Uint8Array([1]) }] }),
      (value) => ({ from: "a@example.com", attachments: [{ contentType: value, content: new Uint8Array([1]) }] }),
      (value) => ({ from: "a@example.com", attachments: [{ contentType: `text/plain; x=${value}`, content: new Uint8Array([1]) }] }),
      (value) => ({ from: "a@example.com", messageId: value, text: "x" }),
      (value) => ({ from: "a@example.com", inReplyTo: value, references: [value], text: "x" }),
    ];
    fc.assert(
      fc.property(hostile, fc.nat({ max: fields.length - 1 }), fc.boolean(), (value, which, smtpUtf8) => {
        const spec = { ...(fields[which] as (value: string) => MessageSpec)(value), transport: { smtpUtf8 } };
        let bytes: Uint8Array;
        try {
          bytes = buildMessage(spec);
        } catch (error) {
          expect(MimeError.isInstance(error), String(error)).toBe(true);
          return;
        }
        expectWellFormed(bytes);
        const header = headerBlock(bytes);
        // Nothing of the value that is a line break or control character is in the header as such.
        expect(/[\0\u0085\u2028\u2029\u001b\u007f]/.test(header)).toBe(false);
        expect(/\r\nBcc:/i.test(header)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a long file name within 998 octets per line and reads it back (it used to write one 1,200-octet line)", () => {
    for (const filename of ["a".repeat(1200) + ".txt", "é".repeat(600) + ".pdf", "=?utf-8?q?x?=", `${"word ".repeat(300)}end.doc`]) {
      const bytes = buildMessage({ from: "a@example.com", text: "x", attachments: [{ filename, content: new Uint8Array([1, 2, 3]) }] });
      expectWellFormed(bytes);
      expect(parseMessage(bytes).attachments[0]?.filename).toBe(filename);
    }
  });

  it("does not turn a structured custom field into encoded words (List-Unsubscribe with a long URL)", () => {
    const url = `<https://example.com/unsubscribe?list=news&token=${"0123456789abcdef".repeat(8)}>`;
    const bytes = buildMessage({ from: "a@example.com", text: "x", headers: [["List-Unsubscribe", url], ["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"]] });
    expectWellFormed(bytes);
    const parsed = parseMessage(bytes);
    expect(parsed.headers.find((field) => field.key === "list-unsubscribe")?.value).toBe(url);
    expect(headerBlock(bytes)).not.toContain("=?");
  });

  it("refuses an empty address, and a media type whose parameters cannot be folded within 998 octets, with typed errors", () => {
    expect(() => buildMessage({ from: "", text: "x" })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", to: [""], text: "x" })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", attachments: [{ content: new Uint8Array(1), contentType: `application/x; a=${"b".repeat(1200)}` }] })).toThrow(MimeError);
    // A Content-ID, Message-ID or reference too long for one line (it cannot be folded) is refused, not written past 998.
    expect(() => buildMessage({ from: "a@example.com", html: "x", attachments: [{ content: new Uint8Array(1), contentId: `a@${"b".repeat(1200)}` }] })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", text: "x", messageId: `a@${"b".repeat(1200)}` })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", text: "x", references: [`a@${"b".repeat(1200)}`] })).toThrow(MimeError);
  });

  it("writes control characters in display names as encoded words even with SMTPUTF8", () => {
    const bytes = buildMessage({ from: { name: "Ann\u001b[31m", address: "a@example.com" }, text: "x", transport: { smtpUtf8: true } });
    expect(headerBlock(bytes)).not.toContain("\u001b");
    expect(parseMessage(bytes).from?.name).toBe("Ann\u001b[31m");
  });

  it("an RFC 2231 value that spells an encoded word reads back as written (not decoded twice)", () => {
    fc.assert(
      fc.property(fc.constantFrom("=?utf-8?q?x?=", "=?ISO-8859-1?B?6Q==?=", "a =?utf-8?b?w6k=?= b"), (value) => {
        const pieces = encodeParameter("filename", value);
        expect(parseParameters(`attachment; ${pieces.join("; ")}`).parameters["filename"]).toBe(value);
      }),
    );
  });

  it("deterministic: the same spec gives the same bytes, and parts are independent of object identity", () => {
    const spec = (): MessageSpec => ({
      from: "a@example.com",
      to: ["b@example.com"],
      subject: "Grüße",
      date: new Date("2026-01-02T03:04:05Z"),
      text: "Hallo",
      html: "<p>Hallo</p>",
      attachments: [{ filename: "a.bin", content: new Uint8Array([0, 1, 2]) }],
    });
    expect(buildMessage(spec())).toEqual(buildMessage(spec()));
  });
});

describe("byte-exact editing refuses offsets that are not the input's (review)", () => {
  it("refuses to edit a part of a base64-encoded embedded message (its offsets are into the decoded bytes)", () => {
    const inner = "Subject: inner\r\nX-A: 1\r\n\r\ninner body\r\n";
    const input = encoder.encode(
      "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n" +
        `Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(inner).toString("base64")}\r\n--b--\r\n`,
    );
    const parsed = parseMessage(input);
    const nested = parsed.root.children[1]?.children[0];
    expect(nested?.headers[0]?.value).toBe("inner");
    // Before the fix this silently rewrote the OUTER Subject at offset 0.
    expect(() => setHeaderField(input, nested!, "Subject", "changed")).toThrow(MimeError);
    expect(() => replacePart(input, nested!.children[0] ?? nested!, encoder.encode("x"))).toThrow(MimeError);
    // The enclosing part itself can be edited.
    const edited = setHeaderField(input, parsed.root.children[1]!, "X-Scanned", "yes");
    expect(parseMessage(edited).root.children[1]?.children[0]?.headers[0]?.value).toBe("inner");
  });

  it("refuses a header value with a word too long for a 998-octet line, and keeps a long URL as it is", () => {
    const input = encoder.encode("Subject: a\r\n\r\nbody\r\n");
    const root = parseMessage(input).root;
    expect(() => setHeaderField(input, root, "X-Long", "b".repeat(1200))).toThrow(MimeError);
    const url = `<https://example.com/u?t=${"c".repeat(200)}>`;
    const edited = setHeaderField(input, root, "List-Unsubscribe", url);
    expect(parseMessage(edited).headers.find((field) => field.key === "list-unsubscribe")?.value).toBe(url);
  });

  it("refuses a part parsed from other bytes", () => {
    const first = encoder.encode("Subject: one\r\n\r\nbody\r\n");
    const second = encoder.encode("Subject: two\r\n\r\nbody\r\n");
    expect(() => setHeaderField(second, parseMessage(first).root, "X-A", "b")).toThrow(MimeError);
  });
});

describe("the envelope is injection-proof too (review)", () => {
  it("messageEnvelope refuses CR, LF, NUL, spaces and angle brackets in any address (they go into MAIL FROM and RCPT TO)", () => {
    // Before the fix: { from: "a@b.example\r\nRCPT TO:<x@y>", to: ["c@d\r\nDATA"] } came back as given.
    for (const bad of ["a@b.example\r\nRCPT TO:<x@y>", "c@d\r\nDATA", "a@b\0", "a b@c", "<a@b>", ""]) {
      expect(() => messageEnvelope({ from: bad })).toThrow(MimeError);
      expect(() => messageEnvelope({ from: "a@example.com", to: ["b@example.com"], bcc: [bad] })).toThrow(MimeError);
      expect(() => messageEnvelope({ from: { name: "x", address: bad } })).toThrow(MimeError);
    }
    expect(messageEnvelope({ from: "a@example.com", sender: "s@example.com", to: ["b@example.com"], cc: ["b@example.com"], bcc: ["ü@example.com"] })).toEqual({
      from: "s@example.com",
      to: ["b@example.com", "ü@example.com"],
    });
  });
});

describe("programmer misuse throws MimeError, never a TypeError (review)", () => {
  it("wrong shapes in the spec, the envelope, the edits and the parser options", () => {
    // Each of these threw a TypeError ("Cannot read properties of null", "is not iterable", ...) before.
    const specs: unknown[] = [
      { from: null },
      { from: "a@example.com", to: [null] },
      { from: "a@example.com", to: [{}] },
      { from: "a@example.com", headers: [null] },
      { from: "a@example.com", headers: "X-A: b" },
      { from: "a@example.com", attachments: [null] },
      { from: "a@example.com", attachments: "x" },
      { from: "a@example.com", references: "a@example.com" },
      null,
      undefined,
    ];
    for (const spec of specs) {
      expect(() => buildMessage(spec as MessageSpec), JSON.stringify(spec)).toThrow(MimeError);
      if (spec === null || spec === undefined || (spec as { from?: unknown }).from === null || (spec as { to?: unknown[] }).to !== undefined) {
        expect(() => messageEnvelope(spec as MessageSpec), JSON.stringify(spec)).toThrow(MimeError);
      }
    }
    const input = encoder.encode("Subject: a\r\n\r\nb");
    for (const [bytes, part] of [[null, null], [input, null], ["x", {}], [input, {}]] as const) {
      expect(() => setHeaderField(bytes as unknown as Uint8Array, part as never, "X", "y")).toThrow(MimeError);
      expect(() => replacePart(bytes as unknown as Uint8Array, part as never, new Uint8Array(1))).toThrow(MimeError);
    }
    expect(() => parseMessage(null as unknown as Uint8Array)).toThrow(MimeError);
    expect(() => parseMessage({} as unknown as Uint8Array)).toThrow(MimeError);
    expect(() => createMessageParser(null as never)).toThrow(MimeError);
  });
});

describe("the codecs refuse wrong argument types with MimeError (review)", () => {
  it("every public codec and parser entry point, given null", () => {
    const calls: [string, () => unknown][] = [
      ["base64Encode", () => mime.base64Encode(null as never)],
      ["base64Decode", () => mime.base64Decode(null as never)],
      ["createBase64Decoder().update", () => mime.createBase64Decoder().update(null as never)],
      ["createBase64Encoder().update", () => mime.createBase64Encoder().update(null as never)],
      ["quotedPrintableEncode", () => mime.quotedPrintableEncode(null as never)],
      ["quotedPrintableDecode", () => mime.quotedPrintableDecode(null as never)],
      ["createQuotedPrintableDecoder().update", () => mime.createQuotedPrintableDecoder().update(null as never)],
      ["createQuotedPrintableEncoder().update", () => mime.createQuotedPrintableEncoder().update(null as never)],
      ["decodeCharset", () => mime.decodeCharset(null as never)],
      ["decodeCharset label", () => mime.decodeCharset(new Uint8Array(1), null as never)],
      ["normalizeCharset", () => mime.normalizeCharset(null as never)],
      ["decodeEncodedWords", () => mime.decodeEncodedWords(null as never)],
      ["encodeEncodedWord", () => mime.encodeEncodedWord(null as never)],
      ["parseParameters", () => mime.parseParameters(null as never)],
      ["encodeParameter", () => mime.encodeParameter("a", null as never)],
      ["parseAddressList", () => mime.parseAddressList(null as never)],
      ["formatAddressList", () => mime.formatAddressList(null as never)],
      ["flattenAddressList", () => mime.flattenAddressList(null as never)],
      ["parseDate", () => mime.parseDate(null as never)],
      ["decodeFlowed", () => mime.decodeFlowed(null as never)],
      ["parseDeliveryStatus", () => mime.parseDeliveryStatus(null as never)],
      ["getHeader", () => mime.getHeader(null as never, "a")],
      ["createMessageParser().push", () => mime.createMessageParser().push(null as never)],
      ["createMessageStream", () => mime.createMessageStream(null as never)],
    ];
    const untyped: string[] = [];
    for (const [name, call] of calls) {
      try {
        call();
        untyped.push(`${name} accepted null`);
      } catch (error) {
        if (!MimeError.isInstance(error)) untyped.push(`${name}: ${String(error)}`);
      }
    }
    expect(untyped).toEqual([]);
  });
});
