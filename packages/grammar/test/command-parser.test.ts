// Command lines as real clients send them, with the value or the refusal each
// must give. Every row runs four ways through the CommandReader: ended by
// CRLF; by a bare LF under the default `reject` policy (no line end: the line
// runs on to the next CRLF and is refused whole with BareLineEnding, RFC 5321
// §2.3.8) and under `normalize` (accepted, as Postfix's default does); and
// with trailing white space before the CRLF.
// Strict mode accepts only the first.
import { describe, expect, it } from "vitest";
import { type SituationName } from "@smtpkit/codes";
import fc from "fast-check";
import { CapabilitySet, CommandReader, GrammarError, parseCommand, serializeCommand, type Command } from "@smtpkit/grammar";
import { utf8 } from "./helpers.js";

interface Row {
  /** Where the line comes from. */
  readonly source: string;
  readonly line: string;
  readonly command?: Command;
  readonly error?: SituationName;
}

const mailbox = (localPart: string, domain: string) => ({ localPart, domain });

const rows: readonly Row[] = [
  // RFC 5321 Appendix D.1 (a typical SMTP transaction scenario)
  { source: "RFC 5321 D.1", line: "EHLO bar.com", command: { verb: "EHLO", domain: "bar.com", form: "domain" } },
  { source: "RFC 5321 D.1", line: "MAIL FROM:<Smith@bar.com>", command: { verb: "MAIL", from: mailbox("Smith", "bar.com"), parameters: {} } },
  { source: "RFC 5321 D.1", line: "RCPT TO:<Jones@foo.com>", command: { verb: "RCPT", to: mailbox("Jones", "foo.com"), parameters: {} } },
  { source: "RFC 5321 D.1", line: "DATA", command: { verb: "DATA" } },
  { source: "RFC 5321 D.1", line: "QUIT", command: { verb: "QUIT" } },
  // RFC 5321 §4.1.1.3, §4.1.2
  { source: "RFC 5321 §4.1.1.3", line: "RCPT TO:<Postmaster>", command: { verb: "RCPT", to: mailbox("Postmaster", ""), parameters: {} } },
  { source: "RFC 5321 §4.1.1.3", line: "rcpt to:<postmaster>", command: { verb: "RCPT", to: mailbox("postmaster", ""), parameters: {} } },
  { source: "RFC 5321 §4.1.1.3", line: "RCPT TO:<Postmaster@example.org>", command: { verb: "RCPT", to: mailbox("Postmaster", "example.org"), parameters: {} } },
  { source: "RFC 5321 §4.1.2 source route", line: "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>", command: { verb: "RCPT", to: mailbox("userc", "d.bar.org"), parameters: {} } },
  { source: "RFC 5321 §4.1.1.2 null path", line: "MAIL FROM:<>", command: { verb: "MAIL", from: null, parameters: {} } },
  { source: "RFC 5321 §4.1.2 quoted", line: 'MAIL FROM:<"john doe"@example.com>', command: { verb: "MAIL", from: mailbox('"john doe"', "example.com"), parameters: {} } },
  { source: "RFC 5321 §4.1.2 quoted-pair", line: 'RCPT TO:<"a\\"b\\\\c"@example.com>', command: { verb: "RCPT", to: mailbox('"a\\"b\\\\c"', "example.com"), parameters: {} } },
  { source: "RFC 5321 §4.1.3 IPv4", line: "RCPT TO:<user@[192.0.2.1]>", command: { verb: "RCPT", to: mailbox("user", "[192.0.2.1]"), parameters: {} } },
  { source: "RFC 5321 §4.1.3 IPv6", line: "RCPT TO:<user@[IPv6:2001:db8::1]>", command: { verb: "RCPT", to: mailbox("user", "[IPv6:2001:db8::1]"), parameters: {} } },
  { source: "RFC 5321 §4.1.3 IPv6v4", line: "RCPT TO:<user@[IPv6:::ffff:192.0.2.1]>", command: { verb: "RCPT", to: mailbox("user", "[IPv6:::ffff:192.0.2.1]"), parameters: {} } },
  { source: "RFC 5321 §4.1.3 IPv6 full", line: "RCPT TO:<u@[IPv6:2001:db8:0:0:0:0:0:1]>", command: { verb: "RCPT", to: mailbox("u", "[IPv6:2001:db8:0:0:0:0:0:1]"), parameters: {} } },
  { source: "RFC 5321 §4.1.3 general", line: "RCPT TO:<u@[x-tag:some-content]>", command: { verb: "RCPT", to: mailbox("u", "[x-tag:some-content]"), parameters: {} } },
  { source: "RFC 5321 §4.1.1.1", line: "EHLO [192.0.2.7]", command: { verb: "EHLO", domain: "[192.0.2.7]", form: "address-literal" } },
  { source: "RFC 5321 §4.1.1.1", line: "HELO relay.example.org", command: { verb: "HELO", domain: "relay.example.org", form: "domain" } },
  { source: "RFC 5321 §2.4 case", line: "ehlo Client.Example", command: { verb: "EHLO", domain: "Client.Example", form: "domain" } },
  { source: "RFC 5321 §4.1.1.9", line: "NOOP", command: { verb: "NOOP" } },
  { source: "RFC 5321 §4.1.1.9", line: "NOOP keep me", command: { verb: "NOOP", argument: "keep me" } },
  { source: "RFC 5321 §4.1.1.8", line: "HELP MAIL", command: { verb: "HELP", topic: "MAIL" } },
  { source: "RFC 5321 §4.1.1.6", line: "VRFY Smith", command: { verb: "VRFY", argument: "Smith" } },
  { source: "RFC 6531 §3.7.4.2", line: "EXPN staff SMTPUTF8", command: { verb: "EXPN", argument: "staff", smtputf8: true } },
  { source: "RFC 5321 §4.1.1.5", line: "RSET", command: { verb: "RSET" } },
  // Extensions
  { source: "RFC 1870", line: "MAIL FROM:<a@b.example> SIZE=500000", command: { verb: "MAIL", from: mailbox("a", "b.example"), parameters: { size: 500000 } } },
  { source: "RFC 6152", line: "MAIL FROM:<a@b.example> BODY=8bitmime", command: { verb: "MAIL", from: mailbox("a", "b.example"), parameters: { body: "8BITMIME" } } },
  { source: "RFC 3030", line: "BDAT 86 LAST", command: { verb: "BDAT", size: 86, last: true } },
  { source: "RFC 3030", line: "bdat 0", command: { verb: "BDAT", size: 0, last: false } },
  {
    source: "RFC 3461 §4",
    line: "MAIL FROM:<me@example.com> RET=HDRS ENVID=QQ314159",
    command: { verb: "MAIL", from: mailbox("me", "example.com"), parameters: { ret: "HDRS", envid: "QQ314159" } },
  },
  {
    source: "RFC 3461 §4",
    line: "RCPT TO:<Dana@Ivory.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.example",
    command: {
      verb: "RCPT",
      to: mailbox("Dana", "Ivory.example"),
      parameters: { notify: ["SUCCESS", "FAILURE"], orcpt: { addressType: "RFC822", address: "Dana@Ivory.example" } },
    },
  },
  {
    source: "RFC 6533 §3",
    line: "RCPT TO:<a@example.com> ORCPT=utf-8;\\x{3B1}\\x{3B2}@example.com",
    command: { verb: "RCPT", to: mailbox("a", "example.com"), parameters: { orcpt: { addressType: "UTF-8", address: "αβ@example.com" } } },
  },
  {
    source: "RFC 4954 §5",
    line: "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com",
    command: { verb: "MAIL", from: mailbox("e=mc2", "example.com"), parameters: { auth: "e=mc2@example.com" } },
  },
  { source: "RFC 4954 §5", line: "MAIL FROM:<a@example.com> AUTH=<>", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: { auth: null } } },
  { source: "RFC 6531", line: "MAIL FROM:<θσερ@παράδειγμα.δοκιμή> SMTPUTF8", command: { verb: "MAIL", from: mailbox("θσερ", "παράδειγμα.δοκιμή"), parameters: { smtputf8: true } } },
  { source: "RFC 8689", line: "MAIL FROM:<a@example.com> REQUIRETLS", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: { requireTls: true } } },
  { source: "RFC 6710", line: "MAIL FROM:<a@example.com> MT-PRIORITY=-3", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: { mtPriority: -3 } } },
  { source: "RFC 2852", line: "MAIL FROM:<a@example.com> BY=120;RT", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: { by: { seconds: 120, mode: "R", trace: true } } } },
  { source: "RFC 4865", line: "MAIL FROM:<a@example.com> HOLDFOR=3600", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: { holdFor: 3600 } } },
  {
    source: "RFC 7293",
    line: "RCPT TO:<a@example.com> RRVS=2014-04-03T23:01:00Z;C",
    command: { verb: "RCPT", to: mailbox("a", "example.com"), parameters: { rrvs: { dateTime: "2014-04-03T23:01:00Z", action: "C" } } },
  },
  {
    source: "unknown parameter kept",
    line: "MAIL FROM:<a@example.com> X-FOO=bar XBAZ",
    command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: { other: [{ keyword: "X-FOO", value: "bar" }, { keyword: "XBAZ", value: undefined }] } },
  },
  { source: "RFC 3207", line: "STARTTLS", command: { verb: "STARTTLS" } },
  { source: "RFC 4954 §4", line: "AUTH LOGIN", command: { verb: "AUTH", mechanism: "LOGIN" } },
  { source: "RFC 4954 §4", line: "AUTH PLAIN =", command: { verb: "AUTH", mechanism: "PLAIN", initialResponse: new Uint8Array(0) } },
  { source: "RFC 4954 §4", line: "auth plain dGVzdAB0ZXN0AHRlc3Q=", command: { verb: "AUTH", mechanism: "PLAIN", initialResponse: utf8("test\0test\0test") } },
  { source: "RFC 1985", line: "ETRN @example.com", command: { verb: "ETRN", node: "@example.com" } },
  { source: "RFC 1985", line: "ETRN #queue1", command: { verb: "ETRN", node: "#queue1" } },
  { source: "RFC 2033", line: "LHLO mail.example.com", command: { verb: "LHLO", domain: "mail.example.com", form: "domain" } },
  // Leniencies real clients need (Postfix accepts them by default)
  { source: "Postfix strict_rfc821_envelopes=no", line: "MAIL FROM: <a@example.com>", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: {} } },
  { source: "Postfix strict_rfc821_envelopes=no", line: "MAIL FROM:a@example.com", command: { verb: "MAIL", from: mailbox("a", "example.com"), parameters: {} } },
  { source: "Japanese carriers", line: "RCPT TO:<foo..bar.@docomo.ne.jp>", command: { verb: "RCPT", to: mailbox("foo..bar.", "docomo.ne.jp"), parameters: {} } },
  { source: "broken clients", line: "EHLO my_host", command: { verb: "EHLO", domain: "my_host", form: "unchecked" } },
  // Refusals
  { source: "RFC 5321 §4.2.4", line: "XYZZY", error: "CommandUnrecognized" },
  { source: "RFC 821 obsolete", line: "TURN", error: "CommandNotImplemented" },
  { source: "HTTP on port 25", line: "GET / HTTP/1.1", error: "CommandUnrecognized" },
  { source: "RFC 5321 §4.1.1.1", line: "EHLO", error: "SyntaxError" },
  { source: "RFC 5321 §4.1.1.1", line: "HELO a b", error: "InvalidDomainSyntax" },
  { source: "RFC 5321 §4.1.1.4", line: "DATA now", error: "SyntaxError" },
  { source: "RFC 3207 §4", line: "STARTTLS now", error: "StartTlsSyntax" },
  { source: "RFC 5321 §3.3", line: "MAIL FROM :<a@example.com>", error: "SyntaxError" },
  { source: "RFC 5321 §4.1.2", line: "MAIL FROM:<a@example.com", error: "InvalidSenderSyntax" },
  { source: "RFC 5321 §4.1.2", line: "MAIL FROM:<a b@example.com>", error: "InvalidSenderSyntax" },
  { source: "RFC 5321 §4.1.2", line: "MAIL FROM:<@example.com>", error: "InvalidSenderSyntax" },
  { source: "RFC 5321 §4.1.2", line: "RCPT TO:<a@-bad.example>", error: "InvalidRecipientSyntax" },
  { source: "RFC 5321 §4.1.2", line: "RCPT TO:<a@example..com>", error: "InvalidRecipientSyntax" },
  { source: "RFC 5321 §4.1.3", line: "RCPT TO:<a@[300.1.1.1]>", error: "InvalidRecipientSyntax" },
  { source: "RFC 5321 §4.1.3", line: "RCPT TO:<a@[IPv6:1:2:3:4:5:6:7::8]>", error: "InvalidRecipientSyntax" },
  { source: "RFC 5321 §4.1.1.3", line: "RCPT TO:<>", error: "InvalidRecipientSyntax" },
  { source: "RFC 5321 §4.5.3.1.3", line: `RCPT TO:<a@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(63)}.example>`, error: "InvalidRecipientSyntax" },
  { source: "RFC 5321 §4.5.3.1.1", line: `RCPT TO:<${"a".repeat(65)}@example.com>`, error: "MailboxNameNotAllowed" },
  { source: "RFC 5321 §4.1.2", line: "MAIL FROM:<a@example.com> SIZE=1 SIZE=2", error: "DuplicateParameter" },
  { source: "RFC 1870", line: "MAIL FROM:<a@example.com> SIZE=big", error: "SyntaxError" },
  { source: "RFC 1870", line: "MAIL FROM:<a@example.com> SIZE", error: "SyntaxError" },
  { source: "RFC 6152", line: "MAIL FROM:<a@example.com> BODY=9BIT", error: "SyntaxError" },
  { source: "RFC 6531", line: "MAIL FROM:<a@example.com> SMTPUTF8=yes", error: "SyntaxError" },
  { source: "RFC 6531 §3.4", line: "MAIL FROM:<θ@example.com>", error: "SmtpUtf8Required" },
  { source: "RFC 3461", line: "RCPT TO:<a@example.com> NOTIFY=NEVER,DELAY", error: "SyntaxError" },
  { source: "RFC 3461", line: "RCPT TO:<a@example.com> ORCPT=rfc822;a+2", error: "SyntaxError" },
  { source: "RFC 6533", line: "RCPT TO:<a@example.com> ORCPT=utf-8;a\\x{0D}b@x", error: "SyntaxError" },
  { source: "RFC 4954 §4", line: "AUTH PLAIN not*base64", error: "AuthResponseInvalid" },
  { source: "RFC 4954 §4", line: "AUTH", error: "SyntaxError" },
  { source: "RFC 3030", line: "BDAT x", error: "BdatSizeMismatch" },
  { source: "RFC 3030", line: "BDAT 10 FIRST", error: "SyntaxError" },
  { source: "RFC 4865", line: "MAIL FROM:<a@example.com> HOLDFOR=1 HOLDUNTIL=2030-01-01T00:00:00Z", error: "SyntaxError" },
  { source: "control characters", line: "NOOP \x01", error: "SyntaxError" },
  { source: "empty line", line: "", error: "CommandUnrecognized" },
];

