/**
 * `parseMessage`: the whole message as a tree of parts, plus the summary
 * view mail programs expect (from, to, subject, text, html, attachments...),
 * built on the streaming parser.
 *
 * Text parts are decoded from their charset and their line ends made LF, so
 * that a message stored with LF and the same message with CRLF read the same.
 * Attachments keep their bytes exactly as decoded; one declared 7bit/8bit/
 * binary keeps its line ends as stored.
 *
 * @module
 */
import { flattenAddressList, parseAddressList, type Mailbox } from "./address-list.js";
import { concatBytes, emptyBytes, utf8 } from "./bytes.js";
import { decodeCharset, decodeUnknown } from "./charset.js";
import { parseDate } from "./date.js";
import { decodeEncodedWords } from "./encoded-words.js";
import { decodeFlowed } from "./format-flowed.js";
import { getHeader, type HeaderField } from "./headers.js";
import { defaultLimits, resolveLimits, type LimitName } from "./limits.js";
import { MimeError } from "./mime-error.js";
import { createMessageParser, type MessageParserOptions } from "./message-parser.js";
import type { PartInfo } from "./part-info.js";

/** One part of a parsed message. */
export interface MessagePart {
  /** Where it is (`[]` for the message itself). */
  readonly path: readonly number[];
  /** Its header fields, with raw bytes and offsets. */
  readonly headers: readonly HeaderField[];
  /** What its header fields say (media type, charset, encoding, disposition, filename, Content-ID). */
  readonly info: PartInfo;
  /** Offset of its first header byte in the input. */
  readonly offset: number;
  /** Offset of its body. */
  readonly bodyOffset: number;
  /** Offset just past its body. `input.subarray(offset, bodyEnd)` is the part as stored. */
  readonly bodyEnd: number;
  /** A leaf's decoded body (after base64 or quoted-printable). Absent for multiparts and embedded messages. */
  readonly body?: Uint8Array;
  /** A text leaf's text: charset decoded, line ends LF, `format=flowed` joined. */
  readonly text?: string;
  /** A multipart's parts, or an embedded message's root as the only child. */
  readonly children: readonly MessagePart[];
  /** A multipart's preamble and epilogue, raw. */
  readonly preamble?: Uint8Array;
  /** See `preamble`. */
  readonly epilogue?: Uint8Array;
}

/** A part that is neither the text nor the HTML body. */
export interface Attachment {
  /** The part's path in the tree. */
  readonly path: readonly number[];
  /** The file name, decoded (RFC 2231 / RFC 2047), if given. */
  readonly filename?: string;
  /** The media type, lower case. */
  readonly mediaType: string;
  /** `"attachment"`, `"inline"` or absent. */
  readonly disposition?: string;
  /** The Content-ID without angle brackets (for `cid:` links). */
  readonly contentId?: string;
  /** The decoded size in bytes. */
  readonly size: number;
  /** The decoded bytes (for an embedded message: the message as stored). */
  readonly bytes: Uint8Array;
}

/** The result of {@link parseMessage}. */
export interface ParsedMessage {
  /** The tree of parts. */
  readonly root: MessagePart;
  /** The message's header fields (the root's). */
  readonly headers: readonly HeaderField[];
  /** The first From mailbox. */
  readonly from?: Mailbox;
  /** The Sender mailbox. */
  readonly sender?: Mailbox;
  /** To, Cc, Bcc and Reply-To mailboxes, groups flattened. */
  readonly to: readonly Mailbox[];
  /** See `to`. */
  readonly cc: readonly Mailbox[];
  /** See `to`. */
  readonly bcc: readonly Mailbox[];
  /** See `to`. */
  readonly replyTo: readonly Mailbox[];
  /** The subject, encoded words decoded. */
  readonly subject?: string;
  /** The Date header as an instant, when readable. */
  readonly date?: Date;
  /** The Message-ID without angle brackets. */
  readonly messageId?: string;
  /** The first In-Reply-To id, without angle brackets. */
  readonly inReplyTo?: string;
  /** The References ids, in order, without angle brackets. */
  readonly references: readonly string[];
  /** The plain-text body (the inline text/plain parts joined), if any. */
  readonly text?: string;
  /** The HTML body (the inline text/html parts joined), if any. */
  readonly html?: string;
  /** Every other leaf part. */
  readonly attachments: readonly Attachment[];
  /**
   * The limits that were hit (input past them was skipped), each once; empty for a whole parse.
   * Embedded messages parsed from base64 or quoted-printable bodies count towards the same
   * `maxParts` and `maxDecodedBytes` as the rest of the message, and report here too.
   */
  readonly limitsExceeded: readonly LimitName[];
}

