/**
 * The data a server-side SASL mechanism gives and takes: the steps it yields,
 * the decisions it asks the embedder for, and the answers it accepts. All of
 * them are `readonly` objects tagged by `type`; credentials inside them are
 * {@link Redacted}, so any step can be logged with `JSON.stringify`.
 *
 * @module
 */
import type { SituationName } from "@smtpkit/codes";
import type { Redacted } from "./redacted.js";
import type { SaslMechanismName } from "./mechanism-names.js";
import type { ScramVerifier } from "./scram-keys.js";

/** Where a server mechanism is. */
export type SaslServerState =
  /** A challenge was sent; the next input is the client's response ({@link SaslServerMechanism.respond}). */
  | "awaiting-response"
  /** A decision was requested; the next input is the embedder's answer ({@link SaslServerMechanism.decide}). */
  | "awaiting-decision"
  /** Authentication succeeded; the mechanism takes no more input. */
  | "succeeded"
  /** Authentication failed; the mechanism takes no more input. */
  | "failed";

/**
 * The situations (from `@smtpkit/codes` `Situations`) a SASL exchange can
 * fail in; the session answers with that situation's reply.
 */
export type SaslFailureSituation = Extract<
  SituationName,
  | "AuthMechanismUnsupported"
  | "AuthNeedsEncryption"
  | "AuthResponseInvalid"
  | "AuthLineTooLong"
  | "AuthInvalidCredentials"
  | "AuthorizationIdentityRefused"
  | "AuthAccountDisabled"
  | "AuthTemporaryFailure"
  | "AuthPasswordTransition"
  | "AuthTooWeak"
>;

/** The situations an embedder may name when it rejects credentials. */
export type SaslRejectSituation = Extract<
  SaslFailureSituation,
  | "AuthInvalidCredentials"
  | "AuthorizationIdentityRefused"
  | "AuthAccountDisabled"
  | "AuthTemporaryFailure"
  | "AuthPasswordTransition"
  | "AuthTooWeak"
  | "AuthNeedsEncryption"
>;

/** Every {@link SaslRejectSituation}, for validating decisions at run time. */
export const saslRejectSituations: readonly SaslRejectSituation[] = [
  "AuthInvalidCredentials",
  "AuthorizationIdentityRefused",
  "AuthAccountDisabled",
  "AuthTemporaryFailure",
  "AuthPasswordTransition",
  "AuthTooWeak",
  "AuthNeedsEncryption",
];

/** Why a server-side exchange failed, more precisely than the situation. */
export type SaslServerFailureReason =
  /** The requested mechanism is unknown or not enabled. */
  | "mechanism-unsupported"
  /** SCRAM-SHA-256-PLUS was requested but the connection has no channel binding data. */
  | "channel-binding-unavailable"
  /** A plain-text mechanism was requested without TLS (RFC 4954 §4: 538). */
  | "encryption-required"
  /** A client message exceeded the size limit. */
  | "message-too-large"
  /** A client message does not follow the mechanism's syntax (or is not UTF-8). */
  | "malformed-message"
  /** A user name is empty or contains control characters (or SASLprep refuses it). */
  | "invalid-username"
  /** The credentials are wrong (or the embedder rejected them). */
  | "invalid-credentials"
  /** The authorization identity differs from the authenticated one and was not allowed. */
  | "authorization-refused"
  /** The embedder rejected the attempt with a situation of its own. */
  | "rejected"
  /** SCRAM: the client sent a mandatory extension (`m=`), which is not supported. */
  | "unsupported-extension"
  /** SCRAM: the client nonce changed between messages. */
  | "nonce-mismatch"
  /** SCRAM: the channel binding flag or data does not match the connection. */
  | "channel-binding-mismatch"
  /** SCRAM: the client claims the server lacks channel binding while it offers it (RFC 5802 §6). */
  | "channel-binding-downgrade"
  /** OAUTHBEARER/XOAUTH2: the token was refused and the client acknowledged the error. */
  | "token-rejected";

