// Writes docs/session-states.md from the built package's transition table.
// Run after `npx tsc -b packages/session`:  node packages/session/scripts/write-state-diagram.mjs
// A test checks that the committed file equals `stateDiagramDocument()`.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stateDiagramDocument } from "../dist/index.js";

const target = fileURLToPath(new URL("../../../docs/session-states.md", import.meta.url));
writeFileSync(target, stateDiagramDocument());
console.log(`wrote ${target}`);
