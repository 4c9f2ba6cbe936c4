/**
 * The users file of `smtpkit serve --users FILE`, and the `onAuth` hook built
 * from it.
 *
 * One user per line, `name:credential`; blank lines and lines starting with
 * `#` are ignored. The credential is one of:
 *
 * - `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64
 *   fields): the stored-key verifier of RFC 5802 §3 in the text form of
 *   RFC 5803 (the form PostgreSQL also uses). Preferred: the file then holds no
 *   password, and it serves SCRAM-SHA-256, PLAIN and LOGIN. `smtpkit serve
 *   --hash-password` prints one.
 * - `{plain}<password>`: the password itself (for throw-away test setups).
 *
 * Does not: support other hash schemes (bcrypt, crypt), CRAM-MD5 (it needs the
 * plaintext secret) or OAuth tokens.
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { nodeSaslCrypto } from "@smtpkit/client";
import type { ServerHooks } from "@smtpkit/server";
import { createScramVerifier, SaslError, type ScramVerifier } from "@smtpkit/session";
import { CliError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";

/** A SCRAM-SHA-256 verifier (RFC 5802 §3): what the server keeps instead of a password. */
export type StoredVerifier = ScramVerifier;

/** One user's credential. */
export type UserCredential =
  | { readonly type: "scram"; readonly verifier: StoredVerifier }
  | { readonly type: "plain"; readonly password: string };

/** The users, by name. */
export type UsersTable = ReadonlyMap<string, UserCredential>;

/** RFC 7677 §4: at least 4096 iterations; more is better, and `--hash-password` uses this. */
export const HASH_PASSWORD_ITERATIONS = 100_000;

/** The smallest iteration count the file may hold (RFC 7677 §4), so a weak verifier is caught at start. */
export const MIN_SCRAM_ITERATIONS = 4096;

/** The largest iteration count accepted (the session's own maximum is far higher; this bounds PLAIN checks). */
export const MAX_SCRAM_ITERATIONS = 10_000_000;

const scramPrefix = "SCRAM-SHA-256$";
const plainPrefix = "{plain}";

/**
 * The SCRAM-SHA-256 verifier of a password (RFC 5802 §3).
 *
 * @param password - the password
 * @param salt - random bytes, unique per user
 * @param iterations - PBKDF2 rounds
 * @returns the verifier
 * @internal
 */
export function deriveVerifier(password: string, salt: Uint8Array, iterations: number): StoredVerifier {
  // The session's own derivation, SASLprep (RFC 4013) included, hashed by node:crypto.
  return createScramVerifier(password, salt, iterations, nodeSaslCrypto);
}

/** {@link deriveVerifier}, or `undefined` for a password SASLprep refuses (it can match no verifier). */
function verifierOrUndefined(password: string, salt: Uint8Array, iterations: number): StoredVerifier | undefined {
  try {
    return deriveVerifier(password, salt, iterations);
  } catch (error) {
    if (SaslError.isInstance(error)) return undefined;
    throw error;
  }
}

/**
 * The users-file form of a password's verifier, with a fresh 16-byte salt.
 *
 * @param password - the password
 * @returns `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
 * @internal
 */
export function formatVerifier(password: string): string {
  const verifier = verifierOrUndefined(password, randomBytes(16), HASH_PASSWORD_ITERATIONS);
  if (verifier === undefined) {
    throw new CliError("this password holds characters SASLprep (RFC 4013) prohibits; choose another", ExitCode.Usage);
  }
  const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
  return `${scramPrefix}${verifier.iterations}:${base64(verifier.salt)}$${base64(verifier.storedKey)}:${base64(verifier.serverKey)}`;
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(text, "base64"));
}

function parseVerifier(text: string): StoredVerifier | string {
  const [head, keys, extra] = text.split("$");
  if (head === undefined || keys === undefined || extra !== undefined) return "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>";
  const [iterationsText, saltText, more] = head.split(":");
  const [storedText, serverText, moreKeys] = keys.split(":");
  if (iterationsText === undefined || saltText === undefined || more !== undefined || storedText === undefined || serverText === undefined || moreKeys !== undefined) {
    return "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>";
  }
  const iterations = /^[0-9]{1,9}$/.test(iterationsText) ? Number(iterationsText) : Number.NaN;
  if (!(iterations >= MIN_SCRAM_ITERATIONS && iterations <= MAX_SCRAM_ITERATIONS)) {
    return `the iteration count must be from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS} (RFC 7677 §4)`;
  }
  const salt = decodeBase64(saltText);
  const storedKey = decodeBase64(storedText);
  const serverKey = decodeBase64(serverText);
  if (salt === undefined) return "the salt is not base64";
  if (storedKey?.length !== 32 || serverKey?.length !== 32) return "StoredKey and ServerKey must be 32 bytes in base64";
  return { salt, iterations, storedKey, serverKey };
}

