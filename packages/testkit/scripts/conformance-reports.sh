#!/usr/bin/env bash
# Regenerates docs/conformance/<peer>.md from real runs of the conformance
# runner against @smtpkit/server, Postfix (default and strict), aiosmtpd,
# smtp-server and Exim, with the fixed seeds of
# packages/testkit/test/peers-conformance-harness.ts.
#
# The same integration tests run in CI without writing; here they also write
# the pages from the run they make, and still fail when a peer's findings are
# not the ones docs/conformance/README.md records. Needs the peers of
# docs/interop.md (as root for Postfix and Exim). Takes about a minute and a half.
set -euo pipefail
cd "$(dirname "$0")/../../.."
npx tsc -b packages/testkit packages/server packages/interop
SMTPKIT_CONFORMANCE_REPORTS=write npx vitest run --project @smtpkit/testkit peers-conformance "$@"
