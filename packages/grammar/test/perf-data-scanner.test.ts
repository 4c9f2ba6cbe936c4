// The DATA reader's fast paths (WebAssembly line-end scanner, native
// searches, unmerged pieces) against a byte-at-a-time reference written
// here: same content, same end event, same octets consumed, under every
// policy and any chunking, with the fast path on and off. Correctness only.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  indexOfSequencePure,
  lastIndexOfByte,
  lastIndexOfBytePure,
  lineEndScanner,
} from "../src/byte-search.js";
import { DataScanner, type BareLineEndingPolicy, type DataChunkEvent, type DataEndEvent } from "../src/data-scanner.js";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

interface Outcome {
  readonly content: number[];
  readonly end:
    | {
        readonly size: number;
        readonly violation: string | undefined;
        readonly bareCarriageReturns: number;
        readonly bareLineFeeds: number;
        readonly longLines: number;
      }
    | undefined;
  /** Octets of the input that belong to the content (through the terminator), when it ended. */
  readonly consumed: number | undefined;
}

/**
 * The reference: one byte at a time. A line ends at CRLF only; a "." at a
 * line start is the end when CRLF follows, else dropped; any other CR or LF
 * is bare. Only decides what it can: input that has not ended leaves the
 * `end` undefined, and its content is not compared (bytes may be held back).
 */
function reference(wire: Uint8Array, policy: BareLineEndingPolicy, rejectNul: boolean): Outcome {
  const count = policy !== "accept";
  const normalize = policy === "normalize";
  const content: number[] = [];
  let bareCr = 0;
  let bareLf = 0;
  let longLines = 0;
  let lineLength = 0;
  let nul = false;
  let atLineStart = true;
  let p = 0;
  while (p < wire.length) {
    const byte = wire[p] as number;
    if (atLineStart && byte === DOT) {
      if (p + 2 >= wire.length) break; // undecided
      if (wire[p + 1] === CR && wire[p + 2] === LF) {
        const bare = bareCr + bareLf > 0;
        return {
          content,
          end: {
            size: content.length,
            violation: policy === "reject" && bare ? "BareLineEnding" : rejectNul && nul ? "NulInData" : undefined,
            bareCarriageReturns: count ? bareCr : 0,
            bareLineFeeds: count ? bareLf : 0,
            longLines: count ? longLines : 0,
          },
          consumed: p + 3,
        };
      }
      lineLength += 1; // the stuffing dot: dropped, but sent
      atLineStart = false;
      p += 1;
      continue;
    }
    atLineStart = false;
    if (byte === 0) nul = true;
    if (byte === CR) {
      if (p + 1 >= wire.length) break; // undecided
      if (wire[p + 1] === LF) {
        content.push(CR, LF);
        lineLength += 2;
        if (lineLength > 1000) longLines += 1;
        lineLength = 0;
        atLineStart = true;
        p += 2;
        continue;
      }
      bareCr += 1;
      content.push(...(normalize ? [CR, LF] : [CR]));
    } else if (byte === LF) {
      bareLf += 1;
      content.push(...(normalize ? [CR, LF] : [LF]));
    } else {
      content.push(byte);
    }
    lineLength += 1;
    p += 1;
  }
  return { content, end: undefined, consumed: undefined };
}

function run(chunks: readonly Uint8Array[], policy: BareLineEndingPolicy, rejectNul: boolean, fastPath: boolean): Outcome {
  const scanner = new DataScanner({ policy, rejectNul, fastPath });
  const content: number[] = [];
  let end: Outcome["end"];
  let consumed: number | undefined;
  let offset = 0;
  for (const chunk of chunks) {
    const events: (DataChunkEvent | DataEndEvent)[] = [];
    const used = scanner.scan(chunk, events);
    for (const event of events) {
      if (event.type === "data-chunk") {
        expect(end).toBeUndefined();
        for (const byte of event.data) content.push(byte);
      } else {
        const { size, violation, bareCarriageReturns, bareLineFeeds, longLines } = event;
        end = { size, violation, bareCarriageReturns, bareLineFeeds, longLines };
      }
    }
    if (scanner.ended) {
      consumed = offset + used;
      break;
    }
    expect(used).toBe(chunk.length);
    offset += chunk.length;
  }
  return { content, end, consumed };
}

function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, data.length]) {
    parts.push(data.subarray(previous, point));
    previous = point;
  }
  return parts;
}