function readLine(text: string, options = {}): { command?: Command; situation?: SituationName } {
  const reader = new CommandReader(options);
  const events = reader.push(utf8(text));
  expect(events).toHaveLength(1);
  const event = events[0];
  if (event?.type === "command") return { command: event.command };
  if (event?.type === "command-invalid") return { situation: event.error.situation };
  throw new Error(`unexpected event ${JSON.stringify(event)}`);
}

describe("command lines: the fixture table", () => {
  for (const row of rows) {
    for (const [ending, text, options] of [
      ["CRLF", `${row.line}\r\n`, {}],
      ["LF under normalize", `${row.line}\n`, { bareLineEndings: "normalize" }],
      ["trailing space", `${row.line} \r\n`, {}],
    ] as const) {
      it(`${row.source}: ${JSON.stringify(row.line)} with ${ending}`, () => {
        const got = readLine(text, options);
        if (row.command !== undefined) expect(got.command).toEqual(row.command);
        // A bare verb with trailing space still has no argument; "" stays unrecognized.
        else expect(got.situation).toBe(row.error);
      });
    }
    it(`${row.source}: ${JSON.stringify(row.line)} with LF under the default reject policy ends no line`, () => {
      // RFC 5321 §2.3.8: only CRLF ends a line. The reader waits for it (as
      // smtp-sink does), then refuses the whole line, so the text after the
      // bare LF never runs as a command of its own.
      const reader = new CommandReader();
      expect(reader.push(utf8(`${row.line}\n`))).toEqual([]);
      const events = reader.push(utf8("RSET\r\n"));
      expect(events).toHaveLength(1);
      expect(events[0]?.type === "command-invalid" && events[0].error.situation).toBe("BareLineEnding");
    });
  }
});

