import { logger } from "../../layers/core/logger.js";
import { sameFlow } from "../transport/flow.js";
import {
  type Binding,
  type BindingStorage,
  type BindingStore,
  type ClaimResult,
  linkusBindingId,
  sameDevice,
} from "./bindings.js";

export interface BindingCacheOptions {
  /** How often dirty refreshes are looked at, and persisted when their stored copy nears expiry. */
  flushMs: number;
  /** A stored copy this close to expiry is rewritten (with the refreshed expiry) at the next flush. */
  lapseWindowMs: number;
  /** The extension's bindings as read from DynamoDB are reused for REGISTERs this long. */
  reuseMs: number;
  now: () => number;
}

interface Entry {
  bindings: Binding[];
  loadedAtMs: number;
}

interface Dirty {
  binding: Binding;
  storedExpiresAtMs: number;
}

/**
 * The registrar's bindings in this task's memory, DynamoDB behind (Kamailio usrloc's write-back
 * model, docs/listener.md "Binding store"). What stays synchronous: claiming a slot, a device
 * taking over a slot, a binding moving to another flow, removals, and the first REGISTER of an
 * extension this task has not seen. A refresh of a binding this task holds is answered from
 * memory; its stored copy is rewritten behind, only when it would otherwise lapse before the
 * next flush, so DynamoDB always says "registered" while the phone is (every task routes
 * calls from it) and sees about one write per binding lifetime instead of one per refresh.
 */
export class BindingCache implements BindingStorage {
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Map<string, Dirty>();
  private readonly stored = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  private flushing: Promise<void> | undefined;
  stats = { refreshedInMemory: 0, writtenBehind: 0, synchronousWrites: 0, reads: 0 };

  constructor(
    private readonly store: BindingStore,
    private readonly options: BindingCacheOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  get size(): number {
    let count = 0;
    for (const entry of this.entries.values()) count += entry.bindings.length;
    return count;
  }

  /** Every live binding held in this task's memory (for NAT keep-alives). */
  *held(): IterableIterator<Binding> {
    const now = this.options.now();
    for (const entry of this.entries.values()) for (const b of entry.bindings) if (b.expiresAtMs > now) yield b;
  }

  async list(tenantId: string, extensionId?: string): Promise<Binding[]> {
    if (extensionId === undefined) return this.store.list(tenantId);
    const key = `${tenantId}/${extensionId}`;
    const now = this.options.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.loadedAtMs < this.options.reuseMs) {
      return entry.bindings.filter((b) => b.expiresAtMs > now);
    }
    this.stats.reads++;
    const bindings = await this.store.list(tenantId, extensionId);
    // What DynamoDB says replaces memory, except refreshes not yet written: they are newer.
    const merged = bindings.map((b) => this.dirty.get(bindingKey(b))?.binding ?? b);
    for (const b of bindings) this.stored.set(bindingKey(b), b.expiresAtMs);
    this.entries.set(key, { bindings: merged, loadedAtMs: now });
    return merged;
  }

  async claimPhone(binding: Omit<Binding, "bindingId">, limit: number, existing: Binding[]): Promise<ClaimResult> {
    const held = existing.find((b) => b.kind === "phone" && sameDevice(b, binding));
    if (held && this.refreshInMemory(held, binding, limit)) {
      return { ok: true, binding: { ...binding, bindingId: held.bindingId } };
    }
    this.stats.synchronousWrites++;
    const claimed = await this.store.claimPhone(binding, limit, existing);
    if (claimed.ok) this.remember(claimed.binding);
    return claimed;
  }

  async putLinkus(binding: Omit<Binding, "bindingId">): Promise<Binding> {
    const held = this.entries
      .get(`${binding.tenantId}/${binding.extensionId}`)
      ?.bindings.find((b) => b.bindingId === linkusBindingId(binding.sessionId, binding.instance));
    if (held && this.refreshInMemory(held, binding, Number.POSITIVE_INFINITY)) {
      return { ...binding, bindingId: held.bindingId };
    }
    this.stats.synchronousWrites++;
    const stored = await this.store.putLinkus(binding);
    this.remember(stored);
    return stored;
  }

