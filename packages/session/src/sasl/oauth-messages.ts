/**
 * The message syntax of the two OAuth 2.0 bearer-token mechanisms:
 * OAUTHBEARER (RFC 7628 §3.1) and Google's XOAUTH2
 * (developers.google.com/gmail/imap/xoauth2-protocol). Parsers return plain
 * data or `undefined` and never throw.
 *
 * Internal: not exported from the package.
 *
 * @module
 */
import { formatGs2Header, parseGs2Header } from "./scram-messages.js";

/** RFC 7628 §3.1: `kvsep = %x01`. */
export const KVSEP = "\u0001";

/** The fields of a client's OAuth message. */
export interface OAuthClientMessage {
  readonly username: string | undefined;
  readonly token: string;
  readonly host: string | undefined;
  readonly port: number | undefined;
}

/**
 * RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
 * Checked with a loop, since the token is attacker-controlled.
 */
export function isBearerToken(token: string): boolean {
  let index = 0;
  for (; index < token.length; index++) {
    const code = token.charCodeAt(index);
    const ok =
      (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x30 && code <= 0x39) ||
      code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e || code === 0x2b || code === 0x2f;
    if (!ok) break;
  }
  if (index === 0) return false;
  for (; index < token.length; index++) if (token.charCodeAt(index) !== 0x3d) return false;
  return true;
}

/** RFC 7628 §3.1: `auth-value = "Bearer" 1*SP b64token` (scheme case-insensitive, RFC 6750 §2.1). */
function parseAuthValue(value: string): string | undefined {
  if (value.length < 8 || value.slice(0, 6).toLowerCase() !== "bearer" || value[6] !== " ") return undefined;
  let start = 7;
  while (value[start] === " ") start++;
  const token = value.slice(start);
  return isBearerToken(token) ? token : undefined;
}

/**
 * Parses `key=value` pairs each ended by %x01, refusing duplicates and
 * characters RFC 7628 §3.1 does not allow (`key = 1*(ALPHA)`,
 * `value = *(VCHAR / SP / HTAB / CR / LF)`). XOAUTH2 has no ABNF; its
 * `user=` is an e-mail address, which may be internationalized (RFC 6531),
 * so with `allowUtf8` non-ASCII characters (but no C1 controls) pass too.
 */
function parsePairs(text: string, allowUtf8 = false): Map<string, string> | undefined {
  const pairs = new Map<string, string>();
  if (text === "") return pairs;
  if (!text.endsWith(KVSEP)) return undefined;
  for (const pair of text.slice(0, -1).split(KVSEP)) {
    const equals = pair.indexOf("=");
    if (equals < 1) return undefined;
    const key = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (!/^[A-Za-z]{1,32}$/.test(key) || pairs.has(key)) return undefined;
    for (let index = 0; index < value.length; index++) {
      const code = value.charCodeAt(index);
      const ascii = (code >= 0x20 && code <= 0x7e) || code === 0x09 || code === 0x0a || code === 0x0d;
      if (!ascii && !(allowUtf8 && code >= 0xa0)) return undefined;
    }
    pairs.set(key, value);
  }
  return pairs;
}

/**
 * RFC 7628 §3.1: `client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep`;
 * the lone kvsep is the answer to an error challenge and is not parsed here.
 * OAUTHBEARER does not support channel binding, so `p=` is refused.
 */
export function parseOAuthBearer(text: string): OAuthClientMessage | undefined {
  const parts = text.split(",", 2);
  const header = parseGs2Header([parts[0] ?? "", parts[1] ?? ""]);
  if (header === undefined || header.flag === "p" || !text.startsWith(header.raw)) return undefined;
  const body = text.slice(header.raw.length);
  if (!body.startsWith(KVSEP) || !body.endsWith(KVSEP + KVSEP)) return undefined;
  const pairs = parsePairs(body.slice(1, -1));
  const auth = pairs?.get("auth");
  if (pairs === undefined || auth === undefined) return undefined;
  const token = parseAuthValue(auth);
  const host = pairs.get("host");
  const portText = pairs.get("port");
  if (token === undefined || (portText !== undefined && !/^[0-9]{1,5}$/.test(portText))) return undefined;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && port > 65535) return undefined;
  return { username: header.authorizationIdentity, token, host, port };
}

/** Builds an OAUTHBEARER client response (RFC 7628 §3.1). */
export function formatOAuthBearer(username: string | undefined, token: string, host: string | undefined, port: number | undefined): string {
  let pairs = "";
  if (host !== undefined) pairs += `host=${host}${KVSEP}`;
  if (port !== undefined) pairs += `port=${port}${KVSEP}`;
  pairs += `auth=Bearer ${token}${KVSEP}`;
  return `${formatGs2Header("n", undefined, username)}${KVSEP}${pairs}${KVSEP}`;
}

/** Parses an XOAUTH2 client response: `user=` {user} ^A `auth=Bearer ` {token} ^A ^A. */
export function parseXOAuth2(text: string): OAuthClientMessage | undefined {
  if (!text.endsWith(KVSEP + KVSEP)) return undefined;
  const pairs = parsePairs(text.slice(0, -1), true);
  const username = pairs?.get("user");
  const auth = pairs?.get("auth");
  if (username === undefined || auth === undefined) return undefined;
  const token = parseAuthValue(auth);
  if (token === undefined) return undefined;
  return { username, token, host: undefined, port: undefined };
}

/** Builds an XOAUTH2 client response. */
export function formatXOAuth2(username: string, token: string): string {
  return `user=${username}${KVSEP}auth=Bearer ${token}${KVSEP}${KVSEP}`;
}

/** The error details a client reads from a server's error challenge. */
export interface OAuthErrorChallenge {
  readonly status: string | undefined;
  readonly scope: string | undefined;
  readonly openidConfiguration: string | undefined;
}

/** Reads a bounded, printable string field from parsed JSON. */
function field(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const clipped = value.slice(0, 256);
  return /^[\x20-\x7e]*$/.test(clipped) ? clipped : undefined;
}

/**
 * Parses a server's error challenge, a JSON object (RFC 7628 §3.2.2; Google
 * sends the same shape for XOAUTH2). Returns `undefined` when it is not one.
 */
export function parseOAuthErrorChallenge(text: string): OAuthErrorChallenge | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  return {
    status: field(record["status"]),
    scope: field(record["scope"]),
    openidConfiguration: field(record["openid-configuration"]),
  };
}
