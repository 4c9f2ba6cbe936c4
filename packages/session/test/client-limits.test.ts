// Deadlines (RFC 5321 §4.5.3.1), option checks, misuse, and snapshots.
import { describe, expect, it } from "vitest";
import { CLIENT_DEFAULT_TIMEOUTS, ClientSessionError, createClientSession } from "@smtpkit/session";
import { alice, bob, bytes, Driver } from "./client-harness.js";

const minute = 60_000;

describe("deadlines", () => {
  it("gives the RFC 5321 §4.5.3.1 defaults", () => {
    expect(CLIENT_DEFAULT_TIMEOUTS).toEqual({
      greeting: 5 * minute,
      command: 5 * minute,
      mail: 5 * minute,
      rcpt: 5 * minute,
      dataInitiation: 2 * minute,
      dataBlock: 3 * minute,
      dataTermination: 10 * minute,
    });
  });

  it("moves with each step and expires only when reached", () => {
    const session = createClientSession({ hostname: "client.example.com" });
    expect(session.deadline()).toBeUndefined();
    session.connected(1000);
    expect(session.deadline()).toBe(1000 + 5 * minute);
    session.send({ from: alice, recipients: [{ address: bob }] });
    session.receive(bytes("220 hi\r\n250 mx\r\n"), 2000);
    // The EHLO's reply arrived with the greeting: MAIL is out now.
    expect(session.snapshot().awaiting).toEqual(["mail"]);
    expect(session.deadline()).toBe(2000 + 5 * minute);
    session.receive(bytes("250 ok\r\n"), 3000);
    session.receive(bytes("250 ok\r\n"), 4000);
    expect(session.snapshot().awaiting).toEqual(["data"]);
    expect(session.deadline()).toBe(4000 + 2 * minute);
    session.receive(bytes("354 go\r\n"), 5000);
    expect(session.deadline()).toBe(5000 + 3 * minute);
    session.provideMessage(bytes("x\r\n"), 6000);
    expect(session.deadline()).toBe(6000 + 3 * minute);
    session.endMessage(7000);
    expect(session.deadline()).toBe(7000 + 10 * minute);
    session.tick(7000 + 10 * minute - 1);
    expect(session.state).toBe("data-end");
    session.tick(7000 + 10 * minute);
    expect(session.state).toBe("closed");
    expect(session.failure).toMatchObject({ reason: "timeout", fault: "remote" });
    const outputs = session.takeOutputs();
    expect(outputs.at(-1)).toEqual({ type: "close" });
    expect(outputs.some((o) => o.type === "event" && o.event.type === "transaction-result" && o.event.result.status === "aborted" && o.event.result.dataSent)).toBe(true);
  });

  it("takes configured timeouts and refuses invalid ones", () => {
    const session = createClientSession({ hostname: "client.example.com", timeouts: { greeting: 30_000 } });
    session.connected(0);
    expect(session.deadline()).toBe(30_000);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createClientSession({ hostname: "c.example", timeouts: { mail: bad } })).toThrow(ClientSessionError);
    }
    expect(() => createClientSession({ hostname: "c.example", timeouts: { idle: 5 } as never })).toThrow(/Unknown timeout/);
  });
});

