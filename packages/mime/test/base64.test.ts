import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as native from "@smtpkit/mime";
import { MimeError, base64Decode, base64Encode, createBase64Decoder, createBase64Encoder } from "@smtpkit/mime";
import { byteByByte, bytesOf, concat, cutPoints, splitAt } from "./helpers.js";

type Mime = typeof native;

/**
 * The package as a runtime without a native codec sees it: loaded afresh while
 * `globalThis.Buffer` is absent (Node 20 has no `Uint8Array.fromBase64`), so it
 * runs the pure table-driven code. The default import runs the native fast path
 * (`Buffer` found on `globalThis`). Both are the public package, nothing internal.
 */
let pure: Mime;
/** Calls the native instance made to `globalThis.Buffer.from`, to show the fast path is taken. */
let nativeCalls = 0;
let spied: Mime;

async function loadWithBuffer(buffer: typeof Buffer | undefined): Promise<Mime> {
  const saved = globalThis.Buffer;
  const typedArray = Uint8Array as unknown as { fromBase64?: unknown };
  const savedFromBase64 = Object.getOwnPropertyDescriptor(typedArray, "fromBase64");
  vi.resetModules();
  if (buffer === undefined) {
    // No native codec at all: neither Buffer nor (in runtimes that have it) Uint8Array.fromBase64.
    delete (globalThis as { Buffer?: unknown }).Buffer;
    delete typedArray.fromBase64;
  } else {
    globalThis.Buffer = buffer;
  }
  try {
    return await import("@smtpkit/mime");
  } finally {
    globalThis.Buffer = saved;
    if (savedFromBase64 !== undefined) Object.defineProperty(typedArray, "fromBase64", savedFromBase64);
  }
}

