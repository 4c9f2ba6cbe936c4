/**
 * nodemailer's `smtp-server` (npm, 3.21.6, a dev dependency of this
 * package), run in the test process itself on 127.0.0.1: the JavaScript
 * server users pick today. It accepts every envelope, offers AUTH PLAIN and
 * LOGIN (also without TLS, for tests) and STARTTLS with a fresh self-signed
 * certificate, and stores each message as `<stamp>-N.eml` (DATA as
 * received, dot-unstuffed, nothing added) plus `<stamp>-N.json` (envelope,
 * EHLO name, TLS, authenticated user), the `.json` written last.
 *
 * Quirks: it announces PIPELINING, 8BITMIME, SMTPUTF8, SIZE, AUTH and
 * STARTTLS, and hides ENHANCEDSTATUSCODES and DSN unless asked
 * (`show: ["ENHANCEDSTATUSCODES", "DSN"]`).
 *
 * @module
 */

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SMTPServer, SMTPServerOptions } from "smtp-server";
import { createSelfSignedCertificate, type SelfSignedCertificate } from "./certificate.js";
import { assertTestPort, findFreePort, LOOPBACK_HOST } from "./free-port.js";
import { InteropError } from "./interop-error.js";
import { readLogTail } from "./managed-process.js";
import { readMessageFolder } from "./peer-aiosmtpd.js";
import { assertPeerAvailable, checkPeerOptions, messageWaiter, type MessageStore, type PeerOptions, type RunningPeer } from "./peer-common.js";
import { createStateDirectory, releaseStateDirectory } from "./process-registry.js";
import type { StoredMessage } from "./stored-message.js";

/** smtp-server feature names for {@link SmtpServerOptions.hide} and {@link SmtpServerOptions.show}. */
export type SmtpServerFeature = "PIPELINING" | "8BITMIME" | "SMTPUTF8" | "ENHANCEDSTATUSCODES" | "DSN" | "STARTTLS" | "Size" | "REQUIRETLS";

/** Options of {@link startSmtpServer}. */
export interface SmtpServerOptions extends PeerOptions {
  /** Offer STARTTLS with a fresh self-signed certificate (default true; false hides STARTTLS). */
  readonly tls?: boolean;
  /**
   * Accounts for AUTH PLAIN/LOGIN. Without it any user name and password
   * are accepted; with it only these (user name → password).
   */
  readonly users?: Readonly<Record<string, string>>;
  /** Refuse MAIL before a successful AUTH. */
  readonly requireAuth?: boolean;
  /** Switch AUTH off entirely. */
  readonly disableAuth?: boolean;
  /** Message size limit in bytes, announced in SIZE (default 52 428 800). */
  readonly sizeLimit?: number;
  /** Features to hide. */
  readonly hide?: readonly SmtpServerFeature[];
  /** Features to show that smtp-server hides by default (ENHANCEDSTATUSCODES, DSN). */
  readonly show?: readonly SmtpServerFeature[];
  /** The host name in its greeting (default `smtp-server-peer.example.test`). */
  readonly hostname?: string;
  /** Any further smtp-server options, applied last. */
  readonly serverOptions?: Partial<SMTPServerOptions>;
}

/** A running smtp-server. */
export interface RunningSmtpServer extends RunningPeer, MessageStore {
  /** Where messages and envelopes are written. */
  readonly mailDirectory: string;
  /** The STARTTLS certificate, when `tls` is on. */
  readonly certificate: SelfSignedCertificate | undefined;
  /** The smtp-server instance itself, for tests that want its events. */
  readonly server: SMTPServer;
}

