/**
 * The byte patterns of two attacks on SMTP's framing.
 *
 * - SMTP smuggling (SEC Consult 2023; CVE-2023-51764 Postfix, CVE-2023-51765
 *   Sendmail, CVE-2023-51766 Exim, CVE-2024-27305 aiosmtpd): an end-of-data
 *   written with a bare LF, a bare CR or a NUL around the dot, which a
 *   lenient server takes for `<CRLF>.<CRLF>` (RFC 5321 §4.1.1.4) and a
 *   strict one does not, so that the commands after it are "smuggled" in.
 *   Every sequence public scanners send, and generated variants.
 * - STARTTLS command injection (CVE-2011-0411 and its kin, RFC 3207 §5):
 *   commands pipelined in the same packet as STARTTLS, which a server must
 *   discard rather than execute once TLS is up; and the client-side mirror,
 *   replies injected after the 220 to STARTTLS.
 *
 * @module
 */
import fc from "fast-check";
import { serializeCommand, serializeReply, type Command, type Reply } from "@smtpkit/grammar";
import { letters, unit } from "../internal/characters.js";
import { record } from "../internal/record.js";
import { helloCommand, mailCommand, noopCommand, rcptCommand } from "./commands.js";
import { reply } from "./replies.js";
import { concatBytes } from "../internal/bytes.js";

const encoder = new TextEncoder();

