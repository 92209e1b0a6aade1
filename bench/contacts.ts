// Company contacts at scale, one tenant, against DynamoDB Local in memory:
//   npx tsx bench/contacts.ts [count]        (default 100000)
// Needs Java 17 (DynamoDB Local). Environment: BENCH_SEARCHES (500 of each kind),
// BENCH_IMPORT_BUDGET_MS (40000: the notifier's budget per run), BENCH_SEED (1), BENCH_SAME_NAME
// (0: when set, also imports that many rows sharing one name into a second tenant, see below).
//
// Phases, each timed on its own:
// 1. IMPORT: `count` generated contacts (deterministic PRNG: accented names, companies, 1–3
//    numbers in mixed formats) as a Yeastar-columns CSV, gzip+base64, through `startImport`
//    (the API request: parse, validate, store the chunks), then `processImportJob` run again and
//    again with the notifier's 40 s budget until the job completes (what the worker does).
//    Progress is printed every ~10 s.
// 2. SEARCH: BENCH_SEARCHES name-prefix searches (1–4 letters of generated names) and as many
//    number searches (leading or trailing digits, formatted or not) through
//    `searchCompanyContacts` with limit 50, one at a time; median and 99th percentile.
// 3. EXPORT: the whole directory as CSV through `exportContacts`, 5000 contacts a page, following
//    x-next-cursor (each page is one API request).
// 4. PHONEBOOK: all contacts read with `allCompanyContacts` and built into Yealink XML; then the
//    stored books (built when the token is created, as the notifier rebuilds them on change, capped
//    at PHONEBOOK_MAX_CONTACTS) served cold (`storedPhonebook`, no cache) and by `servePhonebook`.
//
// Every DynamoDB call is counted and timed per phase (calls are sequential in all four phases, so
// the time inside `send` is the time spent waiting on DynamoDB Local plus SDK marshalling). CPU of
// this process and of DynamoDB Local's JVM is read from /proc per phase. DynamoDB Local runs on the
// same 2 cores: its figures are not DynamoDB's (see docs/benchmarks-contacts.md).
import "./support/env.js";
import { gzipSync } from "node:zlib";
import type { ContactData } from "../layers/core/contacts/formats/common.js";
import type { Deps } from "../layers/core/deps.js";
import { generateContact, int, pick, random } from "./support/contact-generator.js";
import { startDynamo } from "./support/env.js";
import { fmt, mib, ms, PhaseMeter, percentile, secs } from "./support/phases.js";
import { fullGc } from "./support/proc.js";
import { cleanups, runBench } from "./support/run.js";

const COUNT = Number(process.argv[2] ?? 100_000);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 500);
const IMPORT_BUDGET_MS = Number(process.env.BENCH_IMPORT_BUDGET_MS ?? 40_000);
const WARMUP = 20;
if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error("usage: npx tsx bench/contacts.ts [count]");

