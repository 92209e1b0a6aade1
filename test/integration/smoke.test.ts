import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi } from "../support/api.js";

describe("smoke", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  it("provisions a tenant and logs its administrator in", async () => {
    const tenant = await api.createTenant();
    const me = await api.request("GET", "/api/v1/me", { token: tenant.token });
    expect(me.status).toBe(200);
    expect(me.body.extension.role).toBe("super_admin");
  });
});
