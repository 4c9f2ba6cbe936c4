/**
 * PLAIN (RFC 4616), server side: one message carrying an optional
 * authorization identity, the authentication identity and the password.
 *
 * @module
 */
import { decodeUtf8 } from "./bytes.js";
import { isAcceptableIdentity } from "./identity.js";
import { Redacted } from "./redacted.js";
import { ServerMechanism } from "./server-mechanism.js";
import type { SaslDecision, SaslServerStep } from "./server-types.js";

/** PLAIN's server side. */
export class PlainServer extends ServerMechanism {
  #username = "";
  #authorizationIdentity = "";

  // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd,
  // authcid and passwd = 1*SAFE (any UTF-8 but NUL).
  protected onResponse(response: Uint8Array): SaslServerStep {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (second < 0 || response.indexOf(0, second + 1) >= 0) return this.fail("AuthResponseInvalid", "malformed-message");
    const authorizationIdentity = decodeUtf8(response.subarray(0, first));
    const username = decodeUtf8(response.subarray(first + 1, second));
    const password = decodeUtf8(response.subarray(second + 1));
    if (authorizationIdentity === undefined || username === undefined || password === undefined || password.length === 0) {
      return this.fail("AuthResponseInvalid", "malformed-message");
    }
    if (!isAcceptableIdentity(username) || (authorizationIdentity !== "" && !isAcceptableIdentity(authorizationIdentity))) {
      return this.fail("AuthResponseInvalid", "invalid-username");
    }
    this.#username = username;
    this.#authorizationIdentity = authorizationIdentity;
    return this.ask({ type: "verify-password", mechanism: "PLAIN", username, password: new Redacted(password) });
  }

  protected onDecision(decision: SaslDecision): SaslServerStep {
    if (decision.type === "reject") return this.rejected(decision, "AuthInvalidCredentials", "invalid-credentials");
    return this.verified(this.#username, this.#authorizationIdentity);
  }
}
