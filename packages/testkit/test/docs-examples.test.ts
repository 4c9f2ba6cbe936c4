// The examples of README.md and docs/testkit.md, run as written, so the docs cannot rot.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Situations } from "@smtpkit/codes";
import { CapabilitySet, CommandReader, parseCommand, parseReply, serializeCommand, serializeReply, type CommandReaderEvent } from "@smtpkit/grammar";
import {
  assertChunkSplitInvariance,
  assertRoundTrip,
  assertTotal,
  chunkings,
  command,
  nearlyValidCommand,
  reply,
  smtpishBytes,
  smugglingAttempt,
} from "@smtpkit/testkit";

describe("README examples", () => {
  it("arbitraries", () => {
    fc.assert(fc.property(command(), (c) => parseCommand(serializeCommand(c), { strict: true }).ok));
    const capabilities = CapabilitySet.of({ SIZE: ["10485760"], PIPELINING: true, DSN: true });
    expect(fc.sample(command({ capabilities }), 5).length).toBe(5);
    const [first] = fc.sample(nearlyValidCommand(["duplicate-parameter"]), { seed: 1, numRuns: 1 });
    expect(first?.situation).toBe("DuplicateParameter");
    const bytes = new TextEncoder().encode("EHLO a.example\r\nQUIT\r\n");
    fc.assert(fc.property(chunkings(bytes), (chunks) => chunks.length >= 1));
  });

  it("assertions", () => {
    assertRoundTrip(reply(), serializeReply, (wire) => {
      const result = parseReply(wire);
      if (!result.ok) throw new Error(result.error.message);
      return result.reply;
    });
    assertTotal((bytes) => parseCommand(bytes), () => false);
    assertChunkSplitInvariance(smtpishBytes(), () => new CommandReader(), {
      normalize: (events: readonly CommandReaderEvent[]) => events.map((e) => ("pipelined" in e ? { ...e, pipelined: undefined } : e)),
    });
  });
});

describe("docs/testkit.md examples, with smtpkit's own code standing in for the user's", () => {
  it("a server's answers to one-defect lines", () => {
    const myServerAnswer = (line: string, capabilities: CapabilitySet): { code: number } => {
      if (new TextEncoder().encode(line).length > 2048) return { code: Situations.LineTooLong.code };
      const result = parseCommand(line, { extensions: capabilities });
      return { code: result.ok ? 250 : Situations[result.error.situation].code };
    };
    fc.assert(
      fc.property(nearlyValidCommand(), (bad) => {
        const answer = myServerAnswer(bad.line, bad.capabilities);
        return answer.code === Situations[bad.situation].code;
      }),
    );
  });

  it("DATA handling against smuggling", () => {
    const feedDataToMyServer = (chunks: readonly Uint8Array[]): { messages: number; commands: number } => {
      const reader = new CommandReader();
      reader.push(new TextEncoder().encode("DATA\r\n"));
      const events = [...reader.expectData()];
      for (const chunk of chunks) events.push(...reader.push(chunk));
      return { messages: events.filter((e) => e.type === "data-end").length, commands: events.filter((e) => e.type === "command").length };
    };
    fc.assert(
      fc.property(
        smugglingAttempt().chain((attempt) => fc.tuple(fc.constant(attempt), chunkings(attempt.bytes))),
        ([, chunks]) => {
          const { messages, commands } = feedDataToMyServer(chunks);
          return messages === 1 && commands === 0;
        },
      ),
    );
  });
});
