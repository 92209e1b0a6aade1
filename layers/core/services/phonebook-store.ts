import { gunzipSync, gzipSync } from "node:zlib";
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { type PhonebookFormat, phonebookXml } from "../contacts/formats/phonebook.js";
import { vcardChunks } from "../contacts/formats/vcard.js";
import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import { PHONEBOOK_FILES } from "../schemas/contact-files.js";
import type { Contact } from "../schemas/contacts.js";
import { isConditionalCheckFailed } from "../storage/db.js";
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
const STALE = "PHONEBOOK#STALE";

/**
 * How often a change rebuilds a large book (the notifier passes this): during a bulk import every
 * stream batch moves the feed, and each rebuild of a 10,000-contact book reads them all again. A
 * book of fewer than `minContacts` is rebuilt on every change (a few reads); a larger one at most
 * once per `windowMs` while changes keep coming, then marked stale so the scheduled run (every
 * minute) builds the tail. A phone's book is then at most about a minute behind during a burst.
 */
export const CHANGE_DEBOUNCE = { minContacts: 1_000, windowMs: 30_000 };

interface BookHead {
  sequence: number;
  builtAt: string;
  /** Contacts in the build (absent on books built before it was recorded). */
  contacts?: number;
  /** Parts per file. */
  files: Record<string, number>;
}

export interface StoredBook {
  sequence: number;
  etag: string;
  body: string;
}

const headKey = (tenantId: string) => ({ PK: `T#${tenantId}`, SK: "PHONEBOOK#HEAD" });
const partKey = (tenantId: string, sequence: number, file: string, part: number) => ({
  PK: `T#${tenantId}`,
  SK: `PHONEBOOK#PART#${String(sequence).padStart(12, "0")}#${file}#${part}`,
});

async function readHead(deps: Deps, tenantId: string): Promise<BookHead | undefined> {
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: headKey(tenantId), ConsistentRead: true }),
  );
  return result.Item as BookHead | undefined;
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
  const settings = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.phonebookSettings(tenantId) }),
  );
  if (!settings.Item) return false;
  // The sequence first: contacts read after it are at least that new, so the book is never older than its ETag.
  const sequence = await feedSequence(deps, tenantId, "contacts");
  const head = await readHead(deps, tenantId);
  if (head && head.sequence >= sequence) {
    if ((head as { GSI1PK?: string }).GSI1PK) await clearStale(deps, tenantId);
    return false;
  }
  if (head && options.debounce && recentlyBuiltLarge(deps, head, options.debounce)) {
    await markStale(deps, tenantId);
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
  const parts: Record<string, unknown>[] = [];
  for (const file of PHONEBOOK_FILES) {
    const compressed = gzipSync(buildFile(file, tenant.name, limited));
    const count = Math.max(1, Math.ceil(compressed.length / PART_BYTES));
    files[file] = count;
    for (let part = 0; part < count; part++) {
      parts.push({
        ...partKey(tenantId, sequence, file, part),
        type: "phonebookPart",
        data: compressed.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
      });
    }
  }
  await writeItems(deps, parts);
  try {
    await deps.db.send(
      new PutCommand({
        TableName: deps.config.tableName,
        Item: {
          ...headKey(tenantId),
          type: "phonebookHead",
          sequence,
          builtAt: deps.now().toISOString(),
          contacts: limited.length,
          files,
        },
        // A concurrent build of a newer sequence wins.
        ConditionExpression: "attribute_not_exists(PK) OR #sequence < :sequence",
        ExpressionAttributeNames: { "#sequence": "sequence" },
        ExpressionAttributeValues: { ":sequence": sequence },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    await deleteParts(deps, tenantId, sequence, files);
    return false;
  }
  if (head) await deleteParts(deps, tenantId, head.sequence, head.files);
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
    let head = await readHead(deps, tenantId);
    if (!head) {
      await refreshPhonebooks(deps, tenantId);
      head = await readHead(deps, tenantId);
      if (!head) throw new Error("phonebook build stored nothing");
    } else if (
      !(head as { GSI1PK?: string }).GSI1PK &&
      head.sequence < (await feedSequence(deps, tenantId, "contacts"))
    ) {
      await markStale(deps, tenantId);
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
  const head = await readHead(deps, tenantId);
  const cached = cache.get(`${tenantId}:${file}`);
  if (head && cached && cached.sequence === head.sequence) {
    if (!(head as { GSI1PK?: string }).GSI1PK && head.sequence < (await feedSequence(deps, tenantId, "contacts"))) {
      await markStale(deps, tenantId);
    }
    return cached;
  }
  const book = await storedPhonebook(deps, tenantId, file);
  cache.set(`${tenantId}:${file}`, book);
  return book;
}

async function readFile(deps: Deps, tenantId: string, head: BookHead, file: string): Promise<string | undefined> {
  const count = head.files[file] ?? 0;
  const wanted = Array.from({ length: count }, (_, part) => partKey(tenantId, head.sequence, file, part));
  const result = await deps.db.send(
    new BatchGetCommand({ RequestItems: { [deps.config.tableName]: { Keys: wanted, ConsistentRead: true } } }),
  );
  const found = new Map((result.Responses?.[deps.config.tableName] ?? []).map((item) => [item.SK as string, item]));
  const parts = wanted.map((key) => found.get(key.SK)?.data as Uint8Array | undefined);
  if (parts.some((part) => part === undefined)) return undefined;
  return gunzipSync(Buffer.concat(parts as Uint8Array[])).toString("utf8");
}

async function markStale(deps: Deps, tenantId: string) {
  await deps.db
    .send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: headKey(tenantId),
        UpdateExpression: "SET GSI1PK = :stale, GSI1SK = :tenant",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":stale": STALE, ":tenant": tenantId },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionalCheckFailed(error)) throw error;
    });
}

