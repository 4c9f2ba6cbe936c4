// A tiny SMTP server for the conformance runner's tests: correct by default
// (the runner must find nothing), with one deliberate fault switched on per
// test (the runner must find exactly that, with the right rule).
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";

export type Fault =
  | "rcpt-without-mail" // 250 to RCPT before MAIL
  | "bare-lf-end" // DATA ends at a line "." however it was ended (bare LF counts as a line end)
  | "starttls-injection" // commands pipelined after STARTTLS are answered inside TLS
  | "mixed-multiline" // multi-line EHLO reply with a different code on one line
  | "wrong-enhanced-class" // NOOP answered "250 5.0.0 Ok"
  | "noop-refused" // NOOP answered 502
  | "ehlo-bad-keyword" // an EHLO line "_PRIVATE"
  | "quit-stays-open" // 221 to QUIT, then no close
  | "broken-mail-accepted" // MAIL FROM:<x without ">" accepted
  | "pipelining-differs" // a RCPT in the same read as MAIL gets 451
  | "long-reply-line" // HELP answered with a 600-octet line
  | "bare-lf-replies" // replies end with LF only
  | "size-not-enforced" // a message over the advertised SIZE is accepted
  | "rset-in-transaction-refused"; // RSET answered 500 while a transaction is open

export interface ToyServerOptions {
  readonly fault?: Fault;
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly maxSize?: number;
}

export interface ToyServer {
  readonly port: number;
  /** Messages accepted, as received after dot-unstuffing. */
  readonly messages: Uint8Array[];
  close(): Promise<void>;
}

const ok = (text: string): string => `250 2.0.0 ${text}\r\n`;

