/**
 * One delivery attempt: the recipients of one entry that share a domain, to
 * that domain's MX hosts in order (RFC 5321 §5.1), over a connection reused
 * from an earlier attempt when one to the same address is idle.
 *
 * - The look-up is the client's `MxLookup` (preference order, A/AAAA
 *   fallback, null MX RFC 7505 as a permanent failure, our own names and
 *   addresses dropped as a loop).
 * - A host that gives no answer about the message (refused connection,
 *   greeting refused, TLS failure, dropped before the end of data) is
 *   skipped for the next; a reply to the message (accepted or rejected,
 *   4yz or 5yz) is the answer.
 * - A connection lost after the end of data, before the reply, is a
 *   temporary failure: the message is sent again later (RFC 1047; a
 *   duplicate is acceptable, a loss is not), and no other host is tried now.
 * - Each recipient gets its own outcome: a 250 for one and a 550 for another
 *   are handled separately.
 * - The message is streamed from its spool file and its digest checked on the
 *   way; a damaged file aborts the transaction before the end of data.
 *
 * Does not: decide retries or notices (see relay-queue.ts).
 *
 * @module
 */
import { SmtpClientError, type ConnectOptions, type MxLookup, type MxTarget, type RecipientInput, type SendResult, type SmtpClient } from "@smtpkit/client";
import type { Situation } from "@smtpkit/codes";
import type { QueueClock } from "./queue-clock.js";
import type { QueueRecipient } from "./queue-envelope.js";
import { SpoolCorruptionError } from "./spool.js";
import type { EntryMetadata, StoredReply } from "./spool-format.js";

/** What happened to one recipient in one attempt. */
export type RecipientOutcome =
  | { readonly kind: "delivered"; readonly reply: StoredReply; readonly relayed: boolean }
  | { readonly kind: "temporary"; readonly reply: StoredReply }
  | { readonly kind: "permanent"; readonly reply: StoredReply };

/** The outcome of one attempt. */
export interface AttemptOutcome {
  /** One per recipient of the job, same order; empty when `corrupt`. */
  readonly outcomes: readonly RecipientOutcome[];
  /** The host that answered, if any. */
  readonly host?: string;
  /** Its address. */
  readonly address?: string;
  /** Hosts that gave no answer, with why. */
  readonly skipped: readonly { readonly host: string; readonly address: string; readonly error: string }[];
  /** Set when the spool file failed its checksum while being sent. */
  readonly corrupt: boolean;
}

/** How attempts connect. */
export interface DeliverySettings {
  /** Our EHLO name. */
  readonly hostname: string;
  /** The MX look-up. */
  readonly lookup: MxLookup;
  /** The SMTP port of every MX host (25). */
  readonly port: number;
  /** Opens a connection. */
  readonly connect: (options: ConnectOptions) => Promise<SmtpClient>;
  /** Further connection options (timeouts, TLS trust...). */
  readonly connectOptions: Partial<Omit<ConnectOptions, "host" | "port" | "hostname" | "startTls" | "auth">>;
  /** The STARTTLS policy for a domain. */
  readonly startTlsFor: (domain: string) => "opportunistic" | "required" | "never";
  /** The most `Received:` fields before a message is a loop. */
  readonly maxHops: number;
  /** The most recipients in one transaction. */
  readonly maxRecipientsPerTransaction: number;
}

/** One job: some recipients of one entry, all of one domain. */
export interface DeliveryJob {
  /** The entry. */
  readonly metadata: EntryMetadata;
  /** Their routing domain. */
  readonly domain: string;
  /** The recipients. */
  readonly recipients: readonly QueueRecipient[];
  /** Opens the message, once per host tried. */
  readonly content: () => AsyncIterable<Uint8Array>;
}

/**
 * A reply made by the queue itself, from a `@smtpkit/codes` situation.
 *
 * @internal
 */
