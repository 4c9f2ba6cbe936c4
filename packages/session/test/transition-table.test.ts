import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isReplyAllowed, Situations } from "@smtpkit/codes";
import {
  commandInputs,
  findTransition,
  isCommandAllowed,
  nextState,
  renderStateDiagram,
  sessionInputs,
  sessionStates,
  stateDiagramDocument,
  transitionTable,
  type SessionFlags,
  type SessionState,
} from "@smtpkit/session";
import { describe, expect, it } from "vitest";

const allFlags: SessionFlags[] = [];
for (const tls of [false, true]) for (const authenticated of [false, true]) for (const lmtp of [false, true]) allFlags.push({ tls, authenticated, lmtp });
const plain: SessionFlags = { tls: false, authenticated: false, lmtp: false };

// @smtpkit/codes' command table does not know Postfix's XCLIENT and XFORWARD; their replies are
// those of XCLIENT_README and XFORWARD_README (220 or 250, 421, 501, 503, 550) plus RFC 5321's
// general 500, 502 and the 503 after a 554 greeting.
const frontEndReplies: Readonly<Record<string, readonly number[]>> = {
  XCLIENT: [220, 421, 500, 501, 502, 503, 550, 554],
  XFORWARD: [250, 421, 500, 501, 502, 503, 550],
};
const replyAllowed = (verb: string, code: number): boolean => frontEndReplies[verb]?.includes(code) ?? isReplyAllowed(verb, code);

const commandStates: SessionState[] = ["refused", "awaiting-hello", "ready", "mail", "recipients", "bdat", "closing"];
const readingStates: SessionState[] = ["greeting", "data", "auth", "tls-handshake", "closed"];

describe("transition table: completeness", () => {
  it("gives every command exactly one applicable row in every command state, for every combination of flags", () => {
    for (const state of commandStates) {
      for (const input of commandInputs) {
        for (const flags of allFlags) expect(findTransition(state, input, flags), `${state} ${input}`).toBeDefined();
      }
    }
  });

  it("has no command rows where the client's lines are not commands (greeting, DATA, AUTH, TLS, closed)", () => {
    for (const state of readingStates) {
      for (const input of commandInputs) expect(findTransition(state, input, plain), `${state} ${input}`).toBeUndefined();
    }
  });

  it("lets 421 and the peer's close end every open state, and nothing happen after closed", () => {
    for (const state of sessionStates) {
      const closing = findTransition(state, "service-closing", plain);
      const peer = findTransition(state, "peer-closed", plain);
      if (state === "closed") {
        for (const input of sessionInputs) expect(findTransition(state, input, plain)).toBeUndefined();
      } else if (state === "closing") {
        // Passed through while one command is answered 421: every command row already leads to closed.
        expect(closing).toBeUndefined();
      } else {
        expect(closing && nextState(closing, 421)).toBe("closed");
        expect(peer && nextState(peer, 250)).toBe("closed");
      }
    }
  });

  it("names only existing states, inputs and situations, and every row is reachable (no row shadowed by an earlier one)", () => {
    for (const row of transitionTable) {
      expect(sessionStates).toContain(row.state);
      expect(sessionInputs).toContain(row.input);
      const outcome = row.outcome;
      if (outcome.type === "refuse") {
        expect(Situations[outcome.situation]).toBeDefined();
        expect(sessionStates).toContain(outcome.next);
      } else {
        for (const next of [outcome.success, outcome.intermediate, outcome.failure]) if (next !== undefined) expect(sessionStates).toContain(next);
      }
      const applies = allFlags.some((flags) => findTransition(row.state, row.input, flags) === row);
      expect(applies, `${row.state} ${row.input} ${JSON.stringify(row.when)}`).toBe(true);
    }
  });

  it("refuses only with replies RFC 5321 §4.3.2 (or the extension's RFC) allows for the command", () => {
    for (const row of transitionTable) {
      if (row.outcome.type !== "refuse") continue;
      const verb = row.input === "BDAT LAST" ? "BDAT" : row.input;
      const code = Situations[row.outcome.situation].code;
      expect(replyAllowed(verb, code), `${row.state} ${row.input} → ${code}`).toBe(true);
    }
  });
});

