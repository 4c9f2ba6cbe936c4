import { describe, expect, it } from "vitest";
import { describeReply } from "@smtpkit/codes";

describe("smoke", () => {
  it("imports the package by its public name", () => {
    expect(describeReply(250).code).toBe(250);
  });
});
