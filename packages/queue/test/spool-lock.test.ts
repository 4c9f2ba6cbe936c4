// One running queue per spool directory, also when several start at the same instant (review of issue #9).
// The lock used to be read, then written: two processes (or two openQueue calls of one process) that both
// found no lock, or the same stale one, both ran the queue, delivering every entry twice and emptying each
// other's tmp/ under their writes.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openQueue, QueueUsageError } from "@smtpkit/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock, scratch } from "./queue-helpers.js";

let root: { directory: string; remove: () => Promise<void> };
let counter = 0;
beforeAll(async () => {
  root = await scratch();
});
afterAll(async () => {
  await root.remove();
});
const nextDirectory = (): string => join(root.directory, `spool-lock-${(counter += 1)}`);

const queueModule = fileURLToPath(new URL("../dist/index.js", import.meta.url));

// A child process that waits for a common start time, opens the queue, holds it a while and says whether it got
// it, and from when to when it held it (a slow child may open after the first one closed: that is fine).
const childProgram = `
const { openQueue } = await import(process.argv[1]);
const [directory, startAt] = [process.argv[2], Number(process.argv[3])];
while (Date.now() < startAt) {}
try {
  const queue = await openQueue({ directory, hostname: "mta.example.com", pollIntervalMilliseconds: 60000 });
  const openedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 700));
  process.stdout.write("opened " + openedAt + " " + Date.now());
  await queue.close();
} catch (error) {
  process.stdout.write(error && error.reason === "spool-locked" ? "locked" : "error " + String(error && error.message));
}
`;

function runChild(directory: string, startAt: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", childProgram, queueModule, directory, String(startAt)], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let errors = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (errors += text));
    child.on("error", reject);
    child.on("exit", () => resolve(output === "" ? `no output: ${errors}` : output));
  });
}

describe("the spool lock", () => {
  it("two openQueue calls of one process at the same instant: exactly one opens", async () => {
    const directory = nextDirectory();
    const results = await Promise.allSettled([
      openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() }),
      openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() }),
    ]);
    const opened = results.filter((result) => result.status === "fulfilled");
    expect(opened).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected");
    expect(QueueUsageError.isInstance(refused?.reason) && refused.reason.reason === "spool-locked").toBe(true);
    for (const result of opened) await result.value.close();
    // Released: the next open works, and leaves nothing of the lock's making in tmp/.
    const again = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    expect((await readdir(join(directory, "tmp"))).filter((name) => name.startsWith("lock"))).toEqual([]);
    await again.close();
  });

  it("a stale lock (its process is gone) is taken over, and close() removes only its own lock", async () => {
    const directory = nextDirectory();
    await mkdir(directory, { recursive: true });
    // 2^22 + 1 is above Linux's largest pid, so no process has it.
    await writeFile(join(directory, "lock"), `${2 ** 22 + 1}\n`);
    const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
    const held = await readFile(join(directory, "lock"), "utf8");
    expect(held.startsWith(`${process.pid}\n`)).toBe(true);
    // Someone replaced the lock behind our back (a human, another host): close() must not remove theirs.
    await writeFile(join(directory, "lock"), "1\nsomeone-else\n");
    await queue.close();
    expect(await readFile(join(directory, "lock"), "utf8")).toBe("1\nsomeone-else\n");
  });

  it("a lock naming a live pid holds only if it is the same run of that process (a pid reused after a reboot does not)", async () => {
    // Linux only: elsewhere the pid is all a lock goes by.
    if (!existsSync("/proc/self/stat")) return;
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const pid = other.pid!;
      const boot = (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      const attempt = async (lock: string): Promise<"opened" | "locked"> => {
        const directory = nextDirectory();
        await mkdir(directory, { recursive: true });
        await writeFile(join(directory, "lock"), lock);
        try {
          const queue = await openQueue({ directory, hostname: "mta.example.com", clock: new ManualClock() });
          await queue.close();
          return "opened";
        } catch (error) {
          if (QueueUsageError.isInstance(error) && error.reason === "spool-locked") return "locked";
          throw error;
        }
      };
      expect(await attempt(`${pid}\ntoken\n${boot} ${start}\n`)).toBe("locked");
      expect(await attempt(`${pid}\n`)).toBe("locked");
      // The same pid, but another boot, or another process that had the pid before.
      expect(await attempt(`${pid}\ntoken\n00000000-0000-0000-0000-000000000000 ${start}\n`)).toBe("opened");
      expect(await attempt(`${pid}\ntoken\n${boot} ${Number(start) + 1}\n`)).toBe("opened");
    } finally {
      other.kill("SIGKILL");
    }
  });

  it(
    "processes starting at the same instant on one spool, fresh or with a stale lock: never more than one runs it",
    { timeout: 120_000 },
    async () => {
      const outcomes: string[][] = [];
      for (let trial = 0; trial < 4; trial += 1) {
        const directory = nextDirectory();
        await mkdir(directory, { recursive: true });
        if (trial % 2 === 1) await writeFile(join(directory, "lock"), `${2 ** 22 + 1}\n`);
        // Far enough ahead that every child is loaded and spinning when the moment comes.
        const startAt = Date.now() + 2000;
        outcomes.push(await Promise.all([runChild(directory, startAt), runChild(directory, startAt), runChild(directory, startAt)]));
      }
      for (const outcome of outcomes) {
        expect(outcome.every((text) => text === "locked" || text.startsWith("opened ")), JSON.stringify(outcomes)).toBe(true);
        const held = outcome.filter((text) => text.startsWith("opened ")).map((text) => text.split(" ").slice(1).map(Number) as [number, number]);
        expect(held.length, JSON.stringify(outcomes)).toBeGreaterThan(0);
        // Law: no two processes held the queue at the same time.
        held.sort((left, right) => left[0] - right[0]);
        for (let index = 1; index < held.length; index += 1) {
          expect(held[index]![0], JSON.stringify(outcomes)).toBeGreaterThanOrEqual(held[index - 1]![1]);
        }
      }
    },
  );
});