interface Builder {
  path: readonly number[];
  headers: readonly HeaderField[];
  info: PartInfo;
  offset: number;
  bodyOffset: number;
  bodyEnd: number;
  chunks: Uint8Array[];
  children: Builder[];
  preamble: Uint8Array[];
  epilogue: Uint8Array[];
  leaf: boolean;
}

function messageIds(value: string | undefined): string[] {
  if (value === undefined) return [];
  const ids: string[] = [];
  let index = 0;
  while (index < value.length && ids.length < 1000) {
    const open = value.indexOf("<", index);
    if (open === -1) break;
    const close = value.indexOf(">", open);
    if (close === -1) break;
    ids.push(value.slice(open + 1, close).trim());
    index = close + 1;
  }
  if (ids.length === 0 && value.trim().length > 0) {
    // Ids without angle brackets (obsolete, RFC 5322 §4.5.4): the words, up to the same cap.
    for (const word of value.trim().split(/\s+/, 1000)) ids.push(word);
  }
  return ids;
}

function mailboxes(headers: readonly HeaderField[], name: string): Mailbox[] {
  const out: Mailbox[] = [];
  // No spread into push: a hostile list can hold more mailboxes than a call takes arguments.
  for (const field of headers) if (field.key === name) for (const mailbox of flattenAddressList(parseAddressList(field.value))) out.push(mailbox);
  return out;
}

function textOf(info: PartInfo, body: Uint8Array): string {
  // No charset (or US-ASCII) with 8-bit bytes: UTF-8 if they are valid UTF-8, else
  // windows-1252, which is what such mail nearly always is.
  const declared = info.charset === undefined || info.charset === "us-ascii" ? undefined : info.charset;
  let text = declared === undefined ? decodeUnknown(body) : decodeCharset(body, declared);
  if (text.includes("\r")) text = text.replaceAll("\r\n", "\n");
  if ((info.parameters["format"] ?? "").toLowerCase() === "flowed") {
    text = decodeFlowed(text, (info.parameters["delsp"] ?? "").toLowerCase() === "yes");
  }
  return text;
}

/**
 * The parts of embedded messages that were parsed from decoded (base64 or
 * quoted-printable) bytes: their offsets refer to those bytes, not to the
 * input, so the editing functions refuse them. @internal
 */
export const partsWithDecodedOffsets = new WeakSet<MessagePart>();

/** Gives an embedded message's parts their place in the outer tree. */
function rebase(part: MessagePart, prefix: readonly number[]): MessagePart {
  const moved = { ...part, path: [...prefix, ...part.path], children: part.children.map((child) => rebase(child, prefix)) };
  partsWithDecodedOffsets.add(moved);
  return moved;
}

/**
 * What is left of `maxParts` and `maxDecodedBytes` for the whole message: embedded messages
 * parsed from decoded bytes draw on the same budget as the rest, so that a message cannot
 * multiply its limits by wrapping parts in base64-encoded message/rfc822 parts.
 */
interface Budget {
  parts: number;
  decoded: number;
  readonly limitsExceeded: LimitName[];
}

