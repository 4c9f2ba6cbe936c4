/**
 * From the queue's notices to delivery status notifications: the notifier
 * that turns a {@link DeliveryNotice} (some recipients failed, are delayed,
 * or were delivered) into an RFC 3464 message for the sender, and hands it to
 * a sender function (usually the queue's own `enqueue`, with `<>`).
 *
 * - RFC 3461 §4.1 per recipient through {@link shouldNotify}: NOTIFY, the
 *   FAILURE,DELAY default, NEVER; the queue sends each delay notice once.
 * - A delivery to a server that offered DSN passes the duty to notify on
 *   with NOTIFY and ORCPT (RFC 3461 §5.2.1): no report from us. To one that
 *   did not, a requested SUCCESS notice reports `relayed` (§5.2.2).
 * - RFC 5321 §4.5.5: the notice is addressed from `<>`, and a message from
 *   `<>` never gets one.
 *
 * Does not: write files or open connections (the `send` function given does).
 *
 * @module
 */
import type { Reply } from "@smtpkit/grammar";
import { buildDeliveryStatusNotification, DEFAULT_DSN_MAX_RETURNED_SIZE, DSN_MAX_RECIPIENTS, type DeliveryStatusNotification, type DsnRecipientReport } from "./dsn.js";
import { shouldNotify, type DsnAction } from "./dsn-policy.js";
import type { QueueEnvelope } from "./queue-envelope.js";
import { QueueUsageError } from "./queue-usage-error.js";
import type { DeliveryNotice, DeliveryNotifier } from "./relay-queue.js";
import type { StoredReply } from "./spool-format.js";

/** A notification ready to send: its `<>` envelope and the message. */
export interface PreparedNotification {
  /** From `<>` to the original sender, with the BODY and SMTPUTF8 the message needs. */
  readonly envelope: QueueEnvelope;
  /** The built DSN. */
  readonly notification: DeliveryStatusNotification;
}

/** Options of {@link notificationForNotice} and {@link createDsnNotifier}. */
export interface DsnNotifierOptions {
  /** The largest original returned whole; default {@link DEFAULT_DSN_MAX_RETURNED_SIZE}. */
  readonly maxReturnedSize?: number;
}

function toReply(stored: StoredReply): Reply {
  return { code: stored.code, ...(stored.enhanced === undefined ? {} : { enhanced: stored.enhanced }), lines: stored.text.split("\n") };
}

// The queue writes "mx.example.org [192.0.2.25]": Remote-MTA is the host name (RFC 3464 §2.3.5, type dns).
function remoteHost(stored: StoredReply | undefined): string | undefined {
  const text = stored?.remoteMta?.trim();
  if (text === undefined || text === "") return undefined;
  const host = text.split(" ")[0] ?? "";
  return host.startsWith("[") ? undefined : host;
}

function checkMaxReturnedSize(options: DsnNotifierOptions): number {
  const value = options.maxReturnedSize ?? DEFAULT_DSN_MAX_RETURNED_SIZE;
  if (!Number.isSafeInteger(value) || value < 0) throw new QueueUsageError("invalid-limit", "maxReturnedSize", value, "maxReturnedSize must be a non-negative safe integer (octets).");
  return value;
}

/**
 * Builds the DSN a notice calls for, or `undefined` when no recipient of it
 * asked for one (or the sender is `<>`). One DSN reports on at most
 * {@link DSN_MAX_RECIPIENTS} recipients: {@link createDsnNotifier} splits
 * bigger notices.
 *
 * @param notice - the queue's notice
 * @param options - the returned-size limit
 * @returns the envelope and message to send, or `undefined`
 * @throws {@link QueueUsageError} for an invalid `maxReturnedSize`, or more than {@link DSN_MAX_RECIPIENTS} recipients to report
 * @example
 * ```ts
 * import { notificationForNotice, openQueue } from "@smtpkit/queue";
 * let queue: Awaited<ReturnType<typeof openQueue>>;
 * queue = await openQueue({
 *   directory: "./queue",
 *   hostname: "mta.example.com",
 *   async notifier(notice) {
 *     const prepared = await notificationForNotice(notice);
 *     if (prepared !== undefined) await queue.enqueue(prepared.envelope, prepared.notification.content);
 *   },
 * });
 * ```
 */
