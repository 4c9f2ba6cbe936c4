#!/usr/bin/env node
/**
 * The `smtpkit` executable: runs the program on the process's command line
 * and sets the exit code (without `process.exit`, so piped output is not cut).
 *
 * @module
 */
import process from "node:process";
import { run } from "./program.js";

// `smtpkit parse big.eml | head` closes the pipe early: that is the reader's
// choice, not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2));
