/**
 * Dates in headers (RFC 5322 §3.3), with the obsolete forms of §4.3: two-
 * and three-digit years, alphabetic zones (UT, GMT, EST...; military letters
 * read as -0000, as §4.3 advises), comments, missing seconds and day names.
 * Hand-written scanner, never throws.
 *
 * @module
 */
import { expectText } from "./argument-checks.js";

const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** RFC 5322 §4.3 obs-zone, in minutes east of UTC. */
const zones: Readonly<Record<string, number>> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  edt: -4 * 60,
  est: -5 * 60,
  cdt: -5 * 60,
  cst: -6 * 60,
  mdt: -6 * 60,
  mst: -7 * 60,
  pdt: -7 * 60,
  pst: -8 * 60,
};

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** ASCII letters only, as the tokens of RFC 5322 §3.3 are. */
function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * Parses a `Date:` header value (or any RFC 5322 date-time).
 *
 * @param input - the header value, e.g. `"Tue, 1 Jul 2003 10:52:37 +0200"` (a Received field's date after its ";" is found too)
 * @returns the instant, or undefined when the text is not a date
 * @example
 * ```ts
 * import { parseDate } from "@smtpkit/mime";
 * parseDate("Tue, 1 Jul 2003 10:52:37 +0200")?.toISOString(); // "2003-07-01T08:52:37.000Z"
 * ```
 */
export function parseDate(input: string): Date | undefined {
  expectText(input, "the date");
  // A Received field's date follows its last ";" (RFC 5321 §4.4).
  const semicolon = input.lastIndexOf(";");
  const value = semicolon === -1 ? input : input.slice(semicolon + 1);
  // Tokens: runs of letters, runs of digits, and signs; comments dropped.
  const tokens: string[] = [];
  let depth = 0;
  for (let index = 0; index < value.length && tokens.length < 32; ) {
    const char = value[index] as string;
    if (char === "(") depth++;
    else if (char === ")" && depth > 0) depth--;
    if (depth > 0 || char === ")") {
      index++;
      continue;
    }
    const start = index;
    if (isDigit(value.charCodeAt(index))) {
      while (index < value.length && isDigit(value.charCodeAt(index))) index++;
    } else if (isLetter(value.charCodeAt(index))) {
      while (index < value.length && isLetter(value.charCodeAt(index))) index++;
    } else {
      index++;
      if (char !== "+" && char !== "-" && char !== ":") continue;
    }
    tokens.push(value.slice(start, index));
  }
  let day: number | undefined;
  let month: number | undefined;
  let year: number | undefined;
  const time: number[] = [];
  let zone: number | undefined;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    const lower = token.toLowerCase();
    if (/^[0-9]+$/.test(token)) {
      const number = Number.parseInt(token, 10);
      if (tokens[index + 1] === ":" || (tokens[index - 1] === ":" && time.length > 0 && time.length < 3)) {
        time.push(number);
      } else if (day === undefined && month === undefined && token.length <= 2) {
        day = number;
      } else if (month !== undefined && day === undefined && token.length <= 2) {
        day = number; // "Jul 1 2003"
      } else if (year === undefined && month !== undefined) {
        // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900.
        year = token.length === 2 ? (number < 50 ? 2000 + number : 1900 + number) : token.length === 3 ? 1900 + number : number;
      }
    } else if ((token === "+" || token === "-") && time.length >= 2 && /^[0-9]{4}$/.test(tokens[index + 1] ?? "")) {
      const digits = tokens[index + 1] as string;
      const minutes = Number.parseInt(digits.slice(0, 2), 10) * 60 + Number.parseInt(digits.slice(2), 10);
      zone = token === "-" ? -minutes : minutes;
      index++;
    } else if (month === undefined && months.includes(lower.slice(0, 3)) && lower.length >= 3) {
      month = months.indexOf(lower.slice(0, 3));
    } else if (time.length >= 2 && zone === undefined && lower in zones) {
      zone = zones[lower];
    } else if (time.length >= 2 && zone === undefined && /^[a-ik-z]$/.test(lower)) {
      zone = 0; // military zones: §4.3 says treat as -0000
    }
  }
  if (day === undefined || month === undefined || year === undefined || time.length < 2) return undefined;
  const [hour = 0, minute = 0, second = 0] = time;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const utc = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - (zone ?? 0) * 60_000;
  // Date.UTC gives NaN past the ECMAScript range (±8.64e15 ms), but the zone shift can still
  // step over its edge: that would be an Invalid Date, so it is no date.
  return Number.isNaN(utc) || Math.abs(utc) > 8.64e15 ? undefined : new Date(utc);
}
