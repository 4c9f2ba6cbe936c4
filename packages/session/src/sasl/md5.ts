/**
 * MD5 (RFC 1321) in plain TypeScript, for CRAM-MD5's HMAC-MD5 (RFC 2195)
 * and nothing else: MD5 is broken for collision resistance, and HMAC-MD5
 * survives only because HMAC does not rely on it.
 *
 * Internal: the public entry point is {@link pureSaslCrypto}.
 *
 * @module
 */

// RFC 1321 §3.4: T[i] = floor(2^32 * abs(sin(i))), written out rather than
// computed so the result cannot depend on the platform's Math.sin.
const sineTable = new Int32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

// RFC 1321 §3.4: the per-round left-rotation amounts.
const shifts = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);

function compress(state: Int32Array, words: Int32Array): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let step = 0; step < 64; step++) {
    let mixed: number;
    let index: number;
    if (step < 16) {
      mixed = (b & c) | (~b & d);
      index = step;
    } else if (step < 32) {
      mixed = (d & b) | (~d & c);
      index = (5 * step + 1) & 15;
    } else if (step < 48) {
      mixed = b ^ c ^ d;
      index = (3 * step + 5) & 15;
    } else {
      mixed = c ^ (b | ~d);
      index = (7 * step) & 15;
    }
    const sum = (a + mixed + sineTable[step]! + words[index]!) | 0;
    const shift = shifts[step]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/** MD5 of `data` (RFC 1321 §3). */
export function md5(data: Uint8Array): Uint8Array {
  // RFC 1321 §3.1-3.2: pad with 0x80, zeros, then the bit length little-endian.
  const paddedLength = (Math.floor((data.length + 8) / 64) + 1) * 64;
  const padded = new Uint8Array(paddedLength);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bitLength = data.length * 8;
  view.setUint32(paddedLength - 8, bitLength >>> 0, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 0x100000000), true);
  // RFC 1321 §3.3: the initial buffer.
  const state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  const words = new Int32Array(16);
  for (let base = 0; base < paddedLength; base += 64) {
    for (let word = 0; word < 16; word++) words[word] = view.getInt32(base + word * 4, true);
    compress(state, words);
  }
  const digest = new Uint8Array(16);
  const digestView = new DataView(digest.buffer);
  for (let word = 0; word < 4; word++) digestView.setInt32(word * 4, state[word]!, true);
  return digest;
}
