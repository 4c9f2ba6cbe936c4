// The SASL server's policies and hygiene: what it offers, what it refuses
// before a mechanism starts, PLAIN/LOGIN identity rules, size limits,
// embedder decisions and misuse.
import { describe, expect, it } from "vitest";
import {
  createSaslServer,
  resolveSaslLimits,
  SaslError,
  SASL_DEFAULT_MAX_MESSAGE_BYTES,
  SCRAM_DEFAULT_MAX_ITERATIONS,
  SCRAM_DEFAULT_MIN_ITERATIONS,
  toSaslMechanismName,
  type SaslServerStep,
} from "@smtpkit/session";
import { nodeCrypto } from "./sasl/directory.js";
import { bytes } from "./sasl/exchange.js";

const all = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN"] as const;
const binding = { type: "tls-exporter" as const, data: new Uint8Array(32) };

function expectSaslError(action: () => unknown, reason: string): void {
  try {
    action();
  } catch (error) {
    expect(SaslError.isInstance(error)).toBe(true);
    expect((error as SaslError).reason).toBe(reason);
    return;
  }
  throw new Error("expected a SaslError");
}

describe("offered mechanisms", () => {
  const server = createSaslServer({ mechanisms: ["LOGIN", "PLAIN", "SCRAM-SHA-256", "CRAM-MD5", "SCRAM-SHA-256-PLUS"], hostname: "mx.example.org" });

  it("lists them strongest first, -PLUS only with channel binding", () => {
    expect(server.offered({ tls: true, channelBinding: binding })).toEqual(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"]);
  });

  it("hides plain-text mechanisms before TLS (RFC 4954 §4) unless allowed", () => {
    expect(server.offered({ tls: false })).toEqual(["SCRAM-SHA-256", "CRAM-MD5"]);
    const lax = createSaslServer({ mechanisms: ["PLAIN", "OAUTHBEARER"], allowPlaintextWithoutTls: true });
    expect(lax.offered({ tls: false })).toEqual(["OAUTHBEARER", "PLAIN"]);
  });
});

describe("refusals before a mechanism starts", () => {
  const server = createSaslServer({ mechanisms: ["PLAIN", "XOAUTH2", "SCRAM-SHA-256"] });

  it.each([
    ["GSSAPI", "AuthMechanismUnsupported", "mechanism-unsupported"],
    ["LOGIN", "AuthMechanismUnsupported", "mechanism-unsupported"],
    ["", "AuthMechanismUnsupported", "mechanism-unsupported"],
    ["PLAIN".repeat(100), "AuthMechanismUnsupported", "mechanism-unsupported"],
    ["PLAIN", "AuthNeedsEncryption", "encryption-required"],
    ["xoauth2", "AuthNeedsEncryption", "encryption-required"],
  ])("%s without TLS → %s", (name, situation, reason) => {
    expect(server.start(name, { tls: false })).toMatchObject({ mechanism: undefined, step: { type: "failure", situation, reason } });
  });

  it("mechanism names are case-insensitive (RFC 4954 §7)", () => {
    expect(server.start("plain", { tls: true }).mechanism?.name).toBe("PLAIN");
  });

  it("SCRAM is fine without TLS: it sends no reusable credential", () => {
    expect(server.start("SCRAM-SHA-256", { tls: false, nonce: "serverNonce0123456789" }).step.type).toBe("challenge");
  });
});

describe("PLAIN hygiene (RFC 4616)", () => {
  const server = createSaslServer({ mechanisms: ["PLAIN"] });
  const start = (message: string | Uint8Array) =>
    server.start("PLAIN", { tls: true, initialResponse: typeof message === "string" ? bytes(message) : message });

  it.each([
    ["no NUL", "timpassword", "malformed-message"],
    ["one NUL", "tim\u0000password", "malformed-message"],
    ["three NULs", "\u0000tim\u0000pass\u0000word", "malformed-message"],
    ["an empty password", "\u0000tim\u0000", "malformed-message"],
    ["an empty user name", "\u0000\u0000password", "invalid-username"],
    ["a control character in the user name", "\u0000ti\u0007m\u0000password", "invalid-username"],
    ["DEL in the user name", "\u0000tim\u007f\u0000password", "invalid-username"],
    ["a C1 control in the user name", "\u0000tim\u0085\u0000password", "invalid-username"],
    ["a line separator in the user name", "\u0000tim\u2028\u0000password", "invalid-username"],
    ["a bidi override in the user name", "\u0000\u202Emit\u0000password", "invalid-username"],
    ["a CR LF in the authorization identity", "admin\r\n\u0000tim\u0000password", "invalid-username"],
  ])("refuses %s", (_, message, reason) => {
    expect(start(message).step).toMatchObject({ type: "failure", situation: "AuthResponseInvalid", reason });
  });

  it("refuses invalid UTF-8", () => {
    expect(start(new Uint8Array([0, 0x74, 0xff, 0, 0x70])).step).toMatchObject({ reason: "malformed-message" });
  });

  it("an empty initial response (AUTH PLAIN =) is malformed", () => {
    expect(start(new Uint8Array(0)).step).toMatchObject({ type: "failure", reason: "malformed-message" });
  });

  it("without an initial response it sends an empty challenge, then reads the message", () => {
    const { mechanism, step } = server.start("PLAIN", { tls: true });
    expect(step).toEqual({ type: "challenge", mechanism: "PLAIN", challenge: new Uint8Array(0) });
    expect(mechanism!.respond(bytes("\u0000tim\u0000pw")).type).toBe("decision");
  });

  it.each([
    ["empty", ""],
    ["equal to the authentication identity", "tim"],
  ])("an authorization identity %s needs no permission", (_, authorizationIdentity) => {
    const { mechanism } = start(`${authorizationIdentity}\u0000tim\u0000password`);
    expect(mechanism!.decide({ type: "accept" })).toMatchObject({ type: "success", authorizationIdentity: "tim" });
  });

  it("a different authorization identity is refused only after the password is checked", () => {
    const { mechanism } = start("admin\u0000tim\u0000wrong");
    expect(mechanism!.decide({ type: "reject" })).toMatchObject({ situation: "AuthInvalidCredentials" });
  });

  it("the embedder may refuse an authorization it was asked about", () => {
    const asking = createSaslServer({ mechanisms: ["PLAIN"], authorizationDecisions: true });
    const { mechanism } = asking.start("PLAIN", { tls: true, initialResponse: bytes("admin\u0000tim\u0000pw") });
    mechanism!.decide({ type: "accept" });
    expect(mechanism!.decide({ type: "reject" })).toMatchObject({ type: "failure", situation: "AuthorizationIdentityRefused", reason: "authorization-refused" });
  });
});

describe("embedder decisions", () => {
  const server = createSaslServer({ mechanisms: ["PLAIN"] });

  it.each(["AuthAccountDisabled", "AuthTemporaryFailure", "AuthPasswordTransition", "AuthTooWeak"] as const)("a reject may name %s", (situation) => {
    const { mechanism } = server.start("PLAIN", { tls: true, initialResponse: bytes("\u0000tim\u0000pw") });
    expect(mechanism!.decide({ type: "reject", situation })).toMatchObject({ type: "failure", situation, reason: "rejected" });
  });

  it("may come back later: the mechanism waits in its state", () => {
    const { mechanism } = server.start("PLAIN", { tls: true, initialResponse: bytes("\u0000tim\u0000pw") });
    expect(mechanism!.state).toBe("awaiting-decision");
    expect(mechanism!.toJSON()).toEqual({ mechanism: "PLAIN", state: "awaiting-decision" });
    expect(mechanism!.decide({ type: "accept" }).type).toBe("success");
    expect(mechanism!.state).toBe("succeeded");
  });

  it("each attempt has fresh state", () => {
    const first = server.start("PLAIN", { tls: true, initialResponse: bytes("\u0000tim\u0000pw") }).mechanism!;
    const second = server.start("PLAIN", { tls: true }).mechanism!;
    first.decide({ type: "reject" });
    expect(second.state).toBe("awaiting-response");
    expect(second.respond(bytes("\u0000ann\u0000pw"))).toMatchObject({ request: { username: "ann" } });
  });
});

describe("limits", () => {
  it("a message over maxMessageBytes fails with AuthLineTooLong", () => {
    const server = createSaslServer({ mechanisms: ["PLAIN"], limits: { maxMessageBytes: 16 } });
    const over = server.start("PLAIN", { tls: true, initialResponse: bytes("\u0000tim\u0000password-long") });
    expect(over.step).toMatchObject({ type: "failure", situation: "AuthLineTooLong", reason: "message-too-large" });
    const under = server.start("PLAIN", { tls: true, initialResponse: bytes("\u0000tim\u0000password") });
    expect(under.step.type).toBe("decision");
  });

  it("the default is 9216 bytes (a 12288-octet line of base64, RFC 4954 §4)", () => {
    expect(SASL_DEFAULT_MAX_MESSAGE_BYTES).toBe(9216);
    const server = createSaslServer({ mechanisms: ["PLAIN"] });
    const password = "p".repeat(9216 - 5);
    expect(server.start("PLAIN", { tls: true, initialResponse: bytes(`\u0000tim\u0000${password}`) }).step.type).toBe("decision");
    expect(server.start("PLAIN", { tls: true, initialResponse: bytes(`\u0000tim\u0000${password}p`) }).step.type).toBe("failure");
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31, "10" as unknown as number])("refuses the limit value %s", (value) => {
    expectSaslError(() => createSaslServer({ mechanisms: ["PLAIN"], limits: { maxMessageBytes: value } }), "invalid-limit");
    expectSaslError(() => createSaslServer({ mechanisms: ["PLAIN"], limits: { maxIterations: value } }), "invalid-limit");
  });

  it("refuses minIterations above maxIterations", () => {
    expectSaslError(() => createSaslServer({ mechanisms: ["PLAIN"], limits: { minIterations: 10, maxIterations: 9 } }), "invalid-limit");
  });
});

describe("misuse throws SaslError", () => {
  it("bad configuration", () => {
    expectSaslError(() => createSaslServer({ mechanisms: [] }), "invalid-option");
    expectSaslError(() => createSaslServer({ mechanisms: ["GSSAPI" as never] }), "invalid-option");
    expectSaslError(() => createSaslServer({ mechanisms: ["CRAM-MD5"] }), "invalid-option");
    expectSaslError(() => createSaslServer({ mechanisms: ["CRAM-MD5"], hostname: "mx example" }), "invalid-option");
  });

  it("a missing or malformed nonce", () => {
    const server = createSaslServer({ mechanisms: ["SCRAM-SHA-256", "CRAM-MD5"], hostname: "mx.example.org" });
    expectSaslError(() => server.start("SCRAM-SHA-256", { tls: true }), "invalid-option");
    expectSaslError(() => server.start("CRAM-MD5", { tls: true }), "invalid-option");
    expectSaslError(() => server.start("SCRAM-SHA-256", { tls: true, nonce: "short" }), "invalid-option");
    expectSaslError(() => server.start("SCRAM-SHA-256", { tls: true, nonce: "has,a,comma,in,it" }), "invalid-option");
    expectSaslError(() => server.start("CRAM-MD5", { tls: true, nonce: "has@an@at@sign" }), "invalid-option");
  });

  it("bad channel binding data", () => {
    const server = createSaslServer({ mechanisms: ["SCRAM-SHA-256-PLUS"] });
    expectSaslError(() => server.start("SCRAM-SHA-256-PLUS", { tls: true, channelBinding: { type: "tls-exporter", data: new Uint8Array(0) } }), "invalid-option");
    expectSaslError(() => server.offered({ tls: true, channelBinding: { type: "tls-unique" as never, data: new Uint8Array(12) } }), "invalid-option");
  });

  it("calls in the wrong state, and decisions that do not answer the request", () => {
    const server = createSaslServer({ mechanisms: ["PLAIN", "SCRAM-SHA-256"] });
    const { mechanism } = server.start("PLAIN", { tls: true });
    expectSaslError(() => mechanism!.decide({ type: "accept" }), "wrong-state");
    mechanism!.respond(bytes("\u0000tim\u0000pw"));
    expectSaslError(() => mechanism!.respond(bytes("x")), "wrong-state");
    expectSaslError(() => mechanism!.decide({ type: "secret", secret: "x" }), "decision-mismatch");
    expectSaslError(() => mechanism!.decide({ type: "reject", situation: "Ok" as never }), "decision-mismatch");
    expect(mechanism!.decide({ type: "accept" }).type).toBe("success");
    expectSaslError(() => mechanism!.decide({ type: "accept" }), "wrong-state");
    expectSaslError(() => mechanism!.respond(bytes("x")), "wrong-state");

    const scram = server.start("SCRAM-SHA-256", { tls: true, nonce: "serverNonce0123456789", initialResponse: bytes("n,,n=user,r=abcdefgh") }).mechanism!;
    expectSaslError(
      () => scram.decide({ type: "scram-verifier", verifier: { salt: new Uint8Array(16), iterations: 4096, storedKey: new Uint8Array(20), serverKey: new Uint8Array(32) } }),
      "decision-mismatch",
    );
  });

  it("accepting a token without a user name needs an identity", () => {
    const server = createSaslServer({ mechanisms: ["OAUTHBEARER"] });
    const { mechanism } = server.start("OAUTHBEARER", { tls: true, initialResponse: bytes("n,,\u0001auth=Bearer abc\u0001\u0001") });
    expectSaslError(() => mechanism!.decide({ type: "accept" }), "decision-mismatch");
    const again = server.start("OAUTHBEARER", { tls: true, initialResponse: bytes("n,,\u0001auth=Bearer abc\u0001\u0001") }).mechanism!;
    expect(again.decide({ type: "accept", identity: "tim" })).toMatchObject({ type: "success", authenticationIdentity: "tim", authorizationIdentity: "tim" });
  });
});

describe("OAuth message syntax", () => {
  const server = createSaslServer({ mechanisms: ["OAUTHBEARER", "XOAUTH2"] });
  const step = (name: string, message: string): SaslServerStep => server.start(name, { tls: true, initialResponse: bytes(message) }).step;

  it.each([
    ["channel binding (p=)", "p=tls-exporter,,\u0001auth=Bearer abc\u0001\u0001"],
    ["no auth", "n,,\u0001host=x\u0001\u0001"],
    ["a non-Bearer scheme", "n,,\u0001auth=Basic abc\u0001\u0001"],
    ["a token with spaces", "n,,\u0001auth=Bearer a b\u0001\u0001"],
    ["a duplicate key", "n,,\u0001auth=Bearer abc\u0001auth=Bearer abc\u0001\u0001"],
    ["a port out of range", "n,,\u0001port=70000\u0001auth=Bearer abc\u0001\u0001"],
    ["a missing final %x01", "n,,\u0001auth=Bearer abc\u0001"],
  ])("OAUTHBEARER refuses %s", (_, message) => {
    expect(step("OAUTHBEARER", message)).toMatchObject({ type: "failure", situation: "AuthResponseInvalid" });
  });

  it("OAUTHBEARER accepts the scheme in any case and several spaces (RFC 6750 §2.1)", () => {
    expect(step("OAUTHBEARER", "n,a=tim,\u0001auth=bEaReR   abc==\u0001\u0001")).toMatchObject({ type: "decision", request: { username: "tim" } });
  });

  it.each([
    ["no user", "auth=Bearer abc\u0001\u0001"],
    ["a control character in the user", "user=t\u0007im\u0001auth=Bearer abc\u0001\u0001"],
    ["no terminator", "user=tim\u0001auth=Bearer abc"],
  ])("XOAUTH2 refuses %s", (_, message) => {
    expect(step("XOAUTH2", message)).toMatchObject({ type: "failure", situation: "AuthResponseInvalid" });
  });
});

describe("injected crypto and names", () => {
  it("the server hashes through the injected SaslCrypto", () => {
    const calls: string[] = [];
    const counting = {
      ...nodeCrypto,
      hmacMd5: (key: Uint8Array, data: Uint8Array) => (calls.push("hmacMd5"), nodeCrypto.hmacMd5(key, data)),
    };
    const server = createSaslServer({ mechanisms: ["CRAM-MD5"], hostname: "mx.example.org", crypto: counting });
    const { mechanism } = server.start("CRAM-MD5", { tls: true, nonce: "serverNonce0123" });
    mechanism!.respond(bytes(`tim ${"0".repeat(32)}`));
    expect(mechanism!.decide({ type: "secret", secret: "x" })).toMatchObject({ type: "failure" });
    expect(calls).toEqual(["hmacMd5"]);
  });

  it("limits default to the documented values", () => {
    expect(resolveSaslLimits()).toEqual({ maxMessageBytes: 9216, minIterations: 4096, maxIterations: 600_000 });
    expect([SCRAM_DEFAULT_MIN_ITERATIONS, SCRAM_DEFAULT_MAX_ITERATIONS]).toEqual([4096, 600_000]);
  });

  it("mechanism names are matched case-insensitively and unknown ones give undefined", () => {
    expect(toSaslMechanismName("Scram-Sha-256-Plus")).toBe("SCRAM-SHA-256-PLUS");
    expect(toSaslMechanismName("SCRAM-SHA-1")).toBeUndefined();
    expect(toSaslMechanismName("x".repeat(10_000))).toBeUndefined();
  });
});
