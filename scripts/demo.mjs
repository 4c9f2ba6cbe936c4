#!/usr/bin/env node
// The Quick start's first command ends here: a short tour of @smtpkit/codes,
// run from the built package exactly as a user would import it.
import {
  describeEnhancedStatus,
  describeReply,
  formatSituation,
  repliesFor,
  Situations,
} from "@smtpkit/codes";

const line = (label, value) => console.log(`  ${label.padEnd(34)} ${value}`);

console.log("smtpkit: SMTP and MIME for TypeScript\n");
console.log("Reply codes (RFC 5321 §4.2):");
for (const code of [250, 354, 421, 550, 510]) {
  const reply = describeReply(code);
  const alternative = reply.standard ? "" : `  (non-standard; send ${reply.standardAlternative} ${reply.enhancedAlternative} instead)`;
  line(`describeReply(${code})`, `${reply.class}, ${reply.text}${alternative}`);
}
console.log("\nEnhanced status codes (RFC 3463, IANA registry):");
for (const code of ["5.7.1", "4.2.2", "5.7.30"]) {
  const status = describeEnhancedStatus(code);
  line(`describeEnhancedStatus("${code}")`, `${status?.title} [${status?.reference}]`);
}
console.log("\nWhich replies a command may get (RFC 5321 §4.3.2):");
const data = repliesFor("DATA");
line('repliesFor("DATA")', `354, then ${data?.afterContent?.success.join("/")} or ${data?.afterContent?.failure.join("/")}`);
line('repliesFor("RCPT").success', repliesFor("RCPT")?.success.join(", "));
console.log("\nCanonical replies:");
for (const situation of [Situations.BadSequence, Situations.MessageTooBig, Situations.RelayDenied]) {
  line(`Situations.${situation.name}`, formatSituation(situation));
}
