/**
 * `buildMessage`: a complete RFC 5322 / MIME message from a plain spec.
 *
 * - Structure from the content (RFC 2046 §5.1): text only → one part; text
 *   and HTML → multipart/alternative; inline images (with a Content-ID) →
 *   multipart/related around the HTML; attachments → multipart/mixed.
 * - Transfer encoding per part (RFC 2045 §6): 7bit when the bytes allow it,
 *   quoted-printable for mostly-ASCII text, base64 otherwise; 8bit only when
 *   the transport has 8BITMIME (RFC 6152), binary only with BINARYMIME
 *   (RFC 3030). No line exceeds 998 octets; base64 and quoted-printable lines
 *   stay within 76.
 * - Headers folded at 78 columns where there is whitespace to fold at (RFC
 *   5322 §2.2.3); non-ASCII text as RFC 2047 encoded words unless the
 *   transport has SMTPUTF8 (RFC 6532); non-ASCII file names as RFC 2231
 *   parameters plus an encoded-word `name=` for old readers.
 * - Injection-proof: a CR, LF or NUL in any header value, name or address
 *   the caller passes is refused with a {@link MimeError}, never written.
 * - Deterministic: this module reads no clock and no random source.
 *   Boundaries and a missing Message-ID are derived from a hash of the
 *   content and the optional `seed`, so equal specs give equal bytes. Pass
 *   `date` (or let the submission server add Date, RFC 6409 §8.3) and a
 *   `seed` or `messageId` that differs per message.
 * - Bcc never appears in the header; {@link messageEnvelope} lists it.
 * - Line ends are CRLF everywhere.
 *
 * @module
 */
import { checkAddress, formatAddressList, type AddressInput } from "./address-list.js";
import { base64Encode, createBase64Encoder } from "./base64.js";
import { ByteBuilder, utf8 } from "./bytes.js";
import { encodeEncodedWord } from "./encoded-words.js";
import { MimeError } from "./mime-error.js";
import { encodeParameter } from "./parameters.js";
import { quotedPrintableEncode } from "./quoted-printable.js";

/** One attachment or inline file. */
export interface AttachmentSpec {
  /** The content: bytes, or text (written as UTF-8). */
  readonly content: Uint8Array | string;
  /** The file name shown to the reader (any text). */
  readonly filename?: string;
  /** The media type; default `application/octet-stream` (`text/plain; charset=utf-8` for string content). */
  readonly contentType?: string;
  /** A Content-ID (without angle brackets) for `cid:` references from the HTML (RFC 2392). Makes the file inline. */
  readonly contentId?: string;
  /** `"attachment"` (default without contentId) or `"inline"` (default with one). */
  readonly disposition?: "attachment" | "inline";
}

/** Content that arrives in pieces: an async iterable or a Web `ReadableStream` of bytes. */
export type StreamedContent = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** An attachment for {@link composeMessage}: like {@link AttachmentSpec}, and the content may be streamed. */
export interface StreamedAttachmentSpec extends Omit<AttachmentSpec, "content"> {
  /** Bytes, text, or a stream of bytes (always sent base64-encoded, since it cannot be inspected first). */
  readonly content: Uint8Array | string | StreamedContent;
}

/** The spec of {@link composeMessage}: a {@link MessageSpec} whose attachments may stream. */
export interface StreamedMessageSpec extends Omit<MessageSpec, "attachments"> {
  /** Attachments and inline files; their content may be streamed. */
  readonly attachments?: readonly StreamedAttachmentSpec[];
}

/** What the transport accepts (the SMTP extensions the server announced). */
export interface TransportCapabilities {
  /** 8BITMIME (RFC 6152): 8bit text may be sent as is. */
  readonly eightBitMime?: boolean;
  /** BINARYMIME (RFC 3030): attachments may be sent as raw binary (needs CHUNKING to transmit). */
  readonly binaryMime?: boolean;
  /** SMTPUTF8 (RFC 6531): headers and addresses may be UTF-8 (RFC 6532). */
  readonly smtpUtf8?: boolean;
}

