import { createServer, type IncomingMessage, type Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";
import * as z from "zod";
import type { Deps } from "../../layers/core/deps.js";
import { logger } from "../../layers/core/logger.js";
import { authorizeAccessToken } from "../../layers/core/services/auth.js";
import { type FeedEntry, type FeedTopic, readChanges } from "../../layers/core/services/change-feed.js";
import type { Directory } from "../directory.js";
import type { CallEvent, ListenerEvents } from "../events.js";
import type { BindingStore } from "../registrar/bindings.js";
import { frame, type PresenceEntry, type PresenceState, type ServerFrame } from "./frames.js";
import { RegisteredExtensions, type RegistrationState } from "./registered.js";

/**
 * The Linkus channel on TCP 8111: a WebSocket per client, authenticated with the access token
 * from login, pushing presence, company contact and permission changes (from the change
 * feeds, resumable by cursor) and the user's call events. Protocol: docs/linkus-8111-protocol.md.
 */
export interface LinkusHubOptions {
  deps: Deps;
  directory: Directory;
  bindings: BindingStore;
  events: ListenerEvents;
  activeCalls: (tenantId: string) => Set<string>;
  host: string;
  port: number;
  heartbeatMs: number;
  idleMs: number;
  authTimeoutMs: number;
  feedPollMs: number;
  presencePollMs: number;
  /** A client whose unsent backlog passes this is disconnected (close 4008) and resumes by cursor. */
  maxBufferedBytes: number;
  maxClients: number;
}

const TOPICS: readonly FeedTopic[] = ["contacts", "permissions"];
const PAGE = 100;
/**
 * Sockets written to between turns of the event loop in a fan-out: a write costs ~30 µs, so a
 * frame to 10,000 clients in one go would hold SIP up for ~300 ms; in turns of 500, ~15 ms.
 */
const WRITES_PER_TURN = 500;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Visits every client, `send` saying whether it wrote to that one, and yields to the event loop
 * every WRITES_PER_TURN writes. Clients connecting meanwhile join the end of the set and are
 * visited too.
 */
async function inTurns(clients: Iterable<Client>, send: (client: Client) => boolean): Promise<void> {
  let written = 0;
  for (const client of clients) {
    if (send(client) && ++written % WRITES_PER_TURN === 0) await nextTurn();
  }
}

const cursorsSchema = z
  .object({ contacts: z.number().int().min(0).optional(), permissions: z.number().int().min(0).optional() })
  .optional();
const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auth"), token: z.string().min(1).max(4096), cursors: cursorsSchema }),
  z.object({ type: z.literal("resume"), cursors: cursorsSchema }),
  z.object({ type: z.literal("ping") }),
]);

interface Client {
  ws: WebSocket;
  tenantId: string;
  extensionId: string;
  sessionId: string;
  cursors: Record<FeedTopic, number>;
  catchingUp: Record<FeedTopic, boolean>;
  lastSeen: number;
  awaitingPong: boolean;
}

interface TenantState {
  clients: Set<Client>;
  heads: Record<FeedTopic, number>;
  presence: Map<string, string>;
  polling: boolean;
  presenceTimer: NodeJS.Timeout | undefined;
  /** A presence refresh is running; `presenceAgain` asks for one more when it ends. */
  presenceBusy: boolean;
  presenceAgain: boolean;
  /** Which of its extensions are registered (see registered.ts). */
  registrations: RegistrationState;
}

export class LinkusHub {
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly tenants = new Map<string, TenantState>();
  /** Presence listings in progress for snapshots, per tenant (shared by clients connecting meanwhile). */
  private readonly snapshotLoads = new Map<string, ReturnType<LinkusHub["presenceOf"]>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private accepting = true;
  port = 0;
  /**
   * `registrationListings`: full listings of a tenant's registrations for presence;
   * `lapseChecks`: extensions re-read one by one because their bindings had expired.
   */
  stats = { connected: 0, dropped: 0, registrationListings: 0, lapseChecks: 0 };
  private readonly registered: RegisteredExtensions;

  constructor(private readonly options: LinkusHubOptions) {
    this.registered = new RegisteredExtensions(options.bindings, this.stats);
  }

