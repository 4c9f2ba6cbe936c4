/**
 * The shared machinery of every server-side mechanism: the state, the size
 * limit, checking that a decision answers the pending request, and the
 * authorization-identity rule that ends every successful exchange.
 *
 * Internal: mechanisms are created through {@link createSaslServer}.
 *
 * @module
 */
import { SaslError } from "./sasl-error.js";
import type { SaslLimits } from "./limits.js";
import type { SaslMechanismName } from "./mechanism-names.js";
import type { SaslCrypto } from "./sasl-crypto.js";
import type { SaslChannelBinding } from "./channel-binding.js";
import {
  type SaslDecision,
  type SaslDecisionRequest,
  type SaslFailureSituation,
  type SaslServerFailure,
  type SaslServerFailureReason,
  type SaslServerMechanism,
  type SaslServerState,
  type SaslServerStep,
  saslRejectSituations,
  type SaslRejectDecision,
} from "./server-types.js";

/** What every server mechanism of one attempt needs to know. */
export interface ServerContext {
  readonly crypto: SaslCrypto;
  readonly limits: SaslLimits;
  /** Ask the embedder when the authorization identity differs (else refuse). */
  readonly authorizationDecisions: boolean;
  /** The connection's channel binding, when it has one. */
  readonly channelBinding: SaslChannelBinding | undefined;
  /** Whether the server offers SCRAM-SHA-256-PLUS on this connection (for RFC 5802 §6). */
  readonly offersPlus: boolean;
  /** The per-attempt nonce (SCRAM, CRAM-MD5). */
  readonly nonce: string | undefined;
  /** The server's host name (CRAM-MD5's challenge). */
  readonly hostname: string | undefined;
}

const failureMessages: Record<SaslServerFailureReason, string> = {
  "mechanism-unsupported": "The requested SASL mechanism is not available.",
  "channel-binding-unavailable": "SCRAM-SHA-256-PLUS needs channel binding data, which this connection lacks.",
  "encryption-required": "This SASL mechanism sends credentials in clear text and is only available over TLS.",
  "message-too-large": "A SASL message exceeded the size limit.",
  "malformed-message": "A SASL message does not follow the mechanism's syntax.",
  "invalid-username": "The user name is empty or contains forbidden characters.",
  "invalid-credentials": "The credentials are invalid.",
  "authorization-refused": "The authenticated identity may not act as the requested authorization identity.",
  rejected: "The embedder rejected the authentication attempt.",
  "unsupported-extension": "The client requires a SCRAM extension this server does not support.",
  "nonce-mismatch": "The SCRAM nonce changed during the exchange.",
  "channel-binding-mismatch": "The SCRAM channel binding does not match this connection.",
  "channel-binding-downgrade": "The client claims the server lacks channel binding, which it offers: possible downgrade attack.",
  "token-rejected": "The OAuth token was rejected.",
};

/** Builds a failure step with its fixed, log-safe message. */
export function serverFailure(
  mechanism: SaslMechanismName | undefined,
  situation: SaslFailureSituation,
  reason: SaslServerFailureReason,
): SaslServerFailure {
  return { type: "failure", mechanism, situation, reason, message: failureMessages[reason] };
}

/** Which answers fit which request. */
const allowedAnswers: Record<SaslDecisionRequest["type"], readonly SaslDecision["type"][]> = {
  "verify-password": ["accept", "reject"],
  "verify-token": ["accept", "reject"],
  authorize: ["accept", "reject"],
  "lookup-secret": ["secret", "reject"],
  "lookup-scram-verifier": ["scram-verifier", "reject"],
};

/** The identities of a verified exchange, waiting for the authorization rule. */
interface Verified {
  readonly username: string;
  readonly authorizationIdentity: string | undefined;
  readonly additionalData: Uint8Array | undefined;
}

/** The base of every server mechanism. */
export abstract class ServerMechanism implements SaslServerMechanism {
  #state: SaslServerState = "awaiting-response";
  #pending: SaslDecisionRequest["type"] | undefined;
  #verified: Verified | undefined;
  // Private, so util.inspect of a mechanism does not print the nonce and
  // channel binding data.
  readonly #context: ServerContext;

  /**
   * @param name - the mechanism's name
   * @param context - what the attempt needs
   */
  constructor(
    readonly name: SaslMechanismName,
    context: ServerContext,
  ) {
    this.#context = context;
  }

  /** What the attempt needs. */
  protected get context(): ServerContext {
    return this.#context;
  }

  get state(): SaslServerState {
    return this.#state;
  }

  /** Starts the exchange, with the AUTH command's initial response if there was one. */
  start(initialResponse: Uint8Array | undefined): SaslServerStep {
    if (initialResponse === undefined) return this.track(this.onStart());
    return this.respond(initialResponse);
  }

