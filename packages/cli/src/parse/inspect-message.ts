/**
 * Reads a message as a stream with `@smtpkit/mime`'s streaming parser and
 * keeps only what `smtpkit parse` shows: the tree of parts (types,
 * encodings, sizes, offsets), the header fields, the first bytes of the text
 * and HTML bodies, and the list of attachments. Attachment bodies are handed
 * to a sink as they are decoded and never held, so memory does not grow with
 * the size of the message.
 *
 * Which parts count as text, HTML or attachment is decided as
 * `parseMessage` decides it (so the two agree; the tests check that): an
 * inline `text/plain` or `text/html` leaf without a file name is body text;
 * every other leaf, and every embedded `message/rfc822` as a whole, is an
 * attachment; parts inside an embedded message belong to that message.
 *
 * @module
 */
import {
  createMessageParser,
  type HeaderField,
  type LimitName,
  type MessageEvent,
  type ParserLimits,
  type PartInfo,
} from "@smtpkit/mime";

/** What a part is for the summary. */
export type PartRole = "text" | "html" | "attachment" | "container";

/** One part of the tree, as `smtpkit parse` shows it. */
export interface PartNode {
  /** The parser's path: `[]` for the message, `[1, 0]` for the first child of the second child. */
  readonly path: readonly number[];
  /** Media type, charset, transfer encoding, disposition, file name, Content-ID. */
  readonly info: PartInfo;
  /** The header fields (kept for the message itself, and for every part when asked). */
  readonly headers: readonly HeaderField[];
  /** Whether fields were skipped because of a header limit. */
  readonly headersTruncated: boolean;
  /** Offset of the first header byte in the input. */
  readonly offset: number;
  /** Offset of the body. */
  readonly bodyOffset: number;
  /** Offset just past the body. */
  bodyEnd: number;
  /** Decoded size of a leaf's body in bytes; for an embedded message, its size as stored. */
  size: number;
  /** For a multipart: whether its close delimiter was seen. */
  closed: boolean;
  /** What the part is for the summary; `undefined` inside an embedded message. */
  role: PartRole | undefined;
  /** Whether the parser treated it as a leaf (its body came as decoded bytes). */
  leaf: boolean;
  /** Multipart parts, or an embedded message's root. */
  readonly children: PartNode[];
}

/** Where an attachment's decoded bytes go while the message streams past. */
export interface AttachmentSink {
  /** Takes the next decoded bytes; the parser waits until it resolves. */
  write(bytes: Uint8Array): Promise<void>;
  /** The attachment is complete. */
  close(): Promise<void>;
  /** The message could not be read to the end: drop what was written. */
  abort(): Promise<void>;
}

/** The first bytes of one text or HTML body part. */
export interface BodyExcerpt {
  /** The part. */
  readonly part: PartNode;
  /** Its first decoded bytes (at most the excerpt budget). */
  readonly bytes: Uint8Array;
  /** Whether the body is longer than `bytes`. */
  readonly truncated: boolean;
}

/** Options of {@link inspectMessage}. */
export interface InspectOptions {
  /** The parser's limits. */
  readonly limits: ParserLimits;
  /** Throw the parser's `limit-exceeded` MimeError at the first limit hit instead of skipping past it. */
  readonly strict: boolean;
  /** Most bytes kept of each text or HTML part. */
  readonly excerptBytes: number;
  /** Keep every part's header fields (otherwise only the message's). */
  readonly keepPartHeaders: boolean;
  /** Called once per leaf attachment, before its first bytes; may give a sink for them. */
  readonly openAttachment?: (part: PartNode) => Promise<AttachmentSink | undefined>;
}

/** What {@link inspectMessage} found. */
export interface Inspection {
  /** The tree of parts. */
  readonly root: PartNode;
  /** Bytes read. */
  readonly size: number;
  /** The text/plain body parts, in order. */
  readonly text: readonly BodyExcerpt[];
  /** The text/html body parts, in order. */
  readonly html: readonly BodyExcerpt[];
  /** The attachments, in order. */
  readonly attachments: readonly PartNode[];
  /** Limits that were hit (the input past them was skipped). */
  readonly limitsExceeded: readonly LimitName[];
}

interface Collector {
  readonly part: PartNode;
  readonly chunks: Uint8Array[];
  kept: number;
  truncated: boolean;
}

/**
 * Streams a message through the parser and collects what the report needs.
 *
 * @param source - the message's bytes, in chunks of any size
 * @param options - limits, excerpt size, header keeping, attachment sink
 * @returns the tree, the excerpts and the attachments
 * @throws MimeError `invalid-limit` for an invalid limit, `limit-exceeded` in strict mode; whatever `source` or a sink throws
 * @internal
 */
