import { describe, expect, it } from "vitest";
import { CommandReader, parseCommand, serializeCommand } from "@smtpkit/grammar";

describe("smoke", () => {
  it("imports the package by its public name", () => {
    const result = parseCommand("MAIL FROM:<a@example.com>");
    expect(result.ok).toBe(true);
    expect(serializeCommand({ verb: "QUIT" })).toBe("QUIT\r\n");
    expect(new CommandReader().mode).toBe("command");
  });
});
