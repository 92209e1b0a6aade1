import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { issueAccessToken } from "../auth/token.js";
import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import { getTenantRecord, type TenantRecord } from "../entities/tenant.js";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import { keys } from "../keys.js";
import { logger } from "../logger.js";
import type { Client } from "../schemas/auth.js";
import { isConditionalCheckFailed } from "../storage/db.js";

/**
 * Login sessions. The access token is short-lived and checked against the session on every
 * request; the refresh token is single-use: each refresh returns a new one, and presenting
 * an old one again (a sign it was stolen) ends the whole session.
 *
 * Refresh tokens look like `rt1.<tenantId>.<sessionId>.<secret>`; only a SHA-256 of the
 * secret is stored (it is 256 random bits, so a slow hash adds nothing).
 */
export interface SessionRecord {
  PK: string;
  SK: string;
  type: "session";
  id: string;
  tenantId: string;
  extensionId: string;
  client: Client;
  createdAt: string;
  refreshHash: string;
  /** Epoch ms after which the current refresh token is refused. */
  refreshExpiresAtMs: number;
  /** The extension's credential version at login: a password change ends older sessions. */
  credentialVersion: number;
  revokedAt?: string;
  revokeReason?: string;
  /** TTL: the session's absolute end. */
  expiresAt: number;
}

export interface SessionTokens {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

const INVALID_REFRESH = "The refresh token is invalid or has expired; log in again";

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

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
    refreshHash: hashSecret(secret),
    refreshExpiresAtMs: Math.min(
      now + deps.config.refreshTokenTtlSeconds * 1000,
      now + deps.config.sessionMaxAgeSeconds * 1000,
    ),
    credentialVersion: extension.credentialVersion,
    expiresAt: Math.floor(now / 1000) + deps.config.sessionMaxAgeSeconds,
  };
  await deps.db.send(new PutCommand({ TableName: deps.config.tableName, Item: session }));
  // The session id is for the caller (Linkus SIP credentials), not part of the HTTP answer.
  return { ...(await tokensFor(deps, session, extension.role, secret)), sessionId: id };
}

export async function getSession(deps: Deps, tenantId: string, sessionId: string) {
  const result = await deps.db.send(
    new GetCommand({ TableName: deps.config.tableName, Key: keys.session(tenantId, sessionId), ConsistentRead: true }),
  );
  return result.Item as SessionRecord | undefined;
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

export async function revokeSession(deps: Deps, tenantId: string, sessionId: string, reason: string): Promise<void> {
  await deps.db
    .send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.session(tenantId, sessionId),
        UpdateExpression:
          "SET revokedAt = if_not_exists(revokedAt, :now), revokeReason = if_not_exists(revokeReason, :reason)",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":now": deps.now().toISOString(), ":reason": reason },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionalCheckFailed(error)) throw error;
    });
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
  if (!sameHash(session.refreshHash, hashSecret(secret))) {
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
    refreshHash: hashSecret(nextSecret),
    refreshExpiresAtMs: Math.min(now + deps.config.refreshTokenTtlSeconds * 1000, session.expiresAt * 1000),
  };
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.session(tenantId, sessionId),
        UpdateExpression: "SET refreshHash = :next, refreshExpiresAtMs = :until, lastRefreshedAt = :now",
        // Two refreshes racing with the same token: only one can rotate; the other is a reuse.
        ConditionExpression: "refreshHash = :current AND attribute_not_exists(revokedAt)",
        ExpressionAttributeValues: {
          ":next": next.refreshHash,
          ":until": next.refreshExpiresAtMs,
          ":now": new Date(now).toISOString(),
          ":current": session.refreshHash,
        },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
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
  try {
    const result = await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.session(tenantId, sessionId),
        UpdateExpression: "SET credentialVersion = :cv, refreshHash = :hash, refreshExpiresAtMs = :until",
        ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(revokedAt) AND extensionId = :ext",
        ExpressionAttributeValues: {
          ":cv": extension.credentialVersion,
          ":hash": hashSecret(secret),
          ":until": now + deps.config.refreshTokenTtlSeconds * 1000,
          ":ext": extension.id,
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return tokensFor(deps, result.Attributes as SessionRecord, extension.role, secret);
  } catch (error) {
    if (isConditionalCheckFailed(error)) return undefined;
    throw error;
  }
}
