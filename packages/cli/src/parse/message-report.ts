/**
 * The report `smtpkit parse` prints: built once from an {@link Inspection}
 * as plain data (which is the `--json` output), then rendered as text.
 *
 * @module
 */
import {
  decodeCharset,
  decodeEncodedWords,
  decodeFlowed,
  flattenAddressList,
  getHeader,
  parseAddressList,
  parseDate,
  type HeaderField,
  type LimitName,
  type Mailbox,
} from "@smtpkit/mime";
import type { BodyExcerpt, Inspection, PartNode } from "./inspect-message.js";

/** A mailbox as the report shows it. */
export interface ReportMailbox {
  /** The display name, decoded (`""` when absent). */
  readonly name: string;
  /** The address. */
  readonly address: string;
}

/** The start of the text or HTML body. */
export interface ReportExcerpt {
  /** The first characters, charset-decoded, line ends LF. */
  readonly excerpt: string;
  /** Whether the body goes on after `excerpt`. */
  readonly truncated: boolean;
}

/** One attachment in the report. */
export interface ReportAttachment {
  /** The part's path in the tree. */
  readonly path: readonly number[];
  /** The file name the message gives, decoded. */
  readonly filename?: string;
  /** The media type. */
  readonly mediaType: string;
  /** The disposition, if given. */
  readonly disposition?: string;
  /** The Content-ID, if given. */
  readonly contentId?: string;
  /** Decoded size in bytes (an embedded message: its size as stored). */
  readonly size: number;
  /** With `--extract`: the file written. */
  readonly savedAs?: string;
  /** With `--extract`: why it was not written. */
  readonly error?: string;
}

/** One part of the tree in the report. */
export interface ReportPart {
  /** The parser's path (`[]` for the message). */
  readonly path: readonly number[];
  /** The media type. */
  readonly mediaType: string;
  /** The charset parameter. */
  readonly charset?: string;
  /** The transfer encoding. */
  readonly transferEncoding: string;
  /** The disposition. */
  readonly disposition?: string;
  /** The file name, decoded. */
  readonly filename?: string;
  /** The Content-ID. */
  readonly contentId?: string;
  /** Offset of the first header byte. */
  readonly offset: number;
  /** Offset of the body. */
  readonly bodyOffset: number;
  /** Offset just past the body. */
  readonly bodyEnd: number;
  /** Decoded body size of a leaf (an embedded message: its size as stored; a multipart: 0). */
  readonly size: number;
  /** For a multipart whose close delimiter is missing: `false`. */
  readonly closed?: boolean;
  /** Set when header fields were skipped because of a limit. */
  readonly headersTruncated?: true;
  /** The parts inside. */
  readonly children: readonly ReportPart[];
}

/** One header field in the report. */
export interface ReportHeaderField {
  /** The name as written. */
  readonly name: string;
  /** The field as stored: name, colon, folded body (without the final line end). */
  readonly raw: string;
  /** The body unfolded, encoded words decoded. */
  readonly decoded: string;
  /** Offset of the field in the input. */
  readonly offset: number;
}

/** The header fields of one part. */
export interface ReportHeaders {
  /** The part's path. */
  readonly path: readonly number[];
  /** Its fields, in order. */
  readonly fields: readonly ReportHeaderField[];
}

/** Everything `smtpkit parse` reports; the `--json` document. */
export interface MessageReport {
  /** The file read (`-` for standard input). */
  readonly file: string;
  /** Its size in bytes. */
  readonly size: number;
  /** The summary view. */
  readonly summary: {
    readonly from: ReportMailbox | null;
    readonly to: readonly ReportMailbox[];
    readonly cc: readonly ReportMailbox[];
    readonly subject: string | null;
    readonly date: { readonly raw: string; readonly iso: string | null } | null;
    readonly messageId: string | null;
    readonly text: ReportExcerpt | null;
    readonly html: ReportExcerpt | null;
    readonly attachments: readonly ReportAttachment[];
  };
  /** The tree of parts. */
  readonly parts: ReportPart;
  /** With `--headers`: every part's header fields. */
  readonly headers?: readonly ReportHeaders[];
  /** The parser limits the message hit; input past them was skipped. */
  readonly limitsExceeded: readonly LimitName[];
}

