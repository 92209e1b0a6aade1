import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi, tenantItems } from "../support/api.js";

/** Uniqueness holds under concurrent requests, not only one after another (guard items in transactions). */
describe("concurrent creates", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
  });
  afterAll(() => api.stop());

  const race = (bodies: Record<string, unknown>[]) =>
    Promise.all(
      bodies.map((body) =>
        api.request("POST", "/api/v1/extensions", { token: tenant.token, body: { firstName: "R", ...body } }),
      ),
    );

  it("20 creates with the same email leave exactly one extension", async () => {
    const answers = await race(
      Array.from({ length: 20 }, (_, i) => ({ number: String(8100 + i), email: "same@example.com" })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.field === "email")).toBe(true);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    const stored = (await tenantItems(tenant.id)).filter(
      (item) => item.type === "extension" && item.email === "same@example.com",
    );
    expect(stored).toHaveLength(1);
  });

  it("20 creates with the same number leave exactly one extension", async () => {
    const answers = await race(Array.from({ length: 20 }, (_, i) => ({ number: "8200", email: `n${i}@example.com` })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.body.field === "number")).toHaveLength(19);
    const items = await tenantItems(tenant.id);
    expect(items.filter((item) => item.type === "extension" && item.number === "8200")).toHaveLength(1);
    // No orphaned guards from the losers: every guard points at a stored extension.
    const ids = new Set(items.filter((item) => item.type === "extension").map((item) => item.id));
    expect(items.filter((item) => item.type === "guard" && item.extensionId).every((g) => ids.has(g.extensionId))).toBe(
      true,
    );
  });

  it("concurrent updates of one extension never lose a version", async () => {
    const ext = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "V", number: "8300" },
    });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token, body: { jobTitle: `t${i}` } }),
      ),
    );
    const succeeded = answers.filter((a) => a.status === 200);
    const final = await api.request("GET", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token });
    expect(final.body.version).toBe(1 + succeeded.length);
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
  });
});
