// Laws of the harness's pure helpers: dot-stuffing, trace-header stripping,
// line-end conversion, smtp-sink dump parsing, option validation.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  assertLoopbackHost,
  assertTestPort,
  checkDomains,
  convertLineEnds,
  dotStuff,
  InteropError,
  parseSmtpSinkDump,
  stripTraceHeaders,
  TRACE_HEADER_NAMES,
  waitFor,
} from "@smtpkit/interop";

/** Undo RFC 5321 §4.5.2 transparency the way a receiver does (lines split after LF). */
function unstuff(wire: Buffer): Buffer {
  expect(wire.subarray(-3).toString()).toBe(".\r\n");
  const body = wire.subarray(0, -3);
  const parts: Buffer[] = [];
  let lineStart = 0;
  while (lineStart < body.length) {
    const next = body.indexOf(0x0a, lineStart);
    const end = next < 0 ? body.length : next + 1;
    const line = body.subarray(lineStart, end);
    parts.push(line[0] === 0x2e ? line.subarray(1) : line);
    lineStart = end;
  }
  return Buffer.concat(parts);
}

const smtpishBytes = fc
  .array(fc.constantFrom("a", ".", "\r", "\n", "\r\n", " ", "x.", "\r\n.", "é"), { maxLength: 60 })
  .map((pieces) => Buffer.from(pieces.join(""), "utf8"));

describe("dotStuff", () => {
  it("stuffs leading dots and terminates the data", () => {
    expect(dotStuff(Buffer.from(".a\r\nb\r\n..c\r\n")).toString()).toBe("..a\r\nb\r\n...c\r\n.\r\n");
    expect(dotStuff(Buffer.from("no final newline")).toString()).toBe("no final newline\r\n.\r\n");
    expect(dotStuff(Buffer.alloc(0)).toString()).toBe(".\r\n");
  });

  it("law: un-stuffing gives the message back, plus CRLF when it lacked one", () => {
    fc.assert(
      fc.property(fc.oneof(smtpishBytes, fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes))), (message) => {
        const endsWithCrlf = message.length >= 2 && message.subarray(-2).toString("latin1") === "\r\n";
        const expected = message.length === 0 || endsWithCrlf ? message : Buffer.concat([message, Buffer.from("\r\n")]);
        expect(unstuff(dotStuff(message)).equals(expected)).toBe(true);
      }),
    );
  });

  it("law: the wire form never contains a premature end-of-data line", () => {
    fc.assert(
      fc.property(smtpishBytes, (message) => {
        const wire = dotStuff(message).toString("latin1");
        const body = wire.slice(0, -3);
        // after any LF, a "." is always followed by another "." (stuffed)
        for (let index = body.indexOf("\n."); index >= 0; index = body.indexOf("\n.", index + 1)) {
          expect(body[index + 2]).toBe(".");
        }
      }),
    );
  });
});

describe("stripTraceHeaders", () => {
  it("removes the leading trace block, folded lines included, and nothing after it", () => {
    const stored = "Return-Path: <a@x>\nReceived: from x\n\tby y; date\nDelivered-To: b@x\nSubject: s\nReceived: kept\n\nbody\n";
    expect(stripTraceHeaders(Buffer.from(stored)).toString()).toBe("Subject: s\nReceived: kept\n\nbody\n");
  });

  it("law: any prepended trace fields (LF or CRLF) are removed exactly", () => {
    const field = fc.record({
      name: fc.constantFrom(...TRACE_HEADER_NAMES, "Received", "RETURN-PATH"),
      value: fc.stringMatching(/^[ -~]{0,30}$/),
      folds: fc.array(fc.stringMatching(/^[!-~]{1,20}$/), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(field, { maxLength: 5 }), fc.constantFrom("\n", "\r\n"), (fields, eol) => {
        const message = `Subject: s${eol}From: a@x${eol}${eol}body${eol}`;
        const trace = fields.map((f) => `${f.name}: ${f.value}${eol}${f.folds.map((fold) => `\t${fold}${eol}`).join("")}`).join("");
        expect(stripTraceHeaders(Buffer.from(trace + message)).toString()).toBe(message);
      }),
    );
  });

  it("random bytes give a suffix of the input, never an exception", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const input = Buffer.from(bytes);
        const output = stripTraceHeaders(input);
        expect(input.subarray(input.length - output.length).equals(output)).toBe(true);
      }),
    );
  });
});

