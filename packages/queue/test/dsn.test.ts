// Delivery status notifications (RFC 3464, RFC 6522, RFC 6533) and the RFC 3461 NOTIFY policy:
// what is built is read back by @smtpkit/mime's parseMessage and parseDeliveryStatus, compared with a real
// Postfix bounce's structure (../shared/corpus when present), and checked for injection and line lengths.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DsnNotify, Mailbox, Reply } from "@smtpkit/grammar";
import { getHeader, parseDeliveryStatus, parseMessage, type MessagePart } from "@smtpkit/mime";
import {
  buildDeliveryStatusNotification,
  DEFAULT_DSN_MAX_RETURNED_SIZE,
  DEFAULT_NOTIFY,
  DSN_MAX_DIAGNOSTIC_LENGTH,
  QueueUsageError,
  shouldNotify,
  type DeliveryStatusNotificationSpec,
  type DsnAction,
  type DsnRecipientReport,
} from "@smtpkit/queue";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const alice: Mailbox = { localPart: "alice", domain: "example.com" };
const bob: Mailbox = { localPart: "bob", domain: "example.org" };
const carol: Mailbox = { localPart: "carol", domain: "example.org" };
const date = new Date(Date.UTC(2026, 10, 29, 16, 0, 0));
const original = encoder.encode(
  "Received: from client.example.com by mta.example.com with ESMTPSA id 1; Sun, 29 Nov 2026 15:00:00 +0000\r\n" +
    "From: Alice <alice@example.com>\r\nTo: bob@example.org, carol@example.org\r\nSubject: Lunch\r\n" +
    "Message-ID: <lunch.1@example.com>\r\n\r\nShall we have lunch?\r\n",
);

function failedSpec(overrides: Partial<DeliveryStatusNotificationSpec> = {}): DeliveryStatusNotificationSpec {
  return {
    reportingMta: "mta.example.com",
    to: alice,
    date,
    arrivalDate: new Date(date.getTime() - 3_600_000),
    envelopeId: "QQ314159",
    recipients: [
      {
        finalRecipient: bob,
        originalRecipient: { addressType: "RFC822", address: "bob@example.org" },
        action: "failed",
        remoteMta: "mx.example.org",
        reply: { code: 550, enhanced: "5.1.1", lines: ["<bob@example.org>: no such user here"] },
        lastAttemptDate: date,
      },
    ],
    original,
    seed: "entry-1",
    ...overrides,
  };
}

function partsOf(bytes: Uint8Array): { root: MessagePart; children: readonly MessagePart[] } {
  const parsed = parseMessage(bytes);
  return { root: parsed.root, children: parsed.root.children };
}

function statusOf(bytes: Uint8Array) {
  const part = partsOf(bytes).children[1];
  expect(part?.body).toBeDefined();
  return parseDeliveryStatus(part!.body!);
}

function embedded(bytes: Uint8Array): Uint8Array {
  const part = partsOf(bytes).children[2]!;
  return bytes.subarray(part.bodyOffset, part.bodyEnd);
}

