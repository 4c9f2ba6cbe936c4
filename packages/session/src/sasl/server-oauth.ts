/**
 * OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's documented protocol), server
 * side: the client sends a bearer token, the embedder verifies it. When the
 * token is refused, the server sends a JSON error as a challenge, the client
 * acknowledges it (RFC 7628 §3.2.3: a single %x01; XOAUTH2: an empty
 * response) and only then does the exchange fail.
 *
 * @module
 */
import { decodeUtf8, utf8 } from "./bytes.js";
import { isAcceptableIdentity } from "./identity.js";
import { parseOAuthBearer, parseXOAuth2, type OAuthClientMessage } from "./oauth-messages.js";
import { Redacted } from "./redacted.js";
import { SaslError } from "./sasl-error.js";
import { ServerMechanism } from "./server-mechanism.js";
import type { SaslDecision, SaslFailureSituation, SaslOAuthError, SaslServerStep } from "./server-types.js";

/** OAUTHBEARER's and XOAUTH2's server side. */
export class OAuthServer extends ServerMechanism {
  #username: string | undefined;
  #failure: SaslFailureSituation | undefined;

  protected onResponse(response: Uint8Array): SaslServerStep {
    if (this.#failure !== undefined) {
      // The acknowledgement of the error challenge; whatever it says, fail.
      return this.#failure === "AuthInvalidCredentials"
        ? this.fail("AuthInvalidCredentials", "token-rejected")
        : this.fail(this.#failure, "rejected");
    }
    const text = decodeUtf8(response);
    let message: OAuthClientMessage | undefined;
    if (text !== undefined) message = this.name === "XOAUTH2" ? parseXOAuth2(text) : parseOAuthBearer(text);
    if (message === undefined) return this.fail("AuthResponseInvalid", "malformed-message");
    if (message.username !== undefined && !isAcceptableIdentity(message.username)) return this.fail("AuthResponseInvalid", "invalid-username");
    this.#username = message.username;
    return this.ask({
      type: "verify-token",
      mechanism: this.name as "XOAUTH2" | "OAUTHBEARER",
      username: message.username,
      token: new Redacted(message.token),
      host: message.host,
      port: message.port,
    });
  }

  protected onDecision(decision: SaslDecision): SaslServerStep {
    if (decision.type === "reject") {
      this.#failure = decision.situation ?? "AuthInvalidCredentials";
      return this.challenge(utf8(this.errorJson(decision.oauthError)));
    }
    if (decision.type !== "accept") return this.fail("AuthInvalidCredentials", "invalid-credentials");
    const identity = decision.identity ?? this.#username;
    if (identity === undefined || !isAcceptableIdentity(identity)) {
      throw new SaslError("decision-mismatch", "Accepting a token without a user name needs an identity without control characters.");
    }
    // The token's owner is the authentication identity; a user name claimed
    // by the client that differs from it is an authorization identity.
    return this.verified(identity, this.#username);
  }

  // RFC 7628 §3.2.2: {"status": ..., "scope": ..., "openid-configuration": ...};
  // Google's XOAUTH2 sends {"status": "401", "schemes": "bearer", "scope": ...}.
  private errorJson(error: SaslOAuthError | undefined): string {
    if (this.name === "XOAUTH2") {
      const body: Record<string, string> = { status: error?.status ?? "401", schemes: "bearer" };
      if (error?.scope !== undefined) body["scope"] = error.scope;
      return JSON.stringify(body);
    }
    const body: Record<string, string> = { status: error?.status ?? "invalid_token" };
    if (error?.scope !== undefined) body["scope"] = error.scope;
    if (error?.openidConfiguration !== undefined) body["openid-configuration"] = error.openidConfiguration;
    return JSON.stringify(body);
  }
}
