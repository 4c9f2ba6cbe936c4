// The whole path of an email with smtpkit alone (issue #9): a client submits to server A
// (`smtpkit serve --submission`, AUTH over STARTTLS), A queues the message and delivers it over SMTP to
// server B (found through --mx-map, the injected resolver), B stores it in the recipient's Maildir.
// Also: B down then up, B answering 4xx then 250, B refusing one of two recipients (a DSN comes back to
// the sender's Maildir on A), AUTH required before MAIL, and `smtpkit queue` / `smtpkit queue flush`.
import { connect as netConnect } from "node:net";
import path from "node:path";
import { connect } from "@smtpkit/client";
import { getHeader, parseDeliveryStatus, parseMessage } from "@smtpkit/mime";
import { createServer, type SmtpServer } from "@smtpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";
import { removeScratch, scratch, startServe, type ServeProcess } from "./serve-helpers.js";
import { freePortOn, mailbox, PASSWORD, startSubmissionServer, submit, traceFields, waitForMail } from "./submission-helpers.js";

afterAll(removeScratch);

function message(tag: string, to: string): string {
  return [
    "From: Alice <alice@example.com>",
    `To: ${to}`,
    `Subject: relay ${tag}`,
    "Date: Sun, 29 Nov 2026 16:00:00 +0000",
    `Message-ID: <${tag}@client.example.test>`,
    "",
    `Hello from ${tag}.`,
    ".a line that needs dot-stuffing",
    "",
  ].join("\r\n");
}

/** Reads the whole reply to a command on a raw connection. */
function rawDialogue(port: number, lines: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1");
    const replies: string[] = [];
    let buffer = "";
    let step = 0;
    socket.setEncoding("utf8");
    socket.on("error", reject);
    socket.on("data", (text: string) => {
      buffer += text;
      // A reply ends with a line "ddd " (no dash).
      while (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buffer)) {
        replies.push(buffer);
        buffer = "";
        if (step === lines.length) {
          socket.end();
          resolve(replies);
          return;
        }
        socket.write(`${lines[step]}\r\n`);
        step += 1;
      }
    });
  });
}

