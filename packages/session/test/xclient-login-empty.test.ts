// XCLIENT LOGIN= with an empty value (xtext may be empty): it names nobody, so the session stays
// unauthenticated, exactly as with LOGIN=[UNAVAILABLE]. Before, the empty string counted as an
// authenticated identity (relay permitted, Received "ESMTPA") for a front end that had no login to forward.
import { describe, expect, it } from "vitest";
import { Harness } from "./server-harness.js";

const config = {
  frontEnd: { xclient: "trusted", xforward: "trusted" },
  auth: { sasl: { mechanisms: ["PLAIN"] } },
  policy: { authRequired: true, allowAuthWithoutTls: true, forbidUnauthorizedPipelining: false },
} as const;

describe("XCLIENT LOGIN= (empty)", () => {
  it("is accepted but is no login: MAIL still needs AUTH (530), and AUTH stays possible", () => {
    const h = new Harness(config).connect().send("XCLIENT LOGIN=\r\nEHLO front.example\r\nMAIL FROM:<alice@example.org>\r\n");
    const xclient = h.eventsOf("connection-requested").at(-1)!;
    expect(xclient.xclient).toMatchObject({ login: undefined });
    expect(h.session.snapshot().authenticated).toBe(false);
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 530 });
  });

  it("after a real login, an empty one removes it, as [UNAVAILABLE] does", () => {
    const h = new Harness(config).connect().send("XCLIENT LOGIN=alice\r\nEHLO front.example\r\nMAIL FROM:<alice@example.org>\r\n");
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 250 });
    h.send("RSET\r\nXCLIENT LOGIN=\r\nEHLO front.example\r\nMAIL FROM:<alice@example.org>\r\n");
    expect(h.session.snapshot().authenticated).toBe(false);
    expect(h.replies.at(-1)).toMatchObject({ to: "MAIL", code: 530 });
  });
});
