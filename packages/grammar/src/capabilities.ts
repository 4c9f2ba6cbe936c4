/**
 * The EHLO capability set (RFC 5321 §4.1.1.1, §4.1.4): what a server offers
 * and a client learns, keyword by keyword, with the parameters each
 * extension adds to MAIL and RCPT.
 *
 * @module
 */
import { asciiUpper, is, LDH, LET_DIG } from "./ascii.js";
import { GrammarError } from "./errors.js";

/** RFC 5321 ehlo-keyword: (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
function isEhloKeyword(text: string): boolean {
  if (text.length === 0 || !is(text.charCodeAt(0), LET_DIG)) return false;
  for (let i = 1; i < text.length; i += 1) if (!is(text.charCodeAt(i), LDH)) return false;
  return true;
}

/** RFC 5321 ehlo-param: 1*(%d33-126). */
function isEhloParam(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/**
 * Which EHLO keyword enables which MAIL/RCPT parameter. A parameter whose
 * extension was not offered is answered with `ParametersNotRecognized`
 * (555, RFC 5321 §4.1.1.11).
 */
const parameterExtension: ReadonlyMap<string, string> = new Map([
  ["SIZE", "SIZE"], // RFC 1870
  ["SMTPUTF8", "SMTPUTF8"], // RFC 6531
  ["AUTH", "AUTH"], // RFC 4954 §5
  ["RET", "DSN"], // RFC 3461
  ["ENVID", "DSN"],
  ["NOTIFY", "DSN"],
  ["ORCPT", "DSN"],
  ["REQUIRETLS", "REQUIRETLS"], // RFC 8689
  ["MT-PRIORITY", "MT-PRIORITY"], // RFC 6710
  ["BY", "DELIVERBY"], // RFC 2852
  ["HOLDFOR", "FUTURERELEASE"], // RFC 4865
  ["HOLDUNTIL", "FUTURERELEASE"],
  ["RRVS", "RRVS"], // RFC 7293
]);

/**
 * An immutable set of EHLO capabilities: keyword (upper case) to parameters.
 * Servers build one to advertise; clients parse one from the EHLO reply.
 * The command parser takes one to refuse parameters of extensions that were
 * not offered.
 *
 * @example
 * ```ts
 * import { CapabilitySet } from "@smtpkit/grammar";
 * const caps = CapabilitySet.of({ PIPELINING: [], SIZE: ["10485760"], AUTH: ["PLAIN", "LOGIN"] });
 * caps.has("pipelining");   // true
 * caps.maxSize;             // 10485760
 * caps.toLines();           // ["PIPELINING", "SIZE 10485760", "AUTH PLAIN LOGIN"]
 * ```
 */
export class CapabilitySet {
  readonly #entries: ReadonlyMap<string, readonly string[]>;

  private constructor(entries: ReadonlyMap<string, readonly string[]>) {
    this.#entries = entries;
  }

  /** The empty set. */
  static readonly empty: CapabilitySet = new CapabilitySet(new Map());

  /**
   * Builds a set from keywords and their parameters.
   *
   * @param entries - keyword to parameters (`[]` or `true` for none)
   * @returns the set, in the order given
   * @throws {@link GrammarError} (`invalid-argument`) for a keyword or parameter RFC 5321 does not allow
   * @example
   * ```ts
   * CapabilitySet.of({ "8BITMIME": true, SMTPUTF8: true }).keywords; // ["8BITMIME", "SMTPUTF8"]
   * ```
   */
  static of(
    entries: Readonly<Record<string, readonly string[] | true>> | Iterable<readonly [string, readonly string[]]>,
  ): CapabilitySet {
    const list: Iterable<readonly [string, readonly string[] | true]> =
      Symbol.iterator in entries
        ? (entries as Iterable<readonly [string, readonly string[]]>)
        : Object.entries(entries as Readonly<Record<string, readonly string[] | true>>);
    const map = new Map<string, readonly string[]>();
    for (const [keyword, params] of list) {
      const parameters = params === true ? [] : [...params];
      if (!isEhloKeyword(keyword)) throw new GrammarError("invalid-argument", `Not an EHLO keyword: ${JSON.stringify(keyword)}`);
      for (const param of parameters) {
        if (!isEhloParam(param)) throw new GrammarError("invalid-argument", `Not an EHLO parameter: ${JSON.stringify(param)}`);
      }
      map.set(asciiUpper(keyword), Object.freeze(parameters));
    }
    return new CapabilitySet(map);
  }

  /**
   * Reads the capability lines of an EHLO reply (every line after the
   * first). Lines that are not `keyword *(SP param)` are skipped, as a client
   * must not fail on a server's oddities. The old `AUTH=MECH ...` form some
   * servers still send (pre-RFC 2554 drafts) counts as `AUTH MECH ...`.
   *
   * @param lines - the text of the reply lines after the greeting line
   * @returns the set
   * @example
   * ```ts
   * CapabilitySet.parse(["PIPELINING", "AUTH=LOGIN PLAIN"]).authMechanisms; // ["LOGIN", "PLAIN"]
   * ```
   */
  static parse(lines: readonly string[]): CapabilitySet {
    const map = new Map<string, readonly string[]>();
    // AUTH mechanisms from every AUTH and AUTH= line, merged through a Set: a
    // hostile server repeating AUTH lines must not cost quadratic time.
    let auth: Set<string> | undefined;
    for (const line of lines) {
      const words = line.split(" ").filter((word) => word !== "");
      const keyword = words[0];
      if (keyword === undefined) continue;
      const params = words.slice(1);
      const upper = asciiUpper(keyword);
      if (upper.startsWith("AUTH=") || (upper === "AUTH" && auth !== undefined)) {
        auth ??= new Set();
        for (const mechanism of [keyword.slice(5), ...params]) if (isEhloParam(mechanism)) auth.add(mechanism);
        if (!map.has("AUTH")) map.set("AUTH", []);
        continue;
      }
      if (!isEhloKeyword(keyword) || !params.every(isEhloParam)) continue;
      if (upper === "AUTH") auth = new Set(params);
      if (!map.has(upper)) map.set(upper, Object.freeze(params));
    }
    if (auth !== undefined) map.set("AUTH", Object.freeze([...auth]));
    return new CapabilitySet(map);
  }

  /**
   * Whether the keyword is in the set (case-insensitive).
   *
   * @param keyword - an EHLO keyword
   * @returns whether it was offered
   */
  has(keyword: string): boolean {
    return this.#entries.has(asciiUpper(keyword));
  }

  /**
   * The parameters of a keyword.
   *
   * @param keyword - an EHLO keyword (any case)
   * @returns its parameters, or `undefined` when it is not in the set
   */
  get(keyword: string): readonly string[] | undefined {
    return this.#entries.get(asciiUpper(keyword));
  }

  /** Every keyword, upper-cased, in order. */
  get keywords(): readonly string[] {
    return [...this.#entries.keys()];
  }

  /** The number of keywords. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The `SIZE` limit (RFC 1870 §4) in octets: `0` means no fixed maximum;
   * `undefined` when SIZE is absent or its parameter is not a number.
   */
  get maxSize(): number | undefined {
    const params = this.#entries.get("SIZE");
    if (params === undefined) return undefined;
    const value = params[0];
    if (value === undefined) return 0;
    return /^[0-9]{1,20}$/.test(value) ? Number(value) : undefined;
  }

  /** The SASL mechanisms of `AUTH` (RFC 4954 §3), upper-cased; empty when AUTH is absent. */
  get authMechanisms(): readonly string[] {
    return (this.#entries.get("AUTH") ?? []).map(asciiUpper);
  }

  /**
   * The LIMITS values (RFC 9422 §3): the most recipients per transaction
   * (`RCPTMAX`), transactions per connection (`MAILMAX`) and recipient
   * domains per transaction (`RCPTDOMAINMAX`); each absent when not announced.
   * `undefined` when LIMITS is absent.
   */
  get limits(): { readonly rcptMax?: number; readonly mailMax?: number; readonly rcptDomainMax?: number } | undefined {
    const params = this.#entries.get("LIMITS");
    if (params === undefined) return undefined;
    const names: Readonly<Record<string, "rcptMax" | "mailMax" | "rcptDomainMax">> = {
      RCPTMAX: "rcptMax",
      MAILMAX: "mailMax",
      RCPTDOMAINMAX: "rcptDomainMax",
    };
    const out: { rcptMax?: number; mailMax?: number; rcptDomainMax?: number } = {};
    for (const param of params) {
      const eq = param.indexOf("=");
      const name = names[asciiUpper(param.slice(0, eq))];
      const value = param.slice(eq + 1);
      // RFC 9422 §3: limit-value = 1*9DIGIT; unknown or malformed limits are ignored.
      if (eq > 0 && name !== undefined && /^[0-9]{1,9}$/.test(value) && out[name] === undefined) out[name] = Number(value);
    }
    return out;
  }

  /**
   * The attributes an XCLIENT (Postfix) or XFORWARD server accepts, upper-cased;
   * empty when the keyword is absent.
   *
   * @param keyword - `XCLIENT` or `XFORWARD`
   * @returns the attribute names
   */
  attributes(keyword: "XCLIENT" | "XFORWARD"): readonly string[] {
    return (this.#entries.get(keyword) ?? []).map(asciiUpper);
  }

  /**
   * FUTURERELEASE's bounds (RFC 4865 §4): the longest hold in seconds and the
   * latest release time; `undefined` when not offered.
   */
  get futureRelease(): { readonly maxInterval: number; readonly maxDateTime: string } | undefined {
    const params = this.#entries.get("FUTURERELEASE");
    if (params === undefined || params.length < 2 || !/^[0-9]{1,9}$/.test(params[0] as string)) return undefined;
    return { maxInterval: Number(params[0]), maxDateTime: params[1] as string };
  }

  /** DELIVERBY's minimum time in seconds (RFC 2852 §4); 0 when none is given; `undefined` when not offered. */
  get deliverByMinimum(): number | undefined {
    const params = this.#entries.get("DELIVERBY");
    if (params === undefined) return undefined;
    const value = params[0];
    return value !== undefined && /^[0-9]{1,9}$/.test(value) ? Number(value) : 0;
  }

  /**
   * A copy with the keyword added or replaced.
   *
   * @param keyword - an EHLO keyword
   * @param params - its parameters
   * @returns the new set
   */
  with(keyword: string, params: readonly string[] = []): CapabilitySet {
    const added = CapabilitySet.of([[keyword, params]]);
    const map = new Map(this.#entries);
    for (const [key, value] of added.#entries) map.set(key, value);
    return new CapabilitySet(map);
  }

  /**
   * A copy without the keyword (for example without STARTTLS once TLS is
   * active, RFC 3207 §4.2).
   *
   * @param keyword - an EHLO keyword
   * @returns the new set
   */
  without(keyword: string): CapabilitySet {
    const map = new Map(this.#entries);
    map.delete(asciiUpper(keyword));
    return new CapabilitySet(map);
  }

  /**
   * Whether a MAIL or RCPT parameter is allowed by the extensions in this set.
   * `BODY=8BITMIME` needs 8BITMIME, `BODY=BINARYMIME` needs BINARYMIME (and
   * CHUNKING, RFC 3030 §3), `BODY=7BIT` either.
   *
   * @param keyword - the parameter keyword (any case)
   * @param value - its value, which matters only for BODY
   * @returns whether a server with this set may accept it
   * @example
   * ```ts
   * CapabilitySet.of({ DSN: true }).allowsParameter("NOTIFY"); // true
   * CapabilitySet.of({ DSN: true }).allowsParameter("SIZE");   // false
   * ```
   */
  allowsParameter(keyword: string, value?: string): boolean {
    const upper = asciiUpper(keyword);
    if (upper === "BODY") {
      const body = value === undefined ? "" : asciiUpper(value);
      if (body === "BINARYMIME") return this.#entries.has("BINARYMIME") && this.#entries.has("CHUNKING");
      if (body === "8BITMIME") return this.#entries.has("8BITMIME");
      return this.#entries.has("8BITMIME") || this.#entries.has("BINARYMIME");
    }
    const extension = parameterExtension.get(upper);
    return extension !== undefined && this.#entries.has(extension);
  }

  /**
   * The capability lines of an EHLO reply, in order.
   *
   * @returns one `keyword *(SP param)` string per keyword
   */
  toLines(): string[] {
    return [...this.#entries].map(([keyword, params]) => (params.length === 0 ? keyword : `${keyword} ${params.join(" ")}`));
  }
}
