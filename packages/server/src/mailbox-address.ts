/**
 * The recipient as the relay policy and the Maildir store need it: the
 * forward-path the session's grammar parsed (RFC 5321 §4.1.2, with RFC
 * 6531's UTF-8; source routes already dropped, RFC 5321 §4.1.1.3 and
 * Appendix C), with the local part dequoted, and domains compared as
 * A-labels (RFC 5890).
 *
 * Parsing itself is the grammar's (`@smtpkit/grammar`); this module only
 * turns its `Mailbox` into the dequoted form and normalizes domains.
 *
 * @module
 */
import { domainToASCII } from "node:url";
import { isValidDomain, unquoteLocalPart, type Mailbox } from "@smtpkit/grammar";

/** A recipient mailbox, dequoted. */
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

// RFC 5321 §4.5.3.1.1–3: local part 64 octets, domain 255, path 256 (with "<" and ">").
/** The longest local part, in octets (RFC 5321 §4.5.3.1.1). */
export const MAX_LOCAL_PART_LENGTH = 64;
/** The longest domain, in octets (RFC 5321 §4.5.3.1.2). */
export const MAX_DOMAIN_LENGTH = 255;
/** The longest path, angle brackets included, in octets (RFC 5321 §4.5.3.1.3). */
export const MAX_PATH_LENGTH = 256;

const encoder = new TextEncoder();
/**
 * Whether text is a syntactically valid domain (grammar's `isValidDomain`,
 * U-labels allowed) of at most 255 octets. No trailing dot. Does not check
 * IDNA rules (see {@link normalizeDomain}).
 */
function isDomainSyntax(text: string): boolean {
  return encoder.encode(text).length <= MAX_DOMAIN_LENGTH && isValidDomain(text);
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

/**
 * The recipient as the relay policy and the store judge it, from the
 * `Mailbox` the session's grammar parsed: the grammar has already checked the
 * syntax and the RFC 5321 §4.5.3.1 lengths and dropped any source route
 * (RFC 5321 §4.1.1.3, Appendix C); this dequotes the local part
 * (`"john doe"@x` is the mailbox `john doe` at `x`, RFC 5321 §4.1.2).
 *
 * @param mailbox - a forward-path from a `recipient-requested` event or an envelope
 * @returns the final mailbox
 * @example
 * ```ts
 * import { mailboxAddress } from "@smtpkit/server";
 * mailboxAddress({ localPart: '"john doe"', domain: "example.org" }); // { localPart: "john doe", domain: "example.org" }
 * mailboxAddress({ localPart: "Postmaster", domain: "" });           // the bare <Postmaster>
 * ```
 */
export function mailboxAddress(mailbox: Mailbox): MailboxAddress {
  return { localPart: unquoteLocalPart(mailbox.localPart), domain: mailbox.domain };
}
