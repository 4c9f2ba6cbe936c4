// DATA reading (RFC 5321 §4.1.1.4, §4.5.2) through the public CommandReader:
// end of data, unstuffing, the bare line ending policies, SMTP smuggling.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommandReader, type BareLineEndingPolicy, type CommandReaderEvent, type DataEndEvent } from "@smtpkit/grammar";
import { bytes, drive, everySplit, latin1, referenceData, splitAt } from "./helpers.js";

/** Feeds chunks to a reader already in DATA mode; returns content, the end event and what followed. */
function readData(chunks: readonly Uint8Array[], policy: BareLineEndingPolicy = "reject", rejectNul = false) {
  const reader = new CommandReader({ bareLineEndings: policy, rejectNul });
  reader.expectData();
  const content: number[] = [];
  const ends: DataEndEvent[] = [];
  const after: CommandReaderEvent[] = [];
  for (const chunk of chunks) {
    for (const event of reader.push(chunk)) {
      if (event.type === "data-chunk") {
        expect(ends).toHaveLength(0);
        content.push(...event.data);
      } else if (event.type === "data-end") {
        ends.push(event);
      } else {
        after.push(event);
      }
    }
  }
  return { content: String.fromCharCode(...content), ends, after, reader };
}

const smugglingSequences = [
  "\n.\n",
  "\n.\r\n",
  "\r\n.\n",
  "\r.\r",
  "\r.\n",
  "\n.\r",
  "\r.\r\n",
  "\r\n.\r",
  "\r\n.\r\r\n",
  "\r\r\n.\r\r\n",
  "\r\n\x00.\r\n",
  ".\n",
  "\n..\n",
];

describe("DATA: end of data", () => {
  it("ends at <CRLF>.<CRLF> and hands the rest to the command reader", () => {
    const { content, ends, after } = readData([bytes("Subject: a\r\n\r\nbody\r\n.\r\nQUIT\r\n")]);
    expect(content).toBe("Subject: a\r\n\r\nbody\r\n");
    expect(ends).toEqual([{ type: "data-end", size: 20, violation: undefined, bareCarriageReturns: 0, bareLineFeeds: 0, longLines: 0 }]);
    expect(after.map((event) => event.type === "command" && event.command.verb)).toEqual(["QUIT"]);
  });

  it("takes an empty message (the start of DATA counts as a CRLF)", () => {
    const { content, ends } = readData([bytes(".\r\n")]);
    expect(content).toBe("");
    expect(ends[0]?.size).toBe(0);
  });

  it("unstuffs a dot at the start of a line, and only there", () => {
    const { content } = readData([bytes("..a\r\n.\r\r\n..\r\nx.y\r\n.\r\n")]);
    expect(content).toBe(".a\r\n\r\r\n.\r\nx.y\r\n");
  });

  it("does not end on a dot line that is not at the start of a CRLF line", () => {
    const { ends } = readData([bytes("a\r\nb.\r\n")]);
    expect(ends).toHaveLength(0);
  });

  it("hands content out as subarrays of the input when nothing is dropped", () => {
    const input = bytes("line one\r\nline two\r\n.\r\n");
    const reader = new CommandReader();
    reader.expectData();
    const chunk = reader.push(input).find((event) => event.type === "data-chunk");
    expect(chunk?.type === "data-chunk" && chunk.data.buffer).toBe(input.buffer);
  });
});

describe("DATA: SMTP smuggling (SEC Consult 2023; CVE-2023-51764, -51765, -51766, CVE-2024-27305)", () => {
  for (const sequence of smugglingSequences) {
    const message = `Subject: smuggled\r\n\r\nhello${sequence}MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n\r\n.\r\nQUIT\r\n`;
    const input = bytes(message);
    const expected = referenceData(input);
    for (const policy of ["reject", "normalize", "accept"] as const) {
      it(`${JSON.stringify(sequence)} never ends the data (${policy}, every split)`, () => {
        const splits = everySplit(input);
        // And a few three-way splits around the sequence.
        const at = message.indexOf(sequence);
        for (let a = at - 1; a <= at + sequence.length; a += 1) {
          for (let b = a + 1; b <= at + sequence.length + 2; b += 1) splits.push(splitAt(input, [a, b]));
        }
        for (const chunks of splits) {
          const { content, ends, after } = readData(chunks, policy);
          expect(ends).toHaveLength(1);
          // The smuggled commands are content, and the end is the real one.
          expect(content).toContain("MAIL FROM:<admin@bank.example>");
          expect(content.endsWith("DATA\r\n\r\n")).toBe(true);
          expect(after.map((event) => event.type === "command" && event.command.verb)).toEqual(["QUIT"]);
          const bare = expected.bareCr + expected.bareLf > 0;
          expect(ends[0]?.violation).toBe(policy === "reject" && bare ? "BareLineEnding" : undefined);
          if (policy === "normalize") expect(content).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
          if (policy !== "normalize") expect(content).toBe(expected.content);
        }
      });
    }
  }
});

