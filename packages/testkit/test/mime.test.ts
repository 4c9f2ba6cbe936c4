import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildMessage, createMessageParser, parseMessage, type MessagePart } from "@smtpkit/mime";
import { assertChunkSplitInvariance, messageSpec, mimeMessage, serializeMimeMessage, TestkitError, type MimeMessage, type MimeNode } from "@smtpkit/testkit";
import { describeLaws } from "./laws.js";

function decodeText(node: MimeNode & { kind: "leaf" }): string {
  const label = node.charset === "us-ascii" ? "ascii" : node.charset ?? "utf-8";
  return new TextDecoder(label === "iso-8859-1" ? "latin1" : label).decode(node.content).replace(/\r\n/g, "\n");
}

/** The law: mime's parser reads the serialized tree back to the same structure and contents. */
function expectSameTree(node: MimeNode, part: MessagePart, where: string): void {
  if (node.kind === "leaf") {
    expect(part.info.mediaType, where).toBe(node.mediaType);
    expect(part.info.transferEncoding, where).toBe(node.transferEncoding);
    expect([...(part.body ?? [])], where).toEqual([...node.content]);
    if (node.charset !== undefined) expect(part.info.charset, where).toBe(node.charset);
    if (node.filename !== undefined) expect(part.info.filename, where).toBe(node.filename);
    if (node.mediaType.startsWith("text/") && node.disposition !== "attachment") expect(part.text, where).toBe(decodeText(node));
  } else if (node.kind === "multipart") {
    expect(part.info.mediaType, where).toBe(`multipart/${node.subtype}`);
    expect(part.children.length, where).toBe(node.parts.length);
    node.parts.forEach((child, i) => expectSameTree(child, part.children[i] as MessagePart, `${where}/${i}`));
  } else {
    expect(part.info.mediaType, where).toBe("message/rfc822");
    expect(part.children.length, where).toBe(1);
    expectSameTree(node.message.root, part.children[0] as MessagePart, `${where}/message`);
  }
}

function expectParsesBack(tree: MimeMessage): void {
  const bytes = serializeMimeMessage(tree);
  const parsed = parseMessage(bytes);
  expect(parsed.limitsExceeded).toEqual([]);
  expect(parsed.subject).toBe(tree.subject);
  expect(parsed.from?.address).toBe(tree.from);
  if (tree.fromName !== undefined) expect(parsed.from?.name).toBe(tree.fromName);
  expect(parsed.to.map((m) => m.address)).toEqual(tree.to);
  expect(parsed.messageId).toBe(tree.messageId);
  expectSameTree(tree.root, parsed.root, "root");
}

describeLaws("mimeMessage", () => mimeMessage(), expectParsesBack, { numRuns: 200 });
describeLaws("mimeMessage({ 7-bit transport })", () => mimeMessage({ eightBit: false, binary: false, maxDepth: 1 }), (tree) => {
  const bytes = serializeMimeMessage(tree);
  expect(bytes.every((b) => b < 0x80)).toBe(true);
  expectParsesBack(tree);
});

describe("MIME trees", () => {
  it("cover every transfer encoding, charset, nesting kind and RFC 2231 file names", () => {
    const trees = fc.sample(mimeMessage({ maxDepth: 3 }), { seed: 12, numRuns: 400 });
    const leaves: (MimeNode & { kind: "leaf" })[] = [];
    const kinds = new Set<string>();
    const walk = (node: MimeNode, depth: number): number => {
      kinds.add(node.kind === "multipart" ? `multipart/${node.subtype}` : node.kind);
      if (node.kind === "leaf") {
        leaves.push(node);
        return depth;
      }
      if (node.kind === "multipart") return Math.max(...node.parts.map((p) => walk(p, depth + 1)));
      return walk(node.message.root, depth + 1);
    };
    const depths = trees.map((t) => walk(t.root, 0));
    expect(new Set(leaves.map((l) => l.transferEncoding))).toEqual(new Set(["7bit", "8bit", "binary", "quoted-printable", "base64"]));
    expect(new Set(leaves.map((l) => l.charset).filter((c) => c !== undefined))).toEqual(new Set(["utf-8", "us-ascii", "iso-8859-1"]));
    expect([...kinds].sort()).toEqual(["leaf", "message", "multipart/alternative", "multipart/mixed", "multipart/parallel", "multipart/related"]);
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(3);
    expect(leaves.some((l) => l.filename !== undefined && /[^\x00-\x7f]/.test(l.filename))).toBe(true);
    expect(trees.some((t) => /[^\x00-\x7f]/.test(t.subject))).toBe(true);
    expect(trees.some((t) => t.fromName !== undefined && /[^\x00-\x7f]/.test(t.fromName))).toBe(true);
  });

  it("feed mime's streaming parser the same events whatever the chunking (merging body chunks)", () => {
    type Event = ReturnType<ReturnType<typeof createMessageParser>["push"]>[number];
    const normalize = (events: readonly Event[]): unknown => {
      const out: unknown[] = [];
      // Decoded body, preamble and epilogue bytes come in as many pieces as the input did: merge them.
      for (const event of events) {
        const last = out[out.length - 1] as { type?: string; path?: readonly number[]; bytes?: number[] } | undefined;
        if ("bytes" in event && event.bytes instanceof Uint8Array) {
          if (last?.type === event.type && String(last.path) === String(event.path) && Array.isArray(last.bytes)) last.bytes.push(...event.bytes);
          else out.push({ ...event, bytes: [...event.bytes] });
        } else {
          out.push(event);
        }
      }
      return out;
    };
    assertChunkSplitInvariance(mimeMessage({ maxDepth: 1 }).map(serializeMimeMessage), () => {
      const parser = createMessageParser();
      return { push: (chunk: Uint8Array) => parser.push(chunk), end: () => parser.end() };
    }, { normalize, numRuns: 30 });
  });

  it("refuse an impossible depth", () => {
    expect(() => mimeMessage({ maxDepth: 6 })).toThrow(TestkitError);
  });
});

describeLaws("messageSpec (for buildMessage)", () => messageSpec(), (spec) => {
  const parsed = parseMessage(buildMessage(spec));
  expect(parsed.subject ?? "").toBe(spec.subject ?? "");
  expect(parsed.to.map((m) => m.address)).toEqual(spec.to);
  expect(parsed.attachments.length).toBe(spec.attachments?.length ?? 0);
}, { numRuns: 100 });
