// Every row of the transition table, exercised through a real ServerSession:
// drive the session into the row's state with flags that make the row the one
// that applies, give the row's input, and check the reply and the next state.
import { Situations } from "@smtpkit/codes";
import { findTransition, nextState, transitionTable, type SessionFlags, type SessionState, type Transition } from "@smtpkit/session";
import { describe, expect, it } from "vitest";
import { bytes, Harness, type Decider } from "./server-harness.js";

const plainResponse = Buffer.from("\0user\0secret").toString("base64");

const commandLines: Record<string, string> = {
  HELO: "HELO client.example\r\n",
  EHLO: "EHLO client.example\r\n",
  LHLO: "LHLO client.example\r\n",
  MAIL: "MAIL FROM:<a@example.com>\r\n",
  RCPT: "RCPT TO:<b@example.org>\r\n",
  DATA: "DATA\r\n",
  BDAT: "BDAT 3\r\nabc",
  "BDAT LAST": "BDAT 3 LAST\r\nabc",
  RSET: "RSET\r\n",
  VRFY: "VRFY bob\r\n",
  EXPN: "EXPN list\r\n",
  HELP: "HELP\r\n",
  NOOP: "NOOP\r\n",
  QUIT: "QUIT\r\n",
  STARTTLS: "STARTTLS\r\n",
  AUTH: `AUTH PLAIN ${plainResponse}\r\n`,
  ETRN: "ETRN example.org\r\n",
  XCLIENT: "XCLIENT ADDR=192.0.2.7 NAME=client.example\r\n",
  XFORWARD: "XFORWARD ADDR=192.0.2.8 IDENT=4A2B\r\n",
};

const combos: SessionFlags[] = [];
for (const authenticated of [false, true]) for (const tls of [false, true]) for (const lmtp of [false, true]) combos.push({ tls, authenticated, lmtp });

/** Flags under which the row applies and that the state can have. */
function flagsFor(row: Transition): SessionFlags | undefined {
  return combos.find((flags) => {
    if (findTransition(row.state, row.input, flags) !== row) return false;
    if (flags.authenticated && ["greeting", "refused", "awaiting-hello", "auth", "tls-handshake"].includes(row.state)) return false;
    if (flags.tls && row.state === "tls-handshake") return false;
    return true;
  });
}

function harnessFor(flags: SessionFlags, decider: Decider): Harness {
  return new Harness(
    {
      lmtp: flags.lmtp,
      tls: flags.tls ? { implicit: true } : { starttls: true },
      auth: { sasl: { mechanisms: ["PLAIN"] } },
      policy: { allowAuthWithoutTls: true },
      frontEnd: { xclient: "trusted", xforward: "trusted" },
    },
    decider,
  );
}

const acceptEverything: Decider = () => ({ type: "accept" });

/** Drives a fresh session into `state` with `flags`. */
function reach(state: SessionState, flags: SessionFlags, decider: Decider = acceptEverything): Harness {
  if (state === "greeting") return harnessFor(flags, (event) => (event.type === "connection-requested" ? undefined : { type: "accept" })).connect();
  if (state === "refused") return harnessFor(flags, (event) => (event.type === "connection-requested" ? { type: "reject" } : { type: "accept" })).connect();
  const h = harnessFor(flags, decider).connect();
  if (state === "awaiting-hello") return h;
  h.send(flags.lmtp ? commandLines.LHLO! : commandLines.EHLO!);
  if (flags.authenticated) h.send(commandLines.AUTH!);
  if (state === "ready") return h;
  if (state === "auth") return h.send("AUTH PLAIN\r\n");
  if (state === "tls-handshake") return h.send(commandLines.STARTTLS!);
  h.send(commandLines.MAIL!);
  if (state === "mail") return h;
  h.send(commandLines.RCPT!);
  if (state === "recipients") return h;
  if (state === "data") return h.send(commandLines.DATA!);
  if (state === "bdat") return h.send(commandLines.BDAT!);
  throw new Error(`cannot reach ${state}`);
}