/**
 * Reads a users file.
 *
 * @param text - the file's content
 * @param fileName - its name, for messages
 * @returns the users, and a warning for each plaintext password
 * @throws {@link CliError} naming the line for any malformed line or a duplicate user
 * @internal
 */
export function parseUsersFile(text: string, fileName: string): { readonly users: UsersTable; readonly plaintextUsers: readonly string[] } {
  const users = new Map<string, UserCredential>();
  const plaintextUsers: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const where = `${fileName}:${index + 1}`;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new CliError(`${where}: expected name:credential`, ExitCode.Usage);
    const name = line.slice(0, colon);
    const credential = line.slice(colon + 1);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name)) throw new CliError(`${where}: the user name has a control character`, ExitCode.Usage);
    if (users.has(name)) throw new CliError(`${where}: user ${JSON.stringify(name)} appears twice`, ExitCode.Usage);
    if (credential.startsWith(scramPrefix)) {
      const verifier = parseVerifier(credential.slice(scramPrefix.length));
      if (typeof verifier === "string") throw new CliError(`${where}: ${verifier}`, ExitCode.Usage);
      users.set(name, { type: "scram", verifier });
    } else if (credential.startsWith(plainPrefix)) {
      const password = credential.slice(plainPrefix.length);
      if (password === "") throw new CliError(`${where}: empty password`, ExitCode.Usage);
      users.set(name, { type: "plain", password });
      plaintextUsers.push(name);
    } else {
      throw new CliError(`${where}: the credential must start with SCRAM-SHA-256$ or {plain} (make one with smtpkit serve --hash-password)`, ExitCode.Usage);
    }
  }
  if (users.size === 0) throw new CliError(`${fileName}: no users`, ExitCode.Usage);
  return { users, plaintextUsers };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The `onAuth` hook for a users table: PLAIN and LOGIN passwords checked
 * against the verifier (or the plaintext, hashed before comparing so the
 * comparison takes constant time), SCRAM-SHA-256 served from the verifier.
 * An unknown user gets a decoy verifier derived from a per-run secret
 * (RFC 5802 §9), so SCRAM does not tell which users exist.
 *
 * @param users - the table
 * @returns the hook
 * @internal
 */
export function usersAuthHook(users: UsersTable): NonNullable<ServerHooks["onAuth"]> {
  const decoySecret = randomBytes(32);
  const plainVerifiers = new Map<string, StoredVerifier>();
  const decoyVerifier = (name: string): StoredVerifier => {
    const decoy = (label: string): Buffer => createHmac("sha256", decoySecret).update(`${label}\0${name}`).digest();
    return { salt: decoy("salt").subarray(0, 16), iterations: MIN_SCRAM_ITERATIONS, storedKey: decoy("stored"), serverKey: decoy("server") };
  };
  const verifierOf = (name: string, credential: UserCredential): StoredVerifier => {
    if (credential.type === "scram") return credential.verifier;
    let verifier = plainVerifiers.get(name);
    if (verifier === undefined) {
      // A plain password SASLprep refuses can never match by SCRAM: answer as for an unknown user.
      verifier = verifierOrUndefined(credential.password, randomBytes(16), MIN_SCRAM_ITERATIONS) ?? decoyVerifier(name);
      plainVerifiers.set(name, verifier);
    }
    return verifier;
  };
  return async (request) => {
    switch (request.type) {
      case "verify-password": {
        const credential = users.get(request.username);
        const password = request.password.reveal();
        if (credential === undefined) return { type: "reject" };
        if (credential.type === "plain") {
          const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
          return sameBytes(digest(password), digest(credential.password)) ? { type: "accept" } : { type: "reject" };
        }
        const { salt, iterations, storedKey } = credential.verifier;
        const derived = verifierOrUndefined(password, salt, iterations);
        return derived !== undefined && sameBytes(derived.storedKey, storedKey) ? { type: "accept" } : { type: "reject" };
      }
      case "lookup-scram-verifier": {
        const credential = users.get(request.username);
        if (credential !== undefined) return { type: "scram-verifier", verifier: verifierOf(request.username, credential) };
        return { type: "scram-verifier", verifier: decoyVerifier(request.username) };
      }
      default:
        return { type: "reject" };
    }
  };
}