describe("transition table: the RFC rules", () => {
  const refusal = (state: SessionState, input: (typeof sessionInputs)[number], flags = plain) => {
    const row = findTransition(state, input, flags);
    return row?.outcome.type === "refuse" ? row.outcome.situation : undefined;
  };

  it("RFC 5321 §4.1.4: EHLO first; MAIL before RCPT; RCPT before DATA; no nested MAIL", () => {
    expect(refusal("awaiting-hello", "MAIL")).toBe("NeedHello");
    expect(refusal("ready", "RCPT")).toBe("NeedMail");
    expect(refusal("ready", "DATA")).toBe("NeedMail");
    expect(refusal("mail", "DATA")).toBe("NoValidRecipients");
    expect(refusal("mail", "MAIL")).toBe("NestedMail");
    expect(refusal("recipients", "MAIL")).toBe("NestedMail");
  });

  it("RFC 5321 §4.1.4: NOOP, HELP, VRFY, EXPN and RSET are legal at any time, even before EHLO", () => {
    for (const state of ["awaiting-hello", "ready", "mail", "recipients", "bdat"] as const) {
      for (const verb of ["NOOP", "HELP", "VRFY", "EXPN", "RSET"] as const) expect(findTransition(state, verb, plain)?.outcome.type).toBe("evaluate");
    }
  });

  it("RFC 5321 §3.1: after a 554 greeting, only QUIT ends the session; every other command gets 503, NOOP and RSET included", () => {
    const connect = findTransition("greeting", "connect", plain);
    expect(connect && nextState(connect, 554)).toBe("refused");
    const quit = findTransition("refused", "QUIT", plain);
    expect(quit && nextState(quit, 221)).toBe("closed");
    for (const verb of commandInputs) {
      if (verb === "QUIT") continue;
      expect(refusal("refused", verb)).toBe("BadSequence");
    }
  });

  it("RSET and EHLO end a transaction; RSET before EHLO stays before EHLO", () => {
    for (const state of ["mail", "recipients", "bdat"] as const) {
      for (const verb of ["RSET", "EHLO", "HELO"] as const) {
        const row = findTransition(state, verb, plain);
        expect(row && nextState(row, 250)).toBe("ready");
        expect(row?.outcome.type === "evaluate" && row.outcome.resets).toBe("transaction");
      }
    }
    const rset = findTransition("awaiting-hello", "RSET", plain);
    expect(rset && nextState(rset, 250)).toBe("awaiting-hello");
  });

  it("RFC 3030: DATA cannot follow BDAT; BDAT continues until LAST; a failed chunk ends the transaction", () => {
    expect(refusal("bdat", "DATA")).toBe("DataAfterBdat");
    const chunk = findTransition("bdat", "BDAT", plain);
    expect(chunk && nextState(chunk, 250)).toBe("bdat");
    expect(chunk && nextState(chunk, 552)).toBe("ready");
    const last = findTransition("bdat", "BDAT LAST", plain);
    expect(last && nextState(last, 250)).toBe("ready");
    expect(refusal("bdat", "RCPT")).toBe("BadSequence");
  });

  it("RFC 3207: STARTTLS after EHLO, outside transactions, once; the handshake resets the session", () => {
    expect(refusal("awaiting-hello", "STARTTLS")).toBe("NeedHello");
    expect(refusal("mail", "STARTTLS")).toBe("BadSequence");
    expect(refusal("ready", "STARTTLS", { ...plain, tls: true })).toBe("TlsAlreadyActive");
    const start = findTransition("ready", "STARTTLS", plain);
    expect(start && nextState(start, 220)).toBe("tls-handshake");
    expect(start && nextState(start, 454)).toBe("ready");
    const done = findTransition("tls-handshake", "tls-established", plain);
    expect(done && nextState(done, 220)).toBe("awaiting-hello");
    expect(done?.outcome.type === "evaluate" && done.outcome.resets).toBe("session");
  });

  it("RFC 4954 §4: AUTH after EHLO, never inside a transaction, once", () => {
    expect(refusal("awaiting-hello", "AUTH")).toBe("NeedHello");
    expect(refusal("mail", "AUTH")).toBe("AuthInTransaction");
    expect(refusal("recipients", "AUTH", { ...plain, authenticated: true })).toBe("AuthInTransaction");
    expect(refusal("ready", "AUTH", { ...plain, authenticated: true })).toBe("AuthAlreadyDone");
    const auth = findTransition("ready", "AUTH", plain);
    expect(auth && nextState(auth, 334)).toBe("auth");
    expect(auth && nextState(auth, 235)).toBe("ready");
    const response = findTransition("auth", "sasl-response", plain);
    expect(response && nextState(response, 334)).toBe("auth");
    expect(response && nextState(response, 535)).toBe("ready");
  });

  it("RFC 2033 §4.1: LMTP speaks LHLO only; SMTP has no LHLO", () => {
    const lmtp = { ...plain, lmtp: true };
    expect(refusal("awaiting-hello", "EHLO", lmtp)).toBe("CommandUnrecognized");
    expect(refusal("awaiting-hello", "HELO", lmtp)).toBe("CommandUnrecognized");
    expect(findTransition("awaiting-hello", "LHLO", lmtp)?.outcome.type).toBe("evaluate");
    expect(refusal("awaiting-hello", "LHLO")).toBe("CommandUnrecognized");
  });

  it("RFC 5321 §3.8: while shutting down every command gets 421 and the session closes", () => {
    for (const verb of commandInputs) {
      const row = findTransition("closing", verb, plain);
      expect(row?.outcome).toEqual({ type: "refuse", situation: "ShuttingDown", next: "closed" });
    }
  });

  it("nextState: an unexpected reply class follows the failure branch", () => {
    const mail = findTransition("ready", "MAIL", plain);
    expect(mail && nextState(mail, 354)).toBe("ready");
  });
});

