// SMTP server throughput: Postfix's C load generator `smtp-source` drives each
// server in turn on 127.0.0.1: @smtpkit/server with a discarding onMessage
// hook and with its default Maildir store (fsync before every 250),
// nodemailer's smtp-server and aiosmtpd (both discarding), and Postfix's
// `smtp-sink` as the C ceiling. Every server runs as a child process, so
// its peak RSS (VmHWM) is its own.
//
// One sample is one smtp-source run of `count` messages (the profile's timing
// is replaced by the count); each server is warmed up by a short run first.
import { aiosmtpdAvailable, executable, runSmtpSource, SMTP_SINK, SMTP_SOURCE, startServer } from "../lib/smtp-load.mjs";
import { tryImport } from "../lib/optional.mjs";

const KB = 1024;
const MB = 1024 * 1024;

// [size, sessions, reuse (several messages per connection), count per profile]
const matrix = [
  { size: 1 * KB, sessions: 1, reuse: true, counts: { smoke: 20, quick: 500, full: 3000 }, unit: "msg/s", target: "≥ 1.3× smtp-server" },
  { size: 1 * KB, sessions: 16, reuse: true, counts: { smoke: 32, quick: 2000, full: 10000 }, unit: "msg/s", target: "≥ 1.3× smtp-server" },
  { size: 1 * KB, sessions: 16, reuse: false, counts: { quick: 200, full: 600 }, unit: "msg/s", target: "≥ 10× smtp-server" },
  { size: 100 * KB, sessions: 1, reuse: true, counts: { quick: 150, full: 600 }, unit: "MB/s" },
  { size: 100 * KB, sessions: 16, reuse: true, counts: { full: 800 }, unit: "MB/s" },
  { size: 10 * MB, sessions: 1, reuse: true, counts: { full: 16 }, unit: "MB/s", target: "≥ 2× smtp-server" },
  { size: 10 * MB, sessions: 16, reuse: true, counts: { full: 32 }, unit: "MB/s", target: "≥ 2× smtp-server" },
];

const servers = [
  { name: "@smtpkit/server (discard)", kind: "smtpkit-discard", role: "ours", available: () => needsModule("@smtpkit/server") },
  { name: "@smtpkit/server (Maildir)", kind: "smtpkit-maildir", role: "ours", available: () => needsModule("@smtpkit/server") },
  { name: "smtp-server", kind: "smtp-server", role: "peer", available: () => needsModule("smtp-server") },
  { name: "aiosmtpd", kind: "aiosmtpd", role: "peer", available: aiosmtpdAvailable },
  { name: "smtp-sink", kind: "smtp-sink", role: "ceiling", available: () => executable(SMTP_SINK) },
];

async function needsModule(name) {
  const imported = await tryImport(name);
  return imported.module ? undefined : `${name} not installed`;
}

function label(size) {
  return size >= MB ? `${size / MB} MB` : `${size / KB} KB`;
}

/**
 * One case per server flavour of ours (discard, Maildir), so that each has its
 * own ratio to the best peer and to the ceiling: the harness compares one
 * "ours" per case.
 */
export async function cases(profile) {
  const sourceMissing = executable(SMTP_SOURCE);
  const result = [];
  for (const row of matrix) {
    const count = row.counts[profile];
    if (count === undefined) continue;
    for (const flavour of ["smtpkit-discard", "smtpkit-maildir"]) {
      // The Maildir flavour only where the issue sets its target (1 KB and 10 MB).
      if (flavour === "smtpkit-maildir" && row.size === 100 * KB) continue;
      const name = `${label(row.size)} × ${row.sessions} session${row.sessions > 1 ? "s" : ""}${row.reuse ? "" : ", new connection per message"}, ${count} messages${flavour === "smtpkit-maildir" ? ", ours with Maildir" : ""}`;
      result.push({
        group: "server",
        name,
        unit: row.unit,
        target: row.target,
        targetPeer: "smtp-server",
        size: row.size,
        count,
        options: { minTimeMs: 0, warmupMs: 0 },
        systems: servers
          .filter((server) => server.role !== "ours" || server.kind === flavour)
          .map((server) => serverSystem(server, row, count, sourceMissing, profile)),
      });
    }
  }
  return result;
}

function serverSystem(server, row, count, sourceMissing, profile) {
  let handle;
  const load = (messages) => runSmtpSource({ port: handle.port, count: messages, size: row.size, sessions: row.sessions, reuse: row.reuse });
  return {
    name: server.name,
    role: server.role,
    available: async () => sourceMissing ?? (await server.available()),
    setup: async () => {
      handle = await startServer(server.kind);
      // Warm-up: JIT, buffers, connection paths.
      if (profile !== "smoke") await load(Math.max(row.sessions, Math.ceil(count / 5)));
    },
    run: async () => {
      await load(count);
      return row.unit === "MB/s" ? count * row.size : count;
    },
    peakRss: () => handle.peakRss(),
    teardown: () => handle.stop(),
  };
}