describe("DATA: the reference model, under any split", () => {
  const alphabet = fc.constantFrom(..."\r\n.a\x00".split(""));
  const input = fc.array(alphabet, { maxLength: 60 }).map((chars) => bytes(chars.join("")));
  const cuts = (length: number) => fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 8 });

  for (const policy of ["reject", "normalize", "accept"] as const) {
    it(`agrees with the byte-by-byte reading of RFC 5321 (${policy})`, () => {
      fc.assert(
        fc.property(
          input.chain((data) => fc.tuple(fc.constant(data), cuts(data.length))),
          ([data, points]) => {
            const chunks = splitAt(data, [...points].filter((p) => p < data.length).sort((a, b) => a - b));
            const expected = referenceData(data, policy === "normalize");
            const { content, ends } = readData(chunks, policy);
            expect(content).toBe(expected.content);
            expect(ends.length).toBe(expected.consumed >= 0 ? 1 : 0);
            if (expected.consumed >= 0) {
              const end = ends[0] as DataEndEvent;
              expect(end.size).toBe(expected.content.length);
              if (policy !== "accept") {
                expect([end.bareCarriageReturns, end.bareLineFeeds]).toEqual([expected.bareCr, expected.bareLf]);
              }
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it("gives the same events whole, byte by byte and in any split (commands after the data too)", () => {
    const text = fc
      .array(fc.constantFrom("a", ".", "\r\n", "\n", "\r", "..", "\r\n.\r\n", "NOOP\r\n", "DATA\r\n", "BDAT 3\r\n"), { maxLength: 30 })
      .map((parts) => bytes(parts.join("")));
    fc.assert(
      fc.property(
        text.chain((data) => fc.tuple(fc.constant(data), cuts(data.length))),
        ([data, points]) => {
          const whole = drive([data], {}, true);
          expect(drive([...data].map((byte) => Uint8Array.of(byte)), {}, true)).toEqual(whole);
          const chunks = splitAt(data, [...points].filter((p) => p < data.length).sort((a, b) => a - b));
          expect(drive(chunks, {}, true)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("unstuffing undoes stuffing for any body", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", ".", "\r\n", ". ", ".."), { maxLength: 40 }), (parts) => {
        let body = parts.join("");
        if (!body.endsWith("\r\n")) body += "\r\n";
        if (body === "\r\n") body = "x\r\n";
        const stuffed = (body.startsWith(".") ? "." : "") + body.replaceAll("\r\n.", "\r\n..");
        const { content, ends } = readData([bytes(`${stuffed}.\r\n`)]);
        expect(ends).toHaveLength(1);
        expect(content).toBe(body);
      }),
    );
  });
});

describe("DATA: policies and limits", () => {
  it("reject: reads on to the real end and names BareLineEnding", () => {
    const { content, ends } = readData([bytes("a\nb\rc\r\n.\r\n")]);
    expect(content).toBe("a\nb\rc\r\n");
    expect(ends[0]).toMatchObject({ violation: "BareLineEnding", bareCarriageReturns: 1, bareLineFeeds: 1 });
  });

  it("normalize: bare CR and LF become CRLF; a dot after them stays content", () => {
    const { content, ends } = readData([bytes("a\n.b\rc\r\n.\r\n")], "normalize");
    expect(content).toBe("a\r\n.b\r\nc\r\n");
    expect(ends[0]?.violation).toBeUndefined();
  });

  it("normalize: bounds the events per input by merging many pieces", () => {
    const reader = new CommandReader({ bareLineEndings: "normalize" });
    reader.expectData();
    const events = reader.push(bytes("x\n".repeat(1000)));
    expect(events.length).toBeLessThanOrEqual(1);
    expect(latin1((events[0] as { data: Uint8Array }).data)).toBe("x\r\n".repeat(1000));
  });

  it("accept: passes bare line endings through, unflagged", () => {
    const { content, ends } = readData([bytes("a\nb\r\n.\r\n")], "accept");
    expect(content).toBe("a\nb\r\n");
    expect(ends[0]?.violation).toBeUndefined();
  });

  it("rejectNul: names NulInData for a NUL in the content only", () => {
    expect(readData([bytes("a\x00b\r\n.\r\n")], "reject", true).ends[0]?.violation).toBe("NulInData");
    expect(readData([bytes("a\x00"), bytes("b\r\n.\r\n")], "reject", true).ends[0]?.violation).toBe("NulInData");
    expect(readData([bytes("ab\r\n.\r\nNOOP\x00\r\n")], "reject", true).ends[0]?.violation).toBeUndefined();
    expect(readData([bytes("a\x00b\r\n.\r\n")], "reject", false).ends[0]?.violation).toBeUndefined();
  });

  it("counts lines over 1000 octets with CRLF (RFC 5321 §4.5.3.1.6), under any split", () => {
    const input = bytes(`${"a".repeat(998)}\r\n${"b".repeat(999)}\r\n.${"c".repeat(998)}\r\nshort\r\n.\r\n`);
    for (const cuts of [[], [500], [998, 999, 1000], [1999, 2001, 2002, 2003], [3000]]) {
      const { ends } = readData(splitAt(input, cuts));
      expect(ends[0]?.longLines).toBe(2);
    }
  });

  it("reads 10 MB without a line ending in bounded events, without ending", () => {
    const reader = new CommandReader();
    reader.expectData();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let events = 0;
    for (let i = 0; i < 160; i += 1) events += reader.push(chunk).length;
    expect(events).toBe(160);
    expect(reader.mode).toBe("data");
    expect(reader.end()).toEqual([{ type: "input-truncated", mode: "data" }]);
  });
});
