/**
 * Address lists (RFC 5322 §3.4): mailboxes, groups, display names with
 * encoded words (RFC 2047 §5), quoted strings, comments, and the obsolete
 * forms of RFC 5322 §4.4 (routes in angle brackets, a comment as the name,
 * empty list members, missing commas before a `<`); and their formatter.
 *
 * The parser is a hand-written tokenizer plus a small state machine; it never
 * throws and never backtracks. What it cannot make sense of becomes a mailbox
 * with the text as its name and an empty address, as mail clients show it.
 *
 * @module
 */
import { expectArray, expectText } from "./argument-checks.js";
import { decodeEncodedWords, encodeEncodedWord } from "./encoded-words.js";
import { MimeError } from "./mime-error.js";

/** One mailbox: a display name (possibly empty) and an address (possibly empty when malformed). */
export interface Mailbox {
  /** A stable tag: mailboxes and groups share one list. */
  readonly type: "mailbox";
  /** The display name, decoded; `""` when absent. */
  readonly name: string;
  /** The address (`local@domain`), as written, without angle brackets. */
  readonly address: string;
}

/** A named group of mailboxes (RFC 5322 §3.4 `group`), such as `undisclosed-recipients:;`. */
export interface Group {
  /** A stable tag. */
  readonly type: "group";
  /** The group's display name, decoded. */
  readonly name: string;
  /** Its members (possibly none). */
  readonly members: readonly Mailbox[];
}

/** One element of an address list. */
export type AddressListEntry = Mailbox | Group;

type Token =
  | { readonly kind: "word"; readonly text: string; readonly quoted: boolean; readonly spaceBefore: boolean }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "special"; readonly char: string; readonly spaceBefore: boolean };

/** Deepest comment nesting followed; deeper parentheses are read as text. */
const maxCommentDepth = 16;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  let spaceBefore = false;
  while (index < text.length) {
    const char = text[index] as string;
    const code = text.charCodeAt(index);
    if (code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a) {
      spaceBefore = true;
      index++;
      continue;
    }
    if (char === '"') {
      let out = "";
      index++;
      while (index < text.length && text[index] !== '"') {
        if (text[index] === "\\" && index + 1 < text.length) index++;
        const inner = text.charCodeAt(index);
        // Folding inside a quoted string is removed (RFC 5322 §3.2.4).
        if (inner !== 0x0d && inner !== 0x0a) out += text[index];
        index++;
      }
      index++;
      tokens.push({ kind: "word", text: out, quoted: true, spaceBefore });
    } else if (char === "(") {
      let depth = 0;
      let out = "";
      while (index < text.length) {
        const inner = text[index] as string;
        if (inner === "\\" && index + 1 < text.length) {
          out += text[index + 1];
          index += 2;
          continue;
        }
        if (inner === "(" && depth < maxCommentDepth) {
          if (depth > 0) out += inner;
          depth++;
        } else if (inner === ")" && depth > 0) {
          depth--;
          if (depth === 0) {
            index++;
            break;
          }
          out += inner;
        } else {
          out += inner;
        }
        index++;
      }
      tokens.push({ kind: "comment", text: out.trim() });
    } else if ("<>,:;@".includes(char)) {
      tokens.push({ kind: "special", char, spaceBefore });
      index++;
    } else {
      const start = index;
      while (index < text.length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x20 || inner === 0x09 || inner === 0x0d || inner === 0x0a) break;
        if ('"(<>,:;@'.includes(text[index] as string)) break;
        index++;
      }
      tokens.push({ kind: "word", text: text.slice(start, index), quoted: false, spaceBefore });
    }
    spaceBefore = false;
  }
  return tokens;
}

/** Joins the words of a display name: encoded words decoded, adjacent ones glued (RFC 2047 §6.2). */
function phrase(tokens: readonly Token[]): string {
  let raw = "";
  for (const token of tokens) {
    if (token.kind === "comment") continue;
    const separator = raw.length > 0 && token.spaceBefore ? " " : "";
    raw += separator + (token.kind === "word" ? token.text : token.char);
  }
  return decodeEncodedWords(raw);
}

function comments(tokens: readonly Token[]): string {
  return tokens
    .filter((token) => token.kind === "comment" && token.text.length > 0)
    .map((token) => decodeEncodedWords((token as { text: string }).text))
    .join(" ");
}

/**
 * A token as it is written in an address. A quoted local part (`"john smith"@example.com`,
 * RFC 5322 §3.4.1) keeps its quotes: without them the address would be another, invalid one.
 */
