/**
 * MIME messages (RFC 2045–2049, RFC 5322) as trees of bounded depth:
 * multiparts (mixed, alternative, related, parallel) and embedded
 * `message/rfc822` parts around leaves in every transfer encoding (7bit,
 * 8bit, binary, quoted-printable, base64), text in several charsets,
 * attachments with plain and RFC 2231 file names, and subjects that need
 * RFC 2047 encoded words. {@link serializeMimeMessage} writes a tree as
 * bytes; `@smtpkit/mime`'s parser reads it back to the same structure.
 *
 * Why a tree of our own: `@smtpkit/mime`'s `buildMessage` chooses structure
 * and encodings itself (as a builder should), so it cannot produce, say, a
 * base64 text part inside a multipart/parallel inside a message/rfc822. The
 * tree here can, for testing parsers; {@link messageSpec} covers
 * `buildMessage`'s own input.
 *
 * @module
 */
import fc from "fast-check";
import { base64Encode, encodeEncodedWord, encodeParameter, formatAddressList, quotedPrintableEncode, type MessageSpec } from "@smtpkit/mime";
import { checkInteger } from "../testkit-error.js";
import { letDig, letters, nonAscii, nonAsciiLetters, unit, utf8, visible } from "../internal/characters.js";
import { record } from "../internal/record.js";
import { domain } from "./domain.js";
import { dotAtomLocalPart } from "./mailbox.js";

/** The transfer encodings of RFC 2045 §6.1. */
export type TransferEncoding = "7bit" | "8bit" | "binary" | "quoted-printable" | "base64";

/** A leaf part: content and how it is labelled and encoded. */
export interface MimeLeaf {
  /** The discriminant. */
  readonly kind: "leaf";
  /** The media type, lower case (`text/plain`, `image/png`...). */
  readonly mediaType: string;
  /** The charset of a text part (`utf-8`, `us-ascii`, `iso-8859-1`). */
  readonly charset?: string;
  /** The transfer encoding written in Content-Transfer-Encoding. */
  readonly transferEncoding: TransferEncoding;
  /** The content, decoded (for text: in its charset, CRLF line ends). */
  readonly content: Uint8Array;
  /** The file name (any text; RFC 2231 when not plain ASCII). */
  readonly filename?: string;
  /** The Content-Disposition type. */
  readonly disposition?: "inline" | "attachment";
}

/** A multipart (RFC 2046 §5.1). */
export interface MimeMultipart {
  /** The discriminant. */
  readonly kind: "multipart";
  /** The subtype. */
  readonly subtype: "mixed" | "alternative" | "related" | "parallel";
  /** The boundary (RFC 2046 §5.1.1: 1–70 bchars). */
  readonly boundary: string;
  /** The body parts (at least one). */
  readonly parts: readonly MimeNode[];
}

/** An embedded message (RFC 2046 §5.2.1, `message/rfc822`). */
export interface MimeEmbedded {
  /** The discriminant. */
  readonly kind: "message";
  /** The message inside. */
  readonly message: MimeMessage;
}

/** A node of a MIME tree. */
export type MimeNode = MimeLeaf | MimeMultipart | MimeEmbedded;

/** A message: a few header fields and the tree. */
export interface MimeMessage {
  /** The From address (`local@domain`). */
  readonly from: string;
  /** The From display name (any text; written as RFC 2047 encoded words when needed). */
  readonly fromName?: string;
  /** The To addresses. */
  readonly to: readonly string[];
  /** The subject (any text; written as encoded words when needed, RFC 2047). */
  readonly subject: string;
  /** The Message-ID without angle brackets. */
  readonly messageId: string;
  /** The body. */
  readonly root: MimeNode;
}

/** Options of {@link mimeMessage}. */
export interface MimeMessageOptions {
  /** The deepest nesting of multiparts and embedded messages, 0–5 (default 2). */
  readonly maxDepth?: number;
  /** Allow the 8bit encoding (an 8BITMIME transport, RFC 6152). Default true. */
  readonly eightBit?: boolean;
  /** Allow the binary encoding (a BINARYMIME transport, RFC 3030). Default true. */
  readonly binary?: boolean;
}

