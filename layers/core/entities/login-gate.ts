import type { Deps } from "../deps.js";
import { getBlockedIp } from "./login-security.js";
import { type Key, sendGuarded } from "./table.js";

/**
 * Login gate counters (`GATE#IP#<ip>` / `GATE`, and `GATE#TARGET#…` in the tenant's partition):
 * a string set of `<ms>#<id>` attempts, added before each password check (D-harden-2), and the
 * tenant's blocked-IP item (`BLOCK#<ip>`) the gate checks first.
 */
export async function blockedUntilMs(deps: Deps, realm: string, ip: string): Promise<number | undefined> {
  return (await getBlockedIp(deps, realm, ip))?.blockedUntilMs;
}

/** Adds one attempt; every attempt the counter holds afterwards. */
export async function addGateAttempt(deps: Deps, key: Key, entry: string, expiresAt: number): Promise<string[]> {
  const outcome = await sendGuarded<{ attempts?: Set<string> }>(deps, {
    Update: {
      Key: key,
      UpdateExpression: "ADD attempts :entry SET #type = :type, expiresAt = :ttl",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: { ":entry": new Set([entry]), ":type": "loginGate", ":ttl": expiresAt },
      ReturnValues: "ALL_NEW",
    },
  });
  return outcome.written ? [...(outcome.attributes?.attempts ?? [])] : [];
}

export async function removeGateAttempts(deps: Deps, key: Key, entries: readonly string[]): Promise<void> {
  await sendGuarded(deps, {
    Update: {
      Key: key,
      UpdateExpression: "DELETE attempts :entries",
      ExpressionAttributeValues: { ":entries": new Set(entries) },
    },
  });
}

export async function clearGateAttempts(deps: Deps, key: Key): Promise<void> {
  await sendGuarded(deps, { Update: { Key: key, UpdateExpression: "REMOVE attempts" } });
}
