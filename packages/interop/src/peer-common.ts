/**
 * What every peer handle has in common, and small helpers the peer modules
 * share (user look-up without libc, the message-waiting loop).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { InteropError } from "./interop-error.js";
import { peerAvailable, type PeerName } from "./peer-availability.js";
import type { StoredMessage } from "./stored-message.js";
import { waitFor } from "./wait-for.js";

/** Options every peer's `start` accepts. */
export interface PeerOptions {
  /** Port to bind on 127.0.0.1 (default: a free ephemeral port). Never 25. */
  readonly port?: number;
  /** Startup bound in milliseconds (default 15 000). */
  readonly startTimeout?: number;
  /** Graceful-stop bound in milliseconds before SIGKILL (default 5 000). */
  readonly stopTimeout?: number;
  /** Keep the state directory after `stop()` (for debugging; processes are still stopped). */
  readonly keepStateDirectory?: boolean;
}

/** A running peer server. */
export interface RunningPeer {
  /** Which peer this is. */
  readonly name: PeerName;
  /** Always 127.0.0.1. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Its private state directory (deleted by `stop()`). */
  readonly stateDirectory: string;
  /** Its main log file. */
  readonly logPath: string;
  /**
   * The peer's log so far (all its log files, tail only).
   *
   * @returns the log text
   */
  readLog(): string;
  /**
   * Stops every process of the peer and deletes its state. Idempotent.
   *
   * @returns when nothing of the peer is left running
   */
  stop(): Promise<void>;
}

/** A peer that stores what it receives. */
export interface MessageStore {
  /**
   * The messages stored so far (read them before `stop()`).
   *
   * @returns the messages, oldest first
   */
  messages(): StoredMessage[];
  /**
   * Waits until at least `count` messages are stored (delivery may be asynchronous).
   *
   * @param count - how many
   * @param timeout - milliseconds (default 10 000)
   * @returns the messages
   */
  waitForMessages(count: number, timeout?: number): Promise<StoredMessage[]>;
}

/**
 * Builds the {@link MessageStore.waitForMessages} loop over a `messages()` function.
 *
 * @param read - returns the messages stored so far
 * @param label - peer name for the timeout message
 * @returns the waiting function
 * @example
 * ```ts
 * const waitForMessages = messageWaiter(() => readMaildir(path), "postfix");
 * ```
 */
export function messageWaiter(
  read: () => StoredMessage[],
  label: string,
): (count: number, timeout?: number) => Promise<StoredMessage[]> {
  return (count, timeout = 10_000) =>
    waitFor(
      () => {
        const messages = read();
        return messages.length >= count ? messages : false;
      },
      { timeout, description: `${count} stored message(s) in ${label}` },
    );
}

/** A system user or group's numeric ids, read from /etc/passwd. */
export interface SystemUser {
  /** User id. */
  readonly uid: number;
  /** Primary group id. */
  readonly gid: number;
}

/**
 * Looks a user up in /etc/passwd (Node has no getpwnam).
 *
 * @param name - the user name
 * @returns its ids, or undefined if absent
 * @example
 * ```ts
 * lookupUser("nobody"); // { uid: 65534, gid: 65534 }
 * ```
 */
export function lookupUser(name: string): SystemUser | undefined {
  let text: string;
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields.length >= 4) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return undefined;
}

/**
 * Validates the options every peer shares: `startTimeout` and `stopTimeout`
 * must be positive finite numbers when given; `port` is checked by the peer.
 *
 * @param options - the peer options
 * @throws {@link InteropError} `invalid-option` for a bad timeout
 * @example
 * ```ts
 * checkPeerOptions({ startTimeout: 20_000 });
 * ```
 */
export function checkPeerOptions(options: PeerOptions): void {
  for (const name of ["startTimeout", "stopTimeout"] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new InteropError("invalid-option", `${name} must be a positive number of milliseconds, got ${String(value)}`);
    }
  }
}

/**
 * Throws `peer-missing` unless the peer is available (whatever `CI` says: a
 * test that reached `start` already decided to run).
 *
 * @param name - the peer
 * @throws {@link InteropError} `peer-missing` with the reason
 * @example
 * ```ts
 * assertPeerAvailable("postfix");
 * ```
 */
export function assertPeerAvailable(name: PeerName): void {
  const answer = peerAvailable(name);
  if (!answer.ok) throw new InteropError("peer-missing", `${name} is not available: ${answer.reason}`);
}

/**
 * Validates a list of mail domains (used in generated configuration files,
 * so anything but plain domain syntax is refused).
 *
 * @param domains - the domains
 * @returns them, unchanged
 * @throws {@link InteropError} `invalid-option` for an empty list or a bad name
 * @example
 * ```ts
 * checkDomains(["example.test", "localhost"]);
 * ```
 */
export function checkDomains(domains: readonly string[]): readonly string[] {
  if (domains.length === 0) throw new InteropError("invalid-option", "at least one domain is required");
  for (const domain of domains) {
    const labels = domain.split(".");
    if (domain.length > 253 || !labels.every((label) => /^[A-Za-z0-9-]{1,63}$/.test(label))) {
      throw new InteropError("invalid-option", `not a domain name: ${JSON.stringify(domain)}`);
    }
  }
  return domains;
}