const charsets: Readonly<Record<string, { readonly chars: readonly string[]; readonly encode: (text: string) => Uint8Array; readonly decode: (bytes: Uint8Array) => string }>> = {
  "us-ascii": {
    chars: [...visible, " "],
    encode: (text) => Uint8Array.from(text, (c) => c.charCodeAt(0)),
    decode: (bytes) => String.fromCharCode(...bytes),
  },
  "iso-8859-1": {
    chars: [...visible, " ", ..."éüñçøåßÄÖ£§"],
    encode: (text) => Uint8Array.from(text, (c) => c.charCodeAt(0)),
    decode: (bytes) => String.fromCharCode(...bytes),
  },
  "utf-8": {
    chars: [...visible, " ", ...nonAscii],
    encode: (text) => utf8(text),
    decode: (bytes) => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
  },
};

function textContent(charset: string): fc.Arbitrary<Uint8Array> {
  const { chars, encode, decode } = charsets[charset] as (typeof charsets)[string];
  const line = fc.string({ unit: unit(chars), maxLength: 72 });
  return fc.array(line, { maxLength: 6 }).map(
    (lines) => encode(lines.join("\r\n")),
    (value) => {
      if (!(value instanceof Uint8Array)) throw new Error("not bytes");
      return decode(value).split("\r\n");
    },
  );
}

function textLeaf(eightBit: boolean, binary: boolean): fc.Arbitrary<MimeLeaf> {
  return fc.oneof(
    ...Object.keys(charsets).map((charset) => {
      const ascii = charset === "us-ascii";
      const encodings: TransferEncoding[] = ["quoted-printable", "base64"];
      if (ascii) encodings.push("7bit");
      if (eightBit) encodings.push("8bit");
      if (binary) encodings.push("binary");
      return record(
        {
          kind: fc.constant("leaf" as const),
          mediaType: fc.constantFrom("text/plain", "text/html"),
          charset: fc.constant(charset),
          transferEncoding: fc.constantFrom(...encodings),
          content: textContent(charset),
          disposition: fc.constant("inline" as const),
        },
        { requiredKeys: ["kind", "mediaType", "charset", "transferEncoding", "content"] },
      );
    }),
  ) as fc.Arbitrary<MimeLeaf>;
}

const filename = fc
  .tuple(
    fc.string({ unit: unit([...letDig, "-", "_", " ", ...nonAsciiLetters]), minLength: 1, maxLength: 24 }),
    fc.constantFrom<string>(".bin", ".png", ".pdf", ".txt", ""),
  )
  .filter(([stem]) => stem.trim() === stem)
  .map(
    ([stem, extension]) => stem + extension,
    (value) => {
      if (typeof value !== "string") throw new Error("not a file name");
      const dot = value.lastIndexOf(".");
      return dot < 0 ? [value, ""] : [value.slice(0, dot), value.slice(dot)];
    },
  );

function attachmentLeaf(binary: boolean): fc.Arbitrary<MimeLeaf> {
  const encodings: TransferEncoding[] = ["base64", "quoted-printable"];
  if (binary) encodings.push("binary");
  return record(
    {
      kind: fc.constant("leaf" as const),
      mediaType: fc.constantFrom("application/octet-stream", "image/png", "application/pdf"),
      transferEncoding: fc.constantFrom(...encodings),
      content: fc.uint8Array({ maxLength: 300 }),
      filename,
      disposition: fc.constantFrom("attachment" as const, "inline" as const),
    },
    { requiredKeys: ["kind", "mediaType", "transferEncoding", "content"] },
  ) as fc.Arbitrary<MimeLeaf>;
}

const boundary = fc.string({ unit: unit(letDig), minLength: 12, maxLength: 24 }).map(
  (text) => `=_${text}`,
  (value) => {
    if (typeof value !== "string" || !value.startsWith("=_")) throw new Error("not a generated boundary");
    return value.slice(2);
  },
);

