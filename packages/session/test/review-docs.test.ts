// Independent review: the guides' worked node:net drivers are the very code
// the node-net tests run (so they cannot drift apart), and the README's
// examples give what their comments say.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  createClientSession,
  createServerSession,
  findTransition,
  isCommandAllowed,
  nextState,
  renderStateDiagram,
  stateDiagramDocument,
  transitionTable,
} from "@smtpkit/session";
import { describe, expect, it } from "vitest";

const read = (relative: string): string => readFileSync(fileURLToPath(new URL(relative, import.meta.url)), "utf8");

/** The text of a top-level function, from its signature to its closing brace. */
function functionText(source: string, signature: string): string {
  const start = source.indexOf(signature);
  expect(start, signature).toBeGreaterThanOrEqual(0);
  const end = source.indexOf("\n}\n", start);
  return source.slice(start, end + 2);
}

describe("the worked node:net examples are the tested code", () => {
  it("docs/session.md's serve() is the driver test/server-node-net.test.ts runs", () => {
    expect(functionText(read("../../../docs/session.md"), "function serve(")).toBe(functionText(read("./server-node-net.test.ts"), "function serve("));
  });

  it("docs/session-client.md's sendMail() is the driver test/client-node-net.test.ts runs", () => {
    expect(functionText(read("../../../docs/session-client.md"), "function sendMail(")).toBe(functionText(read("./client-node-net.test.ts"), "function sendMail("));
  });
});

describe("README examples", () => {
  it("the transition table example", () => {
    const flags = { tls: false, authenticated: false, lmtp: false };
    expect(isCommandAllowed("ready", "RCPT", flags)).toBe(false);
    const refusal = findTransition("ready", "RCPT", flags)?.outcome;
    expect(refusal).toMatchObject({ type: "refuse", situation: "NeedMail" });
    const row = findTransition("recipients", "DATA", flags);
    expect(row && nextState(row, 354)).toBe("data");
    expect(renderStateDiagram().startsWith("stateDiagram-v2")).toBe(true);
  });

  it("the server and AUTH configurations are accepted", () => {
    const session = createServerSession({ hostname: "mx.example.com", tls: { starttls: true } });
    session.connect({ remoteAddress: "192.0.2.1" }, Date.now());
    const output = session.nextOutput();
    expect(output?.type === "event" && output.event.type).toBe("connection-requested");
    expect(() =>
      createServerSession({
        hostname: "mx.example.com",
        tls: { starttls: true },
        auth: { sasl: { mechanisms: ["SCRAM-SHA-256", "PLAIN"] }, nonce: () => "c2VydmVyLW5vbmNlLTEyMzQ1" },
        policy: { authRequired: true },
      }),
    ).not.toThrow();
  });

  it("the client example queues, quits and starts at the greeting", () => {
    const session = createClientSession({ hostname: "client.example.com", startTls: "required" });
    const id = session.send({
      from: { localPart: "alice", domain: "example.com" },
      recipients: [{ address: { localPart: "bob", domain: "example.org" } }],
    });
    expect(typeof id).toBe("number");
    session.quit();
    session.connected(performance.now());
    session.receive(new TextEncoder().encode("220 mx.example.org ESMTP\r\n"), performance.now());
    const written = session
      .takeOutputs()
      .flatMap((output) => (output.type === "write" ? [new TextDecoder().decode(output.bytes)] : []))
      .join("");
    expect(written).toBe("EHLO client.example.com\r\n");
  });
});

describe("docs/session-states.md", () => {
  it("lists every row of the table, and the guide's 554 rule matches the table", () => {
    const page = read("../../../docs/session-states.md");
    expect(page).toBe(stateDiagramDocument());
    expect(page.split("\n").filter((line) => /^\| [a-z]+(-[a-z]+)* \| /.test(line))).toHaveLength(transitionTable.length);
    const guide = read("../../../docs/session.md");
    expect(guide).toContain("NOOP and RSET included");
    for (const verb of ["NOOP", "RSET"] as const) {
      expect(findTransition("refused", verb, { tls: false, authenticated: false, lmtp: false })?.outcome).toMatchObject({ type: "refuse", situation: "BadSequence" });
    }
  });
});
