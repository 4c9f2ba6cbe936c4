#!/usr/bin/env node
// Streams one generated message of about N bytes (a text part and one large
// base64 attachment, made on the fly in 64 KB pieces) through
// @smtpkit/mime's streaming parser, in a process of its own, and prints
// { bytes, decoded, maxRss } as JSON: the memory bound of the MIME issue
// ("a 1 GB message parsed in streaming mode stays under 100 MB").
//   node bench/lib/stream-message.mjs 1073741824
import { createMessageParser } from "@smtpkit/mime";

const target = Number(process.argv[2] ?? 1024 * 1024 * 1024);
const encoder = new TextEncoder();
const head = encoder.encode(
  [
    "From: a@example.com",
    "To: b@example.org",
    "Subject: one large attachment",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="stream-boundary"',
    "",
    "--stream-boundary",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "See the attachment.",
    "--stream-boundary",
    'Content-Type: application/octet-stream; name="large.bin"',
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="large.bin"',
    "",
    "",
  ].join("\r\n"),
);
const tail = encoder.encode("--stream-boundary--\r\n");
// 64 KB of base64 lines: 76 characters and CRLF, 840 lines (a multiple of 4 characters per line).
const line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";
const block = encoder.encode(line.repeat(840));

const parser = createMessageParser();
let decoded = 0;
const count = (events) => {
  for (const event of events) if (event.type === "part-body") decoded += event.bytes.length;
};
count(parser.push(head));
let sent = head.length;
while (sent + block.length + tail.length <= target) {
  count(parser.push(block));
  sent += block.length;
}
count(parser.push(tail));
sent += tail.length;
count(parser.end());
process.stdout.write(`${JSON.stringify({ bytes: sent, decoded, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
