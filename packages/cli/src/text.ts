/**
 * Text helpers for terminal output. Everything printed from a message is
 * hostile: a subject or a file name may hold escape sequences that move the
 * cursor, rewrite earlier lines or set the window title, or bidirectional
 * overrides that make `invoice‮fdp.exe` read as `invoiceexe.pdf`. They are
 * shown as `\u{…}` escapes instead.
 *
 * @module
 */

// C0 controls except tab and line feed, DEL, C1 controls, and the Unicode
// format characters that reorder or hide text (bidi embeddings, overrides and
// isolates, line/paragraph separators, zero-width and BOM).
// A character class with no quantifier: linear on any input.
const unsafeInText = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const unsafeInLine = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escape(character: string): string {
  return `\\u{${(character.codePointAt(0) as number).toString(16)}}`;
}

/**
 * Makes untrusted text safe to print on one line: every control and
 * reordering character, line ends included, becomes a visible escape.
 *
 * @param text - text from a message or the command line
 * @returns the text with the dangerous characters escaped
 * @internal
 */
export function printable(text: string): string {
  return text.replace(unsafeInLine, escape);
}

/**
 * Like {@link printable}, but keeps line feeds and tabs (for body excerpts).
 *
 * @param text - text from a message
 * @returns the text with the dangerous characters escaped
 * @internal
 */
export function printableBlock(text: string): string {
  return text.replace(unsafeInText, escape);
}

/**
 * A byte count for people: `"1,234 bytes"`.
 *
 * @param count - a number of bytes
 * @returns the count with thousands separators and its unit
 * @internal
 */
export function formatBytes(count: number): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? "byte" : "bytes"}`;
}
