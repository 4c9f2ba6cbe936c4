// Review of the round trips: build → parse recovers the header fields the existing property
// leaves out (Sender, Reply-To, Message-ID, References, several custom fields in order, Bcc
// never written), and byte-exact edits keep every byte outside the edit on real messages
// (the public corpus, with their own line ends), not only on messages this package built.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildMessage, decodeEncodedWords, getHeader, parseMessage, replacePart, setHeaderField, type MessagePart, type MessageSpec } from "@smtpkit/mime";
import { bytesOf, corpusRoot } from "./helpers.js";

const local = fc.stringMatching(/^[a-z0-9._+-]{1,12}$/).filter((value) => !value.startsWith(".") && !value.endsWith(".") && !value.includes(".."));
const domain = fc.stringMatching(/^[a-z0-9-]{1,10}\.(example|test)$/).filter((value) => !value.startsWith("-"));
const address = fc.tuple(local, domain).map(([user, host]) => `${user}@${host}`);
const name = fc.oneof(fc.constant(""), fc.string({ unit: "grapheme", maxLength: 30 }).map((value) => value.replace(/[\r\n\0]/g, "").trim()));
const mailbox = fc.record({ name, address });
const id = fc.tuple(fc.stringMatching(/^[A-Za-z0-9.$%_-]{1,20}$/), domain).map(([left, right]) => `${left}@${right}`);
const unstructured = fc.string({ unit: "grapheme", maxLength: 60 }).filter((value) => !/[\r\n\0]/.test(value));

const spec: fc.Arbitrary<MessageSpec> = fc.record(
  {
    from: mailbox,
    sender: mailbox,
    to: fc.array(mailbox, { maxLength: 3 }),
    cc: fc.array(mailbox, { maxLength: 2 }),
    bcc: fc.array(address, { minLength: 1, maxLength: 2 }),
    replyTo: fc.array(mailbox, { maxLength: 2 }),
    subject: unstructured,
    messageId: id,
    inReplyTo: id,
    references: fc.array(id, { maxLength: 6 }),
    text: fc.string({ maxLength: 80 }),
    headers: fc.array(fc.tuple(fc.constantFrom("X-Mailer", "X-Campaign", "Comments", "Keywords"), unstructured), { maxLength: 4 }),
    transport: fc.record({ smtpUtf8: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: ["from", "bcc"] },
);

const mailboxOf = (entry: { name: string; address: string }): { type: "mailbox"; name: string; address: string } => ({ type: "mailbox", ...entry });

describe("build → parse recovers every header field (review)", () => {
  it("Sender, Reply-To, Message-ID, In-Reply-To, References and custom fields in order; Bcc only in the envelope", () => {
    fc.assert(
      fc.property(spec, (message) => {
        const parsed = parseMessage(buildMessage(message));
        expect(parsed.from).toEqual(mailboxOf(message.from as { name: string; address: string }));
        if (message.sender !== undefined) expect(parsed.sender).toEqual(mailboxOf(message.sender as { name: string; address: string }));
        expect(parsed.to).toEqual((message.to ?? []).map((entry) => mailboxOf(entry as { name: string; address: string })));
        expect(parsed.cc).toEqual((message.cc ?? []).map((entry) => mailboxOf(entry as { name: string; address: string })));
        expect(parsed.replyTo).toEqual((message.replyTo ?? []).map((entry) => mailboxOf(entry as { name: string; address: string })));
        expect(parsed.bcc).toEqual([]);
        expect(parsed.subject ?? "").toBe(message.subject ?? "");
        // Without one, a Message-ID is derived (content hash @ the From domain).
        if (message.messageId !== undefined) expect(parsed.messageId).toBe(message.messageId);
        else expect(parsed.messageId).toMatch(/^[0-9a-f]{16}@/);
        expect(parsed.inReplyTo).toBe(message.inReplyTo);
        expect(parsed.references).toEqual(message.references ?? []);
        const custom = parsed.headers.filter((field) => ["x-mailer", "x-campaign", "comments", "keywords"].includes(field.key));
        expect(custom.map((field) => [field.name, decodeEncodedWords(field.value)])).toEqual((message.headers ?? []).map(([fieldName, value]) => [fieldName, value]));
      }),
      { numRuns: 200 },
    );
  });
});

function filesUnder(directory: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (!path.endsWith(".json") && !path.endsWith(".txt") && !path.endsWith(".tsv") && !path.endsWith(".md")) out.push(path);
  }
  return out;
}

function parts(part: MessagePart, out: MessagePart[] = []): MessagePart[] {
  out.push(part);
  for (const child of part.children) parts(child, out);
  return out;
}

const root = corpusRoot();
const corpus = [
  ...filesUnder(join(root, "stalwart-mail-parser/resources/eml")),
  ...filesUnder(join(root, "mikel-mail/spec/fixtures/emails")),
].sort();

describe("byte-exact edits on real messages (review)", () => {
  it.each(corpus.map((file) => file.slice(root.length)))("%s: every byte outside the edit is unchanged", (file) => {
    const input = new Uint8Array(readFileSync(join(root, file)));
    const parsed = parseMessage(input);
    let edits = 0;
    for (const part of parts(parsed.root)) {
      let edited: Uint8Array;
      try {
        edited = setHeaderField(input, part, "X-Review", "checked");
      } catch {
        continue; // a part inside an encoded embedded message: refused with a MimeError (tested elsewhere)
      }
      edits++;
      // The field went in at one place: the input is the output with those bytes taken out.
      const added = edited.length - input.length;
      expect(added).toBeGreaterThan(0);
      let at = 0;
      while (at < input.length && edited[at] === input[at]) at++;
      expect(Buffer.compare(Buffer.from(edited.subarray(at + added)), Buffer.from(input.subarray(at)))).toBe(0);
      const reparsed = parseMessage(edited);
      const same = parts(reparsed.root).find((candidate) => candidate.path.join() === part.path.join());
      expect(getHeader(same?.headers ?? [], "x-review")).toBe("checked");
      expect(reparsed.text).toBe(parsed.text);
      expect(reparsed.attachments.length).toBe(parsed.attachments.length);
      if (part.path.length > 0 && part.children.length === 0) {
        const replacement = bytesOf("Content-Type: text/plain\r\n\r\nreplaced");
        const swapped = replacePart(input, part, replacement);
        expect(Buffer.compare(Buffer.from(swapped.subarray(0, part.offset)), Buffer.from(input.subarray(0, part.offset)))).toBe(0);
        expect(Buffer.compare(Buffer.from(swapped.subarray(part.offset + replacement.length)), Buffer.from(input.subarray(part.bodyEnd)))).toBe(0);
      }
    }
    expect(edits).toBeGreaterThan(0);
  });
});