export function situationReply(situation: Situation, detail?: string): StoredReply {
  const text = detail === undefined ? situation.text : `${situation.text}: ${detail}`;
  return situation.enhanced === undefined ? { code: situation.code, text } : { code: situation.code, enhanced: situation.enhanced, text };
}

function reply(code: number, enhanced: string | undefined, text: string, remoteMta?: string): StoredReply {
  return {
    code,
    text,
    ...(enhanced === undefined ? {} : { enhanced }),
    ...(remoteMta === undefined ? {} : { remoteMta }),
  };
}

// What the client refuses before MAIL, said as the reply a server would give.
const refusals: Record<string, { code: number; enhanced: string; text: string }> = {
  // RFC 3463 X.6.3: conversion required but not supported.
  "8bit-not-supported": { code: 554, enhanced: "5.6.3", text: "8-bit message and the server does not offer 8BITMIME" },
  "binarymime-not-supported": { code: 554, enhanced: "5.6.3", text: "binary message and the server does not offer BINARYMIME" },
  // RFC 6531 §3.5 / RFC 3463 X.6.7: non-ASCII addresses not permitted.
  "smtputf8-not-supported": { code: 553, enhanced: "5.6.7", text: "internationalized message and the server does not offer SMTPUTF8" },
  // RFC 1870 §6.1.
  "size-exceeds-limit": { code: 552, enhanced: "5.3.4", text: "message larger than the server's SIZE" },
  // RFC 8689 §5.
  "requiretls-not-supported": { code: 550, enhanced: "5.7.30", text: "REQUIRETLS asked for and the server does not offer it over TLS" },
};

function classify(code: number | undefined): "temporary" | "permanent" {
  return code !== undefined && code >= 500 && code <= 599 ? "permanent" : "temporary";
}

/**
 * Turns one transaction's result into an outcome per recipient.
 *
 * @internal
 */
export function outcomesFromResult(result: SendResult, count: number, remoteMta: string): RecipientOutcome[] {
  if (result.status === "refused") {
    const refusal = refusals[result.refusal ?? ""] ?? { code: 554, enhanced: "5.0.0", text: `refused by the client: ${String(result.refusal)}` };
    // Our own decision, taken before MAIL: not attributed to the server (no Remote-MTA in a DSN), which is named in the text.
    const stored = reply(refusal.code, refusal.enhanced, `${refusal.text} (${remoteMta}); not sent`, undefined);
    return Array.from({ length: count }, () => ({ kind: "permanent", reply: stored }));
  }
  const deciding = result.code === undefined ? undefined : reply(result.code, result.enhanced, result.text ?? "", remoteMta);
  // MAIL refused: every recipient shares that reply. With PIPELINING the RCPTs were still answered (503 "need
  // MAIL"), and that answer says nothing about the recipient.
  const mailCode = result.transaction.mailReply?.code;
  if (mailCode !== undefined && mailCode >= 400 && deciding !== undefined) {
    return Array.from({ length: count }, () => ({ kind: classify(deciding.code), reply: deciding }));
  }
  const outcomes: RecipientOutcome[] = [];
  for (let index = 0; index < count; index += 1) {
    const report = result.recipients[index];
    if (report === undefined || report.status === "not-attempted") {
      // MAIL refused, or the transaction stopped before this RCPT: the deciding reply applies.
      const stored = deciding ?? reply(451, "4.4.0", "the transaction ended before this recipient was answered", remoteMta);
      outcomes.push({ kind: classify(stored.code), reply: stored });
      continue;
    }
    const own = report.code === undefined ? undefined : reply(report.code, report.enhanced, report.text ?? "", remoteMta);
    if (result.status === "accepted" && report.status === "accepted") {
      outcomes.push({ kind: "delivered", reply: own !== undefined && own.code >= 200 && own.code < 300 && deciding !== undefined ? deciding : (own ?? deciding ?? reply(250, undefined, "", remoteMta)), relayed: !result.transaction.dsnSent });
      continue;
    }
    // Refused at RCPT (or LMTP after the data) with its own 4yz/5yz; or
    // accepted at RCPT and then the message was refused: the message's reply.
    const stored = own !== undefined && own.code >= 400 ? own : (deciding ?? reply(451, "4.4.0", "no reply to the message", remoteMta));
    outcomes.push({ kind: classify(stored.code), reply: stored });
  }
  return outcomes;
}

