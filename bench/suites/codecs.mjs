// Codecs: base64 and quoted-printable, @smtpkit/mime vs Node's Buffer (the
// native ceiling) and the libraries JavaScript mail software uses today.
import { createRequire } from "node:module";
import { once } from "node:events";
import { chunksOf, MB, pseudoRandomBytes, textLines, wrappedBase64 } from "../lib/data.mjs";
import { needs, tryImport } from "../lib/optional.mjs";

const require = createRequire(import.meta.url);
const sizes = { smoke: 64 * 1024, quick: 4 * MB, full: 10 * MB };

export async function cases(profile) {
  const size = sizes[profile];
  const mime = await tryImport("@smtpkit/mime");
  const libbase64 = await tryImport("libbase64");
  const libqp = await tryImport("libqp");
  const postalBase64 = await tryImport(pathOf("postal-mime", "dist/esm/base64-decoder.js"));
  const postalQp = await tryImport(pathOf("postal-mime", "dist/esm/qp-decoder.js"));
  const postalWords = await tryImport(pathOf("postal-mime", "dist/esm/decode-strings.js"));
  // libmime's CommonJS export is an instance whose methods live on its prototype: no named exports.
  const libmimeModule = await tryImport("libmime");
  const libmime = libmimeModule.module ? { module: libmimeModule.module.default } : libmimeModule;

  const raw = pseudoRandomBytes(size);
  const encoded = wrappedBase64(raw);
  const encodedChunks = chunksOf(encoded, 64 * 1024);
  // Mostly-ASCII text with some Latin-1/UTF-8 bytes: what quoted-printable is for.
  const text = textLines(size, { seed: 11 });
  for (let index = 97; index < text.length; index += 97) text[index] = 0xc3 + (index % 2);
  const qpText = libqp.module ? libqp.module.encode(Buffer.from(text)) : "";
  const qpWrapped = libqp.module ? Buffer.from(libqp.module.wrap(qpText, 76), "latin1") : Buffer.alloc(0);

  const headerValues = encodedHeaderValues(profile === "smoke" ? 200 : 4000);
  const headerBytes = headerValues.reduce((sum, value) => sum + value.length, 0);

  return [
    {
      group: "codecs",
      name: `RFC 2047 decoding, ${headerValues.length} header values (B and Q, UTF-8 and ISO-8859-1)`,
      unit: "MB/s",
      target: "≥ 2× the best peer",
      systems: [
        {
          name: "@smtpkit/mime",
          role: "ours",
          available: needs(mime, "decodeEncodedWords"),
          run: () => {
            for (const value of headerValues) mime.module.decodeEncodedWords(value);
            return headerBytes;
          },
        },
        {
          name: "postal-mime",
          role: "peer",
          available: needs(postalWords, "decodeWords"),
          run: () => {
            for (const value of headerValues) postalWords.module.decodeWords(value);
            return headerBytes;
          },
        },
        {
          name: "libmime",
          role: "peer",
          available: needs(libmime, "decodeWords"),
          run: () => {
            for (const value of headerValues) libmime.module.decodeWords(value);
            return headerBytes;
          },
        },
      ],
    },
    {
      group: "codecs",
      name: `base64 decode, ${size / MB} MB of 76-column CRLF lines, one shot`,
      unit: "MB/s",
      target: "≥ 70% of Buffer",
      systems: [
        { name: "@smtpkit/mime", role: "ours", available: needs(mime, "base64Decode"), run: () => (mime.module.base64Decode(encoded), encoded.length) },
        // From the same bytes: the input of a decoder is what arrived, not a ready-made string.
        { name: "Buffer", role: "ceiling", run: () => (Buffer.from(encoded.toString("latin1"), "base64"), encoded.length) },
        { name: "libbase64", role: "peer", available: needs(libbase64, "decode"), run: () => (libbase64.module.decode(encoded.toString("latin1")), encoded.length) },
      ],
    },
    {
      group: "codecs",
      name: `base64 decode, ${size / MB} MB in 64 KB chunks`,
      unit: "MB/s",
      target: "≥ 70% of Buffer",
      systems: [
        {
          name: "@smtpkit/mime",
          role: "ours",
          available: needs(mime, "createBase64Decoder"),
          run: () => {
            const decoder = mime.module.createBase64Decoder();
            for (const chunk of encodedChunks) decoder.update(chunk);
            decoder.finish();
            return encoded.length;
          },
        },
        {
          name: "Buffer",
          role: "ceiling",
          run: () => {
            // The least a chunked Buffer decoder must do: carry the unaligned tail.
            let carry = "";
            for (const chunk of encodedChunks) {
              const text = carry + chunk.toString("latin1").replaceAll("\r\n", "");
              const cut = text.length - (text.length % 4);
              Buffer.from(text.slice(0, cut), "base64");
              carry = text.slice(cut);
            }
            Buffer.from(carry, "base64");
            return encoded.length;
          },
        },
        {
          name: "libbase64",
          role: "peer",
          available: needs(libbase64, "Decoder"),
          run: async () => {
            const decoder = new libbase64.module.Decoder();
            decoder.on("data", () => {});
            for (const chunk of encodedChunks) decoder.write(chunk);
            decoder.end();
            await once(decoder, "end");
            return encoded.length;
          },
        },
        {
          name: "postal-mime",
          role: "peer",
          available: needs(postalBase64, "default"),
          run: async () => {
            const decoder = new postalBase64.module.default();
            for (const chunk of encodedChunks) decoder.update(chunk);
            await decoder.finalize();
            return encoded.length;
          },
        },
      ],
    },
    {
      group: "codecs",
      name: `base64 encode, ${size / MB} MB to 76-column lines`,
      unit: "MB/s",
      target: "≥ 70% of Buffer",
      systems: [
        { name: "@smtpkit/mime", role: "ours", available: needs(mime, "base64Encode"), run: () => (mime.module.base64Encode(raw), raw.length) },
        {
          name: "Buffer",
          role: "ceiling",
          run: () => {
            const flat = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString("base64");
            const lines = [];
            for (let index = 0; index < flat.length; index += 76) lines.push(flat.slice(index, index + 76));
            lines.join("\r\n");
            return raw.length;
          },
        },
        { name: "libbase64", role: "peer", available: needs(libbase64, "encode", "wrap"), run: () => (libbase64.module.wrap(libbase64.module.encode(Buffer.from(raw)), 76), raw.length) },
      ],
    },
    {
      group: "codecs",
      name: `quoted-printable decode, ${size / MB} MB of text`,
      unit: "MB/s",
      target: "≥ 2× libqp",
      systems: [
        { name: "@smtpkit/mime", role: "ours", available: needs(mime, "quotedPrintableDecode"), run: () => (mime.module.quotedPrintableDecode(qpWrapped), qpWrapped.length) },
        { name: "libqp", role: "peer", available: needs(libqp, "decode"), run: () => (libqp.module.decode(qpWrapped.toString("latin1")), qpWrapped.length) },
        {
          name: "postal-mime",
          role: "peer",
          available: needs(postalQp, "default"),
          run: async () => {
            const decoder = new postalQp.module.default();
            for (const chunk of chunksOf(qpWrapped, 64 * 1024)) decoder.update(chunk);
            await decoder.finalize();
            return qpWrapped.length;
          },
        },
      ],
    },
    {
      group: "codecs",
      name: `quoted-printable encode, ${size / MB} MB of text`,
      unit: "MB/s",
      target: "≥ 2× libqp",
      systems: [
        { name: "@smtpkit/mime", role: "ours", available: needs(mime, "quotedPrintableEncode"), run: () => (mime.module.quotedPrintableEncode(text), text.length) },
        { name: "libqp", role: "peer", available: needs(libqp, "encode", "wrap"), run: () => (libqp.module.wrap(libqp.module.encode(Buffer.from(text.buffer, text.byteOffset, text.length)), 76), text.length) },
      ],
    },
  ];
}