describe("buildDeliveryStatusNotification: structure (RFC 3464 §2, RFC 6522)", () => {
  it("is a multipart/report with a text part, a delivery-status part and the original", () => {
    const dsn = buildDeliveryStatusNotification(failedSpec());
    const parsed = parseMessage(dsn.content);
    expect(parsed.root.info.mediaType).toBe("multipart/report");
    expect(parsed.root.info.parameters["report-type"]).toBe("delivery-status");
    expect(parsed.root.children.map((part) => part.info.mediaType)).toEqual(["text/plain", "message/delivery-status", "message/rfc822"]);
    expect(getHeader(parsed.headers, "from")).toBe("Mail Delivery System <MAILER-DAEMON@mta.example.com>");
    expect(getHeader(parsed.headers, "to")).toBe("<alice@example.com>");
    expect(getHeader(parsed.headers, "auto-submitted")).toBe("auto-replied");
    expect(getHeader(parsed.headers, "date")).toBe("Sun, 29 Nov 2026 16:00:00 +0000");
    expect(getHeader(parsed.headers, "mime-version")).toBe("1.0");
    expect(getHeader(parsed.headers, "message-id")).toMatch(/^<[0-9a-f]{16}\.dsn@mta\.example\.com>$/);
    expect(dsn).toMatchObject({ body: "7BIT", smtputf8: false, returned: "full" });
    expect(parsed.text).toContain("This is the mail system at mta.example.com.");
    expect(parsed.text).toContain("<bob@example.org>: failed (5.1.1)");
    expect(parsed.text).toContain("mx.example.org said: 550 5.1.1 <bob@example.org>: no such user here");
  });

  it("a failure of this system's own (no Remote-MTA: a loop, a null MX) is given as the reason, not as what a server said", () => {
    const [recipient] = failedSpec().recipients;
    const { remoteMta: _remote, ...own } = recipient!;
    const dsn = buildDeliveryStatusNotification(failedSpec({ recipients: [{ ...own, reply: { code: 554, enhanced: "5.4.6", lines: ["Routing loop detected"] } }] }));
    const parsed = parseMessage(dsn.content);
    expect(parsed.text).toContain("reason: 554 5.4.6 Routing loop detected");
    expect(parsed.text).not.toContain("said");
    expect(statusOf(dsn.content).recipients[0]!.map((field) => field.name)).not.toContain("Remote-MTA");
  });

  it("writes the per-message and per-recipient fields parseDeliveryStatus reads back", () => {
    const status = statusOf(buildDeliveryStatusNotification(failedSpec()).content);
    expect(status.message.map((field) => [field.name, field.value])).toEqual([
      ["Reporting-MTA", "dns; mta.example.com"],
      ["Original-Envelope-Id", "QQ314159"],
      ["Arrival-Date", "Sun, 29 Nov 2026 15:00:00 +0000"],
    ]);
    expect(status.recipients).toHaveLength(1);
    expect(status.recipients[0]!.map((field) => [field.name, field.value])).toEqual([
      ["Original-Recipient", "rfc822; bob@example.org"],
      ["Final-Recipient", "rfc822; bob@example.org"],
      ["Action", "failed"],
      ["Status", "5.1.1"],
      ["Remote-MTA", "dns; mx.example.org"],
      ["Diagnostic-Code", "smtp; 550 5.1.1 <bob@example.org>: no such user here"],
      ["Last-Attempt-Date", "Sun, 29 Nov 2026 16:00:00 +0000"],
    ]);
  });

  it("returns the original byte for byte as message/rfc822 (RET=FULL)", () => {
    const dsn = buildDeliveryStatusNotification(failedSpec({ ret: "FULL" }));
    expect(decoder.decode(embedded(dsn.content))).toBe(decoder.decode(original));
    const inner = partsOf(dsn.content).children[2]!.children[0]!;
    expect(getHeader(inner.headers, "subject")).toBe("Lunch");
  });

  it("returns only the header as text/rfc822-headers for RET=HDRS", () => {
    const dsn = buildDeliveryStatusNotification(failedSpec({ ret: "HDRS" }));
    expect(dsn.returned).toBe("headers");
    const part = partsOf(dsn.content).children[2]!;
    expect(part.info.mediaType).toBe("text/rfc822-headers");
    const text = decoder.decode(part.body);
    expect(text).toContain("Subject: Lunch\r\n");
    expect(text).not.toContain("Shall we have lunch?");
  });

  it("returns only the header of a message bigger than maxReturnedSize, even with RET=FULL (Postfix's bounce_size_limit)", () => {
    expect(DEFAULT_DSN_MAX_RETURNED_SIZE).toBe(50_000);
    const big = encoder.encode(`Subject: big\r\n\r\n${"x".repeat(76)}\r\n`.repeat(1000));
    expect(buildDeliveryStatusNotification(failedSpec({ ret: "FULL", original: big })).returned).toBe("headers");
    expect(buildDeliveryStatusNotification(failedSpec({ ret: "FULL", original: big, maxReturnedSize: big.length })).returned).toBe("full");
    expect(buildDeliveryStatusNotification(failedSpec({ original: big, maxReturnedSize: big.length - 1 })).returned).toBe("headers");
  });

  it("returns only the header in delay and success reports (RFC 3461 §4.3: RET is about failures)", () => {
    for (const action of ["delayed", "delivered", "relayed", "expanded"] as const) {
      const dsn = buildDeliveryStatusNotification(failedSpec({ ret: "FULL", recipients: [{ finalRecipient: bob, action }] }));
      expect(dsn.returned).toBe("headers");
      const status = statusOf(dsn.content);
      expect(getHeader(status.recipients[0]!, "action")).toBe(action);
      expect(getHeader(status.recipients[0]!, "status")).toBe(action === "delayed" ? "4.0.0" : "2.0.0");
    }
  });

  it("writes Will-Retry-Until for delayed recipients only (RFC 3464 §2.3.8)", () => {
    const until = new Date(date.getTime() + 4 * 86_400_000);
    const dsn = buildDeliveryStatusNotification(
      failedSpec({
        recipients: [
          { finalRecipient: bob, action: "delayed", willRetryUntil: until, reply: { code: 451, enhanced: "4.3.0", lines: ["try later"] } },
          { finalRecipient: carol, action: "failed", willRetryUntil: until },
        ],
      }),
    );
    const status = statusOf(dsn.content);
    expect(getHeader(status.recipients[0]!, "will-retry-until")).toBe("Thu, 3 Dec 2026 16:00:00 +0000");
    expect(getHeader(status.recipients[0]!, "status")).toBe("4.3.0");
    expect(getHeader(status.recipients[1]!, "will-retry-until")).toBeUndefined();
    expect(getHeader(parseMessage(dsn.content).headers, "subject")).toContain("could not be delivered");
  });

  it("derives the status from the reply's class when it has no enhanced code", () => {
    const dsn = buildDeliveryStatusNotification(failedSpec({ recipients: [{ finalRecipient: bob, action: "failed", reply: { code: 554, lines: ["go away"] } }] }));
    const group = statusOf(dsn.content).recipients[0]!;
    expect(getHeader(group, "status")).toBe("5.0.0");
    expect(getHeader(group, "diagnostic-code")).toBe("smtp; 554 go away");
  });

  it("is deterministic: equal specs give equal bytes, another seed another boundary and Message-ID", () => {
    const first = buildDeliveryStatusNotification(failedSpec());
    expect(buildDeliveryStatusNotification(failedSpec()).content).toEqual(first.content);
    const other = buildDeliveryStatusNotification(failedSpec({ seed: "entry-2" }));
    const boundary = (bytes: Uint8Array) => parseMessage(bytes).root.info.parameters["boundary"];
    expect(boundary(other.content)).not.toBe(boundary(first.content));
    expect(getHeader(parseMessage(other.content).headers, "message-id")).not.toBe(getHeader(parseMessage(first.content).headers, "message-id"));
  });

  it("chooses another boundary when the original holds the first choice", () => {
    const first = buildDeliveryStatusNotification(failedSpec());
    const boundary = parseMessage(first.content).root.info.parameters["boundary"]!;
    // Same seed, same reports, but the original now contains the delimiter the first build used.
    const tricky = encoder.encode(`Subject: x\r\n\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nfake\r\n--${boundary}--\r\n`);
    const dsn = buildDeliveryStatusNotification(failedSpec({ original: tricky }));
    const parsed = parseMessage(dsn.content);
    expect(parsed.root.info.parameters["boundary"]).not.toBe(boundary);
    expect(parsed.root.children).toHaveLength(3);
    expect(embedded(dsn.content)).toEqual(tricky);
  });

  it("returns the header of an original that is not 8BITMIME-clean (a bare LF, NUL or 1000-octet line cannot go in message/rfc822)", () => {
    for (const body of ["bare\nLF\r\n", "nul\u0000\r\n", `${"y".repeat(1000)}\r\n`]) {
      const dsn = buildDeliveryStatusNotification(failedSpec({ original: encoder.encode(`Subject: s\r\n\r\n${body}`) }));
      expect(dsn.returned).toBe("headers");
      expect(decoder.decode(partsOf(dsn.content).children[2]!.body)).toBe("Subject: s\r\n");
    }
  });

  it("marks 8-bit originals: Content-Transfer-Encoding 8bit and BODY=8BITMIME", () => {
    const dsn = buildDeliveryStatusNotification(failedSpec({ original: encoder.encode("Subject: café\r\n\r\nDéjà vu\r\n") }));
    expect(dsn.body).toBe("8BITMIME");
    const parsed = parseMessage(dsn.content);
    expect(getHeader(parsed.headers, "content-transfer-encoding")).toBe("8bit");
    expect(getHeader(parsed.root.children[2]!.headers, "content-transfer-encoding")).toBe("8bit");
  });
});

