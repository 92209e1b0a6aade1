import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { DEFAULT_ROLE_IDS, DEFAULT_ROLES, type Permission } from "../../layers/core/permissions.js";
import { routeList } from "../../layers/core/routes.js";
import { TestApi } from "../support/api.js";
import {
  ENDS_SESSION,
  fillPath,
  PROBES,
  type ProbeTargets,
  seedBlockedIp,
  seedContactsAndRecords,
  seedDeadDelivery,
  seedRolesAndRules,
  sessionSafeOrder,
} from "../support/route-probes.js";

/**
 * For every tenant route and every default role: the answer is 403 naming the permission
 * exactly when the role's documented permission set (docs/permissions.md) lacks it, and a
 * success otherwise.
 */
describe("permission matrix: default roles x route table", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  const users = new Map<string, { id: string; email: string; password: string; token: string }>();

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
    await api.request("PATCH", "/api/v1/settings", { token: tenant.token, body: { organizationManagement: true } });
    let number = 3000;
    for (const role of DEFAULT_ROLE_IDS) users.set(role, await api.userWithRole(tenant, role, String(number++)));
  });
  afterAll(() => api.stop());

  const tenantRoutes = sessionSafeOrder((routeList as RouteContract[]).filter((route) => route.auth.kind === "tenant"));
  let targetNumber = 0;
  const cases = tenantRoutes.flatMap((route) => DEFAULT_ROLE_IDS.map((role) => [route.id, role, route] as const));

  it.each(cases)("%s as %s", async (_id, role, route) => {
    // Arrange: fresh targets, so destructive routes never act on what another case needs.
    const as = { token: tenant.token };
    const ext = await api.request("POST", "/api/v1/extensions", {
      ...as,
      body: {
        firstName: "Target",
        // A counter, not a random number: 600 random picks from 60,000 collide (409) more often than not.
        number: String(40000 + targetNumber++),
        email: `target${Math.random().toString(36).slice(2)}@example.com`,
      },
    });
    const org = await api.request("POST", "/api/v1/organizations", {
      ...as,
      body: { name: `Target ${Math.random()}` },
    });
    const contact = await api.request("POST", "/api/v1/notification-contacts", {
      ...as,
      body: { type: "custom", name: "Target", email: "target@example.com", levels: ["alert"] },
    });
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    await seedBlockedIp(tenant.id, ip);
    const targets: ProbeTargets = {
      tenantId: tenant.id,
      extensionId: ext.body.id,
      organizationId: org.body.id,
      notificationContactId: contact.body.id,
      deliveryId: await seedDeadDelivery(tenant.id),
      ip,
      eventType: "web_user_login_failed",
      ...(await seedRolesAndRules((method, path, body) => api.request(method, path, { ...as, body }))),
      companyContactId: "",
      personalContactId: "",
      callId: "",
      voicemailId: "",
      recordingId: "",
      jobId: "",
    };
    const user = users.get(role);
    if (!user) throw new Error(`no user for ${role}`);
    if (ENDS_SESSION.has(route.id)) user.token = (await api.login(tenant.slug, user.email, user.password)).accessToken;
    Object.assign(
      targets,
      await seedContactsAndRecords(
        (method, path, options) => api.request(method, path, options),
        { token: tenant.token, tenantId: tenant.id },
        { token: user.token, extensionId: user.id },
        api.platformKey,
      ),
    );
    const probe = PROBES[route.id as keyof typeof PROBES]({ targets, password: user.password });
    const permission = (route.auth as { permission?: Permission }).permission;
    const roleAllows = !permission || DEFAULT_ROLES[role].permissions.includes(permission);
    // The seeded Company Contacts rule lets everyone view; managing takes the role permission.
    const contactsNeed = route.linkus?.companyContacts;
    const contactsAllowed =
      !contactsNeed || contactsNeed === "view" || DEFAULT_ROLES[role].permissions.includes("company_contacts.manage");
    const allowed = roleAllows && contactsAllowed;

    // Act
    const response = await api.request(route.method, fillPath(route, targets), {
      token: user.token,
      body: probe.body,
      query: probe.query,
    });

    // Assess
    if (allowed) {
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
    } else {
      expect(response.status).toBe(403);
      expect(response.body.permission).toBe(roleAllows ? `company_contacts.${contactsNeed}` : permission);
    }
    if (route.id === "me.password" && allowed) user.password = `${user.password}X9`;
  });
});
