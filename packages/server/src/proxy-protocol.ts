/**
 * The PROXY protocol header that a load balancer such as HAProxy sends before
 * the first byte of the proxied connection, in both versions: v1 (one line of
 * text) and v2 (binary, with TLVs). Written from the HAProxy specification,
 * `doc/proxy-protocol.txt` ("The PROXY protocol, Versions 1 & 2").
 *
 * An incremental parser over `Uint8Array` chunks: push what the socket gives,
 * get `need-more`, the header plus the bytes after it (the start of the SMTP
 * session), or a typed error. Bounded: a v1 line may not exceed 107 bytes
 * (spec §2.1), a v2 header may not exceed a configured length (its 16-bit
 * length field would otherwise let a peer make us buffer 64 KiB), and input
 * that cannot begin a PROXY header is refused at its first wrong byte, so a
 * peer that speaks SMTP straight away is refused at once rather than waited on.
 *
 * Does not: read sockets or time out (the spec asks receivers to give up after
 * a few seconds; the socket layer does that), guess whether a header is
 * present (spec §2: the receiver "MUST not try to guess"; only enable this on
 * listeners that sit behind a trusted proxy), or act on TLVs beyond checking
 * the CRC32C one.
 *
 * @module
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip-address.js";
import { ServerUsageError, checkLimit } from "./server-usage-error.js";

/** The longest v1 line, CRLF included (spec §2.1, the `UNKNOWN` worst case). */
export const PROXY_V1_MAX_LENGTH = 107;
/** The v2 fixed part: 12-byte signature, version/command, family/transport, 16-bit length. */
export const PROXY_V2_HEADER_LENGTH = 16;
/**
 * The default bound on a whole v2 header. The addresses take at most 216
 * bytes (two UNIX paths); the rest is TLVs (ALPN, authority, a unique id of up
 * to 128 bytes, TLS details), which HAProxy keeps well under this.
 */
export const DEFAULT_PROXY_V2_MAX_LENGTH = 1024;
/** The largest v2 header the wire format can describe: 16 + 65535. */
export const PROXY_V2_ABSOLUTE_MAX_LENGTH = PROXY_V2_HEADER_LENGTH + 0xffff;

// Spec §2.2: "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A"
const v2Signature = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
// Spec §2.1: "PROXY" then exactly one space.
const v1Prefix = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20);
const unknownKeyword = Uint8Array.of(0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e); // "UNKNOWN"

/** Registered v2 TLV types (spec §2.2). */
export const ProxyTlvType = {
  /** The ALPN protocol the client negotiated with the proxy. */
  ALPN: 0x01,
  /** The host name the client asked for (TLS SNI), UTF-8. */
  AUTHORITY: 0x02,
  /** CRC32C of the whole header; checked by this parser when present. */
  CRC32C: 0x03,
  /** Padding, to be ignored. */
  NOOP: 0x04,
  /** An opaque connection id of up to 128 bytes. */
  UNIQUE_ID: 0x05,
  /** TLS facts of the client connection, with sub-TLVs. */
  SSL: 0x20,
  /** The network namespace name. */
  NETNS: 0x30,
} as const;

/** The proxied transport as the header names it. */
export type ProxyTransport = "TCP4" | "TCP6" | "UDP4" | "UDP6" | "UNIX_STREAM" | "UNIX_DGRAM" | "UNKNOWN";

/** One end of the proxied connection. */
export type ProxyEndpoint =
  | {
      readonly type: "inet";
      /** The address in canonical text (dotted quad, or RFC 5952 IPv6). */
      readonly address: string;
      /** The port, 0–65535. */
      readonly port: number;
    }
  | {
      readonly type: "unix";
      /** The socket path bytes, up to the first NUL. */
      readonly path: Uint8Array;
    };

/** One v2 TLV, kept as received. */
export interface ProxyTlv {
  /** The type byte (see {@link ProxyTlvType}). */
  readonly type: number;
  /** The value bytes. */
  readonly value: Uint8Array;
}

