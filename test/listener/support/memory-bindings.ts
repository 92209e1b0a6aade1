import {
  type Binding,
  type BindingStorage,
  type ClaimResult,
  linkusBindingId,
  sameDevice,
} from "../../../listener/registrar/bindings.js";

/**
 * The binding store's contract in a map, for unit tests of the registrar with no DynamoDB: the
 * same slot rule as BindingStore.claimPhone (first slot absent, expired or the same device's).
 */
export class MemoryBindings implements BindingStorage {
  readonly items = new Map<string, Binding>();
  epochs = 0;

  constructor(private readonly now: () => number) {}

  async list(tenantId: string, extensionId?: string): Promise<Binding[]> {
    return [...this.items.values()].filter(
      (b) =>
        b.tenantId === tenantId &&
        (extensionId === undefined || b.extensionId === extensionId) &&
        b.expiresAtMs > this.now(),
    );
  }

  async claimPhone(binding: Omit<Binding, "bindingId">, limit: number): Promise<ClaimResult> {
    for (let slot = 1; slot <= limit; slot++) {
      const key = `${binding.tenantId}/${binding.extensionId}/p${slot}`;
      const held = this.items.get(key);
      if (!held || held.expiresAtMs < this.now() || sameDevice(held, binding)) {
        const stored = { ...binding, bindingId: `p${slot}` };
        this.items.set(key, stored);
        return { ok: true, binding: stored };
      }
    }
    return { ok: false, reason: "limit" };
  }

  async putLinkus(binding: Omit<Binding, "bindingId">): Promise<Binding> {
    const stored = { ...binding, bindingId: linkusBindingId(binding.sessionId, binding.instance) };
    this.items.set(`${binding.tenantId}/${binding.extensionId}/${stored.bindingId}`, stored);
    return stored;
  }

  async remove(binding: Binding): Promise<void> {
    const key = `${binding.tenantId}/${binding.extensionId}/${binding.bindingId}`;
    if (this.items.get(key)?.contact === binding.contact) this.items.delete(key);
  }

  async bumpEpoch(): Promise<void> {
    this.epochs++;
  }

  async epoch(): Promise<number> {
    return this.epochs;
  }
}
