import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import type { ExtensionRecord } from "./extension.js";
import type { SessionRecord } from "./session.js";
import { getItems } from "./table.js";
import type { TenantRecord } from "./tenant.js";

/**
 * The items behind a request's credentials, read together: the tenant, the extension and (for an
 * access token) its session, in one strongly consistent BatchGetItem, so a role change, a
 * suspension or a logout applies to the very next request.
 */
export async function principalRecords(
  deps: Deps,
  tenantId: string,
  extensionId: string,
  sessionId?: string,
): Promise<{ tenant?: TenantRecord; extension?: ExtensionRecord; session?: SessionRecord }> {
  const items = await getItems<{ type?: string }>(deps, [
    keys.tenant(tenantId),
    keys.extension(tenantId, extensionId),
    ...(sessionId === undefined ? [] : [keys.session(tenantId, sessionId)]),
  ]);
  return {
    tenant: items.find((item) => item.type === "tenant") as TenantRecord | undefined,
    extension: items.find((item) => item.type === "extension") as ExtensionRecord | undefined,
    session: items.find((item) => item.type === "session") as SessionRecord | undefined,
  };
}
