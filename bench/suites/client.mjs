// SMTP client throughput: @smtpkit/client (one connection, and createPool)
// vs nodemailer's SMTP transport (pooled and not) sending N messages of 1 KB
// to Postfix's `smtp-sink`, with Postfix's C load generator `smtp-source`
// (same N, same size, same sink) as the ceiling. The clients run in this
// process; the sink is one child process shared by every system of a case.
// One sample is one batch of N messages; each system is warmed up first.
import { executable, runSmtpSource, SMTP_SINK, SMTP_SOURCE, startServer } from "../lib/smtp-load.mjs";
import { tryImport } from "../lib/optional.mjs";

const PAYLOAD = 1024;
const counts = { smoke: { reuse: 20, fresh: 5 }, quick: { reuse: 1000, fresh: 200 }, full: { reuse: 5000, fresh: 600 } };
const FROM = "sender@client.smtpkit.test";
const TO = "bench@example.test";
const POOL = 4;

/** A 1 KB-payload message like smtp-source's: a few headers, then 1024 bytes of 78-column lines. */
function message() {
  const head = `From: <${FROM}>\r\nTo: <${TO}>\r\nSubject: bench\r\nMessage-ID: <bench@client.smtpkit.test>\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\n\r\n`;
  let body = "";
  while (body.length < PAYLOAD) body += `${"x".repeat(Math.min(78, PAYLOAD - body.length - 2))}\r\n`;
  return Buffer.from(head + body.slice(0, PAYLOAD), "latin1");
}

export async function cases(profile) {
  const client = await tryImport("@smtpkit/client");
  const nodemailer = await tryImport("nodemailer");
  const missingSink = executable(SMTP_SINK);
  const missingSource = executable(SMTP_SOURCE);
  const bytes = message();
  let sink;
  const port = () => sink.port;
  const options = () => ({ host: "127.0.0.1", port: port(), startTls: "never", hostname: "client.smtpkit.test" });
  const transportOptions = (extra) => ({ host: "127.0.0.1", port: port(), secure: false, ignoreTLS: true, name: "client.smtpkit.test", ...extra });
  const mail = { envelope: { from: FROM, to: [TO] }, raw: bytes };
  const envelope = { from: FROM, to: [TO], message: bytes };
  const ours = (name) => () => missingSink ?? (client.module?.[name] ? undefined : (client.reason ?? `not exported: ${name}`));
  const peer = () => missingSink ?? (nodemailer.module ? undefined : nodemailer.reason);
  const ceiling = () => missingSink ?? missingSource;

  // A system that holds a connection (or pool) from setup to teardown, and sends N messages per sample.
  function held(name, role, available, open, send, close, { count, parallel }) {
    let handle;
    const batch = async (n) => {
      if (parallel) await Promise.all(Array.from({ length: n }, () => send(handle)));
      else for (let index = 0; index < n; index += 1) await send(handle);
      return n;
    };
    return {
      name,
      role,
      available,
      setup: async () => {
        handle = await open();
        if (profile !== "smoke") await batch(Math.ceil(count / 5));
      },
      run: () => batch(count),
      teardown: () => close(handle),
    };
  }
  const source = (count, sessions, reuse) => ({
    name: "smtp-source",
    role: "ceiling",
    available: ceiling,
    setup: () => (profile === "smoke" ? undefined : runSmtpSource({ port: port(), count: Math.ceil(count / 5), size: PAYLOAD, sessions, reuse })),
    run: async () => (await runSmtpSource({ port: port(), count, size: PAYLOAD, sessions, reuse }), count),
  });
  const checked = (result) => {
    if (result.status !== "accepted") throw new Error(`@smtpkit/client: ${result.status} ${result.code ?? ""} ${result.text ?? ""}`);
  };
  const oneClient = {
    open: () => client.module.connect(options()),
    send: async (c) => checked(await c.send(envelope)),
    close: (c) => c.close(),
  };
  const pool = {
    open: () => client.module.createPool({ ...options(), max: POOL }),
    send: async (p) => checked(await p.send(envelope)),
    close: (p) => p.close(),
  };
  const transport = (extra) => ({
    open: () => nodemailer.module.default.createTransport(transportOptions(extra)),
    send: (t) => t.sendMail(mail),
    close: (t) => t.close(),
  });
  const system = (name, role, available, kind, shape) => held(name, role, available, kind.open, kind.send, kind.close, shape);

  const { reuse: n, fresh: m } = counts[profile];
  const base = {
    group: "client",
    unit: "msg/s",
    target: "≥ 2× nodemailer, ≥ 70% of smtp-source",
    // nodemailer is the only peer, so the best peer is the target's peer.
    options: { minTimeMs: 0, warmupMs: 0 },
    setup: async () => {
      if (!missingSink) sink = await startServer("smtp-sink");
    },
    teardown: () => sink?.stop(),
  };
  const list = [
    {
      ...base,
      name: `1 KB × ${n}, one connection, one message at a time`,
      systems: [
        system("@smtpkit/client connect", "ours", ours("connect"), oneClient, { count: n, parallel: false }),
        system("nodemailer (pool of 1)", "peer", peer, transport({ pool: true, maxConnections: 1 }), { count: n, parallel: false }),
        source(n, 1, true),
      ],
    },
    {
      ...base,
      name: `1 KB × ${n}, one connection, all submitted at once`,
      systems: [
        system("@smtpkit/client connect", "ours", ours("connect"), oneClient, { count: n, parallel: true }),
        system("nodemailer (pool of 1)", "peer", peer, transport({ pool: true, maxConnections: 1 }), { count: n, parallel: true }),
        source(n, 1, true),
      ],
    },
    {
      ...base,
      name: `1 KB × ${n}, pool of ${POOL} connections, all submitted at once`,
      systems: [
        system(`@smtpkit/client createPool (max ${POOL})`, "ours", ours("createPool"), pool, { count: n, parallel: true }),
        system(`nodemailer (pool of ${POOL})`, "peer", peer, transport({ pool: true, maxConnections: POOL }), { count: n, parallel: true }),
        source(n, POOL, true),
      ],
    },
    {
      ...base,
      name: `1 KB × ${m}, a new connection per message, one at a time`,
      systems: [
        {
          name: "@smtpkit/client connect+send+close",
          role: "ours",
          available: ours("connect"),
          ...freshEach(m, async () => {
            const c = await client.module.connect(options());
            checked(await c.send(envelope));
            await c.close();
          }),
        },
        system("nodemailer (not pooled)", "peer", peer, transport({}), { count: m, parallel: false }),
        source(m, 1, false),
      ],
    },
  ];
  return list;

  function freshEach(count, one) {
    const batch = async (k) => {
      for (let index = 0; index < k; index += 1) await one();
      return k;
    };
    return { setup: () => (profile === "smoke" ? undefined : batch(Math.ceil(count / 5))), run: () => batch(count) };
  }
}
