import type { Deps } from "../deps.js";
import { keys } from "../keys.js";
import { sortKeyStartsWith } from "../storage/db.js";
import { getItem, putItem, queryEvery, sendGuarded } from "./table.js";

/**
 * SIP registrations (`<extensionId>#<binding>` in `T#<tenantId>#REG`), written by the listener's
 * registrar (listener/registrar/bindings.ts); the API reads them here. Items past their expiry
 * may still be stored (TTL deletes lag): readers filter on `expiresAtMs`.
 */
export interface StoredBinding {
  bindingId: string;
  kind: "phone" | "linkus";
  contact: string;
  flow: { transport: "udp" | "tcp" | "tls" | "ws"; address: string; port: number };
  expiresAtMs: number;
  userAgent?: string;
}

/** Every stored binding of one extension (the partition's epoch and version items are outside its range). */
export function listExtensionBindings(deps: Deps, tenantId: string, extensionId: string) {
  return storedBindings<StoredBinding>(deps, tenantId, extensionId);
}

/**
 * The stored bindings of one extension, or of the whole tenant without `extensionId`, read
 * consistently (the registrar's slot claims rely on it). `B` is the registrar's own binding type.
 */
export async function storedBindings<B>(deps: Deps, tenantId: string, extensionId?: string): Promise<B[]> {
  const partition = keys.registrationPartition(tenantId);
  const items = await queryEvery<{ binding?: B }>(deps, {
    ...(extensionId === undefined
      ? { KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": partition } }
      : sortKeyStartsWith(partition, keys.registrationPrefix(extensionId))),
    ConsistentRead: true,
  });
  return items.flatMap(({ binding }) => (binding ? [binding] : []));
}

/** What a registration item holds beside the binding: the fields its conditions test. */
export interface RegistrationItem<B> {
  tenantId: string;
  extensionId: string;
  bindingId: string;
  contact: string;
  callId: string;
  instance?: string;
  expiresAtMs: number;
  binding: B;
}

function itemOf<B>(registration: RegistrationItem<B>) {
  const { tenantId, extensionId, bindingId, contact, callId, instance, expiresAtMs, binding } = registration;
  return {
    ...keys.registration(tenantId, extensionId, bindingId),
    type: "registration",
    contact,
    callId,
    ...(instance === undefined ? {} : { instance }),
    expiresAtMs,
    expiresAt: Math.ceil(expiresAtMs / 1000),
    binding,
  };
}

/**
 * Writes a binding; with `condition`, only if the stored item meets it (its names: `contact`,
 * `callId`, `instance`, `expiresAtMs`). False when the condition failed.
 */
export async function putRegistration<B>(
  deps: Deps,
  registration: RegistrationItem<B>,
  condition?: { expression: string; values: Record<string, unknown> },
): Promise<boolean> {
  if (!condition) {
    await putItem(deps, itemOf(registration));
    return true;
  }
  const outcome = await sendGuarded(deps, {
    Put: {
      Item: itemOf(registration),
      ConditionExpression: condition.expression,
      ExpressionAttributeValues: condition.values,
    },
  });
  return outcome.written;
}

/** Removes a binding unless another contact took its slot meanwhile. */
export async function deleteRegistration(
  deps: Deps,
  registration: Pick<RegistrationItem<unknown>, "tenantId" | "extensionId" | "bindingId" | "contact">,
): Promise<void> {
  await sendGuarded(deps, {
    Delete: {
      Key: keys.registration(registration.tenantId, registration.extensionId, registration.bindingId),
      ConditionExpression: "contact = :contact",
      ExpressionAttributeValues: { ":contact": registration.contact },
    },
  });
}

/** Counts a change of some extension's registered state in the tenant (`~EPOCH`). */
export async function bumpRegistrationEpoch(deps: Deps, tenantId: string): Promise<void> {
  await sendGuarded(deps, {
    Update: {
      Key: keys.registrationEpoch(tenantId),
      UpdateExpression: "ADD epoch :one SET #type = :type",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: { ":one": 1, ":type": "registrationEpoch" },
    },
  });
}

/** The tenant's registration epoch (0 before the first change), read consistently. */
export async function registrationEpoch(deps: Deps, tenantId: string): Promise<number> {
  return (await getItem<{ epoch?: number }>(deps, keys.registrationEpoch(tenantId)))?.epoch ?? 0;
}