/** The server sends a 334 challenge: `challenge` is the decoded payload (may be empty). */
export interface SaslServerChallenge {
  /** The discriminant. */
  readonly type: "challenge";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
  /** The bytes to base64-encode after `334 `. */
  readonly challenge: Uint8Array;
}

/** The mechanism waits for the embedder's answer to `request`, given with {@link SaslServerMechanism.decide}. */
export interface SaslServerDecisionStep {
  /** The discriminant. */
  readonly type: "decision";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
  /** What the embedder must decide. */
  readonly request: SaslDecisionRequest;
}

/** Authentication succeeded. */
export interface SaslServerSuccess {
  /** The discriminant. */
  readonly type: "success";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
  /** The identity whose credentials were checked. */
  readonly authenticationIdentity: string;
  /** The identity the client acts as from now on (equal to the authentication identity unless an authzid was allowed). */
  readonly authorizationIdentity: string;
  /**
   * SCRAM's server-final-message (`v=...`). SMTP has no "additional data with
   * success" (RFC 4954 §4, RFC 4422 §3.6): the session sends it as a 334
   * challenge, expects an empty response line, and only then replies 235.
   */
  readonly additionalData?: Uint8Array;
}

/** Authentication failed; the session replies with `situation`. */
export interface SaslServerFailure {
  /** The discriminant. */
  readonly type: "failure";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName | undefined;
  /** The reply to send, a name from `@smtpkit/codes` `Situations`. */
  readonly situation: SaslFailureSituation;
  /** Why, more precisely (for logs and metrics). */
  readonly reason: SaslServerFailureReason;
  /** A sentence for logs; never contains a credential or peer bytes. */
  readonly message: string;
}

/** What a server mechanism yields after each input. */
export type SaslServerStep = SaslServerChallenge | SaslServerDecisionStep | SaslServerSuccess | SaslServerFailure;

/** Check a PLAIN or LOGIN password; answer `accept` or `reject`. */
export interface SaslVerifyPasswordRequest {
  /** The discriminant. */
  readonly type: "verify-password";
  /** The mechanism it comes from. */
  readonly mechanism: "PLAIN" | "LOGIN";
  /** The authentication identity as sent (UTF-8, free of control characters). */
  readonly username: string;
  /** The password; `reveal()` it only to compare it. */
  readonly password: Redacted<string>;
}

/** Give CRAM-MD5's shared secret for `username`; answer `secret` or `reject`. */
export interface SaslLookupSecretRequest {
  /** The discriminant. */
  readonly type: "lookup-secret";
  /** The mechanism it comes from. */
  readonly mechanism: "CRAM-MD5";
  /** The user name as sent (UTF-8, free of control characters). */
  readonly username: string;
}

/**
 * Give the SCRAM verifier for `username`; answer `scram-verifier` or `reject`.
 * To avoid telling attackers which users exist, answer for an unknown user
 * with a decoy verifier derived from a server secret instead of `reject`
 * (RFC 5802 §9 leaves this to the server).
 */
export interface SaslLookupScramVerifierRequest {
  /** The discriminant. */
  readonly type: "lookup-scram-verifier";
  /** The mechanism it comes from. */
  readonly mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS";
  /** The user name after unescaping and SASLprep (RFC 5802 §5.1). */
  readonly username: string;
}

/** Check an OAuth 2.0 bearer token; answer `accept` (optionally naming the identity) or `reject`. */
export interface SaslVerifyTokenRequest {
  /** The discriminant. */
  readonly type: "verify-token";
  /** The mechanism it comes from. */
  readonly mechanism: "XOAUTH2" | "OAUTHBEARER";
  /** The user the client claims (XOAUTH2 `user=`, OAUTHBEARER `a=`), if any. */
  readonly username: string | undefined;
  /** The bearer token; `reveal()` it only to verify it. */
  readonly token: Redacted<string>;
  /** OAUTHBEARER's `host=` (RFC 7628 §3.1), if sent. */
  readonly host: string | undefined;
  /** OAUTHBEARER's `port=` (RFC 7628 §3.1), if sent. */
  readonly port: number | undefined;
}

