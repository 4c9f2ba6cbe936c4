/**
 * What Postfix's XCLIENT and XFORWARD attributes mean, checked and applied:
 * pure functions from the grammar's decoded `name=value` pairs (and the
 * identity so far) to the new identity, or the attribute at fault.
 *
 * The grammar already refused unknown names, names given twice, bad xtext,
 * controls and values over 255 characters; here each value is read for its
 * meaning, as Postfix's smtpd does (XCLIENT_README, XFORWARD_README):
 * `[UNAVAILABLE]` (and for NAME `[TEMPUNAVAIL]`) in any case, addresses as
 * IPv4 or `IPV6:`-prefixed IPv6 without brackets, ports as decimal numbers,
 * names as host names, PROTO as SMTP or ESMTP (XCLIENT) or up to 64
 * characters (XFORWARD), SOURCE as LOCAL or REMOTE.
 *
 * Lenient where Postfix is: characters that are special in message headers
 * (and whitespace, non-ASCII) in HELO, PROTO and IDENT values are replaced
 * with `?` instead of refusing the command, so a strange upstream name never
 * fails a delivery but never reaches a header as written either.
 *
 * Not here: who may send these commands (configuration), session state.
 *
 * @module
 */
import { isValidDomain, parseAddressLiteral, type XAttribute, type XclientAttributeName, type XforwardAttributeName } from "@smtpkit/grammar";
import type { ConnectionInfo, ForwardedClient, XclientAttributes } from "./server-events.js";

/** The longest XFORWARD PROTO value (XFORWARD_README: "up to 64 characters"). */
const maxForwardedProtocolLength = 64;

/** The outcome of reading one command's attributes: the new values, or the attribute at fault (501). Internal. */
export type FrontEndResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly attribute: string };

/** XCLIENT_README note 2: the special values in any case. */
function isSpecial(value: string, special: "[UNAVAILABLE]" | "[TEMPUNAVAIL]"): boolean {
  return value.length === special.length && value.toUpperCase() === special;
}

/** An ADDR/DESTADDR value: IPv4, or IPv6 with its `IPV6:` prefix; returned as plain address text. */
function readAddress(value: string): string | undefined {
  const literal = parseAddressLiteral(`[${value}]`);
  if (literal === undefined || literal.kind === "general") return undefined;
  return literal.address;
}

/** A PORT/DESTPORT value: a decimal TCP port. */
function readPort(value: string): number | undefined {
  if (value.length === 0 || value.length > 5) return undefined;
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const port = Number(value);
  return port <= 65_535 ? port : undefined;
}

/**
 * A value bound for logs and headers: whitespace, non-ASCII and the
 * characters special in header fields become `?` (Postfix's NEUTER_CHARACTERS
 * treatment of HELO, PROTO and IDENT).
 */
function neutered(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    const special = c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x28 || c === 0x29 || c === 0x5c || c === 0x22 || c === 0x3b || c === 0x40 || c === 0x3a || c === 0x2c || c === 0x5b || c === 0x5d;
    out += special ? "?" : value[i];
  }
  return out;
}

/** The identity a session starts with: what `connect` was told, no XCLIENT yet. Internal. */
export function initialXclient(frontEnd: ConnectionInfo): XclientAttributes {
  return { frontEnd, name: undefined, nameStatus: "not-given", helo: undefined, protocol: undefined, login: undefined };
}

/**
 * Applies an XCLIENT's attributes. NAME, ADDR, PORT, DESTADDR and DESTPORT
 * keep their earlier values when not given; HELO, PROTO and LOGIN are reset
 * (Postfix's `helo_reset`, protocol back to SMTP, `smtpd_sasl_auth_reset`).
 * Internal.
 *
 * @param connection - the client's addresses so far
 * @param current - the other attributes so far
 * @param attributes - the command's attributes, decoded by the grammar
 * @returns the new addresses and attributes, or the attribute at fault
 */
