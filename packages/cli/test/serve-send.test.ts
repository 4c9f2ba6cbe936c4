// `smtpkit serve` and `smtpkit send` as child processes talking to each other
// over loopback: delivery into the Maildir with the trace headers, relay
// refused, STARTTLS and implicit TLS with a generated certificate, AUTH from a
// users file, size limit, exit codes, clear errors, and a clean SIGTERM/SIGINT.
import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { createSelfSignedCertificate, requirePeer, type SelfSignedCertificate } from "@smtpkit/interop";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpkit } from "./helpers.js";
import { delivered, removeScratch, sampleMessage, scratch, send, splitTrace, startServe, type ServeProcess } from "./serve-helpers.js";

afterAll(removeScratch);

describe("smtpkit serve + smtpkit send, plain", () => {
  let directory: string;
  let server: ServeProcess;
  let maildir: string;

  beforeAll(async () => {
    directory = await scratch();
    maildir = path.join(directory, "maildir");
    server = await startServe(directory, ["--domain", "example.org", "--log-format", "json", "--size-limit", "4K"]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("prints where it listens, where mail goes, and a swaks and a smtpkit send line that work", () => {
    const banner = server.stdout();
    expect(banner).toContain(`listening on 127.0.0.1:${server.port} (SMTP)`);
    expect(banner).toContain("mail for   localhost, example.org");
    expect(banner).toContain(`stored in  ${maildir}${path.sep}<domain>`);
    expect(banner).toContain(`swaks --server 127.0.0.1:${server.port} --to test@localhost`);
    expect(banner).toContain(`smtpkit send --server 127.0.0.1:${server.port} --tls none --from you@localhost --to test@localhost`);
  });

  it("the banner's smtpkit send line delivers, and the file holds Return-Path, Received and the built message", async () => {
    const line = /smtpkit send (.*)/.exec(server.stdout())![1]!;
    // The banner quotes "It works"; split as a shell would.
    const args = line.match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"|"$/g, ""));
    const result = await smtpkit(["send", ...args]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^accepted test@localhost {2}250 2\.1\.5 /m);
    expect(result.stdout).toMatch(/^message {2}250 2\.0\.0 /m);
    const files = await delivered(maildir, "localhost", "test");
    const stored = files.find((file) => file.includes("It works"))!;
    const { trace, rest } = splitTrace(stored);
    expect(trace).toMatch(/^Return-Path: <you@localhost>\r\nReceived: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]\)/);
    expect(trace).toMatch(/with ESMTP\r?\n?\s*id /);
    expect(rest.toString("utf8")).toMatch(/^Date: .*\r\nFrom: you@localhost\r\nTo: test@localhost\r\nSubject: Hello\r\n/);
    expect(rest.toString("utf8").endsWith("\r\n\r\nIt works")).toBe(true);
  });

  it("sends .eml files byte for byte (trace headers added in front), several over one connection", async () => {
    const first = sampleMessage("eml-1", "bob@example.org");
    const second = sampleMessage("eml-2", "bob@example.org");
    await writeFile(path.join(directory, "one.eml"), first);
    await writeFile(path.join(directory, "two.eml"), second);
    const result = await send(server.port, ["--tls", "none", "--from", "alice@localhost", "--to", "bob@example.org", "one.eml", "two.eml"], { cwd: directory });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^one\.eml: accepted bob@example\.org {2}250 2\.1\.5/m);
    expect(result.stdout).toMatch(/^two\.eml: accepted bob@example\.org {2}250 2\.1\.5/m);
    const files = await delivered(maildir, "example.org", "bob");
    const bodies = files.map((file) => splitTrace(file).rest);
    expect(bodies).toContainEqual(first);
    expect(bodies).toContainEqual(second);
    // One connection for both: the log has one "open".
    const log = server.stderr().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
    const accepted = log.filter((event) => event["type"] === "message-accepted");
    const connectionIds = new Set(accepted.slice(-2).map((event) => event["connectionId"]));
    expect(connectionIds.size).toBe(1);
  });

  it("composes with --cc, --bcc, --html and --attach: Bcc is delivered but not in the header, the file is attached", async () => {
    const content = Buffer.from([0, 1, 2, 250, 251, 252, 13, 10, 46]);
    await writeFile(path.join(directory, "data.bin"), content);
    const result = await send(server.port, [
      "--from", "a@localhost", "--to", "to@localhost", "--cc", "cc@localhost", "--bcc", "hidden@localhost",
      "--subject", "Café", "--text", "plain", "--html", "<p>html</p>", "--attach", "data.bin",
    ], { cwd: directory });
    expect(result.exitCode, result.stderr).toBe(0);
    for (const user of ["to", "cc", "hidden"]) expect(result.stdout).toMatch(new RegExp(`^accepted ${user}@localhost`, "m"));
    const [stored] = await delivered(maildir, "localhost", "hidden");
    const text = splitTrace(stored!).rest.toString("latin1");
    expect(text).toContain("\r\nCc: cc@localhost\r\n");
    expect(text).not.toMatch(/^Bcc:/im);
    expect(text).not.toContain("hidden@localhost");
    expect(text).toMatch(/^Subject: =\?utf-8\?B\?Q2Fmw6k=\?=\r$/im);
    expect(text).toMatch(/filename="?data\.bin"?/);
    expect(text).toContain(content.toString("base64"));
    expect(text).toContain("<p>html</p>");
  });

  it("sends an .eml file with LF line ends as CRLF (RFC 5321 §2.3.8), dots stuffed and unstuffed", async () => {
    await writeFile(path.join(directory, "unix.eml"), "From: a@localhost\nSubject: unix\n\nline one\n.dot line\n");
    const result = await send(server.port, ["--from", "a@localhost", "--to", "unix@localhost", "unix.eml"], { cwd: directory });
    expect(result.exitCode).toBe(0);
    const [stored] = await delivered(maildir, "localhost", "unix");
    expect(splitTrace(stored!).rest.toString("latin1")).toBe("From: a@localhost\r\nSubject: unix\r\n\r\nline one\r\n.dot line\r\n");
  });

  it("refuses relaying with 550 5.7.1, delivers the rest, and exits 1", async () => {
    const result = await send(server.port, ["--from", "a@localhost", "--to", "relay-ok@localhost", "--to", "victim@elsewhere.example", "--text", "relay?"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^refused {2}victim@elsewhere\.example {2}550 5\.7\.1 /m);
    expect(result.stdout).toMatch(/^accepted relay-ok@localhost/m);
    expect(await delivered(maildir, "localhost", "relay-ok")).toHaveLength(1);
    const only = await send(server.port, ["--from", "a@localhost", "--to", "victim@elsewhere.example", "--text", "relay?"]);
    expect(only.exitCode).toBe(1);
    expect(only.stdout).toMatch(/^refused {2}victim@elsewhere\.example {2}550 5\.7\.1 /m);
    for (const trick of ["victim%elsewhere.example@localhost", '"victim@elsewhere.example"@localhost']) {
      // An .eml file: the envelope only (the quoted form is no address for a To: header).
      await writeFile(path.join(directory, "trick.eml"), sampleMessage("trick"));
      const tricked = await send(server.port, ["--from", "a@localhost", "--to", trick, "trick.eml"], { cwd: directory });
      expect(tricked.exitCode).toBe(1);
      expect(tricked.stdout).toMatch(/^refused /m);
    }
  });

  it("advertises --size-limit in SIZE: a bigger message is not sent, exit 1; one that lies about its size gets 552", async () => {
    const result = await send(server.port, ["--from", "a@localhost", "--to", "big@localhost", "--text", "x".repeat(8000)]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^not sent big@localhost/m);
    expect(result.stdout).toMatch(/^not sent: the message \(\d+ bytes\) is larger than the server's SIZE limit/m);
    // A client that ignores SIZE: the server counts the bytes (RFC 1870 §6 / RFC 5321 §4.5.3.1.10).
    const reply = await rawSession(server.port, ["EHLO x", "MAIL FROM:<a@localhost>", "RCPT TO:<big@localhost>", "DATA"], `${"y".repeat(5000)}\r\n.\r\n`);
    expect(reply).toMatch(/\r\n552[ -]/);
    expect(await delivered(maildir, "localhost", "big")).toHaveLength(0);
  });

  it("logs JSON events on standard error", () => {
    const events = server.stderr().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { type: string; time: string });
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(["connection", "command", "reply", "message-accepted"]));
    expect(events.every((event) => !Number.isNaN(Date.parse(event.time)))).toBe(true);
  });

  it("answers a second serve on the same port with a clear error and exit 1", async () => {
    const result = await smtpkit(["serve", "--port", String(server.port), "--maildir", path.join(directory, "other")]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`127.0.0.1:${server.port} is already in use`);
  });
});

