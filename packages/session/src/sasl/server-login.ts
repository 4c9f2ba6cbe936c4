/**
 * LOGIN (draft-murchison-sasl-login-00), server side: the user name and the
 * password in two responses to two challenges.
 *
 * The draft says the challenges SHOULD be "User Name" and "Password"; every
 * deployed server (Postfix with Cyrus or Dovecot SASL, Exchange as its
 * MS-XLOGIN specification records) sends "Username:" and "Password:", and
 * some old clients look for those, so this module sends them too. Like those
 * servers it accepts the user name as an initial response.
 *
 * @module
 */
import { decodeUtf8, utf8 } from "./bytes.js";
import { isAcceptableIdentity } from "./identity.js";
import { Redacted } from "./redacted.js";
import { ServerMechanism } from "./server-mechanism.js";
import type { SaslDecision, SaslServerStep } from "./server-types.js";

const usernameChallenge = utf8("Username:");
const passwordChallenge = utf8("Password:");

/** LOGIN's server side. */
export class LoginServer extends ServerMechanism {
  #username: string | undefined;

  protected override onStart(): SaslServerStep {
    return this.challenge(usernameChallenge);
  }

  protected onResponse(response: Uint8Array): SaslServerStep {
    const text = decodeUtf8(response);
    if (text === undefined) return this.fail("AuthResponseInvalid", "malformed-message");
    if (this.#username === undefined) {
      if (!isAcceptableIdentity(text)) return this.fail("AuthResponseInvalid", "invalid-username");
      this.#username = text;
      return this.challenge(passwordChallenge);
    }
    if (text.length === 0) return this.fail("AuthResponseInvalid", "malformed-message");
    return this.ask({ type: "verify-password", mechanism: "LOGIN", username: this.#username, password: new Redacted(text) });
  }

  protected onDecision(decision: SaslDecision): SaslServerStep {
    if (decision.type === "reject") return this.rejected(decision, "AuthInvalidCredentials", "invalid-credentials");
    return this.verified(this.#username!, undefined);
  }
}
