// Shared helpers for the tests: chunking, event normalisation, corpus location.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import type { MessageEvent } from "@smtpkit/mime";

export const encoder = new TextEncoder();
export const bytesOf = (text: string): Uint8Array => encoder.encode(text);
export const latin1Of = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** Splits `bytes` at the given (sorted, deduplicated) cut points. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.slice(start, point));
    start = point;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}

export const cutPoints = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 12 });

export function byteByByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (byte) => new Uint8Array([byte]));
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(chunks.map((chunk) => Buffer.from(chunk))));
}

/** Events with adjacent body pieces of the same part merged, bytes copied, for comparison. */
export function normalizeEvents(events: readonly MessageEvent[]): unknown[] {
  const out: Record<string, unknown>[] = [];
  for (const event of events) {
    const last = out[out.length - 1];
    if (
      (event.type === "part-body" || event.type === "preamble" || event.type === "epilogue") &&
      last !== undefined &&
      last["type"] === event.type &&
      String(last["path"]) === String(event.path)
    ) {
      last["bytes"] = concat([last["bytes"] as Uint8Array, event.bytes]);
      continue;
    }
    if (event.type === "part-body" || event.type === "preamble" || event.type === "epilogue") {
      if (event.bytes.length === 0) continue;
      out.push({ ...event, bytes: event.bytes.slice() });
    } else if (event.type === "part-start") {
      out.push({ ...event, headers: event.headers.map((field) => ({ ...field, raw: Array.from(field.raw) })) });
    } else {
      out.push({ ...event });
    }
  }
  return out;
}

/**
 * The shared public corpus: `shared/corpus/` beside the repository's folder
 * (`<anywhere>/<repository>/packages/mime/test/` → `<anywhere>/shared/corpus/`),
 * found from this file's URL, so neither the working directory nor the
 * folder the repository was cloned into matters. `SMTPKIT_CORPUS` overrides it.
 * A missing corpus is an error, not a skip: the tests that need it fail and say where they looked.
 */
export function corpusRoot(): string {
  const override = process.env["SMTPKIT_CORPUS"];
  const root = override !== undefined && override.length > 0 ? override : fileURLToPath(new URL("../../../../shared/corpus/", import.meta.url));
  if (!existsSync(root)) {
    throw new Error(`the shared corpus is missing: looked for ${root} (shared/ beside the repository, or set SMTPKIT_CORPUS)`);
  }
  return root;
}
