// The SMTP load machinery of `pnpm bench`: servers under test started as child
// processes on 127.0.0.1 ephemeral ports (so that each one's peak RSS is its
// own), Postfix's `smtp-source` as the C load generator and `smtp-sink` as
// the C sink.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SMTP_SOURCE = "/usr/sbin/smtp-source";
export const SMTP_SINK = "/usr/sbin/smtp-sink";
// Debian's python3, the one python3-aiosmtpd installs into (a pyenv python3 on the PATH usually lacks it).
const PYTHON = process.env.SMTPKIT_INTEROP_PYTHON ?? "/usr/bin/python3";
const SERVE = fileURLToPath(new URL("./serve.mjs", import.meta.url));

/** `undefined` when `file` is executable, else the reason it is skipped. */
export function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return undefined;
  } catch {
    return `${file} not found (Debian package postfix)`;
  }
}

let aiosmtpdReason;
/** `undefined` when aiosmtpd can be imported, else the reason it is skipped. */
export function aiosmtpdAvailable() {
  if (aiosmtpdReason === undefined) {
    aiosmtpdReason = "";
    try {
      const child = spawn(PYTHON, ["-c", "import aiosmtpd.handlers"], { stdio: "ignore" });
      return new Promise((resolve) => {
        child.on("error", () => resolve((aiosmtpdReason = `${PYTHON} not found`)));
        child.on("exit", (code) => resolve((aiosmtpdReason = code === 0 ? "" : "aiosmtpd not installed (Debian package python3-aiosmtpd)") || undefined));
      });
    } catch {
      aiosmtpdReason = `${PYTHON} not found`;
    }
  }
  return aiosmtpdReason || undefined;
}

/** A free TCP port on 127.0.0.1 (for the peers that cannot listen on port 0 and report it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitListening(port, child, label, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode} before listening`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${label} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The peak resident set of a running process (`VmHWM` of /proc/PID/status), in bytes. */
export function peakRssOf(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => (clearTimeout(timer), resolve()));
    child.kill("SIGTERM");
  });
}

const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts one server under test: `smtpkit-discard`, `smtpkit-maildir`,
 * `smtp-server` (children running serve.mjs), `aiosmtpd` (its own CLI with
 * the discarding Sink handler) or `smtp-sink`. Resolves to
 * `{ port, pid, peakRss(), stop() }`.
 */
export async function startServer(kind) {
  let child;
  let port;
  let directory;
  if (kind === "smtp-sink" || kind === "aiosmtpd") {
    port = await freePort();
    child =
      kind === "smtp-sink"
        ? // -u nobody: smtp-sink refuses to run as root without it. Backlog 256 for the new-connection case.
          spawn(SMTP_SINK, [...(process.getuid?.() === 0 ? ["-u", "nobody"] : []), "-4", "-h", "sink.smtpkit.test", `inet:127.0.0.1:${port}`, "256"], { stdio: ["ignore", "ignore", "pipe"] })
        : spawn(PYTHON, ["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
    running.add(child);
    await waitListening(port, child, kind);
  } else {
    if (kind === "smtpkit-maildir") directory = mkdtempSync(path.join(os.tmpdir(), "smtpkit-bench-maildir-"));
    child = spawn(process.execPath, [...(process.env.SMTPKIT_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), SERVE, kind, ...(directory ? [directory] : [])], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: path.dirname(SERVE),
    });
    running.add(child);
    port = await new Promise((resolve, reject) => {
      let buffered = "";
      child.stdout.on("data", (chunk) => {
        buffered += chunk;
        const line = buffered.split("\n")[0];
        if (buffered.includes("\n")) resolve(JSON.parse(line).port);
      });
      child.once("exit", (code) => reject(new Error(`serve.mjs ${kind} exited with ${code}`)));
    });
  }
  return {
    port,
    pid: child.pid,
    peakRss: () => peakRssOf(child.pid),
    stop: async () => {
      await stopChild(child);
      running.delete(child);
      if (directory) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `smtp-source` against 127.0.0.1:port and resolves when every message
 * is sent: `sessions` parallel sessions (-s), `count` messages in all (-m),
 * `size` bytes of payload (-l), and with `reuse` several messages per
 * connection (-d) instead of a new connection for each.
 */
export function runSmtpSource({ port, count, size, sessions = 1, reuse = true }) {
  const args = ["-s", String(sessions), "-m", String(count), "-l", String(size), "-M", "client.smtpkit.test", "-f", "sender@client.smtpkit.test", "-t", "bench@example.test"];
  if (reuse) args.push("-d");
  args.push(`127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    const child = spawn(SMTP_SOURCE, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`smtp-source ${args.join(" ")} exited with ${code}: ${stderr.trim()}`))));
  });
}
