// `smtpkit parse --extract`: attachments land in the directory and nowhere
// else, under clean names, never over an existing file (or through a planted
// symbolic link) without --force.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { maxFileNameBytes } from "@smtpkit/cli";
import { afterAll, describe, expect, it } from "vitest";
import { json, smtpkit, smtpkitWithFifo } from "./helpers.js";
import { forwardedPart, forwardingMessage, messageWithAttachments } from "./messages.js";

const base = mkdtempSync(path.join(tmpdir(), "smtpkit-cli-extract-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let sandboxes = 0;
/** A fresh directory holding only the message file; attachments go to `<sandbox>/out`. */
function sandbox(message: string): { root: string; file: string; out: string } {
  const root = path.join(base, `case-${++sandboxes}`);
  mkdirSync(root);
  const file = path.join(root, "message.eml");
  writeFileSync(file, message);
  return { root, file, out: path.join(root, "out") };
}

const longName = `${"a".repeat(300)}.pdf`;

const hostile: readonly { readonly disposition: string; readonly body: string; readonly expected: string }[] = [
  { disposition: 'filename="../../etc/passwd"', body: "traversal", expected: "passwd" },
  { disposition: 'filename="/etc/shadow"', body: "absolute", expected: "shadow" },
  { disposition: 'filename="C:\\\\Windows\\\\win.ini"', body: "windows path", expected: "win.ini" },
  { disposition: "filename*=utf-8''evil%00.txt", body: "nul", expected: "evil_.txt" },
  { disposition: 'filename="CON.txt"', body: "device", expected: "_CON.txt" },
  { disposition: 'filename="nul"', body: "device 2", expected: "_nul" },
  { disposition: 'filename=".."', body: "dot dot", expected: "part-7.bin" },
  { disposition: 'filename=".bashrc"', body: "hidden", expected: "bashrc" },
  { disposition: "filename*=utf-8''invoice%E2%80%AEfdp.exe", body: "bidi", expected: "invoicefdp.exe" },
  { disposition: "filename*=utf-8''%1B%5B31mred.txt", body: "escape", expected: "_[31mred.txt" },
  { disposition: 'filename="report.pdf"', body: "first", expected: "report.pdf" },
  { disposition: 'filename="REPORT.pdf"', body: "second", expected: "REPORT-2.pdf" },
  { disposition: `filename="${longName}"`, body: "long", expected: `${"a".repeat(maxFileNameBytes - 4)}.pdf` },
  { disposition: 'filename=""', body: "empty", expected: "part-14.bin" },
];

describe("smtpkit parse --extract", () => {
  it("writes every attachment inside the directory under a clean name", async () => {
    const { root, file, out } = sandbox(messageWithAttachments(hostile));
    const result = await smtpkit(["parse", "--json", "--extract", out, file]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(readdirSync(root).sort()).toEqual(["message.eml", "out"]);
    expect(readdirSync(out).sort()).toEqual(hostile.map((entry) => entry.expected).sort());
    for (const entry of hostile) expect(readFileSync(path.join(out, entry.expected), "utf8")).toBe(entry.body);
    const saved = json(result).summary.attachments.map((attachment: { savedAs: string }) => attachment.savedAs);
    expect(saved).toEqual(hostile.map((entry) => path.join(out, entry.expected)));
  });

  it("never replaces an existing file without --force, and replaces it with --force", async () => {
    const { file, out } = sandbox(messageWithAttachments([
      { disposition: 'filename="report.pdf"', body: "new report" },
      { disposition: 'filename="notes.txt"', body: "notes" },
    ]));
    mkdirSync(out);
    writeFileSync(path.join(out, "report.pdf"), "original");
    const refused = await smtpkit(["parse", "--extract", out, file]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("exists already (use --force to overwrite)");
    expect(readFileSync(path.join(out, "report.pdf"), "utf8")).toBe("original");
    // The other attachment is still saved.
    expect(readFileSync(path.join(out, "notes.txt"), "utf8")).toBe("notes");

    const forced = await smtpkit(["parse", "--extract", out, "--force", file]);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(path.join(out, "report.pdf"), "utf8")).toBe("new report");
    // No temporary files are left behind.
    expect(readdirSync(out).sort()).toEqual(["notes.txt", "report.pdf"]);
  });

  it("does not write through a symbolic link planted under the name", async () => {
    const { root, file, out } = sandbox(messageWithAttachments([{ disposition: 'filename="passwd"', body: "payload" }]));
    mkdirSync(out);
    const target = path.join(root, "target.txt");
    writeFileSync(target, "keep");
    symlinkSync(target, path.join(out, "passwd"));
    const refused = await smtpkit(["parse", "--extract", out, file]);
    expect(refused.exitCode).toBe(1);
    expect(readFileSync(target, "utf8")).toBe("keep");
    const forced = await smtpkit(["parse", "--extract", out, "--force", file]);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(target, "utf8")).toBe("keep");
    expect(lstatSync(path.join(out, "passwd")).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(out, "passwd"), "utf8")).toBe("payload");
  });

  it("saves an embedded message as stored, from a file and from standard input", async () => {
    const { file, out } = sandbox(forwardingMessage);
    const fromFile = await smtpkit(["parse", "--extract", out, file]);
    expect(fromFile.exitCode).toBe(0);
    // The PDF inside the forwarded message belongs to it: it is not extracted on its own.
    expect(readdirSync(out)).toEqual(["part-1.eml"]);
    expect(readFileSync(path.join(out, "part-1.eml"))).toEqual(forwardedPart);

    const fromStdin = path.join(path.dirname(out), "stdin-out");
    const piped = await smtpkit(["parse", "--extract", fromStdin, "-"], { input: forwardingMessage });
    expect(piped.exitCode).toBe(0);
    expect(readFileSync(path.join(fromStdin, "part-1.eml"))).toEqual(forwardedPart);

    // A pipe given by name (as `<(zcat mail.gz)` gives one) cannot be read twice either.
    const fromPipe = path.join(path.dirname(out), "pipe-out");
    const named = await smtpkitWithFifo(path.join(path.dirname(out), "fifo"), ["parse", "--extract", fromPipe, "FIFO"], forwardingMessage);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(readFileSync(path.join(fromPipe, "part-1.eml"))).toEqual(forwardedPart);
  });

  it("leaves no half-written attachment when --strict stops the parse", async () => {
    // Both attachments span several of the 64 KiB reads, so second.txt is open and
    // partly written when the limit (13 bytes of text + first.txt + 100 000) stops the parse.
    const first = "1".repeat(100_000);
    const { file, out } = sandbox(messageWithAttachments([
      { disposition: 'filename="first.txt"', body: first },
      { disposition: 'filename="second.txt"', body: "2".repeat(200_000) },
    ]));
    const limit = 13 + first.length + 100_000;
    const result = await smtpkit(["parse", "--strict", "--max-decoded-bytes", String(limit), "--extract", out, file]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("maxDecodedBytes");
    expect(readdirSync(out)).toEqual(["first.txt"]);
    expect(readFileSync(path.join(out, "first.txt"), "utf8")).toBe(first);
  });

  it("reports a directory that cannot be created with exit code 1", async () => {
    const { root, file } = sandbox(messageWithAttachments([{ disposition: 'filename="a.txt"', body: "a" }]));
    writeFileSync(path.join(root, "occupied"), "a file, not a directory");
    const result = await smtpkit(["parse", "--extract", path.join(root, "occupied"), file]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot create the directory .*occupied/);
    expect(existsSync(path.join(root, "a.txt"))).toBe(false);
  });
});
