// `smtpkit serve` behind trusted front ends: --proxy-protocol with --proxy-trust (HAProxy's PROXY header),
// --xclient-trust and --xforward-trust (Postfix's XCLIENT and XFORWARD). Only the listed networks may use
// them; the client they name is the one the Maildir file's Received: line shows.
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";
import { delivered, removeScratch, scratch, splitTrace, startServe } from "./serve-helpers.js";

afterAll(removeScratch);

/** A line-oriented SMTP conversation over a raw socket: `send` writes and resolves with the next reply. */
function converse(port: number, preamble = ""): Promise<{ send: (line: string) => Promise<string>; reply: () => Promise<string>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      if (preamble !== "") socket.write(preamble);
      resolve({ send, reply, close: () => socket.destroy() });
    });
    socket.on("error", reject);
    let buffer = "";
    let waiting: (() => void) | undefined;
    socket.setEncoding("latin1").on("data", (text: string) => {
      buffer += text;
      waiting?.();
    });
    async function reply(): Promise<string> {
      for (;;) {
        const match = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
        if (match !== null) {
          const end = match.index + match[0].length;
          const whole = buffer.slice(0, end).replace(/^\r\n/, "");
          buffer = buffer.slice(end);
          return whole;
        }
        await new Promise<void>((done) => (waiting = done));
      }
    }
    function send(line: string): Promise<string> {
      socket.write(line);
      return reply();
    }
  });
}

async function deliver(conversation: Awaited<ReturnType<typeof converse>>, helo: string | undefined, tag: string): Promise<void> {
  // (An EHLO resets what XFORWARD sent, as in Postfix: the filter says EHLO first, then XFORWARD.)
  if (helo !== undefined) expect(await conversation.send(`EHLO ${helo}\r\n`)).toMatch(/^250/);
  expect(await conversation.send("MAIL FROM:<a@example.net>\r\n")).toMatch(/^250/);
  expect(await conversation.send(`RCPT TO:<${tag}@localhost>\r\n`)).toMatch(/^250/);
  expect(await conversation.send("DATA\r\n")).toMatch(/^354/);
  expect(await conversation.send(`Subject: ${tag}\r\n\r\nhello\r\n.\r\n`)).toMatch(/^250/);
  expect(await conversation.send("QUIT\r\n")).toMatch(/^221/);
}

describe("smtpkit serve --xclient-trust / --xforward-trust", () => {
  it("a trusted front end's XCLIENT and XFORWARD name the client in the stored Received: line; the banner says who is trusted", async () => {
    const directory = await scratch();
    const server = await startServe(directory, ["--xclient-trust", "127.0.0.1/32", "--xforward-trust", "127.0.0.1"]);
    try {
      expect(server.stdout()).toContain("XCLIENT    from 127.0.0.1/32 (others: 550 5.7.0)");
      expect(server.stdout()).toContain("XFORWARD   from 127.0.0.1 (others: 550 5.7.0)");
      const proxy = await converse(server.port);
      await proxy.reply();
      const ehlo = await proxy.send("EHLO proxy.example\r\n");
      expect(ehlo).toContain("XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT");
      expect(await proxy.send("XCLIENT ADDR=192.0.2.9 NAME=client.example\r\n")).toMatch(/^220 /);
      await deliver(proxy, "client.example", "xclient");
      const filter = await converse(server.port);
      await filter.reply();
      await filter.send("EHLO filter.example\r\n");
      expect(await filter.send("XFORWARD ADDR=198.51.100.7 HELO=upstream.example IDENT=Q1\r\n")).toMatch(/^250 /);
      await deliver(filter, undefined, "xforward");
      const maildir = path.join(directory, "maildir");
      const [viaXclient] = await delivered(maildir, "localhost", "xclient");
      expect(splitTrace(viaXclient!).trace).toMatch(/Received: from client\.example \(client\.example \[192\.0\.2\.9\]\)/);
      const [viaXforward] = await delivered(maildir, "localhost", "xforward");
      expect(splitTrace(viaXforward!).trace).toMatch(/Received: from upstream\.example \(\[198\.51\.100\.7\]\)/);
      expect(server.stderr()).toContain("client-overridden");
    } finally {
      await server.stop();
    }
  });

  it("a client outside the trusted networks gets 550 5.7.0 and XCLIENT is not advertised", async () => {
    const directory = await scratch();
    const server = await startServe(directory, ["--xclient-trust", "10.0.0.0/8"]);
    try {
      const client = await converse(server.port);
      await client.reply();
      expect(await client.send("EHLO mallory.example\r\n")).not.toContain("XCLIENT");
      expect(await client.send("XCLIENT ADDR=10.1.1.1\r\n")).toMatch(/^550 5\.7\.0 /);
      expect(await client.send("XFORWARD ADDR=10.1.1.1\r\n")).toMatch(/^502 /);
      client.close();
    } finally {
      await server.stop();
    }
  });
});

describe("smtpkit serve --proxy-protocol --proxy-trust", () => {
  it("reads the PROXY header of a trusted proxy: the client it names is in Received:", async () => {
    const directory = await scratch();
    const server = await startServe(directory, ["--proxy-protocol", "--proxy-trust", "127.0.0.0/8"]);
    try {
      expect(server.stdout()).toContain("PROXY      v1/v2 header required, from 127.0.0.0/8 only");
      const client = await converse(server.port, "PROXY TCP4 203.0.113.33 127.0.0.1 40000 25\r\n");
      expect(await client.reply()).toMatch(/^220 /);
      await deliver(client, "client.example", "proxied");
      const [stored] = await delivered(path.join(directory, "maildir"), "localhost", "proxied");
      expect(splitTrace(stored!).trace).toMatch(/Received: from client\.example \(\[203\.0\.113\.33\]\)/);
    } finally {
      await server.stop();
    }
  });

  it("exits 2 for front-end flags that cannot work", async () => {
    const directory = await scratch();
    const usage = [
      [["--proxy-protocol"], "--proxy-protocol needs --proxy-trust"],
      [["--proxy-trust", "10.0.0.5"], "--proxy-trust goes with --proxy-protocol"],
      [["--xclient-trust", "10.0.0.0/40"], "not an address or CIDR block: 10.0.0.0/40"],
      [["--xforward-trust", "proxy.example"], "not an address or CIDR block: proxy.example"],
      [["--proxy-protocol", "--proxy-trust", "nonsense"], "not an address or CIDR block: nonsense"],
    ] as const;
    for (const [args, message] of usage) {
      const result = await smtpkit(["serve", "--port", "0", ...args], { cwd: directory });
      expect(result.stderr, args.join(" ")).toContain(message);
      expect(result.exitCode, args.join(" ")).toBe(2);
    }
  });
});