function bytesOf(text: string): Uint8Array {
  // Latin-1 mapping: the patterns hold only control characters and ASCII.
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function sameBytes(a: Uint8Array, b: unknown): boolean {
  if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** One named smuggling sequence. */
export interface SmugglingSequence {
  /** A readable name, for example `"LF.LF"` or `"CRLF NUL.CRLF"`. */
  readonly name: string;
  /** The bytes: a line ending variant, a dot, a line ending variant. */
  readonly bytes: Uint8Array;
}

const named = (text: string): SmugglingSequence => ({
  name: text.replace(/\r/g, "CR").replace(/\n/g, "LF").replace(/\0/g, " NUL"),
  bytes: bytesOf(text),
});

/**
 * The end-of-data look-alikes the public SMTP smuggling scanners send (the
 * list of the `@smtpkit/grammar` issue): `\n.\n`, `\n.\r\n`, `\r\n.\n`,
 * `\r.\r`, `\r.\n`, `\n.\r`, `\r.\r\n`, `\r\n.\r`, `\r\n.\r\r\n`,
 * `\r\r\n.\r\r\n`, `\r\n\0.\r\n`. None of them is `<CRLF>.<CRLF>`, so none
 * may end the data.
 */
export const smugglingSequences: readonly SmugglingSequence[] = [
  "\n.\n",
  "\n.\r\n",
  "\r\n.\n",
  "\r.\r",
  "\r.\n",
  "\n.\r",
  "\r.\r\n",
  "\r\n.\r",
  "\r\n.\r\r\n",
  "\r\r\n.\r\r\n",
  "\r\n\0.\r\n",
].map(named);

const crlfDotCrlf = "\r\n.\r\n";

/**
 * A smuggling sequence: one of {@link smugglingSequences}, or a generated
 * variant: one to three of CR, LF and NUL (at least one CR or LF), a dot,
 * then one to three again, never forming `<CRLF>.<CRLF>`.
 *
 * @returns an arbitrary of sequences
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { smugglingSequence } from "@smtpkit/testkit";
 * fc.sample(smugglingSequence(), 3).map((s) => s.name); // e.g. ["LF.LF", "CR NUL.LF", "CRCRLF.CRCRLF"]
 * ```
 */
export function smugglingSequence(): fc.Arbitrary<SmugglingSequence> {
  const side = fc
    .array(fc.constantFrom("\n", "\r", "\0"), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join(""))
    .filter((text) => /[\r\n]/.test(text));
  const generated = fc
    .tuple(side, side)
    .map(([before, after]) => `${before}.${after}`)
    .filter((text) => !`\r\n${text}`.includes(crlfDotCrlf))
    .map(named);
  // Copies of the shared sequences, so that a test that mutates the bytes cannot corrupt the list.
  const listed = fc.constantFrom(...smugglingSequences).map((sequence) => ({ name: sequence.name, bytes: sequence.bytes.slice() }));
  return fc.oneof(listed, generated);
}

/** A DATA body with a smuggling attempt in it. */
export interface SmugglingAttempt {
  /** The sequence used. */
  readonly sequence: SmugglingSequence;
  /** The commands after the fake end of data, which a vulnerable server would execute. */
  readonly smuggled: readonly Command[];
  /**
   * Everything the client sends after the 354: a message, the sequence, the
   * smuggled commands and a smuggled message, then the one real
   * `<CRLF>.<CRLF>`. A correct server stores it all as one message.
   */
  readonly bytes: Uint8Array;
}

const bodyLine = fc.string({ unit: unit([...letters, " ", ":"]), minLength: 1, maxLength: 30 }).filter((l) => /^[A-Za-z]/.test(l));

/**
 * A whole smuggling attempt: the bytes a client sends after `354`, which
 * hold exactly one `<CRLF>.<CRLF>` (at the end) and, before it, a smuggling
 * sequence followed by MAIL, RCPT and DATA commands and a second message. A
 * server that ends the data only at `<CRLF>.<CRLF>` stores everything as
 * one message and answers once; a vulnerable one answers the smuggled
 * commands too.
 *
 * @returns an arbitrary of attempts
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { smugglingAttempt } from "@smtpkit/testkit";
 * const [attempt] = fc.sample(smugglingAttempt(), 1);
 * new TextDecoder().decode(attempt?.bytes).endsWith("\r\n.\r\n"); // true
 * ```
 */
export function smugglingAttempt(): fc.Arbitrary<SmugglingAttempt> {
  const ascii = { utf8: false } as const;
  return fc
    .tuple(
      fc.array(bodyLine, { minLength: 1, maxLength: 4 }),
      smugglingSequence(),
      mailCommand(ascii),
      rcptCommand(ascii),
      fc.array(bodyLine, { minLength: 1, maxLength: 3 }),
    )
    .map(([before, sequence, mail, rcpt, after]) => {
      const smuggled: Command[] = [mail, rcpt, { verb: "DATA" }];
      const text = smuggled.map(serializeCommand).join("") + `Subject: smuggled\r\n\r\n${after.join("\r\n")}`;
      const bytes = concatBytes([encoder.encode(`Subject: test\r\n\r\n${before.join("\r\n")}`), sequence.bytes, encoder.encode(text), bytesOf(crlfDotCrlf)]);
      return { sequence, smuggled, bytes };
    });
}

/** Commands pipelined after STARTTLS in one packet. */
export interface StartTlsInjection {
  /** The STARTTLS line as sent (any case, RFC 5321 §2.4). */
  readonly startTls: string;
  /** The injected commands. */
  readonly injected: readonly Command[];
  /** The injected commands' bytes: what a server must discard after its 220 (RFC 3207 §5). */
  readonly injectedBytes: Uint8Array;
  /** The STARTTLS line followed by the injected bytes: the whole packet. */
  readonly bytes: Uint8Array;
}

/**
 * A STARTTLS command injection (CVE-2011-0411): `STARTTLS\r\n` with one to
 * three commands in the same packet (EHLO, MAIL, RCPT, NOOP). A server must
 * answer STARTTLS alone and throw the rest away, or it executes plain-text
 * commands as if they had come over TLS.
 *
 * @returns an arbitrary of injections
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { startTlsInjection } from "@smtpkit/testkit";
 * const [injection] = fc.sample(startTlsInjection(), 1);
 * injection?.injected.length; // 1 to 3
 * ```
 */
export function startTlsInjection(): fc.Arbitrary<StartTlsInjection> {
  const ascii = { utf8: false } as const;
  const injected: fc.Arbitrary<Command[]> = fc.array(fc.oneof<fc.Arbitrary<Command>[]>(helloCommand(["EHLO"]), mailCommand(ascii), rcptCommand(ascii), noopCommand()), { minLength: 1, maxLength: 3 });
  const build = ({ startTls, injected: commands }: { startTls: string; injected: Command[] }): StartTlsInjection => {
    const injectedBytes = encoder.encode(commands.map(serializeCommand).join(""));
    return { startTls, injected: commands, injectedBytes, bytes: concatBytes([encoder.encode(`${startTls}\r\n`), injectedBytes]) };
  };
  return record({ startTls: fc.constantFrom<string>("STARTTLS", "starttls", "StartTLS"), injected }).map(build, (value) => {
    const { startTls, injected: commands } = value as StartTlsInjection;
    const parts = { startTls, injected: [...commands] };
    if (!sameBytes(build(parts).bytes, (value as StartTlsInjection).bytes)) throw new Error("not a consistent injection");
    return parts;
  });
}

/** Replies injected after the 220 to STARTTLS. */
export interface StartTlsReplyInjection {
  /** The server's 220 reply to STARTTLS. */
  readonly ready: Reply;
  /** The injected replies, which a client must never act on. */
  readonly injected: readonly Reply[];
  /** The 220 then the injected replies: the whole packet. */
  readonly bytes: Uint8Array;
}

/**
 * The client-side mirror of {@link startTlsInjection}: a `220` to STARTTLS
 * followed in the same packet by replies (a 250 to EHLO, a 235 to AUTH...)
 * that a man in the middle injected. A client must discard anything after
 * the 220 before the handshake (RFC 3207 §5; CVE-2011-1575 and kin).
 *
 * @returns an arbitrary of reply injections
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { startTlsReplyInjection } from "@smtpkit/testkit";
 * fc.sample(startTlsReplyInjection(), 1)[0]?.ready.code; // 220
 * ```
 */
export function startTlsReplyInjection(): fc.Arbitrary<StartTlsReplyInjection> {
  const ready = reply({ codes: [220], enhanced: "sometimes", maxLines: 1 });
  const injected = fc.array(reply({ codes: [250, 235, 354, 220], maxLines: 3 }), { minLength: 1, maxLength: 3 });
  const build = ({ ready: first, injected: rest }: { ready: Reply; injected: Reply[] }): StartTlsReplyInjection => ({
    ready: first,
    injected: rest,
    bytes: encoder.encode([first, ...rest].map(serializeReply).join("")),
  });
  return record({ ready, injected }).map(build, (value) => {
    const { ready: first, injected: rest } = value as StartTlsReplyInjection;
    const parts = { ready: first, injected: [...rest] };
    if (!sameBytes(build(parts).bytes, (value as StartTlsReplyInjection).bytes)) throw new Error("not a consistent injection");
    return parts;
  });
}
