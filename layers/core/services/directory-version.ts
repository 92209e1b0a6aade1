import type { Deps } from "../deps.js";
import { bumpDirectoryVersionItem } from "../entities/directory-version.js";
import { logger } from "../logger.js";

export {
  directoryVersionBump as directoryChangedItem,
  getDirectoryVersion as readDirectoryVersion,
} from "../entities/directory-version.js";

/**
 * The tenant's directory version: bumped with every write that changes what the SIP listener
 * caches (tenant status and settings, an extension's SIP credentials, numbers, limit, role,
 * deletion). Listener tasks read it at most once a second per tenant and drop their cached
 * copies when it moved, so a saved extension applies on every task within about a second
 * without a short TTL on every entry (docs/listener.md, "Caches").
 */
// `directoryChangedItem(deps, tenantId)`: the bump as an item of the caller's transaction.

/**
 * The same for a write made outside a transaction: after it, best effort (a failure is logged;
 * listener caches then refresh at their maximum age, a minute).
 */
export async function bumpDirectoryVersion(deps: Deps, tenantId: string): Promise<void> {
  try {
    await bumpDirectoryVersionItem(deps, tenantId);
  } catch (error) {
    logger.error("Directory version not bumped", { error: error as Error, tenantId });
  }
}
