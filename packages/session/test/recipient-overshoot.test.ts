// Recipients past maxRecipients get 452 (RFC 5321 §4.5.3.1.10) without counting as errors up to
// limits.maxRecipientOvershoot (Postfix's smtpd_recipient_overshoot_limit), so a client that sends more
// recipients than the limit (smtplib sends them all before DATA) keeps the accepted ones.
import { describe, expect, it } from "vitest";
import { ServerSession, SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT, ServerSessionError, type ServerSessionConfig } from "@smtpkit/session";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function run(config: Partial<ServerSessionConfig>, lines: readonly string[]): string[] {
  const session = new ServerSession({ hostname: "mx.example.org", ...config });
  const written: string[] = [];
  const drain = (): void => {
    for (const output of session.takeOutputs()) {
      if (output.type === "write") written.push(decoder.decode(output.bytes));
      if (output.type === "event" && output.event.type === "connection-requested") session.decide(output.event.requestId, { type: "accept" });
      if (output.type === "event" && (output.event.type === "mail-requested" || output.event.type === "recipient-requested")) session.decide(output.event.requestId, { type: "accept" });
    }
  };
  session.connect({ remoteAddress: "192.0.2.1" }, 0);
  drain();
  for (const line of lines) {
    session.receive(encoder.encode(`${line}\r\n`), 0);
    drain();
  }
  return written.join("").split("\r\n").filter((line) => line.length > 0);
}

const codes = (replies: readonly string[]): string[] => replies.map((line) => line.slice(0, 3));

describe("recipient overshoot", () => {
  it("answers 150 recipients with 100 × 250 and 50 × 452, then takes the message (no 421)", () => {
    const rcpts = Array.from({ length: 150 }, (_, index) => `RCPT TO:<u${index}@example.org>`);
    const replies = run({}, ["HELO client.example", "MAIL FROM:<a@example.net>", ...rcpts, "QUIT"]);
    const rcptCodes = codes(replies).slice(3, 153);
    expect(rcptCodes.filter((code) => code === "250")).toHaveLength(100);
    expect(rcptCodes.slice(100)).toEqual(Array.from({ length: 50 }, () => "452"));
    expect(codes(replies)).not.toContain("421");
    expect(codes(replies).at(-1)).toBe("221");
  });

  it("counts each 452 past the overshoot limit as an error, so the error limit still ends a flood", () => {
    const rcpts = Array.from({ length: 2 + 3 + 5 }, (_, index) => `RCPT TO:<u${index}@example.org>`);
    const replies = run({ limits: { maxRecipients: 2, maxRecipientOvershoot: 3, maxErrors: 5 } }, ["HELO client.example", "MAIL FROM:<a@example.net>", ...rcpts]);
    // 2 accepted, 3 uncounted 452s, then 5 counted ones: the fifth error ends the session with 421.
    expect(codes(replies).slice(3)).toEqual(["250", "250", "452", "452", "452", "452", "452", "452", "452", "452", "421"]);
  });

  it("starts counting the overshoot again with each transaction", () => {
    const envelope = (count: number) => ["MAIL FROM:<a@example.net>", ...Array.from({ length: count }, (_, index) => `RCPT TO:<u${index}@example.org>`), "RSET"];
    const replies = run({ limits: { maxRecipients: 1, maxRecipientOvershoot: 2, maxErrors: 2 } }, ["HELO client.example", ...envelope(3), ...envelope(3), "NOOP"]);
    expect(codes(replies)).not.toContain("421");
    expect(codes(replies).at(-1)).toBe("250");
  });

  it("has Postfix's default and refuses values that are not positive integers", () => {
    expect(SERVER_DEFAULT_MAX_RECIPIENT_OVERSHOOT).toBe(1000);
    for (const value of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ServerSession({ hostname: "mx.example.org", limits: { maxRecipientOvershoot: value } })).toThrow(ServerSessionError);
    }
  });
});
