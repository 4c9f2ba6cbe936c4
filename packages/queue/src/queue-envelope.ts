/**
 * The envelope of a queued message: what the spool keeps beside the bytes
 * (reverse-path, recipients with their DSN parameters, RET, ENVID, SMTPUTF8,
 * BODY, REQUIRETLS, arrival time, the authenticated submitter), and the
 * conversion from what `@smtpkit/server` hands its `onMessage` hook.
 *
 * RFC 3461 §4 (NOTIFY, ORCPT, RET, ENVID) must travel with the message to
 * the next hop and into any DSN, so they are part of the durable envelope.
 *
 * Does not: read or write files (see `spool-format.ts`).
 *
 * @module
 */
import type { BodyType, DsnNotify, DsnReturn, Mailbox, MailParameters, OriginalRecipient, RcptParameters } from "@smtpkit/grammar";
import { QueueUsageError } from "./queue-usage-error.js";

/** An envelope under construction: the same fields, not yet frozen. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** One recipient of a queued message, with its DSN parameters (RFC 3461 §4.1, §4.2). */
export interface QueueRecipient {
  /** The forward-path, as received (a quoted local part keeps its quotes). */
  readonly to: Mailbox;
  /** `NOTIFY=` as given; absent when the submitter gave none (RFC 3461 §4.1: the MTA's default applies). */
  readonly notify?: readonly DsnNotify[];
  /** `ORCPT=` as given (RFC 3461 §4.2). */
  readonly orcpt?: OriginalRecipient;
}

/**
 * The envelope the queue keeps for an entry.
 *
 * @example
 * ```ts
 * const envelope: QueueEnvelope = {
 *   from: { localPart: "alice", domain: "example.com" },
 *   recipients: [{ to: { localPart: "bob", domain: "example.org" }, notify: ["FAILURE", "DELAY"] }],
 *   body: "8BITMIME", smtputf8: false, requireTls: false, ret: "HDRS", envid: "QQ314159",
 * };
 * ```
 */
export interface QueueEnvelope {
  /** The reverse-path; `null` for `<>` (a bounce: never bounced itself, RFC 5321 §4.5.5). */
  readonly from: Mailbox | null;
  /** The recipients, in the order accepted; at least one. */
  readonly recipients: readonly QueueRecipient[];
  /** `BODY=` (RFC 6152, RFC 3030); `7BIT` when none was given. */
  readonly body: BodyType;
  /** Whether the transaction is SMTPUTF8 (RFC 6531). */
  readonly smtputf8: boolean;
  /** REQUIRETLS (RFC 8689): deliver over verified TLS to a server offering REQUIRETLS, or fail. */
  readonly requireTls: boolean;
  /** `RET=` (RFC 3461 §4.3). */
  readonly ret?: DsnReturn;
  /** `ENVID=` (RFC 3461 §4.4), decoded. */
  readonly envid?: string;
  /** The authenticated identity of the submitter (RFC 4954), for logs and policy. */
  readonly authenticatedAs?: string;
}

/**
 * What `@smtpkit/server` gives its `onMessage` hook (the session's `Envelope`),
 * structurally: so that the hook can pass it to `enqueue` unchanged.
 */
export interface SessionEnvelopeLike {
  /** The reverse-path; `null` for `<>`. */
  readonly from: Mailbox | null;
  /** MAIL's parameters. */
  readonly parameters: MailParameters;
  /** The body type. */
  readonly body: BodyType;
  /** Whether the transaction is SMTPUTF8. */
  readonly smtputf8: boolean;
  /** Whether REQUIRETLS was asked for. */
  readonly requireTls: boolean;
  /** The accepted recipients. */
  readonly recipients: readonly { readonly to: Mailbox; readonly parameters: RcptParameters }[];
}

/** The most recipients one entry may hold, by default (RFC 5321 §4.5.3.1.8 asks servers to take at least 100; Postfix's smtpd_recipient_limit is 1000). */
export const DEFAULT_MAX_RECIPIENTS_PER_ENTRY = 1000;

// Addresses and parameters go back out on command lines: a CR, LF or NUL in
// them is a program bug (the grammar never produces one), refused here.
function checkText(option: string, value: string): void {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code === 0x0d || code === 0x0a || code === 0x00) {
      throw new QueueUsageError("invalid-envelope", option, value, `${option} must not contain CR, LF or NUL.`);
    }
  }
}

function checkMailbox(option: string, mailbox: unknown): Mailbox {
  if (typeof mailbox !== "object" || mailbox === null) throw new QueueUsageError("invalid-envelope", option, mailbox, `${option} must be a mailbox.`);
  const { localPart, domain } = mailbox as { localPart?: unknown; domain?: unknown };
  if (typeof localPart !== "string" || typeof domain !== "string" || localPart.length === 0 || domain.length === 0) {
    throw new QueueUsageError("invalid-envelope", option, mailbox, `${option} must have a local part and a domain.`);
  }
  checkText(option, localPart);
  checkText(option, domain);
  return { localPart, domain };
}

const bodyTypes: readonly string[] = ["7BIT", "8BITMIME", "BINARYMIME"];
const notifyValues: readonly string[] = ["NEVER", "SUCCESS", "FAILURE", "DELAY"];

