/**
 * The four client drivers as one table, for tests that run the same check
 * with every real client ("real clients -> this server"), each with the
 * bytes a server should store for a given message, so the test can demand
 * exact equality instead of a loose match.
 *
 * @module
 */

import { sendWithMsmtp } from "./client-msmtp.js";
import { sendWithNodemailer } from "./client-nodemailer.js";
import { sendWithSmtplib } from "./client-smtplib.js";
import { sendWithSwaks } from "./client-swaks.js";
import type { ClientSendOptions, ClientSendResult } from "./client-common.js";
import type { PeerName } from "./peer-availability.js";
import { convertLineEnds } from "./stored-message.js";

/** One real client, uniformly driven. */
export interface ClientDriver {
  /** The peer name (for `requirePeer`). */
  readonly name: Extract<PeerName, "swaks" | "smtplib" | "msmtp" | "nodemailer">;
  /**
   * Sends one message (see the driver's own function for its options).
   *
   * @param options - server, envelope, message, tls, auth
   * @returns the client's exit code and output
   */
  send(options: ClientSendOptions): Promise<ClientSendResult>;
  /**
   * The DATA bytes a server receives (after dot-unstuffing) when this client
   * sends `message`, for a message with `From:`, `Date:` and `Message-ID:`
   * headers, header lines under 78 characters, and a final line end.
   *
   * @param message - what was given to the client
   * @returns what the server stores before adding its trace headers
   */
  expectedData(message: Uint8Array): Buffer;
}

/**
 * swaks, smtplib (`send_message`), msmtp and nodemailer, in that order.
 *
 * - swaks: LF→CRLF, plus one CRLF before the final dot.
 * - smtplib `send_message`: re-serialised with CRLF line ends.
 * - msmtp: LF→CRLF (it would add `From:`, `Date:`, `Message-ID:` if missing).
 * - nodemailer: LF→CRLF.
 *
 * @example
 * ```ts
 * for (const client of CLIENT_DRIVERS) {
 *   it.skipIf(!requirePeer(client.name))(`${client.name} delivers`, async () => {
 *     const result = await client.send({ port, from, to, message });
 *     expect(result.exitCode).toBe(0);
 *     // stored bytes == client.expectedData(message) + the server's trace headers
 *   });
 * }
 * ```
 */
export const CLIENT_DRIVERS: readonly ClientDriver[] = [
  {
    name: "swaks",
    send: (options) => sendWithSwaks(options),
    expectedData: (message) => Buffer.concat([convertLineEnds(message, "crlf"), Buffer.from("\r\n")]),
  },
  {
    name: "smtplib",
    send: (options) => sendWithSmtplib(options),
    expectedData: (message) => convertLineEnds(message, "crlf"),
  },
  {
    name: "msmtp",
    send: (options) => sendWithMsmtp(options),
    expectedData: (message) => convertLineEnds(message, "crlf"),
  },
  {
    name: "nodemailer",
    send: (options) => sendWithNodemailer(options),
    expectedData: (message) => convertLineEnds(message, "crlf"),
  },
];
