// Edge cases and split invariance: hostile replies at awkward moments, the
// extensions not covered elsewhere, and the law that neither the server's
// nor the embedder's chunking changes what the client does.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeData } from "@smtpkit/grammar";
import { createClientSession, type ClientOutput } from "@smtpkit/session";
import { alice, bob, bytes, Driver, latin1 } from "./client-harness.js";

const greeting = "220 mx.example.org ESMTP\r\n";
const ehlo = (...lines: string[]): string =>
  ["mx.example.org", ...lines].map((line, i, all) => `250${i === all.length - 1 ? " " : "-"}${line}\r\n`).join("");

function ready(capabilities: string[], options = {}): Driver {
  const driver = new Driver(options).connect();
  driver.server(greeting);
  driver.server(ehlo(...capabilities));
  driver.take();
  return driver;
}

describe("hostile replies at awkward moments", () => {
  it("an unsolicited 421 while idle ends the session without QUIT", () => {
    const driver = ready(["PIPELINING"]);
    expect(driver.server("421 4.3.2 going down\r\n")).toBe("");
    expect(driver.session.failure).toMatchObject({ reason: "service-closing", fault: "remote", reply: { code: 421 } });
    expect(driver.closed).toBe(true);
  });

  it("any other unsolicited reply is a protocol error", () => {
    const driver = ready([]);
    driver.server("250 surprise\r\n");
    expect(driver.session.failure?.reason).toBe("unexpected-reply");
  });

  it.each([
    ["a 250 to DATA (the content would be read as commands)", "250 ok\r\n"],
    ["a 334 to DATA", "334 \r\n"],
  ])("%s aborts", (_name, reply) => {
    const driver = ready([]);
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n");
    driver.server("250 ok\r\n");
    driver.server(reply);
    expect(driver.session.failure?.reason).toBe("unexpected-reply");
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "aborted", dataSent: false });
  });

  it("a 354 to MAIL is a protocol error", () => {
    const driver = ready([]);
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("354 go\r\n");
    expect(driver.session.failure?.reason).toBe("unexpected-reply");
  });

  it("a line that is not a reply, and a reply line beyond the limit, end the session", () => {
    const invalid = ready([]);
    invalid.server("HTTP/1.1 400 Bad Request\r\n");
    expect(invalid.session.failure).toMatchObject({ reason: "reply-invalid", fault: "remote" });
    const long = new Driver({ replyLimits: { maxLineLength: 100 } }).connect();
    long.server(`220 ${"x".repeat(200)}\r\n`);
    expect(long.session.failure).toMatchObject({ reason: "reply-too-long", fault: "remote" });
  });

  it("the server closing in the middle of a transaction aborts it", () => {
    const driver = ready(["PIPELINING"]);
    const id = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n25");
    driver.session.peerClosed(99);
    driver.pump();
    expect(driver.session.failure).toMatchObject({ reason: "connection-closed", fault: "remote" });
    expect(driver.session.failure?.message).toMatch(/middle of a reply/);
    expect(driver.eventsOf("transaction-result")[0]?.result).toMatchObject({ id, status: "aborted", temporary: true });
    expect(driver.eventsOf("transaction-result")[0]?.result.recipients[0]?.status).toBe("not-attempted");
  });

  it("abort() ends the session at once, without QUIT, and reports what was unfinished", () => {
    const driver = ready(["PIPELINING"]);
    const first = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    const second = driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.pump();
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n");
    driver.session.abort("shutting down");
    driver.pump();
    expect(driver.take()).toBe("");
    expect(driver.session.failure).toMatchObject({ reason: "aborted", fault: "local" });
    expect(driver.eventsOf("transaction-result").map((e) => [e.result.id, e.result.status])).toEqual([
      [first, "aborted"],
      [second, "aborted"],
    ]);
    expect(driver.closed).toBe(true);
    driver.session.abort("again");
    expect(driver.pump()).toEqual([]);
  });

  it("a TLS handshake that never completes times out", () => {
    const driver = new Driver({ timeouts: { command: 1000 } }).connect();
    driver.server(greeting);
    driver.server(ehlo("STARTTLS"));
    driver.server("220 go\r\n");
    const deadline = driver.session.deadline() as number;
    driver.session.tick(deadline);
    driver.pump();
    expect(driver.session.failure?.reason).toBe("timeout");
    expect(driver.session.failure?.message).toMatch(/TLS handshake/);
  });
});

