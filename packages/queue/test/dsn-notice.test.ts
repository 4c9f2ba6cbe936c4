// From queue notices to DSNs: who is reported (RFC 3461 §4.1 through shouldNotify, relayed vs delivered),
// how much of the original is read and returned, and the <> envelope of the result.
import { describe, expect, it } from "vitest";
import type { Mailbox } from "@smtpkit/grammar";
import { getHeader, parseDeliveryStatus, parseMessage } from "@smtpkit/mime";
import {
  createDsnNotifier,
  DSN_MAX_RECIPIENTS,
  notificationForNotice,
  QueueUsageError,
  type DeliveryNotice,
  type NoticeRecipient,
  type QueueEnvelope,
  type QueueRecipient,
} from "@smtpkit/queue";

const encoder = new TextEncoder();
const alice: Mailbox = { localPart: "alice", domain: "example.com" };
const bob: QueueRecipient = { to: { localPart: "bob", domain: "example.org" }, orcpt: { addressType: "RFC822", address: "bob@example.org" } };
const carol: QueueRecipient = { to: { localPart: "carol", domain: "example.org" }, notify: ["SUCCESS", "FAILURE"] };
const dave: QueueRecipient = { to: { localPart: "dave", domain: "example.org" }, notify: ["NEVER"] };
const message = encoder.encode("Received: from client by mta.example.com; Sun, 29 Nov 2026 15:00:00 +0000\r\nSubject: Hi\r\n\r\nHello\r\n");

function notice(action: DeliveryNotice["action"], recipients: { recipient: QueueRecipient; relayed?: boolean; code?: number }[], overrides: Partial<QueueEnvelope> = {}, content = message) {
  const reads: number[] = [];
  const envelope: QueueEnvelope = { from: alice, recipients: recipients.map((item) => item.recipient), body: "7BIT", smtputf8: false, requireTls: false, envid: "E1", ...overrides };
  const value: DeliveryNotice = {
    action,
    reportingMta: "mta.example.com",
    time: Date.UTC(2026, 10, 29, 16, 0, 0),
    entry: {
      id: "entry-1",
      receivedAt: Date.UTC(2026, 10, 29, 15, 0, 0),
      size: content.length,
      hops: 1,
      from: envelope.from === null ? "" : "alice@example.com",
      envelope,
      recipients: [],
    },
    recipients: recipients.map(
      (item, index): NoticeRecipient => ({
        index,
        recipient: item.recipient,
        address: `${item.recipient.to.localPart}@${item.recipient.to.domain}`,
        reply: { code: item.code ?? 550, enhanced: `${String(item.code ?? 550)[0]}.1.1`, text: "no such user\nreally", remoteMta: "mx.example.org [127.0.0.1]" },
        lastAttemptAt: Date.UTC(2026, 10, 29, 15, 59, 0),
        willRetryUntil: action === "delayed" ? Date.UTC(2026, 11, 4, 15, 0, 0) : undefined,
        relayed: item.relayed ?? false,
      }),
    ),
    async readOriginal(maxBytes: number) {
      reads.push(maxBytes);
      return content.subarray(0, maxBytes);
    },
  };
  return { notice: value, reads };
}

