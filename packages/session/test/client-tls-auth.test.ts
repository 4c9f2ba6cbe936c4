// STARTTLS policies, response injection, and AUTH: scripted conversations.
import { describe, expect, it } from "vitest";
import { alice, bob, Driver } from "./client-harness.js";

const greeting = "220 mx.example.org ESMTP\r\n";
const ehlo = (...lines: string[]): string =>
  `250-mx.example.org\r\n${lines.map((line, i) => `250${i === lines.length - 1 ? " " : "-"}${line}\r\n`).join("")}`;
const b64 = (text: string): string => btoa(text);

describe("STARTTLS", () => {
  it("upgrades when offered, forgets what it learned, and says EHLO again", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    expect(driver.server(ehlo("PIPELINING", "STARTTLS", "AUTH PLAIN"))).toBe("STARTTLS\r\n");
    expect(driver.server("220 2.0.0 go ahead\r\n")).toBe("");
    expect(driver.outputs.at(-1)).toEqual({ type: "start-tls" });
    expect(driver.session.state).toBe("tls-handshake");
    driver.session.tlsEstablished({}, 10);
    driver.pump();
    expect(driver.take().endsWith("STARTTLS\r\nEHLO client.example.com\r\n")).toBe(true);
    // A server that advertises STARTTLS again is not asked again.
    expect(driver.server(ehlo("STARTTLS", "PIPELINING"))).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n");
    const capabilities = driver.eventsOf("capabilities-received");
    expect(capabilities.map((event) => event.tls)).toEqual([false, true]);
    expect(driver.session.snapshot()).toMatchObject({ tls: true, state: "envelope" });
  });

  it.each([
    ["a second reply in the same read", "220 go\r\n250 injected\r\n"],
    ["a partial line in the same read", "220 go\r\n250 inj"],
  ])("aborts on %s after the 220 (response injection)", (_name, text) => {
    const driver = new Driver().connect();
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server(text);
    expect(driver.eventsOf("session-failed")[0]?.failure).toMatchObject({ reason: "starttls-injection", fault: "remote" });
    expect(driver.outputs.some((output) => output.type === "start-tls")).toBe(false);
    expect(driver.closed).toBe(true);
  });

  it("aborts on bytes arriving during the handshake, and ignores the late tlsEstablished", () => {
    const driver = new Driver().connect();
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server("220 go\r\n");
    driver.server("250 injected\r\n");
    expect(driver.eventsOf("session-failed")[0]?.failure.reason).toBe("starttls-injection");
    driver.session.tlsEstablished({}, 20);
    expect(driver.pump()).toEqual([]);
  });

  it("with policy required, fails with QUIT before MAIL when STARTTLS is not offered", () => {
    const driver = new Driver({ startTls: "required", auth: { credentials: { username: "u", password: "p" } } }).connect();
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    expect(driver.server(ehlo("PIPELINING", "AUTH PLAIN"))).toBe("QUIT\r\n");
    expect(driver.eventsOf("session-failed")[0]?.failure).toMatchObject({ reason: "starttls-not-offered", fault: "remote" });
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "aborted" });
    expect(driver.written).not.toContain("MAIL");
    expect(driver.written).not.toContain("AUTH");
  });

  it.each(["454 4.7.0 TLS not available\r\n", "502 5.5.1 no\r\n", "250 sure\r\n"])("with policy required, fails when STARTTLS gets %j", (reply) => {
    const driver = new Driver({ startTls: "required" }).connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server(reply);
    expect(driver.session.failure?.fault).toBe("remote");
    expect(driver.written).not.toContain("MAIL");
  });

  it("with policy opportunistic, goes on in clear text after a refused STARTTLS", () => {
    const driver = new Driver().connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    expect(driver.server("454 4.7.0 not now\r\n")).toBe("MAIL FROM:<alice@example.com>\r\n");
  });

  it("with policy never, does not upgrade", () => {
    const driver = new Driver({ startTls: "never" }).connect();
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    expect(driver.server(ehlo("STARTTLS"))).toBe("MAIL FROM:<alice@example.com>\r\n");
  });

  it("a failed handshake ends the session; it never goes on in clear text", () => {
    const driver = new Driver().connect();
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server("220 go\r\n");
    driver.take();
    driver.session.tlsFailed("certificate has expired", 9);
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.session.failure).toMatchObject({ reason: "tls-handshake-failed", fault: "remote" });
    expect(driver.session.failure?.message).toContain("certificate has expired");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "aborted" });
    expect(driver.closed).toBe(true);
    expect(() => new Driver().session.tlsFailed("x", 0)).toThrow(expect.objectContaining({ reason: "wrong-state" }));
  });

  it("never falls back to HELO after TLS", () => {
    const driver = new Driver().connect();
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server("220 go\r\n");
    driver.session.tlsEstablished({}, 5);
    driver.pump();
    expect(driver.server("502 5.5.1 no EHLO\r\n")).toBe("QUIT\r\n");
    expect(driver.session.failure?.reason).toBe("hello-refused");
  });
});