describe("buildDeliveryStatusNotification: SMTPUTF8 (RFC 6533)", () => {
  const utf8Recipient: Mailbox = { localPart: "θσερ", domain: "例え.jp" };
  it("is a global delivery status with UTF-8 addresses", () => {
    const dsn = buildDeliveryStatusNotification(
      failedSpec({
        smtputf8: true,
        to: { localPart: "алиса", domain: "example.com" },
        recipients: [{ finalRecipient: utf8Recipient, originalRecipient: { addressType: "UTF-8", address: "θσερ@例え.jp" }, action: "failed", reply: { code: 550, enhanced: "5.1.1", lines: ["άγνωστος"] } }],
        original: encoder.encode("Subject: Γειά\r\n\r\nκείμενο\r\n"),
      }),
    );
    expect(dsn).toMatchObject({ smtputf8: true, body: "8BITMIME", returned: "full" });
    const parsed = parseMessage(dsn.content);
    expect(parsed.root.info.parameters["report-type"]).toBe("global-delivery-status");
    expect(parsed.root.children.map((part) => part.info.mediaType)).toEqual(["text/plain", "message/global-delivery-status", "message/global"]);
    expect(getHeader(parsed.headers, "to")).toBe("<алиса@example.com>");
    const status = parseDeliveryStatus(parsed.root.children[1]!.body!);
    expect(getHeader(status.recipients[0]!, "final-recipient")).toBe("utf-8; θσερ@例え.jp");
    expect(getHeader(status.recipients[0]!, "original-recipient")).toBe("utf-8; θσερ@例え.jp");
    expect(getHeader(status.recipients[0]!, "diagnostic-code")).toBe("smtp; 550 5.1.1 άγνωστος");
  });

  it("uses message/global-headers for the header only", () => {
    const dsn = buildDeliveryStatusNotification(failedSpec({ smtputf8: true, ret: "HDRS" }));
    expect(parseMessage(dsn.content).root.children[2]!.info.mediaType).toBe("message/global-headers");
  });

  it("without SMTPUTF8: refuses a UTF-8 address of its own, encodes a UTF-8 ORCPT as utf-8-addr-xtext and writes remote UTF-8 text as '?'", () => {
    expect(() => buildDeliveryStatusNotification(failedSpec({ recipients: [{ finalRecipient: utf8Recipient, action: "failed" }] }))).toThrow(QueueUsageError);
    const dsn = buildDeliveryStatusNotification(
      failedSpec({ recipients: [{ finalRecipient: bob, originalRecipient: { addressType: "UTF-8", address: "θ@example.org" }, action: "failed", reply: { code: 550, lines: ["άγνωστος user"] } }] }),
    );
    expect(dsn.body).toBe("7BIT");
    const group = statusOf(dsn.content).recipients[0]!;
    expect(getHeader(group, "original-recipient")).toBe("utf-8; \\x{3B8}@example.org");
    expect(getHeader(group, "diagnostic-code")).toBe("smtp; 550 ???????? user");
  });
});

