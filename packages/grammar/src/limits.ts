/**
 * Every limit the readers and parsers enforce, with its reason. Each is a
 * default: the options of `CommandReader`, `ReplyReader` and `parseCommand`
 * override it, and an invalid override (not a positive integer, or below the
 * RFC's floor) throws rather than silently switching the limit off.
 *
 * @module
 */
import { GrammarError } from "./errors.js";

/**
 * The default limits, in octets unless named otherwise. Frozen: a
 * dependency cannot raise them for every reader of the process.
 *
 * @example
 * ```ts
 * import { Limits, CommandReader } from "@smtpkit/grammar";
 * new CommandReader({ maxLineLength: Limits.commandLine * 2 });
 * ```
 */
export const Limits = Object.freeze({
  /**
   * A command line, CRLF excluded. RFC 5321 §4.5.3.1.4 makes 512 octets
   * with CRLF the floor and lets extensions raise it (RFC 1870 §8 SIZE,
   * RFC 3461 §5 ORCPT and ENVID add hundreds); Postfix reads 2048
   * (`line_length_limit`), and so does this default.
   */
  commandLine: 2048,
  /** The floor for `commandLine`: 512 octets with CRLF (RFC 5321 §4.5.3.1.4). */
  commandLineFloor: 510,
  /** An AUTH command line or SASL response line, CRLF excluded (RFC 4954 §4: at least 12288). */
  authLine: 12_288,
  /** A reply line, CRLF excluded. RFC 5321 §4.5.3.1.5 says 512 with CRLF; real servers send a little more. */
  replyLine: 4096,
  /** Lines in one reply. An EHLO reply has about 20; 256 leaves room and bounds memory. */
  replyLines: 256,
  /** The longest reply line `serializeReply` writes, CRLF included (RFC 5321 §4.5.3.1.5). */
  replyLineOut: 512,
  /** Octets held while a reader is paused (after DATA, BDAT, AUTH, STARTTLS) before `input-overflow`. */
  heldBytes: 1024 * 1024,
  /** A local part (RFC 5321 §4.5.3.1.1). */
  localPart: 64,
  /** A domain name (RFC 5321 §4.5.3.1.2). */
  domain: 255,
  /** A reverse- or forward-path, angle brackets included (RFC 5321 §4.5.3.1.3). */
  path: 256,
  /** Attributes in one XCLIENT or XFORWARD command (Postfix XCLIENT_README, XFORWARD_README); each name may appear once. */
  xAttributes: 16,
  /** A decoded XCLIENT or XFORWARD attribute value (Postfix: NAME and HELO values up to 255 characters). */
  xAttributeValue: 255,
} as const);

/** Validates a limit option: a positive safe integer at least `floor`. Internal. */
export function limit(name: string, value: number | undefined, fallback: number, floor = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < floor) {
    throw new GrammarError("invalid-argument", `${name} must be an integer of at least ${floor}, not ${String(value)}`);
  }
  return value;
}
