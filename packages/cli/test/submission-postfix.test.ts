// The path of issue #9 with a real Postfix 3.7 as server B (a private instance on loopback, see
// ../shared/PEERS.md and @smtpkit/interop): client -> A (`smtpkit serve --submission`, AUTH over STARTTLS)
// -> queue -> Postfix (STARTTLS offered) -> Maildir. Also Postfix refusing one of two recipients (a DSN
// to the sender's Maildir on A), Postfix down then up, and SIGKILLs of A with Postfix as B.
// Skipped where Postfix is not installed; in CI (CI=true) a missing Postfix fails instead.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { convertLineEnds, requirePeer, startPostfix, type RunningPostfix } from "@smtpkit/interop";
import { getHeader, parseDeliveryStatus, parseMessage } from "@smtpkit/mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";
import { removeScratch, scratch, type ServeProcess } from "./serve-helpers.js";
import { freePortOn, killRounds, seededRandom, startSubmissionServer, submit, tagOf, waitForMail } from "./submission-helpers.js";

afterAll(removeScratch);

function message(tag: string, to: string, body = `Hello from ${tag}.\r\n.a dot-stuffed line\r\n`): string {
  return `From: Alice <alice@example.com>\r\nTo: ${to}\r\nSubject: postfix ${tag}\r\nMessage-ID: <${tag}@client.example.test>\r\n\r\n${body}`;
}

/** The messages Postfix stored whose Subject is `postfix <tag>`. */
function storedWith(postfix: RunningPostfix, tag: string): Buffer[] {
  return postfix
    .messages()
    .filter((stored) => stored.data.includes(`\nSubject: postfix ${tag}\n`))
    .map((stored) => stored.data);
}

