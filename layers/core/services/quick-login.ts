import { createHash, randomBytes } from "node:crypto";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "../deps.js";
import { type ExtensionRecord, getExtensionRecord } from "../entities/extension.js";
import { getTenantRecord, type TenantRecord } from "../entities/tenant.js";
import { UnauthorizedError } from "../errors.js";
import { keys } from "../keys.js";
import { isConditionalCheckFailed } from "../storage/db.js";

/**
 * Quick login tokens, as carried by a welcome email's link and QR code:
 * `ql1.<tenantId>.<extensionId>.<secret>`. One live token per extension, stored only as a
 * hash: issuing a new one (a newer welcome email) overwrites the old, using it marks it used,
 * and it expires (default 7 days).
 */
const INVALID = "This quick login link is invalid, already used or expired";

const hash = (secret: string) => createHash("sha256").update(secret).digest("base64url");

export async function issueQuickLoginToken(
  deps: Deps,
  extension: ExtensionRecord,
): Promise<{ token: string; expiresAt: Date }> {
  const secret = randomBytes(32).toString("base64url");
  const now = deps.now().getTime();
  const expiresAtMs = now + deps.config.quickLoginTtlSeconds * 1000;
  await deps.db.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: {
        ...keys.quickLogin(extension.tenantId, extension.id),
        type: "quickLogin",
        tokenHash: hash(secret),
        issuedAt: new Date(now).toISOString(),
        expiresAtMs,
        expiresAt: Math.ceil(expiresAtMs / 1000),
      },
    }),
  );
  return { token: `ql1.${extension.tenantId}.${extension.id}.${secret}`, expiresAt: new Date(expiresAtMs) };
}

export async function consumeQuickLoginToken(
  deps: Deps,
  token: string,
): Promise<{ tenant: TenantRecord; extension: ExtensionRecord }> {
  const [version, tenantId, extensionId, secret, ...rest] = token.split(".");
  if (version !== "ql1" || !tenantId || !extensionId || !secret || rest.length > 0)
    throw new UnauthorizedError(INVALID);
  try {
    // Used and checked in one conditional write: two clicks racing cannot both log in.
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tableName,
        Key: keys.quickLogin(tenantId, extensionId),
        UpdateExpression: "SET usedAt = :now",
        ConditionExpression: "tokenHash = :hash AND attribute_not_exists(usedAt) AND expiresAtMs > :nowMs",
        ExpressionAttributeValues: {
          ":now": deps.now().toISOString(),
          ":hash": hash(secret),
          ":nowMs": deps.now().getTime(),
        },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new UnauthorizedError(INVALID);
    throw error;
  }
  const [tenant, extension] = await Promise.all([
    getTenantRecord(deps, tenantId),
    getExtensionRecord(deps, tenantId, extensionId),
  ]);
  if (!tenant || tenant.deleting || !extension) throw new UnauthorizedError(INVALID);
  return { tenant, extension };
}
