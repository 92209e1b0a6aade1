import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import type { GuardedItem } from "../storage/db.js";
import { putItem, sendGuarded } from "./table.js";

/** The one live quick login token of an extension (`QUICKLOGIN#<extensionId>`), as a hash. */
export interface QuickLoginRecord {
  PK: string;
  SK: string;
  type: "quickLogin";
  tokenHash: string;
  issuedAt: string;
  expiresAtMs: number;
  usedAt?: string;
  /** TTL. */
  expiresAt: number;
}

/** Replaces the extension's token, which retires the one an older welcome email carried. */
export function putQuickLogin(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  token: { tokenHash: string; issuedAt: string; expiresAtMs: number },
): Promise<void> {
  const record: QuickLoginRecord = {
    ...keys.quickLogin(tenantId, extensionId),
    type: "quickLogin",
    ...token,
    expiresAt: Math.ceil(token.expiresAtMs / 1000),
  };
  return putItem(deps, record);
}

/**
 * Marks the token used if it is the extension's, unused and unexpired: checked and used in one
 * conditional write, so two clicks racing cannot both log in. False: it was not.
 */
export async function useQuickLogin(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  tokenHash: string,
  now: Date,
): Promise<boolean> {
  const outcome = await sendGuarded(deps, {
    Update: {
      Key: keys.quickLogin(tenantId, extensionId),
      UpdateExpression: "SET usedAt = :now",
      ConditionExpression: "tokenHash = :hash AND attribute_not_exists(usedAt) AND expiresAtMs > :nowMs",
      ExpressionAttributeValues: { ":now": now.toISOString(), ":hash": tokenHash, ":nowMs": now.getTime() },
    },
  });
  return outcome.written;
}

/** Retires the extension's token (in the transaction that deletes the extension). */
export function deleteQuickLogin(deps: Deps, tenantId: string, extensionId: string): GuardedItem {
  return { item: { Delete: { TableName: deps.config.tableName, Key: keys.quickLogin(tenantId, extensionId) } } };
}
