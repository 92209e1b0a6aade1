import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys } from "../keys.js";
import { sortKeyStartsWith } from "../storage/db.js";
import type { StoredContact } from "./contact.js";
import { getItem, putItem, queryEvery, sendGuarded } from "./table.js";

/**
 * Personal contacts (`<extensionId>#<contactId>` in `T#<tenantId>#PC`): one extension's own, stored
 * as company contacts are but without index entries; a few thousand at most, listed with one
 * Query of the owner's key range.
 */
export function listPersonalContactRecords(deps: Deps, tenantId: string, extensionId: string) {
  return queryEvery<StoredContact>(
    deps,
    sortKeyStartsWith(keys.personalContact(tenantId, extensionId, "").PK, keys.personalContactPrefix(extensionId)),
  );
}

export function getPersonalContactRecord(deps: Deps, tenantId: string, extensionId: string, contactId: string) {
  return getItem<StoredContact>(deps, keys.personalContact(tenantId, extensionId, contactId));
}

/** A new contact (its id is new: written unconditionally). */
export const putNewPersonalContact: (deps: Deps, record: StoredContact) => Promise<void> = putItem;

/** Replaces the contact if it is still at the version the caller edited (`onConflict` otherwise). */
export async function replacePersonalContact(
  deps: Deps,
  next: StoredContact,
  seenVersion: number,
  onConflict: () => DomainError,
): Promise<void> {
  await sendGuarded(
    deps,
    {
      Put: {
        Item: next,
        ConditionExpression: "version = :version",
        ExpressionAttributeValues: { ":version": seenVersion },
      },
    },
    onConflict,
  );
}

/** Deletes the contact; `onMissing` when there was none. */
export async function deletePersonalContactRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  contactId: string,
  onMissing: () => DomainError,
): Promise<void> {
  await sendGuarded(
    deps,
    {
      Delete: {
        Key: keys.personalContact(tenantId, extensionId, contactId),
        ConditionExpression: "attribute_exists(PK)",
      },
    },
    onMissing,
  );
}