  respond(response: Uint8Array): SaslServerStep {
    if (this.#state !== "awaiting-response") {
      throw new SaslError("wrong-state", `The ${this.name} exchange is ${this.#state}, not awaiting a response.`, this.#state);
    }
    if (!(response instanceof Uint8Array)) throw new SaslError("wrong-state", "A SASL response must be a Uint8Array.");
    if (response.length > this.context.limits.maxMessageBytes) {
      return this.track(this.fail("AuthLineTooLong", "message-too-large"));
    }
    return this.track(this.onResponse(response));
  }

  decide(decision: SaslDecision): SaslServerStep {
    if (this.#state !== "awaiting-decision" || this.#pending === undefined) {
      throw new SaslError("wrong-state", `The ${this.name} exchange is ${this.#state}, not awaiting a decision.`, this.#state);
    }
    const pending = this.#pending;
    if (typeof decision !== "object" || decision === null || !allowedAnswers[pending].includes(decision.type)) {
      throw new SaslError("decision-mismatch", `A ${pending} request is answered with ${allowedAnswers[pending].join(" or ")}.`, pending);
    }
    if (decision.type === "reject" && decision.situation !== undefined && !saslRejectSituations.includes(decision.situation)) {
      throw new SaslError("decision-mismatch", "A reject decision names a situation that is not a SASL failure.", decision.situation);
    }
    if (pending === "authorize") {
      const verified = this.#verified!;
      if (decision.type === "accept") return this.track(this.succeed(verified.username, verified.authorizationIdentity!, verified.additionalData));
      return this.track(this.rejected(decision as SaslRejectDecision, "AuthorizationIdentityRefused", "authorization-refused"));
    }
    return this.track(this.onDecision(decision));
  }

  toJSON(): { readonly mechanism: SaslMechanismName; readonly state: SaslServerState } {
    return { mechanism: this.name, state: this.#state };
  }

  /** The first step when the client sent no initial response: by default an empty challenge (RFC 4954 §4). */
  protected onStart(): SaslServerStep {
    return this.challenge(new Uint8Array(0));
  }

  protected abstract onResponse(response: Uint8Array): SaslServerStep;

  protected abstract onDecision(decision: SaslDecision): SaslServerStep;

  protected challenge(challenge: Uint8Array): SaslServerStep {
    return { type: "challenge", mechanism: this.name, challenge };
  }

  protected ask(request: SaslDecisionRequest): SaslServerStep {
    this.#pending = request.type;
    return { type: "decision", mechanism: this.name, request };
  }

  protected fail(situation: SaslFailureSituation, reason: SaslServerFailureReason): SaslServerStep {
    return serverFailure(this.name, situation, reason);
  }

  /** The failure for a `reject` answer: the embedder's situation, or the default. */
  protected rejected(decision: SaslRejectDecision, fallback: SaslFailureSituation, reason: SaslServerFailureReason): SaslServerStep {
    if (decision.situation === undefined || decision.situation === fallback) return this.fail(fallback, reason);
    return this.fail(decision.situation, "rejected");
  }

  /**
   * The credentials are verified: apply the authorization-identity rule.
   *
   * RFC 4616 §2: an empty authzid means "act as the authentication identity";
   * a different one needs the server's permission. It is checked only after
   * the credentials, so whoever lacks them learns nothing about the policy.
   */
  protected verified(username: string, authorizationIdentity: string | undefined, additionalData?: Uint8Array): SaslServerStep {
    if (authorizationIdentity === undefined || authorizationIdentity === "" || authorizationIdentity === username) {
      return this.succeed(username, username, additionalData);
    }
    if (!this.context.authorizationDecisions) return this.fail("AuthorizationIdentityRefused", "authorization-refused");
    this.#verified = { username, authorizationIdentity, additionalData };
    return this.ask({ type: "authorize", mechanism: this.name, username, authorizationIdentity });
  }

  private succeed(authenticationIdentity: string, authorizationIdentity: string, additionalData: Uint8Array | undefined): SaslServerStep {
    return additionalData === undefined
      ? { type: "success", mechanism: this.name, authenticationIdentity, authorizationIdentity }
      : { type: "success", mechanism: this.name, authenticationIdentity, authorizationIdentity, additionalData };
  }

  private track(step: SaslServerStep): SaslServerStep {
    if (step.type === "challenge") this.#state = "awaiting-response";
    else if (step.type === "decision") this.#state = "awaiting-decision";
    else this.#state = step.type === "success" ? "succeeded" : "failed";
    if (step.type !== "decision") this.#pending = undefined;
    return step;
  }
}
