import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Deps } from "../../layers/core/deps.js";
import { logger } from "../../layers/core/logger.js";
import { authorizeAccessToken } from "../../layers/core/services/auth.js";
import type { FeedTopic } from "../../layers/core/services/change-feed.js";
import type { Directory } from "../directory.js";
import type { ListenerEvents } from "../events.js";
import type { BindingStore } from "../registrar/bindings.js";
import { type Client, FrameSender, newTenantState, parseClientMessage, type TenantState, TOPICS } from "./clients.js";
import { FeedRelay } from "./feeds.js";
import { PresenceFeed } from "./presence-feed.js";
import { RegisteredExtensions } from "./registered.js";

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
  /** From the TCP connection to a valid token: the HTTP upgrade and the `auth` frame together. */
  authTimeoutMs: number;
  feedPollMs: number;
  presencePollMs: number;
  /** A client whose unsent backlog passes this is disconnected (close 4008) and resumes by cursor. */
  maxBufferedBytes: number;
  maxClients: number;
  /** Connections one address may hold before authenticating (an office shares one address). */
  maxPendingPerIp: number;
  /** SIP over WebSocket on a path of this port (listener/transport/websocket.ts): its upgrades go there. */
  sip?: {
    wants: (req: IncomingMessage) => boolean;
    upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  };
}

/** The largest frame before authentication: an `auth` frame with a 4 KiB token and cursors. */
const MAX_PREAUTH_FRAME = 8 * 1024;

export class LinkusHub {
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly tenants = new Map<string, TenantState>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Connections not yet authenticated, per remote address. */
  private readonly pending = new Map<string, number>();
  private readonly unauthenticated = new WeakSet<Socket>();
  private accepting = true;
  port = 0;
  /**
   * `registrationListings`: full listings of a tenant's registrations for presence;
   * `lapseChecks`: extensions re-read one by one because their bindings had expired;
   * `refusedPending`: connections closed for passing `maxPendingPerIp`.
   */
  stats = { connected: 0, dropped: 0, registrationListings: 0, lapseChecks: 0, refusedPending: 0 };
  private readonly sender: FrameSender;
  private readonly feeds: FeedRelay;
  private readonly presence: PresenceFeed;

  constructor(private readonly options: LinkusHubOptions) {
    this.sender = new FrameSender(options.maxBufferedBytes, this.stats);
    this.feeds = new FeedRelay(options.deps, this.tenants, this.sender);
    const registered = new RegisteredExtensions(options.bindings, this.stats);
    this.presence = new PresenceFeed(options.directory, registered, options.activeCalls, this.tenants, this.sender);
  }

  async start(): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket only");
    });
    // A slow upgrade request holds a socket like a slow `auth` frame: the same deadline.
    server.headersTimeout = this.options.authTimeoutMs;
    server.requestTimeout = this.options.authTimeoutMs;
    server.on("connection", (socket) => this.onSocket(socket));
    this.server = server;
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.wss = wss;
    wss.on("connection", (ws, req) => this.onConnection(ws, req));
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const { sip } = this.options;
      if (sip?.wants(req)) {
        // SIP's own deadlines and per-address cap apply from here (its REGISTER authenticates).
        this.admit(socket);
        sip.upgrade(req, socket, head);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    this.timers.push(setInterval(() => void this.feeds.pollAll(), this.options.feedPollMs));
    this.timers.push(setInterval(() => this.heartbeat(), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void this.presence.refreshAll(), this.options.presencePollMs));
    this.options.events.on("presence", ({ tenantId }) => this.presence.schedule(tenantId));
    this.options.events.on("call", (event) => this.presence.onCall(event));
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
    // Connections still upgrading (or trickling headers) would hold server.close() forever.
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await closed;
  }

  /** Counts the TCP connection against its address until it authenticates; the cap refuses floods. */
  private onSocket(socket: Socket): void {
    const ip = socket.remoteAddress ?? "";
    const held = (this.pending.get(ip) ?? 0) + 1;
    if (held > this.options.maxPendingPerIp) {
      this.stats.refusedPending++;
      socket.destroy();
      return;
    }
    this.pending.set(ip, held);
    this.unauthenticated.add(socket);
    // Whatever happens to the upgrade, the socket is closed by the deadline if it never
    // authenticates (Node checks headersTimeout only every 30 s). The WebSocket's own timer, a
    // second earlier, closes an upgraded one with 4001 first.
    const deadline = setTimeout(() => {
      if (this.unauthenticated.has(socket)) socket.destroy();
    }, this.options.authTimeoutMs + 1_000);
    socket.once("close", () => {
      clearTimeout(deadline);
      this.admit(socket);
    });
  }

  /** The connection no longer counts as pending (authenticated, or gone). */
  private admit(socket: Socket): void {
    if (!this.unauthenticated.delete(socket)) return;
    const ip = socket.remoteAddress ?? "";
    const held = (this.pending.get(ip) ?? 1) - 1;
    if (held > 0) this.pending.set(ip, held);
    else this.pending.delete(ip);
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
    let attempted = false;
    const authTimer = setTimeout(() => {
      if (!attempted) ws.close(4001, "Authentication required");
    }, this.options.authTimeoutMs);
    ws.on("close", () => clearTimeout(authTimer));
    const attempt = (value: string, given: Partial<Record<FeedTopic, number>>) => {
      attempted = true;
      clearTimeout(authTimer);
      void this.authenticate(ws, req.socket, value, given).catch((error: unknown) => {
        logger.error("Linkus authentication failed", { error: error as Error });
        ws.close(1011, "Internal error");
      });
    };
    ws.on("error", () => {});
    if (token) attempt(token, cursors);
    else {
      ws.once("message", (data, isBinary) => {
        const size = Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.length : 0;
        const parsed = size > MAX_PREAUTH_FRAME || isBinary ? undefined : parseClientMessage(data);
        if (parsed?.type !== "auth") {
          ws.close(4001, "Authentication required");
          return;
        }
        attempt(parsed.token, { ...cursors, ...(parsed.cursors ?? {}) });
      });
    }
  }

  private async authenticate(
    ws: WebSocket,
    socket: Socket,
    token: string,
    given: Partial<Record<FeedTopic, number>>,
  ): Promise<void> {
    const result = await authorizeAccessToken(this.options.deps, token);
    if (result.outcome !== "allow") {
      ws.close(4001, result.outcome === "deny" ? result.reason : "Invalid or expired token");
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    this.admit(socket);
    const { caller } = result;
    const tenant = this.tenantState(caller.tenantId);
    await this.feeds.ensureHeads(caller.tenantId, tenant);
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
        this.sender.send(client, { type: "error", message: "Unrecognised message" });
        return;
      }
      if (message.type === "ping") this.sender.send(client, { type: "pong", time: new Date().toISOString() });
      else if (message.type === "resume") void this.feeds.resume(client, message.cursors ?? {});
    });
    // The snapshot goes first: presence updates are diffs against it.
    this.sender.send(client, {
      type: "hello",
      tenantId: caller.tenantId,
      extensionId: caller.extensionId,
      heartbeatSeconds: Math.round(this.options.heartbeatMs / 1000),
      latest: { ...tenant.heads },
    });
    await this.presence.sendSnapshot(client, tenant);
    tenant.clients.add(client);
    this.stats.connected++;
    ws.on("close", () => {
      tenant.clients.delete(client);
      if (tenant.clients.size === 0) {
        clearTimeout(tenant.presenceTimer);
        this.tenants.delete(caller.tenantId);
      }
    });
    await this.feeds.resume(client, given);
  }

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
      tenant = newTenantState();
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }
}
