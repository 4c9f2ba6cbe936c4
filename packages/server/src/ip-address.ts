/**
 * IP address text: strict parsing of IPv4 dotted quads and IPv6 text
 * (RFC 4291 §2.2), RFC 5952 canonical formatting, and CIDR blocks for the
 * relay policy. IPv4 addresses are held as IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) so that one comparison serves both
 * families and a dual-stack socket's `::ffff:192.0.2.1` matches `192.0.2.0/24`.
 *
 * Hand-written scanners, no regular expressions; text from the network never
 * throws. Not exported from the package: the PROXY parser, the relay policy
 * and the trace headers use it.
 *
 * @module
 */

/** An address as 16 bytes (IPv4 mapped), with the family it was written in. */
export interface IpAddress {
  readonly family: 4 | 6;
  /** 16 bytes; an IPv4 address is `::ffff:a.b.c.d`. */
  readonly bytes: Uint8Array;
}

/** A CIDR block over 16-byte addresses. */
export interface IpBlock {
  readonly bytes: Uint8Array;
  /** Prefix length over 128 bits (an IPv4 /24 is 96 + 24 = 120). */
  readonly prefix: number;
}

function digitValue(code: number): number {
  return code >= 0x30 && code <= 0x39 ? code - 0x30 : -1;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/**
 * Parses a dotted quad: exactly four decimal numbers 0–255, no leading
 * zeros (they read as octal in some resolvers: "010.1.1.1"), nothing else.
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (text.length < 7 || text.length > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let index = 0; index <= text.length; index += 1) {
    const code = index < text.length ? text.charCodeAt(index) : 0x2e;
    if (code === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part] = value;
      part += 1;
      value = 0;
      digits = 0;
      continue;
    }
    const digit = digitValue(code);
    if (digit < 0) return undefined;
    if (digits === 1 && value === 0) return undefined; // leading zero
    value = value * 10 + digit;
    digits += 1;
    if (value > 255) return undefined;
  }
  return part === 4 ? out : undefined;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2): up to eight groups of 1–4 hex digits,
 * at most one "::", optionally ending in a dotted quad. No zone index
 * (`%eth0`), no brackets.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const groups: number[] = [];
  let gap = -1;
  let index = 0;
  if (text.startsWith("::")) {
    gap = 0;
    index = 2;
    if (index === text.length) return new Uint8Array(16);
  } else if (text.charCodeAt(0) === 0x3a) {
    return undefined;
  }
  while (index < text.length) {
    // A dotted quad may end the address, standing for the last two groups.
    let end = index;
    let dotted = false;
    while (end < text.length && text.charCodeAt(end) !== 0x3a) {
      if (text.charCodeAt(end) === 0x2e) dotted = true;
      end += 1;
    }
    if (dotted) {
      if (end !== text.length || groups.length > 6) return undefined;
      const quad = parseIPv4(text.slice(index, end));
      if (quad === undefined) return undefined;
      groups.push(((quad[0] ?? 0) << 8) | (quad[1] ?? 0), ((quad[2] ?? 0) << 8) | (quad[3] ?? 0));
      index = end;
      break;
    }
    const length = end - index;
    if (length < 1 || length > 4) return undefined;
    let value = 0;
    for (let position = index; position < end; position += 1) {
      const hex = hexValue(text.charCodeAt(position));
      if (hex < 0) return undefined;
      value = (value << 4) | hex;
    }
    groups.push(value);
    if (groups.length > 8) return undefined;
    index = end;
    if (index === text.length) break;
    // index is at a ":"; a second ":" marks the gap.
    if (text.charCodeAt(index + 1) === 0x3a) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      index += 2;
    } else {
      index += 1;
      if (index === text.length) return undefined; // trailing single ":"
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const out = new Uint8Array(16);
  const tail = gap < 0 ? [] : groups.splice(gap);
  groups.forEach((group, position) => {
    out[position * 2] = group >> 8;
    out[position * 2 + 1] = group & 0xff;
  });
  const tailStart = 8 - tail.length;
  tail.forEach((group, position) => {
    out[(tailStart + position) * 2] = group >> 8;
    out[(tailStart + position) * 2 + 1] = group & 0xff;
  });
  return out;
}

/** Maps 4 IPv4 bytes to `::ffff:a.b.c.d`. */
export function mapIPv4(quad: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(quad.subarray(0, 4), 12);
  return out;
}

/** Whether 16 bytes are an IPv4-mapped IPv6 address. */
export function isIPv4Mapped(bytes: Uint8Array): boolean {
  for (let index = 0; index < 10; index += 1) if (bytes[index] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Parses either family; IPv4 comes back mapped. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const quad = parseIPv4(text);
  if (quad !== undefined) return { family: 4, bytes: mapIPv4(quad) };
  const bytes = parseIPv6(text);
  return bytes === undefined ? undefined : { family: 6, bytes };
}

/** Formats 4 bytes as a dotted quad. */
export function formatIPv4(quad: Uint8Array): string {
  return `${quad[0] ?? 0}.${quad[1] ?? 0}.${quad[2] ?? 0}.${quad[3] ?? 0}`;
}

/**
 * Formats 16 bytes as RFC 5952 text: lower case, no leading zeros, the
 * longest run of two or more zero groups (the first on a tie) as "::", and
 * IPv4-mapped addresses with a dotted tail (RFC 5952 §5).
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (isIPv4Mapped(bytes)) return `::ffff:${formatIPv4(bytes.subarray(12, 16))}`;
  const groups: number[] = [];
  for (let index = 0; index < 8; index += 1) groups.push(((bytes[index * 2] ?? 0) << 8) | (bytes[index * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let index = 0; index < 8; ) {
    if (groups[index] !== 0) {
      index += 1;
      continue;
    }
    let end = index;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - index > bestLength) {
      bestStart = index;
      bestLength = end - index;
    }
    index = end;
  }
  const hex = (group: number | undefined): string => (group ?? 0).toString(16);
  if (bestStart < 0) return groups.map(hex).join(":");
  const head = groups.slice(0, bestStart).map(hex).join(":");
  const tail = groups.slice(bestStart + bestLength).map(hex).join(":");
  return `${head}::${tail}`;
}

/** Formats an address in the family it was written in. */
export function formatIpAddress(address: IpAddress): string {
  return address.family === 4 ? formatIPv4(address.bytes.subarray(12, 16)) : formatIPv6(address.bytes);
}

/**
 * Parses a CIDR block (`192.0.2.0/24`, `2001:db8::/32`) or a single address
 * (a /32 or /128). Host bits set below the prefix are refused: `10.0.0.1/8`
 * is almost always a typing mistake for something else.
 */
export function parseIpBlock(text: string): IpBlock | undefined {
  const slash = text.indexOf("/");
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  const width = address.family === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (digits.length < 1 || digits.length > 3) return undefined;
    prefix = 0;
    for (let index = 0; index < digits.length; index += 1) {
      const digit = digitValue(digits.charCodeAt(index));
      if (digit < 0 || (index === 0 && digit === 0 && digits.length > 1)) return undefined;
      prefix = prefix * 10 + digit;
    }
    if (prefix > width) return undefined;
  }
  const total = address.family === 4 ? 96 + prefix : prefix;
  for (let bit = total; bit < 128; bit += 1) {
    if (((address.bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) return undefined;
  }
  return { bytes: address.bytes, prefix: total };
}

/** Whether a 16-byte address lies in a block. */
export function blockContains(block: IpBlock, bytes: Uint8Array): boolean {
  const whole = block.prefix >> 3;
  for (let index = 0; index < whole; index += 1) if (block.bytes[index] !== bytes[index]) return false;
  const rest = block.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((block.bytes[whole] ?? 0) & mask) === ((bytes[whole] ?? 0) & mask);
}

/** Byte equality of two addresses. */
export function sameAddress(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index += 1) if (left[index] !== right[index]) return false;
  return true;
}
