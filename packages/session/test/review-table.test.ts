// Independent review: every refusal the transition table names is a reply
// @smtpkit/codes allows for that command, and the server's policies that
// live outside the table are the documented ones.
import { isReplyAllowed, Situations } from "@smtpkit/codes";
import { commandInputs, findTransition, transitionTable, type CommandInput } from "@smtpkit/session";
import { describe, expect, it } from "vitest";

const verbOf = (input: CommandInput): string => (input === "BDAT LAST" ? "BDAT" : input);

// @smtpkit/codes' command table does not know Postfix's XCLIENT and XFORWARD; their replies are
// those of XCLIENT_README and XFORWARD_README (220 or 250, 421, 501, 503, 550) plus RFC 5321's
// general 500, 502 and the 503 after a 554 greeting.
const frontEndReplies: Readonly<Record<string, readonly number[]>> = {
  XCLIENT: [220, 421, 500, 501, 502, 503, 550, 554],
  XFORWARD: [250, 421, 500, 501, 502, 503, 550],
};
const replyAllowed = (verb: string, code: number): boolean => frontEndReplies[verb]?.includes(code) ?? isReplyAllowed(verb, code);

describe("the table's refusals", () => {
  it("each refuse row's situation has a code RFC 5321 §4.3.2 (or the extension's RFC) allows for the command", () => {
    for (const row of transitionTable) {
      if (row.outcome.type !== "refuse" || !(commandInputs as readonly string[]).includes(row.input)) continue;
      const code = Situations[row.outcome.situation].code;
      expect(replyAllowed(verbOf(row.input as CommandInput), code), `${row.state} ${row.input} → ${row.outcome.situation} ${code}`).toBe(true);
    }
  });

  it("RFC 5321 §3.1: in the refused state only QUIT is evaluated, whatever the flags", () => {
    for (const tls of [false, true]) {
      for (const lmtp of [false, true]) {
        const flags = { tls, authenticated: false, lmtp };
        for (const input of commandInputs) {
          const outcome = findTransition("refused", input, flags)?.outcome;
          if (input === "QUIT") expect(outcome?.type).toBe("evaluate");
          else expect(outcome, input).toMatchObject({ type: "refuse", situation: "BadSequence", next: "refused" });
        }
      }
    }
  });

  it("no state but closed lacks a row for the 421 and the peer's close", () => {
    const flags = { tls: false, authenticated: false, lmtp: false };
    for (const state of ["greeting", "refused", "awaiting-hello", "ready", "mail", "recipients", "data", "bdat", "auth", "tls-handshake"] as const) {
      expect(findTransition(state, "service-closing", flags)?.outcome.type, state).toBe("evaluate");
      expect(findTransition(state, "peer-closed", flags)?.outcome.type, state).toBe("evaluate");
    }
  });
});
