/**
 * `@smtpkit/mime`: a streaming MIME decoder and encoder.
 *
 * - Parse: {@link parseMessage} (tree + summary), {@link createMessageParser}
 *   (streaming events with bounded memory), {@link createMessageStream} (Web Streams).
 * - Build: {@link buildMessage}, {@link composeMessage} (streamed attachments).
 * - Edit byte-exactly: {@link setHeaderField}, {@link replacePart}.
 * - Codecs: base64, quoted-printable, RFC 2047 encoded words, RFC 2231
 *   parameters, address lists, dates, charsets.
 *
 * Runtime-agnostic: no I/O, no dependencies, no Node APIs.
 *
 * @example
 * ```ts
 * import { buildMessage, parseMessage } from "@smtpkit/mime";
 * const bytes = buildMessage({ from: "ann@example.com", to: ["bob@example.com"], subject: "Hi", text: "Hello" });
 * parseMessage(bytes).text; // "Hello"
 * ```
 *
 * @packageDocumentation
 */
export { MimeError, type MimeErrorReason } from "./mime-error.js";
export {
  base64Decode,
  base64Encode,
  createBase64Decoder,
  createBase64Encoder,
  type Base64EncodeOptions,
  type ByteDecoder,
  type TextChunkEncoder,
} from "./base64.js";
export {
  quotedPrintableDecode,
  quotedPrintableEncode,
  createQuotedPrintableDecoder,
  createQuotedPrintableEncoder,
  type QuotedPrintableEncodeOptions,
} from "./quoted-printable.js";
export { decodeCharset, normalizeCharset } from "./charset.js";
export { decodeEncodedWords, encodeEncodedWord, type EncodedWordOptions } from "./encoded-words.js";
export { parseParameters, encodeParameter, type ParameterizedValue, type EncodeParameterOptions } from "./parameters.js";
export {
  parseAddressList,
  flattenAddressList,
  formatAddressList,
  type AddressListEntry,
  type AddressInput,
  type FormatAddressOptions,
  type Group,
  type Mailbox,
} from "./address-list.js";
export { parseDate } from "./date.js";
export { decodeFlowed } from "./format-flowed.js";
export { getHeader, type HeaderField } from "./headers.js";
export { defaultLimits, type LimitName, type ParserLimits } from "./limits.js";
export type { PartInfo } from "./part-info.js";
export {
  createMessageParser,
  type LimitEvent,
  type MessageEvent,
  type MessageParser,
  type MessageParserOptions,
  type MultipartTextEvent,
  type PartBodyEvent,
  type PartEndEvent,
  type PartStartEvent,
} from "./message-parser.js";
export { parseMessage, type Attachment, type MessagePart, type ParsedMessage } from "./parse-message.js";
export {
  buildMessage,
  composeMessage,
  messageEnvelope,
  type AttachmentSpec,
  type MessageSpec,
  type StreamedAttachmentSpec,
  type StreamedContent,
  type StreamedMessageSpec,
  type TransportCapabilities,
} from "./build-message.js";
export { createMessageStream } from "./message-stream.js";
export { setHeaderField, replacePart } from "./message-edit.js";
export { parseDeliveryStatus, type DeliveryStatus } from "./parse-delivery-status.js";