describe("command lines: strict mode", () => {
  it("accepts every valid fixture that needs no leniency with CRLF", () => {
    for (const row of rows) {
      if (row.command === undefined) continue;
      const result = parseCommand(row.line);
      expect(result.ok).toBe(true);
      if (result.ok && result.leniencies.length === 0) expect(parseCommand(row.line, { strict: true })).toEqual(result);
    }
  });

  it("refuses a bare LF and trailing white space", () => {
    expect(readLine("NOOP\nRSET\r\n", { strict: true }).situation).toBe("BareLineEnding");
    expect(readLine("NOOP \r\n", { strict: true }).situation).toBe("SyntaxError");
  });

  it("refuses each leniency under strict, and reports it otherwise", () => {
    const cases = [
      ["MAIL FROM: <a@example.com>", "spaceAfterColon", "InvalidSenderSyntax"],
      ["MAIL FROM:a@example.com", "missingAngleBrackets", "InvalidSenderSyntax"],
      ["RCPT TO:<a..b@example.com>", "looseLocalPart", "InvalidRecipientSyntax"],
      ["EHLO my_host", "uncheckedHello", "InvalidDomainSyntax"],
      ["MAIL FROM:<a@example.com>  SIZE=1", "extraWhitespace", "SyntaxError"],
    ] as const;
    for (const [line, leniency, situation] of cases) {
      const lenient = parseCommand(line);
      expect(lenient.ok && lenient.leniencies).toEqual([leniency]);
      const strict = parseCommand(line, { strict: true });
      expect(strict.ok ? undefined : strict.error.situation).toBe(situation);
      // One switch alone turns one leniency off.
      const single = parseCommand(line, { [leniency]: false });
      expect(single.ok).toBe(false);
    }
  });
});

