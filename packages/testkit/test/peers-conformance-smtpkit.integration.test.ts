// The conformance runner against this project's own server (@smtpkit/server,
// STARTTLS on, a Maildir read back for dot-transparency): no deviation at all.
// Asserts that the run finds exactly the deviations docs/conformance/README.md
// records for it (see peers-conformance-harness.ts); skipped outside CI when
// the peer is missing, a failure in CI.
import { requirePeer } from "@smtpkit/interop";
import { describe, it } from "vitest";
import { checkPeer, peerRun } from "./peers-conformance-harness.js";

describe.skipIf(!requirePeer(...peerRun("smtpkit-server").needs))("conformance of @smtpkit/server", () => {
  it("finds no deviation, with every probe run and every stored body compared", async () => {
    await checkPeer("smtpkit-server");
  });
});
