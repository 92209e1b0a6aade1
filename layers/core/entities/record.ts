import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import type { RecordKind, StoredRecord } from "../schemas/communications.js";
import { sortKeyStartsWith } from "../storage/db.js";
import { pickFields } from "../storage/pick.js";
import { getItem, putItem, queryEvery, queryPage, sendGuarded, type TableQuery } from "./table.js";

/**
 * Call logs, voicemails and recordings (`T#<tenant>#REC` / `<extensionId>#<kind>#<ulid>`): one
 * partition per tenant, one key range per extension and kind, in time order.
 */
const RECORD_FIELDS = [
  "id",
  "kind",
  "name",
  "number",
  "direction",
  "status",
  "startedAt",
  "receivedAt",
  "recordedAt",
  "durationSeconds",
  "read",
  "audioLocation",
] as const satisfies readonly (keyof StoredRecord)[];

/** The record as the API shows it (search forms and keys left out). */
function toRecord(item: Record<string, unknown>): StoredRecord {
  return pickFields(item as StoredRecord, RECORD_FIELDS);
}

export function putRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  record: StoredRecord,
  search: { searchName: string; searchDigits: string },
): Promise<void> {
  return putItem(deps, {
    ...keys.record(tenantId, extensionId, record.kind, record.id),
    type: "communication",
    ...record,
    ...search,
  });
}

/** The key range of one extension's records of one kind. */
export function recordRange(tenantId: string, extensionId: string, kind: RecordKind) {
  return { partition: keys.recordPartition(tenantId), prefix: keys.recordPrefix(extensionId, kind) };
}

/** The read flags of an extension's voicemails (for the message-waiting counts). */
export async function voicemailReadFlags(deps: Deps, tenantId: string, extensionId: string): Promise<boolean[]> {
  const { partition, prefix } = recordRange(tenantId, extensionId, "voicemail");
  const items = await queryEvery<{ read?: boolean }>(deps, {
    ...sortKeyStartsWith(partition, prefix),
    ProjectionExpression: "#read",
    ExpressionAttributeNames: { "#read": "read" },
  });
  return items.map((item) => item.read === true);
}

/** One page of an extension's records of one kind, newest first, through a filter of the caller's. */
export async function recordPage(
  deps: Deps,
  range: { partition: string; prefix: string },
  filter: { expression?: string; names?: Record<string, string>; values: Record<string, unknown> },
  limit: number,
  startKey: Record<string, unknown> | undefined,
) {
  const query: TableQuery = {
    ...sortKeyStartsWith(range.partition, range.prefix, filter.values),
    FilterExpression: filter.expression,
    ExpressionAttributeNames: filter.names,
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  };
  const page = await queryPage<Record<string, unknown>>(deps, query);
  return { items: page.items.map(toRecord), lastKey: page.lastKey };
}

export async function getRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  kind: RecordKind,
  recordId: string,
): Promise<StoredRecord | undefined> {
  const item = await getItem<Record<string, unknown>>(deps, keys.record(tenantId, extensionId, kind, recordId), false);
  return item ? toRecord(item) : undefined;
}

/** False: there was no such record. */
export async function deleteRecord(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  kind: RecordKind,
  recordId: string,
): Promise<boolean> {
  const outcome = await sendGuarded(deps, {
    Delete: { Key: keys.record(tenantId, extensionId, kind, recordId), ConditionExpression: "attribute_exists(PK)" },
  });
  return outcome.written;
}

/** The voicemail after, or undefined when there is none. */
export async function setVoicemailRead(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  recordId: string,
  read: boolean,
): Promise<StoredRecord | undefined> {
  const outcome = await sendGuarded<Record<string, unknown>>(deps, {
    Update: {
      Key: keys.record(tenantId, extensionId, "voicemail", recordId),
      UpdateExpression: "SET #read = :read",
      ConditionExpression: "attribute_exists(PK)",
      ExpressionAttributeNames: { "#read": "read" },
      ExpressionAttributeValues: { ":read": read },
      ReturnValues: "ALL_NEW",
    },
  });
  return outcome.written ? toRecord(outcome.attributes ?? {}) : undefined;
}
