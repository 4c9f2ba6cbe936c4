/**
 * What `send` accepts as a message, and how it is read: bytes in memory
 * (handed out in `messageChunkSize` pieces, without copies),
 * an iterable or async iterable of `Uint8Array` (a Node `Readable`, the
 * `@smtpkit/mime` `composeMessage` output), or a `@smtpkit/mime`
 * `MessageSpec` built with `buildMessage`. Also the envelope: addresses
 * given as text are split into a `Mailbox` (of `@smtpkit/grammar`).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { quoteLocalPart, type Mailbox } from "@smtpkit/grammar";
import { buildMessage, messageEnvelope, type MessageSpec } from "@smtpkit/mime";
import { ClientUsageError } from "./client-usage-error.js";

/**
 * A message's content: the bytes exactly as they should arrive (CRLF line
 * ends; a bare CR or LF is made CRLF by the session, lines starting with "."
 * are stuffed for DATA), or a `@smtpkit/mime` message spec to build.
 * Chunks of an iterable must not be changed after they are yielded: they may
 * be written to the socket without a copy.
 */
export type MessageContent = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | MessageSpec;

/** An address as text (`bob@example.org`, the local part unquoted) or as a parsed `Mailbox` (of `@smtpkit/grammar`). */
export type AddressInput = string | Mailbox;

/**
 * Turns an address into a `Mailbox` (of `@smtpkit/grammar`): text is split at its last `@`,
 * and a local part that is not a dot-string is quoted (RFC 5321 §4.1.2).
 * Anything else is checked by the session, which refuses what cannot be
 * written on a command line.
 *
 * @param address - text or a mailbox
 * @param option - the option name, for errors
 * @returns the mailbox
 * @throws {@link ClientUsageError} (`invalid-message`) for text without `@`
 * @example
 * ```ts
 * toMailbox("john doe@example.org", "to"); // { localPart: "\"john doe\"", domain: "example.org" }
 * ```
 */
export function toMailbox(address: AddressInput, option: string): Mailbox {
  if (typeof address === "object" && address !== null && typeof address.localPart === "string" && typeof address.domain === "string") {
    return address;
  }
  if (typeof address !== "string") throw new ClientUsageError("invalid-message", option, address, `${option} must be an address or a mailbox.`);
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) {
    throw new ClientUsageError("invalid-message", option, address, `${option} is not an address: ${JSON.stringify(address)}.`);
  }
  let localPart = address.slice(0, at);
  try {
    if (!(localPart.length >= 2 && localPart.startsWith('"') && localPart.endsWith('"'))) localPart = quoteLocalPart(localPart);
  } catch {
    throw new ClientUsageError("invalid-message", option, address, `${option} cannot be written in a command: ${JSON.stringify(address)}.`);
  }
  return { localPart, domain: address.slice(at + 1) };
}

/** Whether a value is a `@smtpkit/mime` message spec rather than bytes or an iterable. */
function isMessageSpec(message: MessageContent): message is MessageSpec {
  return (
    typeof message === "object" &&
    message !== null &&
    !(message instanceof Uint8Array) &&
    !(Symbol.iterator in message) &&
    !(Symbol.asyncIterator in message) &&
    "from" in message
  );
}

/** Whether any octet is 8-bit (for declaring BODY=8BITMIME, RFC 6152). */
function hasEightBit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i += 1) if ((bytes[i] as number) > 0x7f) return true;
  return false;
}

/** A message ready to be read, with what is known about it (internal). */
export interface PreparedMessage {
  /** The chunks, pulled one at a time. */
  readonly chunks: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  /** Whether `chunks` is a synchronous iterator (bytes, a spec, an `Iterable`): it may be read one chunk ahead. */
  readonly synchronous: boolean;
  /** The size, when known. */
  readonly size: number | undefined;
  /** Whether the content is known to hold 8-bit octets. */
  readonly eightBit: boolean;
  /** The envelope from a message spec (Bcc included). */
  readonly envelope: { readonly from: string; readonly to: readonly string[] } | undefined;
}

function* pieces(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Prepares a message for reading (internal). */
export function prepareMessage(message: MessageContent, chunkSize: number): PreparedMessage {
  if (message instanceof Uint8Array) {
    return { chunks: pieces(message, chunkSize), synchronous: true, size: message.length, eightBit: hasEightBit(message), envelope: undefined };
  }
  if (typeof message !== "object" || message === null) {
    throw new ClientUsageError("invalid-message", "message", message, "message must be bytes, an iterable of Uint8Array or a message spec.");
  }
  if (isMessageSpec(message)) {
    let bytes: Uint8Array;
    let envelope: { from: string; to: string[] };
    try {
      // The MIME builder reads no clock and draws no random numbers; the edge
      // gives it both: a Date field (RFC 5322 §3.6 requires one) and a seed, so
      // two sends of one spec get distinct Message-IDs (RFC 5322 §3.6.4).
      const completed: MessageSpec = {
        ...message,
        ...(message.date === undefined ? { date: new Date() } : {}),
        ...(message.seed === undefined && message.messageId === undefined ? { seed: randomBytes(16).toString("hex") } : {}),
      };
      bytes = buildMessage(completed);
      envelope = messageEnvelope(completed);
    } catch (error) {
      throw new ClientUsageError("invalid-message", "message", undefined, `The message spec cannot be built: ${(error as Error).message}`);
    }
    return { chunks: pieces(bytes, chunkSize), synchronous: true, size: bytes.length, eightBit: hasEightBit(bytes), envelope };
  }
  if (Symbol.asyncIterator in message) {
    return { chunks: message[Symbol.asyncIterator](), synchronous: false, size: undefined, eightBit: false, envelope: undefined };
  }
  if (Symbol.iterator in message) return { chunks: message[Symbol.iterator](), synchronous: true, size: undefined, eightBit: false, envelope: undefined };
  throw new ClientUsageError("invalid-message", "message", message, "message must be bytes, an iterable of Uint8Array or a message spec.");
}
