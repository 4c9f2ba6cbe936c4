// Review with messages shaped like what real mail programs write (written here from what those
// programs are known to produce, not copied from any message): Outlook's related+alternative
// with inline images and a TNEF attachment, Apple Mail's html fragments around inline images,
// a Postfix bounce (multipart/report, RFC 3464), ISO-2022-JP and GB2312 text, a forwarded
// message/rfc822, mailing-list footers (after the close delimiter, and as an extra part).
// Each is checked through the summary view a user reads, with CRLF and with LF line ends.
import { describe, expect, it } from "vitest";
import { getHeader, parseAddressList, parseDeliveryStatus, parseMessage, type MessagePart, type ParsedMessage } from "@smtpkit/mime";

const crlf = (text: string): Uint8Array => new TextEncoder().encode(text.replace(/\r?\n/g, "\r\n"));
const lf = (text: string): Uint8Array => new TextEncoder().encode(text.replace(/\r\n/g, "\n"));
const latin1 = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\r?\n/g, "\r\n"), "latin1"));

/** The parts of a summary a user reads, for comparing the CRLF and LF twins. */
function summary(message: ParsedMessage): unknown {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    date: message.date?.toISOString(),
    text: message.text,
    html: message.html,
    // A 7bit/8bit/binary attachment keeps its line ends as stored (RFC 2045 §2.7), so its size differs between the twins.
    attachments: message.attachments.map(({ filename, mediaType, disposition, contentId, size, path }) => ({
      filename,
      mediaType,
      disposition,
      contentId,
      size: ["base64", "quoted-printable"].includes(partAt(message.root, path).info.transferEncoding) ? size : "as stored",
    })),
  };
}

function partAt(root: MessagePart, path: readonly number[]): MessagePart {
  let part = root;
  for (const index of path) part = part.children[index] as MessagePart;
  return part;
}

function both(text: string, check: (message: ParsedMessage) => void): void {
  const withCrlf = parseMessage(crlf(text));
  check(withCrlf);
  const withLf = parseMessage(lf(text));
  check(withLf);
  expect(summary(withLf)).toEqual(summary(withCrlf));
}

const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");

const outlook = `Received: from EXCH01.corp.example.com (10.0.0.5) by EXCH02.corp.example.com
 (10.0.0.6) with Microsoft SMTP Server id 15.1.2507.39; Mon, 3 Nov 2025 09:15:02 +0100
From: =?Windows-1252?Q?Ren=E9e_M=FCller?= <renee.mueller@corp.example.com>
To: "Smith, John" <john.smith@example.org>, <team@example.org>
Subject: =?Windows-1252?Q?Q3_numbers_=96_caf=E9_meeting?=
Thread-Topic: Q3 numbers
Date: Mon, 3 Nov 2025 09:15:02 +0100
Message-ID: <AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>
Accept-Language: de-DE, en-US
Content-Language: de-DE
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: <AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>
Content-Type: multipart/mixed;
\tboundary="_004_AM0PR01MB1234ABCD_"
MIME-Version: 1.0

--_004_AM0PR01MB1234ABCD_
Content-Type: multipart/related;
\tboundary="_003_AM0PR01MB1234ABCD_";
\ttype="multipart/alternative"

--_003_AM0PR01MB1234ABCD_
Content-Type: multipart/alternative;
\tboundary="_000_AM0PR01MB1234ABCD_"

--_000_AM0PR01MB1234ABCD_
Content-Type: text/plain; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

Hi John,

here are the Q3 numbers =96 see the chart. Let=92s meet at the caf=E9.

[cid:image001.png@01DC4C9A.12345670]

Ren=E9e

--_000_AM0PR01MB1234ABCD_
Content-Type: text/html; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=
=3DWindows-1252"></head><body><p>Hi John,</p><p>here are the Q3 numbers =96=
 see the chart. Let=92s meet at the caf=E9.</p><p><img src=3D"cid:image001.=
png@01DC4C9A.12345670"></p><p>Ren=E9e</p></body></html>

--_000_AM0PR01MB1234ABCD_--

--_003_AM0PR01MB1234ABCD_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=${png.length};
\tcreation-date="Mon, 03 Nov 2025 08:15:02 GMT";
\tmodification-date="Mon, 03 Nov 2025 08:15:02 GMT"
Content-ID: <image001.png@01DC4C9A.12345670>
Content-Transfer-Encoding: base64

${png.toString("base64")}

--_003_AM0PR01MB1234ABCD_--

--_004_AM0PR01MB1234ABCD_
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;
\tname="=?Windows-1252?Q?Q3_=DCbersicht.xlsx?="
Content-Description: =?Windows-1252?Q?Q3_=DCbersicht.xlsx?=
Content-Disposition: attachment;
\tfilename="=?Windows-1252?Q?Q3_=DCbersicht.xlsx?="; size=3;
\tcreation-date="Mon, 03 Nov 2025 08:15:02 GMT"
Content-Transfer-Encoding: base64

UEsD

--_004_AM0PR01MB1234ABCD_
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Disposition: attachment; filename="winmail.dat"
Content-Transfer-Encoding: base64

eJ8+IgAA

--_004_AM0PR01MB1234ABCD_--
`;

