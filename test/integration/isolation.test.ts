import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { routeList } from "../../layers/core/routes.js";
import { TestApi, tenantItems } from "../support/api.js";
import {
  fillPath,
  OWNED_PARAMS,
  PROBES,
  type ProbeTargets,
  seedBlockedIp,
  seedContactsAndRecords,
  seedDeadDelivery,
  seedRolesAndRules,
  sessionSafeOrder,
} from "../support/route-probes.js";

/**
 * Tenant isolation, proven route by route: the test walks the whole route table, so a
 * route added later is covered without anyone remembering to add it here.
 */
describe("tenant isolation", () => {
  let api: TestApi;
  let victim: Awaited<ReturnType<TestApi["createTenant"]>>;
  let intruder: Awaited<ReturnType<TestApi["createTenant"]>>;
  let targets: ProbeTargets;

  beforeAll(async () => {
    api = await TestApi.start();
    victim = await api.createTenant();
    intruder = await api.createTenant();
    const as = { token: victim.token };
    await api.request("PATCH", "/api/v1/settings", { ...as, body: { organizationManagement: true } });
    const org = await api.request("POST", "/api/v1/organizations", { ...as, body: { name: "Sales" } });
    const ext = await api.request("POST", "/api/v1/extensions", {
      ...as,
      body: { firstName: "Victim", number: "2001", email: "victim@example.com", organizations: [org.body.id] },
    });
    const contact = await api.request("POST", "/api/v1/notification-contacts", {
      ...as,
      body: { type: "custom", name: "Victim Ops", email: "victim-ops@example.com", levels: ["alert"] },
    });
    expect([ext.status, contact.status]).toEqual([201, 201]);
    await seedBlockedIp(victim.id, "203.0.113.9");
    targets = {
      tenantId: victim.id,
      extensionId: ext.body.id,
      organizationId: org.body.id,
      notificationContactId: contact.body.id,
      deliveryId: await seedDeadDelivery(victim.id),
      ip: "203.0.113.9",
      eventType: "web_user_blocked_out",
      ...(await seedRolesAndRules((method, path, body) => api.request(method, path, { ...as, body }))),
      ...(await seedContactsAndRecords(
        (method, path, options) => api.request(method, path, options),
        { token: victim.token, tenantId: victim.id },
        { token: victim.token, extensionId: victim.adminExtensionId },
        api.platformKey,
      )),
    };
  });
  afterAll(() => api.stop());

  const protectedRoutes = sessionSafeOrder(
    (routeList as RouteContract[]).filter((route) => route.auth.kind !== "public"),
  );

  it.each(protectedRoutes.map((route) => [route.id, route] as const))(
    "%s refuses another tenant's credential and changes nothing",
    async (_id, route) => {
      // Arrange: a fresh session each time, since some routes end the one they are called with.
      const before = await tenantItems(victim.id);
      const session = await api.login(intruder.slug, intruder.adminEmail, intruder.adminPassword);
      const probe = PROBES[route.id as keyof typeof PROBES]({ targets, password: intruder.adminPassword });

      // Act
      const response = await api.request(route.method, fillPath(route, targets), {
        token: session.accessToken,
        body: probe.body,
        query: probe.query,
      });

      // Assess
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "");
      if (route.auth.kind === "platform") {
        expect(response.status).toBe(401);
      } else if (params.some((name) => OWNED_PARAMS.has(name))) {
        expect(response.status, JSON.stringify(response.body)).toBe(404);
      } else {
        // Routes without an owned id act on the caller's own tenant: nothing of the victim may show.
        const text = JSON.stringify(response.body ?? "");
        for (const secret of [
          victim.id,
          victim.slug,
          targets.extensionId,
          targets.organizationId,
          targets.notificationContactId,
          targets.deliveryId,
          targets.ip,
          targets.roleId,
          targets.linkusRuleId,
          targets.companyContactsRuleId,
          targets.companyContactId,
          targets.personalContactId,
          targets.callId,
          "victim@example.com",
          "victim-ops@example.com",
        ]) {
          expect(text).not.toContain(secret);
        }
      }
      expect(await tenantItems(victim.id)).toEqual(before);
    },
  );

  it("a login names its tenant: one tenant's user cannot log in to another's server", async () => {
    const response = await api.request("POST", "/api/v1/auth/login", {
      body: { server: victim.slug, email: intruder.adminEmail, password: intruder.adminPassword },
    });
    expect(response.status).toBe(401);
  });

  it("every route of the table has a probe", () => {
    for (const route of routeList) {
      expect(PROBES[route.id as keyof typeof PROBES], `no probe for ${route.id}`).toBeTypeOf("function");
    }
  });
});
