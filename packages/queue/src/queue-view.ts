/**
 * What `list()` and {@link readQueue} show of an entry: its envelope and,
 * per recipient, its state, attempts, next retry and last reply.
 *
 * @module
 */
import type { Mailbox } from "@smtpkit/grammar";
import type { QueueEnvelope } from "./queue-envelope.js";
import type { EntryMetadata, RecipientProgress, RecipientState, StoredReply } from "./spool-format.js";

/** One recipient of a listed entry. */
export interface QueueRecipientView {
  /** The address, `local@domain` as received. */
  readonly address: string;
  /** Where it stands. */
  readonly state: RecipientState;
  /** Attempts made. */
  readonly attempts: number;
  /** When the next attempt is due (ms since the epoch); only for `pending`. */
  readonly nextAttemptAt?: number;
  /** When the last attempt ended. */
  readonly lastAttemptAt?: number;
  /** The last reply or failure. */
  readonly lastReply?: StoredReply;
  /** Whether a delay notice went out. */
  readonly delayNotified: boolean;
}

/**
 * One listed entry.
 *
 * @example
 * ```ts
 * // { id: "mik3x0a1-9f2c4e6a8b0d1e3f", receivedAt: 1764432000000, size: 1234, hops: 1, from: "alice@example.com",
 * //   envelope: {...}, recipients: [{ address: "bob@example.org", state: "pending", attempts: 2,
 * //   nextAttemptAt: 1764435600000, lastReply: { code: 451, enhanced: "4.7.1", text: "Greylisted", remoteMta: "mx.example.org [192.0.2.25]" } }] }
 * ```
 */
export interface QueueEntryView {
  /** The entry id. */
  readonly id: string;
  /** When it was queued (ms since the epoch). */
  readonly receivedAt: number;
  /** The message size in octets. */
  readonly size: number;
  /** Its `Received:` header fields. */
  readonly hops: number;
  /** The reverse-path, `local@domain`; `""` for `<>`. */
  readonly from: string;
  /** The full envelope. */
  readonly envelope: QueueEnvelope;
  /** Per recipient, in envelope order. */
  readonly recipients: readonly QueueRecipientView[];
}

/**
 * `local@domain` for a mailbox, as written.
 *
 * @internal
 */
export function mailboxText(mailbox: Mailbox | null): string {
  return mailbox === null ? "" : `${mailbox.localPart}@${mailbox.domain}`;
}

/**
 * The first state of every recipient: pending, due at arrival.
 *
 * @internal
 */
export function initialProgress(metadata: EntryMetadata): RecipientProgress[] {
  return metadata.envelope.recipients.map(() => ({ state: "pending", attempts: 0, nextAttemptAt: metadata.receivedAt, delayNotified: false }));
}

/**
 * Builds the view of an entry.
 *
 * @internal
 */
export function entryView(metadata: EntryMetadata, progress: readonly RecipientProgress[]): QueueEntryView {
  return {
    id: metadata.id,
    receivedAt: metadata.receivedAt,
    size: metadata.size,
    hops: metadata.hops,
    from: mailboxText(metadata.envelope.from),
    envelope: metadata.envelope,
    recipients: metadata.envelope.recipients.map((recipient, index): QueueRecipientView => {
      const item = progress[index] ?? { state: "pending", attempts: 0, nextAttemptAt: metadata.receivedAt, delayNotified: false };
      return {
        address: mailboxText(recipient.to),
        state: item.state,
        attempts: item.attempts,
        delayNotified: item.delayNotified,
        ...(item.state === "pending" ? { nextAttemptAt: item.nextAttemptAt } : {}),
        ...(item.lastAttemptAt === undefined ? {} : { lastAttemptAt: item.lastAttemptAt }),
        ...(item.lastReply === undefined ? {} : { lastReply: item.lastReply }),
      };
    }),
  };
}
