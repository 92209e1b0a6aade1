import { randomBytes } from "node:crypto";
import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import { putQuickLogin, useQuickLogin } from "../entities/quick-login.js";
import { getTenantRecord, type TenantRecord } from "../entities/tenant.js";
import { UnauthorizedError } from "../errors.js";
import { hashToken } from "../util/token-hash.js";

/**
 * Quick login tokens, as carried by a welcome email's link and QR code:
 * `ql1.<tenantId>.<extensionId>.<secret>`. One live token per extension, stored only as a
 * hash: issuing a new one (a newer welcome email) overwrites the old, using it marks it used,
 * and it expires (default 7 days).
 */
const INVALID = "This quick login link is invalid, already used or expired";

export async function issueQuickLoginToken(
  deps: Deps,
  extension: ExtensionRecord,
): Promise<{ token: string; expiresAt: Date }> {
  const secret = randomBytes(32).toString("base64url");
  const now = deps.now().getTime();
  const expiresAtMs = now + deps.config.quickLoginTtlSeconds * 1000;
  await putQuickLogin(deps, extension.tenantId, extension.id, {
    tokenHash: hashToken(secret),
    issuedAt: new Date(now).toISOString(),
    expiresAtMs,
  });
  return { token: `ql1.${extension.tenantId}.${extension.id}.${secret}`, expiresAt: new Date(expiresAtMs) };
}

export async function consumeQuickLoginToken(
  deps: Deps,
  token: string,
): Promise<{ tenant: TenantRecord; extension: ExtensionRecord }> {
  const [version, tenantId, extensionId, secret, ...rest] = token.split(".");
  if (version !== "ql1" || !tenantId || !extensionId || !secret || rest.length > 0)
    throw new UnauthorizedError(INVALID);
  if (!(await useQuickLogin(deps, tenantId, extensionId, hashToken(secret), deps.now()))) {
    throw new UnauthorizedError(INVALID);
  }
  const [tenant, extension] = await Promise.all([
    getTenantRecord(deps, tenantId),
    getExtensionRecord(deps, tenantId, extensionId),
  ]);
  if (!tenant || tenant.deleting || !extension) throw new UnauthorizedError(INVALID);
  return { tenant, extension };
}