function addressText(token: Token): string {
  if (token.kind === "special") return token.char;
  if (token.kind !== "word") return "";
  return token.quoted ? `"${token.text.replace(/[\\"]/g, "\\$&")}"` : token.text;
}

/** Builds one mailbox from the tokens between two commas. */
function mailbox(tokens: readonly Token[]): Mailbox | undefined {
  if (tokens.length === 0) return undefined;
  const open = tokens.findIndex((token) => token.kind === "special" && token.char === "<");
  if (open !== -1) {
    let close = tokens.findIndex((token, index) => index > open && token.kind === "special" && token.char === ">");
    if (close === -1) close = tokens.length;
    let inner = tokens.slice(open + 1, close);
    // RFC 5322 §4.4 obs-route: "<@a,@b:user@host>" drops the route.
    const colon = inner.findIndex((token) => token.kind === "special" && token.char === ":");
    if (colon !== -1 && inner[0]?.kind === "special" && (inner[0] as { char: string }).char === "@") inner = inner.slice(colon + 1);
    const address = inner.map(addressText).join("");
    const outside = [...tokens.slice(0, open), ...tokens.slice(close + 1)];
    let name = phrase(outside);
    const comment = comments(outside);
    if (name.length === 0) name = comment;
    else if (comment.length > 0) name = `${name} (${comment})`;
    return { type: "mailbox", name, address: address.trim() };
  }
  const words = tokens.filter((token) => token.kind !== "comment");
  const comment = comments(tokens);
  const hasAt = words.some((token) => token.kind === "special" && token.char === "@");
  const spaced = words.some((token, index) => index > 0 && token.kind === "word" && token.spaceBefore && !token.quoted);
  const quoted = words.some((token) => token.kind === "word" && token.quoted);
  if (!hasAt && (spaced || quoted)) {
    // Several words, or a quoted string, and no address: a name only ("Undisclosed recipients").
    return { type: "mailbox", name: phrase(words), address: "" };
  }
  const address = words.map(addressText).join("");
  if (address.length === 0 && comment.length === 0) return undefined;
  return { type: "mailbox", name: comment, address };
}

/** The most mailboxes (group members included) read from one list; hostile lists of millions of commas stop there. */
const maxEntries = 10_000;

/**
 * Parses an address list (From, To, Cc, Bcc, Reply-To, Sender...) leniently.
 * Never throws; malformed members become mailboxes with what could be read.
 *
 * @param header - the unfolded header value
 * @returns mailboxes and groups in order
 * @example
 * ```ts
 * import { parseAddressList } from "@smtpkit/mime";
 * parseAddressList('"Doe, Jane" <jane@example.com>, Team: bob@example.com;');
 * // [{ type: "mailbox", name: "Doe, Jane", address: "jane@example.com" },
 * //  { type: "group", name: "Team", members: [{ type: "mailbox", name: "", address: "bob@example.com" }] }]
 * ```
 */
export function parseAddressList(header: string): AddressListEntry[] {
  expectText(header, "the header value");
  const tokens = tokenize(header);
  const entries: AddressListEntry[] = [];
  let current: Token[] = [];
  let group: { name: string; members: Mailbox[] } | undefined;
  let inAngle = false;
  // Mailboxes kept so far, group members included: a group of a million members stops at the cap too.
  let kept = 0;
  const finish = (): void => {
    const entry = mailbox(current);
    current = [];
    if (entry === undefined || kept >= maxEntries) return;
    kept++;
    if (group !== undefined) group.members.push(entry);
    else entries.push(entry);
  };
  for (const token of tokens) {
    if (token.kind === "special") {
      if (token.char === "<") inAngle = true;
      else if (token.char === ">") inAngle = false;
      else if (!inAngle && token.char === ",") {
        finish();
        continue;
      } else if (!inAngle && token.char === ":" && group === undefined && !current.some((t) => t.kind === "special" && t.char === "<")) {
        group = { name: phrase(current), members: [] };
        current = [];
        continue;
      } else if (!inAngle && token.char === ";" && group !== undefined) {
        finish();
        entries.push({ type: "group", name: group.name, members: group.members });
        group = undefined;
        continue;
      } else if (!inAngle && token.char === ";") {
        continue;
      }
    }
    current.push(token);
  }
  finish();
  if (group !== undefined) entries.push({ type: "group", name: group.name, members: group.members });
  return entries;
}