describe("state diagram", () => {
  it("draws every state reachable from the greeting, deterministically", () => {
    const diagram = renderStateDiagram();
    expect(diagram).toBe(renderStateDiagram());
    expect(diagram.startsWith("stateDiagram-v2\n")).toBe(true);
    for (const state of sessionStates) expect(diagram).toContain(state.replace(/-/g, "_"));
    // Every arrow comes from a row of the table.
    for (const line of diagram.split("\n")) {
      const match = /^ {2}(\w+) --> (\w+) : /.exec(line);
      if (match === null) continue;
      const from = (match[1] as string).replace(/_/g, "-");
      const to = (match[2] as string).replace(/_/g, "-");
      const found = transitionTable.some((row) => {
        if (row.state !== from) return false;
        const o = row.outcome;
        return o.type === "refuse" ? o.next === to : o.success === to || o.intermediate === to || o.failure === to;
      });
      expect(found, line).toBe(true);
    }
  });

  it("docs/session-states.md is the generated page (run scripts/write-state-diagram.mjs after changing the table)", () => {
    const path = fileURLToPath(new URL("../../../docs/session-states.md", import.meta.url));
    expect(readFileSync(path, "utf8")).toBe(stateDiagramDocument());
  });
});

describe("isCommandAllowed", () => {
  it("is true exactly for the evaluate rows", () => {
    for (const state of sessionStates) {
      for (const input of commandInputs) {
        for (const flags of allFlags) {
          expect(isCommandAllowed(state, input, flags)).toBe(findTransition(state, input, flags)?.outcome.type === "evaluate");
        }
      }
    }
    expect(isCommandAllowed("ready", "MAIL", plain)).toBe(true);
    expect(isCommandAllowed("ready", "DATA", plain)).toBe(false);
  });
});

describe("docs/session.md", () => {
  it("shows the diagram generated from the table", () => {
    const path = fileURLToPath(new URL("../../../docs/session.md", import.meta.url));
    expect(readFileSync(path, "utf8")).toContain(renderStateDiagram().trimEnd());
  });
});
