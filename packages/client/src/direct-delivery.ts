/**
 * Direct delivery (RFC 5321 §5.1): the recipients of one domain, to that
 * domain's MX hosts, tried in order until one of them gives an answer about
 * the message. Uses {@link createMxResolver} (null MX, implicit MX, loops)
 * through an injectable look-up, so tests never touch real DNS.
 *
 * Only failures before the server has said anything about the message (no
 * connection, a refused greeting, a failed handshake, a dropped connection
 * before the end of data) move on to the next host; a reply to the message
 * itself (accepted, or rejected, 4yz or 5yz) is the answer. A connection lost
 * after the end of data stops there too: the message may have been
 * delivered (RFC 1047), and trying the next host could duplicate it.
 *
 * Not done: MTA-STS (RFC 8461) and DANE (RFC 7672); see the package README.
 *
 * @module
 */
import { Situations, type Situation } from "@smtpkit/codes";
import { ClientUsageError } from "./client-usage-error.js";
import type { ConnectOptions } from "./connect-options.js";
import { toMailbox } from "./message-source.js";
import { createMxResolver, type MxFailureReason, type MxLookup, type MxTarget } from "./mx-resolver.js";
import { connect, type SendOptions, type SendResult, type SmtpClient } from "./smtp-client.js";
import { SmtpClientError } from "./smtp-client-error.js";

/**
 * Options of {@link deliverDirect}: those of each connection (without
 * `host`), plus the look-up.
 *
 * @example
 * ```ts
 * const options: DirectDeliveryOptions = { hostname: "mta.example.com", lookup: createMxResolver({ localNames: ["mta.example.com"] }) };
 * ```
 */
export interface DirectDeliveryOptions extends Omit<ConnectOptions, "host" | "implicitTls" | "startTls"> {
  /** Where a domain's mail goes; default `createMxResolver()` (real DNS). */
  readonly lookup?: MxLookup;
  /**
   * STARTTLS policy; default `opportunistic` (RFC 3207, RFC 7435: most MX
   * hosts are reached without an authenticated channel). Under
   * `opportunistic` a certificate that does not verify still fails that
   * host (it is never sent in clear text instead); set
   * `tls.rejectUnauthorized: false` to accept any certificate, as most MTAs do.
   */
  readonly startTls?: ConnectOptions["startTls"];
  /** Makes a connection; default {@link connect}. For tests and for wrapping. */
  readonly connect?: (options: ConnectOptions) => Promise<SmtpClient>;
}

/** One connection attempt that gave no answer about the message. */
export interface DeliveryAttempt {
  /** The MX host name (or address literal). */
  readonly host: string;
  /** The address tried. */
  readonly address: string;
  /** What went wrong. */
  readonly error: SmtpClientError;
}

/**
 * The outcome of {@link deliverDirect}.
 *
 * @example
 * ```ts
 * // { ok: true, domain: "example.org", target: { host: "mx1.example.org", address: "192.0.2.25", ... }, result: {...}, attempts: [] }
 * // { ok: false, domain: "example.net", kind: "permanent", reason: "null-mx", situation: {...}, attempts: [] }
 * ```
 */
export type DirectDeliveryResult =
  | {
      readonly ok: true;
      /** The recipients' domain. */
      readonly domain: string;
      /** The host that answered. */
      readonly target: MxTarget;
      /** Its answer (accepted, or rejected with the replies). */
      readonly result: SendResult;
      /** The hosts tried before it. */
      readonly attempts: readonly DeliveryAttempt[];
    }
  | {
      readonly ok: false;
      /** The recipients' domain. */
      readonly domain: string;
      /** `transient`: try again later; `permanent`: bounce. */
      readonly kind: "transient" | "permanent";
      /**
       * Why: an MX look-up failure, `all-hosts-failed` (every host failed
       * before answering) or `delivery-uncertain` (a connection was lost
       * after the end of data: do not try another host now).
       */
      readonly reason: MxFailureReason | "all-hosts-failed" | "delivery-uncertain";
      /**
       * The status to report in a DSN: the look-up's, or 4.4.2 (bad
       * connection) when hosts were tried (`@smtpkit/codes` has no 4.4.1 "no
       * answer from host" yet).
       */
      readonly situation: Situation;
      /** The hosts tried. */
      readonly attempts: readonly DeliveryAttempt[];
    };

/**
 * Delivers one message to the MX hosts of its recipients' domain (all
 * recipients must share it: split by domain first).
 *
 * @param mail - the envelope and the content; the content is read once per host
 *   tried, so pass bytes or a `@smtpkit/mime` spec, not a one-shot stream
 * @param options - connection options and the look-up
 * @returns the answer of the first host that gave one, or why there was none
 * @throws {@link ClientUsageError} when recipients have different domains, or the content is a one-shot stream
 * @example
 * ```ts
 * import { deliverDirect } from "@smtpkit/client";
 * const outcome = await deliverDirect({ from: "a@example.com", to: ["b@example.org"], message: bytes }, { hostname: "mta.example.com" });
 * if (!outcome.ok && outcome.kind === "transient") queueForRetry();
 * ```
 */
export async function deliverDirect(mail: SendOptions, options: DirectDeliveryOptions = {}): Promise<DirectDeliveryResult> {
  const { lookup = createMxResolver(), connect: open = connect, ...connectOptions } = options;
  const message: unknown = mail.message;
  if (!(message instanceof Uint8Array) && (typeof message !== "object" || message === null || Symbol.iterator in message || Symbol.asyncIterator in message)) {
    throw new ClientUsageError("invalid-message", "message", undefined, "deliverDirect() may read the message more than once: pass bytes or a message spec.");
  }
  const recipients = mail.to ?? [];
  const domains = new Set(
    recipients.map((recipient) => toMailbox(typeof recipient === "object" && "address" in recipient ? recipient.address : recipient, "to").domain.toLowerCase()),
  );
  if (domains.size !== 1) throw new ClientUsageError("invalid-message", "to", mail.to, "deliverDirect() takes recipients of exactly one domain.");
  const domain = [...domains][0] as string;
  const resolution = await lookup.resolve(domain);
  if (!resolution.ok) return { ok: false, domain, kind: resolution.kind, reason: resolution.reason, situation: resolution.situation, attempts: [] };
  const attempts: DeliveryAttempt[] = [];
  for (const target of resolution.targets) {
    let client: SmtpClient | undefined;
    try {
      client = await open({
        ...connectOptions,
        startTls: connectOptions.startTls ?? "opportunistic",
        host: target.address,
        tls: { servername: target.host, ...connectOptions.tls },
      });
      const result = await client.send(mail);
      await client.close();
      return { ok: true, domain, target, result, attempts };
    } catch (error) {
      if (!SmtpClientError.isInstance(error)) {
        void client?.destroy();
        throw error;
      }
      attempts.push({ host: target.host, address: target.address, error });
      if (error.result?.dataSent === true) {
        return { ok: false, domain, kind: "transient", reason: "delivery-uncertain", situation: Situations.Timeout, attempts };
      }
      if (error.fault === "local" && error.reason === "aborted") break;
    }
  }
  return { ok: false, domain, kind: "transient", reason: "all-hosts-failed", situation: Situations.Timeout, attempts };
}
