// Spot checks against the RFC text, from our own reading of RFC 5321 §4.2-4.3,
// RFC 3463, RFC 4954, RFC 5248 and the IANA enhanced status code registry.
import { describe, expect, it } from "vitest";
import {
  describeEnhancedStatus,
  describeReply,
  formatSituation,
  isNegative,
  isPermanent,
  isPositive,
  isReplyAllowed,
  isTransient,
  repliesFor,
  situationByName,
  Situations,
} from "@smtpkit/codes";

describe("RFC 5321 §4.2", () => {
  it("421 is a transient connections reply that closes the channel", () => {
    const reply = describeReply(421);
    expect(reply.text).toBe("Service not available, closing transmission channel");
    expect(reply.class).toBe("transient-negative");
    expect(reply.category).toBe("connections");
    expect(reply.standard).toBe(true);
    expect(reply.references).toContain("RFC 5321 §4.2.3");
  });

  it("354 is the only intermediate reply of DATA", () => {
    expect(describeReply(354).class).toBe("positive-intermediate");
    expect(describeReply(354).commands).toEqual(["DATA"]);
  });

  it("names the RFC 5321 §4.2.3 texts", () => {
    expect(describeReply(250).text).toBe("Requested mail action okay, completed");
    expect(describeReply(503).text).toBe("Bad sequence of commands");
    expect(describeReply(555).text).toBe("MAIL FROM/RCPT TO parameters not recognized or not implemented");
    expect(describeReply(554).note).toMatch(/No SMTP service here/);
  });

  it("knows the extension codes", () => {
    expect(describeReply(235).references).toContain("RFC 4954 §6");
    expect(describeReply(538).text).toBe("Encryption required for requested authentication mechanism");
    expect(describeReply(556).references).toContain("RFC 7504 §3");
    expect(describeReply(521).text).toBe("Host does not accept mail");
    expect(describeReply(253).references).toContain("RFC 1985 §5");
  });
});

describe("non-standard codes", () => {
  it("510 is non-standard and names 550 5.1.1 instead", () => {
    const reply = describeReply(510);
    expect(reply.standard).toBe(false);
    expect(reply.registered).toBe(true);
    expect(reply.standardAlternative).toBe(550);
    expect(reply.enhancedAlternative).toBe("5.1.1");
  });

  it("101 is a client-side report with no server alternative", () => {
    expect(describeReply(101).standard).toBe(false);
    expect(describeReply(101).class).toBe("positive-preliminary");
  });

  it("unregistered codes are described from their digits", () => {
    expect(describeReply(299)).toMatchObject({ registered: false, standard: false, class: "positive-completion" });
    expect(describeReply(299).text).toMatch(/Positive completion/);
    expect(describeReply(677).class).toBeUndefined();
    expect(describeReply(677).text).toMatch(/Not an SMTP reply/);
    expect(describeReply(287).category).toBeUndefined();
  });
});

