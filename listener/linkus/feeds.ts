import type { Deps } from "../../layers/core/deps.js";
import { logger } from "../../layers/core/logger.js";
import { type FeedEntry, type FeedTopic, readChanges } from "../../layers/core/services/change-feed.js";
import { type Client, changesFrame, type FrameSender, inTurns, type TenantState, TOPICS } from "./clients.js";

const PAGE = 100;

/**
 * The company-contact and permission change feeds relayed to Linkus clients: one poll per tenant
 * fans each new page out to the clients that are up to date; a client behind (a reconnect with
 * old cursors, a gap) catches up from its own cursor, or is told to `resync` when the feed no
 * longer holds it.
 */
export class FeedRelay {
  constructor(
    private readonly deps: Deps,
    private readonly tenants: ReadonlyMap<string, TenantState>,
    private readonly sender: FrameSender,
  ) {}

  async ensureHeads(tenantId: string, tenant: TenantState): Promise<void> {
    if (tenant.heads.contacts >= 0) return;
    const heads = await Promise.all(
      TOPICS.map(async (topic) => (await readChanges(this.deps, tenantId, topic, 0, 1)).latest),
    );
    if (tenant.heads.contacts < 0) tenant.heads = { contacts: heads[0] ?? 0, permissions: heads[1] ?? 0 };
  }

  /** Sends what the client missed since its cursors (or `resync` when the feed no longer holds it). */
  async resume(client: Client, given: Partial<Record<FeedTopic, number>>): Promise<void> {
    for (const topic of TOPICS) {
      const since = given[topic];
      if (since === undefined) continue;
      client.cursors[topic] = since;
      await this.catchUp(client, topic);
    }
  }

  private async catchUp(client: Client, topic: FeedTopic): Promise<void> {
    if (client.catchingUp[topic]) return;
    client.catchingUp[topic] = true;
    try {
      const tenant = this.tenants.get(client.tenantId);
      while (tenant && client.ws.readyState === client.ws.OPEN && client.cursors[topic] < tenant.heads[topic]) {
        let page: Awaited<ReturnType<typeof readChanges>>;
        try {
          page = await readChanges(this.deps, client.tenantId, topic, client.cursors[topic], PAGE);
        } catch {
          page = { changes: [], latest: tenant.heads[topic], resyncRequired: true };
        }
        if (page.resyncRequired) {
          client.cursors[topic] = page.latest;
          this.sender.send(client, { type: "resync", topic, latest: page.latest });
          break;
        }
        const unseen = page.changes.filter((change) => change.sequence > client.cursors[topic]);
        if (unseen.length > 0) {
          this.sender.sendRaw(client, changesFrame(topic, unseen));
          client.cursors[topic] = (unseen.at(-1) as FeedEntry).sequence;
        }
        if (page.changes.length === 0) break;
      }
      if (tenant && client.cursors[topic] > tenant.heads[topic]) client.cursors[topic] = tenant.heads[topic];
    } finally {
      client.catchingUp[topic] = false;
    }
  }

  async pollAll(): Promise<void> {
    await Promise.all([...this.tenants.entries()].map(([tenantId, tenant]) => this.poll(tenantId, tenant)));
  }

  private async poll(tenantId: string, tenant: TenantState): Promise<void> {
    if (tenant.polling || tenant.heads.contacts < 0) return;
    tenant.polling = true;
    try {
      for (const topic of TOPICS) {
        await this.pollTopic(tenantId, tenant, topic);
        for (const client of tenant.clients) {
          if (client.cursors[topic] < tenant.heads[topic]) void this.catchUp(client, topic);
        }
      }
    } catch (error) {
      logger.error("Change feed poll failed", { error: error as Error, tenantId });
    } finally {
      tenant.polling = false;
    }
  }

  private async pollTopic(tenantId: string, tenant: TenantState, topic: FeedTopic): Promise<void> {
    for (;;) {
      const page = await readChanges(this.deps, tenantId, topic, tenant.heads[topic], PAGE);
      if (page.resyncRequired) {
        tenant.heads[topic] = page.latest;
        for (const client of tenant.clients) {
          client.cursors[topic] = page.latest;
          this.sender.send(client, { type: "resync", topic, latest: page.latest });
        }
        return;
      }
      const first = page.changes[0];
      const last = page.changes.at(-1);
      if (first && last) {
        // One frame per page for every client that is up to date: a burst (an import) costs a
        // socket write per 100 changes per client, not one per change.
        const shared = changesFrame(topic, page.changes);
        // The head moves first: a client connecting during a yield below starts after this
        // page, and a catch-up running meanwhile is not clamped back into it (no repeats).
        tenant.heads[topic] = last.sequence;
        await inTurns(tenant.clients, (client) => {
          const cursor = client.cursors[topic];
          // Behind the page (a gap) or catching up: catchUp sends from its own cursor.
          if (client.catchingUp[topic] || cursor < first.sequence - 1 || cursor >= last.sequence) return false;
          const unseen =
            cursor === first.sequence - 1
              ? shared
              : changesFrame(
                  topic,
                  page.changes.filter((c) => c.sequence > cursor),
                );
          this.sender.sendRaw(client, unseen);
          client.cursors[topic] = last.sequence;
          return true;
        });
      }
      if (page.changes.length < PAGE) return;
    }
  }
}
