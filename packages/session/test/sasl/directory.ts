// An in-memory embedder: a user directory that answers the SASL server's
// decision requests the way a real backend would.
import { pbkdf2Sync, createHash, createHmac } from "node:crypto";
import { createScramVerifier, type SaslCrypto, type SaslDecision, type SaslDecisionRequest } from "@smtpkit/session";

/** node:crypto behind the SaslCrypto interface, as the Node edge would pass it. */
export const nodeCrypto: SaslCrypto = {
  md5: (data) => new Uint8Array(createHash("md5").update(data).digest()),
  sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
  hmacMd5: (key, data) => new Uint8Array(createHmac("md5", key).update(data).digest()),
  hmacSha256: (key, data) => new Uint8Array(createHmac("sha256", key).update(data).digest()),
  pbkdf2Sha256: (password, salt, iterations, length) => new Uint8Array(pbkdf2Sync(password, salt, iterations, length, "sha256")),
};

export interface Directory {
  /** user name → password */
  readonly passwords: ReadonlyMap<string, string>;
  /** token → user name */
  readonly tokens?: ReadonlyMap<string, string>;
  /** Answer `authorize` requests with accept (default) or reject. */
  readonly allowAuthorization?: boolean;
  readonly iterations?: number;
}

export function decider(directory: Directory): (request: SaslDecisionRequest) => SaslDecision {
  return (request) => {
    switch (request.type) {
      case "verify-password":
        return directory.passwords.get(request.username) === request.password.reveal() ? { type: "accept" } : { type: "reject" };
      case "lookup-secret": {
        const password = directory.passwords.get(request.username);
        return password === undefined ? { type: "reject" } : { type: "secret", secret: password };
      }
      case "lookup-scram-verifier": {
        const password = directory.passwords.get(request.username);
        if (password === undefined) return { type: "reject" };
        const salt = new Uint8Array(createHash("sha256").update(`salt:${request.username}`).digest()).subarray(0, 16);
        return { type: "scram-verifier", verifier: createScramVerifier(password, salt, directory.iterations ?? 4096, nodeCrypto) };
      }
      case "verify-token": {
        const owner = directory.tokens?.get(request.token.reveal());
        if (owner === undefined || (request.username !== undefined && request.username !== owner)) {
          return { type: "reject", oauthError: { status: request.mechanism === "XOAUTH2" ? "401" : "invalid_token" } };
        }
        return { type: "accept", identity: owner };
      }
      case "authorize":
        return directory.allowAuthorization === false ? { type: "reject" } : { type: "accept" };
    }
  };
}