describe("buildDeliveryStatusNotification: hostile input and misuse", () => {
  const injections = ["a\r\nBcc: x@example.net", "a\nX: y", "a\rb", "a\u0000b", "a\u0007b"];

  it("refuses CR, LF, NUL and controls in every caller field (no header injection)", () => {
    for (const bad of injections) {
      const cases: Partial<DeliveryStatusNotificationSpec>[] = [
        { reportingMta: bad },
        { to: { localPart: bad, domain: "example.com" } },
        { to: { localPart: "alice", domain: bad } },
        { envelopeId: bad },
        { recipients: [{ finalRecipient: { localPart: bad, domain: "example.org" }, action: "failed" }] },
        { recipients: [{ finalRecipient: bob, originalRecipient: { addressType: "rfc822", address: bad }, action: "failed" }] },
        { recipients: [{ finalRecipient: bob, originalRecipient: { addressType: bad, address: "bob@example.org" }, action: "failed" }] },
      ];
      for (const overrides of cases) {
        let caught: unknown;
        try {
          buildDeliveryStatusNotification(failedSpec(overrides));
        } catch (error) {
          caught = error;
        }
        expect(QueueUsageError.isInstance(caught), JSON.stringify(overrides)).toBe(true);
        expect((caught as QueueUsageError).reason).toBe("invalid-option");
      }
    }
  });

  it("refuses malformed statuses, dates, actions, empty recipient lists and bad limits", () => {
    const bad: Partial<DeliveryStatusNotificationSpec>[] = [
      { recipients: [] },
      { recipients: [{ finalRecipient: bob, action: "failed", status: "3.0.0" }] },
      { recipients: [{ finalRecipient: bob, action: "failed", status: "5.01.1" }] },
      { recipients: [{ finalRecipient: bob, action: "bounced" as DsnAction }] },
      { recipients: [{ finalRecipient: bob, action: "failed", lastAttemptDate: new Date(Number.NaN) }] },
      { date: new Date("not a date") },
      { reportingMta: "mta example.com" },
      { ret: "ALL" as "FULL" },
    ];
    for (const overrides of bad) expect(() => buildDeliveryStatusNotification(failedSpec(overrides)), JSON.stringify(overrides)).toThrow(QueueUsageError);
    for (const maxReturnedSize of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => buildDeliveryStatusNotification(failedSpec({ maxReturnedSize }))).toThrow(expect.objectContaining({ reason: "invalid-limit" }));
    }
  });

  it("keeps a hostile server's reply on one field: controls become spaces, the text is bounded", () => {
    const reply: Reply = { code: 550, enhanced: "5.7.1", lines: ["evil\r\nBcc: victim@example.net", "x".repeat(5000), "\u0000\u001b[31m"] };
    const dsn = buildDeliveryStatusNotification(failedSpec({ recipients: [{ finalRecipient: bob, action: "failed", reply, remoteMta: "mx\r\nX-Evil: 1" }] }));
    const parsed = parseMessage(dsn.content);
    expect(getHeader(parsed.headers, "bcc")).toBeUndefined();
    const group = statusOf(dsn.content).recipients[0]!;
    expect(group.map((field) => field.key)).toEqual(["final-recipient", "action", "status", "remote-mta", "diagnostic-code"]);
    expect(getHeader(group, "remote-mta")).toBe("dns; mxX-Evil:1");
    const diagnostic = getHeader(group, "diagnostic-code")!;
    expect(diagnostic.startsWith("smtp; 550 5.7.1 evil Bcc: victim@example.net x")).toBe(true);
    expect(diagnostic.length).toBeLessThanOrEqual("smtp; 550 5.7.1 ".length + DSN_MAX_DIAGNOSTIC_LENGTH + 10);
  });
});

