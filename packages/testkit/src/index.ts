/**
 * `@smtpkit/testkit`: fast-check arbitraries for SMTP and MIME, and
 * ready-made property assertions for your own SMTP code.
 *
 * - Addresses: {@link domain}, {@link uLabelDomain}, {@link addressLiteral}
 *   (IPv4, every IPv6 form, general), {@link localPart}, {@link mailbox},
 *   {@link reversePath}, {@link forwardPath}.
 * - Commands: {@link command} (every verb, every parameter, fitting a
 *   capability set), {@link nearlyValidCommand} (one labelled defect).
 * - Replies and extensions: {@link reply}, {@link ehloResponse}, {@link capabilitySet}.
 * - Sessions: {@link envelope}, {@link clientSession}, {@link sessionBytes}.
 * - MIME: {@link mimeMessage}, {@link serializeMimeMessage}, {@link messageSpec}.
 * - Bytes: {@link chunkings}, {@link smugglingAttempt}, {@link startTlsInjection}, {@link smtpishBytes}.
 * - Laws: {@link assertRoundTrip}, {@link assertChunkSplitInvariance}, {@link assertTotal}.
 * - Session pair: {@link runSessionPair} joins a client and a server session in memory.
 * - Client conformance: {@link runClientConformance} plays a misbehaving server per connection and
 *   judges the client under test (its sockets are loaded lazily: importing this package loads no Node module).
 * - Conformance runner: {@link runConformance} property-tests a live SMTP server (or, through
 *   {@link serverSessionTransport}, an in-memory session) and {@link runDifferential} compares two; the
 *   socket transport is loaded lazily.
 *
 * Runtime-agnostic: no I/O, no Node APIs; `fast-check` is a peer dependency.
 *
 * @example
 * ```ts
 * import { parseCommand, serializeCommand } from "@smtpkit/grammar";
 * import { assertRoundTrip, command } from "@smtpkit/testkit";
 * assertRoundTrip(command(), serializeCommand, (line) => {
 *   const result = parseCommand(line, { strict: true });
 *   if (!result.ok) throw new Error(result.error.message);
 *   return result.command;
 * });
 * ```
 *
 * @packageDocumentation
 */
