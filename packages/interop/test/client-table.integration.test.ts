// CLIENT_DRIVERS: every real client's stored bytes equal its documented
// expectedData, for a CRLF message and for the same message with bare LF
// line ends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_DRIVERS, convertLineEnds, requirePeer, startSmtpServer, type RunningSmtpServer } from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

describe.skipIf(!requirePeer("smtp-server", "openssl"))("CLIENT_DRIVERS", () => {
  let server: RunningSmtpServer;
  let count = 0;
  beforeAll(async () => {
    server = await startSmtpServer({ tls: false });
  });
  afterAll(async () => {
    if (server !== undefined) await stopAndCheck(server);
  });

  for (const client of CLIENT_DRIVERS) {
    it.skipIf(!requirePeer(client.name))(`${client.name}: stored bytes are expectedData (CRLF and LF input)`, async () => {
      for (const message of [TEST_MESSAGE, convertLineEnds(TEST_MESSAGE, "lf")]) {
        const result = await client.send({ port: server.port, ...ENVELOPE, message });
        expect(result.exitCode, result.stderr).toBe(0);
        count += 1;
        const stored = (await server.waitForMessages(count))[count - 1]!;
        expect(stored.data.toString("latin1")).toBe(client.expectedData(message).toString("latin1"));
      }
    });
  }
});