// Generators: addresses from an SMTP-ish alphabet, replies from arbitrary (hostile) strings.
const atom = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}$/);
const domain = fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,3}$/);
const mailbox = fc.record({ localPart: atom, domain });
const action = fc.constantFrom<DsnAction>("failed", "delayed", "delivered", "relayed", "expanded");
const reply = fc.record(
  {
    code: fc.integer({ min: 200, max: 599 }),
    enhanced: fc.constantFrom("5.1.1", "4.4.1", "2.0.0", "5.7.1", "bogus"),
    lines: fc.array(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 100 })), { minLength: 1, maxLength: 4 }),
  },
  { requiredKeys: ["code", "lines"] },
);
const report: fc.Arbitrary<DsnRecipientReport> = fc.record(
  {
    finalRecipient: mailbox,
    action,
    originalRecipient: fc.record({ addressType: fc.constant("rfc822"), address: fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((text) => !/[\u0000-\u001f\u007f\ud800-\udfff]/.test(text)) }),
    remoteMta: fc.oneof(domain, fc.string({ maxLength: 40 })),
    reply,
    lastAttemptDate: fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true }),
    willRetryUntil: fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true }),
  },
  { requiredKeys: ["finalRecipient", "action"] },
);
const originalMessage = fc
  .tuple(fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,15}$/), fc.string({ maxLength: 60 }).map((text) => text.replace(/[\r\n]/g, " "))), { maxLength: 6 }), fc.string({ maxLength: 500 }))
  .map(([fields, body]) => encoder.encode(`${fields.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n${body.replace(/\r?\n|\r/g, "\r\n")}`));