/** Speaks SMTP by hand: the commands one at a time, then `data` after a 354, and returns everything the server said. */
async function rawSession(port: number, commands: readonly string[], data: string): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  let waiting: (() => void) | undefined;
  socket.setEncoding("latin1").on("data", (text: string) => {
    received += text;
    waiting?.();
  });
  const replyCount = (): number => received.split("\r\n").filter((line) => /^\d{3} /.test(line)).length;
  const until = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (replyCount() >= count) resolve();
      };
      waiting = check;
      check();
    });
  await until(1);
  for (let index = 0; index < commands.length; index++) {
    socket.write(`${commands[index]}\r\n`);
    await until(index + 2);
  }
  socket.write(data);
  await until(commands.length + 2);
  socket.end("QUIT\r\n");
  return received;
}

describe("smtpkit serve --lmtp + smtpkit send --lmtp", () => {
  it("gives one reply per recipient after the message, and exits 1 when one is refused", async () => {
    const directory = await scratch();
    const server = await startServe(directory, ["--lmtp", "--log-format", "none"]);
    try {
      expect(server.stdout()).toContain("(LMTP)");
      expect(server.stdout()).toContain("--tls none --lmtp --from");
      const ok = await send(server.port, ["--lmtp", "--tls", "none", "--from", "a@localhost", "--to", "one@localhost", "--to", "two@localhost", "--text", "lmtp"]);
      expect(ok.stderr).toBe("");
      expect(ok.exitCode).toBe(0);
      // The per-recipient reply after the data (RFC 2033 §4.2), not the RCPT reply.
      expect(ok.stdout).toMatch(/^accepted one@localhost {2}250 2\.0\.0 /m);
      expect(ok.stdout).toMatch(/^accepted two@localhost {2}250 2\.0\.0 /m);
      for (const user of ["one", "two"]) expect(await delivered(path.join(directory, "maildir"), "localhost", user)).toHaveLength(1);
      const mixed = await send(server.port, ["--lmtp", "--tls", "none", "--from", "a@localhost", "--to", "three@localhost", "--to", "x@elsewhere.example", "--text", "lmtp"]);
      expect(mixed.exitCode).toBe(1);
      expect(mixed.stdout).toMatch(/^refused {2}x@elsewhere\.example {2}550 5\.7\.1 /m);
      expect(mixed.stdout).toMatch(/^accepted three@localhost/m);
    } finally {
      await server.stop();
    }
  });
});

