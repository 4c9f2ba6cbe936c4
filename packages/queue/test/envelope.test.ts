// The envelope handed over by the server, and the retry schedule's arithmetic.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE, envelopeFromSession, QueueUsageError, resolveRetrySchedule, retryDelay } from "@smtpkit/queue";

describe("envelopeFromSession", () => {
  it("keeps the reverse-path, BODY, SMTPUTF8, REQUIRETLS, RET, ENVID and each recipient's NOTIFY and ORCPT", () => {
    const envelope = envelopeFromSession(
      {
        from: { localPart: "alice", domain: "example.com" },
        parameters: { ret: "HDRS", envid: "QQ314159", size: 1234 },
        body: "8BITMIME",
        smtputf8: true,
        requireTls: false,
        recipients: [
          { to: { localPart: "bob", domain: "example.org" }, parameters: { notify: ["SUCCESS", "FAILURE"], orcpt: { addressType: "RFC822", address: "bob@example.org" } } },
          { to: { localPart: '"carol x"', domain: "example.net" }, parameters: {} },
        ],
      },
      "alice",
    );
    expect(envelope).toEqual({
      from: { localPart: "alice", domain: "example.com" },
      recipients: [
        { to: { localPart: "bob", domain: "example.org" }, notify: ["SUCCESS", "FAILURE"], orcpt: { addressType: "RFC822", address: "bob@example.org" } },
        { to: { localPart: '"carol x"', domain: "example.net" } },
      ],
      body: "8BITMIME",
      smtputf8: true,
      requireTls: false,
      ret: "HDRS",
      envid: "QQ314159",
      authenticatedAs: "alice",
    });
  });

  it("a null reverse-path stays null (a bounce)", () => {
    expect(envelopeFromSession({ from: null, parameters: {}, body: "7BIT", smtputf8: false, requireTls: false, recipients: [] }).from).toBeNull();
  });
});

describe("retry schedule", () => {
  it("waits delays[n-1] after the n-th failure and repeats the last value", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 50 }), (delays, attempts) => {
        const schedule = resolveRetrySchedule({ delays });
        expect(retryDelay(schedule, attempts)).toBe(delays[Math.min(attempts, delays.length) - 1]);
      }),
    );
  });

  it("the default follows RFC 5321 §4.5.4.1: at least 30 minutes first, give-up within 4-5 days", () => {
    expect(DEFAULT_RETRY_SCHEDULE.delays[0]).toBeGreaterThanOrEqual(30 * 60_000);
    expect(DEFAULT_RETRY_SCHEDULE.giveUpAfter).toBeGreaterThanOrEqual(4 * 86_400_000);
    expect(DEFAULT_RETRY_SCHEDULE.giveUpAfter).toBeLessThanOrEqual(5 * 86_400_000);
    expect([...DEFAULT_RETRY_SCHEDULE.delays]).toEqual([...DEFAULT_RETRY_SCHEDULE.delays].sort((left, right) => left - right));
  });

  it("refuses an empty list, negative, fractional or non-numeric waits", () => {
    for (const schedule of [{ delays: [] }, { delays: [-1] }, { delays: [1.5] }, { giveUpAfter: Number.NaN }, { delayWarningAfter: -5 }]) {
      expect(() => resolveRetrySchedule(schedule)).toThrow(QueueUsageError);
    }
    expect(resolveRetrySchedule({ delayWarningAfter: null }).delayWarningAfter).toBeNull();
  });
});
