import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import type { Client } from "../schemas/auth.js";
import { getItem, putItem, sendGuarded } from "./table.js";

/** A login session (`SESSION#<id>`); only a hash of its current refresh secret is stored. */
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

export function putSession(deps: Deps, session: SessionRecord): Promise<void> {
  return putItem(deps, session);
}

export function getSessionRecord(
  deps: Deps,
  tenantId: string,
  sessionId: string,
  consistent = true,
): Promise<SessionRecord | undefined> {
  return getItem<SessionRecord>(deps, keys.session(tenantId, sessionId), consistent);
}

/** Ends a session (the first revocation's time and reason stay); a missing session is left alone. */
export async function markSessionRevoked(
  deps: Deps,
  tenantId: string,
  sessionId: string,
  at: string,
  reason: string,
): Promise<void> {
  await sendGuarded(deps, {
    Update: {
      Key: keys.session(tenantId, sessionId),
      UpdateExpression:
        "SET revokedAt = if_not_exists(revokedAt, :now), revokeReason = if_not_exists(revokeReason, :reason)",
      ConditionExpression: "attribute_exists(PK)",
      ExpressionAttributeValues: { ":now": at, ":reason": reason },
    },
  });
}

/**
 * Replaces the refresh hash only while it is still `currentHash` and the session is live: of two
 * refreshes racing with one token only one rotates. False: the other one won (a reuse).
 */
export async function rotateRefreshHash(
  deps: Deps,
  session: SessionRecord,
  next: { refreshHash: string; refreshExpiresAtMs: number },
  at: string,
): Promise<boolean> {
  const outcome = await sendGuarded(deps, {
    Update: {
      Key: keys.session(session.tenantId, session.id),
      UpdateExpression: "SET refreshHash = :next, refreshExpiresAtMs = :until, lastRefreshedAt = :now",
      ConditionExpression: "refreshHash = :current AND attribute_not_exists(revokedAt)",
      ExpressionAttributeValues: {
        ":next": next.refreshHash,
        ":until": next.refreshExpiresAtMs,
        ":now": at,
        ":current": session.refreshHash,
      },
    },
  });
  return outcome.written;
}

/**
 * Moves a live session of `extensionId` to a new credential version and refresh hash; the
 * session after, or undefined when it is gone, revoked or someone else's.
 */
export async function moveSessionToCredential(
  deps: Deps,
  tenantId: string,
  sessionId: string,
  extensionId: string,
  next: { credentialVersion: number; refreshHash: string; refreshExpiresAtMs: number },
): Promise<SessionRecord | undefined> {
  const outcome = await sendGuarded<SessionRecord>(deps, {
    Update: {
      Key: keys.session(tenantId, sessionId),
      UpdateExpression: "SET credentialVersion = :cv, refreshHash = :hash, refreshExpiresAtMs = :until",
      ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(revokedAt) AND extensionId = :ext",
      ExpressionAttributeValues: {
        ":cv": next.credentialVersion,
        ":hash": next.refreshHash,
        ":until": next.refreshExpiresAtMs,
        ":ext": extensionId,
      },
      ReturnValues: "ALL_NEW",
    },
  });
  return outcome.written ? outcome.attributes : undefined;
}
