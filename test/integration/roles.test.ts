import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { readChanges } from "../../layers/core/services/change-feed.js";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

/** Roles (seed 002, roles issue): system roles, custom roles, assignment rules. */
describe("roles", () => {
  let api: TestApi;
  let tenant: Tenant;
  let number = 5100;
  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
  });
  afterAll(() => api.stop());

  const as = (token: string) => ({ token });
  const createRole = (body: Record<string, unknown>, token = tenant.token) =>
    api.request("POST", "/api/v1/roles", { ...as(token), body });
  const assign = (extensionId: string, role: string, token = tenant.token) =>
    api.request("PATCH", `/api/v1/extensions/${extensionId}`, { ...as(token), body: { role } });

  it("has the seven system roles from the start, which cannot be changed or deleted", async () => {
    const list = await api.request("GET", "/api/v1/roles", as(tenant.token));
    expect(list.body.items.filter((r: { system: boolean }) => r.system).map((r: { name: string }) => r.name)).toEqual([
      "Super Administrator",
      "Administrator",
      "Supervisor",
      "Operator",
      "Human Resource",
      "Accounting",
      "None",
    ]);
    expect(list.body.items.find((r: { id: string }) => r.id === "super_admin").memberCount).toBe(1);
    for (const [method, body] of [
      ["PATCH", { name: "Boss" }],
      ["DELETE", undefined],
    ] as const) {
      const response = await api.request(method, "/api/v1/roles/admin", { ...as(tenant.token), body });
      expect(response.status).toBe(409);
    }
  });

  it("grants a custom role's holders exactly its permissions, and edits apply at once", async () => {
    // Arrange
    const role = await createRole({ name: "Directory Reader", permissions: ["extensions.view"] });
    const user = await api.userWithRole(tenant, "none", String(number++));
    await assign(user.id, role.body.id);

    // Act & Assess: view yes, manage no.
    expect((await api.request("GET", "/api/v1/extensions", as(user.token))).status).toBe(200);
    const create = await api.request("POST", "/api/v1/extensions", {
      ...as(user.token),
      body: { firstName: "X", number: String(number++) },
    });
    expect(create.status).toBe(403);
    expect(create.body.permission).toBe("extensions.manage");

    // The role gains extensions.manage: the very next request may create.
    await api.request("PATCH", `/api/v1/roles/${role.body.id}`, {
      ...as(tenant.token),
      body: { permissions: ["extensions.view", "extensions.manage"] },
    });
    const again = await api.request("POST", "/api/v1/extensions", {
      ...as(user.token),
      body: { firstName: "X", number: String(number++) },
    });
    expect(again.status).toBe(201);
    const me = await api.request("GET", "/api/v1/me/permissions", as(user.token));
    expect(me.body.role).toEqual({ id: role.body.id, name: "Directory Reader" });
    expect(me.body.permissions.sort()).toEqual(["extensions.manage", "extensions.view"]);
  });

  it("never lets anyone grant a permission they lack", async () => {
    const hr = await api.userWithRole(tenant, "human_resource", String(number++));
    const tooMuch = await createRole(
      { name: "Shadow Admin", permissions: ["extensions.view", "security.manage"] },
      hr.token,
    );
    expect(tooMuch.status).toBe(403);
    const rolesAdmin = await createRole({ name: "Role Admin", permissions: ["roles.manage", "roles.view"] });
    const delegate = await api.userWithRole(tenant, "none", String(number++));
    await assign(delegate.id, rolesAdmin.body.id);
    const escalate = await createRole({ name: "Escalation", permissions: ["extensions.secrets"] }, delegate.token);
    expect(escalate.status).toBe(403);
    expect(escalate.body.permission).toBe("extensions.secrets");
    const widen = await api.request("PATCH", `/api/v1/roles/${rolesAdmin.body.id}`, {
      ...as(delegate.token),
      body: { permissions: ["roles.manage", "roles.view", "settings.manage"] },
    });
    expect(widen.status).toBe(403);
  });

  it("never lets a user change their own role", async () => {
    const admin = await api.userWithRole(tenant, "admin", String(number++));
    const response = await assign(admin.id, "super_admin", admin.token);
    expect(response.status).toBe(403);
    const sideways = await assign(admin.id, "supervisor", admin.token);
    expect(sideways.status).toBe(403);
  });

  it("refuses to delete a role in use, lists its holders, and deletes after reassigning", async () => {
    // Arrange
    const role = await createRole({ name: "Night Shift", permissions: [] });
    const holders = [
      await api.userWithRole(tenant, "none", String(number++)),
      await api.userWithRole(tenant, "none", String(number++)),
    ];
    for (const holder of holders) await assign(holder.id, role.body.id);

    // Act
    const refused = await api.request("DELETE", `/api/v1/roles/${role.body.id}`, as(tenant.token));
    const members = await api.request("GET", `/api/v1/roles/${role.body.id}/members`, as(tenant.token));
    const counted = await api.request("GET", `/api/v1/roles/${role.body.id}`, as(tenant.token));
    const deleted = await api.request("DELETE", `/api/v1/roles/${role.body.id}`, {
      ...as(tenant.token),
      query: { reassignTo: "operator" },
    });

    // Assess
    expect(refused.status).toBe(409);
    expect(members.body.items.map((m: { id: string }) => m.id).sort()).toEqual(holders.map((h) => h.id).sort());
    expect(counted.body.memberCount).toBe(2);
    expect(deleted.status).toBe(204);
    for (const holder of holders) {
      const ext = await api.request("GET", `/api/v1/extensions/${holder.id}`, as(tenant.token));
      expect(ext.body.role).toBe("operator");
    }
    expect((await api.request("GET", `/api/v1/roles/${role.body.id}`, as(tenant.token))).status).toBe(404);
  });

  it("keeps role names unique and apart from the system roles' names", async () => {
    await createRole({ name: "Auditors", permissions: [] });
    expect((await createRole({ name: "AUDITORS", permissions: [] })).body.field).toBe("name");
    expect((await createRole({ name: "administrator", permissions: [] })).status).toBe(409);
  });

  it("refuses unknown roles and bad permission sets", async () => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const unknown = await assign(user.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields[0].field).toBe("role");
    const bad = await createRole({ name: "Bad", permissions: ["extensions.view", "extensions.view"] });
    expect(bad.status).toBe(400);
    const made = await createRole({ name: "Made Up", permissions: ["launch.missiles"] });
    expect(made.body.fields[0].field).toBe("permissions.0");
  });

  it("records role changes in the permissions change feed", async () => {
    const before = await readChanges(defaultDeps(), tenant.id, "permissions", 0, 1000);
    const role = await createRole({ name: `Feed ${number++}`, permissions: [] });
    await api.request("PATCH", `/api/v1/roles/${role.body.id}`, { ...as(tenant.token), body: { description: "x" } });
    await api.request("DELETE", `/api/v1/roles/${role.body.id}`, as(tenant.token));
    const after = await readChanges(defaultDeps(), tenant.id, "permissions", before.latest, 1000);
    expect(after.changes.map((c) => [c.action, c.entity, c.id])).toEqual([
      ["updated", "role", role.body.id],
      ["deleted", "role", role.body.id],
    ]);
    expect(after.changes.map((c) => c.sequence)).toEqual([before.latest + 1, before.latest + 2]);
  });
});
