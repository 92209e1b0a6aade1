import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import { logger } from "../logger.js";
import type { GuardedItem } from "../storage/db.js";
import { getItem, sendGuarded } from "./table.js";

/**
 * The tenant's directory version (`~DIRECTORY` in its `#REG` partition): bumped with every write
 * that changes what the SIP listener caches (tenant status and settings, an extension's SIP
 * credentials, numbers, limit, role, deletion; login-security settings and blocks). Listener
 * tasks read it at most once a second per tenant and drop their cached copies when it moved, so a
 * saved extension applies on every task within about a second without a short TTL on every entry
 * (docs/listener.md, "Caches").
 */
const versionBump = (tenantId: string) => ({
  Key: keys.directoryVersion(tenantId),
  UpdateExpression: "ADD version :one SET #type = :type",
  ExpressionAttributeNames: { "#type": "type" },
  ExpressionAttributeValues: { ":one": 1, ":type": "directoryVersion" },
});

/** The bump as an item of the caller's transaction (the change and the bump commit together). */
export function directoryChangedItem(deps: Deps, tenantId: string): GuardedItem {
  return { item: { Update: { TableName: deps.config.tableName, ...versionBump(tenantId) } } };
}

/**
 * The same for a write made outside a transaction: after it, best effort (a failure is logged;
 * listener caches then refresh at their maximum age, a minute).
 */
export async function bumpDirectoryVersion(deps: Deps, tenantId: string): Promise<void> {
  try {
    await sendGuarded(deps, { Update: versionBump(tenantId) });
  } catch (error) {
    logger.error("Directory version not bumped", { error: error as Error, tenantId });
  }
}

export async function readDirectoryVersion(deps: Deps, tenantId: string): Promise<number> {
  return (await getItem<{ version?: number }>(deps, keys.directoryVersion(tenantId)))?.version ?? 0;
}
