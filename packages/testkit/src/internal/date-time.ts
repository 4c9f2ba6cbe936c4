/**
 * RFC 3339 `date-time` values, as RRVS (RFC 7293 §3.1), HOLDUNTIL (RFC 4865
 * §3) and FUTURERELEASE's advertised maximum carry them. Internal.
 *
 * @module
 */
import fc from "fast-check";
import { record } from "./record.js";
import { digits, unit } from "./characters.js";

const two = (n: number): string => String(n).padStart(2, "0");

interface Parts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly fraction: string | undefined;
  /** Minutes east of UTC, or `undefined` for "Z". */
  readonly offset: number | undefined;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function format(p: Parts): string {
  const fraction = p.fraction === undefined ? "" : `.${p.fraction}`;
  let zone = "Z";
  if (p.offset !== undefined) {
    const sign = p.offset < 0 ? "-" : "+";
    const minutes = Math.abs(p.offset);
    zone = `${sign}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
  }
  return `${String(p.year).padStart(4, "0")}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${fraction}${zone}`;
}

const pattern = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})$/;

function parse(value: unknown): Parts {
  const match = typeof value === "string" ? pattern.exec(value) : null;
  if (match === null) throw new Error("not an RFC 3339 date-time");
  const zone = match[8] as string;
  const offset = zone === "Z" ? undefined : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4]),
    minute: Number(match[5]),
    second: Number(match[6]),
    fraction: match[7],
    offset,
  };
}

/**
 * An RFC 3339 §5.6 `date-time` in upper case (`T`, `Z`), years 2000–2099,
 * real calendar days, an optional fraction of 1–9 digits and a zone of `Z`
 * or ±hh:mm (within ±23:59). No leap seconds.
 */
export function dateTime(): fc.Arbitrary<string> {
  return record({
      year: fc.integer({ min: 2000, max: 2099 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 59 }),
      fraction: fc.option(fc.string({ unit: unit(digits), minLength: 1, maxLength: 9 }), { nil: undefined }),
      offset: fc.option(fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), { nil: undefined }),
    })
    .filter((p) => p.day <= daysIn(p.year, p.month))
    .map(format, parse);
}
