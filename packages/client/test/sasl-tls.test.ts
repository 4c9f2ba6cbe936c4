// Every SASL mechanism of the session, end to end: this client against a
// ServerSession (from @smtpkit/session) behind node:net with STARTTLS or
// implicit TLS, so the channel binding for SCRAM-SHA-256-PLUS is made from
// the real TLS connection on both sides (tls-exporter and
// tls-server-end-point), plus the RFC 5929 hash choice and its fuzzing.
import { execFileSync } from "node:child_process";
import { createHash, createHmac, pbkdf2Sync, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createScramVerifier,
  createServerSession,
  type SaslChannelBinding,
  type SaslCrypto,
  type SaslDecision,
  type SaslDecisionRequest,
  type SaslMechanismName,
} from "@smtpkit/session";
import { channelBindingOf, connect, endPointHash, nodeSaslCrypto, SmtpClientError } from "@smtpkit/client";

const serverCrypto: SaslCrypto = {
  md5: (data) => new Uint8Array(createHash("md5").update(data).digest()),
  sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
  hmacMd5: (key, data) => new Uint8Array(createHmac("md5", key).update(data).digest()),
  hmacSha256: (key, data) => new Uint8Array(createHmac("sha256", key).update(data).digest()),
  pbkdf2Sha256: (password, salt, iterations, length) => new Uint8Array(pbkdf2Sync(password, salt, iterations, length, "sha256")),
};

function decide(request: SaslDecisionRequest): SaslDecision {
  switch (request.type) {
    case "verify-password":
      return request.username === "alice" && request.password.reveal() === "wonderland" ? { type: "accept" } : { type: "reject" };
    case "lookup-secret":
      return request.username === "alice" ? { type: "secret", secret: "wonderland" } : { type: "reject" };
    case "lookup-scram-verifier":
      return request.username === "alice"
        ? { type: "scram-verifier", verifier: createScramVerifier("wonderland", new Uint8Array(16).fill(7), 4096, serverCrypto) }
        : { type: "reject" };
    case "verify-token":
      return request.token.reveal() === "token-123" ? { type: "accept", identity: "alice" } : { type: "reject", oauthError: { status: "invalid_token" } };
    case "authorize":
      return { type: "accept" };
  }
}

function generateCertificate(directory: string, name: string, extra: readonly string[]): { key: string; cert: string } {
  execFileSync("openssl", [
    "req", "-x509", ...extra, "-nodes", "-keyout", join(directory, `${name}-key.pem`), "-out", join(directory, `${name}-cert.pem`),
    "-days", "1", "-subj", "/CN=mx.example.test", "-addext", "subjectAltName=DNS:mx.example.test",
  ], { stdio: "ignore" });
  return { key: readFileSync(join(directory, `${name}-key.pem`), "utf8"), cert: readFileSync(join(directory, `${name}-cert.pem`), "utf8") };
}

let directory = "";
let rsa: { key: string; cert: string };
let ecdsa384: { key: string; cert: string };
const servers: net.Server[] = [];
const authenticated: string[] = [];

/** A ServerSession on localhost; the binding it expects is made the same way as the client's. */
async function startServer(options: {
  readonly implicit?: boolean;
  readonly mechanisms: readonly SaslMechanismName[];
  readonly binding: "tls-exporter" | "tls-server-end-point";
  readonly certificate?: { key: string; cert: string };
}): Promise<number> {
  const { key, cert } = options.certificate ?? rsa;
  const serverBinding = (secure: tls.TLSSocket): SaslChannelBinding | undefined => {
    if (options.binding === "tls-exporter") return { type: "tls-exporter", data: secure.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0)) };
    const der = new X509Certificate(cert).raw;
    return { type: "tls-server-end-point", data: createHash(endPointHash(der) ?? "sha256").update(der).digest() };
  };
  const server = net.createServer((plain) => {
    const session = createServerSession({
      hostname: "mx.example.test",
      tls: options.implicit === true ? { implicit: true } : { starttls: true },
      auth: { sasl: { mechanisms: options.mechanisms, crypto: serverCrypto }, nonce: () => randomBytes(18).toString("base64") },
    });
    let socket: net.Socket = plain;
    const onData = (chunk: Buffer): void => {
      session.receive(chunk, performance.now());
      flush();
    };
    const flush = (): void => {
      for (let output = session.nextOutput(); output !== undefined; output = session.nextOutput()) {
        if (output.type === "write") socket.write(output.bytes);
        else if (output.type === "close") socket.end();
        else if (output.type === "start-tls") {
          socket.off("data", onData);
          const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
          secure.on("secure", () => {
            const channelBinding = serverBinding(secure);
            session.tlsEstablished(channelBinding === undefined ? {} : { channelBinding }, performance.now());
            flush();
          });
          secure.on("data", onData);
          secure.on("error", () => socket.destroy());
          socket = secure;
        } else {
          const event = output.event;
          if (event.type === "authenticated") authenticated.push(event.mechanism);
          if (event.type === "auth-requested") session.decide(event.requestId, decide(event.request));
          else if ("requestId" in event) session.decide(event.requestId, { type: "accept" });
        }
      }
    };
    const begin = (connected: net.Socket): void => {
      socket = connected;
      connected.on("data", onData);
      connected.on("close", () => session.peerClosed(performance.now()));
      connected.on("error", () => connected.destroy());
      session.connect({ remoteAddress: "127.0.0.1" }, performance.now());
      flush();
    };
    if (options.implicit === true) {
      const secure = new tls.TLSSocket(plain, { isServer: true, key, cert });
      secure.on("secure", () => begin(secure));
      secure.on("error", () => plain.destroy());
    } else begin(plain);
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return (server.address() as net.AddressInfo).port;
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "smtpkit-client-sasl-"));
  rsa = generateCertificate(directory, "rsa", ["-newkey", "rsa:2048", "-sha256"]);
  ecdsa384 = generateCertificate(directory, "ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1", "-sha384"]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
});

