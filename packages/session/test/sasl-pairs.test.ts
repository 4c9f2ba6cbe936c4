// Client and server joined in memory: for arbitrary identities and secrets,
// every mechanism authenticates exactly when the secret matches.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SaslMechanismName } from "@smtpkit/session";
import { decider, nodeCrypto } from "./sasl/directory.js";
import { exchange } from "./sasl/exchange.js";

// Characters that SASLprep leaves alone, including the ones SCRAM must
// escape ("," and "=") and a few non-ASCII letters.
const stableCharacters = [..."abcxyzABCXYZ0189 .,=@_-+!~éßΩ中ж"];
const identity = fc.string({ unit: fc.constantFrom(...stableCharacters), minLength: 1, maxLength: 16 });
const stablePassword = fc.string({ unit: fc.constantFrom(...stableCharacters), minLength: 1, maxLength: 24 });
// PLAIN and LOGIN carry any UTF-8 password but NUL.
const anyPassword = fc
  .string({ unit: "binary", minLength: 1, maxLength: 24 })
  .filter((password) => !password.includes("\u0000") && !/\p{Cs}/u.test(password));
const nonce = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), minLength: 16, maxLength: 32 });
const channelBinding = { type: "tls-exporter" as const, data: new Uint8Array(32).fill(42) };

function passwordPair(password: fc.Arbitrary<string>) {
  return fc.tuple(password, password, fc.boolean()).map(([right, other, same]) => ({ right, given: same ? right : other }));
}

const passwordMechanisms: { name: SaslMechanismName; password: fc.Arbitrary<string>; runs: number }[] = [
  { name: "PLAIN", password: anyPassword, runs: 100 },
  { name: "LOGIN", password: anyPassword, runs: 100 },
  { name: "CRAM-MD5", password: anyPassword, runs: 100 },
  { name: "SCRAM-SHA-256", password: stablePassword, runs: 40 },
  { name: "SCRAM-SHA-256-PLUS", password: stablePassword, runs: 40 },
];

describe.each(passwordMechanisms)("$name client ↔ server", ({ name, password, runs }) => {
  it("authenticates exactly when the password matches, with or without an initial response", () => {
    fc.assert(
      fc.property(identity, passwordPair(password), nonce, nonce, fc.boolean(), (username, { right, given }, clientNonce, serverNonce, initialResponse) => {
        const result = exchange({
          mechanism: name,
          server: { mechanisms: [name], hostname: "mx.example.org" },
          attempt: { tls: true, channelBinding, nonce: serverNonce },
          client: { credentials: { username, password: given }, nonce: clientNonce, channelBinding, crypto: nodeCrypto },
          decide: decider({ passwords: new Map([[username, right]]) }),
          initialResponse,
        });
        expect(result.authenticated).toBe(given === right);
        if (given === right) {
          expect(result.server).toMatchObject({ type: "success", authenticationIdentity: username, authorizationIdentity: username });
        } else {
          expect(result.server).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials" });
        }
      }),
      { numRuns: runs },
    );
  });
});

describe("SCRAM with the pure crypto on both sides", () => {
  it("authenticates exactly when the password matches", () => {
    fc.assert(
      fc.property(identity, passwordPair(stablePassword), nonce, nonce, (username, { right, given }, clientNonce, serverNonce) => {
        const result = exchange({
          mechanism: "SCRAM-SHA-256",
          server: { mechanisms: ["SCRAM-SHA-256"] },
          attempt: { tls: true, nonce: serverNonce },
          client: { credentials: { username, password: given }, nonce: clientNonce },
          decide: decider({ passwords: new Map([[username, right]]) }),
        });
        expect(result.authenticated).toBe(given === right);
      }),
      { numRuns: 15 },
    );
  });
});

describe.each(["XOAUTH2", "OAUTHBEARER"] as const)("%s client ↔ server", (name) => {
  const token = fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~+/"), minLength: 1, maxLength: 40 });
  it("authenticates exactly when the token is valid for the user", () => {
    fc.assert(
      fc.property(identity, token, token, fc.boolean(), fc.boolean(), (username, valid, other, same, initialResponse) => {
        const given = same ? valid : other;
        const result = exchange({
          mechanism: name,
          server: { mechanisms: [name] },
          attempt: { tls: true },
          client: { credentials: { username, token: given }, host: "mx.example.org", port: 587 },
          decide: decider({ passwords: new Map(), tokens: new Map([[valid, username]]) }),
          initialResponse,
        });
        expect(result.authenticated).toBe(given === valid);
        if (given !== valid) {
          // The refusal went through the error challenge and its acknowledgement.
          expect(result.steps.some((step) => step.type === "response" && step.oauthError !== undefined)).toBe(true);
          expect(result.server).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials", reason: "token-rejected" });
        }
      }),
    );
  });
});

describe("authorization identities across mechanisms", () => {
  const mechanisms = ["PLAIN", "SCRAM-SHA-256"] as const;
  it.each(mechanisms)("%s: a different authzid succeeds only when the embedder allows it", (name) => {
    fc.assert(
      fc.property(identity, identity, fc.boolean(), fc.boolean(), (username, authorizationIdentity, decisions, allow) => {
        const result = exchange({
          mechanism: name,
          server: { mechanisms: [name], authorizationDecisions: decisions },
          attempt: { tls: true, nonce: "serverNonce0123456789" },
          client: { credentials: { username, password: "right", authorizationIdentity }, nonce: "clientNonce0123456789", crypto: nodeCrypto },
          decide: decider({ passwords: new Map([[username, "right"]]), allowAuthorization: allow }),
        });
        const expected = authorizationIdentity === username || (decisions && allow);
        expect(result.authenticated).toBe(expected);
        if (expected) expect(result.server).toMatchObject({ type: "success", authenticationIdentity: username, authorizationIdentity });
        else expect(result.server).toMatchObject({ type: "failure", situation: "AuthorizationIdentityRefused" });
      }),
      { numRuns: 40 },
    );
  });
});
