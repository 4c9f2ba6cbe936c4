// docs/conformance/clients.md holds one generated block per client: the verdict of every case and what each
// failure means. The peers test renders the block from a fresh run and compares it with the document (or, with
// SMTPKIT_UPDATE_CONFORMANCE_DOCS=1, writes it there).
import { readFileSync, writeFileSync } from "node:fs";
import type { ClientConformanceReport } from "@smtpkit/testkit";

export const CLIENTS_DOC = new URL("../../../../docs/conformance/clients.md", import.meta.url);

/** What breaking each rule means for a user of the client, in a sentence or two. */
const meaning: Readonly<Record<string, string>> = {
  "tls-required":
    "set to require TLS, the client still sent mail commands or credentials in clear text, so an attacker who strips or refuses STARTTLS reads them.",
  "starttls-injected-reply":
    "a reply read in clear text was taken as an answer inside TLS: a man in the middle can inject answers into the protected session (the CVE-2011-1430 class).",
  "no-unannounced-pipelining": "the client sent commands before their turn on a server that did not offer PIPELINING; strict servers (Postfix with `smtpd_forbid_unauth_pipelining`) drop such clients.",
  "extension-not-offered": "the client used an extension the server never offered; a strict server refuses the command.",
  "reply-taken-as-acceptance": "a reply that was not a clean positive answer was treated as one: the client may believe a message was taken that was not.",
  "content-without-354": "message content went out although the server had not asked for it; the server reads those lines as commands.",
  "service-refused-respected": "the client went on after the server said it would not serve (421 or 554).",
  "reply-bounded": "a server sending one endless reply holds the client (and its memory or its time) until the client's own timeout, or forever.",
  "gives-up-cleanly": "the client neither finished nor gave up within the case's time: a hung process for whoever runs it.",
  "no-false-success": "the client reported a message as sent that the server never accepted: mail is lost silently.",
  delivers: "the client could not deliver through a well-behaved exchange.",
};

/** The generated block for one client. */
export function renderClientBlock(name: string, settings: string, report: ClientConformanceReport): string {
  const lines = [`### ${name}`, "", `Run as: ${settings}.`, "", "| case | verdict | rules broken |", "| --- | --- | --- |"];
  for (const c of report.cases) {
    const verdict = c.verdict === "not-applicable" ? "n/a" : c.verdict;
    lines.push(`| \`${c.id}\` | ${verdict} | ${c.violations.map((v) => `\`${v.rule}\``).join(", ")} |`);
  }
  const { pass, fail, notApplicable } = report.summary;
  lines.push("", `${pass} passed, ${fail} failed, ${notApplicable} not applicable.`);
  const failures = report.cases.filter((c) => c.verdict === "fail");
  if (failures.length > 0) {
    lines.push("", "What the failures mean:", "");
    for (const c of failures) {
      for (const v of c.violations) {
        const why = meaning[v.rule];
        lines.push(`- \`${c.id}\` breaks \`${v.rule}\` (${v.rfc}): ${v.summary.replaceAll("<", "&lt;")}.`);
        if (why !== undefined) lines.push(`  What it means: ${why.charAt(0).toUpperCase()}${why.slice(1)}`);
      }
    }
  }
  return lines.join("\n");
}

function markers(name: string): [string, string] {
  return [`<!-- generated: ${name} -->`, `<!-- end generated: ${name} -->`];
}

/** The block recorded in the document for `name`, or undefined. */
export function recordedBlock(name: string): string | undefined {
  const text = readFileSync(CLIENTS_DOC, "utf8");
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return undefined;
  return text.slice(from + start.length, to).trim();
}

/** Writes `block` into the document between the markers for `name` (they must exist). */
export function recordBlock(name: string, block: string): void {
  const text = readFileSync(CLIENTS_DOC, "utf8");
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/conformance/clients.md has no markers for ${name}`);
  writeFileSync(CLIENTS_DOC, `${text.slice(0, from + start.length)}\n${block}\n${text.slice(to)}`);
}
