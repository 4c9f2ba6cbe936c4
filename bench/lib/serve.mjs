#!/usr/bin/env node
// One SMTP server under test, in a process of its own so that its peak RSS is
// its own: `node serve.mjs <kind> [maildir]` listens on 127.0.0.1 (an
// ephemeral port), prints `{"port":N}` on stdout, and stops on SIGTERM.
//
//   smtpkit-discard   @smtpkit/server, an onMessage hook that drains the content
//   smtpkit-maildir   @smtpkit/server, the default Maildir store under [maildir]
//   smtp-server       nodemailer's smtp-server, an onData that drains the stream
//
// Every server is configured the way a user would run it as a receiving MX
// for the benchmark's domain: no TLS, no AUTH, limits raised only so that the
// 10 MB and 16-session cases are not refused.
const [kind, maildir] = process.argv.slice(2);
const MESSAGE_LIMIT = 64 * 1024 * 1024;

let close;
let port;
if (kind === "smtpkit-discard" || kind === "smtpkit-maildir") {
  const { createServer } = await import("@smtpkit/server");
  const server = createServer({
    hostname: "bench.smtpkit.test",
    localDomains: ["example.test"],
    limits: { maxMessageSize: MESSAGE_LIMIT, maxConnectionsPerAddress: 200, maxConnections: 200 },
    ...(kind === "smtpkit-discard"
      ? {
          hooks: {
            async onMessage(_envelope, content) {
              for await (const _chunk of content);
              return undefined;
            },
          },
        }
      : { maildir }),
  });
  ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  close = () => server.close({ graceMs: 1000 });
} else if (kind === "smtp-server") {
  const { SMTPServer } = await import("smtp-server");
  const server = new SMTPServer({
    name: "bench.smtpkit.test",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    size: MESSAGE_LIMIT,
    maxClients: 200,
    logger: false,
    onData(stream, _session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => callback());
    },
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  port = server.server.address().port;
  close = () => new Promise((resolve) => server.close(resolve));
} else {
  console.error(`serve.mjs: unknown server kind ${kind}`);
  process.exit(2);
}

process.on("SIGTERM", async () => {
  await Promise.race([close(), new Promise((resolve) => setTimeout(resolve, 1500))]);
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ port })}\n`);
