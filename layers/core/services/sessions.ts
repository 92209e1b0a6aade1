import { randomBytes } from "node:crypto";
import { issueAccessToken } from "../auth/token.js";
import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import {
  getSessionRecord,
  markSessionRevoked,
  moveSessionToCredential,
  putSession,
  rotateRefreshHash,
  type SessionRecord,
} from "../entities/session.js";
import { getTenantRecord, type TenantRecord } from "../entities/tenant.js";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import { keys } from "../keys.js";
import { logger } from "../logger.js";
import type { Client } from "../schemas/auth.js";
import { hashToken, matchesTokenHash } from "../util/token-hash.js";

/**
 * Login sessions. The access token is short-lived and checked against the session on every
 * request; the refresh token is single-use: each refresh returns a new one, and presenting
 * an old one again (a sign it was stolen) ends the whole session.
 *
 * Refresh tokens look like `rt1.<tenantId>.<sessionId>.<secret>`; only a SHA-256 of the
 * secret is stored (it is 256 random bits, so a slow hash adds nothing).
 */

/** Re-exported for listener/directory.ts until it imports entities/session.js. */
export type { SessionRecord };

export interface SessionTokens {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

const INVALID_REFRESH = "The refresh token is invalid or has expired; log in again";

async function tokensFor(deps: Deps, session: SessionRecord, role: string, secret: string): Promise<SessionTokens> {
  const { tokenKey } = await deps.keys();
  const ttl = deps.config.accessTokenTtlSeconds;
  const accessToken = issueAccessToken(
    { sub: session.extensionId, tid: session.tenantId, role, sid: session.id, cv: session.credentialVersion },
    tokenKey,
    ttl,
    deps.now().getTime(),
  );
  return {
    accessToken,
    tokenType: "Bearer",
    expiresIn: ttl,
    refreshToken: `rt1.${session.tenantId}.${session.id}.${secret}`,
    refreshExpiresIn: Math.max(0, Math.floor((session.refreshExpiresAtMs - deps.now().getTime()) / 1000)),
  };
}

export async function startSession(
  deps: Deps,
  tenant: TenantRecord,
  extension: ExtensionRecord,
  client: Client,
): Promise<SessionTokens & { sessionId: string }> {
  const now = deps.now().getTime();
  const secret = randomBytes(32).toString("base64url");
  const id = deps.newId();
  const session: SessionRecord = {
    ...keys.session(tenant.id, id),
    type: "session",
    id,
    tenantId: tenant.id,
    extensionId: extension.id,
    client,
    createdAt: new Date(now).toISOString(),
    refreshHash: hashToken(secret),
    refreshExpiresAtMs: Math.min(
      now + deps.config.refreshTokenTtlSeconds * 1000,
      now + deps.config.sessionMaxAgeSeconds * 1000,
    ),
    credentialVersion: extension.credentialVersion,
    expiresAt: Math.floor(now / 1000) + deps.config.sessionMaxAgeSeconds,
  };
  await putSession(deps, session);
  // The session id is for the caller (Linkus SIP credentials), not part of the HTTP answer.
  return { ...(await tokensFor(deps, session, extension.role, secret)), sessionId: id };
}

export function getSession(deps: Deps, tenantId: string, sessionId: string) {
  return getSessionRecord(deps, tenantId, sessionId);
}

/** Whether the session still lets its access tokens through. */
export function sessionIsLive(session: SessionRecord | undefined, extension: ExtensionRecord, nowMs: number): boolean {
  return Boolean(
    session &&
      !session.revokedAt &&
      session.extensionId === extension.id &&
      session.credentialVersion === extension.credentialVersion &&
      session.expiresAt * 1000 > nowMs,
  );
}

export function revokeSession(deps: Deps, tenantId: string, sessionId: string, reason: string): Promise<void> {
  return markSessionRevoked(deps, tenantId, sessionId, deps.now().toISOString(), reason);
}

/** Exchanges a refresh token for a new access token and a new refresh token. */
export async function refreshSession(deps: Deps, refreshToken: string): Promise<SessionTokens> {
  const [version, tenantId, sessionId, secret, ...rest] = refreshToken.split(".");
  if (version !== "rt1" || !tenantId || !sessionId || !secret || rest.length > 0) {
    throw new UnauthorizedError(INVALID_REFRESH);
  }
  const session = await getSession(deps, tenantId, sessionId);
  const now = deps.now().getTime();
  if (!session || session.revokedAt || session.refreshExpiresAtMs <= now || session.expiresAt * 1000 <= now) {
    throw new UnauthorizedError(INVALID_REFRESH);
  }
  if (!matchesTokenHash(session.refreshHash, secret)) {
    await revokeReusedSession(deps, session);
    throw new UnauthorizedError(INVALID_REFRESH);
  }

  const [tenant, extension] = await Promise.all([
    getTenantRecord(deps, tenantId),
    getExtensionRecord(deps, tenantId, session.extensionId),
  ]);
  if (!tenant || tenant.deleting || !extension || extension.credentialVersion !== session.credentialVersion) {
    throw new UnauthorizedError(INVALID_REFRESH);
  }
  if (tenant.status !== "active") throw new ForbiddenError("This PBX is suspended; contact your service provider");

  const nextSecret = randomBytes(32).toString("base64url");
  const next: SessionRecord = {
    ...session,
    refreshHash: hashToken(nextSecret),
    refreshExpiresAtMs: Math.min(now + deps.config.refreshTokenTtlSeconds * 1000, session.expiresAt * 1000),
  };
  if (!(await rotateRefreshHash(deps, session, next, new Date(now).toISOString()))) {
    await revokeReusedSession(deps, session);
    throw new UnauthorizedError(INVALID_REFRESH);
  }
  return tokensFor(deps, next, extension.role, nextSecret);
}

async function revokeReusedSession(deps: Deps, session: SessionRecord): Promise<void> {
  logger.warn("refresh token reused: session ended", { sessionId: session.id, extensionId: session.extensionId });
  await revokeSession(deps, session.tenantId, session.id, "refresh_token_reused");
}

/**
 * After a password change: this session moves to the new credential version (the caller stays
 * logged in), every other session of the extension is left behind and stops working.
 */
export async function carrySessionOver(
  deps: Deps,
  tenantId: string,
  sessionId: string,
  extension: ExtensionRecord,
): Promise<SessionTokens | undefined> {
  const secret = randomBytes(32).toString("base64url");
  const now = deps.now().getTime();
  const moved = await moveSessionToCredential(deps, tenantId, sessionId, extension.id, {
    credentialVersion: extension.credentialVersion,
    refreshHash: hashToken(secret),
    refreshExpiresAtMs: now + deps.config.refreshTokenTtlSeconds * 1000,
  });
  return moved ? tokensFor(deps, moved, extension.role, secret) : undefined;
}
