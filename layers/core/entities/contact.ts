import { TEXT_FIELDS } from "../contacts/formats/common.js";
import { indexTokens, sortName } from "../contacts/index-entries.js";
import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys } from "../keys.js";
import type { Contact, ContactInput } from "../schemas/contacts.js";
import { deleteIfUnchanged, type GuardedItem, putIfUnchanged, sortKeyStartsWith } from "../storage/db.js";
import { getItem, getItems, queryEvery, queryPage, writeBatches } from "./table.js";

/**
 * Company contacts (`C#<id>` in `T#<tenantId>#CC`) and their search index (`#CCX`: one entry per
 * token of contacts/index-entries.ts, its sort key ending in the contact's id). A contact and its
 * entries change in one transaction, to which the service adds the change feed's items, so the
 * index never names a version the contact does not have. Personal contacts share the stored shape
 * (personal-contact.ts).
 */
export interface StoredContact extends Contact {
  PK: string;
  SK: string;
  type: "companyContact" | "personalContact";
  sortName: string;
  /** The index tokens written for this version, so an update knows exactly what to remove. */
  tokens?: string[];
  ownerId?: string;
}

const FIELDS = [...TEXT_FIELDS, "numbers"] as const;

export function toContact(item: object): Contact {
  const stored = item as StoredContact;
  const contact = { id: stored.id, directory: stored.directory } as Contact;
  for (const field of FIELDS) (contact as Record<string, unknown>)[field] = stored[field];
  return { ...contact, version: stored.version, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
}

export function inputOf(contact: Contact): ContactInput {
  const input = {} as Record<string, unknown>;
  for (const field of FIELDS) input[field] = contact[field];
  return input as ContactInput;
}

const indexKey = (tenantId: string, token: string) => ({ PK: keys.contactIndexPartition(tenantId), SK: token });

/**
 * A new company contact: its item and index entries (`items`, for batch writes of contacts whose
 * ids are new) and the same as transaction items that refuse an existing contact (`writes`).
 */
export function newCompanyContact(deps: Deps, tenantId: string, input: ContactInput, id: string, now: string) {
  const tokens = indexTokens(input, id);
  const record: StoredContact = {
    ...keys.companyContact(tenantId, id),
    type: "companyContact",
    id,
    directory: "company",
    ...input,
    sortName: sortName(input),
    tokens,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const entries = tokens.map((token) => ({ ...indexKey(tenantId, token), contactId: id }));
  const TableName = deps.config.tableName;
  const writes: GuardedItem[] = [
    { item: { Put: { TableName, Item: record, ConditionExpression: "attribute_not_exists(PK)" } } },
    ...entries.map((Item) => ({ item: { Put: { TableName, Item } } })),
  ];
  return { record, items: [record, ...entries] as Record<string, unknown>[], writes };
}

/**
 * A company contact's fields replaced, on the condition that it is still at the version read
 * (`onConflict` otherwise); its index entries move with it (only the changed tokens are written).
 */
export function replaceCompanyContact(
  deps: Deps,
  tenantId: string,
  current: StoredContact,
  input: ContactInput,
  now: string,
  onConflict: () => DomainError,
) {
  const tokens = indexTokens(input, current.id);
  const before = new Set(current.tokens ?? []);
  const after = new Set(tokens);
  const record: StoredContact = {
    ...current,
    ...input,
    sortName: sortName(input),
    tokens,
    version: current.version + 1,
    updatedAt: now,
  };
  const TableName = deps.config.tableName;
  const writes: GuardedItem[] = [
    putIfUnchanged(TableName, record, "version", current.version, onConflict),
    ...[...before]
      .filter((token) => !after.has(token))
      .map((token) => ({ item: { Delete: { TableName, Key: indexKey(tenantId, token) } } })),
    ...tokens
      .filter((token) => !before.has(token))
      .map((token) => ({
        item: { Put: { TableName, Item: { ...indexKey(tenantId, token), contactId: current.id } } },
      })),
  ];
  return { record, writes };
}

/** The transaction items that delete a contact at the version read, with its index entries. */
export function deleteCompanyContactWrites(
  deps: Deps,
  tenantId: string,
  current: StoredContact,
  onConflict: () => DomainError,
): GuardedItem[] {
  const TableName = deps.config.tableName;
  return [
    deleteIfUnchanged(TableName, keys.companyContact(tenantId, current.id), "version", current.version, onConflict),
    ...(current.tokens ?? []).map((token) => ({ item: { Delete: { TableName, Key: indexKey(tenantId, token) } } })),
  ];
}

export function getCompanyContactRecord(deps: Deps, tenantId: string, contactId: string) {
  return getItem<StoredContact>(deps, keys.companyContact(tenantId, contactId));
}

/** BatchGetItem takes 100 keys; this many batches are in flight at once for a large page. */
const PARALLEL_BATCHES = 8;

/**
 * Stored company contacts by id (eight BatchGetItems of 100 side by side), eventually consistent
 * unless asked. Keys still unread after the retries fail the call: better than a page or an export
 * that silently leaves contacts out while its cursor moves past them.
 */
export async function loadCompanyContactRecords(
  deps: Deps,
  tenantId: string,
  ids: readonly string[],
  options: { consistent?: boolean } = {},
): Promise<Map<string, StoredContact>> {
  const found = new Map<string, StoredContact>();
  const consistent = options.consistent ?? false;
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100 * PARALLEL_BATCHES) {
    const batches: string[][] = [];
    for (let j = i; j < Math.min(unique.length, i + 100 * PARALLEL_BATCHES); j += 100) {
      batches.push(unique.slice(j, j + 100));
    }
    await Promise.all(
      batches.map(async (batch) => {
        const itemKeys = batch.map((id) => keys.companyContact(tenantId, id));
        for (const item of await getItems<StoredContact>(deps, itemKeys, { consistent })) found.set(item.id, item);
      }),
    );
  }
  return found;
}

/** Up to `limit` index entries (their sort keys) under a prefix, after an optional position. */
export async function contactIndexPage(
  deps: Deps,
  tenantId: string,
  prefix: string,
  after: string | undefined,
  limit: number,
): Promise<{ tokens: string[]; more: boolean }> {
  const page = await queryPage<{ SK: string }>(deps, {
    ...sortKeyStartsWith(keys.contactIndexPartition(tenantId), prefix),
    ExclusiveStartKey: after ? indexKey(tenantId, after) : undefined,
    Limit: limit,
    ProjectionExpression: "SK",
  });
  return { tokens: page.items.map((item) => item.SK), more: Boolean(page.lastKey) };
}

/** Every index entry under a prefix, as sort keys (an import's match candidates: `k#`). */
export async function contactIndexEntries(deps: Deps, tenantId: string, prefix: string): Promise<string[]> {
  const items = await queryEvery<{ SK: string }>(deps, {
    ...sortKeyStartsWith(keys.contactIndexPartition(tenantId), prefix),
    ProjectionExpression: "SK",
  });
  return items.map((item) => item.SK);
}

/** Items of `newCompanyContact`, put unconditionally in one batch (≤ 25; imports, whose ids are new). */
export function putCompanyContactItems(deps: Deps, items: readonly Record<string, unknown>[]): Promise<void> {
  return writeBatches(
    deps,
    items.map((put) => ({ put })),
    { attempts: 10 },
  );
}
