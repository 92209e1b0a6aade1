import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { readChanges } from "../../layers/core/services/change-feed.js";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

/** Seed 000 (Linkus client permissions) and seed 001 (Company Contacts permission), on the server. */
describe("Linkus client permissions", () => {
  let api: TestApi;
  let tenant: Tenant;
  let number = 5600;
  let sales: string;
  let emea: string;
  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
    await api.request("PATCH", "/api/v1/settings", { token: tenant.token, body: { organizationManagement: true } });
    emea = (await api.request("POST", "/api/v1/organizations", { token: tenant.token, body: { name: "EMEA" } })).body
      .id;
    sales = (
      await api.request("POST", "/api/v1/organizations", {
        token: tenant.token,
        body: { name: "Sales", parentId: emea },
      })
    ).body.id;
  });
  afterAll(() => api.stop());

  const rule = (body: Record<string, unknown>) =>
    api.request("POST", "/api/v1/linkus-permission-rules", { token: tenant.token, body });
  const permissionsOf = async (token: string) => (await api.request("GET", "/api/v1/me/permissions", { token })).body;

  async function salesUser() {
    const user = await api.userWithRole(tenant, "none", String(number++));
    await api.request("PATCH", `/api/v1/extensions/${user.id}`, {
      token: tenant.token,
      body: { organizations: [sales] },
    });
    return user;
  }

  it("allows every menu and operation by default, and gives no Company Contacts access", async () => {
    const fresh = await api.createTenant();
    const user = await api.userWithRole(fresh, "none", "100");
    const effective = await permissionsOf(user.token);
    expect(Object.values(effective.menus).every(Boolean)).toBe(true);
    expect(Object.values(effective.operations).every(Boolean)).toBe(true);
    expect(effective.companyContacts).toBe("none");
    expect(Object.keys(effective.menus).sort()).toEqual(
      ["call_logs", "chat", "contacts", "dial_pad", "recordings", "settings", "voicemails"].sort(),
    );
    // Administrators manage the directory by role.
    expect((await permissionsOf(fresh.token)).companyContacts).toBe("manage");
  });

  it("applies the most specific rule: extension over organization (and its parents) over everyone", async () => {
    // Arrange
    const hidden = await salesUser();
    const shown = await salesUser();
    await rule({
      kind: "menu",
      name: "No recordings",
      members: { everyone: true },
      effect: "disallow",
      items: ["recordings"],
    });
    await rule({
      kind: "menu",
      name: "EMEA may",
      members: { organizations: [emea] },
      effect: "allow",
      items: ["recordings", "chat"],
    });
    await rule({
      kind: "menu",
      name: "Not this one",
      members: { extensions: [hidden.id] },
      effect: "disallow",
      items: ["recordings"],
    });
    const outsider = await api.userWithRole(tenant, "none", String(number++));

    // Act
    const [h, s, o] = await Promise.all([hidden, shown, outsider].map((u) => permissionsOf(u.token)));

    // Assess
    expect(h.menus.recordings).toBe(false);
    expect(s.menus.recordings).toBe(true);
    expect(o.menus.recordings).toBe(false);
    expect(o.menus.chat).toBe(true);
  });

  it("refuses a disallowed operation's API with 403 naming it, and a hidden menu's API too", async () => {
    // Arrange
    const user = await salesUser();
    const other = await salesUser();
    const body = { currentPassword: user.password, newPassword: "Fresh1Password" };
    const operationRule = await rule({
      kind: "operation",
      name: "No password changes",
      members: { extensions: [user.id] },
      effect: "disallow",
      items: ["change_password"],
    });

    // Act & Assess: the operation is refused, and allowed again as soon as the rule goes.
    const refused = await api.request("POST", "/api/v1/me/password", { token: user.token, body });
    expect(refused.status).toBe(403);
    expect(refused.body.permission).toBe("operation.change_password");
    expect((await permissionsOf(user.token)).operations.change_password).toBe(false);
    await api.request("DELETE", `/api/v1/linkus-permission-rules/${operationRule.body.id}`, { token: tenant.token });
    expect((await api.request("POST", "/api/v1/me/password", { token: user.token, body })).status).toBe(200);

    // A hidden Settings menu refuses the password API too.
    await rule({
      kind: "menu",
      name: "No settings",
      members: { extensions: [other.id] },
      effect: "disallow",
      items: ["settings"],
    });
    const hidden = await api.request("POST", "/api/v1/me/password", {
      token: other.token,
      body: { currentPassword: other.password, newPassword: "Fresh1Password" },
    });
    expect(hidden.status).toBe(403);
    expect(hidden.body.permission).toBe("menu.settings");
  });

  it("grants Company Contacts by rule: the strongest matching grant wins", async () => {
    const user = await salesUser();
    const outsider = await api.userWithRole(tenant, "none", String(number++));
    const contactsRule = (body: Record<string, unknown>) =>
      api.request("POST", "/api/v1/company-contacts-rules", { token: tenant.token, body });
    await contactsRule({ name: "Everyone reads", members: { everyone: true }, access: "view" });
    await contactsRule({ name: "EMEA manages", members: { organizations: [emea] }, access: "manage" });
    expect((await permissionsOf(user.token)).companyContacts).toBe("manage");
    expect((await permissionsOf(outsider.token)).companyContacts).toBe("view");
  });

  it("returns the effective permissions in the login response too", async () => {
    const user = await salesUser();
    const login = await api.login(tenant.slug, user.email, user.password);
    const me = await permissionsOf(login.accessToken);
    expect({ menus: login.menus, operations: login.operations, companyContacts: login.companyContacts }).toEqual({
      menus: me.menus,
      operations: me.operations,
      companyContacts: me.companyContacts,
    });
  });

  it.each([
    [{ kind: "menu", name: "x", members: { everyone: true }, effect: "disallow", items: ["fax"] }, "items.0"],
    [{ kind: "menu", name: "x", members: {}, effect: "disallow", items: ["chat"] }, "members"],
    [
      {
        kind: "menu",
        name: "x",
        members: { everyone: true, extensions: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"] },
        effect: "allow",
        items: ["chat"],
      },
      "members",
    ],
    [
      {
        kind: "menu",
        name: "x",
        members: { extensions: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"] },
        effect: "allow",
        items: ["chat"],
      },
      "members.extensions.0",
    ],
    [{ kind: "operation", name: "x", members: { everyone: true }, effect: "allow", items: ["dial_pad"] }, "items.0"],
    [{ kind: "menu", name: "x", members: { everyone: true }, effect: "maybe", items: ["chat"] }, "effect"],
    [{ kind: "widget", name: "x", members: { everyone: true }, effect: "allow", items: ["chat"] }, "kind"],
  ])("refuses rule %o naming %s", async (body, field) => {
    const response = await rule(body);
    expect(response.status).toBe(400);
    expect(response.body.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it("replaces and deletes rules, and every change enters the permissions feed in order", async () => {
    const before = await readChanges(defaultDeps(), tenant.id, "permissions", 0, 1000);
    const created = await rule({
      kind: "menu",
      name: "Temp",
      members: { everyone: true },
      effect: "disallow",
      items: ["chat"],
    });
    const replaced = await api.request("PUT", `/api/v1/linkus-permission-rules/${created.body.id}`, {
      token: tenant.token,
      body: { kind: "operation", name: "Temp 2", members: { everyone: true }, effect: "disallow", items: ["presence"] },
    });
    expect(replaced.body).toMatchObject({ id: created.body.id, kind: "operation", items: ["presence"] });
    expect(
      (await api.request("DELETE", `/api/v1/linkus-permission-rules/${created.body.id}`, { token: tenant.token }))
        .status,
    ).toBe(204);
    expect(
      (await api.request("GET", `/api/v1/linkus-permission-rules/${created.body.id}`, { token: tenant.token })).status,
    ).toBe(404);
    const after = await readChanges(defaultDeps(), tenant.id, "permissions", before.latest, 1000);
    expect(after.changes.map((c) => c.action)).toEqual(["created", "updated", "deleted"]);
  });

  it("keeps the feed gap-free and ordered under concurrent rule changes", async () => {
    const other = await api.createTenant();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request("POST", "/api/v1/company-contacts-rules", {
          token: other.token,
          body: { name: `R${i}`, members: { everyone: true }, access: "view" },
        }),
      ),
    );
    const feed = await readChanges(defaultDeps(), other.id, "permissions", 0, 100);
    expect(feed.changes.map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(feed.latest).toBe(8);
  });
});
