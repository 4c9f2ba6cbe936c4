// Servers that lie, stall or break, scripted on node:net: STARTTLS response
// injection (CVE-2011-0411 style), STARTTLS stripped or refused under
// `required`, AUTH offered in clear text, a greeting that never comes, a
// connection dropped mid-message, aborts, and content sources that fail.
import net from "node:net";
import { hostname as systemHostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { ClientUsageError, connect, createPool, SmtpClientError, type SmtpClient } from "@smtpkit/client";

interface Scripted {
  readonly port: number;
  /** Everything the client sent, as latin1 text. */
  received(): string;
  close(): Promise<void>;
}

const servers: Scripted[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * A server that answers each complete command line with `answer(line)`
 * (undefined: stay silent), after the greeting.
 */
async function scripted(greeting: string | undefined, answer: (line: string, socket: net.Socket) => string | undefined): Promise<Scripted> {
  let received = "";
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffer = "";
    let inData = false;
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      buffer += chunk.toString("latin1");
      for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            const reply = answer(".", socket);
            if (reply !== undefined) socket.write(reply);
          }
          continue;
        }
        const reply = answer(line, socket);
        if (line === "DATA" && reply?.startsWith("354")) inData = true;
        if (reply !== undefined && !socket.destroyed) socket.write(reply);
      }
    });
    socket.on("error", () => socket.destroy());
    if (greeting !== undefined) socket.write(greeting);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const handle: Scripted = {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
  servers.push(handle);
  return handle;
}

/** An ordinary ESMTP server's answers, with `extensions` after EHLO. */
function ordinary(extensions: readonly string[]): (line: string) => string | undefined {
  return (line) => {
    const verb = line.split(" ")[0]?.toUpperCase();
    if (verb === "EHLO") return ["250-mx.example.test", ...extensions.map((extension) => `250-${extension}`), "250 8BITMIME"].join("\r\n") + "\r\n";
    if (verb === "MAIL" || verb === "RCPT" || verb === "RSET") return "250 2.0.0 OK\r\n";
    if (verb === "DATA") return "354 go ahead\r\n";
    if (verb === ".") return "250 2.0.0 queued\r\n";
    if (verb === "QUIT") return "221 2.0.0 bye\r\n";
    return "502 5.5.1 not implemented\r\n";
  };
}

async function failure(promise: Promise<unknown>): Promise<SmtpClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(SmtpClientError.isInstance(error), String(error)).toBe(true);
  return error as SmtpClientError;
}

const base = { host: "127.0.0.1", hostname: "client.example.test" } as const;
const bytes = new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n");

describe("STARTTLS under attack", () => {
  it("bytes injected after the 220 to STARTTLS (same write) end the connection: no TLS, no AUTH, no MAIL", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line) =>
      line === "STARTTLS" ? "220 2.0.0 ready\r\n250-mx.example.test\r\n250 AUTH PLAIN\r\n" : ordinary(["STARTTLS"])(line),
    );
    const error = await failure(connect({ ...base, port: server.port, auth: { username: "alice", password: "secret" } }));
    expect(error.reason).toBe("starttls-injection");
    expect(error.fault).toBe("remote");
    expect(server.received()).toBe("EHLO client.example.test\r\nSTARTTLS\r\n");
  });

  it("bytes sent in a separate write right after the 220 never reach MAIL either", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line, socket) => {
      if (line !== "STARTTLS") return ordinary(["STARTTLS"])(line);
      socket.write("220 2.0.0 ready\r\n");
      setImmediate(() => socket.write("250 2.0.0 OK\r\n"));
      return undefined;
    });
    const error = await failure(connect({ ...base, port: server.port }));
    expect(["starttls-injection", "tls-handshake-failed"]).toContain(error.reason);
    expect(server.received()).not.toMatch(/MAIL|AUTH/);
  });

  it("`required` with STARTTLS stripped from EHLO: fails before MAIL, with QUIT", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary(["PIPELINING", "AUTH PLAIN LOGIN"]));
    const error = await failure(connect({ ...base, port: server.port, auth: { username: "alice", password: "secret" } }));
    expect(error.reason).toBe("starttls-not-offered");
    // connect() rejects at once; the polite QUIT (RFC 5321 §3.1 style) follows in the background.
    for (let i = 0; i < 100 && !server.received().includes("QUIT"); i += 1) await new Promise((done) => setTimeout(done, 10));
    expect(server.received()).toBe("EHLO client.example.test\r\nQUIT\r\n");
  });

  it("`required` with STARTTLS refused (454): fails with the server's reply", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line) => (line === "STARTTLS" ? "454 4.7.0 TLS not available\r\n" : ordinary(["STARTTLS"])(line)));
    const error = await failure(connect({ ...base, port: server.port }));
    expect(error.reason).toBe("starttls-refused");
    expect(error.reply).toEqual({ code: 454, enhanced: "4.7.0", lines: ["TLS not available"] });
    expect(server.received()).not.toMatch(/MAIL/);
  });

  it("`opportunistic` with credentials and no STARTTLS: the password is never sent in clear text", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary(["AUTH PLAIN LOGIN"]));
    const error = await failure(connect({ ...base, port: server.port, startTls: "opportunistic", auth: { username: "alice", password: "secret" } }));
    expect(error.reason).toBe("auth-needs-tls");
    expect(error.fault).toBe("local");
    expect(server.received()).not.toMatch(/AUTH/);
  });

  it("`opportunistic` without STARTTLS offered sends in clear text, as asked", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary(["PIPELINING"]));
    const client = await connect({ ...base, port: server.port, startTls: "opportunistic" });
    expect(client.secure).toBe(false);
    const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: bytes });
    expect(result).toMatchObject({ status: "accepted", code: 250, enhanced: "2.0.0", text: "queued" });
    await client.close();
    expect(server.received()).toMatch(/^EHLO client.example.test\r\nMAIL FROM:<a@example.test> BODY=8BITMIME|^EHLO client.example.test\r\nMAIL FROM:<a@example.test>/);
  });
});

