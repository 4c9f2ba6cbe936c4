// The banner of `smtpkit serve` run from a clone of the repository (the README's Quick start runs
// `node packages/cli/dist/main.js serve`): no `smtpkit` command is on the PATH there, so the banner says what
// to type in its place, and that command, with the banner's own send line, delivers.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binary } from "./helpers.js";
import { delivered, removeScratch, scratch, startServe, type ServeProcess } from "./serve-helpers.js";

afterAll(removeScratch);

function run(command: string, args: readonly string[], cwd: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

describe("smtpkit serve run as node .../dist/main.js (a clone, no smtpkit on the PATH)", () => {
  let directory: string;
  let server: ServeProcess;

  beforeAll(async () => {
    directory = await scratch();
    server = await startServe(directory, ["--log-format", "none"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("says what to type for smtpkit, and the banner's send line run that way delivers", async () => {
    const hint = /\(smtpkit is not installed here: type node (\S+) in its place\)/.exec(server.stdout());
    expect(hint).not.toBeNull();
    // Run from the scratch directory, outside the repository: the path is given in full.
    expect(path.resolve(directory, hint![1]!)).toBe(binary);
    const line = /^ {2}smtpkit send (.*)$/m.exec(server.stdout())![1]!;
    const args = line.match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"|"$/g, ""));
    const result = await run(process.execPath, [hint![1]!, "send", ...args], directory);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(await delivered(path.join(directory, "maildir"), "localhost", "test")).toHaveLength(1);
  });
});

describe("smtpkit serve trusting every address for XCLIENT, XFORWARD or PROXY", () => {
  it("warns, naming the flag and what anyone can then do", async () => {
    const directory = await scratch();
    const server = await startServe(directory, ["--log-format", "none", "--xclient-trust", "0.0.0.0/0", "--xforward-trust", "::/0", "--xclient-trust", "10.0.0.0/8"]);
    try {
      const warnings = server.stderr().split("\n").filter((line) => line.startsWith("warning:"));
      expect(warnings).toEqual([
        "warning: --xclient-trust 0.0.0.0/0 trusts every address: any client can pose as another and claim a login (LOGIN= counts as authenticated)",
        "warning: --xforward-trust ::/0 trusts every address: any client can write another client into Received: and the log",
      ]);
    } finally {
      await server.stop();
    }
  });
});