describe("buildDeliveryStatusNotification: properties", () => {
  it("round trip: parseMessage and parseDeliveryStatus read back every recipient's fields, in order", () => {
    fc.assert(
      fc.property(fc.array(report, { minLength: 1, maxLength: 5 }), originalMessage, fc.boolean(), fc.constantFrom(undefined, "FULL", "HDRS"), (reports, message, utf8, ret) => {
        const dsn = buildDeliveryStatusNotification({ reportingMta: "mta.example.com", to: alice, date, recipients: reports, original: message, smtputf8: utf8, ...(ret === undefined ? {} : { ret }) });
        const parsed = parseMessage(dsn.content);
        expect(parsed.root.children).toHaveLength(3);
        expect(parsed.root.children[1]!.info.mediaType).toBe(utf8 ? "message/global-delivery-status" : "message/delivery-status");
        const status = parseDeliveryStatus(parsed.root.children[1]!.body!);
        expect(getHeader(status.message, "reporting-mta")).toBe("dns; mta.example.com");
        expect(status.recipients).toHaveLength(reports.length);
        reports.forEach((each, index) => {
          const group = status.recipients[index]!;
          expect(getHeader(group, "final-recipient")).toBe(`rfc822; ${each.finalRecipient.localPart}@${each.finalRecipient.domain}`);
          expect(getHeader(group, "action")).toBe(each.action);
          expect(getHeader(group, "status")).toMatch(/^[245]\.\d{1,3}\.\d{1,3}$/);
          if (each.reply !== undefined) expect(getHeader(group, "diagnostic-code")).toMatch(new RegExp(`^smtp; ${each.reply.code}( |$)`));
          expect(getHeader(group, "will-retry-until") !== undefined).toBe(each.action === "delayed" && each.willRetryUntil !== undefined);
        });
        // The original part is the original (whole) or exactly its header block.
        const third = parsed.root.children[2]!;
        const returned = dsn.content.subarray(third.bodyOffset, third.bodyEnd);
        if (dsn.returned === "full") expect(returned).toEqual(message);
        else expect(decoder.decode(message).startsWith(decoder.decode(returned))).toBe(true);
        expect(dsn.returned === "full").toBe(reports.some((each) => each.action === "failed") && ret !== "HDRS");
      }),
      { numRuns: 150 },
    );
  });

  it("every line the builder writes ends in CRLF and fits in 998 octets; its header has only its own fields", () => {
    fc.assert(
      fc.property(fc.array(report, { minLength: 1, maxLength: 5 }), fc.boolean(), (reports, utf8) => {
        const small = encoder.encode("Subject: s\r\n\r\nbody\r\n");
        const dsn = buildDeliveryStatusNotification({ reportingMta: "mta.example.com", to: alice, date, recipients: reports, original: small, smtputf8: utf8 });
        const lines = dsn.content;
        const problems: string[] = [];
        let start = 0;
        for (let index = 0; index < lines.length; index += 1) {
          if (lines[index] === 0x0a) {
            if (lines[index - 1] !== 0x0d) problems.push(`bare LF at ${index}`);
            if (index - 1 - start > 998) problems.push(`line of ${index - 1 - start} octets at ${start}`);
            start = index + 1;
          } else if (lines[index] === 0x0d && lines[index + 1] !== 0x0a) problems.push(`bare CR at ${index}`);
          else if (lines[index] === 0) problems.push(`NUL at ${index}`);
        }
        expect(problems).toEqual([]);
        expect(start).toBe(lines.length);
        const names = parseMessage(dsn.content).headers.map((field) => field.key);
        expect(names).toEqual(["from", "to", "subject", "date", "message-id", "auto-submitted", "mime-version", "content-type", "content-transfer-encoding"]);
        const status = parseDeliveryStatus(parseMessage(dsn.content).root.children[1]!.body!);
        const allowed = new Set(["original-recipient", "final-recipient", "action", "status", "remote-mta", "diagnostic-code", "last-attempt-date", "will-retry-until"]);
        for (const group of status.recipients) for (const field of group) expect(allowed.has(field.key), field.name).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("random caller text gives a DSN or a QueueUsageError, never another exception", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), (host, local, envid) => {
        try {
          const dsn = buildDeliveryStatusNotification({
            reportingMta: host,
            to: { localPart: local, domain: "example.com" },
            envelopeId: envid,
            date,
            recipients: [{ finalRecipient: bob, action: "failed" }],
            original,
          });
          expect(parseMessage(dsn.content).root.children).toHaveLength(3);
        } catch (error) {
          expect(QueueUsageError.isInstance(error)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("compared with real bounces", () => {
  const corpus = "/work/shared/corpus/mikel-mail/spec/fixtures/emails/multipart_report_emails/multi_address_bounce1.eml";
  const present = existsSync(corpus);

  it("has the structure of a real Postfix bounce (part types, field names and order) when the corpus is at hand", () => {
    // ../shared/corpus is the team's read-only copy of mikel/mail's fixtures (MIT): a Postfix 2.x bounce from 2010.
    const ours = parseMessage(buildDeliveryStatusNotification(failedSpec({ recipients: [{ finalRecipient: bob, action: "failed", remoteMta: "mx.example.org", reply: { code: 550, enhanced: "5.1.1", lines: ["no"] } }] })).content);
    const shape = (message: ReturnType<typeof parseMessage>) => ({
      type: message.root.info.mediaType,
      reportType: message.root.info.parameters["report-type"],
      parts: message.root.children.map((part) => part.info.mediaType),
      autoSubmitted: getHeader(message.headers, "auto-submitted"),
      fromMailerDaemon: /MAILER-DAEMON@/i.test(getHeader(message.headers, "from") ?? ""),
    });
    const expected = { type: "multipart/report", reportType: "delivery-status", parts: ["text/plain", "message/delivery-status", "message/rfc822"], autoSubmitted: "auto-replied", fromMailerDaemon: true };
    expect(shape(ours)).toEqual(expected);
    if (!present) return;
    const theirs = parseMessage(new Uint8Array(readFileSync(corpus)));
    expect(shape(theirs)).toEqual(expected);
    const standard = new Set(["reporting-mta", "original-envelope-id", "arrival-date", "original-recipient", "final-recipient", "action", "status", "remote-mta", "diagnostic-code", "last-attempt-date", "will-retry-until"]);
    const theirStatus = parseDeliveryStatus(theirs.root.children[1]!.body!);
    const ourStatus = parseDeliveryStatus(ours.root.children[1]!.body!);
    // The standard fields Postfix writes for a failed recipient, in its order, are the ones we write. Postfix puts
    // Original-Recipient after Final-Recipient; RFC 3464 §2.3's ABNF puts it first, as we do: compared without it.
    const standardKeys = (group: readonly { key: string }[]) => group.map((field) => field.key).filter((key) => standard.has(key) && key !== "original-recipient");
    expect(standardKeys(ourStatus.recipients[0]!)).toEqual(standardKeys(theirStatus.recipients[0]!));
    expect(standardKeys(ourStatus.message)).toEqual(["reporting-mta", "original-envelope-id", "arrival-date"]);
    expect(standardKeys(theirStatus.message)).toEqual(["reporting-mta", "arrival-date"]);
  });

  const python = (() => {
    try {
      execFileSync("python3", ["-c", "import email"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it("Python's email package (an independent MIME reader) finds the report, its recipient groups and the returned message", () => {
    const script = [
      "import sys, email, json",
      "from email import policy",
      "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.compat32)",
      "parts = m.get_payload()",
      "status = parts[1].get_payload()",
      "inner = parts[2].get_payload()[0]",
      "print(json.dumps({'type': m.get_content_type(), 'report': m.get_param('report-type'), 'defects': [str(d) for d in m.defects],",
      "  'groups': [dict(g.items()) for g in status], 'subject': inner['Subject']}))",
    ].join("\n");
    const dsn = buildDeliveryStatusNotification(
      failedSpec({
        recipients: [
          { finalRecipient: bob, action: "failed", status: "5.1.1", reply: { code: 550, enhanced: "5.1.1", lines: ["no such user"] } },
          { finalRecipient: carol, action: "delayed", reply: { code: 451, enhanced: "4.4.1", lines: ["no answer"] } },
        ],
      }),
    );
    if (!python) {
      // Without python3 the independent check cannot run; the structure is still checked by @smtpkit/mime above.
      expect(parseMessage(dsn.content).root.children).toHaveLength(3);
      return;
    }
    const result = JSON.parse(execFileSync("python3", ["-c", script], { input: dsn.content }).toString()) as {
      type: string;
      report: string;
      defects: string[];
      groups: Record<string, string>[];
      subject: string;
    };
    expect(result.type).toBe("multipart/report");
    expect(result.report).toBe("delivery-status");
    expect(result.defects).toEqual([]);
    expect(result.groups).toHaveLength(3);
    expect(result.groups[1]!["Action"]).toBe("failed");
    expect(result.groups[2]!["Action"]).toBe("delayed");
    expect(result.groups[2]!["Status"]).toBe("4.4.1");
    expect(result.subject).toBe("Lunch");
  });
});

describe("shouldNotify (RFC 3461 §4.1, RFC 5321 §4.5.5)", () => {
  const sender = "alice@example.com";
  it("follows NOTIFY, defaulting to FAILURE,DELAY", () => {
    expect(DEFAULT_NOTIFY).toEqual(["FAILURE", "DELAY"]);
    const table: [DsnNotify[] | undefined, DsnAction, boolean][] = [
      [undefined, "failed", true],
      [undefined, "delayed", true],
      [undefined, "delivered", false],
      [undefined, "relayed", false],
      [["NEVER"], "failed", false],
      [["NEVER"], "delayed", false],
      [["SUCCESS"], "delivered", true],
      [["SUCCESS"], "relayed", true],
      [["SUCCESS"], "expanded", true],
      [["SUCCESS"], "failed", false],
      [["FAILURE"], "failed", true],
      [["FAILURE"], "delayed", false],
      [["DELAY"], "delayed", true],
      [["DELAY"], "failed", false],
      [["SUCCESS", "FAILURE", "DELAY"], "failed", true],
      [[], "failed", true],
    ];
    for (const [notify, action, expected] of table) expect(shouldNotify({ reversePath: sender, notify, action }), `${JSON.stringify(notify)} ${action}`).toBe(expected);
  });

  it("sends a delay notice once", () => {
    expect(shouldNotify({ reversePath: sender, notify: ["DELAY"], action: "delayed", delayAlreadyNotified: false })).toBe(true);
    expect(shouldNotify({ reversePath: sender, notify: ["DELAY"], action: "delayed", delayAlreadyNotified: true })).toBe(false);
    // A failure after a delay notice is still reported.
    expect(shouldNotify({ reversePath: sender, notify: undefined, action: "failed", delayAlreadyNotified: true })).toBe(true);
  });

  it("law: nothing is ever sent to the null reverse-path, nor under NEVER", () => {
    const notify = fc.option(fc.subarray<DsnNotify>(["SUCCESS", "FAILURE", "DELAY"]), { nil: undefined });
    fc.assert(
      fc.property(notify, action, fc.boolean(), (list, event, delayed) => {
        expect(shouldNotify({ reversePath: null, notify: list, action: event, delayAlreadyNotified: delayed })).toBe(false);
        expect(shouldNotify({ reversePath: "", notify: list, action: event, delayAlreadyNotified: delayed })).toBe(false);
        expect(shouldNotify({ reversePath: sender, notify: ["NEVER"], action: event, delayAlreadyNotified: delayed })).toBe(false);
      }),
    );
  });

  it("refuses unknown actions and NOTIFY values", () => {
    expect(() => shouldNotify({ reversePath: sender, notify: undefined, action: "bounced" as DsnAction })).toThrow(QueueUsageError);
    expect(() => shouldNotify({ reversePath: sender, notify: ["ALWAYS" as DsnNotify], action: "failed" })).toThrow(QueueUsageError);
  });
});