describe("timeouts, aborts and broken connections", () => {
  it("a greeting that never comes times out at the session's deadline", async () => {
    const server = await scripted(undefined, () => undefined);
    const started = performance.now();
    const error = await failure(connect({ ...base, port: server.port, startTls: "never", timeouts: { greeting: 150 } }));
    expect(error.reason).toBe("timeout");
    expect(error.fault).toBe("remote");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("a 554 greeting is greeting-refused with the reply, and nothing but QUIT is sent", async () => {
    const server = await scripted("554 5.3.2 no service for you\r\n", ordinary([]));
    const error = await failure(connect({ ...base, port: server.port, startTls: "never" }));
    expect(error.reason).toBe("greeting-refused");
    expect(error.reply).toEqual({ code: 554, enhanced: "5.3.2", lines: ["no service for you"] });
    for (let i = 0; i < 100 && !server.received().includes("QUIT"); i += 1) await new Promise((done) => setTimeout(done, 10));
    expect(server.received()).toBe("QUIT\r\n");
  });

  it("a refused TCP connection is connection-failed", async () => {
    const server = await scripted(undefined, () => undefined);
    const port = server.port;
    await server.close();
    const error = await failure(connect({ ...base, port, startTls: "never" }));
    expect(error.reason).toBe("connection-failed");
  });

  it("an AbortSignal ends a connection that waits for the greeting", async () => {
    const server = await scripted(undefined, () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    const error = await failure(connect({ ...base, port: server.port, startTls: "never", signal: controller.signal }));
    expect(error.reason).toBe("aborted");
    expect(error.fault).toBe("local");
  });

  it("an already aborted signal never connects", async () => {
    const server = await scripted("220 mx.example.test\r\n", ordinary([]));
    const error = await failure(connect({ ...base, port: server.port, startTls: "never", signal: AbortSignal.abort() }));
    expect(error.reason).toBe("aborted");
    expect(server.received()).toBe("");
  });

  it("the server closing after the end of data: the send fails with dataSent, the message may have arrived", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line, socket) => {
      if (line === ".") {
        socket.destroy();
        return undefined;
      }
      return ordinary(["PIPELINING"])(line);
    });
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const error = await failure(client.send({ from: "a@example.test", to: ["b@example.test"], message: bytes }));
    expect(error.reason).toBe("connection-closed");
    expect(error.result?.dataSent).toBe(true);
    expect(client.ended).toBe(true);
    // Later sends fail at once with the same failure.
    const again = await failure(client.send({ from: "a@example.test", to: ["b@example.test"], message: bytes }));
    expect(again.reason).toBe("connection-closed");
    expect(again.result?.dataSent).toBe(false);
  });

  it("a 421 in place of a reply ends the connection with service-closing and the reply", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line) => (line.startsWith("MAIL") ? "421 4.3.2 shutting down\r\n" : ordinary([])(line)));
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const error = await failure(client.send({ from: "a@example.test", to: ["b@example.test"], message: bytes }));
    expect(error.reason).toBe("service-closing");
    expect(error.reply?.code).toBe(421);
  });

  it("a message source that throws aborts the connection and the send rejects with its error", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary(["PIPELINING"]));
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const broken = new Error("disk on fire");
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode("Subject: half\r\n");
      throw broken;
    }
    const error = await client.send({ from: "a@example.test", to: ["b@example.test"], message: source() }).catch((caught: unknown) => caught);
    expect(error).toBe(broken);
    expect(client.ended).toBe(true);
    // The end of data never went out: the server cannot have taken a truncated message.
    expect(server.received()).not.toMatch(/\r\n\.\r\n/);
  });

  it("destroy() ends at once without QUIT", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary([]));
    const client: SmtpClient = await connect({ ...base, port: server.port, startTls: "never" });
    await client.destroy("test");
    expect(client.ended).toBe(true);
    expect(server.received()).not.toMatch(/QUIT/);
  });

  it("a server that rejects a recipient with 452 too-many-recipients reports it temporary", async () => {
    let count = 0;
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line) => {
      if (line.startsWith("RCPT")) return (count += 1) > 1 ? "452 4.5.3 Too many recipients\r\n" : "250 2.1.5 OK\r\n";
      return ordinary(["PIPELINING"])(line);
    });
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const result = await client.send({ from: "a@example.test", to: ["b@example.test", "c@example.test"], message: bytes });
    await client.close();
    expect(result.accepted).toEqual(["b@example.test"]);
    expect(result.recipients[1]).toMatchObject({ status: "rejected", temporary: true, code: 452, enhanced: "4.5.3", text: "Too many recipients" });
  });
});

