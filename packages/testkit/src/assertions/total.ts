/**
 * The totality law for parsers of untrusted input: random bytes give a
 * result or a typed (documented) error, never another exception. Two
 * generators feed it, as smtpkit's STYLE asks: raw bytes, and bytes from an
 * SMTP-ish alphabet so that generation gets past the verb.
 *
 * @module
 */
import fc from "fast-check";
import { showBytes } from "../internal/equality.js";
import { describeThrown, runLaw, type LawRunOptions } from "./run-law.js";

const tokens = [
  "MAIL FROM:", "RCPT TO:", "EHLO ", "HELO ", "DATA", "BDAT ", "AUTH ", "STARTTLS", "QUIT", "RSET", "NOOP", "VRFY ",
  "<", ">", "<>", "@", ".", ":", " ", "=", "+", ";", ",", "\"", "\\", "[", "]", "IPv6:",
  "SIZE=", "BODY=", "SMTPUTF8", "NOTIFY=", "ORCPT=rfc822;", "ENVID=", "RET=",
  "250", "250-", "354", "550 5.1.1 ", "\r\n", "\r", "\n", "\0", "\t", ".\r\n",
  "a", "b", "Z", "0", "9", "example.com", "Content-Type: ", "multipart/mixed; boundary=", "--", "=?utf-8?B?", "?=",
  "é", "例",
];

/**
 * Bytes from an SMTP-ish alphabet: verbs, parameters, brackets, reply codes,
 * line endings (CRLF, bare CR, bare LF), NUL, MIME header pieces and a few
 * non-ASCII letters, in random order. Feeds parsers input that gets past
 * their first checks.
 *
 * @param maxTokens - the most tokens per input (default 40)
 * @returns an arbitrary of byte arrays
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { parseCommand } from "@smtpkit/grammar";
 * import { smtpishBytes } from "@smtpkit/testkit";
 * fc.assert(fc.property(smtpishBytes(), (bytes) => typeof parseCommand(bytes).ok === "boolean"));
 * ```
 */
export function smtpishBytes(maxTokens = 40): fc.Arbitrary<Uint8Array> {
  const encoder = new TextEncoder();
  return fc.array(fc.constantFrom(...tokens), { maxLength: maxTokens }).map((parts) => encoder.encode(parts.join("")));
}

/** Options of {@link assertTotal}. */
export interface TotalOptions extends LawRunOptions {
  /** The inputs (default: raw bytes up to 512 and {@link smtpishBytes}, half and half). */
  readonly inputs?: fc.Arbitrary<Uint8Array>;
  /** Inputs of your own to try first (captured traffic that once crashed a parser, say). */
  readonly examples?: readonly Uint8Array[];
}

/**
 * Asserts totality: for random bytes, `parse` returns (any value), or throws
 * an error that `isTypedError` accepts. Any other exception breaks the law.
 * For a parser that must never throw, pass `() => false`.
 *
 * @param parse - the parser under test
 * @param isTypedError - which thrown values are documented, typed errors
 * @param options - inputs, runs, seed
 * @throws {@link TestkitError} (`law-broken`, law `totality`) with the shrunk input and what was thrown
 * @example
 * ```ts
 * import { parseCommand } from "@smtpkit/grammar";
 * import { assertTotal } from "@smtpkit/testkit";
 * assertTotal((bytes) => parseCommand(bytes), () => false); // parseCommand never throws
 * ```
 */
export function assertTotal(parse: (bytes: Uint8Array) => unknown, isTypedError: (error: unknown) => boolean, options: TotalOptions = {}): void {
  const inputs = options.inputs ?? fc.oneof(fc.uint8Array({ maxLength: 512 }), smtpishBytes());
  runLaw(
    inputs,
    {
      name: "totality",
      statement: "any bytes must give a result or a typed error, never another exception",
      show: (bytes) => showBytes(bytes),
      check: (bytes) => {
        try {
          parse(bytes.slice());
          return undefined;
        } catch (error) {
          return isTypedError(error) ? undefined : `Threw ${describeThrown(error)}`;
        }
      },
    },
    options,
    options.examples,
  );
}
