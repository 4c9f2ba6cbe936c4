// The judge of client conformance, on its own: laws over arbitrary observations, and one example per rule.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLIENT_CASE_IDS, judgeCase, type CaseEvidence, type ConnectionEnd, type ReceivedCommand, type ScriptedObservation } from "@smtpkit/testkit";

const verbs = ["EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "XYZZY"];

const command: fc.Arbitrary<ReceivedCommand> = fc.record({
  verb: fc.constantFrom(...verbs),
  tls: fc.boolean(),
  pipelined: fc.boolean(),
  repliesBefore: fc.nat(20),
}).map((c) => ({ ...c, line: `${c.verb} x` }));

const observation: fc.Arbitrary<ScriptedObservation> = fc.record({
  commands: fc.array(command, { maxLength: 10 }),
  transcript: fc.constant([]),
  messagesAccepted: fc.nat(2),
  contentWithoutGoAhead: fc.nat(100),
  undeclaredParameters: fc.array(fc.constantFrom("SIZE=1", "BODY=8BITMIME", "SMTPUTF8"), { maxLength: 2 }),
  startTlsSent: fc.boolean(),
  commandsWhileHeld: fc.array(fc.constantFrom("MAIL FROM:<a@b.example>", "NOOP"), { maxLength: 2 }),
  stillConnectedAfterStream: fc.boolean(),
});

const evidence: fc.Arbitrary<CaseEvidence> = fc.record(
  {
    caseId: fc.constantFrom(...CLIENT_CASE_IDS),
    requiresTls: fc.boolean(),
    observation,
    end: fc.constantFrom<ConnectionEnd>("client-quit", "client-closed", "server-closed", "timeout", "tls-failed", "no-connection"),
    client: fc.record({ returned: fc.boolean(), outcome: fc.option(fc.record({ reportedSuccess: fc.boolean() }), { nil: undefined }) }),
  },
  { requiredKeys: ["caseId", "requiresTls", "observation", "end"] },
);

describe("judgeCase", () => {
  it("fails exactly when a rule is broken; every violation names a rule and an RFC section", () => {
    fc.assert(
      fc.property(evidence, (e) => {
        const judgement = judgeCase(e);
        expect(judgement.verdict === "fail").toBe(judgement.violations.length > 0);
        for (const v of judgement.violations) {
          expect(v.rule).toMatch(/^[a-z0-9-]+$/);
          expect(v.rfc).toMatch(/^RFC [0-9]+ §/);
          expect(v.summary.length).toBeGreaterThan(10);
        }
        if (judgement.verdict === "not-applicable") expect(judgement.reason).toBeDefined();
      }),
    );
  });

  it("judges tls-required only for a client that requires TLS, and only for mail commands or AUTH in clear text", () => {
    fc.assert(
      fc.property(evidence, (e) => {
        const broken = judgeCase(e).violations.some((v) => v.rule === "tls-required");
        const clear = e.observation.commands.some((c) => !c.tls && ["MAIL", "RCPT", "DATA", "BDAT", "AUTH"].includes(c.verb));
        expect(broken).toBe(e.end !== "no-connection" && e.requiresTls && clear);
      }),
    );
  });

  it("judges no-false-success exactly when the client reported a message sent that the server never accepted", () => {
    fc.assert(
      fc.property(evidence, (e) => {
        const broken = judgeCase(e).violations.some((v) => v.rule === "no-false-success");
        expect(broken).toBe(e.end !== "no-connection" && e.client?.outcome?.reportedSuccess === true && e.observation.messagesAccepted === 0);
      }),
    );
  });

  it("a case with no connection does not apply, whatever else", () => {
    fc.assert(
      fc.property(evidence, (e) => {
        expect(judgeCase({ ...e, end: "no-connection" }).verdict).toBe("not-applicable");
      }),
    );
  });
});
