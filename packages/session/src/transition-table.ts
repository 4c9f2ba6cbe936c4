/**
 * The one table of what is legal in which state of an SMTP (or LMTP)
 * conversation, for both roles.
 *
 * A conversation moves between the states of {@link SessionState} on
 * {@link SessionInput}s: the greeting, each command, the end of DATA content,
 * each SASL response line, the end of the TLS handshake. For each (state,
 * input) pair the table says either
 *
 * - `evaluate`: the input is in sequence; the server decides (from its
 *   configuration, the parameters and the embedder's decision) and the reply
 *   class picks the next state: `success` for 2yz, `intermediate` for 3yz,
 *   `failure` for 4yz and 5yz; or
 * - `refuse`: the input is out of sequence; the server answers with the named
 *   situation of `@smtpkit/codes` and the state moves to `next`.
 *
 * The server session asks this table before anything else and nothing else in
 * it decides sequence; the client session follows the same rows to know what
 * it may send and where a reply leaves it; the testkit uses the table as its
 * reference model; and {@link renderStateDiagram} draws the docs' diagram
 * from it.
 *
 * What the table does not decide: whether an extension is offered at all
 * (an AUTH or STARTTLS the server never advertised is "not implemented", 502,
 * by configuration) and the server's policies (STARTTLS or AUTH required
 * first, 530): those are configuration, not sequence.
 *
 * RFC 5321 §4.1.4 (order of commands), §3.1 (a 554 greeting leaves only
 * QUIT), §3.3 (transactions), RFC 3030 §2–§3 (BDAT), RFC 3207 §4.2 (STARTTLS
 * resets everything), RFC 4954 §4 (AUTH once, never inside a transaction),
 * RFC 2033 §4.1 (LMTP uses LHLO only), Postfix XCLIENT_README and
 * XFORWARD_README (not inside a mail transaction; XCLIENT answers with a new
 * greeting and resets the session).
 *
 * @module
 */
import type { SituationName } from "@smtpkit/codes";

/** Where a conversation is. */
export type SessionState =
  /** Connected; the server has not greeted yet. Nothing the client sends is read. */
  | "greeting"
  /** The server greeted with 554 (RFC 5321 §3.1): only QUIT is accepted; every other command, NOOP and RSET included, gets 503. */
  | "refused"
  /** Greeted with 220; the client must say EHLO, HELO (or LHLO) first. Also the state after STARTTLS. */
  | "awaiting-hello"
  /** Introduced; no mail transaction. */
  | "ready"
  /** MAIL accepted; no recipient accepted yet. */
  | "mail"
  /** MAIL and at least one RCPT accepted. */
  | "recipients"
  /** DATA answered 354; message content until `<CRLF>.<CRLF>`. */
  | "data"
  /** BDAT chunks received, the LAST one not yet (RFC 3030 §2): only BDAT continues the message. */
  | "bdat"
  /** An AUTH exchange (RFC 4954 §4): the client's lines are SASL responses, not commands. */
  | "auth"
  /** STARTTLS answered 220: the TLS handshake runs; nothing is read in the clear (RFC 3207 §4.2). */
  | "tls-handshake"
  /** The server is shutting down: the command being taken up is answered 421 (RFC 5321 §3.8), and the session closes. */
  | "closing"
  /** The conversation is over (QUIT answered, 421 sent, or the peer gone). */
  | "closed";

/** Every {@link SessionState}, in the order of a conversation. */
export const sessionStates: readonly SessionState[] = [
  "greeting",
  "refused",
  "awaiting-hello",
  "ready",
  "mail",
  "recipients",
  "data",
  "bdat",
  "auth",
  "tls-handshake",
  "closing",
  "closed",
];