/** The message to build. */
export interface MessageSpec {
  /** The author (RFC 5322 §3.6.2). */
  readonly from: AddressInput;
  /** The sender, when it differs from the author. */
  readonly sender?: AddressInput;
  /** Primary recipients. */
  readonly to?: readonly AddressInput[];
  /** Carbon-copy recipients. */
  readonly cc?: readonly AddressInput[];
  /** Blind recipients: in the envelope ({@link messageEnvelope}), never in the header. */
  readonly bcc?: readonly AddressInput[];
  /** Where replies go. */
  readonly replyTo?: readonly AddressInput[];
  /** The subject (any text). */
  readonly subject?: string;
  /** The origination date; omitted when absent (this module reads no clock). */
  readonly date?: Date;
  /** The Message-ID without angle brackets; derived from the content and `seed` when absent. */
  readonly messageId?: string;
  /** The Message-ID this replies to, without angle brackets. */
  readonly inReplyTo?: string;
  /** The thread's Message-IDs, without angle brackets. */
  readonly references?: readonly string[];
  /** The plain-text body. */
  readonly text?: string;
  /** The HTML body. */
  readonly html?: string;
  /** Attachments and inline files. */
  readonly attachments?: readonly AttachmentSpec[];
  /** More header fields, in order. Fields this module writes itself (Content-*, MIME-Version, Bcc...) are refused. */
  readonly headers?: readonly (readonly [name: string, value: string])[];
  /** What the transport accepts; default: plain 7-bit SMTP. */
  readonly transport?: TransportCapabilities;
  /** Mixed into every derived value (boundaries, Message-ID): give each message its own. */
  readonly seed?: string;
}

const CRLF = "\r\n";
const maxLine = 998;

// --- validation ----------------------------------------------------------------

function checkValue(value: string, what: string): string {
  if (typeof value !== "string") throw new MimeError("invalid-header", value, `${what} must be a string`);
  if (/[\r\n\0]/.test(value)) throw new MimeError("invalid-header", value, `${what} must not contain CR, LF or NUL`);
  return value;
}

/** RFC 5322 §3.6.8 field-name: printable ASCII except ":". */
function checkName(name: string): string {
  if (typeof name !== "string" || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
    throw new MimeError("invalid-header", name, `${JSON.stringify(name)} is not a header field name`);
  }
  return name;
}

/** Header fields the builder owns: a custom one would contradict the structure it writes. */
const reserved = new Set(["content-type", "content-transfer-encoding", "content-disposition", "content-id", "mime-version", "bcc", "from", "to", "cc", "sender", "reply-to", "subject", "date", "message-id", "in-reply-to", "references"]);

