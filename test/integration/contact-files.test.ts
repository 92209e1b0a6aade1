import { gzipSync } from "node:zlib";
import type { DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler as notifier } from "../../functions/notifier.js";
import { defaultDeps } from "../../layers/core/deps.js";
import { processImportJob } from "../../layers/core/services/import-worker.js";
import {
  refreshPhonebooks,
  refreshStalePhonebooks,
  storedPhonebook,
} from "../../layers/core/services/phonebook-store.js";
import { TestApi } from "../support/api.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

const HEADER = "First Name,Last Name,Company,Email,Business Number,Mobile Number,Remark";

/** Seed 001 / the contacts issue: import and export (CSV, vCard), phonebooks for IP phones. */
describe("company contact files", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  const importFile = (tenant: Tenant, body: Record<string, unknown>) =>
    api.request("POST", "/api/v1/company-contacts/imports", { token: tenant.token, body });
  const all = async (tenant: Tenant) => {
    const items: { firstName: string; lastName: string; company: string; numbers: unknown[]; remark: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.request("GET", "/api/v1/contacts", {
        token: tenant.token,
        query: { directory: "company", limit: 200, ...(cursor ? { cursor } : {}) },
      });
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  };

  it("imports nothing from a file with a bad row in all-or-nothing mode, naming each bad line", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const csv = [HEADER, "Ada,Lovelace,,,555 0100,,", ",,Nameless Corp,,555 0101,,", "Alan,Turing,,,call me,,"].join(
      "\n",
    );

    // Act
    const job = await importFile(tenant, { format: "csv", mode: "all_or_nothing", content: csv });

    // Assess
    expect(job.status).toBe(202);
    expect(job.body).toMatchObject({ status: "rejected", total: 3, valid: 1, invalid: 2, done: 0, created: 0 });
    expect([...new Set(job.body.errors.map((e: { line: number }) => e.line))]).toEqual([3, 4]);
    expect(job.body.errors.find((e: { line: number }) => e.line === 4).field).toBe("numbers.0.number");
    expect(await all(tenant)).toEqual([]);
  });

  it("imports the valid rows in valid-rows mode, and a re-import duplicates nothing", async () => {
    const tenant = await api.createTenant();
    const csv = [
      HEADER,
      "Ada,Lovelace,Analytical,ada@example.com,555 0100,,",
      "Bad,Row,,,not a number,,",
      "Grace,Hopper,,,555 0102,555 0103,",
    ].join("\r\n");
    const first = await importFile(tenant, { format: "csv", mode: "valid_rows", content: csv });
    expect(first.body).toMatchObject({ status: "completed", total: 3, valid: 2, invalid: 1, done: 2, created: 2 });
    expect(first.body.errors[0]).toMatchObject({ line: 3 });
    const again = await importFile(tenant, { format: "csv", mode: "valid_rows", content: csv });
    expect(again.body).toMatchObject({ status: "completed", created: 0, updated: 0, unchanged: 2 });
    // The same person with a changed e-mail and a shared number updates instead of adding.
    const changed = await importFile(tenant, {
      format: "csv",
      mode: "valid_rows",
      content: [HEADER, "ada,LOVELACE,Analytical,ada@analytical.example,+555-0100,,"].join("\n"),
    });
    expect(changed.body).toMatchObject({ created: 0, updated: 1 });
    const contacts = await all(tenant);
    expect(contacts).toHaveLength(2);
  });

  it("runs a large file as a job whose progress the API reports", async () => {
    // Arrange: more rows than are imported within the request.
    const tenant = await api.createTenant();
    const rows = Array.from({ length: 450 }, (_, i) => `Person${i},Bulk,Acme,,555 ${String(i).padStart(4, "0")},,`);
    const content = gzipSync([HEADER, ...rows].join("\n")).toString("base64");

    // Act
    const queued = await importFile(tenant, { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" });
    const jobPath = `/api/v1/company-contacts/imports/${queued.body.id}`;
    await processImportJob(defaultDeps(), tenant.id, queued.body.id, Date.now() + 60_000);
    const finished = await api.request("GET", jobPath, { token: tenant.token });

    // Assess
    expect(queued.body).toMatchObject({ status: "queued", total: 450, done: 0 });
    expect(finished.body).toMatchObject({ status: "completed", total: 450, done: 450, created: 450 });
    expect(await all(tenant)).toHaveLength(450);
  });

  it("starts a queued job when its item reaches the notifier through the table's stream", async () => {
    // Arrange: the record the stream trigger delivers for the job's INSERT (NEW_IMAGE, filtered on type).
    const tenant = await api.createTenant();
    const rows = Array.from({ length: 300 }, (_, i) => `Streamed${i},Row,,,555 ${String(i).padStart(4, "0")},,`);
    const content = gzipSync([HEADER, ...rows].join("\n")).toString("base64");
    const queued = await importFile(tenant, { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" });
    const record = {
      eventName: "INSERT",
      dynamodb: { NewImage: { type: { S: "importJob" }, tenantId: { S: tenant.id }, id: { S: queued.body.id } } },
    };

    // Act
    const report = await notifier({ Records: [record] } as unknown as DynamoDBStreamEvent);
    const finished = await api.request("GET", `/api/v1/company-contacts/imports/${queued.body.id}`, {
      token: tenant.token,
    });

    // Assess
    expect(queued.body).toMatchObject({ status: "queued", done: 0 });
    expect(report).toMatchObject({ sent: 0, dead: 0 });
    expect(finished.body).toMatchObject({ status: "completed", total: 300, done: 300, created: 300 });
    expect(await all(tenant)).toHaveLength(300);
  });

  it("round-trips the directory through CSV and vCard export and import", async () => {
    // Arrange
    const source = await api.createTenant();
    const contacts = [
      {
        firstName: "Zoë",
        lastName: "Ångström",
        company: "Physik, GmbH",
        remark: 'Says "hi"\nand leaves',
        numbers: [{ type: "mobile", number: "+46 70 123 4567" }],
      },
      {
        firstName: "Björk",
        lastName: "",
        company: "",
        email: "bjork@example.com",
        numbers: [
          { type: "business", number: "555 0100" },
          { type: "home_fax", number: "(555) 0101" },
        ],
      },
      {
        firstName: "",
        lastName: "Nakamura",
        company: "=HYPERLINK(1)",
        city: "Tokyo",
        numbers: [{ type: "other", number: "03-1234-5678" }],
      },
    ];
    for (const body of contacts) await api.request("POST", "/api/v1/company-contacts", { token: source.token, body });
    const strip = (list: Awaited<ReturnType<typeof all>>) =>
      list.map(({ firstName, lastName, company, numbers, remark }) => ({
        firstName,
        lastName,
        company,
        numbers,
        remark,
      }));
    const expected = strip(await all(source));

    for (const format of ["csv", "vcard3", "vcard4"] as const) {
      // Act
      const exported = await api.request("GET", "/api/v1/company-contacts/export", {
        token: source.token,
        query: { format },
      });
      const target = await api.createTenant();
      const imported = await importFile(target, {
        format: format === "csv" ? "csv" : "vcard",
        mode: "all_or_nothing",
        content: exported.body,
      });

      // Assess
      expect(exported.status, format).toBe(200);
      expect(imported.body, format).toMatchObject({ status: "completed", created: 3, invalid: 0 });
      expect(strip(await all(target)), format).toEqual(expected);
    }
  });

  it("exports page by page with a cursor, each page a complete file part", async () => {
    const tenant = await api.createTenant();
    for (let i = 0; i < 5; i++) {
      await api.request("POST", "/api/v1/company-contacts", {
        token: tenant.token,
        body: { firstName: `P${i}`, numbers: [{ type: "business", number: `555 010${i}` }] },
      });
    }
    const first = await api.request("GET", "/api/v1/company-contacts/export", {
      token: tenant.token,
      query: { limit: 2 },
    });
    const cursor = first.headers.get("x-next-cursor") ?? "";
    const second = await api.request("GET", "/api/v1/company-contacts/export", {
      token: tenant.token,
      query: { limit: 2, cursor },
    });
    expect(String(first.body).split("\r\n").filter(Boolean)).toHaveLength(3);
    expect(String(second.body).startsWith("First Name")).toBe(false);
    expect(String(second.body).split("\r\n").filter(Boolean)).toHaveLength(2);
  });

  it("serves phonebooks to IP phones with their own token, refreshed when a contact changes", async () => {
    // Arrange
    const tenant = await api.createTenant({ name: "Harbour & Sons" });
    await api.request("POST", "/api/v1/company-contacts", {
      token: tenant.token,
      body: {
        firstName: "Ada",
        lastName: "<Lovelace>",
        numbers: [
          { type: "business", number: "+1 (555) 010-2000" },
          { type: "mobile", number: "555.0101" },
        ],
      },
    });
    const credential = await api.request("POST", "/api/v1/phonebook/token", { token: tenant.token });
    const token = credential.body.token as string;
    const get = (file: string, headers: Record<string, string> = {}, query: Record<string, string> = { token }) =>
      api.request("GET", `/api/v1/phonebook/${tenant.slug}/${file}`, { query, headers });

    // Act & Assess: no token, a wrong token and another tenant's token are refused
    expect((await get("yealink.xml", {}, {})).status).toBe(401);
    expect((await get("yealink.xml", {}, { token: "wrong" })).status).toBe(401);
    const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
    const yealink = await get("yealink.xml");
    expect(yealink.status).toBe(200);
    expect(parser.parse(yealink.body).YealinkIPPhoneDirectory.DirectoryEntry).toEqual({
      Name: "Ada <Lovelace>",
      Telephone: ["+15550102000", "5550101"],
    });
    const basic = `Basic ${Buffer.from(`${tenant.slug}:${token}`).toString("base64")}`;
    const cisco = await get("cisco.xml", { authorization: basic }, {});
    expect(parser.parse(cisco.body).CiscoIPPhoneDirectory.DirectoryEntry).toHaveLength(2);
    const grandstream = parser.parse((await get("grandstream.xml")).body);
    expect(grandstream.AddressBook.Contact.FirstName).toBe("Ada");
    for (const file of ["yealink-menu.xml", "fanvil.xml", "snom.xml", "contacts.vcf"])
      expect((await get(file)).status, file).toBe(200);

    // Stored with an ETag, rebuilt when the directory changes (the feed counter's stream record
    // reaches the notifier), not when a phone asks: until then phones keep the book they have.
    const etag = yealink.headers.get("etag") ?? "";
    expect((await get("yealink.xml", { "if-none-match": etag })).status).toBe(304);
    const addGrace = () =>
      api.request("POST", "/api/v1/company-contacts", {
        token: tenant.token,
        body: { firstName: "Grace", numbers: [{ type: "business", number: "555 0199" }] },
      });
    await addGrace();
    expect((await get("yealink.xml", { "if-none-match": etag })).status).toBe(304);
    const counterMoved = {
      eventName: "MODIFY",
      dynamodb: { Keys: { PK: { S: `T#${tenant.id}` }, SK: { S: "FEEDSEQ#contacts" } } },
    };
    await notifier({ Records: [counterMoved] } as unknown as DynamoDBStreamEvent);
    const refreshed = await get("yealink.xml", { "if-none-match": etag });
    expect(refreshed.status).toBe(200);
    expect(parser.parse(refreshed.body).YealinkIPPhoneDirectory.DirectoryEntry).toHaveLength(2);
    // Without the stream (locally), a phone that finds its book stale has the schedule rebuild it.
    await addGrace();
    const stale = refreshed.headers.get("etag") ?? "";
    expect((await get("yealink.xml", { "if-none-match": stale })).status).toBe(304);
    await notifier({ source: "aws.events" } as unknown as ScheduledEvent);
    const rebuilt = await get("cisco.xml");
    expect(parser.parse(rebuilt.body).CiscoIPPhoneDirectory.DirectoryEntry).toHaveLength(4);

    // A rotated token retires the old one.
    await api.request("POST", "/api/v1/phonebook/token", { token: tenant.token });
    expect((await get("yealink.xml")).status).toBe(401);
  });

  it("rebuilds a large book at most once a window during a burst of changes; the schedule builds the tail", async () => {
    // Prepare: a book built at a clock the test moves; "large" lowered to one contact
    const tenant = await api.createTenant();
    const addContact = (firstName: string) =>
      api.request("POST", "/api/v1/company-contacts", {
        token: tenant.token,
        body: { firstName, numbers: [{ type: "business", number: "555 0100" }] },
      });
    await addContact("Ada");
    await api.request("POST", "/api/v1/phonebook/token", { token: tenant.token });
    // (The token's own build was at the real clock: a minute later, outside its window.)
    let now = Date.now() + 60_000;
    const deps = { ...defaultDeps(), now: () => new Date(now) };
    const debounce = { minContacts: 1, windowMs: 30_000 };
    const names = async () =>
      [...(await storedPhonebook(deps, tenant.id, "contacts.vcf")).body.matchAll(/^FN:(.*)\r$/gm)].map((m) => m[1]);
    await addContact("Grace");
    expect(await refreshPhonebooks(deps, tenant.id, { debounce })).toBe(true);

    // Act: two more changes within the window, then the schedule; one more after the window
    now += 10_000;
    await addContact("Hedy");
    const inWindow = await refreshPhonebooks(deps, tenant.id, { debounce });
    const betweenBuilds = await names();
    // (Other files' tenants may have stale books too: the schedule takes 20 a run.)
    let afterSchedule = betweenBuilds;
    for (let run = 0; run < 10 && afterSchedule.length < 3; run++) {
      await refreshStalePhonebooks(deps, Date.now() + 10_000);
      afterSchedule = await names();
    }
    now += 31_000;
    await addContact("Radia");
    const afterWindow = await refreshPhonebooks(deps, tenant.id, { debounce });

    // Assess: the change inside the window waits for the schedule, which builds it; after the
    // window a change rebuilds at once again
    expect(inWindow).toBe(false);
    expect(betweenBuilds).toEqual(["Ada", "Grace"]);
    expect(afterSchedule).toEqual(["Ada", "Grace", "Hedy"]);
    expect(afterWindow).toBe(true);
    expect(await names()).toEqual(["Ada", "Grace", "Hedy", "Radia"]);
  });

  it("refuses bad import input with 400", async () => {
    const tenant = await api.createTenant();
    expect(
      (await importFile(tenant, { format: "csv", mode: "valid_rows", content: "just,some,words\n1,2,3" })).status,
    ).toBe(400);
    expect(
      (await importFile(tenant, { format: "csv", mode: "valid_rows", content: "x", encoding: "gzip+base64" })).status,
    ).toBe(400);
    expect((await importFile(tenant, { format: "xls", mode: "valid_rows", content: "x" })).status).toBe(400);
    expect(
      (await importFile(tenant, { format: "vcard", mode: "valid_rows", content: "BEGIN:VCARD\nFN:x\n" })).status,
    ).toBe(400);
  });
});
