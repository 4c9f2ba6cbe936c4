// The conformance runner against Exim 4.96 (Debian's exim4-daemon-light, unpacked).
// Asserts that the run finds exactly the deviations docs/conformance/README.md
// records for it (see peers-conformance-harness.ts); skipped outside CI when
// the peer is missing, a failure in CI.
import { requirePeer } from "@smtpkit/interop";
import { describe, it } from "vitest";
import { checkPeer, peerRun } from "./peers-conformance-harness.js";

describe.skipIf(!requirePeer(...peerRun("exim").needs))("conformance of Exim", () => {
  it("finds exactly the deviations of the report", async () => {
    await checkPeer("exim");
  });
});
