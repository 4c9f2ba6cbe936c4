// serializeCommand: the canonical wire form, refusal of values that could
// forge a second line, and the round trip parse(serialize(c)) = c for
// arbitrary valid commands (quoted local parts, address literals, UTF-8,
// every parameter).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GrammarError, encodeCommand, parseCommand, quoteLocalPart, serializeCommand, unquoteLocalPart, type Command } from "@smtpkit/grammar";
import { latin1 } from "./helpers.js";

const atext = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";
const atom = fc.array(fc.constantFrom(...atext.split("")), { minLength: 1, maxLength: 8 }).map((chars) => chars.join(""));
const utf8Atom = fc.constantFrom("θσερ", "用户", "ñandú", "ä");
const dotString = (unicode: boolean) => fc.array(unicode ? fc.oneof(atom, utf8Atom) : atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join("."));
const quoted = fc
  .array(fc.oneof(fc.constantFrom(" ", "(", ")", ",", ":", ";", "<", ">", "@", "[", "]"), atom, fc.constantFrom('\\"', "\\\\")), { minLength: 1, maxLength: 4 })
  .map((parts) => `"${parts.join("")}"`);
const label = fc
  .tuple(fc.constantFrom(..."abcxyz019".split("")), fc.array(fc.constantFrom(..."abz09-".split("")), { maxLength: 6 }), fc.constantFrom(..."az09".split("")))
  .map(([first, middle, last]) => `${first}${middle.join("")}${last}`);
const domainName = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join(".")}.example`);
const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join("."));
const ipv6 = fc.oneof(
  fc.array(hex, { minLength: 8, maxLength: 8 }).map((groups) => groups.join(":")),
  fc.tuple(fc.array(hex, { maxLength: 3 }), fc.array(hex, { maxLength: 3 })).map(([left, right]) => `${left.join(":")}::${right.join(":")}`),
  fc.tuple(fc.array(hex, { minLength: 6, maxLength: 6 }), ipv4).map(([groups, v4]) => `${groups.join(":")}:${v4}`),
  fc.tuple(fc.array(hex, { maxLength: 2 }), ipv4).map(([groups, v4]) => `${groups.join(":")}::${v4}`),
);
const literal = fc.oneof(ipv4.map((a) => `[${a}]`), ipv6.map((a) => `[IPv6:${a}]`), atom.filter((a) => /^[a-z0-9]+$/i.test(a)).map((tag) => `[x-${tag}:content]`));
const mailbox = (unicode: boolean) =>
  fc.record({ localPart: fc.oneof(dotString(unicode), quoted), domain: fc.oneof(domainName, literal, unicode ? fc.constant("例え.jp") : domainName) });
const printable = fc.stringMatching(/^[!-~]{1,20}$/);
const text = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);

const mail = fc.boolean().chain((unicode) =>
  fc.record(
    {
      verb: fc.constant("MAIL" as const),
      from: fc.option(mailbox(unicode), { nil: null }),
      parameters: fc.record(
        {
          size: fc.nat(),
          body: fc.constantFrom("7BIT" as const, "8BITMIME" as const, "BINARYMIME" as const),
          smtputf8: fc.constant(true),
          auth: fc.option(printable, { nil: null }),
          ret: fc.constantFrom("FULL" as const, "HDRS" as const),
          envid: printable,
          requireTls: fc.constant(true),
          mtPriority: fc.integer({ min: -9, max: 9 }),
          by: fc.record({ seconds: fc.integer({ min: -999_999_999, max: 999_999_999 }), mode: fc.constantFrom("R" as const, "N" as const), trace: fc.boolean() }),
          holdFor: fc.nat(999_999_999),
          other: fc.uniqueArray(fc.record({ keyword: fc.constantFrom("X-A", "X-B", "XC9"), value: fc.option(printable.filter((v) => !v.includes("=")), { nil: undefined }) }), {
            minLength: 1,
            selector: (p) => p.keyword,
          }),
        },
        { requiredKeys: unicode ? ["smtputf8"] : [] },
      ),
    },
    { requiredKeys: ["verb", "from", "parameters"] },
  ),
);

const rcpt = fc.record({
  verb: fc.constant("RCPT" as const),
  to: fc.oneof(mailbox(true), mailbox(false)),
  parameters: fc.record(
    {
      notify: fc.oneof(
        fc.constant(["NEVER" as const]),
        fc.uniqueArray(fc.constantFrom("SUCCESS" as const, "FAILURE" as const, "DELAY" as const), { minLength: 1 }),
      ),
      orcpt: fc.oneof(
        fc.record({ addressType: fc.constant("RFC822"), address: printable }),
        fc.record({ addressType: fc.constant("UTF-8"), address: fc.constantFrom("θσ@example.com", "a+b@x.example", "用户@例え.jp") }),
      ),
      rrvs: fc.record({ dateTime: fc.constantFrom("2014-04-03T23:01:00Z", "2020-02-29T12:00:00.5+02:00"), action: fc.constantFrom("C" as const, "R" as const, undefined) }),
    },
    { requiredKeys: [] },
  ),
});

const others: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ verb: fc.constantFrom("HELO" as const, "EHLO" as const, "LHLO" as const), domain: domainName, form: fc.constant("domain" as const) }),
  fc.record({ verb: fc.constantFrom("HELO" as const, "EHLO" as const), domain: literal, form: fc.constant("address-literal" as const) }),
  fc.constantFrom<Command>({ verb: "DATA" }, { verb: "RSET" }, { verb: "QUIT" }, { verb: "STARTTLS" }, { verb: "HELP" }, { verb: "NOOP" }),
  fc.record({ verb: fc.constant("BDAT" as const), size: fc.nat(), last: fc.boolean() }),
  fc.record(
    { verb: fc.constantFrom("VRFY" as const, "EXPN" as const), argument: text.filter((t) => !/ smtputf8$/i.test(t)), smtputf8: fc.constant(true) },
    { requiredKeys: ["verb", "argument"] },
  ),
  fc.record({ verb: fc.constant("HELP" as const), topic: text }),
  fc.record({ verb: fc.constant("NOOP" as const), argument: text }),
  fc.record(
    { verb: fc.constant("AUTH" as const), mechanism: fc.constantFrom("PLAIN", "LOGIN", "SCRAM-SHA-256", "XOAUTH2"), initialResponse: fc.uint8Array({ maxLength: 40 }) },
    { requiredKeys: ["verb", "mechanism"] },
  ),
  fc.record({ verb: fc.constant("ETRN" as const), node: fc.oneof(domainName, domainName.map((d) => `@${d}`), atom.map((a) => `#${a}`)) }),
);

