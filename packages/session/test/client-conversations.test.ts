// Scripted conversations: each feature of the client session against
// server replies written out by hand.
import { describe, expect, it } from "vitest";
import { alice, bob, bytes, carol, Driver } from "./client-harness.js";

const greeting = "220 mx.example.org ESMTP\r\n";
const ehlo = (...lines: string[]): string =>
  lines.length === 0 ? "250 mx.example.org\r\n" : `250-mx.example.org\r\n${lines.map((line, i) => `250${i === lines.length - 1 ? " " : "-"}${line}\r\n`).join("")}`;

describe("a plain SMTP conversation", () => {
  it("greets, says EHLO, pipelines MAIL and RCPT, sends DATA and QUIT", () => {
    const driver = new Driver().connect();
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }, { address: carol }] });
    expect(driver.server(greeting)).toBe("EHLO client.example.com\r\n");
    const group = driver.server(ehlo("PIPELINING", "8BITMIME"));
    expect(group).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\n");
    // One write for the whole group (RFC 2920 §3.1).
    expect(driver.outputs.filter((o) => o.type === "write").at(-1)).toMatchObject({ type: "write" });
    expect(driver.server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n")).toBe("");
    expect(driver.server("550 5.1.1 no such user\r\n")).toBe("DATA\r\n");
    expect(driver.server("354 go ahead\r\n")).toBe("");
    expect(driver.eventsOf("message-chunk-needed")).toEqual([{ type: "message-chunk-needed", id, bytesTaken: 0 }]);
    driver.session.provideMessage(bytes("Subject: x\n\n.hidden\r\n"));
    driver.session.endMessage();
    driver.pump();
    expect(driver.take()).toContain("Subject: x\r\n\r\n..hidden\r\n.\r\n");
    driver.server("250 2.0.0 queued as 1\r\n");
    const [result] = driver.eventsOf("transaction-result");
    expect(result?.result).toMatchObject({
      id,
      status: "accepted",
      dataSent: true,
      messageReply: { code: 250, enhanced: "2.0.0", lines: ["queued as 1"] },
    });
    expect(result?.result.recipients.map((r) => [r.status, r.rcptReply?.code, r.temporary])).toEqual([
      ["accepted", 250, false],
      ["rejected", 550, false],
    ]);
    driver.session.quit();
    driver.pump();
    expect(driver.take().endsWith("QUIT\r\n")).toBe(true);
    driver.server("221 2.0.0 bye\r\n");
    expect(driver.closed).toBe(true);
    expect(driver.session.state).toBe("closed");
    expect(driver.session.failure).toBeUndefined();
  });

  it("without PIPELINING, RSET waits for its reply before the next MAIL", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.session.send({ from: alice, recipients: [{ address: carol }] });
    driver.server(greeting);
    driver.server(ehlo());
    driver.server("250 ok\r\n");
    expect(driver.server("550 no\r\n")).toBe("RSET\r\n");
    expect(driver.server("250 reset\r\n")).toBe("MAIL FROM:<alice@example.com>\r\n");
  });

  it("without PIPELINING waits for each reply before the next command", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }, { address: carol }] });
    driver.server(greeting);
    expect(driver.server(ehlo("8BITMIME"))).toBe("MAIL FROM:<alice@example.com>\r\n");
    expect(driver.server("250 ok\r\n")).toBe("RCPT TO:<bob@example.org>\r\n");
    expect(driver.server("250 ok\r\n")).toBe("RCPT TO:<carol@example.org>\r\n");
    expect(driver.server("250 ok\r\n")).toBe("DATA\r\n");
  });

  it("falls back to HELO when EHLO is not understood", () => {
    const driver = new Driver().connect();
    driver.server(greeting);
    expect(driver.server("500 5.5.2 what?\r\n")).toBe("HELO client.example.com\r\n");
    driver.server("250 mx.example.org\r\n");
    expect(driver.eventsOf("capabilities-received")[0]).toMatchObject({ extended: false, domain: "mx.example.org" });
    expect(driver.eventsOf("session-ready")).toHaveLength(1);
  });

  it("answers a 554 greeting with QUIT and fails, blaming the server", () => {
    const driver = new Driver().connect();
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    expect(driver.server("554 5.7.1 go away\r\n")).toBe("QUIT\r\n");
    expect(driver.eventsOf("session-failed")[0]?.failure).toMatchObject({ reason: "greeting-refused", fault: "remote", reply: { code: 554 } });
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "aborted", temporary: true });
    driver.server("221 bye\r\n");
    expect(driver.closed).toBe(true);
  });

  it("answers a 421 greeting with QUIT too", () => {
    const driver = new Driver().connect();
    expect(driver.server("421 4.3.2 busy\r\n")).toBe("QUIT\r\n");
    driver.session.peerClosed(5);
    driver.pump();
    expect(driver.closed).toBe(true);
  });

  it("skips DATA and sends RSET when no recipient was accepted", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.session.send({ from: alice, recipients: [{ address: carol }] });
    driver.server(greeting);
    driver.server(ehlo("PIPELINING"));
    // RSET does not end a pipelined group (RFC 2920 §3.1): the next envelope goes with it.
    expect(driver.server("250 ok\r\n450 4.2.0 try later\r\n")).toBe("RSET\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<carol@example.org>\r\n");
    const first = driver.eventsOf("transaction-result")[0]?.result;
    expect(first).toMatchObject({ status: "rejected", temporary: true, dataSent: false });
    expect(driver.server("250 reset\r\n250 ok\r\n")).toBe("");
    expect(driver.server("250 ok\r\n")).toBe("DATA\r\n");
  });

  it("reports a rejected sender without RSET (no transaction was opened)", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.session.send({ from: null, recipients: [{ address: carol }] });
    driver.server(greeting);
    driver.server(ehlo("PIPELINING"));
    expect(driver.server("550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n")).toBe("MAIL FROM:<>\r\nRCPT TO:<carol@example.org>\r\n");
    const first = driver.eventsOf("transaction-result")[0]?.result;
    expect(first).toMatchObject({ status: "rejected", temporary: false, mailReply: { code: 550 } });
    expect(first?.recipients[0]).toMatchObject({ status: "rejected", rcptReply: { code: 503 } });
  });

  it("resets when a confused server accepts recipients behind a refused sender", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    driver.server(ehlo("PIPELINING"));
    expect(driver.server("550 5.7.1 no\r\n250 2.1.5 ok?\r\n")).toBe("RSET\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result.status).toBe("rejected");
  });

  it("reports a refused message and resets before the next transaction", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    driver.server(ehlo());
    driver.server("250 ok\r\n");
    driver.server("250 ok\r\n");
    expect(driver.server("354 go\r\n")).toBe("");
    driver.session.endMessage();
    driver.pump();
    expect(driver.take().endsWith("DATA\r\n.\r\n")).toBe(true);
    driver.server("554 5.6.0 content rejected\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({
      status: "rejected",
      temporary: false,
      dataSent: true,
      recipients: [{ status: "rejected", temporary: false }],
    });
    // The end of data ends the transaction: no RSET needed.
    driver.session.quit();
    driver.pump();
    expect(driver.take()).toBe("QUIT\r\n");
  });

  it("a refused DATA gives the result and RSET", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    driver.server(ehlo("PIPELINING"));
    driver.server("250 ok\r\n250 ok\r\n");
    expect(driver.server("451 4.3.0 later\r\n")).toBe("RSET\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ status: "rejected", temporary: true, dataReply: { code: 451 } });
  });
});