/** A parsed PROXY header. */
export interface ProxyHeader {
  /** 1 (text) or 2 (binary). */
  readonly version: 1 | 2;
  /**
   * `"proxy"`: use `source` as the client. `"local"` (v2 only): the proxy
   * opened the connection itself (a health check); use the real endpoints.
   */
  readonly command: "proxy" | "local";
  /** The proxied transport; `UNKNOWN` means "use the real endpoints". */
  readonly transport: ProxyTransport;
  /** The original client, or `undefined` for `UNKNOWN` and `local`. */
  readonly source: ProxyEndpoint | undefined;
  /** The address the client connected to, or `undefined` for `UNKNOWN` and `local`. */
  readonly destination: ProxyEndpoint | undefined;
  /** v2 TLVs in order (always empty for v1). */
  readonly tlvs: readonly ProxyTlv[];
}

/** Why the bytes are not a valid PROXY header. */
export type ProxyProtocolErrorReason =
  /** The input does not start with either signature. */
  | "not-proxy-protocol"
  /** The version was found but is switched off in the options. */
  | "version-not-allowed"
  /** v1: no CRLF within 107 bytes. */
  | "line-too-long"
  /** v1: a CR without LF, or an LF without CR. */
  | "bare-line-ending"
  /** v1: the line does not have the fields the spec prescribes. */
  | "invalid-line"
  /** v1: an address that is not in the family's canonical text. */
  | "invalid-address"
  /** v1: a port that is not a decimal 0–65535 without leading zeros. */
  | "invalid-port"
  /** v2: a version nibble other than 2. */
  | "invalid-version"
  /** v2: a command other than LOCAL or PROXY. */
  | "invalid-command"
  /** v2: an address family or transport outside the spec's values. */
  | "invalid-family"
  /** v2: the length cannot hold the family's addresses. */
  | "address-block-too-short"
  /** v2: the announced length exceeds the configured maximum. */
  | "header-too-long"
  /** v2: a TLV runs past the end of the header, or a CRC32C TLV is not 4 bytes. */
  | "invalid-tlv"
  /** v2: the CRC32C TLV does not match the header. */
  | "checksum-mismatch";

/** A malformed PROXY header: plain data, never thrown. The connection should be closed without a reply. */
export interface ProxyProtocolError {
  /** Always `"proxy-protocol-error"`. */
  readonly type: "proxy-protocol-error";
  /** What was wrong. */
  readonly reason: ProxyProtocolErrorReason;
  /** The protocol version being parsed when the error was found, if known. */
  readonly version: 1 | 2 | undefined;
}

/** What {@link ProxyProtocolParser.push} returns. */
export type ProxyParseResult =
  | { readonly type: "need-more" }
  | {
      readonly type: "header";
      /** The header. */
      readonly header: ProxyHeader;
      /** Bytes received after the header: the start of the proxied stream. */
      readonly rest: Uint8Array;
      /** The header's length in bytes. */
      readonly length: number;
    }
  | { readonly type: "error"; readonly error: ProxyProtocolError };

/** Options of {@link createProxyProtocolParser}. */
export interface ProxyProtocolOptions {
  /** Which versions to accept; default both. HAProxy's `send-proxy` is v1, `send-proxy-v2` is v2. */
  readonly versions?: readonly (1 | 2)[];
  /**
   * The longest v2 header accepted, in bytes (16 to 65551); default
   * {@link DEFAULT_PROXY_V2_MAX_LENGTH}. Longer headers are refused as soon
   * as the length field is read, before anything is buffered.
   */
  readonly maxV2Length?: number;
}

/** An incremental PROXY header parser for one connection. */
export interface ProxyProtocolParser {
  /**
   * Feeds the next bytes from the socket.
   *
   * @param chunk - bytes as received (not retained; the parser copies what it must keep)
   * @returns `need-more`, the header with the bytes after it, or an error
   * @throws {@link ServerUsageError} (`invalid-option`) when called again after a header or an error was returned
   */
  push(chunk: Uint8Array): ProxyParseResult;
}

function error(reason: ProxyProtocolErrorReason, version: 1 | 2 | undefined): ProxyParseResult {
  return { type: "error", error: { type: "proxy-protocol-error", reason, version } };
}

