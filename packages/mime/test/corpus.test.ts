// The shared public corpus (../shared/corpus, see its README): every message is parsed
// (no crash, no hang), in one piece and in chunks (identical events), with LF and with
// CRLF line ends (identical decoded content); stalwart-mail-parser's expected output is
// compared part by part, and every message where we differ is listed with the reason.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { createMessageParser, parseMessage, type MessageEvent, type MessagePart, type ParsedMessage } from "@smtpkit/mime";
import { corpusRoot, normalizeEvents, splitAt } from "./helpers.js";

const root = corpusRoot();

function filesUnder(directory: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

function messages(): string[] {
  const stalwart = filesUnder(join(root, "stalwart-mail-parser/resources/eml")).filter((path) => path.endsWith(".eml"));
  const maildir = filesUnder(join(root, "stalwart-mail-parser/resources/maildir"));
  const mikel = filesUnder(join(root, "mikel-mail/spec/fixtures/emails")).filter((path) => !path.endsWith(".json"));
  return [...stalwart, ...maildir, ...mikel].sort();
}

const toLf = (bytes: Uint8Array): Uint8Array => Uint8Array.from(Buffer.from(Buffer.from(bytes).toString("latin1").replace(/\r\n/g, "\n"), "latin1"));
const toCrlf = (bytes: Uint8Array): Uint8Array => Uint8Array.from(Buffer.from(Buffer.from(bytes).toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1"));

/** What must not depend on line ends: headers' values, texts, and non-7bit attachments. */
function content(message: ParsedMessage): unknown {
  return {
    subject: message.subject,
    from: message.from,
    to: message.to,
    text: message.text,
    html: message.html,
    attachments: message.attachments.map((attachment) => ({
      ...attachment,
      // RFC 2045 §2.7: a 7bit/8bit/binary body is stored as is, line ends included.
      bytes: ["base64", "quoted-printable"].includes(transferEncodingOf(message.root, attachment.path)) ? Array.from(attachment.bytes) : "stored",
      size: undefined,
    })),
  };
}

function transferEncodingOf(part: MessagePart, path: readonly number[]): string {
  let current = part;
  for (const index of path) current = current.children[index] ?? current;
  return current.info.transferEncoding;
}

function parseInChunks(bytes: Uint8Array, cuts: number[]): MessageEvent[] {
  const parser = createMessageParser();
  const events: MessageEvent[] = [];
  for (const chunk of splitAt(bytes, cuts)) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

describe("public corpus (../shared/corpus)", () => {
  const files = messages();
  const name = (file: string): string => relative(root, file);

  it("has the messages the README promises", () => {
    expect(files.length).toBeGreaterThanOrEqual(150);
  });

  // One test per message, so that a slow machine times out one message, not the whole corpus.
  it.each(files.map(name))("parses %s in one piece and in chunks, with identical events", (file) => {
    const bytes = new Uint8Array(readFileSync(join(root, file)));
    const whole = parseInChunks(bytes, []);
    const cuts = [1, 2, 3, 7, 64, 65, 500, 1000, 4096].map((cut) => (cut * 7919 + bytes.length) % (bytes.length + 1));
    expect(normalizeEvents(parseInChunks(bytes, cuts))).toEqual(normalizeEvents(whole));
    expect(() => parseMessage(bytes)).not.toThrow();
  });

  it.each(files.map(name))("gives the same decoded content for LF and CRLF line ends: %s", (file) => {
    const bytes = new Uint8Array(readFileSync(join(root, file)));
    // A bare CR is data, not a line end: such a message has no LF-only twin.
    // Nor does a binary body (RFC 3030), whose 0x0A bytes may be halves of UTF-16 characters.
    const text = Buffer.from(bytes).toString("latin1");
    if (/\r(?!\n)/.test(text) || /content-transfer-encoding:\s*binary/i.test(text)) return;
    expect(content(parseMessage(toLf(bytes)))).toEqual(content(parseMessage(toCrlf(bytes))));
  });

  it("agrees with stalwart-mail-parser's expected output except where listed", () => {
    const base = join(root, "stalwart-mail-parser/resources/eml");
    const differing: string[] = [];
    for (const directory of ["rfc", "malformed", "thirdparty"]) {
      for (const name of readdirSync(join(base, directory)).filter((file) => file.endsWith(".eml")).sort()) {
        const raw = new Uint8Array(readFileSync(join(base, directory, name)));
        for (const variant of ["", ".crlf"]) {
          const expected = JSON.parse(readFileSync(join(base, directory, name.replace(".eml", `${variant}.json`)), "utf8")) as Stalwart;
          const ours = parseMessage(variant === "" ? raw : toCrlf(raw)).root;
          const problems: string[] = [];
          compare(ours, expected, problems);
          if (problems.length > 0 && variant === "") differing.push(`${directory}/${name}`);
          if (problems.length > 0 && variant !== "" && !differing.includes(`${directory}/${name}`)) differing.push(`${directory}/${name} (CRLF only)`);
        }
      }
    }
    expect(differing).toEqual([
      // The RFC 2046 examples put prose in base64 parts ("... base64-encoded image data goes
      // here ..."). Stalwart gives the prose back; we decode it as the header says (RFC 2045 §6.8:
      // characters outside the alphabet are ignored), which yields bytes.
      "rfc/000.eml",
      // Dovecot's malformed-multipart tests. We follow RFC 2046 §5.1.1: a boundary line must
      // start a line, cannot occur inside an encapsulated part (so an enclosing multipart's
      // delimiter also ends the parts nested in it), and a boundary followed by other
      // characters is not a delimiter. Stalwart instead keeps an outer delimiter as text of
      // an unclosed inner part (009, 011, 012), truncates boundaries
      // longer than 70 characters (016), and treats some structures differently:
      "malformed/000.eml", // ":foo" parts without bodies: stalwart drops them all; we keep four empty parts
      "malformed/001.eml", // inner boundary "a" is a prefix of outer "ab": "--ab" is the outer's delimiter
      "malformed/002.eml", // a multipart with no delimiter at all: we keep the text as its preamble
      "malformed/004.eml", // no line matches the boundary: everything is preamble
      "malformed/007.eml", // "--ab" right after the header block (no blank line) ends that header block
      "malformed/008.eml", // outer "--ab" closes the inner multipart "a" (RFC 2046 §5.1.1)
      "malformed/009.eml", // outer "--1" closes the unclosed inner multipart
      "malformed/011.eml",
      "malformed/012.eml",
      "malformed/016.eml", // 81-character boundary used as written (stalwart cuts it to 70)
      // Two Content-Type fields in one part: we use the first (as Thunderbird and mailparser do);
      // stalwart uses the last.
      "malformed/020.eml",
      "malformed/021.eml",
      // A message/rfc822 part whose body is not a message: we still read it as one (a header
      // line without a colon and an empty body); stalwart falls back to text.
      "malformed/022.eml",
      // base64 with text after the padding: RFC 2045 §6.8 says "=" ends the data; stalwart
      // decodes on.
      "thirdparty/002.eml",
      // "invalid--1--" in the middle of a line is not a boundary (RFC 2046 §5.1.1); stalwart
      // matches it there.
      "thirdparty/005.eml",
      // Attached messages cut after their header block (the next line is the outer
      // delimiter): we give three attached messages with empty bodies; stalwart merges them.
      // The first part is also format=flowed, which we join (RFC 3676) and stalwart does not.
      "thirdparty/015.eml",
    ]);
  });
});

interface Stalwart {
  readonly parts: readonly { readonly body: Record<string, unknown> }[];
}

/** Pre-order list of a message's parts, without descending into embedded messages. */
function flatten(part: MessagePart, out: MessagePart[] = []): MessagePart[] {
  out.push(part);
  if (part.info.type !== "message" || part.children.length === 0) for (const child of part.children) flatten(child, out);
  return out;
}

function compare(ours: MessagePart, theirs: Stalwart, problems: string[]): void {
  const parts = flatten(ours);
  if (parts.length !== theirs.parts.length) problems.push(`${parts.length} parts, expected ${theirs.parts.length}`);
  theirs.parts.forEach((expected, index) => {
    const part = parts[index];
    if (part === undefined) return;
    const [kind, value] = Object.entries(expected.body)[0] ?? ["Empty", undefined];
    if (kind === "Text" || kind === "Html") {
      const text = part.text ?? (part.body === undefined ? undefined : new TextDecoder().decode(part.body));
      if (text?.replace(/\r\n/g, "\n") !== (value as string).replace(/\r\n/g, "\n")) problems.push(`part ${index} text`);
    } else if (kind === "Binary" || kind === "InlineBinary") {
      if (part.body === undefined || Buffer.compare(Buffer.from(part.body), Buffer.from(value as number[])) !== 0) problems.push(`part ${index} bytes`);
    } else if (kind === "Multipart") {
      if (part.children.length !== (value as unknown[]).length) problems.push(`part ${index} children`);
    } else if (kind === "Message") {
      if (part.children.length !== 1) problems.push(`part ${index} not parsed as a message`);
      else compare(part.children[0] as MessagePart, value as Stalwart, problems);
    }
  });
}
