import { gzipSync } from "node:zlib";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContactData } from "../../layers/core/contacts/formats/common.js";
import { contactToCsvRow, csvHeader } from "../../layers/core/contacts/formats/csv.js";
import { contactToVcard } from "../../layers/core/contacts/formats/vcard.js";
import { defaultDeps } from "../../layers/core/deps.js";
import { keys } from "../../layers/core/keys.js";
import {
  IMPORT_MAX_FILE_BYTES,
  IMPORT_MAX_REQUEST_BYTES,
  IMPORT_MAX_ROWS,
} from "../../layers/core/schemas/contact-files.js";
import { CHUNK_BYTES } from "../../layers/core/services/contact-import.js";
import { processImportJob } from "../../layers/core/services/import-worker.js";
import { TestApi } from "../support/api.js";
import { person, wideContacts } from "../support/contact-rows.js";

type Tenant = Awaited<ReturnType<TestApi["createTenant"]>>;

const IMPORTS = "/api/v1/company-contacts/imports";

/** The contacts issue (#12, #13): imports bounded by design, and files sent as files. */
describe("contact imports: limits, concurrency, file bodies", () => {
  const deps = defaultDeps();
  let api: TestApi;
  let nextTenant: () => Tenant;
  beforeAll(async () => {
    api = await TestApi.start();
    nextTenant = await api.createTenantPool(11);
  });
  afterAll(() => api.stop());

  const importJson = (tenant: Tenant, body: Record<string, unknown>) =>
    api.request("POST", IMPORTS, { token: tenant.token, body });
  /** A request with any body and content type (fetch sets the multipart boundary itself). */
  const post = async (tenant: Tenant, body: RequestInit["body"], headers: Record<string, string> = {}, query = "") => {
    const response = await fetch(`${api.baseUrl}${IMPORTS}${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.token}`, ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  /** Every stored item of the tenant's import jobs (jobs, chunks, the lock). */
  const jobItems = async (tenant: Tenant) => {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": keys.importJob(tenant.id, "").PK },
        ConsistentRead: true,
      }),
    );
    return page.Items ?? [];
  };
  const names = async (tenant: Tenant) => {
    const found: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.request("GET", "/api/v1/contacts", {
        token: tenant.token,
        query: { directory: "company", limit: 200, ...(cursor ? { cursor } : {}) },
      });
      found.push(
        ...page.body.items.map((c: { firstName: string; lastName: string }) => `${c.firstName} ${c.lastName}`),
      );
      cursor = page.body.nextCursor;
    } while (cursor);
    return found;
  };
  const csvOf = (contacts: ContactData[]) => csvHeader() + contacts.map((c) => contactToCsvRow(c)).join("");
  it("refuses a gzip bomb with 413 naming the limit, and creates no job", async () => {
    // Arrange: 17 MiB of valid rows, a few kilobytes once compressed.
    const tenant = nextTenant();
    const row = contactToCsvRow(person(1));
    const text = csvHeader() + row.repeat(Math.ceil((IMPORT_MAX_FILE_BYTES + 1024 * 1024) / row.length));
    const content = gzipSync(text, { level: 9 }).toString("base64");

    // Act
    const refused = await importJson(tenant, { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" });

    // Assess: refused, nothing stored, and the tenant can still import.
    expect(content.length).toBeLessThan(200_000);
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: "payload_too_large", field: "content", limit: IMPORT_MAX_FILE_BYTES });
    expect(refused.body.message).toContain("16 MiB");
    expect(await jobItems(tenant)).toEqual([]);
    const next = await importJson(tenant, { format: "csv", mode: "valid_rows", content: csvOf([person(2)]) });
    expect(next.body).toMatchObject({ status: "completed", created: 1 });
  });

  it("refuses a file of more contacts than one import takes with 413", async () => {
    // Arrange: one row more than the limit, short rows (about 1.5 MiB, 30 KiB compressed).
    const tenant = nextTenant();
    const text = `First Name,Mobile Number\n${"A,1\n".repeat(IMPORT_MAX_ROWS + 1)}`;
    const content = gzipSync(text).toString("base64");

    // Act
    const refused = await importJson(tenant, { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" });

    // Assess
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ field: "content", limit: IMPORT_MAX_ROWS });
    expect(await jobItems(tenant)).toEqual([]);
  });

  it("imports wide rows in chunks cut by size (450 rows, about 0.5 MiB: several chunks)", async () => {
    // Arrange: the 1,000-row chunk item used to pass DynamoDB's 400 KB item limit from ~400 rows.
    const tenant = nextTenant();
    const text = csvOf(wideContacts(450, 12));
    const content = gzipSync(text).toString("base64");

    // Act
    const queued = await importJson(tenant, {
      format: "csv",
      mode: "all_or_nothing",
      content,
      encoding: "gzip+base64",
    });
    const chunks = (await jobItems(tenant)).filter((item) => item.type === "importChunk");
    await processImportJob(deps, tenant.id, queued.body.id, Date.now() + 120_000);
    const job = await api.request("GET", `${IMPORTS}/${queued.body.id}`, { token: tenant.token });

    // Assess
    expect(queued.body).toMatchObject({ status: "queued", total: 450, valid: 450, invalid: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(Buffer.byteLength(chunk.rows as string)).toBeLessThanOrEqual(CHUNK_BYTES);
    expect(job.body).toMatchObject({ status: "completed", done: 450, created: 450 });
    expect(await names(tenant)).toHaveLength(450);
  }, 120_000);

  it("leaves exactly one copy of each contact after ten concurrent imports of one file", async () => {
    // Arrange
    const tenant = nextTenant();
    const content = csvOf(Array.from({ length: 50 }, (_, i) => person(i)));

    // Act: ten uploads at once; then whatever was accepted runs to the end.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => importJson(tenant, { format: "csv", mode: "valid_rows", content })),
    );
    for (const answer of answers.filter((a) => a.status === 202)) {
      await processImportJob(deps, tenant.id, answer.body.id, Date.now() + 60_000);
    }

    // Assess: each answer is an accepted job or a 409 naming the running one, which did nothing.
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted.length + refused.length).toBe(10);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const answer of refused) {
      expect(answer.body).toMatchObject({ error: "conflict", field: "import" });
    }
    const jobs = (await jobItems(tenant)).filter((item) => item.type === "importJob");
    expect(jobs.map((job) => job.id).sort()).toEqual(accepted.map((a) => a.body.id).sort());
    const stored = await names(tenant);
    expect(stored).toHaveLength(50);
    expect(new Set(stored).size).toBe(50);
  });

  it("makes one contact of rows of one file that match each other, the last row's data winning", async () => {
    // Arrange: the same person three times (once with a new e-mail), and someone else.
    const tenant = nextTenant();
    const content = csvOf([person(1), person(1), person(1, { email: "one@example.com" }), person(2)]);

    // Act
    const job = await importJson(tenant, { format: "csv", mode: "valid_rows", content });
    const listed = await api.request("GET", "/api/v1/contacts", {
      token: tenant.token,
      query: { directory: "company", q: "Person1" },
    });

    // Assess
    expect(job.body).toMatchObject({ status: "completed", created: 2, unchanged: 1, updated: 1 });
    expect(await names(tenant)).toHaveLength(2);
    expect(listed.body.items).toMatchObject([{ firstName: "Person1", email: "one@example.com", version: 1 }]);
  });

  it("takes a CSV file as a text/csv body, gzip-compressed or not", async () => {
    // Arrange
    const tenant = nextTenant();
    const csv = csvOf([person(1), person(2)]);

    // Act
    const plain = await post(tenant, csv, { "content-type": "text/csv; charset=utf-8" }, "?mode=valid_rows");
    const compressed = await post(
      tenant,
      gzipSync(csvOf([person(3)])),
      { "content-type": "text/csv", "content-encoding": "gzip" },
      "?mode=all_or_nothing",
    );

    // Assess
    expect(plain.status).toBe(202);
    expect(plain.body).toMatchObject({ format: "csv", mode: "valid_rows", status: "completed", created: 2 });
    expect(compressed.body).toMatchObject({ format: "csv", mode: "all_or_nothing", status: "completed", created: 1 });
    expect((await names(tenant)).sort()).toEqual(["Person1 Example", "Person2 Example", "Person3 Example"]);
  });

  it("takes vCards as a multipart upload", async () => {
    // Arrange: the form a browser sends, the format told by the file's type.
    const tenant = nextTenant();
    const cards = [person(7), person(8, { firstName: "Zoë", lastName: "Ångström" })]
      .map((c) => contactToVcard(c, "4.0"))
      .join("");
    const form = new FormData();
    form.append("mode", "valid_rows");
    form.append("file", new Blob([cards], { type: "text/vcard" }), "contacts.vcf");

    // Act
    const answer = await post(tenant, form);

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ format: "vcard", mode: "valid_rows", status: "completed", created: 2 });
    expect((await names(tenant)).sort()).toEqual(["Person7 Example", "Zoë Ångström"]);
  });

  it("refuses files over the request limit with 413, and bodies it cannot read with 400 or 415", async () => {
    const tenant = nextTenant();
    const big = `${csvHeader()}${"x".repeat(IMPORT_MAX_REQUEST_BYTES)}`;
    const overRaw = await post(tenant, big, { "content-type": "text/csv" });
    const form = new FormData();
    form.append("file", new Blob([big], { type: "text/csv" }), "big.csv");
    const overForm = await post(tenant, form);
    const notUtf8 = await post(tenant, Buffer.from([0x46, 0x69, 0x72, 0x73, 0x74, 0xff, 0xfe, 0x0a]), {
      "content-type": "text/csv",
    });
    const wrongType = await post(tenant, "First Name\nAda", { "content-type": "text/plain" });
    const noFile = new FormData();
    noFile.append("mode", "valid_rows");
    const formWithoutFile = await post(tenant, noFile);
    const unknownFormat = new FormData();
    unknownFormat.append("file", new Blob(["x"], { type: "application/octet-stream" }), "contacts.bin");
    const formatUnknown = await post(tenant, unknownFormat);

    expect(overRaw.status).toBe(413);
    expect(overRaw.body).toMatchObject({ error: "payload_too_large", field: "body", limit: IMPORT_MAX_REQUEST_BYTES });
    expect(overRaw.body.message).toContain("5 MiB");
    expect(overForm.status).toBe(413);
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.fields[0]).toMatchObject({ field: "content" });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.accepted).toEqual(expect.arrayContaining(["text/csv", "text/vcard", "multipart/form-data"]));
    expect(formWithoutFile.status).toBe(400);
    expect(formWithoutFile.body.fields[0]).toMatchObject({ field: "file" });
    expect(formatUnknown.status).toBe(400);
    expect(formatUnknown.body.fields[0]).toMatchObject({ field: "format" });
    expect(await jobItems(tenant)).toEqual([]);
  });
});
