import { parseMessage } from "@smtpkit/mime";

// Messages the tests write themselves, each for one behaviour.

/** A multipart message whose attachments carry the given Content-Disposition parameter values. */
export function messageWithAttachments(attachments: readonly { readonly disposition: string; readonly body: string }[]): string {
  const parts = attachments.map(
    ({ disposition, body }) =>
      `--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; ${disposition}\r\n\r\n${Buffer.from(body).toString("base64")}\r\n`,
  );
  return [
    "From: Ann <ann@example.com>\r\n",
    "To: bob@example.com\r\n",
    "Subject: files\r\n",
    "MIME-Version: 1.0\r\n",
    'Content-Type: multipart/mixed; boundary="b1"\r\n',
    "\r\n",
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n",
    ...parts,
    "--b1--\r\n",
  ].join("");
}

/** A small message with every summary field, an encoded subject and text plus HTML. */
export const summaryMessage = [
  'From: "Doe, Jane" <jane@example.com>\r\n',
  "To: Bob <bob@example.com>, carol@example.com\r\n",
  "Cc: dave@example.com\r\n",
  "Subject: =?UTF-8?Q?Caf=C3=A9_menu?=\r\n",
  "Date: Tue, 1 Jul 2025 10:00:00 +0200\r\n",
  "Message-ID: <menu-1@example.com>\r\n",
  "X-Folded: first line\r\n",
  "  second line\r\n",
  "MIME-Version: 1.0\r\n",
  'Content-Type: multipart/alternative; boundary="alt"\r\n',
  "\r\n",
  "--alt\r\n",
  "Content-Type: text/plain; charset=iso-8859-1\r\n",
  "Content-Transfer-Encoding: quoted-printable\r\n",
  "\r\n",
  "Caf=E9 au lait: 3 =80\r\n",
  "--alt\r\n",
  "Content-Type: text/html; charset=utf-8\r\n",
  "\r\n",
  "<p>Café au lait</p>\r\n",
  "--alt--\r\n",
].join("");

/** A message that is three text parts: three parts below the root. */
export const threeParts = [
  'Content-Type: multipart/mixed; boundary="m"\r\n',
  "\r\n",
  "--m\r\n\r\none\r\n",
  "--m\r\n\r\ntwo\r\n",
  "--m\r\n\r\nthree\r\n",
  "--m--\r\n",
].join("");

/** A message forwarding another one as message/rfc822. */
export const forwardingMessage = [
  "From: ann@example.com\r\n",
  "Subject: Fwd: hello\r\n",
  'Content-Type: multipart/mixed; boundary="outer"\r\n',
  "\r\n",
  "--outer\r\n",
  "Content-Type: text/plain\r\n",
  "\r\n",
  "Forwarded below.\r\n",
  "--outer\r\n",
  "Content-Type: message/rfc822\r\n",
  "\r\n",
  "From: bob@example.com\r\n",
  "Subject: hello\r\n",
  'Content-Type: multipart/mixed; boundary="inner"\r\n',
  "\r\n",
  "--inner\r\n",
  "Content-Type: text/plain\r\n",
  "\r\n",
  "Inner text.\r\n",
  "--inner\r\n",
  'Content-Type: application/pdf; name="inner.pdf"\r\n',
  "Content-Transfer-Encoding: base64\r\n",
  "\r\n",
  "JVBERi0xLjQK\r\n",
  "--inner--\r\n",
  "--outer--\r\n",
].join("");

/**
 * The embedded message of {@link forwardingMessage} as @smtpkit/mime's
 * parseMessage gives it (the bytes `--extract` must write).
 */
export const forwardedPart: Buffer = Buffer.from(parseMessage(forwardingMessage).attachments[0]?.bytes ?? new Uint8Array());
