/**
 * The one DynamoDB table, described once. The CDK data stack builds it from this and
 * the local stack creates it from this, so the two cannot drift apart.
 */
export const TABLE = {
  partitionKey: "PK",
  sortKey: "SK",
  timeToLiveAttribute: "expiresAt",
  indexes: [{ name: "GSI1", partitionKey: "GSI1PK", sortKey: "GSI1SK" }],
} as const;

export const DEFAULT_TABLE_NAME = "cloud-pbx";

/** Every attribute used in a key schema: all are strings. */
export function keyAttributeNames(): string[] {
  return [TABLE.partitionKey, TABLE.sortKey, ...TABLE.indexes.flatMap((index) => [index.partitionKey, index.sortKey])];
}