  async remove(binding: Binding): Promise<void> {
    const key = bindingKey(binding);
    this.dirty.delete(key);
    this.stored.delete(key);
    const entry = this.entries.get(`${binding.tenantId}/${binding.extensionId}`);
    if (entry) entry.bindings = entry.bindings.filter((b) => b.bindingId !== binding.bindingId);
    await this.store.remove(binding);
  }

  bumpEpoch(tenantId: string): Promise<void> {
    return this.store.bumpEpoch(tenantId);
  }

  epoch(tenantId: string): Promise<number> {
    return this.store.epoch(tenantId);
  }

  /** Writes every pending refresh (shutdown, or a test that reads DynamoDB). */
  async flushAll(): Promise<void> {
    await this.flushing;
    await this.write([...this.dirty.values()]);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * A refresh of a binding this task stored, from the same flow and contact, whose stored copy
   * outlives the next flush: memory only. Anything else (another flow, a new contact, a copy
   * about to lapse) goes to DynamoDB now.
   */
  private refreshInMemory(held: Binding, binding: Omit<Binding, "bindingId">, limit: number): boolean {
    const key = bindingKey(held);
    const storedExpiry = this.stored.get(key);
    const now = this.options.now();
    if (storedExpiry === undefined || storedExpiry - now < this.options.lapseWindowMs + this.options.flushMs)
      return false;
    if (held.contact !== binding.contact || !sameFlow(held.flow, binding.flow)) return false;
    if (held.kind === "phone" && Number(held.bindingId.slice(1)) > limit) return false;
    const refreshed: Binding = { ...binding, bindingId: held.bindingId };
    this.stats.refreshedInMemory++;
    this.dirty.set(key, { binding: refreshed, storedExpiresAtMs: storedExpiry });
    this.replace(refreshed);
    return true;
  }

  private remember(binding: Binding): void {
    const key = bindingKey(binding);
    this.stored.set(key, binding.expiresAtMs);
    this.dirty.delete(key);
    this.replace(binding);
  }

  private replace(binding: Binding): void {
    const entryKey = `${binding.tenantId}/${binding.extensionId}`;
    const entry = this.entries.get(entryKey) ?? { bindings: [], loadedAtMs: this.options.now() };
    entry.bindings = [...entry.bindings.filter((b) => b.bindingId !== binding.bindingId), binding];
    this.entries.set(entryKey, entry);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    const due = this.options.now() + this.options.lapseWindowMs;
    const batch = [...this.dirty.values()].filter((d) => d.storedExpiresAtMs <= due);
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
    this.prune();
  }

  /** Rewrites stored copies with their refreshed expiry; one that lost its slot is forgotten. */
  private async write(batch: Dirty[]): Promise<void> {
    for (let i = 0; i < batch.length; i += 25) {
      await Promise.all(
        batch.slice(i, i + 25).map(async ({ binding }) => {
          const key = bindingKey(binding);
          try {
            const result =
              binding.kind === "linkus" ? await this.store.putLinkus(binding) : await this.store.rewritePhone(binding);
            if (result) this.remember(result);
            else this.forget(binding);
            this.stats.writtenBehind++;
          } catch (error) {
            // Kept dirty: the next flush tries again, well before the stored copy lapses.
            logger.error("Binding write-behind failed", { error: error as Error, tenantId: binding.tenantId });
            if (!this.dirty.has(key)) this.dirty.set(key, { binding, storedExpiresAtMs: 0 });
          }
        }),
      );
    }
  }

  private forget(binding: Binding): void {
    const key = bindingKey(binding);
    this.dirty.delete(key);
    this.stored.delete(key);
    this.entries.delete(`${binding.tenantId}/${binding.extensionId}`);
  }

  /** Drops extensions whose bindings all expired (memory stays proportional to live phones). */
  private prune(): void {
    const now = this.options.now();
    for (const [key, entry] of this.entries) {
      if (entry.bindings.every((b) => b.expiresAtMs <= now) && now - entry.loadedAtMs >= this.options.reuseMs) {
        this.entries.delete(key);
      }
    }
    for (const [key, expiry] of this.stored) if (expiry <= now && !this.dirty.has(key)) this.stored.delete(key);
  }
}

function bindingKey(binding: Pick<Binding, "tenantId" | "extensionId" | "bindingId">): string {
  return `${binding.tenantId}/${binding.extensionId}/${binding.bindingId}`;
}
