/**
 * The exact greeting and EHLO reply of a server, plain and after STARTTLS:
 * what the conformance reports and the docs quote for each peer.
 *
 * @module
 */

import { RawSmtpClient, type SmtpReply } from "./raw-smtp-client.js";

/** Options of {@link captureEhlo}. */
export interface CaptureEhloOptions {
  /** The server's port. */
  readonly port: number;
  /** Loopback host (default 127.0.0.1). */
  readonly host?: string;
  /** The EHLO argument (default `client.example.test`). */
  readonly helo?: string;
  /** Also upgrade with STARTTLS (when offered) and capture the EHLO reply over TLS. */
  readonly startTls?: boolean;
}

/** What {@link captureEhlo} saw. */
export interface EhloCapture {
  /** The 220 greeting. */
  readonly greeting: SmtpReply;
  /** The EHLO reply before TLS. */
  readonly ehlo: SmtpReply;
  /** The EHLO reply after STARTTLS, when `startTls` was asked and STARTTLS was offered. */
  readonly ehloAfterTls: SmtpReply | undefined;
  /** The EHLO keywords (first word of each line after the first, upper-cased), before TLS. */
  readonly keywords: readonly string[];
}

/**
 * Connects, reads the greeting, sends EHLO (and optionally STARTTLS + EHLO), then QUIT.
 *
 * @param options - port, helo, startTls
 * @returns the replies, exactly as received
 * @throws {@link InteropError} as the raw client does
 * @example
 * ```ts
 * const capture = await captureEhlo({ port: postfix.port, startTls: true });
 * capture.keywords; // ["PIPELINING", "SIZE", ..., "CHUNKING"]
 * ```
 */
export async function captureEhlo(options: CaptureEhloOptions): Promise<EhloCapture> {
  const client = await RawSmtpClient.connect({ port: options.port, ...(options.host === undefined ? {} : { host: options.host }) });
  try {
    const helo = options.helo ?? "client.example.test";
    const greeting = await client.expect(220);
    const ehlo = await client.command(`EHLO ${helo}`, 250);
    const keywords = ehlo.lines.slice(1).map((line) => (line.split(" ")[0] ?? "").toUpperCase());
    let ehloAfterTls: SmtpReply | undefined;
    if (options.startTls === true && keywords.includes("STARTTLS")) {
      await client.startTls();
      ehloAfterTls = await client.command(`EHLO ${helo}`, 250);
    }
    await client.quit();
    return { greeting, ehlo, ehloAfterTls, keywords };
  } finally {
    client.close();
  }
}
