import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CommandReader,
  GrammarError,
  parseCommand,
  parseReply,
  ReplyReader,
  serializeCommand,
  serializeReply,
  type CommandReaderEvent,
  type Reply,
} from "@smtpkit/grammar";
import { assertChunkSplitInvariance, assertRoundTrip, assertTotal, command, reply, smtpishBytes, TestkitError } from "@smtpkit/testkit";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function caught(run: () => void): TestkitError {
  try {
    run();
  } catch (error) {
    if (TestkitError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("the assertion did not fail");
}

function parseReplyOrThrow(wire: string): Reply {
  const result = parseReply(wire);
  if (!result.ok) throw new Error(result.error.message);
  return result.reply;
}

describe("assertRoundTrip", () => {
  it("passes for grammar's reply and command codecs", () => {
    assertRoundTrip(reply(), serializeReply, parseReplyOrThrow);
    assertRoundTrip(command(), serializeCommand, (line) => {
      const result = parseCommand(line, { strict: true });
      if (!result.ok) throw new Error(result.error.message);
      return result.command;
    });
  });

  it("catches a decoder that loses trailing white space, and shows the shrunk counterexample", () => {
    const error = caught(() => assertRoundTrip(fc.string({ unit: fc.constantFrom("a", " ", "b") }), (text) => encoder.encode(text), (bytes) => decoder.decode(bytes).trimEnd(), { seed: 1 }));
    expect(error.reason).toBe("law-broken");
    expect(error.law).toBe("round-trip");
    expect(error.counterexample).toBe(" ");
    expect(error.message).toContain("Law broken: round-trip");
    expect(error.message).toContain('Counterexample: " "');
    expect(error.message).toContain('Decoded: ""');
    expect(error.message).toMatch(/Replay with \{ seed: -?\d+, path: "[\d:]+" \}/);
  });

  it("catches a reply parser that drops the enhanced code, and one that throws", () => {
    const lossy = caught(() =>
      assertRoundTrip(reply({ enhanced: "always", codes: [550] }), serializeReply, (wire) => {
        const { code, lines } = parseReplyOrThrow(wire);
        return { code, lines };
      }),
    );
    expect(lossy.law).toBe("round-trip");
    const throwing = caught(() =>
      assertRoundTrip(reply(), serializeReply, () => {
        throw new RangeError("boom");
      }),
    );
    expect(throwing.message).toContain("decode threw RangeError: boom");
  });

  it("replays a failure from its seed and path", () => {
    const broken = (): void => assertRoundTrip(fc.integer(), (n) => String(n), (text) => Math.abs(Number(text)));
    const first = caught(broken);
    const again = caught(() =>
      assertRoundTrip(fc.integer(), (n) => String(n), (text) => Math.abs(Number(text)), { seed: first.seed as number, path: first.path as string }),
    );
    expect(again.counterexample).toBe(first.counterexample);
    expect(first.counterexample).toBe(-1);
  });
});

/** A line splitter that forgets a line's start when a chunk ends inside it: the classic streaming bug. */
function forgetfulLineParser(): { push(chunk: Uint8Array): string[] } {
  return {
    push(chunk) {
      const lines = decoder.decode(chunk).split("\r\n");
      lines.pop();
      return lines;
    },
  };
}

/** A correct line splitter, for contrast. */
function lineParser(): { push(chunk: Uint8Array): string[]; end(): string[] } {
  let buffered = "";
  return {
    push(chunk) {
      buffered += String.fromCharCode(...chunk);
      const lines = buffered.split("\r\n");
      buffered = lines.pop() ?? "";
      return lines;
    },
    end() {
      return buffered === "" ? [] : [buffered];
    },
  };
}

const commandStream = fc.array(command(), { maxLength: 5 }).map((commands) => encoder.encode(commands.map(serializeCommand).join("")));

describe("assertChunkSplitInvariance", () => {
  it("passes for a buffering line splitter and for grammar's ReplyReader", () => {
    assertChunkSplitInvariance(commandStream, lineParser);
    const replies = fc.array(reply(), { maxLength: 4 }).map((list) => encoder.encode(list.map(serializeReply).join("")));
    // The reader's `pipelined` flag says how the replies arrived, so it is normalized away.
    assertChunkSplitInvariance(replies, () => new ReplyReader(), {
      normalize: (events) => events.map((event) => (event.type === "reply" ? { ...event, pipelined: undefined } : event)),
    });
  });

  it("passes for grammar's CommandReader once the chunk-dependent `pipelined` flag is normalized away", () => {
    const normalize = (events: readonly CommandReaderEvent[]): unknown =>
      events.map((event) => (event.type === "command" || event.type === "command-invalid" ? { ...event, pipelined: undefined } : event));
    assertChunkSplitInvariance(commandStream, () => new CommandReader(), { normalize, numRuns: 50 });
    // Without the normalization the law is broken, and says so.
    const error = caught(() => assertChunkSplitInvariance(commandStream, () => new CommandReader(), { numRuns: 200, seed: 4 }));
    expect(error.law).toBe("chunk-split-invariance");
    expect(error.message).toContain("pipelined");
  });

  it("catches a parser that forgets the start of a line split across chunks", () => {
    const error = caught(() => assertChunkSplitInvariance(commandStream, forgetfulLineParser, { seed: 2 }));
    expect(error.law).toBe("chunk-split-invariance");
    expect(error.message).toContain("Law broken: chunk-split-invariance");
    expect(error.message).toContain("Whole: ");
    const [bytes] = error.counterexample as [Uint8Array, Uint8Array[]];
    expect(bytes).toBeInstanceOf(Uint8Array);
    // Shrunk: one short command is enough to show the bug.
    expect(decoder.decode(bytes).split("\r\n").length).toBeLessThanOrEqual(3);
  });

  it("catches a parser that throws only when a CR ends a chunk", () => {
    const fragile = (): { push(chunk: Uint8Array): number[] } => ({
      push(chunk) {
        if (chunk[chunk.length - 1] === 0x0d) throw new TypeError("CR at the end of a chunk");
        return [];
      },
    });
    const error = caught(() => assertChunkSplitInvariance(commandStream, fragile, { seed: 3 }));
    expect(error.message).toContain("threw TypeError: CR at the end of a chunk");
  });
});

describe("assertTotal", () => {
  it("passes for grammar's parsers, which never throw on input", () => {
    assertTotal((bytes) => parseCommand(bytes), () => false, { numRuns: 300 });
    assertTotal((bytes) => parseReply(bytes), () => false, { numRuns: 300 });
    assertTotal((bytes) => new CommandReader().push(bytes), () => false);
  });

  it("accepts typed errors the caller declares", () => {
    assertTotal(
      (bytes) => {
        if (bytes.includes(0)) throw new GrammarError("invalid-argument", "NUL");
        return bytes.length;
      },
      GrammarError.isInstance,
    );
  });

  it("catches a parser that throws an untyped error on some bytes", () => {
    const error = caught(() => assertTotal((bytes) => JSON.parse(decoder.decode(bytes)) as unknown, () => false, { seed: 5 }));
    expect(error.law).toBe("totality");
    expect(error.message).toContain("Law broken: totality");
    expect(error.message).toContain("Threw SyntaxError");
    expect(error.counterexample).toBeInstanceOf(Uint8Array);
  });

  it("catches a parser that crashes only deep in SMTP-shaped input", () => {
    const parser = (bytes: Uint8Array): string => {
      const text = decoder.decode(bytes);
      const open = text.lastIndexOf("<");
      if (text.includes("MAIL FROM:") && open >= 0 && !text.includes(">", open)) throw new RangeError("unterminated path");
      return text;
    };
    const error = caught(() => assertTotal(parser, () => false, { inputs: smtpishBytes(), numRuns: 500, seed: 6 }));
    // Shrunk to the two tokens that matter, in either order.
    expect(["MAIL FROM:<", "<MAIL FROM:"]).toContain(decoder.decode(error.counterexample as Uint8Array));
  });

  it("refuses a nonsensical run count", () => {
    expect(() => assertTotal(() => 0, () => false, { numRuns: 0 })).toThrow(TestkitError);
  });
});

describe("examples of the user's own", () => {
  it("are tried first, and a failing one is shrunk through the arbitrary's unmapper", () => {
    const mine: Reply = { code: 550, enhanced: "5.1.1", lines: ["No such user here", "Really"] };
    // A decoder that loses every line but the first.
    const error = caught(() =>
      assertRoundTrip(reply(), serializeReply, (wire) => {
        const parsed = parseReplyOrThrow(wire);
        return { ...parsed, lines: parsed.lines.slice(0, 1) };
      }, { examples: [mine], numRuns: 1, seed: 9 }),
    );
    const shrunk = error.counterexample as Reply;
    expect(shrunk.lines.length).toBe(2);
    // Shrunk from the example: shorter texts than the ones given.
    expect(shrunk.lines.join("").length).toBeLessThan(mine.lines.join("").length);
  });

  it("feed assertTotal and assertChunkSplitInvariance too", () => {
    const crash = encoder.encode("MAIL FROM:<\0>");
    const error = caught(() =>
      assertTotal((bytes) => {
        if (bytes.includes(0)) throw new TypeError("NUL");
        return bytes.length;
      }, () => false, { inputs: fc.constant(new Uint8Array(1).fill(65)), examples: [crash], numRuns: 1 }),
    );
    expect(error.law).toBe("totality");
    const split = caught(() => assertChunkSplitInvariance(fc.constant(new Uint8Array(0)), forgetfulLineParser, { examples: [encoder.encode("NOOP\r\n")], numRuns: 1 }));
    expect(split.law).toBe("chunk-split-invariance");
  });
});

describe("fast-check's global configuration", () => {
  it("is honoured when no option overrides it", () => {
    let runs = 0;
    fc.configureGlobal({ numRuns: 7 });
    try {
      assertTotal(() => {
        runs += 1;
        return 0;
      }, () => false);
    } finally {
      fc.resetConfigureGlobal();
    }
    expect(runs).toBe(7);
  });
});
