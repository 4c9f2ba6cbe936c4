/**
 * Checking and completing the options of a client session: every option
 * has a documented default, and a value that is out of range or of the
 * wrong type throws rather than quietly switching a protection off.
 *
 * @module
 */
import { isValidDomain, parseAddressLiteral } from "@smtpkit/grammar";
import { checkChannelBinding, type SaslChannelBinding } from "../sasl/channel-binding.js";
import { saslMechanismNames, type SaslMechanismName } from "../sasl/mechanism-names.js";
import { createSaslClient } from "../sasl/sasl-client.js";
import { SaslError } from "../sasl/sasl-error.js";
import {
  CLIENT_DEFAULT_CHUNK_SIZE,
  CLIENT_DEFAULT_MAX_OUTSTANDING_CHUNKS,
  CLIENT_DEFAULT_MAX_RECIPIENTS,
  CLIENT_DEFAULT_MAX_REPLY_LINE_LENGTH,
  CLIENT_DEFAULT_MAX_REPLY_LINES,
  CLIENT_MAX_CHUNK_SIZE,
  resolveCount,
  resolveTimeouts,
  type ClientTimeouts,
} from "./client-limits.js";
import { ClientSessionError } from "./client-session-error.js";
import type { ClientAuthOptions, ClientSessionOptions, StartTlsPolicy } from "./client-types.js";

const policies: readonly StartTlsPolicy[] = ["required", "opportunistic", "never"];

function checkBoolean(value: boolean | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ClientSessionError("invalid-option", `${name} must be a boolean.`);
  return value;
}

/**
 * RFC 5321 §4.1.1.1: `ehlo = "EHLO" SP ( Domain / address-literal ) CRLF`.
 * ASCII only: the client cannot know before EHLO whether the server takes
 * U-labels (RFC 6531 §3.7.1), so an internationalized name goes as A-labels.
 */
function checkHostname(hostname: string): string {
  if (typeof hostname !== "string" || !(isValidDomain(hostname, false) || parseAddressLiteral(hostname) !== undefined)) {
    throw new ClientSessionError(
      "invalid-option",
      `hostname must be a domain (in A-labels) or an address literal such as [192.0.2.1], got ${JSON.stringify(hostname)}.`,
    );
  }
  return hostname;
}

/** The checked auth options. */
export interface AuthSettings {
  readonly options: ClientAuthOptions;
  readonly mechanisms: readonly SaslMechanismName[];
}

function checkAuth(auth: ClientAuthOptions | undefined): AuthSettings | undefined {
  if (auth === undefined) return undefined;
  const credentials = auth.credentials as ClientAuthOptions["credentials"] | undefined;
  if (typeof credentials !== "object" || credentials === null || typeof credentials.username !== "string") {
    throw new ClientSessionError("invalid-option", "auth.credentials needs a username.");
  }
  if (credentials.password === undefined && credentials.token === undefined) {
    throw new ClientSessionError("invalid-option", "auth.credentials needs a password or a token.");
  }
  checkBoolean(auth.allowPlaintextAuth, "auth.allowPlaintextAuth", false);
  checkBoolean(auth.allowCramMd5, "auth.allowCramMd5", false);
  const hasNonce = auth.scramNonce !== undefined;
  let mechanisms: readonly SaslMechanismName[];
  if (auth.mechanisms === undefined) {
    // No randomness here: without a nonce from the embedder SCRAM cannot run.
    mechanisms = saslMechanismNames.filter((name) => hasNonce || !name.startsWith("SCRAM"));
  } else {
    if (!Array.isArray(auth.mechanisms) || auth.mechanisms.some((name) => !saslMechanismNames.includes(name))) {
      throw new ClientSessionError("invalid-option", `auth.mechanisms may hold only ${saslMechanismNames.join(", ")}.`);
    }
    if (!hasNonce && auth.mechanisms.some((name) => name.startsWith("SCRAM"))) {
      throw new ClientSessionError("invalid-option", "SCRAM needs auth.scramNonce: the session has no randomness of its own.");
    }
    mechanisms = [...auth.mechanisms];
  }
  // Make each kind of mechanism the credentials serve once, so that a bad
  // credential, nonce or OAuth host is a mistake reported here, not a
  // failure in the middle of a conversation.
  const trial = (name: SaslMechanismName): void => {
    if (!mechanisms.includes(name)) return;
    try {
      createSaslClient(name, {
        credentials,
        ...(auth.scramNonce === undefined ? {} : { nonce: auth.scramNonce }),
        ...(auth.host === undefined ? {} : { host: auth.host }),
        ...(auth.port === undefined ? {} : { port: auth.port }),
      });
    } catch (error) {
      if (!SaslError.isInstance(error)) throw error;
      throw new ClientSessionError("invalid-option", `auth cannot be used with ${name}: ${error.message}`, { cause: error });
    }
  };
  if (credentials.password !== undefined) {
    trial("PLAIN");
    trial("SCRAM-SHA-256");
  }
  if (credentials.token !== undefined) trial("OAUTHBEARER");
  return { options: auth, mechanisms };
}

