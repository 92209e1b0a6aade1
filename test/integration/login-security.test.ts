import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deps, defaultDeps } from "../../layers/core/deps.js";
import {
  assertNotBlocked,
  BlockedIpError,
  countFailedLogin,
  loginSecuritySettings,
} from "../../layers/core/services/login-security.js";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

/** Failed logins block the source IP; events fire once; blocks end by themselves or by an administrator. */
// Concurrent: each test has its own tenant (blocks are per tenant and address), and most of the
// time is the 400 ms floor of each failed login, waited out side by side.
describe("login security", { concurrent: true }, () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  const attempt = (tenant: Tenant, ip: string, password: string, client = "web") =>
    api.request("POST", "/api/v1/auth/login", {
      ip,
      body: { server: tenant.slug, email: tenant.adminEmail, password, client },
    });

  const events = async (tenant: Tenant, event: string) =>
    (await api.request("GET", "/api/v1/event-log", { token: tenant.token, query: { event, limit: 200 } })).body.items;

  it("blocks an IP after 5 failures in 10 minutes, refusing it before any password check", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const ip = "198.51.100.20";

    // Act
    const failures = [];
    for (let i = 0; i < 5; i++) failures.push(await attempt(tenant, ip, `Wrong${i}Password`));
    const withRightPassword = await attempt(tenant, ip, tenant.adminPassword);
    const fromElsewhere = await attempt(tenant, "198.51.100.21", tenant.adminPassword);

    // Assess
    expect(failures.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(withRightPassword.status).toBe(429);
    expect(withRightPassword.body).toMatchObject({ error: "ip_blocked", blockedUntil: expect.any(String) });
    expect(Number(withRightPassword.headers.get("retry-after"))).toBeGreaterThan(1700);
    expect(fromElsewhere.status).toBe(200);
    const blocked = await events(tenant, "web_user_blocked_out");
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ sourceIp: ip, category: "security", level: "alert", client: "web" });
    // A blocked request is refused before the password check, so it is not a failed login.
    expect(await events(tenant, "web_user_login_failed")).toHaveLength(5);
  });

  it("counts web and Linkus failures apart and names the client in the event", async () => {
    const tenant = await api.createTenant();
    const ip = "198.51.100.30";
    const failures = async (client: string) => {
      for (let i = 0; i < 4; i++) await attempt(tenant, ip, "Wrong1Password", client);
    };
    await Promise.all([failures("web"), failures("linkus_desktop")]);
    // Four of each: neither count has reached five, so the IP still logs in.
    expect((await attempt(tenant, ip, tenant.adminPassword)).status).toBe(200);
    // Mobile and desktop are both Linkus: the fifth Linkus failure blocks.
    expect((await attempt(tenant, ip, "Wrong1Password", "linkus_mobile")).status).toBe(401);
    expect((await attempt(tenant, ip, tenant.adminPassword)).status).toBe(429);
    expect(await events(tenant, "linkus_user_blocked_out")).toEqual([
      expect.objectContaining({ sourceIp: ip, client: "linkus_mobile" }),
    ]);
    expect(await events(tenant, "web_user_blocked_out")).toHaveLength(0);
    expect(await events(tenant, "linkus_client_login_failed")).toHaveLength(5);
  });

  it("50 concurrent wrong-password logins from one IP give exactly one block and one event", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const ip = "198.51.100.50";

    // Act
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(tenant, ip, `Wrong${i}Password`)));

    // Assess
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expect(await events(tenant, "web_user_blocked_out")).toHaveLength(1);
    const list = await api.request("GET", "/api/v1/security/blocked-ips", { token: tenant.token });
    expect(list.body.items.map((b: { ip: string }) => b.ip)).toEqual([ip]);
    expect((await attempt(tenant, ip, tenant.adminPassword)).status).toBe(429);
  });

  it("an administrator lists and unblocks an IP", async () => {
    const tenant = await api.createTenant();
    const ip = "2001:db8::7";
    for (let i = 0; i < 5; i++) await attempt(tenant, ip, "Wrong1Password");
    const list = await api.request("GET", "/api/v1/security/blocked-ips", { token: tenant.token });
    expect(list.body.items).toEqual([expect.objectContaining({ ip, clientKind: "web" })]);
    const unblocked = await api.request("DELETE", `/api/v1/security/blocked-ips/${encodeURIComponent(ip)}`, {
      token: tenant.token,
    });
    expect(unblocked.status).toBe(204);
    expect((await attempt(tenant, ip, tenant.adminPassword)).status).toBe(200);
    const again = await api.request("DELETE", `/api/v1/security/blocked-ips/${encodeURIComponent(ip)}`, {
      token: tenant.token,
    });
    expect(again.status).toBe(404);
    const malformed = await api.request("DELETE", "/api/v1/security/blocked-ips/not-an-ip", { token: tenant.token });
    expect(malformed.status).toBe(400);
  });

  it("never blocks an allowlisted address or range, and uses the tenant's own limits", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const settings = await api.request("PATCH", "/api/v1/security/login-settings", {
      token: tenant.token,
      body: { maxFailures: 3, allowlist: ["192.0.2.0/24", "2001:db8:1::1"] },
    });

    // Act
    const failures = async (ip: string, count: number) => {
      for (let i = 0; i < count; i++) await attempt(tenant, ip, "Wrong1Password");
    };
    await Promise.all([failures("192.0.2.77", 6), failures("203.0.113.5", 3)]);

    // Assess
    expect(settings.body).toEqual({
      maxFailures: 3,
      windowMinutes: 10,
      blockMinutes: 30,
      allowlist: ["192.0.2.0/24", "2001:db8:1::1"],
    });
    expect((await attempt(tenant, "192.0.2.77", tenant.adminPassword)).status).toBe(200);
    expect((await attempt(tenant, "203.0.113.5", tenant.adminPassword)).status).toBe(429);
  });

  it.each([
    [{ maxFailures: 2 }, "maxFailures"],
    [{ blockMinutes: 0 }, "blockMinutes"],
    [{ allowlist: ["10.0.0.0/33"] }, "allowlist.0"],
    [{ allowlist: ["not-an-ip"] }, "allowlist.0"],
    [{}, "body"],
  ])("refuses login settings %o naming %s", async (body, field) => {
    const tenant = await api.createTenant();
    const response = await api.request("PATCH", "/api/v1/security/login-settings", { token: tenant.token, body });
    expect(response.status).toBe(400);
    expect(response.body.fields[0].field).toBe(field);
  });

  it("a block ends by itself when its time is up, and old failures fall out of the window", async () => {
    // Arrange: the service on a clock the test moves.
    const tenant = await api.createTenant();
    let now = Date.parse("2030-01-01T00:00:00Z");
    const deps: Deps = { ...defaultDeps(), now: () => new Date(now) };
    const settings = await loginSecuritySettings(deps, tenant.id);
    const ip = "198.51.100.99";

    // Act & Assess: four failures, then eleven minutes pass: the window forgets them.
    for (let i = 0; i < 4; i++) expect(await countFailedLogin(deps, tenant.id, ip, "web", settings)).toBe(false);
    now += 11 * 60_000;
    expect(await countFailedLogin(deps, tenant.id, ip, "web", settings)).toBe(false);
    for (let i = 0; i < 3; i++) await countFailedLogin(deps, tenant.id, ip, "web", settings);
    expect(await countFailedLogin(deps, tenant.id, ip, "web", settings)).toBe(true);
    await expect(assertNotBlocked(deps, tenant.id, ip, settings)).rejects.toBeInstanceOf(BlockedIpError);
    now += 29 * 60_000;
    await expect(assertNotBlocked(deps, tenant.id, ip, settings)).rejects.toBeInstanceOf(BlockedIpError);
    now += 61_000;
    await expect(assertNotBlocked(deps, tenant.id, ip, settings)).resolves.toBeUndefined();
  });
});