/**
 * Creates a parser for the PROXY header at the start of one connection.
 *
 * @param options - which versions to accept and the v2 length bound
 * @returns a parser; push socket chunks until it returns `header` or `error`
 * @throws {@link ServerUsageError} when `maxV2Length` is out of range or `versions` is empty
 * @example
 * ```ts
 * const parser = createProxyProtocolParser();
 * const result = parser.push(new TextEncoder().encode("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x\r\n"));
 * if (result.type === "header") {
 *   result.header.source;  // { type: "inet", address: "192.0.2.1", port: 56324 }
 *   result.rest;           // the bytes of "EHLO x\r\n"
 * }
 * ```
 */
export function createProxyProtocolParser(options: ProxyProtocolOptions = {}): ProxyProtocolParser {
  const maxV2Length = checkLimit(
    "maxV2Length",
    options.maxV2Length ?? DEFAULT_PROXY_V2_MAX_LENGTH,
    PROXY_V2_HEADER_LENGTH,
    PROXY_V2_ABSOLUTE_MAX_LENGTH,
  );
  const versions = options.versions ?? [1, 2];
  if (versions.length === 0 || versions.some((version) => version !== 1 && version !== 2)) {
    throw new ServerUsageError("invalid-option", "versions", versions, "versions must list 1, 2 or both");
  }
  const allowV1 = versions.includes(1);
  const allowV2 = versions.includes(2);

  // Holds at most max(107, maxV2Length) bytes, plus one chunk's surplus.
  let buffer = new Uint8Array(0);
  let finished = false;

  return {
    push(chunk: Uint8Array): ProxyParseResult {
      if (finished) {
        throw new ServerUsageError("invalid-option", "push", chunk, "the PROXY header was already parsed or refused");
      }
      if (buffer.length === 0) {
        buffer = chunk.slice();
      } else {
        const joined = new Uint8Array(buffer.length + chunk.length);
        joined.set(buffer);
        joined.set(chunk, buffer.length);
        buffer = joined;
      }
      const result = parse(buffer, allowV1, allowV2, maxV2Length);
      if (result.type !== "need-more") {
        finished = true;
        buffer = new Uint8Array(0);
      }
      return result;
    },
  };
}

/**
 * Parses a PROXY header from bytes known to hold all of it (one read, a test
 * fixture). The same rules as {@link createProxyProtocolParser}; a header cut
 * short gives `need-more`.
 *
 * @param bytes - the start of the connection
 * @param options - which versions to accept and the v2 length bound
 * @returns the header with the bytes after it, `need-more`, or an error
 * @example
 * ```ts
 * parseProxyHeader(new TextEncoder().encode("PROXY UNKNOWN\r\n")).type; // "header"
 * parseProxyHeader(new TextEncoder().encode("EHLO x\r\n")).type;        // "error"
 * ```
 */
export function parseProxyHeader(bytes: Uint8Array, options: ProxyProtocolOptions = {}): ProxyParseResult {
  return createProxyProtocolParser(options).push(bytes);
}

function startsWithPrefix(buffer: Uint8Array, prefix: Uint8Array): "yes" | "maybe" | "no" {
  const length = Math.min(buffer.length, prefix.length);
  for (let index = 0; index < length; index += 1) if (buffer[index] !== prefix[index]) return "no";
  return buffer.length >= prefix.length ? "yes" : "maybe";
}

function parse(buffer: Uint8Array, allowV1: boolean, allowV2: boolean, maxV2Length: number): ProxyParseResult {
  const v1 = startsWithPrefix(buffer, v1Prefix);
  const v2 = startsWithPrefix(buffer, v2Signature);
  if (v1 === "no" && v2 === "no") return error("not-proxy-protocol", undefined);
  if (v1 === "yes") return allowV1 ? parseV1(buffer) : error("version-not-allowed", 1);
  if (v2 === "yes") return allowV2 ? parseV2(buffer, maxV2Length) : error("version-not-allowed", 2);
  return { type: "need-more" };
}

// --- Version 1 --------------------------------------------------------------

