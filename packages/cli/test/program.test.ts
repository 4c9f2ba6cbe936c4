// The program as a whole: version, help with examples, exit codes of usage errors,
// and the bounded memory of `parse` on a large message.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ansi, binary, smtpkit } from "./helpers.js";

const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string; bin: Record<string, string> };

describe("smtpkit", () => {
  it("is the package's bin, with a shebang kept in the built file", () => {
    expect(path.resolve(path.dirname(binary), "..", packageJson.bin["smtpkit"] as string)).toBe(binary);
    expect(readFileSync(binary, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("prints the package version", async () => {
    for (const flag of ["--version", "-V"]) {
      const result = await smtpkit([flag]);
      expect(result).toEqual({ stdout: `${packageJson.version}\n`, stderr: "", exitCode: 0 });
    }
  });

  it("prints help with examples and the exit codes", async () => {
    const result = await smtpkit(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Usage: smtpkit [options] [command]");
    expect(result.stdout).toMatch(/parse \[options\] <file>/);
    expect(result.stdout).toMatch(/code \[options\] \[codes\.\.\.\]/);
    expect(result.stdout).toContain("$ smtpkit code 550 5.7.1");
    expect(result.stdout).toContain("Exit codes: 0 ok");
    expect(result.stdout).toMatch(/serve \[options\]/);
    expect(result.stdout).toMatch(/send \[options\] \[files\.\.\.\]/);
    for (const command of ["serve", "send", "parse", "code"]) {
      const help = await smtpkit(["help", command]);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain(`Usage: smtpkit ${command}`);
      expect(help.stdout).toContain("Examples:");
    }
  });

  it("lists only commands that run: each one answers its own help", async () => {
    const help = await smtpkit(["--help"]);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((match) => match[1] as string).filter((name) => name !== "help");
    expect(commands).toEqual(expect.arrayContaining(["serve", "send", "parse", "code", "conform"]));
    for (const command of commands) {
      const result = await smtpkit([command, "--help"]);
      expect(result.exitCode, command).toBe(0);
      expect(result.stdout, command).toContain(`Usage: smtpkit ${command}`);
    }
    const unknown = await smtpkit(["frobnicate"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it("answers usage errors with exit code 2 and help on standard error", async () => {
    const none = await smtpkit([]);
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toContain("Usage: smtpkit");
    const unknownOption = await smtpkit(["code", "--frobnicate"]);
    expect(unknownOption.exitCode).toBe(2);
    expect(unknownOption.stderr).toBe("error: unknown option '--frobnicate'\n(run with --help for usage)\n");
  });
});

// util-linux's `script` runs the binary on a pseudo-terminal, the one place colours are on by default.
const hasScript = spawnSync("script", ["--version"]).status === 0;

describe.skipIf(!hasScript)("on a terminal (skipped: util-linux `script` not installed)", () => {
  function onTerminal(command: string, env: Record<string, string>): string {
    const { NO_COLOR, FORCE_COLOR, CI, ...inherited } = process.env;
    const childEnv = { ...inherited, TERM: "xterm", ...env };
    const child = spawnSync("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(binary)} ${command}`, "/dev/null"], {
      encoding: "utf8",
      env: childEnv,
    });
    return child.stdout;
  }

  it("colours on a terminal, and not with NO_COLOR, --no-color or TERM=dumb", () => {
    expect(onTerminal("code 250", {})).toMatch(ansi);
    expect(onTerminal("code 250", { NO_COLOR: "1" })).not.toMatch(ansi);
    expect(onTerminal("code 250 --no-color", {})).not.toMatch(ansi);
    expect(onTerminal("code 250", { TERM: "dumb" })).not.toMatch(ansi);
    expect(onTerminal("code 250 --json", {})).not.toMatch(ansi);
  });
});

describe("smtpkit parse on a large message", () => {
  const directory = mkdtempSync(path.join(tmpdir(), "smtpkit-cli-large-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  /** Runs the program in a fresh Node process and returns its exit code and peak resident memory. */
  function peakMemory(args: readonly string[]): { exitCode: number | null; maxRssBytes: number; stderr: string } {
    const index = new URL("../dist/index.js", import.meta.url).href;
    const script = `const { run } = await import(${JSON.stringify(index)});
const code = await run(${JSON.stringify(args)}, { stdout: { write() {} }, stderr: process.stderr, stdin: process.stdin, color: false, errorColor: false });
process.stderr.write("maxRSS=" + process.resourceUsage().maxRSS + "\\n");
process.exitCode = code;`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const match = /maxRSS=(\d+)/.exec(child.stderr);
    return { exitCode: child.status, maxRssBytes: Number(match?.[1] ?? Number.NaN) * 1024, stderr: child.stderr };
  }

  /** Writes a message with one base64 attachment of `blocks` × 57 bytes and returns its path. */
  async function messageWithAttachment(name: string, block: Buffer, blocks: number): Promise<string> {
    const file = path.join(directory, name);
    const out = createWriteStream(file);
    out.write('From: a@example.com\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nlarge\r\n');
    out.write('--b\r\nContent-Type: application/octet-stream; name="large.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n');
    const lines = `${block.toString("base64")}\r\n`.repeat(1000);
    for (let written = 0; written < blocks; written += 1000) {
      if (!out.write(lines)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve) => out.end("--b--\r\n", () => resolve()));
    return file;
  }

  it("streams a 48 MiB attachment to disk without holding it in memory", async () => {
    const block = Buffer.from(Array.from({ length: 57 }, (_, index) => (index * 7) & 0xff));
    const blocks = 883_000; // 50 331 000 decoded bytes, 68 MB of base64 lines
    const file = await messageWithAttachment("large.eml", block, blocks);
    const quarter = await messageWithAttachment("quarter.eml", block, blocks / 4 - 750);

    // Peak memory is compared between a 12 MiB and a 48 MiB attachment, not against an empty run: with bounded
    // memory it does not grow with the attachment, while the garbage collector's own slack (which depends on the
    // machine's load and the modules loaded) is the same in both runs.
    const smaller = peakMemory(["parse", "--extract", path.join(directory, "quarter-out"), quarter]);
    expect(smaller.exitCode, smaller.stderr).toBe(0);
    const large = peakMemory(["parse", "--extract", path.join(directory, "out"), file]);
    expect(large.exitCode, large.stderr).toBe(0);
    const extracted = path.join(directory, "out", "large.bin");
    expect(statSync(extracted).size).toBe(blocks * 57);
    const expectedHash = createHash("sha256");
    for (let index = 0; index < blocks; index++) expectedHash.update(block);
    const actualHash = createHash("sha256");
    for await (const chunk of createReadStream(extracted)) actualHash.update(chunk as Buffer);
    expect(actualHash.digest("hex")).toBe(expectedHash.digest("hex"));
    // Holding the attachment would add 36 MiB (48 − 12) here, holding the file 50 MiB.
    expect(large.maxRssBytes - smaller.maxRssBytes).toBeLessThan(16 * 1024 * 1024);
  });
});
