// The skip-or-fail rule: outside CI a missing peer skips with a reason; with
// CI=true it fails. A peer is made "missing" by pointing the harness at a
// Python interpreter that does not exist.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  clearPeerAvailabilityCache,
  InteropError,
  isCi,
  PEER_NAMES,
  peerAvailable,
  requirePeer,
  skipUnlessPeer,
  startAiosmtpd,
} from "@smtpkit/interop";

const saved = { ci: process.env["CI"], python: process.env["SMTPKIT_INTEROP_PYTHON"] };

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe("peer availability", () => {
  beforeEach(() => {
    process.env["SMTPKIT_INTEROP_PYTHON"] = "/nonexistent/python3";
    clearPeerAvailabilityCache();
  });
  afterEach(() => {
    restore("CI", saved.ci);
    restore("SMTPKIT_INTEROP_PYTHON", saved.python);
    clearPeerAvailabilityCache();
    vi.restoreAllMocks();
  });

  it("says why a peer is missing, naming the package to install", () => {
    const answer = peerAvailable("aiosmtpd");
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.reason).toMatch(/apt-get install python3-aiosmtpd/);
    for (const name of PEER_NAMES) expect(typeof peerAvailable(name).ok).toBe("boolean");
  });

  it("outside CI: requirePeer returns false and prints the reason; skipUnlessPeer skips with it", () => {
    delete process.env["CI"];
    expect(isCi()).toBe(false);
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(requirePeer("aiosmtpd")).toBe(false);
    expect(String(write.mock.calls[0]?.[0])).toMatch(/skipping: aiosmtpd: .*python3-aiosmtpd/);
    const notes: (string | undefined)[] = [];
    skipUnlessPeer({ skip: (note) => void notes.push(note) }, "aiosmtpd");
    expect(notes[0]).toMatch(/aiosmtpd/);
  });

  it("with CI=true: both throw a peer-missing InteropError instead of skipping", () => {
    process.env["CI"] = "true";
    expect(isCi()).toBe(true);
    for (const attempt of [() => requirePeer("aiosmtpd"), () => skipUnlessPeer({ skip: () => undefined }, "aiosmtpd")]) {
      try {
        attempt();
        expect.unreachable();
      } catch (error) {
        expect(InteropError.isInstance(error) && error.reason).toBe("peer-missing");
        expect(String(error)).toMatch(/CI=true/);
      }
    }
  });

  it("only CI=true counts as CI", () => {
    for (const value of ["1", "yes", "TRUE", ""]) {
      process.env["CI"] = value;
      expect(isCi()).toBe(false);
    }
  });

  it("starting a missing peer fails with peer-missing, whatever CI says", async () => {
    delete process.env["CI"];
    const failure = await startAiosmtpd().catch((error: unknown) => error);
    expect(InteropError.isInstance(failure) && failure.reason).toBe("peer-missing");
  });
});
