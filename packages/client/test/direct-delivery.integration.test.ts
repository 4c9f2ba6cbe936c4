// Direct delivery through an injected resolver (no real DNS): MX hosts tried
// in preference order, the first unreachable one skipped, a null MX bounced
// without connecting, and one-shot streams refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePeer, startSmtpServer, type RunningSmtpServer } from "@smtpkit/interop";
import { ClientUsageError, createMxResolver, deliverDirect, type DnsResolver } from "@smtpkit/client";

const nodata = (): Promise<never> => Promise.reject(Object.assign(new Error("no data"), { code: "ENODATA" }));

function resolver(records: Record<string, { mx?: { exchange: string; priority: number }[]; a?: string[] }>): DnsResolver & { queried: string[] } {
  const queried: string[] = [];
  return {
    queried,
    resolveMx: (name) => {
      queried.push(`MX ${name}`);
      const mx = records[name]?.mx;
      return mx === undefined ? nodata() : Promise.resolve(mx);
    },
    resolve4: (name) => {
      queried.push(`A ${name}`);
      const a = records[name]?.a;
      return a === undefined ? nodata() : Promise.resolve(a);
    },
    resolve6: () => nodata(),
  };
}

const message = new TextEncoder().encode("From: <a@sender.test>\r\nSubject: direct\r\n\r\nDirect.\r\n");

describe.skipIf(!requirePeer("smtp-server"))("deliverDirect", () => {
  let server: RunningSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({ tls: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("tries the MX hosts in preference order: the unreachable best one, then the next, which takes it", async () => {
    const dns = resolver({
      "example.test": { mx: [{ exchange: "mx2.example.test", priority: 20 }, { exchange: "mx1.example.test", priority: 10 }] },
      "mx1.example.test": { a: ["127.0.0.2"] }, // nothing listens there
      "mx2.example.test": { a: ["127.0.0.1"] },
    });
    const before = server.messages().length;
    const outcome = await deliverDirect(
      { from: "a@sender.test", to: ["bob@example.test", "carol@EXAMPLE.test"], message },
      { port: server.port, hostname: "mta.sender.test", lookup: createMxResolver({ resolver: dns }) },
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.target.host).toBe("mx2.example.test");
    expect(outcome.attempts.map((attempt) => [attempt.host, attempt.error.reason])).toEqual([["mx1.example.test", "connection-failed"]]);
    expect(outcome.result.accepted).toEqual(["bob@example.test", "carol@EXAMPLE.test"]);
    const stored = await server.waitForMessages(before + 1);
    expect(stored[before]?.data.equals(Buffer.from(message))).toBe(true);
  });

  it("a null MX (RFC 7505) is a permanent failure without any connection", async () => {
    const dns = resolver({ "nomail.test": { mx: [{ exchange: "", priority: 0 }] } });
    const outcome = await deliverDirect({ from: "a@sender.test", to: ["x@nomail.test"], message }, { port: server.port, lookup: createMxResolver({ resolver: dns }) });
    expect(outcome).toMatchObject({ ok: false, kind: "permanent", reason: "null-mx", attempts: [] });
    expect(dns.queried).toEqual(["MX nomail.test"]);
  });

  it("every host unreachable: a transient failure listing each attempt", async () => {
    const dns = resolver({ "down.test": { a: ["127.0.0.3"] } });
    const outcome = await deliverDirect({ from: "a@sender.test", to: ["x@down.test"], message }, { port: server.port, lookup: createMxResolver({ resolver: dns }) });
    expect(outcome).toMatchObject({ ok: false, kind: "transient", reason: "all-hosts-failed" });
    if (!outcome.ok) expect(outcome.attempts.map((attempt) => attempt.address)).toEqual(["127.0.0.3"]);
  });

  it("refuses recipients of several domains and one-shot streams", async () => {
    const lookup = createMxResolver({ resolver: resolver({}) });
    await expect(deliverDirect({ from: "a@sender.test", to: ["x@one.test", "y@two.test"], message }, { lookup })).rejects.toSatisfy(ClientUsageError.isInstance);
    async function* stream(): AsyncGenerator<Uint8Array> {
      yield message;
    }
    await expect(deliverDirect({ from: "a@sender.test", to: ["x@one.test"], message: stream() }, { lookup })).rejects.toSatisfy(ClientUsageError.isInstance);
  });
});