export function applyXclient(
  connection: ConnectionInfo,
  current: XclientAttributes,
  attributes: readonly XAttribute<XclientAttributeName>[],
): FrontEndResult<{ readonly connection: ConnectionInfo; readonly attributes: XclientAttributes }> {
  const next: { -readonly [K in keyof ConnectionInfo]: ConnectionInfo[K] } = { ...connection };
  let { name, nameStatus } = current;
  let helo: string | undefined;
  let protocol: "SMTP" | "ESMTP" | undefined;
  let login: string | undefined;
  for (const { name: attribute, value } of attributes) {
    const unavailable = isSpecial(value, "[UNAVAILABLE]");
    switch (attribute) {
      case "NAME":
        if (unavailable || isSpecial(value, "[TEMPUNAVAIL]")) {
          name = undefined;
          nameStatus = unavailable ? "unavailable" : "temporarily-unavailable";
        } else {
          if (!isValidDomain(value, false)) return { ok: false, attribute };
          name = value;
          nameStatus = "known";
        }
        break;
      case "ADDR":
      case "DESTADDR": {
        // Postfix keeps "unknown" for an unavailable address; so does the session (it is not an IP address).
        const address = unavailable ? "unknown" : readAddress(value);
        if (address === undefined) return { ok: false, attribute };
        if (attribute === "ADDR") next.remoteAddress = address;
        else next.localAddress = address;
        break;
      }
      case "PORT":
      case "DESTPORT": {
        const port = unavailable ? undefined : readPort(value);
        if (port === undefined && !unavailable) return { ok: false, attribute };
        const key = attribute === "PORT" ? "remotePort" : "localPort";
        if (port === undefined) delete next[key];
        else next[key] = port;
        break;
      }
      case "HELO":
        helo = unavailable ? undefined : neutered(value);
        break;
      case "PROTO": {
        const upper = value.toUpperCase();
        if (upper !== "SMTP" && upper !== "ESMTP") return { ok: false, attribute };
        protocol = upper;
        break;
      }
      case "LOGIN":
        // An empty login names nobody: it must not count as authenticated (Postfix's
        // permit_sasl_authenticated also wants a non-empty SASL user name).
        login = unavailable || value.length === 0 ? undefined : value;
        break;
    }
  }
  return { ok: true, value: { connection: next, attributes: { frontEnd: current.frontEnd, name, nameStatus, helo, protocol, login } } };
}

/** Nothing forwarded: every attribute unavailable (XFORWARD_README: the state after the first XFORWARD). Internal. */
export const noForwardedClient: ForwardedClient = Object.freeze({
  name: undefined,
  address: undefined,
  port: undefined,
  protocol: undefined,
  helo: undefined,
  ident: undefined,
  source: undefined,
});

/**
 * Applies an XFORWARD's attributes over those already forwarded for the next
 * transaction: given ones overwrite, `[UNAVAILABLE]` erases, others stay
 * (XFORWARD_README "Server operation"). Internal.
 *
 * @param current - what was forwarded so far ({@link noForwardedClient} at first)
 * @param attributes - the command's attributes, decoded by the grammar
 * @returns the new attributes, or the attribute at fault
 */
export function applyXforward(current: ForwardedClient, attributes: readonly XAttribute<XforwardAttributeName>[]): FrontEndResult<ForwardedClient> {
  const next: { -readonly [K in keyof ForwardedClient]: ForwardedClient[K] } = { ...current };
  for (const { name: attribute, value } of attributes) {
    const unavailable = isSpecial(value, "[UNAVAILABLE]");
    switch (attribute) {
      case "NAME":
        if (!unavailable && !isValidDomain(value, false)) return { ok: false, attribute };
        next.name = unavailable ? undefined : value;
        break;
      case "ADDR": {
        const address = unavailable ? undefined : readAddress(value);
        if (address === undefined && !unavailable) return { ok: false, attribute };
        next.address = address;
        break;
      }
      case "PORT": {
        const port = unavailable ? undefined : readPort(value);
        if (port === undefined && !unavailable) return { ok: false, attribute };
        next.port = port;
        break;
      }
      case "PROTO":
        if (value.length > maxForwardedProtocolLength) return { ok: false, attribute };
        next.protocol = unavailable ? undefined : neutered(value);
        break;
      case "HELO":
        next.helo = unavailable ? undefined : neutered(value);
        break;
      case "IDENT":
        next.ident = unavailable ? undefined : neutered(value);
        break;
      case "SOURCE": {
        const upper = value.toUpperCase();
        if (!unavailable && upper !== "LOCAL" && upper !== "REMOTE") return { ok: false, attribute };
        next.source = unavailable ? undefined : (upper as "LOCAL" | "REMOTE");
        break;
      }
    }
  }
  return { ok: true, value: next };
}