/**
 * Checks an envelope and returns a plain copy of it (no extra fields).
 *
 * @param envelope - the envelope to queue
 * @param maxRecipients - the most recipients allowed
 * @returns the copy
 * @throws {@link QueueUsageError} (`invalid-envelope`) for no recipients, too many, or a malformed field
 * @internal
 */
export function normalizeEnvelope(envelope: QueueEnvelope, maxRecipients: number): QueueEnvelope {
  if (typeof envelope !== "object" || envelope === null) throw new QueueUsageError("invalid-envelope", "envelope", envelope, "envelope must be an object.");
  const from = envelope.from === null ? null : checkMailbox("from", envelope.from);
  if (!Array.isArray(envelope.recipients) || envelope.recipients.length === 0) {
    throw new QueueUsageError("invalid-envelope", "recipients", envelope.recipients, "an entry needs at least one recipient.");
  }
  if (envelope.recipients.length > maxRecipients) {
    throw new QueueUsageError("invalid-envelope", "recipients", envelope.recipients.length, `an entry holds at most ${maxRecipients} recipients.`);
  }
  const recipients = envelope.recipients.map((recipient, index): QueueRecipient => {
    const to = checkMailbox(`recipients[${index}].to`, recipient.to);
    const copy: { to: Mailbox; notify?: readonly DsnNotify[]; orcpt?: OriginalRecipient } = { to };
    if (recipient.notify !== undefined) {
      if (!Array.isArray(recipient.notify) || recipient.notify.some((value: unknown) => typeof value !== "string" || !notifyValues.includes(value))) {
        throw new QueueUsageError("invalid-envelope", `recipients[${index}].notify`, recipient.notify, "notify must list NEVER, SUCCESS, FAILURE or DELAY.");
      }
      copy.notify = [...recipient.notify];
    }
    if (recipient.orcpt !== undefined) {
      checkText(`recipients[${index}].orcpt`, recipient.orcpt.addressType);
      checkText(`recipients[${index}].orcpt`, recipient.orcpt.address);
      copy.orcpt = { addressType: recipient.orcpt.addressType, address: recipient.orcpt.address };
    }
    return copy;
  });
  if (!bodyTypes.includes(envelope.body)) throw new QueueUsageError("invalid-envelope", "body", envelope.body, "body must be 7BIT, 8BITMIME or BINARYMIME.");
  const result: Writable<QueueEnvelope> = { from, recipients, body: envelope.body, smtputf8: envelope.smtputf8 === true, requireTls: envelope.requireTls === true };
  if (envelope.ret !== undefined) {
    if (envelope.ret !== "FULL" && envelope.ret !== "HDRS") throw new QueueUsageError("invalid-envelope", "ret", envelope.ret, "ret must be FULL or HDRS.");
    result.ret = envelope.ret;
  }
  if (envelope.envid !== undefined) {
    checkText("envid", envelope.envid);
    result.envid = envelope.envid;
  }
  if (envelope.authenticatedAs !== undefined) {
    checkText("authenticatedAs", envelope.authenticatedAs);
    result.authenticatedAs = envelope.authenticatedAs;
  }
  return result;
}

/**
 * Turns the envelope `@smtpkit/server` gives its `onMessage` hook into a
 * {@link QueueEnvelope}, keeping NOTIFY, ORCPT, RET and ENVID.
 *
 * @param envelope - the session's envelope
 * @param authenticatedAs - the submitter's authenticated identity, if any
 * @returns the queue envelope
 * @example
 * ```ts
 * import { envelopeFromSession } from "@smtpkit/queue";
 * const hooks = {
 *   async onMessage(envelope, content, info, connection) {
 *     const result = await queue.enqueue(envelopeFromSession(envelope, connection.authenticatedAs), content);
 *     return result.ok ? { accept: true } : { reject: result.situation };
 *   },
 * };
 * ```
 */
export function envelopeFromSession(envelope: SessionEnvelopeLike, authenticatedAs?: string): QueueEnvelope {
  const result: Writable<QueueEnvelope> = {
    from: envelope.from,
    recipients: envelope.recipients.map((recipient) => ({
      to: recipient.to,
      ...(recipient.parameters.notify === undefined ? {} : { notify: recipient.parameters.notify }),
      ...(recipient.parameters.orcpt === undefined ? {} : { orcpt: recipient.parameters.orcpt }),
    })),
    body: envelope.body,
    smtputf8: envelope.smtputf8,
    requireTls: envelope.requireTls,
  };
  if (envelope.parameters.ret !== undefined) result.ret = envelope.parameters.ret;
  if (envelope.parameters.envid !== undefined) result.envid = envelope.parameters.envid;
  if (authenticatedAs !== undefined) result.authenticatedAs = authenticatedAs;
  return result;
}

/**
 * The domain a recipient's mail is routed by: lower-cased (address literals unchanged).
 *
 * @internal
 */
export function routingDomain(mailbox: Mailbox): string {
  return mailbox.domain.startsWith("[") ? mailbox.domain : mailbox.domain.toLowerCase();
}