/** What the report needs beyond the inspection. */
export interface ReportOptions {
  /** The file name to show. */
  readonly file: string;
  /** Most characters of each excerpt. */
  readonly excerptCharacters: number;
  /** Whether to list every header field. */
  readonly headers: boolean;
  /** Extraction results, by part. */
  readonly extracted?: ReadonlyMap<PartNode, { readonly file: string; readonly error?: string }>;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 when valid, else windows-1252: what unlabeled 8-bit mail nearly always is. */
function decodeUnlabeled(bytes: Uint8Array, cut: boolean): string {
  try {
    // `stream` leaves a character the excerpt cut in half undecoded instead of failing.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: cut });
  } catch {
    return decodeCharset(bytes, "windows-1252");
  }
}

function decodeExcerpt(excerpt: BodyExcerpt): string {
  const { info } = excerpt.part;
  const declared = info.charset === undefined || info.charset === "us-ascii" ? undefined : info.charset;
  let text = declared === undefined ? decodeUnlabeled(excerpt.bytes, excerpt.truncated) : decodeCharset(excerpt.bytes, declared);
  // A multi-byte character cut by the excerpt decodes as one replacement character.
  if (excerpt.truncated && text.endsWith("\uFFFD")) text = text.slice(0, -1);
  if (text.includes("\r")) text = text.replaceAll("\r\n", "\n");
  if ((info.parameters["format"] ?? "").toLowerCase() === "flowed") {
    text = decodeFlowed(text, (info.parameters["delsp"] ?? "").toLowerCase() === "yes");
  }
  return text;
}

function excerptOf(parts: readonly BodyExcerpt[], characters: number): ReportExcerpt | null {
  if (parts.length === 0) return null;
  let truncated = parts.some((part) => part.truncated);
  const joined = parts.map(decodeExcerpt).join("\n");
  const codePoints = Array.from(joined);
  if (codePoints.length > characters) truncated = true;
  return { excerpt: codePoints.slice(0, characters).join(""), truncated };
}

function mailboxes(headers: readonly HeaderField[], key: string): ReportMailbox[] {
  const out: ReportMailbox[] = [];
  for (const field of headers) {
    if (field.key !== key) continue;
    for (const mailbox of flattenAddressList(parseAddressList(field.value))) out.push(toMailbox(mailbox));
  }
  return out;
}

function toMailbox(mailbox: Mailbox): ReportMailbox {
  return { name: mailbox.name, address: mailbox.address };
}

function firstMessageId(value: string | undefined): string | null {
  if (value === undefined) return null;
  const open = value.indexOf("<");
  const close = open === -1 ? -1 : value.indexOf(">", open);
  if (close !== -1) return value.slice(open + 1, close).trim();
  const bare = value.trim().split(/\s+/)[0] ?? "";
  return bare.length > 0 ? bare : null;
}

function reportPart(part: PartNode): ReportPart {
  const { info } = part;
  return {
    path: part.path,
    mediaType: info.mediaType,
    ...(info.charset !== undefined ? { charset: info.charset } : {}),
    transferEncoding: info.transferEncoding,
    ...(info.disposition !== undefined ? { disposition: info.disposition } : {}),
    ...(info.filename !== undefined ? { filename: info.filename } : {}),
    ...(info.contentId !== undefined ? { contentId: info.contentId } : {}),
    offset: part.offset,
    bodyOffset: part.bodyOffset,
    bodyEnd: part.bodyEnd,
    size: part.size,
    ...(part.role === "container" ? { closed: part.closed } : {}),
    ...(part.headersTruncated ? { headersTruncated: true as const } : {}),
    children: part.children.map(reportPart),
  };
}

function rawText(raw: Uint8Array): string {
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0x0a) end--;
  if (end > 0 && raw[end - 1] === 0x0d) end--;
  const bytes = raw.subarray(0, end);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeCharset(bytes, "windows-1252");
  }
}

function headerReport(root: PartNode): ReportHeaders[] {
  const out: ReportHeaders[] = [];
  const visit = (part: PartNode): void => {
    out.push({
      path: part.path,
      fields: part.headers.map((field) => ({
        name: field.name,
        raw: rawText(field.raw),
        decoded: decodeEncodedWords(field.value),
        offset: field.offset,
      })),
    });
    for (const child of part.children) visit(child);
  };
  visit(root);
  return out;
}

/**
 * Builds the report.
 *
 * @param inspection - what the streaming walk found
 * @param options - file name, excerpt length, header listing, extraction results
 * @returns the report (JSON-ready data)
 * @internal
 */
export function buildReport(inspection: Inspection, options: ReportOptions): MessageReport {
  const { root } = inspection;
  const headers = root.headers;
  const subject = getHeader(headers, "subject");
  const date = getHeader(headers, "date");
  const parsedDate = date === undefined ? undefined : parseDate(date);
  const attachments = inspection.attachments.map((part): ReportAttachment => {
    const extracted = options.extracted?.get(part);
    return {
      path: part.path,
      ...(part.info.filename !== undefined ? { filename: part.info.filename } : {}),
      mediaType: part.info.mediaType,
      ...(part.info.disposition !== undefined ? { disposition: part.info.disposition } : {}),
      ...(part.info.contentId !== undefined ? { contentId: part.info.contentId } : {}),
      size: part.size,
      ...(extracted !== undefined && extracted.error === undefined ? { savedAs: extracted.file } : {}),
      ...(extracted?.error !== undefined ? { error: `${extracted.file}: ${extracted.error}` } : {}),
    };
  });
  return {
    file: options.file,
    size: inspection.size,
    summary: {
      from: mailboxes(headers, "from")[0] ?? null,
      to: mailboxes(headers, "to"),
      cc: mailboxes(headers, "cc"),
      subject: subject === undefined ? null : decodeEncodedWords(subject),
      date: date === undefined ? null : { raw: date, iso: parsedDate === undefined || Number.isNaN(parsedDate.getTime()) ? null : parsedDate.toISOString() },
      messageId: firstMessageId(getHeader(headers, "message-id")),
      text: excerptOf(inspection.text, options.excerptCharacters),
      html: excerptOf(inspection.html, options.excerptCharacters),
      attachments,
    },
    parts: reportPart(root),
    ...(options.headers ? { headers: headerReport(root) } : {}),
    limitsExceeded: inspection.limitsExceeded,
  };
}