/** The commands as table inputs: BDAT with LAST is its own input, since it ends the message. */
export type CommandInput =
  | "HELO"
  | "EHLO"
  | "LHLO"
  | "MAIL"
  | "RCPT"
  | "DATA"
  | "BDAT"
  | "BDAT LAST"
  | "RSET"
  | "VRFY"
  | "EXPN"
  | "HELP"
  | "NOOP"
  | "QUIT"
  | "STARTTLS"
  | "AUTH"
  | "ETRN"
  | "XCLIENT"
  | "XFORWARD";

/** Every {@link CommandInput}. */
export const commandInputs: readonly CommandInput[] = [
  "HELO",
  "EHLO",
  "LHLO",
  "MAIL",
  "RCPT",
  "DATA",
  "BDAT",
  "BDAT LAST",
  "RSET",
  "VRFY",
  "EXPN",
  "HELP",
  "NOOP",
  "QUIT",
  "STARTTLS",
  "AUTH",
  "ETRN",
  "XCLIENT",
  "XFORWARD",
];

/** What moves a conversation: a command, or one of the other moments of the protocol. */
export type SessionInput =
  | CommandInput
  /** The server's greeting: 220 (success) or 554 (failure). */
  | "connect"
  /** The end of DATA content (`<CRLF>.<CRLF>`): the reply is the message's. */
  | "data-end"
  /** A SASL response line during AUTH: 235 (success), 334 (intermediate) or a failure. */
  | "sasl-response"
  /** The TLS handshake after STARTTLS completed. */
  | "tls-established"
  /** The server closes with 421 (shutdown, timeout, too many errors), from any state. */
  | "service-closing"
  /** The peer closed the connection. */
  | "peer-closed";

/** Every {@link SessionInput}. */
export const sessionInputs: readonly SessionInput[] = [
  "connect",
  ...commandInputs,
  "data-end",
  "sasl-response",
  "tls-established",
  "service-closing",
  "peer-closed",
];

/**
 * The facts about a conversation, beside its state, that some rows depend on.
 * Both roles know them: the client from the replies it received.
 */
export interface SessionFlags {
  /** TLS is active (STARTTLS completed, or implicit TLS). */
  readonly tls: boolean;
  /** AUTH succeeded in this TLS epoch. */
  readonly authenticated: boolean;
  /** The conversation is LMTP (RFC 2033). */
  readonly lmtp: boolean;
}

/** A condition on {@link SessionFlags}: every flag named must have the value given. */
export type SessionCondition = Partial<SessionFlags>;

/** The input is in sequence: the reply's class picks the next state. */
export interface EvaluateOutcome {
  /** The outcome type. */
  readonly type: "evaluate";
  /** The state after a 2yz reply; absent when no 2yz reply is possible here. */
  readonly success?: SessionState;
  /** The state after a 3yz reply; absent when no 3yz reply is possible here. */
  readonly intermediate?: SessionState;
  /** The state after a 4yz or 5yz reply. */
  readonly failure: SessionState;
  /**
   * What a 2yz reply resets: `transaction` (the envelope and any message:
   * RSET, HELO/EHLO/LHLO, the end of a message) or `session` (everything,
   * including EHLO and AUTH state: the end of a TLS handshake, RFC 3207 §4.2;
   * an XCLIENT, which keeps only TLS).
   */
  readonly resets?: "transaction" | "session";
}

/** The input is out of sequence: answer `situation` and move to `next`. */
export interface RefuseOutcome {
  /** The outcome type. */
  readonly type: "refuse";
  /** The reply, a name of `Situations` in `@smtpkit/codes`. */
  readonly situation: SituationName;
  /** The state afterwards (the same state, except after 421). */
  readonly next: SessionState;
}

/** One row of the table. */
export interface Transition {
  /** The state the row applies in. */
  readonly state: SessionState;
  /** The input it applies to. */
  readonly input: SessionInput;
  /** A condition on the flags; the first row whose condition holds applies. */
  readonly when?: SessionCondition;
  /** What happens. */
  readonly outcome: EvaluateOutcome | RefuseOutcome;
  /** Where the rule is written. */
  readonly reference: string;
}

// --- Building blocks -----------------------------------------------------------

