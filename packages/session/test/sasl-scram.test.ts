// SCRAM's channel binding rules (RFC 5802 §6, RFC 9266, RFC 5929), the
// downgrade-attack rule, nonces, iteration limits and malformed messages.
import { describe, expect, it } from "vitest";
import {
  chooseMechanism,
  createSaslClient,
  createSaslServer,
  createScramVerifier,
  type SaslChannelBinding,
  type SaslServerStep,
} from "@smtpkit/session";
import { decider, nodeCrypto } from "./sasl/directory.js";
import { base64, bytes, exchange, text } from "./sasl/exchange.js";

const exporter: SaslChannelBinding = { type: "tls-exporter", data: new Uint8Array(32).fill(1) };
const endPoint: SaslChannelBinding = { type: "tls-server-end-point", data: new Uint8Array(32).fill(2) };
const decide = decider({ passwords: new Map([["user", "pencil"]]) });
const credentials = { username: "user", password: "pencil" };

function run(options: {
  mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS";
  serverMechanisms: ("SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS")[];
  serverBinding?: SaslChannelBinding;
  clientBinding?: SaslChannelBinding;
}) {
  return exchange({
    mechanism: options.mechanism,
    server: { mechanisms: options.serverMechanisms },
    attempt: { tls: true, nonce: "serverNonce0123456789", ...(options.serverBinding ? { channelBinding: options.serverBinding } : {}) },
    client: { credentials, nonce: "clientNonce0123456789", crypto: nodeCrypto, ...(options.clientBinding ? { channelBinding: options.clientBinding } : {}) },
    decide,
  });
}

describe("SCRAM-SHA-256-PLUS channel binding", () => {
  it.each([exporter, endPoint])("binds to $type when both sides see the same channel", (binding) => {
    const result = run({ mechanism: "SCRAM-SHA-256-PLUS", serverMechanisms: ["SCRAM-SHA-256-PLUS"], serverBinding: binding, clientBinding: binding });
    expect(result.authenticated).toBe(true);
    const clientFirst = result.steps[0]!;
    expect(clientFirst.type === "response" && text(clientFirst.response.reveal())).toMatch(new RegExp(`^p=${binding.type},,n=user,r=`));
  });

  it("fails when a man in the middle terminates TLS (the channels differ), even with the right password", () => {
    const result = run({
      mechanism: "SCRAM-SHA-256-PLUS",
      serverMechanisms: ["SCRAM-SHA-256-PLUS"],
      serverBinding: exporter,
      clientBinding: { type: "tls-exporter", data: new Uint8Array(32).fill(9) },
    });
    expect(result.authenticated).toBe(false);
    expect(result.server).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials", reason: "channel-binding-mismatch" });
  });

  it("fails when the client binds with a type the server does not use", () => {
    const result = run({ mechanism: "SCRAM-SHA-256-PLUS", serverMechanisms: ["SCRAM-SHA-256-PLUS"], serverBinding: exporter, clientBinding: endPoint });
    expect(result.server).toMatchObject({ type: "failure", reason: "channel-binding-mismatch" });
  });

  it("is not offered or started without channel binding data", () => {
    const server = createSaslServer({ mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] });
    expect(server.offered({ tls: true })).toEqual(["SCRAM-SHA-256"]);
    expect(server.offered({ tls: true, channelBinding: exporter })).toEqual(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]);
    expect(server.start("SCRAM-SHA-256-PLUS", { tls: true, nonce: "serverNonce0123456789" })).toMatchObject({
      mechanism: undefined,
      step: { type: "failure", situation: "AuthMechanismUnsupported", reason: "channel-binding-unavailable" },
    });
  });
});