describe("AUTH", () => {
  const credentials = { username: "alice", password: "wonderland" };
  const secure = (options: object, capabilities: string[]) => {
    const driver = new Driver(options).connect();
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server("220 go\r\n");
    driver.session.tlsEstablished({}, 5);
    driver.pump();
    driver.take();
    return { driver, written: driver.server(ehlo(...capabilities)) };
  };

  it("uses PLAIN with an initial response over TLS, then sends mail", () => {
    const { driver, written } = secure({ auth: { credentials } }, ["PIPELINING", "AUTH LOGIN PLAIN"]);
    expect(written).toBe(`AUTH PLAIN ${b64("\0alice\0wonderland")}\r\n`);
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    expect(driver.server("235 2.7.0 ok\r\n")).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n");
    expect(driver.eventsOf("auth-succeeded")).toEqual([{ type: "auth-succeeded", mechanism: "PLAIN" }]);
    expect(driver.eventsOf("session-ready")[0]).toMatchObject({ tls: true, authenticated: true });
  });

  it("answers LOGIN's challenges", () => {
    const { driver, written } = secure({ auth: { credentials, mechanisms: ["LOGIN"] } }, ["AUTH LOGIN PLAIN"]);
    expect(written.startsWith("AUTH LOGIN")).toBe(true);
    let all = written;
    if (written === "AUTH LOGIN\r\n") all += driver.server(`334 ${b64("Username:")}\r\n`);
    expect(all).toContain(`${b64("alice")}\r\n`);
    expect(driver.server(`334 ${b64("Password:")}\r\n`)).toBe(`${b64("wonderland")}\r\n`);
    driver.server("235 ok\r\n");
    expect(driver.eventsOf("auth-succeeded")).toHaveLength(1);
  });

  it("never sends a plain-text credential without TLS unless allowed", () => {
    const driver = new Driver({ startTls: "never", auth: { credentials } }).connect();
    driver.server(greeting);
    expect(driver.server(ehlo("AUTH PLAIN LOGIN"))).toBe("QUIT\r\n");
    expect(driver.session.failure).toMatchObject({ reason: "auth-needs-tls", fault: "local" });
    expect(driver.written).not.toContain("AUTH");
    const allowed = new Driver({ startTls: "never", auth: { credentials, allowPlaintextAuth: true } }).connect();
    allowed.server(greeting);
    expect(allowed.server(ehlo("AUTH PLAIN"))).toBe(`AUTH PLAIN ${b64("\0alice\0wonderland")}\r\n`);
  });

  it("prefers SCRAM-SHA-256 when a nonce is given, and distrusts a 235 without the server's proof", () => {
    const { driver, written } = secure({ auth: { credentials, scramNonce: "rOprNGfwEbeRWgbNEkqO" } }, ["AUTH PLAIN SCRAM-SHA-256"]);
    expect(written).toBe(`AUTH SCRAM-SHA-256 ${b64("n,,n=alice,r=rOprNGfwEbeRWgbNEkqO")}\r\n`);
    // The server has not proven it knows the password: leave, sending nothing else.
    expect(driver.server("235 2.7.0 trust me\r\n")).toBe("QUIT\r\n");
    expect(driver.session.failure).toMatchObject({ reason: "auth-protocol-error", fault: "remote" });
    expect(driver.eventsOf("auth-succeeded")).toEqual([]);
  });

  it("refuses SCRAM in the options without a nonce", () => {
    expect(() => new Driver({ auth: { credentials, mechanisms: ["SCRAM-SHA-256"] } })).toThrow(/scramNonce/);
  });

  it("cancels with * on a challenge that is not base64, then fails", () => {
    const { driver } = secure({ auth: { credentials, mechanisms: ["LOGIN"] } }, ["AUTH LOGIN"]);
    driver.take();
    expect(driver.server("334 not base64!\r\n")).toBe("*\r\n");
    expect(driver.server("501 5.7.0 cancelled\r\n")).toBe("QUIT\r\n");
    expect(driver.session.failure).toMatchObject({ reason: "auth-protocol-error", fault: "remote" });
  });

  it("reports refused credentials and quits", () => {
    const { driver } = secure({ auth: { credentials } }, ["AUTH PLAIN"]);
    expect(driver.server("535 5.7.8 bad credentials\r\n")).toBe("QUIT\r\n");
    expect(driver.session.failure).toMatchObject({ reason: "auth-refused", fault: "remote", reply: { code: 535, enhanced: "5.7.8" } });
  });

  it("fails when the server offers no AUTH at all", () => {
    const { driver } = secure({ auth: { credentials } }, ["PIPELINING"]);
    expect(driver.session.failure).toMatchObject({ reason: "auth-not-offered" });
    expect(driver.take()).toBe("QUIT\r\n");
  });

  it("uses OAUTHBEARER with a token, and acknowledges the server's error challenge before the refusal", () => {
    const token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
    const { driver, written } = secure({ auth: { credentials: { username: "alice@example.com", token }, host: "mx.example.org", port: 587 } }, ["AUTH PLAIN OAUTHBEARER XOAUTH2"]);
    expect(written.startsWith("AUTH OAUTHBEARER ")).toBe(true);
    const initial = atob(written.slice("AUTH OAUTHBEARER ".length).trim());
    expect(initial).toBe(`n,a=alice@example.com,\u0001host=mx.example.org\u0001port=587\u0001auth=Bearer ${token}\u0001\u0001`);
    // RFC 7628 §3.2.3: the client answers the error with a single %x01.
    expect(driver.server(`334 ${b64('{"status":"invalid_token"}')}\r\n`)).toBe(`${b64("\u0001")}\r\n`);
    expect(driver.server("535 5.7.8 token expired\r\n")).toBe("QUIT\r\n");
    expect(driver.session.failure?.reason).toBe("auth-refused");
  });

  it("uses CRAM-MD5 only when allowed", () => {
    const refused = secure({ auth: { credentials } }, ["AUTH CRAM-MD5"]);
    expect(refused.written).toBe("QUIT\r\n");
    expect(refused.driver.session.failure?.reason).toBe("auth-no-common-mechanism");
    const { driver, written } = secure({ auth: { credentials, allowCramMd5: true } }, ["AUTH CRAM-MD5"]);
    expect(written).toBe("AUTH CRAM-MD5\r\n");
    // RFC 2195 §2: the response is the user name, a space, and the HMAC-MD5 digest in hex.
    const response = atob(driver.server(`334 ${b64("<1896.697170952@postoffice.example.net>")}\r\n`).trim());
    expect(response).toMatch(/^alice [0-9a-f]{32}$/);
  });

  it("keeps credentials out of events and snapshots", () => {
    const { driver } = secure({ auth: { credentials } }, ["AUTH PLAIN"]);
    driver.server("235 ok\r\n");
    const logged = JSON.stringify({ events: driver.events, snapshot: driver.session.snapshot(), session: driver.session });
    expect(logged).not.toContain("wonderland");
    expect(logged).not.toContain(b64("\0alice\0wonderland"));
  });
});
