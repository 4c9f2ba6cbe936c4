/**
 * HMAC (RFC 2104) over the pure hash functions, and PBKDF2 with
 * HMAC-SHA-256 (RFC 8018 §5.2), SCRAM's `Hi()` (RFC 5802 §2.2).
 *
 * Internal: the public entry point is {@link pureSaslCrypto}.
 *
 * @module
 */
import { md5 } from "./md5.js";
import { sha256, sha256Compress, sha256Finish, sha256InitialState } from "./sha256.js";

const blockBytes = 64; // MD5 and SHA-256 both have 64-byte blocks.

// RFC 2104 §2: keys longer than a block are hashed first, then zero-padded.
function paddedKey(key: Uint8Array, hash: (data: Uint8Array) => Uint8Array, pad: number): Uint8Array {
  const block = new Uint8Array(blockBytes);
  block.set(key.length > blockBytes ? hash(key) : key);
  for (let index = 0; index < blockBytes; index++) block[index]! ^= pad;
  return block;
}

function hmac(hash: (data: Uint8Array) => Uint8Array, key: Uint8Array, data: Uint8Array): Uint8Array {
  const inner = paddedKey(key, hash, 0x36);
  const innerInput = new Uint8Array(blockBytes + data.length);
  innerInput.set(inner);
  innerInput.set(data, blockBytes);
  const innerDigest = hash(innerInput);
  const outer = paddedKey(key, hash, 0x5c);
  const outerInput = new Uint8Array(blockBytes + innerDigest.length);
  outerInput.set(outer);
  outerInput.set(innerDigest, blockBytes);
  return hash(outerInput);
}

/** HMAC-MD5 (RFC 2104 with RFC 1321). */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(md5, key, data);
}

/** HMAC-SHA-256 (RFC 2104 with FIPS 180-4). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

// The state after absorbing one padded-key block: every HMAC under the same
// key starts from here, which halves the work of each PBKDF2 iteration.
function keyedState(key: Uint8Array, pad: number): Int32Array {
  const block = paddedKey(key, sha256, pad);
  const view = new DataView(block.buffer);
  const schedule = new Int32Array(64);
  for (let word = 0; word < 16; word++) schedule[word] = view.getInt32(word * 4);
  const state = sha256InitialState();
  sha256Compress(state, schedule);
  return state;
}

/**
 * PBKDF2 with HMAC-SHA-256 (RFC 8018 §5.2).
 *
 * Each iteration hashes exactly two blocks starting from the precomputed
 * keyed states, working on 32-bit words without allocating.
 */
export function pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
  const innerState = keyedState(password, 0x36);
  const outerState = keyedState(password, 0x5c);
  const result = new Uint8Array(length);
  const state = new Int32Array(8);
  const schedule = new Int32Array(64);
  const accumulator = new Int32Array(8);
  const blockBuffer = new Uint8Array(32);
  const blockView = new DataView(blockBuffer.buffer);
  const blocks = Math.ceil(length / 32);
  for (let blockIndex = 1; blockIndex <= blocks; blockIndex++) {
    // U1 = PRF(P, S || INT(i)): the general path, since S has any length.
    const first = new Uint8Array(salt.length + 4);
    first.set(salt);
    new DataView(first.buffer).setUint32(salt.length, blockIndex);
    const innerDigest = sha256Finish(innerState.slice(), first, blockBytes);
    const u1 = sha256Finish(outerState.slice(), innerDigest, blockBytes);
    const u1View = new DataView(u1.buffer);
    const current = new Int32Array(8);
    for (let word = 0; word < 8; word++) current[word] = u1View.getInt32(word * 4);
    accumulator.set(current);
    // U2..Uc: a 32-byte message after one keyed block, so the padded input is
    // one block: 8 words of U, 0x80 marker, zeros, and the bit length 768.
    for (let iteration = 1; iteration < iterations; iteration++) {
      schedule.set(current);
      schedule[8] = 0x80000000 | 0;
      schedule.fill(0, 9, 15);
      schedule[15] = (blockBytes + 32) * 8;
      state.set(innerState);
      sha256Compress(state, schedule);
      schedule.set(state);
      schedule[8] = 0x80000000 | 0;
      schedule.fill(0, 9, 15);
      schedule[15] = (blockBytes + 32) * 8;
      state.set(outerState);
      sha256Compress(state, schedule);
      for (let word = 0; word < 8; word++) {
        current[word] = state[word]!;
        accumulator[word]! ^= state[word]!;
      }
    }
    // T_i, big-endian; the last block is cut to the requested length.
    const offset = (blockIndex - 1) * 32;
    for (let word = 0; word < 8; word++) blockView.setInt32(word * 4, accumulator[word]!);
    result.set(blockBuffer.subarray(0, Math.min(32, length - offset)), offset);
  }
  return result;
}
