/**
 * The length of a label's A-label form (RFC 3492 Punycode with the `xn--`
 * prefix of RFC 5890 §2.3.2.1), so that generated U-labels respect the
 * 63-octet label limit of RFC 1035 §2.3.4 once converted. Internal.
 *
 * @module
 */

const base = 36;
const tMin = 1;
const tMax = 26;
const skew = 38;
const damp = 700;

function adapt(delta: number, points: number, first: boolean): number {
  let d = first ? Math.floor(delta / damp) : delta >> 1;
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((base - tMin) * tMax) >> 1) {
    d = Math.floor(d / (base - tMin));
    k += base;
  }
  return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
}

function digit(d: number): string {
  return String.fromCharCode(d < 26 ? 0x61 + d : 0x30 + d - 26);
}

/**
 * Encodes a label with RFC 3492 §6.3 (without the `xn--` prefix).
 *
 * @param label - a label, already lower-cased and in NFC
 * @returns the Punycode form
 */
export function punycodeEncode(label: string): string {
  const points = Array.from(label, (c) => c.codePointAt(0) as number);
  let output = points.filter((p) => p < 0x80).map((p) => String.fromCharCode(p)).join("");
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += "-";
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  while (handled < points.length) {
    let m = Number.MAX_SAFE_INTEGER;
    for (const p of points) if (p >= n && p < m) m = p;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const p of points) {
      if (p < n) delta += 1;
      if (p === n) {
        let q = delta;
        for (let k = base; ; k += base) {
          const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
          if (q < t) break;
          output += digit(t + ((q - t) % (base - t)));
          q = Math.floor((q - t) / (base - t));
        }
        output += digit(q);
        bias = adapt(delta, handled + 1, handled === basic);
        delta = 0;
        handled += 1;
      }
    }
    delta += 1;
    n += 1;
  }
  return output;
}

/**
 * The A-label of a label: itself when ASCII, `xn--` and its Punycode otherwise.
 *
 * @param label - a label
 * @returns the ASCII form
 */
export function toALabel(label: string): string {
  for (let i = 0; i < label.length; i += 1) {
    if (label.charCodeAt(i) > 0x7f) return `xn--${punycodeEncode(label)}`;
  }
  return label;
}
