/**
 * The scripted SMTP server of client conformance, sans-IO: bytes from the
 * client in, actions out (write, stream, start TLS, hold, close). It plays a
 * plain RFC 5321 server (greeting, EHLO/HELO, STARTTLS, AUTH PLAIN/LOGIN
 * taking any credentials, MAIL, RCPT, DATA, RSET, NOOP, QUIT) with one
 * misbehaviour from `cases.ts`, and records what the client did for the judge.
 *
 * It does not advertise PIPELINING, so a client must wait for each reply
 * (RFC 2920 §3.1), and any command that arrives before the reply to the one
 * before it was written is marked `pipelined`. Input is bounded: a command
 * line over {@link SCRIPTED_MAX_LINE} octets is answered 500 and skipped;
 * message content is scanned for the end of data, never stored (only its
 * first octets are kept for the transcript).
 *
 * @module
 */
import type { ClientCaseId } from "./cases.js";
import { concatBytes } from "../internal/bytes.js";

/** The longest command line kept: 4096 octets (RFC 5321 §4.5.3.1.4 asks for 512; peers send more with extensions). */
export const SCRIPTED_MAX_LINE = 4096;

/** How much of the message content is kept for the transcript: 2048 octets. */
const maxContentShown = 2048;

/** What the scripted server asks its transport to do, in order. */
export type ScriptedAction =
  /** Write these octets (`byteByByte`: one octet per write). */
  | { readonly type: "write"; readonly bytes: Uint8Array; readonly byteByByte: boolean }
  /**
   * Write `head`, then `filler` again and again until `total` octets or the end of the connection; then
   * wait `grace` milliseconds for the client to give up and call {@link ScriptedServer.streamOutlasted} if it has not.
   */
  | { readonly type: "stream"; readonly head: Uint8Array; readonly filler: Uint8Array; readonly total: number; readonly grace: number }
  /** Start the TLS handshake now (after the writes before it). */
  | { readonly type: "start-tls" }
  /** Call {@link ScriptedServer.release} after this many milliseconds. */
  | { readonly type: "hold"; readonly milliseconds: number }
  /** Close the connection (after the writes before it). */
  | { readonly type: "close" };

/** One command as the server read it. */
export interface ReceivedCommand {
  /** The verb, upper case (`""` for an empty line). */
  readonly verb: string;
  /** The line, without CRLF; AUTH responses are replaced by `[credentials]`. */
  readonly line: string;
  /** Whether TLS was active. */
  readonly tls: boolean;
  /** Whether it arrived before the reply to the command before it was written (pipelining). */
  readonly pipelined: boolean;
  /** How many replies the server had written before it. */
  readonly repliesBefore: number;
}

/** One entry of a transcript: what one side wrote. */
export interface TranscriptEntry {
  /** Who wrote it; `note` for what the server did that is not bytes (TLS started, closed...). */
  readonly from: "client" | "server" | "note";
  /** Whether TLS was active. */
  readonly tls: boolean;
  /** The text, with CR and LF shown as `\r` and `\n` (credentials hidden, long content cut). */
  readonly text: string;
}

/** What the scripted server saw, for the judge. */
export interface ScriptedObservation {
  /** Every command, in order. */
  readonly commands: readonly ReceivedCommand[];
  /** The exchange, in order. */
  readonly transcript: readonly TranscriptEntry[];
  /** Messages answered 250 after the end of data. */
  readonly messagesAccepted: number;
  /** Octets of message content received after a reply that did not ask for content (a 250 to DATA). */
  readonly contentWithoutGoAhead: number;
  /** MAIL or RCPT parameter keywords the client used that were not advertised. */
  readonly undeclaredParameters: readonly string[];
  /** Whether STARTTLS was sent. */
  readonly startTlsSent: boolean;
  /** Commands that arrived inside TLS while the answer to the first one was held back (injection case). */
  readonly commandsWhileHeld: readonly string[];
  /** Whether the client was still connected, without QUIT, a grace period after the whole endless reply was written. */
  readonly stillConnectedAfterStream: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * The characters a terminal acts on instead of showing (C0 and C1 controls,
 * DEL) and those that reorder or hide text (bidi overrides and isolates,
 * zero-width, line separators, BOM): a client's bytes printed in a report must
 * not clear the screen, set the window title or reorder the line.
 */
function isUnsafe(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x200b && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e) || (code >= 0x2060 && code <= 0x2069) || code === 0xfeff;
}

