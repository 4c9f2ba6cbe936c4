// A ClientSession and a ServerSession joined in memory.
import { describe, expect, it } from "vitest";
import { bytes } from "./client-harness.js";
import { Pair } from "./session-pair-harness.js";

const alice = { localPart: "alice", domain: "example.com" };
const bob = { localPart: "bob", domain: "example.org" };

describe("client and server in memory", () => {
  it("deliver one message", () => {
    const pair = new Pair({ client: { hostname: "client.example.com" }, server: { hostname: "mx.example.org" }, decide: () => ({ type: "accept" }) }).start();
    pair.send({ from: alice, recipients: [{ address: bob }] }, bytes("Subject: hi\r\n\r\n.dot\r\nbody"));
    pair.run();
    expect(pair.results).toMatchObject([{ status: "accepted" }]);
    expect(new TextDecoder().decode(pair.stored[0]?.content)).toBe("Subject: hi\r\n\r\n.dot\r\nbody\r\n");
    expect(pair.clientClosed && pair.serverClosed).toBe(true);
    // Whenever nothing was in flight, client and server were in the same state of the table.
    expect(pair.comparisons).toBeGreaterThanOrEqual(3);
    expect(pair.disagreements).toEqual([]);
  });
});

import fc from "fast-check";
import { checkScenario, scenarioArbitrary } from "./session-pair-scenario.js";

const reached = new Map<string, number>();

describe("client and server in memory, for arbitrary envelopes, messages, capabilities, decisions and chunkings", () => {
  it("every accepted message arrives byte-exact and every result matches the decisions", () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        for (const item of checkScenario(scenario)) reached.set(item, (reached.get(item) ?? 0) + 1);
      }),
      { numRuns: Number(process.env["PAIR_RUNS"] ?? 250) },
    );
    for (const item of ["accepted", "rejected", "refused", "aborted", "auth-PLAIN", "auth-SCRAM-SHA-256", "auth-SCRAM-SHA-256-PLUS", "tls", "bdat", "lmtp-accepted", "partial"]) {
      expect(reached.get(item) ?? 0, item).toBeGreaterThan(0);
    }
  });
});
