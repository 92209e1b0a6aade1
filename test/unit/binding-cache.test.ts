import { describe, expect, it, vi } from "vitest";
import { BindingCache } from "../../listener/registrar/binding-cache.js";
import type { Binding, BindingStore } from "../../listener/registrar/bindings.js";
import { MemoryBindings } from "../listener/support/memory-bindings.js";

/** The write-behind rules of the registrar's binding cache, on a counted in-memory store. */
function setup() {
  let now = 1_000_000;
  const memory = new MemoryBindings(() => now);
  const writes = { claim: 0, rewrite: 0 };
  const store = Object.assign(memory, {
    claimPhone: async (...args: Parameters<MemoryBindings["claimPhone"]>) => {
      writes.claim++;
      return MemoryBindings.prototype.claimPhone.apply(memory, args);
    },
    rewritePhone: async (binding: Binding) => {
      writes.rewrite++;
      memory.items.set(`${binding.tenantId}/${binding.extensionId}/${binding.bindingId}`, binding);
      return binding;
    },
  }) as unknown as BindingStore;
  const cache = new BindingCache(store, { flushMs: 5_000, lapseWindowMs: 15_000, reuseMs: 30_000, now: () => now });
  const phone = (expiresInMs: number, port = 5062): Omit<Binding, "bindingId"> => ({
    tenantId: "t",
    extensionId: "e",
    kind: "phone",
    contact: `sip:e@192.168.1.10:${port}`,
    flow: { transport: "udp", address: "198.51.100.7", port },
    callId: `c${port}`,
    cseq: 1,
    expiresAtMs: now + expiresInMs,
    taskId: "task",
  });
  const register = async (expiresInMs: number, port?: number) =>
    cache.claimPhone(phone(expiresInMs, port), 1, await cache.list("t", "e"));
  return { cache, memory, writes, register, advance: (ms: number) => (now += ms), now: () => now };
}

describe("binding cache (write-behind)", () => {
  it("claims synchronously, then answers refreshes from memory while the stored copy outlives the next flush", async () => {
    const { cache, writes, register, advance } = setup();
    expect((await register(300_000)).ok).toBe(true);
    expect(writes.claim).toBe(1);
    for (let i = 0; i < 5; i++) {
      advance(30_000);
      expect((await register(300_000)).ok).toBe(true);
    }
    expect(writes.claim).toBe(1);
    expect(cache.stats.refreshedInMemory).toBe(5);
    cache.close();
  });

  it("writes a refresh behind before the stored copy lapses, with the refreshed expiry", async () => {
    vi.useFakeTimers();
    try {
      const { cache, memory, writes, register, advance, now } = setup();
      await register(60_000);
      advance(30_000);
      await register(60_000); // stored copy lapses in 30 s: still more than window + flush
      expect(writes.rewrite).toBe(0);
      advance(20_000); // 10 s left: due
      await vi.advanceTimersByTimeAsync(5_000);
      expect(writes.rewrite).toBe(1);
      const [stored] = await memory.list("t", "e");
      expect(stored?.expiresAtMs).toBeGreaterThan(now() + 30_000);
      cache.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("goes to the store at once for another flow (a rebooted phone) and for a copy about to lapse", async () => {
    const { cache, writes, register, advance } = setup();
    await register(60_000);
    await register(60_000, 6000); // new port: the slot changes hands synchronously
    expect(writes.claim).toBe(2);
    advance(45_000); // stored copy within window + flush of its expiry
    await register(60_000, 6000);
    expect(writes.claim).toBe(3);
    cache.close();
  });
});