const appleMail = `From: Ann Example <ann@example.com>
Content-Type: multipart/alternative;
\tboundary="Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000001"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Photos from the weekend
Date: Sat, 8 Nov 2025 18:03:11 -0800
Message-Id: <6F1E2D3C-AAAA-4BBB-8CCC-DDDDDDDDDDDD@example.com>
To: Bob <bob@example.net>

--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000001
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
\tcharset=utf-8

Here they are:

=EF=BF=BC
Enjoy =E2=80=94 Ann
--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000001
Content-Type: multipart/mixed;
\tboundary="Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000002"

--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000002
Content-Transfer-Encoding: 7bit
Content-Type: text/html;
\tcharset=us-ascii

<html><body><div>Here they are:</div><div><br></div>
--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000002
Content-Disposition: inline;
\tfilename=beach.png
Content-Type: image/png;
\tx-unix-mode=0644;
\tname="beach.png"
Content-Transfer-Encoding: base64

${png.toString("base64")}
--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000002
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
\tcharset=utf-8

<div>Enjoy =E2=80=94 Ann</div></body></html>=
--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000002--

--Apple-Mail=_6F1E2D3C-0000-4000-8000-000000000001--
`;

const postfixBounce = `Return-Path: <>
Received: by mail.example.com (Postfix)
\tid 4Q1x2y3z4; Tue, 11 Nov 2025 10:00:01 +0000 (UTC)
Date: Tue, 11 Nov 2025 10:00:01 +0000 (UTC)
From: MAILER-DAEMON@mail.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: ann@example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4Q1x2y3z4.1762855201/mail.example.com"
Message-Id: <20251111100001.4Q1x2y3z5@mail.example.com>

This is a MIME-encapsulated message.

--4Q1x2y3z4.1762855201/mail.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1
    <nobody@example.org>: Recipient address rejected: User unknown (in reply
    to RCPT TO command)

--4Q1x2y3z4.1762855201/mail.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.com
X-Postfix-Queue-ID: 4Q1x2y3z4
X-Postfix-Sender: rfc822; ann@example.com
Arrival-Date: Tue, 11 Nov 2025 09:59:58 +0000 (UTC)

Final-Recipient: rfc822; nobody@example.org
Original-Recipient: rfc822;nobody@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address
    rejected: User unknown

--4Q1x2y3z4.1762855201/mail.example.com
Content-Description: Undelivered Message
Content-Type: message/rfc822

Return-Path: <ann@example.com>
From: Ann <ann@example.com>
To: nobody@example.org
Subject: Lunch?
Date: Tue, 11 Nov 2025 09:59:57 +0000
Message-Id: <lunch-1@example.com>

Lunch at noon?

--4Q1x2y3z4.1762855201/mail.example.com--
`;

describe("address details seen in real headers (review)", () => {
  it("keeps the quotes of a quoted local part (they used to be dropped, giving another, invalid address)", () => {
    expect(parseAddressList('"john smith"@example.com, "Jane" <"j.\\"q"@example.org>')).toEqual([
      { type: "mailbox", name: "", address: '"john smith"@example.com' },
      { type: "mailbox", name: "Jane", address: '"j.\\"q"@example.org' },
    ]);
    expect(parseAddressList('"Undisclosed recipients"')).toEqual([{ type: "mailbox", name: "Undisclosed recipients", address: "" }]);
  });
});

