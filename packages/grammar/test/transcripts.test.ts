// Whole conversations from the RFCs' own examples, client side through the
// CommandReader and server side through the ReplyReader.
import { describe, expect, it } from "vitest";
import { CommandReader, ReplyReader, parseEhloReply, type CommandReaderEvent } from "@smtpkit/grammar";
import { bytes, drive, latin1 } from "./helpers.js";

describe("transcripts", () => {
  it("RFC 5321 Appendix D.1, client side, pipelined in one read", () => {
    const client =
      "EHLO bar.com\r\nMAIL FROM:<Smith@bar.com>\r\nRCPT TO:<Jones@foo.com>\r\nRCPT TO:<Green@foo.com>\r\n" +
      "RCPT TO:<Brown@foo.com>\r\nDATA\r\nBlah blah blah...\r\n...etc. etc. etc.\r\n.\r\nQUIT\r\n";
    const events = drive([bytes(client)]);
    expect(events.map((event) => (event as { type: string }).type)).toEqual([
      "command", "command", "command", "command", "command", "command", "data", "data-end", "command",
    ]);
    expect(events[6]).toEqual({ type: "data", text: "Blah blah blah...\r\n..etc. etc. etc.\r\n" });
  });

  it("RFC 3030 §4.2: BDAT chunks, the last one with LAST", () => {
    const first = "To: ned@ymir.claremont.edu\r\nFrom: \"Ned\"\r\n\r\n";
    const second = "Hi Ned.\r\n.\r\n";
    const client = `BDAT ${first.length}\r\n${first}BDAT ${second.length} LAST\r\n${second}QUIT\r\n`;
    const events = drive([bytes(client)]);
    expect(events).toEqual([
      expect.objectContaining({ type: "command", command: { verb: "BDAT", size: first.length, last: false } }),
      { type: "data", text: first },
      { type: "bdat-end", size: first.length, last: false },
      expect.objectContaining({ type: "command", command: { verb: "BDAT", size: second.length, last: true } }),
      // BDAT carries the dot line as content: no unstuffing, no end of data.
      { type: "data", text: second },
      { type: "bdat-end", size: second.length, last: true },
      expect.objectContaining({ type: "command", command: { verb: "QUIT" } }),
    ]);
  });

  it("RFC 4954 §4: AUTH PLAIN with an initial response, and AUTH LOGIN step by step", () => {
    const reader = new CommandReader();
    const [plain] = reader.push(bytes("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"));
    expect(plain?.type === "command" && plain.command.verb === "AUTH" && latin1(plain.command.initialResponse ?? new Uint8Array())).toBe(
      "test\0test\0test",
    );
    reader.expectCommands();
    const events: CommandReaderEvent[] = [...reader.push(bytes("AUTH LOGIN\r\n"))];
    events.push(...reader.expectSaslResponse(), ...reader.push(bytes("dGVzdA==\r\n")));
    events.push(...reader.expectSaslResponse(), ...reader.push(bytes("dGVzdA==\r\n")));
    expect(events.map((event) => event.type)).toEqual(["command", "sasl-response", "sasl-response"]);
  });

  it("an EHLO reply as large providers send it", () => {
    // The shape of Gmail's EHLO reply as seen in public transcripts.
    const server =
      "250-mx.google.com at your service, [192.0.2.7]\r\n250-SIZE 157286400\r\n250-8BITMIME\r\n250-STARTTLS\r\n" +
      "250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";
    const [event] = new ReplyReader().push(bytes(server));
    const ehlo = event?.type === "reply" ? parseEhloReply(event.reply) : undefined;
    expect(ehlo?.domain).toBe("mx.google.com");
    expect(ehlo?.capabilities.keywords).toEqual(["SIZE", "8BITMIME", "STARTTLS", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"]);
    expect(ehlo?.capabilities.maxSize).toBe(157286400);
  });
});