const address = fc.tuple(dotAtomLocalPart({ maxLength: 20 }), domain({ maxLength: 40 })).map(
  ([local, d]) => `${local}@${d}`,
  (value) => {
    if (typeof value !== "string" || value.lastIndexOf("@") < 0) throw new Error("not an address");
    const at = value.lastIndexOf("@");
    return [value.slice(0, at), value.slice(at + 1)] as [string, string];
  },
);

const subject = fc
  .string({ unit: unit([...letters, " ", ...visible.slice(0, 20), ...nonAscii]), maxLength: 50 })
  .filter((text) => text.trim() === text && !text.includes("  ") && !text.includes("=?"));

const messageId = fc.tuple(fc.string({ unit: unit(letDig), minLength: 4, maxLength: 16 }), domain({ maxLength: 30 })).map(
  ([left, right]) => `${left}@${right}`,
  (value) => {
    if (typeof value !== "string" || value.indexOf("@") < 0) throw new Error("not a Message-ID");
    const at = value.indexOf("@");
    return [value.slice(0, at), value.slice(at + 1)] as [string, string];
  },
);

function nodes(depth: number, eightBit: boolean, binary: boolean): fc.Arbitrary<MimeNode> {
  const leaf = fc.oneof({ arbitrary: textLeaf(eightBit, binary), weight: 2 }, { arbitrary: attachmentLeaf(binary), weight: 1 });
  if (depth === 0) return leaf;
  const inner = nodes(depth - 1, eightBit, binary);
  const multipart = record({
    kind: fc.constant("multipart" as const),
    subtype: fc.constantFrom("mixed" as const, "alternative" as const, "related" as const, "parallel" as const),
    boundary,
    parts: fc.array(inner, { minLength: 1, maxLength: 3 }),
  });
  const embedded = record({ kind: fc.constant("message" as const), message: messageOf(inner) });
  return fc.oneof({ arbitrary: leaf, weight: 3 }, { arbitrary: multipart, weight: 2 }, { arbitrary: embedded, weight: 1 });
}

const displayName = fc
  .string({ unit: unit([...letters, " ", ".", "'", ...nonAsciiLetters]), minLength: 1, maxLength: 30 })
  .filter((text) => text.trim() === text && !text.includes("  "));

function messageOf(root: fc.Arbitrary<MimeNode>): fc.Arbitrary<MimeMessage> {
  return record(
    { from: address, fromName: displayName, to: fc.array(address, { minLength: 1, maxLength: 3 }), subject, messageId, root },
    { requiredKeys: ["from", "to", "subject", "messageId", "root"] },
  ) as fc.Arbitrary<MimeMessage>;
}

function boundaries(node: MimeNode, out: string[] = []): string[] {
  if (node.kind === "multipart") {
    out.push(node.boundary);
    for (const part of node.parts) boundaries(part, out);
  } else if (node.kind === "message") {
    boundaries(node.message.root, out);
  }
  return out;
}

function rawLeaves(node: MimeNode, out: Uint8Array[] = []): Uint8Array[] {
  if (node.kind === "leaf") {
    if (node.transferEncoding === "7bit" || node.transferEncoding === "8bit" || node.transferEncoding === "binary") out.push(node.content);
  } else if (node.kind === "multipart") {
    for (const part of node.parts) rawLeaves(part, out);
  } else {
    rawLeaves(node.message.root, out);
  }
  return out;
}

function includes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * Whether a tree can be written unambiguously: its boundaries are distinct,
 * none is a prefix of another (RFC 2046 §5.1.1: a delimiter is recognized by
 * its start), and no content sent as it is holds a delimiter.
 *
 * @param message - the tree
 * @returns whether {@link serializeMimeMessage} gives bytes that parse back to it
 */
function unambiguous(message: MimeMessage): boolean {
  const all = boundaries(message.root);
  for (const a of all) for (const b of all) if (a !== b && b.startsWith(a)) return false;
  if (new Set(all).size !== all.length) return false;
  const delimiters = all.map((b) => utf8(`--${b}`));
  return rawLeaves(message.root).every((content) => delimiters.every((d) => !includes(content, d)));
}