function checkMessageId(id: string, what: string): string {
  checkValue(id, what);
  if (!/^[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+$/.test(id)) {
    throw new MimeError("invalid-header", id, `${what} ${JSON.stringify(id)} is not id-left@id-right (RFC 5322 §3.6.4)`);
  }
  return id;
}

// --- hashing for derived values -------------------------------------------------

/** Two FNV-1a hashes, as 16 hex digits: stable identifiers, not security. */
class Hash {
  private first = 0x811c9dc5;
  private second = 0x01000193 ^ 0x5bd1e995;

  add(bytes: Uint8Array): this {
    let first = this.first;
    let second = this.second;
    for (let index = 0; index < bytes.length; index++) {
      const byte = bytes[index] as number;
      first = Math.imul(first ^ byte, 0x01000193);
      second = Math.imul(second ^ byte, 0x5bd1e995);
    }
    this.first = first;
    this.second = second;
    return this;
  }

  text(value: string): this {
    return this.add(utf8(value)).add(new Uint8Array([0]));
  }

  hex(): string {
    return (this.first >>> 0).toString(16).padStart(8, "0") + (this.second >>> 0).toString(16).padStart(8, "0");
  }
}

// --- header writing -----------------------------------------------------------------

/**
 * Folds a header field at whitespace so that lines stay within 78 characters
 * where possible (RFC 5322 §2.2.3) and never exceed 998.
 */
function foldField(name: string, value: string): string {
  const words = value.split(" ");
  let line = `${name}:`;
  const lines: string[] = [];
  for (const word of words) {
    if (line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = "";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  for (const folded of lines) {
    if (utf8(folded).length > maxLine) {
      throw new MimeError("invalid-header", value, `the ${name} field has a word too long to fold within ${maxLine} octets`);
    }
  }
  return lines.join(CRLF + "") + CRLF;
}

/**
 * Unstructured text (RFC 5322 §3.2.5): encoded words when needed (RFC 2047 §5 rule 1).
 *
 * `longWords` says what a word too long to fold at 78 columns becomes: for
 * the Subject, encoded words (which fold); for custom fields, which may be
 * structured (`List-Unsubscribe: <https://...>`, where an encoded word would
 * break the URL), the word is kept and its line may run past 78 columns
 * (RFC 5322 §2.1.1 only requires 998); only a word that would not fit in
 * 998 octets is encoded.
 */
function unstructured(value: string, utf8Allowed: boolean, longWords: "encode" | "keep", nameLength: number): string {
  const limit = longWords === "encode" ? 77 : maxLine - nameLength - 2;
  const needsEncoding =
    (!utf8Allowed && /[^\x20-\x7e\t]/.test(value)) ||
    // Control characters are never written as they are, even with SMTPUTF8.
    /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/.test(value) ||
    /=\?/.test(value) ||
    value.split(" ").some((word) => utf8(word).length > limit) ||
    value !== value.trim() ||
    value.includes("  ");
  return needsEncoding ? encodeEncodedWord(value) : value;
}

// --- bodies --------------------------------------------------------------------------

/** A body that is read and base64-encoded while the message is written. */
interface StreamedBody {
  readonly stream: StreamedContent;
}

interface Part {
  readonly headers: string;
  /** Body bytes as written (already transfer-encoded), a stream to encode, or child parts. */
  readonly body?: Uint8Array | StreamedBody;
  readonly children?: readonly Part[];
  readonly subtype?: string;
}

type Encoding = "7bit" | "8bit" | "binary" | "quoted-printable" | "base64";

/** Text with every line end made CRLF (RFC 2046 §4.1.1: CRLF is the line break of text). */
function canonicalText(text: string): string {
  return text.replace(/\r\n|\r|\n/g, CRLF);
}

function lineFacts(bytes: Uint8Array): { ascii: boolean; longest: number; nul: boolean; bareBreaks: boolean; escapes: number; controls: boolean } {
  let controls = false;
  let ascii = true;
  let longest = 0;
  let nul = false;
  let bareBreaks = false;
  let escapes = 0;
  let lineStart = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    if (byte >= 0x80) {
      ascii = false;
      escapes++;
    } else if (byte === 0) {
      nul = true;
      escapes++;
    } else if (byte === 0x0a) {
      if (index === 0 || bytes[index - 1] !== 0x0d) bareBreaks = true;
      longest = Math.max(longest, index - lineStart - 1);
      lineStart = index + 1;
    } else if (byte === 0x0d) {
      if (bytes[index + 1] !== 0x0a) bareBreaks = true;
    } else if ((byte < 0x20 && byte !== 0x09) || byte === 0x7f) {
      escapes++;
      controls = true;
    } else if (byte === 0x3d) {
      escapes++;
    }
  }
  longest = Math.max(longest, bytes.length - lineStart);
  return { ascii, longest, nul, bareBreaks, escapes, controls };
}

function chooseEncoding(bytes: Uint8Array, isText: boolean, transport: TransportCapabilities): Encoding {
  const facts = lineFacts(bytes);
  const lineSafe = !facts.nul && !facts.bareBreaks && facts.longest <= maxLine;
  // A body whose last line is "." or starts like a boundary is still fine: the
  // boundary check and SMTP dot-stuffing (RFC 5321 §4.5.2) handle those.
  // Attachments go 7bit only when they are plain printable text already.
  if (lineSafe && facts.ascii && (isText || !facts.controls)) return "7bit";
  if (lineSafe && transport.eightBitMime === true && isText) return "8bit";
  if (!isText) return transport.binaryMime === true ? "binary" : "base64";
  // Mostly ASCII text reads better as quoted-printable (RFC 2045 §6.7); one in
  // six bytes needing an escape is where base64 becomes shorter.
  return facts.escapes * 6 <= bytes.length ? "quoted-printable" : "base64";
}

function encodeBody(bytes: Uint8Array, encoding: Encoding): Uint8Array {
  switch (encoding) {
    case "base64":
      return utf8(base64Encode(bytes));
    case "quoted-printable":
      return utf8(quotedPrintableEncode(bytes));
    default:
      return bytes;
  }
}

function textPart(text: string, subtype: "plain" | "html", transport: TransportCapabilities): Part {
  checkTextValue(text);
  const bytes = utf8(canonicalText(text));
  const encoding = chooseEncoding(bytes, true, transport);
  const charset = lineFacts(bytes).ascii ? "us-ascii" : "utf-8";
  return {
    headers: `Content-Type: text/${subtype}; charset=${charset}${CRLF}Content-Transfer-Encoding: ${encoding}${CRLF}`,
    body: encodeBody(bytes, encoding),
  };
}

function checkTextValue(text: unknown): void {
  if (typeof text !== "string") throw new MimeError("invalid-argument", text, "text and html must be strings");
}

/**
 * A field with parameters, folded at 78 columns. It folds at any space,
 * including one inside a quoted parameter value: unfolding (RFC 5322 §2.2.3)
 * only removes the CRLF, so the value reads back exactly.
 */
function foldParameters(name: string, value: string, parameters: readonly string[]): string {
  return foldField(name, [value, ...parameters].join("; "));
}

function isStreamed(content: unknown): content is StreamedContent {
  if (typeof content !== "object" || content === null || content instanceof Uint8Array) return false;
  return Symbol.asyncIterator in content || typeof (content as { getReader?: unknown }).getReader === "function";
}

function attachmentPart(spec: StreamedAttachmentSpec, transport: TransportCapabilities): Part {
  if (typeof spec !== "object" || spec === null) throw new MimeError("invalid-argument", spec, "an attachment must be an object");
  const isString = typeof spec.content === "string";
  const streamed = isStreamed(spec.content);
  if (!isString && !streamed && !(spec.content instanceof Uint8Array)) {
    throw new MimeError("invalid-argument", spec.content, "attachment content must be a Uint8Array, a string or a stream of Uint8Array");
  }
  const bytes = streamed ? new Uint8Array(0) : isString ? utf8(spec.content as string) : (spec.content as Uint8Array);
  const mediaType = checkValue(spec.contentType ?? (isString ? "text/plain; charset=utf-8" : "application/octet-stream"), "contentType");
  // Parameters given with the type are written as they are: printable ASCII only (RFC 2045 §5.1).
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e\t]*)?$/.test(mediaType) || /^multipart\//i.test(mediaType)) {
    throw new MimeError("invalid-argument", mediaType, `${JSON.stringify(mediaType)} is not a media type for a single part`);
  }
  // A stream cannot be inspected first, and only base64 guarantees it holds no boundary.
  const encoding = streamed ? "base64" : chooseEncoding(bytes, false, transport);
  const typeParameters: string[] = [];
  const dispositionParameters: string[] = [];
  if (spec.filename !== undefined) {
    const filename = checkValue(spec.filename, "filename");
    for (const piece of encodeParameter("filename", filename)) dispositionParameters.push(piece);
    // RFC 2231 readers use filename*; old ones look at an encoded-word name= (RFC 2047 §5 forbids it, they read it).
    // A long name is written as encoded words too, so that its line can fold between them.
    const plain = /^[\x20-\x7e]*$/.test(filename) && filename.length <= 60 && !filename.includes("=?");
    const legacy = plain ? filename : encodeEncodedWord(filename);
    typeParameters.push(`name="${legacy.replace(/[\\"]/g, "\\$&")}"`);
  }
  const disposition = spec.disposition ?? (spec.contentId === undefined ? "attachment" : "inline");
  if (disposition !== "attachment" && disposition !== "inline") {
    throw new MimeError("invalid-argument", disposition, 'disposition must be "attachment" or "inline"');
  }
  let headers = foldParameters("Content-Type", mediaType, typeParameters);
  headers += `Content-Transfer-Encoding: ${encoding}${CRLF}`;
  headers += foldParameters("Content-Disposition", disposition, dispositionParameters);
  if (spec.contentId !== undefined) headers += foldField("Content-ID", `<${checkMessageId(spec.contentId, "contentId")}>`);
  return { headers, body: streamed ? { stream: spec.content as StreamedContent } : encodeBody(bytes, encoding) };
}

