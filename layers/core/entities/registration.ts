import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import { sortKeyStartsWith } from "../storage/db.js";
import { queryEvery } from "./table.js";

/**
 * SIP registrations (`<extensionId>#<binding>` in `T#<tenantId>#REG`), written by the listener's
 * registrar (listener/registrar/bindings.ts); the API reads them here. Items past their expiry
 * may still be stored (TTL deletes lag): readers filter on `expiresAtMs`.
 */
export interface StoredBinding {
  bindingId: string;
  kind: "phone" | "linkus";
  contact: string;
  flow: { transport: "udp" | "tcp" | "tls"; address: string; port: number };
  expiresAtMs: number;
  userAgent?: string;
}

/** Every stored binding of one extension (the partition's epoch and version items are outside its range). */
export async function listExtensionBindings(deps: Deps, tenantId: string, extensionId: string) {
  const items = await queryEvery<{ binding?: StoredBinding }>(
    deps,
    sortKeyStartsWith(keys.registrationPartition(tenantId), keys.registrationPrefix(extensionId)),
  );
  return items.flatMap(({ binding }) => (binding ? [binding] : []));
}
