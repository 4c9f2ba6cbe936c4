/**
 * CRAM-MD5 (RFC 2195), server side: a challenge in the form of a message id,
 * answered with the user name and HMAC-MD5(secret, challenge) in lowercase hex.
 *
 * CRAM-MD5 needs the shared secret (the password, or an equivalent) on the
 * server and its digest can be attacked offline; prefer SCRAM-SHA-256.
 *
 * @module
 */
import { constantTimeEqual, decodeUtf8, latin1, toHex, utf8 } from "./bytes.js";
import { isAcceptableIdentity } from "./identity.js";
import { Redacted } from "./redacted.js";
import { SaslError } from "./sasl-error.js";
import { ServerMechanism } from "./server-mechanism.js";
import type { SaslDecision, SaslServerStep } from "./server-types.js";

/** CRAM-MD5's server side. */
export class CramMd5Server extends ServerMechanism {
  #challenge: Uint8Array = new Uint8Array(0);
  #username = "";
  #digest = "";

  // RFC 2195 §2: the challenge is a msg-id, "<" unique "@" host ">".
  protected override onStart(): SaslServerStep {
    this.#challenge = utf8(`<${this.context.nonce!}@${this.context.hostname!}>`);
    return this.challenge(this.#challenge);
  }

  // RFC 2195 §2: the response is the user name, a space, and 32 lowercase hex
  // digits. The last space separates them, so a name may contain spaces.
  protected onResponse(response: Uint8Array): SaslServerStep {
    // RFC 2195 §2: the server speaks first, so an initial response (sent
    // before any challenge) cannot be an answer.
    if (this.#challenge.length === 0) return this.fail("AuthResponseInvalid", "malformed-message");
    const space = response.lastIndexOf(0x20);
    if (space < 0 || response.length - space - 1 !== 32) return this.fail("AuthResponseInvalid", "malformed-message");
    const digest = latin1(response.subarray(space + 1)).toLowerCase();
    const username = decodeUtf8(response.subarray(0, space));
    if (!/^[0-9a-f]{32}$/.test(digest) || username === undefined) return this.fail("AuthResponseInvalid", "malformed-message");
    if (!isAcceptableIdentity(username)) return this.fail("AuthResponseInvalid", "invalid-username");
    this.#username = username;
    this.#digest = digest;
    return this.ask({ type: "lookup-secret", mechanism: "CRAM-MD5", username });
  }

  protected onDecision(decision: SaslDecision): SaslServerStep {
    if (decision.type === "reject") return this.rejected(decision, "AuthInvalidCredentials", "invalid-credentials");
    if (decision.type !== "secret") return this.fail("AuthInvalidCredentials", "invalid-credentials");
    const boxed = decision.secret;
    const secret = Redacted.isInstance(boxed) ? (boxed.reveal() as string | Uint8Array) : boxed;
    if (typeof secret !== "string" && !(secret instanceof Uint8Array)) {
      throw new SaslError("decision-mismatch", "A CRAM-MD5 secret is a string or a Uint8Array.");
    }
    const key = typeof secret === "string" ? utf8(secret) : secret;
    const expected = utf8(toHex(this.context.crypto.hmacMd5(key, this.#challenge)));
    if (!constantTimeEqual(expected, utf8(this.#digest))) return this.fail("AuthInvalidCredentials", "invalid-credentials");
    return this.verified(this.#username, undefined);
  }
}
