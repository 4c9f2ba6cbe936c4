/**
 * File names for extracted attachments. A file name in a message is chosen
 * by its sender, so it is hostile: `../../.bashrc`, `/etc/passwd`,
 * `C:\Windows\win.ini`, a NUL byte that cuts the name short in C APIs,
 * a Windows device name (`NUL`, `COM1.txt`) that opens a device instead of a
 * file, a bidi override that disguises the extension, or 10 kB of text.
 *
 * {@link safeFileName} keeps what is recognisable (the last path segment,
 * its extension) and removes everything else, so that the result is always a
 * single, ordinary, visible name; joined to a directory it names a file
 * directly inside it.
 *
 * @module
 */

/**
 * Longest name, in UTF-8 bytes, that {@link safeFileName} returns. Most
 * file systems allow 255; the margin leaves room for the `-2` suffixes that
 * keep names in one directory apart and for temporary-file prefixes.
 *
 * @example
 * ```ts
 * import { maxFileNameBytes } from "@smtpkit/cli";
 * maxFileNameBytes; // 200
 * ```
 */
export const maxFileNameBytes = 200;

// Characters no file name should hold: path separators (handled before),
// Windows' forbidden set, and every control or invisible reordering character.
const forbidden = /[<>:"|?*\u0000-\u001f\u007f-\u009f]/g;
const invisible = /[\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// Windows opens devices for these names, with any extension and any case.
const reservedNames = new Set([
  "con",
  "prn",
  "aux",
  "nul",
  "conin$",
  "conout$",
  ...Array.from({ length: 10 }, (_, index) => `com${index}`),
  ...Array.from({ length: 10 }, (_, index) => `lpt${index}`),
  "com¹",
  "com²",
  "com³",
  "lpt¹",
  "lpt²",
  "lpt³",
]);

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** Cuts `text` to at most `budget` UTF-8 bytes without splitting a character. */
function cutToBytes(text: string, budget: number): string {
  let used = 0;
  let end = 0;
  for (const character of text) {
    const size = utf8Length(character);
    if (used + size > budget) break;
    used += size;
    end += character.length;
  }
  return text.slice(0, end);
}

function isDotOrSpace(character: string): boolean {
  // Any Unicode white space (what String#trim removes), not only U+0020.
  return character === "." || character.trim() === "";
}

function trimDotsAndSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  // Leading dots hide files (and "." and ".." name directories); leading
  // spaces and trailing dots or spaces are dropped by Windows, so a name
  // ending in them is not the name that gets written.
  while (start < end && isDotOrSpace(text[start] as string)) start++;
  while (end > start && isDotOrSpace(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

/**
 * Turns a file name from a message into one that is safe to create in a
 * directory: a single path segment (the last one of `/` or `\` separated
 * paths), no control, invisible or Windows-forbidden characters, no leading
 * dot, no Windows device name, at most {@link maxFileNameBytes} UTF-8 bytes
 * (the extension kept when the name is cut), Unicode NFC.
 *
 * @param name - the name as the message gives it (may be anything)
 * @param fallback - the name to use when nothing usable is left (used as given; pass a safe one)
 * @returns a name that is never empty, `.` or `..`, and never contains a path separator
 * @example
 * ```ts
 * import { safeFileName } from "@smtpkit/cli";
 * safeFileName("../../etc/passwd", "part.bin");    // "passwd"
 * safeFileName("C:\\Windows\\win.ini", "part.bin"); // "win.ini"
 * safeFileName("nul.txt", "part.bin");             // "_nul.txt"
 * safeFileName("..", "part.bin");                  // "part.bin"
 * ```
 */
export function safeFileName(name: string, fallback: string): string {
  let segment = "";
  // The last non-empty segment: "dir/" names "dir", "a/../" names "a".
  for (const part of name.split(/[/\\]/)) {
    const cleaned = trimDotsAndSpaces(part.normalize("NFC").replace(invisible, "").replace(forbidden, "_"));
    if (cleaned.length > 0) segment = cleaned;
  }
  if (segment.length === 0) return fallback;
  // Windows takes "NUL.tar.gz" and "nul .txt" for the device too: what counts is the part before the first dot.
  if (reservedNames.has((segment.split(".")[0] as string).trimEnd().toLowerCase())) segment = `_${segment}`;
  if (utf8Length(segment) > maxFileNameBytes) {
    const dot = segment.lastIndexOf(".");
    const extension = dot > 0 && segment.length - dot <= 16 ? segment.slice(dot) : "";
    const stem = trimDotsAndSpaces(cutToBytes(segment.slice(0, segment.length - extension.length), maxFileNameBytes - utf8Length(extension)));
    segment = stem.length === 0 ? "" : stem + extension;
  }
  return segment.length === 0 || segment === "." || segment === ".." ? fallback : segment;
}
