/**
 * The client session: a pure, sans-IO SMTP/LMTP client state machine.
 *
 * @module
 */
export {
  CLIENT_DEFAULT_CHUNK_SIZE,
  CLIENT_DEFAULT_MAX_OUTSTANDING_CHUNKS,
  CLIENT_DEFAULT_MAX_RECIPIENTS,
  CLIENT_DEFAULT_MAX_REPLY_LINE_LENGTH,
  CLIENT_DEFAULT_MAX_REPLY_LINES,
  CLIENT_DEFAULT_TIMEOUTS,
  CLIENT_MAX_CHUNK_SIZE,
  type ClientTimeouts,
} from "./client-limits.js";
export { ClientSession, createClientSession } from "./client-session.js";
export { ClientSessionError, type ClientSessionErrorReason } from "./client-session-error.js";
export type {
  AuthSucceededEvent,
  CapabilitiesReceivedEvent,
  ClientAuthOptions,
  ClientEvent,
  ClientFailureReason,
  ClientOutput,
  ClientRecipient,
  ClientSessionFailure,
  ClientSessionOptions,
  ClientSessionSnapshot,
  ClientState,
  ClientTransaction,
  CloseOutput,
  EventOutput,
  Fault,
  GreetingReceivedEvent,
  MessageChunkNeededEvent,
  RecipientResult,
  SessionFailedEvent,
  SessionReadyEvent,
  StartTlsOutput,
  StartTlsPolicy,
  TlsInfo,
  TransactionRefusalReason,
  TransactionResult,
  TransactionResultEvent,
  WriteOutput,
} from "./client-types.js";
