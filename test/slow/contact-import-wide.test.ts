import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contactToCsvRow, csvHeader } from "../../layers/core/contacts/formats/csv.js";
import { defaultDeps } from "../../layers/core/deps.js";
import { CHUNK_BYTES } from "../../layers/core/services/contact-import.js";
import { processImportJob } from "../../layers/core/services/import-worker.js";
import { TestApi } from "../support/api.js";
import { wideContacts } from "../support/contact-rows.js";

/** A 5,000-row import of wide rows completes (about 5.6 MiB of CSV; a minute or two here). */
describe("a large import of wide rows", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  it("imports 5,000 wide rows", async () => {
    // Arrange
    const tenant = await api.createTenant();
    const text =
      csvHeader() +
      wideContacts(5000, 12)
        .map((c) => contactToCsvRow(c))
        .join("");
    const content = gzipSync(text).toString("base64");

    // Act
    const queued = await api.request("POST", "/api/v1/company-contacts/imports", {
      token: tenant.token,
      body: { format: "csv", mode: "all_or_nothing", content, encoding: "gzip+base64" },
    });
    await processImportJob(defaultDeps(), tenant.id, queued.body.id, Date.now() + 900_000);
    const job = await api.request("GET", `/api/v1/company-contacts/imports/${queued.body.id}`, { token: tenant.token });
    const listed = await api.request("GET", "/api/v1/contacts", {
      token: tenant.token,
      query: { directory: "company", q: "Wide4999" },
    });

    // Assess
    expect(Buffer.byteLength(text)).toBeGreaterThan(5 * 1024 * 1024);
    expect(CHUNK_BYTES).toBeLessThan(400_000);
    expect(queued.body).toMatchObject({ status: "queued", total: 5000, valid: 5000 });
    expect(job.body).toMatchObject({ status: "completed", done: 5000, created: 5000, invalid: 0 });
    expect(listed.body.items).toHaveLength(1);
  }, 900_000);
});
