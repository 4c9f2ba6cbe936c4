// Hostile peers: random bytes (and near-valid messages) at every step give a
// step or a typed failure, never another exception, and every exchange ends.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createSaslClient,
  createSaslServer,
  saslMechanismNames,
  type SaslDecision,
  type SaslDecisionRequest,
  type SaslMechanismName,
  type SaslRejectSituation,
  type SaslServerStep,
} from "@smtpkit/session";
import { nodeCrypto } from "./sasl/directory.js";

const failureSituations = new Set([
  "AuthMechanismUnsupported",
  "AuthNeedsEncryption",
  "AuthResponseInvalid",
  "AuthLineTooLong",
  "AuthInvalidCredentials",
  "AuthorizationIdentityRefused",
  "AuthAccountDisabled",
  "AuthTemporaryFailure",
  "AuthPasswordTransition",
  "AuthTooWeak",
]);

const encoder = new TextEncoder();
// Fragments of every mechanism's syntax, so generation gets past the first check.
const fragments = [
  "n", "y", "p=tls-exporter", "p=tls-server-end-point", "p=", ",", ",,", "a=", "a=user", "n=", "n=user", "n=a=2Cb", "=3D", "=2C", "=",
  "r=", "r=clientNonce", "r=clientNonceXYZ", "s=", "s=AAAAAAAAAAAAAAAAAAAAAA==", "i=4096", "i=1", "i=0", "i=99999999999", "c=biws", "c=",
  "p=AAAA", "v=", "e=invalid-proof", "m=x", "x=y", "\u0000", "user", "pass", "\u0001", "\u0001\u0001", "auth=Bearer ", "auth=bearer abc",
  "user=", "host=", "port=587", "port=99999", "token", "tim ", "b913a602c7eda7a495b4e6e7334d3890", "{", "}", '{"status":"401"}', "\u00e9", "\u2028",
];
const message = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.array(fc.constantFrom(...fragments), { maxLength: 12 }).map((parts) => encoder.encode(parts.join(""))),
  fc.constant(new Uint8Array(0)),
);

const situation: fc.Arbitrary<SaslRejectSituation | undefined> = fc.constantFrom(
  undefined,
  "AuthInvalidCredentials",
  "AuthAccountDisabled",
  "AuthTemporaryFailure",
  "AuthTooWeak",
  "AuthorizationIdentityRefused",
);

function answer(request: SaslDecisionRequest, accept: boolean, seed: Uint8Array, rejectSituation: SaslRejectSituation | undefined): SaslDecision {
  if (!accept) return rejectSituation === undefined ? { type: "reject" } : { type: "reject", situation: rejectSituation };
  switch (request.type) {
    case "lookup-secret":
      return { type: "secret", secret: seed };
    case "lookup-scram-verifier":
      return {
        type: "scram-verifier",
        verifier: { salt: seed.length > 0 ? seed : new Uint8Array(1), iterations: 1 + (seed.length % 5), storedKey: new Uint8Array(32).fill(seed.length), serverKey: new Uint8Array(32) },
      };
    case "verify-token":
      return { type: "accept", identity: "someone" };
    default:
      return { type: "accept" };
  }
}

describe.each(saslMechanismNames.map((name) => [name]))("hostile client against the %s server", (name: SaslMechanismName) => {
  it("every input gives a step; failures name a SASL situation; the exchange ends", () => {
    const server = createSaslServer({
      mechanisms: [name],
      hostname: "mx.example.org",
      authorizationDecisions: true,
      crypto: nodeCrypto,
      limits: { maxMessageBytes: 150, minIterations: 1 },
    });
    fc.assert(
      fc.property(
        fc.option(message, { nil: undefined }),
        fc.array(message, { maxLength: 6 }),
        fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 20 }), situation), { maxLength: 6 }),
        (initialResponse, responses, decisions) => {
          const { mechanism, step: first } = server.start(name, {
            tls: true,
            channelBinding: { type: "tls-exporter", data: new Uint8Array(32) },
            nonce: "serverNonce0123456789",
            ...(initialResponse === undefined ? {} : { initialResponse }),
          });
          let step: SaslServerStep = first;
          let rounds = 0;
          while (mechanism !== undefined && (step.type === "challenge" || step.type === "decision")) {
            expect(++rounds).toBeLessThan(20);
            if (step.type === "challenge") {
              const next = responses.shift();
              if (next === undefined) return;
              step = mechanism.respond(next);
            } else {
              const [accept, seed, rejectSituation] = decisions.shift() ?? [false, new Uint8Array(0), undefined];
              step = mechanism.decide(answer(step.request, accept, seed, rejectSituation));
            }
          }
          expect(["success", "failure"]).toContain(step.type);
          if (step.type === "failure") expect(failureSituations.has(step.situation)).toBe(true);
          if (mechanism !== undefined) expect(mechanism.state).toBe(step.type === "success" ? "succeeded" : "failed");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe.each(saslMechanismNames.map((name) => [name]))("hostile server against the %s client", (name: SaslMechanismName) => {
  it("every challenge gives a response or a typed failure, and the outcome is typed", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(message, { maxLength: 5 }), fc.boolean(), (initialResponse, challenges, claimSuccess) => {
        const client = createSaslClient(name, {
          credentials: { username: "user", password: "pencil", token: "token" },
          nonce: "clientNonce",
          channelBinding: { type: "tls-exporter", data: new Uint8Array(32) },
          crypto: nodeCrypto,
          limits: { maxMessageBytes: 150, minIterations: 1, maxIterations: 5000 },
        });
        const start = client.start({ initialResponse });
        expect(["response", "wait"]).toContain(start.type);
        for (const challenge of challenges) {
          const step = client.respond(challenge);
          expect(["response", "failure"]).toContain(step.type);
          if (step.type === "failure") {
            expect(typeof step.reason).toBe("string");
            expect(client.state).toBe("failed");
            return;
          }
        }
        if (claimSuccess) {
          const outcome = client.succeeded();
          expect(["success", "failure"]).toContain(outcome.type);
          // A SCRAM client never accepts a success the server did not prove.
          if (name.startsWith("SCRAM") && outcome.type === "success") {
            expect(challenges.length).toBeGreaterThanOrEqual(2);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
