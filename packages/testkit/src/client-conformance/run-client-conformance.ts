/**
 * `runClientConformance`: a scripted SMTP server on a TCP port that plays one
 * misbehaviour per connection, in a known order (connection 1 gets the first
 * case, connection 2 the second...), while the client under test sends a
 * message through it once per case; then a verdict per case.
 *
 * The client is run either by the runner (`runClient`, called once per case)
 * or by hand (a user points swaks, msmtp or their own client at the port N
 * times; `onCase` says which case the next connection gets).
 *
 * This is the only module of client conformance that does I/O: `node:net`
 * and `node:tls` are loaded with `await import(...)` when the server starts,
 * so that `import "@smtpkit/testkit"` loads no Node module (browsers import
 * the arbitraries). The protocol is played by the sans-IO `ScriptedServer`.
 *
 * @module
 */
import type { Server, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { TestkitError, checkInteger } from "../testkit-error.js";
import { CLIENT_CASE_IDS, caseById, type ClientCaseId } from "./cases.js";
import { judgeCase, type ClientRunOutcome, type ConnectionEnd } from "./judge.js";
import type { ClientCaseReport, ClientConformanceReport } from "./report.js";
import { ScriptedServer, type ScriptedAction, type ScriptedObservation } from "./scripted-server.js";
import { CLIENT_CONFORMANCE_CERTIFICATE, CLIENT_CONFORMANCE_PRIVATE_KEY } from "./test-certificate.js";

/** Default time for one case, from the connection to its end: 30 s. A client that has not finished or given up by then fails `gives-up-cleanly`. */
export const CLIENT_CONFORMANCE_DEFAULT_CASE_TIMEOUT = 30_000;

/**
 * Default time for the `never-answers` case: 330 s, above the 5 minutes
 * RFC 5321 §4.5.3.2 suggests for a client's command timeouts, so that a
 * client with RFC timeouts passes. Lower it together with your client's timeouts.
 */
export const CLIENT_CONFORMANCE_DEFAULT_SILENT_TIMEOUT = 330_000;

/** Default hold of the answer to the first command inside TLS in `starttls-injection`: 500 ms. */
export const CLIENT_CONFORMANCE_DEFAULT_INJECTION_HOLD = 500;

/**
 * Default time a client has to give up after the whole endless reply was written: 2 s. The system's socket
 * buffers can take megabytes a client never reads, so only a client still connected after that has not bounded the reply.
 */
export const CLIENT_CONFORMANCE_DEFAULT_STREAM_GRACE = 2_000;

/** Default time the connection stays open after the 421 of `service-closing-421`: 1 s. */
export const CLIENT_CONFORMANCE_DEFAULT_CLOSING_HOLD = 1_000;

/**
 * Default size of the endless replies (`reply-line-enormous`, `reply-lines-endless`): 8 MiB,
 * 16 000 times the 512 octets RFC 5321 §4.5.3.1.5 allows a reply line. A client still reading at the end fails.
 */
export const CLIENT_CONFORMANCE_DEFAULT_ENORMOUS_REPLY_BYTES = 8 * 1024 * 1024;

/** Where the scripted server listens by default: 127.0.0.1 on a port the system picks. */
export const CLIENT_CONFORMANCE_DEFAULT_HOST = "127.0.0.1";

/** Where the client under test must connect for a case. */
export interface ClientConformanceTarget {
  /** The scripted server's address. */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** The case the next connection gets. */
  readonly caseId: ClientCaseId;
  /** The case's position, from 0. */
  readonly index: number;
  /** How many cases there are. */
  readonly total: number;
}

/** Options of {@link runClientConformance}. */
export interface ClientConformanceOptions {
  /** Where to listen. Default {@link CLIENT_CONFORMANCE_DEFAULT_HOST}, port 0 (the system picks; see `onListening`). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** The cases to play, in this order. Default: every case, in {@link CLIENT_CONFORMANCE_CASES} order. */
  readonly cases?: readonly ClientCaseId[];
  /**
   * Whether the client under test is set to require TLS (STARTTLS). The
   * STARTTLS cases apply only then, and a client that requires TLS must never
   * send MAIL, RCPT, DATA or AUTH in clear text. Default `false`.
   */
  readonly requiresTls?: boolean;
  /**
   * Runs the client under test once for a case: it must connect to
   * `target.host:target.port` and try to send one message. Resolve with what
   * the client reported (`reportedSuccess`), or nothing when unknown. Without
   * it the runner waits for connections made by hand.
   */
  readonly runClient?: (target: ClientConformanceTarget) => Promise<ClientRunOutcome | void>;
  /** Called when the server listens (with the port the system picked). */
  readonly onListening?: (address: { readonly host: string; readonly port: number }) => void;
  /** Called before each case: which case the next connection gets. */
  readonly onCase?: (target: ClientConformanceTarget) => void;
  /** The TLS key and certificate (PEM). Default: the public test certificate of this package. */
  readonly tls?: { readonly key: string | Uint8Array; readonly cert: string | Uint8Array };
  /** The server's name in its replies. Default `conform.example.test`. */
  readonly hostname?: string;
  /** Milliseconds; see the defaults' documentation. Each 1–3 600 000. */
  readonly timeouts?: {
    /** Per case: {@link CLIENT_CONFORMANCE_DEFAULT_CASE_TIMEOUT}. */
    readonly case?: number;
    /** For `never-answers`: {@link CLIENT_CONFORMANCE_DEFAULT_SILENT_TIMEOUT}. */
    readonly silent?: number;
    /** {@link CLIENT_CONFORMANCE_DEFAULT_INJECTION_HOLD}. */
    readonly injectionHold?: number;
    /** {@link CLIENT_CONFORMANCE_DEFAULT_CLOSING_HOLD}. */
    readonly closingHold?: number;
    /** {@link CLIENT_CONFORMANCE_DEFAULT_STREAM_GRACE}. */
    readonly streamGrace?: number;
    /**
     * Without `runClient` (a client run by hand): how long to wait for the connection of each case. When it
     * passes, that case and every later one end as `no-connection` (not applicable) and the run returns.
     * Default: no limit (a person may take their time; CI should set one).
     */
    readonly arrival?: number;
  };
  /** Octets of the endless replies, 65 536–1 073 741 824; default {@link CLIENT_CONFORMANCE_DEFAULT_ENORMOUS_REPLY_BYTES}. */
  readonly enormousReplyBytes?: number;
  /** Stops the run: the server closes, and the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

interface Settings {
  readonly hostname: string;
  readonly caseTimeout: number;
  readonly silentTimeout: number;
  readonly injectionHold: number;
  readonly closingHold: number;
  readonly streamGrace: number;
  /** Hand-run mode: milliseconds to wait for each case's connection; undefined: no limit. */
  readonly arrival: number | undefined;
  readonly enormousReplyBytes: number;
  readonly key: string | Uint8Array;
  readonly cert: string | Uint8Array;
}

interface ConnectionRun {
  readonly observation: ScriptedObservation;
  readonly end: ConnectionEnd;
  readonly durationMs: number;
}

const maxTimeout = 3_600_000;

function checkOptions(options: ClientConformanceOptions): { cases: readonly ClientCaseId[]; settings: Settings; host: string; port: number } {
  if (typeof options !== "object" || options === null) throw new TestkitError("invalid-argument", "runClientConformance takes an options object");
  const cases = options.cases ?? CLIENT_CASE_IDS;
  if (!Array.isArray(cases) || cases.length === 0) throw new TestkitError("invalid-argument", "cases must be a non-empty array of case ids");
  for (const id of cases) {
    if (!CLIENT_CASE_IDS.includes(id)) throw new TestkitError("invalid-argument", `unknown client conformance case ${JSON.stringify(id)} (known: ${CLIENT_CASE_IDS.join(", ")})`);
  }
  const host = options.listen?.host ?? CLIENT_CONFORMANCE_DEFAULT_HOST;
  if (typeof host !== "string" || host === "" || /[\s\0]/.test(host)) throw new TestkitError("invalid-argument", `listen.host must be an address, not ${JSON.stringify(host)}`);
  const port = checkInteger("listen.port", options.listen?.port ?? 0, 0, 65_535);
  const hostname = options.hostname ?? "conform.example.test";
  if (typeof hostname !== "string" || !/^[A-Za-z0-9.-]{1,253}$/.test(hostname)) throw new TestkitError("invalid-argument", `hostname must be a domain name, not ${JSON.stringify(hostname)}`);
  const timeouts = options.timeouts ?? {};
  const settings: Settings = {
    hostname,
    caseTimeout: checkInteger("timeouts.case", timeouts.case ?? CLIENT_CONFORMANCE_DEFAULT_CASE_TIMEOUT, 1, maxTimeout),
    silentTimeout: checkInteger("timeouts.silent", timeouts.silent ?? CLIENT_CONFORMANCE_DEFAULT_SILENT_TIMEOUT, 1, maxTimeout),
    injectionHold: checkInteger("timeouts.injectionHold", timeouts.injectionHold ?? CLIENT_CONFORMANCE_DEFAULT_INJECTION_HOLD, 1, maxTimeout),
    closingHold: checkInteger("timeouts.closingHold", timeouts.closingHold ?? CLIENT_CONFORMANCE_DEFAULT_CLOSING_HOLD, 1, maxTimeout),
    streamGrace: checkInteger("timeouts.streamGrace", timeouts.streamGrace ?? CLIENT_CONFORMANCE_DEFAULT_STREAM_GRACE, 1, maxTimeout),
    arrival: timeouts.arrival === undefined ? undefined : checkInteger("timeouts.arrival", timeouts.arrival, 1, maxTimeout),
    enormousReplyBytes: checkInteger("enormousReplyBytes", options.enormousReplyBytes ?? CLIENT_CONFORMANCE_DEFAULT_ENORMOUS_REPLY_BYTES, 65_536, 1_073_741_824),
    key: options.tls?.key ?? CLIENT_CONFORMANCE_PRIVATE_KEY,
    cert: options.tls?.cert ?? CLIENT_CONFORMANCE_CERTIFICATE,
  };
  return { cases, settings, host, port };
}

/**
 * Runs the client conformance cases: listens, gives each connection the next
 * case, judges what the client did, and returns the report. With `runClient`
 * the runner runs the client once per case; without it, it waits until one
 * connection per case has come and ended (a user runs their client by hand,
 * `onCase` tells which case is next).
 *
 * @param options - where to listen, the cases, how to run the client, the timeouts
 * @returns a verdict per case, with the rules broken and the transcript
 * @throws {@link TestkitError} (`invalid-argument`) for bad options (also a key and certificate that do not
 *   make a TLS context); the listen error (for example
 *   `EADDRINUSE`) when the port cannot be had; the signal's reason when aborted
 * @example
 * ```ts
 * import { connect } from "@smtpkit/client";
 * import { formatClientConformanceReport, runClientConformance } from "@smtpkit/testkit";
 * const report = await runClientConformance({
 *   requiresTls: true,
 *   timeouts: { silent: 5_000 },
 *   runClient: async ({ host, port }) => {
 *     const client = await connect({ host, port, startTls: "required", tls: { rejectUnauthorized: false }, timeouts: { command: 2_000 } });
 *     const result = await client.send({ from: "a@example.test", to: ["b@example.test"], message: "Subject: x\r\n\r\nhi\r\n" });
 *     await client.close();
 *     return { reportedSuccess: result.status === "accepted" };
 *   },
 * });
 * console.log(formatClientConformanceReport(report, "text"));
 * ```
 */
export async function runClientConformance(options: ClientConformanceOptions = {}): Promise<ClientConformanceReport> {
  const { cases, settings, host, port } = checkOptions(options);
  const net = await import("node:net");
  const tls = await import("node:tls");
  try {
    // A key or certificate that cannot work is the caller's mistake: say so now, not as a failed handshake in every case.
    tls.createSecureContext({ key: settings.key as string, cert: settings.cert as string });
  } catch (error) {
    throw new TestkitError("invalid-argument", `tls.key and tls.cert must be a matching PEM key and certificate (${error instanceof Error ? error.message : String(error)})`);
  }
  const requiresTls = options.requiresTls === true;
  const signal = options.signal;
  signal?.throwIfAborted();

  // One slot per case: the connection that got it, resolved when that connection ended.
  const started: (Promise<ConnectionRun> | undefined)[] = cases.map(() => undefined);
  const extraConnections: number[] = cases.map(() => 0);
  const arrivals: (() => void)[] = [];
  let next = 0;
  // With runClient, only the case being run takes a connection: a client that opens a second one (a retry)
  // does not shift every later case. By hand, connections take the cases in the order they arrive.
  let current: number | undefined;
  const sockets = new Set<Socket>();

  const server: Server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let index: number;
    if (options.runClient === undefined) {
      index = next;
      next += 1;
    } else {
      index = current ?? cases.length;
      if (started[index] !== undefined) {
        extraConnections[index] = (extraConnections[index] ?? 0) + 1;
        socket.end(`421 ${settings.hostname} one connection per client conformance case\r\n`);
        return;
      }
    }
    const caseId = cases[index];
    if (caseId === undefined) {
      socket.end(`421 ${settings.hostname} no more client conformance cases\r\n`);
      return;
    }
    started[index] = playCase(socket, caseId, settings, tls);
    for (const wake of arrivals.splice(0)) wake();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address !== null ? address.port : port;
  const aborted = new Promise<never>((_, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);

  // Hand-run mode: waits until case `index` has its connection, or the arrival limit passes (false).
  let noMoreClients = false;
  const waitForArrival = async (index: number): Promise<boolean> => {
    const deadline = settings.arrival === undefined ? undefined : Date.now() + settings.arrival;
    while (started[index] === undefined) {
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = new Promise<void>((resolve) => {
        arrivals.push(resolve);
        if (left !== undefined) timer = setTimeout(resolve, left);
      });
      try {
        await Promise.race([wake, aborted]);
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    }
    return true;
  };

  const reports: ClientCaseReport[] = [];
  try {
    options.onListening?.({ host, port: boundPort });
    for (const [index, caseId] of cases.entries()) {
      const target: ClientConformanceTarget = { host, port: boundPort, caseId, index, total: cases.length };
      options.onCase?.(target);
      let client: { returned: boolean; outcome: ClientRunOutcome | undefined; error?: string } | undefined;
      let run: ConnectionRun | undefined;
      if (options.runClient !== undefined) {
        current = index;
        const limit = (caseId === "never-answers" ? settings.silentTimeout : settings.caseTimeout) + 2_000;
        client = await Promise.race([runWithin(options.runClient, target, limit), aborted]);
        const connection = started[index];
        run = connection === undefined ? undefined : await Promise.race([connection, aborted]);
        current = undefined;
      } else if (!noMoreClients) {
        const arrived = await waitForArrival(index);
        if (arrived) run = await Promise.race([started[index] as Promise<ConnectionRun>, aborted]);
        else noMoreClients = true;
      }
      const observation = run?.observation ?? emptyObservation;
      const end = run?.end ?? "no-connection";
      const judgement = judgeCase({ caseId, requiresTls, observation, end, ...(client === undefined ? {} : { client }) });
      const description = caseById(caseId);
      reports.push({
        id: caseId,
        misbehaviour: description.misbehaviour,
        expected: description.expected,
        verdict: judgement.verdict,
        violations: judgement.violations,
        ...(judgement.reason === undefined ? {} : { reason: judgement.reason }),
        end,
        durationMs: run?.durationMs ?? 0,
        ...(client?.outcome === undefined ? {} : { client: client.outcome }),
        transcript:
          (extraConnections[index] ?? 0) === 0
            ? observation.transcript
            : [...observation.transcript, { from: "note", tls: false, text: `the client opened ${extraConnections[index]} more connection(s) during this case; each got 421` }],
      });
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return {
    type: "client-conformance",
    listen: { host, port: boundPort },
    requiresTls,
    cases: reports,
    summary: {
      pass: reports.filter((r) => r.verdict === "pass").length,
      fail: reports.filter((r) => r.verdict === "fail").length,
      notApplicable: reports.filter((r) => r.verdict === "not-applicable").length,
    },
  };
}

const emptyObservation: ScriptedObservation = {
  commands: [],
  transcript: [],
  messagesAccepted: 0,
  contentWithoutGoAhead: 0,
  undeclaredParameters: [],
  startTlsSent: false,
  commandsWhileHeld: [],
  stillConnectedAfterStream: false,
};

async function runWithin(
  runClient: (target: ClientConformanceTarget) => Promise<ClientRunOutcome | void>,
  target: ClientConformanceTarget,
  limit: number,
): Promise<{ returned: boolean; outcome: ClientRunOutcome | undefined; error?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<{ returned: false; outcome: undefined }>((resolve) => {
    timer = setTimeout(() => resolve({ returned: false, outcome: undefined }), limit);
  });
  const attempt = (async () => {
    try {
      const outcome = await runClient(target);
      return { returned: true, outcome: outcome ?? undefined };
    } catch (error) {
      // A client that throws has reported failure: that is a normal outcome here.
      const detail = error instanceof Error ? error.message : String(error);
      return { returned: true, outcome: { reportedSuccess: false, detail }, error: detail };
    }
  })();
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}

type TlsModule = typeof import("node:tls");

/** Plays one case on one connection; resolves when the connection has ended. */
function playCase(socket: Socket, caseId: ClientCaseId, settings: Settings, tls: TlsModule): Promise<ConnectionRun> {
  const began = Date.now();
  const scripted = new ScriptedServer(caseId, {
    hostname: settings.hostname,
    enormousReplyBytes: settings.enormousReplyBytes,
    injectionHold: settings.injectionHold,
    closingHold: settings.closingHold,
    streamGrace: settings.streamGrace,
  });
  socket.setNoDelay(true);
  let stream: Socket | TLSSocket = socket;
  let end: ConnectionEnd | undefined;
  let chain: Promise<void> = Promise.resolve();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const closed = (): boolean => socket.destroyed || end !== undefined;

  const onData = (chunk: Uint8Array): void => {
    const actions = scripted.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    // Nothing read in clear text after the 220 to STARTTLS may reach the TLS layer (RFC 3207 §5): stop reading now.
    if (actions.some((action) => action.type === "start-tls")) {
      stream.off("data", onData);
      stream.pause();
    }
    perform(actions);
  };

  const write = (bytes: Uint8Array): Promise<void> =>
    new Promise((resolve) => {
      if (closed()) {
        resolve();
        return;
      }
      // The callback comes once the octets are handed to the system: the next write waits (backpressure).
      stream.write(bytes, () => resolve());
    });

  const pause = (milliseconds: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, milliseconds);
      timers.add(timer);
    });

  const finish = (how: ConnectionEnd): void => {
    if (end === undefined) end = how;
  };

  const act = async (action: ScriptedAction): Promise<void> => {
    switch (action.type) {
      case "write":
        if (!action.byteByByte) {
          await write(action.bytes);
          return;
        }
        for (let i = 0; i < action.bytes.length && !closed(); i += 1) {
          await write(action.bytes.subarray(i, i + 1));
          await pause(1);
        }
        return;
      case "stream": {
        let sent = 0;
        await write(action.head);
        sent += action.head.length;
        while (sent < action.total && !closed()) {
          await write(action.filler);
          sent += action.filler.length;
        }
        if (!closed()) {
          scripted.note(`the server has written the whole endless reply (${sent} octets) and waits ${action.grace} ms for the client to give up`);
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!closed()) perform(scripted.streamOutlasted());
          }, action.grace);
          timers.add(timer);
        }
        return;
      }
      case "start-tls": {
        const secure = new tls.TLSSocket(socket, { isServer: true, key: settings.key as string, cert: settings.cert as string });
        stream = secure;
        secure.on("error", (error: Error) => {
          scripted.note(`TLS: ${error.message}`);
          finish("tls-failed");
          socket.destroy();
        });
        secure.on("data", onData);
        secure.once("secure", () => perform(scripted.tlsEstablished()));
        return;
      }
      case "hold": {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!closed()) perform(scripted.release());
        }, action.milliseconds);
        timers.add(timer);
        return;
      }
      case "close": {
        const last = scripted.observation().commands.at(-1);
        finish(last?.verb === "QUIT" ? "client-quit" : "server-closed");
        await new Promise<void>((resolve) => stream.end(() => resolve()));
        socket.destroy();
        return;
      }
    }
  };

  function perform(actions: readonly ScriptedAction[]): void {
    for (const action of actions) {
      chain = chain
        .then(() => act(action))
        .catch((error: unknown) => {
          // A transport failure ends the case with what was seen so far, never a hang.
          scripted.note(`the server's transport failed: ${error instanceof Error ? error.message : String(error)}`);
          finish("server-closed");
          socket.destroy();
        });
    }
  }

  return new Promise<ConnectionRun>((resolve) => {
    const limit = caseId === "never-answers" ? settings.silentTimeout : settings.caseTimeout;
    const caseTimer = setTimeout(() => {
      if (end !== undefined) return;
      scripted.note(`the case's time (${limit} ms) ran out with the connection open: the server closes it`);
      finish("timeout");
      socket.destroy();
    }, limit);
    socket.on("error", () => undefined);
    socket.on("data", onData);
    socket.once("close", () => {
      clearTimeout(caseTimer);
      for (const timer of timers) clearTimeout(timer);
      if (end === undefined) {
        scripted.note("the client closed the connection");
        end = "client-closed";
      }
      scripted.ended();
      resolve({ observation: scripted.observation(), end, durationMs: Date.now() - began });
    });
    perform(scripted.start());
  });
}
