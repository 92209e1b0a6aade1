import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;
type User = Awaited<ReturnType<TestApi["userWithRole"]>>;
type Body = Record<string, unknown>;
interface StoredRecord {
  id: string;
  kind: string;
  name: string;
  number: string;
  direction?: string;
  status?: string;
  startedAt?: string;
  receivedAt?: string;
  recordedAt?: string;
  read?: boolean;
}

const UNKNOWN_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

/** Minutes after a fixed moment, as the ISO time a record carries. */
const at = (minute: number) => new Date(Date.UTC(2025, 5, 1, 9, minute)).toISOString();

/** The three kinds of record, how each is ingested and where each is listed. */
const KINDS = [
  {
    kind: "call",
    segment: "call-logs",
    timeField: "startedAt",
    body: (number: string, name = "", minute = 0): Body => ({
      kind: "call",
      name,
      number,
      direction: "inbound",
      status: "answered",
      startedAt: at(minute),
      durationSeconds: 42,
    }),
  },
  {
    kind: "voicemail",
    segment: "voicemails",
    timeField: "receivedAt",
    body: (number: string, name = "", minute = 0): Body => ({
      kind: "voicemail",
      name,
      number,
      receivedAt: at(minute),
      durationSeconds: 17,
      audioLocation: `voicemail/${minute}.wav`,
    }),
  },
  {
    kind: "recording",
    segment: "recordings",
    timeField: "recordedAt",
    body: (number: string, name = "", minute = 0): Body => ({
      kind: "recording",
      name,
      number,
      direction: "outbound",
      recordedAt: at(minute),
      durationSeconds: 300,
      audioLocation: `recording/${minute}.wav`,
    }),
  },
] as const;
type Kind = (typeof KINDS)[number];