/**
 * The mailboxes of a list, with the groups' members spliced in.
 *
 * @param entries - a parsed address list
 * @returns only mailboxes
 * @example
 * ```ts
 * import { parseAddressList, flattenAddressList } from "@smtpkit/mime";
 * flattenAddressList(parseAddressList("Team: a@example.com, b@example.com;")).length; // 2
 * ```
 */
export function flattenAddressList(entries: readonly AddressListEntry[]): Mailbox[] {
  expectArray(entries, "the address list");
  const out: Mailbox[] = [];
  for (const entry of entries) {
    if (entry.type === "mailbox") out.push(entry);
    else for (const member of entry.members) out.push(member); // no spread: a group may be long
  }
  return out;
}

/** An address as the encoder takes it: `"a@example.com"` or `{ name, address }`. */
export type AddressInput = string | { readonly name?: string; readonly address: string };

/** Options of {@link formatAddressList}. */
export interface FormatAddressOptions {
  /** Write non-ASCII names and addresses as UTF-8 (RFC 6532), for SMTPUTF8 transports. Default false. */
  readonly utf8?: boolean;
}

const atext = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;

function formatName(name: string, utf8: boolean): string {
  if (name.length === 0) return "";
  const words = name.split(" ");
  // A word too long to fold is written as encoded words, which fold (RFC 2047 §2).
  if (words.some((word) => word.length > 60)) return encodeEncodedWord(name);
  // A word holding "=?" anywhere is written encoded: tolerant readers (ours, postal-mime, mailparser) decode an
  // encoded word even when it is glued to other atext, so "#=?utf-8?q?x?=" written bare would come back as "#x".
  if (!name.includes("=?") && words.every((word) => atext.test(word))) return name;
  // Control characters (and Unicode line separators) are never written as they are, even with SMTPUTF8.
  const controls = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(name);
  if (!controls && (/^[\x20-\x7e]*$/.test(name) || utf8)) {
    if (!name.includes("=?")) return `"${name.replace(/[\\"]/g, "\\$&")}"`;
  }
  return encodeEncodedWord(name);
}

/**
 * Refuses an address that cannot be written safely in a header or an SMTP command.
 * @internal
 */
export function checkAddress(address: string, utf8: boolean): void {
  if (typeof address !== "string") throw new MimeError("invalid-address", address, "an address must be a string");
  if (/[\r\n\0]/.test(address)) throw new MimeError("invalid-header", address, "an address must not contain CR, LF or NUL");
  if (address.length === 0) throw new MimeError("invalid-address", address, "an address must not be empty");
  if (/[\s<>(),;:"\\\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(address) || (!utf8 && /[^\x21-\x7e]/.test(address))) {
    throw new MimeError(
      "invalid-address",
      address,
      utf8 ? `${JSON.stringify(address)} is not a mailbox address` : `${JSON.stringify(address)} is not an ASCII mailbox address (pass utf8: true for SMTPUTF8)`,
    );
  }
}

/**
 * Formats addresses for a header (From, To, Cc, Reply-To): names quoted or
 * encoded (RFC 2047) as needed, addresses in angle brackets, joined by `", "`.
 * The result is not folded.
 *
 * @param addresses - addresses as strings or `{ name, address }`
 * @param options - whether UTF-8 may be written as is
 * @returns the header value
 * @throws {@link MimeError} `invalid-header` for CR, LF or NUL in a name or address; `invalid-address` for an address that cannot be written
 * @example
 * ```ts
 * import { formatAddressList } from "@smtpkit/mime";
 * formatAddressList([{ name: "Doe, Jane", address: "jane@example.com" }, "bob@example.com"]);
 * // '"Doe, Jane" <jane@example.com>, bob@example.com'
 * ```
 */
export function formatAddressList(addresses: readonly AddressInput[], options: FormatAddressOptions = {}): string {
  expectArray(addresses, "the addresses");
  const utf8 = options.utf8 === true;
  return addresses
    .map((entry) => {
      if (typeof entry !== "string" && (typeof entry !== "object" || entry === null)) {
        throw new MimeError("invalid-address", entry, "an address must be a string or { name, address }");
      }
      const { name = "", address } = typeof entry === "string" ? { address: entry } : entry;
      if (typeof address !== "string" || typeof name !== "string") {
        throw new MimeError("invalid-address", entry, "an address must be a string or { name, address }");
      }
      if (/[\r\n\0]/.test(name)) throw new MimeError("invalid-header", name, "a display name must not contain CR, LF or NUL");
      checkAddress(address, utf8);
      const formatted = formatName(name, utf8);
      return formatted.length === 0 ? address : `${formatted} <${address}>`;
    })
    .join(", ");
}
