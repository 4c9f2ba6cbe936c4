// `smtpkit send` pointed at the wrong kind of port, as a new user does: a plain-text client at an implicit
// TLS port (the server waits for a ClientHello and says nothing) must fail soon with a hint, not after
// RFC 5321's 5-minute greeting wait; an implicit TLS client at a plain port must say so in one line, without
// the self-signed-certificate hint that does not apply.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";

describe("smtpkit send at the wrong port", () => {
  const sockets = new Set<net.Socket>();
  let silent: net.Server;
  let plain: net.Server;
  const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

  beforeAll(async () => {
    // Says nothing, as an implicit TLS listener does to a client that does not start TLS.
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    // A plain SMTP greeting, to whatever connects.
    plain = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.end("220 plain.example ESMTP\r\n");
    });
    await Promise.all([silent, plain].map((server) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([silent, plain].map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("gives up on a silent server after --greeting-timeout and suggests --tls implicit", async () => {
    const started = Date.now();
    const result = await smtpkit(["send", "--server", `127.0.0.1:${portOf(silent)}`, "--greeting-timeout", "1", "--from", "a@localhost", "--to", "b@localhost", "--text", "x"]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: no greeting from 127\.0\.0\.1:\d+ within 1 s \(.*try --tls implicit/);
  });

  it("says a plain port did not answer in TLS, in one line, without the --insecure hint", async () => {
    const result = await smtpkit(["send", "--server", `127.0.0.1:${portOf(plain)}`, "--tls", "implicit", "--from", "a@localhost", "--to", "b@localhost", "--text", "x"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: TLS with 127\.0\.0\.1:\d+ failed: the server did not answer in TLS \(a plain SMTP port\? use --tls starttls or --tls none\)\n/);
    expect(result.stderr).not.toContain("--insecure");
    expect(result.stderr).not.toContain("ssl3_get_record");
  });

  it("refuses a --greeting-timeout that is not 1 to 600 seconds with a usage error (exit 2)", async () => {
    for (const value of ["0", "601", "abc", "1.5", "-3"]) {
      const result = await smtpkit(["send", "--server", "127.0.0.1:9", "--greeting-timeout", value, "--from", "a@localhost", "--to", "b@localhost", "--text", "x"]);
      expect(result.exitCode, value).toBe(2);
      expect(result.stderr, value).toContain("--greeting-timeout");
    }
  });
});
