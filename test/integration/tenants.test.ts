import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi, tenantItems } from "../support/api.js";

describe("tenants (platform API)", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  const platform = (method: string, path: string, body?: unknown, query?: Record<string, string | number>) =>
    api.request(method, `/api/v1/platform${path}`, { token: api.platformKey, body, query });

  it("needs the platform admin key", async () => {
    const tenant = await api.createTenant();
    expect((await api.request("GET", "/api/v1/platform/tenants")).status).toBe(401);
    expect((await api.request("GET", "/api/v1/platform/tenants", { token: "pbxp_wrong" })).status).toBe(401);
    expect((await api.request("GET", "/api/v1/platform/tenants", { token: tenant.token })).status).toBe(401);
    expect((await api.request("GET", "/api/v1/extensions", { token: api.platformKey })).status).toBe(401);
  });

  it("creates a tenant whose first extension is the Super Administrator, returning a generated password once", async () => {
    // Act
    const created = await platform("POST", "/tenants", {
      name: "Acme",
      slug: "Acme-HQ",
      adminEmail: "Boss@Acme.example",
    });

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.tenant).toMatchObject({ name: "Acme", slug: "acme-hq", status: "active" });
    expect(created.body.administrator).toMatchObject({ number: "1000", email: "boss@acme.example" });
    const password = created.body.initialPassword as string;
    expect(password).toMatch(/^(?=.*\d)(?=.*[a-z])(?=.*[A-Z]).{16}$/);
    const login = await api.login("acme-hq", "boss@acme.example", password);
    expect(login.extension.role).toBe("super_admin");
    expect(login.tenant.slug).toBe("acme-hq");
    const fetched = await platform("GET", `/tenants/${created.body.tenant.id}`);
    expect(JSON.stringify(fetched.body)).not.toContain(password);
    const items = await tenantItems(created.body.tenant.id);
    expect(items.every((item) => String(item.PK).startsWith(`T#${created.body.tenant.id}`))).toBe(true);
  });

  it("does not return a password the operator chose", async () => {
    const tenant = await api.createTenant();
    const fetched = await platform("GET", `/tenants/${tenant.id}`);
    expect(fetched.body).not.toHaveProperty("initialPassword");
  });

  it("keeps slugs unique", async () => {
    const first = await api.createTenant();
    const again = await platform("POST", "/tenants", { name: "Copy", slug: first.slug, adminEmail: "x@example.com" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ field: "slug" });
  });

  it.each([
    ["slug", { slug: "ab" }],
    ["slug", { slug: "-bad" }],
    ["slug", { slug: "api" }],
    ["slug", { slug: "has space" }],
    ["name", { name: "" }],
    ["adminEmail", { adminEmail: "nope" }],
    ["adminPassword", { adminPassword: "short1A" }],
    ["adminExtensionNumber", { adminExtensionNumber: "12ab" }],
  ])("names the bad field %s", async (field, override) => {
    const response = await platform("POST", "/tenants", {
      name: "Valid",
      slug: "valid-slug",
      adminEmail: "a@example.com",
      ...override,
    });
    expect(response.status).toBe(400);
    expect(response.body.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it("lists tenants with a cursor", async () => {
    const created = [await api.createTenant(), await api.createTenant(), await api.createTenant()];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await platform("GET", "/tenants", undefined, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((t: { id: string }) => t.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    for (const tenant of created) expect(seen).toContain(tenant.id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("refuses a forged cursor with 400", async () => {
    const forged = Buffer.from(JSON.stringify({ PK: "T#x", SK: "EXT#y", GSI1PK: "OTHER", GSI1SK: "z" })).toString(
      "base64url",
    );
    const response = await platform("GET", "/tenants", undefined, { cursor: forged });
    expect(response.status).toBe(400);
    expect(response.body.fields[0]).toMatchObject({ in: "query", field: "cursor" });
  });

  it("suspends a tenant: no login, no API use, until resumed", async () => {
    // Arrange
    const tenant = await api.createTenant();

    // Act
    const suspended = await platform("POST", `/tenants/${tenant.id}/suspend`);
    const login = await api.request("POST", "/api/v1/auth/login", {
      body: { server: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
    });
    const apiUse = await api.request("GET", "/api/v1/me", { token: tenant.token });

    // Assess
    expect(suspended.body.status).toBe("suspended");
    expect(login.status).toBe(403);
    expect(apiUse.status).toBe(403);
    expect(apiUse.body.reason).toMatch(/suspended/);
    await platform("POST", `/tenants/${tenant.id}/resume`);
    expect((await api.request("GET", "/api/v1/me", { token: tenant.token })).status).toBe(200);
  });

  it("deletes a tenant with every item it owns and frees its slug", async () => {
    // Arrange
    const tenant = await api.createTenant();
    await api.request("POST", "/api/v1/extensions", { token: tenant.token, body: { firstName: "A", number: "1" } });

    // Act
    const deleted = await platform("DELETE", `/tenants/${tenant.id}`);

    // Assess
    expect(deleted.status).toBe(204);
    expect(await tenantItems(tenant.id)).toEqual([]);
    expect((await platform("GET", `/tenants/${tenant.id}`)).status).toBe(404);
    expect((await api.request("GET", "/api/v1/me", { token: tenant.token })).status).toBe(401);
    expect((await platform("DELETE", `/tenants/${tenant.id}`)).status).toBe(404);
    const reused = await platform("POST", "/tenants", { name: "Again", slug: tenant.slug, adminEmail: "a@b.example" });
    expect(reused.status).toBe(201);
  });

  it("answers 404 for unknown tenants and 400 for malformed ids", async () => {
    expect((await platform("GET", "/tenants/01ARZ3NDEKTSV4RRFFQ69G5FAV")).status).toBe(404);
    expect((await platform("POST", "/tenants/01ARZ3NDEKTSV4RRFFQ69G5FAV/suspend")).status).toBe(404);
    const malformed = await platform("GET", "/tenants/not-an-id");
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields[0]).toMatchObject({ in: "path", field: "tenantId" });
  });
});

describe("login", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  it("answers an unknown server, an unknown user and a wrong password identically", async () => {
    const tenant = await api.createTenant();
    const attempts = [
      { server: "no-such-pbx", email: tenant.adminEmail, password: tenant.adminPassword },
      { server: tenant.slug, email: "ghost@example.com", password: tenant.adminPassword },
      { server: tenant.slug, email: tenant.adminEmail, password: "Wrong1Password" },
    ];
    const answers = await Promise.all(attempts.map((body) => api.request("POST", "/api/v1/auth/login", { body })));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(answers[0]?.body);
    }
  });

  it("accepts the email in any case and returns a token that carries tenant, extension and role", async () => {
    const tenant = await api.createTenant();
    const login = await api.login(tenant.slug.toUpperCase(), tenant.adminEmail.toUpperCase(), tenant.adminPassword);
    const [, payload] = String(login.accessToken).split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    expect(claims).toMatchObject({ tid: tenant.id, sub: tenant.adminExtensionId, role: "super_admin" });
    expect(claims.exp - claims.iat).toBe(1800);
    expect(login.expiresIn).toBe(1800);
  });

  it("refuses tampered and malformed tokens with 401", async () => {
    const tenant = await api.createTenant();
    const [header, payload, signature] = tenant.token.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: "super_admin", tid: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }));
    for (const token of [`${header}.${forged.toString("base64url")}.${signature}`, "garbage", `${tenant.token}x`]) {
      expect((await api.request("GET", "/api/v1/me", { token })).status).toBe(401);
    }
  });

  it("ends access for a deleted extension at once", async () => {
    const tenant = await api.createTenant();
    const user = await api.userWithRole(tenant, "operator", "4100");
    await api.request("DELETE", `/api/v1/extensions/${user.id}`, { token: tenant.token });
    expect((await api.request("GET", "/api/v1/me", { token: user.token })).status).toBe(401);
  });
});