function escapeUnsafe(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/** Text with every {@link isUnsafe} character shown as `\xNN` or `\u{NNNN}`; backslashes stay as they are. */
function visibleControls(text: string): string {
  let out = "";
  for (const character of text) {
    const code = character.charCodeAt(0);
    out += isUnsafe(code) ? escapeUnsafe(code) : character;
  }
  return out;
}

/** Text as a transcript shows it: CR, LF and backslash escaped, and every other {@link isUnsafe} character. */
function showText(text: string): string {
  let out = "";
  for (const character of text) {
    const code = character.charCodeAt(0);
    if (character === "\r") out += "\\r";
    else if (character === "\n") out += "\\n";
    else if (character === "\\") out += "\\\\";
    else if (isUnsafe(code)) out += escapeUnsafe(code);
    else out += character;
  }
  return out;
}

/** Shows bytes as text with CR, LF and other controls escaped. */
export function showBytes(bytes: Uint8Array, limit = maxContentShown): string {
  const out = showText(decoder.decode(bytes.subarray(0, limit)));
  return bytes.length > limit ? `${out}…(${bytes.length} octets)` : out;
}

/**
 * The client's EHLO/HELO name as the greeting reply may echo it: its first
 * word, printable ASCII only (RFC 5321 §4.2 textstring has no controls) and at
 * most 255 octets (RFC 5321 §4.5.3.1.2), so a client's bytes never make the
 * scripted server's own reply invalid or over-long.
 */
function echoedName(argument: string): string {
  const word = argument.split(" ")[0] ?? "";
  let out = "";
  for (const character of word) {
    const code = character.charCodeAt(0);
    if (code > 0x20 && code < 0x7f) out += character;
    if (out.length >= 255) break;
  }
  return out;
}

type Mode =
  /** Reading command lines. */
  | "command"
  /** Reading message content after 354. */
  | "data"
  /** AUTH PLAIN: waiting for the response line. */
  | "auth-plain"
  /** AUTH LOGIN: waiting for the user name. */
  | "auth-login-user"
  /** AUTH LOGIN: waiting for the password. */
  | "auth-login-password"
  /** The greeting was 421 or 554. */
  | "refused"
  /** A 421 was sent mid-session; closing after a hold. */
  | "closing"
  /** Never answering. */
  | "silent"
  /** An endless reply is being written: only QUIT is heard (and ends the connection). */
  | "streaming"
  /** Inside TLS after the injection: the answer to the first command is held back. */
  | "held"
  /** Done. */
  | "closed";

/** Which parameter keywords each advertised extension allows (RFC 1870, 6152, 3461, 6531, 4954 §5). */
const parameterExtensions: Readonly<Record<string, string>> = {
  SIZE: "SIZE",
  BODY: "8BITMIME",
  SMTPUTF8: "SMTPUTF8",
  RET: "DSN",
  ENVID: "DSN",
  NOTIFY: "DSN",
  ORCPT: "DSN",
  AUTH: "AUTH",
  REQUIRETLS: "REQUIRETLS",
};

/** Options of {@link ScriptedServer}. */
export interface ScriptedServerOptions {
  /** The server's name in its replies. */
  readonly hostname: string;
  /** Octets of the enormous reply before the server gives up and closes. */
  readonly enormousReplyBytes: number;
  /** Milliseconds the answer to the first command inside TLS is held back (injection case). */
  readonly injectionHold: number;
  /** Milliseconds the connection stays open after a 421 mid-session. */
  readonly closingHold: number;
  /** Milliseconds the client has to give up after the whole endless reply was written. */
  readonly streamGrace: number;
}

/** The scripted server for one connection and one case. Internal to the runner; exported for its tests. */
export class ScriptedServer {
  readonly #case: ClientCaseId;
  readonly #options: ScriptedServerOptions;
  #mode: Mode = "command";
  #tls = false;
  #advertised: ReadonlySet<string> | undefined;
  #pending: Uint8Array = new Uint8Array(0);
  #skippingLongLine = false;
  #dataState = 2;
  #dataShown: Uint8Array[] = [];
  #dataShownLength = 0;
  #dataLength = 0;
  #replies = 0;
  #firstTlsCommand: string | undefined;
  #answeredInTls = false;
  #heldBytes: Uint8Array = new Uint8Array(0);
  #replaying = false;
  #afterFakeData = false;
  #actions: ScriptedAction[] = [];
  readonly #commands: ReceivedCommand[] = [];
  readonly #transcript: TranscriptEntry[] = [];
  readonly #undeclared: string[] = [];
  readonly #whileHeld: string[] = [];
  #messagesAccepted = 0;
  #contentWithoutGoAhead = 0;
  #startTlsSent = false;
  #stillConnectedAfterStream = false;

  /**
   * @param caseId - the misbehaviour to play
   * @param options - name, sizes and hold times
   */
  constructor(caseId: ClientCaseId, options: ScriptedServerOptions) {
    this.#case = caseId;
    this.#options = options;
  }

  /** The greeting (or silence). */
  start(): ScriptedAction[] {
    const name = this.#options.hostname;
    if (this.#case === "greeting-421") {
      // RFC 5321 §3.8 lets a server close after 421; it stays open to see what the client does.
      this.#mode = "refused";
      this.#reply(`421 ${name} Service not available, closing transmission channel`);
    } else if (this.#case === "greeting-554") {
      // RFC 5321 §3.1: after a 554 greeting the server waits for QUIT and answers 503 to anything else.
      this.#mode = "refused";
      this.#reply(`554 ${name} No SMTP service here`);
    } else {
      this.#reply(`220 ${name} ESMTP smtpkit client conformance (${this.#case})`);
    }
    return this.#take();
  }

  /**
   * Takes bytes from the client.
   *
   * @param bytes - what arrived
   * @returns what to do
   */
  receive(bytes: Uint8Array): ScriptedAction[] {
    if (this.#mode === "closed") return [];
    let input = this.#pending.length === 0 ? bytes : concatBytes([this.#pending, bytes]);
    this.#pending = new Uint8Array(0);
    let first = true;
    while (input.length > 0 && !this.closed) {
      if (this.#mode === "data") {
        const used = this.#data(input);
        input = input.subarray(used);
        // A command behind the end of data in the same arrival was written before the 250 to it.
        first = false;
        continue;
      }
      const lf = input.indexOf(10);
      if (lf < 0) {
        if (this.#skippingLongLine) break;
        if (input.length > SCRIPTED_MAX_LINE) {
          this.#skippingLongLine = true;
          this.#note(`a line over ${SCRIPTED_MAX_LINE} octets was skipped`);
          this.#reply("500 Line too long");
          break;
        }
        this.#pending = input.slice();
        break;
      }
      const line = input.subarray(0, lf + 1);
      input = input.subarray(lf + 1);
      if (this.#skippingLongLine) {
        this.#skippingLongLine = false;
        continue;
      }
      // More input behind this line in the same arrival means the client wrote it before this line was answered.
      const pipelined = !first;
      first = false;
      this.#line(line, pipelined);
    }
    return this.#take();
  }

  /** The TLS handshake completed. */
  tlsEstablished(): ScriptedAction[] {
    this.#tls = true;
    // RFC 3207 §4.2: the session is back in the state after the greeting.
    this.#advertised = undefined;
    this.#note("TLS established");
    return this.#take();
  }

  /** A `hold` is over. */
  release(): ScriptedAction[] {
    if (this.#mode === "held") {
      this.#mode = "command";
      const first = this.#firstTlsCommand ?? "";
      this.#note("the held answer is written now");
      this.#answer(first);
      // Commands that came while the answer was held (recorded then) are answered now, in turn.
      const waiting = concatBytes([this.#heldBytes, this.#pending]);
      this.#heldBytes = new Uint8Array(0);
      this.#pending = new Uint8Array(0);
      if (waiting.length > 0) {
        const before = this.#take();
        this.#replaying = true;
        try {
          return [...before, ...this.receive(waiting)];
        } finally {
          this.#replaying = false;
        }
      }
    } else if (this.#mode === "closing") {
      this.#close("the server closes after its 421");
    }
    return this.#take();
  }

  /** The client was still connected (and had not sent QUIT) a grace period after the endless reply was written. */
  streamOutlasted(): ScriptedAction[] {
    this.#stillConnectedAfterStream = true;
    this.#close(`the client was still connected ${this.#options.streamGrace} ms after the whole endless reply: the server closes`);
    return this.#take();
  }

  /** The connection ended (either side). */
  ended(): void {
    this.#mode = "closed";
  }

  /** Whether the server has closed or was told the connection ended. */
  get closed(): boolean {
    return this.#mode === "closed";
  }

  /** Adds a note to the transcript (the transport's view: TLS failures, closes, timeouts). */
  note(text: string): void {
    this.#note(text);
  }

  /** What the server saw so far. */
  observation(): ScriptedObservation {
    this.#flushContent();
    return {
      commands: [...this.#commands],
      transcript: [...this.#transcript],
      messagesAccepted: this.#messagesAccepted,
      contentWithoutGoAhead: this.#contentWithoutGoAhead,
      undeclaredParameters: [...this.#undeclared],
      startTlsSent: this.#startTlsSent,
      commandsWhileHeld: [...this.#whileHeld],
      stillConnectedAfterStream: this.#stillConnectedAfterStream,
    };
  }

  // --- lines ------------------------------------------------------------------

  #line(bytes: Uint8Array, pipelined: boolean): void {
    const end = bytes.length >= 2 && bytes[bytes.length - 2] === 13 ? bytes.length - 2 : bytes.length - 1;
    const text = decoder.decode(bytes.subarray(0, end));
    if (this.#mode === "auth-plain" || this.#mode === "auth-login-user" || this.#mode === "auth-login-password") {
      this.#record("[credentials]", "", pipelined);
      this.#authStep(text);
      return;
    }
    const space = text.indexOf(" ");
    const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
    const shown = verb === "AUTH" ? `${text.split(" ").slice(0, 2).join(" ")}${text.split(" ").length > 2 ? " [credentials]" : ""}` : text;
    this.#record(shown, verb, pipelined);
    if (this.#mode === "silent") return;
    if (this.#mode === "streaming") {
      // The reply cannot be finished any more; a QUIT is the client giving up cleanly.
      if (verb === "QUIT") this.#close("the client sent QUIT during the endless reply; the server closes");
      return;
    }
    if (this.#mode === "held") {
      this.#whileHeld.push(visibleControls(shown));
      // Kept so that it is answered after the held reply, in order.
      this.#heldBytes = concatBytes([this.#heldBytes, bytes]);
      return;
    }
    if (this.#mode === "refused") {
      if (verb === "QUIT") {
        this.#reply(`221 ${this.#options.hostname} closing`);
        this.#close("the server closes after QUIT");
      } else {
        this.#reply(this.#case === "greeting-421" ? `421 ${this.#options.hostname} Service not available` : "503 Bad sequence of commands");
      }
      return;
    }
    if (this.#mode === "closing") {
      if (verb === "QUIT") {
        this.#reply(`221 ${this.#options.hostname} closing`);
        this.#close("the server closes after QUIT");
      } else {
        if (verb !== "RSET" && verb !== "NOOP") this.#contentAfterRefusal(shown);
        this.#reply(`421 ${this.#options.hostname} Service not available`);
      }
      return;
    }
    if (this.#tls && this.#case === "starttls-injection" && this.#firstTlsCommand === undefined && this.#mode === "command" && !this.#answeredInTls) {
      // Hold the real answer back: a client that took the injected 250 as this answer sends its next command now.
      this.#answeredInTls = true;
      this.#firstTlsCommand = text;
      this.#mode = "held";
      this.#note(`the answer to the first command inside TLS is held back for ${this.#options.injectionHold} ms`);
      this.#actions.push({ type: "hold", milliseconds: this.#options.injectionHold });
      return;
    }
    this.#answer(text);
  }

  #contentAfterRefusal(line: string): void {
    this.#contentWithoutGoAhead += line.length + 2;
  }

  #answer(text: string): void {
    const name = this.#options.hostname;
    const space = text.indexOf(" ");
    const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
    const argument = space < 0 ? "" : text.slice(space + 1);
    if (this.#afterFakeData && !["QUIT", "RSET", "NOOP", "MAIL", "EHLO", "HELO"].includes(verb)) {
      // After a 250 to DATA, a line that is no command is message content sent without a 354.
      this.#contentWithoutGoAhead += text.length + 2;
      if (text === ".") this.#afterFakeData = false;
      this.#reply("500 Command unrecognized");
      return;
    }
    this.#afterFakeData = false;
    switch (verb) {
      case "EHLO":
        if (this.#case === "ehlo-refused") {
          this.#reply("502 Command not implemented");
          return;
        }
        if (this.#case === "reply-line-enormous") {
          this.#stream(`250-${name} `, "x".repeat(1024));
          return;
        }
        if (this.#case === "reply-lines-endless") {
          this.#stream(`250-${name}\r\n`, `250-X-FILLER ${"y".repeat(60)}\r\n`);
          return;
        }
        if (this.#case === "never-answers") {
          this.#mode = "silent";
          this.#note("the server stays silent from here on");
          return;
        }
        {
          const keywords = ["8BITMIME", "AUTH PLAIN LOGIN"];
          if (!this.#tls && this.#case !== "starttls-not-offered") keywords.push("STARTTLS");
          this.#advertised = new Set(keywords.map((k) => k.split(" ")[0] as string));
          this.#reply([`${name} greets ${echoedName(argument)}`, ...keywords]);
        }
        return;
      case "HELO":
        this.#advertised = new Set();
        this.#reply(`250 ${name} greets ${echoedName(argument)}`);
        return;
      case "STARTTLS":
        this.#startTlsSent = true;
        if (this.#tls || this.#advertised?.has("STARTTLS") !== true) {
          this.#reply("503 STARTTLS not offered here");
          return;
        }
        if (this.#case.startsWith("starttls-refused-")) {
          const code = this.#case.slice("starttls-refused-".length);
          this.#reply(`${code} TLS not available (client conformance case ${this.#case})`);
          return;
        }
        if (this.#case === "starttls-injection") {
          // RFC 3207 §4.1 / CVE-2011-1430: one write holding the 220 and a reply no command asked for.
          this.#write("220 Ready to start TLS\r\n250 injected\r\n", "220 Ready to start TLS\\r\\n250 injected\\r\\n");
        } else {
          this.#reply("220 Ready to start TLS");
        }
        // Bytes the client sent behind STARTTLS in clear text are dropped (RFC 3207 §5).
        this.#pending = new Uint8Array(0);
        this.#actions.push({ type: "start-tls" });
        return;
      case "AUTH":
        this.#auth(argument);
        return;
      case "MAIL":
        this.#checkParameters(argument);
        if (this.#case === "wrong-class-354-to-mail") {
          this.#reply("354 Start mail input; end with <CRLF>.<CRLF>");
          return;
        }
        if (this.#case === "multiline-unterminated-close") {
          this.#write("250-Sender ok, and more to say\r\n");
          this.#close("the server closes before the reply's last line");
          return;
        }
        this.#reply("250 Sender ok");
        return;
      case "RCPT":
        this.#checkParameters(argument);
        if (this.#case === "multiline-mixed-codes") {
          this.#write("250-Recipient ok\r\n550 No such user here\r\n");
          return;
        }
        if (this.#case === "service-closing-421") {
          this.#reply(`421 ${name} Service not available, closing transmission channel`);
          this.#mode = "closing";
          this.#actions.push({ type: "hold", milliseconds: this.#options.closingHold });
          return;
        }
        this.#reply("250 Recipient ok");
        return;
      case "DATA":
        if (this.#case === "wrong-class-250-to-data") {
          this.#reply("250 OK");
          this.#afterFakeData = true;
          return;
        }
        this.#reply("354 Start mail input; end with <CRLF>.<CRLF>");
        this.#mode = "data";
        this.#dataState = 2;
        this.#dataLength = 0;
        return;
      case "RSET":
      case "NOOP":
        this.#reply("250 OK");
        return;
      case "VRFY":
        this.#reply("252 Cannot VRFY user");
        return;
      case "QUIT":
        this.#reply(`221 ${name} closing`);
        this.#close("the server closes after QUIT");
        return;
      default:
        this.#reply("500 Command unrecognized");
    }
  }

  #auth(argument: string): void {
    const [mechanism = "", initial] = argument.split(" ");
    if (this.#advertised?.has("AUTH") !== true) {
      this.#reply("503 AUTH not offered here");
      return;
    }
    switch (mechanism.toUpperCase()) {
      case "PLAIN":
        if (initial === undefined) {
          this.#mode = "auth-plain";
          this.#reply("334 ");
        } else {
          this.#reply("235 Authentication successful");
        }
        return;
      case "LOGIN":
        this.#mode = initial === undefined ? "auth-login-user" : "auth-login-password";
        this.#reply(initial === undefined ? "334 VXNlcm5hbWU6" : "334 UGFzc3dvcmQ6");
        return;
      default:
        this.#reply("504 Unrecognized authentication type");
    }
  }

  #authStep(text: string): void {
    if (text === "*") {
      this.#mode = "command";
      this.#reply("501 Authentication cancelled");
    } else if (this.#mode === "auth-login-user") {
      this.#mode = "auth-login-password";
      this.#reply("334 UGFzc3dvcmQ6");
    } else {
      this.#mode = "command";
      this.#reply("235 Authentication successful");
    }
  }

  #checkParameters(argument: string): void {
    // The path ends at the first ">" (paths with ">" inside quotes are rare enough for a judge).
    const close = argument.indexOf(">");
    const rest = close < 0 ? "" : argument.slice(close + 1).trim();
    if (rest === "") return;
    for (const parameter of rest.split(" ")) {
      if (parameter === "") continue;
      const keyword = (parameter.split("=")[0] ?? "").toUpperCase();
      const extension = parameterExtensions[keyword];
      if (extension === undefined || this.#advertised?.has(extension) !== true) this.#undeclared.push(parameter);
    }
  }

  /** Message content: scans for CRLF.CRLF with a small state machine; returns the octets used. */
  #data(input: Uint8Array): number {
    if (this.#case === "close-mid-data") {
      this.#showContent(input);
      this.#flushContent();
      this.#close("the server closes in the middle of the message content");
      return input.length;
    }
    // States: 0 inside a line, 1 after CR, 2 at a line start, 3 after "." at a line start, 4 after that ".\r".
    let state = this.#dataState;
    for (let i = 0; i < input.length; i += 1) {
      const octet = input[i] as number;
      if (state === 4 && octet === 10) {
        this.#showContent(input.subarray(0, i + 1));
        this.#dataLength += i + 1;
        this.#flushContent();
        this.#mode = "command";
        this.#messagesAccepted += 1;
        this.#reply("250 Message accepted");
        return i + 1;
      }
      if (octet === 13) state = state === 3 ? 4 : 1;
      else if (octet === 10 && state === 1) state = 2;
      else if (octet === 46 && state === 2) state = 3;
      else state = 0;
    }
    this.#dataState = state;
    this.#dataLength += input.length;
    this.#showContent(input);
    return input.length;
  }

  #showContent(bytes: Uint8Array): void {
    if (this.#dataShownLength >= maxContentShown) {
      this.#dataShownLength += bytes.length;
      return;
    }
    this.#dataShown.push(bytes.slice(0, maxContentShown - this.#dataShownLength));
    this.#dataShownLength += bytes.length;
  }

  #flushContent(): void {
    if (this.#dataShown.length === 0) return;
    const shown = concatBytes(this.#dataShown);
    const cut = this.#dataShownLength > shown.length ? `…(${this.#dataShownLength} octets of content)` : "";
    this.#transcript.push({ from: "client", tls: this.#tls, text: `${showBytes(shown)}${cut}` });
    this.#dataShown = [];
    this.#dataShownLength = 0;
  }

  // --- output -----------------------------------------------------------------

  #record(shown: string, verb: string, pipelined: boolean): void {
    if (this.#replaying) return;
    // Lines a client writes as message content (after a refused DATA or a 250 to it) come in one write by
    // nature: that breaks the content rules, not the pipelining one.
    const asContent = this.#afterFakeData || this.#mode === "refused" || this.#mode === "closing";
    // The line is the client's: what the judge quotes and the transcript shows has its controls escaped.
    this.#commands.push({ verb, line: visibleControls(shown), tls: this.#tls, pipelined: pipelined && !asContent, repliesBefore: this.#replies });
    this.#transcript.push({ from: "client", tls: this.#tls, text: `${showText(shown)}\\r\\n` });
  }

  #reply(lines: string | readonly string[]): void {
    if (typeof lines === "string") {
      this.#write(`${lines}\r\n`);
      return;
    }
    this.#write(lines.map((line, i) => `250${i === lines.length - 1 ? " " : "-"}${line}\r\n`).join(""));
  }

  #write(text: string, shown?: string): void {
    this.#replies += 1;
    this.#actions.push({ type: "write", bytes: encoder.encode(text), byteByByte: this.#case === "replies-byte-by-byte" });
    this.#transcript.push({ from: "server", tls: this.#tls, text: shown ?? showBytes(encoder.encode(text)) });
  }

  #stream(head: string, filler: string): void {
    this.#replies += 1;
    this.#actions.push({ type: "stream", head: encoder.encode(head), filler: encoder.encode(filler), total: this.#options.enormousReplyBytes, grace: this.#options.streamGrace });
    this.#transcript.push({ from: "server", tls: this.#tls, text: `${showBytes(encoder.encode(head))}${showBytes(encoder.encode(filler), 40)}… (up to ${this.#options.enormousReplyBytes} octets)` });
    this.#mode = "streaming";
  }

  #close(why: string): void {
    this.#note(why);
    this.#actions.push({ type: "close" });
    this.#mode = "closed";
  }

  #note(text: string): void {
    // Content read so far comes before the note, so the transcript keeps the order things happened in.
    this.#flushContent();
    this.#transcript.push({ from: "note", tls: this.#tls, text });
  }

  #take(): ScriptedAction[] {
    const actions = this.#actions;
    this.#actions = [];
    return actions;
  }
}

