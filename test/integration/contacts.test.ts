import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;
type User = Awaited<ReturnType<TestApi["userWithRole"]>>;
type Body = Record<string, unknown>;
interface ContactBody {
  id: string;
  firstName: string;
  lastName: string;
  company: string;
  directory: "company" | "personal";
  numbers: { type: string; number: string }[];
  version: number;
}

/** Seed 001: company contacts, personal contacts, the Directory selector and the change feed. */
describe("Contacts", () => {
  let api: TestApi;
  let number = 3000;
  const nextNumber = () => String(number++);

  /** Every test group takes a tenant of its own from a pool created up front. */
  let freshTenant: () => Tenant;

  beforeAll(async () => {
    api = await TestApi.start();
    freshTenant = await api.createTenantPool(9);
  });
  afterAll(() => api.stop());

  // --- helpers -------------------------------------------------------------------------------

  const contact = (overrides: Body = {}): Body => ({
    firstName: "Ada",
    lastName: "Lovelace",
    numbers: [{ type: "business", number: "+44 20 7946 0000" }],
    ...overrides,
  });
  const createCompany = (token: string, body: Body) => api.request("POST", "/api/v1/company-contacts", { token, body });
  const createPersonal = (token: string, body: Body) => api.request("POST", "/api/v1/me/contacts", { token, body });
  const mustCreate = async (token: string, body: Body, directory: "company" | "personal" = "company") => {
    const response = await (directory === "company" ? createCompany(token, body) : createPersonal(token, body));
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as ContactBody;
  };
  const list = (token: string, query: Record<string, string | number>) =>
    api.request("GET", "/api/v1/contacts", { token, query });
  /** Follows nextCursor to the end, returning every page's items in order. */
  const walk = async (token: string, query: Record<string, string | number>) => {
    const items: ContactBody[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const response = await list(token, { ...query, ...(cursor ? { cursor } : {}) });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      // A listing page holds at most `limit`; with a search, `all` adds the (few) personal matches to page one.
      if (!query.q && !query.company) expect(response.body.items.length).toBeLessThanOrEqual(Number(query.limit ?? 50));
      items.push(...response.body.items);
      cursor = response.body.nextCursor;
      if (!cursor) return items;
    }
    throw new Error("the cursor never ended");
  };
  const namesOf = (items: ContactBody[]) => items.map((c) => `${c.firstName} ${c.lastName}`.trim());
  const fieldsOf = (response: { body: { fields?: { field: string }[] } }) => [
    ...new Set((response.body.fields ?? []).map((f) => f.field)),
  ];
  const grant = async (tenant: Tenant, extensionId: string, access: "view" | "manage") => {
    const response = await api.request("POST", "/api/v1/company-contacts-rules", {
      token: tenant.token,
      body: { name: `${access} ${extensionId}`, members: { extensions: [extensionId] }, access },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  };
  const disallow = async (tenant: Tenant, extensionId: string, kind: "menu" | "operation", items: string[]) => {
    const response = await api.request("POST", "/api/v1/linkus-permission-rules", {
      token: tenant.token,
      body: { kind, name: `No ${items.join(" ")}`, members: { extensions: [extensionId] }, effect: "disallow", items },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  };

  // --- company contacts: permissions and validation ------------------------------------------

  describe("company contacts: view and manage", () => {
    let tenant: Tenant;
    let outsider: User;
    let viewer: User;
    let manager: User;
    let administrator: User;
    let existing: ContactBody;

    beforeAll(async () => {
      tenant = freshTenant();
      [outsider, viewer, manager, administrator] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "admin", nextNumber()),
      ]);
      await grant(tenant, viewer.id, "view");
      await grant(tenant, manager.id, "manage");
      existing = await mustCreate(tenant.token, contact({ firstName: "Existing" }));
    });

    it("refuses a user without access: 403 on the company directory and on a contact", async () => {
      // Act
      const listed = await list(outsider.token, { directory: "company" });
      const got = await api.request("GET", `/api/v1/company-contacts/${existing.id}`, { token: outsider.token });
      const created = await createCompany(outsider.token, contact());

      // Assess
      expect(listed.status).toBe(403);
      expect(listed.body.permission).toBe("company_contacts.view");
      expect(got.status).toBe(403);
      expect(got.body.permission).toBe("company_contacts.view");
      expect(created.status).toBe(403);
      expect(created.body.permission).toBe("company_contacts.manage");
    });

    it("lets a user granted view by rule list and read, but not add, edit or delete", async () => {
      // Act
      const listed = await list(viewer.token, { directory: "company" });
      const got = await api.request("GET", `/api/v1/company-contacts/${existing.id}`, { token: viewer.token });
      const created = await createCompany(viewer.token, contact());
      const updated = await api.request("PUT", `/api/v1/company-contacts/${existing.id}`, {
        token: viewer.token,
        body: { ...contact({ firstName: "Changed" }), version: existing.version },
      });
      const deleted = await api.request("DELETE", `/api/v1/company-contacts/${existing.id}`, { token: viewer.token });

      // Assess
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((c: ContactBody) => c.id)).toContain(existing.id);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ id: existing.id, firstName: "Existing", directory: "company" });
      for (const refused of [created, updated, deleted]) {
        expect(refused.status).toBe(403);
        expect(refused.body.permission).toBe("company_contacts.manage");
      }
      const after = await api.request("GET", `/api/v1/company-contacts/${existing.id}`, { token: tenant.token });
      expect(after.body).toMatchObject({ firstName: "Existing", version: existing.version });
    });

    it.each([
      ["a user granted manage by rule", () => manager.token],
      ["an Administrator, by role", () => administrator.token],
      ["the Super Administrator, by role", () => tenant.token],
    ])("lets %s add, read, edit and delete", async (_who, tokenOf) => {
      // Arrange
      const token = tokenOf();

      // Act
      const created = await createCompany(token, contact({ firstName: "Grace", lastName: "Hopper" }));
      const got = await api.request("GET", `/api/v1/company-contacts/${created.body.id}`, { token });
      const updated = await api.request("PUT", `/api/v1/company-contacts/${created.body.id}`, {
        token,
        body: { ...contact({ firstName: "Grace", lastName: "Brewster", company: "Navy" }), version: 1 },
      });
      const deleted = await api.request("DELETE", `/api/v1/company-contacts/${created.body.id}`, { token });
      const gone = await api.request("GET", `/api/v1/company-contacts/${created.body.id}`, { token });

      // Assess
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ firstName: "Grace", lastName: "Hopper", directory: "company", version: 1 });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body).toMatchObject({ lastName: "Brewster", company: "Navy", version: 2 });
      expect(deleted.status).toBe(204);
      expect(gone.status).toBe(404);
    });

    it("stores every field it is given and defaults the rest to empty", async () => {
      // Arrange
      const full = {
        firstName: "Ada",
        lastName: "King",
        company: "Analytical Engines Ltd",
        email: "ada@example.com",
        remark: "Met at\nthe conference",
        zipCode: "W1 1AA",
        street: "12 St James's Square",
        city: "London",
        state: "Greater London",
        country: "United Kingdom",
        numbers: [
          { type: "business", number: "+44 20 7946 0001" },
          { type: "mobile", number: "07700 900123" },
        ],
      };

      // Act
      const created = await createCompany(tenant.token, full);
      const minimal = await createCompany(tenant.token, { lastName: "Only", numbers: [{ type: "home", number: "1" }] });

      // Assess
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject(full);
      expect(minimal.status).toBe(201);
      expect(minimal.body).toMatchObject({ firstName: "", company: "", email: "", remark: "", city: "" });
    });

    it("requires a first or last name and at least one number", async () => {
      // Act
      const noName = await createCompany(tenant.token, contact({ firstName: "", lastName: "" }));
      const blankName = await createCompany(tenant.token, contact({ firstName: "   ", lastName: undefined }));
      const noNumbers = await createCompany(tenant.token, contact({ numbers: [] }));
      const lastNameOnly = await createCompany(tenant.token, contact({ firstName: "", lastName: "Turing" }));
      const firstNameOnly = await createCompany(tenant.token, contact({ firstName: "Alan", lastName: "" }));
      const updateNoName = await api.request("PUT", `/api/v1/company-contacts/${existing.id}`, {
        token: tenant.token,
        body: { ...contact({ firstName: "", lastName: "" }), version: existing.version },
      });

      // Assess
      expect(noName.status).toBe(400);
      expect(fieldsOf(noName)).toEqual(["firstName"]);
      expect(blankName.status).toBe(400);
      expect(fieldsOf(blankName)).toEqual(["firstName"]);
      expect(noNumbers.status).toBe(400);
      expect(fieldsOf(noNumbers)).toEqual(["numbers"]);
      expect(lastNameOnly.status).toBe(201);
      expect(firstNameOnly.status).toBe(201);
      expect(updateNoName.status).toBe(400);
      expect(fieldsOf(updateNoName)).toEqual(["firstName"]);
    });

    it.each([
      ["letters", "555-CALL-NOW"],
      ["32 characters", "1".repeat(32)],
      ["only punctuation", "() -"],
      ["a slash", "555/0100"],
      ["an empty string", ""],
    ])("refuses a number with %s, naming numbers.0.number", async (_what, value) => {
      // Act
      const response = await createCompany(tenant.token, contact({ numbers: [{ type: "business", number: value }] }));

      // Assess
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual(["numbers.0.number"]);
    });

    it("accepts every Yeastar number type and 31-character numbers with ( ) . - + and spaces", async () => {
      // Arrange
      const types = [
        "business",
        "business2",
        "business_fax",
        "mobile",
        "mobile2",
        "home",
        "home2",
        "home_fax",
        "other",
      ];
      const numbers = types.map((type, i) => ({ type, number: `+1 (555) 010-20${i}0` }));
      numbers.push({ type: "other", number: `+1 (555) 0.${"1".repeat(20)}` });
      expect(numbers.at(-1)?.number).toHaveLength(31);

      // Act
      const response = await createCompany(tenant.token, contact({ numbers }));
      const unknownType = await createCompany(
        tenant.token,
        contact({
          numbers: [
            { type: "business", number: "1" },
            { type: "pager", number: "2" },
          ],
        }),
      );

      // Assess
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      expect(response.body.numbers).toEqual(numbers);
      expect(unknownType.status).toBe(400);
      expect(fieldsOf(unknownType)).toEqual(["numbers.1.type"]);
    });

    it("refuses unknown fields, at the top and inside a number", async () => {
      // Act
      const top = await createCompany(tenant.token, contact({ nickname: "Countess" }));
      const nested = await createCompany(
        tenant.token,
        contact({ numbers: [{ type: "business", number: "1", primary: true }] }),
      );
      const directory = await createCompany(tenant.token, contact({ directory: "personal" }));
      const onUpdate = await api.request("PUT", `/api/v1/company-contacts/${existing.id}`, {
        token: tenant.token,
        body: { ...contact(), version: existing.version, id: existing.id },
      });

      // Assess
      expect(top.status).toBe(400);
      expect(fieldsOf(top)).toEqual(["nickname"]);
      expect(nested.status).toBe(400);
      expect(fieldsOf(nested)).toEqual(["numbers.0.primary"]);
      expect(directory.status).toBe(400);
      expect(fieldsOf(directory)).toEqual(["directory"]);
      expect(onUpdate.status).toBe(400);
      expect(fieldsOf(onUpdate)).toEqual(["id"]);
    });

    it("answers 404 for a contact that does not exist, and a PUT needs a version", async () => {
      // Act
      const missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
      const got = await api.request("GET", `/api/v1/company-contacts/${missing}`, { token: tenant.token });
      const put = await api.request("PUT", `/api/v1/company-contacts/${missing}`, {
        token: tenant.token,
        body: { ...contact(), version: 1 },
      });
      const noVersion = await api.request("PUT", `/api/v1/company-contacts/${existing.id}`, {
        token: tenant.token,
        body: contact(),
      });

      // Assess
      expect(got.status).toBe(404);
      expect(put.status).toBe(404);
      expect(noVersion.status).toBe(400);
      expect(fieldsOf(noVersion)).toEqual(["version"]);
    });
  });

  // --- optimistic concurrency and delete ------------------------------------------------------

  describe("company contacts: concurrent edits and delete", () => {
    let tenant: Tenant;
    let alice: User;
    let bob: User;

    beforeAll(async () => {
      tenant = freshTenant();
      [alice, bob] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
      ]);
      await grant(tenant, alice.id, "manage");
      await grant(tenant, bob.id, "manage");
    });

    const put = (token: string, id: string, body: Body) =>
      api.request("PUT", `/api/v1/company-contacts/${id}`, { token, body });

    it("lets exactly one of two editors of the same version win; the other gets 409 with the winner's contact", async () => {
      // Arrange: both open version 1.
      const created = await mustCreate(tenant.token, contact());
      const [seenByAlice, seenByBob] = await Promise.all(
        [alice, bob].map((u) => api.request("GET", `/api/v1/company-contacts/${created.id}`, { token: u.token })),
      );
      expect(seenByAlice?.body.version).toBe(1);
      expect(seenByBob?.body.version).toBe(1);

      // Act: both save at once.
      const results = await Promise.all([
        put(alice.token, created.id, { ...contact({ company: "Alice Corp" }), version: 1 }),
        put(bob.token, created.id, { ...contact({ company: "Bob Inc" }), version: 1 }),
      ]);

      // Assess
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200);
      const loser = results.find((r) => r.status === 409);
      expect(winner?.body.version).toBe(2);
      expect(loser?.body).toMatchObject({ error: "conflict", field: "version" });
      expect(loser?.body.current).toEqual(winner?.body);
      const stored = await api.request("GET", `/api/v1/company-contacts/${created.id}`, { token: tenant.token });
      expect(stored.body).toEqual(winner?.body);
    });

    it("refuses a save from a stale version with 409 and the current contact, changing nothing", async () => {
      // Arrange
      const created = await mustCreate(tenant.token, contact());
      const first = await put(alice.token, created.id, { ...contact({ lastName: "First" }), version: 1 });
      expect(first.status).toBe(200);

      // Act
      const stale = await put(bob.token, created.id, { ...contact({ lastName: "Stale" }), version: 1 });
      const ahead = await put(bob.token, created.id, { ...contact({ lastName: "Ahead" }), version: 5 });

      // Assess
      expect(stale.status).toBe(409);
      expect(stale.body.current).toEqual(first.body);
      expect(ahead.status).toBe(409);
      const stored = await api.request("GET", `/api/v1/company-contacts/${created.id}`, { token: tenant.token });
      expect(stored.body).toMatchObject({ lastName: "First", version: 2 });
    });

    it("lets exactly one of six concurrent saves of the same version win", async () => {
      // Arrange
      const created = await mustCreate(tenant.token, contact());
      const since = (await api.request("GET", "/api/v1/company-contacts/changes", { token: tenant.token })).body
        .latest as number;

      // Act
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          put(i % 2 ? alice.token : bob.token, created.id, { ...contact({ remark: `edit ${i}` }), version: 1 }),
        ),
      );

      // Assess
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(5);
      const winner = results.find((r) => r.status === 200);
      const stored = await api.request("GET", `/api/v1/company-contacts/${created.id}`, { token: tenant.token });
      expect(stored.body).toEqual(winner?.body);
      expect(stored.body.version).toBe(2);
      const feed = await api.request("GET", "/api/v1/company-contacts/changes", {
        token: tenant.token,
        query: { since },
      });
      expect(feed.body.changes.map((c: { action: string }) => c.action)).toEqual(["updated"]);
    });

    it("deletes with the current version, refuses a stale one (409), and deletes without a version", async () => {
      // Arrange
      const versioned = await mustCreate(tenant.token, contact({ firstName: "Versioned" }));
      await put(alice.token, versioned.id, { ...contact({ firstName: "Versioned" }), version: 1 });
      const plain = await mustCreate(tenant.token, contact({ firstName: "Plain" }));

      // Act
      const stale = await api.request("DELETE", `/api/v1/company-contacts/${versioned.id}`, {
        token: bob.token,
        query: { version: 1 },
      });
      const stillThere = await api.request("GET", `/api/v1/company-contacts/${versioned.id}`, { token: bob.token });
      const current = await api.request("DELETE", `/api/v1/company-contacts/${versioned.id}`, {
        token: bob.token,
        query: { version: 2 },
      });
      const withoutVersion = await api.request("DELETE", `/api/v1/company-contacts/${plain.id}`, { token: bob.token });
      const again = await api.request("DELETE", `/api/v1/company-contacts/${plain.id}`, { token: bob.token });
      const unknown = await api.request("DELETE", "/api/v1/company-contacts/01ARZ3NDEKTSV4RRFFQ69G5FAV", {
        token: bob.token,
      });

      // Assess
      expect(stale.status).toBe(409);
      expect(stale.body.current).toMatchObject({ id: versioned.id, version: 2 });
      expect(stillThere.status).toBe(200);
      expect(current.status).toBe(204);
      expect(withoutVersion.status).toBe(204);
      expect(again.status).toBe(404);
      expect(unknown.status).toBe(404);
      for (const id of [versioned.id, plain.id]) {
        expect((await api.request("GET", `/api/v1/company-contacts/${id}`, { token: bob.token })).status).toBe(404);
      }
      const remaining = await walk(tenant.token, { directory: "company", limit: 200 });
      expect(remaining.map((c) => c.id)).not.toContain(versioned.id);
      expect(remaining.map((c) => c.id)).not.toContain(plain.id);
    });
  });

  // --- search and list -------------------------------------------------------------------------

  describe("company contacts: list and search", () => {
    let tenant: Tenant;
    let other: Tenant;
    const made: Record<string, ContactBody> = {};

    beforeAll(async () => {
      [tenant, other] = [freshTenant(), freshTenant()];
      const rows: [string, Body][] = [
        ["zoe", { firstName: "Zoë", lastName: "Adams", company: "Acme Widgets", numbers: num("+1 (555) 010-2000") }],
        ["bob", { firstName: "bob", lastName: "Brown", company: "Globex", numbers: num("+44 20 7946 0111") }],
        ["amy", { firstName: "Amy", lastName: "Zimmer", company: "Acme Widgets", numbers: num("0049 30 123456") }],
        ["amos", { firstName: "Amos", lastName: "Baker", company: "Initech", numbers: num("(030) 998877") }],
        ["carla", { firstName: "", lastName: "Carla", company: "", numbers: num("555.333.4444") }],
        ["eli", { firstName: "Éli", lastName: "Durand", company: "Widget Factory", numbers: num("+33 1 23 45 67 89") }],
        ["dora", { firstName: "Dora", lastName: "Explorer", company: "Globex", numbers: num("777") }],
      ];
      for (const [key, body] of rows) made[key] = await mustCreate(tenant.token, body);
      // Another tenant with look-alikes: they must never show up.
      await mustCreate(other.token, { firstName: "Zoë", lastName: "Elsewhere", numbers: num("+1 (555) 010-2000") });
      await mustCreate(other.token, {
        firstName: "Aaron",
        lastName: "Acme",
        company: "Acme Widgets",
        numbers: num("1"),
      });
    });

    function num(value: string) {
      return [{ type: "business", number: value }];
    }

    const search = async (query: Record<string, string | number>) => {
      const items = await walk(tenant.token, { directory: "company", ...query });
      return items.map((c) => c.id).sort();
    };
    const ids = (...keys: string[]) => keys.map((k) => made[k]?.id).sort();

    it("lists by name (first name, then last name; accents and case ignored)", async () => {
      // Act
      const items = await walk(tenant.token, { directory: "company" });

      // Assess
      expect(namesOf(items)).toEqual([
        "Amos Baker",
        "Amy Zimmer",
        "bob Brown",
        "Carla",
        "Dora Explorer",
        "Éli Durand",
        "Zoë Adams",
      ]);
    });

    it.each([2, 3])("walks every contact exactly once with the cursor (limit %i)", async (limit) => {
      // Act
      const items = await walk(tenant.token, { directory: "company", limit });

      // Assess
      expect(items).toHaveLength(7);
      expect(new Set(items.map((c) => c.id)).size).toBe(7);
      expect(namesOf(items)).toEqual(namesOf(await walk(tenant.token, { directory: "company", limit: 200 })));
    });

    it.each([
      ["a first-name prefix", "am", ["amy", "amos"]],
      ["a first name without its accent", "zoe", ["zoe"]],
      ["a first name with its accent, in capitals", "ZOË", ["zoe"]],
      ["an accented first name typed plainly", "eli", ["eli"]],
      ["a last-name prefix", "zim", ["amy"]],
      ["a last name, any case", "BROWN", ["bob"]],
      ["a last name alone", "carla", ["carla"]],
      ["a word of the company", "widg", ["zoe", "amy", "eli"]],
      ["the company's first word", "acme", ["zoe", "amy"]],
      ["a 'first last' prefix", "zoe ad", ["zoe"]],
      ["a full 'first last'", "Amos Baker", ["amos"]],
      ["a 'last first' prefix", "baker am", ["amos"]],
      ["something nobody has", "quentin", []],
    ])("searches by %s (%s)", async (_what, q, expected) => {
      // Act & Assess
      expect(await search({ q })).toEqual(ids(...expected));
    });

    it.each([
      ["acme", 1, ["zoe", "amy"]],
      ["widg", 2, ["zoe", "amy", "eli"]],
      ["a", 2, ["zoe", "amy", "amos"]],
      ["+1 555", 1, ["zoe"]],
    ])("walks the matches of a search for %s exactly once with the cursor (limit %i)", async (q, limit, expected) => {
      // Act
      const items = await walk(tenant.token, { directory: "company", q, limit });

      // Assess: a contact has several index entries (each word, "first last", "last first", the company), and
      // must still come once.
      expect(items.map((c) => c.id).sort()).toEqual(ids(...expected));
      expect(items).toHaveLength(expected.length);
    });

    it("sorts a page of search results by name", async () => {
      // Act
      const items = await walk(tenant.token, { directory: "company", q: "widg" });

      // Assess
      expect(namesOf(items)).toEqual(["Amy Zimmer", "Éli Durand", "Zoë Adams"]);
    });

    it.each([
      ["the digits without the country code", "5550102000"],
      ["all the digits", "15550102000"],
      ["a formatted start", "+1-555"],
      ["a formatted start with a space", "+1 555 010"],
      ["the trailing digits", "0102000"],
      ["trailing digits, formatted", "010-2000"],
      ["the stored form itself", "+1 (555) 010-2000"],
    ])("finds '+1 (555) 010-2000' by %s (%s)", async (_what, q) => {
      // Act & Assess
      expect(await search({ q })).toEqual(ids("zoe"));
    });

    it("matches numbers stored in other formats by their digits", async () => {
      // Act & Assess
      expect(await search({ q: "0301" })).toEqual([]);
      expect(await search({ q: "004930" })).toEqual(ids("amy"));
      expect(await search({ q: "030998877" })).toEqual(ids("amos"));
      expect(await search({ q: "5553334444" })).toEqual(ids("carla"));
      expect(await search({ q: "4444" })).toEqual(ids("carla"));
      expect(await search({ q: "(555) 333-4444" })).toEqual(ids("carla"));
      expect(await search({ q: "999" })).toEqual([]);
    });

    it("filters by company, alone and with a search", async () => {
      // Act & Assess
      expect(await search({ company: "acme" })).toEqual(ids("zoe", "amy"));
      expect(await search({ company: "Acme Widgets" })).toEqual(ids("zoe", "amy"));
      expect(await search({ company: "glob" })).toEqual(ids("bob", "dora"));
      expect(await search({ company: "globex", q: "dor" })).toEqual(ids("dora"));
      expect(await search({ company: "nobody" })).toEqual([]);
    });

    it("finds names in every script by prefix, the ones sorting after the rest of Unicode included", async () => {
      // Arrange: searches are key ranges ending at U+10FFFF, so names past the Basic Multilingual
      // Plane (emoji, CJK extension B) and private-use characters must still fall inside them.
      const own = freshTenant();
      const names = ["Ab\u{E000}c", "Ab\u{FFFD}", "Ab\u{20000}", "Ab\u{1F600}", "Abz", "Ac"];
      const created = new Map<string, string>();
      for (const lastName of names)
        created.set(lastName, (await mustCreate(own.token, { lastName, numbers: num("100") })).id);
      const walkOwn = async (q: string) =>
        (await walk(own.token, { directory: "company", q, limit: 2 })).map((c) => c.lastName).sort();

      // Act & Assess
      expect(await walkOwn("ab")).toEqual(names.filter((n) => n.startsWith("Ab")).sort());
      expect(await walkOwn("ab\u{1F600}")).toEqual(["Ab\u{1F600}"]);
      expect(await walkOwn("ab\u{20000}")).toEqual(["Ab\u{20000}"]);
      expect(await walkOwn("a")).toHaveLength(names.length);
      expect(await walkOwn("ad")).toEqual([]);
    });

    it("never shows another tenant's contacts", async () => {
      // Act
      const everything = await walk(tenant.token, { directory: "all", limit: 200 });
      const byName = await search({ q: "zoe" });
      const byNumber = await search({ q: "5550102000" });
      const byCompany = await search({ company: "acme" });
      const theirs = await walk(other.token, { directory: "company" });

      // Assess
      expect(everything).toHaveLength(7);
      expect(byName).toEqual(ids("zoe"));
      expect(byNumber).toEqual(ids("zoe"));
      expect(byCompany).toEqual(ids("zoe", "amy"));
      expect(namesOf(theirs)).toEqual(["Aaron Acme", "Zoë Elsewhere"]);
      const got = await api.request("GET", `/api/v1/company-contacts/${made.zoe?.id}`, { token: other.token });
      expect(got.status).toBe(404);
    });

    it("refuses a cursor it did not issue and limits out of range", async () => {
      // Act
      const forged = await list(tenant.token, { directory: "company", cursor: "bm90IGEgY3Vyc29y" });
      const zero = await list(tenant.token, { limit: 0 });
      const huge = await list(tenant.token, { limit: 201 });
      const unknown = await list(tenant.token, { directory: "shared" });

      // Assess
      expect(forged.status).toBe(400);
      expect(fieldsOf(forged)).toEqual(["cursor"]);
      expect(zero.status).toBe(400);
      expect(huge.status).toBe(400);
      expect(unknown.status).toBe(400);
      expect(fieldsOf(unknown)).toEqual(["directory"]);
    });
  });

  // --- the Directory selector -----------------------------------------------------------------

  describe("the Directory selector", () => {
    let tenant: Tenant;
    const company = ["Aaron A", "Abby B", "Carl C", "Eve E", "Gus G"];
    const personal = ["Bea B", "Dan D", "Fay F", "Hal H"];
    const expected = [...company, ...personal].sort();

    beforeAll(async () => {
      // The administrator's own personal contacts and the company directory: the company names all sort before
      // the personal ones at first, then they interleave.
      tenant = freshTenant();
      for (const name of company) {
        const [firstName, lastName] = name.split(" ");
        await mustCreate(tenant.token, contact({ firstName, lastName }));
      }
      await Promise.all(
        personal.map((name) => {
          const [firstName, lastName] = name.split(" ");
          return mustCreate(tenant.token, contact({ firstName, lastName }), "personal");
        }),
      );
    });

    it("merges personal and company contacts by name for `all`", async () => {
      // Act
      const all = await walk(tenant.token, { directory: "all", limit: 200 });
      const onlyCompany = await walk(tenant.token, { directory: "company", limit: 200 });
      const onlyPersonal = await walk(tenant.token, { directory: "personal", limit: 200 });

      // Assess
      expect(namesOf(all)).toEqual(expected);
      expect(all.map((c) => c.directory)).toEqual(
        expected.map((name) => (company.includes(name) ? "company" : "personal")),
      );
      expect(namesOf(onlyCompany)).toEqual(company);
      expect(namesOf(onlyPersonal)).toEqual(personal);
    });

    it.each([1, 2, 3, 4])("walks `all` with the cursor, every contact once and in order (limit %i)", async (limit) => {
      // Act
      const items = await walk(tenant.token, { directory: "all", limit });

      // Assess
      expect(namesOf(items)).toEqual(expected);
      expect(new Set(items.map((c) => c.id)).size).toBe(expected.length);
    });

    it.each([
      ["company", 2, company],
      ["personal", 2, personal],
      ["personal", 3, personal],
    ])("walks `%s` alone with the cursor (limit %i)", async (directory, limit, names) => {
      // Act
      const items = await walk(tenant.token, { directory, limit });

      // Assess
      expect(namesOf(items)).toEqual(names);
    });

    it("walks a search over `all` with the cursor, every match once", async () => {
      // Act: every contact here has the number +44 20 7946 0000.
      const byNumber = await walk(tenant.token, { directory: "all", q: "4420", limit: 2 });
      const byName = await walk(tenant.token, { directory: "all", q: "a", limit: 1 });
      const byOneName = await walk(tenant.token, { directory: "all", q: "gus", limit: 1 });

      // Assess
      expect(namesOf(byNumber).sort()).toEqual(expected);
      expect(byNumber).toHaveLength(expected.length);
      expect(namesOf(byName)).toEqual(["Aaron A", "Abby B"]);
      expect(namesOf(byOneName)).toEqual(["Gus G"]);
    });

    it("walks `all` once and without gaps when names are prefixes of one another or hold digits", async () => {
      // Arrange: a tenant of its own, where names share prefixes, punctuation and numbers.
      const tricky = freshTenant();
      const companyNames = [
        ["Ann", ""],
        ["Anna", "B"],
        ["Ann-Marie", ""],
        ["ann", "c"],
        ["Item", "10"],
        ["Zoë", ""],
      ];
      const personalNames = [
        ["Ann", "Baker"],
        ["Ann", ""],
        ["Anne", ""],
        ["Item", "9"],
        ["Zoe", "A"],
      ];
      for (const [firstName, lastName] of companyNames)
        await mustCreate(tricky.token, contact({ firstName, lastName }));
      for (const [firstName, lastName] of personalNames) {
        await mustCreate(tricky.token, contact({ firstName, lastName }), "personal");
      }
      const label = (c: ContactBody) => `${c.directory}:${c.firstName} ${c.lastName}`;

      // Act
      const full = (await walk(tricky.token, { directory: "all", limit: 200 })).map(label);
      const pages = await Promise.all([1, 2, 3, 5].map((limit) => walk(tricky.token, { directory: "all", limit })));
      const personalPages = await walk(tricky.token, { directory: "personal", limit: 2 });
      const personalFull = await walk(tricky.token, { directory: "personal", limit: 200 });

      // Assess
      expect(full).toHaveLength(companyNames.length + personalNames.length);
      expect(new Set(full).size).toBe(full.length);
      for (const walked of pages) expect(walked.map(label)).toEqual(full);
      expect(personalPages.map(label)).toEqual(personalFull.map(label));
    });

    describe("and the caller's access", () => {
      let user: User;
      let limited: User;
      let mine: ContactBody;

      beforeAll(async () => {
        [user, limited] = await Promise.all([
          api.userWithRole(tenant, "none", nextNumber()),
          api.userWithRole(tenant, "none", nextNumber()),
        ]);
        mine = await mustCreate(user.token, contact({ firstName: "Mine" }), "personal");
        await mustCreate(limited.token, contact({ firstName: "Hidden" }), "personal");
        await grant(tenant, limited.id, "view");
        await disallow(tenant, limited.id, "operation", ["view_personal_contacts"]);
      });

      it("gives a user without company access only their personal contacts for `all`, and 403 for `company`", async () => {
        // Act
        const all = await list(user.token, { directory: "all" });
        const byDefault = await list(user.token, {});
        const companyOnly = await list(user.token, { directory: "company" });

        // Assess
        expect(all.status).toBe(200);
        expect(all.body.items.map((c: ContactBody) => c.id)).toEqual([mine.id]);
        expect(byDefault.body.items.map((c: ContactBody) => c.id)).toEqual([mine.id]);
        expect(companyOnly.status).toBe(403);
        expect(companyOnly.body.permission).toBe("company_contacts.view");
      });

      it("refuses `personal` to a user whose view_personal_contacts operation is disallowed", async () => {
        // Act
        const personalOnly = await list(limited.token, { directory: "personal" });
        const all = await walk(limited.token, { directory: "all" });
        const own = await api.request("GET", "/api/v1/me/contacts", { token: limited.token });

        // Assess
        expect(personalOnly.status).toBe(403);
        expect(personalOnly.body.permission).toBe("operation.view_personal_contacts");
        expect(namesOf(all)).toEqual(company);
        expect(own.status).toBe(403);
        expect(own.body.permission).toBe("operation.view_personal_contacts");
      });
    });
  });

  // --- personal contacts ------------------------------------------------------------------------

  describe("personal contacts", () => {
    let tenant: Tenant;
    let owner: User;
    let colleague: User;

    let viewer: User;
    let manager: User;
    let readOnly: User;

    beforeAll(async () => {
      tenant = freshTenant();
      [owner, colleague, viewer, manager, readOnly] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
      ]);
      await grant(tenant, viewer.id, "view");
      await grant(tenant, manager.id, "manage");
    });

    it("creates, reads, lists, updates with a version check and deletes the owner's contacts", async () => {
      // Act
      const created = await createPersonal(owner.token, contact({ firstName: "Mum", company: "" }));
      const second = await createPersonal(owner.token, contact({ firstName: "Dad" }));
      const got = await api.request("GET", `/api/v1/me/contacts/${created.body.id}`, { token: owner.token });
      const listed = await api.request("GET", "/api/v1/me/contacts", { token: owner.token });
      const updated = await api.request("PUT", `/api/v1/me/contacts/${created.body.id}`, {
        token: owner.token,
        body: { ...contact({ firstName: "Mother" }), version: 1 },
      });
      const stale = await api.request("PUT", `/api/v1/me/contacts/${created.body.id}`, {
        token: owner.token,
        body: { ...contact({ firstName: "Mom" }), version: 1 },
      });
      const invalid = await api.request("PUT", `/api/v1/me/contacts/${created.body.id}`, {
        token: owner.token,
        body: { ...contact({ numbers: [] }), version: 2 },
      });
      const deleted = await api.request("DELETE", `/api/v1/me/contacts/${second.body.id}`, { token: owner.token });
      const after = await api.request("GET", "/api/v1/me/contacts", { token: owner.token });

      // Assess
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ firstName: "Mum", directory: "personal", version: 1 });
      expect(got.body).toEqual(created.body);
      expect(namesOf(listed.body.items)).toEqual(["Dad Lovelace", "Mum Lovelace"]);
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ firstName: "Mother", version: 2 });
      expect(stale.status).toBe(409);
      expect(stale.body.current).toEqual(updated.body);
      expect(invalid.status).toBe(400);
      expect(fieldsOf(invalid)).toEqual(["numbers"]);
      expect(deleted.status).toBe(204);
      expect(after.body.items).toEqual([updated.body]);
      // Personal contacts never enter the company directory.
      expect(
        (await api.request("GET", `/api/v1/company-contacts/${created.body.id}`, { token: tenant.token })).status,
      ).toBe(404);
    });

    it("applies the same name-and-number rule as company contacts", async () => {
      // Act
      const noName = await createPersonal(owner.token, contact({ firstName: "", lastName: "" }));
      const badNumber = await createPersonal(owner.token, contact({ numbers: [{ type: "home", number: "abc" }] }));

      // Assess
      expect(noName.status).toBe(400);
      expect(fieldsOf(noName)).toEqual(["firstName"]);
      expect(badNumber.status).toBe(400);
      expect(fieldsOf(badNumber)).toEqual(["numbers.0.number"]);
    });

    it("hides a contact from everyone but its owner: 404 for another user of the same tenant", async () => {
      // Arrange
      const secret = await mustCreate(owner.token, contact({ firstName: "Secret" }), "personal");

      // Act
      const got = await api.request("GET", `/api/v1/me/contacts/${secret.id}`, { token: colleague.token });
      const updated = await api.request("PUT", `/api/v1/me/contacts/${secret.id}`, {
        token: colleague.token,
        body: { ...contact({ firstName: "Hijacked" }), version: 1 },
      });
      const deleted = await api.request("DELETE", `/api/v1/me/contacts/${secret.id}`, { token: colleague.token });
      const shared = await api.request("POST", `/api/v1/me/contacts/${secret.id}/add-to-company`, {
        token: tenant.token,
      });
      const theirList = await api.request("GET", "/api/v1/me/contacts", { token: colleague.token });
      const theirDirectory = await walk(colleague.token, { directory: "all" });
      const adminDirectory = await walk(tenant.token, { directory: "all", q: "secret" });

      // Assess
      expect(got.status).toBe(404);
      expect(updated.status).toBe(404);
      expect(deleted.status).toBe(404);
      expect(shared.status).toBe(404);
      expect(theirList.body.items.map((c: ContactBody) => c.id)).not.toContain(secret.id);
      expect(theirDirectory.map((c) => c.id)).not.toContain(secret.id);
      expect(adminDirectory).toEqual([]);
      const mine = await api.request("GET", `/api/v1/me/contacts/${secret.id}`, { token: owner.token });
      expect(mine.body).toMatchObject({ firstName: "Secret", version: 1 });
    });

    it("refuses personal contact edits when edit_personal_contacts is disallowed", async () => {
      // Arrange: this user may not edit their own personal contacts any more.
      const user = readOnly;
      const mine = await mustCreate(user.token, contact({ firstName: "Before" }), "personal");
      await disallow(tenant, user.id, "operation", ["edit_personal_contacts"]);

      // Act
      const created = await createPersonal(user.token, contact());
      const updated = await api.request("PUT", `/api/v1/me/contacts/${mine.id}`, {
        token: user.token,
        body: { ...contact(), version: 1 },
      });
      const deleted = await api.request("DELETE", `/api/v1/me/contacts/${mine.id}`, { token: user.token });
      const read = await api.request("GET", `/api/v1/me/contacts/${mine.id}`, { token: user.token });

      // Assess
      for (const refused of [created, updated, deleted]) {
        expect(refused.status).toBe(403);
        expect(refused.body.permission).toBe("operation.edit_personal_contacts");
      }
      expect(read.status).toBe(200);
    });

    it("adds a personal contact to Company Contacts only with the manage permission, copying every field", async () => {
      // Arrange
      const fields = {
        firstName: "Charles",
        lastName: "Babbage",
        company: "Difference Engines",
        email: "charles@example.com",
        remark: "Inventor",
        zipCode: "SW1",
        street: "1 Dorset Street",
        city: "London",
        state: "England",
        country: "UK",
        numbers: [
          { type: "home_fax", number: "+44 20 7946 0999" },
          { type: "mobile2", number: "07700 900999" },
        ],
      };
      const byViewer = await mustCreate(viewer.token, fields, "personal");
      const byOutsider = await mustCreate(colleague.token, fields, "personal");
      const byManager = await mustCreate(manager.token, fields, "personal");

      // Act
      const refusedViewer = await api.request("POST", `/api/v1/me/contacts/${byViewer.id}/add-to-company`, {
        token: viewer.token,
      });
      const refusedOutsider = await api.request("POST", `/api/v1/me/contacts/${byOutsider.id}/add-to-company`, {
        token: colleague.token,
      });
      const added = await api.request("POST", `/api/v1/me/contacts/${byManager.id}/add-to-company`, {
        token: manager.token,
      });

      // Assess
      for (const refused of [refusedViewer, refusedOutsider]) {
        expect(refused.status).toBe(403);
        expect(refused.body.permission).toBe("company_contacts.manage");
      }
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      expect(added.body).toMatchObject({ ...fields, directory: "company", version: 1 });
      expect(added.body.id).not.toBe(byManager.id);
      const stored = await api.request("GET", `/api/v1/company-contacts/${added.body.id}`, { token: viewer.token });
      expect(stored.body).toEqual(added.body);
      const original = await api.request("GET", `/api/v1/me/contacts/${byManager.id}`, { token: manager.token });
      expect(original.body).toEqual(byManager);
      expect(await walk(tenant.token, { directory: "company", q: "babbage" })).toHaveLength(1);
    });
  });

  // --- the change feed ----------------------------------------------------------------------

  describe("the company contacts change feed", () => {
    let tenant: Tenant;
    let outsider: User;
    let viewer: User;
    const changes = (query: Record<string, string | number>, token = tenant.token) =>
      api.request("GET", "/api/v1/company-contacts/changes", { token, query });
    const sequencesOf = (response: { body: { changes: { sequence: number }[] } }) =>
      response.body.changes.map((c) => c.sequence);

    beforeAll(async () => {
      tenant = freshTenant();
      [outsider, viewer] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
      ]);
      await grant(tenant, viewer.id, "view");
    });

    it("records create, update and delete in order with gap-free sequences, deletions included", async () => {
      // Arrange
      const start = await changes({ since: 0 });
      expect(start.body).toMatchObject({ changes: [], latest: 0, resyncRequired: false });

      // Act
      const a = await mustCreate(tenant.token, contact({ firstName: "A" }));
      const b = await mustCreate(tenant.token, contact({ firstName: "B" }));
      const aUpdated = await api.request("PUT", `/api/v1/company-contacts/${a.id}`, {
        token: tenant.token,
        body: { ...contact({ firstName: "A2" }), version: 1 },
      });
      await api.request("DELETE", `/api/v1/company-contacts/${b.id}`, { token: tenant.token });
      const personal = await mustCreate(tenant.token, contact({ firstName: "P" }), "personal");
      await api.request("PUT", `/api/v1/me/contacts/${personal.id}`, {
        token: tenant.token,
        body: { ...contact({ firstName: "P2" }), version: 1 },
      });
      const shared = await api.request("POST", `/api/v1/me/contacts/${personal.id}/add-to-company`, {
        token: tenant.token,
      });
      const feed = await changes({ since: 0 });

      // Assess: personal contacts stay out of the feed; "Add to Company Contacts" is a creation.
      expect(feed.status).toBe(200);
      expect(feed.body.latest).toBe(5);
      expect(feed.body.resyncRequired).toBe(false);
      const entries = feed.body.changes as {
        sequence: number;
        action: string;
        id: string;
        time: string;
        data?: Body;
      }[];
      expect(entries.map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5]);
      expect(entries.map((c) => [c.action, c.id])).toEqual([
        ["created", a.id],
        ["created", b.id],
        ["updated", a.id],
        ["deleted", b.id],
        ["created", shared.body.id],
      ]);
      expect(entries[0]?.data).toEqual(a);
      expect(entries[1]?.data).toEqual(b);
      expect(entries[2]?.data).toEqual(aUpdated.body);
      expect(entries[3]?.data).toBeUndefined();
      expect(entries[4]?.data).toEqual(shared.body);
      const times = entries.map((c) => c.time);
      expect([...times].sort()).toEqual(times);
    });

    it("returns only later changes after a cursor, nothing from `latest`, and 400 for a cursor ahead", async () => {
      // Arrange
      const latest = (await changes({ since: 0 })).body.latest as number;
      for (const firstName of ["One", "Two", "Three"]) await mustCreate(tenant.token, contact({ firstName }));

      // Act
      const afterTwo = await changes({ since: latest + 2 });
      const atLatest = await changes({ since: latest + 3 });
      const ahead = await changes({ since: latest + 4 });
      const negative = await changes({ since: -1 });
      await mustCreate(tenant.token, contact({ firstName: "Four" }));
      const next = await changes({ since: latest + 3 });

      // Assess
      expect(sequencesOf(afterTwo)).toEqual([latest + 3]);
      expect(atLatest.status).toBe(200);
      expect(atLatest.body).toMatchObject({ changes: [], latest: latest + 3, resyncRequired: false });
      expect(ahead.status).toBe(400);
      expect(fieldsOf(ahead)).toEqual(["since"]);
      expect(negative.status).toBe(400);
      expect(fieldsOf(negative)).toEqual(["since"]);
      expect(next.body.changes).toHaveLength(1);
      expect(next.body.changes[0]).toMatchObject({
        sequence: latest + 4,
        action: "created",
        data: { firstName: "Four" },
      });
    });

    it("pages with `limit`, keeps sequences gap-free under concurrent edits, and needs view access", async () => {
      // Arrange
      const latest = (await changes({ since: 0 })).body.latest as number;

      // Act
      await Promise.all(
        ["C1", "C2", "C3", "C4", "C5"].map((firstName) => mustCreate(tenant.token, contact({ firstName }))),
      );
      const refused = await changes({ since: 0 }, outsider.token);
      const first = await changes({ since: latest, limit: 3 }, viewer.token);
      const rest = await changes({ since: latest + 3, limit: 3 }, viewer.token);

      // Assess
      expect(refused.status).toBe(403);
      expect(refused.body.permission).toBe("company_contacts.view");
      expect(sequencesOf(first)).toEqual([latest + 1, latest + 2, latest + 3]);
      expect(first.body.latest).toBe(latest + 5);
      expect(sequencesOf(rest)).toEqual([latest + 4, latest + 5]);
      const names = [...first.body.changes, ...rest.body.changes].map(
        (c: { data: { firstName: string } }) => c.data.firstName,
      );
      expect(names.sort()).toEqual(["C1", "C2", "C3", "C4", "C5"]);
    });
  });
});
