// `smtpkit conform` as a user runs it: the built binary against this
// project's server (exit 0), a broken server (exit 1), nothing (exit 2).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "@smtpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, smtpkit } from "./helpers.js";

const quick = ["--runs", "15", "--seed", "7", "--quiet", "150", "--rate", "1000", "--timeout", "3000"];

let directory: string;
let server: ReturnType<typeof createServer>;
let port: number;
let broken: Server;
let brokenPort: number;

/** A server whose replies end with a bare LF and that accepts RCPT without MAIL. */
function startBroken(): Promise<Server> {
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.write("220 broken.example.test ESMTP\n");
    let buffer = "";
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (let lf = buffer.indexOf("\n"); lf >= 0; lf = buffer.indexOf("\n")) {
        const verb = buffer.slice(0, lf).split(" ")[0]?.toUpperCase().replace("\r", "");
        buffer = buffer.slice(lf + 1);
        if (verb === "EHLO") socket.write("250-broken.example.test\n250 PIPELINING\n");
        else if (verb === "QUIT") socket.end("221 bye\n");
        else if (verb === "DATA") socket.write("554 no\n");
        else socket.write("250 ok\n");
      }
    });
  });
  tcp.on("close", () => {
    for (const socket of sockets) socket.destroy();
  });
  return new Promise((resolve) => tcp.listen(0, "127.0.0.1", () => resolve(tcp)));
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "smtpkit-conform-cli-"));
  server = createServer({ hostname: "mx.example.test", localDomains: ["example.test"], maildir: join(directory, "maildir") });
  ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  broken = await startBroken();
  brokenPort = (broken.address() as AddressInfo).port;
});

afterAll(async () => {
  await server.close({ graceMs: 100 });
  await new Promise((resolve) => broken.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

describe("smtpkit conform", () => {
  it("exits 0 on a conforming server, with dot-transparency checked through --maildir, and writes JUnit XML", async () => {
    const junit = join(directory, "report.xml");
    const result = await smtpkit(["conform", `smtp://127.0.0.1:${port}`, ...quick, "--maildir", join(directory, "maildir"), "--junit", junit]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("No deviation found");
    expect(result.stdout).toMatch(/dot-transparency: [1-9]\d* stored message\(s\) compared, 0 not found/);
    expect(existsSync(junit)).toBe(true);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('failures="0"');
    // Every rule is a test case; starttls-injection is skipped: this server offers no STARTTLS.
    expect(xml.match(/<testcase /g)?.length).toBe(24);
    expect(xml.match(/<skipped /g)?.length).toBe(1);
    expect(xml).toContain('<skipped message="starttls-injection: not checked, the server does not offer STARTTLS"/>');
  });

  it("exits 1 on a broken server and names each rule with its RFC section; --json gives the report", async () => {
    const text = await smtpkit(["conform", `127.0.0.1:${brokenPort}`, ...quick]);
    expect(text.exitCode, text.stderr).toBe(1);
    expect(text.stdout).toContain("reply-line-ending (RFC 5321 §2.3.8)");
    const result = await smtpkit(["conform", `smtp://127.0.0.1:${brokenPort}`, ...quick, "--json"]);
    expect(result.exitCode).toBe(1);
    const report = json<{ seed: number; findings: { rule: string; transcript: unknown[] }[] }>(result);
    expect(report.seed).toBe(7);
    expect(report.findings.map((finding) => finding.rule)).toContain("reply-line-ending");
    expect(report.findings.every((finding) => finding.transcript.length > 0)).toBe(true);
  });

  it("exits 2 when the server cannot be reached, with the reason and no usage hint", async () => {
    const tcp = await startBroken();
    const closedPort = (tcp.address() as AddressInfo).port;
    await new Promise((resolve) => tcp.close(resolve));
    const result = await smtpkit(["conform", `smtp://127.0.0.1:${closedPort}`, ...quick]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("ECONNREFUSED");
    expect(result.stderr).not.toContain("--help");
  });

  // Review of #7: a greeting that was not 220 was printed raw: ESC and BEL reached the terminal (clear the
  // screen, set the title) and a 64 KiB greeting line filled one stderr line.
  it.each([
    ["an escape sequence", "554 \x1b[2J\x1b]0;pwned\x07 go away\r\n"],
    ["a 70,000-octet line", `554 \x1b[31m${"x".repeat(70_000)}\r\n`],
  ])("exits 2 on a greeting with %s and prints it escaped and cut short", async (_name, greeting) => {
    const hostile = createTcpServer((socket) => {
      socket.on("error", () => undefined);
      socket.end(greeting);
    });
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    try {
      const hostilePort = (hostile.address() as AddressInfo).port;
      const result = await smtpkit(["conform", `smtp://127.0.0.1:${hostilePort}`, ...quick]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toContain("the run could not be made");
      // Escaped by the runner (\x1b) and, for defence in depth, by the CLI (\u{1b}): either way visible text.
      expect(result.stderr).toMatch(/\\x1b|\\u\{1b\}/);
      expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(result.stderr.length).toBeLessThan(1000);
      const asJson = await smtpkit(["conform", `smtp://127.0.0.1:${hostilePort}`, ...quick, "--json"]);
      expect(asJson.exitCode).toBe(2);
      expect(json<{ error: { message: string } }>(asJson).error.message.length).toBeLessThan(1000);
    } finally {
      await new Promise((resolve) => hostile.close(resolve));
    }
  });

  it.each([["ftp://127.0.0.1:25"], ["127.0.0.1"], ["smtp://127.0.0.1:70000"], ["smtp://user@127.0.0.1:25"]])("exits 2 for the server %s", async (server) => {
    const result = await smtpkit(["conform", server, "--dry-run"]);
    expect(result.exitCode).toBe(2);
  });

  it.each([
    [["--runs", "0"]],
    [["--domain", "not a domain"]],
    [["--tls", "maybe"]],
    [["--seed", "x"]],
  ])("exits 2 for %j", async (extra) => {
    const result = await smtpkit(["conform", `smtp://127.0.0.1:${port}`, "--dry-run", ...extra]);
    expect(result.exitCode, result.stderr).toBe(2);
  });

  it("--dry-run prints the plan for the seed without connecting", async () => {
    const result = await smtpkit(["conform", "smtp://127.0.0.1:1", "--dry-run", "--runs", "3", "--seed", "5"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("Dry run: what would be sent");
    expect(result.stdout.match(/session \d+:/g)).toHaveLength(3);
    const again = await smtpkit(["conform", "smtp://127.0.0.1:1", "--dry-run", "--runs", "3", "--seed", "5"]);
    expect(again.stdout.replace(/\d+\.\d s\)/, "")).toBe(result.stdout.replace(/\d+\.\d s\)/, ""));
  });

  it("--against: a server against itself has no divergence (exit 0); against the broken one it has (exit 1)", async () => {
    const same = await smtpkit(["conform", `smtp://127.0.0.1:${port}`, "--against", `smtp://127.0.0.1:${port}`, ...quick]);
    expect(same.exitCode, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain("No divergence found.");
    const differ = await smtpkit(["conform", `smtp://127.0.0.1:${port}`, "--against", `smtp://127.0.0.1:${brokenPort}`, ...quick, "--json"]);
    expect(differ.exitCode).toBe(1);
    const report = json<{ divergences: { kind: string; a: number; b: number }[] }>(differ);
    expect(report.divergences.length).toBeGreaterThan(0);
  });
});