function multipart(subtype: string, children: readonly Part[]): Part {
  return { headers: "", children, subtype };
}

// --- assembly ----------------------------------------------------------------------

function containsLine(bytes: Uint8Array, marker: Uint8Array): boolean {
  // Any occurrence, not only at line starts: cheap and safe.
  outer: for (let index = bytes.indexOf(marker[0] as number); index !== -1; index = bytes.indexOf(marker[0] as number, index + 1)) {
    if (index + marker.length > bytes.length) return false;
    for (let offset = 1; offset < marker.length; offset++) if (bytes[index + offset] !== marker[offset]) continue outer;
    return true;
  }
  return false;
}

function leaves(part: Part, out: Uint8Array[] = []): Uint8Array[] {
  if (part.body instanceof Uint8Array) out.push(part.body);
  for (const child of part.children ?? []) leaves(child, out);
  return out;
}

/** The message as written: runs of bytes, and streamed bodies between them. */
type Segment = Uint8Array | StreamedBody;

class SegmentWriter {
  readonly segments: Segment[] = [];
  private bytes = new ByteBuilder(4096);

  ascii(text: string): void {
    this.bytes.appendAscii(text);
  }

  raw(bytes: Uint8Array): void {
    this.bytes.append(bytes);
  }

  stream(body: StreamedBody): void {
    this.flush();
    this.segments.push(body);
  }

