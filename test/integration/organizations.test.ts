import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi } from "../support/api.js";

describe("organizations", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
    await api.request("PATCH", "/api/v1/settings", { token: tenant.token, body: { organizationManagement: true } });
  });
  afterAll(() => api.stop());

  const org = (body: Record<string, unknown>) =>
    api.request("POST", "/api/v1/organizations", { token: tenant.token, body });
  const patch = (id: string, body: Record<string, unknown>) =>
    api.request("PATCH", `/api/v1/organizations/${id}`, { token: tenant.token, body });
  const remove = (id: string) => api.request("DELETE", `/api/v1/organizations/${id}`, { token: tenant.token });

  it("creates, lists by name, renames and deletes", async () => {
    const b = await org({ name: "Bravo", description: "Second" });
    const a = await org({ name: "alpha" });
    expect(b.status).toBe(201);
    const list = await api.request("GET", "/api/v1/organizations", { token: tenant.token });
    const names = list.body.items.map((o: { name: string }) => o.name);
    expect(names.indexOf("alpha")).toBeLessThan(names.indexOf("Bravo"));
    expect((await patch(a.body.id, { name: "Alpha Team" })).body.name).toBe("Alpha Team");
    expect((await org({ name: "alpha" })).status).toBe(201);
    expect((await remove(b.body.id)).status).toBe(204);
    expect((await api.request("GET", `/api/v1/organizations/${b.body.id}`, { token: tenant.token })).status).toBe(404);
  });

  it("keeps names unique, ignoring case", async () => {
    await org({ name: "Support" });
    const duplicate = await org({ name: "SUPPORT" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.field).toBe("name");
  });

  it("builds a tree and refuses cycles and unknown parents", async () => {
    const root = await org({ name: "Root" });
    const child = await org({ name: "Child", parentId: root.body.id });
    const grandchild = await org({ name: "Grandchild", parentId: child.body.id });
    expect(child.body.parentId).toBe(root.body.id);
    const cycle = await patch(root.body.id, { parentId: grandchild.body.id });
    expect(cycle.status).toBe(400);
    expect(cycle.body.fields[0].field).toBe("parentId");
    const self = await patch(root.body.id, { parentId: root.body.id });
    expect(self.status).toBe(400);
    const orphan = await org({ name: "Orphan", parentId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" });
    expect(orphan.status).toBe(400);
    expect(orphan.body.fields[0].field).toBe("parentId");
  });

  it("refuses to delete an organization with members or children", async () => {
    // Arrange
    const parent = await org({ name: "Parent" });
    const child = await org({ name: "Kid", parentId: parent.body.id });
    const member = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "M", number: "6600", organizations: [child.body.id] },
    });

    // Act & Assess: a child blocks the parent, a member blocks the child
    expect((await remove(parent.body.id)).status).toBe(409);
    expect((await remove(child.body.id)).status).toBe(409);
    await api.request("PATCH", `/api/v1/extensions/${member.body.id}`, {
      token: tenant.token,
      body: { organizations: [] },
    });
    expect(
      (await api.request("GET", `/api/v1/organizations/${child.body.id}`, { token: tenant.token })).body.memberCount,
    ).toBe(0);
    expect((await remove(child.body.id)).status).toBe(204);
    expect((await remove(parent.body.id)).status).toBe(204);
  });

  it("counts members as extensions join, move and leave", async () => {
    const one = await org({ name: "One" });
    const two = await org({ name: "Two" });
    const ext = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Mover", number: "6700", organizations: [one.body.id] },
    });
    await api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, {
      token: tenant.token,
      body: { organizations: [two.body.id] },
    });
    const count = async (id: string) =>
      (await api.request("GET", `/api/v1/organizations/${id}`, { token: tenant.token })).body.memberCount;
    expect([await count(one.body.id), await count(two.body.id)]).toEqual([0, 1]);
    await api.request("DELETE", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token });
    expect(await count(two.body.id)).toBe(0);
  });
});
