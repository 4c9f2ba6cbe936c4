/**
 * The checks every reply goes through, whatever command it answers: the
 * enhanced status code (RFC 2034, RFC 3463), the codes the command may get
 * (RFC 5321 §4.3.2, widened by the policy refusals a server is entitled to),
 * and the EHLO keyword grammar (RFC 5321 §4.1.1.1).
 *
 * Each check returns the violations it found; none throws on any input.
 *
 * @module
 */
import { allowedReplies, parseEnhancedStatusPrefix } from "@smtpkit/codes";
import type { RuleName } from "./rules.js";
import type { WireReply } from "./wire.js";

/** One breach found in a reply. */
export interface Violation {
  /** The rule. */
  readonly rule: RuleName;
  /** What exactly was seen. */
  readonly detail: string;
}

/**
 * Refusals a server may give for reasons of policy beyond the §4.3.2 rows:
 * Postfix answers a relay attempt with 554 5.7.1 to RCPT, many servers refuse
 * senders with 554 or 550 at MAIL and say 452/552 for too many recipients.
 * The protocol does not forbid a server to refuse; these are not findings.
 * 504 ("parameter not implemented") is taken for a MAIL or RCPT parameter
 * value the server does not support, as several servers answer.
 */
const policyRefusals: Readonly<Record<string, readonly number[]>> = {
  MAIL: [450, 451, 452, 504, 550, 551, 552, 553, 554, 555, 556],
  RCPT: [450, 451, 452, 504, 550, 551, 552, 553, 554, 555, 556],
  DATA: [450, 451, 452, 550, 552, 554],
  "DATA-END": [450, 451, 452, 550, 552, 554],
  VRFY: [450, 451, 550, 551, 552, 553, 554],
  HELO: [550, 554],
  EHLO: [550, 554],
};

/** The replies to the end of the message content (RFC 5321 §4.3.2 "DATA ... I: 354 -> data -> S: 250"). */
const afterContent: readonly number[] = [250, 421, 450, 451, 452, 550, 552, 554, 500, 501, 503, 530];

/**
 * The codes a reply to `verb` may have. `"DATA-END"` is the reply after the
 * content; an unknown verb may get any negative reply.
 */
export function codesAllowed(verb: string): ReadonlySet<number> | undefined {
  if (verb === "DATA-END") return new Set(afterContent);
  const table = allowedReplies(verb);
  if (table.length === 0) return undefined;
  return new Set([...table, 421, ...(policyRefusals[verb] ?? [])]);
}

/** §4.3.2 for one reply: undefined when allowed. */
export function checkCodeAllowed(verb: string, reply: WireReply): Violation | undefined {
  if (reply.code < 0) return undefined;
  const allowed = codesAllowed(verb);
  if (allowed === undefined) {
    // A verb the table has no row for (unknown, malformed): any refusal is fine, a success is not.
    return reply.code < 400 ? { rule: "reply-code-allowed", detail: `an unrecognized command was answered ${reply.code}, a positive reply` } : undefined;
  }
  if (allowed.has(reply.code)) return undefined;
  const shown = verb === "DATA-END" ? "the end of the message content" : verb;
  return { rule: "reply-code-allowed", detail: `${shown} was answered ${reply.code}, which RFC 5321 §4.3.2 does not list for it (allowed: ${[...allowed].sort((a, b) => a - b).join(", ")})` };
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Whether text starts like an enhanced code (`digits.digits.digits`), well-formed or not. */
function looksEnhanced(text: string): number {
  let index = 0;
  for (let part = 0; part < 3; part += 1) {
    const start = index;
    while (index < text.length && index - start < 8 && isDigit(text.charCodeAt(index))) index += 1;
    if (index === start) return -1;
    if (part < 2) {
      if (text.charCodeAt(index) !== 0x2e) return -1;
      index += 1;
    }
  }
  return index;
}

/**
 * RFC 2034 §4, RFC 3463 §2: with ENHANCEDSTATUSCODES negotiated, a 2yz, 4yz or
 * 5yz reply (other than to HELO/EHLO) starts with a well-formed enhanced code
 * of the same class; every line that carries one carries a well-formed one of
 * the same class.
 */
export function checkEnhanced(verb: string, reply: WireReply, negotiated: boolean): Violation[] {
  if (!negotiated || reply.code < 0) return [];
  const replyClass = Math.floor(reply.code / 100);
  if (replyClass === 3) return [];
  const violations: Violation[] = [];
  const exempt = verb === "EHLO" || verb === "HELO" || verb === "LHLO" || verb === "CONNECT";
  for (let index = 0; index < reply.lines.length; index += 1) {
    const text = reply.lines[index] ?? "";
    const end = looksEnhanced(text);
    if (end < 0) {
      if (index === 0 && !exempt) violations.push({ rule: "enhanced-code-missing", detail: `the ${reply.code} reply to ${verb} has no enhanced status code: ${JSON.stringify(text.slice(0, 80))}` });
      if (index === 0) break;
      continue;
    }
    const candidate = text.slice(0, end);
    const parsed = parseEnhancedStatusPrefix(candidate);
    const next = text.charCodeAt(end);
    if (parsed === undefined || parsed.length !== end || (end < text.length && next !== 0x20 && next !== 0x09)) {
      violations.push({ rule: "enhanced-code-syntax", detail: `line ${index + 1} of the ${reply.code} reply to ${verb} starts with ${JSON.stringify(text.slice(0, Math.min(text.length, end + 1)))}, not class.subject.detail` });
    } else if (parsed.status.class !== replyClass) {
      violations.push({ rule: "enhanced-code-class", detail: `line ${index + 1} of the ${reply.code} reply to ${verb} carries ${candidate}: class ${parsed.status.class} under a ${replyClass}yz code` });
    }
    if (violations.length > 0) break;
  }
  return violations;
}

function isAlphaNumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * RFC 5321 §4.1.1.1: `ehlo-line = ehlo-keyword *( SP ehlo-param )`,
 * `ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`,
 * `ehlo-param = 1*(%d33-126)`. The first line (domain and greeting) is not a keyword line.
 */
export function checkEhloKeywords(reply: WireReply): Violation[] {
  if (reply.code !== 250) return [];
  for (let index = 1; index < reply.lines.length; index += 1) {
    const line = reply.lines[index] ?? "";
    const problem = ehloLineProblem(line);
    if (problem !== undefined) return [{ rule: "ehlo-keyword", detail: `EHLO line ${index + 1} ${JSON.stringify(line.slice(0, 80))}: ${problem}` }];
  }
  return [];
}

function ehloLineProblem(line: string): string | undefined {
  if (line.length === 0) return "an empty keyword";
  if (!isAlphaNumeric(line.charCodeAt(0))) return "the keyword does not start with a letter or digit";
  let index = 1;
  while (index < line.length && line.charCodeAt(index) !== 0x20) {
    const code = line.charCodeAt(index);
    if (!isAlphaNumeric(code) && code !== 0x2d) return `the keyword holds ${JSON.stringify(line[index])}`;
    index += 1;
  }
  while (index < line.length) {
    // SP then 1*(%d33-126)
    index += 1;
    const start = index;
    while (index < line.length && line.charCodeAt(index) !== 0x20) {
      const code = line.charCodeAt(index);
      if (code < 33 || code > 126) return `a parameter holds the character ${JSON.stringify(line[index])}`;
      index += 1;
    }
    if (index === start) return "an empty parameter (two spaces, or a space at the end)";
  }
  return undefined;
}
