// The generated messages of the MIME benchmark, written out by hand (not by
// @smtpkit/mime's encoder) so that no parser is measured on its own output.
import { MB, pseudoRandomBytes, textLines } from "./data.mjs";

const CRLF = "\r\n";

function headers(subject, contentType, extra = []) {
  return [
    "Return-Path: <sender@example.com>",
    "Received: from client.example.com (client.example.com [192.0.2.1]) by mx.example.org with ESMTPS id 4Xyz; Sun, 29 Nov 2026 10:00:00 +0000",
    'From: "Jöran Sender" <sender@example.com>',
    "To: Recipient One <one@example.org>, =?UTF-8?B?UsOpY2lwaWVudCBUd28=?= <two@example.org>",
    "Cc: three@example.org",
    `Subject: ${subject}`,
    "Date: Sun, 29 Nov 2026 10:00:00 +0000",
    "Message-ID: <bench.1@example.com>",
    "MIME-Version: 1.0",
    `Content-Type: ${contentType}`,
    ...extra,
  ].join(CRLF);
}

function base64Lines(bytes) {
  return Buffer.from(bytes).toString("base64").replace(/.{76}/g, `$&${CRLF}`);
}

function latin(bytes) {
  return Buffer.from(bytes).toString("latin1");
}

/** The four generated messages: 2 KB plain, 50 KB HTML alternative, 5 MB with attachments, 20-level nesting. */
export function generatedMessages(scale = 1) {
  const plainBody = latin(textLines(2000, { seed: 21 }));
  const plain = `${headers("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_dem_B=C3=BCro?=", "text/plain; charset=utf-8", ["Content-Transfer-Encoding: 7bit"])}${CRLF}${CRLF}${plainBody}`;

  const text = latin(textLines(20_000 * scale, { seed: 22 }));
  const html = `<html><body>${latin(textLines(28_000 * scale, { seed: 23 })).replaceAll(CRLF, `<br>${CRLF}`)}</body></html>`;
  const alternative = [
    headers("HTML newsletter", 'multipart/alternative; boundary="alt-boundary"'),
    "",
    "--alt-boundary",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    text.replaceAll("=", "=3D"),
    "--alt-boundary",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    html.replaceAll("=", "=3D"),
    "--alt-boundary--",
    "",
  ].join(CRLF);

  const attachmentParts = [];
  for (let index = 0; index < 3; index += 1) {
    attachmentParts.push(
      "--mixed-boundary",
      `Content-Type: application/octet-stream; name="file${index}.bin"`,
      "Content-Transfer-Encoding: base64",
      `Content-Disposition: attachment; filename*=utf-8''f%C3%A4il${index}.bin`,
      "",
      base64Lines(pseudoRandomBytes(Math.round((1.2 * MB * scale)), index + 1)),
    );
  }
  const attachments = [
    headers("Three attachments", 'multipart/mixed; boundary="mixed-boundary"'),
    "",
    "--mixed-boundary",
    "Content-Type: text/plain; charset=utf-8",
    "",
    plainBody,
    ...attachmentParts,
    "--mixed-boundary--",
    "",
  ].join(CRLF);

  let nested = `Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}${latin(textLines(1000, { seed: 24 }))}`;
  for (let depth = 19; depth >= 1; depth -= 1) {
    nested = [
      `Content-Type: multipart/mixed; boundary="level-${depth}"`,
      "",
      `--level-${depth}`,
      "Content-Type: text/plain",
      "",
      `Part at level ${depth}.`,
      `--level-${depth}`,
      nested,
      `--level-${depth}--`,
      "",
    ].join(CRLF);
  }
  const deep = `${headers("Twenty levels", 'multipart/mixed; boundary="level-0"')}${CRLF}${CRLF}--level-0${CRLF}${nested}${CRLF}--level-0--${CRLF}`;

  return [
    { name: "2 KB plain text", bytes: Buffer.from(plain, "latin1") },
    { name: "50 KB HTML alternative", bytes: Buffer.from(alternative, "latin1") },
    { name: "5 MB with base64 attachments", bytes: Buffer.from(attachments, "latin1") },
    { name: "20-level nesting", bytes: Buffer.from(deep, "latin1") },
  ];
}