describe("convertLineEnds", () => {
  it("converts both ways", () => {
    expect(convertLineEnds(Buffer.from("a\r\nb\nc\r"), "lf").toString()).toBe("a\nb\nc\r");
    expect(convertLineEnds(Buffer.from("a\r\nb\nc\r"), "crlf").toString()).toBe("a\r\nb\r\nc\r");
  });

  it("laws: crlf output has no bare LF; lf(crlf(x)) = lf(x); crlf is idempotent", () => {
    fc.assert(
      fc.property(smtpishBytes, (input) => {
        const crlf = convertLineEnds(input, "crlf");
        for (let index = crlf.indexOf(0x0a); index >= 0; index = crlf.indexOf(0x0a, index + 1)) {
          expect(crlf[index - 1]).toBe(0x0d);
        }
        expect(convertLineEnds(crlf, "lf").equals(convertLineEnds(input, "lf"))).toBe(true);
        expect(convertLineEnds(crlf, "crlf").equals(crlf)).toBe(true);
      }),
    );
  });
});

describe("parseSmtpSinkDump", () => {
  it("law: records become the envelope and the rest, minus the trailing empty line, the message", () => {
    const address = fc.stringMatching(/^[a-z]{1,8}@[a-z]{1,8}\.test$/);
    fc.assert(
      fc.property(address, fc.array(address, { minLength: 1, maxLength: 4 }), smtpishBytes, (from, to, body) => {
        const message = Buffer.concat([Buffer.from("Received: from x\n\tby y\nSubject: s\n\n"), body]);
        const records = [
          "X-Client-Addr: 127.0.0.1",
          "X-Client-Proto: ESMTP",
          "X-Helo-Args: client.example.test",
          `X-Mail-Args: <${from}> SIZE=10`,
          ...to.map((recipient) => `X-Rcpt-Args: <${recipient}>`),
        ].join("\n");
        const file = Buffer.concat([Buffer.from(`${records}\n`), message, Buffer.from("\n")]);
        const parsed = parseSmtpSinkDump("id", "/p", file);
        expect(parsed.envelope?.from).toBe(from);
        expect(parsed.envelope?.to).toEqual(to);
        expect(parsed.data.equals(message)).toBe(true);
      }),
    );
  });

  it("random bytes give a result, never an exception", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void parseSmtpSinkDump("x", "/x", Buffer.from(bytes))));
  });
});

describe("option validation", () => {
  it("refuses port 25, privileged ports and non-loopback hosts", () => {
    for (const port of [25, 0, 587.5, 1023, 65536]) expect(() => assertTestPort(port)).toThrow(/refusing port/);
    expect(() => assertTestPort(2525)).not.toThrow();
    expect(() => assertLoopbackHost("192.0.2.1")).toThrow(/non-loopback/);
    expect(() => assertLoopbackHost("127.0.0.1")).not.toThrow();
  });

  it("refuses domain lists that would inject configuration", () => {
    expect(checkDomains(["example.test", "localhost"])).toEqual(["example.test", "localhost"]);
    for (const bad of [[], ["a b"], ["x\nrelay_domains = *"], ["a..b"], ["${x}"]]) {
      try {
        checkDomains(bad);
        expect.unreachable();
      } catch (error) {
        expect(InteropError.isInstance(error) && error.reason).toBe("invalid-option");
      }
    }
  });
});

describe("waitFor", () => {
  it("resolves with the first accepted value and times out with a typed error", async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? calls : false), { interval: 1 })).resolves.toBe(3);
    const failure = await waitFor(() => false, { timeout: 30, interval: 5, description: "never" }).catch((error: unknown) => error);
    expect(InteropError.isInstance(failure) && failure.reason).toBe("timeout");
    expect(String(failure)).toMatch(/never/);
    await expect(waitFor(() => true, { timeout: 0 })).rejects.toThrow(/positive/);
  });
});