function check(row: Transition, h: Harness, before: number, verb: string): void {
  const reply = h.replies[before];
  expect(reply, `a reply to ${row.state} ${row.input}`).toBeDefined();
  expect(reply!.to).toBe(verb);
  if (row.outcome.type === "refuse") {
    expect(reply!.code).toBe(Situations[row.outcome.situation].code);
    expect(h.session.state).toBe(row.outcome.next);
  } else {
    expect(h.session.state).toBe(nextState(row, reply!.code));
  }
}

describe("every row of the transition table, through ServerSession", () => {
  for (const row of transitionTable) {
    const name = `${row.state} + ${row.input}${row.when ? ` when ${JSON.stringify(row.when)}` : ""}`;
    it(name, () => {
      const flags = flagsFor(row);
      expect(flags, "the row applies under some reachable flags").toBeDefined();
      const f = flags!;
      if (row.state === "closing") {
        // A MAIL decision is pending, the command waits behind it, the server shuts down.
        let mailRequest = 0;
        const h = reach("ready", f, (event) => {
          if (event.type === "mail-requested") {
            mailRequest = event.requestId;
            return undefined;
          }
          return { type: "accept" };
        });
        h.send(commandLines.MAIL! + commandLines[row.input]!);
        h.session.shutdown(h.now);
        h.drain();
        const before = h.replies.length + 1; // the MAIL reply comes first
        h.decide(mailRequest, { type: "accept" });
        check(row, h, before, row.input === "BDAT LAST" ? "BDAT" : row.input);
        expect(h.closed).toBe(true);
        return;
      }
      if (row.input in commandLines) {
        const h = reach(row.state, f);
        const before = h.replies.length;
        h.send(commandLines[row.input]!);
        check(row, h, before, row.input === "BDAT LAST" ? "BDAT" : row.input);
        return;
      }
      switch (row.input) {
        case "connect": {
          for (const decision of [{ type: "accept" as const }, { type: "reject" as const }]) {
            const h = harnessFor(f, () => decision).connect();
            check(row, h, 0, "CONNECT");
          }
          return;
        }
        case "data-end": {
          const h = reach("data", f);
          const before = h.replies.length;
          h.send("Subject: x\r\n\r\nbody\r\n.\r\n");
          check(row, h, before, "DATA");
          return;
        }
        case "sasl-response": {
          const h = reach("auth", f);
          const before = h.replies.length;
          h.send(`${plainResponse}\r\n`);
          check(row, h, before, "AUTH");
          expect(h.replies[before]!.code).toBe(235);
          return;
        }
        case "tls-established": {
          const h = reach("tls-handshake", f);
          expect(h.startTls).toBe(1);
          h.session.tlsEstablished({}, h.now);
          h.drain();
          expect(h.session.state).toBe(nextState(row, 220));
          expect(h.session.snapshot().tls).toBe(true);
          return;
        }
        case "service-closing": {
          if (row.state === "greeting") {
            const h = harnessFor(f, (event) => (event.type === "connection-requested" ? { type: "reject", situation: "TooManyConnections" } : undefined)).connect();
            expect(h.codes()).toEqual([421]);
            expect(h.session.state).toBe("closed");
            expect(h.closed).toBe(true);
            return;
          }
          const h = reach(row.state, f);
          const deadline = h.session.deadline();
          expect(deadline, `a deadline in ${row.state}`).toBeDefined();
          h.tick(deadline!);
          expect(h.codes().at(-1)).toBe(421);
          expect(h.session.state).toBe("closed");
          expect(h.closed).toBe(true);
          return;
        }
        case "peer-closed": {
          const h = reach(row.state, f);
          h.session.peerClosed(h.now);
          h.drain();
          expect(h.session.state).toBe("closed");
          expect(h.closed).toBe(true);
          return;
        }
        default:
          throw new Error(`no driver for ${row.input}`);
      }
    });
  }

  it("reaches each state with a bytes-only driver (sanity of the drivers above)", () => {
    const h = reach("bdat", { tls: false, authenticated: false, lmtp: false });
    expect(h.session.state).toBe("bdat");
    h.send(bytes("BDAT 0 LAST\r\n"));
    expect(h.session.state).toBe("ready");
  });
});
