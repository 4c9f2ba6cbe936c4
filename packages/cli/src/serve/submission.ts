/**
 * The submission role of `smtpkit serve` (`--submission`, port 587 style,
 * RFC 6409): the sender's own mail server. Clients must authenticate before
 * MAIL (530 5.7.0, RFC 4954 §6); mail for this server's domains goes to the
 * Maildir as without the flag; mail for any other domain goes to the durable
 * relay queue of `@smtpkit/queue`, which delivers it by MX (or to a
 * smarthost) and retries through outages.
 *
 * - Durability first: the 250 after DATA is given only when the queue's
 *   `enqueue` (or the Maildir store) has resolved, that is, once the message
 *   is on disk and synced (RFC 5321 §6.1).
 * - The `Received:` header this server adds (RFC 5321 §4.4) is queued with
 *   the message, so the recipient sees both hops.
 * - A message for local and remote recipients is delivered to both; it is
 *   held in memory for that (bounded by the size limit).
 * - Delivery status notifications of the queue (RFC 3464) to a sender of a
 *   local domain are delivered to the sender's Maildir here, not sent to
 *   ourselves over SMTP.
 *
 * - A `Return-Path:` field in the message is dropped (RFC 5321 §4.4: only the
 *   final delivery adds one; Postfix drops it too).
 *
 * Does not: rewrite the sender, add a Message-ID or Date (RFC 6409 §8 allows
 * it; the client's message is otherwise kept as sent), or sign.
 *
 * @module
 */
import { createMxResolver } from "@smtpkit/client";
import { createDsnNotifier, envelopeFromSession, openQueue, type PreparedNotification, type QueueEnvelope, type QueueLogEvent, type RelayQueue, type RetrySchedule } from "@smtpkit/queue";
import { mailboxAddress, normalizeDomain, openMaildirStore, type ConnectionContext, type HookAnswer, type MaildirStore, type MessageInfo, type ServerHooks } from "@smtpkit/server";
import type { Envelope } from "@smtpkit/session";
import { Option, type Command } from "commander";
import { CliError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import { collectMxMapping, createRouting, parseDuration, parseDurationList, parseDurationOrOff, parseRelayHost, type MxMapping } from "./queue-routing.js";

/** What the submission hooks need. */
export interface SubmissionSettings {
  /** The relay queue (open). */
  readonly queue: RelayQueue;
  /** The Maildir store for local recipients. */
  readonly store: MaildirStore;
  /** The domains delivered locally (lower case). */
  readonly localDomains: readonly string[];
  /** Reports a failure of the store or the queue, for the log. */
  readonly onError?: (what: string, detail: string) => void;
}

const encoder = new TextEncoder();

async function* withHead(head: string, content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (head !== "") yield encoder.encode(head);
  yield* content;
}

/**
 * How much of a message is looked at for `Return-Path:` fields to drop: 256 KiB. A header section longer than
 * that (no real one is) is passed on as it is rather than held in memory.
 */
export const RETURN_PATH_SCAN_BYTES = 256 * 1024;

// The end of the header section: the offset just after its empty line (CRLF, or a bare LF as lenient readers
// take it: RFC 5322 §2.1), or -1 when it is not in `bytes` yet. `from` is where the previous look stopped.
function headerSectionEnd(bytes: Uint8Array, from: number): number {
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  let index = Math.max(0, from - 3);
  for (;;) {
    index = bytes.indexOf(0x0a, index);
    if (index === -1 || index + 1 >= bytes.length) return -1;
    if (bytes[index + 1] === 0x0a) return index + 2;
    if (bytes[index + 1] === 0x0d) {
      if (index + 2 >= bytes.length) return -1;
      if (bytes[index + 2] === 0x0a) return index + 3;
    }
    index += 1;
  }
}

const returnPathName = "return-path";

// Whether the field starting at `start` is named Return-Path (RFC 5322 §3.6.7: `"Return-Path:" path`; WSP before
// the colon is the obsolete syntax of §4.5.7, which readers still take).
function isReturnPathField(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start <= returnPathName.length) return false;
  for (let index = 0; index < returnPathName.length; index += 1) {
    if (((bytes[start + index] as number) | 0x20) !== returnPathName.charCodeAt(index)) return false;
  }
  let index = start + returnPathName.length;
  while (index < end && (bytes[index] === 0x20 || bytes[index] === 0x09)) index += 1;
  return bytes[index] === 0x3a;
}