describe("command lines: errors carry position and expected syntax", () => {
  it("points at the bad parameter", () => {
    const line = "MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=x";
    const result = parseCommand(line);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.position).toBe(line.indexOf("SIZE"));
      expect(result.error.expected).toContain("1*20DIGIT");
      expect(result.error.verb).toBe("MAIL");
      expect(result.line).toBe(line);
    }
  });

  it("points into the path", () => {
    const result = parseCommand("RCPT TO:<a@b@c>");
    expect(!result.ok && result.error.position).toBe("RCPT TO:<a@".length);
  });

  it("marks HTTP requests and binary garbage as forbidden", () => {
    for (const line of ["GET / HTTP/1.1", "POST /x HTTP/1.0", "CONNECT a:443 HTTP/1.1", "\x16\x03\x01\x02\x00"]) {
      const result = parseCommand(line);
      expect(!result.ok && result.error.forbidden).toBe(true);
    }
    const result = parseCommand("XYZZY");
    expect(!result.ok && result.error.forbidden).toBe(false);
  });
});

describe("command lines: capabilities and limits", () => {
  const caps = CapabilitySet.of({ SIZE: ["1000"], "8BITMIME": true, DSN: true });

  it("refuses parameters of extensions not offered (555)", () => {
    const ok = parseCommand("MAIL FROM:<a@example.com> SIZE=10 BODY=8BITMIME RET=FULL", { extensions: caps });
    expect(ok.ok).toBe(true);
    for (const line of ["MAIL FROM:<a@example.com> SMTPUTF8", "MAIL FROM:<a@example.com> BODY=BINARYMIME", "MAIL FROM:<a@example.com> X-FOO=1"]) {
      const result = parseCommand(line, { extensions: caps });
      expect(!result.ok && result.error.situation).toBe("ParametersNotRecognized");
    }
  });

  it("refuses a non-ASCII recipient without SMTPUTF8", () => {
    expect(parseCommand("RCPT TO:<θ@example.com>").ok).toBe(true);
    const noUtf8 = parseCommand("RCPT TO:<θ@example.com>", { smtputf8: false });
    expect(!noUtf8.ok && noUtf8.error.situation).toBe("SmtpUtf8Required");
    const notOffered = parseCommand("RCPT TO:<θ@example.com>", { extensions: caps });
    expect(!notOffered.ok && notOffered.error.situation).toBe("SmtpUtf8Required");
  });

  it("takes raised limits and refuses invalid ones", () => {
    const long = `RCPT TO:<${"a".repeat(100)}@example.com>`;
    expect(parseCommand(long).ok).toBe(false);
    expect(parseCommand(long, { maxLocalPartLength: 128 }).ok).toBe(true);
    expect(() => parseCommand(long, { maxLocalPartLength: 0 })).toThrow(/maxLocalPartLength/);
    expect(() => parseCommand(long, { maxPathLength: Number.NaN })).toThrow(/maxPathLength/);
  });

  it("parses bytes as well as text, refusing malformed UTF-8", () => {
    expect(parseCommand(utf8("QUIT\r\n"))).toEqual(parseCommand("QUIT"));
    const bad = parseCommand(Uint8Array.of(0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff));
    expect(!bad.ok && bad.error.situation).toBe("SyntaxError");
  });
});