function evaluate(
  state: SessionState,
  input: SessionInput,
  outcome: Omit<EvaluateOutcome, "type">,
  reference: string,
  when?: SessionCondition,
): Transition {
  const row: Transition = { state, input, outcome: { type: "evaluate", ...outcome }, reference };
  return when === undefined ? row : { ...row, when };
}

function refuse(state: SessionState, input: SessionInput, situation: SituationName, reference: string, when?: SessionCondition, next = state): Transition {
  const row: Transition = { state, input, outcome: { type: "refuse", situation, next }, reference };
  return when === undefined ? row : { ...row, when };
}

/** Commands RFC 5321 §4.1.4 allows at any time, even before EHLO: answered, state unchanged. */
const anytime: readonly CommandInput[] = ["NOOP", "HELP", "VRFY", "EXPN"];

/** HELO, EHLO and LHLO, with LMTP's rule (RFC 2033 §4.1: LHLO only; SMTP has no LHLO). */
function hellos(state: SessionState): Transition[] {
  const failure = state;
  const rows: Transition[] = [];
  for (const verb of ["HELO", "EHLO"] as const) {
    rows.push(refuse(state, verb, "CommandUnrecognized", "RFC 2033 §4.1", { lmtp: true }));
    rows.push(evaluate(state, verb, { success: "ready", failure, resets: "transaction" }, "RFC 5321 §4.1.4, §4.1.1.1"));
  }
  rows.push(refuse(state, "LHLO", "CommandUnrecognized", "RFC 2033 §4.1", { lmtp: false }));
  rows.push(evaluate(state, "LHLO", { success: "ready", failure, resets: "transaction" }, "RFC 2033 §4.1"));
  return rows;
}

/** NOOP, HELP, VRFY, EXPN, RSET and QUIT, which every command state answers. */
function always(state: SessionState, rsetTo: SessionState): Transition[] {
  return [
    ...anytime.map((verb) => evaluate(state, verb, { success: state, failure: state }, "RFC 5321 §4.1.4")),
    evaluate(state, "RSET", { success: rsetTo, failure: state, resets: "transaction" }, "RFC 5321 §4.1.1.5"),
    evaluate(state, "QUIT", { success: "closed", failure: state }, "RFC 5321 §4.1.1.10"),
  ];
}

/** STARTTLS, AUTH and ETRN inside a transaction (or a BDAT message). */
function inTransaction(state: SessionState): Transition[] {
  return [
    refuse(state, "STARTTLS", "TlsAlreadyActive", "RFC 3207 §4.2", { tls: true }),
    refuse(state, "STARTTLS", "BadSequence", "RFC 3207 §4 (not inside a mail transaction)"),
    refuse(state, "AUTH", "AuthInTransaction", "RFC 4954 §4"),
    refuse(state, "ETRN", "BadSequence", "RFC 1985 §5"),
    ...frontEnd(state),
  ];
}

/**
 * Postfix XCLIENT and XFORWARD: "any time, except in the middle of a mail
 * delivery transaction" (XCLIENT_README, XFORWARD_README), where Postfix
 * answers 503 5.5.1. XCLIENT's success reply is a new 220 greeting: the
 * session starts over (EHLO again), keeping only TLS. XFORWARD's is 250 and
 * changes no state. Whether the client may use them at all is configuration
 * (502 when not offered, 550 5.7.0 when not trusted), not sequence.
 */
function frontEnd(state: SessionState): Transition[] {
  if (state === "mail" || state === "recipients" || state === "bdat") {
    return [
      refuse(state, "XCLIENT", "BadSequence", "Postfix XCLIENT_README (not inside a mail transaction)"),
      refuse(state, "XFORWARD", "BadSequence", "Postfix XFORWARD_README (not inside a mail transaction)"),
    ];
  }
  return [
    evaluate(state, "XCLIENT", { success: "awaiting-hello", failure: state, resets: "session" }, "Postfix XCLIENT_README"),
    evaluate(state, "XFORWARD", { success: state, failure: state }, "Postfix XFORWARD_README"),
  ];
}

