// Dovecot IMAP over a Maildir: imaplib fetches exactly the stored bytes; and
// the whole path Postfix -> Maildir -> Dovecot -> imaplib.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertLineEnds, requirePeer, sendWithRawClient, startDovecot, startPostfix } from "@smtpkit/interop";
import { ENVELOPE, stopAndCheck, TEST_MESSAGE } from "./support.js";

describe.skipIf(!requirePeer("dovecot"))("Dovecot peer", () => {
  it("serves a root-owned 0600 Maildir file byte for byte to imaplib", async () => {
    const maildir = mkdtempSync(join(tmpdir(), "interop-test-maildir-"));
    try {
      for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(maildir, sub), { mode: 0o700 });
      writeFileSync(join(maildir, "new", "1795000000.M1P1.server.example.test"), TEST_MESSAGE, { mode: 0o600 });
      chmodSync(maildir, 0o700);
      const dovecot = await startDovecot({ maildir });
      try {
        const fetched = await dovecot.fetch(1);
        expect(fetched.count).toBe(1);
        expect(fetched.data.equals(TEST_MESSAGE)).toBe(true);
      } finally {
        await stopAndCheck(dovecot);
      }
    } finally {
      rmSync(maildir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!requirePeer("dovecot", "postfix"))("Postfix -> Dovecot", () => {
  it("retrieves what Postfix delivered, with CRLF line ends restored", async () => {
    const postfix = await startPostfix();
    try {
      await sendWithRawClient({ port: postfix.port, ...ENVELOPE, message: TEST_MESSAGE });
      const [stored] = await postfix.waitForMessages(1);
      const dovecot = await startDovecot({ maildir: postfix.maildir, password: "pw" });
      try {
        const fetched = await dovecot.fetch(1);
        expect(fetched.data.equals(convertLineEnds(stored!.data, "crlf"))).toBe(true);
      } finally {
        await stopAndCheck(dovecot);
      }
    } finally {
      await stopAndCheck(postfix);
    }
  });
});
