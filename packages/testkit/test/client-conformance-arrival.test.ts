// Hand-run client conformance with timeouts.arrival: a case whose client does not connect in time, and every
// later case, end as no-connection (not applicable) and the run returns instead of waiting forever.
import { connect as netConnect } from "node:net";
import { describe, expect, it } from "vitest";
import { runClientConformance, TestkitError } from "@smtpkit/testkit";

describe("timeouts.arrival (a client run by hand)", () => {
  it("returns when no client comes, every case not applicable", async () => {
    const report = await runClientConformance({ listen: { host: "127.0.0.1", port: 0 }, cases: ["baseline", "greeting-421", "greeting-554"], timeouts: { arrival: 200 } });
    expect(report.cases.map((entry) => [entry.id, entry.verdict, entry.end])).toEqual([
      ["baseline", "not-applicable", "no-connection"],
      ["greeting-421", "not-applicable", "no-connection"],
      ["greeting-554", "not-applicable", "no-connection"],
    ]);
  });

  it("judges the cases that got a connection and gives up on the rest", async () => {
    const report = await runClientConformance({
      listen: { host: "127.0.0.1", port: 0 },
      cases: ["greeting-421", "greeting-554"],
      timeouts: { arrival: 1_500 },
      // One client, for the first case only: it reads the 421 greeting and closes, as a client should.
      onListening: ({ host, port }) => {
        const socket = netConnect(port, host);
        socket.on("data", () => socket.end());
        socket.on("error", () => undefined);
      },
    });
    expect(report.cases[0]).toMatchObject({ id: "greeting-421", verdict: "pass" });
    expect(report.cases[1]).toMatchObject({ id: "greeting-554", verdict: "not-applicable", end: "no-connection" });
  });

  it("refuses a limit that is not a positive integer of milliseconds", async () => {
    for (const arrival of [0, -5, 1.5]) {
      await expect(runClientConformance({ listen: { host: "127.0.0.1", port: 0 }, timeouts: { arrival } })).rejects.toSatisfy((error: unknown) => TestkitError.isInstance(error));
    }
  });
});
