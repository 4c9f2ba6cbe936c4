// Grammar: reading pipelined commands, reading DATA (unstuffing and the end of
// data), and encoding DATA (canonical line ends and dot-stuffing), against a
// bare indexOf scan of the same bytes (the ceiling) and the code nodemailer's
// smtp-server and SMTP transport run today.
import { createRequire } from "node:module";
import { chunksOf, MB, pseudoRandomBytes, textLines } from "../lib/data.mjs";
import { needs, tryImport } from "../lib/optional.mjs";
import { ourCommandReader, ourDataEncoder, ourDataReader } from "../lib/grammar-adapters.mjs";

const require = createRequire(import.meta.url);
const sizes = { smoke: 64 * 1024, quick: 4 * MB, full: 10 * MB };
const CRLF = new Uint8Array([13, 10]);
const END = new Uint8Array([13, 10, 46, 13, 10]);
// A sequence absent from the bodies, so the ceiling's scan reads every byte.
const LF_DOT_NUL = new Uint8Array([10, 46, 0]);

// Uint8Array has no multi-byte indexOf; Buffer's is native and is what a bare scan would use.
const asBuffer = (bytes) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));

/** Dot-stuffs CRLF text and appends the terminator: the wire form of a DATA body. */
function stuff(body) {
  const text = Buffer.from(body).toString("latin1").replaceAll("\r\n.", "\r\n..");
  return Buffer.from(`${text.startsWith(".") ? `.${text}` : text}${text.endsWith("\r\n") ? "" : "\r\n"}.\r\n`, "latin1");
}

export async function cases(profile) {
  const size = sizes[profile];
  const grammar = await tryImport("@smtpkit/grammar");
  const smtpStream = await tryImport(pathOf("smtp-server", "dist/esm/smtp-stream.js"));
  const dataStream = await tryImport(pathOf("nodemailer", "dist/esm/smtp-connection/data-stream.js"));

  // Pipelined commands: a realistic mix, as a bulk sender pipelines them (RFC 2920).
  const lines = [];
  let length = 0;
  for (let index = 0; length < size / 4; index += 1) {
    const line =
      index % 6 === 0
        ? `MAIL FROM:<sender${index}@example.com> SIZE=${1000 + index} BODY=8BITMIME\r\n`
        : index % 6 === 5
          ? "RSET\r\n"
          : `RCPT TO:<user${index}@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user${index}@example.org\r\n`;
    lines.push(line);
    length += line.length;
  }
  const commands = Buffer.from(lines.join(""), "latin1");
  const commandChunks = chunksOf(commands, 16 * 1024);

  const text = textLines(size, { dotLineShare: 0.02, seed: 3 });
  const base64Body = Buffer.from(
    Buffer.from(pseudoRandomBytes((size * 3) / 4)).toString("base64").replace(/.{76}/g, "$&\r\n") + "\r\n",
    "latin1",
  ).subarray(0, size);
  const bodies = [
    { label: "text, 2% dot lines", body: text },
    { label: "base64, no dot lines", body: base64Body },
  ];

  const result = [
    {
      group: "grammar",
      name: `pipelined commands, ${(commands.length / MB).toFixed(1)} MB (${lines.length} commands)`,
      unit: "cmd/s",
      target: "report the ratio to the bare line split",
      systems: [
        { name: "@smtpkit/grammar", role: "ours", available: needs(grammar, "createCommandReader"), run: ourCommandReader(grammar, commandChunks, lines.length) },
        {
          name: "indexOf(CRLF) split",
          role: "ceiling",
          run: () => {
            let count = 0;
            let carry = new Uint8Array(0);
            for (const chunk of commandChunks) {
              const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : asBuffer(chunk);
              let start = 0;
              let end;
              while ((end = data.indexOf(CRLF, start)) >= 0) {
                data.subarray(start, end);
                count += 1;
                start = end + 2;
              }
              carry = data.subarray(start);
            }
            return count;
          },
        },
        {
          name: "smtp-server (SMTPStream)",
          role: "peer",
          available: needs(smtpStream, "SMTPStream"),
          run: async () => {
            const stream = new smtpStream.module.SMTPStream();
            let count = 0;
            stream.oncommand = (_line, next) => {
              count += 1;
              next();
            };
            for (const chunk of commandChunks) stream.write(chunk);
            await new Promise((resolve) => stream.end(resolve));
            return count;
          },
        },
      ],
    },
  ];

  for (const { label, body } of bodies) {
    const wire = stuff(body);
    const wireChunks = chunksOf(wire, 64 * 1024);
    result.push({
      group: "grammar",
      name: `DATA reading, ${size / MB} MB ${label}`,
      unit: "MB/s",
      target: "≥ 50% of the bare scan",
      systems: [
        { name: "@smtpkit/grammar", role: "ours", available: needs(grammar, "createCommandReader"), run: ourDataReader(grammar, wireChunks, wire.length) },
        {
          name: "indexOf + copy",
          role: "ceiling",
          run: () => {
            const end = wire.indexOf(END, 0);
            wire.slice(0, end + 2);
            return wire.length;
          },
        },
        {
          name: "smtp-server (SMTPStream)",
          role: "peer",
          available: needs(smtpStream, "SMTPStream"),
          run: async () => {
            const stream = new smtpStream.module.SMTPStream();
            stream.oncommand = (_line, next) => next();
            const output = stream.startDataMode();
            let received = 0;
            output.on("data", (chunk) => {
              received += chunk.length;
            });
            const ended = new Promise((resolve) => output.on("end", resolve));
            for (const chunk of wireChunks) stream.write(chunk);
            await ended;
            stream.continue();
            return wire.length;
          },
        },
      ],
    });
  }

  for (const { label, body } of bodies) {
    const bodyChunks = chunksOf(body, 64 * 1024);
    const bodyBuffer = asBuffer(body);
    result.push({
      group: "grammar",
      name: `DATA encoding, ${size / MB} MB ${label}`,
      unit: "MB/s",
      target: "≥ 50% of the bare scan",
      systems: [
        { name: "@smtpkit/grammar", role: "ours", available: needs(grammar, "createDataEncoder"), run: ourDataEncoder(grammar, bodyChunks, body.length) },
        {
          name: "indexOf + copy",
          role: "ceiling",
          run: () => {
            // As for reading: one native scan of the bytes (for a dot after a line end) and a copy.
            bodyBuffer.indexOf(LF_DOT_NUL, 0);
            body.slice();
            return body.length;
          },
        },
        {
          name: "nodemailer (DataStream)",
          role: "peer",
          available: needs(dataStream, "default"),
          run: async () => {
            const encoder = new dataStream.module.default();
            encoder.on("data", () => {});
            const ended = new Promise((resolve) => encoder.on("end", resolve));
            for (const chunk of bodyChunks) encoder.write(chunk);
            encoder.end();
            await ended;
            return body.length;
          },
        },
      ],
    });
  }
  return result;
}

function pathOf(packageName, file) {
  const root = require.resolve(`${packageName}/package.json`).replace(/package\.json$/, "");
  return new URL(`file://${root}${file}`).href;
}
