// Startup failures are bounded and explain themselves: the peer's log is in
// the error, nothing is left behind, and a busy port is never mistaken for
// the peer.
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { InteropError, requirePeer, startPostfix, startSmtpSink, STATE_DIRECTORY_PREFIX } from "@smtpkit/interop";

function ownStateDirectories(label: string): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`${STATE_DIRECTORY_PREFIX}${label}-`));
}

describe.skipIf(!requirePeer("smtp-sink"))("startup errors", () => {
  it("a peer that exits at once fails with its log attached and leaves no state", async () => {
    const before = ownStateDirectories("smtp-sink");
    const failure = await startSmtpSink({ extraArguments: ["-Z"] }).catch((error: unknown) => error);
    expect(InteropError.isInstance(failure) && failure.reason).toBe("startup-failed");
    expect((failure as InteropError).message).toMatch(/smtp-sink exited/);
    expect((failure as InteropError).log).toMatch(/usage|invalid option/i);
    expect(ownStateDirectories("smtp-sink").filter((name) => !before.includes(name))).toEqual([]);
  });

  it("refuses a port something else already listens on", async () => {
    const blocker = createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as AddressInfo).port;
    try {
      const failure = await startSmtpSink({ port }).catch((error: unknown) => error);
      expect(InteropError.isInstance(failure) && failure.reason).toBe("startup-failed");
      expect(String(failure)).toMatch(/already in use/);
      if (requirePeer("postfix")) {
        await expect(startPostfix({ port })).rejects.toThrow(/already in use/);
      }
    } finally {
      blocker.close();
    }
  });

  it("refuses port 25 and invalid timeouts before starting anything", async () => {
    for (const options of [{ port: 25 }, { startTimeout: -1 }, { stopTimeout: Number.NaN }, { startTimeout: Infinity }]) {
      const failure = await startSmtpSink(options).catch((error: unknown) => error);
      expect(InteropError.isInstance(failure) && failure.reason).toBe("invalid-option");
    }
  });
});