  flush(): void {
    if (this.bytes.length > 0) this.segments.push(this.bytes.take());
  }
}

function write(part: Part, out: SegmentWriter, hash: Hash, counter: { value: number }, bodies: readonly Uint8Array[]): void {
  if (part.children === undefined) {
    out.ascii(part.headers);
    out.ascii(CRLF);
    const body = part.body as Uint8Array | StreamedBody;
    if (body instanceof Uint8Array) out.raw(body);
    else out.stream(body);
    return;
  }
  // RFC 2046 §5.1.1: a boundary that cannot occur in any encapsulated part.
  // "=_" never appears in base64 or quoted-printable output.
  let boundary: string;
  for (;;) {
    boundary = `=_${new Hash().text(hash.hex()).text(String(counter.value++)).hex()}`;
    const marker = utf8(`--${boundary}`);
    if (!bodies.some((body) => containsLine(body, marker))) break;
  }
  out.ascii(`Content-Type: multipart/${part.subtype as string}; boundary="${boundary}"${CRLF}${CRLF}`);
  for (const child of part.children) {
    out.ascii(`--${boundary}${CRLF}`);
    write(child, out, hash, counter, bodies);
    out.ascii(CRLF);
  }
  out.ascii(`--${boundary}--${CRLF}`);
}

function addresses(list: readonly AddressInput[] | undefined, what: string): readonly AddressInput[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new MimeError("invalid-address", list, `${what} must be an array of addresses`);
  return list;
}

function domainOf(address: AddressInput): string {
  const text = typeof address === "string" ? address : address.address;
  const at = text.lastIndexOf("@");
  return at === -1 ? "localhost" : text.slice(at + 1);
}

/**
 * Builds a complete message (CRLF line ends throughout). Equal specs give
 * equal bytes.
 *
 * @param spec - the message: addresses, subject, bodies, attachments, headers
 * @returns the message bytes, ready for SMTP DATA (before dot-stuffing) or BDAT
 * @throws {@link MimeError} `invalid-header` for CR, LF or NUL in any header text or a bad field name; `invalid-address` for an address that cannot be written; `invalid-argument` for a malformed spec
 * @example
 * ```ts
 * import { buildMessage } from "@smtpkit/mime";
 * const bytes = buildMessage({
 *   from: { name: "Ann", address: "ann@example.com" },
 *   to: ["bob@example.com"],
 *   subject: "Café",
 *   date: new Date("2026-01-02T03:04:05Z"),
 *   text: "Hello",
 *   html: "<p>Hello</p>",
 *   attachments: [{ filename: "report.pdf", contentType: "application/pdf", content: new Uint8Array([37, 80, 68, 70]) }],
 * });
 * ```
 */
export function buildMessage(spec: MessageSpec): Uint8Array {
  for (const attachment of spec?.attachments ?? []) {
    if (isStreamed(attachment?.content)) {
      throw new MimeError("invalid-argument", attachment.content, "streamed attachment content needs composeMessage, not buildMessage");
    }
  }
  const segments = writeSegments(spec);
  return segments[0] instanceof Uint8Array && segments.length === 1 ? segments[0] : concatSegments(segments);
}