async function clearStale(deps: Deps, tenantId: string) {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.config.tableName,
      Key: headKey(tenantId),
      UpdateExpression: "REMOVE GSI1PK, GSI1SK",
    }),
  );
}

/** The scheduled worker: rebuilds books that phones found older than the directory. */
export async function refreshStalePhonebooks(deps: Deps, deadline: number): Promise<number> {
  const page = await deps.db.send(
    new QueryCommand({
      TableName: deps.config.tableName,
      IndexName: "GSI1",
      KeyConditionExpression: "GSI1PK = :stale",
      ExpressionAttributeValues: { ":stale": STALE },
      Limit: 20,
    }),
  );
  let built = 0;
  for (const item of page.Items ?? []) {
    if (Date.now() >= deadline) break;
    if (await refreshPhonebooks(deps, item.GSI1SK as string)) built++;
  }
  return built;
}

async function writeItems(deps: Deps, items: Record<string, unknown>[]) {
  // Ten at a time keeps a request under BatchWriteItem's 16 MB.
  for (let i = 0; i < items.length; i += 10) {
    let pending = items.slice(i, i + 10).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= 8) throw new Error("BatchWriteItem left phonebook parts unwritten");
      const result = await deps.db.send(new BatchWriteCommand({ RequestItems: { [deps.config.tableName]: pending } }));
      pending = (result.UnprocessedItems?.[deps.config.tableName] ?? []) as typeof pending;
      if (pending.length) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

async function deleteParts(deps: Deps, tenantId: string, sequence: number, files: Record<string, number>) {
  const doomed = Object.entries(files).flatMap(([file, count]) =>
    Array.from({ length: count }, (_, part) => partKey(tenantId, sequence, file, part)),
  );
  for (let i = 0; i < doomed.length; i += 25) {
    await deps.db.send(
      new BatchWriteCommand({
        RequestItems: {
          [deps.config.tableName]: doomed.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
        },
      }),
    );
  }
}
