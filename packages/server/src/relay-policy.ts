/**
 * The relay policy: which recipients a server accepts from which clients, so
 * that it is never an open relay (RFC 5321 §3.6.2, RFC 2505 §2.2).
 *
 * - Mail for a local domain (or the bare `<Postmaster>`, or an address
 *   literal naming one of this server's own addresses) is accepted from
 *   anyone.
 * - Mail that would leave is accepted only from clients that authenticated or
 *   connect from a trusted network.
 * - Everything else is refused with `RelayDenied`, including the classic
 *   tricks that hide a remote destination in a local-looking address (see
 *   Postfix's `allow_percent_hack`, `swap_bangpath` and
 *   `resolve_dequoted_address`): `user%remote@local`, `remote!user@local` and
 *   `"user@remote"@local`. This server never interprets those characters, but
 *   a delivery agent behind it might, so from untrusted clients they are
 *   refused even for local domains (switch off with
 *   `allowRoutingCharactersInLocalParts`).
 *
 * The decision is made on the final forward-path: source routes dropped and
 * the local part dequoted ({@link mailboxAddress} gives that from the grammar's parse). Domains are
 * compared case-insensitively as A-labels, so `bücher.example` and
 * `xn--bcher-kva.example` are one domain.
 *
 * Pure: no DNS, no I/O. Does not check that the mailbox exists (the store or
 * the embedder's RCPT hook does).
 *
 * @module
 */
import { Situations, type Situation } from "@smtpkit/codes";
import { blockContains, parseIpAddress, parseIpBlock, sameAddress, type IpBlock } from "./ip-address.js";
import { normalizeDomain, type MailboxAddress } from "./mailbox-address.js";
import { ServerUsageError } from "./server-usage-error.js";

/** Configuration of {@link createRelayPolicy}. */
export interface RelayPolicyOptions {
  /** The domains this server delivers for (case-insensitive; U-labels or A-labels). */
  readonly localDomains: readonly string[];
  /**
   * This server's own IP addresses: an address literal naming one
   * (`postmaster@[192.0.2.25]`) is local (RFC 5321 §4.1.3). Default none.
   */
  readonly ownAddresses?: readonly string[];
  /**
   * Client networks allowed to relay without authentication, as CIDR blocks
   * or single addresses (`127.0.0.0/8`, `::1`, `2001:db8::/32`). IPv4 blocks
   * also match IPv4-mapped IPv6 clients (`::ffff:127.0.0.1`). Default none:
   * like Postfix's `mynetworks`, keep it to hosts you administer.
   */
  readonly trustedNetworks?: readonly string[];
  /**
   * Accept `%`, `!` and `@` in local parts of local recipients from
   * untrusted clients. Default `false`: a downstream agent that honours the
   * percent hack or bang paths would turn them into relaying.
   */
  readonly allowRoutingCharactersInLocalParts?: boolean;
}

/** The client and recipient being judged. */
export interface RelayRequest {
  /** The final recipient (source route dropped, local part dequoted). */
  readonly recipient: MailboxAddress;
  /** The client's IP address as the socket (or a trusted PROXY header) reports it. */
  readonly clientAddress: string;
  /** Whether the client authenticated with AUTH. */
  readonly authenticated: boolean;
}

/** Why a recipient was accepted. */
export type RelayAcceptReason = "local-domain" | "own-address-literal" | "postmaster" | "authenticated" | "trusted-network";

/** Why a recipient was refused. */
export type RelayRefuseReason =
  /** The mail would leave and the client may not relay. */
  | "relay-denied"
  /** `%`, `!` or `@` in the local part: sender-specified routing. */
  | "sender-specified-routing"
  /** An address literal that is not one of this server's addresses. */
  | "foreign-address-literal";

/** The policy's answer for one recipient. */
export type RelayDecision =
  | {
      readonly type: "accept";
      /** Whether the recipient is delivered here or relayed onward. */
      readonly destination: "local" | "remote";
      /** Why. */
      readonly reason: RelayAcceptReason;
    }
  | {
      readonly type: "refuse";
      /** Why. */
      readonly reason: RelayRefuseReason;
      /** The reply: always `Situations.RelayDenied` of `@smtpkit/codes` (550 5.7.1). */
      readonly situation: Situation;
    };

/** A compiled relay policy. */
export interface RelayPolicy {
  /**
   * Judges one recipient for one client.
   *
   * @param request - recipient, client address, authentication
   * @returns accept (local or remote) or refuse with `RelayDenied`
   */
  check(request: RelayRequest): RelayDecision;
  /**
   * Whether a recipient is delivered here: a local domain, one of our
   * address literals, or the bare `<Postmaster>`.
   *
   * @param recipient - the final recipient
   * @returns `true` for local recipients
   */
  isLocal(recipient: MailboxAddress): boolean;
}

function refuse(reason: RelayRefuseReason): RelayDecision {
  return { type: "refuse", reason, situation: Situations.RelayDenied };
}

