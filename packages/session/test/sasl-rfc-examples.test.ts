// The example exchanges of the RFCs, byte for byte, on both sides.
import { describe, expect, it } from "vitest";
import { createSaslClient, createSaslServer, createScramVerifier, type SaslServerStep } from "@smtpkit/session";
import { base64, bytes, fromBase64, text } from "./sasl/exchange.js";

function challengeText(step: SaslServerStep): string {
  if (step.type !== "challenge") throw new Error(`expected a challenge, got ${JSON.stringify(step)}`);
  return text(step.challenge);
}

describe("RFC 7677 §3: SCRAM-SHA-256 example (user 'user', password 'pencil')", () => {
  const clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
  const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

  it("the client sends the RFC's messages and accepts the RFC's signature", () => {
    const client = createSaslClient("SCRAM-SHA-256", {
      credentials: { username: "user", password: "pencil" },
      nonce: "rOprNGfwEbeRWgbNEkqO",
    });
    const first = client.start();
    expect(first.type === "response" && text(first.response.reveal())).toBe(clientFirst);
    const final = client.respond(bytes(serverFirst));
    expect(final.type === "response" && text(final.response.reveal())).toBe(clientFinal);
    const ack = client.respond(bytes(serverFinal));
    expect(ack.type === "response" && ack.response.reveal().length).toBe(0);
    expect(client.succeeded()).toEqual({ type: "success", mechanism: "SCRAM-SHA-256" });
  });

  it("the server sends the RFC's messages from a stored verifier", () => {
    const verifier = createScramVerifier("pencil", fromBase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    const server = createSaslServer({ mechanisms: ["SCRAM-SHA-256"] });
    const { mechanism, step } = server.start("SCRAM-SHA-256", { tls: true, nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", initialResponse: bytes(clientFirst) });
    expect(step).toEqual({ type: "decision", mechanism: "SCRAM-SHA-256", request: { type: "lookup-scram-verifier", mechanism: "SCRAM-SHA-256", username: "user" } });
    expect(challengeText(mechanism!.decide({ type: "scram-verifier", verifier }))).toBe(serverFirst);
    const success = mechanism!.respond(bytes(clientFinal));
    expect(success.type).toBe("success");
    if (success.type !== "success") return;
    expect(success.authenticationIdentity).toBe("user");
    expect(success.authorizationIdentity).toBe("user");
    expect(text(success.additionalData!)).toBe(serverFinal);
  });

  it("a wrong signature fails the client, typed", () => {
    const client = createSaslClient("SCRAM-SHA-256", { credentials: { username: "user", password: "pencil" }, nonce: "rOprNGfwEbeRWgbNEkqO" });
    client.start();
    client.respond(bytes(serverFirst));
    const forged = client.respond(bytes("v=" + base64(new Uint8Array(32))));
    expect(forged).toMatchObject({ type: "failure", reason: "server-signature-mismatch" });
    expect(client.state).toBe("failed");
  });

  it("a 235 without the server's signature fails the client, typed", () => {
    const client = createSaslClient("SCRAM-SHA-256", { credentials: { username: "user", password: "pencil" }, nonce: "rOprNGfwEbeRWgbNEkqO" });
    client.start();
    client.respond(bytes(serverFirst));
    expect(client.succeeded()).toMatchObject({ type: "failure", reason: "server-signature-missing" });
  });
});

describe("RFC 2195 §2: CRAM-MD5 example", () => {
  const challenge = "<1896.697170952@postoffice.reston.mci.net>";
  const response = "tim b913a602c7eda7a495b4e6e7334d3890";

  it("the server's challenge and verdict", () => {
    const server = createSaslServer({ mechanisms: ["CRAM-MD5"], hostname: "postoffice.reston.mci.net" });
    const { mechanism, step } = server.start("CRAM-MD5", { tls: false, nonce: "1896.697170952" });
    expect(challengeText(step)).toBe(challenge);
    // RFC 2195 §2 shows the exchange base64 encoded as IMAP carries it.
    expect(base64((step as { challenge: Uint8Array }).challenge)).toBe("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
    expect(mechanism!.respond(bytes(response))).toMatchObject({ type: "decision", request: { type: "lookup-secret", username: "tim" } });
    expect(mechanism!.decide({ type: "secret", secret: "tanstaaftanstaaf" })).toMatchObject({ type: "success", authenticationIdentity: "tim" });
  });

  it("the client's response", () => {
    const client = createSaslClient("CRAM-MD5", { credentials: { username: "tim", password: "tanstaaftanstaaf" } });
    expect(client.start()).toEqual({ type: "wait", mechanism: "CRAM-MD5" });
    const answer = client.respond(bytes(challenge));
    expect(answer.type === "response" && base64(answer.response.reveal())).toBe("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  });

  it("a wrong secret fails with AuthInvalidCredentials", () => {
    const server = createSaslServer({ mechanisms: ["CRAM-MD5"], hostname: "postoffice.reston.mci.net" });
    const { mechanism } = server.start("CRAM-MD5", { tls: false, nonce: "1896.697170952" });
    mechanism!.respond(bytes(response));
    expect(mechanism!.decide({ type: "secret", secret: "tanstaaf" })).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials" });
  });
});

describe("RFC 4616 §4: PLAIN examples", () => {
  it("'\\0tim\\0tanstaaftanstaaf' authenticates tim", () => {
    const server = createSaslServer({ mechanisms: ["PLAIN"] });
    const { mechanism, step } = server.start("PLAIN", { tls: true, initialResponse: bytes("\u0000tim\u0000tanstaaftanstaaf") });
    expect(step.type === "decision" && step.request.type === "verify-password" && step.request.password.reveal()).toBe("tanstaaftanstaaf");
    expect(mechanism!.decide({ type: "accept" })).toEqual({
      type: "success",
      mechanism: "PLAIN",
      authenticationIdentity: "tim",
      authorizationIdentity: "tim",
    });
  });

  it("'Ursel\\0Kurt\\0xipj3plmq' needs the embedder's permission for Kurt to act as Ursel", () => {
    const refusing = createSaslServer({ mechanisms: ["PLAIN"] });
    const refused = refusing.start("PLAIN", { tls: true, initialResponse: bytes("Ursel\u0000Kurt\u0000xipj3plmq") });
    expect(refused.mechanism!.decide({ type: "accept" })).toMatchObject({ type: "failure", situation: "AuthorizationIdentityRefused" });

    const asking = createSaslServer({ mechanisms: ["PLAIN"], authorizationDecisions: true });
    const { mechanism } = asking.start("PLAIN", { tls: true, initialResponse: bytes("Ursel\u0000Kurt\u0000xipj3plmq") });
    expect(mechanism!.decide({ type: "accept" })).toEqual({
      type: "decision",
      mechanism: "PLAIN",
      request: { type: "authorize", mechanism: "PLAIN", username: "Kurt", authorizationIdentity: "Ursel" },
    });
    expect(mechanism!.decide({ type: "accept" })).toMatchObject({ type: "success", authenticationIdentity: "Kurt", authorizationIdentity: "Ursel" });
  });

  it("the client encodes the same bytes", () => {
    const client = createSaslClient("PLAIN", { credentials: { username: "Kurt", password: "xipj3plmq", authorizationIdentity: "Ursel" } });
    const first = client.start();
    expect(first.type === "response" && text(first.response.reveal())).toBe("Ursel\u0000Kurt\u0000xipj3plmq");
  });
});

describe("RFC 7628 §4: OAUTHBEARER examples", () => {
  const initial = "n,a=user@example.com,\u0001host=server.example.com\u0001port=587\u0001auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\u0001\u0001";
  const errorJson = '{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}';

  it("§4.1: the client's initial response", () => {
    const client = createSaslClient("OAUTHBEARER", {
      credentials: { username: "user@example.com", token: "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==" },
      host: "server.example.com",
      port: 587,
    });
    const first = client.start();
    expect(first.type === "response" && text(first.response.reveal())).toBe(initial);
  });

  it("§4.1 and §4.3: the server verifies, and on refusal sends the error JSON and fails after the %x01", () => {
    const server = createSaslServer({ mechanisms: ["OAUTHBEARER"] });
    const { mechanism, step } = server.start("OAUTHBEARER", { tls: true, initialResponse: bytes(initial) });
    expect(step.type === "decision" && step.request).toMatchObject({
      type: "verify-token",
      username: "user@example.com",
      host: "server.example.com",
      port: 587,
    });
    expect(step.type === "decision" && step.request.type === "verify-token" && step.request.token.reveal()).toBe("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    const errorStep = mechanism!.decide({
      type: "reject",
      oauthError: { status: "invalid_token", scope: "example_scope", openidConfiguration: "https://example.com/.well-known/openid-configuration" },
    });
    expect(challengeText(errorStep)).toBe(errorJson);
    expect(mechanism!.respond(bytes("\u0001"))).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials", reason: "token-rejected" });
  });

  it("§4.3: the client answers the error JSON with %x01 and reports the error", () => {
    const client = createSaslClient("OAUTHBEARER", { credentials: { username: "user@example.com", token: "abc" } });
    client.start();
    const answer = client.respond(bytes(errorJson));
    expect(answer.type === "response" && text(answer.response.reveal())).toBe("\u0001");
    expect(answer.type === "response" && answer.oauthError).toEqual({
      status: "invalid_token",
      scope: "example_scope",
      openidConfiguration: "https://example.com/.well-known/openid-configuration",
    });
  });
});

describe("XOAUTH2 (developers.google.com/gmail/imap/xoauth2-protocol)", () => {
  it("the client's initial response is Google's documented example", () => {
    const client = createSaslClient("XOAUTH2", {
      credentials: { username: "someuser@example.com", token: "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg" },
    });
    const first = client.start();
    expect(first.type === "response" && base64(first.response.reveal())).toBe(
      "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
    );
  });

  it("on refusal the server sends Google's error JSON and the client answers with an empty response", () => {
    const server = createSaslServer({ mechanisms: ["XOAUTH2"] });
    const client = createSaslClient("XOAUTH2", { credentials: { username: "someuser@example.com", token: "ya29.expired" } });
    const first = client.start();
    const { mechanism } = server.start("XOAUTH2", { tls: true, initialResponse: first.type === "response" ? first.response.reveal() : undefined! });
    const errorStep = mechanism!.decide({ type: "reject", oauthError: { status: "401", scope: "https://mail.google.com/" } });
    expect(challengeText(errorStep)).toBe('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}');
    const answer = client.respond((errorStep as { challenge: Uint8Array }).challenge);
    expect(answer.type === "response" && answer.response.reveal().length).toBe(0);
    expect(answer.type === "response" && answer.oauthError?.status).toBe("401");
    expect(mechanism!.respond(new Uint8Array(0))).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials" });
  });
});

describe("LOGIN (draft-murchison-sasl-login-00)", () => {
  it("asks 'Username:' then 'Password:' as deployed servers do, and the client answers in order", () => {
    const server = createSaslServer({ mechanisms: ["LOGIN"] });
    const client = createSaslClient("LOGIN", { credentials: { username: "tim", password: "tanstaaftanstaaf" } });
    expect(client.start()).toEqual({ type: "wait", mechanism: "LOGIN" });
    const { mechanism, step } = server.start("LOGIN", { tls: true });
    expect(base64((step as { challenge: Uint8Array }).challenge)).toBe("VXNlcm5hbWU6");
    const user = client.respond((step as { challenge: Uint8Array }).challenge);
    const passwordChallenge = mechanism!.respond(user.type === "response" ? user.response.reveal() : new Uint8Array(0));
    expect(base64((passwordChallenge as { challenge: Uint8Array }).challenge)).toBe("UGFzc3dvcmQ6");
    const password = client.respond((passwordChallenge as { challenge: Uint8Array }).challenge);
    const decision = mechanism!.respond(password.type === "response" ? password.response.reveal() : new Uint8Array(0));
    expect(decision.type === "decision" && decision.request).toMatchObject({ type: "verify-password", mechanism: "LOGIN", username: "tim" });
    expect(mechanism!.decide({ type: "accept" })).toMatchObject({ type: "success", authenticationIdentity: "tim" });
  });

  it("accepts the user name as an initial response (as Postfix and Exchange do)", () => {
    const server = createSaslServer({ mechanisms: ["LOGIN"] });
    const { step } = server.start("LOGIN", { tls: true, initialResponse: bytes("tim") });
    expect(step.type === "challenge" && text(step.challenge)).toBe("Password:");
  });
});
