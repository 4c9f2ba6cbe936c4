/**
 * The server session: a pure, sans-IO SMTP/LMTP server state machine.
 *
 * @module
 */
export { ServerSessionError, type ServerSessionErrorReason } from "./server-session-error.js";
export {
  SERVER_DEFAULT_COMMAND_TIMEOUT,
  SERVER_DEFAULT_DATA_TIMEOUT,
  SERVER_DEFAULT_MAX_AUTH_FAILURES,
  SERVER_DEFAULT_MAX_ERRORS,
  SERVER_DEFAULT_MAX_JUNK_COMMANDS,
  SERVER_DEFAULT_MAX_MESSAGE_SIZE,
  SERVER_DEFAULT_MAX_RECIPIENTS,
  SERVER_DEFAULT_MIN_DATA_RATE,
  type ServerAuthOptions,
  type ServerExtensions,
  type ServerLimits,
  type ServerPolicy,
  type ServerSessionConfig,
  type ServerTimeouts,
  type ServerTlsOptions,
} from "./server-config.js";
export type {
  AcceptDecision,
  AnyDecision,
  AuthenticatedEvent,
  AuthFailedEvent,
  AuthRequestedEvent,
  ServerCloseOutput,
  CommandReceivedEvent,
  ConnectionInfo,
  ConnectionRequestedEvent,
  CustomReply,
  Envelope,
  EnvelopeRecipient,
  ServerEventOutput,
  MailRequestedEvent,
  MessageAbortedEvent,
  MessageChunkEvent,
  MessageEndEvent,
  MessageStartEvent,
  PipelinedBytesDiscardedEvent,
  ProtocolViolationEvent,
  RecipientRequestedEvent,
  RejectDecision,
  ReplySentEvent,
  RequestId,
  ServerDecision,
  ServerEvent,
  ServerOutput,
  ServerSessionSnapshot,
  SessionClosedEvent,
  ServerStartTlsOutput,
  ServerWriteOutput,
} from "./server-events.js";
export { createServerSession, ServerSession, type ServerTlsInfo } from "./server-session.js";
