// Joins a SASL client and server in memory the way an SMTP session would
// (RFC 4954 §4): initial response, 334 challenges, embedder decisions, and
// the server-final message delivered as a challenge answered by an empty line.
import {
  createSaslClient,
  createSaslServer,
  type SaslClientOptions,
  type SaslClientStep,
  type SaslDecision,
  type SaslDecisionRequest,
  type SaslServerAttempt,
  type SaslServerOptions,
  type SaslServerStep,
} from "@smtpkit/session";

export interface ExchangeInput {
  readonly mechanism: string;
  readonly server: SaslServerOptions;
  readonly attempt: Omit<SaslServerAttempt, "initialResponse">;
  readonly client: SaslClientOptions;
  readonly decide: (request: SaslDecisionRequest) => SaslDecision;
  readonly initialResponse?: boolean;
}

export interface ExchangeResult {
  /** The server's last step. */
  readonly server: SaslServerStep | undefined;
  /** The client's last step. */
  readonly client: SaslClientStep | undefined;
  /** Every step of both sides, in order. */
  readonly steps: readonly (SaslServerStep | SaslClientStep)[];
  /** Whether both sides agree the client is authenticated. */
  readonly authenticated: boolean;
}

export function exchange(input: ExchangeInput): ExchangeResult {
  const steps: (SaslServerStep | SaslClientStep)[] = [];
  const client = createSaslClient(input.mechanism, input.client);
  const server = createSaslServer(input.server);
  const first = client.start({ initialResponse: input.initialResponse ?? true });
  steps.push(first);
  const started = server.start(input.mechanism, {
    ...input.attempt,
    ...(first.type === "response" ? { initialResponse: first.response.reveal() } : {}),
  });
  let step: SaslServerStep = started.step;
  const mechanism = started.mechanism;
  for (let round = 0; round < 20; round++) {
    steps.push(step);
    if (mechanism === undefined || step.type === "failure") {
      return { server: step, client: steps.findLast((entry) => "response" in entry || entry.type === "wait") as SaslClientStep, steps, authenticated: false };
    }
    if (step.type === "decision") {
      step = mechanism.decide(input.decide(step.request));
      continue;
    }
    if (step.type === "challenge") {
      const answer = client.respond(step.challenge);
      steps.push(answer);
      if (answer.type === "failure") return { server: step, client: answer, steps, authenticated: false };
      step = mechanism.respond(answer.response.reveal());
      continue;
    }
    // success
    if (step.additionalData !== undefined) {
      const answer = client.respond(step.additionalData);
      steps.push(answer);
      if (answer.type === "failure") return { server: step, client: answer, steps, authenticated: false };
      if (answer.response.reveal().length !== 0) throw new Error("the client must answer the server-final message with an empty response");
    }
    const outcome = client.succeeded();
    steps.push(outcome);
    return { server: step, client: outcome, steps, authenticated: outcome.type === "success" };
  }
  throw new Error("the exchange did not end within 20 rounds");
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);
export const base64 = (data: Uint8Array): string => Buffer.from(data).toString("base64");
export const fromBase64 = (data: string): Uint8Array => new Uint8Array(Buffer.from(data, "base64"));