/**
 * A MIME message tree of bounded depth (see the module documentation),
 * whose serialization parses back unambiguously.
 *
 * @param options - depth and the encodings the transport allows
 * @returns an arbitrary of message trees (records: user trees shrink too)
 * @throws {@link TestkitError} (`invalid-argument`) for a depth outside 0–5
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseMessage } from "@smtpkit/mime";
 * import { mimeMessage, serializeMimeMessage } from "@smtpkit/testkit";
 * fc.assert(fc.property(mimeMessage(), (tree) => parseMessage(serializeMimeMessage(tree)).subject === tree.subject));
 * ```
 */
export function mimeMessage(options: MimeMessageOptions = {}): fc.Arbitrary<MimeMessage> {
  const maxDepth = checkInteger("maxDepth", options.maxDepth ?? 2, 0, 5);
  return messageOf(nodes(maxDepth, options.eightBit !== false, options.binary !== false)).filter(unambiguous);
}

const rank: Readonly<Record<TransferEncoding, number>> = { "7bit": 0, "quoted-printable": 0, base64: 0, "8bit": 1, binary: 2 };

/** The widest encoding inside a node: what a multipart or message/rfc822 around it must declare (RFC 2045 §6.4). */
function widest(node: MimeNode): "7bit" | "8bit" | "binary" {
  let level = 0;
  if (node.kind === "leaf") level = rank[node.transferEncoding];
  else if (node.kind === "multipart") for (const part of node.parts) level = Math.max(level, rank[widest(part)]);
  // Subjects are written as encoded words and addresses are ASCII: an embedded message's header stays 7-bit.
  else level = rank[widest(node.message.root)];
  return level === 2 ? "binary" : level === 1 ? "8bit" : "7bit";
}

function encodeBody(leaf: MimeLeaf): string | Uint8Array {
  switch (leaf.transferEncoding) {
    case "base64":
      return `${base64Encode(leaf.content)}\r\n`;
    case "quoted-printable":
      return quotedPrintableEncode(leaf.content, { mode: leaf.mediaType.startsWith("text/") ? "text" : "binary" });
    default:
      return leaf.content;
  }
}

function parameterList(name: string, value: string): string {
  return encodeParameter(name, value)
    .map((piece) => `;\r\n ${piece}`)
    .join("");
}

function nodeHeaders(node: MimeNode): string {
  if (node.kind === "leaf") {
    let type = `Content-Type: ${node.mediaType}`;
    if (node.charset !== undefined) type += `; charset=${node.charset}`;
    if (node.filename !== undefined) type += parameterList("name", node.filename);
    let out = `${type}\r\nContent-Transfer-Encoding: ${node.transferEncoding}\r\n`;
    if (node.disposition !== undefined) {
      out += `Content-Disposition: ${node.disposition}${node.filename === undefined ? "" : parameterList("filename", node.filename)}\r\n`;
    }
    return out;
  }
  const encoding = widest(node);
  const cte = encoding === "7bit" ? "" : `Content-Transfer-Encoding: ${encoding}\r\n`;
  if (node.kind === "multipart") return `Content-Type: multipart/${node.subtype}; boundary="${node.boundary}"\r\n${cte}`;
  return `Content-Type: message/rfc822\r\n${cte}`;
}

function writeNode(node: MimeNode, out: (string | Uint8Array)[]): void {
  if (node.kind === "leaf") {
    out.push(encodeBody(node));
  } else if (node.kind === "multipart") {
    out.push("This is a multi-part message in MIME format.\r\n");
    for (const part of node.parts) {
      out.push(`--${node.boundary}\r\n`, nodeHeaders(part), "\r\n");
      writeNode(part, out);
      out.push("\r\n");
    }
    out.push(`--${node.boundary}--\r\n`);
  } else {
    writeMessage(node.message, out);
  }
}

function writeMessage(message: MimeMessage, out: (string | Uint8Array)[]): void {
  const ascii = /^[\x20-\x7e]*$/.test(message.subject);
  const subjectField = ascii ? message.subject : encodeEncodedWord(message.subject);
  const from = formatAddressList([message.fromName === undefined ? message.from : { name: message.fromName, address: message.from }]);
  out.push(
    `From: ${from}\r\nTo: ${message.to.join(", ")}\r\nSubject: ${subjectField}\r\nMessage-ID: <${message.messageId}>\r\nMIME-Version: 1.0\r\n`,
    nodeHeaders(message.root),
    "\r\n",
  );
  writeNode(message.root, out);
}

