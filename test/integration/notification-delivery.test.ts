import { createServer, type Server } from "node:http";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deps, defaultDeps } from "../../layers/core/deps.js";
import { sesMailer } from "../../layers/core/mail.js";
import { processDueNotifications, RETRY_DELAYS_SECONDS } from "../../layers/core/services/notifications.js";
import { mailsTo, TestApi, tenantItems } from "../support/api.js";
import { freePort } from "../support/global-setup.js";

/**
 * Delivery away from the login path: a failed send is retried with backoff and arrives
 * exactly once when SES recovers; after every retry fails it lands in the dead-letter list.
 */
describe("notification delivery", () => {
  let api: TestApi;
  let ses: FlakySes;
  beforeAll(async () => {
    api = await TestApi.start();
    ses = await FlakySes.start(process.env.TEST_SES_ENDPOINT as string);
  });
  afterAll(async () => {
    await ses.stop();
    await api.stop();
  });

  /** A tenant whose blocked-out alerts go to a fresh address; one block queues one email. */
  async function queueAlert() {
    const tenant = await api.createTenant();
    const to = `ops.${Math.random().toString(36).slice(2)}@example.com`;
    await api.request("POST", "/api/v1/notification-contacts", {
      token: tenant.token,
      body: { type: "custom", name: "Ops", email: to, levels: ["alert"] },
    });
    await api.request("PATCH", "/api/v1/security/login-settings", { token: tenant.token, body: { maxFailures: 3 } });
    for (let i = 0; i < 3; i++) {
      await api.request("POST", "/api/v1/auth/login", {
        ip: "198.51.100.77",
        body: { server: tenant.slug, email: tenant.adminEmail, password: "Wrong1Password" },
      });
    }
    const outbox = (await tenantItems(tenant.id)).filter((item) => item.type === "outbox");
    expect(outbox).toHaveLength(1);
    return { tenant, to, outbox: outbox[0] as Record<string, unknown> };
  }

  /** The notifier with a clock the test moves and SES behind the flaky proxy. */
  function notifierAt(now: () => number): Deps {
    const client = new SESv2Client({ endpoint: ses.url, maxAttempts: 1 });
    const mailer = sesMailer("pbx@example.com", undefined, client);
    return { ...defaultDeps(), now: () => new Date(now()), mailer: () => mailer };
  }

  it("queues the email without the login waiting for SES, retries with backoff, and delivers once", async () => {
    // Arrange
    ses.failing = true;
    const { to } = await queueAlert();
    let now = Date.now();
    const deps = notifierAt(() => now);

    // Act: SES is down for the first attempt.
    await processDueNotifications(deps);
    now += 10_000;
    await processDueNotifications(deps); // not due yet: backoff
    const whileDown = await mailsTo(to);
    ses.failing = false;
    now += (RETRY_DELAYS_SECONDS[0] ?? 30) * 1000;
    // Two notifiers at once (say, the stream and the schedule): the lease lets one send.
    await Promise.all([processDueNotifications(deps), processDueNotifications(deps)]);
    now += 3_600_000;
    await processDueNotifications(deps);

    // Assess
    expect(whileDown).toEqual([]);
    expect(ses.refused).toBeGreaterThanOrEqual(1);
    const delivered = await mailsTo(to);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.subject).toContain("Web User Blocked Out");
    expect(delivered[0]?.body.text).toContain("198.51.100.77");
  });

  it("ends in the dead-letter list after every retry fails, and an administrator's retry delivers it once", async () => {
    // Arrange
    ses.failing = true;
    const { tenant, to, outbox } = await queueAlert();
    let now = Date.now();
    const deps = notifierAt(() => now);

    // Act: one attempt per backoff step, then one more.
    for (let attempt = 0; attempt <= RETRY_DELAYS_SECONDS.length; attempt++) {
      await processDueNotifications(deps);
      now += (RETRY_DELAYS_SECONDS[attempt] ?? 0) * 1000 + 1000;
    }
    const failed = await api.request("GET", "/api/v1/notification-deliveries/failed", { token: tenant.token });

    // Assess
    expect(failed.body.items).toEqual([
      expect.objectContaining({
        id: outbox.id,
        to,
        attempts: RETRY_DELAYS_SECONDS.length + 1,
        event: "web_user_blocked_out",
      }),
    ]);
    expect(failed.body.items[0].lastError).not.toBe("");
    expect(await mailsTo(to)).toEqual([]);

    // Act: SES is back and the administrator retries.
    ses.failing = false;
    const retry = await api.request("POST", `/api/v1/notification-deliveries/${outbox.id}/retry`, {
      token: tenant.token,
    });
    await processDueNotifications(deps);
    await processDueNotifications(deps);

    // Assess
    expect(retry.status).toBe(204);
    expect(await mailsTo(to)).toHaveLength(1);
    const afterwards = await api.request("GET", "/api/v1/notification-deliveries/failed", { token: tenant.token });
    expect(afterwards.body.items).toEqual([]);
    const again = await api.request("POST", `/api/v1/notification-deliveries/${outbox.id}/retry`, {
      token: tenant.token,
    });
    expect(again.status).toBe(404);
  });
});

/** An HTTP proxy to the SES emulator that answers 503 while `failing` is set. */
class FlakySes {
  failing = false;
  refused = 0;

  private constructor(
    readonly url: string,
    private readonly server: Server,
  ) {}

  static async start(target: string): Promise<FlakySes> {
    let instance: FlakySes | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        if (instance?.failing) {
          instance.refused++;
          response.writeHead(503, { "content-type": "application/json" });
          response.end(JSON.stringify({ message: "Service Unavailable" }));
          return;
        }
        const upstream = await fetch(`${target}${request.url}`, {
          method: request.method,
          headers: request.headers as Record<string, string>,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        response.writeHead(upstream.status, {
          "content-type": upstream.headers.get("content-type") ?? "application/json",
        });
        response.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
    instance = new FlakySes(`http://127.0.0.1:${port}`, server);
    return instance;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
