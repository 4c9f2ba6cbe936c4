// Client conformance: @smtpkit/client passes every case; deliberately broken clients are caught, each by the rule it
// breaks; the scripted server's reading does not depend on how the client's bytes were cut; reports render.
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CLIENT_CASE_IDS,
  chunkings,
  formatClientConformanceReport,
  runClientConformance,
  ScriptedServer,
  smtpishBytes,
  TestkitError,
  type ClientCaseId,
  type ClientConformanceOptions,
  type ClientConformanceReport,
  type ScriptedAction,
} from "@smtpkit/testkit";
import { connect } from "@smtpkit/client";
import { runOwnClient } from "./client-conformance/own-client.js";
import { lenientSession, runScript, runSilentListener, type Step } from "./client-conformance/raw-client.js";

/** Short holds and timeouts: the clients here answer in milliseconds. */
const fast: ClientConformanceOptions = {
  timeouts: { case: 6_000, silent: 4_000, streamGrace: 1_000, injectionHold: 300, closingHold: 300 },
  enormousReplyBytes: 1 << 20,
};

const verdicts = (report: ClientConformanceReport): Record<string, string> => Object.fromEntries(report.cases.map((c) => [c.id, c.verdict]));
const rules = (report: ClientConformanceReport, id: ClientCaseId): string[] => report.cases.find((c) => c.id === id)?.violations.map((v) => v.rule) ?? [];

/**
 * Findings on @smtpkit/client: none. (It once failed `reply-line-enormous`: grammar's ReplyReader reported an
 * over-long reply line only at its line feed, so an endless line held the client until its reply timeout; the
 * reader now reports it as soon as it passes the limit.)
 */
const ownClientFindings: Partial<Record<ClientCaseId, string[]>> = {};

describe("@smtpkit/client through every case", () => {
  it("requiring TLS: passes every case", async () => {
    const report = await runClientConformance({ ...fast, requiresTls: true, runClient: (target) => runOwnClient(target) });
    const unexpected = report.cases.filter((c) => c.verdict !== "pass" && ownClientFindings[c.id] === undefined);
    expect(unexpected.map((c) => formatClientConformanceReport({ ...report, cases: [c] }, "text"))).toEqual([]);
    for (const [id, broken] of Object.entries(ownClientFindings)) expect(rules(report, id as ClientCaseId)).toEqual(broken);
    expect(report.summary).toEqual({ pass: CLIENT_CASE_IDS.length, fail: 0, notApplicable: 0 });
    // The injection case ended before TLS: the client refused the injected bytes (RFC 3207 §4.1).
    const injection = report.cases.find((c) => c.id === "starttls-injection");
    expect(injection?.client?.detail).toMatch(/after its 220 to STARTTLS/);
  }, 120_000);

  it("opportunistic TLS: the STARTTLS refusal cases do not apply, the rest pass", async () => {
    const report = await runClientConformance({ ...fast, requiresTls: false, runClient: (target) => runOwnClient(target, { startTls: "opportunistic" }) });
    const expected = Object.fromEntries(
      CLIENT_CASE_IDS.map((id) => [id, id.startsWith("starttls-refused") || id === "starttls-not-offered" ? "not-applicable" : ownClientFindings[id] === undefined ? "pass" : "fail"]),
    );
    expect(verdicts(report)).toEqual(expected);
    // Without TLS offered, it delivered in clear text, as its policy allows.
    const stripped = report.cases.find((c) => c.id === "starttls-not-offered");
    expect(stripped?.client?.reportedSuccess).toBe(true);
  }, 120_000);
});

