/**
 * The readable view of a {@link MessageReport}: summary, tree, excerpts,
 * attachments, and with `--headers` every header field. Every string that
 * comes from the message passes through `printable` first.
 *
 * @module
 */
import type { Colors } from "../command-context.js";
import { formatBytes, printable, printableBlock } from "../text.js";
import type { MessageReport, ReportExcerpt, ReportMailbox, ReportPart } from "./message-report.js";

function mailbox(entry: ReportMailbox): string {
  return printable(entry.name === "" ? entry.address : `${entry.name} <${entry.address}>`);
}

/**
 * Formats a part's path for people: `message` for the root, `1.0` for the
 * first child of the second child.
 *
 * @param path - the parser's path
 * @returns the label
 * @internal
 */
export function pathLabel(path: readonly number[]): string {
  return path.length === 0 ? "message" : path.join(".");
}

function partLine(part: ReportPart, colors: Colors): string {
  const details: string[] = [];
  if (part.charset !== undefined) details.push(`charset=${printable(part.charset)}`);
  if (part.transferEncoding !== "7bit") details.push(printable(part.transferEncoding));
  if (part.disposition !== undefined) details.push(printable(part.disposition));
  if (part.filename !== undefined) details.push(colors.green(`"${printable(part.filename)}"`));
  if (part.contentId !== undefined) details.push(`cid:${printable(part.contentId)}`);
  if (part.children.length === 0 || part.mediaType.startsWith("message/")) details.push(formatBytes(part.size));
  if (part.closed === false) details.push(colors.yellow("no close delimiter"));
  if (part.headersTruncated === true) details.push(colors.yellow("headers truncated"));
  const where = colors.dim(`[${pathLabel(part.path)}] bytes ${part.offset}-${part.bodyEnd}, body at ${part.bodyOffset}`);
  return `${colors.cyan(printable(part.mediaType))}${details.length > 0 ? `  ${details.join("  ")}` : ""}  ${where}`;
}

function tree(part: ReportPart, colors: Colors, lines: string[], prefix: string, isLast: boolean, isRoot: boolean): void {
  const branch = isRoot ? "" : isLast ? "└─ " : "├─ ";
  lines.push(`${prefix}${branch}${partLine(part, colors)}`);
  const childPrefix = isRoot ? prefix : `${prefix}${isLast ? "   " : "│  "}`;
  part.children.forEach((child, index) => tree(child, colors, lines, childPrefix, index === part.children.length - 1, false));
}

function excerpt(title: string, value: ReportExcerpt, colors: Colors, lines: string[]): void {
  lines.push("", colors.bold(`${title}${value.truncated ? " (beginning)" : ""}:`));
  let end = value.excerpt.length;
  while (end > 0 && value.excerpt[end - 1] === "\n") end--;
  const body = printableBlock(value.excerpt.slice(0, end));
  for (const line of body.split("\n")) lines.push(`  ${line}`);
  if (value.truncated) lines.push(colors.dim("  …"));
}

/**
 * Renders the report as text.
 *
 * @param report - the report
 * @param colors - colour functions (identity when colours are off)
 * @returns the text, ending in a line feed
 * @internal
 */
export function renderReport(report: MessageReport, colors: Colors): string {
  const { summary } = report;
  const lines: string[] = [];
  const field = (label: string, value: string): void => {
    lines.push(`${colors.bold(label.padEnd(12))}${value}`);
  };
  field("From:", summary.from === null ? colors.dim("(none)") : mailbox(summary.from));
  field("To:", summary.to.length === 0 ? colors.dim("(none)") : summary.to.map(mailbox).join(", "));
  if (summary.cc.length > 0) field("Cc:", summary.cc.map(mailbox).join(", "));
  field("Subject:", summary.subject === null ? colors.dim("(none)") : printable(summary.subject));
  if (summary.date === null) field("Date:", colors.dim("(none)"));
  else field("Date:", `${printable(summary.date.raw)}${summary.date.iso === null ? colors.yellow("  (unreadable)") : colors.dim(`  (${summary.date.iso})`)}`);
  field("Message-ID:", summary.messageId === null ? colors.dim("(none)") : printable(summary.messageId));

  lines.push("", colors.bold(`Structure (${formatBytes(report.size)}):`));
  tree(report.parts, colors, lines, "  ", true, true);

  // --excerpt 0 asks for no excerpts.
  if (summary.text !== null && summary.text.excerpt !== "") excerpt("Text", summary.text, colors, lines);
  if (summary.html !== null && summary.html.excerpt !== "") excerpt("HTML", summary.html, colors, lines);

  if (summary.attachments.length > 0) {
    lines.push("", colors.bold(`Attachments (${summary.attachments.length}):`));
    for (const attachment of summary.attachments) {
      const name = attachment.filename === undefined ? colors.dim("(no name)") : colors.green(printable(attachment.filename));
      let line = `  ${name}  ${printable(attachment.mediaType)}  ${formatBytes(attachment.size)}  ${colors.dim(`[${pathLabel(attachment.path)}]`)}`;
      if (attachment.savedAs !== undefined) line += `  -> ${printable(attachment.savedAs)}`;
      if (attachment.error !== undefined) line += `  ${colors.red(`not saved: ${printable(attachment.error)}`)}`;
      lines.push(line);
    }
  }

  if (report.headers !== undefined) {
    for (const part of report.headers) {
      if (part.fields.length === 0) continue;
      lines.push("", colors.bold(`Header fields of ${pathLabel(part.path)}:`));
      for (const header of part.fields) {
        const raw = printableBlock(header.raw.replaceAll("\r\n", "\n")).split("\n");
        lines.push(...raw.map((line) => `  ${line}`));
        const unfolded = header.raw.slice(header.raw.indexOf(":") + 1).replaceAll("\r\n", "").replaceAll("\n", "").trim();
        if (header.decoded !== unfolded) lines.push(`    ${colors.dim("decoded:")} ${printable(header.decoded)}`);
      }
    }
  }

  if (report.limitsExceeded.length > 0) {
    lines.push("", colors.yellow(`Parser limits hit (the rest was skipped): ${report.limitsExceeded.join(", ")}`));
  }
  return `${lines.join("\n")}\n`;
}
