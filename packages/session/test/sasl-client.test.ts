// The SASL client: choosing a mechanism, creating one, and its state rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chooseMechanism,
  createSaslClient,
  isPlaintextMechanism,
  SaslError,
  saslMechanismNames,
  type SaslChooseOptions,
  type SaslMechanismName,
} from "@smtpkit/session";
import { bytes } from "./sasl/exchange.js";

const password = { username: "tim", password: "tanstaaftanstaaf" };
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

describe("chooseMechanism", () => {
  const everything = [...saslMechanismNames];

  it.each<[string, readonly string[], SaslChooseOptions, unknown]>([
    ["-PLUS with channel binding", everything, { credentials: password, tls: true, channelBinding: binding }, "SCRAM-SHA-256-PLUS"],
    ["SCRAM without channel binding", everything, { credentials: password, tls: true }, "SCRAM-SHA-256"],
    ["OAUTHBEARER with only a token", everything, { credentials: { username: "tim", token: "abc" }, tls: true }, "OAUTHBEARER"],
    ["XOAUTH2 when OAUTHBEARER is not offered", ["XOAUTH2", "PLAIN"], { credentials: { username: "tim", token: "abc" }, tls: true }, "XOAUTH2"],
    ["PLAIN over CRAM-MD5 unless CRAM-MD5 is allowed", ["CRAM-MD5", "PLAIN", "LOGIN"], { credentials: password, tls: true }, "PLAIN"],
    ["CRAM-MD5 when allowed", ["CRAM-MD5", "PLAIN"], { credentials: password, tls: true, allowCramMd5: true }, "CRAM-MD5"],
    ["PLAIN over LOGIN", ["LOGIN", "PLAIN"], { credentials: password, tls: true }, "PLAIN"],
    ["LOGIN last", ["LOGIN"], { credentials: password, tls: true }, "LOGIN"],
    ["offered names in any case", ["scram-sha-256", "plain"], { credentials: password, tls: true }, "SCRAM-SHA-256"],
    ["SCRAM without TLS (no clear-text credential)", ["PLAIN", "SCRAM-SHA-256"], { credentials: password, tls: false }, "SCRAM-SHA-256"],
    ["PLAIN without TLS when explicitly allowed", ["PLAIN"], { credentials: password, tls: false, allowPlaintextWithoutTls: true }, "PLAIN"],
    ["within the embedder's allow list", everything, { credentials: password, tls: true, mechanisms: ["PLAIN"] }, "PLAIN"],
  ])("prefers %s", (_, offered, options, expected) => {
    expect(chooseMechanism(offered, options)).toMatchObject({ type: "chosen", mechanism: expected });
  });

  it("says when to hand the channel binding to the mechanism (RFC 5802 §6)", () => {
    const options = { credentials: password, tls: true, channelBinding: binding };
    expect(chooseMechanism(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], options)).toEqual({ type: "chosen", mechanism: "SCRAM-SHA-256-PLUS", channelBinding: binding });
    // -PLUS not offered: bind "y", so a server that does offer it detects the stripping.
    expect(chooseMechanism(["SCRAM-SHA-256"], options)).toEqual({ type: "chosen", mechanism: "SCRAM-SHA-256", channelBinding: binding });
    // -PLUS offered but not allowed here: "n", or the honest server would see a downgrade.
    expect(chooseMechanism(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], { ...options, mechanisms: ["SCRAM-SHA-256"] })).toEqual({
      type: "chosen",
      mechanism: "SCRAM-SHA-256",
      channelBinding: undefined,
    });
    expect(chooseMechanism(["PLAIN"], options)).toEqual({ type: "chosen", mechanism: "PLAIN", channelBinding: undefined });
  });

  it.each<[string, readonly string[], SaslChooseOptions, string]>([
    ["PLAIN/LOGIN without TLS", ["PLAIN", "LOGIN"], { credentials: password, tls: false }, "needs-tls"],
    ["a token without TLS", ["XOAUTH2"], { credentials: { username: "tim", token: "abc" }, tls: false }, "needs-tls"],
    ["CRAM-MD5 when not allowed", ["CRAM-MD5"], { credentials: password, tls: true }, "no-common-mechanism"],
    ["a password for token-only servers", ["XOAUTH2", "OAUTHBEARER"], { credentials: password, tls: true }, "no-common-mechanism"],
    ["unknown mechanisms", ["GSSAPI", "NTLM"], { credentials: password, tls: true }, "no-common-mechanism"],
    ["-PLUS only, without channel binding", ["SCRAM-SHA-256-PLUS"], { credentials: password, tls: true }, "no-common-mechanism"],
  ])("refuses %s", (_, offered, options, reason) => {
    expect(chooseMechanism(offered, options)).toEqual({ type: "none", reason });
  });

  it("law: it picks an offered, allowed mechanism; none stronger was usable; never clear text without TLS unless allowed", () => {
    const names = fc.constantFrom<string>(...saslMechanismNames, "GSSAPI", "plain", "");
    fc.assert(
      fc.property(
        fc.array(names, { maxLength: 10 }),
        fc.record({
          tls: fc.boolean(),
          allowPlaintextWithoutTls: fc.boolean(),
          allowCramMd5: fc.boolean(),
          hasPassword: fc.boolean(),
          hasToken: fc.boolean(),
          hasBinding: fc.boolean(),
          allowed: fc.subarray([...saslMechanismNames]),
        }),
        (offered, flags) => {
          const options: SaslChooseOptions = {
            credentials: { username: "tim", ...(flags.hasPassword ? { password: "pw" } : {}), ...(flags.hasToken ? { token: "tok" } : {}) },
            tls: flags.tls,
            allowPlaintextWithoutTls: flags.allowPlaintextWithoutTls,
            allowCramMd5: flags.allowCramMd5,
            mechanisms: flags.allowed,
            ...(flags.hasBinding ? { channelBinding: binding } : {}),
          };
          const usable = (name: SaslMechanismName) =>
            offered.some((entry) => entry.toUpperCase() === name) &&
            flags.allowed.includes(name) &&
            (name === "SCRAM-SHA-256-PLUS"
              ? flags.hasPassword && flags.hasBinding
              : name === "OAUTHBEARER" || name === "XOAUTH2"
                ? flags.hasToken
                : name === "CRAM-MD5"
                  ? flags.hasPassword && flags.allowCramMd5
                  : flags.hasPassword) &&
            (flags.tls || flags.allowPlaintextWithoutTls || !isPlaintextMechanism(name));
          const choice = chooseMechanism(offered, options);
          const expected = saslMechanismNames.find(usable);
          if (expected === undefined) expect(choice.type).toBe("none");
          else expect(choice).toMatchObject({ type: "chosen", mechanism: expected });
          if (choice.type === "chosen" && isPlaintextMechanism(choice.mechanism)) expect(flags.tls || flags.allowPlaintextWithoutTls).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("createSaslClient misuse throws SaslError", () => {
  it.each<[string, () => unknown, string]>([
    ["an unknown mechanism", () => createSaslClient("GSSAPI", { credentials: password }), "invalid-option"],
    ["no password", () => createSaslClient("PLAIN", { credentials: { username: "tim" } }), "invalid-credential"],
    ["an empty password", () => createSaslClient("LOGIN", { credentials: { username: "tim", password: "" } }), "invalid-credential"],
    ["a NUL in the password", () => createSaslClient("PLAIN", { credentials: { username: "tim", password: "a\u0000b" } }), "invalid-credential"],
    ["a control character in the user name", () => createSaslClient("PLAIN", { credentials: { username: "t\nim", password: "pw" } }), "invalid-credential"],
    ["an empty user name", () => createSaslClient("CRAM-MD5", { credentials: { username: "", password: "pw" } }), "invalid-credential"],
    ["a bad authorization identity", () => createSaslClient("PLAIN", { credentials: { ...password, authorizationIdentity: "a\u0000" } }), "invalid-credential"],
    ["SCRAM without a nonce", () => createSaslClient("SCRAM-SHA-256", { credentials: password }), "invalid-option"],
    ["SCRAM with a short nonce", () => createSaslClient("SCRAM-SHA-256", { credentials: password, nonce: "abc" }), "invalid-option"],
    ["SCRAM with a comma in the nonce", () => createSaslClient("SCRAM-SHA-256", { credentials: password, nonce: "abcd,efgh" }), "invalid-option"],
    ["-PLUS without channel binding", () => createSaslClient("SCRAM-SHA-256-PLUS", { credentials: password, nonce: "abcdefgh" }), "invalid-option"],
    ["a password SASLprep refuses", () => createSaslClient("SCRAM-SHA-256", { credentials: { username: "tim", password: "a\u0007" }, nonce: "abcdefgh" }), "invalid-credential"],
    ["a user name SASLprep refuses", () => createSaslClient("SCRAM-SHA-256", { credentials: { username: "\u0627a", password: "pw" }, nonce: "abcdefgh" }), "invalid-credential"],
    ["a token that is not a b64token", () => createSaslClient("OAUTHBEARER", { credentials: { username: "tim", token: "a b" } }), "invalid-credential"],
    ["a bad port", () => createSaslClient("OAUTHBEARER", { credentials: { username: "tim", token: "abc" }, port: 0 }), "invalid-option"],
    ["a bad host", () => createSaslClient("OAUTHBEARER", { credentials: { username: "tim", token: "abc" }, host: "a\u0001b" }), "invalid-option"],
    ["a bad limit", () => createSaslClient("PLAIN", { credentials: password, limits: { minIterations: 0 } }), "invalid-limit"],
  ])("%s", (_, action, reason) => {
    expectSaslError(action, reason);
  });
});

describe("client states", () => {
  it("start once, respond while in progress, no input after the end", () => {
    const client = createSaslClient("PLAIN", { credentials: password });
    expectSaslError(() => client.respond(new Uint8Array(0)), "wrong-state");
    expectSaslError(() => client.succeeded(), "wrong-state");
    expect(client.start().type).toBe("response");
    expectSaslError(() => client.start(), "wrong-state");
    expect(client.succeeded()).toEqual({ type: "success", mechanism: "PLAIN" });
    expect(client.toJSON()).toEqual({ mechanism: "PLAIN", state: "succeeded" });
    expectSaslError(() => client.respond(new Uint8Array(0)), "wrong-state");
  });

  it("PLAIN without an initial response answers the empty challenge, and refuses a second one", () => {
    const client = createSaslClient("PLAIN", { credentials: password });
    expect(client.start({ initialResponse: false })).toEqual({ type: "wait", mechanism: "PLAIN" });
    expect(client.respond(new Uint8Array(0)).type).toBe("response");
    expect(client.respond(new Uint8Array(0))).toMatchObject({ type: "failure", reason: "unexpected-challenge" });
    expect(client.state).toBe("failed");
  });

  it("LOGIN refuses a third challenge; CRAM-MD5 an empty or second one", () => {
    const login = createSaslClient("LOGIN", { credentials: password });
    login.start();
    login.respond(bytes("Username:"));
    login.respond(bytes("Password:"));
    expect(login.respond(bytes("Again:"))).toMatchObject({ reason: "unexpected-challenge" });
    const cram = createSaslClient("CRAM-MD5", { credentials: password });
    cram.start();
    expect(cram.respond(new Uint8Array(0))).toMatchObject({ reason: "malformed-challenge" });
  });

  it("a challenge over the size limit fails", () => {
    const client = createSaslClient("CRAM-MD5", { credentials: password, limits: { maxMessageBytes: 10 } });
    client.start();
    expect(client.respond(new Uint8Array(11))).toMatchObject({ type: "failure", reason: "message-too-large" });
  });

  it("OAuth clients refuse a challenge that is not error JSON", () => {
    const client = createSaslClient("XOAUTH2", { credentials: { username: "tim", token: "abc" } });
    client.start();
    expect(client.respond(bytes("not json"))).toMatchObject({ type: "failure", reason: "malformed-challenge" });
  });
});