/**
 * The credentials are good, but the client asks to act as another identity
 * (PLAIN's authzid, SCRAM's and OAUTHBEARER's `a=`); answer `accept` or `reject`.
 * Asked only when the server was created with `authorizationDecisions: true`;
 * otherwise such attempts fail with `AuthorizationIdentityRefused`.
 */
export interface SaslAuthorizeRequest {
  /** The discriminant. */
  readonly type: "authorize";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
  /** The authenticated identity. */
  readonly username: string;
  /** The identity it wants to act as. */
  readonly authorizationIdentity: string;
}

/** A question for the embedder. */
export type SaslDecisionRequest =
  | SaslVerifyPasswordRequest
  | SaslLookupSecretRequest
  | SaslLookupScramVerifierRequest
  | SaslVerifyTokenRequest
  | SaslAuthorizeRequest;

/** The error details an OAuth mechanism returns to the client when a token is refused (RFC 7628 §3.2.2). */
export interface SaslOAuthError {
  /** OAUTHBEARER: an RFC 6750 error code such as `"invalid_token"`; XOAUTH2: an HTTP status such as `"401"`. */
  readonly status: string;
  /** The scope the token needs. */
  readonly scope?: string;
  /** OAUTHBEARER: the URL of the OpenID Connect discovery document. */
  readonly openidConfiguration?: string;
}

/** The answer `accept`: the credentials are good (or the authorization is allowed). */
export interface SaslAcceptDecision {
  /** The discriminant. */
  readonly type: "accept";
  /**
   * For `verify-token` only: the identity the token belongs to. Required when
   * the client named no user; when given it replaces the claimed user name.
   */
  readonly identity?: string;
}

/** The answer `reject`: refuse the attempt. */
export interface SaslRejectDecision {
  /** The discriminant. */
  readonly type: "reject";
  /** The reply situation; default `AuthInvalidCredentials` (`AuthorizationIdentityRefused` for `authorize`). */
  readonly situation?: SaslRejectSituation;
  /** For `verify-token`: the error sent to the client before failing. */
  readonly oauthError?: SaslOAuthError;
}

/** The answer to `lookup-secret`: CRAM-MD5's shared secret (a string is UTF-8 encoded). */
export interface SaslSecretDecision {
  /** The discriminant. */
  readonly type: "secret";
  /** The shared secret (usually the password). */
  readonly secret: string | Uint8Array | Redacted<string> | Redacted<Uint8Array>;
}

/** The answer to `lookup-scram-verifier`. */
export interface SaslScramVerifierDecision {
  /** The discriminant. */
  readonly type: "scram-verifier";
  /** The stored verifier, from {@link createScramVerifier}. */
  readonly verifier: ScramVerifier;
}

/** An embedder's answer to a {@link SaslDecisionRequest}. */
export type SaslDecision = SaslAcceptDecision | SaslRejectDecision | SaslSecretDecision | SaslScramVerifierDecision;

/**
 * One authentication attempt on the server side: fresh per AUTH command,
 * stepped by client responses and embedder decisions until it yields
 * `success` or `failure`.
 */
export interface SaslServerMechanism {
  /** The mechanism's name. */
  readonly name: SaslMechanismName;
  /** Where the attempt is. */
  readonly state: SaslServerState;
  /**
   * Gives the client's decoded response to the last challenge.
   *
   * @param response - the decoded line (an empty line is an empty array)
   * @returns the next step
   * @throws {@link SaslError} `wrong-state` unless the state is `awaiting-response`
   */
  respond(response: Uint8Array): SaslServerStep;
  /**
   * Gives the embedder's answer to the pending decision request.
   *
   * @param decision - the answer
   * @returns the next step
   * @throws {@link SaslError} `wrong-state` unless the state is `awaiting-decision`;
   *   `decision-mismatch` when the answer does not fit the request
   */
  decide(decision: SaslDecision): SaslServerStep;
  /** A log-safe snapshot: the mechanism's name and state. */
  toJSON(): { readonly mechanism: SaslMechanismName; readonly state: SaslServerState };
}
