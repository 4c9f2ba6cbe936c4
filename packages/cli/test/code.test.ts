// `smtpkit code`: the registry look-ups, their text and JSON, and exit codes.
import { describeEnhancedStatus, describeReply, situationList, Situations } from "@smtpkit/codes";
import { describe, expect, it } from "vitest";
import { json, smtpkit } from "./helpers.js";

describe("smtpkit code", () => {
  it("describes a basic code", async () => {
    const result = await smtpkit(["code", "550"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`550  ${describeReply(550).text}`);
    expect(result.stdout).toContain("permanent negative");
    expect(result.stdout).toContain("RelayDenied");
    expect(result.stderr).toBe("");
  });

  it("describes an enhanced code", async () => {
    const result = await smtpkit(["code", "5.7.1"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(describeEnhancedStatus("5.7.1")?.title);
    expect(result.stdout).toContain("RFC 3463");
  });

  it("accepts a basic and an enhanced code that agree, in either order", async () => {
    for (const args of [["550", "5.7.1"], ["5.7.1", "550"]]) {
      const result = await smtpkit(["code", ...args, "--json"]);
      expect(result.exitCode).toBe(0);
      const body = json(result);
      expect(body.reply.code).toBe(550);
      expect(body.enhanced.code).toBe("5.7.1");
      expect(body.notes).toEqual([]);
      expect(body.situations.map((situation: { name: string }) => situation.name)).toContain("RelayDenied");
    }
  });

  it("reads the codes at the start of a pasted reply line (RFC 5321 §4.2, RFC 2034 §4)", async () => {
    const cases: [string, number, string | undefined][] = [
      ["550 5.7.1 <x@example.com>: Relay access denied", 550, "5.7.1"],
      ["550-5.7.1 first line of several", 550, "5.7.1"],
      ["  421 Service closing  ", 421, undefined],
      ["550 5.7.1x is text", 550, undefined],
    ];
    for (const [line, basic, enhanced] of cases) {
      const result = await smtpkit(["code", line, "--json"]);
      expect(result.exitCode, line).toBe(0);
      const body = json(result);
      expect(body.reply.code, line).toBe(basic);
      expect(body.enhanced?.code, line).toBe(enhanced);
    }
    const mismatch = await smtpkit(["code", "250 5.1.1 odd"]);
    expect(mismatch.exitCode).toBe(1);
    expect(mismatch.stdout).toContain("class mismatch");
  });

  it("notes a class mismatch (RFC 3463 §2) with exit code 1", async () => {
    const result = await smtpkit(["code", "250", "5.7.1"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/class mismatch: 250 is a 2yz reply but 5\.7\.1 has class 5/);
  });

  it("notes a basic code the registry does not pair with the enhanced one", async () => {
    const pairs = describeEnhancedStatus("5.1.1")?.basicCodes ?? [];
    expect(pairs).not.toContain(554);
    const result = await smtpkit(["code", "554", "5.1.1", "--json"]);
    expect(result.exitCode).toBe(1);
    const body = json(result);
    expect(body.notes).toHaveLength(1);
    expect(body.notes[0]).toContain("not 554");
  });

  it("flags non-standard codes and names the standard alternative", async () => {
    const result = await smtpkit(["code", "420"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("send 421 4.4.2 instead");
  });

  it("flags unregistered and impossible codes", async () => {
    expect((await smtpkit(["code", "299"])).exitCode).toBe(1);
    const impossible = await smtpkit(["code", "999", "--json"]);
    expect(impossible.exitCode).toBe(1);
    expect(json(impossible).notes[0]).toContain("not an SMTP reply code");
    const unregistered = await smtpkit(["code", "4.7.999", "--json"]);
    expect(unregistered.exitCode).toBe(1);
    expect(json(unregistered).enhanced.registered).toBe(false);
  });

  it("refuses malformed codes as usage errors (exit 2), without a stack trace", async () => {
    for (const argument of ["55", "abc", "3.1.1", "5.7", "0550", "5.07.1"]) {
      const result = await smtpkit(["code", argument]);
      expect(result.exitCode, argument).toBe(2);
      expect(result.stderr).toContain("neither a reply code");
      expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
      expect(result.stdout).toBe("");
    }
    expect((await smtpkit(["code", "550", "551"])).exitCode).toBe(2);
    expect((await smtpkit(["code"])).exitCode).toBe(2);
    expect((await smtpkit(["code", "550", "--command", "RCPT"])).exitCode).toBe(2);
  });

  it("lists the replies a command may get, any case", async () => {
    const result = await smtpkit(["code", "--command", "rcpt", "--json"]);
    expect(result.exitCode).toBe(0);
    const body = json(result);
    expect(body.command).toBe("RCPT");
    expect(body.replies.success.map((reply: { code: number }) => reply.code)).toEqual([250, 251]);
    const text = await smtpkit(["code", "--command", "DATA"]);
    expect(text.stdout).toContain("354");
    expect(text.stdout).toContain("after content");
  });

  it("reports an unknown command with exit code 1 and the known ones", async () => {
    const result = await smtpkit(["code", "--command", "XYZZY"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("EHLO");
  });

  it("prints a situation's canonical reply, its name in any case", async () => {
    const result = await smtpkit(["code", "--situation", "relaydenied"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("550 5.7.1 Relay access denied");
    const body = json(await smtpkit(["code", "--situation", "MessageTooBig", "--json"]));
    expect(body.situation).toEqual(Situations.MessageTooBig);
  });

  it("suggests situations for an unknown name", async () => {
    const result = await smtpkit(["code", "--situation", "relay", "--json"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("did you mean RelayDenied");
    expect(json(result).error.exitCode).toBe(1);
  });

  it("lists every situation", async () => {
    const text = await smtpkit(["code", "--list-situations"]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout.trimEnd().split("\n")).toHaveLength(situationList.length);
    const body = json(await smtpkit(["code", "--list-situations", "--json"]));
    expect(body.situations).toEqual(situationList);
  });
});
