// Crash safety of the relay queue (issue #9): server A (`smtpkit serve --submission`, a child process) takes
// many concurrent submissions and is killed with SIGKILL at a random moment, then restarted on the same
// spool, several times. Law: every message that got a 250 reaches B at least once (a duplicate is
// acceptable, a loss is not), and B never receives a partial message.
import path from "node:path";
import { createServer, type SmtpServer } from "@smtpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";
import { removeScratch, scratch, type ServeProcess } from "./serve-helpers.js";
import { killRounds, mailbox, seededRandom, startSubmissionServer, tagOf } from "./submission-helpers.js";

afterAll(removeScratch);

const ROUNDS = 4;
const MESSAGES_PER_ROUND = 12;

describe("SIGKILL at random points: nothing acknowledged is lost, nothing partial is delivered", () => {
  let directory: string;
  let b: SmtpServer;
  let bPort: number;
  let a: ServeProcess | undefined;
  const seed = Number(process.env["SMTPKIT_CRASH_SEED"] ?? Date.now() % 1_000_000);

  beforeAll(async () => {
    directory = await scratch();
    b = createServer({ hostname: "b.example.test", localDomains: ["example.org"], maildir: path.join(directory, "maildir-b") });
    bPort = (await b.listen({ host: "127.0.0.1", port: 0 })).port;
  });
  afterAll(async () => {
    await a?.stop("SIGKILL");
    await b?.close({ graceMs: 0 });
  });

  const startA = () => startSubmissionServer(directory, ["--mx-map", `example.org=127.0.0.1:${bPort}`, "--retry-delays", "500ms", "--log-format", "none"]);

  it(`holds over ${ROUNDS} kills of ${MESSAGES_PER_ROUND} concurrent submissions (seed in the test name's log)`, { timeout: 240_000 }, async () => {
    console.log(`crash test seed ${seed} (SMTPKIT_CRASH_SEED=${seed} repeats it)`);
    const { sent, acknowledged } = await killRounds({ startA, to: "bob@example.org", rounds: ROUNDS, perRound: MESSAGES_PER_ROUND, next: seededRandom(seed) });
    expect(acknowledged.size, "some submissions should complete before a kill").toBeGreaterThan(0);

    // A last run without a kill: recovery, then delivery of everything acknowledged.
    a = await startA();
    const deadline = Date.now() + 120_000;
    let files: Buffer[] = [];
    for (;;) {
      files = await mailbox(path.join(directory, "maildir-b"), "example.org", "bob");
      const arrived = new Set(files.map(tagOf));
      if ([...acknowledged].every((tag) => arrived.has(tag))) break;
      if (Date.now() > deadline) {
        const missing = [...acknowledged].filter((tag) => !arrived.has(tag));
        const listing = await smtpkit(["queue", "--dir", path.join(directory, "queue")]);
        throw new Error(`seed ${seed}: acknowledged but not delivered: ${missing.join(", ")}\n${listing.stdout}${listing.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Nothing partial: every file B holds ends with one whole submitted message.
    for (const file of files) {
      const tag = tagOf(file);
      expect(tag, "a delivered file without its tag header").toBeDefined();
      const text = file.toString("latin1");
      expect(text.endsWith(sent.get(tag!)!), `seed ${seed}: ${tag} arrived altered or cut (${file.length} bytes)`).toBe(true);
    }
    // The spool drains (entries written whole but killed before their 250 are delivered too), and no entry that
    // made it into entries/ is ever damaged: a partial write stays in tmp/ and is dropped at recovery.
    for (;;) {
      const listing = await smtpkit(["queue", "--dir", path.join(directory, "queue"), "--json"]);
      const parsed = JSON.parse(listing.stdout) as { corrupt: string[]; entries: { recipients: { state: string }[] }[] };
      expect(parsed.corrupt, `seed ${seed}`).toEqual([]);
      if (parsed.entries.every((entry) => entry.recipients.every((recipient) => recipient.state !== "pending"))) break;
      if (Date.now() > deadline) throw new Error(`seed ${seed}: the queue did not drain:\n${listing.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(`crash test: ${acknowledged.size} acknowledged of ${sent.size}, ${files.length} files delivered, ${new Set(files.map(tagOf)).size} distinct`);
  });
});
