/**
 * The shared machinery of every client-side mechanism: state, size limit,
 * and log-safe steps.
 *
 * Internal: mechanisms are created through {@link createSaslClient}.
 *
 * @module
 */
import type { SaslLimits } from "./limits.js";
import type { SaslMechanismName } from "./mechanism-names.js";
import { Redacted } from "./redacted.js";
import { SaslError } from "./sasl-error.js";
import type {
  SaslClientFailure,
  SaslClientFailureReason,
  SaslClientMechanism,
  SaslClientOAuthError,
  SaslClientResponse,
  SaslClientState,
  SaslClientSuccess,
  SaslClientWait,
} from "./client-types.js";

const failureMessages: Record<SaslClientFailureReason, string> = {
  "message-too-large": "A SASL challenge exceeded the size limit.",
  "malformed-challenge": "A SASL challenge does not follow the mechanism's syntax.",
  "unexpected-challenge": "The server sent a challenge the mechanism does not expect.",
  "nonce-mismatch": "The server's SCRAM nonce does not extend the client's nonce.",
  "iteration-count-too-low": "The server's SCRAM iteration count is below the configured minimum.",
  "iteration-count-too-high": "The server's SCRAM iteration count is above the configured maximum.",
  "unsupported-extension": "The server requires a SCRAM extension this client does not support.",
  "server-error": "The server reported a SCRAM error.",
  "server-signature-mismatch": "The server's SCRAM signature is wrong: it does not know the credentials.",
  "server-signature-missing": "The server reported success without proving it knows the credentials.",
};

/** The base of every client mechanism. */
export abstract class ClientMechanism implements SaslClientMechanism {
  #state: SaslClientState = "ready";

  /**
   * @param name - the mechanism's name
   * @param limits - the limits
   */
  constructor(
    readonly name: SaslMechanismName,
    protected readonly limits: SaslLimits,
  ) {}

  get state(): SaslClientState {
    return this.#state;
  }

  start(options: { readonly initialResponse?: boolean } = {}): SaslClientResponse | SaslClientWait {
    if (this.#state !== "ready") throw new SaslError("wrong-state", `The ${this.name} client is ${this.#state}, not ready.`, this.#state);
    this.#state = "in-progress";
    return this.onStart(options.initialResponse !== false);
  }

  respond(challenge: Uint8Array): SaslClientResponse | SaslClientFailure {
    if (this.#state !== "in-progress") {
      throw new SaslError("wrong-state", `The ${this.name} client is ${this.#state}, not in progress.`, this.#state);
    }
    if (!(challenge instanceof Uint8Array)) throw new SaslError("wrong-state", "A SASL challenge must be a Uint8Array.");
    if (challenge.length > this.limits.maxMessageBytes) return this.fail("message-too-large");
    const step = this.onChallenge(challenge);
    if (step.type === "failure") this.#state = "failed";
    return step;
  }

  succeeded(): SaslClientSuccess | SaslClientFailure {
    if (this.#state !== "in-progress") {
      throw new SaslError("wrong-state", `The ${this.name} client is ${this.#state}, not in progress.`, this.#state);
    }
    const step = this.onSuccess();
    this.#state = step.type === "success" ? "succeeded" : "failed";
    return step;
  }

  toJSON(): { readonly mechanism: SaslMechanismName; readonly state: SaslClientState } {
    return { mechanism: this.name, state: this.#state };
  }

  /** The first step; `initialResponseAllowed` says whether the session may send an initial response. */
  protected abstract onStart(initialResponseAllowed: boolean): SaslClientResponse | SaslClientWait;

  protected abstract onChallenge(challenge: Uint8Array): SaslClientResponse | SaslClientFailure;

  /** The 235 arrived; by default that is success. */
  protected onSuccess(): SaslClientSuccess | SaslClientFailure {
    return { type: "success", mechanism: this.name };
  }

  protected response(bytes: Uint8Array, oauthError?: SaslClientOAuthError): SaslClientResponse {
    return oauthError === undefined
      ? { type: "response", mechanism: this.name, response: new Redacted(bytes) }
      : { type: "response", mechanism: this.name, response: new Redacted(bytes), oauthError };
  }

  protected wait(): SaslClientWait {
    return { type: "wait", mechanism: this.name };
  }

  protected fail(reason: SaslClientFailureReason, serverError?: string): SaslClientFailure {
    this.#state = "failed";
    const failure: SaslClientFailure = { type: "failure", mechanism: this.name, reason, message: failureMessages[reason] };
    return serverError === undefined ? failure : { ...failure, serverError };
  }
}
