import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import type { GuardedItem } from "../storage/db.js";
import { getItem, sendGuarded } from "./table.js";

/**
 * The tenant's directory version (`~DIRECTORY` in its `#REG` partition): a counter that every write
 * the SIP listener caches moves (services/directory-version.ts says when).
 */
const versionBump = (tenantId: string) => ({
  Key: keys.directoryVersion(tenantId),
  UpdateExpression: "ADD version :one SET #type = :type",
  ExpressionAttributeNames: { "#type": "type" },
  ExpressionAttributeValues: { ":one": 1, ":type": "directoryVersion" },
});

/** The bump as an item of the caller's transaction. */
export function directoryVersionBump(deps: Deps, tenantId: string): GuardedItem {
  return { item: { Update: { TableName: deps.config.tableName, ...versionBump(tenantId) } } };
}

/** The bump on its own. */
export async function bumpDirectoryVersionItem(deps: Deps, tenantId: string): Promise<void> {
  await sendGuarded(deps, { Update: versionBump(tenantId) });
}

export async function getDirectoryVersion(deps: Deps, tenantId: string): Promise<number> {
  return (await getItem<{ version?: number }>(deps, keys.directoryVersion(tenantId)))?.version ?? 0;
}
