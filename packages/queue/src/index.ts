/**
 * `@smtpkit/queue`: a durable store-and-forward relay queue.
 *
 * - a crash-safe spool: every entry is written to `tmp/`, fsynced, renamed
 *   into place and its directory fsynced before `enqueue` resolves, in a
 *   self-validating format (length-prefixed head, SHA-256 trailer), so that
 *   recovery tells complete entries from partial ones;
 * - delivery workers: recipients grouped by domain, MX look-up with an
 *   injectable resolver (RFC 5321 §5.1, RFC 7505), loop detection, connection
 *   reuse, STARTTLS opportunistic by default, per-recipient results;
 * - retries per the reply (RFC 5321 §4.5.4.1), give-up, delay notices, and a
 *   seam for RFC 3464 delivery status notifications;
 * - observability: `list()`, `flush()`, a log event per attempt, and
 *   {@link readQueue} / {@link requestFlush} for another process.
 *
 * @example
 * ```ts
 * import { openQueue } from "@smtpkit/queue";
 * const queue = await openQueue({ directory: "./queue", hostname: "mta.example.com" });
 * queue.start();
 * const result = await queue.enqueue(
 *   { from: { localPart: "alice", domain: "example.com" }, recipients: [{ to: { localPart: "bob", domain: "example.org" } }],
 *     body: "7BIT", smtputf8: false, requireTls: false },
 *   new TextEncoder().encode("Subject: hi\r\n\r\nHello\r\n"),
 * );
 * if (result.ok) console.log(result.id); // durable: now answer 250
 * ```
 *
 * @packageDocumentation
 */
export { QueueUsageError, type QueueUsageErrorReason } from "./queue-usage-error.js";
export {
  DEFAULT_MAX_RECIPIENTS_PER_ENTRY,
  envelopeFromSession,
  type QueueEnvelope,
  type QueueRecipient,
  type SessionEnvelopeLike,
} from "./queue-envelope.js";
export { createReceivedCounter, DEFAULT_MAX_HOPS, type ReceivedCounter } from "./received-counter.js";
export {
  decodeEntryFile,
  decodeStateFile,
  ENTRY_END_MARK,
  ENTRY_HEAD_BYTES,
  ENTRY_MAGIC,
  ENTRY_TRAILER_BYTES,
  MAX_METADATA_BYTES,
  MAX_STATE_BYTES,
  STATE_MAGIC,
  type DecodedEntry,
  type EntryHeader,
  type EntryMetadata,
  type EntryState,
  type RecipientProgress,
  type RecipientState,
  type SpoolFileProblem,
  type StoredReply,
} from "./spool-format.js";
export { SPOOL_BLOCK_SIZE, type EnqueueFailureReason, type QueueContent } from "./spool.js";
export { systemClock, type QueueClock } from "./queue-clock.js";
export { DEFAULT_RETRY_SCHEDULE, resolveRetrySchedule, retryDelay, type RetrySchedule } from "./retry-schedule.js";
export { type QueueEntryView, type QueueRecipientView } from "./queue-view.js";
export { readQueue, requestFlush, type QueueListing } from "./read-queue.js";
export {
  DEFAULT_CLOSE_GRACE_MILLISECONDS,
  DEFAULT_CONNECTION_IDLE_MILLISECONDS,
  DEFAULT_MAX_CONCURRENT_DELIVERIES,
  DEFAULT_MAX_CONCURRENT_PER_DOMAIN,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_MESSAGES_PER_CONNECTION,
  DEFAULT_MAX_RECIPIENTS_PER_TRANSACTION,
  DEFAULT_NOTICE_TIMEOUT_MILLISECONDS,
  DEFAULT_POLL_INTERVAL_MILLISECONDS,
  openQueue,
  type DeliveryNotice,
  type DeliveryNotifier,
  type EnqueueResult,
  type NoticeRecipient,
  type QueueLogEvent,
  type QueueLogger,
  type QueueOptions,
  type RelayQueue,
} from "./relay-queue.js";
export { DEFAULT_NOTIFY, shouldNotify, type DsnAction, type NotificationQuestion } from "./dsn-policy.js";
export {
  buildDeliveryStatusNotification,
  DEFAULT_DSN_MAX_RETURNED_SIZE,
  DSN_MAX_DIAGNOSTIC_LENGTH,
  DSN_MAX_RECIPIENTS,
  type DeliveryStatusNotification,
  type DeliveryStatusNotificationSpec,
  type DsnRecipientReport,
} from "./dsn.js";
export { createDsnNotifier, notificationForNotice, type DsnNotifierOptions, type PreparedNotification } from "./dsn-notice.js";
