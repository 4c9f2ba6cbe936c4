/**
 * Checks of the caller's arguments at the public entry points: a value of the
 * wrong type is the caller's mistake and throws a {@link MimeError}
 * (`invalid-argument`), never a `TypeError` from deep inside. The types
 * already say all this to TypeScript users; these checks are for JavaScript
 * callers and values that crossed an `any`. Internal.
 *
 * @module
 */
import { MimeError } from "./mime-error.js";

/** Refuses anything but a `Uint8Array`. @internal */
export function expectBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new MimeError("invalid-argument", value, `${what} must be a Uint8Array`);
}

/** Refuses anything but a string. @internal */
export function expectText(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string") throw new MimeError("invalid-argument", value, `${what} must be a string`);
}

/** Refuses anything but a `Uint8Array` or a string. @internal */
export function expectBytesOrText(value: unknown, what: string): asserts value is Uint8Array | string {
  if (typeof value !== "string" && !(value instanceof Uint8Array)) throw new MimeError("invalid-argument", value, `${what} must be a Uint8Array or a string`);
}

/** Refuses anything but an array. @internal */
export function expectArray(value: unknown, what: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw new MimeError("invalid-argument", value, `${what} must be an array`);
}