function parseV1(buffer: Uint8Array): ProxyParseResult {
  // Spec §2.1: wait for CRLF within 107 bytes; "The receiver must not
  // tolerate a single CR or LF character to end the line".
  const limit = Math.min(buffer.length, PROXY_V1_MAX_LENGTH);
  let end = -1;
  for (let index = 0; index < limit; index += 1) {
    const byte = buffer[index];
    if (byte === 0x0a) return error("bare-line-ending", 1);
    if (byte === 0x0d) {
      if (index + 2 > PROXY_V1_MAX_LENGTH) return error("line-too-long", 1);
      if (index + 1 >= buffer.length) return { type: "need-more" };
      if (buffer[index + 1] !== 0x0a) return error("bare-line-ending", 1);
      end = index;
      break;
    }
  }
  if (end < 0) return buffer.length >= PROXY_V1_MAX_LENGTH ? error("line-too-long", 1) : { type: "need-more" };

  const rest = buffer.slice(end + 2);
  const length = end + 2;

  // "For UNKNOWN, the rest of the line before the CRLF may be omitted by the
  // sender, and the receiver must ignore anything presented before the CRLF".
  if (startsWithPrefix(buffer.subarray(v1Prefix.length, end), unknownKeyword) === "yes") {
    const after = buffer[v1Prefix.length + unknownKeyword.length];
    if (v1Prefix.length + unknownKeyword.length === end || after === 0x20) {
      return { type: "header", header: v1Header("UNKNOWN", undefined, undefined), rest, length };
    }
  }

  // Every other line is printable US-ASCII: any other byte is refused before decoding.
  let line = "";
  for (let index = 0; index < end; index += 1) {
    const byte = buffer[index] ?? 0;
    if (byte < 0x20 || byte > 0x7e) return error("invalid-line", 1);
    line += String.fromCharCode(byte);
  }
  const fields = line.split(" ");
  const protocol = fields[1];
  if (protocol !== "TCP4" && protocol !== "TCP6") return error("invalid-line", 1);
  // "PROXY" SP protocol SP source SP destination SP source-port SP destination-port, single spaces.
  if (fields.length !== 6) return error("invalid-line", 1);
  const [, , sourceText = "", destinationText = "", sourcePortText = "", destinationPortText = ""] = fields;
  const source = v1Address(protocol, sourceText);
  const destination = v1Address(protocol, destinationText);
  if (source === undefined || destination === undefined) return error("invalid-address", 1);
  const sourcePort = v1Port(sourcePortText);
  const destinationPort = v1Port(destinationPortText);
  if (sourcePort === undefined || destinationPort === undefined) return error("invalid-port", 1);
  return {
    type: "header",
    header: v1Header(
      protocol,
      { type: "inet", address: source, port: sourcePort },
      { type: "inet", address: destination, port: destinationPort },
    ),
    rest,
    length,
  };
}

function v1Header(
  transport: ProxyTransport,
  source: ProxyEndpoint | undefined,
  destination: ProxyEndpoint | undefined,
): ProxyHeader {
  return { version: 1, command: "proxy", transport, source, destination, tlvs: [] };
}

// "IPv4 addresses must be indicated as a series of exactly 4 integers in the
// range [0..255] ... Heading zeroes are not permitted"; IPv6 "series of sets
// of 4 hexadecimal digits ... with the acceptance of one double colon".
// inet_pton, which HAProxy uses, also takes shorter groups and a dotted tail,
// so we do too; the address comes back in canonical form.
function v1Address(protocol: "TCP4" | "TCP6", text: string): string | undefined {
  if (protocol === "TCP4") {
    const quad = parseIPv4(text);
    return quad === undefined ? undefined : formatIPv4(quad);
  }
  const bytes = parseIPv6(text);
  return bytes === undefined ? undefined : formatIPv6(bytes);
}

// "a decimal integer in the range [0..65535] inclusive. Heading zeroes are not permitted".
function v1Port(text: string): number | undefined {
  if (text.length < 1 || text.length > 5) return undefined;
  if (text.length > 1 && text.charCodeAt(0) === 0x30) return undefined;
  let value = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return undefined;
    value = value * 10 + (code - 0x30);
  }
  return value <= 0xffff ? value : undefined;
}

// --- Version 2 --------------------------------------------------------------

