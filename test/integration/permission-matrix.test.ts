import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteContract } from "../../layers/core/http/contract.js";
import { DEFAULT_ROLE_IDS, DEFAULT_ROLES, type DefaultRoleId, type Permission } from "../../layers/core/permissions.js";
import { routeList } from "../../layers/core/routes.js";
import { TestApi } from "../support/api.js";
import { documentedRouteNeeds } from "../support/documented-permissions.js";
import {
  CONTACT,
  CONTACTS_RULE,
  ENDS_SESSION,
  fillPath,
  IMPORT,
  LINKUS_RULE,
  PROBES,
  type ProbeTargets,
  RECORDS,
  seedBlockedIp,
  seedDeadDelivery,
  sessionSafeOrder,
  targetKey,
} from "../support/route-probes.js";

type User = { id: string; email: string; password: string; token: string };
type Seeder = (user: User) => Promise<string>;

/** Targets a user owns: every user gets their own, since the routes act on the caller's. */
const OWNED_KINDS = ["personalContactId", "callId", "voicemailId", "recordingId"] as const;
const SHARED_KINDS = [
  "extensionId",
  "organizationId",
  "notificationContactId",
  "deliveryId",
  "ip",
  "roleId",
  "linkusRuleId",
  "companyContactsRuleId",
  "companyContactId",
] as const;
type SharedTargets = Omit<ProbeTargets, (typeof OWNED_KINDS)[number]>;
type OwnedTargets = Pick<ProbeTargets, (typeof OWNED_KINDS)[number]>;

/**
 * For every tenant route and every default role: the answer is 403 naming the permission
 * exactly when the role's documented permission set (docs/permissions.md) lacks what the
 * route is documented to need ("What each route needs"), and a success otherwise.
 *
 * The cases share one tenant and seeded targets. An allowed request that changes something
 * gets fresh targets for its path, so no case acts on what another case needs. A refused
 * request never reaches the service, so it names decoys, seeded once: should a refusal break,
 * the wrongly allowed request damages only decoys and fails alone.
 */