function freeze(builder: Builder, options: MessageParserOptions, budget: Budget): MessagePart {
  const body = builder.leaf ? concatBytes(builder.chunks) : undefined;
  // A text too long for a JavaScript string (V8: 2^29 - 24 characters) would throw: a text leaf
  // over maxTextBytes keeps only its bytes (the summary lists it as an attachment).
  const isText = builder.leaf && builder.info.type === "text" && (builder.chunks.reduce((sum, chunk) => sum + chunk.length, 0) <= maxTextBytes);
  const info = builder.info;
  let children = builder.children.map((child) => freeze(child, options, budget));
  const remainingDepth = (options.maxDepth ?? defaultLimits.maxDepth) - builder.path.length - 1;
  if (body !== undefined && body.length > 0 && info.type === "message" && (info.subtype === "rfc822" || info.subtype === "global") && remainingDepth >= 1) {
    // A base64 or quoted-printable encoded message (RFC 2046 §5.2.1 forbids it, mailers do it):
    // parse the decoded bytes. Offsets inside it are offsets into `body`.
    if (budget.parts < 1) {
      budget.limitsExceeded.push("maxParts");
      if (options.onLimit === "error") throw new MimeError("limit-exceeded", "maxParts", "the message exceeds maxParts");
    } else if (budget.decoded < 1) {
      budget.limitsExceeded.push("maxDecodedBytes");
      if (options.onLimit === "error") throw new MimeError("limit-exceeded", "maxDecodedBytes", "the message exceeds maxDecodedBytes");
    } else {
      const nested = parseTree(body, { ...options, maxDepth: remainingDepth, maxParts: budget.parts, maxDecodedBytes: budget.decoded }, budget);
      children = [rebase(nested, [...builder.path, 0])];
    }
  }
  return {
    path: builder.path,
    headers: builder.headers,
    info: builder.info,
    offset: builder.offset,
    bodyOffset: builder.bodyOffset,
    bodyEnd: builder.bodyEnd,
    ...(body !== undefined ? { body } : {}),
    ...(isText && body !== undefined ? { text: textOf(builder.info, body) } : {}),
    children,
    ...(builder.info.type === "multipart" ? { preamble: concatBytes(builder.preamble), epilogue: concatBytes(builder.epilogue) } : {}),
  };
}

/**
 * Parses a whole message: the tree of parts and the summary view. Never
 * throws for malformed input (only for invalid options, or for a limit hit
 * when `onLimit` is `"error"`).
 *
 * @param input - the message, as bytes or as a string (encoded as UTF-8)
 * @param options - limits (see {@link defaultLimits}) and what a limit hit does
 * @returns the parsed message
 * @throws {@link MimeError} `invalid-limit` for an invalid limit; `limit-exceeded` when `onLimit` is `"error"` and a limit is hit
 * @example
 * ```ts
 * import { parseMessage } from "@smtpkit/mime";
 * const message = parseMessage("From: Ann <ann@example.com>\r\nSubject: =?UTF-8?Q?Caf=C3=A9?=\r\n\r\nHello\r\n");
 * message.subject;       // "Café"
 * message.from?.address; // "ann@example.com"
 * message.text;          // "Hello\n"
 * ```
 */
export function parseMessage(input: Uint8Array | string, options: MessageParserOptions = {}): ParsedMessage {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) throw new MimeError("invalid-argument", input, "the message must be a Uint8Array or a string");
  const bytes = typeof input === "string" ? utf8(input) : input;
  const limits = resolveLimits(options);
  const budget: Budget = { parts: limits.maxParts, decoded: limits.maxDecodedBytes, limitsExceeded: [] };
  const tree = parseTree(bytes, options, budget);
  return summarize(tree, bytes, [...new Set(budget.limitsExceeded)]);
}

