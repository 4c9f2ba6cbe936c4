// `smtpkit queue` and `smtpkit queue flush` against spools written by @smtpkit/queue (no server running),
// and the queue flags of `smtpkit serve` refused where they make no sense.
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { openQueue } from "@smtpkit/queue";
import { afterAll, describe, expect, it } from "vitest";
import { json, smtpkit } from "./helpers.js";
import { removeScratch, scratch } from "./serve-helpers.js";

afterAll(removeScratch);

/** A spool with one entry for two recipients, written by the queue library and closed (not started). */
async function spoolWithEntry(): Promise<{ directory: string; id: string }> {
  const directory = path.join(await scratch(), "queue");
  const queue = await openQueue({ directory, hostname: "a.example.test" });
  const result = await queue.enqueue(
    {
      from: { localPart: "alice", domain: "example.com" },
      recipients: [{ to: { localPart: "bob", domain: "example.org" } }, { to: { localPart: "carol", domain: "example.net" }, notify: ["NEVER"] }],
      body: "7BIT",
      smtputf8: false,
      requireTls: false,
    },
    new TextEncoder().encode("Subject: queued\r\n\r\nwaiting\r\n"),
  );
  await queue.close();
  if (!result.ok) throw new Error(`enqueue failed: ${result.reason}`);
  return { directory, id: result.id };
}

describe("smtpkit queue", () => {
  it("lists entries with each recipient's state, attempts and next retry", async () => {
    const { directory, id } = await spoolWithEntry();
    const result = await smtpkit(["queue", "--dir", directory]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${id}  `);
    expect(result.stdout).toMatch(/bytes {2}arrived \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}from <alice@example\.com>/);
    expect(result.stdout).toMatch(/ {2}<bob@example\.org> {2}pending {2}attempts 0 {2}next \d{4}-/);
    expect(result.stdout).toMatch(/ {2}<carol@example\.net> {2}pending {2}attempts 0/);
    expect(result.stdout).toContain("1 entry, 2 recipients: 2 pending, 0 failed");
    expect(result.stdout).toContain("no server running on it");
  });

  it("--json gives the listing as one document", async () => {
    const { directory, id } = await spoolWithEntry();
    const listing = json<{ entries: { id: string; from: string; recipients: { address: string; state: string; attempts: number }[] }[]; corrupt: string[]; flushRequested: boolean }>(
      await smtpkit(["queue", "--dir", directory, "--json"]),
    );
    expect(listing.entries.map((entry) => entry.id)).toEqual([id]);
    expect(listing.entries[0]!.from).toBe("alice@example.com");
    expect(listing.entries[0]!.recipients.map((recipient) => [recipient.address, recipient.state, recipient.attempts])).toEqual([
      ["bob@example.org", "pending", 0],
      ["carol@example.net", "pending", 0],
    ]);
    expect(listing.corrupt).toEqual([]);
    expect(listing.flushRequested).toBe(false);
  });

  it("says the queue is empty, and refuses a directory that is not a queue (exit 1)", async () => {
    const directory = path.join(await scratch(), "queue");
    const queue = await openQueue({ directory, hostname: "a.example.test" });
    await queue.close();
    const empty = await smtpkit(["queue", "--dir", directory]);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toContain("The queue is empty");
    const missing = await smtpkit(["queue", "--dir", path.join(directory, "nope")]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("is not a queue directory");
    const missingJson = await smtpkit(["queue", "--dir", path.join(directory, "nope"), "--json"]);
    expect(json<{ error: { exitCode: number } }>(missingJson).error.exitCode).toBe(1);
  });

  it("reports a damaged entry (one flipped byte) and exits 1", async () => {
    const { directory, id } = await spoolWithEntry();
    const file = path.join(directory, "entries", id);
    const bytes = await readFile(file);
    bytes[bytes.length - 40]! ^= 0x01;
    await writeFile(file, bytes);
    const result = await smtpkit(["queue", "--dir", directory]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`entry ${id} is damaged`);
    expect(result.stdout).toContain("The queue is empty");
  });

  it("flush leaves a request for the running queue, and warns when none runs", async () => {
    const { directory } = await spoolWithEntry();
    const result = await smtpkit(["queue", "flush", "--dir", directory]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`flush requested in ${directory}`);
    expect(result.stderr).toContain("no server is running on this queue");
    expect(existsSync(path.join(directory, "flush-request"))).toBe(true);
    expect(json<{ flushRequested: boolean }>(await smtpkit(["queue", "--dir", directory, "--json"])).flushRequested).toBe(true);
    const asJson = json<{ flushRequested: boolean; runningPid: number | null }>(await smtpkit(["queue", "flush", "--json", "--dir", directory]));
    expect(asJson).toMatchObject({ flushRequested: true, runningPid: null });
    // The temporary file of the request is renamed into place, never left behind.
    expect((await readdir(path.join(directory, "tmp"))).filter((name) => name.startsWith("flush-"))).toEqual([]);
  });

  it("is listed in the help, with flush", async () => {
    const help = await smtpkit(["queue", "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("flush");
    expect(help.stdout).toContain("--dir <dir>");
    expect((await smtpkit(["--help"])).stdout).toContain("queue");
  });
});

describe("smtpkit serve: queue flags", () => {
  const refused: [string[], RegExp][] = [
    [["--mx-map", "example.org=127.0.0.1:2526"], /--mx-map needs --submission/],
    [["--relay-host", "smarthost.example"], /--relay-host needs --submission/],
    [["--submission"], /--submission needs --users/],
    [["--submission", "--users", "users.txt", "--lmtp"], /--submission and --lmtp do not go together/],
    [["--mx-map", "example.org"], /expected domain=address:port/],
    [["--mx-map", "example.org=mx.example.org:25"], /maps to an IP address/],
    [["--mx-map", "a.example=127.0.0.1:1", "--mx-map", "b.example=127.0.0.1:2"], /two ports/],
    [["--mx-map", "a.example=127.0.0.1:1", "--mx-map", "a.example=127.0.0.2:1"], /gives a\.example twice/],
    [["--retry-delays", "5x"], /a duration is a number and a unit/],
    [["--retry-delays", "1s,,2s"], /a list of 1 to 100 durations/],
    [["--give-up-after", "61d"], /from 1ms to 60d/],
    [["--relay-host", "smarthost.example:99999"], /--relay-host: expected host\[:port\]/],
  ];
  it("refuses what cannot work, with exit code 2", async () => {
    for (const [args, message] of refused) {
      const result = await smtpkit(["serve", "--port", "0", ...args]);
      expect(result.exitCode, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
    }
  });

  it("documents the submission flags in serve --help", async () => {
    const help = (await smtpkit(["serve", "--help"])).stdout;
    for (const flag of ["--submission", "--queue-dir <dir>", "--relay-host", "--mx-map", "--retry-delays", "--give-up-after", "--delay-warning-after"]) expect(help).toContain(flag);
  });
});

describe("one running queue per directory", () => {
  it("serve --submission refuses a queue directory another live process holds (exit 1)", async () => {
    const directory = await scratch();
    const queue = await openQueue({ directory: path.join(directory, "queue"), hostname: "a.example.test" });
    try {
      await writeFile(path.join(directory, "users.txt"), "alice:{plain}secret\n");
      const result = await smtpkit(["serve", "--port", "0", "--submission", "--users", "users.txt", "--allow-insecure-auth", "--queue-dir", "queue"], { cwd: directory });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain("queue is in use by another running server");
    } finally {
      await queue.close();
    }
  });
});
