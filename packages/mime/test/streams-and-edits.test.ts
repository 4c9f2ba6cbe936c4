import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MimeError,
  buildMessage,
  composeMessage,
  createMessageParser,
  createMessageStream,
  getHeader,
  parseDeliveryStatus,
  parseMessage,
  replacePart,
  setHeaderField,
  type MessageEvent,
  type MessagePart,
  type MessageSpec,
} from "@smtpkit/mime";
import { bytesOf, concat, latin1Of, normalizeEvents, splitAt } from "./helpers.js";

const sample: MessageSpec = {
  from: "a@example.com",
  to: ["b@example.com"],
  subject: "Report",
  date: new Date("2026-01-01T00:00:00Z"),
  text: "Hello",
  html: "<p>Hello</p>",
  attachments: [
    { filename: "one.bin", content: Uint8Array.from({ length: 3000 }, (_, index) => index & 0xff) },
    { filename: "two.txt", content: "second" },
  ],
};

async function collect(pieces: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  for await (const piece of pieces) out.push(piece);
  return concat(out);
}

describe("createMessageStream (Web Streams)", () => {
  it("gives the same events as the push parser, for any chunking", async () => {
    const bytes = buildMessage(sample);
    for (const cuts of [[], [1, 2, 3], [100, 700, 2000, 2001]]) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of splitAt(bytes, cuts)) controller.enqueue(chunk);
          controller.close();
        },
      });
      const events: MessageEvent[] = [];
      const reader = stream.pipeThrough(createMessageStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        events.push(value);
      }
      const parser = createMessageParser();
      expect(normalizeEvents(events)).toEqual(normalizeEvents([...parser.push(bytes), ...parser.end()]));
    }
  });
});

describe("composeMessage (streaming composer)", () => {
  it("joins to buildMessage's output for byte contents", async () => {
    expect(await collect(composeMessage(sample))).toEqual(buildMessage(sample));
  });

  it("streams attachments from async iterables and ReadableStreams, and they parse back exactly", async () => {
    const data = Uint8Array.from({ length: 100_000 }, (_, index) => (index * 31) & 0xff);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let offset = 0; offset < data.length; offset += 7777) yield data.subarray(offset, offset + 7777);
    }
    const readable = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.subarray(0, 50_000));
        controller.enqueue(data.subarray(50_000));
        controller.close();
      },
    });
    const bytes = await collect(
      composeMessage({ from: "a@example.com", text: "see attached", attachments: [{ filename: "a.bin", content: pieces() }, { filename: "b.bin", content: readable }] }),
    );
    const parsed = parseMessage(bytes);
    expect(parsed.attachments.map((attachment) => attachment.bytes)).toEqual([data, data]);
    for (const line of latin1Of(bytes).split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
  });

  it("refuses streamed content in buildMessage with a typed error", () => {
    async function* none(): AsyncGenerator<Uint8Array> {}
    expect(() => buildMessage({ from: "a@example.com", attachments: [{ content: none() as never }] })).toThrow(MimeError);
  });
});

describe("byte-exact editing", () => {
  const specs = fc.record({
    subject: fc.string({ maxLength: 40 }).filter((value) => !/[\r\n\0]/.test(value)),
    text: fc.string({ maxLength: 200 }),
    content: fc.uint8Array({ maxLength: 300 }),
    value: fc.string({ maxLength: 60 }).filter((value) => !/[\r\n\0]/.test(value)),
    name: fc.constantFrom("Subject", "X-Added", "Comments"),
  });

  it("setHeaderField changes one field and copies every other byte", () => {
    fc.assert(
      fc.property(specs, ({ subject, text, content, value, name }) => {
        const input = buildMessage({ from: "a@example.com", subject, text, attachments: [{ filename: "f.bin", content }] });
        const parsed = parseMessage(input);
        const edited = setHeaderField(input, parsed.root, name, value);
        const reparsed = parseMessage(edited);
        const decoded = name === "Subject" ? reparsed.subject : getHeader(reparsed.headers, name);
        expect(name === "Subject" ? decoded : decodeWords(decoded ?? "")).toBe(value.trim() === value ? value : decoded);
        // Everything from the first byte after the header block on is untouched.
        const tail = input.subarray(parsed.root.bodyOffset);
        expect(edited.subarray(edited.length - tail.length)).toEqual(tail);
        expect(reparsed.attachments[0]?.bytes).toEqual(content);
        // Every field but the edited one keeps its exact raw bytes.
        for (const field of parsed.root.headers.filter((field) => field.key !== name.toLowerCase())) {
          expect(reparsed.headers.some((other) => other.key === field.key && Buffer.compare(other.raw, field.raw) === 0)).toBe(true);
        }
      }),
    );
  });

  it("replacePart swaps one part and leaves the bytes of the others identical (DKIM over them holds)", () => {
    fc.assert(
      fc.property(specs, ({ text, content }) => {
        const input = buildMessage({ from: "a@example.com", subject: "s", text, html: "<b>x</b>", attachments: [{ filename: "f.bin", content }] });
        const parsed = parseMessage(input);
        const attachment = parsed.root.children[1] as MessagePart;
        const edited = replacePart(input, attachment, bytesOf("Content-Type: application/octet-stream\r\n\r\nreplaced"));
        expect(edited.subarray(0, attachment.offset)).toEqual(input.subarray(0, attachment.offset));
        expect(edited.subarray(edited.length - (input.length - attachment.bodyEnd))).toEqual(input.subarray(attachment.bodyEnd));
        const reparsed = parseMessage(edited);
        expect(reparsed.text).toBe(parsed.text);
        expect(reparsed.html).toBe(parsed.html);
        expect(latin1Of(reparsed.root.children[1]?.body ?? new Uint8Array())).toBe("replaced");
      }),
    );
  });

  it("refuses bad names, CR/LF values and the root part with typed errors", () => {
    const input = bytesOf("Subject: a\r\n\r\nbody");
    const parsed = parseMessage(input);
    expect(() => setHeaderField(input, parsed.root, "Subject", "x\r\nBcc: y")).toThrow(MimeError);
    expect(() => setHeaderField(input, parsed.root, "Bad Name", "x")).toThrow(MimeError);
    expect(() => replacePart(input, parsed.root, bytesOf("x"))).toThrow(MimeError);
    expect(latin1Of(setHeaderField(input, parsed.root, "X-New", "1"))).toBe("Subject: a\r\nX-New: 1\r\n\r\nbody");
  });
});

describe("delivery status (RFC 3464)", () => {
  it("splits per-message and per-recipient fields", () => {
    const status = parseDeliveryStatus(
      bytesOf("Reporting-MTA: dns; mx.example.com\r\nArrival-Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nFinal-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n\r\nFinal-Recipient: rfc822; eve@example.com\r\nAction: delayed\r\nStatus: 4.4.1\r\n"),
    );
    expect(getHeader(status.message, "reporting-mta")).toBe("dns; mx.example.com");
    expect(status.recipients.map((fields) => getHeader(fields, "status"))).toEqual(["5.1.1", "4.4.1"]);
    expect(getHeader(status.recipients[0] ?? [], "diagnostic-code")).toBe("smtp; 550 5.1.1 unknown");
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const status = parseDeliveryStatus(bytes);
        expect(Array.isArray(status.recipients)).toBe(true);
      }),
    );
  });
});

function decodeWords(value: string): string {
  return parseMessage(`Subject: ${value}\r\n\r\n`).subject ?? "";
}
