// prepareServerSessionConfig: options checked once for many sessions. A prepared configuration
// must behave exactly like the options it came from, fail where they fail, be immune to later
// changes of the options object, and be impossible to forge; the canonical replies its sessions
// share must reach each embedder as bytes of its own.
import fc from "fast-check";
import { createServerSession, prepareServerSessionConfig, ServerSessionError, type ServerSession, type ServerSessionConfig } from "@smtpkit/session";
import { describe, expect, it } from "vitest";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs a scripted conversation, accepting every question; returns the wire text and the output kinds. */
function converse(session: ServerSession, script: readonly string[]): { wire: string; kinds: string[]; writes: Uint8Array[] } {
  let wire = "";
  const kinds: string[] = [];
  const writes: Uint8Array[] = [];
  const drain = (): void => {
    for (;;) {
      const output = session.nextOutput();
      if (output === undefined) return;
      kinds.push(output.type === "event" ? output.event.type : output.type);
      if (output.type === "write") {
        wire += decoder.decode(output.bytes);
        writes.push(output.bytes);
      }
      if (output.type === "event" && "requestId" in output.event && output.event.type !== "auth-requested") session.decide(output.event.requestId, { type: "accept" });
    }
  };
  session.connect({ remoteAddress: "192.0.2.1" }, 1000);
  drain();
  for (const line of script) {
    session.receive(encoder.encode(line), 1000);
    drain();
  }
  return { wire, kinds, writes };
}

const lines = ["EHLO c.example\r\n", "HELO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n", "RCPT TO:<>\r\n", "DATA\r\n", "Subject: x\r\n\r\nhi\r\n.\r\n", "BDAT 4 LAST\r\nhi\r\n", "RSET\r\n", "NOOP\r\n", "VRFY x\r\n", "XYZZY\r\n", "MAIL FROM:<bad\r\n", "AUTH PLAIN\r\n", "STARTTLS\r\n", "LHLO c.example\r\n", "QUIT\r\n"];

const configs = fc.record({
  hostname: fc.constantFrom("mx.example.com", "[192.0.2.7]", "a.b"),
  lmtp: fc.boolean(),
  extensions: fc.record({ enhancedStatusCodes: fc.boolean(), chunking: fc.boolean(), pipelining: fc.boolean() }),
  tls: fc.record({ starttls: fc.boolean() }),
  limits: fc.record({ maxErrors: fc.integer({ min: 1, max: 5 }), maxRecipients: fc.integer({ min: 1, max: 3 }) }),
}) as fc.Arbitrary<ServerSessionConfig>;

describe("prepareServerSessionConfig", () => {
  it("sessions of a prepared configuration write and report exactly what sessions of the options do, again and again", () => {
    fc.assert(
      fc.property(configs, fc.array(fc.constantFrom(...lines), { maxLength: 12 }), (config, script) => {
        const prepared = prepareServerSessionConfig(config);
        const expected = converse(createServerSession(config), script);
        for (let round = 0; round < 3; round += 1) {
          const got = converse(createServerSession(prepared), script);
          expect(got.wire).toBe(expected.wire);
          expect(got.kinds).toEqual(expected.kinds);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("throws the typed error the options would, at once", () => {
    for (const bad of [{ hostname: "" }, { hostname: "mx.example.com", limits: { maxLineLength: 100 } }, { hostname: "mx.example.com", policy: { authRequired: true } }, null]) {
      expect(() => createServerSession(bad as ServerSessionConfig)).toThrow(ServerSessionError);
      expect(() => prepareServerSessionConfig(bad as ServerSessionConfig)).toThrow(ServerSessionError);
    }
  });

  it("reads the options once: changing the object later changes no prepared session", () => {
    const options = { hostname: "mx.example.com", limits: { maxRecipients: 1 } };
    const prepared = prepareServerSessionConfig(options);
    options.hostname = "changed.example";
    options.limits.maxRecipients = 50;
    const { wire } = converse(createServerSession(prepared), ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n", "RCPT TO:<c@example.org>\r\n"]);
    expect(wire).toContain("220 mx.example.com ");
    expect(wire).not.toContain("changed.example");
    expect(wire.split("\r\n").at(-2)).toMatch(/^452 /);
  });

  it("cannot be forged: an object that only looks prepared is read as options (and refused)", () => {
    const prepared = prepareServerSessionConfig({ hostname: "mx.example.com" });
    expect(Object.isFrozen(prepared)).toBe(true);
    expect(() => createServerSession({ ...prepared } as never)).toThrow(ServerSessionError);
    expect(() => createServerSession({ type: "prepared-server-session-config" } as never)).toThrow(ServerSessionError);
  });

  it("every write is the embedder's own: overwriting one changes no later reply of any session", () => {
    const prepared = prepareServerSessionConfig({ hostname: "mx.example.com" });
    const script = ["EHLO c.example\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.org>\r\n", "NOOP\r\n", "QUIT\r\n"];
    const first = converse(createServerSession(prepared), script);
    for (const bytes of first.writes) bytes.fill(0x21);
    expect(first.wire).toMatch(/^220 mx\.example\.com /);
    expect(converse(createServerSession(prepared), script).wire).toBe(first.wire);
  });

  it("the EHLO answer made once per configuration and TLS state follows each session's own state: plain, after STARTTLS, with a channel binding", () => {
    const prepared = prepareServerSessionConfig({
      hostname: "mx.example.com",
      tls: { starttls: true },
      policy: { allowAuthWithoutTls: false },
      auth: { sasl: { mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"] }, nonce: () => "serverNonce0123456789" },
    });
    const ehlo = (setup: (session: ServerSession) => void): string => {
      const session = createServerSession(prepared);
      setup(session);
      session.receive(encoder.encode("EHLO c.example\r\n"), 1000);
      let wire = "";
      for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) if (output.type === "write") wire = decoder.decode(output.bytes);
      return wire;
    };
    const plain = (session: ServerSession): void => {
      session.connect({ remoteAddress: "192.0.2.1" }, 1000);
      for (const output of session.takeOutputs()) if (output.type === "event" && output.event.type === "connection-requested") session.decide(output.event.requestId, { type: "accept" });
    };
    const startTls = (session: ServerSession): void => {
      plain(session);
      session.takeOutputs();
      session.receive(encoder.encode("EHLO c.example\r\n"), 1000);
      session.receive(encoder.encode("STARTTLS\r\n"), 1000);
      session.takeOutputs();
      session.tlsEstablished({}, 1000);
    };
    const bound = (session: ServerSession): void => {
      plain(session);
      session.takeOutputs();
      session.receive(encoder.encode("EHLO c.example\r\n"), 1000);
      session.receive(encoder.encode("STARTTLS\r\n"), 1000);
      session.takeOutputs();
      session.tlsEstablished({ channelBinding: { type: "tls-exporter", data: new Uint8Array(32).fill(7) } }, 1000);
    };
    for (let round = 0; round < 2; round += 1) {
      const before = ehlo(plain);
      expect(before).toMatch(/^250[- ]STARTTLS\r$/m);
      expect(before).not.toContain("AUTH");
      const after = ehlo(startTls);
      expect(after).not.toContain("STARTTLS");
      expect(after).toMatch(/^250[- ]AUTH SCRAM-SHA-256 PLAIN\r$/m);
      const withBinding = ehlo(bound);
      expect(withBinding).toMatch(/^250[- ]AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN\r$/m);
    }
  });
});
