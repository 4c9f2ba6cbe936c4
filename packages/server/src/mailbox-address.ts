/**
 * The recipient as the relay policy and the Maildir store need it: the
 * RCPT TO forward-path parsed (RFC 5321 §4.1.2, with RFC 6531's UTF-8),
 * source routes dropped (RFC 5321 §4.1.1.3, Appendix C), the local part
 * dequoted, and domains compared as A-labels (RFC 5890).
 *
 * A strict hand-written scanner with the RFC 5321 §4.5.3.1 length limits;
 * text from the network never throws. It does not parse ESMTP parameters
 * after the path (the session's grammar does).
 *
 * @module
 */
import { domainToASCII } from "node:url";

/** A recipient mailbox after parsing. */
export interface MailboxAddress {
  /** The local part, dequoted: `"john doe"@x` has the local part `john doe`. */
  readonly localPart: string;
  /**
   * The domain as written: a domain name (possibly with U-labels), an address
   * literal with its brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), or `""`
   * for the bare `<Postmaster>` of RFC 5321 §4.1.1.3.
   */
  readonly domain: string;
}

/** Why a path did not parse. */
export type PathErrorReason =
  | "missing-brackets"
  | "invalid-source-route"
  | "invalid-local-part"
  | "invalid-domain"
  | "invalid-address-literal"
  | "local-part-too-long"
  | "domain-too-long"
  | "path-too-long";

/** The result of {@link parseForwardPath}. */
export type PathParseResult =
  | {
      readonly ok: true;
      /** The final mailbox. */
      readonly mailbox: MailboxAddress;
      /** The dropped source route's domains, in order (usually empty). */
      readonly sourceRoute: readonly string[];
    }
  | { readonly ok: false; readonly reason: PathErrorReason };

// RFC 5321 §4.5.3.1.1–3: local part 64 octets, domain 255, path 256 (with "<" and ">").
/** The longest local part, in octets (RFC 5321 §4.5.3.1.1). */
export const MAX_LOCAL_PART_LENGTH = 64;
/** The longest domain, in octets (RFC 5321 §4.5.3.1.2). */
export const MAX_DOMAIN_LENGTH = 255;
/** The longest path, angle brackets included, in octets (RFC 5321 §4.5.3.1.3). */
export const MAX_PATH_LENGTH = 256;

const encoder = new TextEncoder();
const atextSpecials = "!#$%&'*+-/=?^_`{|}~";

// RFC 5321 §4.1.2 atext (from RFC 5322 §3.2.3), with RFC 6531 §3.3 UTF8-non-ascii.
function isAtext(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code >= 0x80 ||
    atextSpecials.includes(String.fromCharCode(code))
  );
}

function isLetterDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * Whether text is a syntactically valid domain: RFC 5321 §4.1.2
 * `sub-domain *("." sub-domain)` with `Let-dig [Ldh-str]` labels of at most
 * 63 octets, or U-labels (RFC 6531 §3.3) of non-ASCII characters. No
 * trailing dot. Does not check IDNA rules (see {@link normalizeDomain}).
 */
function isDomainSyntax(text: string): boolean {
  if (text.length === 0 || encoder.encode(text).length > MAX_DOMAIN_LENGTH) return false;
  let labelStart = 0;
  for (let index = 0; index <= text.length; index += 1) {
    const code = index < text.length ? text.charCodeAt(index) : 0x2e;
    if (code === 0x2e) {
      const length = index - labelStart;
      if (length === 0 || length > 63) return false;
      if (text.charCodeAt(labelStart) === 0x2d || text.charCodeAt(index - 1) === 0x2d) return false;
      labelStart = index + 1;
      continue;
    }
    if (!(isLetterDigit(code) || code === 0x2d || code >= 0x80)) return false;
  }
  return true;
}

/**
 * Normalizes a domain name for comparison: ASCII lower case, U-labels
 * converted to A-labels (UTS #46 processing, as RFC 5891 lookup expects), one
 * trailing dot removed. Address literals and anything that is not a domain
 * give `undefined`.
 *
 * Syntax is checked before IDNA processing, so that URL host quirks (such as
 * `0x7f.1` read as an IPv4 address) never turn one name into another.
 *
 * @param domain - a domain as written
 * @returns the comparable A-label form, or `undefined`
 * @example
 * ```ts
 * normalizeDomain("Example.ORG");        // "example.org"
 * normalizeDomain("bücher.example");     // "xn--bcher-kva.example"
 * normalizeDomain("example.org.");       // "example.org"
 * normalizeDomain("exa mple.org");       // undefined
 * ```
 */
export function normalizeDomain(domain: string): string | undefined {
  const text = domain.endsWith(".") ? domain.slice(0, -1) : domain;
  if (!isDomainSyntax(text)) return undefined;
  let ascii = true;
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) >= 0x80) ascii = false;
  const lowered = text.toLowerCase();
  if (ascii) return lowered;
  const converted = domainToASCII(lowered);
  // The result must again be an LDH domain; an empty string means IDNA refused it.
  if (converted.length === 0 || converted.endsWith(".") || !isDomainSyntax(converted)) return undefined;
  for (let index = 0; index < converted.length; index += 1) if (converted.charCodeAt(index) >= 0x80) return undefined;
  return converted;
}

