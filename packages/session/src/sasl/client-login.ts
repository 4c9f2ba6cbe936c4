/**
 * LOGIN (draft-murchison-sasl-login-00), client side: the user name answers
 * the first challenge, the password the second; their texts are ignored, as
 * the draft says. No initial response is sent, since not every server
 * accepts one.
 *
 * @module
 */
import { utf8 } from "./bytes.js";
import { ClientMechanism } from "./client-mechanism.js";
import type { SaslLimits } from "./limits.js";
import type { SaslClientFailure, SaslClientResponse, SaslClientWait } from "./client-types.js";

/** LOGIN's client side. */
export class LoginClient extends ClientMechanism {
  readonly #answers: readonly Uint8Array[];
  #answered = 0;

  /**
   * @param limits - the limits
   * @param username - the user name (checked by the caller)
   * @param password - the password (checked by the caller)
   */
  constructor(limits: SaslLimits, username: string, password: string) {
    super("LOGIN", limits);
    this.#answers = [utf8(username), utf8(password)];
  }

  protected onStart(): SaslClientResponse | SaslClientWait {
    return this.wait();
  }

  protected onChallenge(): SaslClientResponse | SaslClientFailure {
    const answer = this.#answers[this.#answered];
    if (answer === undefined) return this.fail("unexpected-challenge");
    this.#answered++;
    return this.response(answer);
  }
}
