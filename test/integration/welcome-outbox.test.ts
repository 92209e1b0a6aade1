import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deps, defaultDeps } from "../../layers/core/deps.js";
import { processDueNotifications, RETRY_DELAYS_SECONDS } from "../../layers/core/services/notifications.js";
import { startSes } from "../../scripts/local/ses.js";
import { mailsTo, TestApi, tenantItems } from "../support/api.js";
import { freePort } from "../support/global-setup.js";

/**
 * Welcome emails go through the notifications' outbox: one asked for while SES is down is not
 * lost but arrives, once, when SES is back; one that fails every retry waits in the
 * failed-deliveries list for an administrator's retry. This file runs its own SES emulator,
 * which it stops and starts (the API of this worker sends through it).
 */
describe("welcome emails through the outbox", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  let ses: Awaited<ReturnType<typeof startSes>> | undefined;
  let sesPort: number;
  let number = 7300;

  beforeAll(async () => {
    sesPort = await freePort();
    ses = await startSes(sesPort);
    // Before anything in this worker builds the mailer, which reads the endpoint once.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SES: ses.endpoint,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      TEST_SES_ENDPOINT: ses.endpoint,
    });
    api = await TestApi.start();
    tenant = await api.createTenant({ name: "Outbox Works" });
  });
  afterAll(async () => {
    await ses?.stop();
    await api?.stop();
  });

  const sesDown = async () => {
    await ses?.stop();
    ses = undefined;
  };
  const sesUp = async () => {
    ses = await startSes(sesPort);
  };

  async function newUser() {
    const email = `welcome${number}.${Math.random().toString(36).slice(2)}@example.com`;
    const created = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Wren", lastName: "Outbox", number: String(number++), email },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: created.body.id as string, email };
  }

  /** The notifier, with a clock the test moves. */
  const notifierAt = (now: () => number): Deps => ({ ...defaultDeps(), now: () => new Date(now()) });

  it("a welcome email asked for while SES is down arrives once SES is back, and its link logs in", async () => {
    // Prepare
    const user = await newUser();
    await sesDown();

    // Act: asked for while SES is down
    const sent = await api.request("POST", "/api/v1/extensions/welcome-emails", {
      token: tenant.token,
      body: { extensionIds: [user.id] },
    });
    const queued = (await tenantItems(tenant.id)).filter((item) => item.type === "outbox" && item.to === user.email);

    // Act: SES comes back; the notifier runs after the first backoff, then again much later
    await sesUp();
    let now = Date.now() + (RETRY_DELAYS_SECONDS[0] ?? 30) * 1000 + 1000;
    const deps = notifierAt(() => now);
    await Promise.all([processDueNotifications(deps), processDueNotifications(deps)]);
    now += 3_600_000;
    await processDueNotifications(deps);

    // Assess: queued, not failed; the outbox never held the token
    expect(sent.status).toBe(200);
    expect(sent.body.results).toEqual([expect.objectContaining({ extensionId: user.id, status: "queued" })]);
    expect(queued).toHaveLength(1);
    expect(JSON.stringify(queued)).not.toContain("ql1.");
    // Assess: delivered exactly once, with a link that works
    const mails = await mailsTo(user.email);
    expect(mails).toHaveLength(1);
    const link = /https:\/\/linkus\.test\.example\/quick-login#token=(\S+)/.exec(mails[0]?.body.text ?? "");
    expect(link).not.toBeNull();
    const login = await api.request("POST", "/api/v1/auth/quick-login", {
      body: { token: decodeURIComponent(link?.[1] ?? ""), client: "web" },
    });
    expect(login.status).toBe(200);
  });

  it("after every retry fails it is listed as failed, and an administrator's retry delivers it once", async () => {
    // Prepare
    const user = await newUser();
    await sesDown();
    await api.request("POST", "/api/v1/extensions/welcome-emails", {
      token: tenant.token,
      body: { extensionIds: [user.id] },
    });
    let now = Date.now();
    const deps = notifierAt(() => now);

    // Act: every backoff step fails
    for (const delay of RETRY_DELAYS_SECONDS) {
      now += delay * 1000 + 1000;
      await processDueNotifications(deps);
    }
    const failed = await api.request("GET", "/api/v1/notification-deliveries/failed", { token: tenant.token });
    const mine = (failed.body.items as { id: string; extensionId?: string }[]).find((i) => i.extensionId === user.id);

    // Act: SES is back and the administrator retries
    await sesUp();
    const retry = await api.request("POST", `/api/v1/notification-deliveries/${mine?.id}/retry`, {
      token: tenant.token,
    });
    await processDueNotifications(deps);
    await processDueNotifications(deps);

    // Assess
    expect(failed.status).toBe(200);
    expect(mine).toMatchObject({ kind: "welcome", to: user.email, attempts: RETRY_DELAYS_SECONDS.length + 1 });
    expect(retry.status).toBe(204);
    expect(await mailsTo(user.email)).toHaveLength(1);
  });
});