async function waitForStored(postfix: RunningPostfix, tag: string, timeoutMilliseconds = 30_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMilliseconds;
  for (;;) {
    const found = storedWith(postfix, tag)[0];
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Postfix did not store ${tag}:\n${postfix.readLog().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(!requirePeer("postfix", "openssl"))("client -> A (submission) -> queue -> Postfix", () => {
  let directory: string;
  let postfix: RunningPostfix;
  let laterPostfix: RunningPostfix | undefined;
  let a: ServeProcess;
  let a2: ServeProcess | undefined;

  beforeAll(async () => {
    directory = await scratch();
    postfix = await startPostfix({ tls: true, hostname: "postfix-b.example.test" });
    a = await startSubmissionServer(directory, [
      "--mx-map", `example.test=127.0.0.1:${postfix.port}`,
      // A domain Postfix does not serve: it answers 554 5.7.1 (relay access denied) to RCPT.
      "--mx-map", `relay.example=127.0.0.1:${postfix.port}`,
    ]);
  }, 90_000);
  afterAll(async () => {
    await a?.stop();
    await a2?.stop();
    await postfix?.stop();
    await laterPostfix?.stop();
  });

  it("Postfix stores the submitted message as sent, under its Received: and A's (STARTTLS used on both hops)", async () => {
    const sent = message("hops", "bob@example.test");
    expect((await submit(a.port, ["bob@example.test"], sent)).status).toBe("accepted");
    const stored = (await waitForStored(postfix, "hops")).toString("latin1");
    // Postfix stores with LF line ends, after Return-Path, Delivered-To and its Received:.
    const expected = convertLineEnds(new TextEncoder().encode(sent), "lf").toString("latin1");
    expect(stored.endsWith(expected)).toBe(true);
    const head = stored.slice(0, stored.length - expected.length);
    expect(head).toMatch(/^Return-Path: <alice@example\.com>\n/);
    expect(head).toMatch(/\nReceived: from a\.example\.test \(/);
    // Postfix names the TLS of the hop from A (opportunistic STARTTLS, RFC 7435).
    expect(head).toMatch(/by postfix-b\.example\.test \(Postfix\) with ESMTPS/);
    // A's own hop (ESMTPSA: authenticated under TLS) travelled in the queued message.
    const unfolded = head.replace(/\n[ \t]+/g, " ");
    expect(unfolded).toMatch(/\nReceived: from client\.example\.test \([^)]*\) \(using TLS[^)]*\) by a\.example\.test \(smtpkit\) via TCP with ESMTPSA /);
    // Newest first: Postfix's hop above A's (RFC 5321 §4.4).
    expect(unfolded.indexOf("by postfix-b.example.test")).toBeLessThan(unfolded.indexOf("by a.example.test"));
  });

  it("one recipient delivered, the one Postfix refuses (554 5.7.1) comes back as a DSN in A's Maildir", async () => {
    const sent = message("refused", "carol@example.test, dave@relay.example");
    expect((await submit(a.port, ["carol@example.test", "dave@relay.example"], sent)).status).toBe("accepted");
    await waitForStored(postfix, "refused");
    const [bounce] = await waitForMail(path.join(directory, "maildir"), "example.com", "alice");
    const parsed = parseMessage(new Uint8Array(bounce!));
    const status = parseDeliveryStatus(parsed.root.children[1]!.body!);
    expect(status.recipients).toHaveLength(1);
    const group = status.recipients[0]!;
    expect(getHeader(group, "final-recipient")).toBe("rfc822; dave@relay.example");
    expect(getHeader(group, "action")).toBe("failed");
    expect(getHeader(group, "status")).toBe("5.7.1");
    expect(getHeader(group, "diagnostic-code")).toMatch(/^smtp; 554 5\.7\.1 .*Relay access denied/);
  });

  it("waits while Postfix is down and delivers once it is up", async () => {
    // Its own A: --mx-map gives one port per address, and this Postfix will listen on another port of 127.0.0.1.
    const own = path.join(directory, "a2");
    await mkdir(own);
    const laterPort = await freePortOn("127.0.0.1");
    a2 = await startSubmissionServer(own, ["--mx-map", `later.example.test=127.0.0.1:${laterPort}`]);
    const sent = message("later", "erin@later.example.test");
    expect((await submit(a2.port, ["erin@later.example.test"], sent)).status).toBe("accepted");
    const deadline = Date.now() + 20_000;
    for (;;) {
      const listing = JSON.parse((await smtpkit(["queue", "--dir", path.join(own, "queue"), "--json"])).stdout) as {
        entries: { recipients: { address: string; attempts: number; state: string }[] }[];
      };
      const erin = listing.entries.flatMap((entry) => entry.recipients).find((recipient) => recipient.address === "erin@later.example.test");
      if (erin !== undefined && erin.attempts >= 1) {
        expect(erin.state).toBe("pending");
        break;
      }
      if (Date.now() > deadline) throw new Error("no failed attempt while Postfix was down");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    laterPostfix = await startPostfix({ port: laterPort, domains: ["later.example.test"] });
    await smtpkit(["queue", "flush", "--dir", path.join(own, "queue")]);
    const stored = (await waitForStored(laterPostfix, "later")).toString("latin1");
    expect(stored.endsWith(convertLineEnds(new TextEncoder().encode(sent), "lf").toString("latin1"))).toBe(true);
  });
});

describe.skipIf(!requirePeer("postfix", "openssl"))("SIGKILLs of A with Postfix as B", () => {
  let postfix: RunningPostfix;
  let a: ServeProcess | undefined;
  const seed = Number(process.env["SMTPKIT_CRASH_SEED"] ?? Date.now() % 1_000_000);
  beforeAll(async () => {
    postfix = await startPostfix();
  }, 60_000);
  afterAll(async () => {
    await a?.stop("SIGKILL");
    await postfix?.stop();
  });

  it("every acknowledged message reaches Postfix whole", { timeout: 240_000 }, async () => {
    const directory = await scratch();
    const startA = () => startSubmissionServer(directory, ["--mx-map", `example.test=127.0.0.1:${postfix.port}`, "--retry-delays", "500ms", "--log-format", "none"]);
    console.log(`postfix crash test seed ${seed} (SMTPKIT_CRASH_SEED=${seed} repeats it)`);
    const { sent, acknowledged } = await killRounds({ startA, to: "bob@example.test", rounds: 2, perRound: 8, next: seededRandom(seed) });
    expect(acknowledged.size).toBeGreaterThan(0);
    a = await startA();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const arrived = new Set(postfix.messages().map((stored) => tagOf(stored.data)));
      if ([...acknowledged].every((tag) => arrived.has(tag))) break;
      if (Date.now() > deadline) throw new Error(`seed ${seed}: not delivered: ${[...acknowledged].filter((tag) => !arrived.has(tag)).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const stored of postfix.messages()) {
      const tag = tagOf(stored.data);
      expect(tag).toBeDefined();
      const expected = convertLineEnds(new TextEncoder().encode(sent.get(tag!)!), "lf").toString("latin1");
      expect(stored.data.toString("latin1").endsWith(expected), `seed ${seed}: ${tag} arrived altered or cut`).toBe(true);
    }
  });
});
