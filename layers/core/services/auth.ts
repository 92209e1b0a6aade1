import { BatchGetCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { verifyPassword } from "../auth/password.js";
import { issueAccessToken, verifyAccessToken } from "../auth/token.js";
import type { Deps } from "../deps.js";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import { keys } from "../keys.js";
import { type Permission, permissionsOfRole } from "../permissions.js";
import type { loginBody } from "../schemas/auth.js";
import type { TenantCaller } from "./caller.js";
import type { ExtensionRecord, TenantRecord } from "./records.js";
import { findTenantBySlug } from "./tenants.js";

/** One answer for every wrong server, user or password: nothing tells them apart. */
const BAD_LOGIN = "The server, email or password is incorrect";
const SUSPENDED = "This PBX is suspended; contact your service provider";

export async function login(deps: Deps, input: z.output<typeof loginBody>) {
  const tenant = await findTenantBySlug(deps, input.server);
  const extension = tenant ? await findExtensionByEmail(deps, tenant.id, input.email) : undefined;
  // Always run one full scrypt check, so an unknown server or user takes as long as a wrong password.
  const passwordOk = await verifyPassword(input.password, extension?.passwordHash);
  if (!tenant || !extension || !passwordOk) throw new UnauthorizedError(BAD_LOGIN);
  if (tenant.status !== "active") throw new ForbiddenError(SUSPENDED, { reason: "tenant_suspended" });

  const { tokenKey } = await deps.keys();
  const ttl = deps.config.accessTokenTtlSeconds;
  const accessToken = issueAccessToken(
    { sub: extension.id, tid: tenant.id, role: extension.role },
    tokenKey,
    ttl,
    deps.now().getTime(),
  );
  return { accessToken, tokenType: "Bearer" as const, expiresIn: ttl, ...principalOf(tenant, extension) };
}

async function findExtensionByEmail(deps: Deps, tenantId: string, email: string) {
  const guard = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.unique(tenantId, "email", email.trim()) }),
  );
  const extensionId = guard.Item?.extensionId as string | undefined;
  if (!extensionId) return undefined;
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.extension(tenantId, extensionId) }),
  );
  return result.Item as ExtensionRecord | undefined;
}

export function principalOf(tenant: TenantRecord, extension: ExtensionRecord) {
  return {
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
    extension: { id: extension.id, number: extension.number, email: extension.email, role: extension.role },
    permissions: [...permissionsOfRole(extension.role)],
  };
}

export type AuthorizationResult =
  | { outcome: "allow"; caller: TenantCaller }
  | { outcome: "unauthorized" }
  | { outcome: "deny"; reason: string };

/**
 * Checks a bearer token and the current state behind it: the tenant must still exist and be
 * active and the extension must still exist. The role comes from the stored extension, not
 * the token, so a role change applies to the very next request.
 */
export async function authorizeAccessToken(deps: Deps, token: string): Promise<AuthorizationResult> {
  const { tokenKey } = await deps.keys();
  const claims = verifyAccessToken(token, tokenKey, deps.now().getTime());
  if (!claims) return { outcome: "unauthorized" };
  const result = await deps.db.send(
    new BatchGetCommand({
      RequestItems: {
        [deps.config.tableName]: {
          Keys: [keys.tenant(claims.tid), keys.extension(claims.tid, claims.sub)],
          ConsistentRead: true,
        },
      },
    }),
  );
  const items = result.Responses?.[deps.config.tableName] ?? [];
  const tenant = items.find((item) => item.SK === "TENANT") as TenantRecord | undefined;
  const extension = items.find((item) => item.SK !== "TENANT") as ExtensionRecord | undefined;
  if (!tenant || tenant.deleting || !extension) return { outcome: "unauthorized" };
  if (tenant.status !== "active") return { outcome: "deny", reason: SUSPENDED };
  return {
    outcome: "allow",
    caller: {
      kind: "tenant",
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      extensionId: extension.id,
      role: extension.role,
      permissions: new Set<Permission>(permissionsOfRole(extension.role)),
    },
  };
}

export async function currentPrincipal(deps: Deps, caller: TenantCaller) {
  const result = await deps.db.send(
    new BatchGetCommand({
      RequestItems: {
        [deps.config.tableName]: {
          Keys: [keys.tenant(caller.tenantId), keys.extension(caller.tenantId, caller.extensionId)],
        },
      },
    }),
  );
  const items = result.Responses?.[deps.config.tableName] ?? [];
  const tenant = items.find((item) => item.SK === "TENANT") as TenantRecord | undefined;
  const extension = items.find((item) => item.SK !== "TENANT") as ExtensionRecord | undefined;
  if (!tenant || !extension) throw new UnauthorizedError();
  return principalOf(tenant, extension);
}