/**
 * Whether a local part carries sender-specified routing: `%` (the percent
 * hack), `!` (UUCP bang paths) or `@` (possible only when quoted).
 *
 * @param localPart - a dequoted local part
 * @returns `true` when any of the three characters occurs
 * @example
 * ```ts
 * hasRoutingCharacters("user%remote.example"); // true
 * hasRoutingCharacters("first.last+tag");       // false
 * ```
 */
export function hasRoutingCharacters(localPart: string): boolean {
  return localPart.includes("%") || localPart.includes("!") || localPart.includes("@");
}

/**
 * Compiles a relay policy. Configuration errors throw at once, so a typo in
 * the trusted networks cannot silently widen or empty them.
 *
 * @param options - local domains, own addresses, trusted networks
 * @returns the policy
 * @throws {@link ServerUsageError} (`invalid-domain`, `invalid-cidr`) for a local domain or network that does not parse
 * @example
 * ```ts
 * const policy = createRelayPolicy({ localDomains: ["example.org"], trustedNetworks: ["127.0.0.0/8", "::1"] });
 * const recipient = { localPart: "bob", domain: "elsewhere.example" };
 * policy.check({ recipient, clientAddress: "203.0.113.9", authenticated: false }).type; // "refuse"
 * policy.check({ recipient, clientAddress: "127.0.0.1", authenticated: false }).type;   // "accept"
 * ```
 */
export function createRelayPolicy(options: RelayPolicyOptions): RelayPolicy {
  const localDomains = new Set<string>();
  for (const domain of options.localDomains) {
    const normalized = normalizeDomain(domain);
    if (normalized === undefined) {
      throw new ServerUsageError("invalid-domain", "localDomains", domain, `not a domain name: ${JSON.stringify(domain)}`);
    }
    localDomains.add(normalized);
  }
  const ownAddresses: Uint8Array[] = [];
  for (const address of options.ownAddresses ?? []) {
    const parsed = parseIpAddress(address);
    if (parsed === undefined) {
      throw new ServerUsageError("invalid-cidr", "ownAddresses", address, `not an IP address: ${JSON.stringify(address)}`);
    }
    ownAddresses.push(parsed.bytes);
  }
  const trusted: IpBlock[] = [];
  for (const network of options.trustedNetworks ?? []) {
    const block = parseIpBlock(network);
    if (block === undefined) {
      throw new ServerUsageError(
        "invalid-cidr",
        "trustedNetworks",
        network,
        `not a CIDR block with its host bits clear, nor an address: ${JSON.stringify(network)}`,
      );
    }
    trusted.push(block);
  }
  const allowRouting = options.allowRoutingCharactersInLocalParts === true;

  function classify(recipient: MailboxAddress): RelayAcceptReason | "remote" | "foreign-address-literal" {
    const { domain } = recipient;
    if (domain === "") return recipient.localPart.toLowerCase() === "postmaster" ? "postmaster" : "remote";
    if (domain.startsWith("[")) {
      // RFC 5321 §4.1.3: "[" IPv4 "]" or "[IPv6:" IPv6 "]"; the tag is case-insensitive.
      const inner = domain.slice(1, -1);
      const text = inner.slice(0, 5).toLowerCase() === "ipv6:" ? inner.slice(5) : inner;
      const parsed = parseIpAddress(text);
      const isIPv6Tag = text !== inner;
      if (parsed === undefined || (parsed.family === 6) !== isIPv6Tag) return "foreign-address-literal";
      return ownAddresses.some((own) => sameAddress(own, parsed.bytes)) ? "own-address-literal" : "foreign-address-literal";
    }
    const normalized = normalizeDomain(domain);
    return normalized !== undefined && localDomains.has(normalized) ? "local-domain" : "remote";
  }

  function isTrusted(clientAddress: string): boolean {
    // A zone index ("fe80::1%eth0") comes from our own socket, not the peer.
    const percent = clientAddress.indexOf("%");
    const parsed = parseIpAddress(percent < 0 ? clientAddress : clientAddress.slice(0, percent));
    return parsed !== undefined && trusted.some((block) => blockContains(block, parsed.bytes));
  }

  return {
    isLocal(recipient) {
      const kind = classify(recipient);
      return kind !== "remote" && kind !== "foreign-address-literal";
    },
    check(request) {
      const kind = classify(request.recipient);
      const local = kind !== "remote" && kind !== "foreign-address-literal";
      // Authenticated and trusted clients may send anywhere (Postfix's
      // permit_sasl_authenticated and permit_mynetworks come before
      // reject_unauth_destination).
      if (request.authenticated) return { type: "accept", destination: local ? "local" : "remote", reason: "authenticated" };
      if (isTrusted(request.clientAddress)) {
        return { type: "accept", destination: local ? "local" : "remote", reason: "trusted-network" };
      }
      if (!local) return refuse(kind === "foreign-address-literal" ? "foreign-address-literal" : "relay-denied");
      if (!allowRouting && hasRoutingCharacters(request.recipient.localPart)) return refuse("sender-specified-routing");
      return { type: "accept", destination: "local", reason: kind };
    },
  };
}
