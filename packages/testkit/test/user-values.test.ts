// Values a user writes by hand (for `fc.assert(..., { examples })` or the
// assertions' `examples`) must be recognized by the arbitraries and shrink.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapabilitySet, type Reply } from "@smtpkit/grammar";
import {
  capabilitySet,
  ehloResponse,
  envelope,
  forwardPath,
  mimeMessage,
  reply,
  reversePath,
  startTlsInjection,
  type MimeMessage,
} from "@smtpkit/testkit";

function expectShrinks<T>(arbitrary: fc.Arbitrary<T>, value: T): void {
  expect(arbitrary.canShrinkWithoutContext(value)).toBe(true);
  expect([...arbitrary.shrink(value, undefined)].length).toBeGreaterThan(0);
}

describe("hand-written values", () => {
  it("capability sets", () => {
    expectShrinks(capabilitySet(), CapabilitySet.of({ PIPELINING: true, SIZE: ["10485760"], AUTH: ["PLAIN", "LOGIN"], "X-FOO": ["bar"] }));
    expect(capabilitySet().canShrinkWithoutContext(CapabilitySet.of({ BINARYMIME: true }))).toBe(false); // BINARYMIME without CHUNKING is not one it generates
  });

  it("replies and EHLO replies", () => {
    const mine: Reply = { code: 550, enhanced: "5.1.1", lines: ["No such user", "Try again"] };
    expectShrinks(reply(), mine);
    expect(reply().canShrinkWithoutContext({ code: 550, enhanced: "2.0.0", lines: ["x"] })).toBe(false); // classes disagree
    expectShrinks(ehloResponse(), { code: 250, lines: ["mx.example.com Hello", "PIPELINING", "SIZE 1000"] });
  });

  it("paths and envelopes", () => {
    expectShrinks(reversePath(), { localPart: "john.doe", domain: "example.com" });
    expect(reversePath().canShrinkWithoutContext(null)).toBe(true);
    expectShrinks(forwardPath(), { localPart: '"john doe"', domain: "[IPv6:2001:db8::1]" });
    expectShrinks(envelope(), { from: null, recipients: [{ localPart: "a", domain: "example.com" }, { localPart: "Postmaster", domain: "" }] });
  });

  it("MIME trees and STARTTLS injections", () => {
    const tree: MimeMessage = {
      from: "ann@example.com",
      to: ["bob@example.org"],
      subject: "Quarterly figures",
      messageId: "abcd1234@example.com",
      root: {
        kind: "multipart",
        subtype: "mixed",
        boundary: "=_abcdefghijkl",
        parts: [
          { kind: "leaf", mediaType: "text/plain", charset: "us-ascii", transferEncoding: "7bit", content: new TextEncoder().encode("Hello\r\nWorld") },
          { kind: "leaf", mediaType: "application/pdf", transferEncoding: "base64", content: new Uint8Array([1, 2, 3]), filename: "figures.pdf", disposition: "attachment" },
        ],
      },
    };
    expectShrinks(mimeMessage(), tree);
    const [sample] = fc.sample(startTlsInjection(), { seed: 1, numRuns: 1 });
    if (sample !== undefined) expectShrinks(startTlsInjection(), { ...sample });
  });
});