describe("serializeCommand", () => {
  it("writes the canonical form", () => {
    expect(serializeCommand({ verb: "MAIL", from: null })).toBe("MAIL FROM:<>\r\n");
    expect(serializeCommand({ verb: "RCPT", to: { localPart: "Postmaster", domain: "" } })).toBe("RCPT TO:<Postmaster>\r\n");
    expect(
      serializeCommand({ verb: "MAIL", from: { localPart: "a", domain: "b.example" }, parameters: { size: 10, body: "8BITMIME", envid: "x+y", auth: null } }),
    ).toBe("MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME ENVID=x+2By AUTH=<>\r\n");
    expect(serializeCommand({ verb: "AUTH", mechanism: "plain", initialResponse: new Uint8Array(0) })).toBe("AUTH PLAIN =\r\n");
    expect(serializeCommand({ verb: "BDAT", size: 0, last: true })).toBe("BDAT 0 LAST\r\n");
    expect(latin1(encodeCommand({ verb: "QUIT" }))).toBe("QUIT\r\n");
  });

  it("refuses values that would end the line or break the grammar", () => {
    const bad: Command[] = [
      { verb: "NOOP", argument: "x\r\nRCPT TO:<evil@x.example>" },
      { verb: "HELO", domain: "a b" },
      { verb: "EHLO", domain: "" },
      { verb: "MAIL", from: { localPart: "a b", domain: "x.example" } },
      { verb: "MAIL", from: { localPart: "a", domain: "x.example>\r\nRSET" } },
      { verb: "RCPT", to: { localPart: "a", domain: "-x.example" } },
      { verb: "MAIL", from: { localPart: "θ", domain: "x.example" } },
      { verb: "MAIL", from: null, parameters: { size: -1 } },
      { verb: "MAIL", from: null, parameters: { mtPriority: 10 } },
      { verb: "MAIL", from: null, parameters: { other: [{ keyword: "X Y", value: "1" }] } },
      { verb: "MAIL", from: null, parameters: { other: [{ keyword: "X", value: "a=b c" }] } },
      { verb: "RCPT", to: { localPart: "a", domain: "x.example" }, parameters: { notify: [] } },
      { verb: "BDAT", size: 1.5, last: false },
      { verb: "VRFY", argument: "" },
      { verb: "AUTH", mechanism: "PL AIN" },
    ];
    for (const command of bad) expect(() => serializeCommand(command), JSON.stringify(command)).toThrow(GrammarError);
  });

  it("parse(serialize(command)) gives the command back, for every command", () => {
    fc.assert(
      fc.property(fc.oneof(mail, rcpt, others), (command) => {
        const line = serializeCommand(command as Command);
        expect(line.endsWith("\r\n")).toBe(true);
        const parsed = parseCommand(line, { maxLocalPartLength: 1000 });
        expect(parsed.ok ? parsed.command : parsed.error).toEqual(command);
        expect(parsed.ok && parsed.leniencies).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("local part quoting", () => {
  it("quotes only when needed, and unquoting undoes it", () => {
    expect(quoteLocalPart("john.doe")).toBe("john.doe");
    expect(quoteLocalPart("john doe")).toBe('"john doe"');
    expect(quoteLocalPart('a"b')).toBe('"a\\"b"');
    expect(quoteLocalPart("a..b")).toBe('"a..b"');
    expect(() => quoteLocalPart("a\r\nb")).toThrow(GrammarError);
    fc.assert(
      fc.property(fc.stringMatching(/^[ -~]{1,30}$/), (local) => {
        const quotedLocal = quoteLocalPart(local);
        expect(unquoteLocalPart(quotedLocal)).toBe(local);
        const parsed = parseCommand(`RCPT TO:<${quotedLocal}@x.example>`, { strict: true, maxLocalPartLength: 100 });
        expect(parsed.ok).toBe(true);
      }),
    );
  });
});
