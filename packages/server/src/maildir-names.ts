/**
 * Names in a Maildir: the unique file names of the Maildir specification
 * (D. J. Bernstein, "Using maildir format", cr.yp.to/proto/maildir.html) and
 * the mapping from a recipient to a mailbox directory that can never leave
 * the store's root.
 *
 * Pure: the time, process id, counter, random part and host name are inputs.
 *
 * @module
 */
import type { MailboxAddress } from "./mailbox-address.js";
import { normalizeDomain } from "./mailbox-address.js";

/** The parts of a unique Maildir file name. */
export interface UniqueNameParts {
  /** Milliseconds since the epoch (with a fraction for microseconds, if known). */
  readonly time: number;
  /** The delivering process's id. */
  readonly processId: number;
  /** This process's delivery counter. */
  readonly counter: number;
  /** Random hex digits, so that two hosts with one name and pid still differ. */
  readonly random: string;
  /** The host name, unescaped. */
  readonly hostname: string;
}

/**
 * Escapes a host name for the right-hand part of a Maildir name: the spec
 * replaces `/` with `\057` and `:` with `\072` (`:` starts the info part in
 * `cur/`); we also replace `,` with `\054`, since Dovecot reads `,S=` and
 * `,W=` fields from the name.
 *
 * @param hostname - the host name
 * @returns the escaped host name
 * @example
 * ```ts
 * escapeMaildirHostname("mx:1/a,b"); // "mx\\0721\\057a\\054b"
 * ```
 */
export function escapeMaildirHostname(hostname: string): string {
  let out = "";
  for (const character of hostname) {
    if (character === "/") out += "\\057";
    else if (character === ":") out += "\\072";
    else if (character === ",") out += "\\054";
    else out += character;
  }
  return out;
}

/**
 * Builds a unique Maildir name, `<seconds>.M<microseconds>P<pid>Q<counter>R<random>.<host>`:
 * the left part is the time in seconds, the middle says how it is unique
 * (the spec's `M`, `P`, `Q` and `R` fields), the right part is the host.
 *
 * @param parts - time, process, counter, random part, host name
 * @returns the name (for `tmp/`; `new/` adds `,S=<size>`)
 * @example
 * ```ts
 * uniqueMaildirName({ time: 1_795_000_000_123, processId: 42, counter: 7, random: "0f3a", hostname: "mx" });
 * // "1795000000.M123000P42Q7R0f3a.mx"
 * ```
 */
export function uniqueMaildirName(parts: UniqueNameParts): string {
  const seconds = Math.floor(parts.time / 1000);
  const microseconds = Math.floor((parts.time - seconds * 1000) * 1000);
  return `${seconds}.M${microseconds}P${parts.processId}Q${parts.counter}R${parts.random}.${escapeMaildirHostname(parts.hostname)}`;
}

/** How local parts are case-folded when they become directory names. */
export type LocalPartCase =
  /** ASCII letters lowered (`Bob` and `bob` share a mailbox); the default. */
  | "lower"
  /** Kept as given (RFC 5321 §2.4 lets the final host treat local parts as case-sensitive). */
  | "preserve";

/** Why a recipient has no safe mailbox directory. */
export type MailboxNameProblem =
  | "empty"
  | "dot-segment"
  | "leading-dot"
  | "separator"
  | "control-character"
  | "too-long"
  | "address-literal"
  | "invalid-domain";

/** The longest directory name segment, in UTF-8 bytes (NAME_MAX on Linux). */
export const MAX_PATH_SEGMENT_LENGTH = 255;

const encoder = new TextEncoder();

/**
 * Checks one directory-name segment: it must not be able to leave its parent
 * or hide: no `/`, `\`, NUL or other control character (C0, DEL, C1), not
 * empty, not `.` or `..`, no leading `.` (Maildir++ folders and hidden
 * files), at most 255 bytes.
 *
 * @param segment - a would-be directory name
 * @returns `undefined` when safe, else the problem
 * @example
 * ```ts
 * checkPathSegment("bob");  // undefined
 * checkPathSegment("..");   // "dot-segment"
 * checkPathSegment("a/b");  // "separator"
 * ```
 */
export function checkPathSegment(segment: string): MailboxNameProblem | undefined {
  if (segment.length === 0) return "empty";
  if (segment === "." || segment === "..") return "dot-segment";
  if (segment.startsWith(".")) return "leading-dot";
  for (let index = 0; index < segment.length; index += 1) {
    const code = segment.charCodeAt(index);
    if (code === 0x2f || code === 0x5c) return "separator";
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return "control-character";
  }
  if (encoder.encode(segment).length > MAX_PATH_SEGMENT_LENGTH) return "too-long";
  return undefined;
}

/** The result of mapping a recipient to a mailbox directory. */
export type MailboxPathResult =
  | {
      readonly ok: true;
      /** Directory names under the root, each checked by {@link checkPathSegment}. */
      readonly segments: readonly string[];
    }
  | { readonly ok: false; readonly problem: MailboxNameProblem };

/**
 * The default mapping: `<domain>/<local-part>` under the root, the domain as
 * a lower-case A-label, the local part dequoted, NFC-normalized and (by
 * default) with ASCII letters lowered. Address literals and the bare
 * `<Postmaster>` have no domain directory unless `postmasterDomain` is given
 * for the latter.
 *
 * Dovecot serves this layout with `mail_location = maildir:<root>/%Ld/%Ln`
 * (users log in as `local-part@domain`).
 *
 * @param recipient - the final recipient
 * @param options - case folding and the domain for `<Postmaster>`
 * @returns the directory segments, or the problem
 * @example
 * ```ts
 * defaultMailboxPath({ localPart: "Bob", domain: "Example.ORG" });        // { ok: true, segments: ["example.org", "bob"] }
 * defaultMailboxPath({ localPart: "../etc", domain: "example.org" }).ok;  // false
 * ```
 */
export function defaultMailboxPath(
  recipient: MailboxAddress,
  options: { readonly localPartCase?: LocalPartCase; readonly postmasterDomain?: string } = {},
): MailboxPathResult {
  let domainText = recipient.domain;
  if (domainText === "" && options.postmasterDomain !== undefined) domainText = options.postmasterDomain;
  if (domainText.startsWith("[")) return { ok: false, problem: "address-literal" };
  const domain = normalizeDomain(domainText);
  if (domain === undefined) return { ok: false, problem: "invalid-domain" };
  const normalized = recipient.localPart.normalize("NFC");
  const local = options.localPartCase === "preserve" ? normalized : lowerAscii(normalized);
  const segments = [domain, local];
  for (const segment of segments) {
    const problem = checkPathSegment(segment);
    if (problem !== undefined) return { ok: false, problem };
  }
  return { ok: true, segments };
}

// Only ASCII letters: Unicode case mapping depends on the Unicode version
// and can change length, which would make mailbox names unstable.
function lowerAscii(text: string): string {
  let out = "";
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    out += code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : text[index];
  }
  return out;
}
