import type { Deps } from "../deps.js";
import type { EventType } from "../events/catalog.js";
import { keys, partitionOf } from "../keys.js";
import { type GuardedItem, sortKeyStartsWith } from "../storage/db.js";
import { getItem, type Key, putItem, queryEvery, queryPage, type SingleWrite, sendGuarded } from "./table.js";

/**
 * The outbox (`OUTBOX#<id>`): one item per email to send, listed while due on GSI1
 * (`OUTBOX#DUE#<shard>`, due time first). Claims are leases taken by conditional writes, so two
 * notifiers never send one message at once and a sent message is never sent again.
 */

/** An event notification: rendered when the event is recorded. */
export interface EventMail {
  kind?: "event";
  eventId: string;
  event: EventType;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A welcome email: composed at send time (services/welcome-mail.ts), so no token waits in the outbox. */
export interface WelcomeMail {
  kind: "welcome";
  extensionId: string;
  to: string;
  subject: string;
}

export type OutboxMessage = EventMail | WelcomeMail;

export type OutboxRecord = OutboxMessage & {
  PK: string;
  SK: string;
  id: string;
  tenantId: string;
  /** cancelled: a welcome email whose extension (or its address) is gone before it could go. */
  status: "pending" | "sent" | "dead" | "cancelled";
  attempts: number;
  leaseUntil?: string;
  lastError?: string;
  createdAt: string;
};

/** A new pending message, due now; written by the caller (alone or in its transaction). */
export function outboxItem(deps: Deps, tenantId: string, message: OutboxMessage) {
  const id = deps.newId();
  const now = deps.now().toISOString();
  return {
    ...keys.outbox(tenantId, id),
    ...keys.outboxDue(shardOf(id), now, tenantId, id),
    type: "outbox",
    id,
    tenantId,
    ...message,
    status: "pending",
    attempts: 0,
    createdAt: now,
  };
}

/** Stores a new message on its own (a welcome email, queued before it is tried). */
export const storeOutboxItem: (deps: Deps, item: ReturnType<typeof outboxItem>) => Promise<void> = putItem;

/** Writes a new message in the caller's transaction (an event and its notifications together). */
export function putOutboxItem(deps: Deps, item: ReturnType<typeof outboxItem>): GuardedItem {
  return { item: { Put: { TableName: deps.config.tableName, Item: item } } };
}

function shardOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % keys.outboxDueShards;
}

export const OUTBOX_DUE_SHARDS = keys.outboxDueShards;

/** Messages of one shard due by `now`, earliest first. */
export async function dueOutboxRecords(deps: Deps, shard: number, now: string, limit: number) {
  const page = await queryPage<OutboxRecord>(deps, {
    IndexName: "GSI1",
    KeyConditionExpression: "GSI1PK = :pk AND GSI1SK <= :now",
    ExpressionAttributeValues: { ":pk": `OUTBOX#DUE#${shard}`, ":now": `${now}~` },
    Limit: limit,
  });
  return page.items;
}

export function getOutboxRecord(deps: Deps, key: Key): Promise<OutboxRecord | undefined> {
  return getItem<OutboxRecord>(deps, { PK: key.PK, SK: key.SK });
}

/**
 * Claims attempt `attempts + 1` with a lease until `leaseUntil`: only one notifier wins an
 * attempt, and only while no other holds a live lease. False: someone else has it, or it is done.
 */
export async function claimOutboxRecord(deps: Deps, message: OutboxRecord, now: Date, leaseUntil: Date) {
  const outcome = await sendGuarded(deps, {
    Update: {
      Key: { PK: message.PK, SK: message.SK },
      UpdateExpression: "SET attempts = :attempt, leaseUntil = :lease",
      ConditionExpression:
        "#status = :pending AND attempts = :seen AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":attempt": message.attempts + 1,
        ":lease": leaseUntil.toISOString(),
        ":pending": "pending",
        ":seen": message.attempts,
        ":now": now.toISOString(),
      },
    },
  });
  return outcome.written;
}

/** Settles a claimed message: sent, cancelled or dead leave the due index; retried moves in it. */
export async function settleOutboxRecord(
  deps: Deps,
  message: OutboxRecord,
  outcome:
    | { status: "sent"; at: string; sesMessageId: string }
    | { status: "cancelled" }
    | { status: "dead"; reason: string }
    | { status: "retry"; due: string; reason: string },
): Promise<void> {
  const Key = { PK: message.PK, SK: message.SK };
  const ExpressionAttributeNames = { "#status": "status" };
  const write: SingleWrite =
    outcome.status === "sent"
      ? {
          Update: {
            Key,
            UpdateExpression:
              "SET #status = :sent, sentAt = :now, sesMessageId = :id REMOVE GSI1PK, GSI1SK, leaseUntil",
            ExpressionAttributeNames,
            ExpressionAttributeValues: { ":sent": "sent", ":now": outcome.at, ":id": outcome.sesMessageId },
          },
        }
      : outcome.status === "cancelled"
        ? {
            Update: {
              Key,
              UpdateExpression: "SET #status = :cancelled REMOVE GSI1PK, GSI1SK, leaseUntil",
              ExpressionAttributeNames,
              ExpressionAttributeValues: { ":cancelled": "cancelled" },
            },
          }
        : outcome.status === "dead"
          ? {
              Update: {
                Key,
                UpdateExpression: "SET #status = :dead, lastError = :reason REMOVE GSI1PK, GSI1SK, leaseUntil",
                ExpressionAttributeNames,
                ExpressionAttributeValues: { ":dead": "dead", ":reason": outcome.reason },
              },
            }
          : {
              Update: {
                Key,
                UpdateExpression: "SET GSI1SK = :due, lastError = :reason REMOVE leaseUntil",
                ExpressionAttributeValues: {
                  ":due": `${outcome.due}#${message.tenantId}#${message.id}`,
                  ":reason": outcome.reason,
                },
              },
            };
  await sendGuarded(deps, write);
}

/** The tenant's dead messages (retries exhausted). */
export function deadOutboxRecords(deps: Deps, tenantId: string): Promise<OutboxRecord[]> {
  return queryEvery<OutboxRecord>(deps, {
    ...sortKeyStartsWith(partitionOf(tenantId), keys.outboxPrefix, { ":dead": "dead" }),
    FilterExpression: "#status = :dead",
    ExpressionAttributeNames: { "#status": "status" },
  });
}

/** Puts a dead message back in the queue, due now, attempts from zero. False: it is not dead. */
export async function requeueDeadOutboxRecord(deps: Deps, tenantId: string, messageId: string, now: string) {
  const due = keys.outboxDue(shardOf(messageId), now, tenantId, messageId);
  const outcome = await sendGuarded(deps, {
    Update: {
      Key: keys.outbox(tenantId, messageId),
      UpdateExpression: "SET #status = :pending, attempts = :zero, GSI1PK = :pk, GSI1SK = :sk",
      ConditionExpression: "#status = :dead",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":pending": "pending",
        ":dead": "dead",
        ":zero": 0,
        ":pk": due.GSI1PK,
        ":sk": due.GSI1SK,
      },
    },
  });
  return outcome.written;
}
