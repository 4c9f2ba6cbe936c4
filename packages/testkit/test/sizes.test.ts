// fast-check lets users change the size of generated values globally
// (`fc.configureGlobal({ baseSize })`); every arbitrary must keep working, and
// stay valid, at every size.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommand, serializeCommand } from "@smtpkit/grammar";
import * as testkit from "@smtpkit/testkit";

const arbitraries: readonly [string, () => fc.Arbitrary<unknown>][] = [
  ["domain", () => testkit.domain()],
  ["uLabelDomain", () => testkit.uLabelDomain()],
  ["mailbox", () => testkit.mailbox({ utf8: true })],
  ["command", () => testkit.command()],
  ["reply", () => testkit.reply()],
  ["capabilitySet", () => testkit.capabilitySet()],
  ["nearlyValidCommand", () => testkit.nearlyValidCommand()],
  ["clientSession", () => testkit.clientSession({ capabilities: testkit.allCapabilities })],
  ["mimeMessage", () => testkit.mimeMessage()],
  ["messageSpec", () => testkit.messageSpec()],
  ["smugglingAttempt", () => testkit.smugglingAttempt()],
  ["chunkings", () => testkit.chunkings(new Uint8Array(64))],
];

describe("arbitraries at every fast-check size", () => {
  afterEach(() => fc.resetConfigureGlobal());

  // "max" is a size for single arbitraries, not a baseSize.
  for (const size of ["xsmall", "small", "medium", "large", "xlarge"] as const) {
    it(`generate at baseSize ${size}`, () => {
      fc.configureGlobal({ baseSize: size });
      for (const [name, make] of arbitraries) expect(fc.sample(make(), { seed: 1, numRuns: 20 }).length, name).toBe(20);
      fc.assert(
        fc.property(testkit.command(), (c) => parseCommand(serializeCommand(c), { strict: true }).ok),
        { numRuns: 50 },
      );
    });
  }
});