describe("messages shaped like real mail programs' (review)", () => {
  it("Outlook: mixed > related > alternative, inline image by Content-ID, windows-1252 smart punctuation, encoded-word file names, winmail.dat", () => {
    both(outlook, (message) => {
      expect(message.from).toEqual({ type: "mailbox", name: "Renée Müller", address: "renee.mueller@corp.example.com" });
      expect(message.to.map((mailbox) => [mailbox.name, mailbox.address])).toEqual([
        ["Smith, John", "john.smith@example.org"],
        ["", "team@example.org"],
      ]);
      expect(message.subject).toBe("Q3 numbers – café meeting");
      expect(message.date?.toISOString()).toBe("2025-11-03T08:15:02.000Z");
      expect(message.messageId).toBe("AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com");
      expect(message.text).toBe("Hi John,\n\nhere are the Q3 numbers – see the chart. Let’s meet at the café.\n\n[cid:image001.png@01DC4C9A.12345670]\n\nRenée\n");
      expect(message.html).toContain('<img src="cid:image001.png@01DC4C9A.12345670">');
      expect(message.html).toContain("Let’s meet at the café.");
      expect(message.attachments.map(({ filename, mediaType, disposition, contentId }) => ({ filename, mediaType, disposition, contentId }))).toEqual([
        { filename: "image001.png", mediaType: "image/png", disposition: "inline", contentId: "image001.png@01DC4C9A.12345670" },
        { filename: "Q3 Übersicht.xlsx", mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", disposition: "attachment", contentId: undefined },
        { filename: "winmail.dat", mediaType: "application/ms-tnef", disposition: "attachment", contentId: undefined },
      ]);
      expect(Buffer.from(message.attachments[0]!.bytes)).toEqual(png);
      expect(message.root.children[0]?.info.parameters["type"]).toBe("multipart/alternative");
    });
  });

  it("Apple Mail: alternative > mixed with html fragments around an inline image", () => {
    both(appleMail, (message) => {
      expect(message.subject).toBe("Photos from the weekend");
      expect(message.date?.toISOString()).toBe("2025-11-09T02:03:11.000Z");
      expect(message.text).toBe("Here they are:\n\n\uFFFC\nEnjoy — Ann");
      // The html fragments, in order, joined: what a reader shows around the image.
      expect(message.html).toBe("<html><body><div>Here they are:</div><div><br></div>\n<div>Enjoy — Ann</div></body></html>");
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({ filename: "beach.png", mediaType: "image/png", disposition: "inline", size: png.length });
      expect(getHeader(message.headers, "mime-version")).toBe("1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))");
    });
  });

  it("Postfix bounce: multipart/report with the notification as text, readable delivery status, the returned message", () => {
    both(postfixBounce, (message) => {
      expect(message.from).toEqual({ type: "mailbox", name: "Mail Delivery System", address: "MAILER-DAEMON@mail.example.com" });
      expect(message.root.info.mediaType).toBe("multipart/report");
      expect(message.root.info.parameters["report-type"]).toBe("delivery-status");
      expect(new TextDecoder().decode(message.root.preamble)).toBe("This is a MIME-encapsulated message.\n".replace("\n", message.root.preamble?.includes(13) ? "\r\n" : "\n"));
      expect(message.text).toMatch(/^This is the mail system at host mail\.example\.com\.\n\n/);
      expect(message.text).toContain("550 5.1.1");
      const report = message.attachments.find((attachment) => attachment.mediaType === "message/delivery-status");
      expect(report).toBeDefined();
      const status = parseDeliveryStatus(report!.bytes);
      expect(getHeader(status.message, "reporting-mta")).toBe("dns; mail.example.com");
      expect(status.recipients).toHaveLength(1);
      expect(getHeader(status.recipients[0]!, "final-recipient")).toBe("rfc822; nobody@example.org");
      expect(getHeader(status.recipients[0]!, "action")).toBe("failed");
      expect(getHeader(status.recipients[0]!, "status")).toBe("5.1.1");
      expect(getHeader(status.recipients[0]!, "diagnostic-code")).toBe("smtp; 550 5.1.1 <nobody@example.org>: Recipient address    rejected: User unknown");
      const returned = message.attachments.find((attachment) => attachment.mediaType === "message/rfc822");
      expect(returned).toBeDefined();
      const original = parseMessage(returned!.bytes);
      expect(original.subject).toBe("Lunch?");
      expect(original.text).toBe("Lunch at noon?\n");
      const embedded = message.root.children[2]?.children[0];
      expect(getHeader(embedded?.headers ?? [], "message-id")).toBe("<lunch-1@example.com>");
    });
  });

  it("ISO-2022-JP and GB2312: subjects, names and bodies", () => {
    // テスト (test) in ISO-2022-JP: ESC $ B ... ESC ( B, base64 in the header, 7bit in the body.
    const japanese = `From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

\u001b$B$3$s$K$A$O\u001b(B
`;
    both(japanese, (message) => {
      expect(message.subject).toBe("テスト");
      expect(message.from?.name).toBe("山田");
      expect(message.text).toBe("こんにちは\n");
    });
    // 你好 in GB2312 (C4 E3 BA C3), in a Q word, a B word, and a base64 body.
    const chinese = latin1(`From: =?gb2312?Q?=C4=E3=BA=C3?= <ni@example.cn>
Subject: =?GB2312?B?xOO6ww==?= =?gb2312?Q?=C4=E3?=
Content-Type: text/plain; charset="gb2312"
Content-Transfer-Encoding: base64

xOO6ww0K
`);
    const message = parseMessage(chinese);
    expect(message.subject).toBe("你好你");
    expect(message.from?.name).toBe("你好");
    expect(message.text).toBe("你好\n");
  });

  it("a forwarded message/rfc822: the outer text only, the embedded message as one attachment and as a subtree", () => {
    const forwarded = `From: Bob <bob@example.net>
To: Carol <carol@example.org>
Subject: Fwd: Lunch?
Content-Type: multipart/mixed; boundary="fwd"

--fwd
Content-Type: text/plain; charset=utf-8

See below.

--fwd
Content-Type: message/rfc822
Content-Disposition: inline

From: Ann <ann@example.com>
To: Bob <bob@example.net>
Subject: Lunch?
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain

Lunch at noon?
--inner
Content-Type: text/html

<p>Lunch at noon?</p>
--inner--

--fwd--
`;
    both(forwarded, (message) => {
      expect(message.subject).toBe("Fwd: Lunch?");
      expect(message.text).toBe("See below.\n");
      expect(message.html).toBeUndefined();
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]?.mediaType).toBe("message/rfc822");
      const inner = parseMessage(message.attachments[0]!.bytes);
      expect(inner.subject).toBe("Lunch?");
      expect(inner.text).toBe("Lunch at noon?");
      expect(inner.html).toBe("<p>Lunch at noon?</p>");
      expect(message.root.children[1]?.children[0]?.children.map((part) => part.info.mediaType)).toEqual(["text/plain", "text/html"]);
    });
  });

  it("mailing-list footers: after the close delimiter (epilogue, not text) and as an inline part (text)", () => {
    const footer = "_______________________________________________\nexample-list mailing list\nhttps://lists.example.org/listinfo/example-list\n";
    const afterClose = `From: ann@example.com
Subject: [example-list] Hello
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain

Hello list
--b1
Content-Type: text/html

<p>Hello list</p>
--b1--
${footer}`;
    both(afterClose, (message) => {
      expect(message.text).toBe("Hello list");
      expect(message.html).toBe("<p>Hello list</p>");
      expect(message.attachments).toHaveLength(0);
      expect(new TextDecoder().decode(message.root.epilogue).replace(/\r\n/g, "\n")).toBe(footer);
    });
    const asPart = `From: ann@example.com
Subject: [example-list] Hello
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain

Hello list
--b1
Content-Type: text/html

<p>Hello list</p>
--b1--

--outer
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit
Content-Disposition: inline

${footer}
--outer--
`;
    both(asPart, (message) => {
      expect(message.text).toBe(`Hello list\n${footer}`);
      expect(message.html).toBe("<p>Hello list</p>");
      expect(message.attachments).toHaveLength(0);
    });
  });
});
