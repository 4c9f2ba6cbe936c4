/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677), client side.
 * The client nonce comes from the embedder. The client checks the server's
 * nonce, bounds the iteration count (a hostile server could otherwise ask
 * for hours of PBKDF2), and insists on the server's signature: a 235 without
 * a verified `v=` is a failure (RFC 5802 §5.1: the server must prove it
 * knows the password too).
 *
 * @module
 */
import { concatBytes, constantTimeEqual, decodeBase64, decodeUtf8, encodeBase64, utf8, xorBytes } from "./bytes.js";
import type { SaslChannelBinding } from "./channel-binding.js";
import { ClientMechanism } from "./client-mechanism.js";
import type { SaslLimits } from "./limits.js";
import type { SaslCrypto } from "./sasl-crypto.js";
import { deriveScramKeys } from "./scram-keys.js";
import { encodeSaslName, formatGs2Header, parseServerFinal, parseServerFirst } from "./scram-messages.js";
import type { SaslClientFailure, SaslClientResponse, SaslClientSuccess, SaslClientWait } from "./client-types.js";

/** What the SCRAM client is built from; everything already checked and prepared. */
export interface ScramClientInput {
  readonly name: "SCRAM-SHA-256" | "SCRAM-SHA-256-PLUS";
  readonly limits: SaslLimits;
  readonly crypto: SaslCrypto;
  /** The user name after SASLprep. */
  readonly username: string;
  /** The password after SASLprep, UTF-8 encoded. */
  readonly password: Uint8Array;
  readonly authorizationIdentity: string | undefined;
  readonly nonce: string;
  /** Required for -PLUS; for the plain mechanism its presence sets the "y" flag. */
  readonly channelBinding: SaslChannelBinding | undefined;
}

type Phase = "client-first" | "server-first" | "server-final" | "verified";

/** SCRAM-SHA-256's and SCRAM-SHA-256-PLUS's client side. */
export class ScramClient extends ClientMechanism {
  readonly #input: ScramClientInput;
  readonly #gs2Header: string;
  readonly #clientFirstBare: string;
  #phase: Phase = "client-first";
  #expectedServerSignature: Uint8Array | undefined;

  /**
   * @param input - the checked inputs
   */
  constructor(input: ScramClientInput) {
    super(input.name, input.limits);
    this.#input = input;
    // RFC 5802 §6: "p" when binding; "y" when the client could bind but
    // the server did not offer -PLUS; "n" when the client cannot bind.
    const flag = input.name === "SCRAM-SHA-256-PLUS" ? "p" : input.channelBinding === undefined ? "n" : "y";
    this.#gs2Header = formatGs2Header(flag, input.channelBinding?.type, input.authorizationIdentity);
    this.#clientFirstBare = `n=${encodeSaslName(input.username)},r=${input.nonce}`;
  }

  protected onStart(initialResponseAllowed: boolean): SaslClientResponse | SaslClientWait {
    if (!initialResponseAllowed) return this.wait();
    return this.clientFirst();
  }

  private clientFirst(): SaslClientResponse {
    this.#phase = "server-first";
    return this.response(utf8(this.#gs2Header + this.#clientFirstBare));
  }

  protected onChallenge(challenge: Uint8Array): SaslClientResponse | SaslClientFailure {
    switch (this.#phase) {
      case "client-first":
        return this.clientFirst();
      case "server-first":
        return this.serverFirst(challenge);
      case "server-final":
        return this.serverFinal(challenge);
      case "verified":
        return this.fail("unexpected-challenge");
    }
  }

  private serverFirst(challenge: Uint8Array): SaslClientResponse | SaslClientFailure {
    const input = this.#input;
    const text = decodeUtf8(challenge);
    if (text === undefined) return this.fail("malformed-challenge");
    const parsed = parseServerFirst(text);
    if (!parsed.ok) {
      if (parsed.failure === "server-error") return this.fail("server-error", printable(parsed.serverError));
      return this.fail(parsed.failure === "mandatory-extension" ? "unsupported-extension" : "malformed-challenge");
    }
    // RFC 5802 §5.1: the server's nonce starts with the client's and adds to it.
    if (!parsed.nonce.startsWith(input.nonce) || parsed.nonce.length === input.nonce.length) return this.fail("nonce-mismatch");
    const salt = decodeBase64(parsed.salt);
    if (salt === undefined || salt.length === 0) return this.fail("malformed-challenge");
    if (parsed.iterations < input.limits.minIterations) return this.fail("iteration-count-too-low");
    if (parsed.iterations > input.limits.maxIterations) return this.fail("iteration-count-too-high");
    // RFC 5802 §3.
    const { crypto } = input;
    const saltedPassword = crypto.pbkdf2Sha256(input.password, salt, parsed.iterations, 32);
    const { clientKey, storedKey, serverKey } = deriveScramKeys(crypto, saltedPassword);
    const bindingInput =
      input.name === "SCRAM-SHA-256-PLUS" ? concatBytes(utf8(this.#gs2Header), input.channelBinding!.data) : utf8(this.#gs2Header);
    const withoutProof = `c=${encodeBase64(bindingInput)},r=${parsed.nonce}`;
    const authMessage = utf8(`${this.#clientFirstBare},${text},${withoutProof}`);
    const clientProof = xorBytes(clientKey, crypto.hmacSha256(storedKey, authMessage));
    this.#expectedServerSignature = crypto.hmacSha256(serverKey, authMessage);
    this.#phase = "server-final";
    return this.response(utf8(`${withoutProof},p=${encodeBase64(clientProof)}`));
  }

  private serverFinal(challenge: Uint8Array): SaslClientResponse | SaslClientFailure {
    const text = decodeUtf8(challenge);
    if (text === undefined) return this.fail("malformed-challenge");
    const parsed = parseServerFinal(text);
    if (!parsed.ok) {
      return parsed.failure === "server-error" ? this.fail("server-error", printable(parsed.serverError)) : this.fail("malformed-challenge");
    }
    const signature = decodeBase64(parsed.verifier);
    if (signature === undefined || !constantTimeEqual(signature, this.#expectedServerSignature!)) return this.fail("server-signature-mismatch");
    this.#phase = "verified";
    // RFC 4954 §4 has no "additional data with success": the server-final
    // message arrives as a challenge and is answered with an empty response.
    return this.response(new Uint8Array(0));
  }

  protected override onSuccess(): SaslClientSuccess | SaslClientFailure {
    if (this.#phase !== "verified") return this.fail("server-signature-missing");
    return { type: "success", mechanism: this.name };
  }
}

/** Keeps only printable ASCII of a server-provided error value, so logs stay clean. */
function printable(value: string | undefined): string {
  return (value ?? "").replace(/[^\x20-\x7e]/g, "?");
}