function build(): readonly Transition[] {
  const rows: Transition[] = [];

  // Greeting (RFC 5321 §3.1, §4.3.1): 220, or 554 and only QUIT from then on.
  rows.push(evaluate("greeting", "connect", { success: "awaiting-hello", failure: "refused" }, "RFC 5321 §3.1, §4.3.2"));

  // After a 554 greeting (RFC 5321 §3.1): "the server MUST wait for the client to send a QUIT
  // command before closing the connection and SHOULD respond to any intervening commands with
  // '503 bad sequence of commands'", NOOP and RSET included (@smtpkit/codes allows 503 for both).
  for (const verb of commandInputs) {
    if (verb === "QUIT") rows.push(evaluate("refused", "QUIT", { success: "closed", failure: "refused" }, "RFC 5321 §3.1"));
    else rows.push(refuse("refused", verb, "BadSequence", "RFC 5321 §3.1"));
  }

  // Before EHLO/HELO (RFC 5321 §4.1.4: a session starts with EHLO or HELO).
  rows.push(...hellos("awaiting-hello"), ...always("awaiting-hello", "awaiting-hello"));
  for (const verb of ["MAIL", "RCPT", "DATA", "BDAT", "BDAT LAST", "AUTH", "ETRN"] as const) {
    rows.push(refuse("awaiting-hello", verb, "NeedHello", verb === "AUTH" ? "RFC 4954 §4" : "RFC 5321 §4.1.4"));
  }
  rows.push(refuse("awaiting-hello", "STARTTLS", "TlsAlreadyActive", "RFC 3207 §4.2", { tls: true }));
  rows.push(refuse("awaiting-hello", "STARTTLS", "NeedHello", "RFC 3207 §4 (STARTTLS is learned from EHLO)"));
  rows.push(...frontEnd("awaiting-hello"));

  // Ready: no transaction.
  rows.push(...hellos("ready"), ...always("ready", "ready"));
  rows.push(evaluate("ready", "MAIL", { success: "mail", failure: "ready" }, "RFC 5321 §4.1.1.2, §4.1.4"));
  rows.push(refuse("ready", "RCPT", "NeedMail", "RFC 5321 §4.1.4"));
  for (const verb of ["DATA", "BDAT", "BDAT LAST"] as const) rows.push(refuse("ready", verb, "NeedMail", verb === "DATA" ? "RFC 5321 §4.1.4" : "RFC 3030 §2"));
  rows.push(refuse("ready", "STARTTLS", "TlsAlreadyActive", "RFC 3207 §4.2", { tls: true }));
  rows.push(evaluate("ready", "STARTTLS", { success: "tls-handshake", failure: "ready" }, "RFC 3207 §4"));
  rows.push(refuse("ready", "AUTH", "AuthAlreadyDone", "RFC 4954 §4", { authenticated: true }));
  rows.push(evaluate("ready", "AUTH", { success: "ready", intermediate: "auth", failure: "ready" }, "RFC 4954 §4"));
  rows.push(evaluate("ready", "ETRN", { success: "ready", failure: "ready" }, "RFC 1985 §5"));
  rows.push(...frontEnd("ready"));

  // MAIL accepted, no recipient yet.
  rows.push(...hellos("mail"), ...always("mail", "ready"), ...inTransaction("mail"));
  rows.push(refuse("mail", "MAIL", "NestedMail", "RFC 5321 §4.1.4"));
  rows.push(evaluate("mail", "RCPT", { success: "recipients", failure: "mail" }, "RFC 5321 §4.1.1.3"));
  // RFC 5321 §3.3: with no (accepted) RCPT, DATA may get 503 or 554; RFC 2920 §3.1 asks for 554 when pipelined.
  for (const verb of ["DATA", "BDAT", "BDAT LAST"] as const) rows.push(refuse("mail", verb, "NoValidRecipients", "RFC 5321 §3.3, RFC 2920 §3.1"));

  // Recipients accepted.
  rows.push(...hellos("recipients"), ...always("recipients", "ready"), ...inTransaction("recipients"));
  rows.push(refuse("recipients", "MAIL", "NestedMail", "RFC 5321 §4.1.4"));
  rows.push(evaluate("recipients", "RCPT", { success: "recipients", failure: "recipients" }, "RFC 5321 §4.1.1.3"));
  rows.push(evaluate("recipients", "DATA", { intermediate: "data", failure: "recipients" }, "RFC 5321 §4.1.1.4"));
  // RFC 3030 §2: a failed chunk fails the transaction; chunks already pipelined are read and refused.
  rows.push(evaluate("recipients", "BDAT", { success: "bdat", failure: "ready" }, "RFC 3030 §2"));
  rows.push(evaluate("recipients", "BDAT LAST", { success: "ready", failure: "ready", resets: "transaction" }, "RFC 3030 §2"));

  // DATA content.
  rows.push(evaluate("data", "data-end", { success: "ready", failure: "ready", resets: "transaction" }, "RFC 5321 §4.1.1.4, §6.1"));

  // Between BDAT chunks (RFC 3030 §2, §3).
  rows.push(...hellos("bdat"), ...always("bdat", "ready"), ...inTransaction("bdat"));
  rows.push(refuse("bdat", "MAIL", "NestedMail", "RFC 5321 §4.1.4"));
  rows.push(refuse("bdat", "RCPT", "BadSequence", "RFC 3030 §2 (the message has begun)"));
  rows.push(refuse("bdat", "DATA", "DataAfterBdat", "RFC 3030 §3"));
  rows.push(evaluate("bdat", "BDAT", { success: "bdat", failure: "ready" }, "RFC 3030 §2"));
  rows.push(evaluate("bdat", "BDAT LAST", { success: "ready", failure: "ready", resets: "transaction" }, "RFC 3030 §2"));

  // AUTH exchange (RFC 4954 §4).
  rows.push(evaluate("auth", "sasl-response", { success: "ready", intermediate: "auth", failure: "ready" }, "RFC 4954 §4"));

  // TLS handshake (RFC 3207 §4.2: forget everything, EHLO again).
  rows.push(evaluate("tls-handshake", "tls-established", { success: "awaiting-hello", failure: "closed", resets: "session" }, "RFC 3207 §4.2"));

  // Shutting down (RFC 5321 §3.8): every command gets 421.
  for (const verb of commandInputs) rows.push(refuse("closing", verb, "ShuttingDown", "RFC 5321 §3.8", undefined, "closed"));

  // From every open state: 421 and the peer's close end the conversation.
  // (`closing` is passed through while one command is answered 421, so it has no such rows.)
  for (const state of sessionStates) {
    if (state === "closed" || state === "closing") continue;
    rows.push(evaluate(state, "service-closing", { failure: "closed" }, "RFC 5321 §3.8"));
    rows.push(evaluate(state, "peer-closed", { success: "closed", failure: "closed" }, "RFC 5321 §3.8"));
  }
  return rows.map((row) => Object.freeze(row));
}

