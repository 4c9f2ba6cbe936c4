/**
 * `format=flowed` text (RFC 3676): lines that end in a space are joined with
 * the next line of the same quote depth (§4.2), space-stuffing is undone
 * (§4.4), `delsp=yes` removes the space that marked the soft break (§4.3),
 * and the signature separator `-- ` is never flowed (§4.3).
 *
 * @module
 */
import { expectText } from "./argument-checks.js";

/**
 * Decodes `format=flowed` text into plain paragraphs.
 *
 * @param text - the text, with LF or CRLF line ends
 * @param deleteSpace - true when the part says `delsp=yes`
 * @returns the text with soft line breaks removed, line ends LF
 * @example
 * ```ts
 * import { decodeFlowed } from "@smtpkit/mime";
 * decodeFlowed("Hello \r\nworld\r\n> quoted \r\n> line\r\n"); // "Hello world\n> quoted line\n"
 * ```
 */
export function decodeFlowed(text: string, deleteSpace = false): string {
  expectText(text, "the text");
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let paragraph: string | undefined;
  let paragraphDepth = 0;
  for (const raw of lines) {
    let depth = 0;
    while (depth < raw.length && raw.charCodeAt(depth) === 0x3e) depth++;
    let line = raw.slice(depth);
    if (line.startsWith(" ")) line = line.slice(1); // §4.4 space-stuffing (and the space after ">")
    const isSignature = line === "-- ";
    const flowed = !isSignature && line.endsWith(" ");
    if (paragraph !== undefined && depth !== paragraphDepth) {
      out.push(paragraph);
      paragraph = undefined;
    }
    const piece = flowed && deleteSpace ? line.slice(0, -1) : line;
    const prefix = depth > 0 ? `${">".repeat(depth)} ` : "";
    if (paragraph === undefined) {
      paragraph = prefix + piece;
      paragraphDepth = depth;
    } else {
      paragraph += piece;
    }
    if (!flowed) {
      out.push(paragraph);
      paragraph = undefined;
    }
  }
  if (paragraph !== undefined) out.push(paragraph);
  return out.join("\n");
}
