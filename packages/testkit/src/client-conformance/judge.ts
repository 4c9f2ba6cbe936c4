/**
 * The judge of client conformance: from what the scripted server saw on one
 * connection (and, when the runner ran the client itself, what the client
 * reported), a verdict per case: `pass`, `fail` with every rule broken, or
 * `not-applicable`. Pure: no I/O.
 *
 * The rules, each with the RFC text it rests on:
 *
 * - `tls-required`: a client that requires TLS sends no MAIL, RCPT, DATA,
 *   BDAT or AUTH before TLS is in place (RFC 3207 §4: a client that decides
 *   the protection is not good enough "SHOULD issue the QUIT command
 *   immediately"; RFC 8314 §5.2 / RFC 4954 §4 for credentials).
 * - `starttls-injected-reply`: after the 220 to STARTTLS the client starts
 *   TLS before any other command and discards what it read in clear text
 *   (RFC 3207 §4.1, §4.2); it must not take an injected reply as the answer
 *   to a command inside TLS.
 * - `no-unannounced-pipelining`: without PIPELINING the client waits for each
 *   reply before the next command (RFC 2920 §3.1, RFC 5321 §4.1).
 * - `extension-not-offered`: MAIL and RCPT carry only parameters of
 *   extensions the server advertised (RFC 5321 §2.2.1, §4.1.1.1).
 * - `reply-taken-as-acceptance`: a reply that is not a positive completion of
 *   the command (mixed codes, RFC 5321 §4.2.1; a 354 to MAIL, §4.3.2) is not
 *   acceptance: no DATA follows.
 * - `content-without-354`: message content only after a 354 (RFC 5321 §4.1.1.4).
 * - `service-refused-respected`: after a 421 or 554 greeting, or a 421 reply,
 *   no MAIL, RCPT, DATA, BDAT, AUTH or content (RFC 5321 §3.1, §3.8).
 * - `reply-bounded`: a reply that never ends is not read for ever
 *   (RFC 5321 §4.5.3.1.5: 512 octets per reply line).
 * - `gives-up-cleanly`: the connection ends (QUIT or close) and the client
 *   returns within the case's time (RFC 5321 §4.5.3.2, §3.8).
 * - `no-false-success`: the client does not report a message sent that the
 *   server never accepted with a 250 after the data (RFC 5321 §4.1.1.4, §6.1).
 * - `delivers`: through a well-behaved exchange (and replies cut into single
 *   octets, RFC 5321 §2.3.8: TCP decides the cuts) the message is delivered.
 *
 * @module
 */
import type { ClientCaseId } from "./cases.js";
import type { ScriptedObservation } from "./scripted-server.js";

/** A rule a client broke. */
export interface ClientViolation {
  /** The rule's name (see the judge module). */
  readonly rule: string;
  /** Where the rule is written. */
  readonly rfc: string;
  /** What happened, in one sentence. */
  readonly summary: string;
}

/** How the connection of a case ended. */
export type ConnectionEnd =
  /** The client sent QUIT and the server closed after 221. */
  | "client-quit"
  /** The client closed (or reset) the connection. */
  | "client-closed"
  /** The server closed it, by the case's script. */
  | "server-closed"
  /** The case's time ran out with the connection still open: the runner closed it. */
  | "timeout"
  /** The TLS handshake failed. */
  | "tls-failed"
  /** No connection came for the case. */
  | "no-connection";

/**
 * What the client under test reported, when the runner ran it
 * (`runClient`). `reportedSuccess`: the client said the message was sent.
 */
export interface ClientRunOutcome {
  /** Whether the client reported the message as sent (for example exit code 0). */
  readonly reportedSuccess: boolean;
  /** Anything worth showing: the client's error, its exit code. */
  readonly detail?: string;
}

/** Everything the judge looks at for one case. */
export interface CaseEvidence {
  /** The case. */
  readonly caseId: ClientCaseId;
  /** Whether the client under test is set to require TLS. */
  readonly requiresTls: boolean;
  /** What the scripted server saw. */
  readonly observation: ScriptedObservation;
  /** How the connection ended. */
  readonly end: ConnectionEnd;
  /** What the client reported (only with `runClient`); `undefined` when it did not return in time. */
  readonly client?: { readonly returned: boolean; readonly outcome: ClientRunOutcome | undefined; readonly error?: string };
}

/** A case's verdict. */
export type ClientVerdict = "pass" | "fail" | "not-applicable";

/** The judge's answer for one case. */
export interface CaseJudgement {
  /** The verdict. */
  readonly verdict: ClientVerdict;
  /** Every rule broken (empty unless `fail`). */
  readonly violations: readonly ClientViolation[];
  /** Why the case did not apply, for `not-applicable`. */
  readonly reason?: string;
}

const transactionVerbs = new Set(["MAIL", "RCPT", "DATA", "BDAT", "AUTH"]);

/**
 * Judges one case.
 *
 * @param evidence - what was seen
 * @returns the verdict and the rules broken
 */
