import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

/** Login sessions: rotating refresh tokens, logout, password changes ending sessions. */
describe("login sessions", () => {
  let api: TestApi;
  let tenant: Tenant;
  let number = 4500;

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
  });
  afterAll(() => api.stop());

  const me = (token: string) => api.request("GET", "/api/v1/me", { token });
  const refresh = (refreshToken: string) => api.request("POST", "/api/v1/auth/refresh", { body: { refreshToken } });

  it("logs in with the extension number instead of the email, from any client", async () => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const extensionNumber = String(number - 1);
    for (const client of ["web", "linkus_mobile", "linkus_desktop"]) {
      const response = await api.request("POST", "/api/v1/auth/login", {
        body: { server: tenant.slug, extension: extensionNumber, password: user.password, client },
      });
      expect(response.status, client).toBe(200);
      expect(response.body.extension.id).toBe(user.id);
      expect(response.body.refreshToken).toMatch(/^rt1\./);
    }
  });

  it.each([
    [{ server: "x", password: "y" }, "email"],
    [{ server: "x", password: "y", email: "a@b.c", extension: "100" }, "email"],
    [{ server: "x", email: "a@b.c", password: "y", client: "fax" }, "client"],
  ])("refuses %o naming %s", async (body, field) => {
    const response = await api.request("POST", "/api/v1/auth/login", { body });
    expect(response.status).toBe(400);
    expect(response.body.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it("rotates the refresh token, and a reused one ends the whole session", async () => {
    // Arrange
    const user = await api.userWithRole(tenant, "none", String(number++));
    const first = await api.login(tenant.slug, user.email, user.password);

    // Act
    const second = await refresh(first.refreshToken);
    const third = await refresh(second.body.refreshToken);
    const reuse = await refresh(first.refreshToken);

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect(third.status).toBe(200);
    expect((await me(third.body.accessToken)).status).toBe(401);
    expect(reuse.status).toBe(401);
    expect((await refresh(third.body.refreshToken)).status).toBe(401);
    expect((await me(second.body.accessToken)).status).toBe(401);
  });

  it("lets only one of two racing refreshes with the same token win, and ends the session", async () => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const session = await api.login(tenant.slug, user.email, user.password);
    const [a, b] = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const winner = a.status === 200 ? a : b;
    expect((await me(winner.body.accessToken)).status).toBe(401);
  });

  it("refuses forged and malformed refresh tokens", async () => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const session = await api.login(tenant.slug, user.email, user.password);
    const [prefix, tenantId, sessionId] = String(session.refreshToken).split(".");
    for (const token of ["garbage", `${prefix}.${tenantId}.${sessionId}.forged`, "rt1.a.b.c.d"]) {
      expect((await refresh(token)).status).toBe(401);
    }
  });

  it("logout ends the session: its access and refresh tokens stop working", async () => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const session = await api.login(tenant.slug, user.email, user.password);
    const other = await api.login(tenant.slug, user.email, user.password);
    expect((await api.request("POST", "/api/v1/auth/logout", { token: session.accessToken })).status).toBe(204);
    expect((await me(session.accessToken)).status).toBe(401);
    expect((await refresh(session.refreshToken)).status).toBe(401);
    expect((await me(other.accessToken)).status).toBe(200);
  });

  it("changing your own password keeps this session and ends the others", async () => {
    // Arrange
    const user = await api.userWithRole(tenant, "none", String(number++));
    const here = await api.login(tenant.slug, user.email, user.password);
    const elsewhere = await api.login(tenant.slug, user.email, user.password, "linkus_mobile");

    // Act
    const changed = await api.request("POST", "/api/v1/me/password", {
      token: here.accessToken,
      body: { currentPassword: user.password, newPassword: "Brand1NewPassword" },
    });

    // Assess
    expect(changed.status).toBe(200);
    expect((await me(changed.body.accessToken)).status).toBe(200);
    expect((await refresh(changed.body.refreshToken)).status).toBe(200);
    expect((await me(here.accessToken)).status).toBe(401);
    expect((await me(elsewhere.accessToken)).status).toBe(401);
    expect((await refresh(elsewhere.refreshToken)).status).toBe(401);
    const oldPassword = await api.request("POST", "/api/v1/auth/login", {
      body: { server: tenant.slug, email: user.email, password: user.password },
    });
    expect(oldPassword.status).toBe(401);
    await api.login(tenant.slug, user.email, "Brand1NewPassword");
  });

  it.each([
    [{ currentPassword: "Wrong1Password", newPassword: "Another1Password" }, "currentPassword"],
    [{ currentPassword: "UserPassw0rd", newPassword: "weak" }, "newPassword"],
    [{ currentPassword: "UserPassw0rd", newPassword: "UserPassw0rd" }, "newPassword"],
  ])("refuses a password change %o naming %s", async (body, field) => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const response = await api.request("POST", "/api/v1/me/password", { token: user.token, body });
    expect(response.status).toBe(400);
    expect(response.body.fields[0].field).toBe(field);
    expect((await me(user.token)).status).toBe(200);
  });

  it("an administrator setting a user's password ends every session of that user", async () => {
    const user = await api.userWithRole(tenant, "none", String(number++));
    const response = await api.request("PUT", `/api/v1/extensions/${user.id}/password`, {
      token: tenant.token,
      body: { newPassword: "Admin1SetPassword" },
    });
    expect(response.status).toBe(204);
    expect((await me(user.token)).status).toBe(401);
    await api.login(tenant.slug, user.email, "Admin1SetPassword");
  });

  it("only a Super Administrator can set a Super Administrator's password", async () => {
    const admin = await api.userWithRole(tenant, "admin", String(number++));
    const response = await api.request("PUT", `/api/v1/extensions/${tenant.adminExtensionId}/password`, {
      token: admin.token,
      body: { newPassword: "Takeover1Password" },
    });
    expect(response.status).toBe(403);
  });

  it("a suspended tenant's sessions stop at once and cannot refresh", async () => {
    const other = await api.createTenant();
    const session = await api.login(other.slug, other.adminEmail, other.adminPassword);
    await api.request("POST", `/api/v1/platform/tenants/${other.id}/suspend`, { token: api.platformKey });
    expect((await me(session.accessToken)).status).toBe(403);
    expect((await refresh(session.refreshToken)).status).toBe(403);
  });
});
