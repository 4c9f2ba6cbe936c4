import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapabilitySet, CommandReader, type Command, type CommandReaderEvent } from "@smtpkit/grammar";
import { Situations } from "@smtpkit/codes";
import {
  allCapabilities,
  capabilitySet,
  clientSession,
  envelope,
  misorderedSession,
  pipelinedGroups,
  sequenceDefects,
  sessionBytes,
  type SessionStep,
} from "@smtpkit/testkit";
import { describeLaws } from "./laws.js";

/** Replays the session's bytes through grammar's server-side reader, answering every command positively. */
function replay(steps: readonly SessionStep[], capabilities: CapabilitySet): { commands: Command[]; contents: Uint8Array[] } {
  const reader = new CommandReader({ strict: true, extensions: capabilities });
  const commands: Command[] = [];
  const contents: Uint8Array[] = [];
  let current: number[] = [];
  const handle = (events: readonly CommandReaderEvent[]): void => {
    for (const event of events) {
      if (event.type === "command") {
        commands.push(event.command);
        const c = event.command;
        if (c.verb === "DATA") handle(reader.expectData());
        else if (c.verb === "BDAT") handle(reader.expectBdat(c.size, c.last));
        else if (c.verb === "STARTTLS" || c.verb === "AUTH") handle(reader.expectCommands());
      } else if (event.type === "data-chunk") {
        current.push(...event.data);
      } else if (event.type === "data-end" || event.type === "bdat-end") {
        if (event.type === "data-end") expect(event.violation).toBeUndefined();
        contents.push(Uint8Array.from(current));
        current = [];
      } else {
        throw new Error(`unexpected event ${JSON.stringify(event)}`);
      }
    }
  };
  handle(reader.push(sessionBytes(steps)));
  return { commands, contents };
}

function expectWellFormedSession(steps: readonly SessionStep[], capabilities: CapabilitySet): void {
  const verbs = steps.map((s) => s.command.verb);
  expect(verbs[0]).toBe("EHLO");
  expect(verbs.at(-1)).toBe("QUIT");
  // Sequence (RFC 5321 §4.1.4): RCPT only inside a transaction, DATA/BDAT only after a RCPT.
  let state: "idle" | "mail" | "rcpt" | "bdat" = "idle";
  for (const step of steps) {
    const c = step.command;
    if (c.verb === "MAIL") {
      expect(state).toBe("idle");
      state = "mail";
    } else if (c.verb === "RCPT") {
      expect(["mail", "rcpt"]).toContain(state);
      state = "rcpt";
    } else if (c.verb === "DATA") {
      expect(state).toBe("rcpt");
      state = "idle";
    } else if (c.verb === "BDAT") {
      expect(["rcpt", "bdat"]).toContain(state);
      expect(step.content?.length).toBe(c.size);
      state = c.last ? "idle" : "bdat";
    } else if (c.verb === "RSET") {
      state = "idle";
    } else if (c.verb === "STARTTLS") {
      expect(capabilities.has("STARTTLS")).toBe(true);
    }
  }
  expect(state).toBe("idle");
  const replayed = replay(steps, capabilities);
  expect(replayed.commands).toEqual(steps.map((s) => s.command));
  const sent = steps.filter((s) => s.content !== undefined);
  // DATA content comes back unstuffed and whole; BDAT chunks come back as they were.
  expect(replayed.contents.map((c) => [...c])).toEqual(sent.map((s) => [...(s.content as Uint8Array)]));
}

const rich = CapabilitySet.of({ PIPELINING: true, SIZE: ["5000"], "8BITMIME": true, SMTPUTF8: true, CHUNKING: true, BINARYMIME: true, DSN: true, STARTTLS: true, AUTH: ["PLAIN"] });