function parseV2(buffer: Uint8Array, maxV2Length: number): ProxyParseResult {
  if (buffer.length < PROXY_V2_HEADER_LENGTH) {
    // The version and command byte can be judged as soon as it arrives.
    if (buffer.length > 12 && ((buffer[12] ?? 0) >> 4) !== 2) return error("invalid-version", 2);
    return { type: "need-more" };
  }
  const versionCommand = buffer[12] ?? 0;
  const familyTransport = buffer[13] ?? 0;
  // "The highest four bits contains the version ... the receiver must only accept this value."
  if (versionCommand >> 4 !== 2) return error("invalid-version", 2);
  // "\x0 : LOCAL", "\x1 : PROXY"; "Receivers must drop connections presenting unexpected values here."
  const command = versionCommand & 0x0f;
  if (command > 1) return error("invalid-command", 2);
  // Families 0–3 and transports 0–2; "other values ... must be rejected as invalid by receivers".
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  if (family > 3 || transport > 2) return error("invalid-family", 2);
  const blockLength = ((buffer[14] ?? 0) << 8) | (buffer[15] ?? 0);
  const total = PROXY_V2_HEADER_LENGTH + blockLength;
  if (total > maxV2Length) return error("header-too-long", 2);
  if (buffer.length < total) return { type: "need-more" };

  const header = buffer.slice(0, total);
  const rest = buffer.slice(total);
  const block = header.subarray(PROXY_V2_HEADER_LENGTH);

  // LOCAL: "the receiver ... must use the real connection endpoints and
  // discard the protocol block including the family which is ignored".
  if (command === 0) {
    return {
      type: "header",
      header: { version: 2, command: "local", transport: "UNKNOWN", source: undefined, destination: undefined, tlvs: [] },
      rest,
      length: total,
    };
  }

  // Address lengths: 12 (INET), 36 (INET6), 216 (UNIX); UNSPEC has none.
  const addressLength = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (block.length < addressLength) return error("address-block-too-short", 2);
  const tlvs = parseTlvs(block.subarray(addressLength));
  if (tlvs === undefined) return error("invalid-tlv", 2);
  const checksum = tlvs.find((tlv) => tlv.type === ProxyTlvType.CRC32C);
  if (checksum !== undefined) {
    if (checksum.value.length !== 4) return error("invalid-tlv", 2);
    if (!checksumMatches(header, checksum.value)) return error("checksum-mismatch", 2);
  }

  // "A receiver is not required to implement other ones, provided that it
  // automatically falls back to the UNSPEC mode": family or transport
  // UNSPEC gives UNKNOWN with no addresses.
  if (family === 0 || transport === 0) {
    return { type: "header", header: v2Header("UNKNOWN", undefined, undefined, tlvs), rest, length: total };
  }
  const stream = transport === 1;
  if (family === 3) {
    const source: ProxyEndpoint = { type: "unix", path: unixPath(block.subarray(0, 108)) };
    const destination: ProxyEndpoint = { type: "unix", path: unixPath(block.subarray(108, 216)) };
    return {
      type: "header",
      header: v2Header(stream ? "UNIX_STREAM" : "UNIX_DGRAM", source, destination, tlvs),
      rest,
      length: total,
    };
  }
  const width = family === 1 ? 4 : 16;
  const format = (bytes: Uint8Array): string => (family === 1 ? formatIPv4(bytes) : formatIPv6(bytes));
  const portsAt = width * 2;
  const source: ProxyEndpoint = {
    type: "inet",
    address: format(block.subarray(0, width)),
    port: ((block[portsAt] ?? 0) << 8) | (block[portsAt + 1] ?? 0),
  };
  const destination: ProxyEndpoint = {
    type: "inet",
    address: format(block.subarray(width, portsAt)),
    port: ((block[portsAt + 2] ?? 0) << 8) | (block[portsAt + 3] ?? 0),
  };
  const name: ProxyTransport = family === 1 ? (stream ? "TCP4" : "UDP4") : stream ? "TCP6" : "UDP6";
  return { type: "header", header: v2Header(name, source, destination, tlvs), rest, length: total };
}

function v2Header(
  transport: ProxyTransport,
  source: ProxyEndpoint | undefined,
  destination: ProxyEndpoint | undefined,
  tlvs: readonly ProxyTlv[],
): ProxyHeader {
  return { version: 2, command: "proxy", transport, source, destination, tlvs };
}