/** The options, checked and completed. Internal. */
export interface ResolvedClientOptions {
  readonly hostname: string;
  readonly lmtp: boolean;
  readonly startTls: StartTlsPolicy;
  readonly implicitTls: boolean;
  readonly channelBinding: SaslChannelBinding | undefined;
  readonly auth: AuthSettings | undefined;
  readonly pipelining: boolean;
  readonly pipelineData: boolean;
  readonly chunking: boolean;
  readonly chunkSize: number;
  readonly maxOutstandingChunks: number;
  readonly maxRecipients: number;
  readonly timeouts: ClientTimeouts;
  readonly replyLimits: { readonly maxLineLength: number; readonly maxLines: number };
}

/**
 * Checks the options of {@link createClientSession} and fills in the defaults.
 *
 * @param options - as given
 * @returns the complete options
 * @throws {@link ClientSessionError} (`invalid-option`) for a bad option
 */
export function resolveClientOptions(options: ClientSessionOptions): ResolvedClientOptions {
  if (typeof options !== "object" || options === null) throw new ClientSessionError("invalid-option", "Options are required.");
  const startTls = options.startTls ?? "opportunistic";
  if (!policies.includes(startTls)) throw new ClientSessionError("invalid-option", `startTls must be one of ${policies.join(", ")}.`);
  const implicitTls = checkBoolean(options.implicitTls, "implicitTls", false);
  let channelBinding: SaslChannelBinding | undefined;
  try {
    channelBinding = checkChannelBinding(options.channelBinding);
  } catch (error) {
    throw new ClientSessionError("invalid-option", "channelBinding is malformed.", { cause: error });
  }
  if (channelBinding !== undefined && !implicitTls) {
    throw new ClientSessionError("invalid-option", "channelBinding belongs to a TLS connection: give it with implicitTls, or to tlsEstablished.");
  }
  return {
    hostname: checkHostname(options.hostname),
    lmtp: checkBoolean(options.lmtp, "lmtp", false),
    startTls,
    implicitTls,
    channelBinding,
    auth: checkAuth(options.auth),
    pipelining: checkBoolean(options.pipelining, "pipelining", true),
    pipelineData: checkBoolean(options.pipelineData, "pipelineData", false),
    chunking: checkBoolean(options.chunking, "chunking", false),
    chunkSize: resolveCount(options.chunkSize, CLIENT_DEFAULT_CHUNK_SIZE, "chunkSize", CLIENT_MAX_CHUNK_SIZE),
    maxOutstandingChunks: resolveCount(options.maxOutstandingChunks, CLIENT_DEFAULT_MAX_OUTSTANDING_CHUNKS, "maxOutstandingChunks", 1024),
    maxRecipients: resolveCount(options.maxRecipients, CLIENT_DEFAULT_MAX_RECIPIENTS, "maxRecipients", 100_000),
    timeouts: resolveTimeouts(options.timeouts),
    replyLimits: {
      maxLineLength: resolveCount(options.replyLimits?.maxLineLength, CLIENT_DEFAULT_MAX_REPLY_LINE_LENGTH, "replyLimits.maxLineLength", 1_000_000),
      maxLines: resolveCount(options.replyLimits?.maxLines, CLIENT_DEFAULT_MAX_REPLY_LINES, "replyLimits.maxLines", 100_000),
    },
  };
}