describe("extensions and the checks made before sending", () => {
  const start = (capabilities: string[], options = {}) => {
    const driver = new Driver(options).connect();
    driver.server(greeting);
    driver.server(ehlo(...capabilities));
    driver.take();
    return driver;
  };

  it("sends SIZE, BODY, SMTPUTF8 and DSN only when advertised", () => {
    const full = start(["PIPELINING", "SIZE 1000000", "8BITMIME", "SMTPUTF8", "DSN"]);
    full.session.send({
      from: { localPart: "δοκιμή", domain: "example.com" },
      recipients: [{ address: bob, notify: ["FAILURE", "DELAY"], orcpt: { addressType: "rfc822", address: "bob@example.org" } }],
      size: 5000,
      body: "8BITMIME",
      ret: "HDRS",
      envid: "QQ314159",
    });
    full.pump();
    expect(full.take()).toBe(
      "MAIL FROM:<δοκιμή@example.com> SIZE=5000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159\r\n".replace("δοκιμή", latin1Utf8("δοκιμή")) +
        "RCPT TO:<bob@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@example.org\r\n",
    );
    const bare = start(["PIPELINING", "8BITMIME"]);
    const id = bare.session.send({ from: alice, recipients: [{ address: bob, notify: ["NEVER"] }], size: 5000, ret: "FULL" });
    bare.pump();
    expect(bare.take()).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n");
    bare.server("250 ok\r\n550 no\r\n");
    bare.server("250 reset\r\n");
    expect(bare.eventsOf("transaction-result").find((e) => e.result.id === id)?.result.dsnSent).toBe(false);
  });

  it.each([
    ["8BITMIME body to a server without 8BITMIME", { body: "8BITMIME" as const }, [], "8bit-not-supported"],
    ["a UTF-8 address without SMTPUTF8", { from: { localPart: "ü", domain: "example.com" } }, ["8BITMIME"], "smtputf8-not-supported"],
    ["SMTPUTF8 asked for without SMTPUTF8", { smtputf8: true }, ["8BITMIME"], "smtputf8-not-supported"],
    ["a size over the server's SIZE", { size: 1001 }, ["SIZE 1000"], "size-exceeds-limit"],
    ["REQUIRETLS without TLS", { requireTls: true }, ["REQUIRETLS"], "requiretls-not-supported"],
    ["BINARYMIME without CHUNKING", { body: "BINARYMIME" as const }, ["BINARYMIME"], "binarymime-not-supported"],
  ])("refuses %s before sending anything", (_name, extra, capabilities, refusal) => {
    const driver = start(capabilities);
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }], ...extra });
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "refused", refusal, dataSent: false });
    expect(driver.session.state).toBe("ready");
  });

  it("SIZE 0 means no fixed limit", () => {
    const driver = start(["SIZE 0"]);
    driver.session.send({ from: alice, recipients: [{ address: bob }], size: 10 ** 12 });
    driver.pump();
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com> SIZE=1000000000000\r\n");
  });

  it("aborts without ending the data when undeclared content turns out 8-bit and the server lacks 8BITMIME", () => {
    const driver = start([]);
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n");
    driver.server("250 ok\r\n");
    driver.server("354 go\r\n");
    driver.take();
    driver.session.provideMessage(bytes("Subject: caf\u00e9\r\n"));
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.eventsOf("session-failed")[0]?.failure).toMatchObject({ reason: "8bit-content-undeclared", fault: "local" });
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "aborted", dataSent: false });
    expect(driver.closed).toBe(true);
  });

  it("sends BDAT chunks with CHUNKING, repairing bare line endings but not stuffing dots", () => {
    const driver = start(["PIPELINING", "CHUNKING", "8BITMIME"], { chunking: true, chunkSize: 8 });
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n250 ok\r\n");
    expect(driver.eventsOf("message-chunk-needed")).toHaveLength(1);
    driver.take();
    driver.session.provideMessage(bytes(".a\nbc\r"));
    driver.session.provideMessage(bytes("d"));
    driver.session.endMessage();
    driver.pump();
    expect(driver.take()).toBe("BDAT 7\r\n.a\r\nbc\rBDAT 2\r\n\ndBDAT 0 LAST\r\n");
    driver.server("250 ok\r\n250 ok\r\n250 2.0.0 done\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ status: "accepted", messageReply: { code: 250 } });
  });

  it("splits a large chunk into BDATs of at most chunkSize and waits for each without PIPELINING", () => {
    const driver = start(["CHUNKING"], { chunking: true, chunkSize: 4 });
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n");
    driver.server("250 ok\r\n");
    driver.take();
    driver.session.provideMessage(bytes("abcdefghij"));
    driver.pump();
    expect(driver.take()).toBe("BDAT 4\r\nabcd");
    expect(driver.server("250 ok\r\n")).toBe("BDAT 4\r\nefgh");
    driver.server("250 ok\r\n");
    driver.take();
    driver.session.endMessage();
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.server("250 ok\r\n")).toBe("BDAT 0 LAST\r\n");
  });

  it("stops sending BDAT after a refused chunk, reads the pipelined replies, then RSET", () => {
    const driver = start(["PIPELINING", "CHUNKING"], { chunking: true, chunkSize: 2 });
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n250 ok\r\n");
    driver.take();
    driver.session.provideMessage(bytes("aabbcc"));
    driver.pump();
    expect(driver.take()).toBe("BDAT 2\r\naaBDAT 2\r\nbbBDAT 2\r\ncc");
    expect(driver.server("552 5.3.4 too big\r\n")).toBe("");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ status: "rejected", messageReply: { code: 552 } });
    // Content given after the refusal is ignored, and the embedder is told to stop reading.
    expect(driver.session.provideMessage(bytes("dd"))).toBe(false);
    expect(driver.session.endMessage()).toBe(false);
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.server("503 5.5.1 no\r\n503 5.5.1 no\r\n")).toBe("RSET\r\n");
  });
});

