import type { BindingStore } from "../registrar/bindings.js";

/**
 * Which of a tenant's extensions have a live binding, for presence. Listing the tenant's
 * registrations reads the whole partition (10,000 registrations: ~5.5 MB, ~1,400 read units),
 * so it is listed again only when something can have changed: the registration epoch moved
 * (some task saw an extension become registered or unregistered), a registered extension may
 * have lapsed, or the listing is a minute old. Otherwise a poll costs one GetItem.
 */
export interface RegistrationView {
  registered: Set<string>;
  /** Each registered extension's latest binding expiry: it lapses then unless it refreshes. */
  expiries: Map<string, number>;
  /** The earliest of `expiries`. */
  lapsesAt: number;
  /** The registration epoch read just before the listing. */
  epoch: number;
  listedAt: number;
}

/** Per tenant, held by the hub while the tenant has clients. */
export interface RegistrationState {
  /** The last listing, and when it must be taken again. */
  view: RegistrationView | undefined;
  /** A listing in progress, which a snapshot and a poll arriving meanwhile share. */
  listing: Promise<Set<string>> | undefined;
}

/**
 * The longest presence trusts a listing without re-reading it, whatever the epoch says: bounds
 * how stale it can get if a task failed to bump the epoch (a DynamoDB error after the write).
 */
const MAX_LISTING_AGE_MS = 60_000;

export class RegisteredExtensions {
  constructor(
    private readonly bindings: BindingStore,
    /** `registrationListings`: full listings; `lapseChecks`: extensions re-read alone. */
    private readonly stats: { registrationListings: number; lapseChecks: number },
  ) {}

  of(tenantId: string, state: RegistrationState): Promise<Set<string>> {
    // One at a time per tenant: a snapshot and a poll arriving together share the work.
    state.listing ??= this.load(tenantId, state).finally(() => {
      state.listing = undefined;
    });
    return state.listing;
  }

  private async load(tenantId: string, state: RegistrationState): Promise<Set<string>> {
    const epoch = await this.bindings.epoch(tenantId);
    const now = Date.now();
    const view = state.view;
    if (view && view.epoch === epoch && now - view.listedAt < MAX_LISTING_AGE_MS) {
      if (now >= view.lapsesAt) await this.recheckLapsed(tenantId, view, now);
      return view.registered;
    }
    // The epoch read before the listing is the one kept: a bump during it is seen next poll.
    const expiries = new Map<string, number>();
    for (const binding of await this.bindings.list(tenantId)) {
      expiries.set(binding.extensionId, Math.max(expiries.get(binding.extensionId) ?? 0, binding.expiresAtMs));
    }
    state.view = { registered: new Set(expiries.keys()), expiries, lapsesAt: earliest(expiries), epoch, listedAt: now };
    this.stats.registrationListings++;
    return state.view.registered;
  }

  /**
   * Extensions whose bindings have all expired since the listing, unless they refreshed: their own
   * few bindings are read again (a refresh bumps nothing), not the tenant's whole partition.
   */
  private async recheckLapsed(tenantId: string, view: RegistrationView, now: number): Promise<void> {
    const due = [...view.expiries].filter(([, expiry]) => expiry <= now).map(([extensionId]) => extensionId);
    for (let i = 0; i < due.length; i += 16) {
      const batch = due.slice(i, i + 16);
      const live = await Promise.all(batch.map((extensionId) => this.bindings.list(tenantId, extensionId)));
      batch.forEach((extensionId, j) => {
        const bindings = live[j] ?? [];
        if (bindings.length === 0) {
          view.expiries.delete(extensionId);
          view.registered.delete(extensionId);
        } else {
          view.expiries.set(extensionId, Math.max(...bindings.map((b) => b.expiresAtMs)));
        }
      });
    }
    view.lapsesAt = earliest(view.expiries);
    this.stats.lapseChecks += due.length;
  }
}

function earliest(values: Map<string, number>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const value of values.values()) min = Math.min(min, value);
  return min;
}