/** Seed 001: per-extension call logs, voicemails and recordings, and adding contacts from them. */
describe("Call logs, voicemails and recordings", () => {
  let api: TestApi;
  let number = 4000;
  const nextNumber = () => String(number++);
  /** Every test group takes a tenant of its own from a pool created up front. */
  let freshTenant: () => Tenant;

  beforeAll(async () => {
    api = await TestApi.start();
    freshTenant = await api.createTenantPool(6);
  });
  afterAll(() => api.stop());

  // --- helpers -------------------------------------------------------------------------------

  const ingest = (tenantId: string, extensionId: string, body: Body, token = api.platformKey) =>
    api.request("POST", `/api/v1/platform/tenants/${tenantId}/extensions/${extensionId}/records`, { token, body });
  const mustIngest = async (tenantId: string, extensionId: string, body: Body) => {
    const response = await ingest(tenantId, extensionId, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as StoredRecord;
  };
  const listOf = (token: string, segment: string, query: Record<string, string | number> = {}) =>
    api.request("GET", `/api/v1/me/${segment}`, { token, query });
  /** Follows nextCursor to the end. */
  const walk = async (token: string, segment: string, query: Record<string, string | number> = {}) => {
    const items: StoredRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const response = await listOf(token, segment, { ...query, ...(cursor ? { cursor } : {}) });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(Number(query.limit ?? 50));
      items.push(...response.body.items);
      cursor = response.body.nextCursor;
      if (!cursor) return items;
    }
    throw new Error("the cursor never ended");
  };
  const fieldsOf = (response: { body: { fields?: { field: string }[] } }) => [
    ...new Set((response.body.fields ?? []).map((f) => f.field)),
  ];
  const ruleFor = async (tenant: Tenant, extensionId: string, kind: "menu" | "operation", items: string[]) => {
    const response = await api.request("POST", "/api/v1/linkus-permission-rules", {
      token: tenant.token,
      body: { kind, name: `No ${items.join(" ")}`, members: { extensions: [extensionId] }, effect: "disallow", items },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  };

  // --- ingest ---------------------------------------------------------------------------------

  describe("ingest", () => {
    let tenant: Tenant;
    let other: Tenant;

    beforeAll(() => {
      [tenant, other] = [freshTenant(), freshTenant()];
    });

    it.each(KINDS)("stores a $kind for an extension, with the platform key", async ({ kind, segment, body }) => {
      // Arrange
      const record = body("+1 (555) 010-2000", "Zoë Adams", 5);

      // Act
      const response = await ingest(tenant.id, tenant.adminExtensionId, record);
      const listed = await listOf(tenant.token, segment);

      // Assess
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      expect(response.body).toMatchObject({ ...record, kind });
      expect(listed.body.items).toContainEqual(response.body);
      if (kind === "voicemail") expect(response.body.read).toBe(false);
    });

    it("accepts only the platform key: a tenant's own token and no token are 401", async () => {
      // Act
      const withTenantToken = await ingest(
        tenant.id,
        tenant.adminExtensionId,
        KINDS[0].body("100", "Forged"),
        tenant.token,
      );
      const withoutToken = await api.request(
        "POST",
        `/api/v1/platform/tenants/${tenant.id}/extensions/${tenant.adminExtensionId}/records`,
        { body: KINDS[0].body("100", "Forged") },
      );
      const listed = await listOf(tenant.token, "call-logs", { search: "forged" });

      // Assess
      expect(withTenantToken.status).toBe(401);
      expect(withoutToken.status).toBe(401);
      expect(listed.body.items).toEqual([]);
    });

    it("answers 404 for an unknown extension, or one of another tenant", async () => {
      // Act
      const unknown = await ingest(tenant.id, UNKNOWN_ID, KINDS[0].body("100"));
      const crossTenant = await ingest(tenant.id, other.adminExtensionId, KINDS[0].body("100"));
      const unknownTenant = await ingest(UNKNOWN_ID, tenant.adminExtensionId, KINDS[0].body("100"));

      // Assess
      expect(unknown.status).toBe(404);
      expect(crossTenant.status).toBe(404);
      expect(unknownTenant.status).toBe(404);
    });

    it.each([
      ["a number with letters", { number: "555-CALL" }, "number"],
      ["a number of 32 characters", { number: "1".repeat(32) }, "number"],
      ["no number", { number: undefined }, "number"],
      ["a negative duration", { durationSeconds: -1 }, "durationSeconds"],
      ["a fractional duration", { durationSeconds: 1.5 }, "durationSeconds"],
      ["an unknown direction", { direction: "sideways" }, "direction"],
      ["an unknown status", { status: "lost" }, "status"],
      ["a time that is not ISO 8601", { startedAt: "yesterday" }, "startedAt"],
      ["no time", { startedAt: undefined }, "startedAt"],
      ["an unknown field", { recordedBy: "me" }, "recordedBy"],
    ])("refuses a call log with %s (400 naming %s)", async (_what, change, field) => {
      // Act
      const response = await ingest(tenant.id, tenant.adminExtensionId, { ...KINDS[0].body("100"), ...change });

      // Assess
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });

    it.each([
      ["an unknown kind", { kind: "fax", number: "100" }, "kind"],
      ["no kind", { number: "100" }, "kind"],
      ["a voicemail without audio", { ...KINDS[1].body("100"), audioLocation: undefined }, "audioLocation"],
      ["a voicemail with a negative duration", { ...KINDS[1].body("100"), durationSeconds: -5 }, "durationSeconds"],
      ["a recording with a bad number", { ...KINDS[2].body("100"), number: "abc" }, "number"],
      ["a recording with a call's time field", { ...KINDS[2].body("100"), startedAt: at(0) }, "startedAt"],
    ])("refuses %s (400 naming %s)", async (_what, body, field) => {
      // Act
      const response = await ingest(tenant.id, tenant.adminExtensionId, body);

      // Assess
      expect(response.status).toBe(400);
      expect(fieldsOf(response)).toEqual([field]);
    });
  });

  // --- listing, filtering, deleting ---------------------------------------------------------------

  describe("a user's own records", () => {
    let tenant: Tenant;
    let other: Tenant;
    let owner: User;
    let colleague: User;
    let stranger: User;
    let solo: User;
    let searcher: User;

    beforeAll(async () => {
      [tenant, other] = [freshTenant(), freshTenant()];
      [owner, colleague, solo, searcher, stranger] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(other, "none", nextNumber()),
      ]);
    });

    it.each(KINDS)("lists $kind records newest first, to their owner only", async ({ segment, body, timeField }) => {
      // Arrange: ingested out of time order.
      const minutes = [30, 10, 50, 20, 40];
      const ingested: StoredRecord[] = [];
      for (const minute of minutes) {
        ingested.push(await mustIngest(tenant.id, owner.id, body(`+1 555 0${minute}`, `Caller ${minute}`, minute)));
      }

      // Act
      const mine = await walk(owner.token, segment);
      const theirs = await walk(colleague.token, segment);
      const strangers = await walk(stranger.token, segment);

      // Assess
      expect(mine.map((r) => r.name)).toEqual(["Caller 50", "Caller 40", "Caller 30", "Caller 20", "Caller 10"]);
      const times = mine.map((r) => (r as unknown as Record<string, string>)[timeField]);
      expect(times).toEqual([...times].sort().reverse());
      expect(mine.map((r) => r.id).sort()).toEqual(ingested.map((r) => r.id).sort());
      expect(theirs).toEqual([]);
      expect(strangers).toEqual([]);
    });

    it("keeps each kind in its own list", async () => {
      // Arrange
      const user = solo;
      const [call, voicemail, recording] = await Promise.all(
        KINDS.map(({ body }) => mustIngest(tenant.id, user.id, body("200"))),
      );

      // Act
      const lists = await Promise.all(KINDS.map(({ segment }) => walk(user.token, segment)));

      // Assess
      expect(lists.map((items) => items.map((r) => r.id))).toEqual([[call?.id], [voicemail?.id], [recording?.id]]);
    });

    describe("filters and search", () => {
      let user: User;
      const calls: Record<string, StoredRecord> = {};
      const voicemails: Record<string, StoredRecord> = {};

      beforeAll(async () => {
        user = searcher;
        const call = (direction: string, status: string, name: string, phone: string, minute: number) =>
          mustIngest(tenant.id, user.id, { ...KINDS[0].body(phone, name, minute), direction, status });
        const rows: [string, Promise<StoredRecord>][] = [
          ["inAnswered", call("inbound", "answered", "Zoë Adams", "+1 (555) 010-2000", 1)],
          ["inMissed", call("inbound", "missed", "Bob Brown", "15550103000", 2)],
          ["inNoAnswer", call("inbound", "no_answer", "Carl Cole", "+44 20 7946 0000", 3)],
          ["inBusy", call("inbound", "busy", "", "0049 30 123456", 4)],
          ["outAnswered", call("outbound", "answered", "Dora Explorer", "(030) 998877", 5)],
          ["outNoAnswer", call("outbound", "no_answer", "Éli Durand", "+33 1 23 45 67 89", 6)],
          ["internal", call("internal", "answered", "Reception", "1000", 7)],
          ["internalMissed", call("internal", "missed", "Kitchen", "1001", 8)],
        ];
        for (const [key, record] of rows) calls[key] = await record;
        for (const [key, read, minute] of [
          ["read", true, 1],
          ["unread", false, 2],
          ["unread2", false, 3],
        ] as const) {
          voicemails[key] = await mustIngest(tenant.id, user.id, {
            ...KINDS[1].body("+1 (555) 010-2000", `Voicemail ${key}`, minute),
            read,
          });
        }
      });

      const callsFor = async (query: Record<string, string | number>) =>
        (await walk(user.token, "call-logs", query)).map((r) => r.id).sort();
      const ids = (...keys: string[]) => keys.map((key) => calls[key]?.id).sort();

      it.each([
        [
          "all",
          [
            "inAnswered",
            "inMissed",
            "inNoAnswer",
            "inBusy",
            "outAnswered",
            "outNoAnswer",
            "internal",
            "internalMissed",
          ],
        ],
        ["inbound", ["inAnswered", "inMissed", "inNoAnswer", "inBusy"]],
        ["outbound", ["outAnswered", "outNoAnswer"]],
        ["internal", ["internal", "internalMissed"]],
        ["missed", ["inMissed", "inNoAnswer", "inBusy"]],
      ])("filters call logs by communication type %s", async (type, expected) => {
        // Act & Assess
        expect(await callsFor({ type })).toEqual(ids(...expected));
      });

      it("filters voicemails by status read and unread, and marks them read and unread", async () => {
        // Act
        const read = await walk(user.token, "voicemails", { status: "read" });
        const unread = await walk(user.token, "voicemails", { status: "unread" });
        const marked = await api.request("PATCH", `/api/v1/me/voicemails/${voicemails.unread?.id}`, {
          token: user.token,
          body: { read: true },
        });
        const readAfter = await walk(user.token, "voicemails", { status: "read" });
        const unmarked = await api.request("PATCH", `/api/v1/me/voicemails/${voicemails.read?.id}`, {
          token: user.token,
          body: { read: false },
        });
        const unreadAfter = await walk(user.token, "voicemails", { status: "unread" });

        // Assess
        expect(read.map((r) => r.id)).toEqual([voicemails.read?.id]);
        expect(unread.map((r) => r.id)).toEqual([voicemails.unread2?.id, voicemails.unread?.id]);
        expect(marked.status).toBe(200);
        expect(marked.body).toMatchObject({ id: voicemails.unread?.id, read: true, name: "Voicemail unread" });
        expect(readAfter.map((r) => r.id)).toEqual([voicemails.unread?.id, voicemails.read?.id]);
        expect(unmarked.body.read).toBe(false);
        expect(unreadAfter.map((r) => r.id)).toEqual([voicemails.unread2?.id, voicemails.read?.id]);
      });

      it("refuses to mark someone else's voicemail, a call log, or an unknown id (404), and a bad body (400)", async () => {
        // Act
        const byColleague = await api.request("PATCH", `/api/v1/me/voicemails/${voicemails.unread2?.id}`, {
          token: colleague.token,
          body: { read: true },
        });
        const aCall = await api.request("PATCH", `/api/v1/me/voicemails/${calls.inAnswered?.id}`, {
          token: user.token,
          body: { read: true },
        });
        const unknown = await api.request("PATCH", `/api/v1/me/voicemails/${UNKNOWN_ID}`, {
          token: user.token,
          body: { read: true },
        });
        const badBody = await api.request("PATCH", `/api/v1/me/voicemails/${voicemails.unread2?.id}`, {
          token: user.token,
          body: { read: "yes" },
        });

        // Assess
        expect(byColleague.status).toBe(404);
        expect(aCall.status).toBe(404);
        expect(unknown.status).toBe(404);
        expect(badBody.status).toBe(400);
        expect(fieldsOf(badBody)).toEqual(["read"]);
        const still = await walk(user.token, "voicemails", { status: "unread" });
        expect(still.map((r) => r.id)).toContain(voicemails.unread2?.id);
      });

      it.each([
        ["a first name, without its accent", "zoe", ["inAnswered"]],
        ["a name with its accent, in capitals", "ZOË", ["inAnswered"]],
        ["a last name", "durand", ["outNoAnswer"]],
        ["part of a name", "explo", ["outAnswered"]],
        ["digits of a formatted number", "5550102000", ["inAnswered"]],
        ["a formatted form of digits stored plainly", "+1 (555) 010-3000", ["inMissed"]],
        ["digits shared by two numbers", "555010", ["inAnswered", "inMissed"]],
        ["the middle of a number", "7946", ["inNoAnswer"]],
        ["an extension number", "1001", ["internalMissed"]],
        ["something nobody has", "quentin", []],
      ])("searches call logs by %s (%s)", async (_what, search, expected) => {
        // Act & Assess
        expect(await callsFor({ search })).toEqual(ids(...expected));
      });

      it("combines a search with a type filter", async () => {
        // Act & Assess
        expect(await callsFor({ type: "missed", search: "555" })).toEqual(ids("inMissed"));
        expect(await callsFor({ type: "outbound", search: "durand" })).toEqual(ids("outNoAnswer"));
        expect(await callsFor({ type: "inbound", search: "durand" })).toEqual([]);
      });

      it.each([1, 3])("walks the call logs with the cursor, each once and newest first (limit %i)", async (limit) => {
        // Act
        const all = await walk(user.token, "call-logs", { limit });
        const missed = await walk(user.token, "call-logs", { limit, type: "missed" });

        // Assess
        expect(all.map((r) => r.name)).toEqual([
          "Kitchen",
          "Reception",
          "Éli Durand",
          "Dora Explorer",
          "",
          "Carl Cole",
          "Bob Brown",
          "Zoë Adams",
        ]);
        expect(missed.map((r) => r.id)).toEqual([calls.inBusy?.id, calls.inNoAnswer?.id, calls.inMissed?.id]);
      });

      it("refuses a cursor it did not issue, or one of another user", async () => {
        // Arrange
        const page = await listOf(user.token, "call-logs", { limit: 1 });
        expect(page.body.nextCursor).toBeTruthy();

        // Act
        const forged = await listOf(user.token, "call-logs", { cursor: "bm90IGEgY3Vyc29y" });
        const borrowed = await listOf(colleague.token, "call-logs", { cursor: page.body.nextCursor });
        const otherKind = await listOf(user.token, "voicemails", { cursor: page.body.nextCursor });

        // Assess
        for (const refused of [forged, borrowed, otherKind]) {
          expect(refused.status).toBe(400);
          expect(fieldsOf(refused)).toEqual(["cursor"]);
        }
      });
    });

    it.each(KINDS)("deletes the owner's own $kind (204), and nobody else's (404)", async ({ segment, body }) => {
      // Arrange
      const mine = await mustIngest(tenant.id, owner.id, body("300", "Delete me", 59));
      const kept = await mustIngest(tenant.id, owner.id, body("301", "Keep me", 58));

      // Act
      const byColleague = await api.request("DELETE", `/api/v1/me/${segment}/${mine.id}`, { token: colleague.token });
      const byStranger = await api.request("DELETE", `/api/v1/me/${segment}/${mine.id}`, { token: stranger.token });
      const byOwner = await api.request("DELETE", `/api/v1/me/${segment}/${mine.id}`, { token: owner.token });
      const again = await api.request("DELETE", `/api/v1/me/${segment}/${mine.id}`, { token: owner.token });
      const unknown = await api.request("DELETE", `/api/v1/me/${segment}/${UNKNOWN_ID}`, { token: owner.token });

      // Assess
      expect(byColleague.status).toBe(404);
      expect(byStranger.status).toBe(404);
      expect(byOwner.status).toBe(204);
      expect(again.status).toBe(404);
      expect(unknown.status).toBe(404);
      const left = (await walk(owner.token, segment)).map((r) => r.id);
      expect(left).not.toContain(mine.id);
      expect(left).toContain(kept.id);
    });

    it("deletes a record only through its own kind's route", async () => {
      // Arrange
      const call = await mustIngest(tenant.id, owner.id, KINDS[0].body("400", "Wrong route"));

      // Act
      const asVoicemail = await api.request("DELETE", `/api/v1/me/voicemails/${call.id}`, { token: owner.token });
      const asRecording = await api.request("DELETE", `/api/v1/me/recordings/${call.id}`, { token: owner.token });

      // Assess
      expect(asVoicemail.status).toBe(404);
      expect(asRecording.status).toBe(404);
      expect((await walk(owner.token, "call-logs", { search: "wrong route" })).map((r) => r.id)).toEqual([call.id]);
    });
  });

  // --- add from a record ----------------------------------------------------------------------

  describe("add from a record", () => {
    let tenant: Tenant;
    let outsider: User;
    let viewer: User;
    let restricted: User;

    beforeAll(async () => {
      tenant = freshTenant();
      [outsider, viewer, restricted] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "admin", nextNumber()),
      ]);
      await api.request("POST", "/api/v1/company-contacts-rules", {
        token: tenant.token,
        body: { name: "Viewer", members: { extensions: [viewer.id] }, access: "view" },
      });
      await ruleFor(tenant, restricted.id, "operation", ["edit_personal_contacts"]);
    });

    /** A record of the administrator (who manages the directory by role) with this number. */
    const recordOf = (kind: Kind, phone: string, name = "Caller") =>
      mustIngest(tenant.id, tenant.adminExtensionId, kind.body(phone, name));
    const addFrom = (kind: Kind, recordId: string, body: Body, token = tenant.token) =>
      api.request("POST", `/api/v1/me/${kind.segment}/${recordId}/add-to-contacts`, { token, body });
    const companyContact = (id: string) =>
      api.request("GET", `/api/v1/company-contacts/${id}`, { token: tenant.token });
    const personalContact = (id: string, token = tenant.token) =>
      api.request("GET", `/api/v1/me/contacts/${id}`, { token });

    describe.each(KINDS)("from a $kind", (kind) => {
      it("adds a new company contact with the number as Business by default", async () => {
        // Arrange
        const record = await recordOf(kind, "+1 (555) 010-2000", "Zoë Adams");

        // Act
        const added = await addFrom(kind, record.id, {
          mode: "new",
          directory: "company",
          contact: { firstName: "Zoë", lastName: "Adams", company: "Acme", email: "zoe@acme.example" },
        });

        // Assess
        expect(added.status, JSON.stringify(added.body)).toBe(201);
        expect(added.body).toMatchObject({
          firstName: "Zoë",
          lastName: "Adams",
          company: "Acme",
          email: "zoe@acme.example",
          directory: "company",
          numbers: [{ type: "business", number: "+1 (555) 010-2000" }],
          version: 1,
        });
        expect((await companyContact(added.body.id)).body).toEqual(added.body);
        const found = await api.request("GET", "/api/v1/contacts", {
          token: tenant.token,
          query: { directory: "company", q: "5550102000" },
        });
        expect(found.body.items.map((c: { id: string }) => c.id)).toContain(added.body.id);
      });

      it("adds a new personal contact with the number type chosen (mobile)", async () => {
        // Arrange
        const record = await recordOf(kind, "07700 900123");

        // Act
        const added = await addFrom(kind, record.id, {
          mode: "new",
          directory: "personal",
          numberType: "mobile",
          contact: { lastName: "Plumber" },
        });

        // Assess
        expect(added.status, JSON.stringify(added.body)).toBe(201);
        expect(added.body).toMatchObject({
          firstName: "",
          lastName: "Plumber",
          directory: "personal",
          numbers: [{ type: "mobile", number: "07700 900123" }],
        });
        expect((await personalContact(added.body.id)).body).toEqual(added.body);
        expect((await companyContact(added.body.id)).status).toBe(404);
      });

      it("refuses a new contact without a name, or with numbers of its own", async () => {
        // Arrange
        const record = await recordOf(kind, "555");

        // Act
        const noName = await addFrom(kind, record.id, { mode: "new", directory: "company", contact: { company: "X" } });
        const withNumbers = await addFrom(kind, record.id, {
          mode: "new",
          directory: "company",
          contact: { firstName: "X", numbers: [] },
        });
        const badType = await addFrom(kind, record.id, {
          mode: "new",
          directory: "company",
          numberType: "pager",
          contact: { firstName: "X" },
        });

        // Assess
        expect(noName.status).toBe(400);
        expect(fieldsOf(noName)).toEqual(["contact.firstName"]);
        expect(withNumbers.status).toBe(400);
        expect(fieldsOf(withNumbers)).toEqual(["contact.numbers"]);
        expect(badType.status).toBe(400);
        expect(fieldsOf(badType)).toEqual(["numberType"]);
      });

      it.each(["company", "personal"] as const)(
        "appends the number to an existing %s contact, once, and refuses a stale version",
        async (directory) => {
          // Arrange
          const create = await api.request(
            "POST",
            directory === "company" ? "/api/v1/company-contacts" : "/api/v1/me/contacts",
            {
              token: tenant.token,
              body: { firstName: "Ada", numbers: [{ type: "business", number: "+44 20 7946 0000" }] },
            },
          );
          expect(create.status).toBe(201);
          const existing = create.body as { id: string; version: number };
          const first = await recordOf(kind, "+1 (555) 010-2000");
          const sameDigits = await recordOf(kind, "15550102000");
          const alreadyThere = await recordOf(kind, "442079460000");
          const third = await recordOf(kind, "+49 30 1234");
          const read = directory === "company" ? companyContact : personalContact;

          // Act
          const appended = await addFrom(kind, first.id, {
            mode: "existing",
            directory,
            contactId: existing.id,
            version: 1,
          });
          const again = await addFrom(kind, sameDigits.id, {
            mode: "existing",
            directory,
            contactId: existing.id,
            numberType: "home",
            version: 2,
          });
          const original = await addFrom(kind, alreadyThere.id, {
            mode: "existing",
            directory,
            contactId: existing.id,
          });
          const stale = await addFrom(kind, third.id, {
            mode: "existing",
            directory,
            contactId: existing.id,
            numberType: "other",
            version: 1,
          });
          const withoutVersion = await addFrom(kind, third.id, {
            mode: "existing",
            directory,
            contactId: existing.id,
            numberType: "other",
          });

          // Assess
          expect(appended.status, JSON.stringify(appended.body)).toBe(201);
          expect(appended.body).toMatchObject({
            id: existing.id,
            directory,
            firstName: "Ada",
            version: 2,
            numbers: [
              { type: "business", number: "+44 20 7946 0000" },
              { type: "business", number: "+1 (555) 010-2000" },
            ],
          });
          expect(again.body).toEqual(appended.body);
          expect(original.body).toEqual(appended.body);
          expect(stale.status).toBe(409);
          expect(stale.body.current).toEqual(appended.body);
          expect(withoutVersion.status).toBe(201);
          expect(withoutVersion.body.version).toBe(3);
          expect(withoutVersion.body.numbers).toEqual([
            ...appended.body.numbers,
            { type: "other", number: "+49 30 1234" },
          ]);
          expect((await read(existing.id)).body).toEqual(withoutVersion.body);
        },
      );

      it("answers 404 for someone else's record, or a contact that does not exist", async () => {
        // Arrange
        const theirs = await mustIngest(tenant.id, outsider.id, kind.body("600"));
        const mine = await recordOf(kind, "601");

        // Act
        const foreign = await addFrom(kind, theirs.id, {
          mode: "new",
          directory: "company",
          contact: { firstName: "X" },
        });
        const noContact = await addFrom(kind, mine.id, {
          mode: "existing",
          directory: "company",
          contactId: UNKNOWN_ID,
        });
        const noPersonal = await addFrom(kind, mine.id, {
          mode: "existing",
          directory: "personal",
          contactId: UNKNOWN_ID,
        });

        // Assess
        expect(foreign.status).toBe(404);
        expect(noContact.status).toBe(404);
        expect(noPersonal.status).toBe(404);
      });

      it("needs manage for company contacts and edit_personal_contacts for personal ones", async () => {
        // Arrange: each user's own records, and a company contact to add to.
        const target = await api.request("POST", "/api/v1/company-contacts", {
          token: tenant.token,
          body: { firstName: "Target", numbers: [{ type: "business", number: "1" }] },
        });
        const [outsiderRecord, viewerRecord, restrictedRecord] = await Promise.all(
          [outsider, viewer, restricted].map((user) => mustIngest(tenant.id, user.id, kind.body("700"))),
        );
        const newCompany = { mode: "new", directory: "company", contact: { firstName: "New" } };
        const existingCompany = { mode: "existing", directory: "company", contactId: target.body.id };
        const newPersonal = { mode: "new", directory: "personal", contact: { firstName: "New" } };

        // Act
        const refusals = [
          await addFrom(kind, outsiderRecord?.id ?? "", newCompany, outsider.token),
          await addFrom(kind, outsiderRecord?.id ?? "", existingCompany, outsider.token),
          await addFrom(kind, viewerRecord?.id ?? "", newCompany, viewer.token),
          await addFrom(kind, viewerRecord?.id ?? "", existingCompany, viewer.token),
        ];
        const personalRefused = await addFrom(kind, restrictedRecord?.id ?? "", newPersonal, restricted.token);
        const companyAllowed = await addFrom(kind, restrictedRecord?.id ?? "", newCompany, restricted.token);
        const personalAllowed = await addFrom(kind, outsiderRecord?.id ?? "", newPersonal, outsider.token);

        // Assess
        for (const refused of refusals) {
          expect(refused.status).toBe(403);
          expect(refused.body.permission).toBe("company_contacts.manage");
        }
        expect(personalRefused.status).toBe(403);
        expect(personalRefused.body.permission).toBe("operation.edit_personal_contacts");
        expect(companyAllowed.status).toBe(201);
        expect(personalAllowed.status).toBe(201);
        expect((await companyContact(target.body.id)).body.version).toBe(1);
      });
    });

    it("refuses Add to Existing Contact on a personal contact when edit_personal_contacts is disallowed", async () => {
      // Arrange
      const before = await api.request("POST", "/api/v1/me/contacts", {
        token: restricted.token,
        body: { firstName: "Mine", numbers: [{ type: "business", number: "3" }] },
      });
      expect(before.status).toBe(403); // the rule already stops direct creation too
      const record = await mustIngest(tenant.id, restricted.id, KINDS[0].body("800"));

      // Act
      const refused = await addFrom(
        KINDS[0],
        record.id,
        { mode: "existing", directory: "personal", contactId: UNKNOWN_ID },
        restricted.token,
      );

      // Assess
      expect(refused.status).toBe(403);
      expect(refused.body.permission).toBe("operation.edit_personal_contacts");
    });
  });

  // --- hidden menus -----------------------------------------------------------------------------

  describe("hidden menus", () => {
    it("refuses the APIs of a hidden menu with 403 naming it, and leaves the others", async () => {
      // Arrange
      const tenant = freshTenant();
      const [noRecordings, noContacts, everything] = await Promise.all([
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
        api.userWithRole(tenant, "none", nextNumber()),
      ]);
      await ruleFor(tenant, noRecordings.id, "menu", ["recordings"]);
      await ruleFor(tenant, noContacts.id, "menu", ["contacts"]);
      const recording = await mustIngest(tenant.id, noRecordings.id, KINDS[2].body("900"));
      const call = await mustIngest(tenant.id, noRecordings.id, KINDS[0].body("901"));

      // Act
      const recordings = await listOf(noRecordings.token, "recordings");
      const deleteRecording = await api.request("DELETE", `/api/v1/me/recordings/${recording.id}`, {
        token: noRecordings.token,
      });
      const addFromRecording = await api.request("POST", `/api/v1/me/recordings/${recording.id}/add-to-contacts`, {
        token: noRecordings.token,
        body: { mode: "new", directory: "personal", contact: { firstName: "X" } },
      });
      const callLogs = await listOf(noRecordings.token, "call-logs");
      const voicemails = await listOf(noRecordings.token, "voicemails");
      const contacts = await api.request("GET", "/api/v1/contacts", { token: noContacts.token });
      const personal = await api.request("GET", "/api/v1/me/contacts", { token: noContacts.token });
      const recordingsOfOther = await listOf(noContacts.token, "recordings");
      const unaffected = await Promise.all([
        listOf(everything.token, "recordings"),
        api.request("GET", "/api/v1/contacts", { token: everything.token }),
      ]);

      // Assess
      for (const refused of [recordings, deleteRecording, addFromRecording]) {
        expect(refused.status).toBe(403);
        expect(refused.body.permission).toBe("menu.recordings");
      }
      expect(callLogs.status).toBe(200);
      expect(callLogs.body.items.map((r: StoredRecord) => r.id)).toEqual([call.id]);
      expect(voicemails.status).toBe(200);
      for (const refused of [contacts, personal]) {
        expect(refused.status).toBe(403);
        expect(refused.body.permission).toBe("menu.contacts");
      }
      expect(recordingsOfOther.status).toBe(200);
      expect(unaffected.map((r) => r.status)).toEqual([200, 200]);
    });
  });
});
