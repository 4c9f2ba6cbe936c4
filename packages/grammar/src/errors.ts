/**
 * The two ways this package reports a problem.
 *
 * - Input from the network never throws: a line that is not a valid command
 *   or reply comes back as a value ({@link CommandError}, {@link ReplyError})
 *   naming the situation of `@smtpkit/codes` a server answers it with.
 * - A calling program that asks for something the protocol cannot carry
 *   (a CR in a command argument, a reply code of 42) gets a thrown
 *   {@link GrammarError}: that is a bug to fix, not traffic to answer.
 *
 * @module
 */
import type { SituationName } from "@smtpkit/codes";

/**
 * Why a command line was refused. `situation` names the canonical reply in
 * `Situations` of `@smtpkit/codes` (for example `SyntaxError` is
 * `501 5.5.4`); `message` is a short English detail a server may put in the
 * reply text or a log.
 */
export interface CommandError {
  /** The reply to send, as a situation name of `@smtpkit/codes`. */
  readonly situation: SituationName;
  /** What exactly was wrong, for logs and reply text. */
  readonly message: string;
  /** The verb in upper case, when the line began with one this package knows. */
  readonly verb: string | undefined;
  /**
   * True for lines that show the peer is not an SMTP client at all: an HTTP
   * request (`GET`, `POST`, `CONNECT`...) or binary bytes such as a TLS
   * ClientHello sent to a plain-text port. Postfix's
   * `smtpd_forbidden_commands` drops the connection on these; a session
   * should too.
   */
  readonly forbidden: boolean;
  /** Where in the line the problem was found (index into the decoded line; 0 for the whole line). */
  readonly position: number;
  /** The syntax that was expected there, in RFC ABNF terms, ready for a 501 text or a log. */
  readonly expected: string;
}

/** Why a reply line or reply was refused (client side). */
export interface ReplyError {
  /** A stable tag. */
  readonly reason:
    | "bad-code"
    | "bad-separator"
    | "code-mismatch"
    | "bad-text"
    | "too-many-lines"
    | "not-utf8";
  /** What exactly was wrong. */
  readonly message: string;
}

const marker = Symbol.for("@smtpkit/grammar/GrammarError");

/** What the calling program got wrong. */
export type GrammarErrorReason =
  | "invalid-command"
  | "invalid-reply"
  | "invalid-argument"
  | "invalid-state";

/**
 * Thrown when a program asks this package to put on the wire something the
 * protocol cannot carry, or drives a reader out of order. Never thrown for
 * bytes that came from the network.
 *
 * Use {@link GrammarError.isInstance} rather than `instanceof`: it works
 * across two installed copies of the package.
 *
 * @example
 * ```ts
 * import { GrammarError, serializeCommand } from "@smtpkit/grammar";
 * try {
 *   serializeCommand({ verb: "NOOP", argument: "a\r\nRCPT TO:<x@y>" });
 * } catch (error) {
 *   if (GrammarError.isInstance(error)) console.log(error.reason); // "invalid-command"
 * }
 * ```
 */
export class GrammarError extends Error {
  /** A stable tag for `switch` statements and logs. */
  readonly type = "GrammarError" as const;
  /** What kind of mistake it was. */
  readonly reason: GrammarErrorReason;
  private readonly [marker] = true;

  /**
   * @param reason - what kind of mistake
   * @param message - a sentence for humans
   */
  constructor(reason: GrammarErrorReason, message: string) {
    super(message);
    this.name = "GrammarError";
    this.reason = reason;
  }

  /**
   * True for any `GrammarError`, even one from another installed copy of this package.
   *
   * @param value - anything caught
   * @returns whether `value` is a `GrammarError`
   * @example
   * ```ts
   * GrammarError.isInstance(new Error("x")); // false
   * ```
   */
  static isInstance(value: unknown): value is GrammarError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** Builds a {@link CommandError}. Internal. */
export function commandError(
  situation: SituationName,
  message: string,
  verb: string | undefined,
  options: { readonly forbidden?: boolean; readonly position?: number; readonly expected?: string } = {},
): CommandError {
  return {
    situation,
    message,
    verb,
    forbidden: options.forbidden ?? false,
    position: options.position ?? 0,
    expected: options.expected ?? "",
  };
}