describe("smtpkit serve --allow-insecure-auth", () => {
  it("offers AUTH without TLS only when asked, and send sends a password in clear only with --tls none (warning both times)", async () => {
    const directory = await scratch();
    await writeFile(path.join(directory, "users.txt"), "dave:{plain}clear text\n");
    await writeFile(path.join(directory, "dave.pw"), "clear text\n");
    const strict = await startServe(directory, ["--users", "users.txt", "--log-format", "none"]);
    const loose = await startServe(directory, ["--users", "users.txt", "--allow-insecure-auth", "--log-format", "none"]);
    try {
      expect(strict.stderr()).toContain("AUTH is offered only under TLS, so nobody can log in");
      expect(loose.stderr()).toContain("--allow-insecure-auth: passwords may cross the network in clear text");
      const args = ["--tls", "none", "--user", "dave", "--password-file", "dave.pw", "--from", "dave@localhost", "--to", "clear@localhost", "--text", "x"];
      const refused = await send(strict.port, args, { cwd: directory });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain("does not offer AUTH");
      const accepted = await send(loose.port, args, { cwd: directory });
      expect(accepted.exitCode, accepted.stderr).toBe(0);
      expect(accepted.stderr).toContain("--tls none with --user: the password crosses the network in clear text");
      const [stored] = await delivered(path.join(directory, "maildir"), "localhost", "clear");
      expect(splitTrace(stored!).trace).toMatch(/with ESMTPA\b/);
      // Opportunistic STARTTLS (the default) finds no STARTTLS here and will not send the password in clear.
      const cautious = await send(loose.port, args.filter((arg) => arg !== "--tls" && arg !== "none"), { cwd: directory });
      expect(cautious.exitCode).toBe(1);
      expect(cautious.stderr).toContain("does not offer STARTTLS");
    } finally {
      await strict.stop();
      await loose.stop();
    }
  });
});

