/**
 * OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's documented protocol), client
 * side. When the server refuses the token it sends a JSON error as a
 * challenge; the client answers as each specification requires (RFC 7628
 * §3.2.3: a single %x01; XOAUTH2: an empty response) and reports the error,
 * so the embedder can refresh the token. The server then fails the exchange.
 *
 * @module
 */
import { decodeUtf8, utf8 } from "./bytes.js";
import { ClientMechanism } from "./client-mechanism.js";
import type { SaslLimits } from "./limits.js";
import { formatOAuthBearer, formatXOAuth2, KVSEP, parseOAuthErrorChallenge } from "./oauth-messages.js";
import type { SaslClientFailure, SaslClientResponse, SaslClientWait } from "./client-types.js";

/** OAUTHBEARER's and XOAUTH2's client side. */
export class OAuthClient extends ClientMechanism {
  readonly #message: Uint8Array;
  #sent = false;
  #acknowledged = false;

  /**
   * @param name - which of the two
   * @param limits - the limits
   * @param username - the user (XOAUTH2 `user=`; OAUTHBEARER `a=`, may be empty)
   * @param token - the bearer token (checked by the caller)
   * @param host - OAUTHBEARER's `host=`
   * @param port - OAUTHBEARER's `port=`
   */
  constructor(
    name: "XOAUTH2" | "OAUTHBEARER",
    limits: SaslLimits,
    username: string,
    token: string,
    host: string | undefined,
    port: number | undefined,
  ) {
    super(name, limits);
    this.#message = utf8(name === "XOAUTH2" ? formatXOAuth2(username, token) : formatOAuthBearer(username, token, host, port));
  }

  protected onStart(initialResponseAllowed: boolean): SaslClientResponse | SaslClientWait {
    if (!initialResponseAllowed) return this.wait();
    this.#sent = true;
    return this.response(this.#message);
  }

  protected onChallenge(challenge: Uint8Array): SaslClientResponse | SaslClientFailure {
    if (!this.#sent) {
      // The empty challenge that asks for the message when no initial response was sent.
      this.#sent = true;
      return this.response(this.#message);
    }
    if (this.#acknowledged) return this.fail("unexpected-challenge");
    const text = decodeUtf8(challenge);
    const error = text === undefined ? undefined : parseOAuthErrorChallenge(text);
    if (error === undefined) return this.fail("malformed-challenge");
    this.#acknowledged = true;
    return this.response(this.name === "XOAUTH2" ? new Uint8Array(0) : utf8(KVSEP), error);
  }
}
