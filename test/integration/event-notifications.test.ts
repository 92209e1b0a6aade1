import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDeps } from "../../layers/core/deps.js";
import { processDueNotifications } from "../../layers/core/services/notifications.js";
import { mailsTo, TestApi, tenantItems } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;
type EventItem = {
  id: string;
  event: string;
  name: string;
  category: string;
  level: string;
  time: string;
  extensionId?: string;
  extensionNumber?: string;
  sourceIp?: string;
  client?: string;
  details: string;
};

const SEED_EVENTS = [
  { event: "web_user_login_success", name: "Web User Login Success", category: "operations" },
  { event: "web_user_login_failed", name: "Web User Login Failed", category: "operations" },
  { event: "linkus_client_login_failed", name: "Linkus Client Login Failed", category: "operations" },
  { event: "extension_user_password_changed", name: "Extension User Password Changed", category: "operations" },
  { event: "web_user_blocked_out", name: "Web User Blocked Out", category: "security" },
  { event: "linkus_user_blocked_out", name: "Linkus User Blocked Out", category: "security" },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const suffix = () => randomBytes(4).toString("hex");
const fieldsOf = (body: unknown) => ((body as { fields?: { field: string }[] }).fields ?? []).map((f) => f.field);

/** Seed 000 ("Linkus events"): the event log, notification settings, contacts and delivery. */
describe("event log and event notifications", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  /** Creates an extension with a known user password (and an email unless given ""). */
  async function extensionIn(
    tenant: Tenant,
    number: string,
    email = `u${number}.${suffix()}@${tenant.slug}.example.com`,
  ) {
    const password = "UserPassw0rd!";
    const created = await api.request("POST", "/api/v1/extensions", {
      token: tenant.token,
      body: { firstName: "Ext", lastName: number, number, email, userPassword: password },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: created.body.id as string, number, email, password };
  }

  function loginAttempt(tenant: Tenant, ip: string, body: Record<string, unknown>) {
    return api.request("POST", "/api/v1/auth/login", { ip, body: { server: tenant.slug, ...body } });
  }

  function eventLog(tenant: Tenant, query: Record<string, string | number> = {}) {
    return api.request<{ items: EventItem[]; nextCursor?: string }>("GET", "/api/v1/event-log", {
      token: tenant.token,
      query: { limit: 200, ...query },
    });
  }

  describe("event log", () => {
    let tenant: Tenant;
    let other: Tenant;
    let user: Awaited<ReturnType<typeof extensionIn>>;
    const net = `198.51.${Math.floor(Math.random() * 250)}`;
    const ip = { webFailed: `${net}.1`, mobileFailed: `${net}.2`, unknownUser: `${net}.3` } as const;
    const ipAfter = { webSuccess: `${net}.4`, mobileSuccess: `${net}.5` } as const;
    const triedPasswords = ["WrongWeb-Secret-1", "WrongMobile-Secret-2", "WrongGhost-Secret-3"];
    let beforeFirst: string;
    let midpoint: string;

    beforeAll(async () => {
      // Arrange: one tenant with a known sequence of real login events, in this order:
      // (admin's web login from createTenant), three failures, a split instant, a web login,
      // a Linkus Mobile login (which the seed does not list as an event).
      tenant = await api.createTenant();
      other = await api.createTenant();
      user = await extensionIn(tenant, "2001");
      await sleep(5);
      beforeFirst = new Date().toISOString();
      await sleep(5);
      const failures = [
        { ip: ip.webFailed, body: { email: user.email, password: triedPasswords[0], client: "web" } },
        { ip: ip.mobileFailed, body: { email: user.email, password: triedPasswords[1], client: "linkus_mobile" } },
        {
          ip: ip.unknownUser,
          body: { email: `ghost@${tenant.slug}.example.com`, password: triedPasswords[2], client: "web" },
        },
      ];
      for (const failure of failures) {
        expect((await loginAttempt(tenant, failure.ip, failure.body)).status).toBe(401);
      }
      await sleep(5);
      midpoint = new Date().toISOString();
      await sleep(5);
      const web = await loginAttempt(tenant, ipAfter.webSuccess, { email: user.email, password: user.password });
      expect(web.status, JSON.stringify(web.body)).toBe(200);
      const mobile = await loginAttempt(tenant, ipAfter.mobileSuccess, {
        email: user.email,
        password: user.password,
        client: "linkus_mobile",
      });
      expect(mobile.status, JSON.stringify(mobile.body)).toBe(200);
      // The other tenant gets events of its own, from an address of its own.
      expect(
        (await loginAttempt(other, "203.0.113.77", { email: other.adminEmail, password: "Nope-Nope-1" })).status,
      ).toBe(401);
    });

    it("records real login triggers newest first, with every field, and no Linkus success event", async () => {
      // Act
      const response = await eventLog(tenant);

      // Assess
      expect(response.status).toBe(200);
      const items = response.body.items;
      expect(response.body.nextCursor).toBeUndefined();
      expect(items.map((e) => [e.event, e.sourceIp])).toEqual([
        ["web_user_login_success", ipAfter.webSuccess],
        ["web_user_login_failed", ip.unknownUser],
        ["linkus_client_login_failed", ip.mobileFailed],
        ["web_user_login_failed", ip.webFailed],
        // createTenant's own login of the administrator, from the loopback address.
        ["web_user_login_success", expect.any(String)],
      ]);
      expect(items.some((e) => e.sourceIp === ipAfter.mobileSuccess)).toBe(false);
      const [success, unknown, mobile, web, adminLogin] = items;
      expect(success).toMatchObject({
        name: "Web User Login Success",
        category: "operations",
        level: "information",
        extensionId: user.id,
        extensionNumber: "2001",
        client: "web",
      });
      expect(unknown).toMatchObject({
        name: "Web User Login Failed",
        category: "operations",
        level: "warning",
        client: "web",
      });
      expect(unknown).not.toHaveProperty("extensionId");
      expect(unknown).not.toHaveProperty("extensionNumber");
      expect(mobile).toMatchObject({
        name: "Linkus Client Login Failed",
        category: "operations",
        level: "warning",
        extensionId: user.id,
        extensionNumber: "2001",
        client: "linkus_mobile",
      });
      expect(web).toMatchObject({
        name: "Web User Login Failed",
        level: "warning",
        extensionId: user.id,
        extensionNumber: "2001",
        client: "web",
      });
      expect(adminLogin?.extensionId).toBe(tenant.adminExtensionId);
      for (const event of items) {
        expect(event.details.length).toBeGreaterThan(0);
        expect(Number.isNaN(Date.parse(event.time))).toBe(false);
      }
      const times = items.map((e) => Date.parse(e.time));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const raw = JSON.stringify(items);
      for (const password of [...triedPasswords, user.password]) expect(raw).not.toContain(password);
    });

    it("keeps the tried passwords out of DynamoDB too", async () => {
      // Act
      const raw = JSON.stringify((await tenantItems(tenant.id)).filter((item) => item.type === "event"));

      // Assess
      expect(raw).toContain(ip.webFailed);
      for (const password of triedPasswords) expect(raw).not.toContain(password);
    });

    it.each([
      [{ event: "web_user_login_failed" }, [ip.unknownUser, ip.webFailed]],
      [{ event: "linkus_client_login_failed" }, [ip.mobileFailed]],
      [{ level: "warning" }, [ip.unknownUser, ip.mobileFailed, ip.webFailed]],
      [{ event: "linkus_client_login_failed", level: "warning" }, [ip.mobileFailed]],
      [{ event: "linkus_client_login_failed", level: "alert" }, []],
      [{ level: "alert" }, []],
    ])("filters by %o", async (query, expected) => {
      // Act
      const response = await eventLog(tenant, query);

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.items.map((e) => e.sourceIp)).toEqual(expected);
    });

    it("filters by level=information: both web logins and nothing else", async () => {
      // Act
      const response = await eventLog(tenant, { level: "information" });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.items.map((e) => e.event)).toEqual(["web_user_login_success", "web_user_login_success"]);
      expect(response.body.items[0]?.sourceIp).toBe(ipAfter.webSuccess);
    });

    it("narrows by time with from and to, alone and combined with other filters", async () => {
      // Act
      const after = await eventLog(tenant, { from: midpoint });
      const before = await eventLog(tenant, { to: midpoint });
      const window = await eventLog(tenant, { from: beforeFirst, to: midpoint });
      const windowFailedWeb = await eventLog(tenant, {
        from: beforeFirst,
        to: midpoint,
        event: "web_user_login_failed",
        level: "warning",
      });
      const empty = await eventLog(tenant, { to: beforeFirst, event: "web_user_login_failed" });

      // Assess
      expect(after.body.items.map((e) => e.sourceIp)).toEqual([ipAfter.webSuccess]);
      expect(before.body.items.map((e) => e.sourceIp)).toEqual([
        ip.unknownUser,
        ip.mobileFailed,
        ip.webFailed,
        expect.any(String),
      ]);
      expect(window.body.items.map((e) => e.sourceIp)).toEqual([ip.unknownUser, ip.mobileFailed, ip.webFailed]);
      expect(windowFailedWeb.body.items.map((e) => e.sourceIp)).toEqual([ip.unknownUser, ip.webFailed]);
      expect(empty.body.items).toEqual([]);
    });

    it("accepts a time with a UTC offset as the same instant", async () => {
      // Arrange: the midpoint written in UTC+02:00.
      const instant = new Date(Date.parse(midpoint) + 2 * 3600_000).toISOString().replace("Z", "+02:00");

      // Act
      const response = await eventLog(tenant, { from: instant });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.items.map((e) => e.sourceIp)).toEqual([ipAfter.webSuccess]);
    });

    it("accepts times before 1970: from then is everything, to then is nothing", async () => {
      // Act
      const since = await eventLog(tenant, { from: "1969-12-31T23:59:59Z" });
      const until = await eventLog(tenant, { to: "1969-12-31T23:59:59Z" });

      // Assess
      expect([since.status, until.status]).toEqual([200, 200]);
      expect(since.body.items).toHaveLength(5);
      expect(until.body.items).toEqual([]);
    });

    it("walks every page with limit and nextCursor, without duplicates", async () => {
      // Arrange
      const all = (await eventLog(tenant)).body.items.map((e) => e.id);

      // Act
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await eventLog(tenant, { limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        pages.push(page.body.items.map((e) => e.id));
        cursor = page.body.nextCursor;
      } while (cursor && pages.length < 10);

      // Assess
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(all);
      expect(new Set(pages.flat()).size).toBe(all.length);
    });

    it("walks filtered pages too", async () => {
      // Act
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await eventLog(tenant, { limit: 1, level: "warning", ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((e) => e.sourceIp ?? ""));
        cursor = page.body.nextCursor;
      } while (cursor && ++pages < 10);

      // Assess
      expect(seen).toEqual([ip.unknownUser, ip.mobileFailed, ip.webFailed]);
    });

    it("refuses another tenant's cursor and forged cursors with 400 naming cursor", async () => {
      // Arrange
      const otherPage = await eventLog(other, { limit: 1 });
      expect(otherPage.body.nextCursor).toBeDefined();
      const mine = (await eventLog(tenant)).body.items[2] as EventItem;
      const encode = (key: unknown) => Buffer.from(JSON.stringify(key)).toString("base64url");
      const forged = [
        otherPage.body.nextCursor as string,
        encode({ PK: `T#${other.id}`, SK: `EVENT#${mine.id}` }),
        encode({ PK: `T#${tenant.id}`, SK: `EXT#${user.id}` }),
        encode({ PK: `T#${tenant.id}`, SK: `EVENT#${mine.id}`, GSI1PK: "x" }),
        "not a cursor",
      ];

      for (const cursor of forged) {
        // Act
        const response = await eventLog(tenant, { cursor });

        // Assess
        expect(response.status, cursor).toBe(400);
        expect(response.body).toMatchObject({ fields: [{ in: "query", field: "cursor" }] });
      }
    });

    it.each([
      [{ from: "2030-01-02T00:00:00Z", to: "2030-01-01T00:00:00Z" }, "from"],
      [{ level: "critical" }, "level"],
      [{ event: "user_logged_in" }, "event"],
      [{ from: "yesterday" }, "from"],
      [{ to: "2030-01-01" }, "to"],
      [{ limit: 0 }, "limit"],
      [{ limit: 201 }, "limit"],
      [{ colour: "red" }, "colour"],
    ])("answers 400 for %o", async (query, field) => {
      // Act
      const response = await eventLog(tenant, query);

      // Assess
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toContain(field);
    });

    it("never shows one tenant's events to another", async () => {
      // Act
      const theirs = await eventLog(other);

      // Assess
      expect(theirs.status).toBe(200);
      const ips = theirs.body.items.map((e) => e.sourceIp);
      expect(ips).toContain("203.0.113.77");
      for (const address of [...Object.values(ip), ...Object.values(ipAfter)]) expect(ips).not.toContain(address);
      expect(theirs.body.items.map((e) => e.extensionId)).not.toContain(user.id);
    });

    it("needs event_log.view: a supervisor reads it, an operator does not", async () => {
      // Arrange: a separate tenant, so the logins here do not disturb the sequence above.
      const own = await api.createTenant();
      const supervisor = await api.userWithRole(own, "supervisor", "3001");
      const operator = await api.userWithRole(own, "operator", "3002");

      // Act
      const allowed = await api.request("GET", "/api/v1/event-log", { token: supervisor.token });
      const denied = await api.request("GET", "/api/v1/event-log", { token: operator.token });
      const settings = await api.request("GET", "/api/v1/event-notifications", { token: supervisor.token });
      const anonymous = await api.request("GET", "/api/v1/event-log");

      // Assess
      expect(allowed.status).toBe(200);
      expect(denied.status).toBe(403);
      expect(settings.status).toBe(403);
      expect(anonymous.status).toBe(401);
    });
  });

  describe("notification settings", () => {
    let tenant: Tenant;

    beforeAll(async () => {
      tenant = await api.createTenant();
    });

    const settingsPath = "/api/v1/event-notifications";
    const patch = (eventType: string, body: unknown, token = tenant.token) =>
      api.request("PATCH", `${settingsPath}/${eventType}`, { token, body });
    const list = () => api.request("GET", settingsPath, { token: tenant.token });

    it("lists exactly seed 000's six events with the shipped defaults, methods and variables", async () => {
      // Act
      const response = await list();

      // Assess
      expect(response.status).toBe(200);
      const items = response.body.items as Record<string, unknown>[];
      expect(items.map(({ event, name, category }) => ({ event, name, category }))).toEqual(SEED_EVENTS);
      const byEvent = Object.fromEntries(items.map((item) => [item.event, item]));
      for (const blocked of ["web_user_blocked_out", "linkus_user_blocked_out"]) {
        expect(byEvent[blocked]).toMatchObject({
          enabled: true,
          level: "alert",
          methods: ["email"],
          customised: false,
        });
      }
      expect(byEvent.web_user_login_success).toMatchObject({ enabled: false, level: "information" });
      expect(byEvent.web_user_login_failed).toMatchObject({ enabled: false, level: "warning" });
      expect(byEvent.linkus_client_login_failed).toMatchObject({ enabled: false, level: "warning" });
      expect(byEvent.extension_user_password_changed).toMatchObject({ enabled: false, level: "information" });
      for (const item of items) {
        expect(item.customised).toBe(false);
        expect(typeof item.description).toBe("string");
        expect(item.template).toEqual({ subject: expect.stringContaining("{{event_name}}"), body: expect.any(String) });
      }
      const methods = response.body.methods as { id: string; available: boolean; reason?: string }[];
      expect(methods.map(({ id, available }) => ({ id, available }))).toEqual([
        { id: "email", available: true },
        { id: "sms", available: false },
        { id: "phone_call", available: false },
      ]);
      for (const method of methods.filter((m) => !m.available)) expect(method.reason).toBeTruthy();
      expect(Object.keys(response.body.variables)).toEqual(
        expect.arrayContaining([
          "event_name",
          "event_level",
          "event_time",
          "extension",
          "source_ip",
          "client",
          "details",
        ]),
      );
      expect(Object.keys(response.body.variables)).not.toContain("password");
    });

    it("changes enabled, level, methods and template, marks it customised, and resets to the defaults", async () => {
      // Arrange
      const template = {
        subject: "Login on {{pbx_name}} from {{ source_ip }}",
        body: "{{details}}\nat {{event_time}}",
      };

      // Act
      const changed = await patch("web_user_login_success", {
        enabled: true,
        level: "alert",
        methods: ["email"],
        template,
      });
      const listed = await list();

      // Assess
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      const expected = {
        event: "web_user_login_success",
        name: "Web User Login Success",
        category: "operations",
        enabled: true,
        level: "alert",
        methods: ["email"],
        template,
        customised: true,
      };
      expect(changed.body).toMatchObject(expected);
      const items = listed.body.items as Record<string, unknown>[];
      expect(items.find((i) => i.event === "web_user_login_success")).toMatchObject(expected);
      expect(items.filter((i) => i.customised).map((i) => i.event)).toEqual(["web_user_login_success"]);

      // Act: a partial patch keeps the rest.
      const partial = await patch("web_user_login_success", { enabled: false });

      // Assess
      expect(partial.body).toMatchObject({ ...expected, enabled: false });

      // Act: reset.
      const reset = await api.request("POST", `${settingsPath}/web_user_login_success/reset`, { token: tenant.token });
      const afterReset = await list();

      // Assess
      expect(reset.status).toBe(200);
      expect(reset.body).toMatchObject({ enabled: false, level: "information", methods: ["email"], customised: false });
      expect(reset.body.template.subject).not.toBe(template.subject);
      const restored = (afterReset.body.items as Record<string, unknown>[]).find(
        (i) => i.event === "web_user_login_success",
      );
      expect(restored).toEqual(reset.body);
    });

    const valid = { subject: "Subject {{event_name}}", body: "Body {{details}}" };
    it.each([
      [
        "an unknown variable in the body",
        { template: { ...valid, body: "Tried {{password}}" } },
        "template.body",
        "{{password}}",
      ],
      [
        "an unknown variable in the subject",
        { template: { ...valid, subject: "{{password}}!" } },
        "template.subject",
        "password",
      ],
      [
        "an inherited name in the body",
        { template: { ...valid, body: "{{constructor}}" } },
        "template.body",
        "{{constructor}}",
      ],
      [
        "__proto__ in the subject",
        { template: { ...valid, subject: "{{__proto__}}" } },
        "template.subject",
        "__proto__",
      ],
      ["toString in the body", { template: { ...valid, body: "{{ toString }}" } }, "template.body", "toString"],
      ["an unclosed placeholder", { template: { ...valid, body: "Hello {{event_name" } }, "template.body", "unclosed"],
      ["a multi-line subject", { template: { ...valid, subject: "one\ntwo" } }, "template.subject", "single line"],
      ["an empty body", { template: { ...valid, body: "" } }, "template.body", "required"],
      ["sms", { methods: ["sms"] }, "methods", "not available"],
      ["phone_call", { methods: ["email", "phone_call"] }, "methods", "not available"],
      ["an unknown method", { methods: ["pigeon"] }, "methods.0", ""],
      ["a repeated method", { methods: ["email", "email"] }, "methods", "repeat"],
      ["enabled without methods", { enabled: true, methods: [] }, "methods", ""],
      ["an unknown level", { level: "critical" }, "level", ""],
      ["an unknown field", { colour: "red" }, "colour", ""],
    ])("refuses %s with 400 and changes nothing", async (_label, body, field, words) => {
      // Act
      const response = await patch("linkus_client_login_failed", body);

      // Assess
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      const match = (response.body.fields as { field: string; message: string }[]).find((f) => f.field === field);
      expect(match, JSON.stringify(response.body.fields)).toBeDefined();
      expect(match?.message).toContain(words);
      const current = (await list()).body.items.find(
        (i: { event: string }) => i.event === "linkus_client_login_failed",
      );
      expect(current.customised).toBe(false);
    });

    it("refuses an empty patch, and enabling an event whose methods were emptied", async () => {
      // Act
      const empty = await patch("extension_user_password_changed", {});
      const noMethods = await patch("extension_user_password_changed", { methods: [] });
      const enable = await patch("extension_user_password_changed", { enabled: true });

      // Assess
      expect(empty.status).toBe(400);
      expect(noMethods.status).toBe(200);
      expect(noMethods.body).toMatchObject({ enabled: false, methods: [], customised: true });
      expect(enable.status).toBe(400);
      expect(fieldsOf(enable.body)).toContain("methods");
    });

    it("answers 400 for an event type that is not in the catalog", async () => {
      // Act
      const update = await patch("user_logged_in", { enabled: true });
      const reset = await api.request("POST", `${settingsPath}/user_logged_in/reset`, { token: tenant.token });

      // Assess
      for (const response of [update, reset]) {
        expect(response.status).toBe(400);
        expect(response.body.fields[0]).toMatchObject({ in: "path", field: "eventType" });
      }
    });

    it("records later events at the level the tenant chose, and at the default again after reset", async () => {
      // Arrange
      const changed = await patch("web_user_login_failed", { level: "alert" });
      expect(changed.status).toBe(200);
      const ipAlert = `192.0.2.${10 + Math.floor(Math.random() * 100)}`;
      const ipWarning = `192.0.2.${120 + Math.floor(Math.random() * 100)}`;

      // Act
      const first = await loginAttempt(tenant, ipAlert, { email: tenant.adminEmail, password: "Wrong-Passw0rd" });
      await api.request("POST", `${settingsPath}/web_user_login_failed/reset`, { token: tenant.token });
      const second = await loginAttempt(tenant, ipWarning, { email: tenant.adminEmail, password: "Wrong-Passw0rd" });

      // Assess
      expect([first.status, second.status]).toEqual([401, 401]);
      const failed = (await eventLog(tenant, { event: "web_user_login_failed" })).body.items;
      expect(failed.map((e) => [e.sourceIp, e.level])).toEqual([
        [ipWarning, "warning"],
        [ipAlert, "alert"],
      ]);
      const alerts = (await eventLog(tenant, { level: "alert" })).body.items;
      expect(alerts.map((e) => e.sourceIp)).toEqual([ipAlert]);
    });

    it("keeps one tenant's settings away from another's", async () => {
      // Arrange
      const other = await api.createTenant();
      await patch("linkus_user_blocked_out", { enabled: false });

      // Act
      const theirs = await api.request("GET", settingsPath, { token: other.token });

      // Assess
      const item = theirs.body.items.find((i: { event: string }) => i.event === "linkus_user_blocked_out");
      expect(item).toMatchObject({ enabled: true, customised: false });
    });
  });

  describe("notification contacts", () => {
    let tenant: Tenant;
    const contactsPath = "/api/v1/notification-contacts";
    const create = (body: unknown, token = tenant.token) => api.request("POST", contactsPath, { token, body });

    beforeAll(async () => {
      tenant = await api.createTenant();
    });

    it("creates, lists, changes and deletes a custom contact", async () => {
      // Arrange
      const email = `Ops.${suffix()}@Example.com`;

      // Act
      const created = await create({ type: "custom", name: "Ops desk", email, levels: ["warning", "alert"] });

      // Assess
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({
        type: "custom",
        name: "Ops desk",
        email: email.toLowerCase(),
        levels: ["warning", "alert"],
      });
      const id = created.body.id as string;
      const listed = await api.request("GET", contactsPath, { token: tenant.token });
      expect(listed.body.items).toContainEqual(created.body);

      // Act
      const changed = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: tenant.token,
        body: { levels: ["information"], name: "Night desk" },
      });

      // Assess
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        id,
        name: "Night desk",
        email: email.toLowerCase(),
        levels: ["information"],
      });
      const relisted = await api.request("GET", contactsPath, { token: tenant.token });
      expect(relisted.body.items.find((c: { id: string }) => c.id === id)).toEqual(changed.body);

      // Act
      const deleted = await api.request("DELETE", `${contactsPath}/${id}`, { token: tenant.token });
      const again = await api.request("DELETE", `${contactsPath}/${id}`, { token: tenant.token });
      const patchGone = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: tenant.token,
        body: { levels: ["alert"] },
      });

      // Assess
      expect(deleted.status).toBe(204);
      expect(again.status).toBe(404);
      expect(patchGone.status).toBe(404);
      const finalList = await api.request("GET", contactsPath, { token: tenant.token });
      expect(finalList.body.items.map((c: { id: string }) => c.id)).not.toContain(id);
    });

    it("creates an extension contact from the extension's own name, refuses to rename it, changes its levels", async () => {
      // Arrange
      const extension = await extensionIn(tenant, "4001");

      // Act
      const created = await create({ type: "extension", extensionId: extension.id, levels: ["alert"] });

      // Assess
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ type: "extension", extensionId: extension.id, levels: ["alert"] });
      expect(created.body.name).toContain("4001");
      const id = created.body.id as string;

      // Act
      const rename = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: tenant.token,
        body: { name: "Someone else" },
      });
      const reEmail = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: tenant.token,
        body: { email: `elsewhere.${suffix()}@example.com` },
      });
      const levels = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: tenant.token,
        body: { levels: ["warning", "alert"] },
      });

      // Assess
      expect(rename.status).toBe(400);
      expect(reEmail.status).toBe(400);
      expect(levels.status).toBe(200);
      expect(levels.body).toMatchObject({ type: "extension", extensionId: extension.id, levels: ["warning", "alert"] });
      expect(levels.body.name).toBe(created.body.name);
    });

    it("refuses an extension without an email, another tenant's extension and an unknown one", async () => {
      // Arrange
      const silent = await extensionIn(tenant, "4002", "");
      const other = await api.createTenant();

      // Act
      const noEmail = await create({ type: "extension", extensionId: silent.id, levels: ["alert"] });
      const foreign = await create({ type: "extension", extensionId: other.adminExtensionId, levels: ["alert"] });
      const unknown = await create({ type: "extension", extensionId: "01ARZ3NDEKTSV4RRFFQ69G5FAV", levels: ["alert"] });

      // Assess
      for (const response of [noEmail, foreign, unknown]) {
        expect(response.status).toBe(400);
        expect(fieldsOf(response.body)).toEqual(["extensionId"]);
      }
      expect(noEmail.body.fields[0].message).toContain("email");
    });

    it.each([
      ["no levels", { type: "custom", name: "X", email: "x@example.com", levels: [] }, "levels"],
      ["a repeated level", { type: "custom", name: "X", email: "x@example.com", levels: ["alert", "alert"] }, "levels"],
      ["an unknown level", { type: "custom", name: "X", email: "x@example.com", levels: ["critical"] }, "levels.0"],
      ["a bad email", { type: "custom", name: "X", email: "not-an-email", levels: ["alert"] }, "email"],
      ["no name", { type: "custom", name: "", email: "x@example.com", levels: ["alert"] }, "name"],
      ["an unknown type", { type: "pager", name: "X", email: "x@example.com", levels: ["alert"] }, "type"],
      [
        "an email on an extension contact",
        { type: "extension", extensionId: "01ARZ3NDEKTSV4RRFFQ69G5FAV", email: "x@example.com", levels: ["alert"] },
        "email",
      ],
    ])("refuses %s with 400", async (_label, body, field) => {
      // Act
      const response = await create(body);

      // Assess
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(fieldsOf(response.body)).toContain(field);
    });

    it("refuses empty or repeated levels on change, and hides contacts from other tenants", async () => {
      // Arrange
      const created = await create({
        type: "custom",
        name: "Keep",
        email: `keep.${suffix()}@example.com`,
        levels: ["alert"],
      });
      const id = created.body.id as string;
      const other = await api.createTenant();

      // Act
      const empty = await api.request("PATCH", `${contactsPath}/${id}`, { token: tenant.token, body: { levels: [] } });
      const repeated = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: tenant.token,
        body: { levels: ["alert", "alert"] },
      });
      const foreignPatch = await api.request("PATCH", `${contactsPath}/${id}`, {
        token: other.token,
        body: { levels: ["warning"] },
      });
      const foreignDelete = await api.request("DELETE", `${contactsPath}/${id}`, { token: other.token });
      const foreignList = await api.request("GET", contactsPath, { token: other.token });

      // Assess
      expect([empty.status, repeated.status]).toEqual([400, 400]);
      expect(fieldsOf(empty.body)).toContain("levels");
      expect(fieldsOf(repeated.body)).toContain("levels");
      expect([foreignPatch.status, foreignDelete.status]).toEqual([404, 404]);
      expect(foreignList.body.items).toEqual([]);
      const mine = await api.request("GET", contactsPath, { token: tenant.token });
      expect(mine.body.items.find((c: { id: string }) => c.id === id)).toMatchObject({ levels: ["alert"] });
    });
  });

  describe("routing notifications to contacts", () => {
    const password = "Tried-Secret-Passw0rd";

    /** A tenant with contacts A [warning], B [alert], C (an extension) [warning, alert]. */
    async function tenantWithContacts() {
      const tenant = await api.createTenant();
      const tag = suffix();
      const a = `alice.${tag}@notify.example.com`;
      const b = `bob.${tag}@notify.example.com`;
      const extension = await extensionIn(tenant, "5001", `carol.${tag}@notify.example.com`);
      const contacts = [
        { type: "custom", name: "Alice", email: a, levels: ["warning"] },
        { type: "custom", name: "Bob", email: b, levels: ["alert"] },
        { type: "extension", extensionId: extension.id, levels: ["warning", "alert"] },
      ];
      for (const body of contacts) {
        const created = await api.request("POST", "/api/v1/notification-contacts", { token: tenant.token, body });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
      }
      return { tenant, a, b, c: extension.email, extension };
    }

    const outbox = async (tenantId: string) =>
      (await tenantItems(tenantId)).filter((item) => item.type === "outbox") as Record<string, string>[];

    it("queues nothing while the event's notification is off", async () => {
      // Arrange
      const { tenant, extension } = await tenantWithContacts();

      // Act
      const response = await loginAttempt(tenant, "192.0.2.200", { email: extension.email, password });

      // Assess
      expect(response.status).toBe(401);
      expect((await eventLog(tenant, { event: "web_user_login_failed" })).body.items).toHaveLength(1);
      expect(await outbox(tenant.id)).toEqual([]);
    });

    it("queues one rendered email per contact whose levels include the event's, then delivers them", async () => {
      // Arrange
      const { tenant, a, b, c, extension } = await tenantWithContacts();
      const enabled = await api.request("PATCH", "/api/v1/event-notifications/web_user_login_failed", {
        token: tenant.token,
        body: {
          enabled: true,
          template: {
            subject: "{{event_name}} from {{source_ip}} ({{event_level}})",
            body: "{{event_name}} on {{pbx_name}}\nIP {{source_ip}}, extension {{extension}}, {{client}}\n{{details}}",
          },
        },
      });
      expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
      const ip = `198.18.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
      const subject = `Web User Login Failed from ${ip} (Warning)`;

      // Act
      const response = await loginAttempt(tenant, ip, { email: extension.email, password });

      // Assess: the outbox holds exactly one pending message for A and one for C, none for B.
      expect(response.status).toBe(401);
      const queued = await outbox(tenant.id);
      expect(queued.map((m) => m.to).sort()).toEqual([a, c].sort());
      const [event] = (await eventLog(tenant, { event: "web_user_login_failed" })).body.items;
      for (const message of queued) {
        expect(message).toMatchObject({
          status: "pending",
          event: "web_user_login_failed",
          subject,
          eventId: event?.id,
        });
        expect(message.text).toContain(`Web User Login Failed on Tenant ${tenant.slug}`);
        expect(message.text).toContain(`IP ${ip}, extension 5001, Web Client`);
        expect(message.text).not.toContain("{{");
        expect(JSON.stringify(message)).not.toContain(password);
      }

      // Act: the notifier sends what is due (across all tenants; only our addresses matter).
      const deps = defaultDeps();
      for (let round = 0; round < 10; round++) {
        await processDueNotifications(deps);
        if ((await mailsTo(a)).length > 0 && (await mailsTo(c)).length > 0) break;
      }
      await processDueNotifications(deps);

      // Assess: A and C got exactly one email each, B none, and nothing is sent twice.
      const [toA, toB, toC] = await Promise.all([mailsTo(a), mailsTo(b), mailsTo(c)]);
      expect(toA.map((mail) => mail.subject)).toEqual([subject]);
      expect(toC.map((mail) => mail.subject)).toEqual([subject]);
      expect(toB).toEqual([]);
      expect(toA[0]?.body.text).toContain(ip);
      expect(JSON.stringify([...toA, ...toC])).not.toContain(password);
      expect((await outbox(tenant.id)).map((m) => m.status)).toEqual(["sent", "sent"]);
    });

    it("routes by the level the tenant set: an alert reaches B and C, not A", async () => {
      // Arrange
      const { tenant, a, b, c, extension } = await tenantWithContacts();
      await api.request("PATCH", "/api/v1/event-notifications/linkus_client_login_failed", {
        token: tenant.token,
        body: { enabled: true, level: "alert" },
      });

      // Act
      const response = await loginAttempt(tenant, "192.0.2.201", {
        email: extension.email,
        password,
        client: "linkus_desktop",
      });

      // Assess
      expect(response.status).toBe(401);
      const queued = await outbox(tenant.id);
      expect(queued.map((m) => m.to).sort()).toEqual([b, c].sort());
      expect(queued.map((m) => m.to)).not.toContain(a);
      expect(queued[0]?.subject).toBe(`[Tenant ${tenant.slug}] Linkus Client Login Failed`);
      expect(queued[0]?.text).toContain("Desktop Client");
    });

    it("sends an address once when two contacts share it", async () => {
      // Arrange
      const { tenant, c, extension } = await tenantWithContacts();
      await api.request("POST", "/api/v1/notification-contacts", {
        token: tenant.token,
        body: { type: "custom", name: "Carol again", email: c, levels: ["warning"] },
      });
      await api.request("PATCH", "/api/v1/event-notifications/web_user_login_failed", {
        token: tenant.token,
        body: { enabled: true },
      });

      // Act
      await loginAttempt(tenant, "192.0.2.202", { email: extension.email, password });

      // Assess
      const queued = await outbox(tenant.id);
      expect(queued.filter((m) => m.to === c)).toHaveLength(1);
      expect(queued).toHaveLength(2);
    });
  });
});
