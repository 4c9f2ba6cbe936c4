// `smtpkit parse` over the shared public corpus (../shared/corpus, see its README):
// every message parses with exit code 0, and the streaming report agrees with
// @smtpkit/mime's parseMessage (the whole-message parser) on the summary, the
// text and HTML bodies, the attachments and the offsets of every part.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseMessage, type MessagePart } from "@smtpkit/mime";
import { run, type CliIo } from "@smtpkit/cli";
import { describe, expect, it } from "vitest";
import { corpusRoot, json, smtpkit } from "./helpers.js";

const root = corpusRoot();

function messages(directory: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory)) {
    const file = path.join(directory, entry);
    if (statSync(file).isDirectory()) out.push(...messages(file));
    else if (entry.endsWith(".eml")) out.push(file);
  }
  return out.sort();
}

/** Runs the program in this process (150 child processes would take minutes on a shared machine). */
async function runInProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: (async function* () {})(),
    color: false,
    errorColor: false,
  };
  const exitCode = await run(args, io);
  return { exitCode, stdout, stderr };
}

function partsByPath(part: MessagePart, into = new Map<string, MessagePart>()): Map<string, MessagePart> {
  into.set(part.path.join("."), part);
  for (const child of part.children) partsByPath(child, into);
  return into;
}

interface ReportPart {
  path: number[];
  mediaType: string;
  offset: number;
  bodyOffset: number;
  bodyEnd: number;
  children: ReportPart[];
}

function flatten(part: ReportPart): ReportPart[] {
  return [part, ...part.children.flatMap(flatten)];
}

describe.skipIf(root === undefined)("public corpus (skipped: ../shared/corpus not found)", () => {
  const files = root === undefined ? [] : messages(root);

  it("has the messages the corpus README promises", () => {
    expect(files.length).toBeGreaterThanOrEqual(150);
  });

  it("agrees with parseMessage on every message", async () => {
    for (const file of files) {
      const result = await runInProcess(["parse", "--json", "--excerpt", "10000000", file]);
      expect(result.exitCode, `${file}\n${result.stderr}`).toBe(0);
      const report = JSON.parse(result.stdout);
      const parsed = parseMessage(new Uint8Array(readFileSync(file)));
      const summary = report.summary;
      const where = file.slice((root as string).length);
      expect(summary.from, where).toEqual(parsed.from === undefined ? null : { name: parsed.from.name, address: parsed.from.address });
      expect(summary.to, where).toEqual(parsed.to.map(({ name, address }) => ({ name, address })));
      expect(summary.cc, where).toEqual(parsed.cc.map(({ name, address }) => ({ name, address })));
      expect(summary.subject, where).toBe(parsed.subject ?? null);
      expect(summary.messageId, where).toBe(parsed.messageId ?? null);
      expect(summary.date?.iso ?? null, where).toBe(parsed.date?.toISOString() ?? null);
      expect(summary.text?.excerpt ?? null, where).toBe(parsed.text ?? null);
      expect(summary.html?.excerpt ?? null, where).toBe(parsed.html ?? null);
      expect(
        summary.attachments.map((attachment: Record<string, unknown>) => [attachment["path"], attachment["filename"], attachment["mediaType"], attachment["size"]]),
        where,
      ).toEqual(parsed.attachments.map((attachment) => [attachment.path, attachment.filename, attachment.mediaType, attachment.size]));
      const expected = partsByPath(parsed.root);
      for (const part of flatten(report.parts)) {
        const twin = expected.get(part.path.join("."));
        expect(twin, `${where} part ${part.path.join(".")}`).toBeDefined();
        expect([part.mediaType, part.offset, part.bodyOffset, part.bodyEnd], where).toEqual([
          twin?.info.mediaType,
          twin?.offset,
          twin?.bodyOffset,
          twin?.bodyEnd,
        ]);
      }
    }
  });

  it("prints a readable report through the binary, and the same via standard input", async () => {
    const file = path.join(root as string, "mikel-mail/spec/fixtures/emails/attachment_emails/attachment_pdf.eml");
    const text = await smtpkit(["parse", file]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain("Subject:    Another PDF with 🎉 Unicode chars in it 🍿");
    expect(text.stdout).toMatch(/├─ text\/plain {2}charset=iso-8859-1 {2}quoted-printable {2}inline {2}129 bytes/);
    expect(text.stdout).toMatch(/└─ application\/pdf {2}base64 {2}attachment {2}"broken\.pdf" {2}1,026 bytes/);
    expect(text.stdout).toContain("Attachments (1):");
    const fromFile = json(await smtpkit(["parse", "--json", file]));
    const fromStdin = await smtpkit(["parse", "--json", "-"], { input: readFileSync(file) });
    expect(fromStdin.exitCode).toBe(0);
    expect({ ...json(fromStdin), file: file }).toEqual(fromFile);
  });
});