export async function notificationForNotice(notice: DeliveryNotice, options: DsnNotifierOptions = {}): Promise<PreparedNotification | undefined> {
  const maxReturnedSize = checkMaxReturnedSize(options);
  const { envelope } = notice.entry;
  const sender = envelope.from;
  if (sender === null) return undefined;
  const reports: DsnRecipientReport[] = [];
  for (const item of notice.recipients) {
    let action: DsnAction = notice.action;
    if (notice.action === "delivered") {
      // The next hop took NOTIFY and ORCPT with the message: success reports are its job now.
      if (!item.relayed) continue;
      action = "relayed";
    }
    if (!shouldNotify({ reversePath: `${sender.localPart}@${sender.domain}`, notify: item.recipient.notify, action })) continue;
    const remoteMta = remoteHost(item.reply);
    reports.push({
      finalRecipient: item.recipient.to,
      ...(item.recipient.orcpt === undefined ? {} : { originalRecipient: item.recipient.orcpt }),
      action,
      ...(remoteMta === undefined ? {} : { remoteMta }),
      ...(item.reply === undefined ? {} : { reply: toReply(item.reply) }),
      ...(item.lastAttemptAt === undefined ? {} : { lastAttemptDate: new Date(item.lastAttemptAt) }),
      ...(item.willRetryUntil === undefined ? {} : { willRetryUntil: new Date(item.willRetryUntil) }),
    });
  }
  if (reports.length === 0) return undefined;
  // One octet more than the limit tells "too big" without reading a large message whole.
  const original = await notice.readOriginal(Math.min(notice.entry.size, maxReturnedSize + 1));
  const notification = buildDeliveryStatusNotification({
    reportingMta: notice.reportingMta,
    to: sender,
    date: new Date(notice.time),
    arrivalDate: new Date(notice.entry.receivedAt),
    ...(envelope.envid === undefined ? {} : { envelopeId: envelope.envid }),
    ...(envelope.ret === undefined ? {} : { ret: envelope.ret }),
    smtputf8: envelope.smtputf8,
    recipients: reports,
    original,
    maxReturnedSize,
    seed: `${notice.entry.id}:${notice.action}:${notice.recipients.map((item) => item.index).join(",")}`,
  });
  return {
    envelope: {
      // RFC 5321 §4.5.5: notifications are sent with the null reverse-path.
      from: null,
      recipients: [{ to: sender }],
      body: notification.body,
      smtputf8: notification.smtputf8,
      requireTls: false,
    },
    notification,
  };
}

/**
 * A queue notifier that sends DSNs: for each notice, {@link notificationForNotice}
 * and then `send` (which must resolve only once the DSN is durable: the
 * queue's `enqueue`, or a local delivery). If `send` rejects, the queue
 * keeps the failed recipients and notifies again later.
 *
 * @param send - delivers a prepared notification durably
 * @param options - the returned-size limit
 * @returns the notifier for `openQueue({ notifier })`
 * @throws {@link QueueUsageError} for an invalid `maxReturnedSize`
 * @example
 * ```ts
 * import { createDsnNotifier, openQueue, type RelayQueue } from "@smtpkit/queue";
 * let queue: RelayQueue | undefined;
 * const notifier = createDsnNotifier(async ({ envelope, notification }) => {
 *   const result = await queue!.enqueue(envelope, notification.content);
 *   if (!result.ok) throw new Error(`the DSN could not be queued: ${result.reason}`);
 * });
 * queue = await openQueue({ directory: "./queue", hostname: "mta.example.com", notifier });
 * ```
 */
export function createDsnNotifier(send: (prepared: PreparedNotification) => Promise<void>, options: DsnNotifierOptions = {}): DeliveryNotifier {
  if (typeof send !== "function") throw new QueueUsageError("invalid-option", "send", send, "createDsnNotifier needs a send function.");
  checkMaxReturnedSize(options);
  return async (notice) => {
    // A notice about more recipients than one report may hold becomes several reports.
    for (let start = 0; start < notice.recipients.length; start += DSN_MAX_RECIPIENTS) {
      const part = notice.recipients.length <= DSN_MAX_RECIPIENTS ? notice : { ...notice, recipients: notice.recipients.slice(start, start + DSN_MAX_RECIPIENTS) };
      const prepared = await notificationForNotice(part, options);
      if (prepared !== undefined) await send(prepared);
    }
  };
}
