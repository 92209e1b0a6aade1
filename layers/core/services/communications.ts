import { encodeTime } from "ulid";
import type * as z from "zod";
import { digitsOf, nameKey } from "../contacts/normalize.js";
import type { Deps } from "../deps.js";
import { getExtensionRecord } from "../entities/extension.js";
import {
  deleteRecord,
  getRecord,
  putRecord,
  recordPage,
  recordRange,
  setVoicemailRead,
  voicemailReadFlags,
} from "../entities/record.js";
import { NotFoundError } from "../errors.js";
import type { listRecordsQuery, RecordInput, RecordKind, StoredRecord } from "../schemas/communications.js";
import { cursorCodec, tableKeyIn } from "../storage/cursor.js";
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
  // Search forms, so a list can filter by name or number in DynamoDB.
  await putRecord(deps, tenantId, extensionId, record, {
    searchName: nameKey(input.name),
    searchDigits: digitsOf(input.number),
  });
  return record;
}

/** New (unread) and old (read) voicemails of one extension: the counts a phone's MWI lamp shows (RFC 3842). */
export async function voicemailCounts(deps: Deps, tenantId: string, extensionId: string) {
  const read = await voicemailReadFlags(deps, tenantId, extensionId);
  const unread = read.filter((isRead) => !isRead).length;
  return { new: unread, old: read.length - unread };
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
  const range = recordRange(caller.tenantId, caller.extensionId, kind);
  const cursors = await cursorCodec(
    deps,
    ["records", caller.tenantId, caller.extensionId, kind],
    tableKeyIn(range.partition, range.prefix),
  );
  const filter = {
    expression: filters.length ? filters.join(" AND ") : undefined,
    names: Object.keys(names).length ? names : undefined,
    values,
  };
  const items: StoredRecord[] = [];
  let startKey: Record<string, unknown> | undefined = query.cursor ? cursors.open(query.cursor) : undefined;
  for (let pages = 0; pages < 20 && items.length < query.limit; pages++) {
    const page = await recordPage(deps, range, filter, query.limit - items.length, startKey);
    items.push(...page.items);
    startKey = page.lastKey;
    if (!startKey) break;
  }
  return startKey ? { items, nextCursor: cursors.seal(startKey as { PK: string; SK: string }) } : { items };
}

export async function getOwnRecord(deps: Deps, caller: TenantCaller, kind: RecordKind, recordId: string) {
  const record = await getRecord(deps, caller.tenantId, caller.extensionId, kind, recordId);
  if (!record) throw new NotFoundError(kind === "call" ? "Call log" : kind === "voicemail" ? "Voicemail" : "Recording");
  return record;
}

export async function deleteOwnRecord(deps: Deps, caller: TenantCaller, kind: RecordKind, recordId: string) {
  if (!(await deleteRecord(deps, caller.tenantId, caller.extensionId, kind, recordId))) {
    throw new NotFoundError("Record");
  }
}

export async function markVoicemail(deps: Deps, caller: TenantCaller, recordId: string, read: boolean) {
  const record = await setVoicemailRead(deps, caller.tenantId, caller.extensionId, recordId, read);
  if (!record) throw new NotFoundError("Voicemail");
  return record;
}
