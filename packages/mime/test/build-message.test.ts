import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MimeError, buildMessage, messageEnvelope, parseMessage, type AttachmentSpec, type MessageSpec } from "@smtpkit/mime";

const decoder = new TextDecoder();
/** Text bodies are line-oriented (RFC 2046 §4.1.1): any line end comes back as LF. */
const lines = (text: string): string => text.replace(/\r\n|\r|\n/g, "\n");

const piece = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.constantFrom("\r\n", "\n", "\r", "--=_", ".", "\r\n.\r\n", "From ", "  ", "\t", "=?utf-8?q?x?=", "x".repeat(1200), "é".repeat(50)),
);
const text = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(""));
const headerText = fc
  .array(fc.oneof(fc.string({ unit: "grapheme", maxLength: 20 }), fc.constantFrom(" ", "=?", "Ünïcödé", "x".repeat(100), "y".repeat(1000), "é".repeat(400), "=?utf-8?q?x?=")), { maxLength: 5 })
  .map((parts) => parts.join(""))
  .filter((value) => !/[\r\n\0]/.test(value));
const local = fc.stringMatching(/^[a-z0-9]{1,10}$/);
const address = fc.tuple(local, fc.stringMatching(/^[a-z]{1,8}\.(com|org|de)$/)).map(([user, host]) => `${user}@${host}`);
const mailbox = fc.record({ name: headerText.map((name) => name.trim()), address });
const attachment: fc.Arbitrary<AttachmentSpec> = fc.record(
  {
    content: fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 50 }).map((value) => new TextEncoder().encode(value))),
    filename: headerText.filter((name) => name.length > 0),
    contentType: fc.constantFrom("application/octet-stream", "image/png", "application/pdf", "text/csv"),
    contentId: fc.stringMatching(/^[a-z0-9]{1,8}@[a-z]{1,6}$/),
  },
  { requiredKeys: ["content"] },
);
const spec: fc.Arbitrary<MessageSpec> = fc.record(
  {
    from: mailbox,
    to: fc.array(fc.oneof(address, mailbox), { maxLength: 3 }),
    cc: fc.array(address, { maxLength: 2 }),
    subject: headerText,
    text,
    html: text,
    attachments: fc.array(attachment, { maxLength: 3 }),
    date: fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2090-01-01T00:00:00Z"), noInvalidDate: true }).map((date) => new Date(Math.floor(date.getTime() / 1000) * 1000)),
    inReplyTo: fc.stringMatching(/^[a-z0-9.]{1,12}@[a-z]{1,8}\.example$/),
    headers: fc.array(fc.tuple(fc.constantFrom("X-Mailer", "X-Tag", "Comments"), headerText), { maxLength: 2 }),
    seed: fc.string({ maxLength: 8 }),
    transport: fc.record({ eightBitMime: fc.boolean(), smtpUtf8: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: ["from"] },
);

function expectedAttachments(message: MessageSpec): AttachmentSpec[] {
  const all = message.attachments ?? [];
  const inline = all.filter((entry) => entry.contentId !== undefined && (entry.disposition ?? "inline") === "inline");
  return [...inline, ...all.filter((entry) => !inline.includes(entry))];
}

describe("buildMessage", () => {
  it("parseMessage(buildMessage(spec)) recovers every header, text, html and attachment", () => {
    fc.assert(
      fc.property(spec, (message) => {
        const bytes = buildMessage(message);
        const parsed = parseMessage(bytes);
        expect(parsed.subject ?? "").toBe(message.subject ?? "");
        expect(parsed.from).toEqual({ type: "mailbox", ...(message.from as object) });
        expect(parsed.to.map((entry) => entry.address)).toEqual((message.to ?? []).map((entry) => (typeof entry === "string" ? entry : entry.address)));
        expect(parsed.to.map((entry) => entry.name)).toEqual((message.to ?? []).map((entry) => (typeof entry === "string" ? "" : entry.name)));
        expect(parsed.cc.map((entry) => entry.address)).toEqual(message.cc ?? []);
        expect(parsed.date?.getTime()).toBe(message.date?.getTime());
        expect(parsed.inReplyTo).toBe(message.inReplyTo);
        if (message.text !== undefined) expect(parsed.text).toBe(lines(message.text));
        else if (message.html === undefined && (message.attachments ?? []).length === 0) expect(parsed.text).toBe(""); // an empty text/plain body
        else expect(parsed.text).toBeUndefined();
        if (message.html !== undefined) expect(parsed.html).toBe(lines(message.html));
        else expect(parsed.html).toBeUndefined();
        const expected = expectedAttachments(message);
        expect(parsed.attachments.length).toBe(expected.length);
        parsed.attachments.forEach((got, index) => {
          const want = expected[index] as AttachmentSpec;
          expect(got.bytes).toEqual(want.content);
          expect(got.filename).toBe(want.filename);
          expect(got.contentId).toBe(want.contentId);
          expect(got.mediaType).toBe(want.contentType ?? "application/octet-stream");
        });
        for (const [name, value] of message.headers ?? []) {
          const field = parsed.headers.find((header) => header.name === name && decodeValue(header.value) === value);
          expect(field, `${name}: ${value}`).toBeDefined();
        }
        expect(parsed.headers.some((header) => header.key === "bcc")).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("writes a display name holding \"=?\" inside a word so that it reads back unchanged", () => {
    // Found by the property above (seed -842678981): "#=?utf-8?q?x?=" was written bare and read back as "#x".
    for (const name of ["#=?utf-8?q?x?=", "a=?b", "x =?utf-8?q?y?= z", "=?"]) {
      const parsed = parseMessage(buildMessage({ from: { name, address: "a@a.com" } }));
      expect(parsed.from).toEqual({ type: "mailbox", name, address: "a@a.com" });
    }
  });

  it("writes CRLF only, lines within 998 octets, base64 and quoted-printable lines within 76, headers within 78 where foldable", () => {
    fc.assert(
      fc.property(spec, (message) => {
        const bytes = buildMessage(message);
        const output = decoder.decode(bytes);
        expect(/\r(?!\n)|(?<!\r)\n/.test(output)).toBe(false);
        const parsed = parseMessage(bytes);
        for (const line of output.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(998);
        const headerBlock = output.slice(0, output.indexOf("\r\n\r\n"));
        for (const line of headerBlock.split("\r\n")) {
          // Folding happens at spaces (RFC 5322 §2.2.3): a line past 78 columns holds a single word
          // (after the field name on a field's first line), one that could not be folded.
          if (line.length > 78) expect(line.trim().split(/[ \t]+/).length, line).toBeLessThanOrEqual(line.startsWith(" ") ? 1 : 2);
        }
        const walk = (part: typeof parsed.root): void => {
          if (part.info.transferEncoding === "base64" || part.info.transferEncoding === "quoted-printable") {
            // Offsets count bytes: slice the bytes, not the decoded string (UTF-8 headers with SMTPUTF8).
            const raw = decoder.decode(bytes.subarray(part.bodyOffset, part.bodyEnd));
            for (const line of raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
          }
          part.children.forEach(walk);
        };
        walk(parsed.root);
      }),
      { numRuns: 60 },
    );
  });

  it("chooses the structure from the content", () => {
    const structure = (message: MessageSpec): string => {
      const render = (part: ReturnType<typeof parseMessage>["root"]): string =>
        part.children.length === 0 ? part.info.mediaType : `${part.info.mediaType}(${part.children.map(render).join(",")})`;
      return render(parseMessage(buildMessage(message)).root);
    };
    const from = "a@example.com";
    const png = { content: new Uint8Array([137, 80, 78, 71]), contentType: "image/png", contentId: "logo@example.com" };
    const pdf = { content: new Uint8Array([37, 80, 68, 70]), contentType: "application/pdf", filename: "a.pdf" };
    expect(structure({ from, text: "hi" })).toBe("text/plain");
    expect(structure({ from, html: "<p>hi</p>" })).toBe("text/html");
    expect(structure({ from, text: "hi", html: "<p>hi</p>" })).toBe("multipart/alternative(text/plain,text/html)");
    expect(structure({ from, text: "hi", html: "<img src=cid:logo@example.com>", attachments: [png] })).toBe(
      "multipart/alternative(text/plain,multipart/related(text/html,image/png))",
    );
    expect(structure({ from, text: "hi", html: "<p>hi</p>", attachments: [pdf] })).toBe(
      "multipart/mixed(multipart/alternative(text/plain,text/html),application/pdf)",
    );
    expect(structure({ from, text: "hi", html: "<img src=cid:logo@example.com>", attachments: [png, pdf] })).toBe(
      "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,image/png)),application/pdf)",
    );
  });

  it("chooses the transfer encoding per part", () => {
    const encodingOf = (message: MessageSpec): string => {
      let part = parseMessage(buildMessage(message)).root;
      while (part.children[0] !== undefined) part = part.children[0];
      return part.info.transferEncoding;
    };
    const from = "a@example.com";
    expect(encodingOf({ from, text: "plain ascii\nlines" })).toBe("7bit");
    expect(encodingOf({ from, text: "Grüße aus Köln, mostly ASCII text here" })).toBe("quoted-printable");
    expect(encodingOf({ from, text: "Привет, как дела? Всё хорошо." })).toBe("base64");
    expect(encodingOf({ from, text: "Grüße", transport: { eightBitMime: true } })).toBe("8bit");
    expect(encodingOf({ from, text: "x".repeat(2000) })).toBe("quoted-printable");
    expect(encodingOf({ from, attachments: [{ content: new Uint8Array([0, 1, 2]) }] })).toBe("base64");
    expect(encodingOf({ from, attachments: [{ content: new Uint8Array([0, 1, 2]) }], transport: { binaryMime: true } })).toBe("binary");
  });

  it("is deterministic: equal specs give equal bytes, and the seed changes the derived values", () => {
    const message: MessageSpec = { from: "a@example.com", text: "hi", html: "<b>hi</b>", date: new Date(0) };
    expect(buildMessage(message)).toEqual(buildMessage(message));
    expect(buildMessage({ ...message, seed: "1" })).not.toEqual(buildMessage({ ...message, seed: "2" }));
    expect(parseMessage(buildMessage({ ...message, messageId: "fixed@example.com" })).messageId).toBe("fixed@example.com");
  });

  it("never writes a boundary that occurs in the content", () => {
    const first = decoder.decode(buildMessage({ from: "a@example.com", text: "x", html: "y" }));
    const boundary = /boundary="([^"]+)"/.exec(first)?.[1] as string;
    // A text that contains that very boundary line forces another boundary.
    const tricky = buildMessage({ from: "a@example.com", text: `x\r\n--${boundary}\r\n`, html: "y" });
    const parsed = parseMessage(tricky);
    expect(parsed.text).toBe(`x\n--${boundary}\n`);
    expect(parsed.html).toBe("y");
  });

  it("puts Bcc in the envelope, never in the header", () => {
    const message: MessageSpec = { from: "a@example.com", to: ["b@example.com"], bcc: ["secret@example.com"], text: "hi" };
    expect(decoder.decode(buildMessage(message))).not.toContain("secret");
    expect(messageEnvelope(message)).toEqual({ from: "a@example.com", to: ["b@example.com", "secret@example.com"] });
  });

  it("refuses CR, LF or NUL anywhere in header text with a typed error (header injection)", () => {
    const injected = fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom("\r", "\n", "\r\n", "\0"), fc.string({ maxLength: 10 })).map(([a, b, c]) => `${a}${b}${c}`);
    const where = fc.constantFrom("subject", "fromName", "fromAddress", "to", "header", "filename", "messageId", "contentType");
    fc.assert(
      fc.property(injected, where, (value, place) => {
        const base: MessageSpec = { from: "a@example.com", text: "hi" };
        const variants: Record<string, MessageSpec> = {
          subject: { ...base, subject: value },
          fromName: { ...base, from: { name: value, address: "a@example.com" } },
          fromAddress: { ...base, from: value },
          to: { ...base, to: [value] },
          header: { ...base, headers: [["X-Test", value]] },
          filename: { ...base, attachments: [{ content: new Uint8Array(1), filename: value }] },
          messageId: { ...base, messageId: value },
          contentType: { ...base, attachments: [{ content: new Uint8Array(1), contentType: `text/plain${value}` }] },
        };
        try {
          buildMessage(variants[place] as MessageSpec);
          expect.unreachable("buildMessage accepted a CR, LF or NUL");
        } catch (error) {
          expect(MimeError.isInstance(error)).toBe(true);
        }
      }),
    );
  });

  it("refuses header names it writes itself and names that are not field names", () => {
    expect(() => buildMessage({ from: "a@example.com", headers: [["Content-Type", "text/html"]] })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", headers: [["Bcc", "x@example.com"]] })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", headers: [["Bad Name", "x"]] })).toThrow(MimeError);
    expect(() => buildMessage({ from: "a@example.com", headers: [["Bad:Name", "x"]] })).toThrow(MimeError);
  });

  it("keeps UTF-8 headers as UTF-8 with SMTPUTF8, and encodes them otherwise", () => {
    const message: MessageSpec = { from: { name: "Zoë", address: "zoe@example.com" }, subject: "Grüße", text: "hi" };
    expect(decoder.decode(buildMessage(message))).toContain("Subject: =?UTF-8?");
    const utf8 = decoder.decode(buildMessage({ ...message, transport: { smtpUtf8: true } }));
    expect(utf8).toContain("Subject: Grüße");
    expect(parseMessage(buildMessage({ ...message, transport: { smtpUtf8: true } })).from?.name).toBe("Zoë");
  });
});

function decodeValue(value: string): string {
  return value.includes("=?") ? parseMessage(`Subject: ${value}\r\n\r\n`).subject ?? "" : value;
}
