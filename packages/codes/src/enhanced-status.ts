/**
 * Enhanced status codes (RFC 3463 §2): strict parsing and formatting of
 * `class.subject.detail`, and descriptions from the IANA registry.
 *
 * Parsing never throws (the text comes from the network); formatting throws
 * a typed error, since a bad value there is the calling program's mistake.
 *
 * @module
 */
import { CodesError } from "./codes-error.js";
import {
  enhancedClasses,
  enhancedStatusCodes,
  enhancedSubjects,
  type EnhancedStatusEntry,
} from "./enhanced-registry.js";

/** An enhanced status code as three numbers. */
export interface EnhancedStatus {
  /** 2 (success), 4 (persistent transient failure) or 5 (permanent failure). */
  readonly class: 2 | 4 | 5;
  /** Subject sub-code, 0–999. */
  readonly subject: number;
  /** Detail sub-code, 0–999. */
  readonly detail: number;
}

/** What {@link describeEnhancedStatus} tells of a well-formed enhanced code. */
export interface EnhancedStatusDescription extends EnhancedStatus {
  /** The code as text, for example `"5.7.1"`. */
  readonly code: string;
  /** The class's title, for example "Permanent failure". */
  readonly classTitle: string;
  /** The subject's title, or `undefined` for a subject the registry lacks. */
  readonly subjectTitle: string | undefined;
  /** Whether the registry has this subject.detail pair. */
  readonly registered: boolean;
  /** The registry's title, or one built from class and subject. */
  readonly title: string;
  /** A sentence on the meaning. */
  readonly description: string;
  /** Basic codes this code usually pairs with (empty when unregistered). */
  readonly basicCodes: readonly number[];
  /** The defining document (empty string when unregistered). */
  readonly reference: string;
  /**
   * False when the registry lists the code but not with this class (for
   * example `2.1.1`: a bad mailbox cannot be a success).
   */
  readonly classAllowed: boolean;
  /** Set when the registry marks the code deprecated. */
  readonly deprecated?: string;
}

// RFC 3463 §2: status-code = class "." subject "." detail, with class "2", "4"
// or "5" and subject and detail 1*3digit, each written without leading zeros.
// Together that is, for subject and detail: "0" / ( %x31-39 0*2DIGIT ).
// Scanned by hand: a bounded loop, no regular expression on network text.
function readNumber(text: string, start: number): { value: number; end: number } | undefined {
  const first = text.charCodeAt(start);
  if (first < 0x30 || first > 0x39) return undefined;
  if (first === 0x30) {
    const next = text.charCodeAt(start + 1);
    if (next >= 0x30 && next <= 0x39) return undefined; // leading zero
    return { value: 0, end: start + 1 };
  }
  let value = first - 0x30;
  let index = start + 1;
  while (index < text.length && index - start < 3) {
    const digit = text.charCodeAt(index);
    if (digit < 0x30 || digit > 0x39) break;
    value = value * 10 + (digit - 0x30);
    index += 1;
  }
  const after = text.charCodeAt(index);
  if (after >= 0x30 && after <= 0x39) return undefined; // more than three digits
  return { value, end: index };
}

/**
 * Parses the enhanced status code at the start of `text`, as RFC 3463 §2
 * writes it. Returns `undefined` for anything else; never throws.
 *
 * @param text - text that may begin with `X.Y.Z`
 * @returns the parsed code and its length in characters, or `undefined`
 * @example
 * ```ts
 * parseEnhancedStatusPrefix("5.1.1 User unknown"); // { status: { class: 5, subject: 1, detail: 1 }, length: 5 }
 * parseEnhancedStatusPrefix("5.01.1 x");           // undefined (leading zero)
 * ```
 */
export function parseEnhancedStatusPrefix(text: string): { status: EnhancedStatus; length: number } | undefined {
  const klass = text.charCodeAt(0);
  if (klass !== 0x32 && klass !== 0x34 && klass !== 0x35) return undefined;
  if (text.charCodeAt(1) !== 0x2e) return undefined;
  const subject = readNumber(text, 2);
  if (subject === undefined || text.charCodeAt(subject.end) !== 0x2e) return undefined;
  const detail = readNumber(text, subject.end + 1);
  if (detail === undefined) return undefined;
  return {
    status: { class: (klass - 0x30) as 2 | 4 | 5, subject: subject.value, detail: detail.value },
    length: detail.end,
  };
}