/**
 * Starts nodemailer's smtp-server in this process on 127.0.0.1.
 *
 * @param options - port, tls, users, requireAuth, sizeLimit, hide/show
 * @returns the running server; call `stop()` when done
 * @throws {@link InteropError} `peer-missing` (npm package absent), `startup-failed`
 * @example
 * ```ts
 * const server = await startSmtpServer({ users: { alice: "secret" } });
 * // ... send with AUTH PLAIN alice/secret ...
 * const [message] = await server.waitForMessages(1);
 * await server.stop();
 * ```
 */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<RunningSmtpServer> {
  checkPeerOptions(options);
  assertPeerAvailable("smtp-server");
  const port = options.port ?? (await findFreePort());
  assertTestPort(port);
  const sizeLimit = options.sizeLimit ?? 52_428_800;
  if (!Number.isInteger(sizeLimit) || sizeLimit < 0) throw new InteropError("invalid-option", "sizeLimit must be a non-negative integer");
  const { SMTPServer: ServerClass } = await import("smtp-server");
  const directory = createStateDirectory("smtp-server");
  const logPath = join(directory, "log");
  const mailDirectory = join(directory, "mail");
  mkdirSync(mailDirectory);
  const log = (line: string): void => writeFileSync(logPath, `${new Date().toISOString()} ${line}\n`, { flag: "a" });
  const hostname = options.hostname ?? "smtp-server-peer.example.test";
  let counter = 0;
  const writeAtomic = (path: string, data: Uint8Array | string): void => {
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
  };

  let certificate: SelfSignedCertificate | undefined;
  let server: SMTPServer;
  try {
    const tls = options.tls ?? true;
    certificate = tls ? await createSelfSignedCertificate({ directory, commonName: hostname }) : undefined;
    const serverOptions: SMTPServerOptions = {
      name: hostname,
      banner: "smtp-server test peer",
      size: sizeLimit,
      disableReverseLookup: true,
      authOptional: options.requireAuth !== true,
      allowInsecureAuth: true,
      authMethods: ["PLAIN", "LOGIN"],
      disabledCommands: [...(options.disableAuth === true ? ["AUTH"] : []), ...(tls ? [] : ["STARTTLS"])],
      hideSTARTTLS: !tls,
      closeTimeout: 2_000,
      logger: false,
      ...(certificate === undefined ? {} : { key: certificate.key, cert: certificate.certificate }),
      onAuth(auth, _session, callback) {
        const users = options.users;
        const username = auth.username ?? "";
        if (users !== undefined && (!Object.hasOwn(users, username) || users[username] !== auth.password)) {
          log(`AUTH ${auth.method} refused for ${username}`);
          callback(new Error("Invalid username or password"));
          return;
        }
        log(`AUTH ${auth.method} accepted for ${username}`);
        callback(null, { user: username });
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", (error: Error) => callback(error));
        stream.on("end", () => {
          if (stream.sizeExceeded) {
            const error = new Error("Message exceeds fixed maximum message size") as Error & { responseCode: number };
            error.responseCode = 552;
            callback(error);
            return;
          }
          const content = Buffer.concat(chunks);
          counter += 1;
          const base = join(mailDirectory, `${String(Date.now()).padStart(15, "0")}-${String(counter).padStart(6, "0")}`);
          const envelope = session.envelope;
          const meta = {
            mailFrom: envelope.mailFrom === false ? null : envelope.mailFrom,
            rcptTo: envelope.rcptTo,
            helo: session.hostNameAppearsAs,
            remoteAddress: session.remoteAddress,
            tls: session.secure,
            transmissionType: session.transmissionType,
            user: session.user === undefined || session.user === false ? null : (session.user as unknown),
            size: content.length,
          };
          try {
            writeAtomic(`${base}.eml`, content);
            writeAtomic(`${base}.json`, `${JSON.stringify(meta)}\n`);
          } catch (error) {
            callback(error as Error);
            return;
          }
          log(`stored ${base}.eml (${content.length} bytes)`);
          callback(null, `OK stored as ${base.slice(mailDirectory.length + 1)}.eml`);
        });
      },
      ...options.serverOptions,
    };
    for (const feature of options.hide ?? []) (serverOptions as Record<string, unknown>)[`hide${feature}`] = true;
    for (const feature of options.show ?? []) (serverOptions as Record<string, unknown>)[`hide${feature}`] = false;
    server = new ServerClass(serverOptions);
    server.on("error", (error: Error) => log(`error: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new InteropError("startup-failed", "smtp-server did not listen in time")), options.startTimeout ?? 15_000);
      server.server.once("error", (error: Error) => {
        clearTimeout(timer);
        reject(new InteropError("startup-failed", `smtp-server cannot listen on ${port}: ${error.message}`, readLogTail([logPath])));
      });
      server.listen(port, LOOPBACK_HOST, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    log(`listening on 127.0.0.1:${port}`);
  } catch (error) {
    releaseStateDirectory(directory);
    throw error;
  }
  let stopped = false;
  const messages = (): StoredMessage[] =>
    readMessageFolder(mailDirectory, (record) => {
      const from = record["mailFrom"] as { address?: unknown } | null;
      const to = Array.isArray(record["rcptTo"]) ? (record["rcptTo"] as { address?: unknown }[]) : [];
      return {
        from: from !== null && typeof from.address === "string" ? from.address : "",
        to: to.map((recipient) => String(recipient.address)),
        details: record,
      };
    });
  return {
    name: "smtp-server",
    host: LOOPBACK_HOST,
    port,
    stateDirectory: directory,
    logPath,
    mailDirectory,
    certificate,
    server,
    readLog: () => readLogTail([logPath]),
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        // smtp-server waits for open sessions up to closeTimeout, then closes them
        const timer = setTimeout(resolve, options.stopTimeout ?? 5_000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      releaseStateDirectory(directory, options.keepStateDirectory === true);
    },
    messages,
    waitForMessages: messageWaiter(messages, "smtp-server"),
  };
}
