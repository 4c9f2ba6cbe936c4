/**
 * The SCRAM message syntax (RFC 5802 §7) shared by the client and server
 * sides, and the GS2 header that OAUTHBEARER borrows (RFC 7628 §3.1). Parsers
 * take the decoded text of one message and return plain data or `undefined`;
 * they never throw and never backtrack (one split on ",", then per-attribute
 * checks).
 *
 * Internal: not exported from the package.
 *
 * @module
 */

/**
 * RFC 5802 §7: `saslname = 1*(value-safe-char / "=2C" / "=3D")`, where
 * value-safe-char is any UTF-8 character except NUL, "=" and ",".
 */
export function encodeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/** Decodes a saslname, or `undefined` when it is empty, has NUL or a bad "=" escape. */
export function decodeSaslName(text: string): string | undefined {
  if (text.length === 0) return undefined;
  let result = "";
  let index = 0;
  while (index < text.length) {
    const character = text[index]!;
    if (character === "\u0000" || character === ",") return undefined;
    if (character === "=") {
      const escape = text.slice(index, index + 3);
      if (escape === "=2C") result += ",";
      else if (escape === "=3D") result += "=";
      else return undefined;
      index += 3;
    } else {
      result += character;
      index += 1;
    }
  }
  return result;
}

/** RFC 5802 §7: `printable = %x21-2B / %x2D-7E` (printable ASCII except ","). */
export function isPrintableNonce(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x21 || code > 0x7e || code === 0x2c) return false;
  }
  return true;
}

/** RFC 5802 §7: `cb-name = 1*(ALPHA / DIGIT / "." / "-")`. */
function isChannelBindingName(text: string): boolean {
  if (text.length === 0 || text.length > 64) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const ok =
      (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2e || code === 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** A parsed GS2 header (RFC 5802 §7, RFC 5801 §4). */
export interface Gs2Header {
  /** `n`: no channel binding support; `y`: supported but not thought offered; `p`: channel binding used. */
  readonly flag: "n" | "y" | "p";
  /** The channel binding type named after `p=`. */
  readonly channelBindingName: string | undefined;
  /** The authorization identity after `a=`, unescaped. */
  readonly authorizationIdentity: string | undefined;
  /** The header exactly as sent, with its trailing comma (needed for SCRAM's `c=`). */
  readonly raw: string;
}

/** Builds a GS2 header. */
export function formatGs2Header(flag: "n" | "y" | "p", channelBindingName: string | undefined, authorizationIdentity: string | undefined): string {
  const cbind = flag === "p" ? `p=${channelBindingName ?? ""}` : flag;
  const authzid = authorizationIdentity === undefined || authorizationIdentity === "" ? "" : `a=${encodeSaslName(authorizationIdentity)}`;
  return `${cbind},${authzid},`;
}

/**
 * Parses the GS2 header at the start of `parts` (the message split on ",").
 *
 * RFC 5802 §7: `gs2-header = gs2-cbind-flag "," [ authzid ] ","`,
 * `gs2-cbind-flag = ("p=" cb-name) / "n" / "y"`, `authzid = "a=" saslname`.
 */
export function parseGs2Header(parts: readonly string[]): Gs2Header | undefined {
  const cbind = parts[0];
  const authzid = parts[1];
  if (cbind === undefined || authzid === undefined) return undefined;
  let flag: "n" | "y" | "p";
  let channelBindingName: string | undefined;
  if (cbind === "n" || cbind === "y") flag = cbind;
  else if (cbind.startsWith("p=") && isChannelBindingName(cbind.slice(2))) {
    flag = "p";
    channelBindingName = cbind.slice(2);
  } else return undefined;
  let authorizationIdentity: string | undefined;
  if (authzid !== "") {
    if (!authzid.startsWith("a=")) return undefined;
    authorizationIdentity = decodeSaslName(authzid.slice(2));
    if (authorizationIdentity === undefined) return undefined;
  }
  return { flag, channelBindingName, authorizationIdentity, raw: `${cbind},${authzid},` };
}

/** One `x=value` attribute, or `undefined` when the part is not one. */
function attribute(part: string | undefined, name: string): string | undefined {
  if (part === undefined || part.length < 2 || part[0] !== name || part[1] !== "=") return undefined;
  return part.slice(2);
}

/** RFC 5802 §7: an extension attribute is any other letter followed by "=". */
function isExtension(part: string): boolean {
  const code = part.charCodeAt(0);
  return part.length >= 2 && part[1] === "=" && ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a));
}

/** The result of parsing a client-first-message. */
export type ClientFirstParse =
  | {
      readonly ok: true;
      readonly header: Gs2Header;
      /** client-first-message-bare, as sent (part of SCRAM's AuthMessage). */
      readonly bare: string;
      /** The user name, unescaped but not yet SASLprep'd. */
      readonly username: string;
      readonly clientNonce: string;
    }
  | { readonly ok: false; readonly failure: "malformed" | "mandatory-extension" };

