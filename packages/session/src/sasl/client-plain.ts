/**
 * PLAIN (RFC 4616), client side: one message, sent as the initial response
 * when allowed, else in answer to the server's (empty) first challenge.
 *
 * @module
 */
import { concatBytes, utf8 } from "./bytes.js";
import { ClientMechanism } from "./client-mechanism.js";
import type { SaslLimits } from "./limits.js";
import type { SaslClientFailure, SaslClientResponse, SaslClientWait } from "./client-types.js";

/** PLAIN's client side. */
export class PlainClient extends ClientMechanism {
  readonly #message: Uint8Array;
  #sent = false;

  /**
   * @param limits - the limits
   * @param username - the authentication identity (checked by the caller)
   * @param password - the password (checked by the caller)
   * @param authorizationIdentity - the identity to act as, or `""`
   */
  constructor(limits: SaslLimits, username: string, password: string, authorizationIdentity: string) {
    super("PLAIN", limits);
    // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
    const nul = new Uint8Array(1);
    this.#message = concatBytes(utf8(authorizationIdentity), nul, utf8(username), nul, utf8(password));
  }

  protected onStart(initialResponseAllowed: boolean): SaslClientResponse | SaslClientWait {
    if (!initialResponseAllowed) return this.wait();
    this.#sent = true;
    return this.response(this.#message);
  }

  protected onChallenge(): SaslClientResponse | SaslClientFailure {
    // RFC 4616 §2: the only challenge PLAIN knows is the empty one before the message.
    if (this.#sent) return this.fail("unexpected-challenge");
    this.#sent = true;
    return this.response(this.#message);
  }
}
