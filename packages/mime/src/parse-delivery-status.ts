/**
 * Delivery status notifications (RFC 3464): the fields of a
 * `message/delivery-status` body, one group for the message and one per
 * recipient. The body of such a part is found in `parseMessage(...).attachments`
 * (or any leaf part) of a `multipart/report` (RFC 6522).
 *
 * @module
 */
import { expectBytes } from "./argument-checks.js";
import { splitHeaderFields, type HeaderField } from "./headers.js";

/** The fields of a delivery status report. */
export interface DeliveryStatus {
  /** Per-message fields (`Reporting-MTA`, `Arrival-Date`...). */
  readonly message: readonly HeaderField[];
  /** Per-recipient field groups (`Final-Recipient`, `Action`, `Status`, `Diagnostic-Code`...). */
  readonly recipients: readonly (readonly HeaderField[])[];
}

/** The most recipient groups read from one report. */
const maxRecipients = 10_000;

/**
 * Splits a `message/delivery-status` body into its field groups (RFC 3464
 * §2.1: groups separated by blank lines, the first about the message).
 * Never throws. Offsets of the fields are relative to `body`.
 *
 * @param body - the decoded body of the message/delivery-status part
 * @returns the per-message fields and the per-recipient field groups
 * @example
 * ```ts
 * import { parseDeliveryStatus, getHeader } from "@smtpkit/mime";
 * const status = parseDeliveryStatus(new TextEncoder().encode(
 *   "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
 * getHeader(status.recipients[0]!, "status"); // "5.1.1"
 * ```
 */
export function parseDeliveryStatus(body: Uint8Array): DeliveryStatus {
  expectBytes(body, "the delivery-status body");
  const groups: HeaderField[][] = [];
  let start = 0;
  let index = 0;
  const length = body.length;
  const finishGroup = (end: number): void => {
    if (end > start && groups.length <= maxRecipients) {
      const { fields } = splitHeaderFields(body.subarray(start, end), start, 1000);
      if (fields.length > 0) groups.push(fields);
    }
  };
  while (index < length) {
    const lineFeed = body.indexOf(0x0a, index);
    if (lineFeed === -1) break;
    const next = lineFeed + 1;
    // A blank line (LF or CRLF) ends a group.
    if (body[next] === 0x0a || (body[next] === 0x0d && body[next + 1] === 0x0a)) {
      finishGroup(next);
      index = body[next] === 0x0a ? next + 1 : next + 2;
      start = index;
      continue;
    }
    index = next;
  }
  finishGroup(length);
  return { message: groups[0] ?? [], recipients: groups.slice(1) };
}