function expectSame(actual: Outcome, expected: Outcome): void {
  expect(actual.end).toEqual(expected.end);
  expect(actual.consumed).toBe(expected.consumed);
  if (expected.end !== undefined) expect(Uint8Array.from(actual.content)).toEqual(Uint8Array.from(expected.content));
}

const encode = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Random bodies biased towards CR, LF, dots and NUL. */
const noisyBody = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("\r", "\n", ".", "\0", "\r\n", "\r\n.", "\r\n..", "a", "bc") },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 1100 }).map((n) => "x".repeat(n)) },
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));

/** Mostly well-formed CRLF text (so the fast path runs), with rare flaws, long lines and dot lines. */
const cleanishBody = fc
  .array(
    fc.oneof(
      { weight: 20, arbitrary: fc.tuple(fc.constantFrom("", ".", ".."), fc.string({ maxLength: 90 })).map(([dot, text]) => `${dot}${text.replace(/[\r\n]/g, "")}\r\n`) },
      { weight: 1, arbitrary: fc.integer({ min: 990, max: 1010 }).map((n) => `${"y".repeat(n)}\r\n`) },
      { weight: 1, arbitrary: fc.constantFrom("\r", "\n", "\0", ".\r", "a\rb", "a\nb") },
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(""));

const policies: readonly BareLineEndingPolicy[] = ["reject", "normalize", "accept"];

describe("DATA reader fast path against a byte-at-a-time reference", () => {
  for (const [name, body] of [
    ["noisy", noisyBody],
    ["mostly clean", cleanishBody],
  ] as const) {
    it(`${name} bodies: same content, end event and consumed octets under every policy and chunking`, () => {
      fc.assert(
        fc.property(
          body,
          fc.constantFrom("\r\n.\r\n", ".\r\n", "", "\r\n.\r\nQUIT\r\n", "\r\n.\r\nNOOP\n\r\0"),
          fc.constantFrom(...policies),
          fc.boolean(),
          fc.array(fc.nat(), { maxLength: 8 }),
          (text, ending, policy, rejectNul, cuts) => {
            const wire = encode(text + ending);
            const expected = reference(wire, policy, rejectNul);
            for (const fastPath of [true, false]) {
              expectSame(run([wire], policy, rejectNul, fastPath), expected);
              expectSame(run(split(wire, cuts), policy, rejectNul, fastPath), expected);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it("byte by byte, every smuggling-shaped ending, both paths", () => {
    const bodies = ["a\r\n", "a\n.\n", "a\r.\r", "a\r\n.\n", "a\n.\r\n", "a\r\n.\r", "a\r\n..\r\n", ".\r\n", "\r\n.\r\n"];
    for (const body of bodies) {
      for (const policy of policies) {
        const wire = encode(`${body}\r\nb\r\n.\r\nRSET\r\n`);
        const expected = reference(wire, policy, false);
        for (const fastPath of [true, false]) {
          expectSame(run([...wire].map((byte) => Uint8Array.of(byte)), policy, false, fastPath), expected);
          expectSame(run([wire], policy, false, fastPath), expected);
        }
      }
    }
  });

  it("long lines are counted exactly at every length around the limit and every cut", () => {
    for (const length of [998, 999, 1000, 1001, 2500]) {
      const wire = encode(`ab\r\n${"z".repeat(length - 2)}\r\n.${"q".repeat(length - 3)}\r\nend\r\n.\r\n`);
      const expected = reference(wire, "reject", false);
      for (const cut of [0, 1, 3, 4, 5, 500, length, length + 2, length + 3, length + 4, wire.length - 4]) {
        expectSame(run(split(wire, [cut]), "reject", false, true), expected);
      }
    }
  });

  it("an input larger than the scanner's memory reads the same", () => {
    const line = "line of ordinary text for a large push\r\n..dotted\r\n";
    const wire = encode(`${line.repeat(Math.ceil(300_000 / line.length))}x\ny\r\n.\r\n`);
    for (const policy of policies) {
      const expected = reference(wire, policy, false);
      expectSame(run([wire], policy, false, true), expected);
      expectSame(run(split(wire, [65_536, 131_072, 262_144]), policy, false, true), expected);
    }
  });

  it("pieces of ordinary text are handed out as views of the input, not copies", () => {
    // 30 dot lines in 18 kB: 30 pieces, under one per 512 octets.
    const text = `${"p".repeat(590)}\r\n.dot line\r\n`.repeat(30);
    const wire = encode(`${text}.\r\n`);
    const scanner = new DataScanner({ policy: "reject", rejectNul: false });
    const events: (DataChunkEvent | DataEndEvent)[] = [];
    scanner.scan(wire, events);
    const chunks = events.filter((event): event is DataChunkEvent => event.type === "data-chunk");
    expect(chunks.length).toBeGreaterThan(16);
    for (const chunk of chunks) expect(chunk.data.buffer).toBe(wire.buffer);
  });

  it("normalize: dense bare line endings come out as one chunk per input, like the reference", () => {
    for (const fill of [CR, LF]) {
      const chunk = new Uint8Array(65_536).fill(fill);
      const tail = encode("a\r.\rb\r\n.\r\n");
      const wire = new Uint8Array(3 * chunk.length + tail.length);
      wire.set(chunk, 0);
      wire.set(chunk, chunk.length);
      wire.set(chunk, 2 * chunk.length);
      wire.set(tail, 3 * chunk.length);
      const expected = reference(wire, "normalize", false);
      const scanner = new DataScanner({ policy: "normalize", rejectNul: false });
      const pieces = split(wire, [65_536, 131_072, 196_608, 196_611]);
      for (const piece of pieces) {
        const events: (DataChunkEvent | DataEndEvent)[] = [];
        scanner.scan(piece, events);
        expect(events.filter((event) => event.type === "data-chunk").length).toBeLessThanOrEqual(1);
      }
      expectSame(run(pieces, "normalize", false, true), expected);
      expectSame(run([wire], "normalize", false, true), expected);
    }
  });

  it("many tiny pieces from one input are still merged (events stay bounded)", () => {
    const wire = encode(`${"\r\n..".repeat(2000)}\r\n.\r\n`);
    const scanner = new DataScanner({ policy: "reject", rejectNul: false });
    const events: (DataChunkEvent | DataEndEvent)[] = [];
    scanner.scan(wire, events);
    expect(events.length).toBeLessThanOrEqual(Math.max(16, Math.floor(wire.length / 512)) + 1);
  });
});

describe("native and WebAssembly searches agree with the pure ones", () => {
  const biased = fc.uint8Array({ maxLength: 200 }).map((data) => data.map((byte) => [CR, LF, DOT, 0x41][byte % 4] as number));

  it("lastIndexOfByte", () => {
    fc.assert(
      fc.property(biased, fc.nat(), fc.constantFrom(CR, LF, DOT, 0), (haystack, from, byte) => {
        if (haystack.length === 0) return;
        const start = from % haystack.length;
        expect(lastIndexOfByte(haystack, byte, start)).toBe(lastIndexOfBytePure(haystack, byte, start));
      }),
    );
  });

  it("the line-end scanner runs here, and finds bare line ends and every <CRLF>. exactly", () => {
    const scanner = lineEndScanner();
    expect(scanner).toBeDefined();
    if (scanner === undefined) return;
    expect(lineEndScanner()).toBe(scanner);
    const crLfDot = Uint8Array.of(CR, LF, DOT);
    fc.assert(
      fc.property(biased, fc.nat(), (data, from) => {
        scanner.memory.fill(CR, 0, data.length + 64); // stale bytes past the end must not matter
        scanner.memory.set(data, 0);
        let mismatch = false;
        for (let p = 0; p + 1 < data.length; p += 1) if ((data[p] === CR) !== (data[p + 1] === LF)) mismatch = true;
        const expected: number[] = [];
        for (let at = indexOfSequencePure(data, crLfDot, 0); at >= 0; at = indexOfSequencePure(data, crLfDot, at + 1)) expected.push(at);
        scanner.takeMismatch();
        const found: number[] = [];
        for (let at = scanner.find(0, data.length); at >= 0; at = scanner.find(at + 2, data.length)) found.push(at);
        expect(found).toEqual(expected);
        expect(scanner.takeMismatch() !== 0).toBe(mismatch);
        expect(scanner.takeMismatch()).toBe(0);
        // A single search from anywhere finds the first one there.
        const start = from % (data.length + 1);
        expect(scanner.find(start, data.length)).toBe(indexOfSequencePure(data, crLfDot, start));
        scanner.takeMismatch();
      }),
      { numRuns: 500 },
    );
  });
});