/**
 * Every row, grouped by state in the order of {@link sessionStates}. Where
 * several rows share a state and an input, the first whose `when` holds
 * applies.
 *
 * @example
 * ```ts
 * import { transitionTable } from "@smtpkit/session";
 * transitionTable.filter((row) => row.state === "ready" && row.input === "RCPT");
 * // [{ state: "ready", input: "RCPT", outcome: { type: "refuse", situation: "NeedMail", next: "ready" }, ... }]
 * ```
 */
export const transitionTable: readonly Transition[] = Object.freeze(build());

const index = new Map<string, Transition[]>();
for (const row of transitionTable) {
  const key = `${row.state} ${row.input}`;
  const list = index.get(key);
  if (list === undefined) index.set(key, [row]);
  else list.push(row);
}

function holds(condition: SessionCondition | undefined, flags: SessionFlags): boolean {
  if (condition === undefined) return true;
  for (const key of ["tls", "authenticated", "lmtp"] as const) {
    const wanted = condition[key];
    if (wanted !== undefined && wanted !== flags[key]) return false;
  }
  return true;
}

/**
 * The row that applies to `input` in `state` with these flags.
 *
 * @param state - where the conversation is
 * @param input - what happened
 * @param flags - TLS, AUTH and LMTP
 * @returns the row, or `undefined` when the input cannot occur in that state
 *   (a command while DATA content or a SASL response is read, anything after
 *   the close)
 * @example
 * ```ts
 * const flags = { tls: false, authenticated: false, lmtp: false };
 * findTransition("mail", "DATA", flags)?.outcome; // { type: "refuse", situation: "NoValidRecipients", next: "mail" }
 * findTransition("data", "MAIL", flags);          // undefined: the line is message content
 * ```
 */