describe("options and misuse", () => {
  it.each([
    ["an empty hostname", { hostname: "" }],
    ["a hostname with a space", { hostname: "bad name" }],
    ["a hostname with CRLF", { hostname: "a\r\nMAIL FROM:<x@y>" }],
    ["a hostname that is not a domain", { hostname: "ex@mple" }],
    ["a hostname in U-labels", { hostname: "例え.jp" }],
    ["a malformed address literal", { hostname: "[300.1.1.1]" }],
    ["an unknown STARTTLS policy", { hostname: "c.example", startTls: "sometimes" }],
    ["chunkSize 0", { hostname: "c.example", chunkSize: 0 }],
    ["a pipelineData that is not a boolean", { hostname: "c.example", pipelineData: "yes" }],
    ["a fractional maxRecipients", { hostname: "c.example", maxRecipients: 2.5 }],
    ["replyLimits.maxLines 0", { hostname: "c.example", replyLimits: { maxLines: 0 } }],
    ["auth without password or token", { hostname: "c.example", auth: { credentials: { username: "u" } } }],
    ["an unknown mechanism", { hostname: "c.example", auth: { credentials: { username: "u", password: "p" }, mechanisms: ["GSSAPI"] } }],
    ["a password holding NUL", { hostname: "c.example", auth: { credentials: { username: "u", password: "a\u0000b" } } }],
    ["a user name with a control character", { hostname: "c.example", auth: { credentials: { username: "u\r\n", password: "p" } } }],
    ["a SCRAM nonce that is too short", { hostname: "c.example", auth: { credentials: { username: "u", password: "p" }, scramNonce: "abc" } }],
    ["a token that is not a bearer token", { hostname: "c.example", auth: { credentials: { username: "u", token: "a b" } } }],
    ["channel binding without TLS", { hostname: "c.example", channelBinding: { type: "tls-exporter", data: new Uint8Array(32) } }],
  ])("refuses %s", (_name, options) => {
    expect(() => createClientSession(options as never)).toThrow(expect.objectContaining({ type: "ClientSessionError", reason: "invalid-option", fault: "local" }));
  });

  it.each([
    ["no recipients", { from: alice, recipients: [] }],
    ["a CR in ENVID", { from: alice, recipients: [{ address: bob }], envid: "a\rb" }],
    ["a space in a local part", { from: { localPart: "a b", domain: "example.com" }, recipients: [{ address: bob }] }],
    ["a negative size", { from: alice, recipients: [{ address: bob }], size: -1 }],
    ["an empty NOTIFY", { from: alice, recipients: [{ address: bob, notify: [] }] }],
  ])("refuses a transaction with %s", (_name, transaction) => {
    const session = createClientSession({ hostname: "client.example.com" });
    expect(() => session.send(transaction as never)).toThrow(expect.objectContaining({ reason: "invalid-transaction" }));
  });

  it.each(["client.example.com", "localhost", "[192.0.2.1]", "[IPv6:2001:db8::1]", "xn--r8jz45g.jp"])("takes %s as hostname", (hostname) => {
    const session = createClientSession({ hostname });
    session.connected(0);
    session.receive(bytes("220 hi\r\n"), 1);
    const written = session.takeOutputs().flatMap((output) => (output.type === "write" ? [new TextDecoder().decode(output.bytes)] : []));
    expect(written).toEqual([`EHLO ${hostname}\r\n`]);
  });

  it("refuses more recipients than maxRecipients", () => {
    const session = createClientSession({ hostname: "client.example.com", maxRecipients: 2 });
    const recipients = [bob, bob, bob].map((address) => ({ address }));
    expect(() => session.send({ from: alice, recipients })).toThrow(/at most 2/);
  });

  it("throws typed errors for calls out of order", () => {
    const session = createClientSession({ hostname: "client.example.com" });
    const wrongState = expect.objectContaining({ reason: "wrong-state" });
    expect(() => session.receive(bytes("220 hi\r\n"), 0)).toThrow(wrongState);
    expect(() => session.provideMessage(bytes("x"))).toThrow(wrongState);
    expect(() => session.endMessage()).toThrow(wrongState);
    expect(() => session.tlsEstablished({}, 0)).toThrow(wrongState);
    session.connected(0);
    expect(() => session.connected(0)).toThrow(wrongState);
    expect(() => session.receive("220" as never, 0)).toThrow(expect.objectContaining({ reason: "invalid-argument" }));
    expect(() => session.tick(Number.NaN)).toThrow(expect.objectContaining({ reason: "invalid-argument" }));
    session.quit();
    expect(() => session.send({ from: alice, recipients: [{ address: bob }] })).toThrow(wrongState);
    expect(ClientSessionError.isInstance(new Error("x"))).toBe(false);
  });

  it("reports a transaction sent to a failed session as aborted at once", () => {
    const driver = new Driver().connect();
    driver.server("554 no\r\n");
    driver.server("221 bye\r\n");
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.pump();
    expect(driver.eventsOf("transaction-result").at(-1)?.result).toMatchObject({ id, status: "aborted" });
  });

  it("quit() before connected() waits for the queued transactions", () => {
    const driver = new Driver();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.session.quit();
    driver.connect();
    driver.server("220 hi\r\n");
    expect(driver.server("250 mx\r\n")).toBe("MAIL FROM:<alice@example.com>\r\n");
    driver.server("550 no\r\n");
    expect(driver.take().endsWith("QUIT\r\n")).toBe(true);
  });

  it("nextOutput and takeOutputs drain the same queue in order", () => {
    const a = new Driver().connect();
    const b = new Driver().connect();
    for (const driver of [a, b]) driver.session.receive(bytes("220 hi\r\n250-mx\r\n250 PIPELINING\r\n"), 1);
    const drained = [];
    for (let output = a.session.nextOutput(); output !== undefined; output = a.session.nextOutput()) drained.push(output);
    expect(drained).toEqual(b.session.takeOutputs());
    expect(a.session.nextOutput()).toBeUndefined();
  });

  it("snapshots are plain data", () => {
    const driver = new Driver({ lmtp: true }).connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("220 hi\r\n");
    expect(JSON.parse(JSON.stringify(driver.session))).toEqual({
      state: "hello",
      protocolState: "awaiting-hello",
      tls: false,
      lmtp: true,
      capabilities: [],
      awaiting: ["hello"],
      queued: [1],
      quitRequested: false,
      deadline: 1 + 5 * minute,
    });
  });
});
