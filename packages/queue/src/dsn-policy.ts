/**
 * Who gets a delivery status notification, and for what: the RFC 3461 rules
 * as one pure function, so the delivery workers, the tests and the docs agree.
 *
 * - RFC 3461 §4.1: `NOTIFY=NEVER` asks for no DSN at all; otherwise a DSN is
 *   sent only for the conditions listed (SUCCESS, FAILURE, DELAY). Without a
 *   NOTIFY parameter the MTA chooses between FAILURE and FAILURE,DELAY: this
 *   queue uses FAILURE,DELAY, so a sender learns of a long outage.
 * - RFC 5321 §4.5.5 (RFC 3461 §6.1 sends every DSN from `<>`): a message
 *   with the null reverse-path (a bounce, or a DSN itself) never gets a notification,
 *   so two MTAs cannot bounce bounces at each other forever.
 * - Delay notices go out once per recipient: the caller keeps that bit.
 *
 * Does not: build the message (see `dsn.ts`), decide what is permanent (the
 * delivery workers do, from the reply), read a clock.
 *
 * @module
 */
import type { DsnNotify } from "@smtpkit/grammar";
import { QueueUsageError } from "./queue-usage-error.js";

/**
 * The `Action` of a recipient in a DSN (RFC 3464 §2.3.3): `failed` (will not
 * be delivered), `delayed` (still trying), `delivered` (final delivery),
 * `relayed` (handed to a server that does not offer DSN, so no further
 * notification will come), `expanded` (delivered to a list or alias).
 */
export type DsnAction = "failed" | "delayed" | "delivered" | "relayed" | "expanded";

/**
 * What a recipient without NOTIFY gets: FAILURE and DELAY. RFC 3461 §4.1
 * lets the MTA read a missing NOTIFY as either FAILURE or FAILURE,DELAY; the
 * second tells a sender of a long outage.
 *
 * @example
 * ```ts
 * import { DEFAULT_NOTIFY } from "@smtpkit/queue";
 * DEFAULT_NOTIFY; // ["FAILURE", "DELAY"]
 * ```
 */
export const DEFAULT_NOTIFY: readonly DsnNotify[] = Object.freeze(["FAILURE", "DELAY"] as const);

/** The question {@link shouldNotify} answers, about one recipient and one event. */
export interface NotificationQuestion {
  /** The reverse-path of the message: `null` (or `""`) for `<>`. */
  readonly reversePath: string | null;
  /** The recipient's `NOTIFY=` as received; `undefined` when the submitter gave none. */
  readonly notify: readonly DsnNotify[] | undefined;
  /** What happened to the recipient. */
  readonly action: DsnAction;
  /** Whether a delay notice for this recipient has been sent already (only one is sent). */
  readonly delayAlreadyNotified?: boolean;
}

const actions: readonly string[] = ["failed", "delayed", "delivered", "relayed", "expanded"];
const notifyValues: readonly string[] = ["NEVER", "SUCCESS", "FAILURE", "DELAY"];

// RFC 3461 §4.1: which NOTIFY condition each Action answers to.
function conditionOf(action: DsnAction): DsnNotify {
  switch (action) {
    case "failed":
      return "FAILURE";
    case "delayed":
      return "DELAY";
    case "delivered":
    case "relayed":
    case "expanded":
      return "SUCCESS";
  }
}

/**
 * Decides whether a recipient belongs in a DSN for an event (RFC 3461 §4.1,
 * RFC 5321 §4.5.5).
 *
 * @param question - the reverse-path, the recipient's NOTIFY, the event, and whether a delay notice went out
 * @returns `true` when a notification must be sent for this recipient
 * @throws {@link QueueUsageError} (`invalid-option`) for an unknown action or NOTIFY value
 * @example
 * ```ts
 * import { shouldNotify } from "@smtpkit/queue";
 * shouldNotify({ reversePath: "alice@example.com", notify: undefined, action: "failed" });     // true
 * shouldNotify({ reversePath: null, notify: ["FAILURE"], action: "failed" });                 // false: never bounce a bounce
 * shouldNotify({ reversePath: "alice@example.com", notify: ["NEVER"], action: "failed" });    // false
 * shouldNotify({ reversePath: "alice@example.com", notify: undefined, action: "delivered" });  // false: SUCCESS was not asked
 * shouldNotify({ reversePath: "a@example.com", notify: undefined, action: "delayed", delayAlreadyNotified: true }); // false
 * ```
 */
export function shouldNotify(question: NotificationQuestion): boolean {
  if (typeof question !== "object" || question === null) throw new QueueUsageError("invalid-option", "question", question, "shouldNotify needs a question object.");
  const { reversePath, notify, action } = question;
  if (!actions.includes(action)) throw new QueueUsageError("invalid-option", "action", action, "action must be failed, delayed, delivered, relayed or expanded.");
  if (notify !== undefined && (!Array.isArray(notify) || notify.some((value) => !notifyValues.includes(value)))) {
    throw new QueueUsageError("invalid-option", "notify", notify, "notify must list NEVER, SUCCESS, FAILURE or DELAY.");
  }
  // RFC 5321 §4.5.5: no notification is ever sent to the null reverse-path.
  if (reversePath === null || reversePath === "") return false;
  // RFC 3461 §4.1: an empty list is not valid NOTIFY syntax; read it as "not given".
  const conditions = notify === undefined || notify.length === 0 ? DEFAULT_NOTIFY : notify;
  if (conditions.includes("NEVER")) return false;
  if (action === "delayed" && question.delayAlreadyNotified === true) return false;
  return conditions.includes(conditionOf(action));
}
