// Turns case results into the terminal table and the JSON record.
import { formatRate } from "./harness.mjs";

function pad(text, width) {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** The table printed to the terminal: one row per system and case. */
export function formatTable(cases) {
  const withRss = cases.some((benchCase) => benchCase.results.some((result) => result.peakRss !== undefined));
  const header = ["case", "system", "median", "min–max", "× best peer", "of ceiling", "× reference", "target", ...(withRss ? ["peak RSS"] : [])];
  const rows = [];
  for (const benchCase of cases) {
    for (const result of benchCase.results) {
      const isOurs = result.role === "ours";
      rows.push([
        `${benchCase.group}: ${benchCase.name}`,
        `${result.system}${result.role === "ceiling" ? " (ceiling)" : result.role === "reference" ? " (reference)" : ""}`,
        result.skipped ? `skipped: ${result.skipped}` : formatRate(result.median, benchCase.unit),
        result.skipped ? "" : `${formatRate(result.min, benchCase.unit)}–${formatRate(result.max, benchCase.unit)}`,
        isOurs && benchCase.ratios.oursToBestPeer !== undefined ? `${benchCase.ratios.oursToBestPeer.toFixed(2)}×` : "",
        isOurs && benchCase.ratios.oursToCeiling !== undefined ? `${(benchCase.ratios.oursToCeiling * 100).toFixed(0)}%` : "",
        isOurs && benchCase.ratios.oursToReference !== undefined ? `${benchCase.ratios.oursToReference.toFixed(2)}×` : "",
        isOurs ? `${benchCase.target ?? ""}${benchCase.ratios.oursToTargetPeer !== undefined ? ` (now ${benchCase.ratios.oursToTargetPeer.toFixed(2)}×)` : ""}` : "",
        ...(withRss ? [result.peakRss === undefined ? "" : `${(result.peakRss / 2 ** 20).toFixed(0)} MB`] : []),
      ]);
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((cell, column) => pad(cell, widths[column])).join("  ").trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