describe("DATA pipelined with the envelope (RFC 2920 §3.1)", () => {
  /** An ordinary server that refuses every recipient and answers DATA with `dataReply`. */
  const refusing = (dataReply: string) => {
    const base = ordinary(["PIPELINING"]);
    return (line: string): string | undefined => {
      const verb = line.split(" ")[0]?.toUpperCase();
      if (verb === "RCPT") return "550 5.1.1 no such user\r\n";
      if (verb === "DATA") return dataReply;
      if (verb === ".") return "554 5.5.1 no valid recipients\r\n";
      return base(line);
    };
  };
  const secret = new TextEncoder().encode("Subject: secret\r\n\r\nnever to be sent\r\n");

  it("every RCPT refused and DATA refused: no content goes out, the result has DATA's reply, the connection goes on", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", refusing("554 5.5.1 no valid recipients\r\n"));
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const result = await client.send({ from: "a@example.test", to: ["b@example.test", "c@example.test"], message: secret });
    expect(result).toMatchObject({ status: "rejected", code: 554, rejected: ["b@example.test", "c@example.test"] });
    expect(result.transaction.dataSent).toBe(false);
    // The connection is still usable: RSET, then the next envelope.
    const again = await client.send({ from: "a@example.test", to: ["d@example.test"], message: secret });
    expect(again.status).toBe("rejected");
    await client.close();
    expect(server.received()).toContain("MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n");
    expect(server.received()).toContain("RSET\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<d@example.test>\r\nDATA\r\n");
    expect(server.received()).not.toContain("secret");
  });

  it("every RCPT refused and yet 354 to DATA: only a lone dot goes out, never the content", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", refusing("354 go ahead\r\n"));
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: secret });
    await client.close();
    expect(result).toMatchObject({ status: "rejected", rejected: ["b@example.test"] });
    expect(result.transaction.dataSent).toBe(false);
    expect(server.received()).toContain("DATA\r\n.\r\nRSET\r\n");
    expect(server.received()).not.toContain("secret");
  });

  it("a refused sender decides the result, not the 503 its pipelined DATA gets", async () => {
    const plain = ordinary(["PIPELINING"]);
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line) => {
      const verb = line.split(" ")[0]?.toUpperCase();
      if (verb === "MAIL") return "550 5.7.1 sender refused\r\n";
      if (verb === "RCPT" || verb === "DATA") return "503 5.5.1 need MAIL first\r\n";
      return plain(line);
    });
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: secret });
    await client.close();
    expect(result).toMatchObject({ status: "rejected", code: 550, enhanced: "5.7.1", text: "sender refused" });
    expect(server.received()).not.toContain("secret");
  });

  it("pipelining: false sends DATA only after the envelope's replies", async () => {
    const plain = ordinary(["PIPELINING"]);
    // The RCPT is never answered: a client that pipelined DATA would have sent it by now.
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line) => (line.startsWith("RCPT") ? undefined : plain(line)));
    const client = await connect({ ...base, port: server.port, startTls: "never", pipelining: false });
    const sent = client.send({ from: "a@example.test", to: ["b@example.test"], message: secret }).catch((error: unknown) => error);
    while (!server.received().includes("RCPT TO:<b@example.test>\r\n")) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.received()).not.toContain("DATA");
    await client.destroy();
    expect(SmtpClientError.isInstance(await sent)).toBe(true);
  });
});

