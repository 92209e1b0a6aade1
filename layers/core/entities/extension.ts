import type { Deps } from "../deps.js";
import { type DomainError, NotFoundError } from "../errors.js";
import { keys, partitionOf, type UniqueField } from "../keys.js";
import type { Extension } from "../schemas/extensions.js";
import { deleteIfUnchanged, type GuardedItem, putIfUnchanged, sortKeyStartsWith } from "../storage/db.js";
import { pickFields } from "../storage/pick.js";
import { getItem, getItems, queryEvery, sendGuarded } from "./table.js";

/**
 * The extension item (`T#<tenant>` / `EXT#<id>`) and its guard items (`UNIQ#<field>#<value>`),
 * which make email, number and registration name unique in a tenant. The item carries the
 * password hash and the sealed SIP password; `toExtension` is the allowlist the API shows.
 */
export interface ExtensionRecord extends Extension {
  PK: string;
  SK: string;
  type: "extension";
  tenantId: string;
  passwordHash: string;
  /** The SIP registration password, AES-GCM sealed (see auth/sealed.ts). */
  registrationPasswordSealed: string;
  /** Bumped when the user password changes, so sessions issued before can be ended. */
  credentialVersion: number;
}

/** A guard item: one unique value, naming the extension that holds it. */
export interface ExtensionGuard {
  PK: string;
  SK: string;
  type: "guard";
  extensionId: string;
}

const EXTENSION_FIELDS = [
  "id",
  "number",
  "firstName",
  "lastName",
  "email",
  "mobileNumber",
  "role",
  "organizations",
  "jobTitle",
  "callerId",
  "registrationName",
  "concurrentRegistrations",
  "createdAt",
  "updatedAt",
  "version",
] as const satisfies readonly (keyof Extension)[];

export function toExtension(record: ExtensionRecord): Extension {
  return pickFields(record, EXTENSION_FIELDS);
}

/** The sealed SIP password is bound to its tenant and extension. */
export const registrationSecretContext = (tenantId: string, extensionId: string) => `sip:${tenantId}:${extensionId}`;

export function getExtensionRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  consistent = true,
): Promise<ExtensionRecord | undefined> {
  return getItem<ExtensionRecord>(deps, keys.extension(tenantId, extensionId), consistent);
}

/** The extension, or 404 naming it. */
export async function requireExtensionRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
): Promise<ExtensionRecord> {
  const record = await getExtensionRecord(deps, tenantId, extensionId);
  if (!record) throw new NotFoundError("Extension");
  return record;
}

/** The extension a unique value (email, number, registration name) belongs to, if any. */
export async function extensionIdByUnique(
  deps: Deps,
  tenantId: string,
  field: UniqueField,
  value: string,
  consistent = true,
): Promise<string | undefined> {
  const guard = await getItem<ExtensionGuard>(deps, keys.unique(tenantId, field, value), consistent);
  return guard?.extensionId;
}

/** The email addresses of the given extensions (those that have one), by extension id. */
export async function extensionEmails(
  deps: Deps,
  tenantId: string,
  extensionIds: readonly string[],
): Promise<Map<string, string>> {
  const emails = new Map<string, string>();
  for (let i = 0; i < extensionIds.length; i += 100) {
    const items = await getItems<{ id: string; email?: string }>(
      deps,
      extensionIds.slice(i, i + 100).map((extensionId) => keys.extension(tenantId, extensionId)),
      { consistent: false, projection: "id, email" },
    );
    for (const item of items) if (item.email) emails.set(item.id, item.email);
  }
  return emails;
}

export function listExtensionRecords(deps: Deps, tenantId: string): Promise<ExtensionRecord[]> {
  return queryEvery<ExtensionRecord>(deps, sortKeyStartsWith(partitionOf(tenantId), keys.extensionPrefix));
}

/** Transaction items of extension writes; the service decides which belong together. */
export function putNewExtension(deps: Deps, record: ExtensionRecord): GuardedItem {
  return {
    item: {
      Put: { TableName: deps.config.tableName, Item: record, ConditionExpression: "attribute_not_exists(PK)" },
    },
  };
}

export function replaceExtensionIfUnchanged(
  deps: Deps,
  next: ExtensionRecord,
  seenVersion: number,
  onStale: () => DomainError,
) {
  return putIfUnchanged(deps.config.tableName, next, "version", seenVersion, onStale);
}

export function deleteExtensionIfUnchanged(deps: Deps, current: ExtensionRecord, onStale: () => DomainError) {
  const key = keys.extension(current.tenantId, current.id);
  return deleteIfUnchanged(deps.config.tableName, key, "version", current.version, onStale);
}

/** The guard item of one unique value, written only if no one holds the value. */
export function claimUniqueValue(
  deps: Deps,
  record: ExtensionRecord,
  field: UniqueField,
  onTaken: () => DomainError,
): GuardedItem {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.unique(record.tenantId, field, record[field]), type: "guard", extensionId: record.id },
        ConditionExpression: "attribute_not_exists(PK)",
      },
    },
    onConditionFailed: onTaken,
  };
}

/** Removes a guard item, only while it still names this extension. */
export function releaseUniqueValue(deps: Deps, record: ExtensionRecord, field: UniqueField): GuardedItem {
  return {
    item: {
      Delete: {
        TableName: deps.config.tableName,
        Key: keys.unique(record.tenantId, field, record[field]),
        ConditionExpression: "extensionId = :id",
        ExpressionAttributeValues: { ":id": record.id },
      },
    },
  };
}

/**
 * Stores a new password hash and bumps the credential version (which ends every session issued
 * under the old password), only while the version is still the one read: the extension after, or
 * undefined when the password changed meanwhile.
 */
export async function replacePasswordHash(
  deps: Deps,
  extension: ExtensionRecord,
  passwordHash: string,
  at: string,
): Promise<ExtensionRecord | undefined> {
  const outcome = await sendGuarded<ExtensionRecord>(deps, {
    Update: {
      Key: keys.extension(extension.tenantId, extension.id),
      UpdateExpression:
        "SET passwordHash = :hash, credentialVersion = credentialVersion + :one, version = version + :one, updatedAt = :now",
      ConditionExpression: "credentialVersion = :seen",
      ExpressionAttributeValues: { ":hash": passwordHash, ":one": 1, ":now": at, ":seen": extension.credentialVersion },
      ReturnValues: "ALL_NEW",
    },
  });
  return outcome.written ? outcome.attributes : undefined;
}