beforeAll(async () => {
  pure = await loadWithBuffer(undefined);
  const counting = new Proxy(Buffer, {
    get(target, key, receiver) {
      if (key === "from") nativeCalls++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  spied = await loadWithBuffer(counting);
  expect(pure).not.toBe(native);
});

function decodeWith(implementation: "native" | "pure", input: Uint8Array): Uint8Array {
  return (implementation === "pure" ? pure : native).base64Decode(input);
}

function decodeChunks(chunks: readonly Uint8Array[], mime: Mime = native): Uint8Array {
  const decoder = mime.createBase64Decoder();
  const out = chunks.map((chunk) => decoder.update(chunk));
  out.push(decoder.finish());
  return concat(out);
}

/** Base64-ish text: the alphabet, line breaks, padding and some junk. */
const base64ish = fc
  .array(fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split(""), "\r\n", "\n", "=", " ", "*", "\u00e9"), {
    maxLength: 300,
  })
  .map((parts) => Buffer.from(parts.join(""), "latin1"))
  .map((buffer) => Uint8Array.from(buffer));

describe("base64", () => {
  it("decodes RFC 4648 §10 test vectors", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["Zg==", "f"],
      ["Zm8=", "fo"],
      ["Zm9v", "foo"],
      ["Zm9vYg==", "foob"],
      ["Zm9vYmE=", "fooba"],
      ["Zm9vYmFy", "foobar"],
    ];
    for (const [encoded, plain] of vectors) {
      expect(new TextDecoder().decode(base64Decode(encoded))).toBe(plain);
      expect(base64Encode(bytesOf(plain))).toBe(encoded);
    }
  });

  it("is lenient: line breaks, junk and missing padding are fine, the first '=' ends the data", () => {
    expect(new TextDecoder().decode(base64Decode("SGVs\r\nbG8"))).toBe("Hello");
    expect(new TextDecoder().decode(base64Decode(" S G V s b G 8 * "))).toBe("Hello");
    expect(new TextDecoder().decode(base64Decode("SGk=SGk="))).toBe("Hi");
    expect(base64Decode("Q")).toEqual(new Uint8Array(0));
  });

  it("encode → decode is the identity for any bytes, in both implementations", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(0, 4, 76), (bytes, lineLength) => {
        const text = base64Encode(bytes, { lineLength });
        if (lineLength > 0) for (const line of text.split("\r\n")) expect(line.length).toBeLessThanOrEqual(lineLength);
        expect(decodeWith("native", bytesOf(text))).toEqual(bytes);
        expect(decodeWith("pure", bytesOf(text))).toEqual(bytes);
      }),
    );
  });

  it("the pure and native paths agree on any input, and both agree with Node's Buffer", () => {
    fc.assert(
      fc.property(fc.oneof(base64ish, fc.uint8Array({ maxLength: 200 })), (input) => {
        const expected = Uint8Array.from(Buffer.from(Buffer.from(input).toString("latin1"), "base64"));
        expect(decodeWith("pure", input)).toEqual(expected);
        expect(decodeWith("native", input)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("the incremental decoder gives the one-shot result for any chunking (whole, byte by byte, random cuts; both paths)", () => {
    fc.assert(
      fc.property(fc.oneof(base64ish, fc.uint8Array({ maxLength: 200 })), cutPoints, fc.boolean(), (input, cuts, usePure) => {
        const mime = usePure ? pure : native;
        const expected = decodeWith("pure", input);
        expect(decodeChunks([input], mime)).toEqual(expected);
        expect(decodeChunks(splitAt(input, cuts), mime)).toEqual(expected);
        expect(decodeChunks(byteByByte(input), mime)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("the native fast paths (inputs over 512 bytes, regular lines or not) agree with the pure code for any chunking", () => {
    const wrapped = fc
      // Big enough for the native paths (over 512 bytes of input), small enough to stay fast on a loaded machine.
      .tuple(fc.uint8Array({ minLength: 400, maxLength: 1500 }), fc.constantFrom(76, 64, 4, 0), fc.constantFrom("\r\n", "\n"))
      .map(([bytes, lineLength, lineEnd]) => base64Encode(bytes, { lineLength }).replaceAll("\r\n", lineEnd));
    const damage = fc.array(fc.tuple(fc.nat(), fc.constantFrom("", " ", "*", "=", "\r\n", "A", "==")), { maxLength: 3 });
    fc.assert(
      fc.property(wrapped, damage, cutPoints, (text, edits, cuts) => {
        let damaged = text;
        for (const [at, insert] of edits) {
          const position = at % (damaged.length + 1);
          damaged = damaged.slice(0, position) + insert + damaged.slice(position);
        }
        const input = bytesOf(damaged);
        const expected = decodeWith("pure", input);
        expect(decodeWith("native", input)).toEqual(expected);
        expect(decodeChunks(splitAt(input, cuts.map((cut) => cut % 3000)))).toEqual(expected);
        expect(decodeChunks(splitAt(input, [600, 1200, 1800]))).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("the incremental decoder's native path survives long wrapped input with junk in later chunks", () => {
    const data = Uint8Array.from({ length: 5000 }, (_, index) => (index * 7) & 0xff);
    const text = bytesOf(`${base64Encode(data)}\r\n`);
    const dirty = concat([text, bytesOf("*junk*")]);
    const expected = decodeWith("pure", dirty);
    expect(decodeChunks(splitAt(dirty, [1000, 2000, 3001, 6000, 6003]))).toEqual(expected);
    expect(expected).toEqual(decodeWith("pure", concat([text, bytesOf("junk")])));
  });

  it("the native instance really takes its fast path, and the pure instance agrees with it on large input", () => {
    const data = Uint8Array.from({ length: 20_000 }, (_, index) => (index * 31 + 7) & 0xff);
    const before = nativeCalls;
    const text = spied.base64Encode(data);
    expect(spied.base64Decode(text)).toEqual(data);
    expect(nativeCalls).toBeGreaterThan(before);
    expect(pure.base64Encode(data)).toBe(text);
    expect(pure.base64Decode(text)).toEqual(data);
    expect(decodeChunks(splitAt(bytesOf(text), [700, 5000, 9001]), pure)).toEqual(data);
  });

  it("the incremental encoder's pieces join to the one-shot encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), cutPoints, fc.constantFrom(0, 76), (bytes, cuts, lineLength) => {
        const encoder = createBase64Encoder({ lineLength });
        const text = splitAt(bytes, cuts).map((chunk) => encoder.update(chunk)).join("") + encoder.finish();
        expect(text).toBe(base64Encode(bytes, { lineLength }));
      }),
    );
  });

  it("rejects a line length that is not a multiple of 4 with a typed error", () => {
    for (const lineLength of [3, -4, 1.5, Number.NaN]) {
      expect(() => base64Encode(new Uint8Array(1), { lineLength })).toThrow(MimeError);
      expect(() => createBase64Encoder({ lineLength })).toThrow(MimeError);
    }
  });
});
