import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MimeError,
  buildMessage,
  createMessageParser,
  defaultLimits,
  parseMessage,
  type MessageEvent,
  type MessagePart,
  type MessageParserOptions,
} from "@smtpkit/mime";
import { byteByByte, bytesOf, concat, cutPoints, latin1Of, normalizeEvents, splitAt } from "./helpers.js";

function events(chunks: readonly Uint8Array[], options: MessageParserOptions = {}): MessageEvent[] {
  const parser = createMessageParser(options);
  const out: MessageEvent[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

const crlf = (text: string): string => text.replace(/\r?\n/g, "\r\n");
const bodyText = (part: MessagePart | undefined): string | undefined => (part?.body === undefined ? undefined : latin1Of(part.body));

describe("multipart (RFC 2046 §5.1)", () => {
  const message = crlf(
    [
      "Content-Type: multipart/mixed; boundary=\"simple boundary\"",
      "",
      "This is the preamble.",
      "--simple boundary",
      "",
      "implicitly typed plain US-ASCII text.",
      "--simple boundary  ",
      "Content-type: text/plain; charset=us-ascii",
      "",
      "explicitly typed, ends with a line end",
      "",
      "--simple boundary--",
      "This is the epilogue.",
      "",
    ].join("\n"),
  );

  it("splits parts, keeps preamble and epilogue, and gives the line end before a delimiter to the delimiter", () => {
    const parsed = parseMessage(message);
    const [first, second] = parsed.root.children;
    expect(parsed.root.children.length).toBe(2);
    expect(bodyText(first)).toBe("implicitly typed plain US-ASCII text.");
    expect(first?.info.mediaType).toBe("text/plain"); // RFC 2046 §5.1: the default
    expect(bodyText(second)).toBe("explicitly typed, ends with a line end\r\n");
    expect(latin1Of(parsed.root.preamble as Uint8Array)).toBe("This is the preamble.");
    expect(latin1Of(parsed.root.epilogue as Uint8Array)).toBe("This is the epilogue.\r\n");
  });

  it("does not take a longer line starting with the boundary for a delimiter", () => {
    const parsed = parseMessage(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bb is text\n--b--\n"));
    expect(bodyText(parsed.root.children[0])).toBe("--bb is text");
  });

  it("tolerates a missing close delimiter and bare LF line ends", () => {
    const parsed = parseMessage("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n");
    expect(parsed.root.children.map(bodyText)).toEqual(["one", "two\n"]);
  });

  it("closes an unclosed inner multipart at an enclosing delimiter", () => {
    const parsed = parseMessage(
      crlf("Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\n\nA\n--outer\n\nB\n--outer--\n"),
    );
    expect(parsed.root.children.length).toBe(2);
    expect(bodyText(parsed.root.children[0]?.children[0])).toBe("A");
    expect(bodyText(parsed.root.children[1])).toBe("B");
  });

  it("reads a part with no header block and a part cut right after its header", () => {
    const parsed = parseMessage(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n--b\n\nbody\n--b--\n"));
    expect(parsed.root.children.map((part) => part.info.mediaType)).toEqual(["text/html", "text/plain"]);
    expect(parsed.root.children.map(bodyText)).toEqual(["", "body"]);
  });

  it("parses message/rfc822 recursively, and defaults multipart/digest parts to message/rfc822 (§5.1.5)", () => {
    const inner = "Subject: inner\r\nContent-Type: text/plain\r\n\r\nInner body";
    const parsed = parseMessage(
      crlf(`Content-Type: multipart/digest; boundary=d\n\n--d\n\n${inner}\n--d\nContent-Type: message/rfc822\n\n${inner}\n--d--\n`),
    );
    for (const part of parsed.root.children) {
      expect(part.info.mediaType).toBe("message/rfc822");
      const embedded = part.children[0] as MessagePart;
      expect(embedded.path).toEqual([...part.path, 0]);
      expect(embedded.headers.find((field) => field.key === "subject")?.value).toBe("inner");
      expect(bodyText(embedded)).toBe("Inner body");
    }
    expect(parsed.attachments.map((attachment) => attachment.mediaType)).toEqual(["message/rfc822", "message/rfc822"]);
  });

  it("parses a base64-encoded message/rfc822 from its decoded bytes", () => {
    const inner = Buffer.from("Subject: hidden\r\n\r\nbody").toString("base64");
    const parsed = parseMessage(crlf(`Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n${inner}\n`));
    expect(parsed.root.children[0]?.headers[0]?.value).toBe("hidden");
  });

  it("decodes base64 and quoted-printable bodies and applies charsets", () => {
    const parsed = parseMessage(
      crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 cr=\n=E8me\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC\n/w==\n--b--\n",
      ),
    );
    expect(parsed.text).toBe("Café crème");
    expect(Array.from(parsed.attachments[0]?.bytes ?? [])).toEqual([0, 1, 2, 255]);
  });

  it("decodes format=flowed text (RFC 3676)", () => {
    const parsed = parseMessage(crlf("Content-Type: text/plain; format=flowed; delsp=yes\n\nThis is a lo \nng line.\n> quoted  \n> text\n-- \nsig\n"));
    expect(parsed.text).toBe("This is a long line.\n> quoted text\n-- \nsig\n");
  });
});

describe("offsets and raw bytes", () => {
  it("every part and header field points at its own bytes in the input", () => {
    fc.assert(
      fc.property(generatedMessage, (bytes) => {
        const parsed = parseMessage(bytes);
        const visit = (part: MessagePart, base: Uint8Array): void => {
          for (const field of part.headers) expect(base.subarray(field.offset, field.offset + field.raw.length)).toEqual(field.raw);
          expect(part.offset).toBeLessThanOrEqual(part.bodyOffset);
          expect(part.bodyOffset).toBeLessThanOrEqual(part.bodyEnd);
          if (part.headers.length > 0) expect(part.offset).toBe(part.headers[0]?.offset);
          part.children.forEach((child) => visit(child, part.info.type === "message" && part.body !== undefined ? part.body : base));
        };
        visit(parsed.root, bytes);
      }),
      { numRuns: 100 },
    );
  });
});

// A message generator: builder output (valid MIME) and hand-made messy multiparts.
const messyPart = fc.oneof(
  fc.constantFrom("", "\n", "\r\n", "--", "--b", "--b--", "--bb", "=", "=4", "==", "\r", " ", "x", "Content-Type: multipart/mixed; boundary=c\n\n", "--c\n", "--c--\n", "Content-Type: message/rfc822\n\n", "Content-Transfer-Encoding: base64\n\n", "QUJD\n", "Content-Transfer-Encoding: quoted-printable\n\n", "a=\n", "\n--b\n", "\n--b--\n"),
  fc.string({ maxLength: 8 }),
);
const messyMessage = fc
  .array(messyPart, { maxLength: 30 })
  .map((parts) => bytesOf(`Content-Type: multipart/mixed; boundary=b\n\n${parts.join("")}`));
const builtMessage = fc
  .record({
    text: fc.string({ maxLength: 200 }),
    html: fc.string({ maxLength: 100 }),
    bytes: fc.uint8Array({ maxLength: 300 }),
  })
  .map(({ text, html, bytes }) =>
    buildMessage({ from: "a@example.com", to: ["b@example.com"], subject: text.slice(0, 30).replace(/[\r\n\0]/g, ""), text, html, attachments: [{ filename: "f.bin", content: bytes }] }),
  );
const generatedMessage = fc.oneof(messyMessage, builtMessage);

describe("chunking never matters", () => {
  it("whole, byte by byte and arbitrary splits give identical events", () => {
    fc.assert(
      fc.property(generatedMessage, cutPoints, (bytes, cuts) => {
        const whole = normalizeEvents(events([bytes]));
        expect(normalizeEvents(events(splitAt(bytes, cuts)))).toEqual(whole);
        expect(normalizeEvents(events(byteByByte(bytes)))).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it("a message with LF line ends and its CRLF twin decode to the same content", () => {
    fc.assert(
      fc.property(builtMessage, (bytes) => {
        const lf = bytesOf(latin1Of(bytes).replace(/\r\n/g, "\n"));
        const one = parseMessage(lf);
        const two = parseMessage(bytes);
        expect(one.text).toBe(two.text);
        expect(one.html).toBe(two.html);
        expect(one.subject).toBe(two.subject);
        expect(one.attachments.map((attachment) => Array.from(attachment.bytes))).toEqual(two.attachments.map((attachment) => Array.from(attachment.bytes)));
      }),
    );
  });
});

describe("hostile input", () => {
  it("random bytes give a result, never an exception", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), messyMessage), (bytes) => {
        const parsed = parseMessage(bytes);
        expect(parsed.root).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it("with onLimit: error, random input gives a result or a MimeError, nothing else", () => {
    fc.assert(
      fc.property(messyMessage, (bytes) => {
        try {
          parseMessage(bytes, { onLimit: "error", maxParts: 3, maxDepth: 2, maxHeaderBytes: 64, maxHeaderCount: 3, maxDecodedBytes: 50 });
        } catch (error) {
          expect(MimeError.isInstance(error) && error.reason === "limit-exceeded").toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("stays linear on headers built to make scanners quadratic", () => {
    // Many "=?" with no "?=" (each word would otherwise search to the end of the value),
    // many "--" line starts and many parameters.
    const started = performance.now();
    const subject = "=?a?q?x".repeat(100_000);
    expect(parseMessage(`Subject: ${subject}\r\n\r\n`).subject).toBe(subject);
    const dashes = `Content-Type: multipart/mixed; boundary=${"b".repeat(900)}\r\n\r\n${`--${"b".repeat(899)}\r\n`.repeat(2000)}`;
    expect(parseMessage(dashes).root.children.length).toBe(0);
    parseMessage(`Content-Type: text/plain;${" a=b;".repeat(100_000)}\r\n\r\n`);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("does not follow a boundary longer than 998 octets", () => {
    const boundary = "b".repeat(999);
    const parsed = parseMessage(`Content-Type: multipart/mixed; boundary=${boundary}\r\n\r\n--${boundary}\r\n\r\nx\r\n--${boundary}--\r\n`);
    expect(parsed.root.children.length).toBe(0);
    expect(parsed.root.body?.length).toBeGreaterThan(999);
  });

  it("deep nesting stops at maxDepth and is flagged", () => {
    let message = "body";
    for (let depth = 0; depth < 100; depth++) message = `Content-Type: multipart/mixed; boundary=b${depth}\r\n\r\n--b${depth}\r\n${message}\r\n--b${depth}--\r\n`;
    const parsed = parseMessage(message);
    expect(parsed.limitsExceeded).toContain("maxDepth");
    let depth = 0;
    for (let part = parsed.root; part.children[0] !== undefined; part = part.children[0]) depth++;
    expect(depth).toBe(defaultLimits.maxDepth);
    expect(() => parseMessage(message, { onLimit: "error" })).toThrow(MimeError);
  });

  it("each limit truncates with a flag, or throws a typed error when asked", () => {
    const many = `Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n\r\nx\r\n".repeat(50)}--b--\r\n`;
    const cases: [MessageParserOptions, string, string][] = [
      [{ maxParts: 10 }, many, "maxParts"],
      [{ maxHeaderBytes: 100 }, `Subject: ${"x".repeat(500)}\r\n\r\nbody`, "maxHeaderBytes"],
      [{ maxHeaderCount: 5 }, `${"X-A: 1\r\n".repeat(20)}\r\nbody`, "maxHeaderCount"],
      [{ maxDecodedBytes: 10 }, `Subject: a\r\n\r\n${"y".repeat(100)}`, "maxDecodedBytes"],
    ];
    for (const [limits, message, name] of cases) {
      expect(parseMessage(message, limits).limitsExceeded).toContain(name);
      try {
        parseMessage(message, { ...limits, onLimit: "error" });
        expect.unreachable(`${name} did not throw`);
      } catch (error) {
        expect(MimeError.isInstance(error) && error.reason === "limit-exceeded" && error.value === name).toBe(true);
      }
    }
    expect(parseMessage(many, { maxParts: 10 }).root.children.length).toBeLessThanOrEqual(10);
    expect(parseMessage(`Subject: a\r\n\r\n${"y".repeat(100)}`, { maxDecodedBytes: 10 }).text).toBe("y".repeat(10));
    const skipped = parseMessage(`Subject: ${"x".repeat(500)}\r\nX-After: 1\r\n\r\nbody`, { maxHeaderBytes: 100 });
    expect(skipped.text).toBe("body");
  });

  it("refuses invalid limit values with a typed error", () => {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10" as unknown as number]) {
      for (const name of ["maxDepth", "maxHeaderBytes", "maxHeaderCount", "maxParts", "maxDecodedBytes"]) {
        try {
          createMessageParser({ [name]: value });
          expect.unreachable(`${name}=${String(value)} accepted`);
        } catch (error) {
          expect(MimeError.isInstance(error) && error.reason === "invalid-limit").toBe(true);
        }
      }
    }
    expect(() => createMessageParser({ onLimit: "ignore" as never })).toThrow(MimeError);
  });

  it("refuses use after end() with a typed error", () => {
    const parser = createMessageParser();
    parser.end();
    expect(() => parser.push(new Uint8Array(1))).toThrow(MimeError);
    expect(() => parser.end()).toThrow(MimeError);
  });

  it("a long stream stays within bounded memory (256 MB through the streaming parser)", () => {
    // One 64 KiB chunk of 76-column base64 lines, pushed over and over: the parser may
    // hold only a line start, so memory must not grow with the message.
    const line = `${"QUJD".repeat(19)}\r\n`;
    const chunk = bytesOf(line.repeat(Math.floor(65536 / line.length)));
    const parser = createMessageParser();
    parser.push(bytesOf("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
    const before = process.memoryUsage();
    let decoded = 0;
    for (let sent = 0; sent < 256 * 1024 * 1024; sent += chunk.length) {
      for (const event of parser.push(chunk)) if (event.type === "part-body") decoded += event.bytes.length;
    }
    for (const event of parser.end()) if (event.type === "part-body") decoded += event.bytes.length;
    const after = process.memoryUsage();
    expect(decoded).toBeGreaterThan(180 * 1024 * 1024); // 256 MiB × 3/4 × 76/78
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(100 * 1024 * 1024);
  });
});

describe("parseMessage summary", () => {
  it("gives the fields mail programs expect", () => {
    const parsed = parseMessage(
      crlf(
        [
          "From: =?UTF-8?Q?Jos=C3=A9?= <jose@example.com>",
          "To: a@example.com, Team: b@example.com, c@example.com;",
          "Cc: d@example.com",
          "Reply-To: r@example.com",
          "Subject: =?UTF-8?B?SGVsbG8gw6k=?=",
          "Date: Tue, 1 Jul 2003 10:52:37 +0200",
          "Message-ID: <id1@example.com>",
          "In-Reply-To: <id0@example.com>",
          "References: <a@example.com> <id0@example.com>",
          "Content-Type: multipart/mixed; boundary=b",
          "",
          "--b",
          "Content-Type: text/plain",
          "",
          "Hello",
          "--b",
          "Content-Type: image/png; name=a.png",
          "Content-Disposition: inline",
          "Content-ID: <img1@example.com>",
          "Content-Transfer-Encoding: base64",
          "",
          "iVBORw0K",
          "--b--",
        ].join("\n"),
      ),
    );
    expect(parsed.from).toEqual({ type: "mailbox", name: "José", address: "jose@example.com" });
    expect(parsed.to.map((entry) => entry.address)).toEqual(["a@example.com", "b@example.com", "c@example.com"]);
    expect(parsed.cc.map((entry) => entry.address)).toEqual(["d@example.com"]);
    expect(parsed.replyTo.map((entry) => entry.address)).toEqual(["r@example.com"]);
    expect(parsed.subject).toBe("Hello é");
    expect(parsed.date?.toISOString()).toBe("2003-07-01T08:52:37.000Z");
    expect(parsed.messageId).toBe("id1@example.com");
    expect(parsed.inReplyTo).toBe("id0@example.com");
    expect(parsed.references).toEqual(["a@example.com", "id0@example.com"]);
    expect(parsed.text).toBe("Hello");
    expect(parsed.attachments).toEqual([
      expect.objectContaining({ filename: "a.png", mediaType: "image/png", disposition: "inline", contentId: "img1@example.com", size: 6 }),
    ]);
    expect(parsed.headers.length).toBe(10);
  });

  it("reads RFC 6532 UTF-8 headers and 8-bit legacy headers", () => {
    expect(parseMessage(bytesOf("Subject: Grüße\r\n\r\n")).subject).toBe("Grüße");
    expect(parseMessage(Uint8Array.from([...bytesOf("Subject: Gr"), 0xfc, ...bytesOf("\r\n\r\n")])).subject).toBe("Grü");
  });

  it("reads multipart/report and message/delivery-status fields (RFC 3464)", () => {
    const report = parseMessage(
      crlf(
        [
          "Content-Type: multipart/report; report-type=delivery-status; boundary=r",
          "",
          "--r",
          "",
          "Delivery failed.",
          "--r",
          "Content-Type: message/delivery-status",
          "",
          "Reporting-MTA: dns; mx.example.com",
          "",
          "Final-Recipient: rfc822; bob@example.com",
          "Action: failed",
          "Status: 5.1.1",
          "",
          "--r--",
        ].join("\n"),
      ),
    );
    expect(report.root.info.parameters["report-type"]).toBe("delivery-status");
    const status = report.attachments.find((attachment) => attachment.mediaType === "message/delivery-status");
    expect(status).toBeDefined();
    expect(concat([status?.bytes ?? new Uint8Array()]).length).toBeGreaterThan(0);
  });
});