export async function inspectMessage(source: AsyncIterable<Uint8Array>, options: InspectOptions): Promise<Inspection> {
  const parser = createMessageParser({ ...options.limits, onLimit: options.strict ? "error" : "truncate" });
  const open: PartNode[] = [];
  const text: Collector[] = [];
  const html: Collector[] = [];
  const attachments: PartNode[] = [];
  const limitsExceeded: LimitName[] = [];
  const collectors = new Map<PartNode, Collector>();
  const sinks = new Map<PartNode, AttachmentSink>();
  /** Parts inside an embedded message are not summarised. */
  const embedded = new Set<PartNode>();
  let root: PartNode | undefined;
  let size = 0;

  // A part's role is settled by what comes first: a child (it is a container),
  // body bytes or its end (it is a leaf).
  const settleLeaf = async (part: PartNode): Promise<void> => {
    if (part.role !== undefined || embedded.has(part)) return;
    const { info } = part;
    if (info.type === "text" && (info.subtype === "plain" || info.subtype === "html") && info.disposition !== "attachment" && info.filename === undefined) {
      part.role = info.subtype === "plain" ? "text" : "html";
      const collector: Collector = { part, chunks: [], kept: 0, truncated: false };
      collectors.set(part, collector);
      (part.role === "text" ? text : html).push(collector);
      return;
    }
    part.role = "attachment";
    attachments.push(part);
    const sink = await options.openAttachment?.(part);
    if (sink !== undefined) sinks.set(part, sink);
  };

  const handle = async (event: MessageEvent): Promise<void> => {
    switch (event.type) {
      case "part-start": {
        const parent = open[open.length - 1];
        const keepHeaders = parent === undefined || options.keepPartHeaders;
        const part: PartNode = {
          path: event.path,
          info: event.info,
          headers: keepHeaders ? event.headers : [],
          headersTruncated: event.headersTruncated,
          offset: event.offset,
          bodyOffset: event.bodyOffset,
          bodyEnd: event.bodyOffset,
          size: 0,
          closed: false,
          role: undefined,
          leaf: false,
          children: [],
        };
        if (parent === undefined) root = part;
        else {
          parent.children.push(part);
          if (embedded.has(parent)) embedded.add(part);
          else if (parent.role === undefined) {
            // Only an embedded message has a child without being a multipart:
            // it is one attachment, and its parts are its own.
            parent.role = "attachment";
            attachments.push(parent);
            embedded.add(part);
          } else if (parent.role === "attachment") embedded.add(part);
        }
        if (!embedded.has(part) && event.info.type === "multipart" && event.info.parameters["boundary"] !== undefined) {
          part.role = "container";
        }
        open.push(part);
        break;
      }
      case "part-body": {
        const part = open[open.length - 1];
        if (part === undefined) break;
        part.leaf = true;
        if (part.role === "container") break;
        await settleLeaf(part);
        const collector = collectors.get(part);
        if (collector !== undefined) {
          const room = options.excerptBytes - collector.kept;
          if (room > 0) {
            // Copied: the event's bytes may share memory with the next chunk.
            const piece = event.bytes.slice(0, room);
            collector.chunks.push(piece);
            collector.kept += piece.length;
          }
          if (event.bytes.length > room) collector.truncated = true;
        }
        await sinks.get(part)?.write(event.bytes);
        break;
      }
      case "preamble":
      case "epilogue":
        break;
      case "part-end": {
        const part = open.pop();
        if (part === undefined) break;
        part.bodyEnd = event.bodyEnd;
        part.closed = event.closed;
        // Still undecided: no body bytes and no child came, so it is an empty leaf.
        if (part.role === undefined) await settleLeaf(part);
        if (part.children.length === 0 && part.role !== "container") part.leaf = true;
        // The parser counts decoded bytes of leaves; an embedded message's size is its size as stored.
        part.size = part.leaf ? event.size : part.info.type === "multipart" ? 0 : part.bodyEnd - part.bodyOffset;
        const sink = sinks.get(part);
        if (sink !== undefined) {
          sinks.delete(part);
          await sink.close();
        }
        break;
      }
      case "limit-exceeded":
        if (!limitsExceeded.includes(event.limit)) limitsExceeded.push(event.limit);
        break;
    }
  };

  try {
    for await (const chunk of source) {
      size += chunk.length;
      for (const event of parser.push(chunk)) await handle(event);
    }
    for (const event of parser.end()) await handle(event);
  } catch (error) {
    // A failure half-way (a read error, a full disk): no half-written attachment stays.
    for (const sink of sinks.values()) await sink.abort().catch(() => undefined);
    throw error;
  }
  const excerpt = (collector: Collector): BodyExcerpt => ({
    part: collector.part,
    bytes: concat(collector.chunks, collector.kept),
    truncated: collector.truncated,
  });
  return {
    // The parser always starts the root part, even for empty input.
    root: root as PartNode,
    size,
    text: text.map(excerpt),
    html: html.map(excerpt),
    attachments,
    limitsExceeded,
  };
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
