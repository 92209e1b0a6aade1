import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../layers/core/auth/password.js";
import { TestApi, tenantItems } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

/** Seed 002, field by field and rule by rule, against DynamoDB Local. */
describe("SIP extensions", () => {
  let api: TestApi;
  let tenant: Tenant;
  let seq = 100;
  const nextNumber = () => String(5000 + seq++);

  const create = (body: Record<string, unknown>, token = tenant.token) =>
    api.request("POST", "/api/v1/extensions", { token, body: { firstName: "Test", number: nextNumber(), ...body } });

  beforeAll(async () => {
    api = await TestApi.start();
    tenant = await api.createTenant();
  });
  afterAll(() => api.stop());

  describe("defaults", () => {
    it("applies seed 002's defaults and generates the secrets", async () => {
      // Act
      const response = await api.request("POST", "/api/v1/extensions", {
        token: tenant.token,
        body: { firstName: "Ada", number: "1001" },
      });

      // Assess
      expect(response.status).toBe(201);
      const ext = response.body;
      expect(ext).toMatchObject({
        firstName: "Ada",
        lastName: "",
        email: "",
        mobileNumber: "",
        role: "none",
        organizations: [],
        jobTitle: "",
        callerId: "",
        number: "1001",
        concurrentRegistrations: 1,
        version: 1,
      });
      expect(ext.registrationName).toMatch(/^[A-Za-z0-9]{12}$/);
      expect(ext.initialUserPassword).toMatch(/^(?=.*\d)(?=.*[a-z])(?=.*[A-Z]).{16}$/);
      expect(ext).not.toHaveProperty("registrationPassword");
      expect(ext).not.toHaveProperty("passwordHash");
    });

    it("stores the user password only as an scrypt hash and the SIP password only sealed", async () => {
      // Arrange
      const userPassword = "Plaintext1Secret";
      const registrationPassword = "SipSecret9Value";

      // Act
      const response = await create({ userPassword, registrationPassword });

      // Assess
      expect(response.status).toBe(201);
      expect(response.body).not.toHaveProperty("initialUserPassword");
      const stored = (await tenantItems(tenant.id)).find((item) => item.id === response.body.id);
      // (The suite hashes at a lower N, test/support/password-cost.ts; password.test.ts checks the shipped one.)
      expect(stored?.passwordHash).toMatch(/^scrypt\$\d+\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
      expect(await verifyPassword(userPassword, stored?.passwordHash as string)).toBe(true);
      const raw = JSON.stringify(stored);
      expect(raw).not.toContain(userPassword);
      expect(raw).not.toContain(registrationPassword);
    });

    it("generates different registration names and passwords for every extension", async () => {
      const a = await create({});
      const b = await create({});
      const credentials = await Promise.all(
        [a, b].map((r) =>
          api.request("GET", `/api/v1/extensions/${r.body.id}/sip-credentials`, { token: tenant.token }),
        ),
      );
      expect(a.body.registrationName).not.toBe(b.body.registrationName);
      const [first, second] = credentials.map((c) => c.body.registrationPassword as string);
      expect(first).not.toBe(second);
      expect(first).toMatch(/^(?=.*\d)(?=.*[a-z])(?=.*[A-Z]).{20}$/);
    });
  });

  describe("validation", () => {
    it.each([
      ["short", "Abc12345x"],
      ["no digit", "Abcdefghijk"],
      ["no upper-case", "abcdefghij1"],
      ["no lower-case", "ABCDEFGHIJ1"],
    ])("refuses a user password with %s", async (_why, userPassword) => {
      const response = await create({ userPassword });
      expect(response.status).toBe(400);
      expect(response.body.fields).toEqual([expect.objectContaining({ field: "userPassword", in: "body" })]);
    });

    it("accepts a 10-character password with a digit, upper and lower case", async () => {
      expect((await create({ userPassword: "Abcdefgh1j" })).status).toBe(201);
    });

    it.each([0, 4, 1.5, "2", null])("refuses %s concurrent registrations", async (value) => {
      const response = await create({ concurrentRegistrations: value });
      expect(response.status).toBe(400);
      expect(response.body.fields[0].field).toBe("concurrentRegistrations");
    });

    it.each([1, 2, 3])("accepts %i concurrent registrations", async (value) => {
      const response = await create({ concurrentRegistrations: value });
      expect(response.status).toBe(201);
      expect(response.body.concurrentRegistrations).toBe(value);
    });

    it.each([
      ["number", { number: "12a" }],
      ["number", { number: "" }],
      ["firstName", { firstName: "" }],
      ["firstName", { firstName: "x".repeat(65) }],
      ["email", { email: "not-an-email" }],
      ["mobileNumber", { mobileNumber: "555-CALL" }],
      ["mobileNumber", { mobileNumber: "1".repeat(32) }],
      ["callerId", { callerId: "abc" }],
      ["role", { role: "emperor" }],
      ["registrationName", { registrationName: "has space" }],
      ["registrationPassword", { registrationPassword: "weak" }],
      ["registrationPassword", { registrationPassword: 'Quote"Inside1' }],
      ["jobTitle", { jobTitle: "bell\u0007" }],
      ["organizations", { organizations: ["not-an-id"] }],
      ["unexpected", { unexpected: true }],
    ])("names the bad field %s", async (field, body) => {
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe("validation_failed");
      expect(response.body.fields.map((f: { field: string }) => f.field.split(".")[0])).toContain(field);
    });

    it("lists every bad field at once", async () => {
      const response = await api.request("POST", "/api/v1/extensions", {
        token: tenant.token,
        body: { firstName: "", number: "x", concurrentRegistrations: 9, email: "nope" },
      });
      expect(response.status).toBe(400);
      expect(response.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(
        ["concurrentRegistrations", "email", "firstName", "number"].sort(),
      );
    });

    it("answers 400 naming the body for malformed JSON", async () => {
      const response = await api.request("POST", "/api/v1/extensions", {
        token: tenant.token,
        rawBody: "{not json",
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(400);
      expect(response.body.fields).toEqual([{ in: "body", field: "body", message: "is not valid JSON" }]);
    });

    it.each([
      ["a JSON array", "[]"],
      ["a JSON string", '"text"'],
      ["JSON null", "null"],
    ])("answers 400, never 500, for %s as the body", async (_what, rawBody) => {
      const response = await api.request("POST", "/api/v1/extensions", {
        token: tenant.token,
        rawBody,
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(400);
    });

    it("writes nothing when a request is refused", async () => {
      // Arrange
      const before = await tenantItems(tenant.id);
      const taken = await create({ email: "taken@example.com" });

      // Act
      const refused = await Promise.all([
        create({ userPassword: "weak" }),
        create({ email: "TAKEN@example.com" }),
        create({ number: taken.body.number }),
        create({ registrationName: taken.body.registrationName }),
        create({ organizations: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"] }),
      ]);

      // Assess
      expect(refused.map((r) => r.status)).toEqual([400, 409, 409, 409, 400]);
      const after = await tenantItems(tenant.id);
      const added = after.filter((item) => !before.some((b) => b.SK === item.SK));
      expect(added.filter((item) => item.extensionId !== taken.body.id && item.id !== taken.body.id)).toEqual([]);
    });
  });

  describe("uniqueness", () => {
    it("keeps an email address exclusive to one user, ignoring case", async () => {
      expect((await create({ email: "Grace@Example.com" })).status).toBe(201);
      const duplicate = await create({ email: "grace@example.COM" });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ error: "conflict", field: "email" });
    });

    it("keeps extension numbers and registration names unique", async () => {
      const first = await create({ registrationName: "desk-phone-1" });
      const sameNumber = await create({ number: first.body.number });
      const sameName = await create({ registrationName: "desk-phone-1" });
      expect(sameNumber.body).toMatchObject({ error: "conflict", field: "number" });
      expect(sameName.body).toMatchObject({ error: "conflict", field: "registrationName" });
    });

    it("lets another tenant use the same number, email and registration name", async () => {
      const other = await api.createTenant();
      const body = { number: "7777", email: "shared@example.com", registrationName: "shared-name" };
      expect((await create(body)).status).toBe(201);
      expect((await create(body, other.token)).status).toBe(201);
    });
  });

  describe("update", () => {
    it("changes fields, bumps the version and frees the old unique values", async () => {
      // Arrange
      const ext = await create({ email: "old@example.com", registrationName: "old-name" });

      // Act
      const updated = await api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, {
        token: tenant.token,
        body: {
          email: "new@example.com",
          number: "6123",
          registrationName: "new-name",
          jobTitle: "Engineer",
          concurrentRegistrations: 3,
        },
      });

      // Assess
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        email: "new@example.com",
        number: "6123",
        jobTitle: "Engineer",
        version: 2,
      });
      const reuse = await create({ email: "old@example.com", number: ext.body.number, registrationName: "old-name" });
      expect(reuse.status).toBe(201);
      expect((await create({ email: "new@example.com" })).body.field).toBe("email");
    });

    it("refuses a stale version with 409 and the current state", async () => {
      const ext = await create({});
      await api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token, body: { jobTitle: "A" } });
      const stale = await api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, {
        token: tenant.token,
        body: { jobTitle: "B", version: 1 },
      });
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ field: "version", current: { jobTitle: "A", version: 2 } });
    });

    it("refuses an empty change and an unknown extension", async () => {
      const ext = await create({});
      const empty = await api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token, body: {} });
      expect(empty.status).toBe(400);
      const missing = await api.request("PATCH", "/api/v1/extensions/01ARZ3NDEKTSV4RRFFQ69G5FAV", {
        token: tenant.token,
        body: { jobTitle: "x" },
      });
      expect(missing.status).toBe(404);
    });

    it("applies a new SIP password at once (saving is applying)", async () => {
      const ext = await create({});
      await api.request("PATCH", `/api/v1/extensions/${ext.body.id}`, {
        token: tenant.token,
        body: { registrationPassword: "Changed1Secret" },
      });
      const credentials = await api.request("GET", `/api/v1/extensions/${ext.body.id}/sip-credentials`, {
        token: tenant.token,
      });
      expect(credentials.body).toMatchObject({ registrationPassword: "Changed1Secret", domain: tenant.slug });
    });
  });

  describe("delete", () => {
    it("frees the number, email and registration name", async () => {
      const ext = await create({ email: "leaver@example.com", registrationName: "leaver" });
      const deleted = await api.request("DELETE", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token });
      expect(deleted.status).toBe(204);
      expect((await api.request("GET", `/api/v1/extensions/${ext.body.id}`, { token: tenant.token })).status).toBe(404);
      const again = await create({ email: "leaver@example.com", registrationName: "leaver", number: ext.body.number });
      expect(again.status).toBe(201);
      const leftovers = (await tenantItems(tenant.id)).filter((item) => item.extensionId === ext.body.id);
      expect(leftovers).toEqual([]);
    });

    it("never leaves the PBX without a Super Administrator", async () => {
      // The only Super Administrator cannot delete or demote themselves.
      const self = await api.request("DELETE", `/api/v1/extensions/${tenant.adminExtensionId}`, {
        token: tenant.token,
      });
      expect(self.status).toBe(409);
      expect(self.body.field).toBe("role");
      const demoteSelf = await api.request("PATCH", `/api/v1/extensions/${tenant.adminExtensionId}`, {
        token: tenant.token,
        body: { role: "admin" },
      });
      expect(demoteSelf.status).toBe(403);

      // Two Super Administrators demoting each other at once: the counter lets only one win.
      const other = await api.createTenant();
      const second = await api.userWithRole(other, "super_admin", "7900");
      const [a, b] = await Promise.all([
        api.request("PATCH", `/api/v1/extensions/${second.id}`, { token: other.token, body: { role: "admin" } }),
        api.request("PATCH", `/api/v1/extensions/${other.adminExtensionId}`, {
          token: second.token,
          body: { role: "admin" },
        }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const holders = await api.request("GET", "/api/v1/roles/super_admin/members", {
        token: a.status === 200 ? other.token : second.token,
      });
      expect(holders.body.items).toHaveLength(1);
    });
  });

  describe("list", () => {
    let listTenant: Tenant;
    beforeAll(async () => {
      listTenant = await api.createTenant({ adminExtensionNumber: "100" });
      const people = [
        ["Zoe", "Adams", "300", "zoe@corp.example"],
        ["Adam", "Young", "20", "adam@corp.example"],
        ["Mia", "Lopez", "1000", "mia@corp.example"],
        ["Liam", "Smith", "25", "liam@other.example"],
      ];
      for (const [firstName, lastName, number, email] of people) {
        const r = await create({ firstName, lastName, number, email }, listTenant.token);
        expect(r.status).toBe(201);
      }
    });

    const list = (query: Record<string, string | number>) =>
      api.request("GET", "/api/v1/extensions", { token: listTenant.token, query });

    it("sorts numbers numerically by default and pages", async () => {
      const page1 = await list({ pageSize: 2 });
      const page3 = await list({ pageSize: 2, page: 3 });
      expect(page1.body.total).toBe(5);
      expect(page1.body.items.map((e: { number: string }) => e.number)).toEqual(["20", "25"]);
      expect(page3.body.items.map((e: { number: string }) => e.number)).toEqual(["1000"]);
    });

    it("sorts by name and email in both directions", async () => {
      const byName = await list({ sortBy: "name" });
      expect(byName.body.items.map((e: { firstName: string }) => e.firstName)).toEqual([
        "Adam",
        "Administrator",
        "Liam",
        "Mia",
        "Zoe",
      ]);
      const byEmailDesc = await list({ sortBy: "email", order: "desc" });
      expect(byEmailDesc.body.items[0].email).toBe("zoe@corp.example");
    });

    it("searches name, number and email, case-insensitively", async () => {
      expect((await list({ search: "ADAMS" })).body.items.map((e: { number: string }) => e.number)).toEqual(["300"]);
      expect((await list({ search: "100" })).body.items.map((e: { number: string }) => e.number)).toEqual([
        "100",
        "1000",
      ]);
      expect((await list({ search: "other.example" })).body.total).toBe(1);
    });

    it("never shows secrets in a list", async () => {
      const text = JSON.stringify((await list({ pageSize: 100 })).body);
      expect(text).not.toMatch(/password|scrypt|Sealed/i);
    });

    it.each([
      [{ page: 0 }, "page"],
      [{ pageSize: 101 }, "pageSize"],
      [{ sortBy: "salary" }, "sortBy"],
      [{ order: "up" }, "order"],
      [{ color: "red" }, "color"],
    ])("refuses query %o naming %s", async (query, field) => {
      const response = await list(query);
      expect(response.status).toBe(400);
      expect(response.body.fields[0]).toMatchObject({ in: "query", field });
    });
  });

  describe("roles", () => {
    it("assigns the system's default roles", async () => {
      const response = await create({ role: "supervisor" });
      expect(response.body.role).toBe("supervisor");
    });

    it("does not let an Administrator hand out the Super Administrator role", async () => {
      const admin = await api.userWithRole(tenant, "admin", nextNumber());
      const response = await create({ role: "super_admin" }, admin.token);
      expect(response.status).toBe(403);
      expect(response.body.field).toBe("role");
    });

    it("does not let Human Resource grant roles with permissions it lacks", async () => {
      const hr = await api.userWithRole(tenant, "human_resource", nextNumber());
      expect((await create({ role: "admin" }, hr.token)).status).toBe(403);
      expect((await create({ role: "none" }, hr.token)).status).toBe(201);
    });

    it("applies a role change to the very next request", async () => {
      const user = await api.userWithRole(tenant, "operator", nextNumber());
      expect((await api.request("GET", "/api/v1/extensions", { token: user.token })).status).toBe(200);
      await api.request("PATCH", `/api/v1/extensions/${user.id}`, { token: tenant.token, body: { role: "none" } });
      const after = await api.request("GET", "/api/v1/extensions", { token: user.token });
      expect(after.status).toBe(403);
      expect(after.body.permission).toBe("extensions.view");
    });
  });

  describe("organizations on extensions", () => {
    it("accepts organizations only when Organization Management is enabled", async () => {
      // Arrange
      const orgTenant = await api.createTenant();
      const org = await api.request("POST", "/api/v1/organizations", { token: orgTenant.token, body: { name: "R&D" } });

      // Act
      const refused = await create({ organizations: [org.body.id] }, orgTenant.token);
      await api.request("PATCH", "/api/v1/settings", {
        token: orgTenant.token,
        body: { organizationManagement: true },
      });
      const accepted = await create({ organizations: [org.body.id] }, orgTenant.token);

      // Assess
      expect(refused.status).toBe(400);
      expect(refused.body.fields[0]).toMatchObject({ field: "organizations" });
      expect(accepted.status).toBe(201);
      const counted = await api.request("GET", `/api/v1/organizations/${org.body.id}`, { token: orgTenant.token });
      expect(counted.body.memberCount).toBe(1);
    });

    it("refuses an organization of another tenant as unknown", async () => {
      const mine = await api.createTenant();
      const theirs = await api.createTenant();
      for (const t of [mine, theirs]) {
        await api.request("PATCH", "/api/v1/settings", { token: t.token, body: { organizationManagement: true } });
      }
      const foreign = await api.request("POST", "/api/v1/organizations", { token: theirs.token, body: { name: "X" } });
      const response = await create({ organizations: [foreign.body.id] }, mine.token);
      expect(response.status).toBe(400);
      expect(response.body.fields[0].field).toBe("organizations.0");
    });
  });
});
