/**
 * How `smtpkit serve --submission` finds the next hop for relayed mail, and
 * the option parsers of its queue flags.
 *
 * - Production: MX look-up in real DNS (RFC 5321 §5.1), port 25.
 * - `--relay-host host[:port]`: every relayed message goes to one smarthost
 *   instead (Postfix's `relayhost`), port 25 unless given.
 * - `--mx-map domain=address:port` (repeatable): for tests and development
 *   only, a domain's mail goes to a fixed address and port, with no DNS at
 *   all. Two mappings to one address must share its port (use 127.0.0.2,
 *   127.0.0.3… for more servers on one machine: Linux answers on all of 127/8).
 *
 * Does not: authenticate to a smarthost, or cache DNS answers.
 *
 * @module
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { connect, type ConnectOptions, type MxLookup, type MxResolution, type SmtpClient } from "@smtpkit/client";
import { Situations } from "@smtpkit/codes";
import { InvalidArgumentError } from "commander";

/** One `--mx-map` entry. */
export interface MxMapping {
  /** The recipient domain, lower case. */
  readonly domain: string;
  /** The IP address its mail goes to. */
  readonly address: string;
  /** The port there. */
  readonly port: number;
}

/** The SMTP relay port (RFC 5321 §4.5.4; what MX hosts listen on). */
export const SMTP_RELAY_PORT = 25;

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration a flag accepts: 60 days (RFC 5321 §4.5.4.1 suggests giving up after 4–5 days). */
export const MAX_DURATION_MILLISECONDS = 60 * 86_400_000;

/**
 * A duration: a number and a unit, `500ms`, `30s`, `15m`, `4h`, `5d`.
 *
 * @param value - the option's text
 * @returns milliseconds, from 1 to {@link MAX_DURATION_MILLISECONDS}
 * @internal
 */
export function parseDuration(value: string): number {
  const match = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(value.trim());
  const unit = match === null ? undefined : durationUnits[match[2] ?? ""];
  if (match === null || unit === undefined) throw new InvalidArgumentError("a duration is a number and a unit: ms, s, m, h or d (e.g. 30m, 5d).");
  const milliseconds = Number(match[1]) * unit;
  if (milliseconds < 1 || milliseconds > MAX_DURATION_MILLISECONDS) throw new InvalidArgumentError("a duration is from 1ms to 60d.");
  return milliseconds;
}

/**
 * A comma-separated list of durations, e.g. `30m,1h,2h,4h` (the retry schedule).
 *
 * @param value - the option's text
 * @returns the durations in milliseconds, at most 100
 * @internal
 */
export function parseDurationList(value: string): number[] {
  const items = value.split(",").map((item) => item.trim());
  if (items.length === 0 || items.length > 100 || items.some((item) => item === "")) throw new InvalidArgumentError("a list of 1 to 100 durations, e.g. 30m,1h,2h.");
  return items.map(parseDuration);
}

/**
 * A duration, or `off`.
 *
 * @param value - the option's text
 * @returns milliseconds, or `null` for off
 * @internal
 */
export function parseDurationOrOff(value: string): number | null {
  return value.trim().toLowerCase() === "off" ? null : parseDuration(value);
}

function parseHostPort(value: string, defaultPort: number | undefined, what: string): { host: string; port: number } {
  let host = value;
  let portText: string | undefined;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    host = close === -1 ? "" : value.slice(1, close);
    const rest = close === -1 ? "" : value.slice(close + 1);
    if (rest.startsWith(":")) portText = rest.slice(1);
    else if (rest !== "") host = "";
  } else if (value.split(":").length === 2) {
    [host, portText] = value.split(":") as [string, string];
  }
  const port = portText === undefined ? defaultPort : /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (host === "" || /[\s\0/=]/.test(host) || port === undefined || !(port >= 1 && port <= 65_535)) {
    throw new InvalidArgumentError(`${what}: expected ${defaultPort === undefined ? "address:port" : "host[:port]"}, e.g. 127.0.0.1:2526.`);
  }
  return { host, port };
}

