import { DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DomainError } from "../errors.js";

/** Created once per container; the SDK reads AWS_ENDPOINT_URL so emulators need no code path of their own. */
export function createDocumentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** A transaction item with the domain error it means when its condition fails. */
export interface GuardedItem {
  item: TransactItem;
  onConditionFailed?: () => DomainError;
}

const MAX_CONFLICT_RETRIES = 4;

/**
 * Writes all items or none. A failed condition becomes the domain error its item names
 * (e.g. 409 "number is taken"); a clash with a concurrent transaction is retried, and the
 * retry then sees the winner's writes and fails its condition cleanly.
 */
export async function transactWrite(db: DynamoDBDocumentClient, items: GuardedItem[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items.map((guarded) => guarded.item) }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.findIndex((reason) => reason.Code === "ConditionalCheckFailed");
      const domainError = failed >= 0 ? items[failed]?.onConditionFailed?.() : undefined;
      if (domainError) throw domainError;
      const conflicted = reasons.some((reason) => reason.Code === "TransactionConflict");
      if (!conflicted || attempt >= MAX_CONFLICT_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt + Math.random() * 20));
    }
  }
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
