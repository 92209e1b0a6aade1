import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, TestApi } from "../support/api.js";

/**
 * Every list cursor is sealed for its list, its tenant and its query's range (storage/cursor.ts):
 * a cursor the API did not issue, or issued for something else, is a 400 naming `cursor`, never
 * the 500 DynamoDB's ValidationException made of a start key outside the query's range.
 */
const unsealed = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function expectCursorRefused(response: ApiResponse) {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.fields).toEqual([expect.objectContaining({ in: "query", field: "cursor" })]);
}

describe("list cursors", () => {
  let api: TestApi;
  let tenant: Awaited<ReturnType<TestApi["createTenant"]>>;
  let other: Awaited<ReturnType<TestApi["createTenant"]>>;
  const get = (token: string, path: string, query: Record<string, string | number>) =>
    api.request("GET", `/api/v1${path}`, { token, query });

  beforeAll(async () => {
    api = await TestApi.start();
    const pool = await api.createTenantPool(2);
    tenant = pool();
    other = pool();
    // Two failed logins: two events in each tenant's log, so a page of one has a next cursor.
    for (const t of [tenant, other]) {
      for (const ip of ["192.0.2.10", "192.0.2.11"]) {
        await api.request("POST", "/api/v1/auth/login", {
          body: { server: t.slug, email: t.adminEmail, password: "wrong-password" },
          ip,
        });
      }
    }
    await Promise.all(
      [tenant, other].flatMap((t) =>
        ["Ada", "Bob", "Cy"].map(async (firstName, i) => {
          const body = { firstName, numbers: [{ type: "business", number: `555 010${i}` }] };
          const created = await api.request("POST", "/api/v1/company-contacts", { token: t.token, body });
          expect(created.status, JSON.stringify(created.body)).toBe(201);
        }),
      ),
    );
  });
  afterAll(() => api?.stop());

  describe.each([
    ["the tenant list", "platform", "/platform/tenants", { GSI1PK: "TENANTS", GSI1SK: "~", PK: "T#~", SK: "~" }],
    ["the event log", "tenant", "/event-log", { PK: "T#x", SK: "EVENT#0" }],
    ["the contacts page", "tenant", "/contacts", { c: unsealed(["zzz"]), p: null }],
    ["the company directory", "tenant", "/contacts?directory=company", { c: unsealed(["zzz"]), p: null }],
    ["the export", "tenant", "/company-contacts/export", ["zzz"]],
    ["the call logs", "tenant", "/me/call-logs", { PK: "T#x#REC", SK: "y" }],
  ] as const)("%s", (_label, who, path, outOfRange) => {
    const token = () => (who === "platform" ? api.platformKey : tenant.token);

    it("refuses a well-formed position outside the query's range with 400 naming cursor", async () => {
      expectCursorRefused(await get(token(), path, { cursor: unsealed(outOfRange) }));
    });

    it.each([
      ["garbage", "%%%"],
      ["a sealed look-alike", "c1.e30.AAAAAAAAAAAAAAAAAAAAAA"],
      ["an empty seal", "c1.."],
    ])("refuses %s with 400 naming cursor", async (_what, cursor) => {
      expectCursorRefused(await get(token(), path, { cursor }));
    });
  });

  it("opens the event log's cursor only for its tenant and its time range", async () => {
    // Prepare
    const first = await get(tenant.token, "/event-log", { limit: 1 });
    expect(first.status).toBe(200);
    const cursor = first.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));

    // Act
    const next = await get(tenant.token, "/event-log", { limit: 1, cursor });
    const otherTenant = await get(other.token, "/event-log", { limit: 1, cursor });
    const otherRange = await get(tenant.token, "/event-log", { limit: 1, cursor, from: "2020-01-01T00:00:00Z" });
    const edited = await get(tenant.token, "/event-log", { limit: 1, cursor: `${cursor.slice(0, -2)}AA` });

    // Assess
    expect(next.status).toBe(200);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
    expectCursorRefused(otherTenant);
    expectCursorRefused(otherRange);
    expectCursorRefused(edited);
  });

  it("opens a contacts cursor only in its tenant and for the same directory and search", async () => {
    // Prepare
    const company = { directory: "company", limit: 1 };
    const first = await get(tenant.token, "/contacts", company);
    expect(first.status).toBe(200);
    const cursor = first.body.nextCursor as string;
    const exportFirst = await get(tenant.token, "/company-contacts/export", { limit: 1 });
    const exportCursor = exportFirst.headers.get("x-next-cursor") as string;

    // Act
    const next = await get(tenant.token, "/contacts", { ...company, cursor });
    const otherTenant = await get(other.token, "/contacts", { ...company, cursor });
    const otherSearch = await get(tenant.token, "/contacts", { ...company, cursor, q: "bob" });
    const otherDirectory = await get(tenant.token, "/contacts", { directory: "all", limit: 1, cursor });
    const exportNext = await get(tenant.token, "/company-contacts/export", { limit: 1, cursor: exportCursor });
    const exportOtherTenant = await get(other.token, "/company-contacts/export", { limit: 1, cursor: exportCursor });

    // Assess
    expect(next.status, JSON.stringify([first.body, next.body])).toBe(200);
    expect(next.body.items[0].firstName).toBe("Bob");
    expectCursorRefused(otherTenant);
    expectCursorRefused(otherSearch);
    expectCursorRefused(otherDirectory);
    expect(exportNext.status).toBe(200);
    expect(exportNext.body).toContain("Bob");
    expectCursorRefused(exportOtherTenant);
  });

  it("opens the tenant list's cursor, and not a tenant's cursor in its place", async () => {
    const first = await get(api.platformKey, "/platform/tenants", { limit: 1 });
    const events = await get(tenant.token, "/event-log", { limit: 1 });

    expect((await get(api.platformKey, "/platform/tenants", { limit: 1, cursor: first.body.nextCursor })).status).toBe(
      200,
    );
    expectCursorRefused(await get(api.platformKey, "/platform/tenants", { cursor: events.body.nextCursor }));
  });
});