describe("broken clients are caught by the rule they break", () => {
  it("a client that takes any reply as success", async () => {
    const cases: ClientCaseId[] = ["baseline", "greeting-554", "multiline-mixed-codes", "wrong-class-354-to-mail", "wrong-class-250-to-data", "service-closing-421", "starttls-refused-454"];
    const session: Step[] = [...lenientSession.slice(0, 2), { write: "STARTTLS\r\n" }, { awaitReply: true }, ...lenientSession.slice(2)];
    const report = await runClientConformance({
      ...fast,
      cases,
      requiresTls: true,
      runClient: (target) => runScript(target, target.caseId === "starttls-refused-454" ? session : lenientSession),
    });
    // It never does TLS, so a client set to require it breaks tls-required wherever it sends MAIL.
    expect(rules(report, "baseline")).toEqual(["tls-required"]);
    expect(rules(report, "greeting-554")).toEqual(["tls-required", "service-refused-respected"]);
    expect(rules(report, "multiline-mixed-codes")).toEqual(["tls-required", "reply-taken-as-acceptance"]);
    expect(rules(report, "wrong-class-354-to-mail")).toEqual(["tls-required", "reply-taken-as-acceptance"]);
    expect(rules(report, "wrong-class-250-to-data")).toEqual(["tls-required", "content-without-354"]);
    expect(rules(report, "service-closing-421")).toEqual(["tls-required", "service-refused-respected"]);
    expect(rules(report, "starttls-refused-454")).toEqual(["tls-required"]);
    const text = formatClientConformanceReport(report, "text");
    expect(text).toContain("broke content-without-354 (RFC 5321 §4.1.1.4)");
    expect(text).toContain("C: DATA\\r\\n");
  }, 60_000);

  it("the same lenient client, judged as not requiring TLS, is still caught on the reply rules, and the TLS cases do not apply", async () => {
    const report = await runClientConformance({
      ...fast,
      cases: ["baseline", "wrong-class-354-to-mail", "starttls-not-offered"],
      runClient: (target) => runScript(target, lenientSession),
    });
    expect(verdicts(report)).toEqual({ baseline: "pass", "wrong-class-354-to-mail": "fail", "starttls-not-offered": "not-applicable" });
  }, 30_000);

  it("a client that pipelines without PIPELINING, and one that uses SIZE= after HELO", async () => {
    const report = await runClientConformance({
      ...fast,
      cases: ["baseline", "ehlo-refused"],
      runClient: (target) =>
        target.caseId === "baseline"
          ? runScript(target, [{ write: "EHLO raw.example.test\r\nMAIL FROM:<a@example.test>\r\n" }, { awaitReply: true }, { awaitReply: true }, { write: "QUIT\r\n" }, { awaitReply: true }])
          : runScript(target, [{ write: "EHLO raw.example.test\r\n" }, { awaitReply: true }, { write: "HELO raw.example.test\r\n" }, { awaitReply: true }, { write: "MAIL FROM:<a@example.test> SIZE=100 BODY=8BITMIME\r\n" }, { awaitReply: true }, { write: "QUIT\r\n" }, { awaitReply: true }]),
    });
    expect(rules(report, "baseline")).toEqual(["no-unannounced-pipelining", "delivers"]);
    expect(report.cases[0]?.violations[0]?.summary).toContain("MAIL FROM:<a@example.test>");
    expect(rules(report, "ehlo-refused")).toEqual(["extension-not-offered"]);
    expect(report.cases[1]?.violations[0]?.summary).toBe("MAIL/RCPT parameters of extensions the server did not advertise: SIZE=100 BODY=8BITMIME");
  }, 30_000);

  it("a client that keeps what it read in clear text across STARTTLS takes the injected 250 as the answer to its EHLO", async () => {
    const steps: Step[] = [
      { write: "EHLO raw.example.test\r\n" },
      { awaitReply: true },
      { write: "STARTTLS\r\n" },
      { awaitReply: true },
      { startTls: true },
      { write: "EHLO raw.example.test\r\n" },
      { awaitReply: true },
      { write: "MAIL FROM:<a@example.test>\r\n" },
      { awaitReply: true },
      { write: "QUIT\r\n" },
      { awaitReply: true },
    ];
    const report = await runClientConformance({
      ...fast,
      cases: ["starttls-injection", "starttls-injection"],
      requiresTls: true,
      runClient: (target) => runScript(target, steps, { keepBufferAcrossTls: target.index === 0 }),
    });
    expect(report.cases[0]?.verdict).toBe("fail");
    expect(rules(report, "starttls-injection")).toEqual(["starttls-injected-reply"]);
    expect(report.cases[0]?.violations[0]?.summary).toContain("MAIL FROM:<a@example.test>");
    // The same client with its buffer dropped at the handshake waits for the real answer.
    expect(report.cases[1]?.verdict).toBe("pass");
    expect(report.cases[1]?.transcript.some((entry) => entry.tls && entry.from === "client")).toBe(true);
  }, 30_000);

  it("a client that never gives up, one that reads an endless reply, and one that claims success after a close", async () => {
    const report = await runClientConformance({
      ...fast,
      timeouts: { ...fast.timeouts, silent: 800 },
      cases: ["never-answers", "reply-lines-endless", "close-mid-data", "greeting-421"],
      runClient: async (target) => {
        if (target.caseId === "never-answers") return runSilentListener(target, true);
        if (target.caseId === "reply-lines-endless") return runSilentListener(target, true);
        if (target.caseId === "greeting-421") return undefined;
        await runScript(target, lenientSession);
        return { reportedSuccess: true, detail: "claims it was sent" };
      },
    });
    expect(rules(report, "never-answers")).toEqual(["gives-up-cleanly"]);
    expect(report.cases[0]?.end).toBe("timeout");
    expect(rules(report, "reply-lines-endless")).toEqual(["reply-bounded"]);
    expect(rules(report, "close-mid-data")).toEqual(["no-false-success"]);
    // No connection came for greeting-421.
    expect(report.cases[3]).toMatchObject({ verdict: "not-applicable", end: "no-connection", reason: "no connection came for this case" });
  }, 30_000);
});

