/**
 * An extension's registered devices for the admin portal: the live contact bindings the SIP
 * listener's registrar writes (listener/registrar/bindings.ts), read from the same items.
 * Bindings past their expiry are left out (TTL deletes them only eventually), as the
 * registrar's own reads do.
 */
import type { Deps } from "../deps.js";
import { getExtensionRecord } from "../entities/extension.js";
import { listExtensionBindings, type StoredBinding } from "../entities/registration.js";
import { NotFoundError } from "../errors.js";
import type { ExtensionRegistrations, RegisteredDevice } from "../schemas/registrations.js";

export async function listRegistrations(
  deps: Deps,
  tenantId: string,
  extensionId: string,
): Promise<ExtensionRegistrations> {
  if (!(await getExtensionRecord(deps, tenantId, extensionId))) throw new NotFoundError("Extension");
  const bindings = await listExtensionBindings(deps, tenantId, extensionId);
  const now = deps.now().getTime();
  const devices = bindings
    .flatMap((binding) => (binding.expiresAtMs > now ? [toDevice(binding)] : []))
    // Phones by slot first, then Linkus sessions.
    .sort(
      (a, b) => Number(a.kind === "linkus") - Number(b.kind === "linkus") || a.bindingId.localeCompare(b.bindingId),
    );
  return { extensionId, devices };
}

function toDevice(binding: StoredBinding): RegisteredDevice {
  const { address, port, transport } = binding.flow;
  return {
    bindingId: binding.bindingId,
    kind: binding.kind,
    userAgent: binding.userAgent ?? null,
    contact: binding.contact,
    transport,
    sourceAddress: address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`,
    expiresAt: new Date(binding.expiresAtMs).toISOString(),
  };
}
