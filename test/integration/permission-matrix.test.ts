import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { DEFAULT_ROLE_IDS, DEFAULT_ROLES } from "../../layers/core/permissions.js";
import { routeList } from "../../layers/core/routes.js";
import { TestApi } from "../support/api.js";
import { fillPath, PROBES } from "../support/route-probes.js";

/**
 * For every tenant route and every default role: the answer is 403 naming the permission
 * exactly when the role's documented permission set (docs/permissions.md) lacks it.
 */
describe("permission matrix: default roles x route table", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
    await api.request("PATCH", "/api/v1/settings", { token: tenant.token, body: { organizationManagement: true } });
    let number = 3000;
    for (const role of DEFAULT_ROLE_IDS) {
      tokens.set(role, (await api.userWithRole(tenant, role, String(number++))).token);
    }
  });
  afterAll(() => api.stop());

  const tenantRoutes = (routeList as RouteContract[]).filter((route) => route.auth.kind === "tenant");
  const cases = tenantRoutes.flatMap((route) => DEFAULT_ROLE_IDS.map((role) => [route.id, role, route] as const));

  it.each(cases)("%s as %s", async (_id, role, route) => {
    // Arrange: fresh targets, so destructive routes never act on what another case needs.
    const ext = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Target", number: String(40000 + Math.floor(Math.random() * 59999)) },
    });
    const org = await api.request("POST", "/api/v1/organizations", {
      token: tenant.token,
      body: { name: `Target ${Math.random()}` },
    });
    const probe = PROBES[route.id as keyof typeof PROBES]();
    const permission = route.auth.kind === "tenant" ? route.auth.permission : undefined;
    const allowed = !permission || DEFAULT_ROLES[role].permissions.includes(permission);

    // Act
    const response = await api.request(
      route.method,
      fillPath(route, { tenantId: tenant.id, extensionId: ext.body.id, organizationId: org.body.id }),
      { token: tokens.get(role), body: probe.body, query: probe.query },
    );

    // Assess
    if (allowed) {
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
    } else {
      expect(response.status).toBe(403);
      expect(response.body.permission).toBe(permission);
    }
  });
});
