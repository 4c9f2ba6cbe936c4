// The no-password-in-logs law: no step, mechanism, decision request or error
// shows a password or token through JSON.stringify, String() or util.inspect.
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSaslClient, Redacted, SaslError, saslMechanismNames } from "@smtpkit/session";
import { decider, nodeCrypto } from "./sasl/directory.js";
import { exchange } from "./sasl/exchange.js";

const secret = fc.string({ unit: fc.constantFrom(..."ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"), minLength: 12, maxLength: 24 });

function logForms(value: unknown): string[] {
  return [JSON.stringify(value) ?? "", inspect(value, { depth: Infinity, showHidden: false }), String((value as object)?.toString?.() ?? "")];
}

describe("no credential reaches a log", () => {
  it.each(saslMechanismNames.map((name) => [name]))("%s: every step of a successful and a failed exchange", (name) => {
    fc.assert(
      fc.property(secret, secret, fc.boolean(), (password, token, succeed) => {
        const result = exchange({
          mechanism: name,
          server: { mechanisms: [name], hostname: "mx.example.org" },
          attempt: { tls: true, channelBinding: { type: "tls-exporter", data: new Uint8Array(32) }, nonce: "serverNonce0123456789" },
          client: {
            credentials: { username: "user", password, token },
            nonce: "clientNonce0123456789",
            channelBinding: { type: "tls-exporter", data: new Uint8Array(32) },
            crypto: nodeCrypto,
          },
          decide: decider({
            passwords: new Map([["user", succeed ? password : `${password}x`]]),
            tokens: new Map([[succeed ? token : `${token}x`, "user"]]),
          }),
        });
        expect(result.authenticated).toBe(succeed);
        for (const form of [...logForms(result.steps), ...result.steps.flatMap(logForms)]) {
          expect(form).not.toContain(password);
          expect(form).not.toContain(token);
        }
      }),
      { numRuns: name.startsWith("SCRAM") ? 15 : 50 },
    );
  });

  it("client mechanisms keep credentials in private fields", () => {
    fc.assert(
      fc.property(secret, (password) => {
        for (const name of saslMechanismNames) {
          const client = createSaslClient(name, {
            credentials: { username: "user", password, token: password },
            nonce: "clientNonce",
            channelBinding: { type: "tls-exporter", data: new Uint8Array(32) },
          });
          for (const form of logForms(client)) expect(form).not.toContain(password);
        }
      }),
      { numRuns: 20 },
    );
  });

  it("errors about credentials do not repeat them", () => {
    const password = "Secret\u0000Password";
    const token = "not a token";
    const errors: unknown[] = [];
    for (const attempt of [
      () => createSaslClient("PLAIN", { credentials: { username: "user", password } }),
      () => createSaslClient("SCRAM-SHA-256", { credentials: { username: "user", password: "Secret\u0007Password" }, nonce: "clientNonce" }),
      () => createSaslClient("XOAUTH2", { credentials: { username: "user", token } }),
    ]) {
      try {
        attempt();
      } catch (error) {
        errors.push(error);
      }
    }
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(SaslError.isInstance(error) && error.reason).toBe("invalid-credential");
      for (const form of [...logForms(error), (error as Error).message, (error as Error).stack ?? ""]) {
        expect(form).not.toContain("Secret");
        expect(form).not.toContain(token);
      }
    }
  });

  it("Redacted shows [redacted] in every string form but reveals its value", () => {
    const boxed = new Redacted("hunter2");
    expect(JSON.stringify({ boxed })).toBe('{"boxed":"[redacted]"}');
    expect(`${boxed}`).toBe("[redacted]");
    expect(inspect({ boxed })).not.toContain("hunter2");
    expect(Object.keys(boxed)).toEqual([]);
    expect(boxed.reveal()).toBe("hunter2");
    expect(Redacted.isInstance(boxed)).toBe(true);
    expect(Redacted.isInstance({ reveal: () => "x" })).toBe(false);
  });
});