describe("one connection per case", () => {
  it("with runClient, a second connection during a case gets 421 and does not shift the next case", async () => {
    const report = await runClientConformance({
      ...fast,
      cases: ["baseline", "greeting-554"],
      runClient: async (target) => {
        const outcome = await runScript(target, lenientSession);
        if (target.index === 0) await runScript(target, [{ write: "QUIT\r\n" }, { awaitReply: true }]);
        return outcome;
      },
    });
    expect(verdicts(report)).toEqual({ baseline: "pass", "greeting-554": "fail" });
    expect(report.cases[0]?.transcript.at(-1)?.text).toBe("the client opened 1 more connection(s) during this case; each got 421");
    // The second case was played on its own connection: the greeting was 554.
    expect(report.cases[1]?.transcript[0]?.text).toMatch(/^554 /);
  }, 30_000);
});

describe("waiting for connections made by hand", () => {
  it("gives connection N the N-th case, says which case is next, and turns extra connections away", async () => {
    const announced: string[] = [];
    let port = 0;
    const run = runClientConformance({
      ...fast,
      cases: ["baseline", "greeting-554"],
      onListening: (address) => {
        port = address.port;
      },
      onCase: (target) => announced.push(`${target.index + 1}/${target.total} ${target.caseId}`),
    });
    while (port === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const target = { host: "127.0.0.1", port, caseId: "baseline" as const, index: 0, total: 2 };
    expect((await runScript(target, lenientSession)).reportedSuccess).toBe(true);
    await runScript(target, [{ write: "QUIT\r\n" }, { awaitReply: true }]);
    const report = await run;
    expect(announced).toEqual(["1/2 baseline", "2/2 greeting-554"]);
    expect(verdicts(report)).toEqual({ baseline: "pass", "greeting-554": "pass" });
    expect(report.cases[1]?.end).toBe("client-quit");
  }, 30_000);

  it("an abort signal stops the wait", async () => {
    const controller = new AbortController();
    const run = runClientConformance({ ...fast, cases: ["baseline"], signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stopped")), 50);
    await expect(run).rejects.toThrow("stopped");
  });
});

describe("options", () => {
  it("refuse unknown cases and out-of-range limits with TestkitError", async () => {
    const bad: ClientConformanceOptions[] = [
      { cases: ["nope" as ClientCaseId] },
      { cases: [] },
      { timeouts: { case: 0 } },
      { timeouts: { silent: 1.5 } },
      { enormousReplyBytes: 10 },
      { listen: { port: 70_000 } },
      { listen: { host: "" } },
      { hostname: "bad name" },
      { tls: { key: "not a key", cert: "not a certificate" } },
    ];
    for (const options of bad) await expect(runClientConformance(options)).rejects.toSatisfy(TestkitError.isInstance);
  });
});

describe("the scripted server (sans-IO)", () => {
  const options = { hostname: "conform.example.test", enormousReplyBytes: 65_536, injectionHold: 10, closingHold: 10, streamGrace: 10 };
  const encoder = new TextEncoder();
  const written = (actions: readonly ScriptedAction[]): string =>
    actions.map((action) => (action.type === "write" ? new TextDecoder().decode(action.bytes) : `<${action.type}>`)).join("");

  function feed(caseId: ClientCaseId, chunks: readonly Uint8Array[]): { output: string; observation: ReturnType<ScriptedServer["observation"]> } {
    const server = new ScriptedServer(caseId, options);
    let output = written(server.start());
    for (const chunk of chunks) output += written(server.receive(chunk));
    return { output, observation: server.observation() };
  }

  /** A session's bytes: commands and a message whose lines may start with dots or hold bare CR/LF. */
  const sessionText = fc
    .array(fc.constantFrom("a", ".", "..", "\r", "\n", "\r\n", " ", "\r\n.\r", ".\n"), { maxLength: 30 })
    .map((parts) => {
      // Dot-stuffed as a client does (RFC 5321 §4.5.2): a "." starting a line is doubled.
      const content = parts.join("").replace(/(^|\r\n)\./g, "$1..");
      return encoder.encode(`EHLO c.example\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n${content}\r\n.\r\nNOOP\r\nQUIT\r\n`);
    });

  it("reads the same commands and messages, and writes the same replies, however the client's bytes are cut", () => {
    fc.assert(
      fc.property(sessionText.chain((bytes) => fc.tuple(fc.constant(bytes), chunkings(bytes))), ([bytes, chunks]) => {
        const whole = feed("baseline", [bytes]);
        const bytewise = feed("baseline", Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
        const cut = feed("baseline", chunks);
        const strip = (run: typeof whole) => ({ output: run.output, accepted: run.observation.messagesAccepted, commands: run.observation.commands.map((c) => c.line) });
        expect(strip(bytewise)).toEqual(strip(whole));
        expect(strip(cut)).toEqual(strip(whole));
        expect(whole.observation.messagesAccepted).toBe(1);
        // Whole, every command after the first came before its predecessor's reply; byte by byte, none did.
        expect(whole.observation.commands.filter((c) => c.pipelined).map((c) => c.verb)).toEqual(["MAIL", "RCPT", "DATA", "NOOP", "QUIT"]);
        expect(bytewise.observation.commands.some((c) => c.pipelined)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes give replies, never an exception, and never a buffer beyond its line limit", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CLIENT_CASE_IDS), fc.oneof(smtpishBytes(), fc.uint8Array({ maxLength: 9000 })), (caseId, bytes) => {
        const server = new ScriptedServer(caseId, options);
        server.start();
        server.receive(bytes);
        server.release();
        server.receive(bytes);
        const observation = server.observation();
        for (const entry of observation.transcript) expect(entry.text.length).toBeLessThan(12_000);
      }),
      { numRuns: 300 },
    );
  });

  it("answers an over-long line with 500 and goes on with the next line", () => {
    const { output, observation } = feed("baseline", [encoder.encode(`NOOP ${"x".repeat(5000)}`), encoder.encode("yyy\r\nNOOP\r\n")]);
    expect(output).toContain("500 Line too long\r\n250 OK\r\n");
    expect(observation.commands.map((c) => c.verb)).toEqual(["NOOP"]);
  });

  it("hides AUTH credentials in the transcript", () => {
    const { observation } = feed("baseline", [encoder.encode("EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n")]);
    const text = JSON.stringify(observation);
    expect(text).not.toContain("AGFsaWNl");
    expect(text).not.toContain("YWxpY2U=");
    expect(text).not.toContain("c2VjcmV0");
    expect(observation.commands.map((c) => c.line)).toEqual(["EHLO c", "AUTH PLAIN [credentials]", "AUTH LOGIN", "[credentials]", "[credentials]"]);
  });
});

describe("reports", () => {
  const report: ClientConformanceReport = {
    type: "client-conformance",
    listen: { host: "127.0.0.1", port: 2526 },
    requiresTls: true,
    cases: [
      { id: "baseline", misbehaviour: "none", expected: "delivers", verdict: "pass", violations: [], end: "client-quit", durationMs: 12, transcript: [] },
      {
        id: "wrong-class-250-to-data",
        misbehaviour: "250 to DATA",
        expected: "no content",
        verdict: "fail",
        violations: [{ rule: "content-without-354", rfc: "RFC 5321 §4.1.1.4", summary: 'sent "<content>" & more' }],
        end: "client-closed",
        durationMs: 1500,
        transcript: [{ from: "client", tls: false, text: "DATA\\r\\n" }],
      },
      { id: "starttls-not-offered", misbehaviour: "x", expected: "y", verdict: "not-applicable", reason: "not <required>", violations: [], end: "client-quit", durationMs: 3, transcript: [] },
    ],
    summary: { pass: 1, fail: 1, notApplicable: 1 },
  };

  it("render as text, JSON and JUnit XML (escaped, n/a skipped)", () => {
    const text = formatClientConformanceReport(report, "text");
    expect(text).toContain("FAIL  wrong-class-250-to-data");
    expect(text).toContain("1 passed, 1 failed, 1 not applicable");
    expect(JSON.parse(formatClientConformanceReport(report, "json"))).toEqual(report);
    const junit = formatClientConformanceReport(report, "junit");
    expect(junit).toContain('<testsuites tests="3" failures="1" skipped="1">');
    expect(junit).toContain('<skipped message="not &lt;required&gt;"/>');
    expect(junit).toContain("sent &quot;&lt;content&gt;&quot; &amp; more");
    expect(junit).not.toMatch(/<content>/);
    expect(() => formatClientConformanceReport(report, "xml" as "json")).toThrow(TestkitError);
  });
});

describe("runtime-agnostic import", () => {
  it("no client-conformance module imports node:* statically; the runner loads node:net and node:tls lazily", () => {
    const folder = new URL("../dist/client-conformance/", import.meta.url);
    const files = readdirSync(folder).filter((name) => name.endsWith(".js"));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const name of files) {
      const source = readFileSync(new URL(name, folder), "utf8");
      expect(source, name).not.toMatch(/^\s*import[^;]*from\s*["']node:/m);
      expect(source, name).not.toMatch(/\b(Buffer|process)\./);
    }
    const runner = readFileSync(new URL("run-client-conformance.js", folder), "utf8");
    expect(runner).toContain('await import("node:net")');
    expect(readFileSync(new URL("../dist/assertions/session-pair.js", import.meta.url), "utf8")).not.toMatch(/node:|\bBuffer\b|\bprocess\b/);
  });
});

describe("the README example, as written", () => {
  it("runs @smtpkit/client through every case", async () => {
    const report = await runClientConformance({
      requiresTls: true, // the client below requires STARTTLS: judge the STARTTLS cases
      timeouts: { silent: 10_000 }, // the never-answers case; above the client's own 5 s
      runClient: async ({ host, port }) => {
        try {
          const client = await connect({ host, port, startTls: "required", tls: { rejectUnauthorized: false }, timeouts: { command: 5_000, greeting: 5_000 } });
          const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: new TextEncoder().encode("Subject: x\r\n\r\nhi\r\n") });
          await client.close();
          return { reportedSuccess: result.status === "accepted" };
        } catch {
          return { reportedSuccess: false };
        }
      },
    });
    expect(formatClientConformanceReport(report, "text")).toContain("21 passed, 0 failed, 0 not applicable");
    expect(report.cases.filter((c) => c.verdict === "fail").map((c) => c.id)).toEqual([]);
  }, 120_000);
});