/**
 * Parses an enhanced status code that makes up the whole of `text`, strictly
 * (RFC 3463 §2: class 2, 4 or 5; subject and detail 0–999 without leading zeros).
 *
 * @param text - for example `"5.7.1"`
 * @returns the code, or `undefined` when `text` is not exactly one code
 * @example
 * ```ts
 * parseEnhancedStatus("4.2.2"); // { class: 4, subject: 2, detail: 2 }
 * parseEnhancedStatus("3.0.0"); // undefined
 * ```
 */
export function parseEnhancedStatus(text: string): EnhancedStatus | undefined {
  const parsed = parseEnhancedStatusPrefix(text);
  return parsed !== undefined && parsed.length === text.length ? parsed.status : undefined;
}

function isSubCode(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 999;
}

/**
 * Checks that a value is a well-formed enhanced status code: an object whose
 * class is 2, 4 or 5 and whose subject and detail are integers from 0 to 999.
 * Accepts any value (never throws), so it can guard untyped input.
 *
 * @param status - the value to check
 * @returns whether `status` is an {@link EnhancedStatus} in range
 * @example
 * ```ts
 * isEnhancedStatus({ class: 5, subject: 7, detail: 1 }); // true
 * isEnhancedStatus({ class: 3, subject: 0, detail: 0 }); // false
 * isEnhancedStatus(null);                                // false
 * ```
 */
export function isEnhancedStatus(status: unknown): status is EnhancedStatus {
  if (typeof status !== "object" || status === null) return false;
  const { class: klass, subject, detail } = status as Record<string, unknown>;
  return (klass === 2 || klass === 4 || klass === 5) && isSubCode(subject) && isSubCode(detail);
}

/**
 * Formats an enhanced status code as `X.Y.Z`.
 *
 * @param status - class, subject and detail
 * @returns the text form
 * @throws {@link CodesError} (`invalid-enhanced-status`) when a part is out of range
 * @example
 * ```ts
 * formatEnhancedStatus({ class: 5, subject: 1, detail: 1 }); // "5.1.1"
 * ```
 */
export function formatEnhancedStatus(status: EnhancedStatus): string {
  if (!isEnhancedStatus(status)) {
    throw new CodesError(
      "invalid-enhanced-status",
      status,
      "An enhanced status code has class 2, 4 or 5 and subject and detail from 0 to 999 (RFC 3463 §2)",
    );
  }
  return `${status.class}.${status.subject}.${status.detail}`;
}

const registry = new Map<string, EnhancedStatusEntry>(
  enhancedStatusCodes.map((entry) => [`${entry.subject}.${entry.detail}`, entry]),
);
const subjects = new Map(enhancedSubjects.map((subject) => [subject.subject, subject]));
const classes = new Map(enhancedClasses.map((klass) => [klass.class, klass]));

/**
 * Describes an enhanced status code from the IANA registry. A well-formed code
 * the registry lacks is described from its class and subject; a malformed one
 * gives `undefined`. Never throws.
 *
 * @param code - for example `"5.7.1"`, or an {@link EnhancedStatus}
 * @returns the description, or `undefined` when `code` is not well-formed
 * @example
 * ```ts
 * describeEnhancedStatus("5.7.1")?.title; // "Delivery not authorized, message refused"
 * describeEnhancedStatus("4.7.99")?.registered; // false
 * ```
 */
export function describeEnhancedStatus(code: string | EnhancedStatus): EnhancedStatusDescription | undefined {
  const status = typeof code === "string" ? parseEnhancedStatus(code) : isEnhancedStatus(code) ? code : undefined;
  if (status === undefined) return undefined;
  const klass = classes.get(status.class);
  const subject = subjects.get(status.subject);
  const entry = registry.get(`${status.subject}.${status.detail}`);
  const text = `${status.class}.${status.subject}.${status.detail}`;
  const classTitle = klass?.title ?? "";
  const base = {
    class: status.class,
    subject: status.subject,
    detail: status.detail,
    code: text,
    classTitle,
    subjectTitle: subject?.title,
  };
  if (entry === undefined) {
    return {
      ...base,
      registered: false,
      title: `${classTitle}: ${subject?.title ?? "unregistered subject"}`,
      description: subject?.description ?? "Neither the subject nor the detail is registered.",
      basicCodes: [],
      reference: "",
      classAllowed: true,
    };
  }
  const described: EnhancedStatusDescription = {
    ...base,
    registered: true,
    title: entry.title,
    description: entry.description,
    basicCodes: entry.basicCodes,
    reference: entry.reference,
    classAllowed: entry.classes.includes(status.class),
  };
  return entry.deprecated === undefined ? described : { ...described, deprecated: entry.deprecated };
}