export async function startToyServer(options: ToyServerOptions = {}): Promise<ToyServer> {
  const messages: Uint8Array[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    serve(socket, options, messages);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function serve(plain: Socket, options: ToyServerOptions, messages: Uint8Array[]): void {
  const fault = options.fault;
  let socket: Socket | TLSSocket = plain;
  let buffer = Buffer.alloc(0);
  let mode: "command" | "data" | "tls" = "command";
  let mail = false;
  let recipients = 0;
  let data: Buffer[] = [];
  let lastData = Buffer.alloc(0);
  const write = (text: string): void => {
    socket.write(fault === "bare-lf-replies" ? text.replace(/\r\n/g, "\n") : text);
  };
  const ehlo = (): string => {
    const lines = ["toy.example.test", "PIPELINING", `SIZE ${options.maxSize ?? 100000}`, "ENHANCEDSTATUSCODES", ...(options.tls !== undefined && socket === plain ? ["STARTTLS"] : []), ...(fault === "ehlo-bad-keyword" ? ["_PRIVATE"] : []), "8BITMIME"];
    return lines.map((line, index) => `${index === lines.length - 1 ? "250 " : fault === "mixed-multiline" && index === 2 ? "251-" : "250-"}${line}\r\n`).join("");
  };

  const command = (line: string, sameRead: boolean): void => {
    const upper = line.toUpperCase();
    const verb = upper.split(" ")[0] ?? "";
    if (verb === "EHLO") {
      mail = false;
      recipients = 0;
      write(ehlo());
    } else if (verb === "HELO") {
      mail = false;
      recipients = 0;
      write("250 toy.example.test\r\n");
    } else if (verb === "MAIL") {
      const match = /^MAIL FROM:<([^<>]*)>((?: [A-Z0-9-]+=[^ ]*)*)$/i.exec(line);
      const sloppy = fault === "broken-mail-accepted" && /^MAIL FROM:<[^<>]*$/i.test(line);
      if (mail) write("503 5.5.1 Error: nested MAIL command\r\n");
      else if (sloppy) {
        mail = true;
        write(ok("Ok"));
      } else if (match === null) write("501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
      else {
        const parameters = (match[2] ?? "").trim().split(" ").filter((part) => part !== "");
        let refusal: string | undefined;
        for (const parameter of parameters) {
          const [name, value] = parameter.split("=") as [string, string];
          if (name.toUpperCase() === "SIZE") {
            if (!/^\d{1,20}$/.test(value)) refusal = "501 5.5.4 Bad message size syntax\r\n";
            else if (Number(value) > (options.maxSize ?? 100000)) refusal = "552 5.3.4 Message size exceeds fixed limit\r\n";
          } else if (name.toUpperCase() !== "BODY") refusal = `555 5.5.4 Unsupported option: ${parameter}\r\n`;
        }
        if (refusal !== undefined) write(refusal);
        else {
          mail = true;
          recipients = 0;
          write(ok("Ok"));
        }
      }
    } else if (verb === "RCPT") {
      if (!mail && fault !== "rcpt-without-mail") write("503 5.5.1 Error: need MAIL command\r\n");
      else if (!/^RCPT TO:<[^<>@]+@[^<>@]+>$/i.test(line)) write("501 5.1.3 Bad recipient address syntax\r\n");
      else if (fault === "pipelining-differs" && sameRead) write("451 4.3.0 Try again\r\n");
      else {
        recipients += 1;
        write(ok("Ok"));
      }
    } else if (verb === "DATA") {
      if (!mail) write("503 5.5.1 Error: need MAIL command\r\n");
      else if (recipients === 0) write("554 5.5.1 Error: no valid recipients\r\n");
      else {
        mode = "data";
        data = [];
        write("354 End data with <CR><LF>.<CR><LF>\r\n");
      }
    } else if (verb === "RSET" && fault === "rset-in-transaction-refused" && mail) {
      write("500 5.5.1 Error: not now\r\n");
    } else if (verb === "RSET") {
      mail = false;
      recipients = 0;
      write(ok("Ok"));
    } else if (verb === "NOOP") {
      if (fault === "noop-refused") write("502 5.5.2 Error: command not recognized\r\n");
      else if (fault === "wrong-enhanced-class") write("250 5.0.0 Ok\r\n");
      else write(ok("Ok"));
    } else if (verb === "HELP") {
      write(fault === "long-reply-line" ? `214 2.0.0 ${"x".repeat(600)}\r\n` : "214 2.0.0 See RFC 5321\r\n");
    } else if (verb === "VRFY") write("252 2.0.0 Send some mail, I'll try my best\r\n");
    else if (verb === "QUIT") {
      write("221 2.0.0 Bye\r\n");
      if (fault !== "quit-stays-open") socket.end();
    } else if (verb === "STARTTLS" && options.tls !== undefined && socket === plain) {
      write("220 2.0.0 Ready to start TLS\r\n");
      mode = "tls";
    } else write("502 5.5.2 Error: command not recognized\r\n");
  };

  const onData = (chunk: Buffer): void => {
    buffer = Buffer.concat([buffer, chunk]);
    let commandsThisRead = 0;
    for (;;) {
      if (mode === "tls") {
        const leftover = buffer;
        buffer = Buffer.alloc(0);
        plain.removeAllListeners("data");
        const secure = new TLSSocket(plain, { isServer: true, key: options.tls?.key, cert: options.tls?.cert });
        secure.on("error", () => undefined);
        socket = secure;
        mode = "command";
        mail = false;
        recipients = 0;
        secure.on("data", onData);
        // The fault: what came in the clear after STARTTLS is kept and executed once TLS is up.
        if (fault === "starttls-injection" && leftover.length > 0) secure.once("secure", () => onData(leftover));
        return;
      }
      if (mode === "data") {
        // RFC 5321 §4.1.1.4: the content ends at CRLF.CRLF; the fault also ends it at any line "." after a bare LF.
        const content = Buffer.concat([lastData, buffer]);
        let end = -1;
        let skip = 0;
        const strict = content.indexOf("\r\n.\r\n");
        if (strict >= 0) {
          end = strict;
          skip = 5;
        }
        if (fault === "bare-lf-end") {
          const loose = content.indexOf("\n.\n");
          if (loose >= 0 && (end < 0 || loose < end)) {
            end = loose;
            skip = 3;
          }
        }
        if (end < 0) {
          lastData = content;
          buffer = Buffer.alloc(0);
          return;
        }
        const body = content.subarray(0, end + 2);
        buffer = content.subarray(end + skip);
        lastData = Buffer.alloc(0);
        mode = "command";
        mail = false;
        recipients = 0;
        // RFC 1870 §6: a message over the advertised maximum is refused (unless that is the fault).
        if (body.length > (options.maxSize ?? 100000) && fault !== "size-not-enforced") {
          write("552 5.3.4 Message size exceeds fixed limit\r\n");
          continue;
        }
        messages.push(new Uint8Array(Buffer.from(body.toString("latin1").replace(/\r\n\.\./g, "\r\n.").replace(/^\.\./, "."), "latin1")));
        write(ok("Queued"));
        continue;
      }
      const lf = buffer.indexOf(0x0a);
      if (lf < 0) return;
      const line = buffer.subarray(0, lf).toString("latin1").replace(/\r$/, "");
      buffer = buffer.subarray(lf + 1);
      commandsThisRead += 1;
      command(line, commandsThisRead > 1);
    }
  };
  plain.on("data", onData);
  plain.write("220 toy.example.test ESMTP toy\r\n");
}