describe("extensions", () => {
  it("REQUIRETLS goes on MAIL over TLS to a server that offers it", () => {
    const driver = ready(["REQUIRETLS"], { implicitTls: true });
    driver.session.send({ from: alice, recipients: [{ address: bob }], requireTls: true });
    driver.pump();
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com> REQUIRETLS\r\n");
  });

  it("with implicit TLS there is no STARTTLS, and SCRAM-SHA-256-PLUS binds to the channel", () => {
    const driver = new Driver({
      implicitTls: true,
      channelBinding: { type: "tls-exporter", data: new Uint8Array(32).fill(7) },
      auth: { credentials: { username: "alice", password: "wonderland" }, scramNonce: "abcdefghijklmnop" },
    }).connect();
    driver.server(greeting);
    const written = driver.server(ehlo("STARTTLS", "AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN"));
    expect(written).toBe(`AUTH SCRAM-SHA-256-PLUS ${btoa("p=tls-exporter,,n=alice,r=abcdefghijklmnop")}\r\n`);
  });

  it("BINARYMIME goes by BDAT with the octets untouched", () => {
    const driver = ready(["PIPELINING", "CHUNKING", "BINARYMIME", "8BITMIME"], { chunking: true });
    driver.session.send({ from: alice, recipients: [{ address: bob }], body: "BINARYMIME" });
    driver.server("250 ok\r\n250 ok\r\n");
    expect(driver.take()).toBe("MAIL FROM:<alice@example.com> BODY=BINARYMIME\r\nRCPT TO:<bob@example.org>\r\n");
    driver.session.provideMessage(Uint8Array.of(0x00, 0x0a, 0x2e, 0x0d, 0xff));
    driver.session.endMessage();
    driver.pump();
    expect(driver.take()).toBe("BDAT 5\r\n\u0000\n.\r\u00ffBDAT 0 LAST\r\n");
  });

  it("a relay answer (251) counts as accepted", () => {
    const driver = ready([]);
    driver.session.send({ from: alice, recipients: [{ address: bob }] });
    driver.server("250 ok\r\n");
    expect(driver.server("251 2.1.5 will forward\r\n")).toBe("DATA\r\n");
  });
});

/** Outputs with writes concatenated, comparable across runs. */
function normalize(outputs: readonly ClientOutput[]): unknown[] {
  const out: unknown[] = [];
  for (const output of outputs) {
    const last = out[out.length - 1] as { type: string; text: string } | undefined;
    if (output.type === "write") {
      if (last?.type === "write") last.text += latin1(output.bytes);
      else out.push({ type: "write", text: latin1(output.bytes) });
    } else out.push(JSON.parse(JSON.stringify(output)));
  }
  return out;
}

const script = [
  greeting,
  ehlo("PIPELINING", "8BITMIME", "SIZE 100000", "DSN"),
  "250 2.1.0 ok\r\n",
  "250 2.1.5 ok\r\n",
  "550-5.1.1 no such user\r\n550 5.1.1 really\r\n",
  "354 go\r\n",
  "250 2.0.0 queued\r\n",
  "221 bye\r\n",
];