/**
 * One `--mx-map domain=address:port`.
 *
 * @param value - the option's text
 * @param previous - the mappings so far
 * @returns the mappings with this one added
 * @internal
 */
export function collectMxMapping(value: string, previous: readonly MxMapping[]): MxMapping[] {
  const equals = value.indexOf("=");
  const domain = equals === -1 ? "" : value.slice(0, equals).trim().toLowerCase();
  if (domain === "" || !/^[a-z0-9.-]+$/.test(domain) || domain.length > 253) throw new InvalidArgumentError("expected domain=address:port, e.g. example.org=127.0.0.1:2526.");
  const { host, port } = parseHostPort(value.slice(equals + 1).trim(), undefined, "--mx-map");
  if (isIP(host) === 0) throw new InvalidArgumentError("--mx-map maps to an IP address (it is for tests: no DNS), e.g. example.org=127.0.0.1:2526.");
  if (previous.some((mapping) => mapping.domain === domain)) throw new InvalidArgumentError(`--mx-map gives ${domain} twice.`);
  if (previous.some((mapping) => mapping.address === host && mapping.port !== port)) {
    throw new InvalidArgumentError(`--mx-map: ${host} has two ports; give each server its own loopback address (127.0.0.2, 127.0.0.3…).`);
  }
  return [...previous, { domain, address: host, port }];
}

/**
 * `--relay-host host[:port]`.
 *
 * @param value - the option's text
 * @returns host and port (25 when not given)
 * @internal
 */
export function parseRelayHost(value: string): { host: string; port: number } {
  return parseHostPort(value.trim(), SMTP_RELAY_PORT, "--relay-host");
}

function target(host: string, address: string): MxResolution {
  return { ok: true, domain: host, implicit: false, targets: [{ host, preference: 0, address, family: isIP(address) === 6 ? 6 : 4 }], temporaryErrors: 0 };
}

/**
 * The next-hop look-up of the queue: `--mx-map` entries first, then the
 * smarthost, then the fallback (real DNS).
 *
 * @param mappings - the `--mx-map` entries
 * @param relayHost - the smarthost, if any
 * @param fallback - the MX look-up for everything else
 * @returns an MX look-up
 * @internal
 */
export function createRouting(mappings: readonly MxMapping[], relayHost: { host: string; port: number } | undefined, fallback: MxLookup | undefined): {
  readonly lookup: MxLookup | undefined;
  readonly connect: (options: ConnectOptions) => Promise<SmtpClient>;
} {
  const byDomain = new Map(mappings.map((mapping) => [mapping.domain, mapping]));
  const ports = new Map(mappings.map((mapping) => [mapping.address, mapping.port]));
  let relayAddress: string | undefined;
  const lookup: MxLookup | undefined =
    mappings.length === 0 && relayHost === undefined
      ? fallback
      : {
          async resolve(domain: string): Promise<MxResolution> {
            const mapped = byDomain.get(domain.toLowerCase());
            if (mapped !== undefined) return target(`mx.${mapped.domain}`, mapped.address);
            if (relayHost !== undefined) {
              try {
                relayAddress = isIP(relayHost.host) === 0 ? (await dnsLookup(relayHost.host)).address : relayHost.host;
              } catch {
                // A smarthost that does not resolve is a temporary problem: the mail waits.
                return { ok: false, kind: "transient", reason: "dns-temporary", situation: Situations.DnsTemporaryFailure, domain };
              }
              return target(relayHost.host, relayAddress);
            }
            if (fallback !== undefined) return fallback.resolve(domain);
            return { ok: false, kind: "permanent", reason: "nxdomain", situation: Situations.BadDestinationSystem, domain };
          },
        };
  return {
    lookup,
    connect: (options) => {
      const port = ports.get(options.host) ?? (relayHost !== undefined && options.host === relayAddress ? relayHost.port : options.port);
      return connect({ ...options, ...(port === undefined ? {} : { port }) });
    },
  };
}
