/**
 * `@smtpkit/grammar`: every SMTP command and reply, parsed and serialized,
 * with incremental readers for pipelining, DATA, BDAT and AUTH.
 *
 * - Commands: {@link parseCommand}, {@link serializeCommand}, the {@link Command} union.
 * - Replies: {@link parseReply}, {@link serializeReply}, {@link replyFor}.
 * - EHLO capabilities: {@link CapabilitySet}, {@link parseEhloReply}, {@link ehloReply}.
 * - Server side: {@link CommandReader}, which pauses after DATA, BDAT, AUTH,
 *   STARTTLS and QUIT until the session says how to read on, and reads DATA
 *   to the one true `<CRLF>.<CRLF>` (no SMTP smuggling).
 * - Client side: {@link ReplyReader}, {@link DataEncoder}, {@link encodeData}.
 * - Encodings: base64 for SASL, xtext (RFC 3461), utf-8-addr (RFC 6533).
 *
 * Errors in input name a situation of `@smtpkit/codes`, which says what to
 * answer. Runtime-agnostic: no I/O, no Node APIs.
 *
 * @example
 * ```ts
 * import { parseCommand, serializeReply, replyFor } from "@smtpkit/grammar";
 * import { Situations } from "@smtpkit/codes";
 * const result = parseCommand("RCPT TO:<bob@example.org> NOTIFY=NEVER");
 * if (!result.ok) serializeReply(replyFor(Situations[result.error.situation]));
 * ```
 *
 * @packageDocumentation
 */
export {
  formatMailbox,
  isAsciiMailbox,
  isValidDomain,
  parseAddressLiteral,
  quoteLocalPart,
  unquoteLocalPart,
  type AddressLiteral,
  type Mailbox,
} from "./address.js";
export { decodeBase64, encodeBase64 } from "./base64.js";
export { CapabilitySet } from "./capabilities.js";
export { ehloReply, parseEhloReply, type EhloGreeting } from "./ehlo.js";
export {
  modeChangingVerbs,
  type AuthCommand,
  type BdatCommand,
  type BodyType,
  type Command,
  type DataCommand,
  type DeliverBy,
  type DsnNotify,
  type DsnReturn,
  type EsmtpParameter,
  type EtrnCommand,
  type XAttribute,
  type XclientAttributeName,
  type XclientCommand,
  type XforwardAttributeName,
  type XforwardCommand,
  type HelloCommand,
  type HelloForm,
  type HelpCommand,
  type MailCommand,
  type MailParameters,
  type NoopCommand,
  type OriginalRecipient,
  type QuitCommand,
  type RcptCommand,
  type RcptParameters,
  type RequireRecipientValidSince,
  type RsetCommand,
  type StartTlsCommand,
  type Verb,
  type VrfyCommand,
} from "./command.js";
export {
  CommandReader,
  createCommandReader,
  type BdatEndEvent,
  type CommandEvent,
  type CommandInvalidEvent,
  type CommandReaderEvent,
  type CommandReaderOptions,
  type InputOverflowEvent,
  type InputTruncatedEvent,
  type LineTooLongEvent,
  type ReaderMode,
  type SaslCancelEvent,
  type SaslInvalidEvent,
  type SaslResponseEvent,
} from "./command-reader.js";
export { createDataEncoder, DataEncoder, encodeData, type DataEncoderOptions } from "./data-encoder.js";
export { type BareLineEndingPolicy, type DataChunkEvent, type DataEndEvent } from "./data-scanner.js";
export { GrammarError, type CommandError, type GrammarErrorReason, type ReplyError } from "./errors.js";
export { Limits } from "./limits.js";
export { parseCommand, type CommandParseResult, type CommandSyntaxOptions, type Leniency } from "./parse-command.js";
export {
  parseReply,
  parseReplyLine,
  replyFor,
  serializeReply,
  type Reply,
  type ReplyLine,
  type ReplyLineResult,
  type ReplyParseResult,
} from "./reply.js";
export {
  ReplyReader,
  type ReplyEvent,
  type ReplyInvalidEvent,
  type ReplyLineTooLongEvent,
  type ReplyReaderEvent,
  type ReplyReaderOptions,
  type ReplyTruncatedEvent,
} from "./reply-reader.js";
export { encodeCommand, serializeCommand } from "./serialize-command.js";
export { decodeUtf8Addr, decodeXtext, encodeUtf8AddrUnitext, encodeUtf8AddrXtext, encodeXtext } from "./xtext.js";