// The header section without its Return-Path fields, as pieces of `bytes` (no copy).
function dropReturnPathFields(bytes: Uint8Array, end: number): Uint8Array[] {
  const kept: Uint8Array[] = [];
  let keptFrom = 0;
  let fieldStart = 0;
  while (fieldStart < end) {
    // A field is its first line and every following line that starts with WSP (folding, RFC 5322 §2.2.3).
    let fieldEnd = fieldStart;
    for (;;) {
      const lineFeed = bytes.indexOf(0x0a, fieldEnd);
      fieldEnd = lineFeed === -1 || lineFeed >= end ? end : lineFeed + 1;
      if (fieldEnd >= end || (bytes[fieldEnd] !== 0x20 && bytes[fieldEnd] !== 0x09)) break;
    }
    if (isReturnPathField(bytes, fieldStart, fieldEnd)) {
      if (fieldStart > keptFrom) kept.push(bytes.subarray(keptFrom, fieldStart));
      keptFrom = fieldEnd;
    }
    fieldStart = fieldEnd;
  }
  if (end > keptFrom) kept.push(bytes.subarray(keptFrom, end));
  return kept;
}

/**
 * The message without the `Return-Path:` fields of its header section. RFC 5321 §4.4: the final delivery adds
 * Return-Path, and "a message-originating SMTP system SHOULD NOT send a message that already contains" one; a
 * submitted one would reach the recipient above or beside the true one (a forged bounce address). Postfix drops
 * it from every message (`message_drop_headers`, default `bcc, content-length, resent-bcc, return-path`).
 *
 * @param content - the message as received
 * @returns the message without them, streamed (only the header section is held, up to {@link RETURN_PATH_SCAN_BYTES})
 * @internal
 */
