/**
 * The SASL layer of SMTP AUTH (RFC 4954): pure, sans-IO step functions for
 * the server and the client side of PLAIN (RFC 4616), LOGIN
 * (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195), XOAUTH2 (Google),
 * OAUTHBEARER (RFC 7628), SCRAM-SHA-256 (RFC 7677, RFC 5802) and
 * SCRAM-SHA-256-PLUS (channel binding: RFC 9266 `tls-exporter`, RFC 5929
 * `tls-server-end-point`).
 *
 * It works on decoded SASL payloads (`Uint8Array`). The base64 line
 * transport, `334` replies, the `*` cancel and counting failed attempts
 * belong to the session. No I/O, no timers, no clock, no randomness: nonces
 * come in as inputs; credentials are checked by the embedder as decisions.
 *
 * @module
 */
export { Redacted } from "./redacted.js";
export { SaslError, type SaslErrorReason } from "./sasl-error.js";
export {
  resolveSaslLimits,
  SASL_DEFAULT_MAX_MESSAGE_BYTES,
  SASL_MAX_NONCE_LENGTH,
  SASL_MIN_NONCE_LENGTH,
  SCRAM_DEFAULT_MAX_ITERATIONS,
  SCRAM_DEFAULT_MIN_ITERATIONS,
  type SaslLimits,
} from "./limits.js";
export {
  isPlaintextMechanism,
  plaintextMechanismNames,
  saslMechanismNames,
  toSaslMechanismName,
  type SaslMechanismName,
} from "./mechanism-names.js";
export type { SaslChannelBinding, SaslChannelBindingType } from "./channel-binding.js";
export { pureSaslCrypto, type SaslCrypto } from "./sasl-crypto.js";
export { saslPrep, type SaslPrepFailure, type SaslPrepOptions, type SaslPrepResult } from "./saslprep.js";
export { createScramVerifier, type ScramVerifier } from "./scram-keys.js";
export {
  saslRejectSituations,
  type SaslAcceptDecision,
  type SaslAuthorizeRequest,
  type SaslDecision,
  type SaslDecisionRequest,
  type SaslFailureSituation,
  type SaslLookupScramVerifierRequest,
  type SaslLookupSecretRequest,
  type SaslOAuthError,
  type SaslRejectDecision,
  type SaslRejectSituation,
  type SaslScramVerifierDecision,
  type SaslSecretDecision,
  type SaslServerChallenge,
  type SaslServerDecisionStep,
  type SaslServerFailure,
  type SaslServerFailureReason,
  type SaslServerMechanism,
  type SaslServerState,
  type SaslServerStep,
  type SaslServerSuccess,
  type SaslVerifyPasswordRequest,
  type SaslVerifyTokenRequest,
} from "./server-types.js";
export {
  createSaslServer,
  type SaslServer,
  type SaslServerAttempt,
  type SaslServerConnection,
  type SaslServerOptions,
  type SaslServerStart,
} from "./sasl-server.js";
export type {
  SaslClientCredentials,
  SaslClientFailure,
  SaslClientFailureReason,
  SaslClientMechanism,
  SaslClientOAuthError,
  SaslClientResponse,
  SaslClientState,
  SaslClientStep,
  SaslClientSuccess,
  SaslClientWait,
} from "./client-types.js";
export { chooseMechanism, createSaslClient, type SaslChoice, type SaslChooseOptions, type SaslClientOptions } from "./sasl-client.js";