function unixPath(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return bytes.slice(0, nul < 0 ? bytes.length : nul);
}

// Spec §2.2: "The first byte is the Type of the vector. The second two bytes
// represent the length in bytes of the value", then the value.
function parseTlvs(bytes: Uint8Array): ProxyTlv[] | undefined {
  const tlvs: ProxyTlv[] = [];
  let index = 0;
  while (index < bytes.length) {
    if (index + 3 > bytes.length) return undefined;
    const type = bytes[index] ?? 0;
    const length = ((bytes[index + 1] ?? 0) << 8) | (bytes[index + 2] ?? 0);
    const end = index + 3 + length;
    if (end > bytes.length) return undefined;
    tlvs.push({ type, value: bytes.subarray(index + 3, end) });
    index = end;
  }
  return tlvs;
}

// --- The SSL TLV ---------------------------------------------------------------

/** The sub-TLV types inside {@link ProxyTlvType}.SSL (spec §2.2.6). */
export const ProxySslSubtype = {
  /** The TLS version, US-ASCII, for example `"TLSv1.3"`. */
  VERSION: 0x21,
  /** The client certificate's subject Common Name, UTF-8. */
  CN: 0x22,
  /** The cipher name, US-ASCII. */
  CIPHER: 0x23,
  /** The signature algorithm of the proxy's certificate, US-ASCII. */
  SIG_ALG: 0x24,
  /** The key algorithm of the proxy's certificate, US-ASCII. */
  KEY_ALG: 0x25,
} as const;

/** What the proxy says about the client's TLS connection to it (the v2 SSL TLV). */
export interface ProxySslInfo {
  /** The client connected over TLS (`PP2_CLIENT_SSL`). */
  readonly tls: boolean;
  /** The client presented a certificate on this connection (`PP2_CLIENT_CERT_CONN`). */
  readonly certificateOnConnection: boolean;
  /** The client presented a certificate in this TLS session at some point (`PP2_CLIENT_CERT_SESS`). */
  readonly certificateInSession: boolean;
  /** The `verify` field was zero: a client certificate was presented and verified. */
  readonly certificateVerified: boolean;
  /** The TLS version, when given. */
  readonly version: string | undefined;
  /** The cipher, when given. */
  readonly cipher: string | undefined;
  /** The client certificate's Common Name, when given. */
  readonly commonName: string | undefined;
  /** Every sub-TLV, in order, including those named above. */
  readonly subTlvs: readonly ProxyTlv[];
}

/**
 * Decodes the value of a v2 SSL TLV (spec §2.2.6: a `client` flag byte, a
 * 32-bit `verify` field, then sub-TLVs), for example to write the TLS comment
 * of a `Received:` header when the proxy terminated TLS.
 *
 * @param value - the value of a TLV of type {@link ProxyTlvType}.SSL
 * @returns the decoded facts, or `undefined` when the value is malformed
 * @example
 * ```ts
 * const result = parseProxyHeader(bytes);
 * const ssl = result.type === "header" ? result.header.tlvs.find((tlv) => tlv.type === ProxyTlvType.SSL) : undefined;
 * const info = ssl === undefined ? undefined : decodeProxySslTlv(ssl.value);
 * info?.version; // "TLSv1.3"
 * ```
 */
export function decodeProxySslTlv(value: Uint8Array): ProxySslInfo | undefined {
  if (value.length < 5) return undefined;
  const client = value[0] ?? 0;
  const verify = (((value[1] ?? 0) << 24) | ((value[2] ?? 0) << 16) | ((value[3] ?? 0) << 8) | (value[4] ?? 0)) >>> 0;
  const subTlvs = parseTlvs(value.subarray(5));
  if (subTlvs === undefined) return undefined;
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const text = (type: number): string | undefined => {
    const found = subTlvs.find((tlv) => tlv.type === type);
    return found === undefined ? undefined : decoder.decode(found.value);
  };
  const certificatePresented = (client & 0x06) !== 0;
  return {
    tls: (client & 0x01) !== 0,
    certificateOnConnection: (client & 0x02) !== 0,
    certificateInSession: (client & 0x04) !== 0,
    // "The <verify> field will be zero if the client presented a certificate
    // and it was successfully verified, and non-zero otherwise."
    certificateVerified: certificatePresented && verify === 0,
    version: text(ProxySslSubtype.VERSION),
    cipher: text(ProxySslSubtype.CIPHER),
    commonName: text(ProxySslSubtype.CN),
    subTlvs,
  };
}

