import type { Deps } from "../deps.js";
import type { DomainError } from "../errors.js";
import { keys, partitionOf } from "../keys.js";
import type { LoginSecuritySettings } from "../schemas/security.js";
import { sortKeyStartsWith } from "../storage/db.js";
import { deleteItem, getItem, putItem, queryEvery, sendGuarded } from "./table.js";

/**
 * A tenant's login security (services/login-security.ts): its settings (`SETTINGS#LOGIN_SECURITY`,
 * absent while the defaults apply), the recent failed logins per client kind and IP
 * (`LOGINFAIL#<kind>#<ip>`, a list appended atomically) and the blocked IPs (`BLOCK#<ip>`, one
 * conditional put however many requests race past the limit). All expire by TTL.
 */
export type ClientKind = "web" | "linkus";

export interface BlockRecord {
  ip: string;
  clientKind: ClientKind;
  blockedAt: string;
  blockedUntil: string;
  blockedUntilMs: number;
}

/** The stored settings, as saved (the service fills in the defaults). Eventually consistent. */
export function getLoginSecuritySettings(deps: Deps, tenantId: string) {
  return getItem<Partial<LoginSecuritySettings>>(deps, keys.loginSecuritySettings(tenantId), false);
}

export function putLoginSecuritySettings(deps: Deps, tenantId: string, settings: LoginSecuritySettings) {
  return putItem(deps, { ...keys.loginSecuritySettings(tenantId), type: "loginSecuritySettings", ...settings });
}

/**
 * Records one failure (epoch ms) in the IP's list, atomically, and answers the failures of the
 * last `windowMs`; older ones are dropped from the list unless it changed meanwhile (the next call
 * drops them then). The item expires one window after the last failure.
 */
export async function recordLoginFailure(
  deps: Deps,
  tenantId: string,
  kind: ClientKind,
  ip: string,
  now: number,
  windowMs: number,
): Promise<number[]> {
  const Key = keys.loginFailures(tenantId, kind, ip);
  const updated = await sendGuarded<{ failures?: number[] }>(deps, {
    Update: {
      Key,
      UpdateExpression:
        "SET failures = list_append(if_not_exists(failures, :empty), :now), #type = :type, expiresAt = :ttl",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: {
        ":empty": [],
        ":now": [now],
        ":type": "loginFailures",
        ":ttl": Math.ceil((now + windowMs) / 1000),
      },
      ReturnValues: "ALL_NEW",
    },
  });
  const failures = (updated.written && updated.attributes?.failures) || [];
  const recent = failures.filter((at) => at > now - windowMs);
  if (recent.length < failures.length) {
    await sendGuarded(deps, {
      Update: {
        Key,
        UpdateExpression: "SET failures = :recent",
        ConditionExpression: "size(failures) = :seen",
        ExpressionAttributeValues: { ":recent": recent, ":seen": failures.length },
      },
    });
  }
  return recent;
}

/** Forgets the IP's failures of both client kinds. */
export async function clearLoginFailures(deps: Deps, tenantId: string, ip: string): Promise<void> {
  await Promise.all(
    (["web", "linkus"] as const).map((kind) => deleteItem(deps, keys.loginFailures(tenantId, kind, ip))),
  );
}

export function getBlockedIp(deps: Deps, tenantId: string, ip: string) {
  return getItem<BlockRecord>(deps, keys.blockedIp(tenantId, ip));
}

/** Blocks the IP unless a live block is there already: true for the one request that blocked it. */
export async function putBlockedIp(deps: Deps, tenantId: string, block: BlockRecord, now: number): Promise<boolean> {
  const outcome = await sendGuarded(deps, {
    Put: {
      Item: {
        ...keys.blockedIp(tenantId, block.ip),
        type: "blockedIp",
        ...block,
        expiresAt: Math.ceil(block.blockedUntilMs / 1000),
      },
      ConditionExpression: "attribute_not_exists(PK) OR blockedUntilMs <= :now",
      ExpressionAttributeValues: { ":now": now },
    },
  });
  return outcome.written;
}

/** The tenant's blocks; with `liveAt`, only those still in force then (TTL deletes lag). */
export function listBlockedIpRecords(
  deps: Deps,
  tenantId: string,
  options: { liveAt?: number; consistent?: boolean } = {},
): Promise<BlockRecord[]> {
  const { liveAt, consistent } = options;
  const live = liveAt === undefined ? undefined : { ":now": liveAt };
  return queryEvery<BlockRecord>(deps, {
    ...sortKeyStartsWith(partitionOf(tenantId), keys.blockedIpPrefix, live),
    FilterExpression: live && "blockedUntilMs > :now",
    ConsistentRead: consistent,
  });
}

/** Lifts a block still in force at `now`; `onMissing` when there is none. */
export async function deleteLiveBlockedIp(
  deps: Deps,
  tenantId: string,
  ip: string,
  now: number,
  onMissing: () => DomainError,
): Promise<void> {
  await sendGuarded(
    deps,
    {
      Delete: {
        Key: keys.blockedIp(tenantId, ip),
        ConditionExpression: "blockedUntilMs > :now",
        ExpressionAttributeValues: { ":now": now },
      },
    },
    onMissing,
  );
}
