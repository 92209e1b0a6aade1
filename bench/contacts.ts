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
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ContactData, NumberData, NumberType } from "../layers/core/contacts/formats/common.js";
import type { Deps } from "../layers/core/deps.js";
import { prng } from "../test/support/prng.js";
import { startDynamo } from "./support/env.js";
import { rssMiB, treeCpuSeconds } from "./support/proc.js";
import { cleanups, runBench } from "./support/run.js";

const COUNT = Number(process.argv[2] ?? 100_000);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 500);
const IMPORT_BUDGET_MS = Number(process.env.BENCH_IMPORT_BUDGET_MS ?? 40_000);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const WARMUP = 20;
if (!Number.isInteger(COUNT) || COUNT < 1) throw new Error("usage: npx tsx bench/contacts.ts [count]");

// ---------------------------------------------------------------------------------------------
// Generated contacts

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
/**
 * Skewed towards the start of the list, as real name frequencies are: with exponent e the first
 * of n entries comes up with probability n^(-1/e).
 */
const pickSkewed = <T>(list: readonly T[], exponent = 2): T =>
  list[Math.floor(random() ** exponent * list.length)] as T;
const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join("");

// biome-ignore format: name lists
const FIRST = [
  "James", "Maria", "John", "Anna", "Michael", "Sarah", "David", "Laura", "Thomas", "Emma", "Daniel", "Sophie",
  "José", "Zoë", "Amélie", "François", "Chloé", "Renée", "Jürgen", "Björn", "Søren", "Ørjan", "Łukasz", "Siobhán",
  "Ângela", "Inês", "João", "Günther", "Hélène", "Éric", "Noël", "Åsa", "Märta", "Mikael", "Olga", "Dmitri",
  "Yuki", "Hiroshi", "Mei", "Wei", "Priya", "Arjun", "Fatima", "Omar", "Ahmed", "Leila", "Kwame", "Amara",
  "Lucas", "Mateo", "Valentina", "Camila", "Santiago", "Isabella", "Liam", "Olivia", "Noah", "Ava", "Elijah",
  "Charlotte", "William", "Amelia", "Benjamin", "Mia", "Henry", "Harper", "Alexander", "Evelyn", "Sebastián",
  "Nicolás", "Ana-Maria", "Jean-Luc", "Marie-Claire", "Karl", "Heinz", "Ute", "Dörte", "Štěpán", "Zdeněk",
  "Ágnes", "Zoltán", "Ioana", "Andrei", "Nikos", "Eleni", "Murat", "Ayşe", "Çağla", "Emre", "Kofi", "Chidi",
  "Ngozi", "Sipho", "Thandiwe", "Aroha", "Tane", "Grace", "Ada", "Alan", "Barbara", "Edsger", "Niklaus",
];
// biome-ignore format: name lists
const LAST = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Rodríguez", "Martínez",
  "Hernández", "López", "González", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
  "Lee", "Pérez", "Thompson", "White", "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson", "Müller",
  "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Köhler", "Groß",
  "Dubois", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Leroy", "Girard", "Bonnet", "Dupont", "Faure",
  "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
  "Nakamura", "Tanaka", "Suzuki", "Watanabe", "Itō", "Yamamoto", "Kobayashi", "Wang", "Li", "Zhang", "Liu",
  "Chen", "Yang", "Huang", "Nguyễn", "Trần", "Lê", "Phạm", "Kim", "Park", "Choi", "Singh", "Kumar", "Sharma",
  "Patel", "Gupta", "O'Brien", "O'Connor", "McDonald", "MacLeod", "van der Berg", "de Vries", "van Dijk",
  "Janssen", "Ångström", "Øvergård", "Johansson", "Lindqvist", "Nordström", "Kowalski", "Nowak", "Wiśniewski",
  "Dvořák", "Novák", "Svoboda", "Horváth", "Nagy", "Popescu", "Ionescu", "Papadopoulos", "Yılmaz", "Kaya",
  "Öztürk", "Ivanov", "Smirnov", "Kuznetsov", "Mensah", "Okafor", "Adeyemi", "Dlamini", "Ngata", "García-López",
  "Fernández de Córdoba", "Lovelace", "Hopper", "Turing", "Dijkstra", "Wirth", "Liskov", "Knuth", "Hamilton",
];
// biome-ignore format: syllable lists
const SURNAME_STARTS = [
  "Ber", "Kow", "Lind", "Mar", "Sch", "Dal", "Fer", "Hol", "Nak", "Öst", "Åk", "Gar", "Pet", "Ros", "Vil", "Wes",
  "Bra", "Cal", "Dom", "Ell", "Fra", "Gon", "Hen", "Ivan", "Jan", "Kar", "Lor", "Mor", "Nor", "Ort", "Pal", "Qui",
  "Ram", "San", "Tor", "Ulr", "Val", "Wal", "Yam", "Zel", "Bäck", "Čer", "Dvo", "Éch", "Gué", "Hø", "Łas", "Mü",
];
// biome-ignore format: syllable lists
const SURNAME_ENDS = [
  "gren", "ski", "mann", "ez", "ova", "stein", "ström", "ard", "elli", "son", "ić", "escu", "oğlu", "berg", "feld",
  "ier", "ino", "aki", "oto", "sen", "quist", "ley", "ton", "well", "ero", "ada", "eau", "ot", "čák", "ný", "ás",
];
/** About 6,100 surnames: the real ones first (most frequent), then made-up ones. */
const SURNAMES = [
  ...LAST,
  ...SURNAME_STARTS.flatMap((start) =>
    SURNAME_ENDS.flatMap((end) => ["", "a", "en", "or"].map((middle) => start + middle + end)),
  ),
];
// biome-ignore format: word lists
const COMPANY_WORDS = [
  "Acme", "Nordwind", "Blue", "Granite", "Silver", "Northern", "Pacific", "Atlas", "Orion", "Helix", "Vertex",
  "Summit", "Harbor", "Cedar", "Maple", "Falcon", "Quantum", "Pioneer", "Sterling", "Crescent", "Évora", "Zürich",
  "Müller", "Société", "Brasserie", "Café", "Øresund", "Königs", "Lumière", "Aurora", "Delta", "Evergreen",
  "Horizon", "Keystone", "Lighthouse", "Meridian", "Nimbus", "Oakridge", "Redwood", "Riverside", "Sunrise",
]
// biome-ignore format: word lists
const COMPANY_KINDS = [
  "Systems", "Logistics", "Logistik", "Consulting", "Partners", "Holdings", "Dental", "Bakery", "Motors",
  "Insurance", "Software", "Hotels", "Médical", "Électrique", "Bau", "Transport", "Foods", "Labs", "Studio",
  "Legal", "Finance", "Energy", "Pharma", "Textiles", "Analytics", "Networks", "Design", "Imports",
];
const COMPANY_SUFFIXES = ["", "", "Inc.", "Ltd", "GmbH", "S.A.", "SARL", "AG", "LLC", "B.V.", "S.p.A.", "& Co."];
const COMPANIES = Array.from({ length: 3000 }, () =>
  [pick(COMPANY_WORDS), random() < 0.3 ? pick(COMPANY_WORDS) : "", pick(COMPANY_KINDS), pick(COMPANY_SUFFIXES)]
    .filter(Boolean)
    .join(" "),
);
const CITIES = [
  ["Springfield", "IL", "USA"],
  ["Berlin", "", "Germany"],
  ["München", "Bayern", "Germany"],
  ["Paris", "", "France"],
  ["Lyon", "", "France"],
  ["London", "", "United Kingdom"],
  ["Zürich", "ZH", "Switzerland"],
  ["São Paulo", "SP", "Brazil"],
  ["Tokyo", "", "Japan"],
  ["Kraków", "", "Poland"],
] as const;

