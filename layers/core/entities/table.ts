import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DeleteCommandInput,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { isConditionalCheckFailed, queryAll, transactWrite } from "../storage/db.js";

/**
 * The thin table layer under the entities (docs/decisions.md D-entities-1): the only place, with
 * storage/db.ts, that sends DynamoDB commands. Every call fills in the table name; entity modules
 * name the keys, the item types and the conditions; services never see a command.
 */
export type Key = { PK: string; SK: string };
type Values = Record<string, unknown>;

/** One item by key, or undefined. Reads are strongly consistent unless asked otherwise. */
export async function getItem<T>(deps: Deps, key: Key, consistent = true): Promise<T | undefined> {
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: key, ConsistentRead: consistent }),
  );
  return result.Item as T | undefined;
}

/** Up to 100 items by key, unprocessed keys retried; order not kept, missing items left out. */
export async function getItems<T>(
  deps: Deps,
  itemKeys: readonly Key[],
  options: { consistent?: boolean; projection?: string; names?: Record<string, string> } = {},
): Promise<T[]> {
  const found: T[] = [];
  let pending: Record<string, unknown>[] = [...itemKeys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= 8) throw new Error("BatchGetItem kept returning unprocessed keys");
    if (attempt > 0) await pause(20 * 2 ** attempt);
    const result = await deps.db.send(
      new BatchGetCommand({
        RequestItems: {
          [deps.config.tableName]: {
            Keys: pending,
            ConsistentRead: options.consistent ?? true,
            ProjectionExpression: options.projection,
            ExpressionAttributeNames: options.names,
          },
        },
      }),
    );
    found.push(...((result.Responses?.[deps.config.tableName] ?? []) as T[]));
    pending = result.UnprocessedKeys?.[deps.config.tableName]?.Keys ?? [];
  }
  return found;
}

/** Which of the given keys exist (their sort keys), read 100 at a time. */
export async function existingSortKeys(deps: Deps, itemKeys: readonly Key[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < itemKeys.length; i += 100) {
    const items = await getItems<Key>(deps, itemKeys.slice(i, i + 100), { consistent: false, projection: "SK" });
    for (const item of items) found.add(item.SK);
  }
  return found;
}

/** An unconditional put (an item that may be replaced whole). */
export async function putItem(deps: Deps, item: object): Promise<void> {
  await deps.db.send(new PutCommand({ TableName: deps.config.tableName, Item: item as Values }));
}

/** An unconditional delete. */
export async function deleteItem(deps: Deps, key: Key): Promise<void> {
  await deps.db.send(new DeleteCommand({ TableName: deps.config.tableName, Key: key }));
}

type Without<T> = Omit<T, "TableName">;
/** One single-item write, as the entity spells it; the table name is added here. */
export type SingleWrite =
  | { Put: Without<PutCommandInput> }
  | { Update: Without<UpdateCommandInput> }
  | { Delete: Without<DeleteCommandInput> };

/** `attributes`: what ReturnValues asked for (the item after an update, before a delete). */
export type WriteOutcome<T = Values> = { written: true; attributes?: T } | { written: false };

/**
 * A single-item conditional write, the counterpart of `transactWrite` for one item: a failed
 * condition becomes the domain error `onConditionFailed` names, or, without one, `written: false`
 * (for conditions that mean "someone else got there first", which the caller answers itself).
 */
export async function sendGuarded<T = Values>(
  deps: Deps,
  write: SingleWrite,
  onConditionFailed: () => DomainError,
): Promise<{ written: true; attributes?: T }>;
export async function sendGuarded<T = Values>(deps: Deps, write: SingleWrite): Promise<WriteOutcome<T>>;
export async function sendGuarded<T>(
  deps: Deps,
  write: SingleWrite,
  onConditionFailed?: () => DomainError,
): Promise<WriteOutcome<T>> {
  const TableName = deps.config.tableName;
  try {
    const result =
      "Put" in write
        ? await deps.db.send(new PutCommand({ ...write.Put, TableName }))
        : "Update" in write
          ? await deps.db.send(new UpdateCommand({ ...write.Update, TableName }))
          : await deps.db.send(new DeleteCommand({ ...write.Delete, TableName }));
    return { written: true, attributes: result.Attributes as T | undefined };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    if (onConditionFailed) throw onConditionFailed();
    return { written: false };
  }
}

/** A Query of this table (or its GSI1), table name added; the key condition is the entity's. */
export type TableQuery = Without<QueryCommandInput>;

export interface Page<T> {
  items: T[];
  lastKey?: Values;
}

/** One page of a Query. */
export async function queryPage<T>(deps: Deps, query: TableQuery): Promise<Page<T>> {
  const page = await deps.db.send(new QueryCommand({ ...query, TableName: deps.config.tableName }));
  return { items: (page.Items ?? []) as T[], lastKey: page.LastEvaluatedKey };
}

/** Every item a Query matches, page after page (for the small sets: see storage/db.ts queryAll). */
export function queryEvery<T>(deps: Deps, query: TableQuery): Promise<T[]> {
  return queryAll<T>(deps.db, { ...query, TableName: deps.config.tableName });
}

/**
 * Puts and deletes in batches of `size` (≤ 25; fewer when items are large: a request holds at most
 * 16 MB), unprocessed requests retried with backoff up to `attempts` times a batch.
 */
export async function writeBatches(
  deps: Deps,
  requests: readonly ({ put: object } | { delete: Key })[],
  options: { size?: number; attempts?: number } = {},
): Promise<void> {
  const { size = 25, attempts = 8 } = options;
  const TableName = deps.config.tableName;
  for (let i = 0; i < requests.length; i += size) {
    let pending: Values[] = requests
      .slice(i, i + size)
      .map((request) =>
        "put" in request ? { PutRequest: { Item: request.put } } : { DeleteRequest: { Key: request.delete } },
      );
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= attempts) throw new Error("BatchWriteItem kept returning unprocessed items");
      if (attempt > 0) await pause(20 * 2 ** attempt);
      const result = await deps.db.send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
      pending = (result.UnprocessedItems?.[TableName] ?? []) as Values[];
    }
  }
}

export { transactWrite };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