describe("client -> A (submission) -> queue -> B -> Maildir", () => {
  let directory: string;
  let a: ServeProcess;
  let b: ServeProcess;
  let later: SmtpServer | undefined;
  let grey: SmtpServer;
  let picky: SmtpServer;
  let laterPort: number;
  const greylisted = new Set<string>();

  beforeAll(async () => {
    directory = await scratch();
    // B: the recipient's server, a plain `smtpkit serve` for example.org.
    b = await startServe(directory, ["--domain", "example.org", "--hostname", "b.example.test", "--maildir", "maildir-b", "--log-format", "none"]);
    // A server that answers 451 to each recipient's first RCPT (greylisting), then takes it.
    grey = createServer({
      hostname: "grey.example.test",
      localDomains: ["grey.example"],
      maildir: path.join(directory, "maildir-grey"),
      hooks: {
        async onRcptTo({ to }) {
          const key = `${to.localPart}@${to.domain}`;
          if (greylisted.has(key)) return undefined;
          greylisted.add(key);
          return { type: "reject", situation: "Greylisted" };
        },
      },
    });
    const greyPort = (await grey.listen({ host: "127.0.0.3", port: 0 })).port;
    // A server that refuses one mailbox for good.
    picky = createServer({
      hostname: "picky.example.test",
      localDomains: ["picky.example"],
      maildir: path.join(directory, "maildir-picky"),
      hooks: {
        async onRcptTo({ to }) {
          return to.localPart === "nobody" ? { type: "reject", reply: { code: 550, enhanced: "5.1.1", text: "nobody: no such user here" } } : undefined;
        },
      },
    });
    const pickyPort = (await picky.listen({ host: "127.0.0.4", port: 0 })).port;
    // A server that is down for now (nothing listens there yet).
    laterPort = await freePortOn("127.0.0.2");
    a = await startSubmissionServer(directory, [
      "--domain", "bücher.example",
      "--mx-map", `example.org=127.0.0.1:${b.port}`,
      "--mx-map", `later.example=127.0.0.2:${laterPort}`,
      "--mx-map", `grey.example=127.0.0.3:${greyPort}`,
      "--mx-map", `picky.example=127.0.0.4:${pickyPort}`,
    ]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await later?.close({ graceMs: 0 });
    await grey?.close({ graceMs: 0 });
    await picky?.close({ graceMs: 0 });
  });

  it("delivers the submitted message byte for byte, with Return-Path and a Received: line from each hop", async () => {
    const sent = message("hops", "bob@example.org");
    const result = await submit(a.port, ["bob@example.org"], sent);
    expect(result.status, JSON.stringify(result)).toBe("accepted");
    const [stored] = await waitForMail(path.join(directory, "maildir-b"), "example.org", "bob");
    const body = Buffer.from(sent, "latin1");
    expect(stored!.subarray(stored!.length - body.length)).toEqual(body);
    const fields = traceFields(stored!, body);
    expect(fields).toHaveLength(3);
    expect(fields[0]).toBe("Return-Path: <alice@example.com>");
    // Newest first (RFC 5321 §4.4): B's hop, then A's, where alice authenticated under TLS (ESMTPSA, RFC 3848).
    expect(fields[1]).toMatch(/^Received: from a\.example\.test \(.*127\.0\.0\.1.*\) by b\.example\.test .*with ESMTP/);
    expect(fields[2]).toMatch(/^Received: from client\.example\.test \(.*127\.0\.0\.1.*\) by a\.example\.test .*with ESMTPSA/);
    expect(fields[2]).toContain("for <bob@example.org>");
  });

  it("delivers local recipients to A's Maildir and relays the rest of the same message (IDN domains compared as A-labels)", async () => {
    const sent = message("mixed", "ivan@example.org, Judy@EXAMPLE.com, kim@xn--bcher-kva.example");
    const result = await submit(a.port, ["ivan@example.org", "Judy@EXAMPLE.com", "kim@xn--bcher-kva.example"], sent);
    expect(result.status).toBe("accepted");
    const [relayed] = await waitForMail(path.join(directory, "maildir-b"), "example.org", "ivan");
    const [judy] = await waitForMail(path.join(directory, "maildir"), "example.com", "judy");
    const [kim] = await waitForMail(path.join(directory, "maildir"), "xn--bcher-kva.example", "kim");
    for (const stored of [relayed!, judy!, kim!]) expect(stored.toString("latin1").endsWith(sent)).toBe(true);
    // Stored locally on A: A's Return-Path and Received only; relayed: B's on top of A's.
    expect(traceFields(judy!, Buffer.from(sent, "latin1")).map((field) => field.split(":")[0])).toEqual(["Return-Path", "Received"]);
    expect(traceFields(relayed!, Buffer.from(sent, "latin1")).map((field) => field.split(":")[0])).toEqual(["Return-Path", "Received", "Received"]);
    // Only ivan went through the queue: the queue's attempts name him and never the local two.
    const deadline = Date.now() + 10_000;
    while (!a.stderr().includes('"address":"ivan@example.org"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const attempts = a.stderr().split("\n").filter((line) => line.includes('"type":"delivery-attempt"'));
    expect(attempts.some((line) => line.includes('"address":"ivan@example.org"'))).toBe(true);
    expect(attempts.some((line) => line.includes("Judy@EXAMPLE.com") || line.includes("kim@xn--bcher-kva.example"))).toBe(false);
  });

  it("drops Return-Path fields the submitter wrote (RFC 5321 §4.4), relayed and local, and keeps everything else byte for byte", async () => {
    // A forged bounce address in every spelling a reader takes: any case, WSP before the colon, folded.
    const header = "Return-Path: <ceo@bank.example>\r\nFrom: alice@example.com\r\nreturn-path : <x@y.example>\r\nRETURN-PATH:\r\n <folded@z.example>\r\nX-Return-Path: kept\r\nReturn-Pathology: kept\r\nTo: rp@example.org\r\nSubject: rp\r\n";
    const cleanHeader = "From: alice@example.com\r\nX-Return-Path: kept\r\nReturn-Pathology: kept\r\nTo: rp@example.org\r\nSubject: rp\r\n";
    const body = "\r\nReturn-Path: in the body stays\r\n";
    const result = await submit(a.port, ["rp@example.org", "rp@example.com"], header + body);
    expect(result.status, JSON.stringify(result)).toBe("accepted");
    const [relayed] = await waitForMail(path.join(directory, "maildir-b"), "example.org", "rp");
    const [local] = await waitForMail(path.join(directory, "maildir"), "example.com", "rp");
    for (const stored of [relayed!, local!]) {
      const text = stored.toString("latin1");
      expect(text.endsWith(cleanHeader + body), text).toBe(true);
      // The only Return-Path is the one final delivery wrote, on top.
      expect(text.slice(0, text.indexOf("\r\n\r\n")).match(/^return-path\s*:/gim)).toHaveLength(1);
      expect(text.startsWith("Return-Path: <alice@example.com>\r\n")).toBe(true);
    }
  });

  it("refuses MAIL before AUTH with 530 5.7.0, and relaying for no one but authenticated users", async () => {
    const replies = await rawDialogue(a.port, ["EHLO raw.example.test", "MAIL FROM:<mallory@example.net>", "RCPT TO:<bob@example.org>", "QUIT"]);
    expect(replies[1]).toContain("STARTTLS");
    expect(replies[2]).toMatch(/^530 5\.7\.0 /);
  });

  it("keeps the message while B is down, retries, and delivers once B is up; smtpkit queue shows it waiting", async () => {
    const sent = message("later", "carol@later.example");
    expect((await submit(a.port, ["carol@later.example"], sent)).status).toBe("accepted");
    // The queue listing (read from the spool by another process) shows the failed attempt.
    let listing: { entries: { recipients: { address: string; state: string; attempts: number; nextAttemptAt?: number; lastReply?: { code: number } }[] }[] } | undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const run = await smtpkit(["queue", "--dir", path.join(directory, "queue"), "--json"]);
      expect(run.exitCode, run.stderr).toBe(0);
      listing = JSON.parse(run.stdout) as typeof listing;
      const carol = listing!.entries.flatMap((entry) => entry.recipients).find((recipient) => recipient.address === "carol@later.example");
      if (carol !== undefined && carol.attempts >= 1) {
        expect(carol.state).toBe("pending");
        expect(carol.lastReply?.code).toBeGreaterThanOrEqual(400);
        expect(carol.lastReply?.code).toBeLessThan(500);
        expect(carol.nextAttemptAt).toBeGreaterThan(0);
        break;
      }
      if (Date.now() > deadline) throw new Error(`no failed attempt listed: ${run.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const text = await smtpkit(["queue", "--dir", path.join(directory, "queue")]);
    expect(text.stdout).toMatch(/<carol@later\.example>\s+pending\s+attempts \d+\s+next /);
    expect(text.stdout).toMatch(/last: 4\d\d /);
    // B comes up; a flush asks A to retry at once.
    later = createServer({ hostname: "later.example.test", localDomains: ["later.example"], maildir: path.join(directory, "maildir-later") });
    await later.listen({ host: "127.0.0.2", port: laterPort });
    const flush = await smtpkit(["queue", "flush", "--dir", path.join(directory, "queue")]);
    expect(flush.exitCode, flush.stderr).toBe(0);
    expect(flush.stdout).toContain("flush requested");
    const [stored] = await waitForMail(path.join(directory, "maildir-later"), "later.example", "carol");
    expect(stored!.toString("latin1").endsWith(sent)).toBe(true);
    expect(a.stderr()).toContain('"type":"delivery-attempt"');
  });

  it("retries after a 4xx (greylisting) and delivers at the next attempt", async () => {
    const sent = message("grey", "dan@grey.example");
    expect((await submit(a.port, ["dan@grey.example"], sent)).status).toBe("accepted");
    const [stored] = await waitForMail(path.join(directory, "maildir-grey"), "grey.example", "dan");
    expect(stored!.toString("latin1").endsWith(sent)).toBe(true);
    expect(greylisted.has("dan@grey.example")).toBe(true);
    // B stores the message before A hears the 250 and logs the attempt: wait for the log line too.
    const attemptsOf = () =>
      a
        .stderr()
        .split("\n")
        .filter((line) => line.includes('"type":"delivery-attempt"') && line.includes("dan@grey.example"))
        .map((line) => JSON.parse(line) as { recipients: { result: string; code: number }[] });
    const deadline = Date.now() + 10_000;
    while (!attemptsOf().some((attempt) => attempt.recipients[0]?.result === "delivered") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const attempts = attemptsOf();
    // Greylisted is 450 4.7.1 (codes' situation); any 4yz is a retry.
    expect(attempts.map((attempt) => [attempt.recipients[0]!.result, attempt.recipients[0]!.code])).toEqual([
      ["deferred", 450],
      ["delivered", 250],
    ]);
  });

  it("delivers to one of two recipients and returns a DSN for the other to the sender's Maildir on A", async () => {
    const sent = message("picky", "erin@picky.example, nobody@picky.example");
    const result = await submit(a.port, ["erin@picky.example", "nobody@picky.example"], sent);
    expect(result.status).toBe("accepted");
    const [stored] = await waitForMail(path.join(directory, "maildir-picky"), "picky.example", "erin");
    expect(stored!.toString("latin1").endsWith(sent)).toBe(true);
    expect(await mailbox(path.join(directory, "maildir-picky"), "picky.example", "nobody")).toEqual([]);
    const [bounce] = await waitForMail(path.join(directory, "maildir"), "example.com", "alice");
    // Stored with the null reverse-path, as sent (RFC 5321 §4.5.5).
    expect(bounce!.toString("latin1").startsWith("Return-Path: <>\r\n")).toBe(true);
    const parsed = parseMessage(new Uint8Array(bounce!));
    expect(parsed.root.info.mediaType).toBe("multipart/report");
    expect(getHeader(parsed.headers, "from")).toBe("Mail Delivery System <MAILER-DAEMON@a.example.test>");
    expect(getHeader(parsed.headers, "auto-submitted")).toBe("auto-replied");
    const status = parseDeliveryStatus(parsed.root.children[1]!.body!);
    expect(getHeader(status.message, "reporting-mta")).toBe("dns; a.example.test");
    expect(status.recipients).toHaveLength(1);
    const group = status.recipients[0]!;
    expect(getHeader(group, "final-recipient")).toBe("rfc822; nobody@picky.example");
    expect(getHeader(group, "action")).toBe("failed");
    expect(getHeader(group, "status")).toBe("5.1.1");
    expect(getHeader(group, "diagnostic-code")).toBe("smtp; 550 5.1.1 nobody: no such user here");
    // The original came back whole, with A's Received: line on top.
    const returned = parsed.root.children[2]!;
    expect(returned.info.mediaType).toBe("message/rfc822");
    const original = Buffer.from(bounce!.subarray(returned.bodyOffset, returned.bodyEnd)).toString("latin1");
    expect(original.startsWith("Received: from client.example.test")).toBe(true);
    expect(original.endsWith(sent)).toBe(true);
  });
});

describe("delivery status notifications follow NOTIFY (RFC 3461) and never answer <>", () => {
  let directory: string;
  let a: ServeProcess;
  let live: SmtpServer;

  beforeAll(async () => {
    directory = await scratch();
    // Nothing ever listens on dead.example's port: every attempt fails temporarily until the give-up time.
    const deadPort = await freePortOn("127.0.0.1");
    // live.example's server takes mail but offers no DSN extension (the server's default).
    live = createServer({ hostname: "live.example.test", localDomains: ["live.example"], maildir: path.join(directory, "maildir-live") });
    const livePort = (await live.listen({ host: "127.0.0.2", port: 0 })).port;
    a = await startSubmissionServer(directory, [
      "--mx-map", `live.example=127.0.0.2:${livePort}`,
      "--mx-map", `dead.example=127.0.0.1:${deadPort}`,
      "--retry-delays", "300ms",
      "--delay-warning-after", "1s",
      "--give-up-after", "3s",
    ]);
  });
  afterAll(async () => {
    await a?.stop();
    await live?.close({ graceMs: 0 });
  });

  it("sends one delay notice and then a failure report for the default NOTIFY, nothing for NEVER or for a bounce", async () => {
    expect((await submit(a.port, ["frank@dead.example"], message("default", "frank@dead.example"))).status).toBe("accepted");
    expect((await submit(a.port, ["grace@dead.example"], message("never", "grace@dead.example"), { notify: ["NEVER"] })).status).toBe("accepted");
    // A message from <> (itself a bounce) that cannot be delivered is dropped without a notice (RFC 5321 §4.5.5).
    const client = await connect({
      host: "127.0.0.1",
      port: a.port,
      hostname: "client.example.test",
      startTls: "required",
      tls: { rejectUnauthorized: false },
      auth: { username: "alice", password: PASSWORD },
    });
    const bounce = await client.send({ from: null, to: ["heidi@dead.example"], message: new TextEncoder().encode(message("null", "heidi@dead.example")) });
    await client.close();
    expect(bounce.status).toBe("accepted");

    // Wait until every entry is finished (failed for good after the give-up time).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const listing = JSON.parse((await smtpkit(["queue", "--dir", path.join(directory, "queue"), "--json"])).stdout) as { entries: { from: string; recipients: { state: string }[] }[] };
      const originals = listing.entries.filter((entry) => entry.recipients.some((recipient) => recipient.state === "pending"));
      if (originals.length === 0) break;
      if (Date.now() > deadline) throw new Error(`still pending: ${JSON.stringify(listing.entries)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const reports = (await waitForMail(path.join(directory, "maildir"), "example.com", "alice", 2)).map((file) => {
      const parsed = parseMessage(new Uint8Array(file));
      const status = parseDeliveryStatus(parsed.root.children[1]!.body!);
      return { recipients: status.recipients.map((group) => [getHeader(group, "final-recipient"), getHeader(group, "action"), getHeader(group, "will-retry-until") !== undefined]) };
    });
    // Only frank (default NOTIFY = FAILURE,DELAY): one delay notice with Will-Retry-Until, then the failure.
    expect(reports).toEqual([
      { recipients: [["rfc822; frank@dead.example", "delayed", true]] },
      { recipients: [["rfc822; frank@dead.example", "failed", false]] },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await mailbox(path.join(directory, "maildir"), "example.com", "alice")).toHaveLength(2);
  });

  it("reports NOTIFY=SUCCESS as relayed when the next hop offers no DSN (RFC 3461 §5.2.2)", async () => {
    const sent = message("success", "nina@live.example");
    expect((await submit(a.port, ["nina@live.example"], sent, { notify: ["SUCCESS", "FAILURE"] })).status).toBe("accepted");
    await waitForMail(path.join(directory, "maildir-live"), "live.example", "nina");
    const files = await waitForMail(path.join(directory, "maildir"), "example.com", "alice", 3);
    const reports = files.map((file) => parseMessage(new Uint8Array(file))).filter((parsed) => parsed.text?.includes("nina@live.example"));
    expect(reports).toHaveLength(1);
    const parsed = reports[0]!;
    const group = parseDeliveryStatus(parsed.root.children[1]!.body!).recipients[0]!;
    expect(getHeader(group, "final-recipient")).toBe("rfc822; nina@live.example");
    expect(getHeader(group, "action")).toBe("relayed");
    expect(getHeader(group, "status")).toBe("2.0.0");
    // Success reports carry the header only (RFC 3461 §4.3: RET is about failures).
    expect(parsed.root.children[2]!.info.mediaType).toBe("text/rfc822-headers");
  });

  it("closes on SIGTERM (the server, then the queue) with exit code 0, releasing the spool", async () => {
    const exit = await a.stop("SIGTERM");
    expect(exit.exitCode).toBe(0);
    expect(a.stderr()).toContain("closed");
    const listing = JSON.parse((await smtpkit(["queue", "--dir", path.join(directory, "queue"), "--json"])).stdout) as { lockedBy?: number };
    expect(listing.lockedBy).toBeUndefined();
  });
});

describe("--relay-host: every relayed message to one smarthost, no MX look-up", () => {
  let directory: string;
  let a: ServeProcess;
  let smarthost: SmtpServer;

  beforeAll(async () => {
    directory = await scratch();
    smarthost = createServer({ hostname: "smarthost.example.test", localDomains: ["anywhere.example", "elsewhere.example"], maildir: path.join(directory, "maildir-smarthost") });
    const port = (await smarthost.listen({ host: "127.0.0.1", port: 0 })).port;
    a = await startSubmissionServer(directory, ["--relay-host", `127.0.0.1:${port}`]);
  });
  afterAll(async () => {
    await a?.stop();
    await smarthost?.close({ graceMs: 0 });
  });

  it("sends mail for any domain to the smarthost", async () => {
    const sent = message("smarthost", "lee@anywhere.example, max@elsewhere.example");
    expect((await submit(a.port, ["lee@anywhere.example", "max@elsewhere.example"], sent)).status).toBe("accepted");
    const [lee] = await waitForMail(path.join(directory, "maildir-smarthost"), "anywhere.example", "lee");
    const [max] = await waitForMail(path.join(directory, "maildir-smarthost"), "elsewhere.example", "max");
    for (const stored of [lee!, max!]) expect(stored.toString("latin1").endsWith(sent)).toBe(true);
    expect(a.stdout()).toContain("via smarthost 127.0.0.1:");
  });
});
