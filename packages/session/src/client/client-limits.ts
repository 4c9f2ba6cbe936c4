/**
 * The client's timeouts and limits: each a named constant with its reason,
 * each configurable, and each checked (a bad value throws instead of
 * silently switching the protection off).
 *
 * Timeouts implement RFC 5321 §4.5.3.1: the client waits for each reply a
 * bounded time, per command, not an idle timer.
 *
 * @module
 */
import { ClientSessionError } from "./client-session-error.js";

const minute = 60_000;

/**
 * How long the client waits, in milliseconds, at each step. Every field
 * defaults to the minimum RFC 5321 §4.5.3.1 gives.
 */
export interface ClientTimeouts {
  /** For the 220 greeting (RFC 5321 §4.5.3.1.1: 5 minutes). */
  readonly greeting: number;
  /**
   * For the reply to EHLO, HELO, LHLO, STARTTLS, AUTH, RSET and QUIT, which
   * RFC 5321 does not list; 5 minutes as for MAIL (Postfix's
   * `smtp_helo_timeout` is 300 s).
   */
  readonly command: number;
  /** For the reply to MAIL (RFC 5321 §4.5.3.1.2: 5 minutes). */
  readonly mail: number;
  /** For the reply to each RCPT (RFC 5321 §4.5.3.1.3: 5 minutes). */
  readonly rcpt: number;
  /** For the 354 to DATA (RFC 5321 §4.5.3.1.4: 2 minutes). */
  readonly dataInitiation: number;
  /**
   * For each block of message content: from the `message-chunk-needed`
   * event until the chunk is given, and for each BDAT reply
   * (RFC 5321 §4.5.3.1.5: 3 minutes; the embedder asks for the next chunk
   * once the last write completed, so this covers a stalled socket).
   */
  readonly dataBlock: number;
  /** For the reply after the end of the data (RFC 5321 §4.5.3.1.6: 10 minutes). */
  readonly dataTermination: number;
}

/** The RFC 5321 §4.5.3.1 timeouts, in milliseconds. */
export const CLIENT_DEFAULT_TIMEOUTS: ClientTimeouts = Object.freeze({
  greeting: 5 * minute,
  command: 5 * minute,
  mail: 5 * minute,
  rcpt: 5 * minute,
  dataInitiation: 2 * minute,
  dataBlock: 3 * minute,
  dataTermination: 10 * minute,
});

/**
 * The default largest BDAT chunk, in octets: 64 KiB. Each `BDAT n` announces
 * its size before the octets, so a chunk bounds how much the server must
 * read to stay in sync after a refusal; 64 KiB fills a TCP window without
 * costing a round trip per line.
 */
export const CLIENT_DEFAULT_CHUNK_SIZE = 65_536;

/** The largest BDAT chunk size accepted as an option: 64 MiB. */
export const CLIENT_MAX_CHUNK_SIZE = 67_108_864;

/**
 * The default most BDAT commands awaiting their reply when pipelining: 16.
 * A server that never answers cannot make the client queue unbounded data;
 * the next chunk is asked for once fewer are outstanding.
 */
export const CLIENT_DEFAULT_MAX_OUTSTANDING_CHUNKS = 16;

/**
 * The default longest reply line, in octets: 4096 (RFC 5321 §4.5.3.1.5 gives
 * 512; real servers exceed it a little). Forwarded to the grammar's
 * `ReplyReader`; a longer line ends the session (`reply-too-long`).
 */
export const CLIENT_DEFAULT_MAX_REPLY_LINE_LENGTH = 4096;

/** The default most lines of one reply: 256 (an EHLO reply has about 20). */
export const CLIENT_DEFAULT_MAX_REPLY_LINES = 256;

/**
 * The default most recipients per transaction: 1000. RFC 5321 §4.5.3.1.8
 * asks servers to take at least 100; pipelining writes every RCPT at once,
 * so the bound keeps one write (and the replies awaited) finite.
 */
export const CLIENT_DEFAULT_MAX_RECIPIENTS = 1000;

function positiveInteger(value: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ClientSessionError("invalid-option", `${name} must be an integer from 1 to ${max}, got ${String(value)}.`);
  }
  return value;
}

/** Merges and checks timeouts. Internal. */
export function resolveTimeouts(given: Partial<ClientTimeouts> | undefined): ClientTimeouts {
  const out: Record<string, number> = { ...CLIENT_DEFAULT_TIMEOUTS };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!(key in CLIENT_DEFAULT_TIMEOUTS)) throw new ClientSessionError("invalid-option", `Unknown timeout ${JSON.stringify(key)}.`);
    if (value === undefined) continue;
    out[key] = positiveInteger(value, `timeouts.${key}`);
  }
  return out as unknown as ClientTimeouts;
}

/** Checks a positive integer option, or gives its default. Internal. */
export function resolveCount(value: number | undefined, fallback: number, name: string, max?: number): number {
  return value === undefined ? fallback : positiveInteger(value, name, max);
}
