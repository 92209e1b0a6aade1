import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { encodeTime } from "ulid";
import type * as z from "zod";
import { digitsOf, nameKey } from "../contacts/normalize.js";
import type { Deps } from "../deps.js";
import { getExtensionRecord } from "../entities/extension.js";
import { NotFoundError } from "../errors.js";
import { keys } from "../keys.js";
import type { listRecordsQuery, RecordInput, RecordKind, StoredRecord } from "../schemas/communications.js";
import { cursorCodec, tableKeyIn } from "../storage/cursor.js";
import { isConditionalCheckFailed, queryAll, sortKeyStartsWith } from "../storage/db.js";
import { pickFields } from "../storage/pick.js";
import type { TenantCaller } from "./caller.js";

/**
 * Call logs, voicemails and recordings of one extension. The SIP listener writes call logs as
 * it handles calls; until audio capture exists, voicemails and recordings (and call logs from
 * elsewhere) arrive through the platform ingest route. Users list, filter and delete their own.
 */
export async function ingestRecord(deps: Deps, tenantId: string, extensionId: string, input: RecordInput) {
  if (!(await getExtensionRecord(deps, tenantId, extensionId))) throw new NotFoundError("Extension");
  return writeRecord(deps, tenantId, extensionId, input);
}

/** Stores one record; its id is a ULID of its own time, so lists come out in time order. */
export async function writeRecord(deps: Deps, tenantId: string, extensionId: string, input: RecordInput) {
  const at = Date.parse(
    input.kind === "call" ? input.startedAt : input.kind === "voicemail" ? input.receivedAt : input.recordedAt,
  );
  const id = idAt(deps, at);
  const record = { ...input, id } as StoredRecord;
  await deps.db.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: {
        ...keys.record(tenantId, extensionId, input.kind, id),
        type: "communication",
        ...record,
        // Search forms, so a list can filter by name or number in DynamoDB.
        searchName: nameKey(input.name),
        searchDigits: digitsOf(input.number),
      },
    }),
  );
  return record;
}

/** New (unread) and old (read) voicemails of one extension: the counts a phone's MWI lamp shows (RFC 3842). */
export async function voicemailCounts(deps: Deps, tenantId: string, extensionId: string) {
  const items = await queryAll<{ read?: boolean }>(deps.db, {
    TableName: deps.config.tableName,
    ...sortKeyStartsWith(keys.recordPartition(tenantId), keys.recordPrefix(extensionId, "voicemail")),
    ProjectionExpression: "#read",
    ExpressionAttributeNames: { "#read": "read" },
  });
  const unread = items.filter((item) => item.read !== true).length;
  return { new: unread, old: items.length - unread };
}

/** A ULID whose time part is the record's own time (not the time it was stored). */
function idAt(deps: Deps, epochMs: number): string {
  return encodeTime(Math.max(0, epochMs), 10) + deps.newId().slice(10);
}

export async function listRecords(
  deps: Deps,
  caller: TenantCaller,
  kind: RecordKind,
  query: z.output<typeof listRecordsQuery>,
) {
  const filters: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (kind === "call" && query.type !== "all") {
    if (query.type === "missed") {
      filters.push("#direction = :inbound AND #status IN (:missed, :noAnswer, :cancelled, :busy)");
      Object.assign(values, {
        ":inbound": "inbound",
        ":missed": "missed",
        ":noAnswer": "no_answer",
        ":cancelled": "cancelled",
        ":busy": "busy",
      });
      names["#status"] = "status";
    } else {
      filters.push("#direction = :direction");
      values[":direction"] = query.type;
    }
    names["#direction"] = "direction";
  }
  if (kind === "voicemail" && query.status !== "all") {
    filters.push("#read = :read");
    names["#read"] = "read";
    values[":read"] = query.status === "read";
  }
  if (query.search) {
    const digits = digitsOf(query.search);
    const name = nameKey(query.search);
    filters.push(
      digits ? "(contains(searchDigits, :digits) OR contains(searchName, :name))" : "contains(searchName, :name)",
    );
    values[":name"] = name;
    if (digits) values[":digits"] = digits;
  }
  const partition = keys.recordPartition(caller.tenantId);
  const prefix = keys.recordPrefix(caller.extensionId, kind);
  const cursors = await cursorCodec(
    deps,
    ["records", caller.tenantId, caller.extensionId, kind],
    tableKeyIn(partition, prefix),
  );
  const items: StoredRecord[] = [];
  let startKey: Record<string, unknown> | undefined = query.cursor ? cursors.open(query.cursor) : undefined;
  for (let pages = 0; pages < 20 && items.length < query.limit; pages++) {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.config.tableName,
        ...sortKeyStartsWith(partition, prefix, values),
        FilterExpression: filters.length ? filters.join(" AND ") : undefined,
        ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
        ScanIndexForward: false,
        Limit: query.limit - items.length,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []).map(toRecord));
    startKey = page.LastEvaluatedKey;
    if (!startKey) break;
  }
  return startKey ? { items, nextCursor: cursors.seal(startKey as { PK: string; SK: string }) } : { items };
}

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

function toRecord(item: Record<string, unknown>): StoredRecord {
  return pickFields(item as StoredRecord, RECORD_FIELDS);
}

export async function getOwnRecord(deps: Deps, caller: TenantCaller, kind: RecordKind, recordId: string) {
  const result = await deps.db.send(
    new GetCommand({
      TableName: deps.config.tableName,
      Key: keys.record(caller.tenantId, caller.extensionId, kind, recordId),
    }),
  );
  if (!result.Item)
    throw new NotFoundError(kind === "call" ? "Call log" : kind === "voicemail" ? "Voicemail" : "Recording");
  return toRecord(result.Item);
}

export async function deleteOwnRecord(deps: Deps, caller: TenantCaller, kind: RecordKind, recordId: string) {
  try {
    await deps.db.send(
      new DeleteCommand({
        TableName: deps.config.tableName,
        Key: keys.record(caller.tenantId, caller.extensionId, kind, recordId),
        ConditionExpression: "attribute_exists(PK)",
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new NotFoundError("Record");
    throw error;
  }
}

export async function markVoicemail(deps: Deps, caller: TenantCaller, recordId: string, read: boolean) {
  try {
    const result = await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.record(caller.tenantId, caller.extensionId, "voicemail", recordId),
        UpdateExpression: "SET #read = :read",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeNames: { "#read": "read" },
        ExpressionAttributeValues: { ":read": read },
        ReturnValues: "ALL_NEW",
      }),
    );
    return toRecord(result.Attributes ?? {});
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new NotFoundError("Voicemail");
    throw error;
  }
}
