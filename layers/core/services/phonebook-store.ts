import { gunzipSync, gzipSync } from "node:zlib";
import { type PhonebookFormat, phonebookXml } from "../contacts/formats/phonebook.js";
import { vcardChunks } from "../contacts/formats/vcard.js";
import type { Deps } from "../deps.js";
import {
  type BookHead,
  clearBookStale,
  deleteBookParts,
  getBookHead,
  getBookParts,
  markBookStale,
  putBookHead,
  putBookParts,
  staleBookTenants,
} from "../entities/phonebook.js";
import { getPhonebookCredential } from "../entities/phonebook-credential.js";
import { PHONEBOOK_FILES } from "../schemas/contact-files.js";
import type { Contact } from "../schemas/contacts.js";
import { BoundedMap } from "../util/bounded-map.js";
import { feedSequence } from "./change-feed.js";
import { allCompanyContacts } from "./contacts.js";
import { getTenant } from "./tenants.js";

/**
 * Built phonebooks, stored: every file a phone can fetch is built when the directory changes,
 * not when a phone asks, and kept gzip-compressed in the table, so serving one is a few reads
 * however large the directory (docs/decisions.md D-imports-2).
 *
 * A build reads the directory once (at most PHONEBOOK_MAX_CONTACTS), writes each file's parts
 * under the feed sequence it was built at, then points the head item at them; the previous
 * build's parts are deleted after, so a reader never sees a half-written book. Builds start from
 * the table's stream when the contacts feed moves (the notifier), from the schedule for books a
 * phone found stale, and from creating the phonebook token.
 */
export type PhonebookFile = (typeof PHONEBOOK_FILES)[number];

/** Phones and feeds get at most this many contacts (phones keep far fewer; Lambda answers 6 MB). */
export const PHONEBOOK_MAX_CONTACTS = 10_000;
/** A stored part of a compressed file: far below DynamoDB's 400 KB item limit. */
const PART_BYTES = 300_000;

/**
 * How often a change rebuilds a large book (the notifier passes this): during a bulk import every
 * stream batch moves the feed, and each rebuild of a 10,000-contact book reads them all again. A
 * book of fewer than `minContacts` is rebuilt on every change (a few reads); a larger one at most
 * once per `windowMs` while changes keep coming, then marked stale so the scheduled run (every
 * minute) builds the tail. A phone's book is then at most about a minute behind during a burst.
 */
export const CHANGE_DEBOUNCE = { minContacts: 1_000, windowMs: 30_000 };

export interface StoredBook {
  sequence: number;
  etag: string;
  body: string;
}

/**
 * Builds and stores the tenant's books if the contacts feed has moved past the stored ones (or
 * none are stored). Tenants without a phonebook token have no books. With `debounce` (changes
 * from the stream), a large book built less than the window ago is marked stale instead. Returns
 * whether it built.
 */
export async function refreshPhonebooks(
  deps: Deps,
  tenantId: string,
  options: { debounce?: typeof CHANGE_DEBOUNCE } = {},
): Promise<boolean> {
  if (!(await getPhonebookCredential(deps, tenantId))) return false;
  // The sequence first: contacts read after it are at least that new, so the book is never older than its ETag.
  const sequence = await feedSequence(deps, tenantId, "contacts");
  const head = await getBookHead(deps, tenantId);
  if (head && head.sequence >= sequence) {
    if (head.GSI1PK) await clearBookStale(deps, tenantId);
    return false;
  }
  if (head && options.debounce && recentlyBuiltLarge(deps, head, options.debounce)) {
    await markBookStale(deps, tenantId);
    return false;
  }
  const tenant = await getTenant(deps, tenantId);
  const contacts: Contact[] = [];
  // Pages of 5,000: two index rounds for a full book.
  for await (const page of allCompanyContacts(deps, tenantId, 5000)) {
    contacts.push(...page);
    if (contacts.length >= PHONEBOOK_MAX_CONTACTS) break;
  }
  const limited = contacts.slice(0, PHONEBOOK_MAX_CONTACTS);
  const files: Record<string, number> = {};
  const parts: { file: string; part: number; data: Uint8Array }[] = [];
  for (const file of PHONEBOOK_FILES) {
    const compressed = gzipSync(buildFile(file, tenant.name, limited));
    const count = Math.max(1, Math.ceil(compressed.length / PART_BYTES));
    files[file] = count;
    for (let part = 0; part < count; part++) {
      parts.push({ file, part, data: compressed.subarray(part * PART_BYTES, (part + 1) * PART_BYTES) });
    }
  }
  await putBookParts(deps, tenantId, sequence, parts);
  const built = { sequence, builtAt: deps.now().toISOString(), contacts: limited.length, files };
  // A concurrent build of a newer sequence wins.
  if (!(await putBookHead(deps, tenantId, built))) {
    await deleteBookParts(deps, tenantId, sequence, files);
    return false;
  }
  if (head) await deleteBookParts(deps, tenantId, head.sequence, head.files);
  return true;
}

