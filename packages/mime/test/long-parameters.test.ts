// A long non-ASCII file name takes hundreds of RFC 2231 continuation segments;
// the parser must read every one that the builder writes (a regression: the
// old cap of 128 parameters cut such a name mid-UTF-8, ending it in U+FFFD).
import { describe, expect, it } from "vitest";
import { buildMessage, encodeParameter, parseMessage, parseParameters } from "@smtpkit/mime";

describe("long RFC 2231 parameters", () => {
  it("a 1,500-character non-ASCII file name survives encode and parse", () => {
    const name = "é".repeat(1500);
    const segments = encodeParameter("filename", name);
    expect(segments.length).toBeGreaterThan(128);
    expect(parseParameters(`attachment; ${segments.join("; ")}`).parameters.filename).toBe(name);
  });

  it("survives buildMessage and parseMessage", () => {
    const filename = `${"é".repeat(1200)}.txt`;
    const bytes = buildMessage({
      from: { name: "", address: "a@example.com" },
      attachments: [{ content: new Uint8Array([1, 2, 3]), filename }],
    });
    expect(parseMessage(bytes).attachments[0]?.filename).toBe(filename);
  });

  it("still caps distinct parameters", () => {
    const many = Array.from({ length: 300 }, (_, index) => `p${index}=v`).join("; ");
    expect(Object.keys(parseParameters(`text/plain; ${many}`).parameters).length).toBe(128);
  });
});
