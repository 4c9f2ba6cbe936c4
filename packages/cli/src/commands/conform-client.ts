/**
 * `smtpkit conform-client`: the client conformance server of
 * `@smtpkit/testkit` at the terminal. It listens on a loopback port and plays
 * one misbehaviour per connection, in a known order (a greeting of 421, a
 * STARTTLS refused or answered with an injected reply, replies with mixed
 * codes, cut short, one octet at a time or without end, a close in the middle
 * of the data, a server that never answers...), while the user runs the
 * client under test against it once per case. Then it prints a verdict per
 * case: pass, fail (with the rule, its RFC section and the transcript) or not
 * applicable.
 *
 * Exit code 0 when no case failed, 1 when one did, 2 when the run could not
 * be made (bad arguments, the port taken).
 *
 * Does not: run the client itself (the library's `runClientConformance` with
 * `runClient` does), or listen anywhere but where it is told.
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import {
  CLIENT_CASE_IDS,
  CLIENT_CONFORMANCE_CASES,
  CLIENT_CONFORMANCE_DEFAULT_CASE_TIMEOUT,
  CLIENT_CONFORMANCE_DEFAULT_SILENT_TIMEOUT,
  formatClientConformanceReport,
  runClientConformance,
  TestkitError,
  type ClientCaseId,
} from "@smtpkit/testkit";
import { InvalidArgumentError, type Command } from "commander";
import { CliError } from "../cli-error.js";
import { raiseExitCode, runCommand, writeJson, type CommandContext, type CommandModule } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";

/** Where `smtpkit conform-client` listens by default: beside `smtpkit serve`'s 2525. */
export const DEFAULT_CONFORM_CLIENT_LISTEN = "127.0.0.1:2526";

interface ConformClientOptions {
  readonly listen?: { readonly host: string; readonly port: number };
  readonly cases?: readonly ClientCaseId[];
  readonly requiresTls?: boolean;
  readonly json?: boolean;
  readonly junit?: string;
  readonly caseTimeout?: number;
  readonly silentTimeout?: number;
  readonly wait?: number;
  readonly listCases?: boolean;
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):([0-9]{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) throw new InvalidArgumentError("expected host:port, e.g. 127.0.0.1:2526 or [::1]:2526 (port 0: any free port).");
  const host = (match[1] as string).replace(/^\[|\]$/g, "");
  return { host, port };
}

function parseCases(value: string): ClientCaseId[] {
  const names = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = names.filter((name) => !CLIENT_CASE_IDS.includes(name as ClientCaseId));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown case ${unknown.join(", ") || "(none given)"}; the cases are: ${CLIENT_CASE_IDS.join(", ")}.`);
  }
  return names as ClientCaseId[];
}

function parseMilliseconds(value: string): number {
  if (!/^[0-9]{1,7}$/.test(value) || Number(value) < 1 || Number(value) > 3_600_000) throw new InvalidArgumentError("a time in milliseconds, from 1 to 3600000.");
  return Number(value);
}

const examples = `
Examples:
  $ smtpkit conform-client --listen 127.0.0.1:2526 --requires-tls
      then, once per case, in another terminal:
  $ swaks --server 127.0.0.1:2526 --tls --from a@example.test --to b@example.test
  $ smtpkit conform-client --cases baseline,starttls-injection --json
  $ smtpkit conform-client --list-cases

Connection N gets case N; each case waits for its connection. --requires-tls says your client is set
to require STARTTLS (then the STARTTLS cases apply). The server presents a public self-signed test
certificate: turn certificate checks off in the client, or trust it.
Exit codes: 0 no case failed, 1 a case failed, 2 the run could not be made.`;

/** `smtpkit conform-client`. */
export const conformClientCommand: CommandModule = {
  name: "conform-client",
  register(program: Command, context: CommandContext): void {
    program
      .command("conform-client")
      .description("play a misbehaving SMTP server, one case per connection, and judge the client that connects")
      .option("--listen <host:port>", `where to listen (default ${DEFAULT_CONFORM_CLIENT_LISTEN})`, parseListen)
      .option("--cases <names>", "the cases to play, comma-separated, in this order (default: all)", parseCases)
      .option("--requires-tls", "the client under test requires STARTTLS: judge the STARTTLS cases")
      .option("--json", "print the report as JSON")
      .option("--junit <file>", "also write the report as JUnit XML to a file")
      .option("--case-timeout <ms>", `time for each case (default ${CLIENT_CONFORMANCE_DEFAULT_CASE_TIMEOUT})`, parseMilliseconds)
      .option("--silent-timeout <ms>", `time for the never-answers case (default ${CLIENT_CONFORMANCE_DEFAULT_SILENT_TIMEOUT}, above RFC 5321's 5 minutes)`, parseMilliseconds)
      .option("--wait <ms>", "give up when no client connects for a case within this time (default: wait; set it in CI)", parseMilliseconds)
      .option("--list-cases", "list the cases and exit")
      .addHelpText("after", examples)
      .action(async (options: ConformClientOptions) => {
        const json = options.json === true;
        await runCommand(context, json, async () => {
          if (options.listCases === true) {
            if (json) writeJson(context, CLIENT_CONFORMANCE_CASES);
            else for (const c of CLIENT_CONFORMANCE_CASES) context.io.stdout.write(`${c.id}\n  server: ${c.misbehaviour}\n  client: ${c.expected} (${c.rfc})\n`);
            return;
          }
          const timeouts = {
            ...(options.caseTimeout === undefined ? {} : { case: options.caseTimeout }),
            ...(options.silentTimeout === undefined ? {} : { silent: options.silentTimeout }),
            ...(options.wait === undefined ? {} : { arrival: options.wait }),
          };
          const note = (text: string): void => {
            context.io.stderr.write(`${text}\n`);
          };
          // The default is applied here, not as commander's default value, which --help would print a second time as JSON.
          const listen = options.listen ?? parseListen(DEFAULT_CONFORM_CLIENT_LISTEN);
          let report;
          try {
            report = await runClientConformance({
              listen,
              ...(options.cases === undefined ? {} : { cases: options.cases }),
              requiresTls: options.requiresTls === true,
              timeouts,
              onListening: ({ host, port }) => note(`listening on ${host.includes(":") ? `[${host}]` : host}:${port}`),
              onCase: (target) => note(`case ${target.index + 1}/${target.total}: ${target.caseId}: connect your client and send one message`),
            });
          } catch (error) {
            if (TestkitError.isInstance(error)) throw new CliError(error.message, ExitCode.Usage);
            const code = (error as { code?: unknown }).code;
            if (typeof code === "string") throw new CliError(`cannot listen on ${listen.host}:${listen.port}: ${code}`, ExitCode.Usage);
            throw error;
          }
          if (options.junit !== undefined) {
            try {
              await writeFile(options.junit, formatClientConformanceReport(report, "junit"));
            } catch (error) {
              throw new CliError(`cannot write ${options.junit}: ${(error as Error).message}`, ExitCode.Usage);
            }
          }
          context.io.stdout.write(formatClientConformanceReport(report, json ? "json" : "text"));
          if (report.summary.fail > 0) raiseExitCode(context, ExitCode.Finding);
          // Nothing was judged: the run could not be made.
          else if (report.cases.every((entry) => entry.end === "no-connection")) {
            throw new CliError(`no client connected within ${String(options.wait)} ms: nothing was judged`, ExitCode.Usage);
          }
        });
      });
  },
};