// --- CRC32C (Castagnoli, RFC 4960 Appendix B) -------------------------------

let crcTable: Uint32Array | undefined;

function crc32cTable(): Uint32Array {
  if (crcTable !== undefined) return crcTable;
  const table = new Uint32Array(256);
  for (let index = 0; index < 256; index += 1) {
    let value = index;
    for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? (value >>> 1) ^ 0x82f63b78 : value >>> 1;
    table[index] = value >>> 0;
  }
  crcTable = table;
  return table;
}

/**
 * CRC32C of a byte sequence (the checksum of the PROXY v2 `CRC32C` TLV).
 *
 * @param bytes - the data
 * @returns the checksum as an unsigned 32-bit integer
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode("123456789")); // 0xe3069283
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  const table = crc32cTable();
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index += 1) {
    crc = (table[(crc ^ (bytes[index] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// Spec §2.2.3: "replace the 32 bits of the checksum field in the received
// PROXY header with all '0's and calculate a CRC32c checksum value of the
// whole PROXY header". `value` is a view into `header`.
function checksumMatches(header: Uint8Array, value: Uint8Array): boolean {
  const expected = (((value[0] ?? 0) << 24) | ((value[1] ?? 0) << 16) | ((value[2] ?? 0) << 8) | (value[3] ?? 0)) >>> 0;
  const copy = header.slice();
  copy.fill(0, value.byteOffset - header.byteOffset, value.byteOffset - header.byteOffset + 4);
  return crc32c(copy) === expected;
}

// --- Encoding ----------------------------------------------------------------

/**
 * Encodes a PROXY header: the v1 line or the v2 binary form. For tests,
 * and for proxies written with this package; the `checksum` option adds a
 * CRC32C TLV computed over the result.
 *
 * @param header - the header to write (v1 takes only TCP4, TCP6 and UNKNOWN, and no TLVs)
 * @param options - `checksum: true` appends a CRC32C TLV (v2 only)
 * @returns the header bytes
 * @throws {@link ServerUsageError} (`invalid-option`) when the header cannot be written in its version (an address not of its family, a port out of range, TLVs in v1, a v2 header over 65551 bytes)
 * @example
 * ```ts
 * const bytes = encodeProxyHeader({
 *   version: 1, command: "proxy", transport: "TCP4", tlvs: [],
 *   source: { type: "inet", address: "192.0.2.1", port: 56324 },
 *   destination: { type: "inet", address: "198.51.100.2", port: 25 },
 * });
 * new TextDecoder().decode(bytes); // "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"
 * ```
 */
export function encodeProxyHeader(header: ProxyHeader, options: { readonly checksum?: boolean } = {}): Uint8Array {
  return header.version === 1 ? encodeV1(header) : encodeV2(header, options.checksum === true);
}

function misuse(message: string, value: unknown): never {
  throw new ServerUsageError("invalid-option", "header", value, message);
}

function inetEndpoint(endpoint: ProxyEndpoint | undefined, family: 4 | 6): { bytes: Uint8Array; port: number } {
  if (endpoint === undefined || endpoint.type !== "inet") return misuse("an inet endpoint is required", endpoint);
  if (!Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 0xffff) {
    return misuse("ports are integers from 0 to 65535", endpoint.port);
  }
  const bytes = family === 4 ? parseIPv4(endpoint.address) : parseIPv6(endpoint.address);
  if (bytes === undefined) return misuse(`not an IPv${family} address`, endpoint.address);
  return { bytes, port: endpoint.port };
}

