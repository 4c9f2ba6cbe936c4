// MIME parsing: @smtpkit/mime vs postal-mime and mailparser (full parsers:
// decoded bodies and headers) and mailsplit (which only splits, decoding
// nothing). Same bytes for all; messages/s and MB/s.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { promisify } from "node:util";
import { join } from "node:path";
import { generatedMessages } from "../lib/messages.mjs";
import { needs, tryImport } from "../lib/optional.mjs";

export async function cases(profile) {
  const mime = await tryImport("@smtpkit/mime");
  const postal = await tryImport("postal-mime");
  const mailparser = await tryImport("mailparser");
  const mailsplit = await tryImport("mailsplit");
  const messages = generatedMessages(profile === "smoke" ? 0.05 : 1);
  const corpus = loadCorpus();
  if (corpus.length > 0) {
    messages.push({ name: `public corpus (${corpus.length} messages)`, bytes: null, list: corpus });
  }

  return [...messages.map(parseCase), streamingMemoryCase(profile)];

  function parseCase(message) {
    const list = message.list ?? [message.bytes];
    const total = list.reduce((sum, bytes) => sum + bytes.length, 0);
    const each = async (parse) => {
      for (const bytes of list) await parse(bytes);
      return total;
    };
    return {
      group: "mime",
      name: `parse ${message.name}${message.bytes ? ` (${(total / 1024).toFixed(0)} KB)` : ""}`,
      unit: "MB/s",
      target: "≥ 2× the best full parser, ≥ mailsplit",
      systems: [
        { name: "@smtpkit/mime", role: "ours", available: needs(mime, "parseMessage"), run: () => each((bytes) => mime.module.parseMessage(bytes)) },
        { name: "postal-mime", role: "peer", available: needs(postal, "default"), run: () => each((bytes) => postal.module.default.parse(bytes)) },
        { name: "mailparser", role: "peer", available: needs(mailparser, "simpleParser"), run: () => each((bytes) => mailparser.module.simpleParser(bytes, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true })) },
        {
          name: "mailsplit (split only)",
          role: "reference",
          available: needs(mailsplit, "Splitter"),
          run: () =>
            each(
              (bytes) =>
                new Promise((resolve, reject) => {
                  const splitter = new mailsplit.module.Splitter();
                  splitter.on("data", (data) => {
                    if (data.type === "body" || data.type === "node") return;
                  });
                  splitter.on("end", resolve);
                  splitter.on("error", reject);
                  splitter.end(bytes);
                }),
            ),
        },
      ],
    };
  }
}

const streamSizes = { smoke: 8 * 2 ** 20, quick: 256 * 2 ** 20, full: 2 ** 30 };

/**
 * The MIME issue's memory bound: a 1 GB message (a base64 attachment made on
 * the fly) parsed in streaming mode, in a process of its own so that its peak
 * resident set is the parser's. One child run is one sample.
 */
function streamingMemoryCase(profile) {
  const size = streamSizes[profile];
  const script = new URL("../lib/stream-message.mjs", import.meta.url).pathname;
  let peak = 0;
  return {
    group: "mime",
    name: `stream a ${size >= 2 ** 30 ? `${size / 2 ** 30} GB` : `${size / 2 ** 20} MB`} message through createMessageParser (peak RSS of the process)`,
    unit: "MB/s",
    target: "peak RSS under 100 MB",
    options: { minTimeMs: 0, warmupMs: 0 },
    systems: [
      {
        name: "@smtpkit/mime",
        role: "ours",
        run: async () => {
          const { stdout } = await promisify(execFile)(process.execPath, [script, String(size)], { maxBuffer: 1 << 20 });
          const result = JSON.parse(stdout);
          peak = Math.max(peak, result.maxRss);
          return result.bytes;
        },
        peakRss: () => peak,
      },
    ],
  };
}

function loadCorpus() {
  const root = new URL("../../../shared/corpus/", import.meta.url).pathname;
  if (!existsSync(root)) return [];
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".eml")) files.push(readFileSync(path));
    }
  };
  walk(root);
  return files;
}