export function judgeCase(evidence: CaseEvidence): CaseJudgement {
  const { caseId, observation, end, requiresTls } = evidence;
  const violations: ClientViolation[] = [];
  const add = (rule: string, rfc: string, summary: string): void => {
    violations.push({ rule, rfc, summary });
  };
  const commands = observation.commands;
  const verbs = commands.map((c) => c.verb);

  if (end === "no-connection") {
    return { verdict: "not-applicable", violations: [], reason: "no connection came for this case" };
  }

  if (requiresTls) {
    const clear = commands.filter((c) => !c.tls && transactionVerbs.has(c.verb));
    if (clear.length > 0) {
      add("tls-required", "RFC 3207 §4", `the client requires TLS but sent ${clear.map((c) => c.line).join(", ")} in clear text`);
    }
  }

  const pipelined = commands.filter((c) => c.pipelined);
  if (pipelined.length > 0) {
    add(
      "no-unannounced-pipelining",
      "RFC 2920 §3.1",
      `PIPELINING was not offered, yet ${pipelined.map((c) => c.line).join(", ")} arrived before the reply to the command before it`,
    );
  }

  if (observation.undeclaredParameters.length > 0) {
    add("extension-not-offered", "RFC 5321 §2.2.1, §4.1.1.1", `MAIL/RCPT parameters of extensions the server did not advertise: ${observation.undeclaredParameters.join(" ")}`);
  }

  if (end === "timeout") {
    add("gives-up-cleanly", "RFC 5321 §4.5.3.2, §3.8", "the connection was still open when the case's time ran out: the client neither finished nor gave up");
  }
  const client = evidence.client;
  if (client !== undefined && !client.returned) {
    add("gives-up-cleanly", "RFC 5321 §4.5.3.2, §3.8", "the client did not return within the case's time");
  }
  if (client?.outcome?.reportedSuccess === true && observation.messagesAccepted === 0) {
    add("no-false-success", "RFC 5321 §4.1.1.4, §6.1", "the client reported the message sent, but the server never answered 250 to the end of its data");
  }

  let notApplicable: string | undefined;
  switch (caseId) {
    case "baseline":
    case "replies-byte-by-byte":
      if (observation.messagesAccepted === 0) {
        add(
          "delivers",
          caseId === "baseline" ? "RFC 5321 §3.3" : "RFC 5321 §2.3.8, §4.2",
          caseId === "baseline"
            ? "no message was delivered through a well-behaved server (check the client's settings: address, TLS trust)"
            : "no message was delivered when the replies came one octet at a time",
        );
      }
      break;
    case "greeting-421":
    case "greeting-554": {
      const after = commands.filter((c) => transactionVerbs.has(c.verb));
      if (after.length > 0) add("service-refused-respected", "RFC 5321 §3.1, §3.8", `after a ${caseId.slice(-3)} greeting the client sent ${after.map((c) => c.line).join(", ")}`);
      break;
    }
    case "ehlo-refused":
      break;
    case "starttls-not-offered":
    case "starttls-refused-454":
    case "starttls-refused-501":
    case "starttls-refused-502":
    case "starttls-refused-503":
    case "starttls-refused-554":
      if (!requiresTls) notApplicable = "the client is not set to require TLS, so going on in clear text is its right (RFC 3207 §4.1)";
      break;
    case "starttls-injection":
      if (!observation.startTlsSent) notApplicable = "the client never sent STARTTLS";
      if (observation.commandsWhileHeld.length > 0) {
        add(
          "starttls-injected-reply",
          "RFC 3207 §4.1, §4.2",
          `inside TLS the client sent ${observation.commandsWhileHeld.join(", ")} before the server had answered its first command: it took the injected 250 (read in clear text) as that answer`,
        );
      }
      break;
    case "multiline-mixed-codes":
    case "wrong-class-354-to-mail":
      if (verbs.includes("DATA") || verbs.includes("BDAT")) {
        add(
          "reply-taken-as-acceptance",
          caseId === "multiline-mixed-codes" ? "RFC 5321 §4.2.1" : "RFC 5321 §4.3.2",
          caseId === "multiline-mixed-codes"
            ? "the client sent DATA although every RCPT got a reply whose lines carry different codes (250 then 550)"
            : "the client went on to DATA although MAIL got 354, which is no acceptance of MAIL",
        );
      }
      break;
    case "wrong-class-250-to-data":
      if (observation.contentWithoutGoAhead > 0) {
        add("content-without-354", "RFC 5321 §4.1.1.4", `the client sent ${observation.contentWithoutGoAhead} octets of message content after a 250 to DATA, without a 354`);
      }
      break;
    case "service-closing-421":
      if (observation.contentWithoutGoAhead > 0) {
        add("service-refused-respected", "RFC 5321 §3.8", "after a 421 to RCPT the client sent more than QUIT");
      }
      break;
    case "reply-line-enormous":
    case "reply-lines-endless":
      if (observation.stillConnectedAfterStream) {
        add("reply-bounded", "RFC 5321 §4.5.3.1.5, §4.2.1", "the client was still connected, without QUIT, after the server had written the whole endless reply: it does not give up on a reply beyond every limit (it buffers it, or reads and drops it until a timeout)");
      }
      break;
    case "multiline-unterminated-close":
    case "close-mid-data":
    case "never-answers":
      break;
  }
  if (violations.length > 0) return { verdict: "fail", violations };
  if (notApplicable !== undefined) return { verdict: "not-applicable", violations, reason: notApplicable };
  return { verdict: "pass", violations };
}