describe("the EHLO name", () => {
  it("defaults to the system's FQDN, else the local address literal (RFC 5321 §4.1.3)", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary([]));
    const client = await connect({ host: "127.0.0.1", port: server.port, startTls: "never" });
    await client.close();
    const name = systemHostname();
    const expected = name.includes(".") ? name : "[127.0.0.1]";
    expect(server.received().split("\r\n")[0]).toBe(`EHLO ${expected}`);
  });
});

describe("onEvent", () => {
  it("sees the session's events in order, and a logger that throws changes nothing", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary(["PIPELINING"]));
    const seen: string[] = [];
    const client = await connect({
      ...base,
      port: server.port,
      startTls: "never",
      onEvent: (event) => {
        seen.push(event.type);
        throw new Error("logger bug");
      },
    });
    const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: bytes });
    await client.close();
    expect(result.status).toBe("accepted");
    expect(seen).toEqual(["greeting-received", "capabilities-received", "session-ready", "message-chunk-needed", "message-chunk-needed", "transaction-result"]);
  });
});

describe("the pool", () => {
  it("a pooled connection dropped before any content went out: the message is sent again on a fresh one", async () => {
    let connections = 0;
    let mails = 0;
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line, socket) => {
      if (line.startsWith("EHLO")) connections += 1;
      // The first connection dies at its second MAIL, as an idle timeout would.
      if (line.startsWith("MAIL") && (mails += 1) === 2) {
        socket.destroy();
        return undefined;
      }
      return ordinary([])(line);
    });
    const pool = createPool({ ...base, port: server.port, startTls: "never", max: 1 });
    const first = await pool.send({ from: "a@example.test", to: ["b@example.test"], message: bytes });
    const second = await pool.send({ from: "a@example.test", to: ["c@example.test"], message: bytes });
    await pool.close();
    expect([first.status, second.status]).toEqual(["accepted", "accepted"]);
    expect(connections).toBe(2);
  });

  it("a connection lost after the end of data is not retried: the message may have arrived", async () => {
    let ends = 0;
    const server = await scripted("220 mx.example.test ESMTP\r\n", (line, socket) => {
      if (line === "." && (ends += 1) === 1) {
        socket.destroy();
        return undefined;
      }
      return ordinary([])(line);
    });
    const pool = createPool({ ...base, port: server.port, startTls: "never", max: 1 });
    const error = await failure(pool.send({ from: "a@example.test", to: ["b@example.test"], message: bytes }));
    expect(error.result?.dataSent).toBe(true);
    expect(ends).toBe(1);
    // The pool goes on with a new connection.
    expect((await pool.send({ from: "a@example.test", to: ["b@example.test"], message: bytes })).status).toBe("accepted");
    await pool.close();
  });

  it("refuses limits that are not positive integers", () => {
    for (const max of [0, -1, 1.5, Number.NaN]) expect(() => createPool({ host: "127.0.0.1", max })).toThrow(ClientUsageError);
  });
});

describe("misuse throws ClientUsageError before any connection", () => {
  it("bad options", async () => {
    for (const options of [
      { host: "", port: 25 },
      { host: "127.0.0.1", port: 0 },
      { host: "127.0.0.1", port: 70_000 },
      { host: "127.0.0.1", startTls: "sometimes" },
      { host: "127.0.0.1", tls: { pinnedCertificates: ["not hex"] } },
      { host: "127.0.0.1", connectTimeout: -1 },
      { host: "127.0.0.1", messageChunkSize: 0 },
      { host: "127.0.0.1", messageChunkSize: 67_108_865 },
      { host: "127.0.0.1", hostname: "bad name with spaces" },
    ]) {
      const error = await connect(options as never).catch((caught: unknown) => caught);
      expect(ClientUsageError.isInstance(error), JSON.stringify(options)).toBe(true);
    }
  });

  it("bad envelopes and send after close", async () => {
    const server = await scripted("220 mx.example.test ESMTP\r\n", ordinary(["PIPELINING"]));
    const client = await connect({ ...base, port: server.port, startTls: "never" });
    for (const mail of [
      { to: ["b@example.test"], message: bytes },
      { from: "a@example.test", to: [], message: bytes },
      { from: "no-at-sign", to: ["b@example.test"], message: bytes },
      { from: "a@example.test", to: ["b@example.test\r\nRCPT TO:<evil@example.test>"], message: bytes },
      { from: "a@example.test", to: ["b@example.test"], message: 42 },
    ]) {
      const error = await client.send(mail as never).catch((caught: unknown) => caught);
      expect(ClientUsageError.isInstance(error), JSON.stringify(mail)).toBe(true);
    }
    await client.close();
    const late = await client.send({ from: "a@example.test", to: ["b@example.test"], message: bytes }).catch((caught: unknown) => caught);
    expect(ClientUsageError.isInstance(late) && late.reason === "wrong-state").toBe(true);
    expect(server.received()).not.toMatch(/evil/);
  });
});
