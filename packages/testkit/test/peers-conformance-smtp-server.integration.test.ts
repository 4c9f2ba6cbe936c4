// The conformance runner against nodemailer's smtp-server 3.21.6.
// Asserts that the run finds exactly the deviations docs/conformance/README.md
// records for it (see peers-conformance-harness.ts); skipped outside CI when
// the peer is missing, a failure in CI.
import { requirePeer } from "@smtpkit/interop";
import { describe, it } from "vitest";
import { checkPeer, peerRun } from "./peers-conformance-harness.js";

describe.skipIf(!requirePeer(...peerRun("smtp-server").needs))("conformance of smtp-server", () => {
  it("finds exactly the deviations of the report", async () => {
    await checkPeer("smtp-server");
  });
});