describe("smtpkit send errors", () => {
  it("exits 2 for usage errors, before connecting", async () => {
    const cases: [string[], string][] = [
      [["--to", "a@localhost", "--text", "x"], "--from is required"],
      [["--from", "a@localhost", "--text", "x"], "no recipient"],
      [["--from", "a@localhost", "--to", "b@localhost", "--user", "me"], "--user needs --password-file"],
      [["--from", "a@localhost", "--to", "b@localhost", "--password-file", "x"], "--password-file needs --user"],
      [["--from", "a@localhost", "--to", "b@localhost", "--tls", "maybe"], "Allowed choices are starttls-required, starttls, implicit, none"],
      [["--from", "a@localhost", "--to", "b@localhost", "--server", "host:99999"], "expected host:port"],
      [["--from", "a@localhost", "--to", "b@localhost", "--subject", "x", "a.eml"], "not both"],
      [["--from", "a@localhost", "--to", "b@localhost", "--password", "secret"], "unknown option '--password'"],
      [["--from", "a\r\nBcc: x@y", "--to", "b@localhost", "--text", "x"], "cannot build the message"],
    ];
    for (const [args, message] of cases) {
      const result = await smtpkit(["send", "--server", "127.0.0.1:9", ...args]);
      expect(result.stderr, args.join(" ")).toContain(message);
      expect(result.exitCode, args.join(" ")).toBe(2);
    }
  });

  it("names a refused connection and exits 1", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address() as net.AddressInfo;
        probe.close(() => resolve(address.port));
      });
    });
    const result = await send(port, ["--from", "a@localhost", "--to", "b@localhost", "--text", "x"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot connect to 127.0.0.1:${port} (ECONNREFUSED`);
  });

  it("exits 1 for an unreadable .eml or attachment", async () => {
    const eml = await send(9, ["--from", "a@localhost", "--to", "b@localhost", "/nonexistent/x.eml"]);
    expect(eml.exitCode).toBe(1);
    expect(eml.stderr).toContain("cannot read the message /nonexistent/x.eml: ENOENT");
    const attachment = await send(9, ["--from", "a@localhost", "--to", "b@localhost", "--attach", "/nonexistent/y.pdf"]);
    expect(attachment.exitCode).toBe(1);
    expect(attachment.stderr).toContain("cannot read the attachment /nonexistent/y.pdf: ENOENT");
  });
});

describe("smtpkit serve errors and shutdown", () => {
  it("exits 2 for usage errors and 1 for unreadable or bad TLS files", async () => {
    const directory = await scratch();
    const usage = [
      [["--tls-key", "k.pem"], "--tls-key and --tls-cert go together"],
      [["--implicit-tls"], "--implicit-tls needs --tls-key and --tls-cert"],
      [["--port", "70000"], "a port is a number from 0 to 65535"],
      [["--size-limit", "lots"], "a size is a number of bytes"],
      [["--log-format", "xml"], "Allowed choices are text, json, none"],
    ] as const;
    for (const [args, message] of usage) {
      const result = await smtpkit(["serve", "--port", "0", ...args], { cwd: directory });
      expect(result.stderr, args.join(" ")).toContain(message);
      expect(result.exitCode, args.join(" ")).toBe(2);
    }
    const missing = await smtpkit(["serve", "--port", "0", "--tls-key", "none.pem", "--tls-cert", "none.pem"], { cwd: directory });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("cannot read the TLS key none.pem: ENOENT");
    await writeFile(path.join(directory, "junk.pem"), "not a key\n");
    const junk = await smtpkit(["serve", "--port", "0", "--tls-key", "junk.pem", "--tls-cert", "junk.pem"], { cwd: directory });
    expect(junk.exitCode).toBe(1);
    expect(junk.stderr).toContain("the TLS key or certificate is not usable");
  });

  it("refuses a malformed users file, naming the line", async () => {
    const directory = await scratch();
    await writeFile(path.join(directory, "users.txt"), "# users\nalice:{plain}pw\nbob:secret\n");
    const result = await smtpkit(["serve", "--port", "0", "--users", "users.txt"], { cwd: directory });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("users.txt:3: the credential must start with SCRAM-SHA-256$ or {plain}");
    await writeFile(path.join(directory, "weak.txt"), "alice:SCRAM-SHA-256$1000:c2FsdHNhbHRzYWx0c2FsdA==$AAAA:AAAA\n");
    const weak = await smtpkit(["serve", "--port", "0", "--users", "weak.txt"], { cwd: directory });
    expect(weak.exitCode).toBe(2);
    expect(weak.stderr).toContain("weak.txt:1: the iteration count must be from 4096");
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`closes cleanly on ${signal} with exit code 0, and the port is free again`, async () => {
      const directory = await scratch();
      const server = await startServe(directory);
      const ended = await server.stop(signal);
      expect(ended).toEqual({ exitCode: 0, signal: null });
      expect(server.stderr()).toContain(`${signal}: closing`);
      expect(server.stderr()).toContain("closed\n");
      const reused = await startServe(directory, ["--port", String(server.port)]).catch(() => undefined);
      // --port given twice: commander takes the last, so this binds the same port again.
      expect(reused?.port).toBe(server.port);
      await reused?.stop();
    });
  }
});

describe.skipIf(!requirePeer("openssl"))("smtpkit serve + send over TLS, with AUTH", () => {
  let directory: string;
  let certificate: SelfSignedCertificate;
  let server: ServeProcess;
  let implicit: ServeProcess;
  let maildir: string;

  beforeAll(async () => {
    directory = await scratch();
    maildir = path.join(directory, "maildir");
    certificate = await createSelfSignedCertificate({ directory, commonName: "localhost" });
    const verifier = await smtpkit(["serve", "--hash-password"], { input: "correct horse battery\n" });
    expect(verifier.exitCode).toBe(0);
    expect(verifier.stdout).toMatch(/^SCRAM-SHA-256\$100000:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}\n$/);
    await writeFile(path.join(directory, "users.txt"), `# test users\nalice:${verifier.stdout}carol:{plain}plain pass\n`);
    await writeFile(path.join(directory, "alice.pw"), "correct horse battery\n");
    await writeFile(path.join(directory, "carol.pw"), "plain pass\n");
    await writeFile(path.join(directory, "wrong.pw"), "wrong\n");
    const tls = ["--tls-key", certificate.keyPath, "--tls-cert", certificate.certificatePath];
    server = await startServe(directory, [...tls, "--users", "users.txt", "--hostname", "mx.localhost"]);
    implicit = await startServe(directory, [...tls, "--implicit-tls", "--log-format", "none"]);
  });
  afterAll(async () => {
    await server?.stop();
    await implicit?.stop();
  });

  it("warns about plaintext passwords in the users file and says AUTH is under TLS only", () => {
    expect(server.stderr()).toContain('user "carol" has a plaintext password');
    expect(server.stdout()).toContain("(SMTP with STARTTLS)");
    expect(server.stdout()).toContain("AUTH       PLAIN, LOGIN, SCRAM-SHA-256, SCRAM-SHA-256-PLUS (under TLS only)");
    expect(server.stdout()).toContain("--tls starttls-required --insecure");
  });

  it("checks the certificate by default: a self-signed one fails with a TLS error naming --insecure", async () => {
    const result = await send(server.port, ["--tls", "starttls-required", "--from", "a@localhost", "--to", "tls@localhost", "--text", "x"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/TLS with 127\.0\.0\.1:\d+ failed/);
    expect(result.stderr).toContain("--insecure");
    expect(await delivered(maildir, "localhost", "tls")).toHaveLength(0);
  });

  it("delivers over STARTTLS with --insecure, and the Received header says ESMTPS", async () => {
    const result = await send(server.port, ["--tls", "starttls-required", "--insecure", "--from", "a@localhost", "--to", "tls@localhost", "--text", "secret"]);
    expect(result.exitCode).toBe(0);
    const [stored] = await delivered(maildir, "localhost", "tls");
    expect(splitTrace(stored!).trace).toMatch(/with ESMTPS/);
  });

  it("authenticates with a SCRAM verifier (SCRAM-SHA-256-PLUS, bound to the TLS session) and with a plaintext entry, ESMTPSA", async () => {
    for (const [user, file] of [["alice", "alice.pw"], ["carol", "carol.pw"]] as const) {
      const result = await send(server.port, ["--insecure", "--user", user, "--password-file", file, "--from", `${user}@localhost`, "--to", `auth-${user}@localhost`, "--text", "x"], { cwd: directory });
      expect(result.stderr, user).toBe("");
      expect(result.exitCode, user).toBe(0);
      const [stored] = await delivered(maildir, "localhost", `auth-${user}`);
      expect(splitTrace(stored!).trace).toMatch(/with ESMTPSA/);
    }
    // Under TLS the server offers SCRAM-SHA-256-PLUS (tls-exporter binding) and the client takes it.
    expect(server.stderr()).toMatch(/authenticated mechanism=SCRAM-SHA-256-PLUS identity=alice/);
    // --password-file - reads the first line of standard input.
    const piped = await send(server.port, ["--insecure", "--user", "alice", "--password-file", "-", "--from", "alice@localhost", "--to", "auth-stdin@localhost", "--text", "x"], { cwd: directory, input: "correct horse battery\nignored\n" });
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(await delivered(maildir, "localhost", "auth-stdin")).toHaveLength(1);
  });

  it("reports a wrong password with the server's 535 reply and exits 1", async () => {
    const result = await send(server.port, ["--insecure", "--user", "alice", "--password-file", "wrong.pw", "--from", "a@localhost", "--to", "b@localhost", "--text", "x"], { cwd: directory });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/authentication failed: the server said "535 5\.7\.8 /);
  });

  it("delivers over implicit TLS", async () => {
    expect(implicit.stdout()).toContain("(SMTP over implicit TLS)");
    const result = await send(implicit.port, ["--tls", "implicit", "--insecure", "--from", "a@localhost", "--to", "implicit@localhost", "--text", "x"]);
    expect(result.exitCode).toBe(0);
    const [stored] = await delivered(maildir, "localhost", "implicit");
    expect(splitTrace(stored!).trace).toMatch(/with ESMTPS/);
  });

  it("--tls starttls (opportunistic) still checks the certificate when the server offers STARTTLS", async () => {
    const result = await send(server.port, ["--tls", "starttls", "--user", "alice", "--password-file", "alice.pw", "--from", "a@localhost", "--to", "b@localhost", "--text", "x"], { cwd: directory });
    // starttls (opportunistic) still upgrades here, since the server offers STARTTLS: the certificate check fails.
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("--insecure");
  });
});