describe("notificationForNotice", () => {
  it("reports failed recipients to the sender from <>, with the queue's reply and remote host", async () => {
    const { notice: failed, reads } = notice("failed", [{ recipient: bob }, { recipient: dave }]);
    const prepared = await notificationForNotice(failed);
    expect(prepared?.envelope).toEqual({ from: null, recipients: [{ to: alice }], body: "7BIT", smtputf8: false, requireTls: false });
    expect(reads).toEqual([message.length]);
    const parsed = parseMessage(prepared!.notification.content);
    expect(getHeader(parsed.headers, "to")).toBe("<alice@example.com>");
    const status = parseDeliveryStatus(parsed.root.children[1]!.body!);
    expect(getHeader(status.message, "original-envelope-id")).toBe("E1");
    expect(getHeader(status.message, "arrival-date")).toBe("Sun, 29 Nov 2026 15:00:00 +0000");
    // dave asked NOTIFY=NEVER: only bob is reported.
    expect(status.recipients.map((group) => group.map((field) => [field.name, field.value]))).toEqual([
      [
        ["Original-Recipient", "rfc822; bob@example.org"],
        ["Final-Recipient", "rfc822; bob@example.org"],
        ["Action", "failed"],
        ["Status", "5.1.1"],
        ["Remote-MTA", "dns; mx.example.org"],
        ["Diagnostic-Code", "smtp; 550 5.1.1 no such user really"],
        ["Last-Attempt-Date", "Sun, 29 Nov 2026 15:59:00 +0000"],
      ],
    ]);
    expect(prepared!.notification.returned).toBe("full");
  });

  it("sends nothing when no recipient asked (NEVER), or for a message from <>", async () => {
    expect(await notificationForNotice(notice("failed", [{ recipient: dave }]).notice)).toBeUndefined();
    expect(await notificationForNotice(notice("failed", [{ recipient: bob }], { from: null }).notice)).toBeUndefined();
  });

  it("reports success only for NOTIFY=SUCCESS, and only as relayed when the next hop had no DSN (else it reports)", async () => {
    expect(await notificationForNotice(notice("delivered", [{ recipient: bob, relayed: true, code: 250 }]).notice)).toBeUndefined();
    expect(await notificationForNotice(notice("delivered", [{ recipient: carol, relayed: false, code: 250 }]).notice)).toBeUndefined();
    const prepared = await notificationForNotice(notice("delivered", [{ recipient: carol, relayed: true, code: 250 }]).notice);
    const group = parseDeliveryStatus(parseMessage(prepared!.notification.content).root.children[1]!.body!).recipients[0]!;
    expect(getHeader(group, "action")).toBe("relayed");
    expect(getHeader(group, "status")).toBe("2.1.1");
    expect(prepared!.notification.returned).toBe("headers");
  });

  it("reports delays with Will-Retry-Until, under the default NOTIFY", async () => {
    const prepared = await notificationForNotice(notice("delayed", [{ recipient: bob, code: 451 }]).notice);
    const group = parseDeliveryStatus(parseMessage(prepared!.notification.content).root.children[1]!.body!).recipients[0]!;
    expect(getHeader(group, "action")).toBe("delayed");
    expect(getHeader(group, "will-retry-until")).toBe("Fri, 4 Dec 2026 15:00:00 +0000");
  });

  it("reads at most one octet past the limit, and returns only the header of a bigger message", async () => {
    const big = encoder.encode(`Subject: big\r\n\r\n${"z".repeat(998)}\r\n`.repeat(200));
    const { notice: failed, reads } = notice("failed", [{ recipient: bob }], { ret: "FULL" }, big);
    const prepared = await notificationForNotice(failed, { maxReturnedSize: 1000 });
    expect(reads).toEqual([1001]);
    expect(prepared!.notification.returned).toBe("headers");
    const part = parseMessage(prepared!.notification.content).root.children[2]!;
    expect(new TextDecoder().decode(part.body)).toBe("Subject: big\r\n");
    await expect(notificationForNotice(failed, { maxReturnedSize: -1 })).rejects.toThrow(QueueUsageError);
  });
});

describe("createDsnNotifier", () => {
  it("sends one prepared DSN per notice that needs one, and passes a send failure on (the queue retries)", async () => {
    const sent: unknown[] = [];
    const notifier = createDsnNotifier(async (prepared) => {
      sent.push(prepared.envelope.recipients[0]!.to);
    });
    await notifier(notice("failed", [{ recipient: bob }]).notice);
    await notifier(notice("failed", [{ recipient: dave }]).notice);
    expect(sent).toEqual([alice]);
    const failing = createDsnNotifier(async () => {
      throw new Error("disk full");
    });
    await expect(failing(notice("failed", [{ recipient: bob }]).notice)).rejects.toThrow("disk full");
    expect(() => createDsnNotifier("nope" as never)).toThrow(QueueUsageError);
    // More recipients than one report may hold (DSN_MAX_RECIPIENTS): several reports, every recipient in one of them.
    const many = Array.from({ length: DSN_MAX_RECIPIENTS + 5 }, (_, index) => ({ recipient: { to: { localPart: `user${index}`, domain: "example.org" } } }));
    const reported: number[] = [];
    await createDsnNotifier(async (prepared) => {
      reported.push(parseDeliveryStatus(parseMessage(prepared.notification.content).root.children[1]!.body!).recipients.length);
    })(notice("failed", many).notice);
    expect(reported).toEqual([DSN_MAX_RECIPIENTS, 5]);
    expect(() => createDsnNotifier(async () => undefined, { maxReturnedSize: 1.5 })).toThrow(QueueUsageError);
  });
});
