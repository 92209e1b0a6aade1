import type { Permission } from "../permissions.js";

/** Who is making a request, as established by the authorizer. */
export interface TenantCaller {
  kind: "tenant";
  tenantId: string;
  tenantSlug: string;
  extensionId: string;
  /** The login session the access token belongs to. */
  sessionId: string;
  role: string;
  permissions: ReadonlySet<Permission>;
}

export type Caller = TenantCaller | { kind: "platform" } | { kind: "public" };
