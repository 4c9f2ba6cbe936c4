// The worked example of docs/session.md: ServerSession on a plain node:net
// socket, with asynchronous decisions and one timer for the deadline.
import net from "node:net";
import { createServerSession, type ServerEvent, type ServerSession } from "@smtpkit/session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface Stored {
  from: string;
  to: string[];
  data: Buffer;
}

// --- The driver, as in docs/session.md -------------------------------------------------
function serve(socket: net.Socket, session: ServerSession, store: (message: Stored) => Promise<void>): void {
  let timer: NodeJS.Timeout | undefined;
  let chunks: Buffer[] = [];

  const pump = (): void => {
    for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
      if (output.type === "write") socket.write(output.bytes);
      else if (output.type === "close") socket.end();
      else if (output.type === "start-tls") throw new Error("STARTTLS is not offered in this example");
      else handle(output.event);
    }
    clearTimeout(timer);
    const deadline = session.deadline();
    if (deadline !== undefined) {
      timer = setTimeout(() => {
        session.tick(Date.now());
        pump();
      }, Math.max(0, deadline - Date.now()));
    }
  };

  // Answers may come later (a database, DNS...): decide, then pump again.
  const later = (requestId: number, answer: Promise<Parameters<ServerSession["decide"]>[1]>): void => {
    void answer.then((decision) => {
      session.decide(requestId, decision);
      pump();
    });
  };

  const handle = (event: ServerEvent): void => {
    switch (event.type) {
      case "connection-requested":
      case "mail-requested":
        session.decide(event.requestId, { type: "accept" });
        break;
      case "recipient-requested":
        later(event.requestId, Promise.resolve(event.to.domain === "example.org" ? { type: "accept" } : { type: "reject", situation: "RelayDenied" }));
        break;
      case "message-start":
        chunks = [];
        break;
      case "message-chunk":
        chunks.push(Buffer.from(event.data)); // copy: the bytes are a view of the socket's buffer
        break;
      case "message-end": {
        const message = {
          from: event.envelope.from === null ? "" : `${event.envelope.from.localPart}@${event.envelope.from.domain}`,
          to: event.envelope.recipients.map((recipient) => `${recipient.to.localPart}@${recipient.to.domain}`),
          data: Buffer.concat(chunks),
        };
        // 250 only once the message is safely stored (RFC 5321 §6.1).
        later(
          event.requestId,
          store(message).then(
            () => ({ type: "accept" as const }),
            () => ({ type: "reject" as const, situation: "StorageFailed" as const }),
          ),
        );
        break;
      }
      default:
        break; // reports: command-received, reply-sent, protocol-violation... (log them)
    }
  };

  socket.on("data", (bytes: Buffer) => {
    session.receive(bytes, Date.now());
    pump();
  });
  socket.on("end", () => {
    session.peerClosed(Date.now());
    pump();
  });
  socket.on("error", () => session.peerClosed(Date.now()));
  socket.on("close", () => clearTimeout(timer));
  session.connect({ remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0 }, Date.now());
  pump();
}
// --------------------------------------------------------------------------------------------

describe("ServerSession over node:net (the docs/session.md example)", () => {
  const stored: Stored[] = [];
  let server: net.Server;
  let port = 0;

  beforeAll(async () => {
    server = net.createServer((socket) => serve(socket, createServerSession({ hostname: "mx.example.com" }), async (message) => void stored.push(message)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("receives a pipelined message over a real socket", async () => {
    const client = net.connect(port, "127.0.0.1");
    let received = "";
    const replies = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (received.split("\r\n").filter((line) => /^\d{3} /.test(line)).length >= count) resolve();
          else client.once("data", (data: Buffer) => ((received += data.toString()), check()));
        };
        check();
      });
    await replies(1);
    client.write("EHLO client.example\r\n");
    await replies(2);
    client.write("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<eve@elsewhere.example>\r\nDATA\r\n");
    await replies(6);
    client.write("Subject: hello\r\n\r\n..a dotted line\r\n.\r\nQUIT\r\n");
    await replies(8);
    await new Promise<void>((resolve) => client.on("close", () => resolve()));
    const codes = received.split("\r\n").filter((line) => /^\d{3} /.test(line)).map((line) => Number(line.slice(0, 3)));
    expect(codes).toEqual([220, 250, 250, 250, 550, 354, 250, 221]);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.to).toEqual(["bob@example.org"]);
    expect(stored[0]!.data.toString()).toBe("Subject: hello\r\n\r\n.a dotted line\r\n");
  });
});