describeLaws("clientSession(rich capabilities)", () => clientSession({ capabilities: rich }), (steps) => expectWellFormedSession(steps, rich), {
  withoutContext: false,
  numRuns: 60,
});
describeLaws("clientSession(plain SMTP)", () => clientSession(), (steps) => expectWellFormedSession(steps, CapabilitySet.empty), {
  withoutContext: false,
  numRuns: 60,
});
describeLaws("envelope", () => envelope({ utf8: true }), (value) => {
  const keys = value.recipients.map((m) => `${m.localPart}@${m.domain.toLowerCase()}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(value.recipients.length).toBeGreaterThan(0);
});

describe("client sessions", () => {
  it("are consistent with any capability set", () => {
    fc.assert(
      fc.property(
        capabilitySet().chain((set) => fc.tuple(fc.constant(set), clientSession({ capabilities: set }))),
        ([set, steps]) => expectWellFormedSession(steps, set),
      ),
      { numRuns: 100 },
    );
  });

  it("use BDAT for BINARYMIME, dot lines in DATA, STARTTLS and AUTH when offered", () => {
    const sessions = fc.sample(clientSession({ capabilities: allCapabilities }), { seed: 8, numRuns: 150 });
    const steps = sessions.flat();
    expect(steps.some((s) => s.command.verb === "BDAT")).toBe(true);
    expect(steps.some((s) => s.command.verb === "STARTTLS")).toBe(true);
    expect(steps.some((s) => s.command.verb === "AUTH")).toBe(true);
    expect(steps.some((s) => s.command.verb === "DATA" && new TextDecoder().decode(s.content).includes("\r\n."))).toBe(true);
    for (const session of sessions) {
      let binary = false;
      for (const { command } of session) {
        if (command.verb === "MAIL") binary = command.parameters?.body === "BINARYMIME";
        if (command.verb === "DATA") expect(binary).toBe(false);
      }
    }
  });
});

describe("pipelined groups", () => {
  const ends = new Set(["EHLO", "HELO", "LHLO", "DATA", "VRFY", "EXPN", "QUIT", "NOOP", "HELP", "STARTTLS", "AUTH"]);

  it("cover the session in order and end only where RFC 2920 allows", () => {
    fc.assert(
      fc.property(
        capabilitySet().chain((set) => fc.tuple(fc.constant(set), clientSession({ capabilities: set }))),
        ([set, steps]) => {
          const groups = pipelinedGroups(steps, set);
          expect(groups.flat()).toEqual(steps);
          for (const group of groups) {
            expect(group.length).toBeGreaterThan(0);
            // Only the last command of a group may be one that waits for its reply.
            for (const step of group.slice(0, -1)) expect(ends.has(step.command.verb)).toBe(false);
            if (!set.has("PIPELINING")) expect(group.length).toBe(1);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("group MAIL and RCPTs into one round trip when PIPELINING is offered", () => {
    const set = CapabilitySet.of({ PIPELINING: true });
    const steps: SessionStep[] = [
      { command: { verb: "EHLO", domain: "a.example", form: "domain" } },
      { command: { verb: "MAIL", from: null, parameters: {} } },
      { command: { verb: "RCPT", to: { localPart: "b", domain: "b.example" }, parameters: {} } },
      { command: { verb: "DATA" }, content: new TextEncoder().encode("x\r\n") },
      { command: { verb: "QUIT" } },
    ];
    expect(pipelinedGroups(steps, set).map((g) => g.map((s) => s.command.verb))).toEqual([["EHLO"], ["MAIL", "RCPT", "DATA"], ["QUIT"]]);
  });
});

/** A small model of RFC 5321 §4.1.4 sequencing: the situation each refused command gets, or undefined. */
function sequenceErrors(steps: readonly SessionStep[]): { index: number; situation: string }[] {
  const errors: { index: number; situation: string }[] = [];
  let greeted = false;
  let mail = false;
  let recipients = 0;
  steps.forEach(({ command: c }, index) => {
    const refuse = (situation: string): void => {
      errors.push({ index, situation });
    };
    switch (c.verb) {
      case "EHLO":
      case "HELO":
        greeted = true;
        mail = false;
        recipients = 0;
        break;
      case "STARTTLS":
        greeted = false;
        mail = false;
        recipients = 0;
        break;
      case "MAIL":
        if (!greeted) refuse("NeedHello");
        else if (mail) refuse("NestedMail");
        else mail = true;
        break;
      case "RCPT":
        if (!mail) refuse("NeedMail");
        else recipients += 1;
        break;
      case "DATA":
        if (!mail) refuse("NeedMail");
        else if (recipients === 0) refuse("NeedRecipient");
        else mail = false;
        if (!mail) recipients = 0;
        break;
      case "BDAT":
        if (recipients === 0) refuse("NeedRecipient");
        else if (c.last) {
          mail = false;
          recipients = 0;
        }
        break;
      case "RSET":
        mail = false;
        recipients = 0;
        break;
      default:
    }
  });
  return errors;
}

describeLaws("misorderedSession", () => misorderedSession({ capabilities: rich }), (bad) => {
  expect(sequenceErrors(bad.steps)).toEqual([{ index: bad.index, situation: bad.situation }]);
  expect(Situations[bad.situation].code).toBe(503);
}, { numRuns: 100, withoutContext: false });

describe("misordered sessions", () => {
  it("generate every defect, and the valid sessions they come from have no sequence error", () => {
    for (const defect of sequenceDefects) {
      const values = fc.sample(misorderedSession({ capabilities: rich }, [defect]), { seed: 2, numRuns: 20 });
      expect(values.every((v) => v.defect === defect)).toBe(true);
    }
    fc.assert(fc.property(clientSession({ capabilities: rich }), (steps) => {
      expect(sequenceErrors(steps)).toEqual([]);
    }), { numRuns: 50 });
  });
});
