// Deadlines from time inputs (RFC 5321 §4.5.3.2, Postfix's minimum data
// rate) and the validation of every option.
import {
  createServerSession,
  SERVER_DEFAULT_COMMAND_TIMEOUT,
  SERVER_DEFAULT_DATA_TIMEOUT,
  SERVER_DEFAULT_MIN_DATA_RATE,
  ServerSessionError,
  type ServerSessionConfig,
} from "@smtpkit/session";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Harness } from "./server-harness.js";

describe("deadlines", () => {
  it("a command must arrive within the command timeout; an unfinished line does not extend it", () => {
    const h = new Harness().connect();
    const start = h.now;
    expect(h.session.deadline()).toBe(start + SERVER_DEFAULT_COMMAND_TIMEOUT);
    h.now += 60_000;
    h.send("EH");
    h.now += 60_000;
    h.send("L");
    expect(h.session.deadline()).toBe(start + SERVER_DEFAULT_COMMAND_TIMEOUT);
    h.tick(start + SERVER_DEFAULT_COMMAND_TIMEOUT - 1);
    expect(h.closed).toBe(false);
    h.tick(start + SERVER_DEFAULT_COMMAND_TIMEOUT);
    expect(h.replies.at(-1)).toMatchObject({ code: 421, enhanced: "4.4.2", text: "mx.example.com Timeout exceeded, closing transmission channel" });
    expect(h.closed).toBe(true);
    expect(h.eventsOf("session-closed")[0]!.reason).toBe("timeout");
  });

  it("the clock restarts when the reply to a command is out", () => {
    const h = new Harness().connect();
    h.now += 100_000;
    h.send("EHLO c.example\r\n");
    expect(h.session.deadline()).toBe(h.now + SERVER_DEFAULT_COMMAND_TIMEOUT);
  });

  it("no deadline while the embedder decides", () => {
    const h = new Harness({}, (event) => (event.type === "mail-requested" ? undefined : { type: "accept" })).connect().send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\n");
    expect(h.session.deadline()).toBeUndefined();
    h.tick(h.now + 10 * SERVER_DEFAULT_COMMAND_TIMEOUT);
    expect(h.closed).toBe(false);
  });

  it("DATA: base time plus the bytes received at the minimum rate; trickled bytes cannot hold the connection (law)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 30 }), fc.integer({ min: 1, max: 120_000 }), (sizes, gap) => {
        const h = new Harness({ limits: { maxMessageSize: 1 << 30 } })
          .connect()
          .send("EHLO c.example\r\n")
          .send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
        const start = h.now;
        let received = 0;
        for (const size of sizes) {
          if (h.closed) break;
          h.now += gap;
          h.session.tick(h.now);
          h.drain();
          if (h.closed) break;
          h.send("x".repeat(size));
          received += size;
          const expected = start + SERVER_DEFAULT_DATA_TIMEOUT + Math.floor((received * 1000) / SERVER_DEFAULT_MIN_DATA_RATE);
          expect(h.session.deadline()).toBe(expected);
        }
        // Whatever the pattern, the deadline never passes the base time plus what the bytes bought.
        if (!h.closed) expect(h.session.deadline()!).toBeLessThanOrEqual(start + SERVER_DEFAULT_DATA_TIMEOUT + received * 2);
      }),
      { numRuns: 100 },
    );
  });

  it("a timeout in the middle of DATA aborts the message", () => {
    const h = new Harness().connect().send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n").send("partial");
    h.tick(h.session.deadline()!);
    expect(h.eventsOf("message-aborted").map((event) => event.reason)).toEqual(["closed"]);
    expect(h.codes().at(-1)).toBe(421);
  });

  it("a clock that steps back does not move the deadline", () => {
    const h = new Harness().connect();
    const deadline = h.session.deadline();
    h.session.tick(0);
    expect(h.session.deadline()).toBe(deadline);
  });
});