/**
 * Writes a message tree as bytes: RFC 5322 header fields (the subject and
 * the From display name as RFC 2047 encoded words when they are not plain
 * ASCII, with `@smtpkit/mime`'s `formatAddressList`), MIME-Version, each
 * part's Content-Type (with charset, boundary, RFC 2231 names),
 * Content-Transfer-Encoding and Content-Disposition, bodies encoded with
 * `@smtpkit/mime`'s base64 and quoted-printable encoders, CRLF everywhere.
 * Multiparts and embedded messages declare the widest encoding inside them
 * (RFC 2045 §6.4).
 *
 * @param message - a tree, typically from {@link mimeMessage}
 * @returns the message's octets
 * @throws `MimeError` of `@smtpkit/mime` for a value its encoders refuse (a CR in a file name)
 * @example
 * ```ts
 * import { serializeMimeMessage } from "@smtpkit/testkit";
 * const bytes = serializeMimeMessage({
 *   from: "a@example.com", to: ["b@example.com"], subject: "Hi", messageId: "1@example.com",
 *   root: { kind: "leaf", mediaType: "text/plain", charset: "us-ascii", transferEncoding: "7bit", content: new TextEncoder().encode("Hello") },
 * });
 * ```
 */
export function serializeMimeMessage(message: MimeMessage): Uint8Array {
  const pieces: (string | Uint8Array)[] = [];
  writeMessage(message, pieces);
  const parts = pieces.map((piece) => (typeof piece === "string" ? utf8(piece) : piece));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * A `MessageSpec` for `@smtpkit/mime`'s `buildMessage`: From, To, Cc, a
 * subject in any script, text and/or HTML bodies (with dot lines, long
 * lines and non-ASCII text), attachments with any bytes and file names, and
 * the transport's capabilities.
 *
 * @returns an arbitrary of specs (records: a user's spec shrinks too)
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { buildMessage, parseMessage } from "@smtpkit/mime";
 * import { messageSpec } from "@smtpkit/testkit";
 * fc.assert(fc.property(messageSpec(), (spec) => parseMessage(buildMessage(spec)).subject === spec.subject));
 * ```
 */
export function messageSpec(): fc.Arbitrary<MessageSpec> {
  const bodyText = fc
    .array(fc.oneof(fc.string({ unit: unit([...visible, " ", ...nonAscii]), maxLength: 100 }), fc.constant("."), fc.constant("From here")), { maxLength: 6 })
    .map(
      (lines) => lines.join("\n"),
      (value) => {
        if (typeof value !== "string") throw new Error("not text");
        return value.split("\n");
      },
    );
  const attachment = record(
    {
      content: fc.uint8Array({ maxLength: 200 }),
      filename,
      contentType: fc.constantFrom("application/octet-stream", "image/png", "application/pdf"),
    },
    { requiredKeys: ["content"] },
  );
  return record(
    {
      from: address,
      to: fc.array(address, { minLength: 1, maxLength: 3 }),
      cc: fc.array(address, { maxLength: 2 }),
      subject,
      text: bodyText,
      html: bodyText.map(
        (text) => `<p>${text.replace(/[<&>]/g, "")}</p>`,
        (value) => {
          if (typeof value !== "string" || !value.startsWith("<p>") || !value.endsWith("</p>")) throw new Error("not generated HTML");
          return value.slice(3, -4);
        },
      ),
      attachments: fc.array(attachment, { maxLength: 2 }),
      transport: record({ eightBitMime: fc.boolean(), binaryMime: fc.boolean(), smtpUtf8: fc.boolean() }, { requiredKeys: [] }),
      seed: fc.string({ unit: unit(letDig), maxLength: 8 }),
    },
    { requiredKeys: ["from", "to", "subject"] },
  ) as fc.Arbitrary<MessageSpec>;
}