/** Parses bytes into a tree, drawing on (and reporting to) the whole message's budget. */
function parseTree(bytes: Uint8Array, options: MessageParserOptions, budget: Budget): MessagePart {
  const parser = createMessageParser(options);
  const open: Builder[] = [];
  let root: Builder | undefined;
  const limitsExceeded = budget.limitsExceeded;
  const handle = (events: ReturnType<typeof parser.push>): void => {
    for (const event of events) {
      switch (event.type) {
        case "part-start": {
          budget.parts--;
          const builder: Builder = {
            path: event.path,
            headers: event.headers,
            info: event.info,
            offset: event.offset,
            bodyOffset: event.bodyOffset,
            bodyEnd: event.bodyOffset,
            chunks: [],
            children: [],
            preamble: [],
            epilogue: [],
            leaf: true,
          };
          const parent = open[open.length - 1];
          if (parent === undefined) root = builder;
          else parent.children.push(builder);
          builder.leaf = event.structure === "leaf";
          open.push(builder);
          break;
        }
        case "part-body":
          budget.decoded -= event.bytes.length;
          open[open.length - 1]?.chunks.push(event.bytes);
          break;
        case "preamble":
          open[open.length - 1]?.preamble.push(event.bytes);
          break;
        case "epilogue":
          open[open.length - 1]?.epilogue.push(event.bytes);
          break;
        case "part-end": {
          const builder = open.pop();
          if (builder !== undefined) builder.bodyEnd = event.bodyEnd;
          break;
        }
        case "limit-exceeded":
          limitsExceeded.push(event.limit);
          break;
      }
    }
  };
  handle(parser.push(bytes));
  handle(parser.end());
  return freeze(root as Builder, options, budget);
}

/**
 * The largest text leaf decoded to a string, in bytes, and the most characters the summary
 * joins into `text` or `html`. Both keep strings well below the engines' length limit (V8:
 * 2^29 - 24 characters, about 512 MiB): past it, decoding or joining would throw, and
 * untrusted input must never throw. What does not fit is listed with the attachments, as bytes.
 */
const maxTextBytes = 64 * 1024 * 1024;
const maxSummaryText = 256 * 1024 * 1024;

function summarize(root: MessagePart, input: Uint8Array, limitsExceeded: LimitName[]): ParsedMessage {
  const headers = root.headers;
  const texts: string[] = [];
  const htmls: string[] = [];
  let joined = 0;
  const attachments: Attachment[] = [];
  const visit = (part: MessagePart): void => {
    const info = part.info;
    if (part.body === undefined && info.type === "multipart") {
      for (const child of part.children) visit(child);
      return;
    }
    const isBodyText =
      part.text !== undefined &&
      (info.subtype === "plain" || info.subtype === "html") &&
      info.disposition !== "attachment" &&
      info.filename === undefined &&
      joined + part.text.length + 1 <= maxSummaryText;
    if (isBodyText) {
      joined += (part.text as string).length + 1;
      (info.subtype === "plain" ? texts : htmls).push(part.text as string);
      return;
    }
    const bytes = part.body ?? (part.children.length > 0 ? input.subarray(part.bodyOffset, part.bodyEnd) : emptyBytes);
    attachments.push({
      path: part.path,
      ...(info.filename !== undefined ? { filename: info.filename } : {}),
      mediaType: info.mediaType,
      ...(info.disposition !== undefined ? { disposition: info.disposition } : {}),
      ...(info.contentId !== undefined ? { contentId: info.contentId } : {}),
      size: bytes.length,
      bytes,
    });
  };
  visit(root);
  const from = mailboxes(headers, "from")[0];
  const sender = mailboxes(headers, "sender")[0];
  const subject = getHeader(headers, "subject");
  const dateValue = getHeader(headers, "date");
  const date = dateValue === undefined ? undefined : parseDate(dateValue);
  const messageId = messageIds(getHeader(headers, "message-id"))[0];
  const inReplyTo = messageIds(getHeader(headers, "in-reply-to"))[0];
  return {
    root,
    headers,
    ...(from !== undefined ? { from } : {}),
    ...(sender !== undefined ? { sender } : {}),
    to: mailboxes(headers, "to"),
    cc: mailboxes(headers, "cc"),
    bcc: mailboxes(headers, "bcc"),
    replyTo: mailboxes(headers, "reply-to"),
    ...(subject !== undefined ? { subject: decodeEncodedWords(subject) } : {}),
    ...(date !== undefined ? { date } : {}),
    ...(messageId !== undefined ? { messageId } : {}),
    ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    references: messageIds(getHeader(headers, "references")),
    ...(texts.length > 0 ? { text: texts.join("\n") } : {}),
    ...(htmls.length > 0 ? { html: htmls.join("\n") } : {}),
    attachments,
    limitsExceeded,
  };
}
