// Real clients through every client conformance case: swaks, Python smtplib, msmtp and nodemailer (through
// @smtpkit/interop's drivers, STARTTLS required), and @smtpkit/client. Their verdicts are findings, recorded in
// docs/conformance/clients.md: the test checks that a fresh run gives exactly the recorded block
// (SMTPKIT_UPDATE_CONFORMANCE_DOCS=1 rewrites the blocks instead). A missing client skips outside CI, fails in CI.
import { CLIENT_DRIVERS, requirePeer, type ClientSendOptions } from "@smtpkit/interop";
import { describe, expect, it } from "vitest";
import { runClientConformance, type ClientConformanceOptions, type ClientConformanceTarget, type ClientRunOutcome } from "@smtpkit/testkit";
import { recordBlock, recordedBlock, renderClientBlock } from "./client-conformance/clients-doc.js";
import { runOwnClient } from "./client-conformance/own-client.js";

const update = process.env["SMTPKIT_UPDATE_CONFORMANCE_DOCS"] === "1";

/**
 * Each client waits 5 s for a reply; the silent case waits 30 s (swaks tries EHLO, HELO and QUIT, 5 s each), and an
 * endless reply must be given up within the runner's 2 s grace after it was all written.
 */
const CLIENT_TIMEOUT_SECONDS = 5;

const options: ClientConformanceOptions = {
  requiresTls: true,
  timeouts: { case: 20_000, silent: 30_000 },
  enormousReplyBytes: 4 * 1024 * 1024,
};

const message = [
  "From: a@example.test",
  "To: b@example.test",
  "Date: Sun, 29 Nov 2026 12:00:00 +0000",
  "Message-ID: <conformance@example.test>",
  "Subject: client conformance",
  "",
  "Hello.",
  "",
].join("\r\n");

/** The settings each driver is run with, for the document. */
const settings: Readonly<Record<string, string>> = {
  swaks: `\`swaks --tls --timeout ${CLIENT_TIMEOUT_SECONDS}\` (STARTTLS required, certificate not checked)`,
  smtplib: `\`smtplib.SMTP(timeout=${CLIENT_TIMEOUT_SECONDS})\`, \`starttls()\` then \`send_message\`; the driver also kills the interpreter after ${CLIENT_TIMEOUT_SECONDS} s`,
  msmtp: `\`msmtp --tls=on --tls-starttls=on --tls-certcheck=off --timeout=${CLIENT_TIMEOUT_SECONDS}\``,
  nodemailer: `\`createTransport({ requireTLS: true, connectionTimeout/greetingTimeout/socketTimeout: ${CLIENT_TIMEOUT_SECONDS * 1000} })\`, \`sendMail({ raw })\``,
};

function driverRun(name: string, send: (o: ClientSendOptions & { extraArguments?: readonly string[] }) => Promise<{ exitCode: number | null; stderr: string }>) {
  return async (target: ClientConformanceTarget): Promise<ClientRunOutcome> => {
    const extra = name === "swaks" ? ["--timeout", String(CLIENT_TIMEOUT_SECONDS)] : name === "msmtp" ? [`--timeout=${CLIENT_TIMEOUT_SECONDS}`] : [];
    const result = await send({
      port: target.port,
      host: target.host,
      from: "a@example.test",
      to: ["b@example.test"],
      message,
      tls: true,
      timeout: name === "smtplib" || name === "nodemailer" ? CLIENT_TIMEOUT_SECONDS * 1000 : 15_000,
      ...(extra.length === 0 ? {} : { extraArguments: extra }),
    });
    return { reportedSuccess: result.exitCode === 0, detail: `exit ${String(result.exitCode)}` };
  };
}

/**
 * Cases whose verdict for a third-party client is a race between the client's own reply timeout and the
 * runner's grace period (how long the client takes to read megabytes or to give up on silence varies with the
 * machine's load): swaks, for one, passes or fails `reply-line-enormous` from run to run. For those clients these
 * verdicts are recorded but not compared; every other verdict must be exactly the recorded one.
 */
const TIMING_DEPENDENT_CASES: ReadonlySet<string> = new Set(["reply-line-enormous", "reply-lines-endless", "never-answers"]);

/** The `| case | verdict |` rows of a rendered block. */
function verdicts(block: string): Map<string, string> {
  return new Map([...block.matchAll(/^\| `([a-z0-9-]+)` \| (pass|fail|not-applicable) \|/gm)].map((match) => [match[1] as string, match[2] as string]));
}

function check(name: string, block: string): void {
  if (update) {
    recordBlock(name, block);
    return;
  }
  const recorded = recordedBlock(name);
  if (name === "@smtpkit/client") {
    expect(block).toBe(recorded);
    return;
  }
  const fresh = verdicts(block);
  const expected = verdicts(recorded ?? "");
  expect(fresh.size).toBe(21);
  expect([...fresh.keys()]).toEqual([...expected.keys()]);
  for (const [id, verdict] of fresh) {
    if (!TIMING_DEPENDENT_CASES.has(id)) expect(`${id}: ${verdict}`).toBe(`${id}: ${String(expected.get(id))}`);
  }
}

describe("real clients through every client conformance case", () => {
  for (const driver of CLIENT_DRIVERS) {
    it.skipIf(!requirePeer(driver.name))(`${driver.name}`, async () => {
      const report = await runClientConformance({ ...options, runClient: driverRun(driver.name, driver.send as never) });
      expect(report.cases).toHaveLength(21);
      // The baseline must pass, or the other verdicts say nothing about the client.
      expect(report.cases[0]).toMatchObject({ id: "baseline", verdict: "pass" });
      check(driver.name, renderClientBlock(driver.name, settings[driver.name] ?? "", report));
    }, 300_000);
  }

  it("@smtpkit/client", async () => {
    const second = CLIENT_TIMEOUT_SECONDS * 1000;
    const timeouts = { greeting: second, command: second, mail: second, rcpt: second, dataInitiation: second, dataBlock: second, dataTermination: second };
    const report = await runClientConformance({ ...options, runClient: (target) => runOwnClient(target, { timeouts }) });
    check(
      "@smtpkit/client",
      renderClientBlock("@smtpkit/client", `\`connect({ startTls: "required", tls: { rejectUnauthorized: false }, timeouts: ${CLIENT_TIMEOUT_SECONDS} s each })\` then \`send\``, report),
    );
  }, 300_000);
});