describe("RFC 5802 §6: the GS2 channel binding flag", () => {
  it("'y' to a server that offers -PLUS is a downgrade attack: fail", () => {
    // The client can bind, but an attacker removed -PLUS from the EHLO reply.
    const result = run({ mechanism: "SCRAM-SHA-256", serverMechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], serverBinding: exporter, clientBinding: exporter });
    expect(result.steps[0]!.type === "response" && text((result.steps[0] as { response: { reveal(): Uint8Array } }).response.reveal())).toMatch(/^y,,/);
    expect(result.server).toMatchObject({ type: "failure", situation: "AuthInvalidCredentials", reason: "channel-binding-downgrade" });
  });

  it("'y' to a server that does not offer -PLUS is fine", () => {
    const result = run({ mechanism: "SCRAM-SHA-256", serverMechanisms: ["SCRAM-SHA-256"], serverBinding: exporter, clientBinding: exporter });
    expect(result.authenticated).toBe(true);
  });

  it("'n' (the client cannot bind) to a server that offers -PLUS is fine", () => {
    const result = run({ mechanism: "SCRAM-SHA-256", serverMechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], serverBinding: exporter });
    expect(result.authenticated).toBe(true);
  });

  function startWith(mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS", clientFirst: string): SaslServerStep {
    const server = createSaslServer({ mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] });
    return server.start(mechanism, { tls: true, channelBinding: exporter, nonce: "serverNonce0123456789", initialResponse: bytes(clientFirst) }).step;
  }

  it("'p=' with the plain mechanism fails", () => {
    expect(startWith("SCRAM-SHA-256", "p=tls-exporter,,n=user,r=abcdefgh")).toMatchObject({ type: "failure", reason: "channel-binding-mismatch" });
  });

  it.each(["n", "y"])("'%s' with -PLUS fails", (flag) => {
    expect(startWith("SCRAM-SHA-256-PLUS", `${flag},,n=user,r=abcdefgh`)).toMatchObject({ type: "failure", reason: "channel-binding-mismatch" });
  });

  it("a client-final 'c=' that does not repeat the GS2 header fails", () => {
    const server = createSaslServer({ mechanisms: ["SCRAM-SHA-256"] });
    const { mechanism } = server.start("SCRAM-SHA-256", { tls: true, nonce: "serverNonce0123456789", initialResponse: bytes("n,,n=user,r=clientNonce") });
    mechanism!.decide(decide({ type: "lookup-scram-verifier", mechanism: "SCRAM-SHA-256", username: "user" }));
    // "eSws" is base64("y,,"): the flag was changed after the first message.
    const step = mechanism!.respond(bytes(`c=eSws,r=clientNonceserverNonce0123456789,p=${base64(new Uint8Array(32))}`));
    expect(step).toMatchObject({ type: "failure", reason: "channel-binding-mismatch" });
  });
});

describe("SCRAM messages", () => {
  const server = () => createSaslServer({ mechanisms: ["SCRAM-SHA-256"] });
  const start = (clientFirst: string) =>
    server().start("SCRAM-SHA-256", { tls: true, nonce: "serverNonce0123456789", initialResponse: bytes(clientFirst) });

  it("unescapes =2C and =3D in user names, and SASLpreps them (RFC 5802 §5.1)", () => {
    expect(start("n,,n=a=2Cb=3Dc,r=abcdefgh").step).toMatchObject({ type: "decision", request: { username: "a,b=c" } });
    expect(start("n,,n=\u2168,r=abcdefgh").step).toMatchObject({ type: "decision", request: { username: "IX" } });
  });

  it.each([
    ["a bad escape", "n,,n=a=2Xb,r=abcdefgh", "malformed-message"],
    ["an empty user name", "n,,n=,r=abcdefgh", "malformed-message"],
    ["a control character in the user name", "n,,n=a\u0007b,r=abcdefgh", "invalid-username"],
    ["a mandatory extension", "n,,m=ext,n=user,r=abcdefgh", "unsupported-extension"],
    ["a nonce with a non-printable character", "n,,n=user,r=abc\u00e9", "malformed-message"],
    ["a missing nonce", "n,,n=user", "malformed-message"],
    ["a bad flag", "x,,n=user,r=abcdefgh", "malformed-message"],
  ])("refuses %s", (_, clientFirst, reason) => {
    expect(start(clientFirst).step).toMatchObject({ type: "failure", situation: "AuthResponseInvalid", reason });
  });

  it("refuses a client-final with another nonce", () => {
    const { mechanism } = start("n,,n=user,r=clientNonce");
    mechanism!.decide(decide({ type: "lookup-scram-verifier", mechanism: "SCRAM-SHA-256", username: "user" }));
    expect(mechanism!.respond(bytes(`c=biws,r=clientNonceOTHER,p=${base64(new Uint8Array(32))}`))).toMatchObject({ reason: "nonce-mismatch" });
  });

  it("refuses a wrong proof with AuthInvalidCredentials", () => {
    const { mechanism } = start("n,,n=user,r=clientNonce");
    mechanism!.decide(decide({ type: "lookup-scram-verifier", mechanism: "SCRAM-SHA-256", username: "user" }));
    expect(mechanism!.respond(bytes(`c=biws,r=clientNonceserverNonce0123456789,p=${base64(new Uint8Array(32))}`))).toMatchObject({
      situation: "AuthInvalidCredentials",
      reason: "invalid-credentials",
    });
  });
});