async function main() {
  const summary: [string, string][] = [];
  const started = performance.now();
  const dynamo = await startDynamo();
  cleanups.push(dynamo.stop);

  const { defaultDeps } = await import("../layers/core/deps.js");
  const { createTenant } = await import("../layers/core/services/tenants.js");
  const { startImport, getImportJob } = await import("../layers/core/services/contact-import.js");
  const { processImportJob } = await import("../layers/core/services/import-worker.js");
  const { searchCompanyContacts, allCompanyContacts } = await import("../layers/core/services/contacts.js");
  const { storedPhonebook } = await import("../layers/core/services/phonebook-store.js");
  const { exportContacts, rotatePhonebookToken, servePhonebook, PHONEBOOK_MAX_CONTACTS } = await import(
    "../layers/core/services/contact-files.js"
  );
  const { csvHeader, contactToCsvRow } = await import("../layers/core/contacts/formats/csv.js");
  const { phonebookXml } = await import("../layers/core/contacts/formats/phonebook.js");
  const { digitsOf } = await import("../layers/core/contacts/normalize.js");
  const { matchKey } = await import("../layers/core/contacts/index-entries.js");
  const { companyContactIndex, forgetContactIndexes } = await import("../layers/core/entities/contact-index.js");

  const deps: Deps = defaultDeps();
  const meter = new PhaseMeter(deps.db, dynamo.dynamoPid);
  const phase = meter.phase.bind(meter);
  cleanups.push(async () => deps.db.destroy());
  const slug = "bench-contacts";
  const { tenant } = await createTenant(deps, {
    name: "Bench Contacts",
    slug,
    adminEmail: "admin@bench.example",
    adminFirstName: "Administrator",
    adminLastName: "",
    adminExtensionNumber: "1000",
    adminMobileNumber: "",
  });
  console.log(
    `cloud-pbx contacts bench: ${fmt(COUNT)} contacts, tenant ${tenant.id}, DynamoDB Local (in memory) at ${dynamo.endpoint}`,
  );
  console.log(
    `  Node ${process.version}, ${(await import("node:os")).cpus().length} cores; DynamoDB Local shares them`,
  );

  // -- Generate --------------------------------------------------------------------------
  const genStart = performance.now();
  const contacts: ContactData[] = Array.from({ length: COUNT }, generateContact);
  let csv = csvHeader({ bom: true });
  for (const contact of contacts) csv += contactToCsvRow(contact);
  const csvBytes = Buffer.byteLength(csv);
  const content = gzipSync(csv).toString("base64");
  console.log(
    `\nGenerated ${fmt(COUNT)} contacts in ${secs(performance.now() - genStart)}: CSV ${mib(csvBytes)}, ` +
      `gzip+base64 ${mib(content.length)} (the import request body carries this)`,
  );
  summary.push(["CSV file", `${mib(csvBytes)}; gzip+base64 ${mib(content.length)}`]);
  // The import's match rule reads every earlier contact with the same first name, last name and
  // company (in BatchGetItems, a chunk's candidates at once): what that costs for this file.
  const groups = new Map<string, number>();
  let candidateReads = 0;
  for (const contact of contacts) {
    const key = matchKey(contact);
    const earlier = groups.get(key) ?? 0;
    candidateReads += earlier;
    groups.set(key, earlier + 1);
  }
  const largest = Math.max(...groups.values());
  console.log(
    `  ${fmt(groups.size)} distinct name+company keys; largest group ${fmt(largest)}; ` +
      `the match rule will read ${fmt(candidateReads)} earlier contacts`,
  );

  // -- Import ----------------------------------------------------------------------------
  console.log("\nIMPORT");
  const request = await phase("startImport (the API request)", () =>
    startImport(deps, tenant.id, { format: "csv", mode: "valid_rows", content, encoding: "gzip+base64" }),
  );
  const job0 = request.value;
  csv = "";
  console.log(`  job ${job0.id}: ${job0.status}, ${fmt(job0.valid)} valid, ${fmt(job0.invalid)} invalid rows`);
  if (job0.invalid > 0) console.log(`  first errors: ${JSON.stringify(job0.errors.slice(0, 3))}`);
  summary.push([
    "Import request (startImport)",
    `${secs(request.result.wallMs)}, peak RSS ${mib(request.result.peakRss)}`,
  ]);

  const importStart = performance.now();
  let runs = 0;
  const progress = setInterval(() => {
    void getImportJob(deps, tenant.id, job0.id).then((job) => {
      const elapsed = performance.now() - importStart;
      console.log(
        `  ${secs(elapsed).padStart(8)}  ${job.status.padEnd(9)} ${fmt(job.done).padStart(7)} / ${fmt(job.valid)}` +
          `  ${fmt((1000 * job.done) / elapsed).padStart(5)} rows/s  (worker run ${runs})`,
      );
    });
  }, 10_000);
  const work = await phase("processImportJob (the worker)", async () => {
    try {
      for (;;) {
        const job = await getImportJob(deps, tenant.id, job0.id);
        if (job.status === "completed" || job.status === "rejected") return job;
        runs++;
        await processImportJob(deps, tenant.id, job0.id, Date.now() + IMPORT_BUDGET_MS);
      }
    } finally {
      clearInterval(progress);
    }
  });
  const job = work.value;
  const importMs = work.result.wallMs;
  const rate = (1000 * job.done) / importMs;
  console.log(
    `  completed: ${fmt(job.done)} rows (${fmt(job.created)} created, ${fmt(job.updated)} updated, ` +
      `${fmt(job.unchanged)} unchanged) in ${secs(importMs)} over ${runs} worker runs: ${fmt(rate)} rows/s`,
  );
  summary.push([
    "Import job (worker)",
    `${secs(importMs)} for ${fmt(job.done)} rows = ${fmt(rate)} rows/s (${runs} runs of ${IMPORT_BUDGET_MS / 1000} s)`,
  ]);
  summary.push([
    "Import total (request + job)",
    `${secs(request.result.wallMs + importMs)}; CPU node ${(request.result.nodeCpuS + work.result.nodeCpuS).toFixed(0)} s, DynamoDB Local ${(request.result.javaCpuS + work.result.javaCpuS).toFixed(0)} s`,
  ]);
  const stored = job.created;

  // -- Cold index ----------------------------------------------------------------------
  // The directory's index is held in memory per function (entities/contact-index.ts); the search
  // phase below runs warm. What a function that has none pays on its first search: every contact
  // item's tokens read and sorted.
  console.log("\nCOLD INDEX (a function's first search of this tenant)");
  // A full collection on either side: what the index retains, not garbage waiting to be collected.
  forgetContactIndexes();
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  const coldSearch = await phase("first search, no index held", () =>
    searchCompanyContacts(deps, tenant.id, { q: "ma", limit: 50 }),
  );
  const held = await companyContactIndex(deps, tenant.id);
  fullGc();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  console.log(
    `  loaded ${fmt(held.byContact.size)} contacts, ${fmt(held.tokens.size)} tokens in ${secs(coldSearch.result.wallMs)}; ` +
      `heap +${heapMiB.toFixed(0)} MiB`,
  );
  summary.push([
    "Index load (cold function)",
    `${secs(coldSearch.result.wallMs)}: ${fmt(held.byContact.size)} contacts, ${fmt(held.tokens.size)} tokens, heap +${heapMiB.toFixed(0)} MiB`,
  ]);

  // -- Search ----------------------------------------------------------------------------
  console.log("\nSEARCH");
  const nameQueries: string[] = [];
  while (nameQueries.length < SEARCHES + WARMUP) {
    const contact = pick(contacts);
    const words = [contact.firstName, contact.lastName, contact.company]
      .join(" ")
      .split(" ")
      .filter((w) => /\p{L}/u.test(w));
    const word = pick(words);
    if (word) nameQueries.push([...word].slice(0, 1 + int(4)).join(""));
  }
  const numberQueries: string[] = [];
  while (numberQueries.length < SEARCHES + WARMUP) {
    const { number } = pick(pick(contacts).numbers);
    const all = digitsOf(number);
    const kind = random();
    let q: string;
    if (kind < 0.35)
      q = all.slice(0, 3 + int(6)); // leading digits, unformatted
    else if (kind < 0.55)
      q = number.slice(0, 5 + int(Math.max(1, number.length - 5))); // leading, as written
    else if (kind < 0.9)
      q = all.slice(-(4 + int(4))); // trailing digits ("last four")
    else q = number.slice(-(5 + int(5))); // trailing, as written
    q = q.trim();
    if (/[0-9]/.test(q) && /^[0-9 ().+-]+$/.test(q)) numberQueries.push(q);
  }
  const searchResults: Record<string, { sorted: number[]; hits: number; empty: number; full: number }> = {};
  for (const [kind, queries] of [
    ["name prefix", nameQueries],
    ["number", numberQueries],
  ] as const) {
    const latencies: number[] = [];
    let hits = 0;
    let empty = 0;
    let full = 0;
    const { result } = await phase(`search by ${kind}`, async () => {
      for (const [i, q] of queries.entries()) {
        const start = performance.now();
        const page = await searchCompanyContacts(deps, tenant.id, { q, limit: 50 });
        const elapsed = performance.now() - start;
        if (i < WARMUP) continue;
        latencies.push(elapsed);
        hits += page.items.length;
        if (page.items.length === 0) empty++;
        if (page.nextCursor) full++;
      }
    });
    const sorted = latencies.sort((a, b) => a - b);
    searchResults[kind] = { sorted, hits, empty, full };
    console.log(
      `  by ${kind}: ${sorted.length} searches (after ${WARMUP} warm-up), median ${ms(percentile(sorted, 50))}, ` +
        `p90 ${ms(percentile(sorted, 90))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1) ?? Number.NaN)}; ` +
        `${(hits / sorted.length).toFixed(1)} results on average, ${full} full pages (50 + cursor), ${empty} empty; ` +
        `${fmt((1000 * sorted.length) / result.wallMs)} searches/s one at a time`,
    );
    summary.push([
      `Search by ${kind} (limit 50)`,
      `median ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))} (n=${sorted.length}, ${(hits / sorted.length).toFixed(0)} results avg)`,
    ]);
  }
  console.log(`  examples: name ${JSON.stringify(nameQueries.slice(WARMUP, WARMUP + 8))}`);
  console.log(`            number ${JSON.stringify(numberQueries.slice(WARMUP, WARMUP + 8))}`);

  // -- Export ----------------------------------------------------------------------------
  console.log("\nEXPORT");
  let exportBytes = 0;
  let exportRows = 0;
  let pages = 0;
  let slowestPage = 0;
  let largestPage = 0;
  const exported = await phase("exportContacts, 5000 a page", async () => {
    let cursor: string | undefined;
    do {
      const start = performance.now();
      const page = await exportContacts(deps, tenant.id, { format: "csv", limit: 5000, cursor });
      slowestPage = Math.max(slowestPage, performance.now() - start);
      const bytes = Buffer.byteLength(page.body);
      largestPage = Math.max(largestPage, bytes);
      exportBytes += bytes;
      exportRows += Number(page.headers["x-contact-count"]);
      pages++;
      cursor = page.headers["x-next-cursor"];
    } while (cursor);
  });
  console.log(
    `  ${fmt(exportRows)} rows in ${pages} pages, ${mib(exportBytes)} (${fmt(exportBytes)} bytes) in ${secs(exported.result.wallMs)}: ` +
      `${fmt((1000 * exportRows) / exported.result.wallMs)} rows/s; slowest page ${secs(slowestPage)}, ` +
      `largest page ${mib(largestPage)}; peak RSS ${mib(exported.result.peakRss)}`,
  );
  if (exportRows !== stored) console.log(`  !! exported ${exportRows} rows but the import created ${stored}`);
  summary.push([
    "Full export (CSV)",
    `${secs(exported.result.wallMs)}, ${fmt(exportRows)} rows, ${mib(exportBytes)}, ${pages} pages (slowest ${secs(slowestPage)}, largest ${mib(largestPage)}), peak RSS ${mib(exported.result.peakRss)}`,
  ]);

  // -- Phonebook -------------------------------------------------------------------------
  console.log("\nPHONEBOOK (Yealink)");
  const read = await phase("allCompanyContacts, everything", async () => {
    const all = [];
    for await (const page of allCompanyContacts(deps, tenant.id)) all.push(...page);
    return all;
  });
  const everyone = read.value;
  const built = await phase("phonebookXml, everything", async () => phonebookXml("yealink", tenant.name, everyone));
  const fullXml = built.value;
  const entries = (fullXml.match(/<DirectoryEntry>/g) ?? []).length;
  console.log(
    `  full book: read ${fmt(everyone.length)} contacts in ${secs(read.result.wallMs)}, built in ${ms(built.result.wallMs)}: ` +
      `${fmt(entries)} entries, ${mib(Buffer.byteLength(fullXml))}; peak RSS ${mib(Math.max(read.result.peakRss, built.result.peakRss))}`,
  );
  summary.push([
    "Yealink phonebook, all contacts",
    `${secs(read.result.wallMs + built.result.wallMs)} (read ${secs(read.result.wallMs)}, XML ${ms(built.result.wallMs)}), ${fmt(entries)} entries, ${mib(Buffer.byteLength(fullXml))}`,
  ]);
  everyone.length = 0;

  const cappedRead = await phase(`allCompanyContacts, first ${fmt(PHONEBOOK_MAX_CONTACTS)}`, async () => {
    const first = [];
    for await (const page of allCompanyContacts(deps, tenant.id)) {
      first.push(...page);
      if (first.length >= PHONEBOOK_MAX_CONTACTS) break;
    }
    return first.slice(0, PHONEBOOK_MAX_CONTACTS);
  });
  const cappedBuilt = await phase(`phonebookXml, ${fmt(PHONEBOOK_MAX_CONTACTS)}`, async () =>
    phonebookXml("yealink", tenant.name, cappedRead.value),
  );
  console.log(
    `  capped book (${fmt(PHONEBOOK_MAX_CONTACTS)}): read in ${secs(cappedRead.result.wallMs)}, built in ${ms(cappedBuilt.result.wallMs)}, ` +
      `${mib(Buffer.byteLength(cappedBuilt.value))}`,
  );
  // Creating the token builds and stores every file (what the notifier does when the directory
  // changes); a cold function then reads the stored book, a warm one only the head.
  const rotated = await phase("rotatePhonebookToken (builds and stores every file)", () =>
    rotatePhonebookToken(deps, tenant.id, slug),
  );
  const { token } = rotated.value;
  const cold = await phase("storedPhonebook yealink.xml (a cold function)", () =>
    storedPhonebook(deps, tenant.id, "yealink.xml"),
  );
  const served = await phase("servePhonebook yealink.xml, first in this process", () =>
    servePhonebook(deps, slug, "yealink.xml", token, {}),
  );
  const warm = await phase("servePhonebook yealink.xml, cached", () =>
    servePhonebook(deps, slug, "yealink.xml", token, {}),
  );
  const notModified = await phase("servePhonebook yealink.xml, If-None-Match", () =>
    servePhonebook(deps, slug, "yealink.xml", token, { "if-none-match": warm.value.headers.etag }),
  );
  console.log(
    `  stored books built in ${secs(rotated.result.wallMs)}; served: cold ${ms(cold.result.wallMs)} ` +
      `(${mib(Buffer.byteLength(cold.value.body))}), first request ${ms(served.result.wallMs)}, cached ${ms(warm.result.wallMs)}, ` +
      `304 ${ms(notModified.result.wallMs)} (status ${notModified.value.status})`,
  );
  summary.push([
    `Yealink phonebook, capped ${fmt(PHONEBOOK_MAX_CONTACTS)}`,
    `${secs(cappedRead.result.wallMs + cappedBuilt.result.wallMs)} (read ${secs(cappedRead.result.wallMs)}, XML ${ms(cappedBuilt.result.wallMs)}); ` +
      `all files built and stored ${secs(rotated.result.wallMs)}; served cold ${ms(cold.result.wallMs)}, cached ${ms(warm.result.wallMs)}`,
  ]);

  // -- Same name (optional) --------------------------------------------------------------
  // The match rule's cost when many rows share first name, last name and company: each row reads
  // every earlier one. BENCH_SAME_NAME rows, all "John Smith" with no company, distinct numbers.
  const sameName = Number(process.env.BENCH_SAME_NAME ?? 0);
  if (sameName > 0) {
    console.log(`\nSAME NAME: ${fmt(sameName)} rows all "John Smith", no company, one distinct number each`);
    const { tenant: other } = await createTenant(deps, {
      name: "Bench Same Name",
      slug: "bench-same-name",
      adminEmail: "admin@same.bench.example",
      adminFirstName: "Administrator",
      adminLastName: "",
      adminExtensionNumber: "1000",
      adminMobileNumber: "",
    });
    let file = csvHeader();
    for (let i = 0; i < sameName; i++) {
      const number = `+1 555 ${String(i).padStart(7, "0")}`;
      file += contactToCsvRow({
        ...contacts[0],
        firstName: "John",
        lastName: "Smith",
        company: "",
        numbers: [{ type: "mobile", number }],
      } as ContactData);
    }
    const same = await phase("import, same name", async () => {
      const started = await startImport(deps, other.id, {
        format: "csv",
        mode: "valid_rows",
        content: file,
        encoding: "text",
      });
      for (;;) {
        const job = await getImportJob(deps, other.id, started.id);
        if (job.status === "completed" || job.status === "rejected") return job;
        await processImportJob(deps, other.id, started.id, Date.now() + IMPORT_BUDGET_MS);
      }
    });
    const reads = same.result.calls.get("Get");
    console.log(
      `  ${fmt(same.value.created)} created in ${secs(same.result.wallMs)}: ${fmt((1000 * same.value.done) / same.result.wallMs)} rows/s; ` +
        `${fmt(reads?.count ?? 0)} GetItem (${fmt((sameName * (sameName - 1)) / 2)} of them the match rule's)`,
    );
    summary.push([
      `Import, ${fmt(sameName)} rows of one name`,
      `${secs(same.result.wallMs)} = ${fmt((1000 * same.value.done) / same.result.wallMs)} rows/s, ${fmt(reads?.count ?? 0)} GetItem`,
    ]);
  }

  // -- Summary ---------------------------------------------------------------------------
  const width = Math.max(...summary.map(([k]) => k.length));
  console.log(`\nSUMMARY: ${fmt(COUNT)} company contacts, one tenant, DynamoDB Local in memory on the same 2 cores`);
  for (const [key, value] of summary) console.log(`  ${key.padEnd(width)}  ${value}`);
  console.log(
    `  ${"Process peak RSS".padEnd(width)}  ${mib(process.resourceUsage().maxRSS * 1024)} (node); bench wall ${secs(performance.now() - started)}`,
  );
}

// 100,000 contacts take about 21 minutes here.
runBench(main, 3_600_000);