describe("command lines: fuzz", () => {
  const smtpish = fc
    .array(
      fc.constantFrom(
        "MAIL", "RCPT", "FROM:", "TO:", "EHLO", "AUTH", "BDAT", "VRFY", " ", "  ", "<", ">", "@", ".", "\"", "\\", "[", "]",
        "IPv6:", ":", "::", "1", "a", "é", "=", "+", "SIZE=", "NOTIFY=", "ORCPT=", "utf-8;", "\\x{", "}", "BODY=", ",", "\t", "\x00", "\r",
      ),
      { maxLength: 24 },
    )
    .map((parts) => parts.join(""));

  it("SMTP-ish text gives a command or a typed error, never an exception", () => {
    fc.assert(
      fc.property(smtpish, fc.boolean(), (line, strict) => {
        const result = parseCommand(line, { strict });
        if (result.ok) expect(typeof result.command.verb).toBe("string");
        else {
          expect(result.error.situation).toMatch(/^[A-Z][A-Za-z0-9]+$/);
          expect(result.error.position).toBeGreaterThanOrEqual(0);
          expect(result.error.position).toBeLessThanOrEqual(line.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("whatever parses, serializes; and the serialized form parses to the same command", () => {
    fc.assert(
      fc.property(smtpish, (line) => {
        const result = parseCommand(line, { maxLocalPartLength: 1000 });
        if (!result.ok) return;
        let wire: string;
        try {
          wire = serializeCommand(result.command);
        } catch (error) {
          // Only leniently accepted forms may fail to serialize (for example an unchecked HELO name).
          expect(result.leniencies.length).toBeGreaterThan(0);
          expect(GrammarError.isInstance(error)).toBe(true);
          return;
        }
        const again = parseCommand(wire, { maxLocalPartLength: 1000 });
        expect(again.ok && again.command).toEqual(result.command);
      }),
      { numRuns: 2000 },
    );
  });
});