export { TestkitError, type LawFailure, type LawName, type TestkitErrorReason } from "./testkit-error.js";
export {
  addressLiteral,
  domain,
  generalAddressLiteral,
  ipv4AddressLiteral,
  ipv6AddressLiteral,
  ldhLabel,
  uLabelDomain,
  type DomainOptions,
  type LabelOptions,
} from "./arbitraries/domain.js";
export {
  dotAtomLocalPart,
  forwardPath,
  localPart,
  mailbox,
  quotedLocalPart,
  reversePath,
  utf8Mailbox,
  type LocalPartOptions,
  type MailboxOptions,
} from "./arbitraries/mailbox.js";
export { capabilitySet, saslMechanisms, type CapabilityKeyword, type CapabilitySetOptions } from "./arbitraries/capabilities.js";
export {
  authCommand,
  bdatCommand,
  command,
  etrnCommand,
  helloCommand,
  helpCommand,
  mailCommand,
  mailParameters,
  noopCommand,
  rcptCommand,
  rcptParameters,
  vrfyCommand,
  type CommandOptions,
} from "./arbitraries/commands.js";
export {
  ehloResponse,
  nearlyValidReply,
  reply,
  replyDefects,
  standardReplyCodes,
  type NearlyValidReply,
  type ReplyDefect,
  type ReplyOptions,
} from "./arbitraries/replies.js";
export {
  allCapabilities,
  commandDefects,
  nearlyValidCommand,
  tooLongLine,
  type CommandDefect,
  type NearlyValidCommand,
} from "./arbitraries/nearly-valid.js";
export { chunked, chunkings } from "./arbitraries/chunkings.js";
export {
  smugglingAttempt,
  smugglingSequence,
  smugglingSequences,
  startTlsInjection,
  startTlsReplyInjection,
  type SmugglingAttempt,
  type SmugglingSequence,
  type StartTlsInjection,
  type StartTlsReplyInjection,
} from "./arbitraries/injection.js";
export { assertRoundTrip, type RoundTripOptions } from "./assertions/round-trip.js";
export { assertChunkSplitInvariance, type ChunkParser, type ChunkSplitOptions } from "./assertions/chunk-split.js";
export { assertTotal, smtpishBytes, type TotalOptions } from "./assertions/total.js";
export type { LawRunOptions } from "./assertions/run-law.js";
export {
  runSessionPair,
  sessionPairChunking,
  SESSION_PAIR_DEFAULT_MAX_STEPS,
  SESSION_PAIR_MAX_STEPS,
  type DeliveredMessage,
  type SessionPairChunking,
  type SessionPairChunkingOptions,
  type SessionPairDecider,
  type SessionPairMessage,
  type SessionPairOptions,
  type SessionPairQuestion,
  type SessionPairResult,
} from "./assertions/session-pair.js";
export {
  clientSession,
  misorderedSession,
  sequenceDefects,
  envelope,
  pipelinedGroups,
  sessionBytes,
  type ClientSessionOptions,
  type MisorderedSession,
  type SequenceDefect,
  type Envelope,
  type EnvelopeOptions,
  type SessionStep,
} from "./arbitraries/session.js";
export {
  messageSpec,
  mimeMessage,
  serializeMimeMessage,
  type MimeEmbedded,
  type MimeLeaf,
  type MimeMessage,
  type MimeMessageOptions,
  type MimeMultipart,
  type MimeNode,
  type TransferEncoding,
} from "./arbitraries/mime.js";
export { commandLine, type CommandLine } from "./arbitraries/command-line.js";
export { CLIENT_CASE_IDS, CLIENT_CONFORMANCE_CASES, type ClientCase, type ClientCaseId } from "./client-conformance/cases.js";
export {
  judgeCase,
  type CaseEvidence,
  type CaseJudgement,
  type ClientRunOutcome,
  type ClientVerdict,
  type ClientViolation,
  type ConnectionEnd,
} from "./client-conformance/judge.js";
export {
  ScriptedServer,
  SCRIPTED_MAX_LINE,
  type ReceivedCommand,
  type ScriptedAction,
  type ScriptedObservation,
  type ScriptedServerOptions,
  type TranscriptEntry,
} from "./client-conformance/scripted-server.js";
export {
  formatClientConformanceReport,
  type ClientCaseReport,
  type ClientConformanceReport,
  type ClientReportFormat,
} from "./client-conformance/report.js";
export {
  runClientConformance,
  CLIENT_CONFORMANCE_DEFAULT_CASE_TIMEOUT,
  CLIENT_CONFORMANCE_DEFAULT_CLOSING_HOLD,
  CLIENT_CONFORMANCE_DEFAULT_ENORMOUS_REPLY_BYTES,
  CLIENT_CONFORMANCE_DEFAULT_HOST,
  CLIENT_CONFORMANCE_DEFAULT_INJECTION_HOLD,
  CLIENT_CONFORMANCE_DEFAULT_SILENT_TIMEOUT,
  CLIENT_CONFORMANCE_DEFAULT_STREAM_GRACE,
  type ClientConformanceOptions,
  type ClientConformanceTarget,
} from "./client-conformance/run-client-conformance.js";
export { CLIENT_CONFORMANCE_CERTIFICATE, CLIENT_CONFORMANCE_PRIVATE_KEY } from "./client-conformance/test-certificate.js";
export {
  runConformance,
  DEFAULT_CONFORMANCE_RUNS,
  DEFAULT_MAX_COMMANDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FINDINGS,
  DEFAULT_MAX_SIZE_PROBE,
  DEFAULT_RATE_PER_SECOND,
  DEFAULT_TIME_LIMIT,
  type ConformanceOptions,
  type ConformanceReport,
  type Finding,
} from "./conformance/run-conformance.js";
export { formatReport, formatTranscript, type ReportFormat } from "./conformance/format-report.js";
export { conformanceRules, ruleByName, type Rule, type RuleName } from "./conformance/rules.js";
export { ConformanceError, type ConformanceErrorReason } from "./conformance/conformance-error.js";
export { socketTransport, type SocketTransportOptions } from "./conformance/socket-transport.js";
export type { ConformanceConnection, ConformanceTransport, TransportRead } from "./conformance/transport.js";
export {
  DEFAULT_CONFORMANCE_TIMEOUTS,
  type ConformanceTimeouts,
  type ReadStored,
  type StoredMessageQuery,
  type TlsMode,
} from "./conformance/probe-context.js";
export type { Exchange } from "./conformance/wire.js";
export { serverSessionTransport, type ServerSessionTransportOptions } from "./conformance/session-transport.js";
export { maildirReader, type MaildirReaderOptions } from "./conformance/maildir-reader.js";
export {
  diffMimeParsers,
  runDifferential,
  type DiffMimeParsersOptions,
  type DifferentialOptions,
  type DifferentialReport,
  type DifferentialTarget,
  type Divergence,
  type MimeParserDivergence,
} from "./conformance/differential.js";
