import { logger } from "../../layers/core/logger.js";
import { singleFlight } from "../../layers/core/util/single-flight.js";
import type { Directory } from "../directory.js";
import type { CallEvent } from "../events.js";
import { type Client, type FrameSender, inTurns, type TenantState } from "./clients.js";
import { frame, type PresenceEntry, type PresenceState } from "./frames.js";
import type { RegisteredExtensions } from "./registered.js";

type PresenceListing = Map<string, Omit<PresenceEntry, "extensionId">>;

/**
 * Colleagues' presence (unregistered, registered, on a call) pushed as diffs against the snapshot
 * each client gets on connecting, and the user's own call events.
 */
export class PresenceFeed {
  /** Presence listings in progress for snapshots, per tenant (shared by clients connecting meanwhile). */
  private readonly snapshotLoads = singleFlight<string, PresenceListing>();

  constructor(
    private readonly directory: Directory,
    private readonly registered: RegisteredExtensions,
    private readonly activeCalls: (tenantId: string) => Set<string>,
    private readonly tenants: ReadonlyMap<string, TenantState>,
    private readonly sender: FrameSender,
  ) {}

  /** Coalesces the registrations and calls of the next 20 ms into one refresh. */
  schedule(tenantId: string): void {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || tenant.presenceTimer) return;
    tenant.presenceTimer = setTimeout(() => {
      tenant.presenceTimer = undefined;
      void this.refresh(tenantId, tenant, true);
    }, 20);
  }

  async refreshAll(): Promise<void> {
    await Promise.all([...this.tenants.entries()].map(([id, tenant]) => this.refresh(id, tenant)));
  }

  private async listing(tenantId: string, tenant: TenantState): Promise<PresenceListing> {
    const [extensions, registered] = await Promise.all([
      this.directory.listExtensions(tenantId),
      this.registered.of(tenantId, tenant.registrations),
    ]);
    const onCall = this.activeCalls(tenantId);
    const out: PresenceListing = new Map();
    for (const extension of extensions) {
      const state: PresenceState = onCall.has(extension.id)
        ? "on_call"
        : registered.has(extension.id)
          ? "registered"
          : "unregistered";
      out.set(extension.id, { number: extension.number, name: extension.name, state });
    }
    return out;
  }

  /**
   * One refresh per tenant at a time: when listing the tenant's registrations takes longer than
   * the poll interval, overlapping refreshes would pile up, each holding a full listing. A
   * periodic refresh that finds one running is skipped; an event's (`queue`) runs after it.
   */
  private async refresh(tenantId: string, tenant: TenantState, queue = false): Promise<void> {
    if (tenant.presenceBusy) {
      if (queue) tenant.presenceAgain = true;
      return;
    }
    tenant.presenceBusy = true;
    try {
      const current = await this.listing(tenantId, tenant);
      const changed: PresenceEntry[] = [];
      for (const [extensionId, entry] of current) {
        if (tenant.presence.get(extensionId) !== entry.state) {
          tenant.presence.set(extensionId, entry.state);
          changed.push({ extensionId, ...entry });
        }
      }
      if (changed.length === 0) return;
      const wire = frame({ type: "presence", extensions: changed });
      await inTurns(tenant.clients, (client) => {
        this.sender.sendRaw(client, wire);
        return true;
      });
    } catch (error) {
      logger.error("Presence refresh failed", { error: error as Error, tenantId });
    } finally {
      tenant.presenceBusy = false;
      if (tenant.presenceAgain && this.tenants.get(tenantId) === tenant) {
        tenant.presenceAgain = false;
        void this.refresh(tenantId, tenant, true);
      }
    }
  }

  async sendSnapshot(client: Client, tenant: TenantState): Promise<void> {
    // Clients connecting together (a reconnect storm after a task restart) share one listing of
    // the tenant's registrations instead of reading the whole partition once each.
    const current = await this.snapshotLoads(client.tenantId, () => this.listing(client.tenantId, tenant));
    const extensions: PresenceEntry[] = [];
    for (const [extensionId, entry] of current) {
      tenant.presence.set(extensionId, entry.state);
      extensions.push({ extensionId, ...entry });
    }
    this.sender.send(client, { type: "presence", snapshot: true, extensions });
  }

  onCall(event: CallEvent): void {
    const tenant = this.tenants.get(event.tenantId);
    if (!tenant) return;
    const { tenantId: _tenant, ...rest } = event;
    const wire = frame({ type: "call", ...rest });
    for (const client of tenant.clients)
      if (client.extensionId === event.extensionId) this.sender.sendRaw(client, wire);
  }
}