/** A phone number in one of the ways people write them (all valid: digits, spaces, ( ) . - +). */
function phoneNumber(): string {
  const a = digits(3);
  const e = digits(3);
  const x = digits(4);
  switch (int(12)) {
    case 0:
      return `+1 (${a}) ${e}-${x}`;
    case 1:
      return `${a}-${e}-${x}`;
    case 2:
      return `1.${a}.${e}.${x}`;
    case 3:
      return `+1${a}${e}${x}`;
    case 4:
      return `+44 20 ${digits(4)} ${digits(4)}`;
    case 5:
      return `020 ${digits(4)} ${digits(4)}`;
    case 6:
      return `+49 30 ${digits(8)}`;
    case 7:
      return `0049 (0)89 ${digits(4)}-${digits(4)}`;
    case 8:
      return `+33 1 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
    case 9:
      return `01.${digits(2)}.${digits(2)}.${digits(2)}.${digits(2)}`;
    case 10:
      return `+81 3-${digits(4)}-${digits(4)}`;
    default:
      return `${int(9) + 1}${digits(3)}`; // an internal short number
  }
}

const NUMBER_CHOICES: NumberType[] = ["business", "mobile", "business", "mobile", "home", "business_fax", "other"];

function numbersOf(): NumberData[] {
  const r = random();
  const count = r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
  const used = new Set<NumberType>();
  const numbers: NumberData[] = [];
  while (numbers.length < count) {
    const type = pick(NUMBER_CHOICES);
    const fallback = (
      { business: "business2", mobile: "mobile2", home: "home2" } as Partial<Record<string, NumberType>>
    )[type];
    const chosen = used.has(type) ? fallback : type;
    if (!chosen || used.has(chosen)) continue;
    used.add(chosen);
    numbers.push({ type: chosen, number: phoneNumber() });
  }
  return numbers;
}

const ascii = (s: string) =>
  s
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");

function generateContact(): ContactData {
  const shape = random();
  // Most common first name ~4.6% (100 names, exponent 1.5), most common surname ~0.6% (about
  // 6,100, exponent 1.7): a few contacts share a full name, as in a real directory.
  const firstName = shape < 0.03 ? "" : pickSkewed(FIRST, 1.5);
  const lastName = shape >= 0.03 && shape < 0.05 ? "" : pickSkewed(SURNAMES, 1.7);
  const company = random() < 0.35 ? "" : pickSkewed(COMPANIES);
  const [city, state, country] = random() < 0.5 ? pick(CITIES) : ["", "", ""];
  const domain = company ? `${ascii(company.split(" ")[0] ?? "") || "mail"}.example` : "example.com";
  const remarkKind = random();
  return {
    firstName,
    lastName,
    company,
    email: random() < 0.7 ? `${ascii(firstName) || "info"}.${ascii(lastName) || "contact"}@${domain}` : "",
    remark:
      remarkKind < 0.05 ? `Call after 5pm, "VIP"\nAccount ${digits(6)}` : remarkKind < 0.15 ? "Prefers email" : "",
    zipCode: city ? digits(5) : "",
    street: city ? `${int(300) + 1} ${pick(["Main Street", "Hauptstraße", "Rue de la Paix", "Høgbakken"])}` : "",
    city,
    state,
    country,
    numbers: numbersOf(),
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const secs = (value: number) => `${(value / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

interface CallStats {
  count: number;
  ms: number;
}
/** DynamoDB calls by command, for the phase running now. */
let calls = new Map<string, CallStats>();

function instrument(db: DynamoDBDocumentClient): void {
  const send = db.send.bind(db) as (command: unknown) => Promise<unknown>;
  (db as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const name = (command as object).constructor.name.replace(/Command$/, "");
    const start = performance.now();
    try {
      return await send(command);
    } finally {
      const stats = calls.get(name) ?? { count: 0, ms: 0 };
      stats.count++;
      stats.ms += performance.now() - start;
      calls.set(name, stats);
    }
  };
}

function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}

interface PhaseResult {
  wallMs: number;
  nodeCpuS: number;
  javaCpuS: number;
  peakRss: number;
  javaRss: number;
  /** The 1-minute load average when the phase ended: this bench alone makes about 2 (node + the JVM). */
  load: number;
  calls: Map<string, CallStats>;
}

let javaPid: number | undefined;

/** Runs one phase: wall time, CPU of both processes, peak RSS of this process (sampled), DynamoDB calls. */
async function phase<T>(label: string, run: () => Promise<T>): Promise<{ value: T; result: PhaseResult }> {
  calls = new Map();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const cpu0 = process.cpuUsage();
  const java0 = treeCpuSeconds(javaPid);
  const start = performance.now();
  try {
    const value = await run();
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const result: PhaseResult = {
      wallMs,
      nodeCpuS: (cpu.user + cpu.system) / 1e6,
      javaCpuS: treeCpuSeconds(javaPid) - java0,
      peakRss,
      javaRss: (rssMiB(javaPid) ?? Number.NaN) * 1024 * 1024,
      load: loadAverage(),
      calls,
    };
    console.log(
      `  [${label}] ${secs(wallMs)} wall; CPU node ${result.nodeCpuS.toFixed(1)} s, DynamoDB Local ${result.javaCpuS.toFixed(1)} s; ` +
        `peak RSS ${mib(peakRss)}; DynamoDB Local RSS ${mib(result.javaRss)}; load ${result.load.toFixed(1)}`,
    );
    const rows = [...calls.entries()].sort((a, b) => b[1].ms - a[1].ms);
    for (const [name, stats] of rows) {
      console.log(
        `      ${name.padEnd(14)} ${fmt(stats.count).padStart(9)} calls  ${secs(stats.ms).padStart(8)}  ` +
          `${ms(stats.ms / stats.count).padStart(9)} each  (${((100 * stats.ms) / wallMs).toFixed(0)}% of wall)`,
      );
    }
    return { value, result };
  } finally {
    clearInterval(sampler);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const summary: [string, string][] = [];
  const started = performance.now();
  const dynamo = await startDynamo();
  cleanups.push(dynamo.stop);
  javaPid = dynamo.dynamoPid;

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
  instrument(deps.db);
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
  // Exact only with a collection on either side: `node --expose-gc --import tsx bench/contacts.ts`.
  const collect = (globalThis as { gc?: () => void }).gc;
  forgetContactIndexes();
  collect?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const coldSearch = await phase("first search, no index held", () =>
    searchCompanyContacts(deps, tenant.id, { q: "ma", limit: 50 }),
  );
  const held = await companyContactIndex(deps, tenant.id);
  collect?.();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const heapNote = collect ? "" : " (no --expose-gc: collections in between blur it)";
  console.log(
    `  loaded ${fmt(held.byContact.size)} contacts, ${fmt(held.tokens.size)} tokens in ${secs(coldSearch.result.wallMs)}; ` +
      `heap +${heapMiB.toFixed(0)} MiB${heapNote}`,
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