describe("DATA pipelined with the envelope (pipelineData, RFC 2920 §3.1)", () => {
  const writes = (driver: Driver): string[] => driver.outputs.flatMap((output) => (output.type === "write" ? [latin1Text(output.bytes)] : []));
  const ready = (capabilities: string[], options = {}): Driver => {
    const driver = new Driver({ pipelineData: true, ...options }).connect();
    driver.server(greeting);
    driver.server(ehlo(...capabilities));
    driver.take();
    return driver;
  };

  it("writes MAIL, every RCPT and DATA in one write, and the content only after the 354", () => {
    const driver = ready(["PIPELINING"]);
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }, { address: carol }] });
    driver.pump();
    expect(writes(driver).at(-1)).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    // The envelope's replies ask for nothing; the content waits for DATA's reply.
    expect(driver.server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n")).toBe("");
    expect(driver.eventsOf("message-chunk-needed")).toEqual([]);
    expect(driver.session.snapshot().awaiting).toEqual(["data"]);
    expect(driver.server("354 go ahead\r\n")).toBe("");
    expect(driver.eventsOf("message-chunk-needed")).toEqual([{ type: "message-chunk-needed", id, bytesTaken: 0 }]);
    driver.session.provideMessage(bytes("Subject: x\r\n\r\nhi\r\n"));
    driver.session.endMessage();
    driver.pump();
    expect(driver.take()).toBe("Subject: x\r\n\r\nhi\r\n.\r\n");
    driver.server("250 2.0.0 queued\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({
      id,
      status: "accepted",
      dataSent: true,
      dataReply: { code: 354 },
      messageReply: { code: 250 },
    });
    expect(driver.eventsOf("transaction-result")[0]?.result.recipients.map((r) => r.status)).toEqual(["accepted", "rejected"]);
  });

  it("all in one read (250, 250, 354) is followed just the same", () => {
    const driver = ready(["PIPELINING"]);
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.pump();
    driver.take();
    expect(driver.server("250 ok\r\n250 ok\r\n354 go\r\n")).toBe("");
    expect(driver.eventsOf("message-chunk-needed")).toHaveLength(1);
  });

  it("every RCPT refused and DATA refused (554): no content, the result carries the replies, RSET before the next envelope", () => {
    const driver = ready(["PIPELINING"]);
    const first = driver.session.send({ from: alice, recipients: [{ address: bob }, { address: carol }] });
    driver.session.send({ from: alice, recipients: [{ address: carol }] });
    driver.pump();
    driver.take();
    expect(driver.server("250 ok\r\n550 5.1.1 no\r\n450 4.2.0 later\r\n")).toBe("");
    // The result waits for DATA's reply, which is already on its way.
    expect(driver.eventsOf("transaction-result")).toEqual([]);
    expect(driver.server("554 5.5.1 no valid recipients\r\n")).toBe("RSET\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    expect(driver.eventsOf("message-chunk-needed")).toEqual([]);
    const result = driver.eventsOf("transaction-result")[0]?.result;
    expect(result).toMatchObject({ id: first, status: "rejected", temporary: true, dataSent: false, dataReply: { code: 554 } });
    expect(result?.recipients.map((r) => [r.status, r.temporary])).toEqual([
      ["rejected", false],
      ["rejected", true],
    ]);
  });

  it("every RCPT refused and yet 354 to DATA: a lone dot (an empty message), never the content, then RSET", () => {
    const driver = ready(["PIPELINING"]);
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.pump();
    driver.take();
    driver.server("250 ok\r\n550 5.1.1 no\r\n");
    // RFC 2920 §3.1: "if the DATA command was accepted the client SMTP should send a single dot".
    expect(driver.server("354 go\r\n")).toBe(".\r\n");
    driver.take();
    expect(driver.eventsOf("message-chunk-needed")).toEqual([]);
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "rejected", dataSent: false, dataReply: { code: 354 } });
    // No content was asked for: giving some now is the embedder's mistake, and nothing is written.
    expect(() => driver.session.provideMessage(bytes("secret\r\n"))).toThrow(expect.objectContaining({ reason: "wrong-state" }));
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.server("554 5.5.1 no recipients\r\n")).toBe("RSET\r\n");
    driver.server("250 ok\r\n");
    driver.take();
    driver.session.quit();
    driver.pump();
    expect(driver.take()).toBe("QUIT\r\n");
    expect(driver.session.failure).toBeUndefined();
  });

  it("a refused sender: DATA's 503 ends it, the result names MAIL's reply, no RSET is needed", () => {
    const driver = ready(["PIPELINING"]);
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.session.send({ from: null, recipients: [{ address: carol }] });
    driver.pump();
    driver.take();
    expect(driver.server("550 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n")).toBe("");
    expect(driver.server("503 5.5.1 need MAIL\r\n")).toBe("MAIL FROM:<>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ status: "rejected", temporary: false, mailReply: { code: 550 }, dataReply: { code: 503 } });
  });

  it("without PIPELINING offered, DATA still waits for the envelope's replies", () => {
    const driver = ready([]);
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.pump();
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com>\r\n");
    expect(driver.server("250 ok\r\n")).toBe("RCPT TO:<bob@example.org>\r\n");
    expect(driver.server("250 ok\r\n")).toBe("DATA\r\n");
  });

  it("never pipelines BDAT with the envelope", () => {
    const driver = ready(["PIPELINING", "CHUNKING"], { chunking: true });
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.pump();
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n");
  });

  it("LMTP: DATA in the group, then one reply per accepted recipient", () => {
    const driver = new Driver({ lmtp: true, pipelineData: true }).connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }, { address: carol }] });
    driver.server(greeting);
    expect(driver.server(ehlo("PIPELINING"))).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n");
    driver.server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    driver.session.provideMessage(bytes("hi\r\n"));
    driver.session.endMessage();
    driver.pump();
    driver.server("250 2.0.0 bob ok\r\n");
    expect(driver.eventsOf("transaction-result")).toHaveLength(0);
    driver.server("550 5.2.1 carol disabled\r\n");
    expect(driver.eventsOf("transaction-result")[0]?.result.recipients.map((r) => [r.status, r.deliveryReply?.code])).toEqual([
      ["accepted", 250],
      ["rejected", 550],
    ]);
  });
});