export function findTransition(state: SessionState, input: SessionInput, flags: SessionFlags): Transition | undefined {
  const rows = index.get(`${state} ${input}`);
  if (rows === undefined) return undefined;
  for (const row of rows) if (holds(row.when, flags)) return row;
  return undefined;
}

/**
 * The state a reply leaves the conversation in, after a row's input.
 *
 * @param transition - the row that applied
 * @param code - the reply code (its first digit is what counts)
 * @returns the next state; a reply class the row does not expect (a 3yz to
 *   MAIL) leaves the state where its `failure` branch goes
 * @example
 * ```ts
 * const flags = { tls: false, authenticated: false, lmtp: false };
 * const row = findTransition("recipients", "DATA", flags);
 * if (row) nextState(row, 354); // "data"
 * ```
 */
export function nextState(transition: Transition, code: number): SessionState {
  const outcome = transition.outcome;
  if (outcome.type === "refuse") return outcome.next;
  const replyClass = Math.floor(code / 100);
  if (replyClass === 2 && outcome.success !== undefined) return outcome.success;
  if (replyClass === 3 && outcome.intermediate !== undefined) return outcome.intermediate;
  return outcome.failure;
}

/**
 * Whether a command is in sequence in a state: the client may send it, and
 * the server evaluates it (rather than refusing it as out of sequence).
 *
 * @param state - where the conversation is
 * @param input - the command (BDAT with LAST as `"BDAT LAST"`)
 * @param flags - TLS, AUTH and LMTP
 * @returns whether the table's row is `evaluate`
 * @example
 * ```ts
 * const flags = { tls: false, authenticated: false, lmtp: false };
 * isCommandAllowed("ready", "MAIL", flags); // true
 * isCommandAllowed("ready", "DATA", flags); // false: 503, need MAIL first
 * ```
 */
export function isCommandAllowed(state: SessionState, input: CommandInput, flags: SessionFlags): boolean {
  return findTransition(state, input, flags)?.outcome.type === "evaluate";
}

/**
 * The table input for a command verb (BDAT split by LAST).
 *
 * @param verb - the command's verb
 * @param last - for BDAT, whether LAST was given
 * @returns the input
 * @example
 * ```ts
 * commandInput("BDAT", true); // "BDAT LAST"
 * ```
 */
export function commandInput(verb: Exclude<CommandInput, "BDAT LAST">, last = false): CommandInput {
  return verb === "BDAT" && last ? "BDAT LAST" : verb;
}

/** A Mermaid-safe identifier for a state. */
function nodeId(state: SessionState): string {
  return state.replace(/-/g, "_");
}

/**
 * Draws the table as a Mermaid state diagram: one arrow per (state, next
 * state) pair that some input moves along, labelled with the inputs and the
 * reply class (`2yz`, `3yz`, `4/5yz`). Refusals, which leave the state
 * unchanged, and the 421/close arrows every state has are left out to keep it
 * readable; the table itself lists them.
 *
 * @returns Mermaid source (`stateDiagram-v2`), deterministic for a given table
 * @example
 * ```ts
 * renderStateDiagram().startsWith("stateDiagram-v2"); // true
 * ```
 */