describe("permission matrix: default roles x route table", () => {
  const needs = documentedRouteNeeds();
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  const users = new Map<DefaultRoleId, User>();
  let shared: SharedTargets;
  let decoys: SharedTargets;
  const ownedByUser = new Map<DefaultRoleId, OwnedTargets>();

  const asAdmin = (method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tenant.token, body });
  const created = async (response: Promise<{ status: number; body: { id: string } }>) => {
    const { status, body } = await response;
    if (status !== 201 && status !== 202) throw new Error(`seed failed: ${status} ${JSON.stringify(body)}`);
    return body.id;
  };
  let serial = 0;
  const ingest = (user: User, record: unknown) =>
    created(
      api.request("POST", `/api/v1/platform/tenants/${tenant.id}/extensions/${user.id}/records`, {
        token: api.platformKey,
        body: record,
      }),
    );

  /** One fresh target of each kind a route's path can name. */
  const seeders: Partial<Record<keyof ProbeTargets, Seeder>> = {
    extensionId: () =>
      created(
        asAdmin("POST", "/api/v1/extensions", {
          firstName: "Target",
          number: String(40000 + serial++),
          email: `target${serial}@${tenant.slug}.example.com`,
        }),
      ),
    organizationId: () => created(asAdmin("POST", "/api/v1/organizations", { name: `Target ${serial++}` })),
    notificationContactId: () =>
      created(
        asAdmin("POST", "/api/v1/notification-contacts", {
          type: "custom",
          name: "Target",
          email: "target@example.com",
          levels: ["alert"],
        }),
      ),
    deliveryId: () => seedDeadDelivery(tenant.id),
    ip: async () => {
      const ip = `198.51.${100 + Math.floor(serial / 250)}.${(serial++ % 250) + 1}`;
      await seedBlockedIp(tenant.id, ip);
      return ip;
    },
    roleId: () => created(asAdmin("POST", "/api/v1/roles", { name: `Target ${serial++}`, permissions: [] })),
    linkusRuleId: () => created(asAdmin("POST", "/api/v1/linkus-permission-rules", LINKUS_RULE)),
    companyContactsRuleId: () => created(asAdmin("POST", "/api/v1/company-contacts-rules", CONTACTS_RULE)),
    companyContactId: () => created(asAdmin("POST", "/api/v1/company-contacts", CONTACT)),
    personalContactId: (user) =>
      created(api.request("POST", "/api/v1/me/contacts", { token: user.token, body: CONTACT })),
    callId: (user) => ingest(user, RECORDS.call),
    voicemailId: (user) => ingest(user, RECORDS.voicemail),
    recordingId: (user) => ingest(user, RECORDS.recording),
  };

  async function freshTargets(route: RouteContract, user: User): Promise<Partial<ProbeTargets>> {
    const fresh: Partial<ProbeTargets> = {};
    for (const [, param] of route.path.matchAll(/\{(\w+)\}/g)) {
      const key = targetKey(route.id, param as string) as keyof ProbeTargets;
      const seed = seeders[key];
      if (seed) fresh[key] = await seed(user);
    }
    return fresh;
  }

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
    await asAdmin("PATCH", "/api/v1/settings", { organizationManagement: true });
    let number = 3000;
    for (const role of DEFAULT_ROLE_IDS) users.set(role, await api.userWithRole(tenant, role, String(number++)));

    // What every case may read: one target of each kind, and each user's own contact and records.
    const admin = users.get("super_admin") as User;
    const seedAll = async <K extends keyof ProbeTargets>(kinds: readonly K[], user: User) =>
      Object.fromEntries(await Promise.all(kinds.map(async (kind) => [kind, await seeders[kind]?.(user)]))) as Record<
        K,
        string
      >;
    // One import runs per tenant at a time (409 otherwise): the two import jobs are made in turn.
    const sharedJob = await created(asAdmin("POST", "/api/v1/company-contacts/imports", IMPORT));
    const decoyJob = await created(asAdmin("POST", "/api/v1/company-contacts/imports", IMPORT));
    const seedShared = async (jobId: string): Promise<SharedTargets> => ({
      tenantId: tenant.id,
      eventType: "web_user_login_failed",
      jobId,
      ...(await seedAll(SHARED_KINDS, admin)),
    });
    [shared, decoys] = await Promise.all([seedShared(sharedJob), seedShared(decoyJob)]);
    for (const [role, user] of users) ownedByUser.set(role, await seedAll(OWNED_KINDS, user));
  });
  afterAll(() => api.stop());

  const tenantRoutes = sessionSafeOrder((routeList as RouteContract[]).filter((route) => route.auth.kind === "tenant"));
  const cases = tenantRoutes.flatMap((route) => DEFAULT_ROLE_IDS.map((role) => [route.id, role, route] as const));

  it.each(cases)("%s as %s", async (_id, role: DefaultRoleId, route) => {
    // Arrange
    const need = needs.get(route.id);
    if (!need) throw new Error(`docs/permissions.md does not say what ${route.id} needs`);
    const holds = (permission: string) => DEFAULT_ROLES[role].permissions.includes(permission as Permission);
    const roleAllows = !need.permission || holds(need.permission);
    // The seeded Company Contacts rule lets everyone view; managing takes the role permission.
    const contactsAllowed =
      !need.companyContacts || need.companyContacts === "view" || holds("company_contacts.manage");
    const allowed = roleAllows && contactsAllowed;
    const user = users.get(role);
    if (!user) throw new Error(`no user for ${role}`);
    if (ENDS_SESSION.has(route.id)) user.token = (await api.login(tenant.slug, user.email, user.password)).accessToken;
    const targets: ProbeTargets = {
      ...(allowed ? shared : decoys),
      ...(ownedByUser.get(role) as OwnedTargets),
      ...(allowed && route.method !== "GET" ? await freshTargets(route, user) : {}),
    };
    const probe = PROBES[route.id as keyof typeof PROBES]({ targets, password: user.password });

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
      expect(response.status, JSON.stringify(response.body)).toBe(403);
      expect(response.body.permission).toBe(roleAllows ? `company_contacts.${need.companyContacts}` : need.permission);
    }
    if (route.id === "me.password" && allowed) user.password = `${user.password}X9`;
  });
});