// RFC 5321 §4.1.3: address-literal = "[" ( IPv4-address-literal /
// IPv6-address-literal / General-address-literal ) "]"; the content is
// checked for printable ASCII without "[", "]" or "\" (dcontent, %d33-90 / %d94-126).
function isAddressLiteralSyntax(text: string): boolean {
  if (text.length < 3 || !text.startsWith("[") || !text.endsWith("]")) return false;
  for (let index = 1; index < text.length - 1; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 33 || code > 126 || code === 0x5b || code === 0x5c || code === 0x5d) return false;
  }
  return true;
}

/**
 * Parses a forward-path as RCPT TO carries it: `<user@example.org>`, with an
 * optional source route that is dropped (`<@relay.example:user@example.org>`
 * means `user@example.org`, RFC 5321 §4.1.1.3 and Appendix C), a quoted local
 * part that is dequoted, or the bare `<Postmaster>`.
 *
 * Strict: an unquoted second `@` (`<user@other@example.org>`) is a syntax
 * error here, as RFC 5321's grammar has it; the quoted form
 * (`<"user@other"@example.org>`) parses, and the relay policy judges it.
 *
 * @param text - the path with its angle brackets
 * @returns the mailbox and the dropped route, or the reason it did not parse
 * @example
 * ```ts
 * parseForwardPath("<@relay.example:Bob@Example.org>");
 * // { ok: true, mailbox: { localPart: "Bob", domain: "Example.org" }, sourceRoute: ["relay.example"] }
 * parseForwardPath('<"john doe"@example.org>').ok; // true, localPart "john doe"
 * parseForwardPath("<a@b@example.org>").ok;       // false
 * ```
 */
export function parseForwardPath(text: string): PathParseResult {
  if (text.length < 2 || !text.startsWith("<") || !text.endsWith(">")) return { ok: false, reason: "missing-brackets" };
  if (encoder.encode(text).length > MAX_PATH_LENGTH) return { ok: false, reason: "path-too-long" };
  let body = text.slice(1, -1);

  // A-d-l = At-domain *( "," At-domain ) ":"; At-domain = "@" Domain
  const sourceRoute: string[] = [];
  if (body.startsWith("@")) {
    const colon = body.indexOf(":");
    if (colon < 0) return { ok: false, reason: "invalid-source-route" };
    for (const hop of body.slice(0, colon).split(",")) {
      if (!hop.startsWith("@")) return { ok: false, reason: "invalid-source-route" };
      const domain = hop.slice(1);
      if (!isDomainSyntax(domain) && !isAddressLiteralSyntax(domain)) return { ok: false, reason: "invalid-source-route" };
      sourceRoute.push(domain);
    }
    body = body.slice(colon + 1);
  }

  // RFC 5321 §4.1.1.3: the bare "Postmaster" (case-insensitive) must be accepted.
  if (sourceRoute.length === 0 && body.toLowerCase() === "postmaster") {
    return { ok: true, mailbox: { localPart: body, domain: "" }, sourceRoute };
  }

  const local = readLocalPart(body);
  if (local === undefined) return { ok: false, reason: "invalid-local-part" };
  if (body.charCodeAt(local.end) !== 0x40) return { ok: false, reason: "invalid-local-part" };
  if (encoder.encode(body.slice(0, local.end)).length > MAX_LOCAL_PART_LENGTH) {
    return { ok: false, reason: "local-part-too-long" };
  }
  const domain = body.slice(local.end + 1);
  if (domain.startsWith("[")) {
    if (!isAddressLiteralSyntax(domain)) return { ok: false, reason: "invalid-address-literal" };
  } else if (!isDomainSyntax(domain)) {
    return { ok: false, reason: encoder.encode(domain).length > MAX_DOMAIN_LENGTH ? "domain-too-long" : "invalid-domain" };
  }
  return { ok: true, mailbox: { localPart: local.value, domain }, sourceRoute };
}

// Local-part = Dot-string / Quoted-string
// Dot-string = Atom *("." Atom)
// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
// qtextSMTP = %d32-33 / %d35-91 / %d93-126 (and UTF8-non-ascii, RFC 6531)
// quoted-pairSMTP = %d92 %d32-126
function readLocalPart(text: string): { value: string; end: number } | undefined {
  if (text.charCodeAt(0) === 0x22) {
    let value = "";
    for (let index = 1; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code === 0x22) return { value, end: index + 1 };
      if (code === 0x5c) {
        const next = text.charCodeAt(index + 1);
        if (!(next >= 32 && next <= 126)) return undefined;
        value += text[index + 1];
        index += 1;
        continue;
      }
      if (code < 32 || code === 0x7f) return undefined;
      value += text[index];
    }
    return undefined;
  }
  let index = 0;
  let atomLength = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 0x2e) {
      if (atomLength === 0) return undefined;
      atomLength = 0;
    } else if (isAtext(code)) {
      atomLength += 1;
    } else {
      break;
    }
    index += 1;
  }
  if (atomLength === 0) return undefined;
  return { value: text.slice(0, index), end: index };
}
