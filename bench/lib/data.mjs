// Deterministic test data for the benchmarks: the same bytes on every run, so
// figures from different runs compare. A tiny xorshift generator, no Math.random.

export function pseudoRandomBytes(length, seed = 0x9e3779b9) {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

const words = (
  "the quick brown fox jumps over lazy dog mail server message delivery protocol transfer simple " +
  "envelope recipient sender header body line transport relay queue bounce notice status report"
).split(" ");

/** ASCII prose in CRLF lines of up to ~76 characters; `dotLineShare` of the lines start with a dot. */
export function textLines(length, { dotLineShare = 0, seed = 7 } = {}) {
  const random = pseudoRandomBytes(Math.ceil(length / 2) + 1024, seed);
  let cursor = 0;
  const next = () => random[cursor++ % random.length];
  const parts = [];
  let size = 0;
  let line = 0;
  while (size < length) {
    let text = (next() % 100) / 100 < dotLineShare ? "." : "";
    while (text.length < 60 + (next() % 16)) text += `${words[next() % words.length]} `;
    text = `${text.trimEnd()}\r\n`;
    parts.push(text);
    size += text.length;
    line += 1;
  }
  return new TextEncoder().encode(parts.join("").slice(0, length));
}

/** `bytes` as base64 in 76-column CRLF-wrapped lines (RFC 2045 §6.8). */
export function wrappedBase64(bytes) {
  const flat = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  const lines = [];
  for (let index = 0; index < flat.length; index += 76) lines.push(flat.slice(index, index + 76));
  return Buffer.from(`${lines.join("\r\n")}\r\n`, "latin1");
}

/** Splits bytes into chunks of `size`. */
export function chunksOf(bytes, size) {
  const chunks = [];
  for (let index = 0; index < bytes.length; index += size) chunks.push(bytes.subarray(index, index + size));
  return chunks;
}

export const MB = 1024 * 1024;