function encodeV1(header: ProxyHeader): Uint8Array {
  if (header.tlvs.length > 0) misuse("version 1 has no TLVs", header.tlvs);
  if (header.command !== "proxy") misuse("version 1 has no LOCAL command", header.command);
  let line: string;
  if (header.transport === "UNKNOWN") {
    line = "PROXY UNKNOWN\r\n";
  } else if (header.transport === "TCP4" || header.transport === "TCP6") {
    const family = header.transport === "TCP4" ? 4 : 6;
    const source = inetEndpoint(header.source, family);
    const destination = inetEndpoint(header.destination, family);
    const text = (bytes: Uint8Array): string => (family === 4 ? formatIPv4(bytes) : formatIPv6(bytes));
    line = `PROXY ${header.transport} ${text(source.bytes)} ${text(destination.bytes)} ${source.port} ${destination.port}\r\n`;
  } else {
    return misuse("version 1 carries TCP4, TCP6 or UNKNOWN only", header.transport);
  }
  const bytes = new Uint8Array(line.length);
  for (let index = 0; index < line.length; index += 1) bytes[index] = line.charCodeAt(index);
  return bytes;
}

function encodeV2(header: ProxyHeader, checksum: boolean): Uint8Array {
  let familyTransport = 0x00;
  let addresses = new Uint8Array(0);
  if (header.command === "proxy" && header.transport !== "UNKNOWN") {
    const transport = header.transport;
    if (transport === "UNIX_STREAM" || transport === "UNIX_DGRAM") {
      familyTransport = transport === "UNIX_STREAM" ? 0x31 : 0x32;
      addresses = new Uint8Array(216);
      const source = header.source;
      const destination = header.destination;
      if (source?.type !== "unix" || destination?.type !== "unix") return misuse("unix endpoints are required", header);
      if (source.path.length > 108 || destination.path.length > 108) return misuse("unix paths hold at most 108 bytes", header);
      addresses.set(source.path, 0);
      addresses.set(destination.path, 108);
    } else {
      const family = transport === "TCP4" || transport === "UDP4" ? 4 : 6;
      familyTransport = (family === 4 ? 0x10 : 0x20) | (transport.startsWith("TCP") ? 0x01 : 0x02);
      const source = inetEndpoint(header.source, family);
      const destination = inetEndpoint(header.destination, family);
      const width = family === 4 ? 4 : 16;
      addresses = new Uint8Array(width * 2 + 4);
      addresses.set(source.bytes, 0);
      addresses.set(destination.bytes, width);
      addresses[width * 2] = source.port >> 8;
      addresses[width * 2 + 1] = source.port & 0xff;
      addresses[width * 2 + 2] = destination.port >> 8;
      addresses[width * 2 + 3] = destination.port & 0xff;
    }
  }
  const tlvs = header.command === "local" ? [] : [...header.tlvs];
  if (checksum) tlvs.push({ type: ProxyTlvType.CRC32C, value: new Uint8Array(4) });
  let tlvLength = 0;
  for (const tlv of tlvs) {
    if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff || tlv.value.length > 0xffff) {
      return misuse("a TLV type is one byte and its value at most 65535 bytes", tlv);
    }
    tlvLength += 3 + tlv.value.length;
  }
  const blockLength = addresses.length + tlvLength;
  if (blockLength > 0xffff) return misuse("a v2 header holds at most 65535 bytes after its fixed part", blockLength);
  const out = new Uint8Array(PROXY_V2_HEADER_LENGTH + blockLength);
  out.set(v2Signature, 0);
  out[12] = 0x20 | (header.command === "proxy" ? 1 : 0);
  out[13] = familyTransport;
  out[14] = blockLength >> 8;
  out[15] = blockLength & 0xff;
  out.set(addresses, PROXY_V2_HEADER_LENGTH);
  let offset = PROXY_V2_HEADER_LENGTH + addresses.length;
  for (const tlv of tlvs) {
    out[offset] = tlv.type;
    out[offset + 1] = tlv.value.length >> 8;
    out[offset + 2] = tlv.value.length & 0xff;
    out.set(tlv.value, offset + 3);
    offset += 3 + tlv.value.length;
  }
  if (checksum) {
    const value = crc32c(out);
    out[out.length - 4] = value >>> 24;
    out[out.length - 3] = (value >>> 16) & 0xff;
    out[out.length - 2] = (value >>> 8) & 0xff;
    out[out.length - 1] = value & 0xff;
  }
  return out;
}