export function renderStateDiagram(): string {
  const edges = new Map<string, Set<string>>();
  const add = (from: SessionState, to: SessionState, label: string): void => {
    if (from === to) return;
    const key = `${nodeId(from)} --> ${nodeId(to)}`;
    const labels = edges.get(key) ?? new Set<string>();
    labels.add(label);
    edges.set(key, labels);
  };
  for (const row of transitionTable) {
    if (row.input === "service-closing" || row.input === "peer-closed") continue;
    const outcome = row.outcome;
    if (outcome.type === "refuse") {
      add(row.state, outcome.next, `refused: ${outcome.situation}`);
      continue;
    }
    if (outcome.success !== undefined) add(row.state, outcome.success, `${row.input} 2yz`);
    if (outcome.intermediate !== undefined) add(row.state, outcome.intermediate, `${row.input} 3yz`);
    add(row.state, outcome.failure, `${row.input} 4/5yz`);
  }
  const lines = ["stateDiagram-v2"];
  for (const state of sessionStates) {
    if (nodeId(state) !== state) lines.push(`  state "${state}" as ${nodeId(state)}`);
  }
  lines.push("  [*] --> greeting");
  for (const [key, labels] of edges) lines.push(`  ${key} : ${[...labels].join(", ")}`);
  lines.push("  closed --> [*]");
  return `${lines.join("\n")}\n`;
}

function describeCondition(condition: SessionCondition | undefined): string {
  if (condition === undefined) return "";
  return Object.entries(condition)
    .map(([flag, value]) => (value === true ? flag : `not ${flag}`))
    .join(", ");
}

function describeOutcome(outcome: EvaluateOutcome | RefuseOutcome): string {
  if (outcome.type === "refuse") return `refuse: \`${outcome.situation}\` → ${outcome.next}`;
  const parts: string[] = [];
  if (outcome.success !== undefined) parts.push(`2yz → ${outcome.success}`);
  if (outcome.intermediate !== undefined) parts.push(`3yz → ${outcome.intermediate}`);
  parts.push(`4/5yz → ${outcome.failure}`);
  if (outcome.resets !== undefined) parts.push(`2yz resets the ${outcome.resets}`);
  return parts.join("; ");
}

/**
 * The Markdown page `docs/session-states.md`: the Mermaid diagram of
 * {@link renderStateDiagram} and every row of the table. The package's script
 * `scripts/write-state-diagram.mjs` writes it; a test checks the committed
 * page equals this text.
 *
 * @returns the page's Markdown
 * @example
 * ```ts
 * stateDiagramDocument().includes("```mermaid"); // true
 * ```
 */
export function stateDiagramDocument(): string {
  const lines = [
    "# SMTP session states",
    "",
    "<!-- Generated by packages/session/scripts/write-state-diagram.mjs from the transition table",
    "     (packages/session/src/transition-table.ts). Do not edit by hand. -->",
    "",
    "One table decides what is legal in which state of an SMTP or LMTP conversation, for the",
    "server and the client alike. An `evaluate` row means the input is in sequence and the",
    "reply class picks the next state; a `refuse` row means it is out of sequence and is",
    "answered with the named situation of `@smtpkit/codes`. Where rows share a state and an",
    "input, the first whose condition holds applies. Refusals that leave the state unchanged,",
    "and the 421 and peer-close arrows from every state to `closed`, are omitted from the diagram.",
    "",
    "```mermaid",
    renderStateDiagram().trimEnd(),
    "```",
    "",
    "| State | Input | When | Outcome | Reference |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const row of transitionTable) {
    lines.push(`| ${row.state} | ${row.input} | ${describeCondition(row.when)} | ${describeOutcome(row.outcome)} | ${row.reference} |`);
  }
  return `${lines.join("\n")}\n`;
}
