/**
 * Turning a transaction into the MAIL and RCPT commands a given server may
 * receive: parameters only for the extensions it advertised (never one it
 * did not), and a refusal before anything is sent when the message cannot
 * go to this server as it is (8-bit content, UTF-8 addresses, size,
 * REQUIRETLS).
 *
 * @module
 */
import {
  CapabilitySet,
  GrammarError,
  isAsciiMailbox,
  serializeCommand,
  type MailCommand,
  type MailParameters,
  type RcptCommand,
  type RcptParameters,
} from "@smtpkit/grammar";
import { ClientSessionError } from "./client-session-error.js";
import type { ClientTransaction, TransactionRefusalReason } from "./client-types.js";

/** How a transaction goes to this server. Internal. */
export interface TransactionPlan {
  readonly mail: MailCommand;
  readonly rcpts: readonly RcptCommand[];
  /** Send the content with BDAT rather than DATA. */
  readonly chunking: boolean;
  /** BODY=BINARYMIME: octets go as they are, no line-ending repair. */
  readonly binary: boolean;
  /** Check every chunk for 8-bit octets (the server lacks 8BITMIME and none was declared). */
  readonly sevenBitOnly: boolean;
  /** Whether DSN parameters were put on the commands. */
  readonly dsnSent: boolean;
}

/** What the plan depends on. Internal. */
export interface PlanContext {
  readonly capabilities: CapabilitySet;
  readonly tls: boolean;
  readonly chunking: boolean;
}

function needsUtf8(transaction: ClientTransaction): boolean {
  if (transaction.smtputf8 === true) return true;
  if (transaction.from !== null && !isAsciiMailbox(transaction.from)) return true;
  return transaction.recipients.some((recipient) => !isAsciiMailbox(recipient.address));
}

function hasDsn(transaction: ClientTransaction): boolean {
  return (
    transaction.ret !== undefined ||
    transaction.envid !== undefined ||
    transaction.recipients.some((recipient) => recipient.notify !== undefined || recipient.orcpt !== undefined)
  );
}

/**
 * Plans a transaction for a server, or says why it cannot go there.
 *
 * @param transaction - the checked transaction
 * @param context - what the server offers and what the session may use
 * @returns the plan, or the refusal reason
 */
export function planTransaction(transaction: ClientTransaction, context: PlanContext): TransactionPlan | TransactionRefusalReason {
  const { capabilities } = context;
  const utf8 = needsUtf8(transaction);
  // RFC 6531 §3.2: without SMTPUTF8 offered, a non-ASCII address must not be sent.
  if (utf8 && !capabilities.has("SMTPUTF8")) return "smtputf8-not-supported";
  const body = transaction.body;
  // RFC 6152 §3: BODY=8BITMIME only to a server that offers 8BITMIME.
  if (body === "8BITMIME" && !capabilities.has("8BITMIME")) return "8bit-not-supported";
  // RFC 3030 §3: BINARYMIME content can only go by BDAT.
  const canChunk = context.chunking && capabilities.has("CHUNKING");
  if (body === "BINARYMIME" && !(canChunk && capabilities.has("BINARYMIME"))) return "binarymime-not-supported";
  // RFC 8689 §4.2: a REQUIRETLS message goes only over TLS to a server offering REQUIRETLS.
  if (transaction.requireTls === true && !(context.tls && capabilities.has("REQUIRETLS"))) return "requiretls-not-supported";
  // RFC 1870 §6: do not send a message the server has said it will not take.
  const maxSize = capabilities.maxSize;
  if (transaction.size !== undefined && maxSize !== undefined && maxSize > 0 && transaction.size > maxSize) return "size-exceeds-limit";

  const dsn = capabilities.has("DSN");
  const mailParameters: {
    -readonly [Key in keyof MailParameters]: MailParameters[Key];
  } = {};
  if (transaction.size !== undefined && capabilities.has("SIZE")) mailParameters.size = transaction.size;
  if (body !== undefined && capabilities.allowsParameter("BODY", body)) mailParameters.body = body;
  if (utf8) mailParameters.smtputf8 = true;
  if (transaction.requireTls === true) mailParameters.requireTls = true;
  if (dsn && transaction.ret !== undefined) mailParameters.ret = transaction.ret;
  if (dsn && transaction.envid !== undefined) mailParameters.envid = transaction.envid;
  const mail: MailCommand =
    Object.keys(mailParameters).length === 0
      ? { verb: "MAIL", from: transaction.from }
      : { verb: "MAIL", from: transaction.from, parameters: mailParameters };
  const rcpts = transaction.recipients.map((recipient): RcptCommand => {
    if (!dsn || (recipient.notify === undefined && recipient.orcpt === undefined)) return { verb: "RCPT", to: recipient.address };
    const parameters: { -readonly [Key in keyof RcptParameters]: RcptParameters[Key] } = {};
    if (recipient.notify !== undefined) parameters.notify = recipient.notify;
    if (recipient.orcpt !== undefined) parameters.orcpt = recipient.orcpt;
    return { verb: "RCPT", to: recipient.address, parameters };
  });
  return {
    mail,
    rcpts,
    chunking: canChunk,
    binary: body === "BINARYMIME",
    sevenBitOnly: !capabilities.has("8BITMIME") && body !== "BINARYMIME",
    dsnSent: dsn && hasDsn(transaction),
  };
}

/** A server that offers every extension a transaction can use: for checking only. */
const everything = CapabilitySet.of({
  SIZE: true,
  "8BITMIME": true,
  BINARYMIME: true,
  CHUNKING: true,
  SMTPUTF8: true,
  DSN: true,
  REQUIRETLS: true,
});

/**
 * Checks a transaction the embedder hands in: everything must be
 * serializable with every parameter it asks for, so that no later subset
 * can fail on the wire.
 *
 * @param transaction - from {@link ClientSession.send}
 * @param maxRecipients - the recipient limit
 * @throws {@link ClientSessionError} (`invalid-transaction`)
 */
export function checkTransaction(transaction: ClientTransaction, maxRecipients: number): void {
  const fail = (message: string, cause?: unknown): never => {
    throw new ClientSessionError("invalid-transaction", message, cause === undefined ? undefined : { cause });
  };
  if (typeof transaction !== "object" || transaction === null) fail("A transaction must be an object.");
  if (!Array.isArray(transaction.recipients) || transaction.recipients.length === 0) fail("A transaction needs at least one recipient.");
  if (transaction.recipients.length > maxRecipients) {
    fail(`A transaction may have at most ${maxRecipients} recipients (maxRecipients).`);
  }
  if (transaction.size !== undefined && (!Number.isSafeInteger(transaction.size) || transaction.size < 0)) {
    fail("size must be a non-negative integer.");
  }
  if (transaction.body !== undefined && !["7BIT", "8BITMIME", "BINARYMIME"].includes(transaction.body)) {
    fail(`Unknown body type ${JSON.stringify(transaction.body)}.`);
  }
  const full = planTransaction(transaction, { capabilities: everything, tls: true, chunking: true });
  if (typeof full === "string") return fail(`Transaction not plannable (${full}).`);
  try {
    serializeCommand(full.mail);
    for (const rcpt of full.rcpts) serializeCommand(rcpt);
  } catch (error) {
    if (GrammarError.isInstance(error)) fail(`The transaction cannot be sent: ${error.message}`, error);
    throw error;
  }
}