describe("split invariance", () => {
  function run(splits: (reply: string) => string[], contentCuts: readonly number[], chunking: boolean): unknown[] {
    const session = createClientSession({ hostname: "client.example.com", chunking });
    const outputs: ClientOutput[] = [];
    session.connected(0);
    session.send({ from: alice, recipients: [{ address: bob }, { address: { localPart: "x", domain: "example.org" } }] });
    session.quit();
    const content = bytes("Subject: x\n\n.line\r\nlast");
    for (const reply of script) {
      for (const piece of splits(reply)) session.receive(bytes(piece), 1);
      outputs.push(...session.takeOutputs());
      if (session.state === "content") {
        let offset = 0;
        for (const cut of contentCuts) {
          if (offset >= content.length) break;
          session.provideMessage(content.subarray(offset, offset + cut));
          offset += cut;
        }
        if (offset < content.length) session.provideMessage(content.subarray(offset));
        session.endMessage();
        outputs.push(...session.takeOutputs());
      }
    }
    // Chunk events differ in number with the embedder's chunking; the rest must not.
    return normalize(outputs.filter((output) => !(output.type === "event" && output.event.type === "message-chunk-needed")));
  }

  it("whole replies, byte by byte, and arbitrary splits give the same writes and events", () => {
    const whole = run((reply) => [reply], [], false);
    expect(run((reply) => [...reply], [], false)).toEqual(whole);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 6 }), (cuts, contentCuts) => {
        const split = (reply: string): string[] => {
          const pieces: string[] = [];
          let i = 0;
          let k = 0;
          while (i < reply.length) {
            const size = cuts[k++ % cuts.length] as number;
            pieces.push(reply.slice(i, i + size));
            i += size;
          }
          return pieces;
        };
        expect(run(split, contentCuts, false)).toEqual(whole);
      }),
    );
  });

  it("the DATA content written is encodeData of the message, however the embedder cuts it", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 10 }), (message, cuts) => {
        const driver = ready([]);
        driver.session.send({ from: alice, recipients: [{ address: bob }], body: "7BIT" });
        driver.server("250 ok\r\n");
        driver.server("250 ok\r\n");
        driver.server("354 go\r\n");
        driver.take();
        // 7-bit and NUL-free (a NUL outside BINARYMIME aborts the session: review-client-attacks.test.ts).
        const sevenBit = message.map((octet) => octet & 0x7f || 0x20);
        let offset = 0;
        for (const cut of cuts) {
          driver.session.provideMessage(sevenBit.subarray(offset, offset + cut));
          offset += cut;
        }
        driver.session.provideMessage(sevenBit.subarray(Math.min(offset, sevenBit.length)));
        driver.session.endMessage();
        driver.pump();
        expect(driver.take()).toBe(latin1(encodeData(sevenBit)));
      }),
    );
  });

  it("the BDAT chunks carry the message with only its line endings repaired, each at most chunkSize, however the embedder cuts it", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", ".", "\r", "\n", " ", "x"), maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 16 }),
        (message, cuts, chunkSize) => {
          // A window wide enough for the whole message: no reply is needed before the LAST.
          const driver = ready(["PIPELINING", "CHUNKING"], { chunking: true, chunkSize, maxOutstandingChunks: 1024 });
          driver.session.send({ from: alice, recipients: [{ address: bob }] });
          driver.server("250 ok\r\n250 ok\r\n");
          driver.take();
          const content = bytes(message);
          let offset = 0;
          for (const cut of cuts) {
            driver.session.provideMessage(content.subarray(offset, offset + cut));
            offset += cut;
          }
          driver.session.provideMessage(content.subarray(Math.min(offset, content.length)));
          driver.session.endMessage();
          driver.pump();
          // Read the BDATs back as a server would.
          let wire = driver.take();
          let payload = "";
          let last = false;
          while (wire.length > 0) {
            const header = /^BDAT ([0-9]+)( LAST)?\r\n/.exec(wire);
            expect(header).not.toBeNull();
            const size = Number(header?.[1]);
            expect(size).toBeLessThanOrEqual(chunkSize);
            payload += wire.slice(header?.[0].length, (header?.[0].length ?? 0) + size);
            wire = wire.slice((header?.[0].length ?? 0) + size);
            last = header?.[2] !== undefined;
          }
          expect(last).toBe(true);
          expect(payload).toBe(message.replace(/\r\n|\r|\n/g, "\r\n"));
        },
      ),
    );
  });
});
