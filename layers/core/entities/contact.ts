import { TEXT_FIELDS } from "../contacts/formats/common.js";
import { sortName } from "../contacts/index-entries.js";
import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys } from "../keys.js";
import type { Contact, ContactInput } from "../schemas/contacts.js";
import { deleteIfUnchanged, type GuardedItem, putIfUnchanged } from "../storage/db.js";
import { getItem, getItems, writeBatches } from "./table.js";

/**
 * Company contacts (`C#<id>` in `T#<tenantId>#CC`), one item each. contact-index.ts builds the
 * search index in memory from these items' names and numbers; the service writes a contact in one
 * transaction with its change-feed entry, which is how that index learns of the change. Personal
 * contacts share the stored shape (personal-contact.ts).
 */
export interface StoredContact extends Contact {
  PK: string;
  SK: string;
  type: "companyContact" | "personalContact";
  sortName: string;
  /**
   * Search tokens, stored until D-imports-4 and dropped at the contact's next write: they are
   * derived from the fields, so they always follow the code's one definition of them.
   */
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

/**
 * A new company contact: its item (`items`, for batch writes of contacts whose ids are new) and
 * the same as a transaction item that refuses an existing contact (`writes`).
 */
export function newCompanyContact(deps: Deps, tenantId: string, input: ContactInput, id: string, now: string) {
  const record: StoredContact = {
    ...keys.companyContact(tenantId, id),
    type: "companyContact",
    id,
    directory: "company",
    ...input,
    sortName: sortName(input),
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const writes: GuardedItem[] = [
    {
      item: {
        Put: { TableName: deps.config.tableName, Item: record, ConditionExpression: "attribute_not_exists(PK)" },
      },
    },
  ];
  return { record, items: [record] as object[], writes };
}

/**
 * A company contact's fields replaced, on the condition that it is still at the version read
 * (`onConflict` otherwise).
 */
export function replaceCompanyContact(
  deps: Deps,
  current: StoredContact,
  input: ContactInput,
  now: string,
  onConflict: () => DomainError,
) {
  const { tokens: _stale, ...kept } = current;
  const record: StoredContact = {
    ...kept,
    ...input,
    sortName: sortName(input),
    version: current.version + 1,
    updatedAt: now,
  };
  const writes: GuardedItem[] = [putIfUnchanged(deps.config.tableName, record, "version", current.version, onConflict)];
  return { record, writes };
}

/** The transaction item that deletes a contact at the version read. */
export function deleteCompanyContactWrites(
  deps: Deps,
  tenantId: string,
  current: StoredContact,
  onConflict: () => DomainError,
): GuardedItem[] {
  return [
    deleteIfUnchanged(
      deps.config.tableName,
      keys.companyContact(tenantId, current.id),
      "version",
      current.version,
      onConflict,
    ),
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

/** Items of `newCompanyContact`, put unconditionally in one batch (≤ 25; imports, whose ids are new). */
export function putCompanyContactItems(deps: Deps, items: readonly object[]): Promise<void> {
  return writeBatches(
    deps,
    items.map((put) => ({ put })),
    { attempts: 10 },
  );
}
