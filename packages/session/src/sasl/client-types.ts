/**
 * The data a client-side SASL mechanism gives and takes. Responses are
 * {@link Redacted} because they carry (or let an eavesdropper attack) the
 * credential, so any step can be logged with `JSON.stringify`.
 *
 * @module
 */
import type { Redacted } from "./redacted.js";
import type { SaslMechanismName } from "./mechanism-names.js";

/** Where a client mechanism is. */
export type SaslClientState =
  /** Created; call {@link SaslClientMechanism.start}. */
  | "ready"
  /** The exchange runs: give challenges with `respond`, or the 235 with `succeeded`. */
  | "in-progress"
  /** The server's success was confirmed. */
  | "succeeded"
  /** The exchange failed on this side (the session cancels with `*`) or the outcome was refused. */
  | "failed";

/** Why a client-side exchange failed. */
export type SaslClientFailureReason =
  /** A challenge exceeded the size limit. */
  | "message-too-large"
  /** A challenge does not follow the mechanism's syntax. */
  | "malformed-challenge"
  /** The server sent a challenge where the mechanism expects none. */
  | "unexpected-challenge"
  /** SCRAM: the server's nonce does not extend the client's. */
  | "nonce-mismatch"
  /** SCRAM: the server asks for fewer iterations than `minIterations`. */
  | "iteration-count-too-low"
  /** SCRAM: the server asks for more iterations than `maxIterations`. */
  | "iteration-count-too-high"
  /** SCRAM: the server requires an extension (`m=`) this client does not support. */
  | "unsupported-extension"
  /** SCRAM: the server sent `e=` (its value is in `serverError`). */
  | "server-error"
  /** SCRAM: the server's signature is wrong: it does not know the password (or the channel is not the one bound). */
  | "server-signature-mismatch"
  /** SCRAM: the server claimed success without proving it knows the password. */
  | "server-signature-missing";

/** Send this response: after `AUTH <mechanism> ` as the initial response, or as the line answering a 334. */
export interface SaslClientResponse {
  /** The discriminant. */
  readonly type: "response";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
  /**
   * The bytes to base64-encode. An empty initial response is sent as `=`
   * (RFC 4954 §4); an empty answer to a challenge as an empty line.
   */
  readonly response: Redacted<Uint8Array>;
  /** OAUTHBEARER/XOAUTH2: the server refused the token; this response acknowledges the error. */
  readonly oauthError?: SaslClientOAuthError;
}

/** The details of a refused OAuth token, from the server's error challenge. */
export interface SaslClientOAuthError {
  /** `status`, for example `"invalid_token"` (RFC 7628) or `"401"` (XOAUTH2). */
  readonly status: string | undefined;
  /** The scope the server wants. */
  readonly scope: string | undefined;
  /** The OpenID Connect discovery URL (RFC 7628 §3.2.2). */
  readonly openidConfiguration: string | undefined;
}

/** No initial response: send `AUTH <mechanism>` alone and wait for the first 334. */
export interface SaslClientWait {
  /** The discriminant. */
  readonly type: "wait";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
}

/** The server's 235 is confirmed (for SCRAM: the server proved it knows the password). */
export interface SaslClientSuccess {
  /** The discriminant. */
  readonly type: "success";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
}

/** The exchange failed on the client side: cancel it with `*` (or distrust the 235). */
export interface SaslClientFailure {
  /** The discriminant. */
  readonly type: "failure";
  /** The mechanism it comes from. */
  readonly mechanism: SaslMechanismName;
  /** Why. */
  readonly reason: SaslClientFailureReason;
  /** A sentence for logs; never contains a credential. */
  readonly message: string;
  /** SCRAM's `e=` value from the server (printable ASCII, at most 64 characters). */
  readonly serverError?: string;
}

/** What a client mechanism yields. */
export type SaslClientStep = SaslClientResponse | SaslClientWait | SaslClientSuccess | SaslClientFailure;

/** The credentials a client authenticates with. */
export interface SaslClientCredentials {
  /** The authentication identity (user name). */
  readonly username: string;
  /** The password, for SCRAM, CRAM-MD5, PLAIN and LOGIN. */
  readonly password?: string;
  /** An OAuth 2.0 access token, for OAUTHBEARER and XOAUTH2. */
  readonly token?: string;
  /** The identity to act as, when it differs from `username` (PLAIN, SCRAM, OAUTHBEARER). */
  readonly authorizationIdentity?: string;
}

/** One client-side authentication attempt. */
export interface SaslClientMechanism {
  /** The mechanism's name. */
  readonly name: SaslMechanismName;
  /** Where the attempt is. */
  readonly state: SaslClientState;
  /**
   * Begins: gives the initial response when the mechanism has one and
   * `initialResponse` is allowed (RFC 4954 §4), else `wait`.
   *
   * @param options - `initialResponse`: whether the session may send one (default `true`)
   * @returns the initial response, or `wait`
   * @throws {@link SaslError} `wrong-state` unless the state is `ready`
   */
  start(options?: { readonly initialResponse?: boolean }): SaslClientResponse | SaslClientWait;
  /**
   * Answers a 334 challenge (decoded). A `failure` means: send `*` to cancel.
   *
   * @param challenge - the decoded challenge
   * @returns the response to send, or a failure
   * @throws {@link SaslError} `wrong-state` unless the state is `in-progress`
   */
  respond(challenge: Uint8Array): SaslClientResponse | SaslClientFailure;
  /**
   * The server replied 235. For SCRAM this fails unless the server's
   * signature was received and verified (RFC 5802 §5.1): a server that skips
   * it has not proven it knows the password.
   *
   * @returns `success`, or a failure when the server's success cannot be trusted
   * @throws {@link SaslError} `wrong-state` unless the state is `in-progress`
   */
  succeeded(): SaslClientSuccess | SaslClientFailure;
  /** A log-safe snapshot: the mechanism's name and state. */
  toJSON(): { readonly mechanism: SaslMechanismName; readonly state: SaslClientState };
}
