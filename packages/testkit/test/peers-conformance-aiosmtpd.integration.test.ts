// The conformance runner against aiosmtpd 1.4.3 (Debian's python3-aiosmtpd).
// Asserts that the run finds exactly the deviations docs/conformance/README.md
// records for it (see peers-conformance-harness.ts); skipped outside CI when
// the peer is missing, a failure in CI.
import { requirePeer } from "@smtpkit/interop";
import { describe, it } from "vitest";
import { checkPeer, peerRun } from "./peers-conformance-harness.js";

describe.skipIf(!requirePeer(...peerRun("aiosmtpd").needs))("conformance of aiosmtpd", () => {
  it("finds exactly the deviations of the report", async () => {
    await checkPeer("aiosmtpd");
  });
});