describe("RFC 3463 and the IANA registry", () => {
  it("5.7.1 is delivery not authorized", () => {
    const status = describeEnhancedStatus("5.7.1");
    expect(status?.title).toBe("Delivery not authorized, message refused");
    expect(status?.classTitle).toBe("Permanent failure");
    expect(status?.subjectTitle).toBe("Security or policy status");
    expect(status?.reference).toBe("RFC 3463 §3.8");
    expect(status?.basicCodes).toContain(550);
  });

  it("knows the additions after RFC 3463", () => {
    expect(describeEnhancedStatus("5.7.8")?.basicCodes).toEqual([535, 554]);
    expect(describeEnhancedStatus("5.5.6")?.reference).toBe("RFC 4954");
    expect(describeEnhancedStatus("5.6.7")?.reference).toBe("RFC 6531");
    expect(describeEnhancedStatus("5.7.30")?.title).toBe("REQUIRETLS support required");
    expect(describeEnhancedStatus("5.1.10")?.title).toBe("Recipient address has null MX");
    expect(describeEnhancedStatus("5.6.10")?.deprecated).toBe("duplicate of X.6.8");
  });

  // Companion codes as the IANA registry's "Associated basic status code" column
  // gives them (the entries a first draft of this registry got wrong).
  it.each([
    ["5.1.1", [451, 550]],
    ["5.1.2", []],
    ["5.1.6", []],
    ["5.1.7", []],
    ["5.1.8", [451, 501]],
    ["2.1.9", []],
    ["5.3.2", [453, 521]],
    ["2.3.6", [250, 251]],
    ["5.5.0", [220, 250, 251, 252, 253, 451, 452, 454, 458, 459, 501, 502, 503, 554]],
    ["5.5.1", [430, 500, 501, 503, 530, 550, 554, 555]],
    ["5.5.4", [451, 501, 502, 503, 504, 550, 555]],
    ["5.7.0", [220, 235, 450, 454, 500, 501, 503, 504, 530, 535, 550]],
    ["5.7.1", [451, 454, 502, 503, 533, 550, 551]],
    ["5.7.11", [524, 538]],
    ["4.7.12", [422, 432]],
    ["5.7.17", []],
    ["5.7.26", [550]],
    ["5.7.28", []],
  ] as const)("%s pairs with %j", (code, basic) => {
    expect(describeEnhancedStatus(code)?.basicCodes).toEqual(basic);
  });

  it("registry sample codes no RFC defines are registered as non-standard, with the RFC's code instead", () => {
    for (const [code, alternative] of [[422, 432], [430, 503], [453, 421], [523, 530], [524, 538], [525, 535], [533, 550]] as const) {
      expect(describeReply(code), String(code)).toMatchObject({ registered: true, standard: false, standardAlternative: alternative });
    }
  });

  it("classes follow RFC 3463's words, widened by the registry's own companions", () => {
    expect(describeEnhancedStatus("4.3.1")?.classAllowed).toBe(true);
    expect(describeEnhancedStatus("5.3.1")?.classAllowed).toBe(false); // "only as a persistent transient error"
    expect(describeEnhancedStatus("4.1.2")?.classAllowed).toBe(false); // "only useful for permanent failures"
    expect(describeEnhancedStatus("4.1.1")?.classAllowed).toBe(true); // the registry pairs X.1.1 with 451
    expect(describeEnhancedStatus("4.5.6")?.classAllowed).toBe(true); // RFC 4954: permanent and transient
    expect(describeEnhancedStatus("5.6.4")?.classAllowed).toBe(true); // lossy conversion the sender forbade
    expect(describeEnhancedStatus("2.7.7")?.classAllowed).toBe(true);
    expect(describeEnhancedStatus("5.6.10")?.title).toMatch(/X\.6\.8/);
    expect(describeEnhancedStatus("5.7.28")?.reference).toMatch(/draft-levine-mailbomb-header/);
  });

  it("flags a registered code used with a class the registry does not allow", () => {
    expect(describeEnhancedStatus("2.1.1")?.classAllowed).toBe(false);
    expect(describeEnhancedStatus("5.1.1")?.classAllowed).toBe(true);
  });

  it("describes unregistered details from class and subject, and refuses malformed codes", () => {
    expect(describeEnhancedStatus("4.7.99")).toMatchObject({ registered: false, subjectTitle: "Security or policy status" });
    expect(describeEnhancedStatus("4.9.1")?.subjectTitle).toBeUndefined();
    for (const bad of ["3.0.0", "5.01.1", "5.1.01", "5.1", "5.1.1.1", " 5.1.1", "5.1.1 ", "5.1000.1", "", "x.y.z", "5..1"]) {
      expect(describeEnhancedStatus(bad), bad).toBeUndefined();
    }
  });
});

