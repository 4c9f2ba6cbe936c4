// smtpkit conform-client, run as a user runs it: the built binary listens, clients connect once per case, and the
// report (text, JSON, JUnit) and exit code say which cases failed.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@smtpkit/client";
import { afterAll, describe, expect, it } from "vitest";
import { binary, json, smtpkit } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "smtpkit-conform-client-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts the command; resolves the port it listens on, and the run's end. */
function start(args: readonly string[]): { port: Promise<number>; done: Promise<{ stdout: string; stderr: string; exitCode: number | null }> } {
  const child = spawn(process.execPath, [binary, "conform-client", ...args], { env: { ...process.env, NO_COLOR: "1", CI: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let found: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => {
    found = resolve;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    const match = /listening on 127\.0\.0\.1:([0-9]+)/.exec(stderr);
    if (match !== null) found(Number(match[1]));
  });
  const done = new Promise<{ stdout: string; stderr: string; exitCode: number | null }>((resolve) => child.on("close", (exitCode) => resolve({ stdout, stderr, exitCode })));
  return { port, done };
}

/** A client that answers nothing it reads: EHLO, MAIL, RCPT, DATA, content, QUIT, each after any reply. */
async function careless(port: number): Promise<void> {
  const socket = netConnect(port, "127.0.0.1");
  socket.setEncoding("latin1");
  let buffer = "";
  const lines = ["EHLO careless.example\r\n", "MAIL FROM:<a@example.test>\r\n", "RCPT TO:<b@example.test>\r\n", "DATA\r\n", "Subject: x\r\n\r\nhi\r\n.\r\n", "QUIT\r\n"];
  await new Promise<void>((resolve) => {
    socket.on("data", (text: string) => {
      buffer += text;
      if (!/(^|\n)[0-9]{3} [^\n]*\n$/.test(buffer)) return;
      buffer = "";
      const next = lines.shift();
      if (next === undefined) socket.end();
      else socket.write(next);
    });
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
}

async function ownClient(port: number): Promise<void> {
  const client = await connect({ host: "127.0.0.1", port, startTls: "required", tls: { rejectUnauthorized: false }, hostname: "client.example.test" }).catch(() => undefined);
  if (client === undefined) return;
  await client.send({ from: "a@example.test", to: ["b@example.test"], message: new TextEncoder().encode("Subject: x\r\n\r\nhi\r\n") }).catch(() => undefined);
  await client.close().catch(() => undefined);
}

describe("smtpkit conform-client", () => {
  it("lists its cases", async () => {
    const result = await smtpkit(["conform-client", "--list-cases", "--json"]);
    expect(result.exitCode).toBe(0);
    const cases = json<{ id: string }[]>(result);
    expect(cases.length).toBe(21);
    expect(cases[0]?.id).toBe("baseline");
    const text = await smtpkit(["conform-client", "--list-cases"]);
    expect(text.stdout).toContain("starttls-injection\n  server: answers STARTTLS with");
  });

  // Review of #7: --help showed the --listen default twice, the second time as commander's JSON of the parsed value.
  it("--help names the --listen default once, as host:port", async () => {
    const result = await smtpkit(["conform-client", "--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("(default 127.0.0.1:2526)");
    expect(result.stdout).not.toContain(`"host"`);
  });

  it("refuses unknown cases, bad addresses and bad times with exit code 2", async () => {
    for (const args of [["--cases", "baseline,nope"], ["--listen", "localhost"], ["--listen", "127.0.0.1:99999"], ["--case-timeout", "0"]]) {
      const result = await smtpkit(["conform-client", ...args]);
      expect(result.exitCode, args.join(" ")).toBe(2);
    }
  });

  it("--wait: exit code 2 when no client connects in time, with the cases shown as not judged", async () => {
    const started = Date.now();
    const result = await smtpkit(["conform-client", "--listen", "127.0.0.1:0", "--cases", "baseline,greeting-421", "--wait", "300"]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain("no client connected within 300 ms");
    expect(result.stdout).toContain("0 passed, 0 failed, 2 not applicable");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("exit code 2 when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const result = await smtpkit(["conform-client", "--listen", `127.0.0.1:${port}`, "--cases", "baseline"]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain("cannot listen on 127.0.0.1");
      expect(result.stderr).toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it("judges the clients that connect, one case each, and exits 1 when one failed (JSON and JUnit)", async () => {
    const junit = join(scratch, "client.xml");
    const run = start(["--listen", "127.0.0.1:0", "--cases", "baseline,wrong-class-250-to-data,wrong-class-250-to-data", "--requires-tls", "--json", "--junit", junit, "--case-timeout", "5000"]);
    const port = await run.port;
    await ownClient(port);
    await ownClient(port);
    await careless(port);
    const result = await run.done;
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain("case 2/3: wrong-class-250-to-data: connect your client and send one message");
    const report = JSON.parse(result.stdout) as { cases: { id: string; verdict: string; violations: { rule: string }[] }[]; summary: unknown };
    expect(report.cases.map((c) => c.verdict)).toEqual(["pass", "pass", "fail"]);
    expect(report.cases[2]?.violations.map((v) => v.rule)).toEqual(["tls-required", "content-without-354"]);
    expect(report.summary).toEqual({ pass: 2, fail: 1, notApplicable: 0 });
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('<testsuites tests="3" failures="1" skipped="0">');
    expect(xml).toContain("content-without-354 (RFC 5321 §4.1.1.4)");
  }, 60_000);

  it("prints a text report and exits 0 when every case passed", async () => {
    const run = start(["--listen", "127.0.0.1:0", "--cases", "greeting-554"]);
    await ownClient(await run.port);
    const result = await run.done;
    expect(result.stdout).toContain("pass  greeting-554");
    expect(result.stdout).toContain("1 passed, 0 failed, 0 not applicable");
    expect(result.exitCode).toBe(0);
  }, 30_000);
});