/** Idle connections kept for reuse, per MX address. */
export interface ConnectionCache {
  /** Takes an idle connection to `key`, if one is open. */
  take(key: string): SmtpClient | undefined;
  /** Gives a connection back for `idleMilliseconds`. */
  give(key: string, client: SmtpClient): void;
  /** Closes every idle connection. */
  closeAll(): Promise<void>;
}

/**
 * Makes a cache of idle connections closed after `idleMilliseconds`.
 *
 * @internal
 */
export function createConnectionCache(clock: QueueClock, idleMilliseconds: number, maxMessagesPerConnection: number): ConnectionCache {
  const idle = new Map<string, { client: SmtpClient; timer: unknown }[]>();
  const sent = new WeakMap<SmtpClient, number>();
  const drop = (key: string, client: SmtpClient): void => {
    const list = idle.get(key);
    if (list === undefined) return;
    const index = list.findIndex((item) => item.client === client);
    if (index >= 0) {
      clock.clearTimeout(list[index]?.timer);
      list.splice(index, 1);
    }
    if (list.length === 0) idle.delete(key);
  };
  return {
    take(key) {
      const list = idle.get(key);
      while (list !== undefined && list.length > 0) {
        const item = list.pop() as { client: SmtpClient; timer: unknown };
        clock.clearTimeout(item.timer);
        if (!item.client.ended) {
          if (list.length === 0) idle.delete(key);
          return item.client;
        }
      }
      idle.delete(key);
      return undefined;
    },
    give(key, client) {
      const count = (sent.get(client) ?? 0) + 1;
      sent.set(client, count);
      if (client.ended || count >= maxMessagesPerConnection || idleMilliseconds === 0) {
        void client.close().catch(() => undefined);
        return;
      }
      const timer = clock.setTimeout(() => {
        drop(key, client);
        void client.close().catch(() => undefined);
      }, idleMilliseconds);
      const list = idle.get(key) ?? [];
      list.push({ client, timer });
      idle.set(key, list);
    },
    async closeAll() {
      const all = [...idle.values()].flat();
      idle.clear();
      await Promise.all(
        all.map(async (item) => {
          clock.clearTimeout(item.timer);
          await item.client.close().catch(() => undefined);
        }),
      );
    },
  };
}