  async start(): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket only");
    });
    this.server = server;
    this.wss = new WebSocketServer({ server, maxPayload: 64 * 1024 });
    this.wss.on("connection", (ws, req) => this.onConnection(ws, req));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    this.timers.push(setInterval(() => void this.pollFeeds(), this.options.feedPollMs));
    this.timers.push(setInterval(() => this.heartbeat(), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void this.refreshAllPresence(), this.options.presencePollMs));
    this.options.events.on("presence", ({ tenantId }) => this.schedulePresence(tenantId));
    this.options.events.on("call", (event) => this.onCall(event));
  }

  get clientCount(): number {
    let n = 0;
    for (const tenant of this.tenants.values()) n += tenant.clients.size;
    return n;
  }

  stopAccepting(): void {
    this.accepting = false;
    this.server?.close();
  }

  async close(): Promise<void> {
    this.accepting = false;
    for (const timer of this.timers) clearInterval(timer);
    for (const tenant of this.tenants.values()) {
      clearTimeout(tenant.presenceTimer);
      for (const client of tenant.clients) client.ws.close(1001, "Server shutting down");
    }
    this.tenants.clear();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    if (!this.accepting || this.clientCount >= this.options.maxClients) {
      ws.close(1013, "Try again later");
      return;
    }
    const url = new URL(req.url ?? "/", "http://linkus");
    const header = req.headers.authorization;
    const token = header?.toLowerCase().startsWith("bearer ") ? header.slice(7).trim() : url.searchParams.get("token");
    const cursors: Partial<Record<FeedTopic, number>> = {};
    for (const topic of TOPICS) {
      const value = url.searchParams.get(topic);
      if (value !== null && /^\d{1,15}$/.test(value)) cursors[topic] = Number(value);
    }
    let authenticated = false;
    const authTimer = setTimeout(() => {
      if (!authenticated) ws.close(4001, "Authentication required");
    }, this.options.authTimeoutMs);
    const attempt = (value: string, given: Partial<Record<FeedTopic, number>>) => {
      authenticated = true;
      clearTimeout(authTimer);
      void this.authenticate(ws, value, given).catch((error: unknown) => {
        logger.error("Linkus authentication failed", { error: error as Error });
        ws.close(1011, "Internal error");
      });
    };
    ws.on("error", () => {});
    if (token) attempt(token, cursors);
    else {
      ws.once("message", (data) => {
        const parsed = parseClientMessage(data);
        if (parsed?.type !== "auth") {
          ws.close(4001, "Authentication required");
          return;
        }
        attempt(parsed.token, { ...cursors, ...(parsed.cursors ?? {}) });
      });
    }
    ws.on("close", () => clearTimeout(authTimer));
  }

  private async authenticate(ws: WebSocket, token: string, given: Partial<Record<FeedTopic, number>>): Promise<void> {
    const result = await authorizeAccessToken(this.options.deps, token);
    if (result.outcome !== "allow") {
      ws.close(4001, result.outcome === "deny" ? result.reason : "Invalid or expired token");
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const { caller } = result;
    const tenant = this.tenantState(caller.tenantId);
    await this.ensureHeads(caller.tenantId, tenant);
    const client: Client = {
      ws,
      tenantId: caller.tenantId,
      extensionId: caller.extensionId,
      sessionId: caller.sessionId,
      cursors: { contacts: tenant.heads.contacts, permissions: tenant.heads.permissions },
      catchingUp: { contacts: false, permissions: false },
      lastSeen: Date.now(),
      awaitingPong: false,
    };
    // Frames are taken from the moment hello goes out: a client may send resume or ping at once.
    ws.on("pong", () => {
      client.lastSeen = Date.now();
      client.awaitingPong = false;
    });
    ws.on("message", (data) => {
      client.lastSeen = Date.now();
      const message = parseClientMessage(data);
      if (!message) {
        this.send(client, { type: "error", message: "Unrecognised message" });
        return;
      }
      if (message.type === "ping") this.send(client, { type: "pong", time: new Date().toISOString() });
      else if (message.type === "resume") void this.resume(client, message.cursors ?? {});
    });
    // The snapshot goes first: presence updates are diffs against it.
    this.send(client, {
      type: "hello",
      tenantId: caller.tenantId,
      extensionId: caller.extensionId,
      heartbeatSeconds: Math.round(this.options.heartbeatMs / 1000),
      latest: { ...tenant.heads },
    });
    await this.sendPresenceSnapshot(client, tenant);
    tenant.clients.add(client);
    this.stats.connected++;
    ws.on("close", () => {
      tenant.clients.delete(client);
      if (tenant.clients.size === 0) {
        clearTimeout(tenant.presenceTimer);
        this.tenants.delete(caller.tenantId);
      }
    });
    await this.resume(client, given);
  }

  // ------------------------------------------------------------------------------------------
  // Change feeds

  private async ensureHeads(tenantId: string, tenant: TenantState): Promise<void> {
    if (tenant.heads.contacts >= 0) return;
    const heads = await Promise.all(
      TOPICS.map(async (topic) => (await readChanges(this.options.deps, tenantId, topic, 0, 1)).latest),
    );
    if (tenant.heads.contacts < 0) tenant.heads = { contacts: heads[0] ?? 0, permissions: heads[1] ?? 0 };
  }

  /** Sends what the client missed since its cursors (or `resync` when the feed no longer holds it). */
  private async resume(client: Client, given: Partial<Record<FeedTopic, number>>): Promise<void> {
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
          page = await readChanges(this.options.deps, client.tenantId, topic, client.cursors[topic], PAGE);
        } catch {
          page = { changes: [], latest: tenant.heads[topic], resyncRequired: true };
        }
        if (page.resyncRequired) {
          client.cursors[topic] = page.latest;
          this.send(client, { type: "resync", topic, latest: page.latest });
          break;
        }
        const unseen = page.changes.filter((change) => change.sequence > client.cursors[topic]);
        if (unseen.length > 0) {
          this.sendRaw(client, changesFrame(topic, unseen));
          client.cursors[topic] = (unseen.at(-1) as FeedEntry).sequence;
        }
        if (page.changes.length === 0) break;
      }
      if (tenant && client.cursors[topic] > tenant.heads[topic]) client.cursors[topic] = tenant.heads[topic];
    } finally {
      client.catchingUp[topic] = false;
    }
  }

  private async pollFeeds(): Promise<void> {
    await Promise.all([...this.tenants.entries()].map(([tenantId, tenant]) => this.pollTenant(tenantId, tenant)));
  }

  private async pollTenant(tenantId: string, tenant: TenantState): Promise<void> {
    if (tenant.polling || tenant.heads.contacts < 0) return;
    tenant.polling = true;
    try {
      for (const topic of TOPICS) {
        for (;;) {
          const page = await readChanges(this.options.deps, tenantId, topic, tenant.heads[topic], PAGE);
          if (page.resyncRequired) {
            tenant.heads[topic] = page.latest;
            for (const client of tenant.clients) {
              client.cursors[topic] = page.latest;
              this.send(client, { type: "resync", topic, latest: page.latest });
            }
            break;
          }
          const first = page.changes[0];
          const last = page.changes.at(-1);
          if (first && last) {
            // One frame per page for every client that is up to date: a burst (an import) costs a
            // socket write per 100 changes per client, not one per change.
            const frame = changesFrame(topic, page.changes);
            // The head moves first: a client connecting during a yield below starts after this
            // page, and a catch-up running meanwhile is not clamped back into it (no repeats).
            tenant.heads[topic] = last.sequence;
            await inTurns(tenant.clients, (client) => {
              const cursor = client.cursors[topic];
              // Behind the page (a gap) or catching up: catchUp below sends from its own cursor.
              if (client.catchingUp[topic] || cursor < first.sequence - 1 || cursor >= last.sequence) return false;
              // Up to date (the common case): the shared frame, built once for everyone.
              const unseen =
                cursor === first.sequence - 1
                  ? frame
                  : changesFrame(
                      topic,
                      page.changes.filter((c) => c.sequence > cursor),
                    );
              this.sendRaw(client, unseen);
              client.cursors[topic] = last.sequence;
              return true;
            });
          }
          if (page.changes.length < PAGE) break;
        }
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

  // ------------------------------------------------------------------------------------------
  // Presence and calls

  private schedulePresence(tenantId: string): void {
    const tenant = this.tenants.get(tenantId);
    if (!tenant || tenant.presenceTimer) return;
    tenant.presenceTimer = setTimeout(() => {
      tenant.presenceTimer = undefined;
      void this.refreshPresence(tenantId, tenant, true);
    }, 20);
  }

  private async refreshAllPresence(): Promise<void> {
    await Promise.all([...this.tenants.entries()].map(([id, tenant]) => this.refreshPresence(id, tenant)));
  }

  private async presenceOf(
    tenantId: string,
    tenant: TenantState,
  ): Promise<Map<string, Omit<PresenceEntry, "extensionId">>> {
    const [extensions, registered] = await Promise.all([
      this.options.directory.listExtensions(tenantId),
      this.registered.of(tenantId, tenant.registrations),
    ]);
    const onCall = this.options.activeCalls(tenantId);
    const out = new Map<string, Omit<PresenceEntry, "extensionId">>();
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
  private async refreshPresence(tenantId: string, tenant: TenantState, queue = false): Promise<void> {
    if (tenant.presenceBusy) {
      if (queue) tenant.presenceAgain = true;
      return;
    }
    tenant.presenceBusy = true;
    try {
      const current = await this.presenceOf(tenantId, tenant);
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
        this.sendRaw(client, wire);
        return true;
      });
    } catch (error) {
      logger.error("Presence refresh failed", { error: error as Error, tenantId });
    } finally {
      tenant.presenceBusy = false;
      if (tenant.presenceAgain && this.tenants.get(tenantId) === tenant) {
        tenant.presenceAgain = false;
        void this.refreshPresence(tenantId, tenant, true);
      }
    }
  }

  private async sendPresenceSnapshot(client: Client, tenant: TenantState): Promise<void> {
    // Clients connecting together (a reconnect storm after a task restart) share one listing of
    // the tenant's registrations instead of reading the whole partition once each.
    let pending = this.snapshotLoads.get(client.tenantId);
    if (!pending) {
      const load = this.presenceOf(client.tenantId, tenant).finally(() => this.snapshotLoads.delete(client.tenantId));
      this.snapshotLoads.set(client.tenantId, load);
      pending = load;
    }
    const current = await pending;
    const extensions: PresenceEntry[] = [];
    for (const [extensionId, entry] of current) {
      tenant.presence.set(extensionId, entry.state);
      extensions.push({ extensionId, ...entry });
    }
    this.send(client, { type: "presence", snapshot: true, extensions });
  }

  private onCall(event: CallEvent): void {
    const tenant = this.tenants.get(event.tenantId);
    if (!tenant) return;
    const { tenantId: _tenant, ...rest } = event;
    const wire = frame({ type: "call", ...rest });
    for (const client of tenant.clients) if (client.extensionId === event.extensionId) this.sendRaw(client, wire);
  }

  // ------------------------------------------------------------------------------------------
  // Heartbeats, liveness, sending

  private heartbeat(): void {
    const now = Date.now();
    for (const tenant of this.tenants.values()) {
      for (const client of tenant.clients) {
        if (now - client.lastSeen > this.options.idleMs || client.awaitingPong) {
          client.ws.close(4000, "Idle timeout");
          client.ws.terminate();
          continue;
        }
        client.awaitingPong = true;
        client.ws.ping();
        // A failed lookup (DynamoDB throttling, a timeout) keeps the client; the next beat checks again.
        void this.options.directory.liveSession(client.tenantId, client.sessionId).then(
          (live) => {
            if (!live) client.ws.close(4003, "Session ended");
          },
          (error: unknown) => logger.warn("Session check failed", { error: error as Error }),
        );
      }
    }
  }

  private tenantState(tenantId: string): TenantState {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = {
        clients: new Set(),
        heads: { contacts: -1, permissions: -1 },
        presence: new Map(),
        polling: false,
        presenceTimer: undefined,
        presenceBusy: false,
        presenceAgain: false,
        registrations: { view: undefined, listing: undefined },
      };
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }

  private send(client: Client, message: ServerFrame): void {
    this.sendRaw(client, frame(message));
  }

  private sendRaw(client: Client, frame: string): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount + frame.length > this.options.maxBufferedBytes) {
      this.stats.dropped++;
      client.ws.close(4008, "Too slow: reconnect with your cursors");
      client.ws.terminate();
      return;
    }
    client.ws.send(frame);
  }
}

function parseClientMessage(data: unknown): z.output<typeof clientMessage> | undefined {
  try {
    const text = Buffer.isBuffer(data)
      ? data.toString("utf8")
      : Array.isArray(data)
        ? Buffer.concat(data).toString("utf8")
        : String(data);
    const result = clientMessage.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The frame for changes sent together, in sequence order: `change` for one, `changes` for several
 * (a poll or catch-up page), so a burst is one socket write per page.
 */
function changesFrame(topic: FeedTopic, changes: readonly FeedEntry[]): string {
  const [only] = changes;
  return changes.length === 1 && only
    ? frame({ type: "change", topic, ...only })
    : frame({ type: "changes", topic, changes: [...changes] });
}
