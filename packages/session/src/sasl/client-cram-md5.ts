/**
 * CRAM-MD5 (RFC 2195), client side: answers the server's challenge with the
 * user name, a space and HMAC-MD5(password, challenge) in lowercase hex.
 *
 * @module
 */
import { toHex, utf8 } from "./bytes.js";
import { ClientMechanism } from "./client-mechanism.js";
import type { SaslLimits } from "./limits.js";
import type { SaslCrypto } from "./sasl-crypto.js";
import type { SaslClientFailure, SaslClientResponse, SaslClientWait } from "./client-types.js";

/** CRAM-MD5's client side. */
export class CramMd5Client extends ClientMechanism {
  readonly #username: string;
  readonly #key: Uint8Array;
  readonly #crypto: SaslCrypto;
  #answered = false;

  /**
   * @param limits - the limits
   * @param crypto - the hash functions
   * @param username - the user name (checked by the caller)
   * @param password - the shared secret (checked by the caller)
   */
  constructor(limits: SaslLimits, crypto: SaslCrypto, username: string, password: string) {
    super("CRAM-MD5", limits);
    this.#crypto = crypto;
    this.#username = username;
    this.#key = utf8(password);
  }

  // RFC 2195 §2: the server speaks first.
  protected onStart(): SaslClientResponse | SaslClientWait {
    return this.wait();
  }

  protected onChallenge(challenge: Uint8Array): SaslClientResponse | SaslClientFailure {
    if (this.#answered) return this.fail("unexpected-challenge");
    if (challenge.length === 0) return this.fail("malformed-challenge");
    this.#answered = true;
    const digest = toHex(this.#crypto.hmacMd5(this.#key, challenge));
    return this.response(utf8(`${this.#username} ${digest}`));
  }
}