function concatSegments(segments: readonly Segment[]): Uint8Array {
  const out = new ByteBuilder(4096);
  for (const segment of segments) if (segment instanceof Uint8Array) out.append(segment);
  return out.take();
}

/**
 * Writes a message whose attachments may be streams: the output comes in
 * pieces, and a streamed attachment is read and base64-encoded as it is
 * written, so memory stays small whatever its size. For the same spec with
 * byte contents, the pieces joined equal {@link buildMessage}'s output.
 *
 * @param spec - the message; attachment content may be an async iterable or a `ReadableStream` of bytes
 * @returns the message in pieces
 * @throws {@link MimeError} like {@link buildMessage}, before the first piece
 * @example
 * ```ts
 * import { composeMessage } from "@smtpkit/mime";
 * async function* video() { yield new Uint8Array(1024); yield new Uint8Array(1024); }
 * for await (const piece of composeMessage({ from: "a@example.com", text: "see attached", attachments: [{ filename: "v.mp4", content: video() }] })) {
 *   // write piece to the SMTP connection (dot-stuffed for DATA)
 * }
 * ```
 */
export function composeMessage(spec: StreamedMessageSpec): AsyncIterable<Uint8Array> {
  const segments = writeSegments(spec);
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      for (const segment of segments) {
        if (segment instanceof Uint8Array) {
          yield segment;
          continue;
        }
        const encoder = createBase64Encoder();
        for await (const chunk of readStream(segment.stream)) {
          const text = encoder.update(chunk);
          if (text.length > 0) yield utf8(text);
        }
        const rest = encoder.finish();
        if (rest.length > 0) yield utf8(rest);
      }
    },
  };
}

async function* readStream(stream: StreamedContent): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in stream) {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (!(chunk instanceof Uint8Array)) throw new MimeError("invalid-argument", chunk, "a streamed attachment must yield Uint8Array chunks");
      yield chunk;
    }
    return;
  }
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!(value instanceof Uint8Array)) throw new MimeError("invalid-argument", value, "a streamed attachment must yield Uint8Array chunks");
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function writeSegments(spec: StreamedMessageSpec): Segment[] {
  if (typeof spec !== "object" || spec === null) throw new MimeError("invalid-argument", spec, "the spec must be an object");
  const transport = spec.transport ?? {};
  const utf8Headers = transport.smtpUtf8 === true;
  const addressOptions = { utf8: utf8Headers };

  // Bodies first: the derived values hash them.
  if (spec.attachments !== undefined && !Array.isArray(spec.attachments)) throw new MimeError("invalid-argument", spec.attachments, "attachments must be an array");
  for (const attachment of spec.attachments ?? []) {
    if (typeof attachment !== "object" || attachment === null) throw new MimeError("invalid-argument", attachment, "an attachment must be an object");
  }
  if (spec.headers !== undefined && !Array.isArray(spec.headers)) throw new MimeError("invalid-header", spec.headers, "headers must be an array of [name, value] pairs");
  if (spec.references !== undefined && !Array.isArray(spec.references)) throw new MimeError("invalid-header", spec.references, "references must be an array of Message-IDs");
  const inline = (spec.attachments ?? []).filter((attachment) => attachment.contentId !== undefined && (attachment.disposition ?? "inline") === "inline");
  const attached = (spec.attachments ?? []).filter((attachment) => !inline.includes(attachment));
  let body: Part | undefined;
  const text = spec.text === undefined ? undefined : textPart(spec.text, "plain", transport);
  let html = spec.html === undefined ? undefined : textPart(spec.html, "html", transport);
  if (html !== undefined && inline.length > 0) {
    html = multipart("related", [html, ...inline.map((attachment) => attachmentPart(attachment, transport))]);
  }
  if (text !== undefined && html !== undefined) body = multipart("alternative", [text, html]);
  else body = text ?? html;
  const extra = [...(html === undefined ? inline : []), ...attached].map((attachment) => attachmentPart(attachment, transport));
  if (extra.length > 0) body = multipart("mixed", body === undefined ? extra : [body, ...extra]);
  body ??= textPart("", "plain", transport);

  const bodies = leaves(body);
  const hash = new Hash().text(spec.seed ?? "");
  for (const bytes of bodies) hash.add(bytes);

  // Header fields (RFC 5322 §3.6), in the customary order.
  let header = "";
  const field = (name: string, value: string): void => {
    header += foldField(name, value);
  };
  if (spec.date !== undefined) {
    if (!(spec.date instanceof Date) || Number.isNaN(spec.date.getTime())) throw new MimeError("invalid-argument", spec.date, "date must be a valid Date");
    field("Date", formatDate(spec.date));
  }
  field("From", formatAddressList([spec.from], addressOptions));
  if (spec.sender !== undefined) field("Sender", formatAddressList([spec.sender], addressOptions));
  const to = addresses(spec.to, "to");
  const cc = addresses(spec.cc, "cc");
  const replyTo = addresses(spec.replyTo, "replyTo");
  formatAddressList(addresses(spec.bcc, "bcc"), addressOptions); // validated, never written
  if (to.length > 0) field("To", formatAddressList(to, addressOptions));
  if (cc.length > 0) field("Cc", formatAddressList(cc, addressOptions));
  if (replyTo.length > 0) field("Reply-To", formatAddressList(replyTo, addressOptions));
  if (spec.subject !== undefined) field("Subject", unstructured(checkValue(spec.subject, "subject"), utf8Headers, "encode", "Subject".length));
  hash.text(header);
  const messageId = spec.messageId === undefined ? `${hash.hex()}@${domainOf(spec.from)}` : spec.messageId;
  field("Message-ID", `<${checkMessageId(messageId, "messageId")}>`);
  if (spec.inReplyTo !== undefined) field("In-Reply-To", `<${checkMessageId(spec.inReplyTo, "inReplyTo")}>`);
  if (spec.references !== undefined && spec.references.length > 0) {
    field("References", spec.references.map((id) => `<${checkMessageId(id, "references")}>`).join(" "));
  }
  for (const entry of spec.headers ?? []) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new MimeError("invalid-header", entry, "a custom header must be a [name, value] pair");
    const [name, value] = entry;
    checkName(name);
    if (reserved.has(name.toLowerCase())) {
      throw new MimeError("invalid-header", name, `${name} is written by buildMessage from the spec; it cannot be a custom header`);
    }
    field(name, unstructured(checkValue(value, name), utf8Headers, "keep", name.length));
  }
  field("MIME-Version", "1.0");

  const out = new SegmentWriter();
  out.raw(utf8(header));
  write(body, out, hash, { value: 0 }, bodies);
  out.flush();
  return out.segments;
}

const dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 5322 §3.3 date-time in UTC ("+0000"). */
function formatDate(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, "0");
  return `${dayNames[date.getUTCDay()] as string}, ${date.getUTCDate()} ${monthNames[date.getUTCMonth()] as string} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * The SMTP envelope of a spec: the reverse path (From, or Sender when given)
 * and every recipient (To, Cc and Bcc), addresses only, without duplicates.
 *
 * @param spec - the message spec
 * @returns `{ from, to }` for MAIL FROM and RCPT TO
 * @throws {@link MimeError} `invalid-header` for CR, LF or NUL in an address (it would inject SMTP commands); `invalid-address` for an empty address or one with spaces, angle brackets or other characters that cannot be written
 * @example
 * ```ts
 * import { messageEnvelope } from "@smtpkit/mime";
 * messageEnvelope({ from: "a@example.com", to: ["b@example.com"], bcc: ["c@example.com"] });
 * // { from: "a@example.com", to: ["b@example.com", "c@example.com"] }
 * ```
 */
export function messageEnvelope(spec: Pick<MessageSpec, "from" | "sender" | "to" | "cc" | "bcc">): { from: string; to: string[] } {
  if (typeof spec !== "object" || spec === null) throw new MimeError("invalid-argument", spec, "the spec must be an object");
  const address = (entry: AddressInput): string => {
    const value = typeof entry === "string" ? entry : (entry as { address?: unknown } | null)?.address;
    // These go into MAIL FROM and RCPT TO: a CR or LF here would inject SMTP commands.
    // Non-ASCII is allowed (the session decides whether SMTPUTF8 is on).
    checkAddress(value as string, true);
    return value as string;
  };
  const to: string[] = [];
  for (const entry of [...addresses(spec.to, "to"), ...addresses(spec.cc, "cc"), ...addresses(spec.bcc, "bcc")]) {
    const value = address(entry);
    if (!to.includes(value)) to.push(value);
  }
  return { from: address(spec.sender ?? spec.from), to };
}