const message = new TextEncoder().encode("Subject: auth\r\n\r\nAuthenticated.\r\n");

describe("SASL mechanisms over STARTTLS against a ServerSession", () => {
  const cases: readonly { mechanism: SaslMechanismName; credentials: { username: string; password?: string; token?: string }; allowCramMd5?: boolean }[] = [
    { mechanism: "SCRAM-SHA-256-PLUS", credentials: { username: "alice", password: "wonderland" } },
    { mechanism: "SCRAM-SHA-256", credentials: { username: "alice", password: "wonderland" } },
    { mechanism: "PLAIN", credentials: { username: "alice", password: "wonderland" } },
    { mechanism: "LOGIN", credentials: { username: "alice", password: "wonderland" } },
    { mechanism: "CRAM-MD5", credentials: { username: "alice", password: "wonderland" }, allowCramMd5: true },
    { mechanism: "XOAUTH2", credentials: { username: "alice", token: "token-123" } },
    { mechanism: "OAUTHBEARER", credentials: { username: "alice", token: "token-123" } },
  ];
  for (const { mechanism, credentials, allowCramMd5 } of cases) {
    it(`${mechanism} authenticates and the message is accepted`, async () => {
      const port = await startServer({ mechanisms: [mechanism], binding: "tls-exporter" });
      const client = await connect({
        host: "127.0.0.1",
        port,
        hostname: "client.example.test",
        tls: { ca: rsa.cert, servername: "mx.example.test" },
        auth: { ...credentials, ...(allowCramMd5 === undefined ? {} : { allowCramMd5 }) },
      });
      expect(client.secure).toBe(true);
      expect(client.authenticatedWith).toBe(mechanism);
      const result = await client.send({ from: "alice@example.test", to: ["bob@example.test"], message });
      expect(result.status).toBe("accepted");
      await client.close();
    });
  }

  it("the strongest offered mechanism is chosen: SCRAM-SHA-256-PLUS over PLAIN", async () => {
    const port = await startServer({ mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"], binding: "tls-exporter" });
    const client = await connect({ host: "127.0.0.1", port, hostname: "client.example.test", tls: { ca: rsa.cert, servername: "mx.example.test" }, auth: { username: "alice", password: "wonderland" } });
    expect(client.authenticatedWith).toBe("SCRAM-SHA-256-PLUS");
    await client.close();
  });

  it("SCRAM-SHA-256-PLUS with tls-server-end-point (ECDSA-SHA384 certificate: hashed with SHA-384)", async () => {
    const port = await startServer({ mechanisms: ["SCRAM-SHA-256-PLUS"], binding: "tls-server-end-point", certificate: ecdsa384 });
    const client = await connect({
      host: "127.0.0.1",
      port,
      hostname: "client.example.test",
      tls: { ca: ecdsa384.cert, servername: "mx.example.test", channelBinding: "tls-server-end-point" },
      auth: { username: "alice", password: "wonderland" },
    });
    expect(client.authenticatedWith).toBe("SCRAM-SHA-256-PLUS");
    await client.close();
  });

  it("a channel binding that differs (a TLS proxy in the middle) makes SCRAM-SHA-256-PLUS fail", async () => {
    // The server binds to the end point, the client to the exporter: what a man in the middle would cause.
    const port = await startServer({ mechanisms: ["SCRAM-SHA-256-PLUS"], binding: "tls-server-end-point" });
    const error = await connect({ host: "127.0.0.1", port, hostname: "client.example.test", tls: { ca: rsa.cert, servername: "mx.example.test" }, auth: { username: "alice", password: "wonderland" } }).catch(
      (caught: unknown) => caught,
    );
    expect(SmtpClientError.isInstance(error)).toBe(true);
    expect((error as SmtpClientError).reason).toBe("auth-refused");
  });

  // The ServerSession takes no channel binding for implicit TLS (it has no tlsEstablished then), so
  // it cannot offer -PLUS there: the client falls to SCRAM-SHA-256 (noted in /tmp/edge-coordination.md).
  it("implicit TLS (port 465 style): TLS from the first byte, then SCRAM-SHA-256", async () => {
    const port = await startServer({ implicit: true, mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"], binding: "tls-exporter" });
    const client = await connect({ host: "127.0.0.1", port, implicitTls: true, hostname: "client.example.test", tls: { ca: rsa.cert, servername: "mx.example.test" }, auth: { username: "alice", password: "wonderland" } });
    expect(client.secure).toBe(true);
    expect(client.authenticatedWith).toBe("SCRAM-SHA-256");
    expect((await client.send({ from: "alice@example.test", to: ["bob@example.test"], message })).status).toBe("accepted");
    await client.close();
  });

  it("implicit TLS with a certificate for another name fails before the session starts", async () => {
    const port = await startServer({ implicit: true, mechanisms: ["PLAIN"], binding: "tls-exporter" });
    const error = await connect({ host: "127.0.0.1", port, implicitTls: true, hostname: "client.example.test", tls: { ca: rsa.cert, servername: "other.example.test" } }).catch(
      (caught: unknown) => caught,
    );
    expect((error as SmtpClientError).reason).toBe("tls-handshake-failed");
    expect((error as SmtpClientError).fault).toBe("remote");
  });
});

describe("implicit TLS and pins", () => {
  it("the right pin connects, a wrong pin is certificate-pin-mismatch before the session starts", async () => {
    const port = await startServer({ implicit: true, mechanisms: ["PLAIN"], binding: "tls-exporter" });
    const fingerprint = new X509Certificate(rsa.cert).fingerprint256;
    const client = await connect({ host: "127.0.0.1", port, implicitTls: true, hostname: "client.example.test", tls: { pinnedCertificates: [fingerprint.toLowerCase()] } });
    expect(client.secure).toBe(true);
    await client.close();
    const error = await connect({ host: "127.0.0.1", port, implicitTls: true, hostname: "client.example.test", tls: { pinnedCertificates: ["ab".repeat(32)] } }).catch(
      (caught: unknown) => caught,
    );
    expect((error as SmtpClientError).reason).toBe("certificate-pin-mismatch");
  });
});

describe("RFC 5929 §4.1 certificate hash", () => {
  it("follows the signature algorithm: SHA-256 for RSA-SHA256, SHA-384 for ECDSA-SHA384", () => {
    expect(endPointHash(new X509Certificate(rsa.cert).raw)).toBe("sha256");
    expect(endPointHash(new X509Certificate(ecdsa384.cert).raw)).toBe("sha384");
  });

  it("a SHA-1 signed certificate is hashed with SHA-256", () => {
    const sha1 = generateCertificate(directory, "sha1", ["-newkey", "rsa:2048", "-sha1"]);
    expect(endPointHash(new X509Certificate(sha1.cert).raw)).toBe("sha256");
  });

  it("random or truncated bytes give a hash name or undefined, never an exception", () => {
    const der = new Uint8Array(new X509Certificate(rsa.cert).raw);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: der.length }), (noise, cut) => {
        for (const input of [noise, der.subarray(0, cut), Uint8Array.from([...der.subarray(0, cut), ...noise])]) {
          const hash = endPointHash(input);
          expect(hash === undefined || ["sha256", "sha384", "sha512"].includes(hash)).toBe(true);
        }
      }),
    );
  });

  it("channelBindingOf gives nothing for `none`", async () => {
    const port = await startServer({ implicit: true, mechanisms: ["PLAIN"], binding: "tls-exporter" });
    const socket = tls.connect({ host: "127.0.0.1", port, ca: rsa.cert, servername: "mx.example.test" });
    await new Promise((done) => socket.once("secureConnect", done));
    expect(channelBindingOf(socket, "none")).toBeUndefined();
    expect(channelBindingOf(socket, "auto")?.type).toBe("tls-exporter");
    expect(channelBindingOf(socket, "tls-server-end-point")?.data).toEqual(new Uint8Array(createHash("sha256").update(new X509Certificate(rsa.cert).raw).digest()));
    socket.destroy();
  });

  it("nodeSaslCrypto agrees with the known PBKDF2-HMAC-SHA256 vector (RFC 7914 §11)", () => {
    const out = nodeSaslCrypto.pbkdf2Sha256(new TextEncoder().encode("passwd"), new TextEncoder().encode("salt"), 1, 64);
    expect(Buffer.from(out).toString("hex").slice(0, 32)).toBe("55ac046e56e3089fec1691c22544b605");
  });
});