function recentlyBuiltLarge(deps: Deps, head: BookHead, debounce: typeof CHANGE_DEBOUNCE): boolean {
  const age = deps.now().getTime() - Date.parse(head.builtAt);
  return (head.contacts ?? 0) >= debounce.minContacts && age >= 0 && age < debounce.windowMs;
}

function buildFile(file: PhonebookFile, title: string, contacts: Contact[]): string {
  if (file === "contacts.vcf") return [...vcardChunks(contacts, "4.0")].join("");
  return phonebookXml(file.replace(/\.xml$/, "") as PhonebookFormat, title, contacts);
}

/**
 * The stored book for a file, built first if none is stored yet. A book older than the feed is
 * served as it is (a phone polls again later) and marked for the scheduled worker to rebuild.
 */
export async function storedPhonebook(deps: Deps, tenantId: string, file: PhonebookFile): Promise<StoredBook> {
  for (let attempt = 0; ; attempt++) {
    let head = await getBookHead(deps, tenantId);
    if (!head) {
      await refreshPhonebooks(deps, tenantId);
      head = await getBookHead(deps, tenantId);
      if (!head) throw new Error("phonebook build stored nothing");
    } else if (!head.GSI1PK && head.sequence < (await feedSequence(deps, tenantId, "contacts"))) {
      await markBookStale(deps, tenantId);
    }
    const body = await readFile(deps, tenantId, head, file);
    // Undefined: a newer build replaced this one while it was read; read the new head.
    if (body !== undefined) return { sequence: head.sequence, etag: `"${tenantId.slice(-8)}-${head.sequence}"`, body };
    if (attempt >= 2) throw new Error("phonebook parts kept changing while read");
  }
}

/** Cached per container by head sequence, so a warm function only reads the head; bounded by tenants served. */
const cache = new BoundedMap<string, StoredBook>(200);

export async function cachedPhonebook(deps: Deps, tenantId: string, file: PhonebookFile): Promise<StoredBook> {
  const head = await getBookHead(deps, tenantId);
  const cached = cache.get(`${tenantId}:${file}`);
  if (head && cached && cached.sequence === head.sequence) {
    if (!head.GSI1PK && head.sequence < (await feedSequence(deps, tenantId, "contacts"))) {
      await markBookStale(deps, tenantId);
    }
    return cached;
  }
  const book = await storedPhonebook(deps, tenantId, file);
  cache.set(`${tenantId}:${file}`, book);
  return book;
}

async function readFile(deps: Deps, tenantId: string, head: BookHead, file: string): Promise<string | undefined> {
  const parts = await getBookParts(deps, tenantId, head, file);
  return parts && gunzipSync(Buffer.concat(parts)).toString("utf8");
}

/** The scheduled worker: rebuilds books that phones found older than the directory. */
export async function refreshStalePhonebooks(deps: Deps, deadline: number): Promise<number> {
  let built = 0;
  for (const tenantId of await staleBookTenants(deps, 20)) {
    if (Date.now() >= deadline) break;
    if (await refreshPhonebooks(deps, tenantId)) built++;
  }
  return built;
}