describe("RFC 5321 §4.3.2 command table", () => {
  it("DATA: 354, then 250 or a failure", () => {
    const data = repliesFor("DATA");
    expect(data?.intermediate).toEqual([354]);
    expect(data?.success).toEqual([]);
    expect(data?.failure).toEqual([503, 554]);
    expect(data?.afterContent?.success).toEqual([250]);
    expect(data?.afterContent?.failure).toEqual([552, 554, 451, 452, 450, 550]);
  });

  it("RCPT, RSET, NOOP, QUIT", () => {
    expect(repliesFor("RCPT")?.success).toEqual([250, 251]);
    expect(isReplyAllowed("RCPT", 554)).toBe(false);
    expect(isReplyAllowed("RCPT", 556)).toBe(true);
    expect(repliesFor("RSET")?.success).toEqual([250]);
    expect(isReplyAllowed("NOOP", 550)).toBe(false);
    expect(repliesFor("QUIT")?.success).toEqual([221]);
    expect(isReplyAllowed("QUIT", 503)).toBe(false);
  });

  it("general replies: 500, 501 and 421 for any command (§4.3.2), 503 after a 554 greeting (§3.1), 502 only for optional commands (§4.5.1)", () => {
    for (const command of ["HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY"]) {
      for (const code of [421, 500, 501]) expect(isReplyAllowed(command, code), `${command} ${code}`).toBe(true);
    }
    expect(isReplyAllowed("NOOP", 503)).toBe(true);
    expect(isReplyAllowed("RSET", 503)).toBe(true);
    for (const command of ["MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"]) expect(isReplyAllowed(command, 502), command).toBe(false);
    for (const command of ["EXPN", "HELP", "ETRN", "BDAT", "AUTH", "STARTTLS", "VRFY", "EHLO"]) expect(isReplyAllowed(command, 502), command).toBe(true);
    expect(repliesFor("DATA")?.general).toEqual([421, 500, 501, 503, 530]);
  });

  it("AUTH and STARTTLS from RFC 4954 and RFC 3207", () => {
    expect(repliesFor("AUTH")?.intermediate).toEqual([334]);
    expect(isReplyAllowed("AUTH", 535)).toBe(true);
    // RFC 4954 §6 exempts AUTH from "530 Authentication required", but RFC 3207 §4
    // answers every command but NOOP, EHLO, STARTTLS and QUIT with 530 when TLS is required.
    expect(isReplyAllowed("AUTH", 530)).toBe(true);
    expect(isReplyAllowed("EHLO", 530)).toBe(false);
    expect(isReplyAllowed("STARTTLS", 530)).toBe(false);
    expect(isReplyAllowed("MAIL", 530)).toBe(true);
    expect(repliesFor("STARTTLS")?.failure).toEqual([501, 454]);
  });

  it("the greeting may be 220, 554 or 421", () => {
    expect(repliesFor("CONNECT")?.success).toEqual([220]);
    expect(isReplyAllowed("CONNECT", 554)).toBe(true);
    expect(isReplyAllowed("CONNECT", 421)).toBe(true);
    expect(isReplyAllowed("CONNECT", 500)).toBe(false);
  });
});

describe("situations", () => {
  it("has the canonical replies the issue names", () => {
    const expected: Record<string, [number, string]> = {
      BadSequence: [503, "5.5.1"],
      SyntaxError: [501, "5.5.4"],
      CommandUnrecognized: [500, "5.5.2"],
      MessageTooBig: [552, "5.3.4"],
      TooManyRecipients: [452, "4.5.3"],
      AuthRequired: [530, "5.7.0"],
      StartTlsFirst: [530, "5.7.0"],
      RelayDenied: [550, "5.7.1"],
      MailboxUnavailable: [550, "5.1.1"],
      ServiceClosing: [421, "4.4.2"],
      AuthLineTooLong: [500, "5.5.6"],
      LineTooLong: [500, "5.5.2"],
      PathTooLong: [501, "5.5.4"],
      SpfFailed: [550, "5.7.23"],
      SenderDomainUnknown: [550, "5.1.8"],
    };
    for (const [name, [code, enhanced]] of Object.entries(expected)) {
      expect(situationByName(name), name).toMatchObject({ code, enhanced });
    }
    expect(situationByName("toString")).toBeUndefined();
  });

  it("formats as a reply line", () => {
    expect(formatSituation(Situations.BadSequence)).toBe("503 5.5.1 Bad sequence of commands");
    expect(formatSituation(Situations.StartMailInput)).toBe("354 Start mail input; end with <CRLF>.<CRLF>");
  });
});

describe("class predicates", () => {
  it("partition 2yz-5yz", () => {
    expect([isPositive(250), isTransient(250), isPermanent(250), isNegative(250)]).toEqual([true, false, false, false]);
    expect([isPositive(354), isNegative(354)]).toEqual([true, false]);
    expect([isTransient(451), isPermanent(451), isNegative(451)]).toEqual([true, false, true]);
    expect([isTransient(550), isPermanent(550), isNegative(550)]).toEqual([false, true, true]);
  });
});
