// Review of #7 (client conformance): a client's own bytes reached the terminal and the scripted server's replies.
// Found by hand: a client sending `EHLO \x1b]0;pwn\x07\x1b[2J` got the bytes echoed raw in the 250 greeting (a reply
// RFC 5321 §4.2 forbids: textstring has no controls), and `smtpkit conform-client` printed its C: line with the
// ESC and BEL intact (a hostile client could clear the operator's screen or set the window title).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLIENT_CASE_IDS, formatClientConformanceReport, ScriptedServer, smtpishBytes, type ClientConformanceReport, type ScriptedAction } from "@smtpkit/testkit";

const options = { hostname: "conform.example.test", enormousReplyBytes: 65_536, injectionHold: 10, closingHold: 10, streamGrace: 10 };
const encoder = new TextEncoder();
const latin1 = (actions: readonly ScriptedAction[]): string =>
  actions.map((action) => (action.type === "write" ? String.fromCharCode(...action.bytes) : "")).join("");

/** What a terminal acts on or reorders: C0 (tab and line feed aside), DEL, C1, bidi and zero-width characters. */
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

function play(bytes: Uint8Array): { written: string; server: ScriptedServer } {
  const server = new ScriptedServer("baseline", options);
  let written = latin1(server.start());
  written += latin1(server.receive(bytes));
  return { written, server };
}

function reportOf(server: ScriptedServer): ClientConformanceReport {
  const observation = server.observation();
  return {
    type: "client-conformance",
    listen: { host: "127.0.0.1", port: 2526 },
    requiresTls: false,
    cases: [
      {
        id: "baseline",
        misbehaviour: "none",
        expected: "delivers",
        rfc: "RFC 5321 §3.3",
        verdict: "fail",
        violations: [{ rule: "delivers", rfc: "RFC 5321 §3.3", summary: `sent ${observation.commands.map((c) => c.line).join(", ")}` }],
        end: "client-quit",
        durationMs: 1,
        transcript: observation.transcript,
      },
    ],
    summary: { pass: 0, fail: 1, notApplicable: 0 },
  } as unknown as ClientConformanceReport;
}

describe("client bytes in the scripted server's replies and reports", () => {
  it("does not echo an EHLO or HELO name's control characters, nor more than 255 octets of it", () => {
    for (const verb of ["EHLO", "HELO"]) {
      const { written } = play(encoder.encode(`${verb} \x1b]0;pwn\x07\x1b[2Jclient.example ${"x".repeat(10)}\r\n`));
      const greeting = written.split("\r\n")[1] ?? "";
      expect(greeting).toMatch(/^250[ -]conform\.example\.test greets \]0;pwn\[2Jclient\.example$/);
      const long = play(encoder.encode(`${verb} ${"a".repeat(400)}\r\n`)).written.split("\r\n")[1] ?? "";
      expect(long.length).toBeLessThanOrEqual(`250-conform.example.test greets `.length + 255);
    }
  });

  it("escapes the client's control and bidi characters in command lines, transcript and text report", () => {
    const { server } = play(encoder.encode("EHLO \x1b]0;pwn\x07\r\nMAIL FROM:<\x1b[31m\u202e@x>\r\nQUIT\r\n"));
    const observation = server.observation();
    expect(observation.commands.map((c) => c.line)).toEqual(["EHLO \\x1b]0;pwn\\x07", "MAIL FROM:<\\x1b[31m\\u{202e}@x>", "QUIT"]);
    expect(observation.transcript.filter((e) => e.from === "client").map((e) => e.text)).toEqual([
      "EHLO \\x1b]0;pwn\\x07\\r\\n",
      "MAIL FROM:<\\x1b[31m\\u{202e}@x>\\r\\n",
      "QUIT\\r\\n",
    ]);
    const text = formatClientConformanceReport(reportOf(server), "text");
    expect(text).toContain("MAIL FROM:<\\x1b[31m\\u{202e}@x>");
    expect(text).not.toMatch(unsafe);
  });

  it("any client bytes: every reply line is printable ASCII, and the text report holds no unsafe character", () => {
    const hostile = fc.oneof(
      smtpishBytes(),
      fc.uint8Array({ maxLength: 600 }),
      fc
        .tuple(fc.constantFrom("EHLO ", "HELO ", "MAIL FROM:<", "RCPT TO:<", "NOOP "), fc.string({ unit: "binary", maxLength: 80 }))
        .map(([head, tail]) => encoder.encode(`${head}${tail}\r\n`)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...CLIENT_CASE_IDS), fc.array(hostile, { minLength: 1, maxLength: 4 }), (caseId, chunks) => {
        const server = new ScriptedServer(caseId, options);
        let written = latin1(server.start());
        for (const chunk of chunks) written += latin1(server.receive(chunk));
        for (const line of written.split("\r\n")) expect(line).toMatch(/^[\x20-\x7e]*$/);
        expect(formatClientConformanceReport(reportOf(server), "text")).not.toMatch(unsafe);
      }),
      { numRuns: 300 },
    );
  });
});
