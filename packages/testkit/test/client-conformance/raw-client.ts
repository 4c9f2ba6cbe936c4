// Deliberately broken SMTP clients on node:net, each breaking one rule, so that the judge is shown to catch it.
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ClientConformanceTarget, ClientRunOutcome } from "@smtpkit/testkit";

/** A step: write a line (or raw bytes), or wait for a reply first. */
export type Step = { readonly write: string } | { readonly awaitReply: true } | { readonly startTls: true } | { readonly wait: number };

const encoder = new TextEncoder();

/** Reads until a reply's last line ("xyz " or "xyz\r\n") has arrived, or `limit` ms passed, or the connection ended. */
class Reader {
  #text = "";
  #waiters: (() => void)[] = [];
  ended = false;

  feed(text: string): void {
    this.#text += text;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  end(): void {
    this.ended = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Takes one complete reply, whatever its code (a lenient client). */
  async reply(limit: number): Promise<string | undefined> {
    const deadline = Date.now() + limit;
    for (;;) {
      const lines = this.#text.split("\r\n");
      for (let i = 0; i < lines.length - 1; i += 1) {
        const line = lines[i] as string;
        if (line.length < 4 || line[3] === " ") {
          const reply = lines.slice(0, i + 1).join("\r\n");
          this.#text = lines.slice(i + 1).join("\r\n");
          return reply;
        }
      }
      if (this.ended || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops what was read (a client that discards its buffer). */
  clear(): void {
    this.#text = "";
  }
}

/**
 * Runs a script against the case's port: a client that takes any reply as good enough.
 * Reports success when the reply to the end of its message content starts with 250.
 */
export async function runScript(target: ClientConformanceTarget, steps: readonly Step[], options: { readonly replyLimit?: number; readonly keepBufferAcrossTls?: boolean } = {}): Promise<ClientRunOutcome> {
  let socket: Socket = netConnect(target.port, target.host);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let reader = new Reader();
  const attach = (s: Socket, r: Reader): void => {
    s.setEncoding("latin1");
    s.on("data", (text: string) => r.feed(text));
    s.on("close", () => r.end());
    s.on("error", () => r.end());
  };
  attach(socket, reader);
  // The reply to the end of the message content: what a lenient client reports.
  let dataReply: string | undefined;
  let lastWrite = "";
  await reader.reply(options.replyLimit ?? 2_000);
  for (const step of steps) {
    if ("write" in step) {
      lastWrite = step.write;
      if (!socket.destroyed) socket.write(encoder.encode(step.write));
    } else if ("awaitReply" in step) {
      const reply = await reader.reply(options.replyLimit ?? 2_000);
      if (lastWrite.endsWith("\r\n.\r\n")) dataReply = reply;
    } else if ("wait" in step) {
      await new Promise((resolve) => setTimeout(resolve, step.wait));
    } else {
      const plain = socket;
      plain.removeAllListeners("data");
      const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => {
        secure.once("secureConnect", resolve);
        secure.once("error", reject);
      });
      socket = secure;
      // A client with the CVE-2011-1430 bug keeps what it read in clear text as if it came inside TLS.
      if (!options.keepBufferAcrossTls) reader = new Reader();
      attach(secure, reader);
    }
  }
  socket.end();
  await new Promise((resolve) => setTimeout(resolve, 20));
  socket.destroy();
  return { reportedSuccess: dataReply?.startsWith("250") === true, detail: `reply to the end of data: ${JSON.stringify(dataReply)}` };
}

/** EHLO, MAIL, RCPT, DATA, content, QUIT: each after any reply at all. */
export const lenientSession: readonly Step[] = [
  { write: "EHLO raw.example.test\r\n" },
  { awaitReply: true },
  { write: "MAIL FROM:<a@example.test>\r\n" },
  { awaitReply: true },
  { write: "RCPT TO:<b@example.test>\r\n" },
  { awaitReply: true },
  { write: "DATA\r\n" },
  { awaitReply: true },
  { write: "Subject: x\r\n\r\nhello\r\n.\r\n" },
  { awaitReply: true },
  { write: "QUIT\r\n" },
  { awaitReply: true },
];

/** Connects and then only listens: never writes, never closes (until the server does). */
export async function runSilentListener(target: ClientConformanceTarget, afterEhlo: boolean): Promise<ClientRunOutcome> {
  const socket = netConnect(target.port, target.host);
  socket.on("error", () => undefined);
  if (afterEhlo) socket.once("data", () => socket.write("EHLO raw.example.test\r\n"));
  socket.resume();
  await new Promise((resolve) => socket.once("close", resolve));
  return { reportedSuccess: false };
}
