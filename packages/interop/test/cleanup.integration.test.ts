// No orphans: peers are killed when the test process exits without stopping
// them (normal exit, SIGTERM), and a later run sweeps what a SIGKILLed run
// left behind.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  findProcessesMentioning,
  isListening,
  isProcessAlive,
  requirePeer,
  sweepStaleStateDirectories,
  waitFor,
} from "@smtpkit/interop";

const distribution = fileURLToPath(new URL("../dist/index.js", import.meta.url));

interface ChildReport {
  readonly pid: number;
  readonly peers: { readonly port: number; readonly stateDirectory: string }[];
}

/** Starts a Node process that starts smtp-sink and aiosmtpd, reports them, then does `ending`. */
async function childWithPeers(ending: "exit" | "wait"): Promise<{ report: ChildReport; exited: Promise<unknown> }> {
  const program = `
    const interop = await import(${JSON.stringify(distribution)});
    const peers = [await interop.startSmtpSink(), await interop.startAiosmtpd()];
    console.log(JSON.stringify({ pid: process.pid, peers: peers.map((p) => ({ port: p.port, stateDirectory: p.stateDirectory })) }));
    ${ending === "exit" ? "process.exit(0);" : "setInterval(() => {}, 1000);"}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", program], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const report = await waitFor(() => (output.includes("\n") ? (JSON.parse(output) as ChildReport) : false), { timeout: 20_000, description: "the child's report" });
  return { report, exited };
}

function once(child: ReturnType<typeof spawn>): Promise<unknown> {
  return new Promise((resolve) => child.once("exit", resolve));
}

async function expectGone(report: ChildReport): Promise<void> {
  for (const peer of report.peers) {
    await waitFor(() => findProcessesMentioning(peer.stateDirectory).length === 0, { timeout: 5_000, description: "peer processes to end" });
    expect(existsSync(peer.stateDirectory)).toBe(false);
    expect(await isListening(peer.port)).toBe(false);
  }
}

describe.skipIf(!requirePeer("smtp-sink", "aiosmtpd"))("no orphans", () => {
  it("a test process that exits without stop() takes its peers with it", async () => {
    const { report, exited } = await childWithPeers("exit");
    await exited;
    await expectGone(report);
  });

  it("a test process ended by SIGTERM takes its peers with it", async () => {
    const { report, exited } = await childWithPeers("wait");
    process.kill(report.pid, "SIGTERM");
    await exited;
    await expectGone(report);
  });

  it("the next run sweeps the peers of a SIGKILLed test process", async () => {
    const { report, exited } = await childWithPeers("wait");
    process.kill(report.pid, "SIGKILL");
    await exited;
    await waitFor(() => !isProcessAlive(report.pid), { description: "the child to die" });
    // orphans: SIGKILL left no chance to clean up
    for (const peer of report.peers) expect(await isListening(peer.port)).toBe(true);
    const swept = sweepStaleStateDirectories();
    expect(swept).toEqual(expect.arrayContaining(report.peers.map((peer) => peer.stateDirectory)));
    await expectGone(report);
  });
});
