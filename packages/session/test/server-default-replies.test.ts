// The session's own replies to a plain `accept` or `reject` skip the per-reply check of
// @smtpkit/codes (they are correct by construction); this table proves they are: for each
// question the session asks, the reply it sends is one RFC 5321 §4.3.2 (or RFC 3030 for BDAT)
// allows for the command, of the class the decision asks for. Embedder-supplied replies keep
// the check (the last tests).
import { isReplyAllowed } from "@smtpkit/codes";
import { describe, expect, it } from "vitest";
import { Harness, type Decider } from "./server-harness.js";

type Question = "connection-requested" | "mail-requested" | "recipient-requested" | "message-end";

const rows: readonly { readonly question: Question; readonly command: string; readonly script: readonly string[] }[] = [
  { question: "connection-requested", command: "CONNECT", script: [] },
  { question: "mail-requested", command: "MAIL", script: ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n"] },
  { question: "recipient-requested", command: "RCPT", script: ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n"] },
  { question: "message-end", command: "DATA", script: ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n", "DATA\r\n", "Subject: x\r\n\r\nhi\r\n.\r\n"] },
  { question: "message-end", command: "BDAT", script: ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n", "BDAT 4 LAST\r\nhi\r\n"] },
];

const answering =
  (question: Question, type: "accept" | "reject"): Decider =>
  (event) =>
    event.type === question ? { type } : event.type === "auth-requested" ? undefined : { type: "accept" };

describe("the session's own replies to plain decisions", () => {
  for (const enhancedStatusCodes of [false, true]) {
    for (const row of rows) {
      for (const type of ["accept", "reject"] as const) {
        it(`${type} to ${row.question} (${row.command}, enhanced ${String(enhancedStatusCodes)}) is an allowed reply of the right class`, () => {
          const h = new Harness({ extensions: { enhancedStatusCodes } }, answering(row.question, type)).connect();
          for (const line of row.script) h.send(line);
          const reply = h.replies.at(-1);
          expect(reply?.to).toBe(row.command);
          expect(isReplyAllowed(row.command, reply!.code), `${reply!.code} to ${row.command}`).toBe(true);
          expect(reply!.code < 400).toBe(type === "accept");
          // RFC 5321 §4.2: the greeting and its refusal carry the server's name, no enhanced code.
          if (row.command !== "CONNECT") expect(reply!.enhanced === undefined).toBe(!enhancedStatusCodes);
        });
      }
    }
  }
});

describe("embedder-supplied replies keep the check", () => {
  it("a named situation the command may not receive is an invalid decision", () => {
    const h = new Harness({}, (event) => (event.type === "mail-requested" ? undefined : event.type === "auth-requested" ? undefined : { type: "accept" })).connect();
    h.send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\n");
    const pending = h.pending.find((event) => event.type === "mail-requested")!;
    // 554 TransactionFailed answers the message, not MAIL FROM.
    expect(() => h.session.decide(pending.requestId, { type: "reject", situation: "TransactionFailed" })).toThrow(/§4\.3\.2/);
  });

  it("a custom reply the command may not receive is an invalid decision", () => {
    const h = new Harness({}, (event) => (event.type === "recipient-requested" ? undefined : event.type === "auth-requested" ? undefined : { type: "accept" })).connect();
    h.send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
    const pending = h.pending.find((event) => event.type === "recipient-requested")!;
    expect(() => h.session.decide(pending.requestId, { type: "accept", reply: { code: 354, text: "go" } })).toThrow(/354/);
  });

  it("a decision of an unknown type is still refused", () => {
    const h = new Harness({}, (event) => (event.type === "mail-requested" ? undefined : event.type === "auth-requested" ? undefined : { type: "accept" })).connect();
    h.send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\n");
    const pending = h.pending.find((event) => event.type === "mail-requested")!;
    expect(() => h.session.decide(pending.requestId, { type: "maybe" } as never)).toThrow();
  });
});
