// Shared fixtures of the interop self-tests.
import { expect } from "vitest";
import { findProcessesMentioning, isListening, type RunningPeer } from "@smtpkit/interop";

/** A small real message: CRLF line ends, an 8-bit UTF-8 body, a leading-dot line, all the headers MTAs would otherwise add. */
export const TEST_MESSAGE = Buffer.from(
  [
    "From: <sender@client.example.test>",
    "To: <rcpt@example.test>",
    "Subject: interop self-test caf\u00e9",
    "Message-ID: <self-test@client.example.test>",
    "Date: Sun, 01 Nov 2026 10:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "h\u00e9llo",
    ".leading dot",
    "..two dots",
    "",
  ].join("\r\n"),
  "utf8",
);

/** The envelope used with {@link TEST_MESSAGE}. */
export const ENVELOPE = { from: "sender@client.example.test", to: ["rcpt@example.test"] } as const;

/** Stops a peer and proves nothing of it is left: no process mentions its state directory, nothing listens on its port. */
export async function stopAndCheck(peer: RunningPeer): Promise<void> {
  await peer.stop();
  expect(findProcessesMentioning(peer.stateDirectory)).toEqual([]);
  expect(await isListening(peer.port)).toBe(false);
}
