// Runs @smtpkit/client (connect + send) as the client under test of client conformance.
import { connect, type ConnectOptions } from "@smtpkit/client";
import type { ClientConformanceTarget, ClientRunOutcome } from "@smtpkit/testkit";

/** Short timeouts, so that never-answers is over in seconds (the runner's silent timeout is set above them). */
export const OWN_CLIENT_TIMEOUT = 1_500;

export const MESSAGE = "From: a@example.test\r\nTo: b@example.test\r\nSubject: conformance\r\n\r\nHello.\r\n";

/** Sends one message to the case's port; the outcome is what the client reported. */
export async function runOwnClient(target: ClientConformanceTarget, extra: Partial<ConnectOptions> = {}): Promise<ClientRunOutcome> {
  const timeouts = { greeting: OWN_CLIENT_TIMEOUT, command: OWN_CLIENT_TIMEOUT, mail: OWN_CLIENT_TIMEOUT, rcpt: OWN_CLIENT_TIMEOUT, dataInitiation: OWN_CLIENT_TIMEOUT, dataBlock: OWN_CLIENT_TIMEOUT, dataTermination: OWN_CLIENT_TIMEOUT };
  try {
    const client = await connect({
      host: target.host,
      port: target.port,
      hostname: "client.example.test",
      startTls: "required",
      tls: { rejectUnauthorized: false },
      connectTimeout: 5_000,
      timeouts,
      ...extra,
    });
    try {
      const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: new TextEncoder().encode(MESSAGE) });
      return { reportedSuccess: result.status === "accepted", detail: `${result.status} ${result.code ?? ""}`.trim() };
    } finally {
      await client.close().catch(() => undefined);
    }
  } catch (error) {
    return { reportedSuccess: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
