import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommandReader, parseReply, ReplyReader, serializeCommand, type CommandReaderEvent } from "@smtpkit/grammar";
import {
  chunked,
  chunkings,
  smugglingAttempt,
  smugglingSequence,
  smugglingSequences,
  startTlsInjection,
  startTlsReplyInjection,
} from "@smtpkit/testkit";
import { describeLaws } from "./laws.js";

function concat(chunks: readonly Uint8Array[]): number[] {
  return chunks.flatMap((chunk) => [...chunk]);
}

const stream = new TextEncoder().encode("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n");

describeLaws("chunkings(bytes)", () => chunkings(stream), (chunks) => {
  expect(concat(chunks)).toEqual([...stream]);
  for (const chunk of chunks) expect(chunk.length).toBeGreaterThan(0);
  // Views, not copies.
  for (const chunk of chunks) expect(chunk.buffer).toBe(stream.buffer);
});

describeLaws("chunkings(empty)", () => chunkings(new Uint8Array(0)), (chunks) => {
  expect(chunks.length).toBe(1);
  expect(chunks[0]?.length).toBe(0);
}, { withoutContext: false });

describe("chunkings", () => {
  it("concatenate back to any byte array", () => {
    fc.assert(
      fc.property(chunked(), ([bytes, chunks]) => {
        expect(concat(chunks)).toEqual([...bytes]);
      }),
    );
  });

  it("include the whole array and the array byte by byte", () => {
    const samples = fc.sample(chunkings(stream), { seed: 4, numRuns: 200 });
    expect(samples.some((chunks) => chunks.length === 1)).toBe(true);
    expect(samples.some((chunks) => chunks.length === stream.length)).toBe(true);
  });

  it("take a user's chunking and shrink it towards fewer chunks", () => {
    const arbitrary = chunkings(stream);
    const mine = [stream.subarray(0, 5), stream.subarray(5, 6), stream.subarray(6)];
    expect(arbitrary.canShrinkWithoutContext(mine)).toBe(true);
    const shrunk = [...arbitrary.shrink(mine, undefined)].map((s) => s.value);
    expect(shrunk.some((chunks) => chunks.length < mine.length)).toBe(true);
    expect(arbitrary.canShrinkWithoutContext([stream.subarray(0, 5)])).toBe(false);
  });
});

const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

describeLaws("smugglingSequence", () => smugglingSequence(), (sequence) => {
  const value = text(sequence.bytes);
  expect(value).toContain(".");
  expect(`\r\n${value}`).not.toContain("\r\n.\r\n");
  expect(/[\r\n]/.test(value.slice(0, value.indexOf(".")))).toBe(true);
}, { withoutContext: false });

/** Reads DATA content with the grammar's reader after DATA/354, chunk by chunk. */
function readData(chunks: readonly Uint8Array[]): CommandReaderEvent[] {
  const reader = new CommandReader({ bareLineEndings: "normalize" });
  reader.push(new TextEncoder().encode("DATA\r\n"));
  const events: CommandReaderEvent[] = [...reader.expectData()];
  for (const chunk of chunks) events.push(...reader.push(chunk));
  return events;
}

describeLaws("smugglingAttempt", () => smugglingAttempt(), (attempt) => {
  const value = text(attempt.bytes);
  // Exactly one real end of data, at the very end (the start of DATA counting as a CRLF).
  expect(`\r\n${value}`.indexOf("\r\n.\r\n")).toBe(value.length - 3);
  expect(value).toContain(text(attempt.sequence.bytes));
  expect(value).toContain(attempt.smuggled.map(serializeCommand).join(""));
}, { withoutContext: false });

describe("smuggling patterns", () => {
  it("hold every sequence of the grammar issue list", () => {
    expect(smugglingSequences.map((s) => s.name)).toEqual([
      "LF.LF", "LF.CRLF", "CRLF.LF", "CR.CR", "CR.LF", "LF.CR", "CR.CRLF", "CRLF.CR", "CRLF.CRCRLF", "CRCRLF.CRCRLF", "CRLF NUL.CRLF",
    ]);
  });

  it("never end the data early for a conforming reader, whatever the chunking", () => {
    fc.assert(
      fc.property(smugglingAttempt().chain((attempt) => fc.tuple(fc.constant(attempt), chunkings(attempt.bytes))), ([attempt, chunks]) => {
        const events = readData(chunks);
        const ends = events.filter((e) => e.type === "data-end");
        expect(ends.length).toBe(1);
        expect(events.filter((e) => e.type === "command" || e.type === "command-invalid")).toEqual([]);
        expect(events.at(-1)?.type).toBe("data-end");
        expect(attempt.smuggled.length).toBe(3);
      }),
      { numRuns: 200 },
    );
  });
});

describeLaws("startTlsInjection", () => startTlsInjection(), (injection) => {
  const reader = new CommandReader();
  const events = reader.push(injection.bytes);
  expect(events.length).toBe(1);
  expect(events[0]?.type === "command" && events[0].command.verb).toBe("STARTTLS");
  expect([...reader.takeBuffered()]).toEqual([...injection.injectedBytes]);
  expect(injection.injected.length).toBeGreaterThan(0);
});

describeLaws("startTlsReplyInjection", () => startTlsReplyInjection(), (injection) => {
  const events = new ReplyReader().push(injection.bytes);
  expect(events.map((e) => (e.type === "reply" ? e.reply : e.type))).toEqual([injection.ready, ...injection.injected]);
  expect(injection.ready.code).toBe(220);
  const first = text(injection.bytes).split("\r\n")[0] ?? "";
  expect(parseReply(first).ok).toBe(true);
});

describe("smuggling sequences are copies", () => {
  it("so mutating one leaves the shared list intact", () => {
    const before = smugglingSequences.map((s) => [...s.bytes]);
    for (const sequence of fc.sample(smugglingSequence(), { seed: 1, numRuns: 100 })) sequence.bytes.fill(0x41);
    expect(smugglingSequences.map((s) => [...s.bytes])).toEqual(before);
  });
});