describe("options are validated (a bad value never switches a protection off)", () => {
  const invalid: [string, Partial<ServerSessionConfig>][] = [
    ["empty hostname", { hostname: "" }],
    ["hostname with a space", { hostname: "mx example" }],
    ["hostname with CRLF", { hostname: "mx\r\n250 x" }],
    ["zero recipients", { limits: { maxRecipients: 0 } }],
    ["zero junk commands", { limits: { maxJunkCommands: 0 } }],
    ["negative size", { limits: { maxMessageSize: -1 } }],
    ["fractional errors", { limits: { maxErrors: 1.5 } }],
    ["NaN timeout", { timeouts: { command: Number.NaN } }],
    ["infinite data rate", { timeouts: { minDataRate: Number.POSITIVE_INFINITY } }],
    ["line length under RFC 5321's floor", { limits: { maxLineLength: 100 } }],
    ["AUTH line under RFC 4954's floor", { limits: { maxAuthLineLength: 1000 } }],
    ["string where a boolean goes", { lmtp: "yes" as unknown as boolean }],
    ["unknown bare line ending policy", { policy: { bareLineEnding: "accept" as "reject" } }],
    ["unknown VRFY policy", { policy: { vrfy: "verify" as "disabled" } }],
    ["non-boolean leniency", { syntax: { strict: 1 as unknown as boolean } }],
    ["zero path length", { syntax: { maxPathLength: 0 } }],
    ["unknown syntax option", { syntax: { extensions: {} } as never }],
    ["BINARYMIME without CHUNKING", { extensions: { binaryMime: true, chunking: false } }],
    ["requireTls without TLS", { policy: { requireTls: true } }],
    ["authRequired without AUTH", { policy: { authRequired: true } }],
    ["SCRAM without a nonce source", { auth: { sasl: { mechanisms: ["SCRAM-SHA-256"] } } }],
    ["unknown mechanism", { auth: { sasl: { mechanisms: ["GSSAPI" as "PLAIN"] } } }],
  ];
  for (const [name, config] of invalid) {
    it(`throws ServerSessionError for ${name}`, () => {
      let caught: unknown;
      try {
        createServerSession({ hostname: "mx.example.com", ...config });
      } catch (error) {
        caught = error;
      }
      expect(ServerSessionError.isInstance(caught)).toBe(true);
      expect((caught as ServerSessionError).reason).toBe("invalid-option");
    });
  }

  it("accepts a full, valid configuration", () => {
    expect(() =>
      createServerSession({
        hostname: "[192.0.2.1]",
        lmtp: false,
        extensions: { pipelining: true, size: true, eightBitMime: true, smtpUtf8: true, chunking: true, binaryMime: true, dsn: true, enhancedStatusCodes: false, requireTls: true },
        tls: { starttls: true },
        auth: { sasl: { mechanisms: ["SCRAM-SHA-256", "PLAIN"] }, nonce: () => "abcdefghijkl" },
        policy: { requireTls: true, authRequired: true, forbidUnauthorizedPipelining: false, bareLineEnding: "normalize", rejectNul: true },
        limits: { maxMessageSize: 1, maxRecipients: 1, maxErrors: 1, maxAuthFailures: 1, maxLineLength: 510, maxAuthLineLength: 12286, maxHeldBytes: 20000 },
        timeouts: { command: 1, data: 1, minDataRate: 1 },
        syntax: { strict: true, bareLineFeed: true, maxPathLength: 512, maxLocalPartLength: 128 },
      }),
    ).not.toThrow();
  });

  it("without ENHANCEDSTATUSCODES, replies carry no enhanced codes", () => {
    const h = new Harness({ extensions: { enhancedStatusCodes: false } }).connect().send("EHLO c.example\r\n").send("RCPT TO:<a@b.example>\r\n");
    expect(h.wire.endsWith("503 Need MAIL command first\r\n")).toBe(true);
  });

  it("snapshots are plain data", () => {
    const h = new Harness().connect().send("EHLO c.example\r\n").send("MAIL FROM:<a@example.com>\r\n");
    const snapshot = h.session.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toMatchObject({ state: "mail", hello: { verb: "EHLO", domain: "c.example" }, errors: 0, pendingReplies: 0 });
  });
});