// Realistic Subject, From and file-name values: plain text around encoded words,
// long values split into several adjacent words (as mailers fold them), B and
// Q, UTF-8 and ISO-8859-1, upper- and lower-case labels. Encoded here by hand
// so that no decoder is measured on its own library's encoder.
function encodedHeaderValues(count) {
  const phrases = [
    "Grüße aus dem Büro",
    "Réunion de l'équipe à 14h",
    "Ihre Bestellung Nr. 4711 wurde versandt",
    "Année fiscale: résumé",
    "Zoë Çelik",
    "Привет, как дела?",
    "日本語の件名です",
    "Ünïcödé façade naïve café",
    "Emoji 🎉 party invitation",
    "Søren Kierkegaard Ærø",
  ];
  const random = pseudoRandomBytes(count * 4, 47);
  const latin1Safe = (text) => [...text].every((character) => character.charCodeAt(0) <= 0xff);
  const qEncode = (bytes) => {
    let out = "";
    for (const byte of bytes) {
      if (byte === 0x20) out += "_";
      else if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)) out += String.fromCharCode(byte);
      else out += `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    return out;
  };
  const words = (text, charset, encoding) => {
    const bytes = charset === "UTF-8" ? Buffer.from(text, "utf8") : Buffer.from(text, "latin1");
    // Split long values into several words of at most 30 bytes, on character boundaries.
    const pieces = [];
    let start = 0;
    while (start < bytes.length) {
      let end = Math.min(bytes.length, start + 30);
      if (charset === "UTF-8") while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end -= 1;
      pieces.push(bytes.subarray(start, end));
      start = end;
    }
    const label = random[pieces.length % random.length] % 3 === 0 ? charset.toLowerCase() : charset;
    return pieces
      .map((piece) => `=?${label}?${encoding}?${encoding === "B" ? piece.toString("base64") : qEncode(piece)}?=`)
      .join(random[start % random.length] % 2 === 0 ? " " : "  ");
  };
  const values = [];
  for (let index = 0; index < count; index += 1) {
    const phrase = phrases[random[index * 4] % phrases.length];
    const charset = latin1Safe(phrase) && random[index * 4 + 1] % 2 === 0 ? "ISO-8859-1" : "UTF-8";
    const encoding = random[index * 4 + 2] % 2 === 0 ? "B" : "Q";
    const encoded = words(phrase, charset, encoding);
    switch (random[index * 4 + 3] % 4) {
      case 0:
        values.push(encoded); // a whole Subject
        break;
      case 1:
        values.push(`Re: ${encoded} [ticket #${index}]`); // text around a word
        break;
      case 2:
        values.push(`${encoded} <user${index}@example.com>`); // a display name
        break;
      default:
        values.push(`Fwd: plain ASCII subject number ${index}`); // no encoded word at all
    }
  }
  return values;
}

function pathOf(packageName, file) {
  const root = require.resolve(`${packageName}/package.json`).replace(/package\.json$/, "");
  return new URL(`file://${root}${file}`).href;
}
