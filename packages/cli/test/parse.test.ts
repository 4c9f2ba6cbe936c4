// `smtpkit parse` on messages the tests write: summary, tree, JSON, headers,
// standard input, limits, errors, colours and terminal safety.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ansi, json, smtpkit, smtpkitWithFifo } from "./helpers.js";
import { forwardingMessage, summaryMessage, threeParts } from "./messages.js";

const directory = mkdtempSync(path.join(tmpdir(), "smtpkit-cli-parse-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(directory, name);
  writeFileSync(file, content);
  return file;
}

describe("smtpkit parse", () => {
  const summaryFile = write("summary.eml", summaryMessage);

  it("prints the summary, the tree and the excerpts", async () => {
    const result = await smtpkit(["parse", summaryFile]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    expect(lines.slice(0, 6)).toEqual([
      "From:       Doe, Jane <jane@example.com>",
      "To:         Bob <bob@example.com>, carol@example.com",
      "Cc:         dave@example.com",
      "Subject:    Café menu",
      "Date:       Tue, 1 Jul 2025 10:00:00 +0200  (2025-07-01T08:00:00.000Z)",
      "Message-ID: menu-1@example.com",
    ]);
    expect(result.stdout).toContain(`Structure (${Buffer.byteLength(summaryMessage)} bytes):`);
    expect(result.stdout).toMatch(/\n {2}multipart\/alternative {2}\[message\] bytes 0-\d+, body at \d+\n/);
    expect(result.stdout).toMatch(/├─ text\/plain {2}charset=iso-8859-1 {2}quoted-printable {2}17 bytes {2}\[0\]/);
    expect(result.stdout).toMatch(/└─ text\/html {2}charset=utf-8 {2}20 bytes {2}\[1\]/);
    expect(result.stdout).toContain("Text:\n  Café au lait: 3 €\n");
    expect(result.stdout).toContain("HTML:\n  <p>Café au lait</p>\n");
    expect(result.stdout).not.toContain("Attachments");
  });

  it("gives the same facts as JSON", async () => {
    const result = await smtpkit(["parse", "--json", summaryFile]);
    expect(result.exitCode).toBe(0);
    const report = json(result);
    expect(report.summary).toEqual({
      from: { name: "Doe, Jane", address: "jane@example.com" },
      to: [
        { name: "Bob", address: "bob@example.com" },
        { name: "", address: "carol@example.com" },
      ],
      cc: [{ name: "", address: "dave@example.com" }],
      subject: "Café menu",
      date: { raw: "Tue, 1 Jul 2025 10:00:00 +0200", iso: "2025-07-01T08:00:00.000Z" },
      messageId: "menu-1@example.com",
      text: { excerpt: "Café au lait: 3 €", truncated: false },
      html: { excerpt: "<p>Café au lait</p>", truncated: false },
      attachments: [],
    });
    expect(report.size).toBe(Buffer.byteLength(summaryMessage));
    expect(report.parts.mediaType).toBe("multipart/alternative");
    expect(report.parts.closed).toBe(true);
    const [plain, html] = report.parts.children;
    expect(plain).toMatchObject({ path: [0], mediaType: "text/plain", charset: "iso-8859-1", transferEncoding: "quoted-printable", size: 17 });
    expect(summaryMessage.slice(plain.bodyOffset, plain.bodyEnd)).toBe("Caf=E9 au lait: 3 =80");
    expect(summaryMessage.slice(html.offset, html.bodyOffset)).toBe("Content-Type: text/html; charset=utf-8\r\n\r\n");
    expect(report.limitsExceeded).toEqual([]);
    expect(report.headers).toBeUndefined();
  });

  it("says what is missing or unreadable: null in JSON, (none) and (unreadable) in text", async () => {
    const file = write("bare.eml", "Date: the day after tomorrow\r\nX-Other: 1\r\n\r\n");
    const report = json(await smtpkit(["parse", "--json", file]));
    expect(report.summary).toEqual({
      from: null,
      to: [],
      cc: [],
      subject: null,
      date: { raw: "the day after tomorrow", iso: null },
      messageId: null,
      text: { excerpt: "", truncated: false },
      html: null,
      attachments: [],
    });
    const text = await smtpkit(["parse", file]);
    expect(text.stdout).toContain("From:       (none)\n");
    expect(text.stdout).toContain("Date:       the day after tomorrow  (unreadable)\n");
  });

  it("cuts excerpts at --excerpt characters and says so", async () => {
    const report = json(await smtpkit(["parse", "--json", "--excerpt", "4", summaryFile]));
    expect(report.summary.text).toEqual({ excerpt: "Café", truncated: true });
    const text = await smtpkit(["parse", "--excerpt", "0", summaryFile]);
    expect(text.stdout).not.toContain("Text");
  });

  it("--headers lists every field raw and decoded", async () => {
    const result = await smtpkit(["parse", "--headers", summaryFile]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Header fields of message:\n");
    expect(result.stdout).toContain("  Subject: =?UTF-8?Q?Caf=C3=A9_menu?=\n    decoded: Café menu\n");
    expect(result.stdout).toContain("  X-Folded: first line\n    second line\n");
    expect(result.stdout).toContain("Header fields of 1:\n  Content-Type: text/html; charset=utf-8\n");
    const report = json(await smtpkit(["parse", "--headers", "--json", summaryFile]));
    const subject = report.headers[0].fields.find((field: { name: string }) => field.name === "Subject");
    expect(subject).toEqual({
      name: "Subject",
      raw: "Subject: =?UTF-8?Q?Caf=C3=A9_menu?=",
      decoded: "Café menu",
      offset: summaryMessage.indexOf("Subject:"),
    });
    expect(report.headers.map((part: { path: number[] }) => part.path)).toEqual([[], [0], [1]]);
  });

  it("reads standard input for -", async () => {
    const result = await smtpkit(["parse", "--json", "-"], { input: summaryMessage });
    expect(result.exitCode).toBe(0);
    expect(json(result).file).toBe("-");
    expect(json(result).summary.subject).toBe("Café menu");
    // A pipe by name is read in order, never with seeks.
    const named = await smtpkitWithFifo(path.join(directory, "fifo"), ["parse", "--json", "FIFO"], summaryMessage);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(json(named).summary).toEqual(json(result).summary);
  });

  it("shows an embedded message as one attachment with its own tree", async () => {
    const report = json(await smtpkit(["parse", "--json", write("forward.eml", forwardingMessage)]));
    expect(report.summary.text.excerpt).toBe("Forwarded below.");
    expect(report.summary.attachments).toEqual([
      { path: [1], mediaType: "message/rfc822", size: expect.any(Number) },
    ]);
    const embedded = report.parts.children[1];
    expect(embedded.children[0].mediaType).toBe("multipart/mixed");
    expect(embedded.children[0].children[1]).toMatchObject({ path: [1, 0, 1], filename: "inner.pdf", size: 9 });
  });

  it("reports a parser limit with exit code 1, a warning and what was read", async () => {
    const file = write("three.eml", threeParts);
    const result = await smtpkit(["parse", "--json", "--max-parts", "2", file]);
    expect(result.exitCode).toBe(1);
    expect(json(result).limitsExceeded).toEqual(["maxParts"]);
    expect(result.stderr).toContain("hit parser limits (maxParts)");
    expect((await smtpkit(["parse", "--max-parts", "10", file])).exitCode).toBe(0);
  });

  it("with --strict, stops at the first limit with the typed MIME error (exit 1) and no report", async () => {
    const file = write("three-strict.eml", threeParts);
    const result = await smtpkit(["parse", "--strict", "--max-parts", "2", file]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`error: ${file}: the message exceeds maxParts (2) (limit-exceeded); without --strict the report shows what was read up to the limit\n`);
    const asJson = await smtpkit(["parse", "--strict", "--json", "--max-parts", "2", file]);
    expect(json(asJson).error).toEqual({ message: expect.stringContaining("(limit-exceeded)"), exitCode: 1 });
    expect((await smtpkit(["parse", "--strict", file])).exitCode).toBe(0);
  });

  it("treats bad option values and option mix-ups as usage errors (exit 2)", async () => {
    for (const args of [
      ["parse", "--max-parts", "0", summaryFile],
      ["parse", "--max-depth", "-1", summaryFile],
      ["parse", "--excerpt", "many", summaryFile],
      ["parse", "--force", summaryFile],
      ["parse"],
      ["parse", summaryFile, "extra"],
    ]) {
      const result = await smtpkit(args);
      expect(result.exitCode, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
    }
  });

  it("reports unreadable input with exit code 1 and no stack trace", async () => {
    const missing = await smtpkit(["parse", path.join(directory, "missing.eml")]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe(`error: cannot read ${path.join(directory, "missing.eml")}: no such file\n`);
    const folder = await smtpkit(["parse", "--json", directory]);
    expect(folder.exitCode).toBe(1);
    expect(folder.stderr).toContain("is a directory");
    expect(json(folder).error.message).toContain("is a directory");
  });

  it("shows control characters from the message as escapes, never raw", async () => {
    const hostile = "From: a@example.com\r\nSubject: \u001b]0;pwned\u0007\u001b[2Jhi \u202eexe.txt\r\n\r\nbody \u001b[31mred\r\n";
    const result = await smtpkit(["parse", write("hostile.eml", hostile)]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain("\u001b");
    expect(result.stdout).not.toContain("\u0007");
    expect(result.stdout).not.toContain("\u202e");
    expect(result.stdout).toContain("Subject:    \\u{1b}]0;pwned\\u{7}\\u{1b}[2Jhi \\u{202e}exe.txt");
    expect(result.stdout).toContain("body \\u{1b}[31mred");
  });

  it("colours only when asked: FORCE_COLOR on, NO_COLOR off (NO_COLOR wins), JSON never", async () => {
    const plain = await smtpkit(["parse", summaryFile]);
    expect(plain.stdout).not.toMatch(ansi);
    const forced = await smtpkit(["parse", summaryFile], { env: { FORCE_COLOR: "1" } });
    expect(forced.stdout).toMatch(ansi);
    expect(forced.stdout.replace(/\u001b\[[0-9;]*m/g, "")).toBe(plain.stdout);
    const both = await smtpkit(["parse", summaryFile], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(both.stdout).toBe(plain.stdout);
    const flag = await smtpkit(["parse", "--no-color", summaryFile], { env: { FORCE_COLOR: "1" } });
    expect(flag.stdout).toBe(plain.stdout);
    const forcedJson = await smtpkit(["parse", "--json", summaryFile], { env: { FORCE_COLOR: "1" } });
    expect(forcedJson.stdout).not.toMatch(ansi);
    const error = await smtpkit(["code", "nope"], { env: { FORCE_COLOR: "1" } });
    expect(error.stderr).toMatch(ansi);
    const noError = await smtpkit(["code", "nope"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(noError.stderr).not.toMatch(ansi);
  });
});