export async function* withoutReturnPath(content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  // The header section so far, in a buffer that doubles (a client writing byte by byte costs no quadratic copying).
  let buffer: Uint8Array | undefined;
  let length = 0;
  let passing = false;
  for await (const chunk of content) {
    if (passing) {
      yield chunk;
      continue;
    }
    const scanned = length;
    if (buffer === undefined && chunk.length > 0) {
      buffer = chunk;
    } else if (chunk.length > 0) {
      if (buffer === undefined || length + chunk.length > buffer.length || buffer.buffer === chunk.buffer || length === buffer.length) {
        const grown = new Uint8Array(Math.max(length + chunk.length, 2 * length, 4096));
        if (buffer !== undefined) grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      buffer.set(chunk, length);
    }
    length += chunk.length;
    if (buffer === undefined) continue;
    const bytes = buffer.subarray(0, length);
    const end = headerSectionEnd(bytes, scanned);
    if (end === -1 && length <= RETURN_PATH_SCAN_BYTES) continue;
    passing = true;
    buffer = undefined;
    if (end === -1) {
      yield bytes;
      continue;
    }
    yield* dropReturnPathFields(bytes, end);
    if (end < bytes.length) yield bytes.subarray(end);
  }
  // A message that is all header section (no empty line).
  if (!passing && buffer !== undefined) yield* dropReturnPathFields(buffer.subarray(0, length), length);
}

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

function isLocal(domain: string, localDomains: ReadonlySet<string>): boolean {
  // The bare <Postmaster> (RFC 5321 §4.1.1.3) has no domain: it is ours. Domains are compared as the relay
  // policy compares them (A-labels, lower case, no trailing dot), so both agree on what is local.
  return domain === "" || localDomains.has(normalizeDomain(domain) ?? domain.toLowerCase());
}

function localDomainSet(domains: readonly string[]): Set<string> {
  return new Set(domains.map((domain) => normalizeDomain(domain) ?? domain.toLowerCase()));
}

/**
 * The hooks that make a server a submission server: RCPT checks local
 * mailbox names, and the message goes to the Maildir, the queue, or both.
 *
 * @param settings - the queue, the store and the local domains
 * @returns `onRcptTo` and `onMessage` for `createServer`
 * @internal
 */
export function submissionHooks(settings: SubmissionSettings): Required<Pick<ServerHooks, "onRcptTo" | "onMessage">> {
  const { queue, store } = settings;
  const localDomains = localDomainSet(settings.localDomains);
  const storeFailure = (reason: string, detail: string): HookAnswer => {
    settings.onError?.("maildir", `${reason}${detail === "" ? "" : `: ${detail}`}`);
    // As the server's own store answers (RFC 5321 §4.3.2 allows 451, 452, 552 and 554 after DATA).
    return { type: "reject", situation: reason === "insufficient-storage" ? "InsufficientStorage" : reason === "invalid-reverse-path" ? "TransactionFailed" : "StorageFailed" };
  };

  async function deliverLocally(envelope: Envelope, content: AsyncIterable<Uint8Array>, info: MessageInfo): Promise<HookAnswer> {
    const recipients = envelope.recipients.filter((recipient) => isLocal(recipient.to.domain, localDomains)).map((recipient) => mailboxAddress(recipient.to));
    const result = await store.deliver({
      recipients,
      reversePath: envelope.from === null ? "" : `${envelope.from.localPart}@${envelope.from.domain}`,
      traceHeaders: info.receivedHeader,
      content,
    });
    if (result.ok) return undefined;
    if (result.reason === "content-failed") return { type: "reject", situation: "StorageFailed" };
    return storeFailure(result.reason, result.cause instanceof Error ? result.cause.message : "");
  }

  async function enqueueRemote(envelope: Envelope, content: AsyncIterable<Uint8Array>, info: MessageInfo, connection: ConnectionContext): Promise<HookAnswer> {
    const remote = { ...envelope, recipients: envelope.recipients.filter((recipient) => !isLocal(recipient.to.domain, localDomains)) };
    const queued: QueueEnvelope = envelopeFromSession(remote, connection.authenticatedAs);
    // RFC 5321 §4.4: our Received: travels with the message; Return-Path is added only at final delivery.
    const result = await queue.enqueue(queued, withHead(info.receivedHeader, content));
    if (result.ok) return undefined;
    if (result.reason !== "content-failed") settings.onError?.("queue", `${result.reason}${result.cause instanceof Error ? `: ${result.cause.message}` : ""}`);
    return { type: "reject", situation: result.situation };
  }

  return {
    async onRcptTo({ to, destination }) {
      if (destination === "remote") return undefined;
      // Without an onMessage hook the server checks this itself; with ours, we do.
      return store.mailboxDirectory(mailboxAddress(to)).ok ? undefined : { type: "reject", situation: "MailboxNameNotAllowed" };
    },
    async onMessage(envelope, received, info, connection) {
      const content = withoutReturnPath(received);
      const localCount = envelope.recipients.filter((recipient) => isLocal(recipient.to.domain, localDomains)).length;
      if (localCount === envelope.recipients.length) return deliverLocally(envelope, content, info);
      if (localCount === 0) return enqueueRemote(envelope, content, info, connection);
      // Both: the content is read once, so it is kept (the session bounds it by the size limit).
      const chunks: Uint8Array[] = [];
      for await (const chunk of content) chunks.push(chunk);
      const queued = await enqueueRemote(envelope, replay(chunks), info, connection);
      if (queued !== undefined) return queued;
      // The remote part is queued; a local failure now makes the client send again, so remote
      // recipients may get it twice: a duplicate, never a loss (RFC 5321 §6.1).
      return deliverLocally(envelope, replay(chunks), info);
    },
  };
}

/** What {@link openSubmission} needs: where things are and how to route. */
export interface SubmissionOptions {
  /** The spool directory of the queue (absolute). */
  readonly queueDirectory: string;
  /** The Maildir root (absolute). */
  readonly maildir: string;
  /** This server's name: EHLO, Reporting-MTA, `MAILER-DAEMON@`. */
  readonly hostname: string;
  /** The domains delivered locally. */
  readonly localDomains: readonly string[];
  /** `--mx-map` entries (tests and development). */
  readonly mxMappings: readonly MxMapping[];
  /** `--relay-host`, if any. */
  readonly relayHost: { readonly host: string; readonly port: number } | undefined;
  /** The retry schedule flags given. */
  readonly retry: Partial<RetrySchedule>;
  /** Receives the queue's log events. */
  readonly logger: ((event: QueueLogEvent) => void) | undefined;
  /** Reports what the queue's events do not cover (a store failure, a notice that cannot be delivered). */
  readonly onError?: (what: string, detail: string) => void;
}

/** A running submission role. */
export interface Submission {
  /** The hooks for `createServer` (besides `onAuth`). */
  readonly hooks: Required<Pick<ServerHooks, "onRcptTo" | "onMessage">>;
  /** The queue. */
  readonly queue: RelayQueue;
  /** Stops the queue (running deliveries get its grace period). */
  close(): Promise<void>;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * Opens the queue (recovering what a previous run left), the Maildir store
 * and the DSN notifier, and starts delivering.
 *
 * @param options - directories, names, routing and schedule
 * @returns the hooks and the queue
 * @throws the queue's `QueueUsageError` for a bad option or a spool another process holds, or the file system's error
 * @internal
 */
export async function openSubmission(options: SubmissionOptions): Promise<Submission> {
  const localDomains = localDomainSet(options.localDomains);
  const postmasterDomain = options.localDomains[0];
  const store = await openMaildirStore({ root: options.maildir, hostname: options.hostname, ...(postmasterDomain === undefined ? {} : { postmasterDomain }) });
  const fallback = options.mxMappings.length === 0 && options.relayHost === undefined ? undefined : createMxResolver({ localNames: [options.hostname] });
  const routing = createRouting(options.mxMappings, options.relayHost, fallback);
  let queue: RelayQueue | undefined;
  // DSNs (RFC 3464) for a sender of ours go to the sender's Maildir here; others are queued like any mail.
  const send = async (prepared: PreparedNotification): Promise<void> => {
    const sender = prepared.envelope.recipients[0]!.to;
    if (isLocal(sender.domain, localDomains)) {
      const result = await store.deliver({ recipients: [mailboxAddress(sender)], reversePath: "", content: once(prepared.notification.content) });
      if (result.ok) return;
      // A sender whose mailbox name the store refuses will never get it: the notice is dropped (and said so),
      // as an MTA drops a bounce it cannot deliver, rather than failing the original again and again.
      if (result.reason === "mailbox-name-not-allowed") {
        options.onError?.("notice", `the delivery status notification for ${sender.localPart}@${sender.domain} was dropped: no mailbox can hold it`);
        return;
      }
      // Full disk, I/O error: the queue keeps the recipients and notifies again later.
      throw new Error(`the delivery status notification could not be stored: ${result.reason}`);
    }
    if (queue === undefined) throw new Error("the queue is not open yet");
    const result = await queue.enqueue(prepared.envelope, prepared.notification.content);
    if (!result.ok) throw new Error(`the delivery status notification could not be queued: ${result.reason}`);
  };
  queue = await openQueue({
    directory: options.queueDirectory,
    hostname: options.hostname,
    ...(routing.lookup === undefined ? {} : { lookup: routing.lookup }),
    connect: routing.connect,
    retry: options.retry,
    notifier: createDsnNotifier(send),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const opened = queue;
  opened.start();
  return {
    hooks: submissionHooks({ queue: opened, store, localDomains: options.localDomains, ...(options.onError === undefined ? {} : { onError: options.onError }) }),
    queue: opened,
    close: () => opened.close(),
  };
}

/** The `smtpkit serve` flags of the submission role, as commander gives them. */
export interface SubmissionFlags {
  readonly submission?: boolean;
  readonly queueDir: string;
  readonly relayHost?: { readonly host: string; readonly port: number };
  readonly mxMap: readonly MxMapping[];
  readonly retryDelays?: readonly number[];
  readonly giveUpAfter?: number;
  readonly delayWarningAfter?: number | null;
}

/**
 * Adds the submission flags to `smtpkit serve`.
 *
 * @param command - the serve command
 * @returns the command
 * @internal
 */
export function addSubmissionOptions(command: Command): Command {
  return command
    .option("--submission", "the sender's server (port 587 style): AUTH required before MAIL; mail for other domains is queued and relayed")
    .option("--queue-dir <dir>", "the relay queue's directory (--submission)", "./queue")
    .option("--relay-host <host[:port]>", "send all relayed mail to this smarthost instead of looking up MX records (--submission)", parseRelayHost)
    .addOption(
      new Option("--mx-map <domain=address:port>", "for tests and development: deliver a domain's mail to this address and port, no DNS (repeatable)")
        .argParser(collectMxMapping)
        .default([] as MxMapping[]),
    )
    .option("--retry-delays <list>", "waits between delivery attempts, e.g. 30m,1h,2h,4h (the last repeats; default 30m,1h,2h,4h)", parseDurationList)
    .option("--give-up-after <duration>", "bounce what is still undelivered after this long (default 5d)", parseDuration)
    .option("--delay-warning-after <duration>", "send one delay notice (NOTIFY=DELAY) after this long, or off (default 4h)", parseDurationOrOff);
}

/**
 * Checks the submission flags against the rest of the command line.
 *
 * @param flags - the flags
 * @param users - the `--users` file, if given
 * @param lmtp - whether `--lmtp` was given
 * @throws {@link CliError} (usage) for queue flags without `--submission`, or `--submission` without `--users` or with `--lmtp`
 * @internal
 */
export function checkSubmissionFlags(flags: SubmissionFlags, users: string | undefined, lmtp: boolean): void {
  const queueFlags = [
    flags.relayHost === undefined ? undefined : "--relay-host",
    flags.mxMap.length === 0 ? undefined : "--mx-map",
    flags.retryDelays === undefined ? undefined : "--retry-delays",
    flags.giveUpAfter === undefined ? undefined : "--give-up-after",
    flags.delayWarningAfter === undefined ? undefined : "--delay-warning-after",
  ].filter((flag) => flag !== undefined);
  if (flags.submission !== true) {
    if (queueFlags.length > 0) throw new CliError(`${queueFlags.join(", ")} need${queueFlags.length === 1 ? "s" : ""} --submission`, ExitCode.Usage);
    return;
  }
  // RFC 6409 §4.3 / RFC 4954 §6: a submission server serves authenticated users only.
  if (users === undefined) throw new CliError("--submission needs --users: only authenticated clients may relay", ExitCode.Usage);
  // LMTP (RFC 2033) is for the last hop into mailboxes, never for submission.
  if (lmtp) throw new CliError("--submission and --lmtp do not go together", ExitCode.Usage);
  if (flags.relayHost !== undefined && flags.mxMap.length > 0) throw new CliError("--relay-host and --mx-map do not go together", ExitCode.Usage);
}

/**
 * The retry schedule the flags ask for.
 *
 * @param flags - the flags
 * @returns the parts of the schedule given
 * @internal
 */
export function retryFromFlags(flags: SubmissionFlags): Partial<RetrySchedule> {
  return {
    ...(flags.retryDelays === undefined ? {} : { delays: flags.retryDelays }),
    ...(flags.giveUpAfter === undefined ? {} : { giveUpAfter: flags.giveUpAfter }),
    ...(flags.delayWarningAfter === undefined ? {} : { delayWarningAfter: flags.delayWarningAfter }),
  };
}

/**
 * The banner lines of the submission role.
 *
 * @param flags - the flags
 * @param queueDirectory - the absolute queue directory
 * @param pending - recipients recovered and waiting
 * @returns lines for the banner
 * @internal
 */
export function submissionBanner(flags: SubmissionFlags, queueDirectory: string, pending: number): string[] {
  const route =
    flags.relayHost !== undefined
      ? `via smarthost ${flags.relayHost.host}:${flags.relayHost.port}`
      : flags.mxMap.length > 0
        ? `by --mx-map (${flags.mxMap.map((mapping) => `${mapping.domain} -> ${mapping.address}:${mapping.port}`).join(", ")}), else MX look-up`
        : "by MX look-up, port 25";
  return [
    `  relaying   other domains for authenticated users, queued in ${queueDirectory} (${pending} recipient${pending === 1 ? "" : "s"} waiting)`,
    `  delivery   ${route}; smtpkit queue --dir ${queueDirectory} lists it`,
  ];
}
