/**
 * Postfix's `smtp-sink`: a fast, stateless C sink (Debian `postfix`) on
 * 127.0.0.1, running as `nobody` when started by root. It answers 250 to
 * everything; the ceiling for throughput measurements. With `dump` it
 * writes each transaction to a file (`-d`): `X-Client-Addr`,
 * `X-Client-Proto`, `X-Helo-Args`, `X-Mail-Args` and one `X-Rcpt-Args`
 * record per recipient, then a `Received:` header it adds, then the message
 * (dot-unstuffed, LF line ends), then one empty line.
 *
 * Quirks: its last EHLO line is `250 ` (an empty keyword); it advertises
 * AUTH, XCLIENT and XFORWARD; it waits silently for CRLF after a command
 * ended by a bare LF.
 *
 * @module
 */

import { chownSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertTestPort, findFreePort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";
import { readLogTail, startManagedProcess } from "./managed-process.js";
import { findExecutable } from "./peer-availability.js";
import { assertPeerAvailable, checkPeerOptions, messageWaiter, type MessageStore, type PeerOptions, type RunningPeer } from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import type { StoredMessage } from "./stored-message.js";

/** Options of {@link startSmtpSink}. */
export interface SmtpSinkOptions extends PeerOptions {
  /** Write each transaction to a file in `dumpDirectory` (`-d`), readable with `messages()`. */
  readonly dump?: boolean;
  /** The host name in its greeting and EHLO reply (`-h`, default `smtp-sink.example.test`). */
  readonly hostname?: string;
  /**
   * More smtp-sink flags, verbatim (see smtp-sink(1)): for example `-p` (no
   * PIPELINING), `-8` (no 8BITMIME), `-e` (no ESMTP), `-a` (no AUTH), `-L`
   * (LMTP), `-v` (log the conversation), `["-r", "RCPT"]` (hard-reject RCPT).
   */
  readonly extraArguments?: readonly string[];
  /** The listen backlog (default 256). */
  readonly backlog?: number;
}

/** A running smtp-sink. */
export interface RunningSmtpSink extends RunningPeer, MessageStore {
  /** Where transactions are dumped (empty unless `dump`). */
  readonly dumpDirectory: string;
}

const RECORD_NAMES = new Set(["x-client-addr", "x-client-proto", "x-helo-args", "x-mail-args", "x-rcpt-args"]);

/**
 * Parses one smtp-sink `-d` dump file: its `X-*` records become the
 * envelope, the rest (minus the trailing empty line smtp-sink appends) the
 * message, which starts with the `Received:` header smtp-sink adds.
 *
 * @param id - the file name
 * @param path - the file path
 * @param file - its bytes
 * @returns the message and its envelope
 * @example
 * ```ts
 * parseSmtpSinkDump("x", "/tmp/x", Buffer.from("X-Mail-Args: <a@b>\nX-Rcpt-Args: <c@d>\nSubject: s\n\nhi\n\n"));
 * ```
 */
export function parseSmtpSinkDump(id: string, path: string, file: Buffer): StoredMessage {
  const details: Record<string, string[]> = {};
  let offset = 0;
  for (;;) {
    const newline = file.indexOf(0x0a, offset);
    if (newline < 0) break;
    const line = file.subarray(offset, newline).toString("latin1");
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    if (colon < 0 || !RECORD_NAMES.has(name)) break;
    (details[name] ??= []).push(line.slice(colon + 1).trim());
    offset = newline + 1;
  }
  let end = file.length;
  if (end > offset && file[end - 1] === 0x0a) end -= 1;
  const unbracket = (value: string): string => {
    const address = value.split(" ")[0] ?? "";
    return address.startsWith("<") && address.endsWith(">") ? address.slice(1, -1) : address;
  };
  return {
    id,
    path,
    data: file.subarray(offset, end),
    envelope: {
      from: unbracket(details["x-mail-args"]?.[0] ?? ""),
      to: (details["x-rcpt-args"] ?? []).map(unbracket),
      details,
    },
  };
}

/**
 * Starts `smtp-sink` on 127.0.0.1.
 *
 * @param options - port, dump, hostname, extra flags
 * @returns the running sink; call `stop()` when done
 * @throws {@link InteropError} `peer-missing`, `startup-failed` (with its log)
 * @example
 * ```ts
 * const sink = await startSmtpSink({ dump: true });
 * // ... send ...
 * const [message] = await sink.waitForMessages(1);
 * await sink.stop();
 * ```
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<RunningSmtpSink> {
  checkPeerOptions(options);
  assertPeerAvailable("smtp-sink");
  const port = options.port ?? (await findFreePort());
  assertTestPort(port);
  const backlog = options.backlog ?? 256;
  if (!Number.isInteger(backlog) || backlog < 1) throw new InteropError("invalid-option", "backlog must be a positive integer");
  const directory = createStateDirectory("smtp-sink");
  const logPath = join(directory, "log");
  const dumpDirectory = join(directory, "dump");
  mkdirSync(dumpDirectory);
  // as root, smtp-sink must drop privileges (-u nobody) and then writes the dump files as nobody;
  // as any other user it runs as that user
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) chownSync(dumpDirectory, 65534, 65534);
  const args = ["-4", ...(root ? ["-u", "nobody"] : []), "-h", options.hostname ?? "smtp-sink.example.test"];
  if (options.dump === true) args.push("-d", `${dumpDirectory}/%Y%m%d%H%M%S.`);
  args.push(...(options.extraArguments ?? []), `inet:127.0.0.1:${port}`, String(backlog));
  let managed;
  try {
    managed = await startManagedProcess({
      directory,
      label: "smtp-sink",
      command: findExecutable("smtp-sink") ?? "smtp-sink",
      args,
      logPath,
      port,
      ...(options.startTimeout === undefined ? {} : { startTimeout: options.startTimeout }),
    });
  } catch (error) {
    releaseStateDirectory(directory);
    throw error;
  }
  let stopped = false;
  const messages = (): StoredMessage[] =>
    readdirSync(dumpDirectory)
      .sort()
      .map((id) => parseSmtpSinkDump(id, join(dumpDirectory, id), readFileSync(join(dumpDirectory, id))));
  return {
    name: "smtp-sink",
    host: LOOPBACK_HOST,
    port,
    stateDirectory: directory,
    logPath,
    dumpDirectory,
    readLog: () => readLogTail([logPath]),
    async stop() {
      if (stopped) return;
      stopped = true;
      await managed.stop(options.stopTimeout);
      releaseStateDirectory(directory, options.keepStateDirectory === true);
    },
    messages,
    waitForMessages: messageWaiter(messages, "smtp-sink"),
  };
}
