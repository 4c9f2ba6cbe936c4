// The laws of safeFileName, the sanitizer behind --extract, over arbitrary strings.
import path from "node:path";
import { maxFileNameBytes, safeFileName } from "@smtpkit/cli";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const fallback = "part.bin";
// Strings rich in what attackers use: separators, dots, controls, bidi, device names.
const hostileText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ unit: fc.constantFrom("/", "\\", ".", " ", "\u0000", "\u001b", "\u202e", "a", "é", "😀", ":", "con", "NUL", "lpt1", "\u3000", "\ufeff"), maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 400 }),
);

describe("safeFileName", () => {
  it("always gives one visible path segment inside the directory", () => {
    fc.assert(
      fc.property(hostileText, (name) => {
        const safe = safeFileName(name, fallback);
        expect(safe.length).toBeGreaterThan(0);
        expect(safe).not.toMatch(/[/\\<>:"|?*\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/);
        expect(safe.startsWith(".")).toBe(false);
        expect(safe.trim()).toBe(safe);
        expect(safe.endsWith(".")).toBe(false);
        expect(new TextEncoder().encode(safe).length).toBeLessThanOrEqual(maxFileNameBytes);
        expect(path.dirname(path.join("/base/dir", safe))).toBe("/base/dir");
        const stem = (safe.split(".")[0] as string).toLowerCase();
        expect(["con", "prn", "aux", "nul", "com1", "lpt1"]).not.toContain(stem);
      }),
      { numRuns: 500 },
    );
  });

  it("is idempotent: a safe name stays as it is", () => {
    fc.assert(
      fc.property(hostileText, (name) => {
        const safe = safeFileName(name, fallback);
        expect(safeFileName(safe, "other.bin")).toBe(safe);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps ordinary names as they are", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _-]{0,40}\.[a-z]{1,5}$/), (name) => {
        fc.pre(!/^(con|prn|aux|nul|com\d|lpt\d) *\./i.test(name));
        expect(safeFileName(name, fallback)).toBe(name);
      }),
    );
    expect(safeFileName("Résumé 2025.pdf", fallback)).toBe("Résumé 2025.pdf");
  });

  it("handles the classic attacks", () => {
    expect(safeFileName("../../etc/passwd", fallback)).toBe("passwd");
    expect(safeFileName("dir/", fallback)).toBe("dir");
    expect(safeFileName("..", fallback)).toBe(fallback);
    expect(safeFileName("", fallback)).toBe(fallback);
    expect(safeFileName("nul.tar.gz", fallback)).toBe("_nul.tar.gz");
    expect(safeFileName("COM1 .txt", fallback)).toBe("_COM1 .txt");
    expect(safeFileName("report.pdf. . ", fallback)).toBe("report.pdf");
    // Cut to the limit, extension kept, no character split.
    const cut = safeFileName(`${"é".repeat(200)}.docx`, fallback);
    expect(cut.endsWith(".docx")).toBe(true);
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(maxFileNameBytes);
    expect(cut).not.toContain("\ufffd");
  });
});
