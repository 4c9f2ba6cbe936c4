import { describe, expect, it } from "vitest";
import { Harness } from "./server-harness.js";

describe("ServerSession: a plain transaction", () => {
  it("greets, accepts EHLO, MAIL, RCPT, DATA, and answers 250 only once the message is stored", () => {
    const h = new Harness({}, (event) => (event.type === "message-end" ? undefined : { type: "accept" })).connect();
    expect(h.wire).toBe("220 mx.example.com ESMTP Service ready\r\n");
    h.send("EHLO client.example\r\n");
    expect(h.wire).toContain("250-mx.example.com Hello\r\n250-PIPELINING\r\n");
    h.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    expect(h.codes()).toEqual([220, 250, 250, 250, 354]);
    h.send("Subject: hi\r\n\r\n..dot\r\n.\r\n");
    expect(h.messageText()).toBe("Subject: hi\r\n\r\n.dot\r\n");
    expect(h.codes()).toEqual([220, 250, 250, 250, 354]);
    const end = h.pending.find((event) => event.type === "message-end");
    expect(end).toBeDefined();
    h.decide(end!.requestId, { type: "accept" });
    expect(h.codes()).toEqual([220, 250, 250, 250, 354, 250]);
    h.send("QUIT\r\n");
    expect(h.codes().at(-1)).toBe(221);
    expect(h.closed).toBe(true);
    expect(h.session.state).toBe("closed");
  });
});
