#!/usr/bin/env node
// The Maildir store against the durable floor of this disk, interleaved in one
// process: `node bench/maildir-floor.mjs [messages] [parallel] [rounds]`.
//
// The floor is the least a store can do and still answer 250 only for a
// message that survives a crash: open a new file, write it, fsync it, close
// it, rename it into new/, fsync new/. The store does that plus its checks,
// its Return-Path, and its bookkeeping. The SMTP server suite compares the
// store with peers that keep nothing (smtp-server, aiosmtpd, smtp-sink
// discard every message), so there the two fsyncs per message dominate; this
// tool shows how close the store comes to what the disk allows.
//
// Not part of `pnpm bench`: it measures the disk as much as the code. Build
// @smtpkit/server first (`npx tsc -b packages/server`).
import { constants, mkdtempSync, rmSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openMaildirStore } from "@smtpkit/server";
import { summarize } from "./lib/harness.mjs";

const [messages = 400, parallel = 1, rounds = 5] = process.argv.slice(2).map(Number);
const body = new Uint8Array(1100).fill(0x78);
const head = new TextEncoder().encode("Return-Path: <a@b.test>\r\nReceived: from x by y; Sun, 29 Nov 2026 12:00:00 +0000\r\n");

async function syncDirectory(directory) {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const root = mkdtempSync(path.join(os.tmpdir(), "smtpkit-maildir-floor-"));
try {
  const store = await openMaildirStore({ root, hostname: "bench" });
  const mailbox = path.join(root, "example.test", "bench");
  let counter = 0;
  const systems = {
    "@smtpkit/server Maildir store": async () => {
      const result = await store.deliver({
        recipients: [{ localPart: "bench", domain: "example.test" }],
        reversePath: "a@b.test",
        traceHeaders: "Received: from x by y; Sun, 29 Nov 2026 12:00:00 +0000\r\n",
        content: (async function* () {
          yield body;
        })(),
      });
      if (!result.ok) throw result.cause ?? new Error(result.reason);
    },
    "durable floor (open, write, fsync, close, rename, fsync new/)": async () => {
      const name = `floor.${process.pid}.${(counter += 1)}`;
      const temporary = path.join(mailbox, "tmp", name);
      const file = await open(temporary, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      const bytes = new Uint8Array(head.length + body.length);
      bytes.set(head, 0);
      bytes.set(body, head.length);
      await file.write(bytes);
      await file.sync();
      await file.close();
      await rename(temporary, path.join(mailbox, "new", name));
      await syncDirectory(path.join(mailbox, "new"));
    },
  };
  // The first delivery makes the mailbox; both systems then write into it.
  await systems["@smtpkit/server Maildir store"]();
  const samples = Object.fromEntries(Object.keys(systems).map((name) => [name, []]));
  const names = Object.keys(systems);
  for (let round = 0; round < rounds; round += 1) {
    const order = names.slice(round % names.length).concat(names.slice(0, round % names.length));
    for (const name of order) {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          for (let index = 0; index < messages / parallel; index += 1) await systems[name]();
        }),
      );
      samples[name].push(messages / ((performance.now() - started) / 1000));
    }
  }
  const [storeName, floorName] = names;
  const storeSummary = summarize(samples[storeName]);
  const floorSummary = summarize(samples[floorName]);
  console.log(`${messages} messages of 1 KB, ${parallel} at a time, ${rounds} interleaved rounds (medians, min–max)`);
  for (const name of names) {
    const { median, min, max } = summarize(samples[name]);
    console.log(`${name.padEnd(62)} ${median.toFixed(0).padStart(6)} msg/s  ${min.toFixed(0)}–${max.toFixed(0)}`);
  }
  console.log(`store / floor: ${(storeSummary.median / floorSummary.median).toFixed(2)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