describe("LMTP", () => {
  it("says LHLO and reads one reply per accepted recipient after DATA", () => {
    const driver = new Driver({ lmtp: true }).connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }, { address: { localPart: "x", domain: "example.org" } }, { address: carol }] });
    expect(driver.server(greeting)).toBe("LHLO client.example.com\r\n");
    driver.server(ehlo("PIPELINING", "ENHANCEDSTATUSCODES"));
    expect(driver.server("250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n250 ok\r\n")).toBe("DATA\r\n");
    driver.server("354 go\r\n");
    driver.session.provideMessage(bytes("hi\r\n"));
    driver.session.endMessage();
    driver.pump();
    driver.server("250 2.0.0 bob ok\r\n");
    expect(driver.eventsOf("transaction-result")).toHaveLength(0);
    driver.server("452 4.2.2 carol over quota\r\n");
    const result = driver.eventsOf("transaction-result")[0]?.result;
    expect(result?.status).toBe("accepted");
    expect(result?.recipients.map((r) => [r.status, r.temporary, r.deliveryReply?.code])).toEqual([
      ["accepted", false, 250],
      ["rejected", false, undefined],
      ["rejected", true, 452],
    ]);
  });

  it("never falls back to HELO", () => {
    const driver = new Driver({ lmtp: true }).connect();
    driver.server(greeting);
    expect(driver.server("500 what\r\n")).toBe("QUIT\r\n");
    expect(driver.eventsOf("session-failed")[0]?.failure.reason).toBe("hello-refused");
  });
});

function latin1Utf8(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

function latin1Text(data: Uint8Array): string {
  return String.fromCharCode(...data);
}
