/**
 * Line-ending repair for BDAT content (RFC 3030 §3): outside BINARYMIME a
 * chunk's octets are still lines that end in CRLF, so a bare CR or a bare LF
 * becomes CRLF (RFC 5321 §2.3.8), exactly as the DATA encoder of
 * `@smtpkit/grammar` does, minus the dot-stuffing BDAT does not need. The
 * same message therefore reaches the server with the same octets whether it
 * went by DATA or by BDAT.
 *
 * Not a MIME encoder: 8-bit octets pass unchanged.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/** Repairs line endings incrementally. Internal to the client session. */
export class LineEndingRepair {
  #pendingCr = false;

  /**
   * Repairs the next chunk. A CR at the end of a chunk is sent at once; its
   * LF is added at the start of the next chunk when that does not begin with one.
   *
   * @param chunk - content octets
   * @returns the octets to send: `chunk` itself when nothing changed
   */
  push(chunk: Uint8Array): Uint8Array {
    const length = chunk.length;
    if (length === 0) return chunk;
    const insertions: number[] = [];
    let i = 0;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (chunk[0] === LF) i = 1;
      else insertions.push(0 * 2 + 1); // LF before position 0
    }
    // The next CR and LF at or after i; each is searched for again only once passed.
    let cr = -2;
    let lf = -2;
    while (i < length) {
      if (cr !== -1 && cr < i) cr = chunk.indexOf(CR, i);
      if (lf !== -1 && lf < i) lf = chunk.indexOf(LF, i);
      if (cr < 0 && lf < 0) break;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (cr + 1 === length) {
          this.#pendingCr = true;
          break;
        }
        if (chunk[cr + 1] === LF) {
          i = cr + 2;
        } else {
          insertions.push((cr + 1) * 2 + 1); // LF after the bare CR
          i = cr + 1;
        }
      } else {
        insertions.push(lf * 2); // CR before the bare LF
        i = lf + 1;
      }
    }
    if (insertions.length === 0) return chunk;
    const out = new Uint8Array(length + insertions.length);
    let from = 0;
    let o = 0;
    for (const entry of insertions) {
      const at = entry >>> 1;
      if (at > from) {
        out.set(chunk.subarray(from, at), o);
        o += at - from;
        from = at;
      }
      out[o++] = (entry & 1) === 1 ? LF : CR;
    }
    out.set(chunk.subarray(from), o);
    return out;
  }

  /**
   * Ends the content.
   *
   * @returns the LF that completes a final bare CR, or nothing
   */
  end(): Uint8Array {
    const out = this.#pendingCr ? Uint8Array.of(LF) : new Uint8Array(0);
    this.#pendingCr = false;
    return out;
  }
}

/**
 * Whether any octet is 8-bit (RFC 6152: content without 8BITMIME is 7-bit).
 * Internal.
 */
export function hasEightBitOctet(chunk: Uint8Array): boolean {
  for (let i = 0; i < chunk.length; i += 1) if ((chunk[i] as number) >= 0x80) return true;
  return false;
}

/**
 * Whether any octet is NUL (allowed only in BINARYMIME content, RFC 3030 §3).
 * Internal.
 */
export function hasNulOctet(chunk: Uint8Array): boolean {
  return chunk.indexOf(0) >= 0;
}
