/**
 * A small pool of {@link SmtpClient} connections to one server, for bulk
 * sending: up to `max` connections, each sending one message at a time
 * (pipelined envelopes need no more), replaced after
 * `maxMessagesPerConnection` messages or when they fail. A message that was
 * lost before any of its content was sent, on a connection the server had
 * closed while it sat idle, is tried once more on a fresh connection;
 * nothing whose end of data went out is ever sent twice by the pool.
 *
 * @module
 */
import { ClientUsageError } from "./client-usage-error.js";
import type { ConnectOptions } from "./connect-options.js";
import { connect, type SendOptions, type SendResult, type SmtpClient } from "./smtp-client.js";
import { SmtpClientError } from "./smtp-client-error.js";

/** Default most connections of a pool: 5. */
export const DEFAULT_POOL_MAX = 5;

/** Default most messages over one pooled connection before it is replaced: 100. */
export const DEFAULT_POOL_MAX_MESSAGES = 100;

/**
 * Options of {@link createPool}: those of every connection, plus the pool's.
 *
 * @example
 * ```ts
 * const options: PoolOptions = { host: "smtp.example.com", port: 587, max: 4, auth: { username: "a", password: "b" } };
 * ```
 */
export interface PoolOptions extends ConnectOptions {
  /** The most connections open at once; default {@link DEFAULT_POOL_MAX}. */
  readonly max?: number;
  /** Messages per connection before it is closed and replaced; default {@link DEFAULT_POOL_MAX_MESSAGES}. */
  readonly maxMessagesPerConnection?: number;
  /** Makes a connection; default {@link connect}. For tests and for wrapping. */
  readonly connect?: (options: ConnectOptions) => Promise<SmtpClient>;
}

/**
 * A pool of connections to one server.
 *
 * @example
 * ```ts
 * const pool = createPool({ host: "smtp.example.com", port: 587, max: 4, auth });
 * const results = await Promise.all(messages.map((message) => pool.send({ from, to: [message.to], message: message.bytes })));
 * await pool.close();
 * ```
 */
export interface SmtpPool {
  /**
   * Sends one message over a free connection (waiting for one when all are busy).
   *
   * @param mail - the envelope and the content
   * @returns as {@link SmtpClient.send}
   */
  send(mail: SendOptions): Promise<SendResult>;
  /**
   * Closes every connection with QUIT once its message is done; messages still waiting fail.
   *
   * @returns when every connection is closed
   */
  close(): Promise<void>;
  /** Connections open or opening. */
  readonly size: number;
  /** Messages waiting for a connection. */
  readonly waiting: number;
}

interface Slot {
  client: SmtpClient | undefined;
  busy: boolean;
  sent: number;
}

/** Whether the message can be read again: bytes or a spec, not a stream that may be part read. */
function rereadable(mail: SendOptions): boolean {
  const message: unknown = mail.message;
  if (message instanceof Uint8Array) return true;
  return typeof message === "object" && message !== null && !(Symbol.iterator in message) && !(Symbol.asyncIterator in message);
}

function checkLimit(option: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 10_000)) {
    throw new ClientUsageError("invalid-limit", option, value, `${option} must be an integer from 1 to 10000.`);
  }
}

/**
 * Makes a pool of connections to one server. Connections open on demand.
 *
 * @param options - the connection options, `max` and `maxMessagesPerConnection`
 * @returns the pool
 * @throws {@link ClientUsageError} for a limit that is not a positive integer
 * @example
 * ```ts
 * import { createPool } from "@smtpkit/client";
 * const pool = createPool({ host: "127.0.0.1", port: 2525, startTls: "never", max: 3 });
 * await pool.send({ from: "a@example.com", to: ["b@example.org"], message: bytes });
 * await pool.close();
 * ```
 */
export function createPool(options: PoolOptions): SmtpPool {
  checkLimit("max", options.max);
  checkLimit("maxMessagesPerConnection", options.maxMessagesPerConnection);
  const { max = DEFAULT_POOL_MAX, maxMessagesPerConnection = DEFAULT_POOL_MAX_MESSAGES, connect: open = connect, ...connectOptions } = options;
  const slots = new Set<Slot>();
  const waiters: ((slot: Slot | SmtpClientError) => void)[] = [];
  let closing = false;

  const retire = (slot: Slot): void => {
    slots.delete(slot);
    if (slot.client !== undefined && !slot.client.ended) void slot.client.close().catch(() => undefined);
  };

  const acquire = async (): Promise<Slot> => {
    for (const slot of slots) {
      if (!slot.busy && slot.client !== undefined) {
        if (slot.client.ended) {
          retire(slot);
          continue;
        }
        slot.busy = true;
        return slot;
      }
    }
    if (slots.size < max) {
      const slot: Slot = { client: undefined, busy: true, sent: 0 };
      slots.add(slot);
      try {
        slot.client = await open(connectOptions);
      } catch (error) {
        slots.delete(slot);
        wake();
        throw error;
      }
      return slot;
    }
    return new Promise<Slot>((resolve, reject) => {
      waiters.push((slot) => (slot instanceof SmtpClientError ? reject(slot) : resolve(slot)));
    });
  };

  /** Gives a freed capacity to the next waiter. */
  const wake = (): void => {
    const waiter = waiters.shift();
    if (waiter === undefined) return;
    acquire().then(waiter, (error: unknown) => waiter(SmtpClientError.isInstance(error) ? error : new SmtpClientError("connection-failed", "remote", String(error), { cause: error })));
  };

  const release = (slot: Slot): void => {
    slot.busy = false;
    slot.sent += 1;
    if (closing || slot.client === undefined || slot.client.ended || slot.sent >= maxMessagesPerConnection) retire(slot);
    wake();
  };

  const sendOnce = async (mail: SendOptions): Promise<SendResult> => {
    const slot = await acquire();
    try {
      return await (slot.client as SmtpClient).send(mail);
    } finally {
      release(slot);
    }
  };

  return {
    async send(mail: SendOptions): Promise<SendResult> {
      if (closing) throw new ClientUsageError("wrong-state", "send", undefined, "send() after close().");
      try {
        return await sendOnce(mail);
      } catch (error) {
        // A connection that went stale while idle: retry once, only when nothing of the message went out.
        const stale =
          SmtpClientError.isInstance(error) &&
          error.result !== undefined &&
          !error.result.dataSent &&
          (error.reason === "connection-closed" || error.reason === "service-closing") &&
          rereadable(mail);
        if (!stale || closing) throw error;
        return sendOnce(mail);
      }
    },
    async close(): Promise<void> {
      closing = true;
      for (const waiter of waiters.splice(0)) waiter(new SmtpClientError("aborted", "local", "The pool was closed."));
      await Promise.all(
        [...slots].map(async (slot) => {
          if (slot.client !== undefined) await slot.client.close().catch(() => undefined);
        }),
      );
      slots.clear();
    },
    get size(): number {
      return slots.size;
    },
    get waiting(): number {
      return waiters.length;
    },
  };
}
