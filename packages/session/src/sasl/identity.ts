/**
 * Checks on the identities a peer sends (user names, authorization
 * identities), so nothing that could forge a log line or confuse a lookup
 * reaches the embedder.
 *
 * Internal: not exported from the package.
 *
 * @module
 */

/**
 * Whether `name` is acceptable as a user name or authorization identity:
 * non-empty, and free of control characters (C0 including NUL, DEL, C1),
 * line and paragraph separators (U+2028, U+2029) and bidirectional
 * embedding/override/isolate controls (U+202A-202E, U+2066-2069), which can
 * split or disguise log lines.
 */
export function isAcceptableIdentity(name: string): boolean {
  if (name.length === 0) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
    if (code === 0x2028 || code === 0x2029) return false;
    if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return false;
  }
  return true;
}