/**
 * RFC 5802 §7: `client-first-message = gs2-header client-first-message-bare`,
 * `client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]`.
 */
export function parseClientFirst(text: string): ClientFirstParse {
  const parts = text.split(",");
  const header = parseGs2Header(parts);
  if (header === undefined) return { ok: false, failure: "malformed" };
  let index = 2;
  // RFC 5802 §5.1: "m" announces a mandatory extension; none is defined, so
  // the server fails the exchange.
  if (parts[index]?.startsWith("m=")) return { ok: false, failure: "mandatory-extension" };
  const username = decodeSaslName(attribute(parts[index++], "n") ?? "");
  const clientNonce = attribute(parts[index++], "r");
  if (username === undefined || clientNonce === undefined || !isPrintableNonce(clientNonce)) return { ok: false, failure: "malformed" };
  for (; index < parts.length; index++) if (!isExtension(parts[index]!)) return { ok: false, failure: "malformed" };
  return { ok: true, header, bare: parts.slice(2).join(","), username, clientNonce };
}

/** The result of parsing a server-first-message. */
export type ServerFirstParse =
  | { readonly ok: true; readonly nonce: string; readonly salt: string; readonly iterations: number }
  | { readonly ok: false; readonly failure: "malformed" | "mandatory-extension" | "server-error"; readonly serverError?: string };

/**
 * RFC 5802 §7: `server-first-message = [reserved-mext ","] nonce "," salt ","
 * iteration-count ["," extensions]`, with `iteration-count = "i=" posit-number`.
 */
export function parseServerFirst(text: string): ServerFirstParse {
  const parts = text.split(",");
  if (parts[0]?.startsWith("m=")) return { ok: false, failure: "mandatory-extension" };
  const serverError = attribute(parts[0], "e");
  if (serverError !== undefined) return { ok: false, failure: "server-error", serverError: serverError.slice(0, 64) };
  const nonce = attribute(parts[0], "r");
  const salt = attribute(parts[1], "s");
  const count = attribute(parts[2], "i");
  if (nonce === undefined || salt === undefined || count === undefined || !isPrintableNonce(nonce)) return { ok: false, failure: "malformed" };
  // posit-number = %x31-39 *DIGIT; ten digits already exceed any limit.
  if (!/^[1-9][0-9]{0,9}$/.test(count)) return { ok: false, failure: "malformed" };
  for (let index = 3; index < parts.length; index++) if (!isExtension(parts[index]!)) return { ok: false, failure: "malformed" };
  return { ok: true, nonce, salt, iterations: Number(count) };
}

/** The result of parsing a client-final-message. */
export type ClientFinalParse =
  | {
      readonly ok: true;
      /** The base64 text after `c=`. */
      readonly channelBinding: string;
      readonly nonce: string;
      /** The base64 text after `p=`. */
      readonly proof: string;
      /** client-final-message-without-proof, as sent (part of SCRAM's AuthMessage). */
      readonly withoutProof: string;
    }
  | { readonly ok: false };

/**
 * RFC 5802 §7: `client-final-message = client-final-message-without-proof "," proof`,
 * `client-final-message-without-proof = channel-binding "," nonce ["," extensions]`.
 */
export function parseClientFinal(text: string): ClientFinalParse {
  const parts = text.split(",");
  if (parts.length < 3) return { ok: false };
  const channelBinding = attribute(parts[0], "c");
  const nonce = attribute(parts[1], "r");
  const proof = attribute(parts[parts.length - 1], "p");
  if (channelBinding === undefined || nonce === undefined || proof === undefined) return { ok: false };
  for (let index = 2; index < parts.length - 1; index++) if (!isExtension(parts[index]!)) return { ok: false };
  return { ok: true, channelBinding, nonce, proof, withoutProof: parts.slice(0, -1).join(",") };
}

/** The result of parsing a server-final-message. */
export type ServerFinalParse =
  | { readonly ok: true; readonly verifier: string }
  | { readonly ok: false; readonly failure: "malformed" | "server-error"; readonly serverError?: string };

/** RFC 5802 §7: `server-final-message = (server-error / verifier) ["," extensions]`. */
export function parseServerFinal(text: string): ServerFinalParse {
  const parts = text.split(",");
  for (let index = 1; index < parts.length; index++) if (!isExtension(parts[index]!)) return { ok: false, failure: "malformed" };
  const serverError = attribute(parts[0], "e");
  if (serverError !== undefined) return { ok: false, failure: "server-error", serverError: serverError.slice(0, 64) };
  const verifier = attribute(parts[0], "v");
  if (verifier === undefined) return { ok: false, failure: "malformed" };
  return { ok: true, verifier };
}
