/**
 * `@smtpkit/codes`: the SMTP reply-code registry.
 *
 * - Basic reply codes (RFC 5321 §4.2 and the extensions), with non-standard
 *   codes marked and their standard alternatives named: {@link describeReply}.
 * - Enhanced status codes (RFC 3463, the IANA registry of RFC 5248):
 *   {@link describeEnhancedStatus}, {@link parseEnhancedStatus}, {@link formatEnhancedStatus}.
 * - Which command may receive which reply (RFC 5321 §4.3.2): {@link repliesFor}.
 * - Canonical replies for every situation a server answers in: {@link Situations}.
 *
 * Runtime-agnostic: no I/O, no dependencies, no Node APIs.
 *
 * @example
 * ```ts
 * import { describeReply, describeEnhancedStatus, repliesFor, Situations } from "@smtpkit/codes";
 * describeReply(421).text;                  // "Service not available, closing transmission channel"
 * describeEnhancedStatus("5.7.1")?.title;   // "Delivery not authorized, message refused"
 * repliesFor("DATA")?.intermediate;         // [354]
 * Situations.BadSequence.code;              // 503
 * ```
 *
 * @packageDocumentation
 */
export { CodesError, type CodesErrorReason } from "./codes-error.js";
export {
  isNegative,
  isPermanent,
  isPositive,
  isThreeDigitCode,
  isTransient,
  replyCategory,
  replyClass,
  type ReplyCategory,
  type ReplyClass,
} from "./reply-class.js";
export { describeReply, replyCodes, type ReplyCodeEntry, type ReplyDescription } from "./basic-codes.js";
export {
  describeEnhancedStatus,
  formatEnhancedStatus,
  isEnhancedStatus,
  parseEnhancedStatus,
  parseEnhancedStatusPrefix,
  type EnhancedStatus,
  type EnhancedStatusDescription,
} from "./enhanced-status.js";
export {
  enhancedClasses,
  enhancedStatusCodes,
  enhancedSubjects,
  type EnhancedClassEntry,
  type EnhancedStatusEntry,
  type EnhancedSubjectEntry,
} from "./enhanced-registry.js";
export {
  allowedReplies,
  commandNames,
  commandsAnsweredBy,
  generalReplies,
  isReplyAllowed,
  repliesFor,
  toCommandName,
  type CommandName,
  type CommandReplies,
  type GeneralReply,
} from "./command-replies.js";
export {
  formatSituation,
  situationByName,
  situationList,
  Situations,
  type Situation,
  type SituationName,
} from "./situations.js";