function errorText(error: unknown): string {
  if (SmtpClientError.isInstance(error)) {
    const code = error.reply === undefined ? "" : ` (${error.reply.code}${error.reply.enhanced === undefined ? "" : ` ${error.reply.enhanced}`} ${error.reply.lines.join(" ")})`;
    return `${error.reason}: ${error.message}${code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function toRecipientInput(recipient: QueueRecipient): RecipientInput {
  if (recipient.notify === undefined && recipient.orcpt === undefined) return recipient.to;
  return {
    address: recipient.to,
    ...(recipient.notify === undefined ? {} : { notify: recipient.notify }),
    ...(recipient.orcpt === undefined ? {} : { orcpt: recipient.orcpt }),
  };
}

function describeTarget(target: MxTarget): string {
  return target.host === target.address || target.host.startsWith("[") ? target.host : `${target.host} [${target.address}]`;
}

/**
 * Runs one delivery attempt.
 *
 * @internal
 */
export async function attemptDelivery(job: DeliveryJob, settings: DeliverySettings, cache: ConnectionCache): Promise<AttemptOutcome> {
  const count = job.recipients.length;
  const all = (kind: "temporary" | "permanent", stored: StoredReply, extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
    outcomes: Array.from({ length: count }, () => ({ kind, reply: stored })),
    skipped: [],
    corrupt: false,
    ...extra,
  });

  // RFC 5321 §6.3: too many Received: fields means a loop somewhere; do not pass it on.
  if (job.metadata.hops > settings.maxHops) {
    return all("permanent", { code: 554, enhanced: "5.4.6", text: `Routing loop detected: ${job.metadata.hops} Received: header fields (limit ${settings.maxHops})` });
  }
  const resolution = await settings.lookup.resolve(job.domain);
  if (!resolution.ok) {
    return all(resolution.kind === "transient" ? "temporary" : "permanent", situationReply(resolution.situation, `${resolution.reason} for ${job.domain}`));
  }

  const { envelope, size } = job.metadata;
  const policy = settings.startTlsFor(job.domain);
  const startTls = envelope.requireTls ? "required" : policy;
  const skipped: { host: string; address: string; error: string }[] = [];
  let lastError: SmtpClientError | undefined;
  for (const target of resolution.targets) {
    const key = `${target.address}|${settings.port}|${startTls}|${target.host}`;
    // A connection from the cache may have gone stale while idle: then one fresh try on the same host.
    for (let round = 0; round < 2; round += 1) {
      let client = round === 0 ? cache.take(key) : undefined;
      const reused = client !== undefined;
      try {
        client ??= await settings.connect({
          ...settings.connectOptions,
          host: target.address,
          port: settings.port,
          hostname: settings.hostname,
          startTls,
          maxRecipients: settings.maxRecipientsPerTransaction,
          tls: {
            // Opportunistic TLS does not check certificates, as MTAs do (RFC 7435 §4;
            // Postfix smtp_tls_security_level = may); "required" verifies them.
            rejectUnauthorized: startTls === "required",
            ...(target.host.startsWith("[") ? {} : { servername: target.host }),
            ...settings.connectOptions.tls,
          },
        });
        const result = await client.send({
          from: envelope.from,
          to: job.recipients.map(toRecipientInput),
          message: job.content(),
          size,
          body: envelope.body,
          ...(envelope.smtputf8 ? { smtputf8: true } : {}),
          ...(envelope.requireTls ? { requireTls: true } : {}),
          ...(envelope.ret === undefined ? {} : { ret: envelope.ret }),
          ...(envelope.envid === undefined ? {} : { envid: envelope.envid }),
        });
        cache.give(key, client);
        return { outcomes: outcomesFromResult(result, count, describeTarget(target)), host: target.host, address: target.address, skipped, corrupt: false };
      } catch (error) {
        if (client !== undefined) void client.destroy();
        if (SpoolCorruptionError.isInstance(error)) return { outcomes: [], skipped, corrupt: true };
        if (!SmtpClientError.isInstance(error)) throw error;
        if (error.result?.dataSent === true) {
          // RFC 1047: the server may have the message. Deliver again later (a duplicate at worst), not elsewhere now.
          return all(
            "temporary",
            { code: 451, enhanced: "4.4.2", text: `connection lost after the end of data, delivery uncertain: ${errorText(error)}`, remoteMta: describeTarget(target) },
            { host: target.host, address: target.address, skipped },
          );
        }
        if (reused && (error.result === undefined || !error.result.dataSent)) continue;
        lastError = error;
        skipped.push({ host: target.host, address: target.address, error: errorText(error) });
        if (error.fault === "local" && error.reason === "aborted") return all("temporary", { code: 451, enhanced: "4.3.2", text: "delivery aborted: the queue is closing" }, { skipped });
        break;
      }
    }
  }
  const last = lastError?.reply;
  // RFC 3463 X.4.1 "No answer from host"; X.4.2 "Bad connection".
  const stored =
    last !== undefined && last.code >= 400 && last.code < 500
      ? { code: last.code, ...(last.enhanced === undefined ? {} : { enhanced: last.enhanced }), text: last.lines.join(" ") }
      : { code: 451, enhanced: "4.4.1", text: `no MX host of ${job.domain} answered: ${skipped.map((item) => `${item.host} [${item.address}]: ${item.error}`).join("; ")}` };
  return all("temporary", stored, { skipped });
}