describe("the SCRAM client checks the server", () => {
  const client = (limits = {}) => {
    const mechanism = createSaslClient("SCRAM-SHA-256", { credentials, nonce: "clientNonce", limits, crypto: nodeCrypto });
    mechanism.start();
    return mechanism;
  };
  const salt = base64(new Uint8Array(16).fill(3));

  it("refuses a server nonce that does not extend its own", () => {
    expect(client().respond(bytes(`r=otherNonce123,s=${salt},i=4096`))).toMatchObject({ type: "failure", reason: "nonce-mismatch" });
    expect(client().respond(bytes(`r=clientNonce,s=${salt},i=4096`))).toMatchObject({ type: "failure", reason: "nonce-mismatch" });
  });

  it("refuses fewer than 4096 iterations (RFC 7677 §4) and more than the configured maximum", () => {
    expect(client().respond(bytes(`r=clientNonceXYZ,s=${salt},i=4095`))).toMatchObject({ reason: "iteration-count-too-low" });
    expect(client().respond(bytes(`r=clientNonceXYZ,s=${salt},i=600001`))).toMatchObject({ reason: "iteration-count-too-high" });
    expect(client().respond(bytes(`r=clientNonceXYZ,s=${salt},i=9999999999`))).toMatchObject({ reason: "iteration-count-too-high" });
    expect(client({ maxIterations: 5000 }).respond(bytes(`r=clientNonceXYZ,s=${salt},i=5001`))).toMatchObject({ reason: "iteration-count-too-high" });
    expect(client({ minIterations: 1 }).respond(bytes(`r=clientNonceXYZ,s=${salt},i=1`))).toMatchObject({ type: "response" });
  });

  it("reports a server error (e=) and a mandatory extension, typed", () => {
    expect(client().respond(bytes("e=other-error"))).toMatchObject({ reason: "server-error", serverError: "other-error" });
    expect(client().respond(bytes(`m=x,r=clientNonceXYZ,s=${salt},i=4096`))).toMatchObject({ reason: "unsupported-extension" });
    const mechanism = client();
    mechanism.respond(bytes(`r=clientNonceXYZ,s=${salt},i=4096`));
    expect(mechanism.respond(bytes("e=invalid-proof"))).toMatchObject({ reason: "server-error", serverError: "invalid-proof" });
  });

  it("refuses a salt that is not canonical base64", () => {
    expect(client().respond(bytes("r=clientNonceXYZ,s=QR==,i=4096"))).toMatchObject({ reason: "malformed-challenge" });
    expect(client().respond(bytes("r=clientNonceXYZ,s=,i=4096"))).toMatchObject({ reason: "malformed-challenge" });
  });
});

describe("SCRAM verifiers", () => {
  it("a stored verifier outside the server's iteration limits is a configuration error", () => {
    const weak = createScramVerifier("pencil", new Uint8Array(16), 1000, nodeCrypto);
    const start = (limits = {}) =>
      createSaslServer({ mechanisms: ["SCRAM-SHA-256"], limits }).start("SCRAM-SHA-256", {
        tls: true,
        nonce: "serverNonce0123456789",
        initialResponse: bytes("n,,n=user,r=abcdefgh"),
      }).mechanism!;
    expect(() => start().decide({ type: "scram-verifier", verifier: weak })).toThrow(/iteration count from 4096/);
    expect(start({ minIterations: 1000 }).decide({ type: "scram-verifier", verifier: weak }).type).toBe("challenge");
  });

  it("are derived after SASLprep, so equivalent passwords give the same verifier", () => {
    const salt = new Uint8Array(16).fill(5);
    expect(createScramVerifier("I\u00ADX", salt, 4096, nodeCrypto)).toEqual(createScramVerifier("IX", salt, 4096, nodeCrypto));
  });

  it("the pure and node:crypto implementations agree", () => {
    const salt = new Uint8Array(16).fill(6);
    expect(createScramVerifier("pencil", salt, 4096)).toEqual(createScramVerifier("pencil", salt, 4096, nodeCrypto));
  });
});

describe("chooseMechanism and the server agree on channel binding", () => {
  it("whatever the server offers and the embedder allows, an honest pair authenticates", () => {
    for (const serverMechanisms of [["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], ["SCRAM-SHA-256"]] as const) {
      for (const allowed of [["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], ["SCRAM-SHA-256"]] as const) {
        const server = createSaslServer({ mechanisms: [...serverMechanisms] });
        const offered = server.offered({ tls: true, channelBinding: exporter });
        const choice = chooseMechanism(offered, { credentials, tls: true, channelBinding: exporter, mechanisms: [...allowed] });
        if (choice.type !== "chosen") throw new Error("expected a mechanism");
        const result = exchange({
          mechanism: choice.mechanism,
          server: { mechanisms: [...serverMechanisms] },
          attempt: { tls: true, channelBinding: exporter, nonce: "serverNonce0123456789" },
          client: { credentials, nonce: "clientNonce0123456789", crypto: nodeCrypto, ...(choice.channelBinding ? { channelBinding: choice.channelBinding } : {}) },
          decide,
        });
        expect(result.authenticated).toBe(true);
      }
    }
  });
});
