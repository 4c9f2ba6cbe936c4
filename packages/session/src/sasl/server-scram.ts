/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677), server side.
 * The server holds only the stored-key verifier ({@link ScramVerifier}),
 * never the password; the per-attempt nonce comes from the embedder.
 *
 * @module
 */
import { concatBytes, constantTimeEqual, decodeBase64, decodeUtf8, encodeBase64, utf8, xorBytes } from "./bytes.js";
import { isAcceptableIdentity } from "./identity.js";
import { saslPrep } from "./saslprep.js";
import { checkScramVerifier, type ScramVerifier } from "./scram-keys.js";
import { parseClientFinal, parseClientFirst } from "./scram-messages.js";
import { ServerMechanism } from "./server-mechanism.js";
import type { SaslDecision, SaslServerStep } from "./server-types.js";

interface ClientFirst {
  readonly gs2Header: string;
  readonly bare: string;
  readonly username: string;
  readonly authorizationIdentity: string | undefined;
  readonly clientNonce: string;
}

/** SCRAM-SHA-256's and SCRAM-SHA-256-PLUS's server side. */
export class ScramServer extends ServerMechanism {
  #first: ClientFirst | undefined;
  #verifier: ScramVerifier | undefined;
  #serverFirst = "";

  protected onResponse(response: Uint8Array): SaslServerStep {
    const text = decodeUtf8(response);
    if (text === undefined) return this.fail("AuthResponseInvalid", "malformed-message");
    return this.#first === undefined ? this.clientFirst(text) : this.clientFinal(text);
  }

  private clientFirst(text: string): SaslServerStep {
    const parsed = parseClientFirst(text);
    if (!parsed.ok) {
      return parsed.failure === "mandatory-extension"
        ? this.fail("AuthResponseInvalid", "unsupported-extension")
        : this.fail("AuthResponseInvalid", "malformed-message");
    }
    const { header } = parsed;
    // RFC 5802 §6: the channel binding flag must match the mechanism.
    if (this.name === "SCRAM-SHA-256-PLUS") {
      if (header.flag !== "p" || header.channelBindingName !== this.context.channelBinding?.type) {
        return this.fail("AuthInvalidCredentials", "channel-binding-mismatch");
      }
    } else if (header.flag === "p") {
      return this.fail("AuthInvalidCredentials", "channel-binding-mismatch");
    } else if (header.flag === "y" && this.context.offersPlus) {
      // RFC 5802 §6: "y" means the client supports channel binding but
      // thinks the server does not. This server offers it, so someone
      // removed -PLUS from the EHLO reply on the way: fail.
      return this.fail("AuthInvalidCredentials", "channel-binding-downgrade");
    }
    // RFC 5802 §5.1: the user name is prepared with SASLprep as a query string.
    const prepared = saslPrep(parsed.username, { kind: "query" });
    if (!prepared.ok || !isAcceptableIdentity(prepared.value)) return this.fail("AuthResponseInvalid", "invalid-username");
    if (header.authorizationIdentity !== undefined && !isAcceptableIdentity(header.authorizationIdentity)) {
      return this.fail("AuthResponseInvalid", "invalid-username");
    }
    this.#first = {
      gs2Header: header.raw,
      bare: parsed.bare,
      username: prepared.value,
      authorizationIdentity: header.authorizationIdentity,
      clientNonce: parsed.clientNonce,
    };
    return this.ask({ type: "lookup-scram-verifier", mechanism: this.name as "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS", username: prepared.value });
  }

  protected onDecision(decision: SaslDecision): SaslServerStep {
    if (decision.type === "reject") return this.rejected(decision, "AuthInvalidCredentials", "invalid-credentials");
    if (decision.type !== "scram-verifier") return this.fail("AuthInvalidCredentials", "invalid-credentials");
    const verifier = checkScramVerifier(decision.verifier, this.context.limits);
    this.#verifier = verifier;
    // RFC 5802 §7: server-first-message = nonce "," salt "," iteration-count.
    this.#serverFirst = `r=${this.#first!.clientNonce}${this.context.nonce!},s=${encodeBase64(verifier.salt)},i=${verifier.iterations}`;
    return this.challenge(utf8(this.#serverFirst));
  }

  private clientFinal(text: string): SaslServerStep {
    const first = this.#first!;
    const verifier = this.#verifier!;
    const parsed = parseClientFinal(text);
    if (!parsed.ok) return this.fail("AuthResponseInvalid", "malformed-message");
    // RFC 5802 §5.1: c= is base64 of the GS2 header, plus the channel
    // binding data when the flag is "p".
    const expectedBinding = utf8(first.gs2Header);
    const binding = this.name === "SCRAM-SHA-256-PLUS" ? concatBytes(expectedBinding, this.context.channelBinding!.data) : expectedBinding;
    const receivedBinding = decodeBase64(parsed.channelBinding);
    if (receivedBinding === undefined || !constantTimeEqual(receivedBinding, binding)) {
      return this.fail("AuthInvalidCredentials", "channel-binding-mismatch");
    }
    if (parsed.nonce !== `${first.clientNonce}${this.context.nonce!}`) return this.fail("AuthInvalidCredentials", "nonce-mismatch");
    const proof = decodeBase64(parsed.proof);
    if (proof === undefined || proof.length !== 32) return this.fail("AuthResponseInvalid", "malformed-message");
    // RFC 5802 §3: recover ClientKey from the proof and check H(ClientKey) = StoredKey.
    const { crypto } = this.context;
    const authMessage = utf8(`${first.bare},${this.#serverFirst},${parsed.withoutProof}`);
    const clientSignature = crypto.hmacSha256(verifier.storedKey, authMessage);
    const clientKey = xorBytes(proof, clientSignature);
    if (!constantTimeEqual(crypto.sha256(clientKey), verifier.storedKey)) return this.fail("AuthInvalidCredentials", "invalid-credentials");
    const serverSignature = crypto.hmacSha256(verifier.serverKey, authMessage);
    return this.verified(first.username, first.authorizationIdentity, utf8(`v=${encodeBase64(serverSignature)}`));
  }
}
