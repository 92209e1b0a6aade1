import type * as z from "zod";
import type { Deps } from "../deps.js";
import { keys, partitionOf } from "../keys.js";
import type { eventRecord } from "../schemas/events.js";
import type { GuardedItem } from "../storage/db.js";
import { queryPage } from "./table.js";

/** An event of the tenant's event log (`EVENT#<ulid>`: a time range is a key range), TTL'd. */
export type EventRecord = z.infer<typeof eventRecord>;

export function putEvent(deps: Deps, tenantId: string, record: EventRecord, expiresAt: number): GuardedItem {
  return {
    item: {
      Put: {
        TableName: deps.config.tableName,
        Item: { ...keys.event(tenantId, record.id), type: "event", ...record, expiresAt },
      },
    },
  };
}

/** One page of the log between two sort keys, newest first, through the event and level filters. */
export async function eventPage(
  deps: Deps,
  tenantId: string,
  range: { from: string; to: string },
  filter: { event?: string; level?: string },
  limit: number,
  startKey: Record<string, unknown> | undefined,
) {
  const filters: string[] = [];
  const values: Record<string, unknown> = { ":pk": partitionOf(tenantId), ":from": range.from, ":to": range.to };
  const names: Record<string, string> = {};
  if (filter.event) {
    filters.push("#event = :event");
    values[":event"] = filter.event;
    names["#event"] = "event";
  }
  if (filter.level) {
    filters.push("#level = :level");
    values[":level"] = filter.level;
    names["#level"] = "level";
  }
  const page = await queryPage<Record<string, unknown>>(deps, {
    KeyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
    FilterExpression: filters.length ? filters.join(" AND ") : undefined,
    ExpressionAttributeNames: filters.length ? names : undefined,
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  });
  return { items: page.items.map(toEventRecord), lastKey: page.lastKey };
}

function toEventRecord(item: Record<string, unknown>): EventRecord {
  const { id, event, name, category, level, time, extensionId, extensionNumber, sourceIp, client, details } =
    item as EventRecord;
  return { id, event, name, category, level, time, extensionId, extensionNumber, sourceIp, client, details };
}
