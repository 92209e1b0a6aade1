import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../layers/core/config.js";
import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../../layers/core/http/caller-ip.js";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

// What CloudFront sends as the origin secret in AWS; here the functions read it from the environment.
const SECRET = "test-origin-secret-7d1e0c";
// One CloudFront edge: API Gateway's sourceIp for every viewer it carries (x-forwarded-for locally).
const EDGE = "130.176.0.25";

/**
 * Login security sees the viewer behind CloudFront, and nobody else can claim to be one. Sets
 * PBX_ORIGIN_SECRET, which the functions read once per process (auth/keys.ts): the file belongs
 * with the isolated ones (vitest.config.ts ISOLATED on main).
 */
describe("the caller's IP behind CloudFront", { concurrent: true }, () => {
  let api: TestApi;
  beforeAll(async () => {
    process.env[ENV.originSecret] = SECRET;
    api = await TestApi.start();
  });
  afterAll(async () => {
    await api.stop();
    delete process.env[ENV.originSecret];
  });

  const login = (tenant: Tenant, password: string, headers: Record<string, string>) =>
    api.request("POST", "/api/v1/auth/login", {
      ip: EDGE,
      headers,
      body: { server: tenant.slug, email: tenant.adminEmail, password, client: "web" },
    });
  const blockedEvents = async (tenant: Tenant) =>
    (
      await api.request("GET", "/api/v1/event-log", {
        token: tenant.token,
        query: { event: "web_user_blocked_out", limit: 50 },
      })
    ).body.items;

  it("blocks the viewer, not the edge, when the origin secret comes with the viewer address", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const viewer = { [ORIGIN_SECRET_HEADER]: SECRET, [VIEWER_ADDRESS_HEADER]: "2001:db8::1" };
    const neighbour = { [ORIGIN_SECRET_HEADER]: SECRET, [VIEWER_ADDRESS_HEADER]: "203.0.113.44" };

    // Act
    for (let i = 0; i < 5; i++) await login(tenant, `Wrong${i}Password`, viewer);
    const viewerAgain = await login(tenant, tenant.adminPassword, viewer);
    const neighbourBehindSameEdge = await login(tenant, tenant.adminPassword, neighbour);

    // Assess
    expect(viewerAgain.status).toBe(429);
    expect(neighbourBehindSameEdge.status).toBe(200);
    expect(await blockedEvents(tenant)).toEqual([expect.objectContaining({ sourceIp: "2001:db8::1" })]);
    const blocked = await api.request("GET", "/api/v1/security/blocked-ips", { token: tenant.token });
    expect(JSON.stringify(blocked.body)).toContain("2001:db8::1");
    expect(JSON.stringify(blocked.body)).not.toContain(EDGE);
  });

  it("ignores a viewer address sent without the secret or with a wrong one: the connection's address is blocked", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const spoofs = [
      { [VIEWER_ADDRESS_HEADER]: "198.51.100.1" },
      { [ORIGIN_SECRET_HEADER]: "guess", [VIEWER_ADDRESS_HEADER]: "198.51.100.2" },
    ];

    // Act
    for (let i = 0; i < 5; i++) await login(tenant, `Wrong${i}Password`, spoofs[i % 2] as Record<string, string>);
    const fromEdge = await login(tenant, tenant.adminPassword, {});

    // Assess
    expect(fromEdge.status).toBe(429);
    expect(await blockedEvents(tenant)).toEqual([expect.objectContaining({ sourceIp: EDGE })]);
  });
});
