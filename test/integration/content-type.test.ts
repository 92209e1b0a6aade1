import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi, tenantItems } from "../support/api.js";

/**
 * Login only from the app: a page on another site can make a browser POST text/plain, a form or
 * multipart without a CORS preflight, never application/json. So the API reads only bodies
 * declared application/json, and the public auth routes insist even on an empty body.
 */
describe("Content-Type", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
  });
  afterAll(() => api?.stop());

  const loginText = (password: string) =>
    JSON.stringify({ server: tenant.slug, email: tenant.adminEmail, password, client: "web" });

  it.each([
    ["text/plain", "text/plain;charset=UTF-8"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["no type", undefined],
  ])("a login sent as %s answers 415 naming content-type, and is not counted", async (_what, type) => {
    // Prepare: what a cross-site page can make its visitors' browsers send, many times over
    const ip = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    const send = (password: string) =>
      api.request("POST", "/api/v1/auth/login", {
        rawBody: loginText(password),
        headers: type ? { "content-type": type } : {},
        ip,
      });

    // Act
    const answers = await Promise.all(Array.from({ length: 8 }, () => send("Wrong1Password")));
    const right = await send(tenant.adminPassword);
    const json = await api.request("POST", "/api/v1/auth/login", {
      body: { server: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
      ip,
    });

    // Assess: refused before reading the body, so nothing was counted or blocked
    for (const answer of [...answers, right]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(415);
      expect(answer.body.fields).toEqual([expect.objectContaining({ in: "header", field: "content-type" })]);
    }
    expect(json.status).toBe(200);
    const items = await tenantItems(tenant.id);
    expect(items.filter((item) => item.type === "blockedIp" && item.ip === ip)).toEqual([]);
  });

  it.each(["/api/v1/auth/quick-login", "/api/v1/auth/refresh"])("%s refuses text/plain with 415", async (path) => {
    const response = await api.request("POST", path, { rawBody: "{}", headers: { "content-type": "text/plain" } });
    expect(response.status).toBe(415);
  });

  it("other routes with a body refuse text/plain with 415 and accept application/json with parameters", async () => {
    // Act
    const plain = await api.request("PATCH", "/api/v1/security/login-settings", {
      token: tenant.token,
      rawBody: JSON.stringify({ maxFailures: 7 }),
      headers: { "content-type": "text/plain" },
    });
    const json = await api.request("PATCH", "/api/v1/security/login-settings", {
      token: tenant.token,
      rawBody: JSON.stringify({ maxFailures: 7 }),
      headers: { "content-type": "Application/JSON; charset=utf-8" },
    });

    // Assess
    expect(plain.status).toBe(415);
    expect(json.status, JSON.stringify(json.body)).toBe(200);
    expect(json.body.maxFailures).toBe(7);
  });
});
