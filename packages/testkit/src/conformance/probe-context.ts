/**
 * What every probe of a conformance run shares: the options resolved, the
 * rules already reported (so a later search looks for other ones), a way to
 * open a recorded connection, and the violation error that makes fast-check
 * shrink a session to the minimal transcript.
 *
 * @module
 */
import { CapabilitySet } from "@smtpkit/grammar";
import type { RuleName } from "./rules.js";
import type { Violation } from "./reply-checks.js";
import { Wire, type Exchange } from "./wire.js";

/** How long the runner waits, in milliseconds. */
export interface ConformanceTimeouts {
  /** For a connection (and an implicit TLS handshake). Default 10 000. */
  readonly connect?: number;
  /** For each reply. Default 10 000. */
  readonly reply?: number;
  /**
   * How long silence must last to count as "the server is waiting for more":
   * after a smuggled end-of-data and after STARTTLS. Default 500.
   */
  readonly quiet?: number;
  /** For the server to close after QUIT or 421. Default 3 000. */
  readonly close?: number;
  /** For a STARTTLS handshake. Default 10 000. */
  readonly tls?: number;
}

/** {@link ConformanceTimeouts} with every value set. */
export type ResolvedTimeouts = Required<ConformanceTimeouts>;

/**
 * The default timeouts, in milliseconds.
 *
 * @example
 * ```ts
 * DEFAULT_CONFORMANCE_TIMEOUTS.quiet; // 500
 * ```
 */
export const DEFAULT_CONFORMANCE_TIMEOUTS: Required<ConformanceTimeouts> = Object.freeze({ connect: 10_000, reply: 10_000, quiet: 500, close: 3_000, tls: 10_000 });

/** What `readStored` is asked for: the message the runner just had accepted. */
export interface StoredMessageQuery {
  /** The `Message-ID` the runner put in the message, without angle brackets. */
  readonly messageId: string;
  /** The recipients the server accepted for it. */
  readonly recipients: readonly string[];
}

/**
 * Reads what the server stored for a message (for the dot-transparency rule):
 * the whole stored message as bytes, or `undefined` when it cannot be found.
 * The runner compares bodies only (headers may gain trace fields) and treats
 * CRLF and LF line ends alike (Maildir files use LF).
 */
export type ReadStored = (query: StoredMessageQuery) => Promise<Uint8Array | undefined>;

/** A protocol breach found during a probe: fast-check shrinks on it. Internal. */
export class ViolationError extends Error {
  readonly rule: RuleName;
  readonly detail: string;
  transcript: readonly Exchange[] = [];

  constructor(violation: Violation) {
    super(`${violation.rule}: ${violation.detail}`);
    this.name = "ViolationError";
    this.rule = violation.rule;
    this.detail = violation.detail;
  }
}

/** The TLS mode of a run. */
export type TlsMode = "none" | "starttls" | "implicit";

/** What probes share. Internal. */
export interface ProbeContext {
  readonly domain: string;
  readonly sender: string;
  readonly tls: TlsMode;
  readonly timeouts: ResolvedTimeouts;
  /** Rules already reported: a breach of these ends the session quietly instead of failing it. */
  readonly ignore: Set<RuleName>;
  /** What the first EHLO advertised. */
  capabilities: CapabilitySet;
  readonly readStored: ReadStored | undefined;
  /** Messages compared with what the server stored, and those `readStored` could not find. */
  readonly stored: { compared: number; missing: number };
  readonly maxSizeProbe: number;
  /** A fresh Message-ID, deterministic for a seed. */
  nextMessageId(): string;
  /** Opens a recorded connection (rate-limited), already past implicit TLS. */
  open(): Promise<Wire>;
}

/** The rules after whose breach the runner no longer knows the server's state. */
const derailing: ReadonlySet<RuleName> = new Set<RuleName>([
  "reply-count",
  "reply-missing",
  "close-without-421",
  "reply-syntax",
  "rcpt-before-mail",
  "data-without-recipients",
  "nested-mail",
  "broken-mail-accepted",
  "size-enforced",
  "quit-reply",
  "smtp-smuggling",
  "starttls-injection",
  "reply-code-allowed",
]);

/**
 * Raises the first violation not yet reported. Violations of reported rules
 * are passed over; when one of them leaves the server's state unknown the
 * result is `"derailed"` and the caller ends the session.
 */
export function raise(context: ProbeContext, violations: readonly Violation[]): "ok" | "derailed" {
  let derailed = false;
  for (const violation of violations) {
    if (!context.ignore.has(violation.rule)) throw new ViolationError(violation);
    if (derailing.has(violation.rule)) derailed = true;
  }
  return derailed ? "derailed" : "ok";
}

/** An empty capability set, for contexts built before the first EHLO. */
export const noCapabilities: CapabilitySet = CapabilitySet.empty;
